//! Test helpers: a simulator on 127.0.0.1:0 and a reqwest client with bounded timeouts.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::{SimConfig, SimHandle, Simulator};

pub struct Kit {
    pub sim: SimHandle,
    pub http: reqwest::Client,
}

/// Status, JSON body (`Null` when empty, a string when not JSON) and headers.
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().expect("reqwest client")
}

impl Kit {
    pub async fn start() -> Kit {
        Self::with(SimConfig::default()).await
    }

    pub async fn with(cfg: SimConfig) -> Kit {
        let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), cfg).await.expect("simulator starts");
        Kit { sim, http: client() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.url())
    }

    pub async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Reply { status, body, headers }
    }

    /// A JSON request with an optional bearer token. The request is built before the future is returned,
    /// so the future borrows nothing.
    pub fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> impl Future<Output = Reply> + use<> {
        let mut rb = self.http.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        async move { Self::reply(rb.send().await.expect("request sent")).await }
    }

    /// A `/_sim/` control request.
    pub fn control(&self, method: Method, path: &str, body: Option<Value>) -> impl Future<Output = Reply> + use<> {
        self.call(method, path, None, body)
    }

    /// A client-credentials token for the seeded Jamf admin client.
    pub async fn jamf_admin_token(&self) -> String {
        let a = self.sim.jamf_admin();
        self.jamf_token(&a.client_id, &a.client_secret).await
    }

    pub async fn jamf_token(&self, client_id: &str, secret: &str) -> String {
        let r = self.jamf_token_reply("/api/v1/oauth/token", client_id, secret).await;
        assert_eq!(r.status, 200, "token: {}", r.body);
        r.body["access_token"].as_str().expect("access_token").to_owned()
    }

    pub async fn jamf_token_reply(&self, path: &str, client_id: &str, secret: &str) -> Reply {
        let resp = self
            .http
            .post(self.url(path))
            .form(&[("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)])
            .send()
            .await
            .expect("token request");
        Self::reply(resp).await
    }
}
