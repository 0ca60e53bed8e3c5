//! Acceptance tests: real terraform, the real provider binaries and the simulator: each
//! provider's resources, the fault campaign, and the examples users copy from.

#[path = "../common/mod.rs"]
pub mod common;

mod adopt;
mod disabled;
mod drift;
mod examples;
mod faults;
mod inventory;
mod jamf;
mod maas360;
mod moved;
mod plan_checks;
mod trust;
