//! The dev tools the tests, `cargo xtask` and the benchmark share to drive real processes: the one
//! terraform runner ([`terraform`]), a project-local provider mirror with its own Terraform CLI
//! configuration ([`mirror`]), the `mdm-sim` binary as a child process ([`SimProcess`]), the
//! host's platform name, and a Terraform-like AutoMTLS client ([`mtls`]). A dev-only crate: it depends on nothing of the providers' package or the
//! simulator, and neither depends on it, so the tests of both can use it without a cycle.

pub mod mirror;
pub mod mtls;
pub mod sim_process;
pub mod terraform;

use std::path::PathBuf;

pub use sim_process::SimProcess;
pub use terraform::{Terraform, TfOutput, Workdir, find_terraform, terraform_or_skip};

/// The version of every package of the workspace (`[workspace.package]`), so the providers'.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The providers this repository builds (`terraform-provider-<name>`).
pub const PROVIDERS: &[&str] = &["jamf", "maas360"];

/// The directory cargo put this process's sibling binaries in (`target/<profile>`), found from the
/// running executable: a test binary lives in `target/<profile>/deps`.
pub fn built_binaries_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the running executable has a path");
    let dir = exe.parent().expect("an executable has a directory");
    if dir.ends_with("deps") { dir.parent().expect("deps has a parent").to_path_buf() } else { dir.to_path_buf() }
}

/// A binary cargo built in this workspace (see [`built_binaries_dir`]), or an error that says how to
/// build it. `cargo test` from the workspace root builds every binary before it runs any test.
pub fn built_binary(name: &str) -> Result<PathBuf, String> {
    let p = built_binaries_dir().join(exe(name));
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!(
            "{} is not built: run `cargo test` from the workspace root (it builds every binary first), or \
             `cargo build --workspace --bins` before testing one package",
            p.display()
        ))
    }
}

/// `linux_amd64`-style platform name Terraform uses.
pub fn platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{os}_{arch}")
}

/// `name` with the platform's executable suffix.
pub fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}
