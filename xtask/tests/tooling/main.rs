//! The tooling: `docs/` is what the generator makes, the install and release layouts work for
//! `terraform init` offline, and the benchmark's quick smoke run. The install and bench tests use
//! the debug binaries `cargo test` from the workspace root builds before any test runs.

mod bench_smoke;
mod docs;
mod install;
