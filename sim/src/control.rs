//! The control routes both vendors share: `GET /_sim/` (the list of every control route),
//! `POST /_sim/reset`, `/_sim/{vendor}/faults` and `/_sim/{vendor}/stats`, plus the error shape and
//! body parsing of every `/_sim/` route.
//!
//! Every control route is one [`ControlRoute`] row of a table ([`ROUTES`] here and one per vendor):
//! the router serves the rows, and both `GET /_sim/` and `mdm-sim --help` list them, so the list
//! cannot drift from what is served.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::App;
use super::faults::FaultPatch;
use super::util::body_bytes;
use super::vendor::VendorRuntime;

/// Every `/_sim/` failure: `{"error": "<what went wrong>"}` with a 4xx status.
#[derive(Debug)]
pub struct ControlError {
    pub status: u16,
    pub message: String,
}

impl ControlError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ControlError { status, message: message.into() }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST), Json(json!({"error": self.message})))
            .into_response()
    }
}

/// A JSON control body; an empty body reads as `{}` so that body-less POSTs need no `Content-Type`.
pub fn control_json<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ControlError> {
    let bytes = body_bytes(body).map_err(|(s, m)| ControlError::new(s.as_u16(), m))?;
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
    serde_json::from_slice(bytes).map_err(|e| ControlError::new(400, format!("invalid JSON body: {e}")))
}

/// One route of the control surface: its method, path and purpose (what `GET /_sim/` and
/// `mdm-sim --help` show) and the handler the router serves it with.
pub struct ControlRoute {
    /// The HTTP method, e.g. `"PATCH"`.
    pub method: &'static str,
    /// The path, with `{id}`-style parameters.
    pub path: &'static str,
    /// One line: what it does, and its body if it takes one.
    pub purpose: &'static str,
    /// The handler of this method on this path.
    pub(crate) handler: fn(&Arc<App>) -> MethodRouter<Arc<App>>,
}

/// The routes both vendors share.
pub(crate) const ROUTES: &[ControlRoute] = &[
    ControlRoute {
        method: "GET",
        path: "/_sim/",
        purpose: "this list of control routes (method, path, purpose) as JSON",
        handler: |_| get(list),
    },
    ControlRoute {
        method: "POST",
        path: "/_sim/reset",
        purpose: "both vendors back to their seeded state (same admin credentials), faults cleared, counters zeroed",
        handler: |_| post(reset),
    },
    ControlRoute {
        method: "GET",
        path: "/_sim/jamf/faults",
        purpose: "the Jamf fault injection in force",
        handler: |app| faults_get(app.jamf_rt.clone()),
    },
    ControlRoute {
        method: "PUT",
        path: "/_sim/jamf/faults",
        purpose: "inject Jamf faults: {\"latencyMs\", \"serverErrors\", \"rateLimit\", \"notFoundAfterCreate\", \
                  \"dropConnections\", \"lostResponses\", ...}",
        handler: |app| faults_put(app.jamf_rt.clone()),
    },
    ControlRoute {
        method: "DELETE",
        path: "/_sim/jamf/faults",
        purpose: "clear the Jamf faults",
        handler: |app| faults_delete(app.jamf_rt.clone()),
    },
    ControlRoute {
        method: "GET",
        path: "/_sim/jamf/stats",
        purpose: "Jamf request counters per endpoint",
        handler: |app| stats_get(app.jamf_rt.clone()),
    },
    ControlRoute {
        method: "DELETE",
        path: "/_sim/jamf/stats",
        purpose: "zero the Jamf request counters",
        handler: |app| stats_delete(app.jamf_rt.clone()),
    },
    ControlRoute {
        method: "GET",
        path: "/_sim/maas360/faults",
        purpose: "the MaaS360 fault injection in force",
        handler: |app| faults_get(app.maas_rt.clone()),
    },
    ControlRoute {
        method: "PUT",
        path: "/_sim/maas360/faults",
        purpose: "inject MaaS360 faults (the same body as for Jamf)",
        handler: |app| faults_put(app.maas_rt.clone()),
    },
    ControlRoute {
        method: "DELETE",
        path: "/_sim/maas360/faults",
        purpose: "clear the MaaS360 faults",
        handler: |app| faults_delete(app.maas_rt.clone()),
    },
    ControlRoute {
        method: "GET",
        path: "/_sim/maas360/stats",
        purpose: "MaaS360 request counters per endpoint",
        handler: |app| stats_get(app.maas_rt.clone()),
    },
    ControlRoute {
        method: "DELETE",
        path: "/_sim/maas360/stats",
        purpose: "zero the MaaS360 request counters",
        handler: |app| stats_delete(app.maas_rt.clone()),
    },
];

/// Every control route, shared ones first, then Jamf's, then MaaS360's.
pub fn all_routes() -> impl Iterator<Item = &'static ControlRoute> {
    ROUTES.iter().chain(crate::jamf::CONTROL_ROUTES).chain(crate::maas360::CONTROL_ROUTES)
}

/// The control routes as text, one per line (`mdm-sim --help`).
pub fn routes_help() -> String {
    let width = all_routes().map(|r| r.path.len()).max().unwrap_or(0);
    let mut out =
        String::from("Control routes (the providers never call them; tests, demos and you do, e.g. with curl):\n");
    for r in all_routes() {
        out.push_str(&format!("  {:<7}{:<width$}  {}\n", r.method, r.path, r.purpose));
    }
    out
}

/// The router of every control route, built from the tables.
pub(crate) fn routes(app: &Arc<App>) -> Router<Arc<App>> {
    let mut router = Router::new();
    for r in all_routes() {
        router = router.route(r.path, (r.handler)(app));
    }
    router
}

/// `GET /_sim/`: every control route.
async fn list() -> Json<Value> {
    Json(Value::Array(
        all_routes().map(|r| json!({"method": r.method, "path": r.path, "purpose": r.purpose})).collect(),
    ))
}

/// `POST /_sim/reset`: both vendors back to their seeded state (same admin credentials), faults back to the
/// configured baseline, counters zeroed.
async fn reset(State(app): State<Arc<App>>) -> Json<Value> {
    app.jamf.reset();
    app.maas.reset();
    for rt in [&app.jamf_rt, &app.maas_rt] {
        rt.faults.clear();
        rt.stats.reset();
    }
    Json(json!({"reset": true}))
}

fn faults_get(rt: Arc<VendorRuntime>) -> MethodRouter<Arc<App>> {
    get(move || async move { Json(json!(rt.faults.spec())) })
}

fn faults_put(rt: Arc<VendorRuntime>) -> MethodRouter<Arc<App>> {
    axum::routing::put(move |body: Result<Bytes, BytesRejection>| async move {
        let patch: FaultPatch = control_json(body)?;
        let spec = rt.faults.apply(patch).map_err(|m| ControlError::new(400, m))?;
        Ok::<_, ControlError>(Json(json!(spec)))
    })
}

fn faults_delete(rt: Arc<VendorRuntime>) -> MethodRouter<Arc<App>> {
    axum::routing::delete(move || async move {
        rt.faults.clear();
        Json(json!(rt.faults.spec()))
    })
}

fn stats_get(rt: Arc<VendorRuntime>) -> MethodRouter<Arc<App>> {
    get(move || async move { Json(json!(rt.stats.snapshot())) })
}

fn stats_delete(rt: Arc<VendorRuntime>) -> MethodRouter<Arc<App>> {
    axum::routing::delete(move || async move {
        rt.stats.reset();
        Json(json!(rt.stats.snapshot()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_listed_once_with_a_purpose() {
        let mut seen = std::collections::HashSet::new();
        for r in all_routes() {
            assert!(r.path.starts_with("/_sim/"), "{}", r.path);
            assert!(["GET", "PUT", "POST", "PATCH", "DELETE"].contains(&r.method), "{} {}", r.method, r.path);
            assert!(!r.purpose.is_empty(), "{} {}", r.method, r.path);
            assert!(seen.insert((r.method, r.path)), "listed twice: {} {}", r.method, r.path);
        }
        assert!(seen.contains(&("PATCH", "/_sim/jamf/integrations/{id}")));
        assert!(seen.contains(&("POST", "/_sim/maas360/admins/{username}/set-password")));
    }

    #[test]
    fn the_help_text_lists_every_route() {
        let help = routes_help();
        for r in all_routes() {
            assert!(help.lines().any(|l| l.contains(r.method) && l.contains(r.path) && l.contains(r.purpose)));
        }
    }
}
