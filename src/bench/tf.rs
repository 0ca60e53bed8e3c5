//! Running terraform for the benchmark: one working directory, one CLI configuration, the
//! simulator's credentials, nothing inherited that could change what is measured, and a time limit.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::devtools::is_inherited_setting;

/// The result of one terraform command.
pub struct TfRun {
    pub secs: f64,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TfRun {
    fn tail(&self) -> String {
        let all = format!("{}\n{}", self.stdout, self.stderr);
        let lines: Vec<&str> = all.lines().filter(|l| !l.trim().is_empty()).collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

/// terraform with fixed settings.
#[derive(Clone)]
pub struct Terraform {
    pub bin: PathBuf,
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
}

impl Terraform {
    /// Run `terraform <args> -no-color` in `dir` with the CLI configuration `cli_config`.
    pub async fn run(&self, dir: &Path, cli_config: &Path, args: &[&str]) -> Result<TfRun, String> {
        let mut cmd = tokio::process::Command::new(&self.bin);
        cmd.args(args).arg("-no-color").current_dir(dir);
        for (k, _) in std::env::vars_os() {
            if k.to_str().is_some_and(is_inherited_setting) {
                cmd.env_remove(k);
            }
        }
        cmd.env("TF_CLI_CONFIG_FILE", cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_INPUT", "0")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started = Instant::now();
        let child = cmd.spawn().map_err(|e| format!("cannot run {}: {e}", self.bin.display()))?;
        let out = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(r) => r.map_err(|e| format!("terraform {}: {e}", args.join(" ")))?,
            Err(_) => {
                return Err(format!(
                    "terraform {} in {} did not finish within {:?} (killed)",
                    args.join(" "),
                    dir.display(),
                    self.timeout
                ));
            }
        };
        let secs = started.elapsed().as_secs_f64();
        Ok(TfRun {
            secs,
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    /// [`Terraform::run`], failing unless it exits 0.
    pub async fn ok(&self, dir: &Path, cli_config: &Path, args: &[&str]) -> Result<TfRun, String> {
        let r = self.run(dir, cli_config, args).await?;
        if r.code != 0 {
            return Err(format!("terraform {} in {} exited {}:\n{}", args.join(" "), dir.display(), r.code, r.tail()));
        }
        Ok(r)
    }
}

/// Remove a working directory's state (so the next apply creates everything again).
pub fn remove_state(dir: &Path) -> std::io::Result<()> {
    for f in ["terraform.tfstate", "terraform.tfstate.backup"] {
        match std::fs::remove_file(dir.join(f)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
