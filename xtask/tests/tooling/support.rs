//! What the install, dist and mirror tests share: the built binaries, a configuration using both
//! providers, terraform with a CLI configuration of the test's own and no network, the hashes of a
//! lock file.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use xtask::install;

/// The directory cargo built the provider binaries into.
pub fn bin_dir() -> PathBuf {
    for bin in ["terraform-provider-jamf", "terraform-provider-maas360"] {
        devkit::built_binary(bin).unwrap_or_else(|e| panic!("{e}"));
    }
    devkit::built_binaries_dir()
}

/// A configuration using both providers, with a resource of each so that `terraform validate`
/// starts both binaries.
pub fn config() -> String {
    format!(
        "{}\nresource \"jamf_api_role\" \"r\" {{\n  display_name = \"r\"\n  privileges   = [\"Read Computers\"]\n}}\n\n\
         resource \"maas360_script_user\" \"u\" {{\n  username = \"u\"\n  email    = \"u@example.com\"\n  roles    = [\"Read-Only\"]\n}}\n",
        install::required_providers()
    )
}

/// Terraform with a given CLI configuration and HOME, and no way to reach a network: any
/// download attempt fails at once on a closed loopback port (a proxy nothing listens on; Go and
/// the providers' HTTP client never proxy loopback addresses, which stay reachable).
pub struct Tf {
    pub bin: PathBuf,
    pub cli_config: PathBuf,
    pub home: PathBuf,
    /// More environment, e.g. `SSL_CERT_FILE` or the providers' settings.
    pub env: Vec<(String, String)>,
}

pub struct Out {
    pub code: i32,
    pub text: String,
}

impl Tf {
    pub fn new(bin: PathBuf, cli_config: PathBuf, home: PathBuf) -> Tf {
        Tf { bin, cli_config, home, env: Vec::new() }
    }

    pub fn run(&self, dir: &Path, args: &[&str]) -> Out {
        let mut cmd = Command::new(&self.bin);
        // Nothing of the caller's Terraform settings or provider credentials.
        for (k, _) in std::env::vars_os() {
            if k.to_str().is_some_and(devkit::terraform::is_inherited_setting) {
                cmd.env_remove(&k);
            }
        }
        cmd.args(args)
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("HOME", &self.home)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("no_proxy")
            .env_remove("https_proxy")
            .env_remove("http_proxy")
            .env_remove("TF_LOG")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR")
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run terraform");
        Out {
            code: out.status.code().unwrap_or(-1),
            text: format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        }
    }

    #[track_caller]
    pub fn ok(&self, dir: &Path, args: &[&str]) -> Out {
        let out = self.run(dir, args);
        assert_eq!(out.code, 0, "terraform {args:?} in {} failed:\n{}", dir.display(), out.text);
        out
    }
}

pub fn workdir(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("main.tf"), config()).unwrap();
    dir
}

/// The `h1:`/`zh:` hashes the lock file holds for `mdmkit/<name>`, in the file's order.
pub fn locked_hashes(dir: &Path, name: &str) -> Vec<String> {
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
