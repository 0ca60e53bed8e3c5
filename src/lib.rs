//! mdmkit: Terraform providers for MDM identity plumbing.
