//! The vendor API clients: exact requests and error mapping against wiremock, and whole
//! lifecycles against the simulator.

#[path = "../common/mod.rs"]
pub mod common;

mod against_sim;
mod hostile;
mod jamf;
mod maas360;
