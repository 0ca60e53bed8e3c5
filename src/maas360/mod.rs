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
