//! `cargo xtask dist`: the registry release layout for the host platform:
//! `terraform-provider-<name>_<version>_<os>_<arch>.zip` (holding `terraform-provider-<name>_v<version>`),
//! `terraform-provider-<name>_<version>_manifest.json` (protocol 6) and
//! `terraform-provider-<name>_<version>_SHA256SUMS` over both.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::util::{self, PROVIDERS, Result, Step, VERSION};

pub const MANIFEST: &str = "{\n  \"version\": 1,\n  \"metadata\": {\n    \"protocol_versions\": [\"6.0\"]\n  }\n}\n";

fn zip_one(bin: &Path, name_in_zip: &str, out: &Path) -> Result<()> {
    use zip::write::SimpleFileOptions;
    let file = std::fs::File::create(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let opts =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).unix_permissions(0o755);
    zip.start_file(name_in_zip, opts).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(bin).map_err(|e| format!("cannot read {}: {e}", bin.display()))?;
    zip.write_all(&bytes).map_err(|e| e.to_string())?;
    zip.finish().map_err(|e| e.to_string())?;
    Ok(())
}

/// Write the release files for every provider from `release` into `out`.
pub fn build(release: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut written = Vec::new();
    for name in PROVIDERS {
        let project = format!("terraform-provider-{name}");
        let zip_name = format!("{project}_{VERSION}_{}.zip", util::platform());
        let manifest_name = format!("{project}_{VERSION}_manifest.json");
        let sums_name = format!("{project}_{VERSION}_SHA256SUMS");
        let bin_in_zip = util::exe(&format!("{project}_v{VERSION}"));
        zip_one(&release.join(util::exe(&project)), &bin_in_zip, &out.join(&zip_name))?;
        std::fs::write(out.join(&manifest_name), MANIFEST).map_err(|e| e.to_string())?;
        let mut sums = String::new();
        for f in [&zip_name, &manifest_name] {
            let bytes = std::fs::read(out.join(f)).map_err(|e| e.to_string())?;
            sums.push_str(&format!("{:x}  {f}\n", Sha256::digest(&bytes)));
        }
        std::fs::write(out.join(&sums_name), sums).map_err(|e| e.to_string())?;
        written.extend([zip_name, manifest_name, sums_name].into_iter().map(|f| out.join(f)));
    }
    Ok(written)
}

pub fn run(out: Option<PathBuf>) -> Result<()> {
    let out = out.unwrap_or_else(|| util::target_dir().join("dist"));
    let step = Step::start("build release binaries");
    let release = util::build_release()?;
    step.done();
    let step = Step::start("write release archives");
    let files = build(&release, &out)?;
    step.done();
    for f in files {
        println!("  {}", f.display());
    }
    println!("\nSign each *_SHA256SUMS with your release GPG key (gpg --detach-sign) before publishing.");
    Ok(())
}
