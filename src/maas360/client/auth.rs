//! Authentication (maas360-api.md §1.3–1.7): auth 2.0 with refresh tokens, or auth 1.0 with a
//! JSON or XML body. Login failures come back as HTTP 200 with `errorCode != 0`, so both the
//! status and the body are checked.

use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tracing::debug;

use super::error::{Call, ConfigError, Maas360Error, Maas360ErrorKind, Op};
use super::parse::{error_info, find, parse_body};
use super::{AuthApiVersion, AuthBodyFormat, Maas360Client};
use crate::rest::redact::KnownSecrets;
use crate::rest::url::join_segments;
use crate::rest::{Request, Response, lenient};

/// The provider's session: the token and, with auth 2.0, the (rotating) refresh token.
#[derive(Clone)]
pub(super) struct Session {
    pub(super) token: SecretString,
    pub(super) refresh: Option<SecretString>,
}

/// The last credential field: a password, or a refresh token (auth 2.0 refresh).
#[derive(Clone, Copy)]
enum Proof<'a> {
    Password(&'a SecretString),
    RefreshToken(&'a SecretString),
}

impl Maas360Client {
    /// Mints the provider's session: a refresh when a refresh token is known (auth 2.0), falling
    /// back to a full authentication if the refresh is refused.
    pub(super) async fn mint_session(&self, previous: Option<Session>) -> Result<(Session, Duration), Maas360Error> {
        let usable = self.inner.token_lifetime.saturating_sub(self.inner.token_refresh_margin);
        let refresh = previous.and_then(|s| s.refresh);
        if let (AuthApiVersion::V2, Some(refresh)) = (self.inner.auth_api_version, refresh) {
            match self.refresh(&refresh).await {
                Ok(session) => return Ok((session, usable)),
                Err(e) if e.is_invalid_credentials() => {
                    debug!("maas360: refresh token refused; authenticating again");
                }
                Err(e) => return Err(e),
            }
        }
        let username = self.inner.username.clone();
        let session = self.authenticate_as(&username, &self.inner.password).await?;
        Ok((session, usable))
    }

    /// Authenticates `username` with the client's app credentials, without touching the cache.
    pub(super) async fn authenticate_as(
        &self,
        username: &str,
        password: &SecretString,
    ) -> Result<Session, Maas360Error> {
        let billing = self.inner.billing_id.as_str();
        let (segments, xml): (Vec<&str>, bool) = match self.inner.auth_api_version {
            AuthApiVersion::V2 => (vec!["auth-apis", "auth", "2.0", "authenticate", "customer", billing], false),
            AuthApiVersion::V1 => (
                vec!["auth-apis", "auth", "1.0", "authenticate", billing],
                self.inner.auth_v1_body == AuthBodyFormat::Xml,
            ),
        };
        let url = join_segments(&self.inner.base, &segments);
        let call = Call { op: Op::Authenticate, method: Method::POST, path: url.path().to_owned() };
        let proof = Proof::Password(password);
        let req = Request::new(Method::POST, url).header(ACCEPT, HeaderValue::from_static("application/json"));
        let req = if xml {
            req.body("application/xml", self.xml_body(username, password))
        } else {
            req.body("application/json", self.json_body(username, proof).to_string())
        }
        // Authenticating twice is harmless; an ambiguous failure may be retried.
        .idempotent(true);
        let resp = self.send_raw(&call, &req).await?;
        interpret(&call, username, &resp, self.inner.core.secrets())
    }

    async fn refresh(&self, refresh: &SecretString) -> Result<Session, Maas360Error> {
        let billing = self.inner.billing_id.as_str();
        let url = join_segments(&self.inner.base, &["auth-apis", "auth", "2.0", "refreshToken", "customer", billing]);
        let call = Call { op: Op::RefreshToken, method: Method::POST, path: url.path().to_owned() };
        let username = self.inner.username.clone();
        let body = self.json_body(&username, Proof::RefreshToken(refresh)).to_string();
        let req = Request::new(Method::POST, url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .body("application/json", body)
            .idempotent(true);
        let resp = self.send_raw(&call, &req).await?;
        let mut session = interpret(&call, &username, &resp, self.inner.core.secrets())?;
        // Keep the old refresh token if the server did not send a new one.
        if session.refresh.is_none() {
            session.refresh = Some(refresh.clone());
        }
        Ok(session)
    }

    /// `{"authRequest":{"maaS360AdminAuth":{...}}}`.
    fn json_body(&self, username: &str, proof: Proof<'_>) -> Value {
        let i = &self.inner;
        let mut auth = json!({
            "billingID": i.billing_id,
            "platformID": i.platform_id,
            "appID": i.app_id,
            "appVersion": i.app_version,
            "appAccessKey": i.app_access_key.expose_secret(),
            "userName": username,
        });
        let (key, value) = match proof {
            Proof::Password(p) => ("password", p),
            Proof::RefreshToken(r) => ("refreshToken", r),
        };
        auth[key] = Value::String(value.expose_secret().to_owned());
        json!({ "authRequest": { "maaS360AdminAuth": auth } })
    }

    /// `<authRequest><maaS360AdminAuth>…</maaS360AdminAuth></authRequest>` (auth 1.0 only).
    fn xml_body(&self, username: &str, password: &SecretString) -> String {
        let i = &self.inner;
        let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
        format!(
            "<authRequest><maaS360AdminAuth><billingID>{}</billingID><platformID>{}</platformID><appID>{}</appID>\
             <appVersion>{}</appVersion><appAccessKey>{}</appAccessKey><userName>{}</userName>\
             <password>{}</password></maaS360AdminAuth></authRequest>",
            esc(&i.billing_id),
            esc(&i.platform_id),
            esc(&i.app_id),
            esc(&i.app_version),
            esc(i.app_access_key.expose_secret()),
            esc(username),
            esc(password.expose_secret()),
        )
    }
}

/// Interprets an authentication answer (JSON or XML). The tokens it carries join the secrets
/// scrubbed from messages; its `errorDesc` (in a 200 answer, which the REST layer does not
/// scrub) is scrubbed of them.
fn interpret(call: &Call, username: &str, resp: &Response, secrets: &KnownSecrets) -> Result<Session, Maas360Error> {
    let status = resp.status;
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        return Err(super::status_error(call, resp));
    }
    if status == StatusCode::NOT_FOUND {
        return Err(ConfigError::NoAuthEndpoint { path: call.path.clone() }.into());
    }
    let body = parse_body(resp.content_type(), &resp.body);
    let (code, description) = body.as_ref().map(error_info).unwrap_or((None, None));
    // An errorCode field that is present but not a number still signals a failure.
    let unreadable_code = body
        .as_ref()
        .and_then(|v| find(v, "errorCode"))
        .is_some_and(|c| lenient::i64(c).is_none() && lenient::non_empty_string(c).is_some());
    if code.is_some() || unreadable_code || matches!(status.as_u16(), 401 | 403) {
        let description = secrets.scrub(&description.unwrap_or_else(|| format!("http {}", status.as_u16())));
        return Err(Maas360Error::new(
            call.clone(),
            Maas360ErrorKind::InvalidCredentials { username: username.to_owned(), code, description },
        ));
    }
    if !status.is_success() {
        return Err(super::status_error(call, resp));
    }
    let Some(body) = body else {
        let message = "the authentication answer is neither json nor xml".into();
        return Err(Maas360Error::answered(call.clone(), status.as_u16(), Maas360ErrorKind::Decode { message }));
    };
    let token = find(&body, "authToken").and_then(lenient::non_empty_string);
    let refresh = find(&body, "refreshToken").and_then(lenient::non_empty_string);
    match token {
        Some(token) => {
            secrets.add(&token);
            if let Some(r) = &refresh {
                secrets.add(r);
            }
            Ok(Session { token: SecretString::from(token), refresh: refresh.map(SecretString::from) })
        }
        None => {
            let message = "the authentication answer has no authToken and no error code".into();
            Err(Maas360Error::answered(call.clone(), status.as_u16(), Maas360ErrorKind::Decode { message }))
        }
    }
}
