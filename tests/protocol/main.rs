//! The plugin protocol: the provider binaries and the fixture provider driven over gRPC as
//! Terraform drives them, the go-plugin handshake, bad input, and the value codecs.

#[path = "../common/mod.rs"]
pub mod common;

mod bad_input;
mod codecs;
mod handshake;
mod moves;
mod rpcs;
