//! Acceptance tests: the real provider binaries, launched by real terraform (`dev_overrides`), against
//! the simulator served in this test process on 127.0.0.1 with a free port.

use std::path::Path;

use mdmkit::sim::{SimConfig, SimHandle, Simulator};
use serde_json::Value;

use super::terraform::{Workdir, terraform_or_skip};

pub const JAMF_BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-jamf");
pub const MAAS360_BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-maas360");

/// A simulator plus a terraform working directory wired to it.
pub struct Acc {
    pub sim: SimHandle,
    pub wd: Workdir,
    pub http: reqwest::Client,
}

impl Acc {
    /// `None` (after printing why) when terraform is not installed outside CI.
    pub async fn start(test: &str) -> Option<Acc> {
        Acc::start_with(test, SimConfig::default()).await
    }

    pub async fn start_with(test: &str, cfg: SimConfig) -> Option<Acc> {
        let tf = terraform_or_skip(test)?;
        let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), cfg).await.expect("simulator starts");
        let mut wd = Workdir::new(tf);
        let bin_dir = Path::new(JAMF_BIN).parent().expect("binary dir");
        wd.dev_override("registry.terraform.io/mdmkit/jamf", bin_dir);
        wd.dev_override("registry.terraform.io/mdmkit/maas360", Path::new(MAAS360_BIN).parent().unwrap());
        let j = sim.jamf_admin().clone();
        wd.set_env("JAMF_URL", &sim.url());
        wd.set_env("JAMF_CLIENT_ID", &j.client_id);
        wd.set_env("JAMF_CLIENT_SECRET", &j.client_secret);
        let m = sim.maas360_admin().clone();
        wd.set_env("MAAS360_BASE_URL", &sim.url());
        wd.set_env("MAAS360_BILLING_ID", &m.billing_id);
        wd.set_env("MAAS360_APP_ID", &m.app_id);
        wd.set_env("MAAS360_APP_VERSION", &m.app_version);
        wd.set_env("MAAS360_PLATFORM_ID", &m.platform_id);
        wd.set_env("MAAS360_APP_ACCESS_KEY", &m.app_access_key);
        wd.set_env("MAAS360_USERNAME", &m.username);
        wd.set_env("MAAS360_PASSWORD", &m.password);
        Some(Acc { sim, wd, http: reqwest::Client::new() })
    }

    /// Write `main.tf` with the required_providers block prepended.
    pub fn config(&self, body: &str) {
        self.wd.write(
            "main.tf",
            &format!(
                "terraform {{\n  required_providers {{\n    jamf = {{ source = \"mdmkit/jamf\" }}\n    maas360 = {{ source = \"mdmkit/maas360\" }}\n  }}\n}}\n\n{body}"
            ),
        );
    }

    pub async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.sim.url());
        let mut req = self.http.request(method.clone(), &url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert!(status.is_success(), "{method} {path}: HTTP {status}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub async fn get(&self, path: &str) -> Value {
        self.control(reqwest::Method::GET, path, None).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Value {
        self.control(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Value {
        self.control(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.control(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Value {
        self.control(reqwest::Method::DELETE, path, None).await
    }

    /// The non-seeded objects of a Jamf list dump (`roles` or `integrations`).
    pub async fn jamf_objects(&self, kind: &str) -> Vec<Value> {
        self.get(&format!("/_sim/jamf/{kind}"))
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|o| o["seeded"] != true)
            .collect()
    }

    /// Request counters of a vendor, then reset them.
    pub async fn take_stats(&self, vendor: &str) -> Value {
        let s = self.get(&format!("/_sim/{vendor}/stats")).await;
        self.delete(&format!("/_sim/{vendor}/stats")).await;
        s
    }
}

/// Sum of request counters whose key starts with `prefix` (e.g. "GET /api/v1/api-roles").
pub fn requests(stats: &Value, key: &str) -> u64 {
    stats["requests"][key].as_u64().unwrap_or(0)
}

/// Terraform's human output with the diagnostic box drawing removed and all whitespace collapsed to
/// single spaces, so that assertions do not depend on line wrapping.
pub fn flat(text: &str) -> String {
    text.replace(['│', '╷', '╵'], " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Acc {
    /// The simulator's dump of the MaaS360 administrator `username` (not deleted), if any.
    pub async fn maas360_admin(&self, username: &str) -> Option<Value> {
        self.get("/_sim/maas360/admins")
            .await
            .as_array()?
            .iter()
            .find(|a| a["username"] == username && a["status"] != "Deleted")
            .cloned()
    }
}
