//! Running real `terraform` in tests: a private working directory, our own CLI configuration
//! (never the user's `~/.terraformrc`, overriding any inherited `TF_CLI_CONFIG_FILE`), and
//! providers attached either in-process (`TF_REATTACH_PROVIDERS`) or from built binaries
//! (`dev_overrides`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The terraform executable: `$TERRAFORM`, else `terraform` on the PATH.
pub fn find_terraform() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TERRAFORM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("terraform")).find(|p| p.is_file())
}

/// The terraform executable, or `None` after printing why the test is skipped. In CI
/// (`CI=true`) a missing terraform fails the test instead.
pub fn terraform_or_skip(test: &str) -> Option<PathBuf> {
    match find_terraform() {
        Some(p) => Some(p),
        None if std::env::var("CI").map(|v| v == "true" || v == "1").unwrap_or(false) => {
            panic!("{test}: terraform is required in CI (set TERRAFORM or put terraform on the PATH)")
        }
        None => {
            eprintln!("SKIPPED {test}: terraform not found (set TERRAFORM or put it on the PATH)");
            None
        }
    }
}

/// The output of one terraform command.
#[derive(Debug)]
pub struct TfOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl TfOutput {
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn ok(self) -> TfOutput {
        assert_eq!(self.code, 0, "terraform failed:\n{}", self.combined());
        self
    }
}

/// A terraform run in the background (see [`Workdir::spawn`]).
pub struct Running {
    pub pid: u32,
    child: tokio::process::Child,
    stdout: tokio::task::JoinHandle<Vec<u8>>,
    stderr: tokio::task::JoinHandle<Vec<u8>>,
    started: Instant,
}

impl Running {
    /// Wait for the run to end (at most `limit`) and collect its output.
    pub async fn finish(mut self, limit: Duration) -> TfOutput {
        let status = tokio::time::timeout(limit, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("terraform did not finish within {limit:?}"))
            .expect("terraform runs");
        let stdout = self.stdout.await.unwrap_or_default();
        let stderr = self.stderr.await.unwrap_or_default();
        TfOutput {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            elapsed: self.started.elapsed(),
        }
    }
}

/// A terraform working directory with its own CLI configuration.
pub struct Workdir {
    pub terraform: PathBuf,
    dir: TempDir,
    env: BTreeMap<String, String>,
    dev_overrides: BTreeMap<String, PathBuf>,
}

impl Workdir {
    pub fn new(terraform: PathBuf) -> Workdir {
        let dir = tempfile::Builder::new().prefix("tfwork").tempdir().expect("temp dir");
        let wd = Workdir { terraform, dir, env: BTreeMap::new(), dev_overrides: BTreeMap::new() };
        wd.write_cli_config();
        wd
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

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

    pub fn set_env(&mut self, k: &str, v: &str) {
        self.env.insert(k.to_string(), v.to_string());
    }

    pub fn remove_env(&mut self, k: &str) {
        self.env.remove(k);
    }

    pub fn write(&self, name: &str, content: &str) {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, content).expect("write file");
    }

    pub fn remove(&self, name: &str) {
        let _ = std::fs::remove_file(self.dir.path().join(name));
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    /// Start terraform with `args` in its own process group (so a test can send it Ctrl-C the
    /// way a terminal does, to the whole group); its output is collected in the background so a
    /// chatty run (TF_LOG=trace) never blocks on a full pipe.
    pub fn spawn(&self, args: &[&str]) -> Running {
        use tokio::io::AsyncReadExt;
        let mut cmd = self.command(args);
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

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&self.terraform);
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", self.cli_config_path())
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_INPUT", "0")
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .env_remove("TF_LOG_PATH")
            .env_remove("TF_REATTACH_PROVIDERS")
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// Run terraform with `args` (and `-no-color`), waiting at most `timeout`.
    pub async fn run_timeout(&self, args: &[&str], timeout: Duration) -> TfOutput {
        let mut cmd = self.command(args);
        let started = Instant::now();
        let child = cmd.spawn().expect("spawn terraform");
        let out = match tokio::time::timeout(timeout, child.wait_with_output()).await {
            Ok(r) => r.expect("terraform runs"),
            Err(_) => panic!("terraform {args:?} did not finish within {timeout:?}"),
        };
        TfOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: started.elapsed(),
        }
    }

    pub async fn run(&self, args: &[&str]) -> TfOutput {
        let mut full: Vec<&str> = args.to_vec();
        if !full.contains(&"-no-color") && !matches!(args.first(), Some(&"output") | Some(&"version")) {
            full.push("-no-color");
        }
        self.run_timeout(&full, Duration::from_secs(600)).await
    }

    pub async fn init(&self) -> TfOutput {
        self.run(&["init", "-input=false"]).await
    }

    pub async fn apply(&self) -> TfOutput {
        self.run(&["apply", "-auto-approve", "-input=false"]).await
    }

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
