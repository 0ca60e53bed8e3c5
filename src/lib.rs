//! mdmkit: Terraform providers for MDM identity plumbing.

pub mod jamf;
pub mod rest;
