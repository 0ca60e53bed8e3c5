//! Jamf Pro: the `jamf` provider, its resources and data sources, and the API client (which knows
//! nothing of Terraform).

pub mod api_client;
pub mod api_role;
pub mod cache;
pub mod client;
pub mod client_secret;
pub mod data_sources;
pub mod diag;
pub mod lookup;
pub mod privileges;
pub mod provider;

pub use provider::{ADDRESS, JamfProvider};
