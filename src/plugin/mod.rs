//! The wire: Terraform's plugin protocol 6 over gRPC (our gRPC server, `grpc`, on our HTTP/2,
//! `http2` and `hpack`, over a connection watched for reading only, `socket`) with go-plugin's
//! handshake, AutoMTLS, controller, stdio and health services, reattach/debug mode, hclog-JSON
//! logging, and the conversion of framework types to and from the protocol. It knows no vendor.

pub mod convert;
pub mod grpc;
pub mod hpack;
pub mod http2;
pub mod logging;
pub mod mtls;
pub mod proto;
pub mod serve;
pub mod service;
#[cfg(unix)]
pub mod socket;

pub use serve::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, ServeOptions, main, serve, serve_in_process};
