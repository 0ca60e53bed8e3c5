//! Acceptance tests: the real provider binaries, launched by real terraform (`dev_overrides`), against
//! the simulator served in this test process on 127.0.0.1 with a free port.

use std::path::Path;

use mdm_sim::{SimConfig, SimHandle, Simulator};
use serde_json::Value;

use super::terraform::{Workdir, terraform_or_skip};

/// The `terraform-provider-jamf` binary cargo built for these tests.
pub const JAMF_BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-jamf");
/// The `terraform-provider-maas360` binary cargo built for these tests.
pub const MAAS360_BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-maas360");

/// A simulator plus a terraform working directory wired to it.
pub struct Acc {
    /// The simulator both providers talk to.
    pub sim: SimHandle,
    /// The terraform working directory, with both providers' `dev_overrides` and their credentials
    /// for the simulator in its environment.
    pub wd: Workdir,
    /// The HTTP client for the simulator's control surface.
    pub http: reqwest::Client,
}

impl Acc {
    /// `None` (after printing why) when terraform is not installed outside CI.
    pub async fn start(test: &str) -> Option<Acc> {
        Acc::start_with(test, SimConfig::default()).await
    }

    /// [`Acc::start`] with a simulator configured by `cfg`.
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

    /// Call the simulator at `path` with an optional JSON body; panics unless the answer is a
    /// success, and returns its JSON body (`Null` when it is none).
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

    /// `GET path` on the simulator, as [`Acc::control`].
    pub async fn get(&self, path: &str) -> Value {
        self.control(reqwest::Method::GET, path, None).await
    }

    /// `PUT path` with a JSON body on the simulator, as [`Acc::control`].
    pub async fn put(&self, path: &str, body: Value) -> Value {
        self.control(reqwest::Method::PUT, path, Some(body)).await
    }

    /// `PATCH path` with a JSON body on the simulator, as [`Acc::control`].
    pub async fn patch(&self, path: &str, body: Value) -> Value {
        self.control(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// `POST path` with a JSON body on the simulator, as [`Acc::control`].
    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.control(reqwest::Method::POST, path, Some(body)).await
    }

    /// `DELETE path` on the simulator, as [`Acc::control`].
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

// ----- Jamf acceptance helpers -----

/// The outcome of one HTTP call to the simulator's Jamf API (not the control surface).
#[derive(Debug)]
pub struct ApiReply {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body (`Null` when there is none or it is not JSON).
    pub body: Value,
}

impl Acc {
    /// Zero a vendor's request counters.
    pub async fn reset_stats(&self, vendor: &str) {
        self.delete(&format!("/_sim/{vendor}/stats")).await;
    }

    /// A vendor's request counters (without resetting them).
    pub async fn stats(&self, vendor: &str) -> Value {
        self.get(&format!("/_sim/{vendor}/stats")).await
    }

    /// One object of a Jamf list dump by id (`roles` or `integrations`).
    pub async fn jamf_object(&self, kind: &str, id: &str) -> Option<Value> {
        let all = self.get(&format!("/_sim/jamf/{kind}")).await;
        all.as_array()?
            .iter()
            .find(|o| o["id"].as_str() == Some(id) || o["id"].as_u64().map(|n| n.to_string()).as_deref() == Some(id))
            .cloned()
    }

    /// `POST /api/v1/oauth/token` with a client's credentials, as a vendor holding them would.
    pub async fn oauth_token(&self, client_id: &str, client_secret: &str) -> ApiReply {
        let resp = self
            .http
            .post(format!("{}/api/v1/oauth/token", self.sim.url()))
            .form(&[("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", client_secret)])
            .send()
            .await
            .expect("token request");
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(Value::Null);
        ApiReply { status, body }
    }

    /// An access token of the seeded admin client (holds every privilege).
    pub async fn admin_token(&self) -> String {
        let a = self.sim.jamf_admin().clone();
        let r = self.oauth_token(&a.client_id, &a.client_secret).await;
        assert_eq!(r.status, 200, "admin token: {:?}", r.body);
        r.body["access_token"].as_str().expect("access_token").to_string()
    }

    /// A Jamf API call with a bearer token (e.g. `GET /api/v1/api-roles`).
    pub async fn jamf_api_with(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> ApiReply {
        let mut req = self.http.request(method, format!("{}{path}", self.sim.url())).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("jamf api request");
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(Value::Null);
        ApiReply { status, body }
    }

    /// A Jamf API call as the seeded admin (what another tool or a person would do out of band).
    pub async fn jamf_api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> ApiReply {
        let token = self.admin_token().await;
        self.jamf_api_with(&token, method, path, body).await
    }

    /// Both plans a drift pipeline runs, right after an apply: `plan -detailed-exitcode` and
    /// `plan -refresh-only -detailed-exitcode` must both exit 0 (no change, no drift). `what`
    /// names the configuration in the failure. Returns the two exit codes.
    pub async fn assert_no_drift(&self, what: &str) -> (i32, i32) {
        let plan = self.wd.plan_exitcode().await;
        assert_eq!(plan.code, 0, "{what}: `plan -detailed-exitcode` after apply:\n{}", plan.combined());
        let refresh = self.wd.run(&["plan", "-refresh-only", "-detailed-exitcode", "-input=false"]).await;
        assert_eq!(
            refresh.code,
            0,
            "{what}: `plan -refresh-only -detailed-exitcode` after apply reports drift:\n{}",
            refresh.combined()
        );
        (plan.code, refresh.code)
    }

    /// `terraform plan -out` then `terraform show -json` of that plan. Panics if the plan fails.
    pub async fn plan_json(&self) -> Value {
        let out = self.wd.run(&["plan", "-input=false", "-out=acc.tfplan"]).await;
        assert_eq!(out.code, 0, "plan failed:\n{}", out.combined());
        let show = self.wd.run(&["show", "-json", "acc.tfplan"]).await.ok();
        serde_json::from_str(&show.stdout).expect("plan JSON")
    }
}

/// The planned actions of `address` in a `terraform show -json <plan>` document (`["no-op"]`,
/// `["update"]`, `["delete", "create"]`, ...); empty when the address is not in the plan.
pub fn planned_actions(plan: &Value, address: &str) -> Vec<String> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["address"] == address)
        .and_then(|c| c["change"]["actions"].as_array())
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// `n` roles and `n` clients (client i holds role i), and optionally `n` secrets.
pub fn many(n: usize, secrets: bool) -> String {
    let mut hcl = format!(
        r#"
resource "jamf_api_role" "r" {{
  count        = {n}
  display_name = "Role ${{count.index}}"
  privileges   = ["Read Computers", "Read Mobile Devices"]
}}

resource "jamf_api_client" "c" {{
  count                = {n}
  display_name         = "Client ${{count.index}}"
  authorization_scopes = [jamf_api_role.r[count.index].display_name]
}}
"#
    );
    if secrets {
        hcl.push_str(&format!(
            r#"
resource "jamf_client_secret" "s" {{
  count         = {n}
  api_client_id = jamf_api_client.c[count.index].id
}}
"#
        ));
    }
    hcl
}
