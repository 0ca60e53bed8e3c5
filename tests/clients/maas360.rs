//! Wire tests of the MaaS360 client against wiremock on 127.0.0.1 (random port).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::logs::capture_all_logs;
use crate::common::mock::{body_json, header, requests_to};
use mdmkit::maas360::client::{
    AuthApiVersion, AuthBodyFormat, Maas360Client, Maas360Config, Maas360Error, Maas360ErrorKind, NewAdministrator,
};
use mdmkit::rest::{NotFoundWindow, RetryPolicy, SecretString};
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const UA: &str = concat!("terraform-provider-maas360/", env!("CARGO_PKG_VERSION"));
const BILLING: &str = "1234567";
const APP_KEY: &str = "K3yK3yK3y0";
const PASSWORD: &str = "Adm1n&P@ss<word>";
const TOKEN: &str = "tok-AAAA-1111";
const REFRESH: &str = "ref-BBBB-2222";
const AUTH2: &str = "/auth-apis/auth/2.0/authenticate/customer/1234567";
const REFRESH2: &str = "/auth-apis/auth/2.0/refreshToken/customer/1234567";
const AUTH1: &str = "/auth-apis/auth/1.0/authenticate/1234567";
const AVAIL: &str = "/account-provisioning/account/1.0/checkAdminAccountAvailability/1234567";
const CREATE: &str = "/account-provisioning/administrator/1.0/createAdministrator/1234567";
const AUDIT: &str = "/account-provisioning/administrator/1.0/getAdminChangesAudit/customer/1234567";
const LOGINS: &str = "/account-provisioning/administrator/1.0/getAdminLoginReports/customer/1234567";

fn config(server: &MockServer) -> Maas360Config {
    Maas360Config {
        base_url: Some(server.uri()),
        billing_id: BILLING.into(),
        app_id: "com.1234567.webapi".into(),
        app_access_key: SecretString::from(APP_KEY),
        username: "tf_manager".into(),
        password: SecretString::from(PASSWORD),
        retry: RetryPolicy {
            max_attempts: 4,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(30),
        },
        after_create_window: NotFoundWindow {
            max_attempts: 3,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_elapsed: Duration::from_secs(1),
        },
        ..Maas360Config::default()
    }
}

fn client(server: &MockServer) -> Maas360Client {
    Maas360Client::new(config(server)).unwrap()
}

fn auth_ok(token: &str, refresh: Option<&str>) -> ResponseTemplate {
    let mut r = json!({"authToken": token, "errorCode": 0});
    if let Some(refresh) = refresh {
        r["refreshToken"] = json!(refresh);
    }
    ResponseTemplate::new(200).set_body_json(json!({ "authResponse": r }))
}

async fn mount_auth2(server: &MockServer) {
    Mock::given(method("POST")).and(path(AUTH2)).respond_with(auth_ok(TOKEN, Some(REFRESH))).mount(server).await;
}

async fn mount_available(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(AVAIL))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"adminAccountAvailability": {"adminUsername": "x", "available": true}})),
        )
        .mount(server)
        .await;
}

fn auth_request_json(user: &str, last_key: &str, last_value: &str) -> serde_json::Value {
    let mut auth = json!({"billingID": BILLING, "platformID": "3", "appID": "com.1234567.webapi",
        "appVersion": "1.0", "appAccessKey": APP_KEY, "userName": user});
    auth[last_key] = json!(last_value);
    json!({"authRequest": {"maaS360AdminAuth": auth}})
}

fn assert_data_request(r: &Request, m: &str, p: &str, query: Option<&str>, token: &str) {
    assert_eq!(r.method.as_str(), m);
    assert_eq!(r.url.path(), p);
    assert_eq!(r.url.query(), query);
    assert_eq!(header(r, "authorization"), Some(format!("MaaS token=\"{token}\"").as_str()));
    assert_eq!(header(r, "accept"), Some("application/json"));
    assert_eq!(header(r, "user-agent"), Some(UA));
}

// ----- authentication -----------------------------------------------------------------------

#[tokio::test]
async fn auth_2_0_request_is_exact_and_the_token_header_is_maas_token() {
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    mount_available(&server).await;
    let c = client(&server);
    assert!(c.check_admin_account_availability("x").await.unwrap());

    let auth = &requests_to(&server, AUTH2).await[0];
    assert_eq!(auth.method.as_str(), "POST");
    assert_eq!(auth.url.query(), None);
    assert_eq!(header(auth, "content-type"), Some("application/json"));
    assert_eq!(header(auth, "accept"), Some("application/json"));
    assert_eq!(header(auth, "user-agent"), Some(UA));
    assert_eq!(header(auth, "authorization"), None);
    assert_eq!(body_json(auth), auth_request_json("tf_manager", "password", PASSWORD));
    let data = &requests_to(&server, AVAIL).await[0];
    assert_data_request(data, "GET", AVAIL, Some("adminUsername=x"), TOKEN);
    assert_eq!(c.tokens_minted(), 1);
}

#[tokio::test]
async fn the_token_is_shared_by_concurrent_calls() {
    let server = MockServer::start().await;
    Mock::given(path(AUTH2))
        .respond_with(auth_ok(TOKEN, Some(REFRESH)).set_delay(Duration::from_millis(100)))
        .expect(1)
        .mount(&server)
        .await;
    mount_available(&server).await;
    let c = client(&server);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.check_admin_account_availability("x").await })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap().unwrap());
    }
    assert_eq!(c.tokens_minted(), 1);
}

#[tokio::test]
async fn refresh_uses_and_rotates_the_refresh_token() {
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    Mock::given(path(REFRESH2))
        .and(body_partial_json(json!({"authRequest": {"maaS360AdminAuth": {"refreshToken": REFRESH}}})))
        .respond_with(auth_ok("tok-2", Some("ref-2")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(REFRESH2))
        .and(body_partial_json(json!({"authRequest": {"maaS360AdminAuth": {"refreshToken": "ref-2"}}})))
        .respond_with(auth_ok("tok-3", Some("ref-3")))
        .expect(1)
        .mount(&server)
        .await;
    mount_available(&server).await;

    // Usable for 200 ms: each call after a pause renews the session.
    let cfg = Maas360Config {
        token_lifetime: Duration::from_millis(200),
        token_refresh_margin: Duration::ZERO,
        ..config(&server)
    };
    let c = Maas360Client::new(cfg).unwrap();
    for _ in 0..3 {
        c.check_admin_account_availability("x").await.unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(requests_to(&server, AUTH2).await.len(), 1);
    let refreshes = requests_to(&server, REFRESH2).await;
    assert_eq!(refreshes.len(), 2);
    assert_eq!(body_json(&refreshes[0]), auth_request_json("tf_manager", "refreshToken", REFRESH));
    assert_eq!(header(&refreshes[0], "content-type"), Some("application/json"));
    assert!(!String::from_utf8_lossy(&refreshes[0].body).contains(PASSWORD));
    let data = requests_to(&server, AVAIL).await;
    for (r, token) in data.iter().zip([TOKEN, "tok-2", "tok-3"]) {
        assert_data_request(r, "GET", AVAIL, Some("adminUsername=x"), token);
    }
}

#[tokio::test]
async fn a_refused_refresh_falls_back_to_full_authentication() {
    let server = MockServer::start().await;
    Mock::given(path(AUTH2)).respond_with(auth_ok(TOKEN, Some(REFRESH))).expect(2).mount(&server).await;
    Mock::given(path(REFRESH2))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"authResponse": {"errorCode": 1002, "errorDesc": "Invalid credentials"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_available(&server).await;
    let cfg = Maas360Config {
        token_lifetime: Duration::from_millis(100),
        token_refresh_margin: Duration::ZERO,
        ..config(&server)
    };
    let c = Maas360Client::new(cfg).unwrap();
    c.authenticate().await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    c.check_admin_account_availability("x").await.unwrap();
    assert_eq!(c.tokens_minted(), 2);
}

#[tokio::test]
async fn auth_1_0_with_a_json_body() {
    let server = MockServer::start().await;
    Mock::given(path(AUTH1))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"authResponse": {"errorCode": "0", "errorDesc": "", "authToken": TOKEN}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_available(&server).await;
    let c = Maas360Client::new(Maas360Config { auth_api_version: AuthApiVersion::V1, ..config(&server) }).unwrap();
    c.check_admin_account_availability("x").await.unwrap();
    let auth = &requests_to(&server, AUTH1).await[0];
    assert_eq!(header(auth, "content-type"), Some("application/json"));
    assert_eq!(header(auth, "accept"), Some("application/json"));
    assert_eq!(body_json(auth), auth_request_json("tf_manager", "password", PASSWORD));
    assert_data_request(&requests_to(&server, AVAIL).await[0], "GET", AVAIL, Some("adminUsername=x"), TOKEN);
}

#[tokio::test]
async fn auth_1_0_with_an_xml_body_and_an_xml_answer() {
    let server = MockServer::start().await;
    Mock::given(path(AUTH1))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!("<?xml version=\"1.0\"?><authResponse><authToken>{TOKEN}</authToken><errorCode>0</errorCode></authResponse>"),
            "application/xml",
        ))
        .expect(1)
        .mount(&server)
        .await;
    mount_available(&server).await;
    let c = Maas360Client::new(Maas360Config {
        auth_api_version: AuthApiVersion::V1,
        auth_v1_body: AuthBodyFormat::Xml,
        ..config(&server)
    })
    .unwrap();
    c.check_admin_account_availability("x").await.unwrap();
    let auth = &requests_to(&server, AUTH1).await[0];
    assert_eq!(header(auth, "content-type"), Some("application/xml"));
    assert_eq!(
        std::str::from_utf8(&auth.body).unwrap(),
        "<authRequest><maaS360AdminAuth><billingID>1234567</billingID><platformID>3</platformID>\
         <appID>com.1234567.webapi</appID><appVersion>1.0</appVersion><appAccessKey>K3yK3yK3y0</appAccessKey>\
         <userName>tf_manager</userName><password>Adm1n&amp;P@ss&lt;word&gt;</password></maaS360AdminAuth></authRequest>"
    );
    assert_data_request(&requests_to(&server, AVAIL).await[0], "GET", AVAIL, Some("adminUsername=x"), TOKEN);
}

#[tokio::test]
async fn an_xml_login_failure_is_typed_too() {
    let server = MockServer::start().await;
    Mock::given(path(AUTH1))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<authResponse><errorCode>1002</errorCode><errorDesc>Invalid Credentials</errorDesc></authResponse>",
            "application/xml",
        ))
        .mount(&server)
        .await;
    let c = Maas360Client::new(Maas360Config {
        auth_api_version: AuthApiVersion::V1,
        auth_v1_body: AuthBodyFormat::Xml,
        ..config(&server)
    })
    .unwrap();
    let e = c.authenticate().await.unwrap_err();
    assert!(matches!((e.kind(), e.error_code()), (Maas360ErrorKind::InvalidCredentials { .. }, Some(1002))));
}

#[tokio::test]
async fn an_http_200_login_failure_is_a_typed_error_and_not_retried() {
    for code in [json!(1002), json!("1002")] {
        let server = MockServer::start().await;
        Mock::given(path(AUTH2))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"authResponse": {"errorCode": code, "errorDesc": "Invalid credentials"}})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let e = client(&server).check_admin_account_availability("x").await.unwrap_err();
        match e.kind() {
            Maas360ErrorKind::InvalidCredentials { username, code, description } => {
                assert_eq!(
                    (username.as_str(), *code, description.as_str()),
                    ("tf_manager", Some(1002), "Invalid credentials")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(!e.to_string().contains(PASSWORD) && !e.to_string().contains(APP_KEY));
        assert!(requests_to(&server, AVAIL).await.is_empty());
    }
}

#[tokio::test]
async fn a_refused_sign_in_is_final_for_the_client() {
    // Sequential calls (terraform reading more resources than its parallelism) would otherwise
    // each send the wrong password again, which can lock the account.
    let server = MockServer::start().await;
    Mock::given(path(AUTH2))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"authResponse": {"errorCode": 1002, "errorDesc": "Invalid credentials"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    for _ in 0..3 {
        let e = c.check_admin_account_availability("x").await.unwrap_err();
        assert!(matches!((e.kind(), e.error_code()), (Maas360ErrorKind::InvalidCredentials { .. }, Some(1002))));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(matches!(c.authenticate().await.unwrap_err().kind(), Maas360ErrorKind::InvalidCredentials { .. }));
    assert_eq!(requests_to(&server, AUTH2).await.len(), 1);
    assert!(requests_to(&server, AVAIL).await.is_empty());
}

#[tokio::test]
async fn verify_credentials_checks_another_admin_without_touching_the_session() {
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    Mock::given(path(AUTH2))
        .and(body_partial_json(
            json!({"authRequest": {"maaS360AdminAuth": {"userName": "acme_so", "password": "good-Pa55!"}}}),
        ))
        .respond_with(auth_ok("other-token", Some("other-refresh")))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path(AUTH2))
        .and(body_partial_json(json!({"authRequest": {"maaS360AdminAuth": {"userName": "acme_so"}}})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"authResponse": {"errorCode": 1002, "errorDesc": "Invalid credentials"}})),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    mount_available(&server).await;

    let c = client(&server);
    c.authenticate().await.unwrap();
    c.verify_credentials("acme_so", &SecretString::from("good-Pa55!")).await.unwrap();
    let e = c.verify_credentials("acme_so", &SecretString::from("wrong")).await.unwrap_err();
    assert!(matches!(e.kind(), Maas360ErrorKind::InvalidCredentials { .. }));
    assert!(e.to_string().contains("administrator \"acme_so\""), "{e}");
    c.check_admin_account_availability("x").await.unwrap();

    assert_eq!(c.tokens_minted(), 1);
    assert_data_request(&requests_to(&server, AVAIL).await[0], "GET", AVAIL, Some("adminUsername=x"), TOKEN);
    let verify = &requests_to(&server, AUTH2).await[1];
    assert_eq!(body_json(verify), auth_request_json("acme_so", "password", "good-Pa55!"));
}

#[tokio::test]
async fn verify_credentials_with_auth_1_0_and_an_xml_body_sends_that_admins_credentials() {
    let server = MockServer::start().await;
    Mock::given(path(AUTH1))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<authResponse><authToken>script-token</authToken><errorCode>0</errorCode></authResponse>",
            "application/xml",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = Maas360Client::new(Maas360Config {
        auth_api_version: AuthApiVersion::V1,
        auth_v1_body: AuthBodyFormat::Xml,
        ..config(&server)
    })
    .unwrap();
    c.verify_credentials("Acme_SO", &SecretString::from("Scr1pt!Only")).await.unwrap();
    assert_eq!(c.tokens_minted(), 0, "the provider's own session is not touched");
    let auth = &requests_to(&server, AUTH1).await[0];
    assert_eq!(auth.method.as_str(), "POST");
    assert_eq!(header(auth, "content-type"), Some("application/xml"));
    assert_eq!(header(auth, "accept"), Some("application/json"));
    assert_eq!(header(auth, "authorization"), None);
    assert_eq!(
        std::str::from_utf8(&auth.body).unwrap(),
        "<authRequest><maaS360AdminAuth><billingID>1234567</billingID><platformID>3</platformID>\
         <appID>com.1234567.webapi</appID><appVersion>1.0</appVersion><appAccessKey>K3yK3yK3y0</appAccessKey>\
         <userName>Acme_SO</userName><password>Scr1pt!Only</password></maaS360AdminAuth></authRequest>"
    );
}

// ----- token expiry -------------------------------------------------------------------------

#[tokio::test]
async fn an_expired_token_causes_one_reauthentication() {
    let server = MockServer::start().await;
    Mock::given(path(AUTH2)).respond_with(auth_ok(TOKEN, None)).expect(2).mount(&server).await;
    Mock::given(path(AVAIL))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"adminAccountAvailability": {"errorCode": 1009, "errorDesc": "Token invalid"}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_available(&server).await;
    let c = client(&server);
    assert!(c.check_admin_account_availability("x").await.unwrap());
    assert_eq!(requests_to(&server, AVAIL).await.len(), 2);
}

#[tokio::test]
async fn a_token_expired_body_with_http_200_also_reauthenticates() {
    let server = MockServer::start().await;
    Mock::given(path(AUTH2)).respond_with(auth_ok(TOKEN, None)).expect(2).mount(&server).await;
    Mock::given(path(AVAIL))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"x": {"errorDesc": "Token expired."}})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_available(&server).await;
    assert!(client(&server).check_admin_account_availability("x").await.unwrap());
}

#[tokio::test]
async fn a_persistently_refused_token_is_token_expired_after_one_retry() {
    let server = MockServer::start().await;
    Mock::given(path(AUTH2)).respond_with(auth_ok(TOKEN, None)).expect(2).mount(&server).await;
    Mock::given(path(AVAIL))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"r": {"errorCode": 1009, "errorDesc": "Token invalid"}})),
        )
        .expect(2)
        .mount(&server)
        .await;
    let e = client(&server).check_admin_account_availability("x").await.unwrap_err();
    assert!(matches!(e.kind(), Maas360ErrorKind::TokenExpired { .. }));
    assert!(e.to_string().ends_with("Token invalid"), "{e}");
}

// ----- rate limits --------------------------------------------------------------------------

#[tokio::test]
async fn a_429_is_absorbed_after_the_reset_window() {
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    Mock::given(path(AVAIL))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-Rate-Limit-Remaining", "0")
                .insert_header("X-Rate-Limit-ResetWindow", "1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_available(&server).await;
    let c = client(&server);
    c.authenticate().await.unwrap();
    let t0 = Instant::now();
    assert!(c.check_admin_account_availability("x").await.unwrap());
    assert!(t0.elapsed() >= Duration::from_millis(900), "{:?}", t0.elapsed());
    assert_eq!(requests_to(&server, AVAIL).await.len(), 2);
}

#[tokio::test]
async fn persistent_429_is_rate_limited() {
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    Mock::given(path(AVAIL)).respond_with(ResponseTemplate::new(429)).expect(4).mount(&server).await;
    let e = client(&server).check_admin_account_availability("x").await.unwrap_err();
    assert!(matches!((e.kind(), e.attempts()), (Maas360ErrorKind::RateLimited { .. }, Some(4))));
}

// ----- availability and create (unverified names) -------------------------------------------

#[tokio::test]
async fn availability_request_is_exact_and_lenient() {
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    Mock::given(path(AVAIL))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"adminAccountAvailability": {"adminUsername": "a b@x", "available": "false"}})),
        )
        .mount(&server)
        .await;
    let c = client(&server);
    assert!(!c.check_admin_account_availability("a b@x").await.unwrap());
    assert_data_request(&requests_to(&server, AVAIL).await[0], "GET", AVAIL, Some("adminUsername=a%20b%40x"), TOKEN);
}

#[tokio::test]
async fn availability_answered_in_xml_is_read() {
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    Mock::given(path(AVAIL))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<?xml version=\"1.0\"?><adminAccountAvailability><adminUsername>acme_so</adminUsername>\
             <available>false</available></adminAccountAvailability>",
            "application/xml",
        ))
        .expect(1)
        .mount(&server)
        .await;
    assert!(!client(&server).check_admin_account_availability("acme_so").await.unwrap());
}

#[tokio::test]
async fn availability_with_an_error_code_is_a_refusal() {
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    Mock::given(path(AVAIL))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"adminAccountAvailability": {"errorCode": 42, "errorDesc": "nope"}})),
        )
        .mount(&server)
        .await;
    let e = client(&server).check_admin_account_availability("u").await.unwrap_err();
    assert!(matches!((e.kind(), e.error_code()), (Maas360ErrorKind::Rejected { .. }, Some(42))));
}

fn new_admin() -> NewAdministrator {
    NewAdministrator {
        username: "acme_so".into(),
        email: "it@acme.example".into(),
        roles: vec!["Read-Only".into(), "Help Desk".into()],
        first_name: Some("Acme".into()),
        last_name: Some("Bot".into()),
    }
}

#[tokio::test]
async fn create_administrator_request_is_exact() {
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    Mock::given(method("POST"))
        .and(path(CREATE))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"actionResponse": {"status": "Success", "description": "Administrator created", "adminUsername": "acme_so"}}),
        ))
        .mount(&server)
        .await;
    mount_taken(&server).await;
    let created = client(&server).create_administrator(&new_admin()).await.unwrap();
    assert_eq!(created.description.as_deref(), Some("Administrator created"));
    assert!(created.listed);
    // Then one availability check confirms it.
    let checks = requests_to(&server, AVAIL).await;
    assert_eq!(checks.len(), 1);
    assert_data_request(&checks[0], "GET", AVAIL, Some("adminUsername=acme_so"), TOKEN);
    let r = &requests_to(&server, CREATE).await[0];
    assert_data_request(r, "POST", CREATE, None, TOKEN);
    assert_eq!(header(r, "content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        std::str::from_utf8(&r.body).unwrap(),
        "adminUsername=acme_so&adminEmailAddress=it%40acme.example&roles=Read-Only%2CHelp+Desk&firstName=Acme&lastName=Bot"
    );
}

async fn mount_taken(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(AVAIL))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"adminAccountAvailability": {"adminUsername": "acme_so", "available": false}})),
        )
        .mount(server)
        .await;
}

async fn mount_created(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(CREATE))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"actionResponse": {"status": "Success"}})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_new_administrator_not_listed_yet_is_checked_again_within_a_bounded_window() {
    // Listed at the third check.
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    mount_created(&server).await;
    Mock::given(path(AVAIL))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"adminAccountAvailability": {"available": true}})),
        )
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_taken(&server).await;
    let created = client(&server).create_administrator(&new_admin()).await.unwrap();
    assert!(created.listed);
    assert_eq!(requests_to(&server, AVAIL).await.len(), 3);

    // Never listed: the create still succeeded, after max_attempts checks.
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    mount_created(&server).await;
    mount_available(&server).await;
    let t0 = Instant::now();
    let created = client(&server).create_administrator(&new_admin()).await.unwrap();
    assert!(!created.listed);
    assert_eq!(requests_to(&server, AVAIL).await.len(), 3);
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
}

#[tokio::test]
async fn a_created_answer_that_cannot_be_read_is_checked_by_username_not_failed() {
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    Mock::given(method("POST"))
        .and(path(CREATE))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>done</html>", "text/html"))
        .expect(1)
        .mount(&server)
        .await;
    mount_taken(&server).await;
    let created = client(&server).create_administrator(&new_admin()).await.unwrap();
    assert!(created.listed);
    assert_eq!(requests_to(&server, AVAIL).await.len(), 1, "one check: the username is taken");

    // Still free after the bounded window: a decode error, and never sent again.
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    Mock::given(method("POST"))
        .and(path(CREATE))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    mount_available(&server).await;
    let e = client(&server).create_administrator(&new_admin()).await.unwrap_err();
    assert!(e.to_string().contains("the username is still free"), "{e}");
}

async fn create_error(status: u16, body: serde_json::Value) -> Maas360Error {
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    Mock::given(path(CREATE))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    client(&server).create_administrator(&new_admin()).await.unwrap_err()
}

#[tokio::test]
async fn create_administrator_failures_are_typed() {
    let fail =
        |code: i64, d: &str| json!({"actionResponse": {"status": "Failure", "errorCode": code, "description": d}});
    let e = create_error(409, fail(9101, "Username already exists")).await;
    assert!(matches!(e.kind(), Maas360ErrorKind::UsernameTaken { .. }));
    assert!(e.to_string().contains("\"acme_so\" is already taken: Username already exists"), "{e}");
    assert!(matches!(create_error(409, json!({})).await.kind(), Maas360ErrorKind::UsernameTaken { .. }));
    assert!(matches!(
        create_error(200, fail(9101, "Username already exists")).await.kind(),
        Maas360ErrorKind::UsernameTaken { .. }
    ));
    let e = create_error(403, fail(9102, "Not permitted to grant role 'Help Desk'")).await;
    assert!(matches!(e.kind(), Maas360ErrorKind::RoleNotGrantable { .. }));
    assert!(e.to_string().contains("[Read-Only, Help Desk]"), "{e}");
    assert!(matches!(create_error(403, json!({})).await.kind(), Maas360ErrorKind::Forbidden { .. }));
    assert!(matches!(
        create_error(403, fail(9104, "Only a Service Administrator")).await.kind(),
        Maas360ErrorKind::Forbidden { .. }
    ));
    let e = create_error(400, fail(9103, "Unknown role 'Helpdesk'")).await;
    assert!(matches!((e.kind(), e.error_code()), (Maas360ErrorKind::Rejected { .. }, Some(9103))));
    assert!(e.to_string().ends_with("Unknown role 'Helpdesk'"), "{e}");
    let e = create_error(200, fail(7, "Other")).await;
    assert!(matches!((e.kind(), e.error_code()), (Maas360ErrorKind::Rejected { .. }, Some(7))));
    assert!(matches!(create_error(404, json!({})).await.kind(), Maas360ErrorKind::NotFound));
}

#[tokio::test]
async fn unencodable_roles_are_refused_before_sending() {
    let server = MockServer::start().await;
    let e = client(&server)
        .create_administrator(&NewAdministrator { roles: vec!["A, B".into()], ..new_admin() })
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), Maas360ErrorKind::InvalidArgument(_)));
    assert!(server.received_requests().await.unwrap().is_empty());
}

// ----- audit reports ------------------------------------------------------------------------

fn change(i: usize) -> serde_json::Value {
    json!({"updateDate": 1730209172000_i64 + i as i64, "performedBy": "boss", "operationType": "CHANGE",
        "ipAddress": "1.1.1.1", "administrator": {"username": format!("u{i}"), "accountStatus": "Active",
        "rolesAdded": "Help Desk", "lastLoginTime": ""}})
}

#[tokio::test]
async fn admin_changes_audit_reads_pages_until_a_short_one() {
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    let full: Vec<_> = (0..250).map(change).collect();
    Mock::given(path(AUDIT))
        .and(wiremock::matchers::query_param("pageNumber", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"adminChanges": {"count": 251, "pageNumber": 1, "pageSize": 250, "adminChange": full}}),
        ))
        .mount(&server)
        .await;
    Mock::given(path(AUDIT))
        .and(wiremock::matchers::query_param("pageNumber", "2"))
        // The last, single record arrives as an object, numbers as strings.
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"adminChanges": {"count": "251", "pageNumber": "2", "pageSize": "250", "adminChange": change(250)}}),
        ))
        .mount(&server)
        .await;
    let from = UNIX_EPOCH + Duration::from_millis(1_730_000_000_000);
    let to = UNIX_EPOCH + Duration::from_millis(1_730_300_000_000);
    let changes = client(&server).admin_changes_audit(from, to).await.unwrap();
    assert_eq!(changes.len(), 251);
    assert_eq!(changes[250].administrator.username, "u250");
    assert_eq!(changes[0].update_date, Some(1_730_209_172_000));
    let reqs = requests_to(&server, AUDIT).await;
    assert_eq!(reqs.len(), 2);
    assert_data_request(
        &reqs[0],
        "GET",
        AUDIT,
        Some("fromDate=1730000000000&toDate=1730300000000&pageSize=250&pageNumber=1"),
        TOKEN,
    );
    assert_data_request(
        &reqs[1],
        "GET",
        AUDIT,
        Some("fromDate=1730000000000&toDate=1730300000000&pageSize=250&pageNumber=2"),
        TOKEN,
    );
}

#[tokio::test]
async fn admin_login_reports_parse_the_documented_shape() {
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    Mock::given(path(LOGINS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"loginEvents": {"count": 2, "pageNumber": 1,
            "pageSize": 2, "loginEvent": [
                {"username": "test@mail.com", "loginAttemptTime": 1730208920691_i64, "logoutTime": 1730208928000_i64,
                 "duration": 0.1, "operatingSystem": "MacOS 10.15.7", "browserVersion": "Chrome 130.0.0.0",
                 "ipAddress": "1.1.1.1", "authStatus": "Successful"},
                {"username": "b", "loginAttemptTime": "1730208920000", "logoutTime": "", "authStatus": "Failed"}]}})))
        .expect(1)
        .mount(&server)
        .await;
    let now = SystemTime::now();
    let events = client(&server).admin_login_reports(now - Duration::from_secs(3600), now).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].logout_time, Some(1_730_208_928_000));
    assert_eq!(events[0].duration, Some(0.1));
    assert_eq!(events[1].login_attempt_time, Some(1_730_208_920_000));
    assert_eq!(events[1].logout_time, None);
    let (from_ms, to_ms) = [now - Duration::from_secs(3600), now]
        .map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_millis().to_string())
        .into();
    let query = format!("fromDate={from_ms}&toDate={to_ms}&pageSize=250&pageNumber=1");
    assert_data_request(&requests_to(&server, LOGINS).await[0], "GET", LOGINS, Some(&query), TOKEN);
}

// ----- secrets never logged -----------------------------------------------------------------

#[tokio::test]
async fn no_secret_reaches_trace_logs_or_debug_output() {
    let verify_password = "Scr1pt-Us3r#pw";
    let server = MockServer::start().await;
    mount_auth2(&server).await;
    Mock::given(path(REFRESH2)).respond_with(auth_ok("tok-refreshed-9", Some("ref-rotated-9"))).mount(&server).await;
    Mock::given(path(AUTH1))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<authResponse><authToken>xml-token-7</authToken><errorCode>0</errorCode></authResponse>",
            "application/xml",
        ))
        .mount(&server)
        .await;
    mount_available(&server).await;

    let capture = capture_all_logs();

    let cfg = Maas360Config {
        token_lifetime: Duration::from_millis(50),
        token_refresh_margin: Duration::ZERO,
        ..config(&server)
    };
    let c = Maas360Client::new(cfg.clone()).unwrap();
    c.check_admin_account_availability("x").await.unwrap();
    tokio::time::sleep(Duration::from_millis(80)).await;
    c.check_admin_account_availability("x").await.unwrap(); // refresh
    c.verify_credentials("acme_so", &SecretString::from(verify_password)).await.unwrap();
    let xml_cfg =
        Maas360Config { auth_api_version: AuthApiVersion::V1, auth_v1_body: AuthBodyFormat::Xml, ..config(&server) };
    Maas360Client::new(xml_cfg.clone()).unwrap().check_admin_account_availability("x").await.unwrap();

    let logs = capture.text();
    assert!(logs.contains(AUTH2) && logs.contains(REFRESH2) && logs.contains(AUTH1), "{logs}");
    assert!(logs.contains("tf_manager") && logs.contains("[redacted]"), "{logs}");
    assert!(logs.contains("authorization: MaaS [redacted]"), "{logs}");
    for secret in [
        PASSWORD,
        "Adm1n&amp;P@ss",
        APP_KEY,
        TOKEN,
        REFRESH,
        "tok-refreshed-9",
        "ref-rotated-9",
        "xml-token-7",
        verify_password,
    ] {
        assert!(!logs.contains(secret), "secret {secret:?} leaked into logs");
    }
    for debug in [format!("{cfg:?}"), format!("{xml_cfg:?}"), format!("{c:?}")] {
        for secret in [PASSWORD, APP_KEY] {
            assert!(!debug.contains(secret), "secret leaked into {debug}");
        }
    }
}
