//! The wire layer: everything that speaks gRPC to Terraform.

pub mod proto;
