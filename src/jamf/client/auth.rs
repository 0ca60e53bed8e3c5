//! Getting a bearer token: OAuth client credentials or username/password (jamf-api.md §1.1).

use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tracing::debug;

use super::decode_error;
use super::error::{ApiError, Call, JamfError, JamfErrorKind, Op};
use super::{JamfAuth, JamfClient};
use crate::rest::Request;
use crate::rest::lenient;
use crate::rest::url::join_segments;

/// A bearer token; `Debug` never shows it.
#[derive(Clone)]
pub(super) struct BearerToken(pub(super) SecretString);

/// Lifetime assumed when the server does not say (or says something unusable). Short on
/// purpose: a wrong guess costs one extra token request, and a 401 re-mints anyway.
const FALLBACK_LIFETIME: Duration = Duration::from_secs(60);

/// How long a token is used before minting a new one: its lifetime minus a skew buffer of a fifth
/// of the lifetime, at most 60 s. So 300 s → 240 s, 60 s → 48 s, 1 s → 0.8 s. The buffer covers
/// clock skew and the time a request spends in flight; scaling it keeps tiny lifetimes usable.
pub(crate) fn usable_lifetime(lifetime: Duration) -> Duration {
    let skew = (lifetime / 5).min(Duration::from_secs(60));
    lifetime.saturating_sub(skew)
}

const PRIMARY_TOKEN_PATH: &[&str] = &["api", "v1", "oauth", "token"];
const LEGACY_TOKEN_PATH: &[&str] = &["api", "oauth", "token"];
const BASIC_TOKEN_PATH: &[&str] = &["api", "v1", "auth", "token"];

impl JamfClient {
    pub(super) async fn mint_token(&self) -> Result<(BearerToken, Duration), JamfError> {
        let (token, lifetime) = match &self.inner.auth {
            JamfAuth::ClientCredentials { client_id, client_secret } => {
                self.mint_oauth(client_id, client_secret).await?
            }
            JamfAuth::Basic { username, password } => self.mint_basic(username, password).await?,
        };
        self.inner.core.secrets().add(token.expose_secret());
        debug!(lifetime_s = lifetime.as_secs(), "jamf: access token obtained");
        Ok((BearerToken(token), usable_lifetime(lifetime)))
    }

    /// Obtains one access token with another client's `client_id` and `secret`, to learn whether
    /// Jamf Pro still accepts that secret. The token is dropped at once (it is added to the log
    /// redactions, never to the provider's own token cache, which keeps serving the provider's
    /// calls). A refusal is [`JamfErrorKind::Auth`] with `error = "invalid_client"`.
    pub async fn check_client_credentials(&self, client_id: &str, secret: &SecretString) -> Result<(), JamfError> {
        let (token, _) = self.mint_oauth(client_id, secret).await?;
        self.inner.core.secrets().add(token.expose_secret());
        debug!("jamf: a client secret obtained an access token");
        Ok(())
    }

    async fn mint_oauth(&self, client_id: &str, secret: &SecretString) -> Result<(SecretString, Duration), JamfError> {
        let legacy_known = self.inner.legacy_token_path.load(Ordering::Relaxed);
        let first = if legacy_known { LEGACY_TOKEN_PATH } else { PRIMARY_TOKEN_PATH };
        let (call, resp) = self.post_oauth(first, client_id, secret).await?;
        let (call, resp) = if resp.status == StatusCode::NOT_FOUND && !legacy_known {
            // Older servers only serve the legacy path; try it once and remember the answer.
            debug!("jamf: /api/v1/oauth/token answered 404, trying /api/oauth/token");
            let (call, resp) = self.post_oauth(LEGACY_TOKEN_PATH, client_id, secret).await?;
            if resp.status != StatusCode::NOT_FOUND {
                self.inner.legacy_token_path.store(true, Ordering::Relaxed);
            }
            (call, resp)
        } else {
            (call, resp)
        };
        if resp.status == StatusCode::NOT_FOUND {
            return Err(JamfError::invalid_url(
                Some(self.inner.base.to_string()),
                "it serves no OAuth token endpoint (/api/v1/oauth/token and /api/oauth/token answered 404), so it \
                 is not the address of a Jamf Pro server",
            ));
        }
        if !resp.status.is_success() {
            return Err(token_error(call, &resp));
        }
        let v = token_json(&call, &resp)?;
        let token = v
            .get("access_token")
            .and_then(lenient::non_empty_string)
            .ok_or_else(|| decode_error(&call, &resp, "the token response has no access_token"))?;
        let lifetime = v
            .get("expires_in")
            .and_then(lenient::i64)
            .filter(|s| *s >= 0)
            .map(|s| Duration::from_secs(s as u64))
            .unwrap_or(FALLBACK_LIFETIME);
        Ok((SecretString::from(token), lifetime))
    }

    async fn post_oauth(
        &self,
        path: &[&str],
        client_id: &str,
        secret: &SecretString,
    ) -> Result<(Call, crate::rest::Response), JamfError> {
        let url = join_segments(&self.inner.base, path);
        let call = Call::new(Op::Token, Method::POST, url.path());
        let req = Request::new(Method::POST, url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret.expose_secret()),
            ])
            // Minting twice is harmless, so an ambiguous failure may be retried.
            .idempotent(true);
        let resp = self.send_raw(&call, &req).await?;
        Ok((call, resp))
    }

    async fn mint_basic(&self, username: &str, password: &SecretString) -> Result<(SecretString, Duration), JamfError> {
        let url = join_segments(&self.inner.base, BASIC_TOKEN_PATH);
        let call = Call::new(Op::Token, Method::POST, url.path());
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{}", password.expose_secret()));
        let req = Request::new(Method::POST, url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .secret_header(AUTHORIZATION, &format!("Basic {credentials}"))
            .map_err(|_| {
                JamfError::invalid_config("the username or password contains characters not allowed in an http header")
            })?
            .idempotent(true);
        let resp = self.send_raw(&call, &req).await?;
        if resp.status == StatusCode::NOT_FOUND {
            return Err(JamfError::invalid_url(
                Some(self.inner.base.to_string()),
                "it serves no token endpoint (/api/v1/auth/token answered 404), so it is not the address of a Jamf \
                 Pro server",
            ));
        }
        if !resp.status.is_success() {
            return Err(token_error(call, &resp));
        }
        let v = token_json(&call, &resp)?;
        let token = v
            .get("token")
            .and_then(lenient::non_empty_string)
            .ok_or_else(|| decode_error(&call, &resp, "the token response has no token"))?;
        let lifetime = v
            .get("expires")
            .and_then(lenient::string)
            .and_then(|s| lifetime_until(&s, OffsetDateTime::now_utc()))
            .unwrap_or(FALLBACK_LIFETIME);
        Ok((SecretString::from(token), lifetime))
    }
}

/// Time from `now` until an ISO-8601 `expires`; `None` if unparseable or already past.
fn lifetime_until(expires: &str, now: OffsetDateTime) -> Option<Duration> {
    let at = OffsetDateTime::parse(expires.trim(), &Rfc3339).ok()?;
    let left = at - now;
    (left.is_positive()).then(|| Duration::try_from(left).ok()).flatten()
}

fn token_json(call: &Call, resp: &crate::rest::Response) -> Result<Value, JamfError> {
    serde_json::from_slice(&resp.body).map_err(|e| decode_error(call, resp, &lenient::describe_json_error(&e)))
}

/// Maps a failed token request. 429 and 5xx mean "try later" (retries are already exhausted);
/// any other answer means the credentials were refused.
fn token_error(call: Call, resp: &crate::rest::Response) -> JamfError {
    let call = call.answered(resp.status.as_u16(), resp.attempts);
    let api = Box::new(ApiError::parse(resp.content_type(), &resp.body));
    if resp.status == StatusCode::TOO_MANY_REQUESTS {
        return JamfError::new(call, JamfErrorKind::RateLimited { retry_after: super::retry_after(resp) });
    }
    if resp.status.is_server_error() {
        return JamfError::new(call, JamfErrorKind::Server { api });
    }
    // RFC 6749 §5.2 body from the OAuth endpoint, ApiError from /v1/auth/token.
    let v: Option<Value> = serde_json::from_slice(&resp.body).ok();
    let field = |k: &str| v.as_ref().and_then(|v| v.get(k)).and_then(lenient::non_empty_string);
    let error = field("error").or_else(|| api.first_code().map(str::to_owned));
    let description = field("error_description").or_else(|| api.first_description().map(str::to_owned));
    JamfError::new(call, JamfErrorKind::Auth { error, description })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usable_lifetime_has_a_proportional_capped_skew() {
        assert_eq!(usable_lifetime(Duration::from_secs(300)), Duration::from_secs(240));
        assert_eq!(usable_lifetime(Duration::from_secs(599)), Duration::from_secs(539));
        assert_eq!(usable_lifetime(Duration::from_secs(3600)), Duration::from_secs(3540));
        assert_eq!(usable_lifetime(Duration::from_secs(60)), Duration::from_secs(48));
        assert_eq!(usable_lifetime(Duration::from_secs(1)), Duration::from_millis(800));
        assert_eq!(usable_lifetime(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn basic_expiry_is_read_from_iso_8601() {
        let now = OffsetDateTime::parse("2020-04-21T20:49:31.626Z", &Rfc3339).unwrap();
        assert_eq!(lifetime_until("2020-04-21T21:09:31.626Z", now), Some(Duration::from_secs(1200)));
        assert_eq!(lifetime_until("2020-04-21T22:09:31.626+01:00", now), Some(Duration::from_secs(1200)));
        assert_eq!(lifetime_until("2020-04-21T20:00:00Z", now), None, "already expired");
        assert_eq!(lifetime_until("tomorrow", now), None);
    }
}
