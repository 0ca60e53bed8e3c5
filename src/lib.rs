//! mdmkit: Terraform providers for MDM identity plumbing.

pub mod jamf;
pub mod maas360;
pub mod rest;
