//! `maas360_administrator`: whether an administrator username exists (the only fact about an
//! administrator MaaS360's public API returns).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::framework::validators::StringLengthAtLeast;
use crate::framework::{Attr, Attribute, DataSource, Diagnostics, Schema};

use super::{Maas360Data, diag};

/// `maas360_administrator`: whether an administrator username exists.
pub struct AdministratorDataSource;

/// The data source's configuration and result.
#[derive(Serialize, Deserialize, Default)]
pub struct AdministratorLookup {
    /// The username to look up (configured).
    pub username: Attr<String>,
    /// Whether an administrator holds the username, i.e. MaaS360 reports it not available.
    pub exists: Attr<bool>,
    /// The MaaS360 account (billing ID) the provider is configured for.
    pub billing_id: Attr<String>,
}

#[async_trait]
impl DataSource for AdministratorDataSource {
    type Data = Maas360Data;
    type Model = AdministratorLookup;

    fn type_name(&self) -> &'static str {
        "maas360_administrator"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Whether an administrator username is taken in MaaS360 (the only fact about an administrator the \
             public API returns).",
        )
        .attribute(
            Attribute::string("username")
                .required()
                .validator(StringLengthAtLeast(1))
                .description("The username to look up."),
        )
        .attribute(Attribute::bool("exists").computed().description("True when an administrator holds this username."))
        .attribute(
            Attribute::string("billing_id")
                .computed()
                .description("The MaaS360 account (billing ID) the provider is configured for."),
        )
    }

    async fn read(
        &self,
        data: &Maas360Data,
        config: AdministratorLookup,
        diags: &mut Diagnostics,
    ) -> Option<AdministratorLookup> {
        let username = config.username.get()?.clone();
        let available = diags.ok(data.client.check_admin_account_availability(&username).await, |e| {
            diag::error(&format!("check administrator {username:?}"), &e)
        })?;
        Some(AdministratorLookup {
            username: Attr::Known(username),
            exists: Attr::Known(!available),
            billing_id: Attr::Known(data.client.billing_id().to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_consistent() {
        DataSource::schema(&AdministratorDataSource).block.check().unwrap();
    }
}
