//! What both vendor APIs share at the HTTP layer: counters and faults per vendor, and the two route layers
//! that apply them (`observe` outermost, then `inject`).

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::faults::{Faults, Injected, Route};
use super::stats::{FaultKind, Stats};

/// Counters and faults of one vendor.
pub struct VendorRuntime {
    pub stats: Stats,
    pub faults: Faults,
}

impl VendorRuntime {
    pub fn new(baseline_latency_ms: u64) -> Arc<Self> {
        Arc::new(VendorRuntime { stats: Stats::default(), faults: Faults::new(baseline_latency_ms) })
    }

    /// Consumes one armed 404-after-create for `key`, counting it as an injected fault.
    pub fn not_found_after_create(&self, key: &str) -> bool {
        let hit = self.faults.take_not_found(key);
        if hit {
            self.stats.fault(FaultKind::NotFoundAfterCreate);
        }
        hit
    }

    /// Whether `key` is still replicating for `session` (`replicationLagMs`), counting it as an injected fault.
    pub fn replicating(&self, key: &str, session: Option<&str>) -> bool {
        let hit = self.faults.replicating(key, session);
        if hit {
            self.stats.fault(FaultKind::ReplicationLag);
        }
        hit
    }
}

/// Marker on a response that the connection service turns into a dropped connection (no response at all).
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// Outermost layer of every vendor route: counts the request by route template, tracks it in flight, applies
/// the configured latency and counts the response status.
pub async fn observe(State(rt): State<Arc<VendorRuntime>>, req: Request, next: Next) -> Response {
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| req.uri().path().to_owned());
    let key = format!("{} {}", req.method(), template);
    let _in_flight = rt.stats.begin(&key);
    let latency = rt.faults.latency();
    if !latency.is_zero() {
        rt.stats.fault(FaultKind::Latency);
        tokio::time::sleep(latency).await;
    }
    let resp = next.run(req).await;
    let delay = rt.faults.response_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if resp.extensions().get::<DropConnection>().is_none() {
        rt.stats.response(resp.status().as_u16());
    }
    resp
}

/// Innermost layer: decides whether this request is dropped, fails with a 5xx or is rate-limited before the
/// handler runs. Fault bodies are plain text, as a load balancer in front of the vendor would send them.
pub async fn inject(State(rt): State<Arc<VendorRuntime>>, req: Request, next: Next) -> Response {
    let decided = {
        let method = req.method().as_str().to_owned();
        let template = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
        let path = req.uri().path().to_owned();
        rt.faults.decide(&Route { method: &method, template: template.as_deref(), path: &path })
    };
    match decided {
        None => next.run(req).await,
        Some(Injected::DropConnection) => {
            rt.stats.fault(FaultKind::DropConnection);
            let mut resp = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            resp.extensions_mut().insert(DropConnection);
            resp
        }
        Some(Injected::LostResponse) => {
            rt.stats.fault(FaultKind::LostResponse);
            let mut resp = next.run(req).await;
            resp.extensions_mut().insert(DropConnection);
            resp
        }
        Some(Injected::ServerError(status)) => {
            rt.stats.fault(FaultKind::ServerError);
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            (status, format!("simulated fault: {}", status.canonical_reason().unwrap_or(""))).into_response()
        }
        Some(Injected::RateLimited { retry_after_seconds }) => {
            rt.stats.fault(FaultKind::RateLimit);
            let mut resp = (StatusCode::TOO_MANY_REQUESTS, "simulated fault: Too Many Requests").into_response();
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
            resp
        }
    }
}
