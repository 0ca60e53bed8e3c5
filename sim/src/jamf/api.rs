//! The Jamf Pro API routes (`/api/...`).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::state::{
    CREATE_INTEGRATIONS, CREATE_ROLES, DELETE_INTEGRATIONS, DELETE_ROLES, JamfError, ListParams, OAuthError,
    READ_INTEGRATIONS, READ_ROLES, UPDATE_INTEGRATIONS, UPDATE_ROLES, UserGrant,
};
use crate::App;
use crate::util::{body_bytes, media_type, parse_form, query_param};

type Reply = Result<Response, JamfError>;
type Body = Result<Bytes, BytesRejection>;
type Pairs = Query<Vec<(String, String)>>;

pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/oauth/token", post(oauth_token))
        .route("/api/oauth/token", post(oauth_token))
        .route("/api/v1/auth/token", post(user_token))
        .route("/api/v1/auth/keep-alive", post(keep_alive))
        .route("/api/v1/auth/invalidate-token", post(invalidate_token))
        .route("/api/v1/api-role-privileges", get(privileges))
        .route("/api/v1/api-role-privileges/search", get(search_privileges))
        .route("/api/v1/api-roles", get(list_roles).post(create_role))
        .route("/api/v1/api-roles/{id}", get(get_role).put(update_role).delete(delete_role))
        .route("/api/v1/api-integrations", get(list_integrations).post(create_integration))
        .route("/api/v1/api-integrations/{id}", get(get_integration).put(update_integration).delete(delete_integration))
        .route("/api/v1/api-integrations/{id}/client-credentials", post(mint_client_credentials))
}

impl IntoResponse for JamfError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = if matches!(self.status, 401 | 500) {
            // 401s carry no cause; the real server's opaque 500 carries none either.
            json!({"httpStatus": self.status, "errors": []})
        } else {
            json!({"httpStatus": self.status, "errors": [{
                "code": self.code, "description": self.description, "id": self.id, "field": null
            }]})
        };
        (status, Json(body)).into_response()
    }
}

fn unauthorized() -> JamfError {
    JamfError::new(401, None, "Unauthorized")
}

fn forbidden() -> JamfError {
    JamfError::new(403, Some("INVALID_PRIVILEGE"), "Forbidden")
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// 401 without a valid bearer token, 403 `INVALID_PRIVILEGE` without `privilege` (evaluated now).
fn authorize(app: &App, headers: &HeaderMap, privilege: &str) -> Result<(), JamfError> {
    let st = app.jamf.lock();
    let principal = bearer(headers).and_then(|t| st.bearer(t)).ok_or_else(unauthorized)?;
    if st.has_privilege(&principal, privilege) { Ok(()) } else { Err(forbidden()) }
}

fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: Body) -> Result<T, JamfError> {
    let bytes = body_bytes(body).map_err(|(s, m)| JamfError::new(s.as_u16(), None, m))?;
    match media_type(headers).as_deref() {
        Some("application/json") => {}
        Some(m) if m.ends_with("+json") => {}
        _ => {
            return Err(JamfError::new(415, None, "Content-Type must be application/json"));
        }
    }
    serde_json::from_slice(&bytes).map_err(|e| JamfError::bad_request(format!("malformed request body: {e}")))
}

/// Pretends an object created a moment ago has not reached the node serving this session yet (the
/// `replicationLagMs` fault): answers 404 to a GET.
fn replicating(app: &App, headers: &HeaderMap, kind: &str, what: &str, id: &str) -> Result<(), JamfError> {
    if app.jamf_rt.replicating(&format!("{kind}:{id}"), bearer(headers)) {
        Err(JamfError::not_found(what, id))
    } else {
        Ok(())
    }
}

/// Pretends an object created a moment ago is not visible yet (the `notFoundAfterCreate` fault).
fn lagging(app: &App, kind: &str, what: &str, id: &str) -> Result<(), JamfError> {
    if app.jamf_rt.not_found_after_create(&format!("{kind}:{id}")) {
        Err(JamfError::not_found(what, id))
    } else {
        Ok(())
    }
}

// ----- tokens -----

fn oauth_error(e: OAuthError) -> Response {
    let mut resp = (
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
        Json(json!({"error": e.error, "error_description": e.description})),
    )
        .into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `POST /api/v1/oauth/token` and the legacy `/api/oauth/token`: RFC 6749 client-credentials grant.
async fn oauth_token(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    let bad_request =
        |d: &str| oauth_error(OAuthError { status: 400, error: "invalid_request", description: d.into() });
    let bytes = match body_bytes(body) {
        Ok(b) => b,
        Err((s, m)) => {
            return oauth_error(OAuthError { status: s.as_u16(), error: "invalid_request", description: m });
        }
    };
    if media_type(&headers).as_deref() != Some("application/x-www-form-urlencoded") {
        return bad_request("Content-Type must be application/x-www-form-urlencoded");
    }
    let form = parse_form(&bytes);
    match form.get("grant_type").map(String::as_str) {
        None => return bad_request("grant_type is required"),
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(OAuthError {
                status: 400,
                error: "unsupported_grant_type",
                description: "only client_credentials is supported".into(),
            });
        }
    }
    let (Some(id), Some(secret)) = (form.get("client_id"), form.get("client_secret")) else {
        return bad_request("client_id and client_secret are required");
    };
    let grant = app.jamf.lock().issue_client_token(id, secret, form.get("scope").map(String::as_str));
    match grant {
        Err(e) => oauth_error(e),
        Ok(g) => {
            app.jamf_rt.stats.token_issued();
            let mut resp = Json(json!({
                "access_token": g.access_token, "scope": g.scope,
                "token_type": "Bearer", "expires_in": g.expires_in,
            }))
            .into_response();
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
    }
}

fn user_grant(g: UserGrant) -> Response {
    let expires = time::OffsetDateTime::from_unix_timestamp_nanos(g.expires_at_ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            ))
            .ok()
        })
        .unwrap_or_default();
    Json(json!({"token": g.token, "expires": expires})).into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let (u, p) = decoded.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

/// `POST /api/v1/auth/token` with HTTP Basic: `{token, expires}` for the seeded user.
async fn user_token(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let Some((u, p)) = basic_credentials(&headers) else {
        return unauthorized().into_response();
    };
    let grant = app.jamf.lock().issue_user_token(&u, &p);
    match grant {
        Some(g) => {
            app.jamf_rt.stats.token_issued();
            user_grant(g)
        }
        None => unauthorized().into_response(),
    }
}

/// `POST /api/v1/auth/keep-alive`: a new user token replaces the old one; client tokens get 401.
async fn keep_alive(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let grant = bearer(&headers).and_then(|t| app.jamf.lock().keep_alive(t));
    match grant {
        Some(g) => {
            app.jamf_rt.stats.token_issued();
            user_grant(g)
        }
        None => unauthorized().into_response(),
    }
}

async fn invalidate_token(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if bearer(&headers).is_some_and(|t| app.jamf.lock().invalidate(t)) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        unauthorized().into_response()
    }
}

// ----- privileges -----

async fn privileges(State(app): State<Arc<App>>, headers: HeaderMap) -> Reply {
    authorize(&app, &headers, READ_ROLES)?;
    Ok(Json(json!({"privileges": app.jamf.catalogue.all()})).into_response())
}

/// `?name=` (required, case-insensitive substring) and `?limit=` (a string, default "15").
async fn search_privileges(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Pairs) -> Reply {
    authorize(&app, &headers, READ_ROLES)?;
    let name = query_param(&q, "name").ok_or_else(|| JamfError::bad_request("name is required"))?;
    let limit = query_param(&q, "limit").unwrap_or("15");
    let limit: usize = limit.trim().parse().map_err(|_| JamfError::bad_request(format!("invalid limit '{limit}'")))?;
    Ok(Json(json!({"privileges": app.jamf.catalogue.search(name, limit)})).into_response())
}

// ----- roles -----

async fn list_roles(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Pairs) -> Reply {
    authorize(&app, &headers, READ_ROLES)?;
    let params = ListParams::parse(&q)?;
    let session = bearer(&headers);
    let visible = |id: u64| !app.jamf_rt.faults.replicating(&format!("role:{id}"), session);
    Ok(Json(app.jamf.lock().list_roles_visible(&params, visible)).into_response())
}

/// Create answers 200 (not 201), with the privileges in code-point order rather than as sent.
async fn create_role(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Reply {
    authorize(&app, &headers, CREATE_ROLES)?;
    let req = json_body(&headers, body)?;
    let view = app.jamf.lock().create_role(req, &app.jamf.catalogue)?;
    app.jamf_rt.faults.created_by(&format!("role:{}", view.id), bearer(&headers).unwrap_or_default());
    Ok(Json(view).into_response())
}

async fn get_role(State(app): State<Arc<App>>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    authorize(&app, &headers, READ_ROLES)?;
    lagging(&app, "role", "API Role", &id)?;
    replicating(&app, &headers, "role", "API Role", &id)?;
    let st = app.jamf.lock();
    let role = st.find_role(&id)?;
    Ok(Json(st.role_view(role)).into_response())
}

async fn update_role(State(app): State<Arc<App>>, headers: HeaderMap, Path(id): Path<String>, body: Body) -> Reply {
    authorize(&app, &headers, UPDATE_ROLES)?;
    lagging(&app, "role", "API Role", &id)?;
    let req = json_body(&headers, body)?;
    let view = app.jamf.lock().update_role(&id, req, &app.jamf.catalogue)?;
    Ok(Json(view).into_response())
}

async fn delete_role(State(app): State<Arc<App>>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    authorize(&app, &headers, DELETE_ROLES)?;
    lagging(&app, "role", "API Role", &id)?;
    app.jamf.lock().delete_role(&id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ----- integrations -----

async fn list_integrations(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Pairs) -> Reply {
    authorize(&app, &headers, READ_INTEGRATIONS)?;
    let params = ListParams::parse(&q)?;
    let session = bearer(&headers);
    let visible = |id: u64| !app.jamf_rt.faults.replicating(&format!("integration:{id}"), session);
    Ok(Json(app.jamf.lock().list_integrations_visible(&params, visible)).into_response())
}

/// Create answers 200 (the spec says 201; live servers answer 200).
async fn create_integration(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Reply {
    authorize(&app, &headers, CREATE_INTEGRATIONS)?;
    let req = json_body(&headers, body)?;
    let view = app.jamf.lock().create_integration(req)?;
    app.jamf_rt.faults.created_by(&format!("integration:{}", view.id), bearer(&headers).unwrap_or_default());
    Ok(Json(view).into_response())
}

async fn get_integration(State(app): State<Arc<App>>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    authorize(&app, &headers, READ_INTEGRATIONS)?;
    lagging(&app, "integration", "API Integration", &id)?;
    replicating(&app, &headers, "integration", "API Integration", &id)?;
    let st = app.jamf.lock();
    let i = st.find_integration(&id)?;
    Ok(Json(st.integration_view(i)).into_response())
}

async fn update_integration(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Reply {
    authorize(&app, &headers, UPDATE_INTEGRATIONS)?;
    lagging(&app, "integration", "API Integration", &id)?;
    let req = json_body(&headers, body)?;
    let view = app.jamf.lock().update_integration(&id, req)?;
    Ok(Json(view).into_response())
}

async fn delete_integration(State(app): State<Arc<App>>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    authorize(&app, &headers, DELETE_INTEGRATIONS)?;
    lagging(&app, "integration", "API Integration", &id)?;
    app.jamf.lock().delete_integration(&id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Needs **Create** API Integrations (per the spec's `x-required-privileges`).
async fn mint_client_credentials(State(app): State<Arc<App>>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    authorize(&app, &headers, CREATE_INTEGRATIONS)?;
    lagging(&app, "integration", "API Integration", &id)?;
    let (client_id, client_secret) = app.jamf.lock().mint_secret(&id)?;
    Ok(Json(json!({"clientId": client_id, "clientSecret": client_secret})).into_response())
}
