//! The control routes both vendors share: `POST /_sim/reset`, `/_sim/{vendor}/faults` and
//! `/_sim/{vendor}/stats`, plus the error shape and body parsing of every `/_sim/` route.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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

pub(crate) fn routes(app: &Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route("/_sim/reset", post(reset))
        .merge(vendor_routes("jamf", app.jamf_rt.clone()))
        .merge(vendor_routes("maas360", app.maas_rt.clone()))
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

fn vendor_routes(name: &str, rt: Arc<VendorRuntime>) -> Router<Arc<App>> {
    let (f_get, f_put, f_del) = (rt.clone(), rt.clone(), rt.clone());
    let (s_get, s_del) = (rt.clone(), rt);
    Router::new()
        .route(
            &format!("/_sim/{name}/faults"),
            get(move || async move { Json(json!(f_get.faults.spec())) })
                .put(move |body: Result<Bytes, BytesRejection>| async move {
                    let patch: FaultPatch = control_json(body)?;
                    let spec = f_put.faults.apply(patch).map_err(|m| ControlError::new(400, m))?;
                    Ok::<_, ControlError>(Json(json!(spec)))
                })
                .delete(move || async move {
                    f_del.faults.clear();
                    Json(json!(f_del.faults.spec()))
                }),
        )
        .route(
            &format!("/_sim/{name}/stats"),
            get(move || async move { Json(json!(s_get.stats.snapshot())) }).delete(move || async move {
                s_del.stats.reset();
                Json(json!(s_del.stats.snapshot()))
            }),
        )
}
