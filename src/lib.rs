//! mdmkit: Terraform providers for MDM identity plumbing — the API credentials SaaS integrations
//! need from Jamf Pro and IBM MaaS360 — and a simulator of both APIs.
//!
//! Four layers, one direction (see DESIGN.md): the wire ([`plugin`]) speaks Terraform's plugin
//! protocol and knows no vendor; the [`framework`] gives resources typed models and Terraform's
//! plan rules; [`jamf`] and [`maas360`] hold the resources and their API clients (which know
//! nothing of Terraform); [`sim`] simulates both vendor APIs and shares no code with the clients.
//! [`devtools`] and [`bench`] drive real terraform, provider and simulator processes for
//! `cargo xtask` and the benchmark's smoke test; no provider uses them.

pub mod bench;
pub mod devtools;
pub mod docgen;
#[warn(missing_docs)]
pub mod framework;
pub mod jamf;
pub mod maas360;
#[warn(missing_docs)]
pub mod plugin;
pub mod rest;
pub mod settings;
pub mod sim;

/// The version of the providers.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
