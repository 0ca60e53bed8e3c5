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
    cargo_build_release(&["mdmkit", "mdm-sim"], None)
}

/// [`build_release`] and the benchmark's floor provider (`xtask/floor`), which only the benchmark runs.
pub fn build_bench_release() -> Result<PathBuf> {
    cargo_build_release(&["mdmkit", "mdm-sim", "bench-floor"], None)
}

/// `cargo build --release` of the two providers alone, for the host or for the Rust `target`
/// triple; returns the directory holding the binaries.
pub fn build_providers_release(target: Option<&str>) -> Result<PathBuf> {
    cargo_build_release(&["mdmkit"], target)
}

/// `cargo build --release --bins` of `packages`, for the host or for `target`; returns the
/// directory holding the binaries.
fn cargo_build_release(packages: &[&str], target: Option<&str>) -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root()).args(["build", "--release"]);
    for package in packages {
        cmd.args(["--package", package]);
    }
    cmd.arg("--bins");
    if let Some(t) = target {
        cmd.args(["--target", t]);
    }
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(match target {
            Some(t) => format!("cargo build --release --target {t} failed"),
            None => "cargo build --release failed".into(),
        });
    }
    Ok(match target {
        Some(t) => target_dir().join(t).join("release"),
        None => target_dir().join("release"),
    })
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

    /// The step was not done (for a reason `note` gives briefly).
    pub fn skipped(self, note: &str) {
        println!("  --  {:<58} {:>6.1}s  {note}", self.name, self.started.elapsed().as_secs_f64());
    }

    pub fn done_with(self, note: &str) {
        println!("  ok  {:<58} {:>6.1}s  {note}", self.name, self.started.elapsed().as_secs_f64());
    }
}

/// Terraform's `h1:` package hash ("dirhash" Hash1) of a package's files, given as `(path, bytes)`
/// with `/`-separated paths relative to the package root: the SHA-256 of the sorted listing of
/// `sha256-hex  path` lines, base64-encoded. It is the same whether Terraform unpacked the package
/// from a zip or found it unpacked, so one lock file entry fits both.
pub fn h1_of_files(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Result<String> {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let mut lines: Vec<(String, String)> = Vec::new();
    for (path, bytes) in files {
        // Terraform refuses such a package outright; never hash one as if it were fine.
        if path.contains('\n') {
            return Err(format!("a package file name contains a newline: {path:?}"));
        }
        lines.push((path, format!("{:x}", Sha256::digest(&bytes))));
    }
    lines.sort();
    let listing: String = lines.iter().map(|(path, hash)| format!("{hash}  {path}\n")).collect();
    Ok(format!("h1:{}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(listing.as_bytes()))))
}

/// [`h1_of_files`] of an unpacked package directory (every file below it). Used to tell users which
/// hash changed.
pub fn h1_hash(dir: &Path) -> Result<String> {
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    let mut contents = Vec::new();
    for rel in files {
        let bytes = std::fs::read(dir.join(&rel)).map_err(|e| format!("cannot read {rel}: {e}"))?;
        contents.push((rel, bytes));
    }
    h1_of_files(contents)
}

/// [`h1_of_files`] of a provider zip's files, as Terraform computes it after unpacking the zip.
pub fn h1_hash_zip(zip: &Path) -> Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(zip).map_err(|e| format!("cannot open {}: {e}", zip.display()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| format!("{} is not a zip: {e}", zip.display()))?;
    let mut contents = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| format!("{}: {e}", zip.display()))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().map_err(|e| format!("{}: {e}", zip.display()))?.to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|e| format!("cannot read {name} in {}: {e}", zip.display()))?;
        contents.push((name, bytes));
    }
    h1_of_files(contents)
}

/// Terraform's `zh:` hash of a provider zip: the hex SHA-256 of the zip file itself, as in the
/// release's `SHA256SUMS`.
pub fn zh_hash(zip: &Path) -> Result<String> {
    Ok(format!("zh:{}", sha256_file(zip)?))
}

/// The hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(format!("{:x}", Sha256::digest(&bytes)))
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
