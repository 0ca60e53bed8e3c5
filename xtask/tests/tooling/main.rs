//! The tooling: `docs/` is what the generator makes, the install and release layouts work for
//! `terraform init` offline, the network mirror over HTTPS, signed releases, the release workflow,
//! and the benchmark's quick smoke run. The install, mirror and bench tests use the debug binaries
//! `cargo test` from the workspace root builds before any test runs.

mod bench_smoke;
mod dist;
mod docs;
mod install;
mod mirror;
mod support;
mod workflow;
