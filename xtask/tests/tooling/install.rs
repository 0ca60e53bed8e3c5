//! `cargo xtask install` and `cargo xtask dist` layouts, checked with real terraform and the debug
//! binaries of this test run (no release build): the installed mirror and the release zip both work
//! for `terraform init` offline, a rebuild of the same version breaks lock files exactly as the
//! install note says, and the note's remedies work.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use devkit::terraform_or_skip;
use sha2::{Digest, Sha256};
use xtask::{dist, install, util};

/// The directory cargo built the provider binaries into.
fn bin_dir() -> PathBuf {
    for bin in ["terraform-provider-jamf", "terraform-provider-maas360"] {
        devkit::built_binary(bin).unwrap_or_else(|e| panic!("{e}"));
    }
    devkit::built_binaries_dir()
}

/// A configuration using both providers, with a resource of each so that `terraform validate`
/// starts both binaries.
fn config() -> String {
    format!(
        "{}\nresource \"jamf_api_role\" \"r\" {{\n  display_name = \"r\"\n  privileges   = [\"Read Computers\"]\n}}\n\n\
         resource \"maas360_script_user\" \"u\" {{\n  username = \"u\"\n  email    = \"u@example.com\"\n  roles    = [\"Read-Only\"]\n}}\n",
        install::required_providers()
    )
}

/// Terraform with a given CLI configuration and HOME, and no way to reach a network: any
/// download attempt fails at once on a closed loopback port.
struct Tf {
    bin: PathBuf,
    cli_config: PathBuf,
    home: PathBuf,
}

struct Out {
    code: i32,
    text: String,
}

impl Tf {
    fn run(&self, dir: &Path, args: &[&str]) -> Out {
        let out = Command::new(&self.bin)
            .args(args)
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("HOME", &self.home)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .env_remove("TF_LOG")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .stdin(Stdio::null())
            .output()
            .expect("run terraform");
        Out {
            code: out.status.code().unwrap_or(-1),
            text: format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        }
    }

    #[track_caller]
    fn ok(&self, dir: &Path, args: &[&str]) -> Out {
        let out = self.run(dir, args);
        assert_eq!(out.code, 0, "terraform {args:?} in {} failed:\n{}", dir.display(), out.text);
        out
    }
}

fn workdir(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("main.tf"), config()).unwrap();
    dir
}

/// The `h1:`/`zh:` hashes the lock file holds for `mdmkit/<name>`.
fn locked_hashes(dir: &Path, name: &str) -> Vec<String> {
    let lock = std::fs::read_to_string(dir.join(".terraform.lock.hcl")).expect("lock file");
    let start = lock
        .find(&format!("provider \"registry.terraform.io/mdmkit/{name}\""))
        .unwrap_or_else(|| panic!("{name} not in lock file:\n{lock}"));
    let block = &lock[start..];
    let block = &block[..block.find("\n}").unwrap_or(block.len())];
    block
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("\"h1:") || l.starts_with("\"zh:"))
        .map(|l| l.trim_end_matches(',').trim_matches('"').to_string())
        .collect()
}

#[test]
fn install_then_offline_init_and_a_rebuild_of_the_same_version() {
    let Some(terraform) = terraform_or_skip("install_then_offline_init_and_a_rebuild_of_the_same_version") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mirror = root.join("mirror");
    assert_eq!(install::install_into(&bin_dir(), &mirror).unwrap(), Vec::<&str>::new());
    for name in util::PROVIDERS {
        let bin = install::package_dir(&mirror, name)
            .join(util::exe(&format!("terraform-provider-{name}_v{}", util::VERSION)));
        let meta = std::fs::metadata(&bin).unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_ne!(meta.permissions().mode() & 0o111, 0, "{} is not executable", bin.display());
        }
        #[cfg(not(unix))]
        let _ = meta;
    }
    // Installing the same build again changes nothing.
    assert_eq!(install::install_into(&bin_dir(), &mirror).unwrap(), Vec::<&str>::new());

    let cli_config = root.join("terraformrc");
    std::fs::write(&cli_config, install::cli_config(&mirror)).unwrap();
    let tf = Tf { bin: terraform, cli_config, home: root.join("home") };
    std::fs::create_dir_all(&tf.home).unwrap();

    // First install: init offline; the lock holds the package hash install computes.
    let first = workdir(root, "first");
    tf.ok(&first, &["init", "-input=false", "-no-color"]);
    tf.ok(&first, &["validate", "-no-color"]);
    let jamf_before = util::h1_hash(&install::package_dir(&mirror, "jamf")).unwrap();
    assert_eq!(locked_hashes(&first, "jamf"), vec![jamf_before.clone()]);
    assert_eq!(
        locked_hashes(&first, "maas360"),
        vec![util::h1_hash(&install::package_dir(&mirror, "maas360")).unwrap()]
    );
    // A second directory initialised with the same build, for the other remedy.
    let second = workdir(root, "second");
    tf.ok(&second, &["init", "-input=false", "-no-color"]);

    // A rebuild with a different jamf binary for the same version.
    let rebuild = root.join("rebuild");
    std::fs::create_dir_all(&rebuild).unwrap();
    for name in util::PROVIDERS {
        let bin = util::exe(&format!("terraform-provider-{name}"));
        std::fs::copy(bin_dir().join(&bin), rebuild.join(&bin)).unwrap();
    }
    let jamf = rebuild.join(util::exe("terraform-provider-jamf"));
    let mut bytes = std::fs::read(&jamf).unwrap();
    bytes.extend_from_slice(b"\0rebuilt");
    std::fs::write(&jamf, bytes).unwrap();
    let changed = install::install_into(&rebuild, &mirror).unwrap();
    assert_eq!(changed, vec!["jamf"]);
    let jamf_after = util::h1_hash(&install::package_dir(&mirror, "jamf")).unwrap();
    assert_ne!(jamf_after, jamf_before);

    // A fresh directory initialises offline with the new build.
    let fresh = workdir(root, "fresh");
    tf.ok(&fresh, &["init", "-input=false", "-no-color"]);
    tf.ok(&fresh, &["validate", "-no-color"]);
    assert_eq!(locked_hashes(&fresh, "jamf"), vec![jamf_after.clone()]);

    // The directory that locked the old build refuses the new one, even with init -upgrade, as
    // the note says.
    let note = install::lock_note(&mirror, &changed);
    let refused = tf.run(&first, &["validate", "-no-color"]);
    assert_ne!(refused.code, 0);
    assert!(refused.text.contains("does not match any of the checksums"), "{}", refused.text);
    assert!(note.contains("does not match any of the checksums"), "{note}");
    for args in [&["init", "-input=false", "-no-color"][..], &["init", "-upgrade", "-input=false", "-no-color"][..]] {
        let out = tf.run(&first, args);
        assert_ne!(out.code, 0, "terraform {args:?} unexpectedly fixed the lock:\n{}", out.text);
        assert!(out.text.contains("doesn't match any of the checksums"), "{}", out.text);
    }
    assert!(note.contains("`terraform init -upgrade` does not help"), "{note}");

    // Remedy 1, the command the note prints: adds the new hash beside the old one, no init needed.
    let fix = install::lock_fix_command(&mirror, &changed);
    assert!(note.contains(&fix), "{note}");
    let args: Vec<&str> = fix.strip_prefix("terraform ").expect("a terraform command").split(' ').collect();
    tf.ok(&first, &[&args[..], &["-no-color"]].concat());
    let mut hashes = locked_hashes(&first, "jamf");
    hashes.sort();
    let mut want = vec![jamf_before.clone(), jamf_after.clone()];
    want.sort();
    assert_eq!(hashes, want, "providers lock keeps the old hash and adds the new one");
    tf.ok(&first, &["validate", "-no-color"]);

    // Remedy 2: a new lock file with the new hash only.
    assert!(note.contains("rm .terraform.lock.hcl && terraform init"), "{note}");
    assert_ne!(tf.run(&second, &["validate", "-no-color"]).code, 0);
    std::fs::remove_file(second.join(".terraform.lock.hcl")).unwrap();
    tf.ok(&second, &["init", "-input=false", "-no-color"]);
    assert_eq!(locked_hashes(&second, "jamf"), vec![jamf_after]);
    tf.ok(&second, &["validate", "-no-color"]);
}

/// With no --dir, install writes Terraform's implied mirror, which terraform uses when the CLI
/// configuration has no provider_installation block.
#[test]
fn implied_mirror_under_home_works_offline() {
    let Some(terraform) = terraform_or_skip("implied_mirror_under_home_works_offline") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    // What install::default_dir() gives with this HOME.
    let mirror = home.join(".terraform.d").join("plugins");
    install::install_into(&bin_dir(), &mirror).unwrap();
    let cli_config = tmp.path().join("empty.tfrc");
    std::fs::write(&cli_config, "").unwrap();
    let tf = Tf { bin: terraform, cli_config, home };
    let dir = workdir(tmp.path(), "work");
    tf.ok(&dir, &["init", "-input=false", "-no-color"]);
    tf.ok(&dir, &["validate", "-no-color"]);
}

/// `cargo xtask dist`'s layout: per provider a zip holding `terraform-provider-<name>_v<version>`,
/// the protocol-6 manifest, and SHA256SUMS over both.
#[test]
fn dist_layout_is_what_the_registry_and_terraform_expect() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dist");
    // Small stand-ins keep the zip step fast; a real binary goes through terraform below.
    let fake = tmp.path().join("bin");
    std::fs::create_dir_all(&fake).unwrap();
    for name in util::PROVIDERS {
        std::fs::write(fake.join(util::exe(&format!("terraform-provider-{name}"))), format!("binary of {name}"))
            .unwrap();
    }
    let files = dist::build(&fake, &out).unwrap();
    let v = util::VERSION;
    let platform = util::platform();
    let mut names: Vec<String> = files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut want = Vec::new();
    for name in util::PROVIDERS {
        want.push(format!("terraform-provider-{name}_{v}_{platform}.zip"));
        want.push(format!("terraform-provider-{name}_{v}_SHA256SUMS"));
        want.push(format!("terraform-provider-{name}_{v}_manifest.json"));
    }
    want.sort();
    assert_eq!(names, want);

    for name in util::PROVIDERS {
        let project = format!("terraform-provider-{name}");
        // The manifest: protocol 6.
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(format!("{project}_{v}_manifest.json"))).unwrap())
                .unwrap();
        assert_eq!(manifest, serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}}));
        // The zip: exactly the versioned binary, executable.
        let zip_name = format!("{project}_{v}_{platform}.zip");
        let mut zip = zip::ZipArchive::new(std::fs::File::open(out.join(&zip_name)).unwrap()).unwrap();
        assert_eq!(zip.len(), 1);
        let entry = zip.by_index(0).unwrap();
        assert_eq!(entry.name().unwrap(), util::exe(&format!("{project}_v{v}")));
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755));
        drop(entry);
        // SHA256SUMS: the zip and the manifest, in sha256sum's format.
        let sums = std::fs::read_to_string(out.join(format!("{project}_{v}_SHA256SUMS"))).unwrap();
        let mut listed: Vec<&str> = Vec::new();
        for line in sums.lines() {
            let (hash, file) = line.split_once("  ").expect("'<sha256>  <file>'");
            let bytes = std::fs::read(out.join(file)).unwrap();
            assert_eq!(hash, format!("{:x}", Sha256::digest(&bytes)), "{file}");
            listed.push(file);
        }
        listed.sort();
        assert_eq!(listed, vec![zip_name.as_str(), &format!("{project}_{v}_manifest.json")]);
    }
}

/// Terraform installs the release zip from a packed mirror and runs the binary in it.
#[test]
fn dist_zip_installs_from_a_packed_mirror() {
    let Some(terraform) = terraform_or_skip("dist_zip_installs_from_a_packed_mirror") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dist");
    dist::build(&bin_dir(), &out).unwrap();
    // Terraform's packed mirror layout: <host>/<namespace>/<type>/<the release zip>.
    let mirror = tmp.path().join("mirror");
    let v = util::VERSION;
    let platform = util::platform();
    let mut zip_hashes = Vec::new();
    for name in util::PROVIDERS {
        let zip = format!("terraform-provider-{name}_{v}_{platform}.zip");
        let dir = mirror.join("registry.terraform.io").join("mdmkit").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(out.join(&zip), dir.join(&zip)).unwrap();
        // Terraform locks a zip from a local mirror by the `h1:` hash of its contents: the same
        // hash as the unpacked package of the same binary, so one lock file fits both layouts.
        let unpacked = tmp.path().join("unpacked").join(name);
        std::fs::create_dir_all(&unpacked).unwrap();
        let bin = util::exe(&format!("terraform-provider-{name}_v{v}"));
        std::fs::copy(bin_dir().join(util::exe(&format!("terraform-provider-{name}"))), unpacked.join(&bin)).unwrap();
        zip_hashes.push((name, util::h1_hash(&unpacked).unwrap()));
    }
    let cli_config = tmp.path().join("terraformrc");
    std::fs::write(&cli_config, install::cli_config(&mirror)).unwrap();
    let tf = Tf { bin: terraform, cli_config, home: tmp.path().join("home") };
    let dir = workdir(tmp.path(), "work");
    tf.ok(&dir, &["init", "-input=false", "-no-color"]);
    tf.ok(&dir, &["validate", "-no-color"]);
    for (name, h1) in zip_hashes {
        assert_eq!(locked_hashes(&dir, name), vec![h1], "{name}");
    }
}
