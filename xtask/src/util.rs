//! Shared helpers: repository paths, cargo builds, the host platform, terraform runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub type Result<T> = std::result::Result<T, String>;

pub use devkit::{PROVIDERS, VERSION, exe, platform};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the repository").to_path_buf()
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// `cargo build --release` of the two providers and the simulator; returns the release dir.
pub fn build_release() -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root())
        .args(["build", "--release", "--package", "mdmkit", "--package", "mdm-sim", "--bins"])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("cargo build --release failed".into());
    }
    Ok(target_dir().join("release"))
}

/// The terraform executable (`$TERRAFORM`, else `terraform` on the PATH).
pub fn terraform() -> Result<PathBuf> {
    devkit::find_terraform()
        .ok_or_else(|| "terraform is not on the PATH (install Terraform 1.11 or later, or set TERRAFORM)".into())
}

/// A step of a long command: prints one line with its duration when it ends.
pub struct Step {
    name: String,
    started: Instant,
}

impl Step {
    pub fn start(name: impl Into<String>) -> Step {
        Step { name: name.into(), started: Instant::now() }
    }

    pub fn done(self) {
        println!("  ok  {:<58} {:>6.1}s", self.name, self.started.elapsed().as_secs_f64());
    }

    pub fn done_with(self, note: &str) {
        println!("  ok  {:<58} {:>6.1}s  {note}", self.name, self.started.elapsed().as_secs_f64());
    }
}

/// Terraform's `h1:` package hash of a directory (its "dirhash" Hash1): the SHA-256 of a listing of
/// `sha256-hex  relative/path` lines, base64-encoded. Used to tell users which hash changed.
pub fn h1_hash(dir: &Path) -> Result<String> {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    files.sort();
    let mut listing = String::new();
    for rel in files {
        let bytes = std::fs::read(dir.join(&rel)).map_err(|e| format!("cannot read {rel}: {e}"))?;
        listing.push_str(&format!("{:x}  {rel}\n", Sha256::digest(&bytes)));
    }
    Ok(format!("h1:{}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(listing.as_bytes()))))
}

fn collect_files(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for e in std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_files(base, &p, out)?;
        } else if let Ok(rel) = p.strip_prefix(base) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}
