//! Project chores behind `cargo xtask`, as a library so that the repository's tests can check the
//! install and release layouts with the debug binaries, without a release build.
//!
//! - [`quickstart`]: the demo, both providers through real terraform against the bundled simulator.
//! - [`install`]: providers into a local plugin mirror, where `terraform init` finds them offline.
//! - [`dist`]: a release in the registry's format (signed when a key is given) and a provider
//!   network mirror.
//! - [`docs`]: `docs/` from the schemas, `examples/` and `templates/`.
//! - [`bench`]: the providers against `terraform_data` through real terraform (BENCHMARKS.md).

pub mod bench;
pub mod dist;
pub mod docgen;
pub mod docs;
pub mod install;
pub mod quickstart;
pub mod util;
