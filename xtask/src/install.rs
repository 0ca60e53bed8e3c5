//! `cargo xtask install`: release providers into Terraform's implied local mirror, so
//! `terraform init` finds `mdmkit/jamf` and `mdmkit/maas360` offline.

use std::path::{Path, PathBuf};

use crate::util::{self, PROVIDERS, Result, Step, VERSION};

/// `~/.terraform.d/plugins` (Terraform's implied local mirror on Unix).
pub fn default_dir() -> Result<PathBuf> {
    let home = std::env::var_os("HOME").ok_or("HOME is not set; pass --dir")?;
    Ok(PathBuf::from(home).join(".terraform.d").join("plugins"))
}

/// The directory of one provider version for this platform inside a mirror.
pub fn package_dir(mirror: &Path, name: &str) -> PathBuf {
    mdmkit::devtools::mirror::package_dir(mirror, name, VERSION)
}

/// Install the release binaries from `release` into `mirror`; returns the providers whose
/// package changed (so lock files that pinned the old build need refreshing).
pub fn install_into(release: &Path, mirror: &Path) -> Result<Vec<&'static str>> {
    let mut changed = Vec::new();
    for name in PROVIDERS {
        let dir = package_dir(mirror, name);
        let before = if dir.is_dir() { util::h1_hash(&dir).ok() } else { None };
        let bin = util::exe(&format!("terraform-provider-{name}"));
        mdmkit::devtools::mirror::install_binary(&release.join(&bin), mirror, name, VERSION)
            .map_err(|e| e.to_string())?;
        let after = util::h1_hash(&dir)?;
        if before.is_some_and(|b| b != after) {
            changed.push(*name);
        }
    }
    Ok(changed)
}

pub fn run(dir: Option<PathBuf>) -> Result<()> {
    let mirror = match dir {
        Some(d) => d,
        None => default_dir()?,
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
        "\nAdd this to your configuration, then run `terraform init` (no network needed):\n\n\
         terraform {{\n  required_providers {{\n    jamf = {{\n      source  = \"mdmkit/jamf\"\n      version = \"{VERSION}\"\n    }}\n    \
         maas360 = {{\n      source  = \"mdmkit/maas360\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n"
    );
    if mirror != default_dir().unwrap_or_default() {
        println!(
            "The directory is not Terraform's implied mirror: point a CLI configuration at it:\n\n\
             provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/mdmkit/*\"]\n  }}\n  \
             direct {{\n    exclude = [\"registry.terraform.io/mdmkit/*\"]\n  }}\n}}\n",
            mirror.display()
        );
    }
    if !changed.is_empty() {
        println!(
            "Note: this rebuild replaced version {VERSION} of {} with different binaries. Working directories that \
             already ran `terraform init` pin the old build's checksum in .terraform.lock.hcl and would fail with \
             \"does not match any of the checksums\". In each of them, refresh the lock from this mirror:\n\n  \
             rm .terraform.lock.hcl && terraform init\n\n(or, to keep other providers' entries: terraform providers \
             lock -fs-mirror={} -platform={} {}).",
            changed.join(" and "),
            mirror.display(),
            util::platform(),
            changed.iter().map(|n| format!("mdmkit/{n}")).collect::<Vec<_>>().join(" ")
        );
    }
    Ok(())
}
