//! `cargo xtask install`'s layout, checked with real terraform and the debug binaries of this test
//! run (no release build): the installed mirror works for `terraform init` offline, a rebuild of
//! the same version breaks lock files exactly as the install note says, and the note's remedies
//! work.

use devkit::terraform_or_skip;
use xtask::{install, util};

use crate::support::{Tf, bin_dir, locked_hashes, workdir};

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
    let tf = Tf::new(terraform, cli_config, root.join("home"));
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
    let tf = Tf::new(terraform, cli_config, home);
    let dir = workdir(tmp.path(), "work");
    tf.ok(&dir, &["init", "-input=false", "-no-color"]);
    tf.ok(&dir, &["validate", "-no-color"]);
}
