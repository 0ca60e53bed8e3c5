//! Jamf Pro API client for API roles, API integrations ("API clients") and their client secrets.
//!
//! It knows nothing of Terraform. One [`JamfClient`] per provider instance: cheap to clone (an
//! `Arc` inside), `Send + Sync`, all operations async. What it guarantees (jamf-api.md §5):
//!
//! - **Auth**: OAuth client credentials (`POST /api/v1/oauth/token`, falling back once to the
//!   legacy `/api/oauth/token` on 404 and remembering it) or username/password
//!   (`POST /api/v1/auth/token`). One token per client, minted once and shared by all concurrent
//!   calls, renewed shortly before expiry (see [`auth`]), and re-minted exactly once when a call
//!   answers 401. Refused credentials are [`JamfError::Auth`], never retried.
//! - **Retries** (shared policy in [`crate::rest`]): transport errors, 5xx and 429 only; other 4xx
//!   are returned at once. 404 is retried only for ids this client just created
//!   ([`consistency`]).
//! - **Concurrency**: at most `max_concurrency` requests on the wire (Jamf asks for ≤ 5).
//! - **Cancellation**: after the token in [`JamfConfig::cancel`] fires, nothing new is sent and
//!   backoff sleeps end with [`JamfError::Cancelled`]; a request already sent is awaited.
//! - **Secrets** (client secret, password, tokens, minted secrets) are `SecretString`s and appear
//!   in no `Debug` output, log line or error message.

pub mod auth;
pub mod consistency;
pub mod error;
pub mod model;
pub mod rsql;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tracing::debug;
use url::Url;

use self::auth::BearerToken;
use self::consistency::{Kind, RecentlyCreated};
pub use self::error::{ApiError, ApiErrorCause, Call, JamfError, JamfErrorKind, Op};
pub use self::model::{AppType, ClientCredentials, Integration, IntegrationRequest, Role, RoleRequest};
use crate::rest::lenient::{self, de_opt_i64};
use crate::rest::retry::parse_retry_after;
use crate::rest::url::{join_segments, parse_base_url, set_query};
use crate::rest::{HttpSettings, Request, Response, RestCore, RetryPolicy, SendError, TokenCache, TransportKind};

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("terraform-provider-jamf/", env!("CARGO_PKG_VERSION"));

/// Default page size for list calls (Jamf's own default).
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// Default limit of requests in flight (Jamf's scalability guidance: at most 5 connections).
pub const DEFAULT_MAX_CONCURRENCY: usize = 5;

/// Default per-request timeout.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// How many times a create whose outcome was lost is looked up and sent again.
const CREATE_ROUNDS: u32 = 3;

/// Safety bound on list paging (100 000 objects at the default page size).
const MAX_PAGES: u32 = 1000;

/// How the provider authenticates to Jamf Pro. `Debug` never shows the secret.
#[derive(Debug, Clone)]
pub enum JamfAuth {
    /// An API client's credentials (recommended).
    ClientCredentials {
        /// OAuth client id (a UUID).
        client_id: String,
        /// OAuth client secret.
        client_secret: SecretString,
    },
    /// A Jamf Pro user account (HTTP Basic to obtain a bearer token).
    Basic {
        /// Account name.
        username: String,
        /// Account password.
        password: SecretString,
    },
}

/// Configuration of a [`JamfClient`]. Build it with [`JamfConfig::new`] or a struct literal with
/// `..Default::default()`; `Default` alone has an empty URL and credentials and is refused.
#[derive(Debug, Clone)]
pub struct JamfConfig {
    /// Server URL: `https://tenant.jamfcloud.com`, `https://host:8443`, `https://host/jamf` (path
    /// prefix kept), or `http://127.0.0.1:PORT` (simulator). A trailing slash does not matter.
    pub base_url: String,
    /// Credentials.
    pub auth: JamfAuth,
    /// Requests in flight at most. Default 5.
    pub max_concurrency: usize,
    /// Timeout of one attempt (connect to last byte). Default 60 s.
    pub request_timeout: Duration,
    /// Retries of transport errors, 5xx and 429.
    pub retry: RetryPolicy,
    /// `page-size` of list calls. Default 100.
    pub page_size: u32,
    /// The provider's stop signal.
    pub cancel: CancellationToken,
}

impl Default for JamfConfig {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            auth: JamfAuth::ClientCredentials { client_id: String::new(), client_secret: SecretString::from("") },
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            page_size: DEFAULT_PAGE_SIZE,
            cancel: CancellationToken::new(),
        }
    }
}

impl JamfConfig {
    /// A configuration with default knobs.
    pub fn new(base_url: impl Into<String>, auth: JamfAuth) -> Self {
        Self { base_url: base_url.into(), auth, ..Self::default() }
    }
}

/// The Jamf Pro API client. See the module docs.
#[derive(Clone)]
pub struct JamfClient {
    inner: Arc<Inner>,
}

struct Inner {
    core: RestCore,
    base: Url,
    auth: JamfAuth,
    page_size: u32,
    tokens: TokenCache<BearerToken, JamfError>,
    /// Set once the legacy `/api/oauth/token` path proved to be the one that works.
    legacy_token_path: AtomicBool,
    created: RecentlyCreated,
}

impl fmt::Debug for JamfClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.inner.auth {
            JamfAuth::ClientCredentials { client_id, .. } => {
                format!("client credentials ({client_id})")
            }
            JamfAuth::Basic { username, .. } => format!("basic ({username})"),
        };
        f.debug_struct("JamfClient")
            .field("base_url", &self.inner.base.as_str())
            .field("auth", &auth)
            .field("page_size", &self.inner.page_size)
            .field("tokens_minted", &self.tokens_minted())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(rename = "totalCount", default, deserialize_with = "de_opt_i64")]
    total_count: Option<i64>,
    #[serde(default = "Vec::new")]
    results: Vec<T>,
}

/// The `Retry-After` of a response, if any.
fn retry_after(resp: &Response) -> Option<Duration> {
    resp.headers.get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| parse_retry_after(v, SystemTime::now()))
}

impl JamfClient {
    /// Validates the configuration and builds the HTTP client. No request is made.
    pub fn new(config: JamfConfig) -> Result<Self, JamfError> {
        let base = parse_base_url(&config.base_url).map_err(|p| JamfError::invalid_url(p.shown, p.reason))?;
        match &config.auth {
            JamfAuth::ClientCredentials { client_id, client_secret } => {
                if client_id.trim().is_empty() {
                    return Err(JamfError::invalid_config("client_id is empty"));
                }
                if client_secret.expose_secret().is_empty() {
                    return Err(JamfError::invalid_config("client_secret is empty"));
                }
            }
            JamfAuth::Basic { username, password } => {
                if username.trim().is_empty() {
                    return Err(JamfError::invalid_config("username is empty"));
                }
                if password.expose_secret().is_empty() {
                    return Err(JamfError::invalid_config("password is empty"));
                }
            }
        }
        if config.page_size == 0 {
            return Err(JamfError::invalid_config("page_size must be at least 1"));
        }
        if config.max_concurrency == 0 {
            return Err(JamfError::invalid_config("max_concurrency must be at least 1"));
        }
        if config.retry.max_attempts == 0 {
            return Err(JamfError::invalid_config("retry.max_attempts must be at least 1"));
        }
        let core = RestCore::new(HttpSettings {
            service: "jamf",
            user_agent: USER_AGENT.to_owned(),
            request_timeout: config.request_timeout,
            max_concurrency: config.max_concurrency,
            retry: config.retry,
            cancel: config.cancel,
            rate_limit_headers: None,
            https: base.scheme() == "https",
        })
        .map_err(|e| JamfError::invalid_config(format!("cannot build the http client: {e}")))?;
        // Scrubbed from whatever a server writes into an error (it may echo what it was sent).
        match &config.auth {
            JamfAuth::ClientCredentials { client_secret, .. } => core.secrets().add(client_secret.expose_secret()),
            JamfAuth::Basic { username, password } => {
                use base64::Engine as _;
                core.secrets().add(password.expose_secret());
                core.secrets().add(
                    &base64::engine::general_purpose::STANDARD
                        .encode(format!("{username}:{}", password.expose_secret())),
                );
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                core,
                base,
                auth: config.auth,
                page_size: config.page_size,
                tokens: TokenCache::default(),
                legacy_token_path: AtomicBool::new(false),
                created: RecentlyCreated::default(),
            }),
        })
    }

    /// The normalised base URL (path ends in `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// How many access tokens this client has obtained.
    pub fn tokens_minted(&self) -> u64 {
        self.inner.tokens.minted()
    }

    /// Waits `delay`; `false` when the provider started stopping meanwhile (the wait ends early).
    pub async fn pause(&self, delay: Duration) -> bool {
        let cancel = self.inner.core.settings().cancel.clone();
        tokio::select! {
            _ = cancel.cancelled() => false,
            _ = tokio::time::sleep(delay) => true,
        }
    }

    /// Obtains an access token now (if none is cached), to check the credentials early.
    pub async fn authenticate(&self) -> Result<(), JamfError> {
        self.bearer().await.map(|_| ())
    }

    // ----- roles -------------------------------------------------------------------------

    /// All API roles (every page, sorted by id).
    pub async fn list_roles(&self) -> Result<Vec<Role>, JamfError> {
        self.list_paged(Op::ListRoles, &["api", "v1", "api-roles"], None).await
    }

    /// API roles matching an RSQL filter (fields `id`, `displayName`), every page.
    pub async fn list_roles_filtered(&self, rsql: &str) -> Result<Vec<Role>, JamfError> {
        self.list_paged(Op::ListRoles, &["api", "v1", "api-roles"], Some(rsql)).await
    }

    /// API roles whose display name is exactly `name` (server filter, then an exact comparison
    /// here; see [`rsql`]).
    pub async fn find_roles_by_display_name(&self, name: &str) -> Result<Vec<Role>, JamfError> {
        let mut roles = self.list_roles_filtered(&rsql::display_name_equals(name)).await?;
        roles.retain(|r| r.display_name == name);
        Ok(roles)
    }

    /// API roles whose display name matches `pattern` (`*` any run of characters, see
    /// [`rsql::display_name_like`]): filtered by Jamf Pro, then matched exactly here.
    pub async fn list_roles_matching(&self, pattern: &str) -> Result<Vec<Role>, JamfError> {
        let mut roles = self.list_roles_filtered(&rsql::display_name_like(pattern)).await?;
        roles.retain(|r| rsql::matches_pattern(pattern, &r.display_name));
        Ok(roles)
    }

    /// One API role.
    pub async fn get_role(&self, id: &str) -> Result<Role, JamfError> {
        let (call, req) = self.object_request(Op::GetRole, Method::GET, Kind::Role, &["api", "v1", "api-roles", id]);
        let resp = self.execute(&call, req).await?;
        decode(&call, &resp)
    }

    /// Creates an API role. Any 2xx is success (Jamf answers 200). The display name is looked up
    /// first: a role that already has it was made by someone else (by hand, another workspace, an
    /// interrupted apply) and is [`JamfErrorKind::NameTaken`], with nothing sent. When the answer
    /// is then lost after the request may have been acted on (or a 2xx body cannot be read), the
    /// role is looked up by name again and adopted only if it holds exactly the requested
    /// privileges: it was not there before, so it is the one this create made (see
    /// [`JamfClient::create_reconciled`]).
    pub async fn create_role(&self, role: &RoleRequest) -> Result<Role, JamfError> {
        let wanted: BTreeSet<&String> = role.privileges.iter().collect();
        self.create_reconciled(
            Op::CreateRole,
            Kind::Role,
            &["api", "v1", "api-roles"],
            role,
            &role.display_name,
            || self.find_roles_by_display_name(&role.display_name),
            |r: &Role| r.privileges.iter().collect::<BTreeSet<_>>() == wanted,
            |r: &Role| r.id.clone(),
        )
        .await
    }

    /// Replaces an API role.
    pub async fn update_role(&self, id: &str, role: &RoleRequest) -> Result<Role, JamfError> {
        let (call, req) = self.object_request(Op::UpdateRole, Method::PUT, Kind::Role, &["api", "v1", "api-roles", id]);
        let req = json_body(&call, req, role)?;
        let resp = self.execute(&call, req).await?;
        decode(&call, &resp)
    }

    /// Deletes an API role. A role still assigned to an API client is [`JamfError::InUse`].
    pub async fn delete_role(&self, id: &str) -> Result<(), JamfError> {
        let (call, req) =
            self.object_request(Op::DeleteRole, Method::DELETE, Kind::Role, &["api", "v1", "api-roles", id]);
        self.execute(&call, req).await?;
        self.inner.created.forget(Kind::Role, id);
        Ok(())
    }

    // ----- privileges --------------------------------------------------------------------

    /// Every privilege name an API role may hold on this server, in the server's order.
    pub async fn list_privileges(&self) -> Result<Vec<String>, JamfError> {
        let (call, req) = self.request(Op::ListPrivileges, Method::GET, &["api", "v1", "api-role-privileges"]);
        let resp = self.execute(&call, req).await?;
        privileges_of(&call, &resp)
    }

    /// Privilege names containing `name`, at most `limit` of them.
    pub async fn search_privileges(&self, name: &str, limit: u32) -> Result<Vec<String>, JamfError> {
        let (call, mut req) =
            self.request(Op::SearchPrivileges, Method::GET, &["api", "v1", "api-role-privileges", "search"]);
        set_query(&mut req.url, &[("name", name), ("limit", &limit.to_string())]);
        let resp = self.execute(&call, req).await?;
        privileges_of(&call, &resp)
    }

    // ----- API integrations --------------------------------------------------------------

    /// All API integrations (every page, sorted by id).
    pub async fn list_integrations(&self) -> Result<Vec<Integration>, JamfError> {
        self.list_paged(Op::ListIntegrations, &["api", "v1", "api-integrations"], None).await
    }

    /// API integrations matching an RSQL filter, every page.
    pub async fn list_integrations_filtered(&self, rsql: &str) -> Result<Vec<Integration>, JamfError> {
        self.list_paged(Op::ListIntegrations, &["api", "v1", "api-integrations"], Some(rsql)).await
    }

    /// API integrations whose display name is exactly `name`.
    pub async fn find_integrations_by_display_name(&self, name: &str) -> Result<Vec<Integration>, JamfError> {
        let mut found = self.list_integrations_filtered(&rsql::display_name_equals(name)).await?;
        found.retain(|i| i.display_name == name);
        Ok(found)
    }

    /// API integrations whose display name matches `pattern`, like
    /// [`JamfClient::list_roles_matching`].
    pub async fn list_integrations_matching(&self, pattern: &str) -> Result<Vec<Integration>, JamfError> {
        let mut found = self.list_integrations_filtered(&rsql::display_name_like(pattern)).await?;
        found.retain(|i| rsql::matches_pattern(pattern, &i.display_name));
        Ok(found)
    }

    /// One API integration.
    pub async fn get_integration(&self, id: &str) -> Result<Integration, JamfError> {
        let (call, req) = self.object_request(
            Op::GetIntegration,
            Method::GET,
            Kind::Integration,
            &["api", "v1", "api-integrations", id],
        );
        let resp = self.execute(&call, req).await?;
        decode(&call, &resp)
    }

    /// Creates an API integration. Any 2xx is success (the spec says 201, servers answer 200).
    /// Guarded and reconciled by display name like [`JamfClient::create_role`]: an integration
    /// that appeared after the pre-create lookup with the same name, roles, enabled flag and
    /// lifetime is the one created.
    pub async fn create_integration(&self, integration: &IntegrationRequest) -> Result<Integration, JamfError> {
        let scopes: BTreeSet<&String> = integration.authorization_scopes.iter().collect();
        self.create_reconciled(
            Op::CreateIntegration,
            Kind::Integration,
            &["api", "v1", "api-integrations"],
            integration,
            &integration.display_name,
            || self.find_integrations_by_display_name(&integration.display_name),
            |i: &Integration| {
                i.authorization_scopes.iter().collect::<BTreeSet<_>>() == scopes
                    && i.enabled == integration.enabled
                    && integration
                        .access_token_lifetime_seconds
                        .is_none_or(|l| i.access_token_lifetime_seconds == Some(l))
            },
            |i: &Integration| i.id.clone(),
        )
        .await
    }

    /// Replaces an API integration; all four fields are always sent.
    pub async fn update_integration(
        &self,
        id: &str,
        integration: &IntegrationRequest,
    ) -> Result<Integration, JamfError> {
        let (call, req) = self.object_request(
            Op::UpdateIntegration,
            Method::PUT,
            Kind::Integration,
            &["api", "v1", "api-integrations", id],
        );
        let req = json_body(&call, req, integration)?;
        let resp = self.execute(&call, req).await?;
        decode(&call, &resp)
    }

    /// Deletes an API integration.
    pub async fn delete_integration(&self, id: &str) -> Result<(), JamfError> {
        let (call, req) = self.object_request(
            Op::DeleteIntegration,
            Method::DELETE,
            Kind::Integration,
            &["api", "v1", "api-integrations", id],
        );
        self.execute(&call, req).await?;
        self.inner.created.forget(Kind::Integration, id);
        Ok(())
    }

    /// Generates a new client secret for an API integration. Every call invalidates the previous
    /// secret; a disabled integration is [`JamfError::ClientDisabled`]. Safe to repeat after a lost
    /// answer: a repeat mints again and the secret returned is the only valid one (the lost one,
    /// if any, is already invalidated), so no stale secret is ever handed back.
    pub async fn mint_client_credentials(&self, id: &str) -> Result<ClientCredentials, JamfError> {
        let (call, req) = self.object_request(
            Op::MintClientCredentials,
            Method::POST,
            Kind::Integration,
            &["api", "v1", "api-integrations", id, "client-credentials"],
        );
        let req = req.idempotent(true);
        let resp = self.execute(&call, req).await?;
        let v: Value = decode(&call, &resp)?;
        let client_id = v.get("clientId").and_then(lenient::non_empty_string);
        let secret = v.get("clientSecret").and_then(lenient::non_empty_string);
        match (client_id, secret) {
            (Some(client_id), Some(secret)) => {
                self.inner.core.secrets().add(&secret);
                Ok(ClientCredentials { client_id, client_secret: SecretString::from(secret) })
            }
            _ => Err(decode_error(&call, &resp, "the response lacks clientId or clientSecret")),
        }
    }

    // ----- plumbing ----------------------------------------------------------------------

    fn request(&self, op: Op, method: Method, segments: &[&str]) -> (Call, Request) {
        let url = join_segments(&self.inner.base, segments);
        let call = Call::new(op, method.clone(), url.path());
        let req = Request::new(method, url).header(ACCEPT, HeaderValue::from_static("application/json"));
        (call, req)
    }

    /// A request addressing one object: gets the 404-after-create window if this client just
    /// created the object.
    fn object_request(&self, op: Op, method: Method, kind: Kind, segments: &[&str]) -> (Call, Request) {
        let (call, req) = self.request(op, method, segments);
        let id = segments.get(3).copied().unwrap_or_default();
        let window = self.inner.created.window_for(kind, id);
        if window.is_some() {
            debug!(call = %call, "jamf: object created recently by this client; tolerating 404s");
        }
        (call, req.not_found_window(window))
    }

    async fn bearer(&self) -> Result<crate::rest::Lease<BearerToken>, JamfError> {
        self.inner.tokens.get(|_| self.mint_token()).await
    }

    /// Sends without auth handling; maps only the no-response failures.
    async fn send_raw(&self, call: &Call, req: &Request) -> Result<Response, JamfError> {
        self.inner.core.send(req).await.map_err(|e| match e {
            SendError::Cancelled { attempts } => JamfError::new(call.unanswered(attempts), JamfErrorKind::Cancelled),
            SendError::Transport { kind, message, attempts } => {
                JamfError::new(call.unanswered(attempts), JamfErrorKind::Transport { failure: kind, message })
            }
        })
    }

    /// Sends with a bearer token, re-authenticating once on 401, and maps any non-2xx answer.
    async fn execute(&self, call: &Call, req: Request) -> Result<Response, JamfError> {
        let resp = self.send_authed(call, req).await?;
        if resp.status.is_success() { Ok(resp) } else { Err(status_error(call, &resp)) }
    }

    /// Sends with a bearer token, re-authenticating once on 401; returns the answer whatever its
    /// status.
    async fn send_authed(&self, call: &Call, req: Request) -> Result<Response, JamfError> {
        let lease = self.bearer().await?;
        let resp = self.send_raw(call, &with_bearer(call, req.clone(), &lease.value)?).await?;
        if resp.status == StatusCode::UNAUTHORIZED {
            debug!(call = %call, "jamf: 401, obtaining a new token and retrying once");
            self.inner.tokens.invalidate(lease.generation).await;
            let lease = self.bearer().await?;
            return self.send_raw(call, &with_bearer(call, req, &lease.value)?).await;
        }
        Ok(resp)
    }

    /// POSTs a create body once (the REST layer retries what is safe to repeat).
    async fn send_create<B: serde::Serialize>(
        &self,
        op: Op,
        segments: &[&str],
        body: &B,
    ) -> Result<(Call, Response), JamfError> {
        let (call, req) = self.request(op, Method::POST, segments);
        let req = json_body(&call, req, body)?;
        let resp = self.send_authed(&call, req).await?;
        Ok((call, resp))
    }

    /// A create that never adopts what it did not make. Before the first POST, `find` looks the
    /// display name up: any object that has it is [`JamfErrorKind::NameTaken`] and nothing is
    /// sent. Each POST's outcome is then read by [`JamfClient::create_outcome`]; when it is
    /// unknown (the answer was lost after the request went out, a 5xx, a name conflict after
    /// attempts that may have been acted on, or a 2xx whose body cannot be read), `find` runs
    /// again: an object that `is_ours` (the requested values) was not there before the first
    /// POST, so this create made it, and it is adopted. One that is not ours is `NameTaken`.
    /// Nothing found: send again, at most [`CREATE_ROUNDS`] times (never after a 2xx, which
    /// did create something: its decode error is returned).
    #[allow(clippy::too_many_arguments)]
    async fn create_reconciled<T, B, F, Fut>(
        &self,
        op: Op,
        kind: Kind,
        segments: &[&str],
        body: &B,
        name: &str,
        find: F,
        is_ours: impl Fn(&T) -> bool,
        id_of: impl Fn(&T) -> String,
    ) -> Result<T, JamfError>
    where
        T: DeserializeOwned,
        B: serde::Serialize,
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<T>, JamfError>>,
    {
        let (call, _) = self.request(op, Method::POST, segments);
        let taken = |id: String, sent: bool| {
            JamfError::new(call.clone(), JamfErrorKind::NameTaken { name: name.to_owned(), id, sent })
        };
        if let Some(existing) = find().await?.first() {
            return Err(taken(id_of(existing), false));
        }
        let mut last = None;
        for _ in 0..CREATE_ROUNDS {
            let sent = self.send_create(op, segments, body).await;
            let resend = match self.create_outcome(kind, sent, &mut last, &id_of)? {
                Outcome::Created(created) => return Ok(created),
                Outcome::Unknown { resend } => resend,
            };
            debug!(call = %call, "jamf: the outcome of a create is unknown; looking the object up by name");
            let mut found = find().await?;
            if let Some(pos) = found.iter().position(&is_ours) {
                let ours = found.swap_remove(pos);
                self.inner.created.record(kind, &id_of(&ours));
                return Ok(ours);
            }
            if let Some(other) = found.first() {
                return Err(taken(id_of(other), true));
            }
            if !resend {
                break;
            }
        }
        Err(last.expect("a round ran"))
    }

    /// Reads the outcome of one create attempt: created; unknown (the connection failed after
    /// the request went out, or a 5xx — or a name conflict after earlier attempts that may have
    /// been acted on — came back, or a 2xx whose body cannot be read), so the caller looks the
    /// object up by its unique display name; or a definite failure.
    fn create_outcome<T: DeserializeOwned>(
        &self,
        kind: Kind,
        sent: Result<(Call, Response), JamfError>,
        last: &mut Option<JamfError>,
        id_of: impl Fn(&T) -> String,
    ) -> Result<Outcome<T>, JamfError> {
        match sent {
            Ok((call, resp)) if resp.status.is_success() => match decode::<T>(&call, &resp) {
                Ok(created) => {
                    self.inner.created.record(kind, &id_of(&created));
                    Ok(Outcome::Created(created))
                }
                // Something was created: find it, never create it again.
                Err(e) => {
                    *last = Some(e);
                    Ok(Outcome::Unknown { resend: false })
                }
            },
            Ok((call, resp)) => {
                let e = status_error(&call, &resp);
                let maybe_acted = resp.attempts > 1 || last.is_some();
                let unknown = matches!(e.kind(), JamfErrorKind::Server { .. }) || (maybe_acted && is_name_conflict(&e));
                if !unknown {
                    return Err(e);
                }
                *last = Some(e);
                Ok(Outcome::Unknown { resend: true })
            }
            Err(e)
                if matches!(
                    e.kind(),
                    JamfErrorKind::Transport { failure: TransportKind::Io | TransportKind::Timeout, .. }
                ) =>
            {
                *last = Some(e);
                Ok(Outcome::Unknown { resend: true })
            }
            Err(e) => Err(e),
        }
    }

    /// One page of a list: its items and the server's total.
    async fn list_page<T: DeserializeOwned>(
        &self,
        op: Op,
        segments: &[&str],
        filter: Option<&str>,
        page: u32,
    ) -> Result<(Vec<T>, Option<i64>), JamfError> {
        let size = self.inner.page_size.to_string();
        let (call, mut req) = self.request(op, Method::GET, segments);
        let page_s = page.to_string();
        let mut query = vec![("page", page_s.as_str()), ("page-size", size.as_str()), ("sort", "id:asc")];
        if let Some(f) = filter {
            query.push(("filter", f));
        }
        set_query(&mut req.url, &query);
        let resp = self.execute(&call, req).await?;
        let body: Page<T> = decode(&call, &resp)?;
        Ok((body.results, body.total_count))
    }

    /// Every page of a list. The first page tells the total; the pages it implies are then
    /// fetched concurrently (within the client's concurrency limit) instead of one round trip
    /// after another, and paging goes on one page at a time should the list have grown. An empty
    /// page ends the list whatever the total says; without a total, a short page does.
    async fn list_paged<T: DeserializeOwned>(
        &self,
        op: Op,
        segments: &[&str],
        filter: Option<&str>,
    ) -> Result<Vec<T>, JamfError> {
        let size = self.inner.page_size as usize;
        let finished = |len: usize, got: usize, total: Option<i64>| match total {
            Some(t) => got == 0 || len as i64 >= t,
            None => got < size,
        };
        let (mut out, total) = self.list_page::<T>(op, segments, filter, 0).await?;
        let mut got = out.len();
        let mut next = 1;
        if let Some(t) = total
            && !finished(out.len(), got, total)
        {
            let more = ((t as usize).saturating_sub(out.len()).div_ceil(size)).clamp(1, MAX_PAGES as usize - 1) as u32;
            let pages =
                futures::future::try_join_all((1..=more).map(|p| self.list_page::<T>(op, segments, filter, p))).await?;
            for (items, _) in pages {
                got = items.len();
                out.extend(items);
                if got == 0 {
                    break;
                }
            }
            next = more + 1;
        }
        if finished(out.len(), got, total) {
            return Ok(out);
        }
        for page in next..MAX_PAGES {
            let (items, _) = self.list_page::<T>(op, segments, filter, page).await?;
            got = items.len();
            out.extend(items);
            if finished(out.len(), got, total) {
                return Ok(out);
            }
        }
        let (call, _) = self.request(op, Method::GET, segments);
        Err(JamfError::new(
            call.answered(200, 0),
            JamfErrorKind::Decode { message: format!("paging did not end after {MAX_PAGES} pages") },
        ))
    }
}

/// What one create attempt came to.
enum Outcome<T> {
    /// Created, and this is the object.
    Created(T),
    /// Not known; `resend`: whether sending again is safe if the object is not found.
    Unknown { resend: bool },
}

fn with_bearer(call: &Call, req: Request, token: &BearerToken) -> Result<Request, JamfError> {
    req.secret_header(AUTHORIZATION, &format!("Bearer {}", token.0.expose_secret())).map_err(|_| {
        JamfError::new(
            call.answered(200, 0),
            JamfErrorKind::Decode {
                message: "the access token contains characters not allowed in an http header".into(),
            },
        )
    })
}

fn json_body<T: serde::Serialize>(call: &Call, req: Request, body: &T) -> Result<Request, JamfError> {
    req.json(body).map_err(|e| {
        JamfError::new(
            call.answered(0, 0),
            JamfErrorKind::Decode {
                message: format!("cannot encode the request body: {}", lenient::describe_json_error(&e)),
            },
        )
    })
}

fn decode<T: DeserializeOwned>(call: &Call, resp: &Response) -> Result<T, JamfError> {
    serde_json::from_slice(&resp.body).map_err(|e| decode_error(call, resp, &lenient::describe_json_error(&e)))
}

/// A success answer of `call` that is not what was expected.
pub(crate) fn decode_error(call: &Call, resp: &Response, message: &str) -> JamfError {
    JamfError::new(
        call.answered(resp.status.as_u16(), resp.attempts),
        JamfErrorKind::Decode { message: message.into() },
    )
}

fn is_name_conflict(e: &JamfError) -> bool {
    matches!(e.kind(), JamfErrorKind::NameConflict { .. })
}

fn privileges_of(call: &Call, resp: &Response) -> Result<Vec<String>, JamfError> {
    let v: Value = decode(call, resp)?;
    let list = v.get("privileges").ok_or_else(|| decode_error(call, resp, "the response has no privileges list"))?;
    Ok(lenient::one_or_many(Some(list)).into_iter().filter_map(lenient::string).collect())
}

/// Maps a non-2xx answer of a data call to its error kind (jamf-api.md §1.2–1.6, §5).
fn status_error(call: &Call, resp: &Response) -> JamfError {
    use JamfErrorKind as K;
    let api = Box::new(ApiError::parse(resp.content_type(), &resp.body));
    let status = resp.status.as_u16();
    let kind = match status {
        401 => K::Auth {
            error: api.first_code().map(str::to_owned),
            description: api.first_description().map(str::to_owned),
        },
        403 => K::Forbidden { api },
        404 => K::NotFound { api },
        429 => K::RateLimited { retry_after: retry_after(resp) },
        500..=599 => K::Server { api },
        400 if api.description_containing("must be unique").is_some() => K::NameConflict { api },
        400 if api.description_containing("are not valid").is_some() => {
            let description = api.description_containing("are not valid").unwrap_or_default();
            let (raw, privileges) = error::parse_invalid_privileges(description);
            K::InvalidPrivileges { privileges, raw, api }
        }
        400 if api.description_containing("api integration is disabled").is_some() => K::ClientDisabled { api },
        409 if call.op == Op::DeleteRole => K::InUse { api },
        406 if api.has_code("HAS_DEPENDENCIES") => K::InUse { api },
        _ => K::Rejected { api },
    };
    JamfError::new(call.answered(status, resp.attempts), kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(url: &str) -> Result<JamfClient, JamfError> {
        JamfClient::new(JamfConfig::new(
            url,
            JamfAuth::ClientCredentials { client_id: "id".into(), client_secret: SecretString::from("hunter2") },
        ))
    }

    #[test]
    fn base_url_forms() {
        assert_eq!(
            client("https://tenant.jamfcloud.com").unwrap().base_url().as_str(),
            "https://tenant.jamfcloud.com/"
        );
        assert_eq!(client("https://host/jamf").unwrap().base_url().as_str(), "https://host/jamf/");
        let e = client("tenant.jamfcloud.com").unwrap_err();
        assert!(matches!(e.kind(), JamfErrorKind::InvalidUrl { .. }), "{e:?}");
        assert!(e.to_string().contains("https://yourtenant.jamfcloud.com"), "{e}");
    }

    #[test]
    fn config_debug_and_client_debug_hide_secrets() {
        let cfg = JamfConfig::new(
            "https://h",
            JamfAuth::Basic { username: "admin".into(), password: SecretString::from("hunter2") },
        );
        assert!(!format!("{cfg:?}").contains("hunter2"));
        let c = JamfClient::new(cfg).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn empty_credentials_and_knobs_are_refused() {
        assert!(matches!(JamfClient::new(JamfConfig::default()).unwrap_err().kind(), JamfErrorKind::InvalidUrl { .. }));
        let mut cfg = JamfConfig::new(
            "https://h",
            JamfAuth::ClientCredentials { client_id: "id".into(), client_secret: SecretString::from("") },
        );
        assert!(JamfClient::new(cfg.clone()).unwrap_err().to_string().contains("client_secret is empty"));
        cfg.auth = JamfAuth::ClientCredentials { client_id: "id".into(), client_secret: SecretString::from("s") };
        cfg.page_size = 0;
        assert!(matches!(JamfClient::new(cfg).unwrap_err().kind(), JamfErrorKind::InvalidConfig(_)));
    }

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers: Default::default(),
            body: body.to_owned().into(),
            attempts: 3,
        }
    }

    fn call(op: Op) -> Call {
        Call::new(op, Method::DELETE, "/api/v1/x")
    }

    #[test]
    fn status_mapping() {
        let err = |op, status, body: &str| status_error(&call(op), &resp(status, body));
        let cause = |d: &str| {
            format!(r#"{{"httpStatus":400,"errors":[{{"code":null,"description":"{d}","id":"0","field":null}}]}}"#)
        };
        use JamfErrorKind as K;
        assert!(matches!(
            err(Op::CreateRole, 400, &cause("role display name must be unique")).kind(),
            K::NameConflict { .. }
        ));
        assert!(matches!(
            err(Op::CreateRole, 400, &cause("privilege(s) are not valid [X]")).kind(),
            K::InvalidPrivileges { .. }
        ));
        assert!(matches!(
            err(
                Op::MintClientCredentials,
                400,
                &cause("API Integration is disabled. Enable it first before generating a new client secret.")
            )
            .kind(),
            K::ClientDisabled { .. }
        ));
        assert!(matches!(err(Op::CreateRole, 400, &cause("something else")).kind(), K::Rejected { .. }));
        assert!(matches!(err(Op::DeleteRole, 409, "").kind(), K::InUse { .. }));
        assert!(matches!(err(Op::UpdateRole, 409, "").kind(), K::Rejected { .. }));
        assert!(matches!(
            err(Op::DeleteRole, 406, r#"{"errors":[{"code":"HAS_DEPENDENCIES","description":"x"}]}"#).kind(),
            K::InUse { .. }
        ));
        assert!(matches!(err(Op::DeleteRole, 406, "").kind(), K::Rejected { .. }));
        assert!(matches!(err(
                Op::GetRole,
                403,
                r#"{"httpStatus":403,"errors":[{"code":"INVALID_PRIVILEGE","description":"Forbidden","id":"0","field":null}]}"#
            ).kind(), K::Forbidden { .. }));
        assert!(matches!(err(Op::GetRole, 404, "not json").kind(), K::NotFound { .. }));
        assert!(matches!(err(Op::GetRole, 401, r#"{"httpStatus":401,"errors":[]}"#).kind(), K::Auth { .. }));
        assert!(matches!(err(Op::GetRole, 429, "").kind(), K::RateLimited { .. }));
        assert!(matches!(err(Op::GetRole, 502, "<html>bad gateway</html>").kind(), K::Server { .. }));

        let e = status_error(&call(Op::CreateRole), &resp(400, &cause("privilege(s) are not valid [Read Foo, Bar]")));
        match e.kind() {
            JamfErrorKind::InvalidPrivileges { privileges, raw, .. } => {
                assert_eq!(raw, "Read Foo, Bar");
                assert_eq!(privileges, &["Read Foo", "Bar"]);
            }
            other => panic!("{other:?}"),
        }
        let e = status_error(&call(Op::GetRole), &resp(503, ""));
        assert_eq!((e.status(), e.attempts()), (Some(503), Some(3)));
        assert!(e.to_string().contains("after 3 attempt(s)"));
    }
}
