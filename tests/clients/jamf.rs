//! Wire tests of the Jamf Pro client against wiremock on 127.0.0.1 (random port).
//!
//! Each test pins the exact request(s) an operation sends, or one retry/auth/error rule.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::logs::capture_all_logs;
use crate::common::mock::{header, requests_to};
use mdmkit::jamf::client::{
    AppType, IntegrationRequest, JamfAuth, JamfClient, JamfConfig, JamfError, JamfErrorKind, RoleRequest,
};
use mdmkit::rest::{ExposeSecret, RetryPolicy, SecretString};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const UA: &str = concat!("terraform-provider-jamf/", env!("CARGO_PKG_VERSION"));
const CLIENT_ID: &str = "0f6e9a52-7a53-4bd3-a3a2-0e4f0c1b3a11";
const CLIENT_SECRET: &str = "s3cr&t+value/with=odd chars";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.token-one";

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(2),
        max_elapsed: Duration::from_secs(30),
    }
}

fn oauth() -> JamfAuth {
    JamfAuth::ClientCredentials { client_id: CLIENT_ID.into(), client_secret: SecretString::from(CLIENT_SECRET) }
}

fn config(server: &MockServer) -> JamfConfig {
    JamfConfig { retry: fast_retry(), ..JamfConfig::new(server.uri(), oauth()) }
}

fn client(server: &MockServer) -> JamfClient {
    JamfClient::new(config(server)).unwrap()
}

fn token_body(token: &str, expires_in: u64) -> serde_json::Value {
    json!({"access_token": token, "token_type": "Bearer", "scope": "api-role:1", "expires_in": expires_in})
}

async fn mount_token(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/api/v1/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(TOKEN, 299)))
        .mount(server)
        .await;
}

/// No role or API client has any display name yet: the lookup every create makes first finds
/// nothing (priority 1, so it wins over broader mocks of the same path).
async fn mount_names_free(server: &MockServer) {
    for p in ["/api/v1/api-roles", "/api/v1/api-integrations"] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"totalCount": 0, "results": []})))
            .with_priority(1)
            .mount(server)
            .await;
    }
}

/// The requests `server` received with method `m` for path `p`, in order.
async fn requests_of(server: &MockServer, m: &str, p: &str) -> Vec<Request> {
    requests_to(server, p).await.into_iter().filter(|r| r.method.as_str() == m).collect()
}

/// Asserts an authenticated API request: method, path, raw query, bearer token, UA, accept.
fn assert_api_request(r: &Request, m: &str, p: &str, query: Option<&str>) {
    assert_eq!(r.method.as_str(), m, "method of {}", r.url);
    assert_eq!(r.url.path(), p);
    assert_eq!(r.url.query(), query, "query of {}", r.url);
    assert_eq!(header(r, "authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(header(r, "user-agent"), Some(UA));
    assert_eq!(header(r, "accept"), Some("application/json"));
}

fn assert_json_body(r: &Request, want: serde_json::Value) {
    assert_eq!(header(r, "content-type"), Some("application/json"));
    let got: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(got, want);
}

fn role_json(id: &str, name: &str) -> serde_json::Value {
    json!({"id": id, "displayName": name, "privileges": ["Read API Roles", "Create API Roles"]})
}

fn integration_json(id: u64, name: &str, enabled: bool) -> serde_json::Value {
    json!({"id": id, "displayName": name, "authorizationScopes": ["Terraform Role"], "enabled": enabled,
           "accessTokenLifetimeSeconds": 300, "appType": "NONE", "clientId": "b8b14453-0000-4000-8000-000000000001"})
}

fn api_error(status: u16, code: Option<&str>, description: &str) -> serde_json::Value {
    json!({"httpStatus": status, "errors": [{"code": code, "description": description, "id": "0", "field": null}]})
}

// ----- auth ---------------------------------------------------------------------------------

#[tokio::test]
async fn oauth_token_request_is_exact_and_the_token_is_used() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api-roles/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(role_json("7", "r")))
        .mount(&server)
        .await;

    let c = client(&server);
    let role = c.get_role("7").await.unwrap();
    assert_eq!(role.id, "7");

    let tok = requests_to(&server, "/api/v1/oauth/token").await;
    assert_eq!(tok.len(), 1);
    let t = &tok[0];
    assert_eq!(t.method.as_str(), "POST");
    assert_eq!(t.url.query(), None);
    assert_eq!(header(t, "content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(header(t, "user-agent"), Some(UA));
    assert_eq!(header(t, "authorization"), None);
    assert_eq!(
        std::str::from_utf8(&t.body).unwrap(),
        format!(
            "grant_type=client_credentials&client_id={CLIENT_ID}&client_secret=s3cr%26t%2Bvalue%2Fwith%3Dodd+chars"
        )
    );
    let api = requests_to(&server, "/api/v1/api-roles/7").await;
    assert_api_request(&api[0], "GET", "/api/v1/api-roles/7", None);
    assert!(api[0].body.is_empty());
    assert_eq!(c.tokens_minted(), 1);
}

#[tokio::test]
async fn token_path_falls_back_to_legacy_once_and_remembers() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/oauth/token")).respond_with(ResponseTemplate::new(404)).expect(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(TOKEN, 299)))
        .expect(2)
        .mount(&server)
        .await;
    // The first data call answers 401, forcing a second mint: it must go straight to the legacy path.
    Mock::given(path("/api/v1/api-role-privileges"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"httpStatus": 401, "errors": []})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/api-role-privileges"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"privileges": ["A", "B"]})))
        .mount(&server)
        .await;

    let c = client(&server);
    assert_eq!(c.list_privileges().await.unwrap(), ["A", "B"]);
    assert_eq!(c.tokens_minted(), 2);
    let legacy = requests_to(&server, "/api/oauth/token").await;
    assert!(std::str::from_utf8(&legacy[0].body).unwrap().starts_with("grant_type=client_credentials&"));
}

#[tokio::test]
async fn no_token_endpoint_at_all_is_an_url_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    let err = client(&server).list_privileges().await.unwrap_err();
    assert!(matches!(err.kind(), JamfErrorKind::InvalidUrl { .. }), "{err}");
    assert!(!err.is_not_found(), "must not look like a deleted object");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn basic_auth_token_request_is_exact() {
    let server = MockServer::start().await;
    let expires = time::OffsetDateTime::now_utc() + time::Duration::minutes(20);
    let expires = expires.format(&time::format_description::well_known::Rfc3339).unwrap();
    Mock::given(method("POST"))
        .and(path("/api/v1/auth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": TOKEN, "expires": expires})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/api-role-privileges"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"privileges": []})))
        .expect(2)
        .mount(&server)
        .await;

    let cfg = JamfConfig {
        auth: JamfAuth::Basic { username: "admin".into(), password: SecretString::from("pa ss:wörd") },
        ..config(&server)
    };
    let c = JamfClient::new(cfg).unwrap();
    c.list_privileges().await.unwrap();
    c.list_privileges().await.unwrap();

    let t = &requests_to(&server, "/api/v1/auth/token").await[0];
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode("admin:pa ss:wörd");
    assert_eq!(header(t, "authorization"), Some(format!("Basic {basic}").as_str()));
    assert!(t.body.is_empty());
    assert_eq!(header(t, "user-agent"), Some(UA));
    for r in requests_to(&server, "/api/v1/api-role-privileges").await {
        assert_api_request(&r, "GET", "/api/v1/api-role-privileges", None);
    }
}

#[tokio::test]
async fn bad_credentials_are_a_typed_auth_error_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/oauth/token"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": "invalid_client", "error_description": "Bad client credentials"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).list_roles().await.unwrap_err();
    assert!(matches!(err.kind(), JamfErrorKind::Auth { .. }));
    assert_eq!(err.status(), Some(401));
    let msg = err.to_string();
    assert!(msg.starts_with("jamf pro rejected the provider's credentials"), "{msg}");
    assert!(msg.contains("invalid_client: Bad client credentials"), "{msg}");
    assert!(!msg.contains(CLIENT_SECRET) && !msg.contains("s3cr"), "{msg}");
    match err.kind() {
        JamfErrorKind::Auth { error, description } => {
            assert_eq!(error.as_deref(), Some("invalid_client"));
            assert_eq!(description.as_deref(), Some("Bad client credentials"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn concurrent_calls_with_bad_credentials_cost_one_token_request() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/oauth/token"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": "invalid_client"}))
                .set_delay(Duration::from_millis(100)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.list_privileges().await })
        })
        .collect();
    for t in tasks {
        assert!(matches!(t.await.unwrap().unwrap_err().kind(), JamfErrorKind::Auth { .. }));
    }
}

#[tokio::test]
async fn a_401_causes_exactly_one_reauth_and_one_retry() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(TOKEN, 299)))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/api-roles/1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"httpStatus": 401, "errors": []})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/api-roles/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(role_json("1", "r")))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    assert_eq!(c.get_role("1").await.unwrap().display_name, "r");
    assert_eq!(c.tokens_minted(), 2);
}

#[tokio::test]
async fn a_persistent_401_is_an_auth_error_after_one_retry() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(TOKEN, 299)))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/api-roles/1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"httpStatus": 401, "errors": []})))
        .expect(2)
        .mount(&server)
        .await;
    let err = client(&server).get_role("1").await.unwrap_err();
    assert!(matches!((err.kind(), err.status()), (JamfErrorKind::Auth { .. }, Some(401))));
}

#[tokio::test]
async fn fifty_concurrent_calls_mint_one_token_and_stay_within_five_in_flight() {
    /// Records when each request arrived; wiremock answers each after DELAY.
    struct Recorder(Arc<Mutex<Vec<Instant>>>);
    impl Respond for Recorder {
        fn respond(&self, _: &Request) -> ResponseTemplate {
            self.0.lock().unwrap().push(Instant::now());
            ResponseTemplate::new(200).set_body_json(json!({"privileges": ["Read API Roles"]})).set_delay(DELAY)
        }
    }
    const DELAY: Duration = Duration::from_millis(150);

    let server = MockServer::start().await;
    Mock::given(path("/api/v1/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(token_body(TOKEN, 299)).set_delay(Duration::from_millis(100)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    Mock::given(path("/api/v1/api-role-privileges"))
        .respond_with(Recorder(arrivals.clone()))
        .expect(50)
        .mount(&server)
        .await;

    let c = client(&server);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.list_privileges().await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(c.tokens_minted(), 1);

    // A request can only arrive once a permit is free, i.e. after an earlier one got its answer
    // (≥ DELAY after it arrived). So at most 5 arrivals fit in any window shorter than DELAY.
    let mut times = arrivals.lock().unwrap().clone();
    times.sort();
    let window = DELAY.mul_f64(0.9);
    let max_in_window = times
        .iter()
        .map(|start| times.iter().filter(|t| **t >= *start && **t < *start + window).count())
        .max()
        .unwrap();
    assert!(max_in_window <= 5, "{max_in_window} requests in flight at once");
    assert!(max_in_window >= 2, "requests should overlap ({max_in_window})");
}

// ----- URL forms ----------------------------------------------------------------------------

#[tokio::test]
async fn a_path_prefix_and_trailing_slash_are_kept() {
    let server = MockServer::start().await;
    Mock::given(path("/jamf/api/v1/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(TOKEN, 299)))
        .mount(&server)
        .await;
    Mock::given(path("/jamf/api/v1/api-role-privileges"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"privileges": ["X"]})))
        .expect(1)
        .mount(&server)
        .await;
    let cfg = JamfConfig { base_url: format!("{}/jamf/", server.uri()), ..config(&server) };
    let c = JamfClient::new(cfg).unwrap();
    assert_eq!(c.base_url().as_str(), format!("{}/jamf/", server.uri()));
    assert_eq!(c.list_privileges().await.unwrap(), ["X"]);
}

#[test]
fn invalid_urls_are_typed_errors_with_an_example() {
    for bad in ["tenant.jamfcloud.com", "https://h/?x=1", "https://h/#f", "not a url://", "ftp://h"] {
        let err = JamfClient::new(JamfConfig::new(bad, oauth())).unwrap_err();
        assert!(matches!(err.kind(), JamfErrorKind::InvalidUrl { .. }), "{bad}");
        assert!(err.to_string().contains("such as https://yourtenant.jamfcloud.com"), "{err}");
    }
    let err = JamfClient::new(JamfConfig::new("https://u:hunter2@h", oauth())).unwrap_err();
    assert!(!err.to_string().contains("hunter2"));
}

// ----- roles --------------------------------------------------------------------------------

#[tokio::test]
async fn list_roles_reads_every_page() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    for (page, results) in
        [("0", json!([role_json("1", "a"), role_json("2", "b")])), ("1", json!([role_json("3", "c")]))]
    {
        Mock::given(path("/api/v1/api-roles"))
            .and(wiremock::matchers::query_param("page", page))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"totalCount": 3, "results": results})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let cfg = JamfConfig { page_size: 2, ..config(&server) };
    let roles = JamfClient::new(cfg).unwrap().list_roles().await.unwrap();
    assert_eq!(roles.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["1", "2", "3"]);
    let reqs = requests_to(&server, "/api/v1/api-roles").await;
    assert_api_request(&reqs[0], "GET", "/api/v1/api-roles", Some("page=0&page-size=2&sort=id%3Aasc"));
    assert_api_request(&reqs[1], "GET", "/api/v1/api-roles", Some("page=1&page-size=2&sort=id%3Aasc"));
}

#[tokio::test]
async fn the_pages_after_the_first_are_fetched_concurrently() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/api/v1/api-roles"))
        .and(wiremock::matchers::query_param("page", "0"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"totalCount": 5, "results": [role_json("1", "a"), role_json("2", "b")]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    for (page, results) in
        [("1", json!([role_json("3", "c"), role_json("4", "d")])), ("2", json!([role_json("5", "e")]))]
    {
        Mock::given(path("/api/v1/api-roles"))
            .and(wiremock::matchers::query_param("page", page))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"totalCount": 5, "results": results}))
                    .set_delay(std::time::Duration::from_millis(400)),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let cfg = JamfConfig { page_size: 2, ..config(&server) };
    let client = JamfClient::new(cfg).unwrap();
    client.authenticate().await.unwrap();
    let started = std::time::Instant::now();
    let roles = client.list_roles().await.unwrap();
    let took = started.elapsed();
    assert_eq!(roles.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["1", "2", "3", "4", "5"]);
    assert!(took < std::time::Duration::from_millis(750), "pages 1 and 2 overlapped: {took:?}");
}

#[tokio::test]
async fn paging_stops_on_an_empty_page_even_if_total_count_says_more() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/api/v1/api-roles"))
        .and(wiremock::matchers::query_param("page", "0"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"totalCount": 50, "results": [role_json("1", "a")]})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/api-roles"))
        .and(wiremock::matchers::query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"totalCount": 50, "results": []})))
        .expect(1)
        .mount(&server)
        .await;
    let roles = client(&server).list_roles().await.unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(requests_to(&server, "/api/v1/api-roles").await.len(), 2);
}

#[tokio::test]
async fn find_roles_by_display_name_escapes_rsql_and_matches_exactly() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let name = r#"My "Role"*"#;
    Mock::given(path("/api/v1/api-roles"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            // A server that expanded the wildcard anyway: the client keeps only the exact match.
            json!({"totalCount": 2, "results": [role_json("4", name), role_json("5", r#"My "Role" extra"#)]}),
        ))
        .mount(&server)
        .await;
    let found = client(&server).find_roles_by_display_name(name).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "4");
    let r = &requests_to(&server, "/api/v1/api-roles").await[0];
    assert_api_request(
        r,
        "GET",
        "/api/v1/api-roles",
        Some("page=0&page-size=100&sort=id%3Aasc&filter=displayName%3D%3D%22My%20%5C%22Role%5C%22%5C%2A%22"),
    );
    let decoded: Vec<(String, String)> = r.url.query_pairs().into_owned().collect();
    assert_eq!(decoded[3], ("filter".into(), r#"displayName=="My \"Role\"\*""#.into()));
}

#[tokio::test]
async fn list_roles_matching_sends_the_pattern_as_an_rsql_filter_and_rechecks_it_exactly() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/api/v1/api-roles"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            // A server whose matching ignores case: the client keeps only the exact pattern matches.
            json!({"totalCount": 3, "results": [role_json("4", r#"Okta "SCIM" ✓"#), role_json("5", "okta lower"),
                                                role_json("6", "Okta")]}),
        ))
        .mount(&server)
        .await;
    let found = client(&server).list_roles_matching(r#"Okta*"#).await.unwrap();
    assert_eq!(found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["4", "6"]);
    let r = &requests_to(&server, "/api/v1/api-roles").await[0];
    assert_api_request(
        r,
        "GET",
        "/api/v1/api-roles",
        Some("page=0&page-size=100&sort=id%3Aasc&filter=displayName%3D%3D%22Okta%2A%22"),
    );
    client(&server).list_roles_matching(r#"*say "hi"*"#).await.unwrap();
    let r = &requests_to(&server, "/api/v1/api-roles").await[1];
    let decoded: Vec<(String, String)> = r.url.query_pairs().into_owned().collect();
    assert_eq!(decoded[3], ("filter".into(), r#"displayName=="*say \"hi\"*""#.into()), "the wildcards stay");
}

#[tokio::test]
async fn list_integrations_matching_filters_on_the_server_and_pages() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let page = |p: &str, results: serde_json::Value| {
        Mock::given(path("/api/v1/api-integrations"))
            .and(wiremock::matchers::query_param("page", p))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"totalCount": 3, "results": results})))
    };
    let c = JamfClient::new(JamfConfig { page_size: 2, ..config(&server) }).unwrap();
    page("0", json!([integration_json(1, "Vendor A", true), integration_json(2, "Vendor B", false)]))
        .mount(&server)
        .await;
    page("1", json!([integration_json(3, "Vendor C", true)])).mount(&server).await;
    let found = c.list_integrations_matching("Vendor *").await.unwrap();
    assert_eq!(found.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["1", "2", "3"]);
    let reqs = requests_to(&server, "/api/v1/api-integrations").await;
    assert_eq!(reqs.len(), 2, "two pages of two, one request each");
    for (n, r) in reqs.iter().enumerate() {
        let q: Vec<(String, String)> = r.url.query_pairs().into_owned().collect();
        assert!(q.contains(&("filter".into(), r#"displayName=="Vendor *""#.into())), "page {n}: {q:?}");
    }
}

#[tokio::test]
async fn list_roles_filtered_passes_the_filter_verbatim() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/api/v1/api-roles"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"totalCount": 0, "results": []})))
        .mount(&server)
        .await;
    client(&server).list_roles_filtered("id>5;displayName==\"a*\"").await.unwrap();
    let r = &requests_to(&server, "/api/v1/api-roles").await[0];
    assert_eq!(r.url.query(), Some("page=0&page-size=100&sort=id%3Aasc&filter=id%3E5%3BdisplayName%3D%3D%22a%2A%22"));
}

#[tokio::test]
async fn role_crud_requests_are_exact() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_names_free(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api-roles"))
        .respond_with(ResponseTemplate::new(200).set_body_json(role_json("12", "Terraform Role")))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v1/api-roles/12"))
        .respond_with(ResponseTemplate::new(200).set_body_json(role_json("12", "Renamed")))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/api-roles/12"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;

    let c = client(&server);
    let req = RoleRequest {
        display_name: "Terraform Role".into(),
        privileges: vec!["Read API Roles".into(), "Create API Roles".into()],
    };
    let created = c.create_role(&req).await.unwrap();
    assert_eq!((created.id.as_str(), created.display_name.as_str()), ("12", "Terraform Role"));
    let updated =
        c.update_role("12", &RoleRequest { display_name: "Renamed".into(), privileges: vec![] }).await.unwrap();
    assert_eq!(updated.display_name, "Renamed");
    c.delete_role("12").await.unwrap();

    let lookup = &requests_of(&server, "GET", "/api/v1/api-roles").await[0];
    assert_api_request(
        lookup,
        "GET",
        "/api/v1/api-roles",
        Some("page=0&page-size=100&sort=id%3Aasc&filter=displayName%3D%3D%22Terraform%20Role%22"),
    );
    let posts = requests_of(&server, "POST", "/api/v1/api-roles").await;
    assert_eq!(posts.len(), 1);
    assert_api_request(&posts[0], "POST", "/api/v1/api-roles", None);
    assert_json_body(
        &posts[0],
        json!({"displayName": "Terraform Role", "privileges": ["Read API Roles", "Create API Roles"]}),
    );
    let by_id = requests_to(&server, "/api/v1/api-roles/12").await;
    assert_api_request(&by_id[0], "PUT", "/api/v1/api-roles/12", None);
    assert_json_body(&by_id[0], json!({"displayName": "Renamed", "privileges": []}));
    assert_api_request(&by_id[1], "DELETE", "/api/v1/api-roles/12", None);
    assert!(by_id[1].body.is_empty());
}

// ----- privileges ---------------------------------------------------------------------------

#[tokio::test]
async fn privilege_requests_are_exact() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/api/v1/api-role-privileges"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"privileges": ["Create API Roles", "Read API Roles"]})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/api-role-privileges/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"privileges": ["Read Static Computer Groups"]})))
        .mount(&server)
        .await;
    let c = client(&server);
    assert_eq!(c.list_privileges().await.unwrap(), ["Create API Roles", "Read API Roles"]);
    assert_eq!(c.search_privileges("Static Computer Groups", 15).await.unwrap(), ["Read Static Computer Groups"]);
    assert_api_request(
        &requests_to(&server, "/api/v1/api-role-privileges").await[0],
        "GET",
        "/api/v1/api-role-privileges",
        None,
    );
    assert_api_request(
        &requests_to(&server, "/api/v1/api-role-privileges/search").await[0],
        "GET",
        "/api/v1/api-role-privileges/search",
        Some("name=Static%20Computer%20Groups&limit=15"),
    );
}

// ----- integrations -------------------------------------------------------------------------

#[tokio::test]
async fn integration_crud_and_secret_requests_are_exact() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_names_free(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api-integrations"))
        // The spec says 201; accept it as well as the 200 real servers send.
        .respond_with(ResponseTemplate::new(201).set_body_json(integration_json(5, "Terraform Client", false)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api-integrations/5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "5", "displayName": "Terraform Client", "authorizationScopes": ["Terraform Role"],
            "enabled": true, "accessTokenLifetimeSeconds": 600, "appType": "CLIENT_CREDENTIALS",
            "clientId": "b8b14453-0000-4000-8000-000000000001"})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v1/api-integrations/5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(integration_json(5, "Terraform Client", false)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api-integrations/5/client-credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"clientId": "b8b14453-0000-4000-8000-000000000001", "clientSecret": "dzmsPks-FwXpks80jhQGZZ"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/api-integrations/5"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;

    let c = client(&server);
    let req = IntegrationRequest {
        display_name: "Terraform Client".into(),
        authorization_scopes: vec!["Terraform Role".into()],
        enabled: false,
        access_token_lifetime_seconds: Some(300),
    };
    let created = c.create_integration(&req).await.unwrap();
    assert_eq!((created.id.as_str(), created.enabled, &created.app_type), ("5", false, &AppType::None));
    let got = c.get_integration("5").await.unwrap();
    assert_eq!(got.id, "5");
    assert_eq!(got.access_token_lifetime_seconds, Some(600));
    assert_eq!(got.app_type, AppType::ClientCredentials);
    c.update_integration("5", &req).await.unwrap();
    let creds = c.mint_client_credentials("5").await.unwrap();
    assert_eq!(creds.client_id, "b8b14453-0000-4000-8000-000000000001");
    assert_eq!(creds.client_secret.expose_secret(), "dzmsPks-FwXpks80jhQGZZ");
    assert!(!format!("{creds:?}").contains("dzmsPks"));
    c.delete_integration("5").await.unwrap();

    let full = json!({"displayName": "Terraform Client", "authorizationScopes": ["Terraform Role"],
                      "enabled": false, "accessTokenLifetimeSeconds": 300});
    let post = &requests_of(&server, "POST", "/api/v1/api-integrations").await[0];
    assert_api_request(post, "POST", "/api/v1/api-integrations", None);
    assert_json_body(post, full.clone());
    let by_id = requests_to(&server, "/api/v1/api-integrations/5").await;
    assert_api_request(&by_id[0], "GET", "/api/v1/api-integrations/5", None);
    assert_api_request(&by_id[1], "PUT", "/api/v1/api-integrations/5", None);
    assert_json_body(&by_id[1], full);
    assert_api_request(&by_id[2], "DELETE", "/api/v1/api-integrations/5", None);
    let mint = &requests_to(&server, "/api/v1/api-integrations/5/client-credentials").await[0];
    assert_api_request(mint, "POST", "/api/v1/api-integrations/5/client-credentials", None);
    assert!(mint.body.is_empty());
    assert_eq!(header(mint, "content-type"), None);
}

#[tokio::test]
async fn integrations_are_listed_by_page_and_found_by_exact_name() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/api/v1/api-integrations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"totalCount": 2, "results": [
            integration_json(1, "a\\b", true), integration_json(2, "A\\B", true)]})))
        .mount(&server)
        .await;
    let c = client(&server);
    assert_eq!(c.list_integrations().await.unwrap().len(), 2);
    let found = c.find_integrations_by_display_name("a\\b").await.unwrap();
    assert_eq!(found.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["1"]);
    let reqs = requests_to(&server, "/api/v1/api-integrations").await;
    assert_api_request(&reqs[0], "GET", "/api/v1/api-integrations", Some("page=0&page-size=100&sort=id%3Aasc"));
    assert_api_request(
        &reqs[1],
        "GET",
        "/api/v1/api-integrations",
        Some("page=0&page-size=100&sort=id%3Aasc&filter=displayName%3D%3D%22a%5C%5Cb%22"),
    );
}

// ----- error mapping ------------------------------------------------------------------------

async fn error_for(status: u16, body: serde_json::Value, call: &str) -> JamfError {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_names_free(&server).await;
    Mock::given(path_regex("^/api/v1/api-(roles|integrations)"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let role = RoleRequest { display_name: "r".into(), privileges: vec!["Read Nothing".into()] };
    match call {
        "create_role" => c.create_role(&role).await.unwrap_err(),
        "delete_role" => c.delete_role("3").await.unwrap_err(),
        "get_role" => c.get_role("3").await.unwrap_err(),
        "mint" => c.mint_client_credentials("3").await.unwrap_err(),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn error_bodies_map_to_typed_kinds() {
    let e = error_for(400, api_error(400, None, "role display name must be unique"), "create_role").await;
    assert!(matches!(e.kind(), JamfErrorKind::NameConflict { .. }));
    assert_eq!(
        e.to_string(),
        "create api role (POST /api/v1/api-roles): the display name is already in use (http 400): \
         role display name must be unique"
    );

    let e = error_for(400, api_error(400, None, "privilege(s) are not valid [Read Nothing, Fly]"), "create_role").await;
    match e.kind() {
        JamfErrorKind::InvalidPrivileges { privileges, raw, .. } => {
            assert_eq!(raw, "Read Nothing, Fly");
            assert_eq!(privileges, &["Read Nothing", "Fly"]);
        }
        other => panic!("{other:?}"),
    }

    let e = error_for(409, api_error(409, None, "Role in use by an Integration/Client"), "delete_role").await;
    assert!(matches!((e.kind(), e.status()), (JamfErrorKind::InUse { .. }, Some(409))));
    let e = error_for(406, api_error(406, Some("HAS_DEPENDENCIES"), "has dependencies"), "delete_role").await;
    assert!(matches!((e.kind(), e.status()), (JamfErrorKind::InUse { .. }, Some(406))));

    let e = error_for(
        400,
        api_error(400, None, "API Integration is disabled. Enable it first before generating a new client secret."),
        "mint",
    )
    .await;
    assert!(matches!(e.kind(), JamfErrorKind::ClientDisabled { .. }));

    let e = error_for(403, api_error(403, Some("INVALID_PRIVILEGE"), "Forbidden"), "get_role").await;
    assert!(matches!(e.kind(), JamfErrorKind::Forbidden { .. }));
    assert_eq!(e.call().unwrap().path, "/api/v1/api-roles/3");
    assert!(e.to_string().contains("read api role (GET /api/v1/api-roles/3)"), "{e}");
    assert!(e.api_error().unwrap().has_code("INVALID_PRIVILEGE"));

    let e = error_for(404, api_error(404, Some("INVALID_ID"), "not found"), "get_role").await;
    assert!(e.is_not_found());
    assert_eq!(e.status(), Some(404));

    let e = error_for(422, json!({"unexpected": true}), "create_role").await;
    assert!(matches!((e.kind(), e.status()), (JamfErrorKind::Rejected { .. }, Some(422))));
}

#[tokio::test]
async fn a_non_json_error_body_is_tolerated_and_withheld() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/api/v1/api-roles/3"))
        .respond_with(ResponseTemplate::new(400).set_body_string("Bad Request: oops"))
        .mount(&server)
        .await;
    let e = client(&server).get_role("3").await.unwrap_err();
    assert!(matches!(e.kind(), JamfErrorKind::Rejected { .. }));
    // Redaction fails closed: text of no known format is described, never repeated.
    assert!(e.to_string().ends_with("(http 400): <17 bytes of text/plain, withheld>"), "{e}");
    assert!(!e.to_string().contains("oops"), "{e}");
}

// ----- retry rules --------------------------------------------------------------------------

#[tokio::test]
async fn a_400_is_sent_exactly_once() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_names_free(&server).await;
    Mock::given(path("/api/v1/api-roles"))
        .respond_with(ResponseTemplate::new(400).set_body_json(api_error(400, None, "bad")))
        .expect(1)
        .mount(&server)
        .await;
    let role = RoleRequest { display_name: "r".into(), privileges: vec![] };
    assert!(matches!(client(&server).create_role(&role).await.unwrap_err().kind(), JamfErrorKind::Rejected { .. }));
}

#[tokio::test]
async fn two_503s_then_200_succeeds() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/api/v1/api-roles/1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/api-roles/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(role_json("1", "r")))
        .mount(&server)
        .await;
    assert_eq!(client(&server).get_role("1").await.unwrap().id, "1");
    assert_eq!(requests_to(&server, "/api/v1/api-roles/1").await.len(), 3);
}

#[tokio::test]
async fn persistent_5xx_reports_the_attempts() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/api/v1/api-roles/1"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .expect(5)
        .mount(&server)
        .await;
    let e = client(&server).get_role("1").await.unwrap_err();
    assert!(matches!((e.kind(), e.status(), e.attempts()), (JamfErrorKind::Server { .. }, Some(502), Some(5))));
    assert!(e.to_string().contains("after 5 attempt(s)"), "{e}");
}

#[tokio::test]
async fn a_429_with_retry_after_waits_about_that_long() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/api/v1/api-role-privileges"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/api-role-privileges"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"privileges": []})))
        .mount(&server)
        .await;
    let c = client(&server);
    c.authenticate().await.unwrap();
    let t0 = Instant::now();
    c.list_privileges().await.unwrap();
    let waited = t0.elapsed();
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
}

#[tokio::test]
async fn persistent_429_is_rate_limited_after_retries() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/api/v1/api-role-privileges"))
        .respond_with(ResponseTemplate::new(429))
        .expect(5)
        .mount(&server)
        .await;
    let e = client(&server).list_privileges().await.unwrap_err();
    assert!(matches!((e.kind(), e.attempts()), (JamfErrorKind::RateLimited { .. }, Some(5))));
}

#[tokio::test]
async fn a_404_lag_after_create_is_absorbed_but_a_foreign_404_is_immediate() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_names_free(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api-integrations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(integration_json(9, "c", true)))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/api-integrations/9"))
        .respond_with(ResponseTemplate::new(404).set_body_json(api_error(404, Some("INVALID_ID"), "x")))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/api-integrations/9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(integration_json(9, "c", true)))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/api-integrations/10"))
        .respond_with(ResponseTemplate::new(404).set_body_json(api_error(404, Some("INVALID_ID"), "x")))
        .mount(&server)
        .await;

    let c = client(&server);
    let req = IntegrationRequest {
        display_name: "c".into(),
        authorization_scopes: vec!["r".into()],
        enabled: true,
        access_token_lifetime_seconds: Some(300),
    };
    let created = c.create_integration(&req).await.unwrap();
    let t0 = Instant::now();
    assert_eq!(c.get_integration(&created.id).await.unwrap().id, "9");
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert_eq!(requests_to(&server, "/api/v1/api-integrations/9").await.len(), 3);

    let t0 = Instant::now();
    let e = c.get_integration("10").await.unwrap_err();
    assert!(e.is_not_found());
    assert!(t0.elapsed() < Duration::from_millis(250), "{:?}", t0.elapsed());
    assert_eq!(requests_to(&server, "/api/v1/api-integrations/10").await.len(), 1);
}

#[tokio::test]
async fn a_404_window_is_bounded() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_names_free(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api-roles"))
        .respond_with(ResponseTemplate::new(200).set_body_json(role_json("8", "r")))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/api-roles/8")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    let c = client(&server);
    c.create_role(&RoleRequest { display_name: "r".into(), privileges: vec![] }).await.unwrap();
    let t0 = Instant::now();
    assert!(c.get_role("8").await.unwrap_err().is_not_found());
    assert!(t0.elapsed() <= Duration::from_secs(6));
    assert_eq!(requests_to(&server, "/api/v1/api-roles/8").await.len(), 4);
}

#[tokio::test]
async fn cancellation_stops_retries_promptly() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/api/v1/api-roles/1")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let cancel = CancellationToken::new();
    let cfg = JamfConfig {
        cancel: cancel.clone(),
        retry: RetryPolicy {
            max_attempts: 10,
            min_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(300),
        },
        ..config(&server)
    };
    let c = JamfClient::new(cfg).unwrap();
    let task = {
        let c = c.clone();
        tokio::spawn(async move { c.get_role("1").await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t0 = Instant::now();
    cancel.cancel();
    let e = task.await.unwrap().unwrap_err();
    assert!(e.is_cancelled(), "{e:?}");
    assert!(t0.elapsed() < Duration::from_millis(200));
    assert_eq!(requests_to(&server, "/api/v1/api-roles/1").await.len(), 1);
    assert!(c.list_privileges().await.unwrap_err().is_cancelled());
}

#[tokio::test]
async fn a_create_already_sent_finishes_after_cancellation() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_names_free(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api-roles"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(role_json("21", "r")).set_delay(Duration::from_millis(400)),
        )
        .mount(&server)
        .await;
    let cancel = CancellationToken::new();
    let c = JamfClient::new(JamfConfig { cancel: cancel.clone(), ..config(&server) }).unwrap();
    c.authenticate().await.unwrap();
    let task = {
        let c = c.clone();
        tokio::spawn(async move { c.create_role(&RoleRequest { display_name: "r".into(), privileges: vec![] }).await })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    cancel.cancel();
    assert_eq!(task.await.unwrap().unwrap().id, "21");
}

// ----- never adopt what this client did not create ----------------------------------------

/// The display-name lookups of `list` answer `first` once (the lookup before the POST), then
/// `after` (the lookups after an unknown outcome).
async fn mount_lookups(server: &MockServer, list: &str, first: Vec<serde_json::Value>, after: Vec<serde_json::Value>) {
    let page = |items: Vec<serde_json::Value>| json!({"totalCount": items.len(), "results": items});
    Mock::given(method("GET"))
        .and(path(list))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(first)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(list))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(after)))
        .with_priority(2)
        .mount(server)
        .await;
}

/// A role request with exactly the privileges of [`role_json`].
fn vendor_role() -> RoleRequest {
    RoleRequest { display_name: "Vendor".into(), privileges: vec!["Read API Roles".into(), "Create API Roles".into()] }
}

/// A client whose answers are lost: any request slower than 300 ms times out.
fn impatient_client(server: &MockServer) -> JamfClient {
    JamfClient::new(JamfConfig { request_timeout: Duration::from_millis(300), ..config(server) }).unwrap()
}

#[tokio::test]
async fn a_display_name_taken_before_the_create_is_a_conflict_and_nothing_is_posted() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let existing = role_json("7", "Vendor");
    mount_lookups(&server, "/api/v1/api-roles", vec![existing.clone()], vec![existing]).await;
    let existing = integration_json(8, "Vendor client", true);
    mount_lookups(&server, "/api/v1/api-integrations", vec![existing.clone()], vec![existing]).await;
    for p in ["/api/v1/api-roles", "/api/v1/api-integrations"] {
        Mock::given(method("POST"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(400).set_body_json(api_error(400, None, "must be unique")))
            .expect(0)
            .mount(&server)
            .await;
    }
    let c = client(&server);
    let e = c.create_role(&vendor_role()).await.unwrap_err();
    match e.kind() {
        JamfErrorKind::NameTaken { name, id, sent } => {
            assert_eq!((name.as_str(), id.as_str(), *sent), ("Vendor", "7", false))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.to_string(),
        "create api role (POST /api/v1/api-roles): api role \"Vendor\" already exists (id 7); nothing was sent"
    );
    let req = IntegrationRequest {
        display_name: "Vendor client".into(),
        authorization_scopes: vec!["Terraform Role".into()],
        enabled: true,
        access_token_lifetime_seconds: Some(300),
    };
    let e = c.create_integration(&req).await.unwrap_err();
    assert!(matches!(e.kind(), JamfErrorKind::NameTaken { id, sent: false, .. } if id == "8"), "{e:?}");
    assert!(e.to_string().contains("api client \"Vendor client\" already exists (id 8); nothing was sent"), "{e}");
}

#[tokio::test]
async fn a_lost_answer_adopts_the_object_this_create_made() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_lookups(&server, "/api/v1/api-roles", vec![], vec![role_json("21", "Vendor")]).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api-roles"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(role_json("21", "Vendor")).set_delay(Duration::from_secs(2)),
        )
        .mount(&server)
        .await;
    let created = impatient_client(&server).create_role(&vendor_role()).await.unwrap();
    assert_eq!(created.id, "21");
    assert_eq!(requests_of(&server, "POST", "/api/v1/api-roles").await.len(), 1, "sent once, never again");
    assert_eq!(requests_of(&server, "GET", "/api/v1/api-roles").await.len(), 2, "looked up before and after");
}

#[tokio::test]
async fn a_lost_answer_never_adopts_an_object_made_by_someone_else() {
    // Pre-existing, with exactly the requested privileges, and every POST answered 503 (an
    // unknown outcome): a lookup after the POST would find it and, before this fix, adopt it.
    let server = MockServer::start().await;
    mount_token(&server).await;
    let by_hand = role_json("7", "Vendor");
    mount_lookups(&server, "/api/v1/api-roles", vec![by_hand.clone()], vec![by_hand]).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api-roles"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let e = client(&server).create_role(&vendor_role()).await.unwrap_err();
    assert!(matches!(e.kind(), JamfErrorKind::NameTaken { id, sent: false, .. } if id == "7"), "{e:?}");
    assert!(requests_of(&server, "POST", "/api/v1/api-roles").await.is_empty(), "nothing was sent");

    // Free before the POST, whose answer is lost; what then has the name is not what was asked
    // for (someone else's role): not adopted, and not created again either.
    let server = MockServer::start().await;
    mount_token(&server).await;
    let other = json!({"id": "9", "displayName": "Vendor", "privileges": ["Delete Computers"]});
    mount_lookups(&server, "/api/v1/api-roles", vec![], vec![other]).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api-roles"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(role_json("9", "Vendor")).set_delay(Duration::from_secs(2)),
        )
        .mount(&server)
        .await;
    let e = impatient_client(&server).create_role(&vendor_role()).await.unwrap_err();
    assert!(matches!(e.kind(), JamfErrorKind::NameTaken { id, sent: true, .. } if id == "9"), "{e:?}");
    assert!(e.to_string().contains("it is not the one this create made, so it is not adopted"), "{e}");
    assert_eq!(requests_of(&server, "POST", "/api/v1/api-roles").await.len(), 1);
}

#[tokio::test]
async fn a_created_answer_that_cannot_be_read_is_looked_up_not_left_an_orphan() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_lookups(&server, "/api/v1/api-roles", vec![], vec![role_json("31", "Vendor")]).await;
    mount_lookups(&server, "/api/v1/api-integrations", vec![], vec![integration_json(32, "Vendor client", true)]).await;
    for p in ["/api/v1/api-roles", "/api/v1/api-integrations"] {
        Mock::given(method("POST"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_raw("<html>created</html>", "text/html"))
            .mount(&server)
            .await;
    }
    let c = client(&server);
    assert_eq!(c.create_role(&vendor_role()).await.unwrap().id, "31");
    let req = IntegrationRequest {
        display_name: "Vendor client".into(),
        authorization_scopes: vec!["Terraform Role".into()],
        enabled: true,
        access_token_lifetime_seconds: Some(300),
    };
    assert_eq!(c.create_integration(&req).await.unwrap().id, "32");
    assert_eq!(requests_of(&server, "POST", "/api/v1/api-roles").await.len(), 1, "a 2xx is never sent again");
    assert_eq!(requests_of(&server, "POST", "/api/v1/api-integrations").await.len(), 1);
}

#[tokio::test]
async fn a_404_soon_after_a_create_is_rechecked_and_kept_but_an_old_objects_404_means_gone() {
    use mdmkit::jamf::cache::{CREATED_RECENTLY_FOR, JamfData, Seen, now_ms};
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_names_free(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api-roles/5"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    // Visible at the second re-check: found.
    Mock::given(method("GET"))
        .and(path("/api/v1/api-roles/6"))
        .respond_with(ResponseTemplate::new(404))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api-roles/6"))
        .respond_with(ResponseTemplate::new(200).set_body_json(role_json("6", "r")))
        .mount(&server)
        .await;
    let data = JamfData::new(client(&server));

    // Imported (no creation time) or created long ago: gone at once, one GET.
    assert!(matches!(data.role_seen("5", None).await.unwrap(), Seen::Gone));
    let old = now_ms() - CREATED_RECENTLY_FOR.as_millis() as u64 - 1;
    assert!(matches!(data.role_seen("5", Some(old)).await.unwrap(), Seen::Gone));
    assert_eq!(requests_of(&server, "GET", "/api/v1/api-roles/5").await.len(), 2, "no re-check");

    assert!(matches!(data.role_seen("6", Some(now_ms())).await.unwrap(), Seen::Found(r) if r.id == "6"));

    // Created moments ago and still 404 after the re-checks: lagging, the prior state is kept.
    let t0 = Instant::now();
    assert!(matches!(data.role_seen("5", Some(now_ms())).await.unwrap(), Seen::Lagging));
    assert!(t0.elapsed() < Duration::from_secs(10), "bounded: {:?}", t0.elapsed());
    assert_eq!(requests_of(&server, "GET", "/api/v1/api-roles/5").await.len(), 2 + 1 + 4, "re-checked 4 times");
}

// ----- secrets never logged -----------------------------------------------------------------

#[tokio::test]
async fn no_secret_reaches_trace_logs_or_debug_output() {
    let minted = "dzmsPks-FwXpks80jhQGZZrAV3H2_ER0NAk91RE";
    let basic_password = "b4sic-P@ssword";
    let basic_token = "eyJ.basic-token.sig";
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/auth/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"token": basic_token, "expires": "2999-01-01T00:00:00Z"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/api-integrations/5/client-credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"clientId": "cid-5", "clientSecret": minted})))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/api-role-privileges"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"privileges": ["Read API Roles"]})))
        .mount(&server)
        .await;

    let capture = capture_all_logs();

    let cfg = config(&server);
    let c = JamfClient::new(cfg.clone()).unwrap();
    let creds = c.mint_client_credentials("5").await.unwrap();
    assert_eq!(creds.client_secret.expose_secret(), minted);
    let basic_cfg = JamfConfig {
        auth: JamfAuth::Basic { username: "admin".into(), password: SecretString::from(basic_password) },
        ..config(&server)
    };
    JamfClient::new(basic_cfg.clone()).unwrap().list_privileges().await.unwrap();

    let logs = capture.text();
    // The logs are real: bodies and requests were traced.
    assert!(logs.contains("/api/v1/oauth/token"), "{logs}");
    assert!(logs.contains("client_id="), "{logs}");
    assert!(logs.contains("cid-5"), "{logs}");
    assert!(logs.contains("[redacted]"), "{logs}");
    assert!(logs.contains("status=200"), "{logs}");
    use base64::Engine as _;
    let basic_header = base64::engine::general_purpose::STANDARD.encode(format!("admin:{basic_password}"));
    for secret in [CLIENT_SECRET, "s3cr%26t", TOKEN, minted, basic_password, basic_token, basic_header.as_str()] {
        assert!(!logs.contains(secret), "secret {secret:?} leaked into logs");
    }
    for debug in [format!("{cfg:?}"), format!("{basic_cfg:?}"), format!("{c:?}"), format!("{creds:?}")] {
        for secret in [CLIENT_SECRET, basic_password, minted, TOKEN] {
            assert!(!debug.contains(secret), "secret leaked into {debug}");
        }
    }
}

// ----- the role resource against a mock: a role in use -----

/// Deletes role 3 ("Shared") through the `jamf_api_role` resource, as Terraform's destroy would.
async fn delete_shared_role(server: &MockServer) -> mdmkit::framework::Diagnostics {
    use mdmkit::framework::{Attr, Private, Resource};
    use mdmkit::jamf::api_role::{ApiRoleModel, ApiRoleResource};
    let data = mdmkit::jamf::cache::JamfData::new(client(server));
    let prior = ApiRoleModel {
        id: Attr::Known("3".into()),
        display_name: Attr::Known("Shared".into()),
        privileges: Attr::Known(["Read Computers".to_string()].into()),
    };
    let mut diags = mdmkit::framework::Diagnostics::new();
    ApiRoleResource.delete(&data, prior, Private::default(), &mut diags).await;
    diags
}

async fn mount_role_in_use_once(server: &MockServer) {
    Mock::given(method("DELETE"))
        .and(path("/api/v1/api-roles/3"))
        .respond_with(ResponseTemplate::new(409).set_body_json(api_error(409, None, "Role in use")))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/api-roles/3"))
        .respond_with(ResponseTemplate::new(204))
        .with_priority(2)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_role_whose_client_went_meanwhile_is_deleted_on_a_second_try() {
    // Terraform destroys a client that names the role by a literal at the same time as the role:
    // the role's DELETE met the client, which was gone when the provider looked for it.
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_role_in_use_once(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api-integrations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"totalCount": 0, "results": []})))
        .mount(&server)
        .await;
    let diags = delete_shared_role(&server).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(requests_to(&server, "/api/v1/api-roles/3").await.len(), 2, "deleted again once nobody held it");
}

#[tokio::test]
async fn a_role_still_held_is_not_deleted_again_and_its_holders_are_named() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_role_in_use_once(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api-integrations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"totalCount": 1, "results": [{
            "id": 7, "displayName": "Vendor", "authorizationScopes": ["Shared"], "enabled": true,
            "accessTokenLifetimeSeconds": 300, "appType": "CLIENT_CREDENTIALS", "clientId": "uuid-7"
        }]})))
        .mount(&server)
        .await;
    let diags = delete_shared_role(&server).await;
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].summary, "API role still in use");
    assert!(diags[0].detail.contains("the API client \"Vendor\" (id 7)"), "{}", diags[0].detail);
    assert_eq!(requests_to(&server, "/api/v1/api-roles/3").await.len(), 1, "a held role is not retried");
}
