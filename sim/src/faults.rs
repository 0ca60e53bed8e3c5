//! Fault injection, one instance per vendor, configured through `/_sim/{vendor}/faults`.
//!
//! Faults apply to every vendor API request, **including token requests** (`/api/v1/oauth/token`,
//! `/api/v1/auth/token`, the MaaS360 `auth-apis`): real networks and load balancers fail there too, and a
//! client's token path needs the same retry handling as its data path. They never apply to `/_sim/` routes.
//!
//! Per request, in this order: latency (always, when set), then at most one of dropped connection, server
//! error, rate limit. A trigger with `count` fires for the next `count` requests; once that is used up, a
//! trigger with `rate` fires for each request independently with that probability, drawn from a per-vendor
//! RNG that `seed` makes deterministic. `notFoundAfterCreate: n` arms every object created afterwards so that
//! the next `n` requests addressing it answer 404 (Jamf Cloud replication lag). `lostResponses` lets the
//! request reach the handler (so a create really happens) and then drops the connection before the answer:
//! the ambiguous failure a client must reconcile without losing or duplicating the object.
//!
//! `replicationLagMs: n` models Jamf Cloud's web-app nodes, which see each other's writes only after a while:
//! an object created afterwards is, for `n` ms, missing from lists and answers 404 to a GET, for every session
//! (bearer token) but the one that created it (the node that served the create, which sticky sessions keep a
//! client on). It lives in the simulator, so it spans provider processes: the `plan` right after an `apply` is
//! a new session and sees the lag. Set `only` on `dropConnections` / `lostResponses` (`"POST /api/v1/api-roles"`,
//! method and route template or literal path) to make them fire on that route alone.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::util::present;

/// A trigger: the next `count` requests, then each request with probability `rate`; with `only`, just the
/// requests of that route (`"POST /api/v1/api-roles"`), which alone consume the count.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Trigger {
    #[serde(default)]
    pub count: u64,
    #[serde(default)]
    pub rate: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<String>,
}

impl Trigger {
    fn applies_to(&self, route: &Route<'_>) -> bool {
        match &self.only {
            None => true,
            Some(only) => {
                let only = only.trim();
                only == route.template_key() || only == route.path_key()
            }
        }
    }
}

/// The request a fault decision is made for.
#[derive(Debug, Clone, Copy)]
pub struct Route<'a> {
    pub method: &'a str,
    /// The route template (`/api/v1/api-roles/{id}`), when known.
    pub template: Option<&'a str>,
    pub path: &'a str,
}

impl Route<'_> {
    fn template_key(&self) -> String {
        format!("{} {}", self.method, self.template.unwrap_or(self.path))
    }
    fn path_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Longest replication lag accepted (ten minutes: far beyond Jamf Cloud's, and a test must end).
pub const MAX_REPLICATION_LAG_MS: u64 = 600_000;

/// Upper bound on objects tracked as replicating; the oldest are forgotten first.
const MAX_REPLICATING: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerErrors {
    #[serde(default)]
    pub count: u64,
    #[serde(default)]
    pub rate: f64,
    #[serde(default = "default_server_error_status")]
    pub status: u16,
}

fn default_server_error_status() -> u16 {
    503
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimitFault {
    #[serde(default)]
    pub count: u64,
    #[serde(default)]
    pub rate: f64,
    pub retry_after_seconds: u64,
}

/// The fault configuration as `GET /_sim/{vendor}/faults` shows it; `count`s show what is left.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultSpec {
    pub latency_ms: u64,
    /// Added after the handler ran: the request has taken effect but its answer is still coming
    /// (a client killed meanwhile leaves an object it never heard of).
    pub response_delay_ms: u64,
    pub server_errors: Option<ServerErrors>,
    pub rate_limit: Option<RateLimitFault>,
    pub not_found_after_create: u32,
    pub replication_lag_ms: u64,
    pub drop_connections: Option<Trigger>,
    pub lost_responses: Option<Trigger>,
    pub seed: Option<u64>,
}

/// Body of `PUT /_sim/{vendor}/faults`. Each field present replaces that fault (`null` switches it off);
/// fields left out keep their current setting.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultPatch {
    #[serde(default, deserialize_with = "present")]
    pub latency_ms: Option<Option<u64>>,
    #[serde(default, deserialize_with = "present")]
    pub response_delay_ms: Option<Option<u64>>,
    #[serde(default, deserialize_with = "present")]
    pub server_errors: Option<Option<ServerErrors>>,
    #[serde(default, deserialize_with = "present")]
    pub rate_limit: Option<Option<RateLimitFault>>,
    #[serde(default, deserialize_with = "present")]
    pub not_found_after_create: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present")]
    pub replication_lag_ms: Option<Option<u64>>,
    #[serde(default, deserialize_with = "present")]
    pub drop_connections: Option<Option<Trigger>>,
    #[serde(default, deserialize_with = "present")]
    pub lost_responses: Option<Option<Trigger>>,
    #[serde(default, deserialize_with = "present")]
    pub seed: Option<Option<u64>>,
}

/// What the fault layer decided for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Injected {
    DropConnection,
    /// Handle the request, then drop the connection instead of answering.
    LostResponse,
    ServerError(u16),
    RateLimited {
        retry_after_seconds: u64,
    },
}

struct State {
    spec: FaultSpec,
    rng: StdRng,
    /// Objects created while `notFoundAfterCreate` was armed → how many more requests get a 404.
    pending_not_found: HashMap<String, u32>,
    /// Objects created while `replicationLagMs` was set → (visible to others from, creating session).
    replicating: HashMap<String, (Instant, String)>,
}

pub struct Faults {
    baseline_latency_ms: u64,
    state: Mutex<State>,
}

fn check_rate(name: &str, rate: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&rate) { Ok(()) } else { Err(format!("{name}.rate must be between 0.0 and 1.0")) }
}

fn fire(count: &mut u64, rate: f64, rng: &mut StdRng) -> bool {
    if *count > 0 {
        *count -= 1;
        true
    } else {
        rate > 0.0 && rng.random_bool(rate)
    }
}

impl Faults {
    /// `baseline_latency_ms` is the configured latency (`--latency-ms`); `DELETE` returns to it.
    pub fn new(baseline_latency_ms: u64) -> Self {
        Faults {
            baseline_latency_ms,
            state: Mutex::new(State {
                spec: FaultSpec { latency_ms: baseline_latency_ms, ..FaultSpec::default() },
                rng: StdRng::from_os_rng(),
                pending_not_found: HashMap::new(),
                replicating: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn spec(&self) -> FaultSpec {
        self.lock().spec.clone()
    }

    /// Applies a `PUT` body; validation errors leave the configuration unchanged.
    pub fn apply(&self, patch: FaultPatch) -> Result<FaultSpec, String> {
        if let Some(Some(s)) = &patch.server_errors {
            check_rate("serverErrors", s.rate)?;
            if !(500..=599).contains(&s.status) {
                return Err("serverErrors.status must be a 5xx status".into());
            }
        }
        if let Some(Some(r)) = &patch.rate_limit {
            check_rate("rateLimit", r.rate)?;
        }
        if let Some(Some(t)) = &patch.drop_connections {
            check_rate("dropConnections", t.rate)?;
        }
        if let Some(Some(t)) = &patch.lost_responses {
            check_rate("lostResponses", t.rate)?;
        }
        if let Some(Some(ms)) = patch.replication_lag_ms
            && ms > MAX_REPLICATION_LAG_MS
        {
            return Err(format!("replicationLagMs must be at most {MAX_REPLICATION_LAG_MS}"));
        }
        let mut st = self.lock();
        if let Some(v) = patch.latency_ms {
            st.spec.latency_ms = v.unwrap_or(0);
        }
        if let Some(v) = patch.response_delay_ms {
            st.spec.response_delay_ms = v.unwrap_or(0);
        }
        if let Some(v) = patch.server_errors {
            st.spec.server_errors = v;
        }
        if let Some(v) = patch.rate_limit {
            st.spec.rate_limit = v;
        }
        if let Some(v) = patch.not_found_after_create {
            st.spec.not_found_after_create = v.unwrap_or(0);
        }
        if let Some(v) = patch.replication_lag_ms {
            st.spec.replication_lag_ms = v.unwrap_or(0);
        }
        if let Some(v) = patch.drop_connections {
            st.spec.drop_connections = v;
        }
        if let Some(v) = patch.lost_responses {
            st.spec.lost_responses = v;
        }
        if let Some(v) = patch.seed {
            st.spec.seed = v;
            st.rng = match v {
                Some(seed) => StdRng::seed_from_u64(seed),
                None => StdRng::from_os_rng(),
            };
        }
        Ok(st.spec.clone())
    }

    /// `DELETE`: everything off, latency back to the configured baseline, armed 404s forgotten.
    pub fn clear(&self) {
        let mut st = self.lock();
        st.spec = FaultSpec { latency_ms: self.baseline_latency_ms, ..FaultSpec::default() };
        st.pending_not_found.clear();
        st.replicating.clear();
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.lock().spec.latency_ms)
    }

    pub fn response_delay(&self) -> Duration {
        Duration::from_millis(self.lock().spec.response_delay_ms)
    }

    /// Decides whether this request to `route` fails, consuming counts and random draws.
    pub fn decide(&self, route: &Route<'_>) -> Option<Injected> {
        let st = &mut *self.lock();
        if let Some(t) = &mut st.spec.drop_connections
            && t.applies_to(route)
            && fire(&mut t.count, t.rate, &mut st.rng)
        {
            return Some(Injected::DropConnection);
        }
        if let Some(t) = &mut st.spec.lost_responses
            && t.applies_to(route)
            && fire(&mut t.count, t.rate, &mut st.rng)
        {
            return Some(Injected::LostResponse);
        }
        if let Some(s) = &mut st.spec.server_errors
            && fire(&mut s.count, s.rate, &mut st.rng)
        {
            return Some(Injected::ServerError(s.status));
        }
        if let Some(r) = &mut st.spec.rate_limit
            && fire(&mut r.count, r.rate, &mut st.rng)
        {
            return Some(Injected::RateLimited { retry_after_seconds: r.retry_after_seconds });
        }
        None
    }

    /// Called when the vendor creates an object; arms its 404 window if `notFoundAfterCreate` is set.
    pub fn created(&self, key: &str) {
        let mut st = self.lock();
        let n = st.spec.not_found_after_create;
        if n > 0 {
            st.pending_not_found.insert(key.to_owned(), n);
        }
    }

    /// Called when `session` (a bearer token) creates an object; hides it from other sessions for
    /// `replicationLagMs` if that is set. Also arms `notFoundAfterCreate` ([`Faults::created`]).
    pub fn created_by(&self, key: &str, session: &str) {
        self.created(key);
        let mut st = self.lock();
        let lag = st.spec.replication_lag_ms;
        if lag == 0 {
            return;
        }
        let now = Instant::now();
        st.replicating.retain(|_, (until, _)| *until > now);
        if st.replicating.len() >= MAX_REPLICATING
            && let Some(oldest) = st.replicating.iter().min_by_key(|(_, (until, _))| *until).map(|(k, _)| k.clone())
        {
            st.replicating.remove(&oldest);
        }
        st.replicating.insert(key.to_owned(), (now + Duration::from_millis(lag), session.to_owned()));
    }

    /// True while the object `key` has not reached the node that serves `session` yet.
    pub fn replicating(&self, key: &str, session: Option<&str>) -> bool {
        let st = self.lock();
        st.replicating
            .get(key)
            .is_some_and(|(until, creator)| Instant::now() < *until && session != Some(creator.as_str()))
    }

    /// True when this request to `key` must pretend the object does not exist yet.
    pub fn take_not_found(&self, key: &str) -> bool {
        let mut st = self.lock();
        match st.pending_not_found.get_mut(key) {
            Some(n) => {
                *n -= 1;
                if *n == 0 {
                    st.pending_not_found.remove(key);
                }
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: Route<'static> = Route { method: "GET", template: Some("/api/v1/api-roles"), path: "/api/v1/api-roles" };

    fn patch(json: &str) -> FaultPatch {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn lost_responses_fire_after_drops() {
        let f = Faults::new(0);
        f.apply(patch(r#"{"lostResponses":{"count":1}}"#)).unwrap();
        assert_eq!(f.decide(&ANY), Some(Injected::LostResponse));
        assert_eq!(f.decide(&ANY), None);
        assert!(f.apply(patch(r#"{"lostResponses":{"rate":2.0}}"#)).is_err());
    }

    #[test]
    fn count_fires_exactly_n_times() {
        let f = Faults::new(0);
        f.apply(patch(r#"{"serverErrors":{"count":2}}"#)).unwrap();
        assert_eq!(f.decide(&ANY), Some(Injected::ServerError(503)));
        assert_eq!(f.decide(&ANY), Some(Injected::ServerError(503)));
        assert_eq!(f.decide(&ANY), None);
        assert_eq!(f.spec().server_errors.unwrap().count, 0);
    }

    #[test]
    fn seeded_rate_is_deterministic() {
        let run = || {
            let f = Faults::new(0);
            f.apply(patch(r#"{"dropConnections":{"rate":0.5},"seed":7}"#)).unwrap();
            (0..64).map(|_| f.decide(&ANY).is_some()).collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let hits = a.iter().filter(|x| **x).count();
        assert!(hits > 10 && hits < 54, "{hits}");
    }

    #[test]
    fn patch_merges_and_null_clears() {
        let f = Faults::new(5);
        f.apply(patch(r#"{"rateLimit":{"count":1,"retryAfterSeconds":3}}"#)).unwrap();
        f.apply(patch(r#"{"latencyMs":20}"#)).unwrap();
        let s = f.spec();
        assert_eq!(s.latency_ms, 20);
        assert!(s.rate_limit.is_some());
        f.apply(patch(r#"{"rateLimit":null}"#)).unwrap();
        assert!(f.spec().rate_limit.is_none());
        f.clear();
        assert_eq!(f.spec().latency_ms, 5);
    }

    #[test]
    fn invalid_patches_are_refused() {
        let f = Faults::new(0);
        assert!(f.apply(patch(r#"{"serverErrors":{"rate":1.5}}"#)).is_err());
        assert!(f.apply(patch(r#"{"serverErrors":{"status":404}}"#)).is_err());
        assert!(serde_json::from_str::<FaultPatch>(r#"{"rateLimit":{"count":1}}"#).is_err());
        assert!(serde_json::from_str::<FaultPatch>(r#"{"bogus":1}"#).is_err());
        assert_eq!(f.spec(), FaultSpec::default());
    }

    #[test]
    fn not_found_after_create_window() {
        let f = Faults::new(0);
        f.created("role:1");
        assert!(!f.take_not_found("role:1"), "not armed yet");
        f.apply(patch(r#"{"notFoundAfterCreate":2}"#)).unwrap();
        f.created("role:2");
        assert!(f.take_not_found("role:2"));
        assert!(f.take_not_found("role:2"));
        assert!(!f.take_not_found("role:2"));
    }

    #[test]
    fn order_drop_before_errors() {
        let f = Faults::new(0);
        f.apply(patch(
            r#"{"dropConnections":{"count":1},"serverErrors":{"count":1,"status":500},"rateLimit":{"count":1,"retryAfterSeconds":2}}"#,
        ))
        .unwrap();
        assert_eq!(f.decide(&ANY), Some(Injected::DropConnection));
        assert_eq!(f.decide(&ANY), Some(Injected::ServerError(500)));
        assert_eq!(f.decide(&ANY), Some(Injected::RateLimited { retry_after_seconds: 2 }));
        assert_eq!(f.decide(&ANY), None);
    }

    #[test]
    fn only_restricts_a_trigger_to_one_route() {
        let f = Faults::new(0);
        f.apply(patch(r#"{"lostResponses":{"count":1,"only":"POST /api/v1/api-roles"}}"#)).unwrap();
        assert_eq!(f.decide(&ANY), None, "a GET of the same path is not the route");
        let by_id = Route { method: "POST", template: Some("/api/v1/api-roles/{id}"), path: "/api/v1/api-roles/3" };
        assert_eq!(f.decide(&by_id), None);
        let post = Route { method: "POST", template: Some("/api/v1/api-roles"), path: "/api/v1/api-roles" };
        assert_eq!(f.decide(&post), Some(Injected::LostResponse));
        assert_eq!(f.decide(&post), None, "the count was consumed by that route alone");
        f.apply(patch(r#"{"dropConnections":{"count":1,"only":"GET /api/v1/api-roles/3"}}"#)).unwrap();
        let get3 = Route { method: "GET", template: Some("/api/v1/api-roles/{id}"), path: "/api/v1/api-roles/3" };
        assert_eq!(f.decide(&get3), Some(Injected::DropConnection), "a literal path matches too");
    }

    #[test]
    fn replication_lag_hides_new_objects_from_other_sessions_for_a_while() {
        let f = Faults::new(0);
        f.created_by("role:1", "token-a");
        assert!(!f.replicating("role:1", Some("token-b")), "not armed");
        f.apply(patch(r#"{"replicationLagMs":150}"#)).unwrap();
        f.created_by("role:2", "token-a");
        assert!(!f.replicating("role:2", Some("token-a")), "the creating session sees its write");
        assert!(f.replicating("role:2", Some("token-b")));
        assert!(f.replicating("role:2", None));
        std::thread::sleep(Duration::from_millis(200));
        assert!(!f.replicating("role:2", Some("token-b")), "replicated after the lag");
        assert!(f.apply(patch(r#"{"replicationLagMs":600001}"#)).is_err());
        assert_eq!(f.spec().replication_lag_ms, 150);
    }
}
