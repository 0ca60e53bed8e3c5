//! The one way this repository runs real `terraform` (tests, the benchmark and the quickstart): a
//! CLI configuration of our own (never the user's `~/.terraformrc`), nothing inherited that could
//! change what runs (`TF_*`, the providers' `JAMF*` / `MAAS360_*` credentials), no prompts, no
//! colour, and a time limit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::exe;

/// How long one terraform command may run unless the caller says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The terraform executable: `$TERRAFORM`, else `terraform` on the `PATH`.
pub fn find_terraform() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TERRAFORM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(exe("terraform"))).find(|p| p.is_file())
}

/// Whether this runs in CI (`CI=true` or `CI=1`), where a missing terraform is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The terraform executable for a test, or `None` after printing why the test is skipped. In CI a
/// missing terraform fails the test instead.
pub fn terraform_or_skip(test: &str) -> Option<PathBuf> {
    match find_terraform() {
        Some(p) => Some(p),
        None if in_ci() => {
            panic!("{test}: terraform is required in CI (set TERRAFORM or put terraform on the PATH)")
        }
        None => {
            eprintln!("SKIPPED {test}: terraform not found (set TERRAFORM or put it on the PATH)");
            None
        }
    }
}

/// Environment variables a child terraform must not inherit from the caller: Terraform's own
/// (`TF_*`: CLI configuration, logging, reattach, plugin cache, workspace) and the providers'
/// credentials (`JAMF*`, `MAAS360_*`), which would mix with the ones set for the simulator.
pub fn is_inherited_setting(name: &str) -> bool {
    name.starts_with("TF_") || name.starts_with("JAMF") || name.starts_with("MAAS360_")
}

/// Of the variable `names` a process has, those [`is_inherited_setting`] picks out.
fn inherited_settings(names: impl IntoIterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    names.into_iter().filter(|k| k.to_str().is_some_and(is_inherited_setting)).collect()
}

/// `args` with `-no-color` added, except where terraform does not take it (`output`, `version`) or
/// it is there already.
fn with_no_color<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut full = args.to_vec();
    if !full.contains(&"-no-color") && !matches!(args.first(), Some(&"output") | Some(&"version")) {
        full.push("-no-color");
    }
    full
}

/// The output of one terraform command.
#[derive(Debug)]
pub struct TfOutput {
    /// The exit code (`-1` when terraform was killed by a signal).
    pub code: i32,
    /// Everything terraform wrote to stdout.
    pub stdout: String,
    /// Everything terraform wrote to stderr.
    pub stderr: String,
    /// Wall time from start to exit.
    pub elapsed: Duration,
}

impl TfOutput {
    fn of(out: std::process::Output, elapsed: Duration) -> TfOutput {
        TfOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed,
        }
    }

    /// stdout, then stderr.
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// The last 40 non-empty lines of [`TfOutput::combined`], for an error message.
    pub fn tail(&self) -> String {
        let all = self.combined();
        let lines: Vec<&str> = all.lines().filter(|l| !l.trim().is_empty()).collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Wall time in seconds.
    pub fn secs(&self) -> f64 {
        self.elapsed.as_secs_f64()
    }

    /// In a test: the output, or a panic with terraform's output unless it exited 0.
    #[track_caller]
    pub fn ok(self) -> TfOutput {
        assert_eq!(self.code, 0, "terraform failed:\n{}", self.combined());
        self
    }
}

/// terraform with fixed settings; each run names its working directory and CLI configuration.
#[derive(Clone, Debug)]
pub struct Terraform {
    /// The terraform executable.
    pub bin: PathBuf,
    /// Variables set for every run, after the inherited settings are removed.
    pub env: BTreeMap<String, String>,
    /// How long one run may take before it is killed.
    pub timeout: Duration,
}

impl Terraform {
    /// `bin` with no extra environment and [`DEFAULT_TIMEOUT`].
    pub fn new(bin: PathBuf) -> Terraform {
        Terraform { bin, env: BTreeMap::new(), timeout: DEFAULT_TIMEOUT }
    }

    /// The command `terraform <args>` in `dir` with the CLI configuration `cli_config`, `-no-color`
    /// added where terraform takes it, output piped.
    pub fn std_command(&self, dir: &Path, cli_config: &Path, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(&self.bin);
        cmd.args(with_no_color(args)).current_dir(dir);
        for k in inherited_settings(std::env::vars_os().map(|(k, _)| k)) {
            cmd.env_remove(k);
        }
        cmd.env("TF_CLI_CONFIG_FILE", cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_INPUT", "0")
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// [`Terraform::std_command`] for tokio, killed when dropped.
    pub fn command(&self, dir: &Path, cli_config: &Path, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::from(self.std_command(dir, cli_config, args));
        cmd.kill_on_drop(true);
        cmd
    }

    /// Run terraform and collect its output; an error if it cannot start or outlives the timeout
    /// (it is killed then).
    pub async fn run(&self, dir: &Path, cli_config: &Path, args: &[&str]) -> Result<TfOutput, String> {
        let started = Instant::now();
        let child = self
            .command(dir, cli_config, args)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.bin.display()))?;
        match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(out) => {
                Ok(TfOutput::of(out.map_err(|e| format!("terraform {}: {e}", args.join(" ")))?, started.elapsed()))
            }
            Err(_) => Err(format!(
                "terraform {} in {} did not finish within {:?} (killed)",
                args.join(" "),
                dir.display(),
                self.timeout
            )),
        }
    }

    /// [`Terraform::run`], failing unless the exit code is one of `codes`.
    pub async fn expect(
        &self,
        dir: &Path,
        cli_config: &Path,
        args: &[&str],
        codes: &[i32],
    ) -> Result<TfOutput, String> {
        let r = self.run(dir, cli_config, args).await?;
        if !codes.contains(&r.code) {
            return Err(format!("terraform {} in {} exited {}:\n{}", args.join(" "), dir.display(), r.code, r.tail()));
        }
        Ok(r)
    }

    /// [`Terraform::run`], failing unless it exits 0.
    pub async fn ok(&self, dir: &Path, cli_config: &Path, args: &[&str]) -> Result<TfOutput, String> {
        self.expect(dir, cli_config, args, &[0]).await
    }

    /// [`Terraform::expect`] for callers without a runtime.
    pub fn expect_blocking(
        &self,
        dir: &Path,
        cli_config: &Path,
        args: &[&str],
        codes: &[i32],
    ) -> Result<TfOutput, String> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start a runtime: {e}"))?
            .block_on(self.expect(dir, cli_config, args, codes))
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

/// A terraform run in the background (see [`Workdir::spawn`]).
pub struct Running {
    /// The terraform process id (its process group id too).
    pub pid: u32,
    child: tokio::process::Child,
    stdout: tokio::task::JoinHandle<Vec<u8>>,
    stderr: tokio::task::JoinHandle<Vec<u8>>,
    started: Instant,
}

impl Running {
    /// Wait for the run to end (at most `limit`, else panic) and collect its output.
    pub async fn finish(mut self, limit: Duration) -> TfOutput {
        let status = tokio::time::timeout(limit, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("terraform did not finish within {limit:?}"))
            .expect("terraform runs");
        let stdout = self.stdout.await.unwrap_or_default();
        let stderr = self.stderr.await.unwrap_or_default();
        TfOutput::of(std::process::Output { status, stdout, stderr }, self.started.elapsed())
    }
}

/// A test's terraform working directory: a private temporary directory with its own CLI
/// configuration, which installs nothing from the network and may point provider addresses at
/// built binaries (`dev_overrides`). Its methods panic on failure, as a test wants.
pub struct Workdir {
    /// The runner, with the environment set by [`Workdir::set_env`].
    pub terraform: Terraform,
    dir: TempDir,
    dev_overrides: BTreeMap<String, PathBuf>,
}

impl Workdir {
    /// A fresh working directory for the terraform executable `bin`.
    pub fn new(bin: PathBuf) -> Workdir {
        let dir = tempfile::Builder::new().prefix("tfwork").tempdir().expect("temp dir");
        let wd = Workdir { terraform: Terraform::new(bin), dir, dev_overrides: BTreeMap::new() };
        wd.write_cli_config();
        wd
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The CLI configuration file every run uses.
    pub fn cli_config_path(&self) -> PathBuf {
        self.dir.path().join(".terraformrc-test")
    }

    fn write_cli_config(&self) {
        let mut text = String::from("provider_installation {\n");
        if !self.dev_overrides.is_empty() {
            text.push_str("  dev_overrides {\n");
            for (addr, dir) in &self.dev_overrides {
                text.push_str(&format!("    {addr:?} = {:?}\n", dir.display().to_string()));
            }
            text.push_str("  }\n");
        }
        // Nothing may come from the network.
        text.push_str("  direct {\n    exclude = [\"*/*/*\"]\n  }\n}\n");
        std::fs::write(self.cli_config_path(), text).expect("write CLI config");
    }

    /// Use a built provider binary directory for `address` (e.g. `registry.terraform.io/mdmkit/jamf`).
    pub fn dev_override(&mut self, address: &str, dir: &Path) {
        self.dev_overrides.insert(address.to_string(), dir.to_path_buf());
        self.write_cli_config();
    }

    /// Set a variable for every later run.
    pub fn set_env(&mut self, k: &str, v: &str) {
        self.terraform.env.insert(k.to_string(), v.to_string());
    }

    /// Stop setting a variable (inherited settings stay removed).
    pub fn remove_env(&mut self, k: &str) {
        self.terraform.env.remove(k);
    }

    /// Write a file (creating its directories) relative to the working directory.
    pub fn write(&self, name: &str, content: &str) {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, content).expect("write file");
    }

    /// Remove a file, if it exists.
    pub fn remove(&self, name: &str) {
        let _ = std::fs::remove_file(self.dir.path().join(name));
    }

    /// A file's text, empty if it does not exist.
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    /// Start terraform with `args` in its own process group (so a test can send it Ctrl-C the
    /// way a terminal does, to the whole group); its output is collected in the background so a
    /// chatty run (TF_LOG=trace) never blocks on a full pipe.
    #[cfg(unix)]
    pub fn spawn(&self, args: &[&str]) -> Running {
        use tokio::io::AsyncReadExt;
        let mut cmd = self.terraform.command(self.path(), &self.cli_config_path(), args);
        cmd.process_group(0);
        let mut child = cmd.spawn().expect("spawn terraform");
        let collect = |mut r: Box<dyn tokio::io::AsyncRead + Unpin + Send>| {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let _ = r.read_to_end(&mut buf).await;
                buf
            })
        };
        let stdout = collect(Box::new(child.stdout.take().expect("piped stdout")));
        let stderr = collect(Box::new(child.stderr.take().expect("piped stderr")));
        Running { pid: child.id().expect("running"), child, stdout, stderr, started: Instant::now() }
    }

    /// Run terraform with `args`, waiting at most `timeout` (else panic).
    pub async fn run_timeout(&self, args: &[&str], timeout: Duration) -> TfOutput {
        let tf = Terraform { timeout, ..self.terraform.clone() };
        tf.run(self.path(), &self.cli_config_path(), args).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// Run terraform with `args` (at most [`DEFAULT_TIMEOUT`]).
    pub async fn run(&self, args: &[&str]) -> TfOutput {
        self.run_timeout(args, DEFAULT_TIMEOUT).await
    }

    /// `terraform init`.
    pub async fn init(&self) -> TfOutput {
        self.run(&["init", "-input=false"]).await
    }

    /// `terraform apply -auto-approve`.
    pub async fn apply(&self) -> TfOutput {
        self.run(&["apply", "-auto-approve", "-input=false"]).await
    }

    /// `terraform destroy -auto-approve`.
    pub async fn destroy(&self) -> TfOutput {
        self.run(&["destroy", "-auto-approve", "-input=false"]).await
    }

    /// `plan -detailed-exitcode`: 0 no changes, 2 changes, 1 error.
    pub async fn plan_exitcode(&self) -> TfOutput {
        self.run(&["plan", "-detailed-exitcode", "-input=false"]).await
    }

    /// `terraform show -json` of the state.
    pub async fn show_json(&self) -> serde_json::Value {
        let out = self.run(&["show", "-json"]).await.ok();
        serde_json::from_str(&out.stdout).expect("show -json is JSON")
    }

    /// The raw state file.
    pub fn state_text(&self) -> String {
        self.read("terraform.tfstate")
    }

    /// Values of the resource at `address` in `terraform show -json`.
    pub async fn resource_values(&self, address: &str) -> serde_json::Value {
        let show = self.show_json().await;
        find_resource(&show, address).unwrap_or_else(|| panic!("{address} not in state: {show:#}"))
    }
}

/// Find a resource's `values` in `terraform show -json` output (root module).
pub fn find_resource(show: &serde_json::Value, address: &str) -> Option<serde_json::Value> {
    show["values"]["root_module"]["resources"]
        .as_array()?
        .iter()
        .find(|r| r["address"] == address)
        .map(|r| r["values"].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_is_added_where_terraform_takes_it() {
        assert_eq!(with_no_color(&["plan"]), ["plan", "-no-color"]);
        assert_eq!(with_no_color(&["plan", "-no-color"]), ["plan", "-no-color"]);
        assert_eq!(with_no_color(&["output", "-raw", "x"]), ["output", "-raw", "x"]);
        assert_eq!(with_no_color(&["version"]), ["version"]);
    }

    #[test]
    fn inherited_settings_are_terraforms_and_the_providers() {
        for k in ["TF_LOG", "TF_CLI_CONFIG_FILE", "JAMF_URL", "JAMFPRO_CLIENT_ID", "MAAS360_PASSWORD"] {
            assert!(is_inherited_setting(k), "{k}");
        }
        for k in ["PATH", "HOME", "SSL_CERT_FILE", "TERRAFORM"] {
            assert!(!is_inherited_setting(k), "{k}");
        }
    }

    #[test]
    fn the_inherited_settings_of_an_environment_are_removed() {
        let names = ["PATH", "TF_LOG", "HOME", "JAMF_URL", "MAAS360_PASSWORD"].map(std::ffi::OsString::from);
        assert_eq!(inherited_settings(names), ["TF_LOG", "JAMF_URL", "MAAS360_PASSWORD"]);
    }

    #[test]
    fn the_command_sets_our_settings_and_adds_no_color() {
        let mut tf = Terraform::new(PathBuf::from("terraform"));
        tf.env.insert("JAMF_URL".into(), "http://127.0.0.1:1".into());
        let cmd = tf.std_command(Path::new("/w"), Path::new("/w/rc"), &["plan"]);
        let envs: BTreeMap<String, Option<String>> = cmd
            .get_envs()
            .map(|(k, v)| (k.to_string_lossy().into_owned(), v.map(|v| v.to_string_lossy().into_owned())))
            .collect();
        assert_eq!(envs["TF_CLI_CONFIG_FILE"].as_deref(), Some("/w/rc"));
        assert_eq!(envs["TF_INPUT"].as_deref(), Some("0"));
        assert_eq!(envs["JAMF_URL"].as_deref(), Some("http://127.0.0.1:1"));
        let args: Vec<_> = cmd.get_args().collect();
        assert_eq!(args, ["plan", "-no-color"]);
    }
}
