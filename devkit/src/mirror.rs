//! A project-local Terraform provider mirror (the "unpacked" filesystem-mirror layout) and the CLI
//! configuration that makes `terraform init` install `mdmkit/*` from it, offline, while nothing
//! else may come from the network.

use std::io;
use std::path::{Path, PathBuf};

/// The providers' registry namespace (`registry.terraform.io/mdmkit/<name>`).
pub const NAMESPACE: &str = "mdmkit";

/// The directory of one provider version for this platform inside `mirror`.
pub fn package_dir(mirror: &Path, name: &str, version: &str) -> PathBuf {
    mirror.join("registry.terraform.io").join(NAMESPACE).join(name).join(version).join(super::platform())
}

/// The file name Terraform expects in a package: `terraform-provider-<name>_v<version>`.
pub fn binary_name(name: &str, version: &str) -> String {
    super::exe(&format!("terraform-provider-{name}_v{version}"))
}

/// Copy a file, replacing the destination atomically (a running terraform may hold the old one).
pub fn install_file(from: &Path, to: &Path) -> io::Result<()> {
    let dir = to.parent().ok_or_else(|| io::Error::other("destination has no parent"))?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{}.tmp", to.file_name().and_then(|n| n.to_str()).unwrap_or("file")));
    std::fs::copy(from, &tmp)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot copy {} to {}: {e}", from.display(), tmp.display())))?;
    std::fs::rename(&tmp, to).map_err(|e| io::Error::new(e.kind(), format!("cannot install {}: {e}", to.display())))
}

/// Install the provider binary `bin` as provider `name` at `version` into `mirror`; returns its path.
pub fn install_binary(bin: &Path, mirror: &Path, name: &str, version: &str) -> io::Result<PathBuf> {
    let dest = package_dir(mirror, name, version).join(binary_name(name, version));
    install_file(bin, &dest)?;
    Ok(dest)
}

/// Single-quote `s` for a POSIX shell.
#[cfg_attr(not(unix), allow(dead_code))]
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Install, in place of provider `name`, a shell script that appends one line to `log` each time
/// Terraform starts the provider and then `exec`s the real binary `real` (same process, same
/// arguments, stdin and stdout). Counting the lines counts the launches.
#[cfg(unix)]
pub fn install_launch_counter(
    real: &Path,
    log: &Path,
    mirror: &Path,
    name: &str,
    version: &str,
) -> io::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let real = std::path::absolute(real)?;
    let log = std::path::absolute(log)?;
    let script = format!(
        "#!/bin/sh\n# Counts provider launches, then becomes the provider.\necho \"$$\" >> {}\nexec {} \"$@\"\n",
        sh_quote(&log.display().to_string()),
        sh_quote(&real.display().to_string())
    );
    let dest = package_dir(mirror, name, version).join(binary_name(name, version));
    std::fs::create_dir_all(dest.parent().expect("package dir"))?;
    let tmp = dest.with_extension("tmp");
    std::fs::write(&tmp, script)?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
    std::fs::rename(&tmp, &dest)?;
    Ok(dest)
}

/// Windows has no POSIX shell to run the counting script with: the benchmark's launch count is
/// unix-only, and says so instead of failing to build.
#[cfg(not(unix))]
pub fn install_launch_counter(
    _real: &Path,
    _log: &Path,
    _mirror: &Path,
    _name: &str,
    _version: &str,
) -> io::Result<PathBuf> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "counting provider launches needs a POSIX shell: run the benchmark on Linux or macOS",
    ))
}

/// A CLI configuration (`TF_CLI_CONFIG_FILE`) that installs `mdmkit/*` from `mirror` and nothing from
/// the network for them.
pub fn cli_config(mirror: &Path) -> String {
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"registry.terraform.io/{NAMESPACE}/*\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/{NAMESPACE}/*\"]\n  }}\n}}\n",
        mirror.display().to_string()
    )
}

/// Write [`cli_config`] for `mirror` to `path`.
pub fn write_cli_config(path: &Path, mirror: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, cli_config(mirror))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_config() {
        let dir = package_dir(Path::new("/m"), "jamf", "0.1.0");
        assert!(dir.starts_with("/m/registry.terraform.io/mdmkit/jamf/0.1.0"));
        assert_eq!(binary_name("jamf", "0.1.0"), exe_name("terraform-provider-jamf_v0.1.0"));
        let c = cli_config(Path::new("/m"));
        assert!(c.contains("path    = \"/m\""));
        assert!(c.contains("include = [\"registry.terraform.io/mdmkit/*\"]"));
        assert!(c.contains("exclude = [\"registry.terraform.io/mdmkit/*\"]"));
    }

    fn exe_name(s: &str) -> String {
        super::super::exe(s)
    }

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(sh_quote("/a b/it's"), r"'/a b/it'\''s'");
    }

    #[cfg(unix)]
    #[test]
    fn launch_counter_counts_and_execs() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("launches.log");
        let script =
            install_launch_counter(Path::new("/bin/echo"), &log, &tmp.path().join("mirror"), "x", "1.0.0").unwrap();
        for _ in 0..2 {
            let out = std::process::Command::new(&script).arg("hello").output().unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n");
        }
        assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 2);
    }
}
