//! `cargo xtask install`: release providers into a local plugin mirror (by default Terraform's
//! implied one, `~/.terraform.d/plugins`), so `terraform init` finds `mdmkit/jamf` and
//! `mdmkit/maas360` offline.
//!
//! The layout is Terraform's "unpacked" mirror layout:
//! `<mirror>/registry.terraform.io/mdmkit/<name>/<version>/<os>_<arch>/terraform-provider-<name>_v<version>`.
//! `terraform init` links the working directory's `.terraform/providers/...` to that directory and
//! records the package's `h1:` checksum in `.terraform.lock.hcl`.
//!
//! A rebuild of the same version is a different package with a different checksum, and a working
//! directory that locked the previous build refuses it. Verified with Terraform 1.11: `terraform
//! init` and `terraform init -upgrade` both fail there ("the local package ... doesn't match any of
//! the checksums previously recorded in the dependency lock file"), `terraform plan` reports "the
//! cached package ... does not match any of the checksums recorded in the dependency lock file";
//! [`lock_fix_command`] (`terraform providers lock -fs-mirror=...`) adds the new checksum beside the
//! old ones (it never removes any) and plan works again without another init; deleting the lock
//! file and running `terraform init` records only the new checksum but resolves every other
//! provider again. [`lock_note`] tells the user exactly that.

use std::path::{Path, PathBuf};

use devkit::mirror;

use crate::util::{self, PROVIDERS, Result, Step, VERSION};

/// `~/.terraform.d/plugins` (Terraform's implied local mirror on Unix).
pub fn default_dir() -> Result<PathBuf> {
    let home = std::env::var_os("HOME").ok_or("HOME is not set; pass --dir")?;
    Ok(PathBuf::from(home).join(".terraform.d").join("plugins"))
}

/// The directory of one provider version for this platform inside a mirror.
pub fn package_dir(mirror: &Path, name: &str) -> PathBuf {
    mirror::package_dir(mirror, name, VERSION)
}

/// Install the provider binaries found in `bin_dir` (named `terraform-provider-<name>`, as cargo
/// builds them) into `mirror`; returns the providers whose package changed, i.e. were installed
/// before with different contents (lock files that pinned the old build need refreshing).
pub fn install_into(bin_dir: &Path, mirror: &Path) -> Result<Vec<&'static str>> {
    let mut changed = Vec::new();
    for name in PROVIDERS {
        let dir = package_dir(mirror, name);
        let before = if dir.is_dir() { util::h1_hash(&dir).ok() } else { None };
        let bin = util::exe(&format!("terraform-provider-{name}"));
        mirror::install_binary(&bin_dir.join(&bin), mirror, name, VERSION).map_err(|e| e.to_string())?;
        let after = util::h1_hash(&dir)?;
        if before.is_some_and(|b| b != after) {
            changed.push(*name);
        }
    }
    Ok(changed)
}

/// A CLI configuration (`~/.terraformrc` or the file `TF_CLI_CONFIG_FILE` names) that installs
/// `mdmkit/*` from `mirror` and every other provider from its registry.
pub fn cli_config(mirror: &Path) -> String {
    mirror::cli_config(mirror)
}

/// The `terraform` block a configuration needs to use both providers at this version.
pub fn required_providers() -> String {
    let mut out = String::from("terraform {\n  required_providers {\n");
    for name in PROVIDERS {
        out.push_str(&format!(
            "    {name} = {{\n      source  = \"mdmkit/{name}\"\n      version = \"{VERSION}\"\n    }}\n"
        ));
    }
    out.push_str("  }\n}\n");
    out
}

/// The command that lets a working directory which locked a previous build of `changed` use the
/// build now in `mirror`, keeping the lock entries of every other provider.
pub fn lock_fix_command(mirror: &Path, changed: &[&str]) -> String {
    let providers: Vec<String> = changed.iter().map(|n| format!("mdmkit/{n}")).collect();
    format!("terraform providers lock -fs-mirror={} {}", mirror.display(), providers.join(" "))
}

/// What to do in working directories initialised with a previous build of `changed` (empty when
/// nothing changed).
pub fn lock_note(mirror: &Path, changed: &[&str]) -> String {
    if changed.is_empty() {
        return String::new();
    }
    let names: Vec<String> = changed.iter().map(|n| format!("mdmkit/{n}")).collect();
    format!(
        "Note: this build of {names} {VERSION} differs from the one installed before. Working directories that ran \
         `terraform init` with the previous build recorded its checksum in .terraform.lock.hcl, and Terraform \
         refuses the new build there (\"does not match any of the checksums recorded in the dependency lock \
         file\"); `terraform init -upgrade` does not help. In each of them, either:\n\n  \
         {fix}\n\n    adds this build's checksum to the lock file, beside the old one (Terraform never removes \
         checksums; delete stale `h1:` lines by hand if you care) and keeps every other provider's entry; plan \
         and apply then work without another init. Or:\n\n  \
         rm .terraform.lock.hcl && terraform init\n\n    records this build's checksum only, but resolves every \
         other provider again (possibly to a newer version within your constraints, and from the network).\n",
        names = names.join(" and "),
        fix = lock_fix_command(mirror, changed),
    )
}

pub fn run(dir: Option<PathBuf>) -> Result<()> {
    let default = default_dir().ok();
    let mirror = match dir {
        Some(d) => d,
        None => default.clone().ok_or("HOME is not set; pass --dir")?,
    };
    let step = Step::start("build release binaries");
    let release = util::build_release()?;
    step.done();
    let step = Step::start(format!("install into {}", mirror.display()));
    let changed = install_into(&release, &mirror)?;
    step.done();
    for name in PROVIDERS {
        println!("  {}", package_dir(&mirror, name).display());
    }
    println!(
        "\nAdd this to your configuration, then run `terraform init` (no network needed for these providers):\n\n{}",
        required_providers()
    );
    if Some(&mirror) == default.as_ref() {
        println!(
            "Terraform uses this directory (its implied mirror) as long as your CLI configuration (~/.terraformrc, \
             or the file TF_CLI_CONFIG_FILE names) has no provider_installation block. If it has one, add this \
             filesystem_mirror to it:\n\n{}",
            cli_config(&mirror)
        );
    } else {
        println!(
            "This is not Terraform's implied mirror: point your CLI configuration (~/.terraformrc, or the file \
             TF_CLI_CONFIG_FILE names) at it:\n\n{}",
            cli_config(&mirror)
        );
    }
    println!(
        "`terraform init` then warns \"Incomplete lock file information for providers\": expected with a local \
         mirror (only this platform's checksum is recorded). The `terraform providers lock` it suggests asks the \
         public registry, which does not have these providers; add -fs-mirror={} to use this directory.\n",
        mirror.display()
    );
    let note = lock_note(&mirror, &changed);
    if !note.is_empty() {
        println!("{note}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_note_names_the_changed_providers_and_both_remedies() {
        assert_eq!(lock_note(Path::new("/m"), &[]), "");
        let note = lock_note(Path::new("/m"), &["jamf"]);
        assert!(note.contains("terraform providers lock -fs-mirror=/m mdmkit/jamf\n"), "{note}");
        assert!(note.contains("rm .terraform.lock.hcl && terraform init"), "{note}");
        assert!(!note.contains("maas360"), "{note}");
    }

    #[test]
    fn required_providers_pins_this_version() {
        let block = required_providers();
        assert!(block.contains("source  = \"mdmkit/jamf\""));
        assert!(block.contains(&format!("version = \"{VERSION}\"")));
    }
}
