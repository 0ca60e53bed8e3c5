//! What `cargo xtask` and the benchmarks share to drive real processes: the `mdm-sim` binary as a
//! child process, a project-local provider mirror with its own Terraform CLI configuration, and the
//! host's platform name. Nothing here is used by the providers themselves.

pub mod mirror;
pub mod sim_process;

use std::path::PathBuf;

pub use sim_process::SimProcess;

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

/// The terraform executable: `$TERRAFORM`, else `terraform` on the `PATH`.
pub fn find_terraform() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TERRAFORM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(exe("terraform"))).find(|p| p.is_file())
}

/// Environment variables a child terraform must not inherit from the caller: Terraform's own
/// (`TF_*`: CLI configuration, logging, reattach, plugin cache, workspace) and the providers'
/// credentials (`JAMF*`, `MAAS360_*`), which would mix with the ones set for the simulator.
pub fn is_inherited_setting(name: &str) -> bool {
    name.starts_with("TF_") || name.starts_with("JAMF") || name.starts_with("MAAS360_")
}
