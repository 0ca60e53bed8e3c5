//! `cargo xtask dist`'s release: the names and contents the public registry requires, the network
//! mirror's index and hashes, the refusals (no CHANGELOG entry, a missing platform, signing an
//! unreleased version), and `SHA256SUMS` signed with a throwaway GPG key made here and verified
//! with `gpg --verify`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use devkit::terraform_or_skip;
use sha2::{Digest, Sha256};
use xtask::dist::{self, AssembleOptions, ChangelogEntry, Signer};
use xtask::{install, util};

use crate::support::{Tf, bin_dir, locked_hashes, workdir};

const V: &str = util::VERSION;

/// Small stand-ins for the provider binaries of `platform` in `dir` (named as cargo names them
/// there), so that zipping is fast; real binaries go through terraform in the mirror test.
fn fake_binaries(dir: &Path, platform: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let exe = if platform.starts_with("windows_") { ".exe" } else { "" };
    for name in util::PROVIDERS {
        std::fs::write(dir.join(format!("terraform-provider-{name}{exe}")), format!("{name} for {platform}")).unwrap();
    }
}

/// Zips for `platforms` made from stand-ins, in `tmp/zips`.
fn fake_zips(tmp: &Path, platforms: &[&str]) -> PathBuf {
    let zips = tmp.join("zips");
    for p in platforms {
        let bins = tmp.join("bin").join(p);
        fake_binaries(&bins, p);
        dist::package(&bins, p, &zips).unwrap();
    }
    zips
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn released() -> ChangelogEntry {
    ChangelogEntry { heading: format!("## {V} (December 2, 2026)"), unreleased: false }
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

#[test]
fn release_files_are_named_and_made_as_the_registry_requires() {
    let tmp = tempfile::tempdir().unwrap();
    let platforms = ["linux_amd64", "windows_amd64"];
    let zips = fake_zips(tmp.path(), &platforms);
    let out = tmp.path().join("dist");
    let done = dist::assemble(&zips, &out, &AssembleOptions::default()).unwrap();
    assert_eq!(done.platforms, platforms);
    assert_eq!(done.signed_by, None);

    let mut want = Vec::new();
    for name in util::PROVIDERS {
        for p in platforms {
            want.push(format!("terraform-provider-{name}_{V}_{p}.zip"));
        }
        want.push(format!("terraform-provider-{name}_{V}_SHA256SUMS"));
        want.push(format!("terraform-provider-{name}_{V}_manifest.json"));
    }
    want.sort();
    assert_eq!(names_in(&out), want, "unsigned: no .sig, no public key");
    let mut listed: Vec<String> =
        done.files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
    listed.sort();
    assert_eq!(listed, want);

    for name in util::PROVIDERS {
        let project = format!("terraform-provider-{name}");
        let manifest = read_json(&out.join(format!("{project}_{V}_manifest.json")));
        assert_eq!(manifest, serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}}));
        for p in platforms {
            // Exactly the versioned binary, executable; `.exe` for Windows.
            let zip_path = out.join(format!("{project}_{V}_{p}.zip"));
            let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
            assert_eq!(zip.len(), 1);
            let mut entry = zip.by_index(0).unwrap();
            let exe = if p == "windows_amd64" { ".exe" } else { "" };
            assert_eq!(entry.name().unwrap(), format!("{project}_v{V}{exe}"));
            assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755));
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            assert_eq!(text, format!("{name} for {p}"));
        }
        // SHA256SUMS: every zip and the manifest, in sha256sum's format, sorted.
        let sums = std::fs::read_to_string(out.join(format!("{project}_{V}_SHA256SUMS"))).unwrap();
        let mut files = Vec::new();
        for line in sums.lines() {
            let (hash, file) = line.split_once("  ").expect("'<sha256>  <file>'");
            assert_eq!(hash, format!("{:x}", Sha256::digest(std::fs::read(out.join(file)).unwrap())), "{file}");
            files.push(file.to_string());
        }
        let mut sorted = files.clone();
        sorted.sort();
        assert_eq!(files, sorted);
        assert_eq!(files.len(), platforms.len() + 1);
        assert!(files.contains(&format!("{project}_{V}_manifest.json")));
    }
    // The same binaries give the same zips (no time stamps): re-running a release changes no hash.
    let again = tmp.path().join("again");
    dist::package(&tmp.path().join("bin").join("linux_amd64"), "linux_amd64", &again).unwrap();
    let zip = format!("terraform-provider-jamf_{V}_linux_amd64.zip");
    assert_eq!(std::fs::read(again.join(&zip)).unwrap(), std::fs::read(out.join(&zip)).unwrap());
}

#[test]
fn the_network_mirror_lists_every_archive_with_its_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    let platforms = ["darwin_arm64", "linux_amd64", "windows_amd64"];
    let zips = fake_zips(tmp.path(), &platforms);
    let out = tmp.path().join("dist");
    let done = dist::assemble(&zips, &out, &AssembleOptions::default()).unwrap();
    assert_eq!(done.mirror, out.join("mirror"));
    for name in util::PROVIDERS {
        let dir = done.mirror.join("registry.terraform.io").join("mdmkit").join(name);
        let mut want: Vec<String> =
            platforms.iter().map(|p| format!("terraform-provider-{name}_{V}_{p}.zip")).collect();
        want.extend(["index.json".to_string(), format!("{V}.json")]);
        want.sort();
        assert_eq!(names_in(&dir), want);
        assert_eq!(read_json(&dir.join("index.json")), serde_json::json!({"versions": {V: {}}}));
        let version = read_json(&dir.join(format!("{V}.json")));
        let archives = version["archives"].as_object().unwrap();
        assert_eq!(archives.keys().collect::<Vec<_>>(), platforms.iter().collect::<Vec<_>>());
        for p in platforms {
            let file = format!("terraform-provider-{name}_{V}_{p}.zip");
            let zip = dir.join(&file);
            // The zip in the mirror is the released one.
            assert_eq!(std::fs::read(&zip).unwrap(), std::fs::read(out.join(&file)).unwrap());
            // h1: the dirhash of the unpacked zip, computed independently here.
            let bin = format!("terraform-provider-{name}_v{V}{}", if p.starts_with("windows") { ".exe" } else { "" });
            let content = format!("{name} for {p}");
            let listing = format!("{:x}  {bin}\n", Sha256::digest(content.as_bytes()));
            use base64::Engine;
            let h1 =
                format!("h1:{}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(listing.as_bytes())));
            let zh = format!("zh:{:x}", Sha256::digest(std::fs::read(&zip).unwrap()));
            assert_eq!(archives[p], serde_json::json!({"url": file, "hashes": [h1, zh]}), "{name} {p}");
        }
    }

    // Another version already in a mirror stays listed; this version's old zips are replaced.
    let jamf = done.mirror.join("registry.terraform.io/mdmkit/jamf");
    std::fs::write(jamf.join("0.0.1.json"), "{\"archives\": {}}").unwrap();
    std::fs::write(jamf.join("index.json"), "{\"versions\": {\"0.0.1\": {}, \"0.0.2\": {}}}").unwrap();
    std::fs::write(jamf.join(format!("terraform-provider-jamf_{V}_plan9_amd64.zip")), "stale").unwrap();
    dist::assemble(&zips, &out, &AssembleOptions::default()).unwrap();
    assert_eq!(
        read_json(&jamf.join("index.json")),
        serde_json::json!({"versions": {"0.0.1": {}, V: {}}}),
        "0.0.2 has no <version>.json: not listed"
    );
    assert!(!jamf.join(format!("terraform-provider-jamf_{V}_plan9_amd64.zip")).exists());
}

#[test]
fn an_incomplete_release_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let zips = fake_zips(tmp.path(), &["linux_amd64"]);
    let out = tmp.path().join("dist");
    let all = AssembleOptions { require_all_platforms: true, ..AssembleOptions::default() };
    let e = dist::assemble(&zips, &out, &all).unwrap_err();
    assert!(e.contains("no zips for darwin_arm64, darwin_amd64, linux_arm64, windows_amd64"), "{e}");
    // One provider without the other's platforms.
    std::fs::remove_file(zips.join(format!("terraform-provider-maas360_{V}_linux_amd64.zip"))).unwrap();
    let e = dist::assemble(&zips, &out, &AssembleOptions::default()).unwrap_err();
    assert!(e.contains("no terraform-provider-maas360 zip"), "{e}");
    assert!(!out.exists(), "nothing written");
    // Zips of another version are left out, not released under this one.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    for name in util::PROVIDERS {
        std::fs::write(other.join(format!("terraform-provider-{name}_0.0.1_linux_amd64.zip")), "old").unwrap();
    }
    let e = dist::assemble(&other, &out, &AssembleOptions::default()).unwrap_err();
    assert!(e.contains(&format!("zip of version {V}")), "{e}");
}

#[test]
fn a_version_the_changelog_does_not_describe_is_refused() {
    let changelog = std::fs::read_to_string(util::root().join("CHANGELOG.md")).unwrap();
    // This version is described.
    dist::changelog_entry(&changelog, V).unwrap();
    let e = dist::changelog_entry(&changelog, "99.0.0").unwrap_err();
    assert!(e.starts_with("refusing to release 99.0.0: CHANGELOG.md has no entry for it"), "{e}");
    assert!(e.contains(&format!("it describes {V}")), "{e}");
    // And the command checks the tag against the version before it looks at any zip.
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(util::root())
        .args(["dist", "assemble", "--zips", "/nonexistent", "--tag", "v99.0.0"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("does not match the version in Cargo.toml"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Signing

/// `gpg`, or `None` after saying why the test is skipped. In CI a missing gpg fails the test
/// (`.ci/run` installs it).
fn gpg_or_skip(test: &str) -> Option<PathBuf> {
    let gpg = std::env::var_os("GPG").map(PathBuf::from).unwrap_or_else(|| "gpg".into());
    let found = Command::new(&gpg).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    match found {
        Ok(s) if s.success() => Some(gpg),
        _ if devkit::terraform::in_ci() => panic!("{test}: gpg is required in CI (.ci/run installs gnupg)"),
        _ => {
            eprintln!("SKIPPED {test}: gpg not found (install GnuPG, or set GPG)");
            None
        }
    }
}

/// A throwaway GPG home with one fresh signing key; stops its gpg-agent when dropped.
struct GpgHome {
    gpg: PathBuf,
    dir: tempfile::TempDir,
}

impl GpgHome {
    fn new(gpg: PathBuf) -> GpgHome {
        // Under /tmp: gpg-agent's socket path must stay short.
        let dir = tempfile::Builder::new().prefix("gpg").tempdir_in("/tmp").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        GpgHome { gpg, dir }
    }

    fn gpg(&self, args: &[&str]) -> std::process::Output {
        Command::new(&self.gpg)
            .env("GNUPGHOME", self.dir.path())
            .arg("--batch")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Make a signing key (with `passphrase`, possibly empty); returns its fingerprint.
    fn make_key(&self, uid: &str, passphrase: &str) -> String {
        let out = self.gpg(&[
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            passphrase,
            "--quick-gen-key",
            uid,
            "ed25519",
            "sign",
            "never",
        ]);
        assert!(out.status.success(), "gen-key: {}", String::from_utf8_lossy(&out.stderr));
        let list = self.gpg(&["--with-colons", "--list-secret-keys", uid]);
        let text = String::from_utf8_lossy(&list.stdout);
        text.lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .map(|rest| rest.trim_matches(':').to_string())
            .unwrap_or_else(|| panic!("no fingerprint in:\n{text}"))
    }

    fn signer(&self, key: &str, passphrase: Option<&str>) -> Signer {
        Signer {
            gpg: self.gpg.clone(),
            key: key.to_string(),
            passphrase: passphrase.map(str::to_string),
            home: Some(self.dir.path().to_path_buf()),
        }
    }

    /// `gpg --verify sig file`, by gpg itself.
    fn verify(&self, sig: &Path, file: &Path) -> std::process::Output {
        self.gpg(&["--verify", sig.to_str().unwrap(), file.to_str().unwrap()])
    }
}

impl Drop for GpgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.dir.path())
            .args(["--kill", "gpg-agent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[test]
fn sums_are_signed_with_the_given_key_and_verify() {
    let Some(gpg) = gpg_or_skip("sums_are_signed_with_the_given_key_and_verify") else { return };
    let home = GpgHome::new(gpg);
    let fpr = home.make_key("mdmkit release test <release-test@example.com>", "");
    // The key is checked before anything is built.
    home.signer(&fpr, None).check().unwrap();
    let e = home.signer("0000000000000000000000000000000000000000", None).check().unwrap_err();
    assert!(e.starts_with("gpg has no secret key \"0000"), "{e}");
    let tmp = tempfile::tempdir().unwrap();
    let zips = fake_zips(tmp.path(), &["linux_amd64", "darwin_arm64"]);
    let out = tmp.path().join("dist");

    // An unreleased version is not signed.
    let unreleased = AssembleOptions {
        signer: Some(home.signer(&fpr, None)),
        changelog: Some(ChangelogEntry { heading: format!("## {V} (Unreleased)"), unreleased: true }),
        ..AssembleOptions::default()
    };
    let e = dist::assemble(&zips, &out, &unreleased).unwrap_err();
    assert!(e.contains("refusing to sign") && e.contains("Unreleased"), "{e}");

    let opts =
        AssembleOptions { signer: Some(home.signer(&fpr, None)), changelog: Some(released()), ..Default::default() };
    let done = dist::assemble(&zips, &out, &opts).unwrap();
    assert_eq!(done.signed_by.as_deref(), Some(fpr.as_str()));
    for name in util::PROVIDERS {
        let sums = out.join(format!("terraform-provider-{name}_{V}_SHA256SUMS"));
        let sig = out.join(format!("terraform-provider-{name}_{V}_SHA256SUMS.sig"));
        assert!(done.files.contains(&sig));
        // Detached and binary (an OpenPGP packet, not ASCII armour), as the registry wants.
        let bytes = std::fs::read(&sig).unwrap();
        assert!(!bytes.starts_with(b"-----BEGIN"), "armoured signature");
        assert_eq!(bytes[0] & 0x80, 0x80, "not an OpenPGP packet");
        let ok = home.verify(&sig, &sums);
        assert!(ok.status.success(), "gpg --verify: {}", String::from_utf8_lossy(&ok.stderr));
        // The check can fail: a changed sums file no longer verifies.
        let tampered = tmp.path().join(format!("{name}-tampered"));
        let mut text = std::fs::read(&sums).unwrap();
        text[0] = if text[0] == b'0' { b'1' } else { b'0' };
        std::fs::write(&tampered, text).unwrap();
        assert!(!home.verify(&sig, &tampered).status.success(), "a tampered file verified");
    }
    // The public key is published beside them, for `gpg --import`.
    let key = std::fs::read_to_string(out.join(format!("mdmkit_{V}_signing_key.asc"))).unwrap();
    assert!(key.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"), "{key}");

    // Unsigned again: the old signatures, which would not match new sums, are gone.
    dist::assemble(&zips, &out, &AssembleOptions::default()).unwrap();
    assert!(!names_in(&out).iter().any(|f| f.ends_with(".sig") || f.ends_with(".asc")), "{:?}", names_in(&out));
}

#[test]
fn a_key_with_a_passphrase_signs_with_it_and_only_with_it() {
    let Some(gpg) = gpg_or_skip("a_key_with_a_passphrase_signs_with_it_and_only_with_it") else { return };
    let home = GpgHome::new(gpg);
    let fpr = home.make_key("mdmkit passphrase test <pass-test@example.com>", "correct horse");
    let tmp = tempfile::tempdir().unwrap();
    let zips = fake_zips(tmp.path(), &["linux_amd64"]);
    let out = tmp.path().join("dist");
    let wrong = AssembleOptions {
        signer: Some(home.signer(&fpr, Some("wrong"))),
        changelog: Some(released()),
        ..Default::default()
    };
    let e = dist::assemble(&zips, &out, &wrong).unwrap_err();
    assert!(e.contains("gpg could not sign"), "{e}");
    assert!(!e.contains("wrong"), "the passphrase shows in the error: {e}");
    let right = AssembleOptions {
        signer: Some(home.signer(&fpr, Some("correct horse"))),
        changelog: Some(released()),
        ..Default::default()
    };
    let done = dist::assemble(&zips, &out, &right).unwrap();
    assert_eq!(done.signed_by.as_deref(), Some(fpr.as_str()));
    let sums = out.join(format!("terraform-provider-jamf_{V}_SHA256SUMS"));
    assert!(home.verify(&PathBuf::from(format!("{}.sig", sums.display())), &sums).status.success());
}

// ---------------------------------------------------------------------------------------------
// A filesystem mirror holding the release zips

/// Terraform installs the release zip from a packed filesystem mirror and runs the binary in it.
#[test]
fn dist_zip_installs_from_a_packed_mirror() {
    let Some(terraform) = terraform_or_skip("dist_zip_installs_from_a_packed_mirror") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dist");
    let platform = util::platform();
    dist::package(&bin_dir(), &platform, &out).unwrap();
    // Terraform's packed mirror layout: <host>/<namespace>/<type>/<the release zip>.
    let mirror = tmp.path().join("mirror");
    let mut zip_hashes = Vec::new();
    for name in util::PROVIDERS {
        let zip = format!("terraform-provider-{name}_{V}_{platform}.zip");
        let dir = mirror.join("registry.terraform.io").join("mdmkit").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(out.join(&zip), dir.join(&zip)).unwrap();
        // Terraform locks a zip from a local mirror by the `h1:` hash of its contents: the same
        // hash as the unpacked package of the same binary, so one lock file fits both layouts.
        let unpacked = tmp.path().join("unpacked").join(name);
        std::fs::create_dir_all(&unpacked).unwrap();
        let bin = util::exe(&format!("terraform-provider-{name}_v{V}"));
        std::fs::copy(bin_dir().join(util::exe(&format!("terraform-provider-{name}"))), unpacked.join(&bin)).unwrap();
        let h1 = util::h1_hash(&unpacked).unwrap();
        assert_eq!(util::h1_hash_zip(&dir.join(&zip)).unwrap(), h1);
        zip_hashes.push((name, h1));
    }
    let cli_config = tmp.path().join("terraformrc");
    std::fs::write(&cli_config, install::cli_config(&mirror)).unwrap();
    let tf = Tf::new(terraform, cli_config, tmp.path().join("home"));
    let dir = workdir(tmp.path(), "work");
    tf.ok(&dir, &["init", "-input=false", "-no-color"]);
    tf.ok(&dir, &["validate", "-no-color"]);
    for (name, h1) in zip_hashes {
        assert_eq!(locked_hashes(&dir, name), vec![h1], "{name}");
    }
}
