//! mdmkit: Terraform providers for MDM identity plumbing — the API credentials SaaS integrations
//! need from Jamf Pro and IBM MaaS360 — and a simulator of both APIs.
//!
//! Four layers, one direction (see DESIGN.md): the wire ([`plugin`]) speaks Terraform's plugin
//! protocol and knows no vendor; the [`framework`] gives resources typed models and Terraform's
//! plan rules; [`jamf`] and [`maas360`] hold the resources and their API clients (which know
//! nothing of Terraform). The simulator of both vendor APIs is its own crate (`mdm-sim`, in `sim/`)
//! and shares no code with the clients; the tooling lives in `xtask` and the dev-only `devkit`.

pub mod framework;
pub mod jamf;
pub mod maas360;
pub mod plugin;
pub mod rest;
pub mod settings;

/// The version of the providers.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
