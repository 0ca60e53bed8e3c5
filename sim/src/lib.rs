//! A stateful simulator of the two vendor APIs the providers talk to, Jamf Pro and IBM MaaS360, plus a
//! control surface for tests. One HTTP server on one listener serves everything at its root; the providers
//! are pointed at `SimHandle::url()` for both vendors.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use mdm_sim::{SimConfig, Simulator};
//! let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), SimConfig::default()).await?;
//! let jamf = sim.jamf_admin(); // client_id / client_secret / username / password of the seeded admin
//! println!("{} {}", sim.url(), jamf.client_id);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Vendor routes
//!
//! Jamf Pro (`jamf/`, `reference/jamf-api.md` §1, §5). Every `/api/v1/*` route except the token routes
//! needs `Authorization: Bearer <token>` (401 `{"httpStatus":401,"errors":[]}`) and the privilege named
//! (403 `INVALID_PRIVILEGE`), evaluated live from the token's roles:
//!
//! | route | privilege | notes |
//! |---|---|---|
//! | `POST /api/v1/oauth/token`, `POST /api/oauth/token` | — | form `grant_type=client_credentials`, `client_id`, `client_secret`, optional `scope`; 401 `invalid_client` for any bad credential, 400 `invalid_request` / `unsupported_grant_type` / `invalid_scope` |
//! | `POST /api/v1/auth/token` | — | HTTP Basic (seeded user) → `{token, expires}` |
//! | `POST /api/v1/auth/keep-alive` | — | user tokens only; client-credentials tokens get 401 |
//! | `POST /api/v1/auth/invalidate-token` | — | 204 |
//! | `GET /api/v1/api-role-privileges` | Read API Roles | code-point sorted |
//! | `GET /api/v1/api-role-privileges/search?name=&limit=` | Read API Roles | case-insensitive substring, `limit` default "15" |
//! | `GET /api/v1/api-roles` | Read API Roles | `page`, `page-size` (`size`, `pagesize`), `sort`, `filter` (RSQL, see `jamf::rsql`) |
//! | `POST /api/v1/api-roles` | Create API Roles | 200; privileges come back sorted |
//! | `GET/PUT/DELETE /api/v1/api-roles/{id}` | Read / Update / Delete API Roles | delete in use → 409 (or 406) |
//! | `GET /api/v1/api-integrations` | Read API Integrations | as roles |
//! | `POST /api/v1/api-integrations` | Create API Integrations | 200 |
//! | `GET/PUT/DELETE /api/v1/api-integrations/{id}` | Read / Update / Delete API Integrations | PUT is a full replace |
//! | `POST /api/v1/api-integrations/{id}/client-credentials` | Create API Integrations | `{clientId, clientSecret}` |
//!
//! Seeded on start and on reset: role id `"1"` named [`jamf::SEEDED_ROLE_NAME`] ("mdm-sim admin role", every
//! catalogue privilege) and integration id `1` named [`jamf::SEEDED_CLIENT_NAME`] ("mdm-sim admin client",
//! enabled, holding the admin `client_id` / `client_secret`). They are ordinary objects, so lists show them
//! and new objects start at id 2. The Basic-auth admin user is not an object; it holds every privilege.
//!
//! MaaS360 (`maas360/`, `reference/maas360-api.md` §7.3); names marked † are simulator-defined, see
//! [`maas360::unverified`]:
//!
//! | route | notes |
//! |---|---|
//! | `POST /auth-apis/auth/1.0/authenticate/{billingId}` (and with a trailing `/`) | XML or JSON body; response format by `Accept`, XML by default |
//! | `POST /auth-apis/auth/2.0/authenticate/customer/{billingId}` | JSON; returns `authToken` and `refreshToken` |
//! | `POST /auth-apis/auth/2.0/refreshToken/customer/{billingId}` | JSON; `refreshToken` instead of `password`, `appAccessKey` optional, the refresh token rotates |
//! | `GET /account-provisioning/account/1.0/checkAdminAccountAvailability/{billingId}?adminUsername=` † | |
//! | `POST /account-provisioning/administrator/1.0/createAdministrator/{billingId}` † | form-urlencoded |
//! | `GET /account-provisioning/administrator/1.0/getAdminChangesAudit/customer/{billingId}` | `fromDate`, `toDate`, `pageSize`, `pageNumber` |
//! | `GET /account-provisioning/administrator/1.0/getAdminLoginReports/customer/{billingId}` | same |
//!
//! Authentication failures are HTTP 200 with `errorCode` 1002 (see [`maas360::codes`] for every case). Data
//! APIs need `Authorization: MaaS token="<token>"` (401 with `errorCode` 1009 "Token invalid" / "Token
//! expired."), and a token for another billing ID is 403 (code 9001). Every MaaS360 response carries
//! `X-Rate-Limit-Remaining` and `X-Rate-Limit-ResetWindow`; an exhausted budget answers 429.
//!
//! # Control routes (`/_sim/`)
//!
//! Never subject to faults, never counted in stats. Bodies are JSON; an empty body reads as `{}`; failures
//! are `{"error": "..."}` with a 4xx status.
//!
//! | route | body → answer |
//! |---|---|
//! | `POST /_sim/reset` | both vendors re-seeded with the same admin credentials, faults back to the configured baseline, stats zeroed → `{"reset":true}` |
//! | `GET /_sim/jamf/roles` | → `[{id, displayName, privileges, seeded, usedByIntegrations}]` |
//! | `PATCH /_sim/jamf/roles/{id}` | `{"displayName"?, "privileges"?}` → the role dump (same validation as the API) |
//! | `DELETE /_sim/jamf/roles/{id}` | → 204, even if in use (integrations lose the role) |
//! | `GET /_sim/jamf/integrations` | → `[{id, displayName, enabled, accessTokenLifetimeSeconds, appType, clientId, authorizationScopes, roleIds, hasValidSecret, secretIssuedAtMs, secretRoleIds, secretsIssued, activeTokens, seeded}]` |
//! | `PATCH /_sim/jamf/integrations/{id}` | `{"displayName"?, "enabled"?, "accessTokenLifetimeSeconds"?, "authorizationScopes"?}` → the integration dump |
//! | `DELETE /_sim/jamf/integrations/{id}` | → 204 |
//! | `POST /_sim/jamf/integrations/{id}/rotate` | → `{clientId, clientSecret}` (400 if disabled, like the UI) |
//! | `POST /_sim/jamf/expire-tokens` | → `{"expired": n}` |
//! | `GET`/`PUT /_sim/jamf/settings` | `{"roleInUseStatus"?: 409\|406, "missingDisplayNameStatus"?: 400\|500, "tokenTtlSeconds"?: n\|null}` → the settings |
//! | `GET /_sim/maas360/admins` | → `[{billingId, username, email, firstName, lastName, roles, status, scriptOnly, primary, passwordSet, createdAtMs, lastLoginMs}]` (deleted admins included, status `Deleted`) |
//! | `POST /_sim/maas360/admins/{username}/set-password` | `{"password"}` → the admin dump; 400 names the failed rule (≥ 8 chars, a letter, a digit, a special character) |
//! | `POST /_sim/maas360/admins/{username}/convert-to-script-only` | → the admin dump |
//! | `POST /_sim/maas360/admins/{username}/reset-password` | → `{"username", "password"}` (the emailed password) |
//! | `POST /_sim/maas360/admins/{username}/deactivate` / `reactivate` | → the admin dump (409 for the primary admin / an admin not deactivated) |
//! | `DELETE /_sim/maas360/admins/{username}` | → 204; the username is free again (409 for the primary admin) |
//! | `PUT /_sim/maas360/admins/{username}/roles` | `{"roles": [...]}` → the admin dump |
//! | `POST /_sim/maas360/expire-tokens` | `{"refreshTokens"?: bool}` → `{"expired": n, "refreshTokensExpired": m}` |
//! | `GET`/`PUT /_sim/maas360/settings` | `{"tokenTtlSeconds"?, "refreshTokenTtlSeconds"?, "rateLimitBudget"?, "rateLimitWindowSeconds"?}` → the settings |
//! | `GET`/`PUT`/`DELETE /_sim/{jamf,maas360}/faults` | PUT `{"latencyMs"?, "responseDelayMs"? (after the handler ran), "serverErrors"?: {"count"?, "rate"?, "status"?: 503}, "rateLimit"?: {"count"?, "rate"?, "retryAfterSeconds"}, "notFoundAfterCreate"?: n, "dropConnections"?: {"count"?, "rate"?}, "lostResponses"?: {"count"?, "rate"?} (handled, then the connection drops), "seed"?: u64}`; each field given replaces that fault, `null` switches it off, others are kept; DELETE clears → the fault spec (counts show what is left) |
//! | `GET`/`DELETE /_sim/{jamf,maas360}/stats` | → `{"requests": {"GET /api/v1/api-roles/{id}": n, ...}, "responses": {"200": n, ...}, "total", "tokensIssued", "inFlight", "maxInFlight", "faultsInjected": {"latency", "serverErrors", "rateLimit", "notFoundAfterCreate", "dropConnections", "lostResponses"}, "throttled"}`; DELETE zeroes them |
//!
//! Faults (see [`faults`]) apply to every vendor request including token requests. `notFoundAfterCreate`
//! arms objects created afterwards: for Jamf, every request naming the new role or integration id (GET, PUT,
//! DELETE, client-credentials) answers 404 until the count is used up; for MaaS360, the availability check
//! reports a just-created username as still available.
//!
//! # Choices where the sources are silent
//!
//! - Jamf bearer tokens stay valid until they expire (or `/_sim/jamf/expire-tokens`, or invalidate-token),
//!   even after their client is disabled, rotated or deleted: only minting new tokens is refused.
//! - MaaS360 tokens stop working as soon as their admin is deactivated or deleted; role changes apply live.
//! - The state file holds both vendors' objects, tokens and seeded credentials. Restarting with the file
//!   reuses its credentials; a credential flag that disagrees with the file is a start-up error. Token
//!   lifetime and rate-limit flags given at start override the saved settings.

mod control;
pub mod faults;
#[cfg(test)]
mod http_tests;
mod persist;
mod server;
pub mod stats;
#[cfg(test)]
mod testkit;
mod util;
mod vendor;

pub mod cli;
pub mod jamf;
pub mod maas360;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use jamf::{JamfAdminCredentials, JamfSimConfig};
pub use maas360::{Maas360AdminCredentials, Maas360SimConfig};
pub use server::PeerAddr;

use jamf::{Catalogue, JamfSim, JamfState};
use maas360::{MaasSim, MaasState};
use persist::Persister;
use util::{random_alnum, random_digits, random_password, random_url_safe};
use vendor::VendorRuntime;

/// Everything the simulator can be told at start.
#[derive(Debug, Clone, Default)]
pub struct SimConfig {
    pub jamf: JamfSimConfig,
    pub maas360: Maas360SimConfig,
    /// JSON state file: loaded at start if present, rewritten after each mutation.
    pub state_file: Option<PathBuf>,
    /// Allow listening on a non-loopback address (refused otherwise).
    pub allow_remote: bool,
}

/// Starts simulators.
pub struct Simulator;

/// A running simulator. Dropping it stops the server (without waiting); `shutdown` waits, bounded.
pub struct SimHandle {
    addr: SocketAddr,
    jamf_admin: JamfAdminCredentials,
    maas360_admin: Maas360AdminCredentials,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

/// Shared by every handler.
pub(crate) struct App {
    pub jamf: JamfSim,
    pub maas: MaasSim,
    pub jamf_rt: Arc<VendorRuntime>,
    pub maas_rt: Arc<VendorRuntime>,
    persister: Option<Persister>,
}

const STATE_VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PersistedRef<'a> {
    version: u32,
    jamf: &'a JamfState,
    maas360: &'a MaasState,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Persisted {
    version: u32,
    jamf: JamfState,
    maas360: MaasState,
}

impl App {
    /// Writes the state file (if any) after a mutation; failures are logged, the in-memory state stays.
    async fn persist(self: &Arc<Self>) {
        if self.persister.is_none() {
            return;
        }
        let app = self.clone();
        let result = tokio::task::spawn_blocking(move || app.save_now()).await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "could not write the state file"),
            Err(e) => tracing::error!(error = %e, "state file writer failed"),
        }
    }

    fn save_now(&self) -> std::io::Result<()> {
        let Some(p) = &self.persister else {
            return Ok(());
        };
        let (generation, bytes) = {
            let jamf = self.jamf.lock();
            let maas = self.maas.lock();
            let generation = p.next_generation();
            let snapshot = PersistedRef { version: STATE_VERSION, jamf: &jamf, maas360: &maas };
            (generation, serde_json::to_vec_pretty(&snapshot)?)
        };
        p.write(generation, &bytes)
    }
}

/// Saves after every request that may have changed state: anything but GET/HEAD that did not fail.
async fn persist_after(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let mutating = !matches!(*req.method(), Method::GET | Method::HEAD);
    let resp = next.run(req).await;
    if mutating && resp.status().as_u16() < 400 {
        app.persist().await;
    }
    resp
}

async fn no_route(req: Request) -> Response {
    (StatusCode::NOT_FOUND, axum::Json(json!({"error": format!("no route for {} {}", req.method(), req.uri().path())})))
        .into_response()
}

fn router(app: Arc<App>) -> Router {
    let jamf = jamf::routes()
        .route_layer(middleware::from_fn_with_state(app.jamf_rt.clone(), vendor::inject))
        .route_layer(middleware::from_fn_with_state(app.jamf_rt.clone(), vendor::observe));
    // MaaS360: counted and delayed first, then the rate-limit budget (inside it, so its headers also go on
    // faulted responses), then faults.
    let maas = maas360::routes()
        .route_layer(middleware::from_fn_with_state(app.maas_rt.clone(), vendor::inject))
        .route_layer(middleware::from_fn_with_state(app.clone(), maas360::rate_budget))
        .route_layer(middleware::from_fn_with_state(app.maas_rt.clone(), vendor::observe));
    Router::new()
        .merge(jamf)
        .merge(maas)
        .merge(control::routes(&app))
        .fallback(no_route)
        .layer(middleware::from_fn_with_state(app.clone(), persist_after))
        .layer(DefaultBodyLimit::max(util::MAX_BODY_BYTES))
        .with_state(app)
}

/// Fills each credential from `configured`, else from the state file's seed (a flag that disagrees with the
/// file is an error, since the file's objects carry the old value), else a fresh value.
fn pick(
    what: &str,
    configured: &Option<String>,
    loaded: Option<&str>,
    fresh: impl FnOnce() -> String,
) -> std::io::Result<String> {
    match (configured, loaded) {
        (Some(c), Some(l)) if c != l => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the state file was seeded with a different {what}; remove the file or drop the flag"),
        )),
        (Some(c), _) => Ok(c.clone()),
        (None, Some(l)) => Ok(l.to_owned()),
        (None, None) => Ok(fresh()),
    }
}

fn jamf_credentials(
    cfg: &JamfSimConfig,
    loaded: Option<&JamfAdminCredentials>,
) -> std::io::Result<JamfAdminCredentials> {
    Ok(JamfAdminCredentials {
        client_id: pick("Jamf client id", &cfg.client_id, loaded.map(|l| l.client_id.as_str()), || {
            uuid::Uuid::new_v4().to_string()
        })?,
        client_secret: pick(
            "Jamf client secret",
            &cfg.client_secret,
            loaded.map(|l| l.client_secret.as_str()),
            || random_url_safe(64),
        )?,
        username: pick("Jamf username", &cfg.username, loaded.map(|l| l.username.as_str()), || "mdm-sim-admin".into())?,
        password: pick("Jamf password", &cfg.password, loaded.map(|l| l.password.as_str()), random_password)?,
    })
}

fn maas_credentials(
    cfg: &Maas360SimConfig,
    loaded: Option<&Maas360AdminCredentials>,
) -> std::io::Result<Maas360AdminCredentials> {
    let billing_id =
        pick("MaaS360 billing id", &cfg.billing_id, loaded.map(|l| l.billing_id.as_str()), || random_digits(8))?;
    let l = |f: fn(&Maas360AdminCredentials) -> &str| loaded.map(f);
    Ok(Maas360AdminCredentials {
        app_id: pick("MaaS360 app id", &cfg.app_id, l(|c| &c.app_id), || format!("com.{billing_id}.mdmsim"))?,
        app_version: pick("MaaS360 app version", &cfg.app_version, l(|c| &c.app_version), || "1.0".into())?,
        platform_id: pick("MaaS360 platform id", &cfg.platform_id, l(|c| &c.platform_id), || "3".into())?,
        app_access_key: pick("MaaS360 app access key", &cfg.app_access_key, l(|c| &c.app_access_key), || {
            random_alnum(10)
        })?,
        username: pick("MaaS360 username", &cfg.username, l(|c| &c.username), || format!("{billing_id}_mdmsim_admin"))?,
        password: pick("MaaS360 password", &cfg.password, l(|c| &c.password), random_password)?,
        billing_id,
    })
}

impl Simulator {
    /// Binds `listen` (loopback only unless `cfg.allow_remote`), loads or seeds the state and serves until
    /// the handle is shut down or dropped.
    pub async fn start(listen: SocketAddr, cfg: SimConfig) -> std::io::Result<SimHandle> {
        if !listen.ip().is_loopback() && !cfg.allow_remote {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("refusing to listen on non-loopback address {listen} without allow_remote"),
            ));
        }
        let catalogue = match &cfg.jamf.privileges {
            Some(list) => Catalogue::new(list.iter().map(|s| s.trim()).filter(|s| !s.is_empty())),
            None => Catalogue::from_lines(jamf::BUNDLED_PRIVILEGES),
        };
        let persister = cfg.state_file.clone().map(Persister::new);
        let loaded: Option<Persisted> = match &persister {
            Some(p) => p.load()?,
            None => None,
        };
        if let Some(l) = &loaded
            && l.version != STATE_VERSION
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("state file version {} is not {STATE_VERSION}", l.version),
            ));
        }
        let jamf_admin = jamf_credentials(&cfg.jamf, loaded.as_ref().map(|l| &l.jamf.admin))?;
        let maas_admin = maas_credentials(&cfg.maas360, loaded.as_ref().map(|l| &l.maas360.admin))?;
        let jamf_settings = jamf::JamfSettings { token_ttl_seconds: cfg.jamf.token_ttl_seconds, ..Default::default() };
        let maas_settings = cfg.maas360.settings();
        let (jamf_state, maas_state) = match loaded {
            Some(mut l) => {
                // Flags given on this start win over settings saved by an earlier one.
                if cfg.jamf.token_ttl_seconds.is_some() {
                    l.jamf.settings.token_ttl_seconds = cfg.jamf.token_ttl_seconds;
                }
                l.maas360.settings = maas_settings.clone();
                (l.jamf, l.maas360)
            }
            None => (
                JamfState::seeded(jamf_admin.clone(), &catalogue, jamf_settings.clone()),
                MaasState::seeded(maas_admin.clone(), maas_settings.clone()),
            ),
        };
        let app = Arc::new(App {
            jamf: JamfSim::new(catalogue, jamf_settings, jamf_state),
            maas: MaasSim::new(maas_settings, maas_state),
            jamf_rt: VendorRuntime::new(cfg.jamf.latency_ms),
            maas_rt: VendorRuntime::new(cfg.maas360.latency_ms),
            persister,
        });
        if let Some(p) = &app.persister {
            app.save_now()?;
            tracing::info!(path = %p.path().display(), "state file in use");
        }
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let cancel = CancellationToken::new();
        let task = tokio::spawn(server::serve(listener, router(app), cancel.clone()));
        tracing::info!(%addr, "mdm-sim listening");
        Ok(SimHandle { addr, jamf_admin, maas360_admin: maas_admin, cancel, task: Some(task) })
    }
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the base URL of both vendor APIs and of `/_sim/`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn jamf_admin(&self) -> &JamfAdminCredentials {
        &self.jamf_admin
    }

    pub fn maas360_admin(&self) -> &Maas360AdminCredentials {
        &self.maas360_admin
    }

    /// The one JSON line `mdm-sim` prints on stdout (URLs and the seeded credentials), keys in this order:
    /// `{"url","jamf":{"url","client_id","client_secret","username","password"},"maas360":{"base_url",
    /// "billing_id","app_id","app_version","platform_id","app_access_key","username","password"}}`.
    pub fn startup_line(&self) -> String {
        #[derive(Serialize)]
        struct Jamf<'a> {
            url: &'a str,
            client_id: &'a str,
            client_secret: &'a str,
            username: &'a str,
            password: &'a str,
        }
        #[derive(Serialize)]
        struct Maas<'a> {
            base_url: &'a str,
            billing_id: &'a str,
            app_id: &'a str,
            app_version: &'a str,
            platform_id: &'a str,
            app_access_key: &'a str,
            username: &'a str,
            password: &'a str,
        }
        #[derive(Serialize)]
        struct Line<'a> {
            url: &'a str,
            jamf: Jamf<'a>,
            maas360: Maas<'a>,
        }
        let url = self.url();
        let (j, m) = (&self.jamf_admin, &self.maas360_admin);
        let line = Line {
            url: &url,
            jamf: Jamf {
                url: &url,
                client_id: &j.client_id,
                client_secret: &j.client_secret,
                username: &j.username,
                password: &j.password,
            },
            maas360: Maas {
                base_url: &url,
                billing_id: &m.billing_id,
                app_id: &m.app_id,
                app_version: &m.app_version,
                platform_id: &m.platform_id,
                app_access_key: &m.app_access_key,
                username: &m.username,
                password: &m.password,
            },
        };
        serde_json::to_string(&line).expect("plain strings serialize")
    }

    /// Stops accepting, lets requests in flight finish (at most a few seconds), then returns.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(10), task).await.is_err()
        {
            tracing::warn!("simulator did not stop within 10 s");
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}
