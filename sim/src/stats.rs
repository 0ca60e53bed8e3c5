//! Per-vendor request counters: requests per route template, responses per status, tokens issued, requests in
//! flight (current and the maximum observed) and faults injected. Served by `GET /_sim/{vendor}/stats`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// What a fault counter counts (one key per fault switch, plus the MaaS360 rate-limit budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    Latency,
    ServerError,
    RateLimit,
    NotFoundAfterCreate,
    ReplicationLag,
    DropConnection,
    LostResponse,
}

#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultCounts {
    pub latency: u64,
    pub server_errors: u64,
    pub rate_limit: u64,
    pub not_found_after_create: u64,
    pub replication_lag: u64,
    pub drop_connections: u64,
    pub lost_responses: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: BTreeMap<String, u64>,
    responses: BTreeMap<u16, u64>,
    total: u64,
    tokens_issued: u64,
    throttled: u64,
    faults: FaultCounts,
}

/// The JSON body of `GET /_sim/{vendor}/stats`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsSnapshot {
    /// Keyed by `METHOD /route/{template}` (the axum route the request matched).
    pub requests: BTreeMap<String, u64>,
    /// Keyed by HTTP status code; dropped connections are not responses and are not counted here.
    pub responses: BTreeMap<String, u64>,
    pub total: u64,
    pub tokens_issued: u64,
    pub in_flight: u64,
    pub max_in_flight: u64,
    pub faults_injected: FaultCounts,
    /// Requests refused by the vendor's own rate limit (MaaS360 budget); always 0 for Jamf.
    pub throttled: u64,
}

#[derive(Debug, Default)]
pub struct Stats {
    counters: Mutex<Counters>,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
}

/// Decrements the in-flight gauge when the request finishes, however it finishes.
pub struct InFlightGuard<'a>(&'a Stats);

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Stats {
    fn counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a request against its route key and marks it in flight until the guard drops.
    pub fn begin(&self, route_key: &str) -> InFlightGuard<'_> {
        {
            let mut c = self.counters();
            c.total += 1;
            *c.requests.entry(route_key.to_owned()).or_default() += 1;
        }
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlightGuard(self)
    }

    pub fn response(&self, status: u16) {
        *self.counters().responses.entry(status).or_default() += 1;
    }

    pub fn token_issued(&self) {
        self.counters().tokens_issued += 1;
    }

    pub fn throttled(&self) {
        self.counters().throttled += 1;
    }

    pub fn fault(&self, kind: FaultKind) {
        let mut c = self.counters();
        let f = &mut c.faults;
        match kind {
            FaultKind::Latency => f.latency += 1,
            FaultKind::ServerError => f.server_errors += 1,
            FaultKind::RateLimit => f.rate_limit += 1,
            FaultKind::NotFoundAfterCreate => f.not_found_after_create += 1,
            FaultKind::ReplicationLag => f.replication_lag += 1,
            FaultKind::DropConnection => f.drop_connections += 1,
            FaultKind::LostResponse => f.lost_responses += 1,
        }
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let c = self.counters();
        StatsSnapshot {
            requests: c.requests.clone(),
            responses: c.responses.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            total: c.total,
            tokens_issued: c.tokens_issued,
            in_flight: self.in_flight.load(Ordering::SeqCst),
            max_in_flight: self.max_in_flight.load(Ordering::SeqCst),
            faults_injected: c.faults.clone(),
            throttled: c.throttled,
        }
    }

    /// Zeroes every counter. The maximum in flight restarts from the requests in flight right now.
    pub fn reset(&self) {
        *self.counters() = Counters::default();
        self.max_in_flight.store(self.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_in_flight() {
        let s = Stats::default();
        let a = s.begin("GET /x");
        let b = s.begin("GET /x");
        let c = s.begin("POST /y");
        drop(b);
        let snap = s.snapshot();
        assert_eq!(snap.total, 3);
        assert_eq!(snap.requests["GET /x"], 2);
        assert_eq!(snap.in_flight, 2);
        assert_eq!(snap.max_in_flight, 3);
        drop((a, c));
        s.response(200);
        s.fault(FaultKind::DropConnection);
        s.token_issued();
        let snap = s.snapshot();
        assert_eq!(snap.in_flight, 0);
        assert_eq!(snap.responses["200"], 1);
        assert_eq!(snap.faults_injected.drop_connections, 1);
        assert_eq!(snap.tokens_issued, 1);
        s.reset();
        let snap = s.snapshot();
        assert_eq!((snap.total, snap.max_in_flight, snap.tokens_issued), (0, 0, 0));
        assert!(snap.requests.is_empty());
    }
}
