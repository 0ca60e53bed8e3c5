//! IBM MaaS360 API client: authentication, administrator provisioning and the administrator
//! audit reports (maas360-api.md §1, §2, §4, §7.2). It knows nothing of Terraform.
//!
//! One [`Maas360Client`] per provider instance: cheap to clone, `Send + Sync`, async.
//!
//! - **Host**: `base_url`, or the data centre named by `instance` (M1–M4, M6). Never guessed
//!   from the billing id.
//! - **Auth**: 2.0 (default; JSON, refresh token stored and rotated, a refused refresh falls back
//!   to a full authentication) or 1.0 (JSON or XML body). HTTP-200 login failures
//!   (`errorCode != 0`) are [`Maas360ErrorKind::InvalidCredentials`]. One token per client, shared
//!   by concurrent calls, renewed 5 minutes before the 60-minute mark, and renewed once when a
//!   call answers 401, error 1009, "Token expired." or "Token invalid". A refused sign-in of the
//!   provider's own administrator is final for the client: later calls fail with the same error
//!   without asking again, so a wrong password costs one refused sign-in per run however many
//!   resources are read (repeated failures can lock an account).
//! - **Header**: `Authorization: MaaS token="<token>"`.
//! - **Rate limits**: `X-Rate-Limit-Remaining: 0` holds further requests until
//!   `X-Rate-Limit-ResetWindow` has passed ([`rate_limit`], handed to the REST engine); 429 and
//!   5xx are retried per [`crate::rest`].
//! - The two administrator-provisioning calls follow the names in [`unverified`], which IBM does
//!   not publish.

pub mod auth;
pub mod error;
pub mod model;
pub mod parse;
pub mod rate_limit;
pub mod unverified;

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tracing::debug;
use url::Url;

use self::auth::Session;
pub use self::error::{Call, ConfigError, ConfigField, Maas360Error, Maas360ErrorKind, Op};
pub use self::model::{
    AdminChange, AdministratorCreated, AuditedAdministrator, AuditedState, LoginEvent, NewAdministrator, audited_state,
};
use self::parse::{error_info, parse_body, says_token_rejected};
use self::unverified::CreateOutcome;
use crate::rest::retry::parse_retry_after;
use crate::rest::url::{join_segments, parse_base_url, set_query};
use crate::rest::{
    HttpSettings, NotFoundWindow, Request, Response, RestCore, RetryPolicy, SendError, TokenCache, TransportKind,
};

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("terraform-provider-maas360/", env!("CARGO_PKG_VERSION"));

/// The data centres and their roots (maas360-api.md §1.1).
pub const INSTANCES: &[(&str, &str)] = &[
    ("M1", "https://services.fiberlink.com"),
    ("M2", "https://services.m2.maas360.com"),
    ("M3", "https://services.m3.maas360.com"),
    ("M4", "https://services.m4.maas360.com"),
    ("M6", "https://services.m6.maas360.com"),
];

/// Documented token lifetime.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);
/// Renew this long before the lifetime ends.
pub const DEFAULT_TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
/// Default limit of requests in flight.
pub const DEFAULT_MAX_CONCURRENCY: usize = 5;
/// Default per-request timeout.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long [`Maas360Client::create_administrator`] waits for a new username to be reported as
/// taken: a clustered service may answer the next availability check from a node that has not
/// seen the new administrator yet, and Terraform would then plan to create it again. At most 5
/// checks over about 5 s.
pub const AFTER_CREATE_WINDOW: NotFoundWindow = NotFoundWindow {
    max_attempts: 5,
    min_delay: Duration::from_millis(300),
    max_delay: Duration::from_secs(2),
    max_elapsed: Duration::from_secs(5),
};
/// `pageSize` of the audit reports.
pub const AUDIT_PAGE_SIZE: usize = 250;
/// How many times a createAdministrator whose outcome was lost is checked and sent again.
pub const CREATE_ROUNDS: u32 = 3;

/// Safety bound on audit paging (100 000 records).
const MAX_AUDIT_PAGES: u32 = 400;

/// Which authentication API to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthApiVersion {
    /// `auth-apis/auth/1.0/authenticate/{billingId}`.
    V1,
    /// `auth-apis/auth/2.0/authenticate/customer/{billingId}` with refresh tokens.
    #[default]
    V2,
}

impl AuthApiVersion {
    /// Parses `"1.0"` or `"2.0"` (also `"1"`, `"2"`).
    pub fn parse(s: &str) -> Result<Self, Maas360Error> {
        match s.trim() {
            "2.0" | "2" => Ok(AuthApiVersion::V2),
            "1.0" | "1" => Ok(AuthApiVersion::V1),
            other => Err(ConfigError::UnknownAuthApiVersion { value: other.to_owned() }.into()),
        }
    }
}

/// Body format of auth 1.0 requests (auth 2.0 is always JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthBodyFormat {
    /// `application/json`.
    #[default]
    Json,
    /// `application/xml`.
    Xml,
}

/// The root URL for an instance name (`M1`…`M4`, `M6`, any case).
pub fn instance_url(name: &str) -> Result<&'static str, Maas360Error> {
    let wanted = name.trim();
    INSTANCES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
        .map(|(_, url)| *url)
        .ok_or_else(|| ConfigError::UnknownInstance { name: wanted.to_owned() }.into())
}

/// Configuration of a [`Maas360Client`]. `Default` gives the documented defaults for the knobs and
/// empty credentials, which [`Maas360Client::new`] refuses.
#[derive(Debug, Clone)]
pub struct Maas360Config {
    /// Root URL, e.g. `https://services.m3.maas360.com` or the simulator. Wins over `instance`.
    pub base_url: Option<String>,
    /// Data centre: `M1`, `M2`, `M3`, `M4` or `M6`.
    pub instance: Option<String>,
    /// Customer account id ("Account ID" in the portal).
    pub billing_id: String,
    /// App id from provisioning / Manage Access Keys.
    pub app_id: String,
    /// App version. Default `"1.0"`.
    pub app_version: String,
    /// Platform id. Default `"3"`.
    pub platform_id: String,
    /// App access key.
    pub app_access_key: SecretString,
    /// The managing administrator's username.
    pub username: String,
    /// The managing administrator's password.
    pub password: SecretString,
    /// Auth API version. Default 2.0.
    pub auth_api_version: AuthApiVersion,
    /// Auth 1.0 body format. Default JSON.
    pub auth_v1_body: AuthBodyFormat,
    /// Requests in flight at most. Default 5.
    pub max_concurrency: usize,
    /// Timeout of one attempt. Default 60 s.
    pub request_timeout: Duration,
    /// Retries of transport errors, 5xx and 429.
    pub retry: RetryPolicy,
    /// Token lifetime. Default 60 min (documented by IBM).
    pub token_lifetime: Duration,
    /// Renew the token this long before the lifetime ends. Default 5 min.
    pub token_refresh_margin: Duration,
    /// How long a create waits for the new username to be reported as taken. Default
    /// [`AFTER_CREATE_WINDOW`].
    pub after_create_window: NotFoundWindow,
    /// The provider's stop signal.
    pub cancel: CancellationToken,
}

impl Default for Maas360Config {
    fn default() -> Self {
        Self {
            base_url: None,
            instance: None,
            billing_id: String::new(),
            app_id: String::new(),
            app_version: "1.0".into(),
            platform_id: "3".into(),
            app_access_key: SecretString::from(""),
            username: String::new(),
            password: SecretString::from(""),
            auth_api_version: AuthApiVersion::V2,
            auth_v1_body: AuthBodyFormat::Json,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            token_refresh_margin: DEFAULT_TOKEN_REFRESH_MARGIN,
            after_create_window: AFTER_CREATE_WINDOW,
            cancel: CancellationToken::new(),
        }
    }
}

/// The MaaS360 API client. See the module docs.
#[derive(Clone)]
pub struct Maas360Client {
    inner: Arc<Inner>,
}

struct Inner {
    core: RestCore,
    base: Url,
    billing_id: String,
    app_id: String,
    app_version: String,
    platform_id: String,
    app_access_key: SecretString,
    username: String,
    password: SecretString,
    auth_api_version: AuthApiVersion,
    auth_v1_body: AuthBodyFormat,
    token_lifetime: Duration,
    token_refresh_margin: Duration,
    after_create_window: NotFoundWindow,
    session: TokenCache<Session, Maas360Error>,
    /// Set once the provider's own credentials were refused: never sent again by this client.
    refused: OnceLock<Maas360Error>,
}

impl fmt::Debug for Maas360Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Maas360Client")
            .field("base_url", &i.base.as_str())
            .field("billing_id", &i.billing_id)
            .field("app_id", &i.app_id)
            .field("username", &i.username)
            .field("auth_api_version", &i.auth_api_version)
            .field("tokens_minted", &self.tokens_minted())
            .finish_non_exhaustive()
    }
}

fn required(field: ConfigField, value: &str) -> Result<(), Maas360Error> {
    if value.trim().is_empty() { Err(ConfigError::Missing(field).into()) } else { Ok(()) }
}

impl Maas360Client {
    /// Validates the configuration and builds the HTTP client. No request is made.
    pub fn new(config: Maas360Config) -> Result<Self, Maas360Error> {
        let root = match (config.base_url.as_deref().filter(|s| !s.trim().is_empty()), config.instance.as_deref()) {
            (Some(url), _) => url.to_owned(),
            (None, Some(instance)) if !instance.trim().is_empty() => instance_url(instance)?.to_owned(),
            _ => return Err(ConfigError::NoEndpoint.into()),
        };
        let base =
            parse_base_url(&root).map_err(|p| ConfigError::InvalidBaseUrl { shown: p.shown, reason: p.reason })?;
        required(ConfigField::BillingId, &config.billing_id)?;
        required(ConfigField::AppId, &config.app_id)?;
        required(ConfigField::AppVersion, &config.app_version)?;
        required(ConfigField::PlatformId, &config.platform_id)?;
        required(ConfigField::AppAccessKey, config.app_access_key.expose_secret())?;
        required(ConfigField::Username, &config.username)?;
        required(ConfigField::Password, config.password.expose_secret())?;
        if config.max_concurrency == 0 {
            return Err(ConfigError::ZeroCount(ConfigField::MaxConcurrency).into());
        }
        if config.retry.max_attempts == 0 {
            return Err(ConfigError::ZeroCount(ConfigField::RetryMaxAttempts).into());
        }
        let core = RestCore::new(HttpSettings {
            service: "maas360",
            user_agent: USER_AGENT.to_owned(),
            request_timeout: config.request_timeout,
            max_concurrency: config.max_concurrency,
            retry: config.retry,
            cancel: config.cancel,
            rate_limit_headers: Some(rate_limit::budget_reset),
            https: base.scheme() == "https",
        })
        .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
        // Scrubbed from whatever a server writes into an error (it may echo what it was sent).
        core.secrets().add(config.password.expose_secret());
        core.secrets().add(config.app_access_key.expose_secret());
        Ok(Self {
            inner: Arc::new(Inner {
                core,
                base,
                billing_id: config.billing_id.trim().to_owned(),
                app_id: config.app_id,
                app_version: config.app_version,
                platform_id: config.platform_id,
                app_access_key: config.app_access_key,
                username: config.username,
                password: config.password,
                auth_api_version: config.auth_api_version,
                auth_v1_body: config.auth_v1_body,
                token_lifetime: config.token_lifetime,
                token_refresh_margin: config.token_refresh_margin,
                after_create_window: config.after_create_window,
                session: TokenCache::default(),
                refused: OnceLock::new(),
            }),
        })
    }

    /// The normalised root URL (path ends in `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The customer account id every path is scoped to.
    pub fn billing_id(&self) -> &str {
        &self.inner.billing_id
    }

    /// How many sessions (authentications or refreshes) this client has obtained.
    pub fn tokens_minted(&self) -> u64 {
        self.inner.session.minted()
    }

    /// Authenticates the provider's administrator now, unless a usable token is cached.
    pub async fn authenticate(&self) -> Result<(), Maas360Error> {
        self.session().await.map(|_| ())
    }

    /// Checks that `username`/`password` authenticate with this client's app credentials (for
    /// example a script-only administrator's password). Uses the configured auth API version and
    /// leaves the client's own token alone. A refusal is [`Maas360ErrorKind::InvalidCredentials`].
    pub async fn verify_credentials(&self, username: &str, password: &SecretString) -> Result<(), Maas360Error> {
        if username.trim().is_empty() {
            return Err(Maas360Error::argument("the username to verify is empty"));
        }
        // A password the provider was given is a secret it knows: never echoed in a message.
        self.inner.core.secrets().add(password.expose_secret());
        self.authenticate_as(username, password).await.map(|_| ())
    }

    /// Whether `username` is free (no administrator holds it). See [`unverified`].
    pub async fn check_admin_account_availability(&self, username: &str) -> Result<bool, Maas360Error> {
        if username.trim().is_empty() {
            return Err(Maas360Error::argument("the username to check is empty"));
        }
        let (call, mut req) =
            self.request(Op::CheckAdminAvailability, unverified::AVAILABILITY_METHOD, unverified::AVAILABILITY_PATH);
        set_query(&mut req.url, &[(unverified::AVAILABILITY_USERNAME_PARAM, username)]);
        let resp = self.execute(&call, req).await?;
        let resp = success_or_error(&call, resp)?;
        let body = parse_body(resp.content_type(), &resp.body)
            .ok_or_else(|| decode_error(&call, &resp, "the answer is neither json nor xml"))?;
        refuse_error_code(&call, &resp, &body, self.inner.core.secrets())?;
        unverified::read_availability(&body)
            .ok_or_else(|| decode_error(&call, &resp, "the answer has no readable availability flag"))
    }

    /// Creates an administrator (the new admin gets an email to set a password). See
    /// [`unverified`] for the request and the error mapping.
    ///
    /// When the answer is lost after the request may have been acted on (the connection failed
    /// mid-request, or a 5xx — or "username taken" after earlier attempts — came back), the
    /// username's availability tells the outcome: taken means created (callers check that the
    /// username is free before creating), free means send again, at most [`CREATE_ROUNDS`] times.
    pub async fn create_administrator(&self, admin: &NewAdministrator) -> Result<AdministratorCreated, Maas360Error> {
        let mut last: Option<Maas360Error> = None;
        for _ in 0..CREATE_ROUNDS {
            let outcome = self.create_administrator_once(admin).await;
            let maybe_acted = last.is_some() || matches!(&outcome, Err((_, attempts)) if *attempts > 1);
            match outcome {
                Ok(created) => return Ok(created),
                Err((e, _))
                    if matches!(
                        e.kind(),
                        Maas360ErrorKind::Server { .. }
                            | Maas360ErrorKind::Transport { kind: TransportKind::Io | TransportKind::Timeout, .. }
                    ) =>
                {
                    last = Some(e)
                }
                Err((e, _)) if maybe_acted && matches!(e.kind(), Maas360ErrorKind::UsernameTaken { .. }) => {
                    last = Some(e)
                }
                Err((e, _)) => return Err(e),
            }
            debug!("maas360: the outcome of createAdministrator is unknown; checking the username");
            if !self.check_admin_account_availability(&admin.username).await? {
                return Ok(AdministratorCreated { description: None, listed: true });
            }
        }
        Err(last.expect("a round ran"))
    }

    /// One createAdministrator request; the error comes with the number of attempts it took.
    async fn create_administrator_once(
        &self,
        admin: &NewAdministrator,
    ) -> Result<AdministratorCreated, (Maas360Error, u32)> {
        let form = unverified::create_form(admin).map_err(|e| (Maas360Error::argument(e), 0))?;
        let (call, req) = self.request(Op::CreateAdministrator, unverified::CREATE_METHOD, unverified::CREATE_PATH);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let req = req.form(&pairs);
        let resp = self.execute(&call, req).await.map_err(|e| {
            let attempts = e.attempts().unwrap_or(1);
            (e, attempts)
        })?;
        let attempts = resp.attempts;
        let status = resp.status;
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() || status == StatusCode::NOT_FOUND {
            return Err((status_error(&call, &resp), attempts));
        }
        // The answer carries no secret the client needs, and its descriptions reach messages.
        let scrubbed = self.inner.core.secrets().scrub_bytes(&resp.body);
        let body = parse_body(resp.content_type(), scrubbed.as_deref().unwrap_or(&resp.body));
        let e = match unverified::interpret_create(status, body.as_ref()) {
            CreateOutcome::Created { description } => {
                let listed = self.wait_until_taken(&admin.username).await;
                return Ok(AdministratorCreated { description, listed });
            }
            CreateOutcome::UsernameTaken { description } => Maas360Error::new(
                call,
                Maas360ErrorKind::UsernameTaken { username: admin.username.clone(), description },
            ),
            CreateOutcome::RoleNotGrantable { description } => {
                Maas360Error::new(call, Maas360ErrorKind::RoleNotGrantable { roles: admin.roles.clone(), description })
            }
            // Forbidden whatever the status (a 2xx may carry the refusal's code).
            CreateOutcome::Forbidden { description } => {
                Maas360Error::answered(call, 403, Maas360ErrorKind::Forbidden { description })
            }
            CreateOutcome::Rejected { code, description } => {
                Maas360Error::answered(call, status.as_u16(), Maas360ErrorKind::Rejected { code, description })
            }
            // A 2xx that cannot be read is an unknown outcome, not a failure: the administrator may
            // exist. Its username tells; never send again (that could not tell either).
            CreateOutcome::Undecodable if status.is_success() => {
                if self.wait_until_taken(&admin.username).await {
                    debug!("maas360: an unreadable createAdministrator answer; the username is taken: created");
                    return Ok(AdministratorCreated { description: None, listed: true });
                }
                decode_error(
                    &call,
                    &resp,
                    "the answer states neither success nor failure, and the username is still free",
                )
            }
            CreateOutcome::Undecodable => decode_error(&call, &resp, "the answer states neither success nor failure"),
        };
        Err((e, attempts))
    }

    /// Checks availability until `username` is reported as taken, within the after-create window.
    /// `false` if it never was (or a check failed, or the provider is stopping): the create itself
    /// succeeded either way.
    async fn wait_until_taken(&self, username: &str) -> bool {
        let cancel = self.inner.core.settings().cancel.clone();
        let mut delays = self.inner.after_create_window.backoff();
        // Bounded: the window yields at most max_attempts - 1 delays.
        loop {
            match self.check_admin_account_availability(username).await {
                Ok(false) => return true,
                Ok(true) => {}
                Err(e) => {
                    debug!(error = %e, "maas360: could not confirm the new administrator");
                    return false;
                }
            }
            let Some(delay) = delays.next() else { return false };
            debug!(?delay, "maas360: new administrator not listed yet; checking again");
            tokio::select! {
                _ = cancel.cancelled() => return false,
                _ = tokio::time::sleep(delay) => {}
            }
        }
    }

    /// Administrator changes between `from` and `to` (all pages).
    pub async fn admin_changes_audit(
        &self,
        from: SystemTime,
        to: SystemTime,
    ) -> Result<Vec<AdminChange>, Maas360Error> {
        self.audit_pages(Op::AdminChangesAudit, "getAdminChangesAudit", "adminChanges", "adminChange", from, to)
            .await
            .map(|items| items.iter().map(AdminChange::from_value).collect())
    }

    /// Administrator login events between `from` and `to` (all pages).
    pub async fn admin_login_reports(&self, from: SystemTime, to: SystemTime) -> Result<Vec<LoginEvent>, Maas360Error> {
        self.audit_pages(Op::AdminLoginReports, "getAdminLoginReports", "loginEvents", "loginEvent", from, to)
            .await
            .map(|items| items.iter().map(LoginEvent::from_value).collect())
    }

    // ----- plumbing ----------------------------------------------------------------------

    async fn audit_pages(
        &self,
        op: Op,
        endpoint: &str,
        root: &str,
        item: &str,
        from: SystemTime,
        to: SystemTime,
    ) -> Result<Vec<Value>, Maas360Error> {
        let segments = ["account-provisioning", "administrator", "1.0", endpoint, "customer"];
        let (from_ms, to_ms) = (epoch_ms(from).to_string(), epoch_ms(to).to_string());
        let page_size = AUDIT_PAGE_SIZE.to_string();
        let mut out = Vec::new();
        for page in 1..=MAX_AUDIT_PAGES {
            let (call, mut req) = self.request(op, Method::GET, &segments);
            let page_s = page.to_string();
            set_query(
                &mut req.url,
                &[("fromDate", &from_ms), ("toDate", &to_ms), ("pageSize", &page_size), ("pageNumber", &page_s)],
            );
            let resp = success_or_error(&call, self.execute(&call, req).await?)?;
            let body: Value = serde_json::from_slice(&resp.body)
                .map_err(|e| decode_error(&call, &resp, &crate::rest::lenient::describe_json_error(&e)))?;
            refuse_error_code(&call, &resp, &body, self.inner.core.secrets())?;
            let items = crate::maas360::client::model::page_items(&body, root, item)
                .ok_or_else(|| decode_error(&call, &resp, &format!("the answer has no {root}")))?;
            let got = items.len();
            out.extend(items.into_iter().cloned());
            // A short page is the last one.
            if got < AUDIT_PAGE_SIZE {
                return Ok(out);
            }
        }
        let (call, _) = self.request(op, Method::GET, &segments);
        Err(Maas360Error::answered(
            call,
            200,
            Maas360ErrorKind::Decode { message: format!("paging did not end after {MAX_AUDIT_PAGES} pages") },
        ))
    }

    /// A request to `{root}/{segments…}/{billingId}`.
    fn request(&self, op: Op, method: Method, segments: &[&str]) -> (Call, Request) {
        let mut all: Vec<&str> = segments.to_vec();
        all.push(&self.inner.billing_id);
        let url = join_segments(&self.inner.base, &all);
        let call = Call { op, method: method.clone(), path: url.path().to_owned() };
        let req = Request::new(method, url).header(ACCEPT, HeaderValue::from_static("application/json"));
        (call, req)
    }

    async fn session(&self) -> Result<crate::rest::Lease<Session>, Maas360Error> {
        if let Some(e) = self.inner.refused.get() {
            return Err(e.clone());
        }
        let r = self.inner.session.get(|previous| self.mint_session(previous)).await;
        if let Err(e) = &r
            && e.is_invalid_credentials()
        {
            let _ = self.inner.refused.set(e.clone());
        }
        r
    }

    async fn send_raw(&self, call: &Call, req: &Request) -> Result<Response, Maas360Error> {
        self.inner.core.send(req).await.map_err(|e| match e {
            SendError::Cancelled { .. } => Maas360Error::new(call.clone(), Maas360ErrorKind::Cancelled),
            SendError::Transport { kind, message, attempts } => {
                Maas360Error::new(call.clone(), Maas360ErrorKind::Transport { kind, message }).after(attempts)
            }
        })
    }

    /// Sends with the session token; if the token is refused (401, error 1009, "Token expired." /
    /// "Token invalid"), renews it once and resends. Returns the answer whatever its status.
    async fn execute(&self, call: &Call, req: Request) -> Result<Response, Maas360Error> {
        let lease = self.session().await?;
        let resp = self.send_raw(call, &with_token(call, req.clone(), &lease.value)?).await?;
        if !token_rejected(&resp) {
            return Ok(resp);
        }
        debug!(call = %call, "maas360: token refused; authenticating again and retrying once");
        self.inner.session.invalidate(lease.generation).await;
        let lease = self.session().await?;
        let resp = self.send_raw(call, &with_token(call, req, &lease.value)?).await?;
        if token_rejected(&resp) {
            let (_, description) =
                parse_body(resp.content_type(), &resp.body).as_ref().map(error_info).unwrap_or((None, None));
            let description = description.unwrap_or_else(|| format!("http {}", resp.status.as_u16()));
            return Err(Maas360Error::new(call.clone(), Maas360ErrorKind::TokenExpired { description }));
        }
        Ok(resp)
    }
}

fn with_token(call: &Call, req: Request, session: &Session) -> Result<Request, Maas360Error> {
    req.secret_header(AUTHORIZATION, &format!("MaaS token=\"{}\"", session.token.expose_secret())).map_err(|_| {
        let message = "the auth token contains characters not allowed in an http header".into();
        Maas360Error::answered(call.clone(), 200, Maas360ErrorKind::Decode { message })
    })
}

fn token_rejected(resp: &Response) -> bool {
    resp.status == StatusCode::UNAUTHORIZED
        || parse_body(resp.content_type(), &resp.body).is_some_and(|v| says_token_rejected(&v))
}

fn epoch_ms(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}

fn decode_error(call: &Call, resp: &Response, message: &str) -> Maas360Error {
    Maas360Error::answered(call.clone(), resp.status.as_u16(), Maas360ErrorKind::Decode { message: message.into() })
}

fn success_or_error(call: &Call, resp: Response) -> Result<Response, Maas360Error> {
    if resp.status.is_success() { Ok(resp) } else { Err(status_error(call, &resp)) }
}

/// A 2xx body that carries a non-zero `errorCode` is a refusal.
fn refuse_error_code(
    call: &Call,
    resp: &Response,
    body: &Value,
    secrets: &crate::rest::redact::KnownSecrets,
) -> Result<(), Maas360Error> {
    match error_info(body) {
        (Some(code), description) => Err(Maas360Error::answered(
            call.clone(),
            resp.status.as_u16(),
            // A 2xx answer is not scrubbed by the REST layer: its errorDesc is here.
            Maas360ErrorKind::Rejected { code: Some(code), description: description.map(|d| secrets.scrub(&d)) },
        )),
        _ => Ok(()),
    }
}

/// Maps a non-2xx answer of a data call.
fn status_error(call: &Call, resp: &Response) -> Maas360Error {
    let (code, description) =
        parse_body(resp.content_type(), &resp.body).as_ref().map(error_info).unwrap_or((None, None));
    let call = call.clone();
    let status = resp.status.as_u16();
    let kind = match status {
        403 => Maas360ErrorKind::Forbidden { description },
        404 => Maas360ErrorKind::NotFound,
        429 => {
            let retry_after = resp
                .headers
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()))
                .or_else(|| rate_limit::budget_reset(&resp.headers));
            return Maas360Error::answered(call, status, Maas360ErrorKind::RateLimited { retry_after })
                .after(resp.attempts);
        }
        500..=599 => {
            return Maas360Error::answered(call, status, Maas360ErrorKind::Server { description }).after(resp.attempts);
        }
        _ => Maas360ErrorKind::Rejected { code, description },
    };
    Maas360Error::answered(call, status, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Maas360Config {
        Maas360Config {
            instance: Some("m3".into()),
            billing_id: "1234567".into(),
            app_id: "com.1234567.webapi".into(),
            app_access_key: SecretString::from("K3yK3yK3y0"),
            username: "admin".into(),
            password: SecretString::from("hunter2!"),
            ..Maas360Config::default()
        }
    }

    #[test]
    fn instances_map_to_hosts() {
        assert_eq!(instance_url("M1").unwrap(), "https://services.fiberlink.com");
        assert_eq!(instance_url(" m6 ").unwrap(), "https://services.m6.maas360.com");
        let e = instance_url("M5").unwrap_err().to_string();
        assert!(e.contains("\"M5\""), "{e}");
        for name in ["M1", "M2", "M3", "M4", "M6", "https://services.m4.maas360.com"] {
            assert!(e.contains(name), "{e}");
        }
        let c = Maas360Client::new(config()).unwrap();
        assert_eq!(c.base_url().as_str(), "https://services.m3.maas360.com/");
    }

    #[test]
    fn base_url_wins_and_is_validated() {
        let c =
            Maas360Client::new(Maas360Config { base_url: Some("http://127.0.0.1:9/maas".into()), ..config() }).unwrap();
        assert_eq!(c.base_url().as_str(), "http://127.0.0.1:9/maas/");
        let e = Maas360Client::new(Maas360Config { base_url: Some("services.m3.maas360.com".into()), ..config() })
            .unwrap_err();
        assert!(e.to_string().contains("such as https://services.m3.maas360.com"), "{e}");
        let e = Maas360Client::new(Maas360Config { instance: None, ..config() }).unwrap_err();
        assert_eq!(e.config_error(), Some(&ConfigError::NoEndpoint));
    }

    #[test]
    fn required_fields_are_named_and_secrets_never_shown() {
        let e = Maas360Client::new(Maas360Config { app_access_key: SecretString::from(""), ..config() }).unwrap_err();
        assert_eq!(e.to_string(), "invalid maas360 configuration: app_access_key is required");
        let cfg = config();
        let c = Maas360Client::new(cfg.clone()).unwrap();
        for text in [format!("{cfg:?}"), format!("{c:?}")] {
            assert!(!text.contains("K3yK3yK3y0") && !text.contains("hunter2!"), "{text}");
        }
    }

    #[test]
    fn auth_api_version_parsing() {
        assert_eq!(AuthApiVersion::parse("2.0").unwrap(), AuthApiVersion::V2);
        assert_eq!(AuthApiVersion::parse("1.0").unwrap(), AuthApiVersion::V1);
        assert!(AuthApiVersion::parse("3.0").unwrap_err().to_string().contains("\"2.0\" and \"1.0\""));
    }
}
