//! Data sources: the privilege catalogue, and API roles and clients looked up by id or name.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::framework::validators::StringLengthAtLeast;
use crate::framework::{Attr, Attribute, AttributePath, DataSource, Diagnostics, Schema, Type, ValidateRequest};

use super::api_client::DEFAULT_LIFETIME;
use super::api_role::ApiRoleModel;
use super::cache::JamfData;
use super::client::{Integration, Role};
use super::diag;
use super::lookup::{self, Named};

/// `data "jamf_api_role_privileges"`: the privilege names this Jamf Pro server offers for API
/// roles, optionally filtered.
pub struct PrivilegesDataSource;

/// The values of `data "jamf_api_role_privileges"`.
#[derive(Serialize, Deserialize, Default)]
pub struct PrivilegesModel {
    /// Only privileges whose name contains this text, ignoring case; unset lists them all.
    pub name_contains: Attr<String>,
    /// The privilege names found, sorted as Jamf Pro sorts them.
    pub privileges: Attr<Vec<String>>,
}

#[async_trait]
impl DataSource for PrivilegesDataSource {
    type Data = JamfData;
    type Model = PrivilegesModel;

    fn type_name(&self) -> &'static str {
        "jamf_api_role_privileges"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "The privilege names this Jamf Pro server offers for API roles (they change between Jamf Pro \
             versions), optionally filtered.",
        )
        .attribute(Attribute::string("name_contains").optional().validator(StringLengthAtLeast(1)).description(
            "Only privileges whose name contains this text, ignoring case (e.g. `\"Computer\"`). Fails when nothing \
             matches.",
        ))
        .attribute(
            Attribute::list_of("privileges", Type::String)
                .computed()
                .description("The privilege names, sorted as Jamf Pro sorts them."),
        )
    }

    async fn read(&self, data: &JamfData, config: PrivilegesModel, diags: &mut Diagnostics) -> Option<PrivilegesModel> {
        let catalogue = diags.ok(data.privileges().await, |e| diag::error("list API role privileges", &e))?;
        let filter = config.name_contains.get().map(|s| s.to_lowercase());
        let list: Vec<String> = catalogue
            .iter()
            .filter(|p| filter.as_ref().is_none_or(|f| p.to_lowercase().contains(f)))
            .cloned()
            .collect();
        if list.is_empty() {
            diags.error_at(
                AttributePath::attr("name_contains"),
                "No matching privilege",
                format!(
                    "No privilege of this Jamf Pro server contains {:?}. Remove name_contains to list them all.",
                    config.name_contains.get().cloned().unwrap_or_default()
                ),
            );
            return None;
        }
        Some(PrivilegesModel { name_contains: config.name_contains, privileges: Attr::Known(list) })
    }
}

/// `id` or `display_name` of a `T`, exactly one.
fn lookup_key<T: Named>(id: &Attr<String>, name: &Attr<String>, diags: &mut Diagnostics) -> bool {
    let kind = T::KIND;
    match (id, name) {
        (Attr::Known(_), Attr::Known(_)) => {
            diags.error_at(
                AttributePath::attr("display_name"),
                "Conflicting lookup",
                format!("Look the {kind} up by id or by display_name, not both."),
            );
            false
        }
        (Attr::Null, Attr::Null) => {
            diags.error_at(
                AttributePath::attr("id"),
                "Missing lookup key",
                format!("Set id or display_name to find the {kind}."),
            );
            false
        }
        _ => true,
    }
}

/// `data "jamf_api_role"`: its model is the resource's, read from the role found.
pub struct ApiRoleDataSource;

#[async_trait]
impl DataSource for ApiRoleDataSource {
    type Data = JamfData;
    type Model = ApiRoleModel;

    fn type_name(&self) -> &'static str {
        "jamf_api_role"
    }

    fn schema(&self) -> Schema {
        Schema::new("An existing API role, found by id or display name.")
            .attribute(
                Attribute::string("id").optional().computed().description("The role's id. Set this or `display_name`."),
            )
            .attribute(
                Attribute::string("display_name").optional().computed().description("The role's exact display name."),
            )
            .attribute(Attribute::set_of("privileges", Type::String).computed().description("The role's privileges."))
    }

    async fn validate(&self, req: ValidateRequest<'_, ApiRoleModel>, diags: &mut Diagnostics) {
        if let Some(config) = req.config(diags) {
            lookup_key::<Role>(&config.id, &config.display_name, diags);
        }
    }

    async fn read(&self, data: &JamfData, config: ApiRoleModel, diags: &mut Diagnostics) -> Option<ApiRoleModel> {
        if !lookup_key::<Role>(&config.id, &config.display_name, diags) {
            return None;
        }
        let all = diags.ok(data.all_roles().await, |e| diag::error("list API roles", &e))?;
        lookup::find(&all, &config.id, &config.display_name, diags).map(|r| ApiRoleModel::from_role(r.clone()))
    }
}

/// `data "jamf_api_client"`: its model is the resource's, read from the client found.
pub struct ApiClientDataSource;

/// The values of `data "jamf_api_client"`: the resource's attributes, and `app_type`, which only
/// a read can report truthfully (a secret generated by Terraform changes it after the client's
/// own apply, so the resource does not hold it).
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ApiClientInfo {
    /// The client's id in Jamf Pro; set this or `display_name`.
    pub id: Attr<String>,
    /// The OAuth client ID.
    pub client_id: Attr<String>,
    /// The client's exact display name; set this or `id`.
    pub display_name: Attr<String>,
    /// Display names of the client's API roles.
    pub authorization_scopes: Attr<BTreeSet<String>>,
    /// Whether the client may obtain access tokens.
    pub enabled: Attr<bool>,
    /// Access-token lifetime in seconds.
    pub access_token_lifetime_seconds: Attr<i64>,
    /// What credentials the client has: `NONE`, `CLIENT_CREDENTIALS` or `NATIVE_APP_OAUTH`.
    pub app_type: Attr<String>,
}

impl From<&Integration> for ApiClientInfo {
    fn from(i: &Integration) -> ApiClientInfo {
        ApiClientInfo {
            id: Attr::Known(i.id.clone()),
            client_id: Attr::Known(i.client_id.clone()),
            display_name: Attr::Known(i.display_name.clone()),
            authorization_scopes: Attr::Known(i.authorization_scopes.iter().cloned().collect()),
            enabled: Attr::Known(i.enabled),
            access_token_lifetime_seconds: Attr::Known(i.access_token_lifetime_seconds.unwrap_or(DEFAULT_LIFETIME)),
            app_type: Attr::Known(i.app_type.as_str().to_string()),
        }
    }
}

#[async_trait]
impl DataSource for ApiClientDataSource {
    type Data = JamfData;
    type Model = ApiClientInfo;

    fn type_name(&self) -> &'static str {
        "jamf_api_client"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "An existing API client, found by id or display name. It never exposes or generates a secret \
             (reading one would rotate it).",
        )
        .attribute(
            Attribute::string("id").optional().computed().description("The client's id. Set this or `display_name`."),
        )
        .attribute(
            Attribute::string("display_name").optional().computed().description("The client's exact display name."),
        )
        .attribute(Attribute::string("client_id").computed().description("The OAuth client ID."))
        .attribute(
            Attribute::set_of("authorization_scopes", Type::String)
                .computed()
                .description("Display names of the client's API roles."),
        )
        .attribute(Attribute::bool("enabled").computed().description("Whether the client may obtain access tokens."))
        .attribute(
            Attribute::number("access_token_lifetime_seconds")
                .computed()
                .description("Access-token lifetime in seconds."),
        )
        .attribute(
            Attribute::string("app_type").computed().description("`NONE`, `CLIENT_CREDENTIALS` or `NATIVE_APP_OAUTH`."),
        )
    }

    async fn validate(&self, req: ValidateRequest<'_, ApiClientInfo>, diags: &mut Diagnostics) {
        if let Some(config) = req.config(diags) {
            lookup_key::<Integration>(&config.id, &config.display_name, diags);
        }
    }

    async fn read(&self, data: &JamfData, config: ApiClientInfo, diags: &mut Diagnostics) -> Option<ApiClientInfo> {
        if !lookup_key::<Integration>(&config.id, &config.display_name, diags) {
            return None;
        }
        let all = diags.ok(data.all_integrations().await, |e| diag::error("list API clients", &e))?;
        lookup::find(&all, &config.id, &config.display_name, diags).map(ApiClientInfo::from)
    }
}
