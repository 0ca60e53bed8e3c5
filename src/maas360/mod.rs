//! IBM MaaS360: the `maas360` provider, the `maas360_script_user` resource, and the API client
//! (which knows nothing of Terraform).

pub mod client;
pub mod provider;
pub mod script_user;

pub use provider::{ADDRESS, Maas360Provider};
