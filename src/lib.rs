//! mdmkit: Terraform providers for MDM identity plumbing.

pub mod sim;
