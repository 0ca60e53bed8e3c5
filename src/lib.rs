//! mdmkit: Terraform providers for MDM identity plumbing.

pub mod framework;
pub mod plugin;
