//! IBM MaaS360: the `maas360` provider, the `maas360_script_user` resource, the
//! `maas360_administrator` data source, and the API client (which knows nothing of Terraform).

pub mod administrator;
pub mod client;
pub mod diag;
pub mod password;
pub mod provider;
pub mod script_user;

pub use provider::{ADDRESS, Maas360Provider};

use self::client::Maas360Client;

/// What every MaaS360 resource and data source receives from the configured provider.
pub struct Maas360Data {
    /// The provider's API client, shared by all of them.
    pub client: Maas360Client,
}

#[cfg(test)]
mod tests {
    use crate::framework::Provider;
    use crate::framework::model_check::check_provider_models;

    use super::Maas360Provider;

    /// Every model field is a schema attribute and every attribute a model field, for the
    /// provider configuration and each resource and data source.
    #[test]
    fn every_model_matches_its_schema() {
        let provider = Maas360Provider;
        assert!(!provider.resources().is_empty() && !provider.data_sources().is_empty());
        if let Err(mismatches) = check_provider_models(&provider) {
            panic!("models and schemas differ:\n{mismatches}");
        }
    }
}
