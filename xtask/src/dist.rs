//! `cargo xtask dist`: a release of both providers in the public registry's format, and a
//! provider network mirror a team can host anywhere.
//!
//! Two steps, which the release workflow (`.github/workflows/release.yml`) runs apart, one
//! [`package`] job per platform on its native runner and one [`assemble`] job:
//!
//! - [`package`]: per provider one `terraform-provider-<name>_<version>_<os>_<arch>.zip`, holding
//!   the binary as `terraform-provider-<name>_v<version>` (`.exe` on Windows);
//! - [`assemble`]: from the zips of every platform, per provider the protocol-6
//!   `terraform-provider-<name>_<version>_manifest.json`, the `..._SHA256SUMS` over the zips and the
//!   manifest, its detached binary signature `..._SHA256SUMS.sig` when a GPG key is given, and the
//!   network mirror: `mirror/registry.terraform.io/mdmkit/<name>/index.json`, `<version>.json`
//!   (each archive's relative URL with its `h1:` and `zh:` hashes) and the zips.
//!
//! Plain `cargo xtask dist` does both for whatever this machine's toolchain can build (the host at
//! least) and lists the platforms it did not build. The version comes from `Cargo.toml`, and a
//! version that `CHANGELOG.md` has no entry for is refused.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use devkit::mirror::NAMESPACE;

use crate::util::{self, PROVIDERS, Result, Step, VERSION};

/// The manifest the registry reads: the providers speak plugin protocol 6 only.
pub const MANIFEST: &str = "{\n  \"version\": 1,\n  \"metadata\": {\n    \"protocol_versions\": [\"6.0\"]\n  }\n}\n";

/// The registry host of the providers' source addresses: `source = "mdmkit/jamf"` in
/// `required_providers` means `registry.terraform.io/mdmkit/jamf`, and a network mirror serves
/// it under that host name.
pub const HOSTNAME: &str = "registry.terraform.io";

/// Where the signing key's fingerprint (or any key id gpg's `--local-user` takes) is read from.
pub const SIGN_KEY_ENV: &str = "MDMKIT_GPG_FINGERPRINT";
/// The signing key's passphrase, if it has one (fed to gpg on stdin, never on a command line).
pub const PASSPHRASE_ENV: &str = "MDMKIT_GPG_PASSPHRASE";

/// A platform a release is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform {
    /// Terraform's name, `<os>_<arch>`.
    pub name: &'static str,
    /// The Rust target triple.
    pub target: &'static str,
    /// The GitHub Actions runner that builds it natively (`.github/workflows/release.yml`).
    pub runner: &'static str,
}

/// Every platform a release holds: Macs (most Jamf admins use one), Linux CI runners and agents,
/// Windows.
pub const PLATFORMS: &[Platform] = &[
    Platform { name: "darwin_arm64", target: "aarch64-apple-darwin", runner: "macos-14" },
    Platform { name: "darwin_amd64", target: "x86_64-apple-darwin", runner: "macos-13" },
    Platform { name: "linux_amd64", target: "x86_64-unknown-linux-gnu", runner: "ubuntu-latest" },
    Platform { name: "linux_arm64", target: "aarch64-unknown-linux-gnu", runner: "ubuntu-24.04-arm" },
    Platform { name: "windows_amd64", target: "x86_64-pc-windows-msvc", runner: "windows-latest" },
];

/// The release platform named `name`, or an error listing them.
pub fn platform_named(name: &str) -> Result<&'static Platform> {
    PLATFORMS.iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = PLATFORMS.iter().map(|p| p.name).collect();
        format!("unknown platform {name:?}: a release is built for {}", names.join(", "))
    })
}

/// `name` with Windows' `.exe` when `platform` is a Windows one (whatever the host is).
fn exe_for(platform: &str, name: &str) -> String {
    if platform.starts_with("windows_") { format!("{name}.exe") } else { name.to_string() }
}

/// `terraform-provider-<name>`.
fn project(name: &str) -> String {
    format!("terraform-provider-{name}")
}

/// The release zip of provider `name` for `platform`.
pub fn zip_name(name: &str, version: &str, platform: &str) -> String {
    format!("{}_{version}_{platform}.zip", project(name))
}

/// The release's checksum file of provider `name`.
pub fn sums_name(name: &str, version: &str) -> String {
    format!("{}_{version}_SHA256SUMS", project(name))
}

/// The release's manifest of provider `name`.
pub fn manifest_name(name: &str, version: &str) -> String {
    format!("{}_{version}_manifest.json", project(name))
}

// ---------------------------------------------------------------------------------------------
// The CHANGELOG

/// The CHANGELOG's entry for a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangelogEntry {
    /// The heading line, e.g. `## 0.1.0 (December 2, 2026)`.
    pub heading: String,
    /// The heading says "Unreleased": the version is still being written.
    pub unreleased: bool,
}

/// The entry of `changelog` (the text of `CHANGELOG.md`) for `version`: a `## <version>` heading
/// (HashiCorp's `## 0.1.0 (Unreleased)` / `## 0.1.0 (December 2, 2026)`, or Keep a Changelog's
/// `## [0.1.0] - 2026-12-02`) with at least one line under it. Without one the release is refused:
/// its users would get a version nobody described.
pub fn changelog_entry(changelog: &str, version: &str) -> Result<ChangelogEntry> {
    let lines: Vec<&str> = changelog.lines().collect();
    let mut versions = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix("## ") else { continue };
        let rest = rest.trim();
        let first = rest.split_whitespace().next().unwrap_or_default();
        let named = first.trim_start_matches('[').trim_end_matches(']').trim_start_matches('v');
        versions.push(named.to_string());
        if named != version {
            continue;
        }
        let body = lines[i + 1..].iter().take_while(|l| !l.starts_with("## ")).any(|l| !l.trim().is_empty());
        if !body {
            return Err(format!(
                "CHANGELOG.md has a heading for {version} ({line:?}) but nothing under it: list what changed \
                 in {version} before releasing it"
            ));
        }
        return Ok(ChangelogEntry {
            heading: line.to_string(),
            unreleased: rest.to_ascii_lowercase().contains("unreleased"),
        });
    }
    let known = if versions.is_empty() {
        "it has no `## <version>` heading at all".to_string()
    } else {
        format!("it describes {}", versions.join(", "))
    };
    Err(format!(
        "refusing to release {version}: CHANGELOG.md has no entry for it ({known}). Add a `## {version}` section \
         saying what changed, or set `version` in Cargo.toml's [workspace.package] to the version the CHANGELOG \
         describes"
    ))
}

/// The entry of the repository's own `CHANGELOG.md` for this version.
pub fn repository_changelog_entry() -> Result<ChangelogEntry> {
    let path = util::root().join("CHANGELOG.md");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    changelog_entry(&text, VERSION)
}

// ---------------------------------------------------------------------------------------------
// Signing

/// A GPG key that signs the `SHA256SUMS` files, through the `gpg` command.
#[derive(Clone)]
pub struct Signer {
    /// The gpg executable.
    pub gpg: PathBuf,
    /// The key: a fingerprint, or any id `gpg --local-user` takes.
    pub key: String,
    /// The key's passphrase, if it has one.
    pub passphrase: Option<String>,
    /// `GNUPGHOME`, when not gpg's default.
    pub home: Option<PathBuf>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("gpg", &self.gpg)
            .field("key", &self.key)
            .field("passphrase", &self.passphrase.as_ref().map(|_| "<redacted>"))
            .field("home", &self.home)
            .finish()
    }
}

impl Signer {
    /// A signer for `key` with gpg from `$GPG` (else `gpg` on the PATH) and the passphrase from
    /// [`PASSPHRASE_ENV`].
    pub fn new(key: &str) -> Signer {
        Signer {
            gpg: std::env::var_os("GPG").filter(|g| !g.is_empty()).map(PathBuf::from).unwrap_or_else(|| "gpg".into()),
            key: key.to_string(),
            passphrase: std::env::var(PASSPHRASE_ENV).ok().filter(|p| !p.is_empty()),
            home: None,
        }
    }

    /// The signer `--sign-key` or [`SIGN_KEY_ENV`] names, if any.
    pub fn from_arg_or_env(arg: Option<&str>) -> Option<Signer> {
        let key = arg.map(str::to_string).or_else(|| std::env::var(SIGN_KEY_ENV).ok());
        key.filter(|k| !k.trim().is_empty()).map(|k| Signer::new(k.trim()))
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.gpg);
        cmd.arg("--batch");
        if let Some(home) = &self.home {
            cmd.env("GNUPGHOME", home);
        }
        cmd
    }

    fn run(&self, mut cmd: Command, what: &str) -> Result<String> {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(if self.passphrase.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = cmd.spawn().map_err(|e| {
            format!(
                "cannot run {} to {what} ({e}): install GnuPG (`apt-get install gnupg`, `brew install gnupg`), or set \
                 GPG to its path",
                self.gpg.display()
            )
        })?;
        if let (Some(pass), Some(mut stdin)) = (&self.passphrase, child.stdin.take()) {
            let _ = stdin.write_all(format!("{pass}\n").as_bytes());
        }
        let out = child.wait_with_output().map_err(|e| format!("gpg did not finish: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "gpg could not {what} with key {:?}: {}",
                self.key,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Whether gpg runs and holds the secret key, before anything is built.
    pub fn check(&self) -> Result<()> {
        let mut cmd = self.command();
        cmd.arg("--list-secret-keys").arg(&self.key);
        let spawn_error = format!("cannot run {}", self.gpg.display());
        self.run(cmd, "find the signing key").map(|_| ()).map_err(|e| {
            if e.starts_with(&spawn_error) {
                e
            } else {
                format!(
                    "gpg has no secret key {:?} to sign with: import it (`gpg --import`), or set {SIGN_KEY_ENV} to                      a fingerprint `gpg --list-secret-keys` shows",
                    self.key
                )
            }
        })
    }

    /// Sign `file` into `<file>.sig` (detached, binary, as the registry wants), check the signature
    /// and return the fingerprint of the key that made it.
    pub fn sign(&self, file: &Path) -> Result<(PathBuf, String)> {
        let sig = PathBuf::from(format!("{}.sig", file.display()));
        let mut cmd = self.command();
        cmd.arg("--yes");
        if self.passphrase.is_some() {
            cmd.args(["--pinentry-mode", "loopback", "--passphrase-fd", "0"]);
        }
        cmd.arg("--local-user").arg(&self.key).arg("--output").arg(&sig).arg("--detach-sign").arg(file);
        self.run(cmd, &format!("sign {}", file.display()))?;
        let fingerprint = self.verify(&sig, file)?;
        Ok((sig, fingerprint))
    }

    /// Check the detached signature `sig` of `file`; returns the signing key's fingerprint.
    pub fn verify(&self, sig: &Path, file: &Path) -> Result<String> {
        let mut cmd = self.command();
        cmd.args(["--status-fd", "1", "--verify"]).arg(sig).arg(file);
        let status = self.run(cmd, &format!("verify {}", sig.display()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("[GNUPG:] VALIDSIG "))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_string)
            .ok_or_else(|| format!("gpg did not report a valid signature on {}:\n{status}", file.display()))
    }

    /// The public key, ASCII-armoured, for users to `gpg --import` before they verify.
    pub fn public_key(&self) -> Result<String> {
        let mut cmd = self.command();
        cmd.args(["--armor", "--export"]).arg(&self.key);
        let key = self.run(cmd, "export the public key")?;
        if key.trim().is_empty() {
            return Err(format!("gpg has no public key {:?}", self.key));
        }
        Ok(key)
    }
}

// ---------------------------------------------------------------------------------------------
// Package: the zips of one platform

fn zip_one(bin: &Path, name_in_zip: &str, out: &Path) -> Result<()> {
    use zip::write::SimpleFileOptions;
    let bytes = std::fs::read(bin).map_err(|e| format!("cannot read {}: {e}", bin.display()))?;
    let file = std::fs::File::create(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    // No time stamp (the zip epoch): the same binary always gives the same zip, and `zh:` hash.
    let opts =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).unix_permissions(0o755);
    zip.start_file(name_in_zip, opts).map_err(|e| e.to_string())?;
    zip.write_all(&bytes).map_err(|e| e.to_string())?;
    zip.finish().map_err(|e| e.to_string())?;
    Ok(())
}

/// Zip the provider binaries found in `bin_dir` (as cargo names them for `platform`:
/// `terraform-provider-<name>`, `.exe` on Windows) into `out` as the release zips of `platform`.
pub fn package(bin_dir: &Path, platform: &str, out: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut written = Vec::new();
    for name in PROVIDERS {
        let bin = bin_dir.join(exe_for(platform, &project(name)));
        let in_zip = exe_for(platform, &format!("{}_v{VERSION}", project(name)));
        let zip = out.join(zip_name(name, VERSION, platform));
        zip_one(&bin, &in_zip, &zip)?;
        written.push(zip);
    }
    Ok(written)
}

// ---------------------------------------------------------------------------------------------
// Assemble: sums, signatures, manifest, mirror

/// What [`assemble`] is given besides the zips.
#[derive(Debug, Default)]
pub struct AssembleOptions {
    /// The signing key; `None` makes an unsigned release.
    pub signer: Option<Signer>,
    /// The CHANGELOG entry of this version (see [`changelog_entry`]).
    pub changelog: Option<ChangelogEntry>,
    /// Where to write the network mirror (default `<out>/mirror`). Versions already in it stay
    /// listed.
    pub mirror: Option<PathBuf>,
    /// Refuse unless every platform of [`PLATFORMS`] has its zips.
    pub require_all_platforms: bool,
}

/// What [`assemble`] wrote.
#[derive(Debug)]
pub struct Assembled {
    /// The release files (zips, manifests, sums, signatures, public key), in `out`.
    pub files: Vec<PathBuf>,
    /// The network mirror's root directory (what a team copies to its host).
    pub mirror: PathBuf,
    /// The platforms released, in name order (the same for both providers).
    pub platforms: Vec<String>,
    /// The fingerprint of the key that signed the sums, when signed.
    pub signed_by: Option<String>,
    /// Zips found for other versions, left out.
    pub ignored: Vec<PathBuf>,
}

/// Each provider's zips, by platform.
type ZipsByProvider = BTreeMap<&'static str, BTreeMap<String, PathBuf>>;

/// The zips of each provider at this version in `dir` (not below it), and those of other versions.
fn find_zips(dir: &Path) -> Result<(ZipsByProvider, Vec<PathBuf>)> {
    let mut found = ZipsByProvider::new();
    let mut ignored = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(stem) = file.strip_suffix(".zip") else { continue };
        for name in PROVIDERS {
            let Some(rest) = stem.strip_prefix(&format!("{}_", project(name))) else { continue };
            let Some((version, platform)) = rest.split_once('_') else { continue };
            if version != VERSION {
                ignored.push(e.path());
                continue;
            }
            let valid = platform.split_once('_').is_some_and(|(os, arch)| {
                !os.is_empty() && !arch.is_empty() && platform.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
            if !valid {
                return Err(format!("{file}: {platform:?} is not a platform name like linux_amd64"));
            }
            found.entry(name).or_default().insert(platform.to_string(), e.path());
        }
    }
    Ok((found, ignored))
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::copy(from, to).map(|_| ()).map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

fn json(v: &serde_json::Value) -> String {
    format!("{}\n", serde_json::to_string_pretty(v).expect("JSON values serialise"))
}

/// Write the network mirror of provider `name` into `dir`
/// (`<mirror>/registry.terraform.io/mdmkit/<name>`): the zips, `<version>.json` and `index.json`
/// (keeping the versions it listed before, whose files are still there).
fn write_mirror(dir: &Path, name: &str, zips: &BTreeMap<String, PathBuf>) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // A rebuilt version replaces its zips: none of the old ones may linger unlisted.
    let stale = format!("{}_{VERSION}_", project(name));
    for e in std::fs::read_dir(dir).map_err(|e| e.to_string())?.flatten() {
        let f = e.file_name().to_string_lossy().into_owned();
        if f.starts_with(&stale) && f.ends_with(".zip") {
            std::fs::remove_file(e.path()).map_err(|e| format!("cannot remove {f}: {e}"))?;
        }
    }
    let mut archives = serde_json::Map::new();
    for (platform, zip) in zips {
        let file = zip_name(name, VERSION, platform);
        copy(zip, &dir.join(&file))?;
        archives.insert(
            platform.clone(),
            serde_json::json!({
                // Relative to this file's URL, as the protocol allows: the mirror works wherever it
                // is hosted.
                "url": file,
                "hashes": [util::h1_hash_zip(zip)?, util::zh_hash(zip)?],
            }),
        );
    }
    write(&dir.join(format!("{VERSION}.json")), &json(&serde_json::json!({ "archives": archives })))?;

    let index = dir.join("index.json");
    let mut versions = serde_json::Map::new();
    if let Ok(text) = std::fs::read_to_string(&index) {
        let old: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", index.display()))?;
        if let Some(old) = old["versions"].as_object() {
            for v in old.keys().filter(|v| dir.join(format!("{v}.json")).is_file()) {
                versions.insert(v.clone(), serde_json::json!({}));
            }
        }
    }
    versions.insert(VERSION.to_string(), serde_json::json!({}));
    write(&index, &json(&serde_json::json!({ "versions": versions })))
}

/// From the zips in `zips` (the output of [`package`] for one or more platforms, side by side),
/// write the release into `out` (the zips, when they are elsewhere, the manifests, the
/// `SHA256SUMS` and, with a signer, their signatures and the public key) and the network mirror.
pub fn assemble(zips: &Path, out: &Path, opts: &AssembleOptions) -> Result<Assembled> {
    if let (Some(_), Some(entry)) = (&opts.signer, &opts.changelog)
        && entry.unreleased
    {
        return Err(format!(
            "refusing to sign {VERSION}: CHANGELOG.md still marks it unreleased ({:?}). Date the heading (for example \
             `## {VERSION} (January 5, 2027)`) before you sign and publish it",
            entry.heading
        ));
    }
    let (found, ignored) = find_zips(zips)?;
    let mut platforms: Option<Vec<String>> = None;
    for name in PROVIDERS {
        let got: Vec<String> = found.get(name).map(|m| m.keys().cloned().collect()).unwrap_or_default();
        if got.is_empty() {
            return Err(format!(
                "no {} zip of version {VERSION} in {}: run `cargo xtask dist package` first",
                project(name),
                zips.display()
            ));
        }
        match &platforms {
            None => platforms = Some(got),
            Some(p) if *p != got => {
                return Err(format!(
                    "the providers' zips in {} are for different platforms ({}: {}; {}: {}): every platform needs both",
                    zips.display(),
                    PROVIDERS[0],
                    p.join(", "),
                    name,
                    got.join(", ")
                ));
            }
            Some(_) => {}
        }
    }
    let platforms = platforms.unwrap_or_default();
    if opts.require_all_platforms {
        let missing: Vec<&str> =
            PLATFORMS.iter().map(|p| p.name).filter(|p| !platforms.iter().any(|q| q == p)).collect();
        if !missing.is_empty() {
            return Err(format!("this release must hold every platform; no zips for {}", missing.join(", ")));
        }
    }

    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let same_dir = std::fs::canonicalize(zips).ok() == std::fs::canonicalize(out).ok();
    let mirror = opts.mirror.clone().unwrap_or_else(|| out.join("mirror"));
    let mut files = Vec::new();
    let mut signed_by = None;
    for name in PROVIDERS {
        let zips = &found[name];
        let mut listed = Vec::new();
        for (platform, zip) in zips {
            let file = zip_name(name, VERSION, platform);
            if !same_dir {
                copy(zip, &out.join(&file))?;
            }
            listed.push(file);
        }
        let manifest = manifest_name(name, VERSION);
        write(&out.join(&manifest), MANIFEST)?;
        listed.push(manifest);
        listed.sort();
        let mut sums = String::new();
        for f in &listed {
            sums.push_str(&format!("{}  {f}\n", util::sha256_file(&out.join(f))?));
        }
        let sums_path = out.join(sums_name(name, VERSION));
        write(&sums_path, &sums)?;
        files.extend(listed.iter().map(|f| out.join(f)));
        files.push(sums_path.clone());
        let sig = PathBuf::from(format!("{}.sig", sums_path.display()));
        match &opts.signer {
            Some(signer) => {
                let (sig, fingerprint) = signer.sign(&sums_path)?;
                files.push(sig);
                signed_by = Some(fingerprint);
            }
            // A signature of earlier sums would not match these.
            None if sig.exists() => {
                std::fs::remove_file(&sig).map_err(|e| format!("cannot remove the stale {}: {e}", sig.display()))?;
            }
            None => {}
        }
        write_mirror(&mirror.join(HOSTNAME).join(NAMESPACE).join(name), name, zips)?;
    }
    let key_file = out.join(format!("mdmkit_{VERSION}_signing_key.asc"));
    match &opts.signer {
        Some(signer) => {
            write(&key_file, &signer.public_key()?)?;
            files.push(key_file);
        }
        None if key_file.exists() => {
            std::fs::remove_file(&key_file).map_err(|e| format!("cannot remove {}: {e}", key_file.display()))?;
        }
        None => {}
    }
    Ok(Assembled { files, mirror, platforms, signed_by, ignored })
}

// ---------------------------------------------------------------------------------------------
// The command

/// Which part of a release `cargo xtask dist` makes.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Build what this machine can, package it and assemble the release.
    All {
        /// Signing key (else [`SIGN_KEY_ENV`]).
        sign_key: Option<String>,
        /// Mirror directory (default `<out>/mirror`).
        mirror: Option<PathBuf>,
    },
    /// Build and zip one platform (default: the host).
    Package {
        /// The platform, e.g. `linux_arm64`.
        platform: Option<String>,
    },
    /// Assemble the release from the zips of every platform.
    Assemble {
        /// Where the zips are.
        zips: PathBuf,
        /// Signing key (else [`SIGN_KEY_ENV`]).
        sign_key: Option<String>,
        /// Mirror directory (default `<out>/mirror`).
        mirror: Option<PathBuf>,
        /// The git tag being released: must be `v<version>`.
        tag: Option<String>,
        /// Refuse unless every platform is there.
        require_all_platforms: bool,
    },
}

/// The release platform of this machine.
pub fn host_platform() -> Result<&'static Platform> {
    platform_named(&util::platform())
        .map_err(|_| format!("this machine ({}) is not a platform releases are built for", util::platform()))
}

/// Whether the Rust standard library for `target` is installed (`rustup target add`).
fn std_installed(target: &str) -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(rustc).args(["--print", "sysroot"]).output() else { return false };
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    sysroot.join("lib").join("rustlib").join(target).join("lib").is_dir()
}

/// Build and zip `platform` into `out`: natively on its own machine, else cross-compiled when the
/// toolchain has the target. Returns the zips, or why it could not be built here.
fn build_and_package(platform: &Platform, out: &Path) -> std::result::Result<Vec<PathBuf>, String> {
    let host = host_platform().ok().map(|p| p.name);
    let bin_dir = if host == Some(platform.name) {
        util::build_providers_release(None)?
    } else if std_installed(platform.target) {
        util::build_providers_release(Some(platform.target)).map_err(|e| {
            format!(
                "{e} (cross-compiling needs a linker and, for macOS, its SDK; the release workflow builds it on {})",
                platform.runner
            )
        })?
    } else {
        return Err(format!(
            "no Rust standard library for {} here (`rustup target add {}`, plus a linker for it); the release \
             workflow builds it on {}",
            platform.target, platform.target, platform.runner
        ));
    };
    package(&bin_dir, platform.name, out)
}

/// Remove this version's zips from `dir`, so that a platform this run does not build is not
/// released from an earlier run's leftovers.
fn clear_zips(dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    for e in entries.flatten() {
        let f = e.file_name().to_string_lossy().into_owned();
        if f.ends_with(".zip") && PROVIDERS.iter().any(|n| f.starts_with(&format!("{}_{VERSION}_", project(n)))) {
            std::fs::remove_file(e.path()).map_err(|e| format!("cannot remove {f}: {e}"))?;
        }
    }
    Ok(())
}

fn print_files(files: &[PathBuf]) {
    for f in files {
        println!("  {}", f.display());
    }
}

fn check_tag(tag: Option<&str>) -> Result<()> {
    match tag {
        Some(t) if t.trim_start_matches("refs/tags/") != format!("v{VERSION}") => Err(format!(
            "the tag {t:?} does not match the version in Cargo.toml ({VERSION}): tag v{VERSION}, or change the version"
        )),
        _ => Ok(()),
    }
}

fn report(done: &Assembled) {
    print_files(&done.files);
    println!("\nNetwork mirror (copy this directory to a static HTTPS host; see README \"Install for a team\"):");
    println!("  {}", done.mirror.display());
    println!("  platforms: {}", done.platforms.join(", "));
    for f in &done.ignored {
        println!("  (left out {}: not version {VERSION})", f.display());
    }
    match &done.signed_by {
        Some(fpr) => println!("\nSigned: each *_SHA256SUMS has its detached signature (*.sig) by key {fpr}."),
        None => println!(
            "\nUNSIGNED RELEASE: no signing key was given, so no *_SHA256SUMS has a signature. The public registry \
             refuses unsigned releases (a network mirror does not need one: Terraform checks the hashes in \
             <version>.json). To sign, set {SIGN_KEY_ENV} to the key's fingerprint (and {PASSPHRASE_ENV} if it \
             has a passphrase), or pass --sign-key."
        ),
    }
}

pub fn run(mode: Mode, out: Option<PathBuf>) -> Result<()> {
    let out = out.unwrap_or_else(|| util::target_dir().join("dist"));
    // Before minutes of building: the names depend on the version, which must be described.
    let entry = repository_changelog_entry()?;
    if entry.unreleased {
        println!(
            "Note: CHANGELOG.md marks {VERSION} unreleased ({:?}): fine for a try, but date the heading before \
             publishing (a signed release requires it).\n",
            entry.heading
        );
    }
    match mode {
        Mode::Package { platform } => {
            let platform = match platform {
                Some(p) => platform_named(&p)?,
                None => host_platform()?,
            };
            let step = Step::start(format!("build and zip {}", platform.name));
            let zips = build_and_package(platform, &out)?;
            step.done();
            print_files(&zips);
            Ok(())
        }
        Mode::Assemble { zips, sign_key, mirror, tag, require_all_platforms } => {
            check_tag(tag.as_deref())?;
            let signer = Signer::from_arg_or_env(sign_key.as_deref());
            if let Some(s) = &signer {
                s.check()?;
            }
            let step = Step::start("checksums, signatures, manifest and network mirror");
            let opts = AssembleOptions { signer, changelog: Some(entry), mirror, require_all_platforms };
            let done = assemble(&zips, &out, &opts)?;
            step.done();
            report(&done);
            Ok(())
        }
        Mode::All { sign_key, mirror } => {
            let signer = Signer::from_arg_or_env(sign_key.as_deref());
            if signer.is_some() && entry.unreleased {
                return Err(format!(
                    "refusing to sign {VERSION}: CHANGELOG.md still marks it unreleased ({:?}); date the heading first",
                    entry.heading
                ));
            }
            if let Some(s) = &signer {
                s.check()?;
            }
            let host = host_platform()?;
            clear_zips(&out)?;
            let mut not_built = Vec::new();
            // The host first: without it there is no release.
            let mut order: Vec<&Platform> = vec![host];
            order.extend(PLATFORMS.iter().filter(|p| p.name != host.name));
            for platform in order {
                let step = Step::start(format!("build and zip {}", platform.name));
                match build_and_package(platform, &out) {
                    Ok(_) => step.done(),
                    Err(e) if platform.name == host.name => return Err(e),
                    Err(e) => {
                        step.skipped("not built (see below)");
                        not_built.push((platform.name, e));
                    }
                }
            }
            let step = Step::start("checksums, signatures, manifest and network mirror");
            let opts = AssembleOptions { signer, changelog: Some(entry), mirror, require_all_platforms: false };
            let done = assemble(&out, &out, &opts)?;
            step.done();
            report(&done);
            if !not_built.is_empty() {
                println!("\nNot built on this machine:");
                for (name, why) in &not_built {
                    println!("  {name}: {why}");
                }
                println!(
                    "The release workflow (.github/workflows/release.yml) builds every platform on its own runner."
                );
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str =
        "## 0.2.0 (Unreleased)\n\nFEATURES:\n\n* x\n\n## 0.1.0 (December 2, 2026)\n\n* first\n\n## 0.0.9\n\n";

    #[test]
    fn the_changelog_entry_of_a_version() {
        let e = changelog_entry(LOG, "0.1.0").unwrap();
        assert_eq!(e, ChangelogEntry { heading: "## 0.1.0 (December 2, 2026)".into(), unreleased: false });
        assert!(changelog_entry(LOG, "0.2.0").unwrap().unreleased);
        assert!(!changelog_entry("## [1.2.3] - 2026-01-01\n- a\n", "1.2.3").unwrap().unreleased);
        assert!(changelog_entry("## v1.2.3\n- a\n", "1.2.3").is_ok());
    }

    #[test]
    fn a_version_without_an_entry_is_refused_saying_what_the_changelog_has() {
        let e = changelog_entry(LOG, "0.3.0").unwrap_err();
        assert!(e.contains("refusing to release 0.3.0"), "{e}");
        assert!(e.contains("describes 0.2.0, 0.1.0, 0.0.9"), "{e}");
        // A prefix of another version is not its entry.
        assert!(changelog_entry("## 0.1.00\n* a\n", "0.1.0").is_err());
        let e = changelog_entry(LOG, "0.0.9").unwrap_err();
        assert!(e.contains("nothing under it"), "{e}");
    }

    #[test]
    fn the_repository_changelog_describes_this_version() {
        repository_changelog_entry().unwrap();
    }

    #[test]
    fn windows_names_end_in_exe_whatever_the_host() {
        assert_eq!(exe_for("windows_amd64", "terraform-provider-jamf_v0.1.0"), "terraform-provider-jamf_v0.1.0.exe");
        assert_eq!(exe_for("darwin_arm64", "terraform-provider-jamf_v0.1.0"), "terraform-provider-jamf_v0.1.0");
    }

    #[test]
    fn the_passphrase_never_shows_in_debug_output() {
        let s = Signer { gpg: "gpg".into(), key: "ABC".into(), passphrase: Some("hunter2".into()), home: None };
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn a_tag_must_name_this_version() {
        check_tag(Some(&format!("v{VERSION}"))).unwrap();
        check_tag(Some(&format!("refs/tags/v{VERSION}"))).unwrap();
        check_tag(None).unwrap();
        assert!(check_tag(Some("v99.0.0")).unwrap_err().contains("does not match"));
    }

    #[test]
    fn the_host_is_a_release_platform_here() {
        // The machines this repository is developed and tested on are all release platforms.
        assert_eq!(host_platform().unwrap().name, util::platform());
    }
}
