//! The MaaS360 API routes (`/auth-apis/...`, `/account-provisioning/...`) and the per-billing-ID rate limit.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::state::{AuthFields, AuthGrant, AuthKind, DataError, MaasState, PageQuery, SERVICE_ADMINISTRATOR, codes};
use super::unverified::{self, CreateFailure};
use crate::util::{body_bytes, media_type, now_ms, parse_form, query_param};
use crate::{App, PeerAddr};

type Body = Result<Bytes, BytesRejection>;
type Pairs = Query<Vec<(String, String)>>;

pub const AUDIT_PATH: &str = "/account-provisioning/administrator/1.0/getAdminChangesAudit/customer/{billingId}";
pub const LOGIN_REPORTS_PATH: &str =
    "/account-provisioning/administrator/1.0/getAdminLoginReports/customer/{billingId}";

pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/auth-apis/auth/1.0/authenticate/{billingId}", post(auth_v1))
        // The Fiberlink plugin posts with a trailing slash.
        .route("/auth-apis/auth/1.0/authenticate/{billingId}/", post(auth_v1))
        .route("/auth-apis/auth/2.0/authenticate/customer/{billingId}", post(auth_v2))
        .route("/auth-apis/auth/2.0/refreshToken/customer/{billingId}", post(refresh_v2))
        .route(unverified::AVAILABILITY_PATH, get(availability))
        .route(unverified::CREATE_PATH, post(create_administrator))
        .route(AUDIT_PATH, get(admin_changes_audit))
        .route(LOGIN_REPORTS_PATH, get(admin_login_reports))
}

/// The caller's IP address, for audit and login records.
pub(crate) struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts.extensions.get::<PeerAddr>().map(|p| p.0.ip().to_string()).unwrap_or_else(|| "127.0.0.1".into()),
        ))
    }
}

// ----- rate limit -----

/// Every MaaS360 response carries `X-Rate-Limit-Remaining` and `X-Rate-Limit-ResetWindow` (seconds until the
/// window resets), counted per billing ID (the last path segment) in fixed windows. An exhausted budget
/// answers 429 with `Retry-After` as well (the real status code is not documented).
pub(crate) async fn rate_budget(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let billing = req.uri().path().rsplit('/').find(|s| !s.is_empty()).unwrap_or("").to_owned();
    let (bucket, limit, window_ms) = {
        let st = app.maas.lock();
        // Unknown billing IDs share one bucket, so that made-up IDs cannot grow the table.
        let bucket = if st.customers.contains_key(&billing) { billing } else { String::new() };
        (bucket, st.settings.rate_limit_budget, st.settings.rate_limit_window_seconds.max(1) * 1000)
    };
    let now = now_ms();
    let decision = {
        let mut windows = app.maas.windows();
        let w = windows.entry(bucket).or_insert((now, 0));
        if now >= w.0 + window_ms {
            *w = (now, 0);
        }
        let reset_secs = (w.0 + window_ms - now).div_ceil(1000);
        if w.1 >= limit {
            Err(reset_secs)
        } else {
            w.1 += 1;
            Ok((limit - w.1, reset_secs))
        }
    };
    let (mut resp, remaining, reset) = match decision {
        Err(reset) => {
            app.maas_rt.stats.throttled();
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(json!({"errorResponse": {"errorCode": codes::RATE_LIMITED, "errorDesc": "Rate limit exceeded"}})),
            )
                .into_response();
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(reset));
            (r, 0, reset)
        }
        Ok((remaining, reset)) => (next.run(req).await, remaining, reset),
    };
    let h = resp.headers_mut();
    h.insert("x-rate-limit-remaining", HeaderValue::from(remaining));
    h.insert("x-rate-limit-resetwindow", HeaderValue::from(reset));
    resp
}

// ----- authentication -----

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Xml,
    Json,
}

/// Response format of authentication 1.0: JSON when `Accept` asks for it, XML otherwise (also without one).
fn accept_format(headers: &HeaderMap) -> Format {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if accept.contains("json") { Format::Json } else { Format::Xml }
}

#[derive(Deserialize)]
struct XmlAuthRequest {
    #[serde(rename = "maaS360AdminAuth")]
    auth: XmlAdminAuth,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct XmlAdminAuth {
    #[serde(rename = "billingID")]
    billing_id: Option<String>,
    #[serde(rename = "platformID")]
    platform_id: Option<String>,
    #[serde(rename = "appID")]
    app_id: Option<String>,
    #[serde(rename = "appVersion")]
    app_version: Option<String>,
    #[serde(rename = "appAccessKey")]
    app_access_key: Option<String>,
    #[serde(rename = "userName")]
    user_name: Option<String>,
    password: Option<String>,
    #[serde(rename = "refreshToken")]
    refresh_token: Option<String>,
}

fn parse_xml(text: &str) -> Result<AuthFields, String> {
    // serde ignores the root element's name, so check the `<authRequest>` wrapper separately.
    let mut reader = quick_xml::Reader::from_str(text);
    let root = loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => {
                break String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
            }
            Ok(quick_xml::events::Event::Eof) => return Err("empty XML document".into()),
            Ok(_) => continue,
            Err(e) => return Err(format!("malformed XML: {e}")),
        }
    };
    if root != "authRequest" {
        return Err(format!("expected <authRequest>, found <{root}>"));
    }
    let r: XmlAuthRequest = quick_xml::de::from_str(text).map_err(|e| format!("malformed XML: {e}"))?;
    let a = r.auth;
    Ok(AuthFields {
        billing_id: a.billing_id,
        platform_id: a.platform_id,
        app_id: a.app_id,
        app_version: a.app_version,
        app_access_key: a.app_access_key,
        user_name: a.user_name,
        password: a.password,
        refresh_token: a.refresh_token,
    })
}

fn parse_json(bytes: &[u8]) -> Result<AuthFields, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("malformed JSON: {e}"))?;
    let a = v
        .get("authRequest")
        .and_then(|r| r.get("maaS360AdminAuth"))
        .and_then(Value::as_object)
        .ok_or("expected {\"authRequest\":{\"maaS360AdminAuth\":{...}}}")?;
    // Values may come as strings or numbers (billing and platform IDs are numeric).
    let field = |k: &str| match a.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    Ok(AuthFields {
        billing_id: field("billingID"),
        platform_id: field("platformID"),
        app_id: field("appID"),
        app_version: field("appVersion"),
        app_access_key: field("appAccessKey"),
        user_name: field("userName"),
        password: field("password"),
        refresh_token: field("refreshToken"),
    })
}

fn xml_escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// An `authResponse` in `format`; `fields` are `(name, value)` pairs in document order.
fn auth_response(status: StatusCode, format: Format, fields: &[(&str, Value)]) -> Response {
    match format {
        Format::Json => {
            let obj: serde_json::Map<String, Value> = fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
            (status, Json(json!({"authResponse": obj}))).into_response()
        }
        Format::Xml => {
            let mut xml = String::from(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><authResponse>"#);
            for (k, v) in fields {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                xml.push_str(&format!("<{k}>{}</{k}>", xml_escape(&text)));
            }
            xml.push_str("</authResponse>");
            (status, [(header::CONTENT_TYPE, "application/xml; charset=utf-8")], xml).into_response()
        }
    }
}

fn auth_error(status: StatusCode, format: Format, code: u32, desc: &str) -> Response {
    auth_response(status, format, &[("errorCode", json!(code)), ("errorDesc", json!(desc))])
}

fn grant_response(format: Format, g: AuthGrant) -> Response {
    let mut fields = vec![("authToken", json!(g.auth_token)), ("errorCode", json!(0))];
    if let Some(r) = g.refresh_token {
        fields.push(("refreshToken", json!(r)));
    }
    auth_response(StatusCode::OK, format, &fields)
}

/// An unreadable authentication request: HTTP status and reason.
type BadAuthBody = (StatusCode, String);

/// Reads an authentication body: XML (1.0 only) or JSON, by `Content-Type`.
fn read_auth_body(headers: &HeaderMap, body: Body, allow_xml: bool) -> Result<AuthFields, BadAuthBody> {
    let bytes = body_bytes(body)?;
    let parsed = match media_type(headers).as_deref() {
        Some("application/xml" | "text/xml") if allow_xml => {
            std::str::from_utf8(&bytes).map_err(|_| "XML body is not UTF-8".to_string()).and_then(parse_xml)
        }
        Some("application/json") => parse_json(&bytes),
        _ => {
            let want = if allow_xml { "application/xml or application/json" } else { "application/json" };
            return Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, format!("Content-Type must be {want}")));
        }
    };
    parsed.map_err(|m| (StatusCode::BAD_REQUEST, m))
}

/// Failures are HTTP 200 with `errorCode` 1002: the vendor's documented quirk.
fn finish_auth(app: &App, format: Format, r: Result<AuthGrant, u32>) -> Response {
    match r {
        Ok(g) => {
            app.maas_rt.stats.token_issued();
            grant_response(format, g)
        }
        Err(codes::LOGIN_LOG_FULL) => {
            auth_error(StatusCode::BAD_REQUEST, format, codes::LOGIN_LOG_FULL, codes::LOGIN_LOG_FULL_DESC)
        }
        Err(code) => auth_error(StatusCode::OK, format, code, codes::INVALID_CREDENTIALS_DESC),
    }
}

/// Authentication 1.0: XML or JSON body, response format by `Accept` (XML by default).
async fn auth_v1(
    State(app): State<Arc<App>>,
    Path(billing): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let format = accept_format(&headers);
    let fields = match read_auth_body(&headers, body, true) {
        Ok(f) => f,
        Err((status, m)) => return auth_error(status, format, codes::INVALID_REQUEST, &m),
    };
    let r = app.maas.lock().authenticate(&billing, &fields, AuthKind::V1, &ip);
    finish_auth(&app, format, r)
}

/// Authentication 2.0: JSON in and out, with a refresh token.
async fn auth_v2(
    State(app): State<Arc<App>>,
    Path(billing): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let fields = match read_auth_body(&headers, body, false) {
        Ok(f) => f,
        Err((status, m)) => return auth_error(status, Format::Json, codes::INVALID_REQUEST, &m),
    };
    let r = app.maas.lock().authenticate(&billing, &fields, AuthKind::V2, &ip);
    finish_auth(&app, Format::Json, r)
}

/// Refresh: the 2.0 body with `refreshToken` in place of `password`; the refresh token rotates.
async fn refresh_v2(
    State(app): State<Arc<App>>,
    Path(billing): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let fields = match read_auth_body(&headers, body, false) {
        Ok(f) => f,
        Err((status, m)) => return auth_error(status, Format::Json, codes::INVALID_REQUEST, &m),
    };
    let r = app.maas.lock().refresh(&billing, &fields, &ip);
    finish_auth(&app, Format::Json, r)
}

// ----- data APIs -----

/// The token of `Authorization: MaaS token="<token>"` (quotes required, as documented).
fn maas_token(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = v.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("MaaS") {
        return None;
    }
    rest.trim().strip_prefix("token=\"")?.strip_suffix('"').filter(|t| !t.is_empty())
}

/// `{"<root>":{"errorCode":n,"errorDesc":"..."}}`, the observed shape of data-API errors.
fn data_error(root: &str, e: DataError) -> Response {
    (
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
        Json(json!({root: {"errorCode": e.code, "errorDesc": e.description}})),
    )
        .into_response()
}

fn create_failure(f: CreateFailure) -> Response {
    (StatusCode::from_u16(f.status).unwrap_or(StatusCode::BAD_REQUEST), Json(unverified::failure_body(&f)))
        .into_response()
}

fn admin_key(username: &str) -> String {
    format!("admin:{}", username.to_lowercase())
}

/// `checkAdminAccountAvailability` (names in `unverified`). Any active admin of the billing ID may ask.
async fn availability(
    State(app): State<Arc<App>>,
    Path(billing): Path<String>,
    headers: HeaderMap,
    Query(q): Pairs,
) -> Response {
    let st = app.maas.lock();
    if let Err(e) = st.session(maas_token(&headers), &billing) {
        return data_error(unverified::AVAILABILITY_ROOT, e);
    }
    let username = match unverified::availability_username(&q) {
        Ok(u) => u,
        Err(f) => return create_failure(f),
    };
    let mut available = st.available(&username);
    drop(st);
    // Replication lag: a just-created admin is not visible yet, so its name still looks free.
    if !available && app.maas_rt.not_found_after_create(&admin_key(&username)) {
        available = true;
    }
    Json(unverified::availability_body(&username, available)).into_response()
}

/// `createAdministrator` (names in `unverified`): needs Service Administrator and no role above the caller's.
async fn create_administrator(
    State(app): State<Arc<App>>,
    Path(billing): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut st = app.maas.lock();
    let caller = match st.session(maas_token(&headers), &billing) {
        Ok(a) => a,
        Err(e) => return data_error(unverified::ACTION_ROOT, e),
    };
    // Permission before validation: a caller who may not create admins learns nothing about its input.
    if !caller.roles.iter().any(|r| r == SERVICE_ADMINISTRATOR) {
        return create_failure(CreateFailure::caller_not_service_admin());
    }
    let caller = caller.username.clone();
    let bytes = match body_bytes(body) {
        Ok(b) => b,
        Err((s, m)) => {
            return create_failure(CreateFailure { status: s.as_u16(), ..CreateFailure::invalid(m) });
        }
    };
    if media_type(&headers).as_deref() != Some("application/x-www-form-urlencoded") {
        return create_failure(CreateFailure::unsupported_media_type());
    }
    let req = match unverified::parse_new_administrator(&parse_form(&bytes)) {
        Ok(r) => r,
        Err(f) => return create_failure(f),
    };
    let username = req.username.clone();
    if let Err(f) = st.create_admin(&billing, &caller, req, &ip) {
        return create_failure(f);
    }
    drop(st);
    app.maas_rt.faults.created(&admin_key(&username));
    Json(unverified::create_success_body(&username)).into_response()
}

/// `fromDate` / `toDate` (epoch ms, inclusive, default: everything), `pageSize` (default 50, at most
/// 1000), `pageNumber` (from 1, default 1).
fn page_query(q: &[(String, String)]) -> Result<PageQuery, DataError> {
    let num = |k: &str, default: u64| -> Result<u64, DataError> {
        match query_param(q, k).map(str::trim) {
            None | Some("") => Ok(default),
            Some(v) => v.parse().map_err(|_| DataError {
                status: 400,
                code: codes::INVALID_REQUEST,
                description: format!("{k} must be a non-negative integer, got '{v}'"),
            }),
        }
    };
    let bad = |d: &str| DataError { status: 400, code: codes::INVALID_REQUEST, description: d.into() };
    let page_size = num("pageSize", 50)?;
    let page_number = num("pageNumber", 1)?;
    if !(1..=1000).contains(&page_size) {
        return Err(bad("pageSize must be between 1 and 1000"));
    }
    if page_number < 1 {
        return Err(bad("pageNumber starts at 1"));
    }
    Ok(PageQuery {
        from: num("fromDate", 0)?,
        to: num("toDate", u64::MAX)?,
        page_size: page_size as usize,
        page_number: page_number as usize,
    })
}

/// The list envelope, with the XML-to-JSON quirks of the real service: a single record is an object rather
/// than a one-element array, and an empty page has no record key at all. `count` is the records on this page.
fn page_body(root: &str, item: &str, q: PageQuery, records: Vec<Value>) -> Value {
    let mut inner = json!({"count": records.len(), "pageNumber": q.page_number, "pageSize": q.page_size});
    let mut records = records;
    match records.len() {
        0 => {}
        1 => inner[item] = records.pop().unwrap_or(Value::Null),
        _ => inner[item] = Value::Array(records),
    }
    json!({root: inner})
}

fn opt_ms(v: Option<u64>) -> Value {
    v.map_or(json!(""), |t| json!(t))
}

/// One page of a report: the caller's session checked, the page parameters read, the page's rows
/// taken from the state by `rows` and each turned into JSON by `render`, in the list envelope
/// `{root: {item: ...}}`.
fn report_page<T>(
    app: &App,
    billing: &str,
    headers: &HeaderMap,
    q: &[(String, String)],
    (root, item): (&str, &str),
    rows: impl FnOnce(&MaasState, &str, PageQuery) -> Vec<T>,
    render: impl Fn(T) -> Value,
) -> Response {
    let st = app.maas.lock();
    if let Err(e) = st.session(maas_token(headers), billing) {
        return data_error(root, e);
    }
    let q = match page_query(q) {
        Ok(q) => q,
        Err(e) => return data_error(root, e),
    };
    let records = rows(&st, billing, q).into_iter().map(render).collect();
    Json(page_body(root, item, q, records)).into_response()
}

async fn admin_changes_audit(
    State(app): State<Arc<App>>,
    Path(billing): Path<String>,
    headers: HeaderMap,
    Query(q): Pairs,
) -> Response {
    report_page(&app, &billing, &headers, &q, ("adminChanges", "adminChange"), MaasState::audit_page, |r| {
        json!({
            "updateDate": r.update_date, "performedBy": r.performed_by,
            "operationType": r.operation_type, "ipAddress": r.ip_address,
            "administrator": {
                "email": r.email, "username": r.username, "firstName": r.first_name,
                "middleName": "", "lastName": r.last_name, "address": "", "phone": "",
                "jobTitle": "", "watchSubscription": "N", "accountStatus": r.account_status,
                "managedUserGroups": "All groups", "lastLoginTime": opt_ms(r.last_login_ms),
                "rolesAdded": r.roles_added.join(","), "rolesDeleted": r.roles_deleted.join(","),
                "previousState": "",
            }
        })
    })
}

async fn admin_login_reports(
    State(app): State<Arc<App>>,
    Path(billing): Path<String>,
    headers: HeaderMap,
    Query(q): Pairs,
) -> Response {
    report_page(&app, &billing, &headers, &q, ("loginEvents", "loginEvent"), MaasState::login_page, |e| {
        json!({
            "username": e.username, "loginAttemptTime": e.login_attempt_time,
            "logoutTime": "", "duration": 0, "operatingSystem": "", "browserVersion": "",
            "ipAddress": e.ip_address,
            "authStatus": if e.successful { "Successful" } else { "Failed" },
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_any_order_and_wrapper() {
        let f = parse_xml(
            "<authRequest><maaS360AdminAuth><password>p&amp;w</password><platformID>3</platformID>\
             <userName>u</userName><billingID>1</billingID></maaS360AdminAuth></authRequest>",
        )
        .unwrap();
        assert_eq!(f.password.as_deref(), Some("p&w"));
        assert_eq!(f.billing_id.as_deref(), Some("1"));
        assert_eq!(f.app_id, None);
        assert!(parse_xml("<maaS360AdminAuth><userName>u</userName></maaS360AdminAuth>").is_err());
        assert!(parse_xml("<authRequest><maaS360AdminAuth>").is_err());
        assert!(parse_xml("").is_err());
    }

    #[test]
    fn json_numbers_or_strings() {
        let f = parse_json(
            br#"{"authRequest":{"maaS360AdminAuth":{"billingID":30012345,"platformID":"3","userName":"u"}}}"#,
        )
        .unwrap();
        assert_eq!(f.billing_id.as_deref(), Some("30012345"));
        assert_eq!(f.platform_id.as_deref(), Some("3"));
        assert!(parse_json(br#"{"maaS360AdminAuth":{}}"#).is_err());
        assert!(parse_json(b"{").is_err());
    }

    #[test]
    fn token_header() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::AUTHORIZATION, v.parse().unwrap());
            m
        };
        assert_eq!(maas_token(&h(r#"MaaS token="abc""#)), Some("abc"));
        assert_eq!(maas_token(&h("MaaS token=abc")), None);
        assert_eq!(maas_token(&h(r#"Bearer token="abc""#)), None);
        assert_eq!(maas_token(&h(r#"MaaS token="""#)), None);
    }

    #[test]
    fn page_envelope_quirks() {
        let q = PageQuery { from: 0, to: 1, page_size: 2, page_number: 1 };
        let one = page_body("r", "i", q, vec![json!({"a": 1})]);
        assert!(one["r"]["i"].is_object());
        let none = page_body("r", "i", q, vec![]);
        assert!(none["r"].get("i").is_none());
        assert_eq!(none["r"]["count"].as_u64(), Some(0));
        let two = page_body("r", "i", q, vec![json!(1), json!(2)]);
        assert_eq!(two["r"]["i"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn page_query_validation() {
        let p = |pairs: &[(&str, &str)]| {
            let v: Vec<(String, String)> = pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
            page_query(&v)
        };
        let q = p(&[]).unwrap();
        assert_eq!((q.page_size, q.page_number, q.from), (50, 1, 0));
        assert!(p(&[("pageNumber", "0")]).is_err());
        assert!(p(&[("pageSize", "x")]).is_err());
        assert!(p(&[("pageSize", "1001")]).is_err());
    }
}
