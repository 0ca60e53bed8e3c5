//! `mdm-sim` as a child process: started on a free loopback port, its one JSON start line parsed
//! (URL and seeded credentials), its control surface (`/_sim/...`) called over HTTP, and the
//! process killed when the handle is dropped.

use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// How long `mdm-sim` may take to print its start line.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `mdm-sim`. Dropping it kills the process.
pub struct SimProcess {
    child: Option<Child>,
    info: Value,
    log: PathBuf,
    http: reqwest::Client,
}

impl SimProcess {
    /// Start `bin` (`mdm-sim`) on `127.0.0.1:0` with `extra_args`, logging to `log`.
    pub fn start(bin: &Path, extra_args: &[&str], log: &Path) -> io::Result<SimProcess> {
        let log_file = std::fs::File::create(log)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot create {}: {e}", log.display())))?;
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra_args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot start {}: {e}", bin.display())))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        // Read the line on a thread so that a simulator that never prints cannot hang us.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let r = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            let _ = tx.send(r);
        });
        let mut sim =
            SimProcess { child: Some(child), info: Value::Null, log: log.to_path_buf(), http: reqwest::Client::new() };
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => return Err(io::Error::new(e.kind(), format!("cannot read mdm-sim's start line: {e}"))),
            Err(_) => {
                return Err(io::Error::other(format!(
                    "mdm-sim printed no start line within {START_TIMEOUT:?}; see {}",
                    log.display()
                )));
            }
        };
        sim.info = serde_json::from_str(line.trim()).map_err(|e| {
            io::Error::other(format!(
                "mdm-sim printed {line:?} instead of its JSON start line ({e}); see {}",
                log.display()
            ))
        })?;
        Ok(sim)
    }

    /// A string of the start line, e.g. `["jamf", "client_id"]`.
    pub fn field(&self, path: &[&str]) -> String {
        let mut v = &self.info;
        for p in path {
            v = &v[*p];
        }
        v.as_str().unwrap_or_default().to_string()
    }

    /// `http://127.0.0.1:PORT`: both vendor APIs and `/_sim/`.
    pub fn url(&self) -> String {
        self.field(&["url"])
    }

    /// The simulator's log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The providers' environment variables for the seeded admins (`JAMF_URL`, `JAMF_CLIENT_ID`,
    /// `JAMF_CLIENT_SECRET`, `MAAS360_*`).
    pub fn provider_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("JAMF_URL", self.field(&["jamf", "url"])),
            ("JAMF_CLIENT_ID", self.field(&["jamf", "client_id"])),
            ("JAMF_CLIENT_SECRET", self.field(&["jamf", "client_secret"])),
            ("MAAS360_BASE_URL", self.field(&["maas360", "base_url"])),
            ("MAAS360_BILLING_ID", self.field(&["maas360", "billing_id"])),
            ("MAAS360_APP_ID", self.field(&["maas360", "app_id"])),
            ("MAAS360_APP_VERSION", self.field(&["maas360", "app_version"])),
            ("MAAS360_PLATFORM_ID", self.field(&["maas360", "platform_id"])),
            ("MAAS360_APP_ACCESS_KEY", self.field(&["maas360", "app_access_key"])),
            ("MAAS360_USERNAME", self.field(&["maas360", "username"])),
            ("MAAS360_PASSWORD", self.field(&["maas360", "password"])),
        ]
    }

    /// Call the control surface: `method` (`GET`, `PUT`, `PATCH`, `POST`, `DELETE`) on `path`
    /// (e.g. `/_sim/jamf/stats`) with an optional JSON body; returns the JSON answer.
    pub async fn control(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.url());
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut req = self.http.request(method.clone(), &url).timeout(Duration::from_secs(30));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(format!("{method} {path}: HTTP {status}: {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// [`SimProcess::control`] for callers without a tokio runtime.
    pub fn control_blocking(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        rt.block_on(self.control(method, path, body))
    }

    /// Kill the simulator and wait for it.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Leave the simulator running after this handle is dropped; returns its pid.
    pub fn detach(&mut self) -> Option<u32> {
        self.child.take().map(|c| c.id())
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
