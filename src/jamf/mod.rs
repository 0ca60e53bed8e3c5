//! Jamf Pro: the `jamf` provider, its resources and data sources, and the API client (which knows
//! nothing of Terraform).

pub mod api_client;
pub mod api_role;
pub mod cache;
pub mod client;
pub mod client_secret;
pub mod data_sources;
pub mod diag;
pub mod inventory;
pub mod lookup;
pub mod moves;
pub mod privileges;
pub mod provider;
pub mod registry;
pub mod server;

pub use provider::{ADDRESS, JamfProvider};

#[cfg(test)]
mod tests {
    use crate::framework::Provider;
    use crate::framework::model_check::check_provider_models;

    use super::JamfProvider;

    /// Every model field is a schema attribute and every attribute a model field, for the
    /// provider configuration and each resource and data source.
    #[test]
    fn every_model_matches_its_schema() {
        let provider = JamfProvider;
        assert!(!provider.resources().is_empty() && !provider.data_sources().is_empty());
        if let Err(mismatches) = check_provider_models(&provider) {
            panic!("models and schemas differ:\n{mismatches}");
        }
    }
}
