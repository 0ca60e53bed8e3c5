//! Both clients against a hostile server (issue 14, §3): wiremock on 127.0.0.1 answers every
//! path with a generated status, headers (odd numbers, missing and duplicated), body (truncated,
//! wrong types, deeply nested, huge numbers, invalid UTF-8, XML-ish) and content type. Every call
//! must come back with a value or a typed error: a panic or a hang fails the case.

use std::future::Future;
use std::time::{Duration, SystemTime};

use mdmkit::jamf::client::{JamfAuth, JamfClient, JamfConfig, RoleRequest};
use mdmkit::maas360::client::{Maas360Client, Maas360Config, NewAdministrator};
use mdmkit::rest::{NotFoundWindow, RetryPolicy, SecretString};
use proptest::prelude::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// One call never takes longer than this; retries and waits are bounded far below it.
const CALL_LIMIT: Duration = Duration::from_secs(10);

/// Retries that are quick and few, so a case stays well under a second.
fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 2,
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
        max_elapsed: Duration::from_millis(300),
    }
}

/// A generated answer of the hostile server.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: Vec<u8>,
    content_type: Option<&'static str>,
}

impl Answer {
    fn template(&self) -> ResponseTemplate {
        let mut t = ResponseTemplate::new(self.status);
        for (name, value) in &self.headers {
            t = t.append_header(*name, *value);
        }
        match self.content_type {
            Some(mime) => t.set_body_raw(self.body.clone(), mime),
            None => t.set_body_bytes(self.body.clone()),
        }
    }
}

fn status() -> impl Strategy<Value = u16> {
    // 200 often, so that the data calls parse the hostile body rather than stop at the status.
    prop_oneof![
        3 => Just(200u16),
        3 => prop::sample::select(vec![200u16, 201, 204, 301, 307, 400, 401, 403, 404, 409, 429, 500, 503]),
        1 => 100u16..600,
    ]
}

const HEADER_NAMES: &[&str] = &[
    "retry-after",
    "x-rate-limit-remaining",
    "x-rate-limit-reset",
    "x-rate-limit-limit",
    "ratelimit-reset",
    "x-total-count",
    "location",
];
const HEADER_VALUES: &[&str] = &["-1", "1e20", "0.5", "abc", "99999999999999999999", "", " 3 "];

/// Zero to six headers: names may repeat (duplicated headers), absent ones are missing headers.
fn headers() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
    prop::collection::vec((prop::sample::select(HEADER_NAMES), prop::sample::select(HEADER_VALUES)), 0..6)
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop::sample::select(vec![
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("application/xml"),
        Some("text/plain"),
        Some("text/html"),
        None,
    ])
}

const ODD_NUMBERS: &[&str] = &["1e400", "9223372036854775807", "18446744073709551616", "-1", "0.5", "-0", "1e20"];

/// Bodies built from `real` (real answers of the vendor) and `numbered` (real answers with a
/// `{n}` where a number goes: expires_in, totalCount, id...).
fn body(real: &'static [&'static str], numbered: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let truncated = (prop::sample::select(real), any::<prop::sample::Index>()).prop_map(|(text, at)| {
        let bytes = text.as_bytes();
        bytes[..at.index(bytes.len() + 1)].to_vec()
    });
    let odd_number = (prop::sample::select(numbered), prop::sample::select(ODD_NUMBERS))
        .prop_map(|(template, n)| template.replace("{n}", n).into_bytes());
    let nested = (1usize..=200, any::<bool>()).prop_map(|(depth, objects)| {
        let (open, close) = if objects { ("{\"a\":", "}") } else { ("[", "]") };
        format!("{}1{}", open.repeat(depth), close.repeat(depth)).into_bytes()
    });
    let wrong_types = prop::sample::select(WRONG_TYPES).prop_map(|s| s.as_bytes().to_vec());
    let random = prop::collection::vec(any::<u8>(), 0..256);
    let invalid_utf8 = prop::sample::select(real).prop_map(|text| {
        let mut bytes = text.as_bytes().to_vec();
        let at = bytes.len() / 2;
        bytes.splice(at..at, [0xff, 0xfe, 0xc3, 0x28]);
        bytes
    });
    let xmlish = prop::sample::select(XMLISH).prop_map(|s| s.as_bytes().to_vec());
    let huge = (1usize..4).prop_map(|mb| format!("[{}1]", "1,".repeat(mb * 512 * 1024)).into_bytes());
    prop_oneof![
        3 => truncated,
        3 => odd_number,
        2 => nested,
        3 => wrong_types,
        2 => random,
        2 => invalid_utf8,
        2 => xmlish,
        1 => huge,
        1 => Just(Vec::new()),
    ]
}

/// JSON whose keys are right but whose values have the wrong type.
const WRONG_TYPES: &[&str] = &[
    r#"{"access_token": 5, "token_type": [], "expires_in": "soon"}"#,
    r#"{"access_token": null, "expires_in": {"s": 1}}"#,
    r#"{"totalCount": "many", "results": {"id": "1"}}"#,
    r#"{"totalCount": 1, "results": [1, "two", null, [], {"id": {}}]}"#,
    r#"{"totalCount": null, "results": null}"#,
    r#"{"id": [], "displayName": 7, "privileges": "all"}"#,
    r#"{"id": true, "clientId": 3, "clientSecret": 4, "enabled": "yes"}"#,
    r#"{"authResponse": "ok"}"#,
    r#"{"authResponse": {"authToken": 1, "errorCode": "zero"}}"#,
    r#"{"authResponse": {"errorCode": 1002, "errorDesc": []}}"#,
    r#"{"adminAccountAvailability": {"available": "true"}}"#,
    r#"{"adminAccountAvailability": []}"#,
    r#"{"adminChangesAudit": {"count": "x", "pageSize": -1, "adminChange": {"x": 1}}}"#,
    r#"{"response": {"status": 5}}"#,
    r#"[]"#,
    r#"null"#,
    r#""a string""#,
    r#"true"#,
];

const XMLISH: &[&str] = &[
    "<html><body><h1>502 Bad Gateway</h1></body></html>",
    r#"<?xml version="1.0" encoding="UTF-8"?><authResponse><authToken>tok</authToken><errorCode>0</errorCode></authResponse>"#,
    "<?xml version=\"1.0\"?><error><code>",
    "<<<>>>&amp;&#xffff;",
];

const JAMF_REAL: &[&str] = &[
    r#"{"access_token":"eyJhbGciOiJIUzI1NiJ9.t","token_type":"Bearer","scope":"api-role:1","expires_in":299}"#,
    r#"{"totalCount":1,"results":[{"id":"7","displayName":"Terraform Role","privileges":["Read API Roles"]}]}"#,
    r#"{"id":"7","displayName":"Terraform Role","privileges":["Read API Roles","Create API Roles"]}"#,
    r#"{"id":3,"displayName":"tf","authorizationScopes":["Terraform Role"],"enabled":true,"accessTokenLifetimeSeconds":300,"appType":"NONE","clientId":"b8b14453-0000-4000-8000-000000000001"}"#,
    r#"{"clientId":"b8b14453-0000-4000-8000-000000000001","clientSecret":"s3cret"}"#,
    r#"{"httpStatus":409,"errors":[{"code":"DUPLICATE_FIELD","description":"displayName taken","id":"0","field":"displayName"}]}"#,
];
const JAMF_NUMBERED: &[&str] = &[
    r#"{"access_token":"t","token_type":"Bearer","expires_in":{n}}"#,
    r#"{"totalCount":{n},"results":[{"id":"7","displayName":"r","privileges":[]}]}"#,
    r#"{"totalCount":{n},"results":[]}"#,
    r#"{"id":{n},"displayName":"r","privileges":[]}"#,
    r#"{"id":{n},"displayName":"tf","authorizationScopes":[],"enabled":true,"accessTokenLifetimeSeconds":{n},"appType":"NONE","clientId":"c"}"#,
    r#"{"httpStatus":{n},"errors":[]}"#,
];

const MAAS_REAL: &[&str] = &[
    r#"{"authResponse":{"authToken":"tok-AAAA-1111","refreshToken":"ref-BBBB-2222","errorCode":0}}"#,
    r#"{"adminAccountAvailability":{"adminUsername":"x","available":true}}"#,
    r#"{"createAdministratorResponse":{"status":"Success","adminUsername":"acme_so"}}"#,
    r#"{"adminChangesAudit":{"count":1,"pageSize":50,"pageNumber":1,"adminChange":[{"adminUsername":"acme_so","changeType":"Create","performedBy":"tf_manager","changeTime":"1700000000000"}]}}"#,
    r#"{"authResponse":{"errorCode":1007,"errorDesc":"Invalid credentials"}}"#,
];
const MAAS_NUMBERED: &[&str] = &[
    r#"{"authResponse":{"authToken":"tok","errorCode":{n}}}"#,
    r#"{"adminChangesAudit":{"count":{n},"pageSize":{n},"pageNumber":{n},"adminChange":[]}}"#,
    r#"{"adminChangesAudit":{"count":{n},"pageSize":1,"pageNumber":1,"adminChange":[{"adminUsername":"a","changeTime":{n}}]}}"#,
    r#"{"adminLoginReports":{"count":{n},"pageSize":{n},"adminLoginReport":[{"adminUsername":"a","loginTime":{n}}]}}"#,
];

fn answer(real: &'static [&'static str], numbered: &'static [&'static str]) -> impl Strategy<Value = Answer> {
    (status(), headers(), body(real, numbered), content_type())
        .prop_map(|(status, headers, body, content_type)| Answer { status, headers, body, content_type })
}

/// Runs `call` with [`CALL_LIMIT`]; a hang is a failure that names the call.
async fn bounded<T, E, F>(name: &str, call: F) -> Result<(), TestCaseError>
where
    F: Future<Output = Result<T, E>>,
{
    match tokio::time::timeout(CALL_LIMIT, call).await {
        // A value or a typed error are both fine; only getting one at all matters here.
        Ok(_) => Ok(()),
        Err(_) => Err(TestCaseError::fail(format!("{name} did not return within {CALL_LIMIT:?}"))),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Mounts `hostile` for every request, and, when `good_token` is set, a real token answer at
/// `token_path` (so the data calls get past authentication and parse the hostile answer).
async fn hostile_server(hostile: &Answer, good_token: Option<(&str, ResponseTemplate)>) -> MockServer {
    let server = MockServer::start().await;
    if let Some((token_path, good)) = good_token {
        Mock::given(method("POST")).and(path(token_path)).respond_with(good).with_priority(1).mount(&server).await;
    }
    Mock::given(wiremock::matchers::any()).respond_with(hostile.template()).mount(&server).await;
    server
}

fn jamf_client(server: &MockServer) -> JamfClient {
    let auth = JamfAuth::ClientCredentials {
        client_id: "0f6e9a52-7a53-4bd3-a3a2-0e4f0c1b3a11".into(),
        client_secret: SecretString::from("s3cr&t"),
    };
    JamfClient::new(JamfConfig {
        retry: quick_retry(),
        request_timeout: Duration::from_secs(2),
        ..JamfConfig::new(server.uri(), auth)
    })
    .unwrap()
}

fn maas_client(server: &MockServer) -> Maas360Client {
    Maas360Client::new(Maas360Config {
        base_url: Some(server.uri()),
        billing_id: "1234567".into(),
        app_id: "com.1234567.webapi".into(),
        app_access_key: SecretString::from("K3yK3yK3y0"),
        username: "tf_manager".into(),
        password: SecretString::from("Adm1n&P@ss"),
        request_timeout: Duration::from_secs(2),
        retry: quick_retry(),
        after_create_window: NotFoundWindow {
            max_attempts: 2,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(10),
            max_elapsed: Duration::from_millis(100),
        },
        ..Maas360Config::default()
    })
    .unwrap()
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 64, max_shrink_iters: 32, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn hostile_jamf_server_gives_values_or_typed_errors(a in answer(JAMF_REAL, JAMF_NUMBERED), good_token in prop::bool::weighted(0.75)) {
        runtime().block_on(async {
            let good = ResponseTemplate::new(200).set_body_raw(JAMF_REAL[0], "application/json");
            let server = hostile_server(&a, good_token.then_some(("/api/v1/oauth/token", good))).await;
            let c = jamf_client(&server);
            bounded("authenticate", c.authenticate()).await?;
            bounded("list_roles", c.list_roles()).await?;
            bounded("get_role", c.get_role("7")).await?;
            let role = RoleRequest { display_name: "Terraform Role".into(), privileges: vec!["Read API Roles".into()] };
            bounded("create_role", c.create_role(&role)).await?;
            bounded("list_integrations", c.list_integrations()).await?;
            bounded("get_integration", c.get_integration("3")).await?;
            bounded("mint_client_credentials", c.mint_client_credentials("3")).await?;
            bounded("delete_role", c.delete_role("7")).await
        })?;
    }

    #[test]
    fn hostile_maas360_server_gives_values_or_typed_errors(a in answer(MAAS_REAL, MAAS_NUMBERED), good_token in prop::bool::weighted(0.75)) {
        runtime().block_on(async {
            let good = ResponseTemplate::new(200).set_body_raw(MAAS_REAL[0], "application/json");
            let auth = "/auth-apis/auth/2.0/authenticate/customer/1234567";
            let server = hostile_server(&a, good_token.then_some((auth, good))).await;
            let c = maas_client(&server);
            let day = Duration::from_secs(86_400);
            let now = SystemTime::now();
            bounded("authenticate", c.authenticate()).await?;
            bounded("check_admin_account_availability", c.check_admin_account_availability("acme_so")).await?;
            let admin = NewAdministrator {
                username: "acme_so".into(),
                email: "it@acme.example".into(),
                roles: vec!["Read-Only".into()],
                first_name: None,
                last_name: None,
            };
            bounded("create_administrator", c.create_administrator(&admin)).await?;
            bounded("admin_changes_audit", c.admin_changes_audit(now - day, now)).await?;
            bounded("admin_login_reports", c.admin_login_reports(now - day, now)).await
        })?;
    }
}
