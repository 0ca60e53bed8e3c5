//! The MaaS360 simulator over real HTTP on 127.0.0.1: `reference/maas360-api.md` §7.3, points 1–8, and the
//! control actions.

use reqwest::Method;
use serde_json::{Value, json};

use super::Maas360AdminCredentials;
use crate::testkit::{Kit, Reply};

fn auth_body(m: &Maas360AdminCredentials, user: &str, password: &str) -> Value {
    json!({"authRequest": {"maaS360AdminAuth": {
        "billingID": m.billing_id, "platformID": m.platform_id, "appID": m.app_id,
        "appVersion": m.app_version, "appAccessKey": m.app_access_key,
        "userName": user, "password": password,
    }}})
}

fn auth_xml(m: &Maas360AdminCredentials, user: &str, password: &str) -> String {
    // Deliberately not in the documented order.
    format!(
        "<authRequest><maaS360AdminAuth><password>{password}</password><userName>{user}</userName>\
         <appAccessKey>{}</appAccessKey><appVersion>{}</appVersion><appID>{}</appID>\
         <platformID>{}</platformID><billingID>{}</billingID></maaS360AdminAuth></authRequest>",
        m.app_access_key, m.app_version, m.app_id, m.platform_id, m.billing_id
    )
}

async fn v1_xml(k: &Kit, path_suffix: &str, xml: String, accept: Option<&str>) -> (u16, String, String) {
    let m = k.sim.maas360_admin();
    let mut rb = k
        .http
        .post(k.url(&format!("/auth-apis/auth/1.0/authenticate/{}{path_suffix}", m.billing_id)))
        .header("content-type", "application/xml")
        .body(xml);
    if let Some(a) = accept {
        rb = rb.header("accept", a);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    (status, ct, resp.text().await.unwrap())
}

async fn v2(k: &Kit, user: &str, password: &str) -> Reply {
    let m = k.sim.maas360_admin().clone();
    k.call(
        Method::POST,
        &format!("/auth-apis/auth/2.0/authenticate/customer/{}", m.billing_id),
        None,
        Some(auth_body(&m, user, password)),
    )
    .await
}

async fn token_for(k: &Kit, user: &str, password: &str) -> String {
    let r = v2(k, user, password).await;
    assert_eq!(r.body["authResponse"]["errorCode"].as_u64(), Some(0), "{}", r.body);
    r.body["authResponse"]["authToken"].as_str().unwrap().to_owned()
}

async fn admin_token(k: &Kit) -> String {
    let m = k.sim.maas360_admin().clone();
    token_for(k, &m.username, &m.password).await
}

async fn data(k: &Kit, method: Method, path: &str, token: Option<&str>, form: Option<&[(&str, &str)]>) -> Reply {
    let m = k.sim.maas360_admin();
    let full = path.replace("{b}", &m.billing_id);
    let mut rb = k.http.request(method, k.url(&full));
    if let Some(t) = token {
        rb = rb.header("authorization", format!("MaaS token=\"{t}\""));
    }
    if let Some(f) = form {
        rb = rb.form(f);
    }
    Kit::reply(rb.send().await.unwrap()).await
}

const AVAIL: &str = "/account-provisioning/account/1.0/checkAdminAccountAvailability/{b}";
const CREATE: &str = "/account-provisioning/administrator/1.0/createAdministrator/{b}";
const AUDIT: &str = "/account-provisioning/administrator/1.0/getAdminChangesAudit/customer/{b}";
const LOGINS: &str = "/account-provisioning/administrator/1.0/getAdminLoginReports/customer/{b}";

async fn create(k: &Kit, t: &str, user: &str, roles: &str) -> Reply {
    data(
        k,
        Method::POST,
        CREATE,
        Some(t),
        Some(&[("adminUsername", user), ("adminEmailAddress", &format!("{user}@example.com")), ("roles", roles)]),
    )
    .await
}

async fn available(k: &Kit, t: &str, user: &str) -> bool {
    let r = data(k, Method::GET, &format!("{AVAIL}?adminUsername={user}"), Some(t), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["adminAccountAvailability"]["adminUsername"], user);
    r.body["adminAccountAvailability"]["available"].as_bool().unwrap()
}

async fn set_password(k: &Kit, user: &str, password: &str) -> Reply {
    k.control(Method::POST, &format!("/_sim/maas360/admins/{user}/set-password"), Some(json!({"password": password})))
        .await
}

#[tokio::test]
async fn auth_v1_xml_and_json_with_accept() {
    let k = Kit::start().await;
    let m = k.sim.maas360_admin().clone();
    let (status, ct, body) = v1_xml(&k, "", auth_xml(&m, &m.username, &m.password), None).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/xml"), "XML by default: {ct}");
    assert!(body.contains("<authToken>") && body.contains("<errorCode>0</errorCode>"), "{body}");
    let (_, ct, body) = v1_xml(&k, "/", auth_xml(&m, &m.username, &m.password), Some("application/json")).await;
    assert!(ct.starts_with("application/json"), "trailing slash tolerated, format by Accept");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(v["authResponse"]["authToken"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(v["authResponse"].get("refreshToken").is_none(), "1.0 has no refresh token");
    let r = k
        .call(
            Method::POST,
            &format!("/auth-apis/auth/1.0/authenticate/{}", m.billing_id),
            None,
            Some(auth_body(&m, &m.username, &m.password)),
        )
        .await;
    assert!(r.body.as_str().is_some_and(|x| x.contains("<authToken>")), "JSON in, XML out without Accept");
    let (status, _, body) = v1_xml(&k, "", auth_xml(&m, &m.username, "wrong"), None).await;
    assert_eq!(status, 200, "failures are HTTP 200");
    assert!(
        body.contains("<errorCode>1002</errorCode>") && body.contains("<errorDesc>Invalid credentials</errorDesc>"),
        "{body}"
    );
    let bare = auth_xml(&m, &m.username, &m.password).replace("<authRequest>", "").replace("</authRequest>", "");
    let (status, _, _) = v1_xml(&k, "", bare, None).await;
    assert_eq!(status, 400, "the <authRequest> wrapper is required");
    let (status, _, _) = v1_xml(&k, "", "<authRequest><oops".into(), None).await;
    assert_eq!(status, 400);
    let huge = format!(
        "<authRequest><maaS360AdminAuth><password>{}</password></maaS360AdminAuth></authRequest>",
        "x".repeat(2 << 20)
    );
    let (status, _, body) = v1_xml(&k, "", huge, Some("application/json")).await;
    assert_eq!(status, 413, "{body}");
    let resp = k
        .http
        .post(k.url(&format!("/auth-apis/auth/1.0/authenticate/{}", m.billing_id)))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
}

#[tokio::test]
async fn auth_failures_are_http_200_with_1002() {
    let k = Kit::start().await;
    let m = k.sim.maas360_admin().clone();
    let expect_1002 = |r: Reply| {
        assert_eq!(r.status, 200);
        assert_eq!(r.body, json!({"authResponse": {"errorCode": 1002, "errorDesc": "Invalid credentials"}}));
    };
    expect_1002(v2(&k, &m.username, "wrong").await);
    expect_1002(v2(&k, "nobody", "x").await);
    let mut body = auth_body(&m, &m.username, &m.password);
    body["authRequest"]["maaS360AdminAuth"]["appAccessKey"] = json!("WRONGKEY00");
    let path = format!("/auth-apis/auth/2.0/authenticate/customer/{}", m.billing_id);
    expect_1002(k.call(Method::POST, &path, None, Some(body)).await);
    let other = k
        .call(
            Method::POST,
            "/auth-apis/auth/2.0/authenticate/customer/1",
            None,
            Some(auth_body(&m, &m.username, &m.password)),
        )
        .await;
    expect_1002(other);
    let t = admin_token(&k).await;
    create(&k, &t, "newbie", "Read-Only").await;
    expect_1002(v2(&k, "newbie", "").await);
}

#[tokio::test]
async fn auth_v2_and_refresh_rotation() {
    let k = Kit::start().await;
    let m = k.sim.maas360_admin().clone();
    let r = v2(&k, &m.username, &m.password).await;
    let refresh1 = r.body["authResponse"]["refreshToken"].as_str().unwrap().to_owned();
    let refresh = |rt: &str| {
        k.call(
            Method::POST,
            &format!("/auth-apis/auth/2.0/refreshToken/customer/{}", m.billing_id),
            None,
            Some(json!({"authRequest": {"maaS360AdminAuth": {
                "billingID": m.billing_id, "platformID": m.platform_id, "appID": m.app_id,
                "appVersion": m.app_version, "userName": m.username, "refreshToken": rt,
            }}})),
        )
    };
    let r = refresh(&refresh1).await;
    assert_eq!(r.body["authResponse"]["errorCode"].as_u64(), Some(0), "appAccessKey is optional on refresh");
    let refresh2 = r.body["authResponse"]["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(refresh1, refresh2);
    let token = r.body["authResponse"]["authToken"].as_str().unwrap().to_owned();
    assert_eq!(data(&k, Method::GET, LOGINS, Some(&token), None).await.status, 200);
    let r = refresh(&refresh1).await;
    assert_eq!((r.status, r.body["authResponse"]["errorCode"].as_u64()), (200, Some(1002)), "used refresh token");
    assert_eq!(refresh(&refresh2).await.body["authResponse"]["errorCode"].as_u64(), Some(0));
    let stats = k.control(Method::GET, "/_sim/maas360/stats", None).await.body;
    assert_eq!(stats["tokensIssued"].as_u64(), Some(3));
}

#[tokio::test]
async fn data_apis_check_the_maas_token() {
    let k = Kit::start().await;
    let t = admin_token(&k).await;
    let r = data(&k, Method::GET, AUDIT, None, None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body, json!({"adminChanges": {"errorCode": 1009, "errorDesc": "Token invalid"}}));
    let r = data(&k, Method::GET, LOGINS, Some("bogus"), None).await;
    assert_eq!((r.status, r.body["loginEvents"]["errorCode"].as_u64()), (401, Some(1009)));
    let unquoted = k
        .http
        .get(k.url(&AUDIT.replace("{b}", &k.sim.maas360_admin().billing_id)))
        .header("authorization", format!("MaaS token={t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(unquoted.status(), 401, "the token must be quoted");
    let r = data(
        &k,
        Method::GET,
        "/account-provisioning/administrator/1.0/getAdminChangesAudit/customer/999",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(r.status, 403, "billing ID of another customer");
    assert_eq!(data(&k, Method::GET, AUDIT, Some(&t), None).await.status, 200);
    let r = k.control(Method::POST, "/_sim/maas360/expire-tokens", None).await;
    assert_eq!(r.body["expired"].as_u64(), Some(1));
    let r = data(&k, Method::GET, AUDIT, Some(&t), None).await;
    assert_eq!((r.status, r.body["adminChanges"]["errorDesc"].as_str()), (401, Some("Token expired.")));
}

#[tokio::test]
async fn token_ttl_is_configurable() {
    let k = Kit::start().await;
    k.control(Method::PUT, "/_sim/maas360/settings", Some(json!({"tokenTtlSeconds": 1}))).await;
    let t = admin_token(&k).await;
    assert_eq!(data(&k, Method::GET, AUDIT, Some(&t), None).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = data(&k, Method::GET, AUDIT, Some(&t), None).await;
    assert_eq!(r.body["adminChanges"]["errorDesc"], "Token expired.");
    assert_eq!(k.control(Method::PUT, "/_sim/maas360/settings", Some(json!({"tokenTtlSeconds": 0}))).await.status, 400);
}

#[tokio::test]
async fn availability_and_create_administrator() {
    let k = Kit::start().await;
    let t = admin_token(&k).await;
    assert!(available(&k, &t, "acme_SO").await);
    let r = create(&k, &t, "acme_SO", "Read-Only,Help Desk").await;
    assert_eq!(
        (r.status, &r.body),
        (200, &json!({"actionResponse": {"status": "Success", "adminUsername": "acme_SO"}}))
    );
    assert!(!available(&k, &t, "acme_SO").await);
    assert!(!available(&k, &t, "ACME_so").await, "usernames compare case-insensitively");
    let r = create(&k, &t, "acme_so", "Read-Only").await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.body,
        json!({"actionResponse": {"status": "Failure", "errorCode": 9101, "description": "Administrator username already exists"}})
    );
    let bad = |form: Vec<(&'static str, &'static str)>| {
        let k = &k;
        let t = t.clone();
        async move { data(k, Method::POST, CREATE, Some(&t), Some(&form)).await }
    };
    for (form, needle) in [
        (vec![("adminEmailAddress", "a@b.example"), ("roles", "Read-Only")], "adminUsername"),
        (vec![("adminUsername", "x1"), ("roles", "Read-Only")], "adminEmailAddress"),
        (vec![("adminUsername", "x1"), ("adminEmailAddress", "nope"), ("roles", "Read-Only")], "valid email"),
        (vec![("adminUsername", "x1"), ("adminEmailAddress", "a@b.example")], "roles"),
        (vec![("adminUsername", "x1"), ("adminEmailAddress", "a@b.example"), ("roles", "Superuser")], "Superuser"),
    ] {
        let r = bad(form).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body["actionResponse"]["description"].as_str().unwrap().contains(needle), "{}", r.body);
    }
    let r = create(&k, &t, "partner", "Partner Administrator").await;
    assert_eq!(r.status, 403, "above the caller's own role");
    assert!(r.body["actionResponse"]["description"].as_str().unwrap().contains("Partner Administrator"));
    let json_body = k
        .http
        .post(k.url(&CREATE.replace("{b}", &k.sim.maas360_admin().billing_id)))
        .header("authorization", format!("MaaS token=\"{t}\""))
        .json(&json!({"adminUsername": "j"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), 415);
    // A Help Desk admin may not create administrators at all.
    create(&k, &t, "helper", "Help Desk").await;
    assert_eq!(set_password(&k, "helper", "Helper#2024").await.status, 200);
    let ht = token_for(&k, "helper", "Helper#2024").await;
    let r = create(&k, &ht, "sneaky", "Read-Only").await;
    assert_eq!((r.status, r.body["actionResponse"]["errorCode"].as_u64()), (403, Some(9104)));
    assert!(available(&k, &ht, "sneaky").await, "any admin may check availability");
    assert_eq!(data(&k, Method::GET, AVAIL, Some(&t), None).await.status, 400, "adminUsername required");
    let r = data(&k, Method::GET, &format!("{AVAIL}?adminUsername=x"), None, None).await;
    assert_eq!((r.status, r.body["adminAccountAvailability"]["errorCode"].as_u64()), (401, Some(1009)));
}

#[tokio::test]
async fn new_admin_lifecycle_through_the_control_surface() {
    let k = Kit::start().await;
    let t = admin_token(&k).await;
    create(&k, &t, "svc_SO", "Read-Only").await;
    let dump = k.control(Method::GET, "/_sim/maas360/admins", None).await.body;
    let svc = dump.as_array().unwrap().iter().find(|a| a["username"] == "svc_SO").unwrap().clone();
    assert_eq!(
        (svc["passwordSet"].as_bool(), svc["scriptOnly"].as_bool(), svc["status"].as_str()),
        (Some(false), Some(false), Some("Active"))
    );
    assert!(!dump.to_string().contains(&k.sim.maas360_admin().password), "never the password");
    for (pw, rule) in
        [("Ab1!", "8 characters"), ("12345678!", "letter"), ("Password!", "digit"), ("Password1", "special")]
    {
        let r = set_password(&k, "svc_SO", pw).await;
        assert_eq!(r.status, 400);
        assert!(r.body["error"].as_str().unwrap().contains(rule), "{}", r.body);
    }
    assert_eq!(set_password(&k, "svc_SO", "S3cure!pass").await.body["passwordSet"].as_bool(), Some(true));
    let r = k.control(Method::POST, "/_sim/maas360/admins/svc_SO/convert-to-script-only", None).await;
    assert_eq!(r.body["scriptOnly"].as_bool(), Some(true));
    token_for(&k, "svc_SO", "S3cure!pass").await;
    let r = k.control(Method::POST, "/_sim/maas360/admins/svc_SO/reset-password", None).await;
    let generated = r.body["password"].as_str().unwrap().to_owned();
    assert_eq!(v2(&k, "svc_SO", "S3cure!pass").await.body["authResponse"]["errorCode"].as_u64(), Some(1002));
    token_for(&k, "svc_SO", &generated).await;
    k.control(Method::POST, "/_sim/maas360/admins/svc_SO/deactivate", None).await;
    assert_eq!(v2(&k, "svc_SO", &generated).await.body["authResponse"]["errorCode"].as_u64(), Some(1002));
    assert_eq!(k.control(Method::POST, "/_sim/maas360/admins/svc_SO/deactivate", None).await.status, 200);
    let r = k.control(Method::POST, "/_sim/maas360/admins/svc_SO/reactivate", None).await;
    assert_eq!(r.body["status"], "Active");
    assert_eq!(k.control(Method::POST, "/_sim/maas360/admins/svc_SO/reactivate", None).await.status, 409);
    let r = k
        .control(Method::PUT, "/_sim/maas360/admins/svc_SO/roles", Some(json!({"roles": ["Help Desk", "Help Desk"]})))
        .await;
    assert_eq!(r.body["roles"], json!(["Help Desk"]));
    assert_eq!(
        k.control(Method::PUT, "/_sim/maas360/admins/svc_SO/roles", Some(json!({"roles": ["Boss"]}))).await.status,
        400
    );
    let primary = k.sim.maas360_admin().username.clone();
    assert_eq!(k.control(Method::DELETE, &format!("/_sim/maas360/admins/{primary}"), None).await.status, 409);
    assert_eq!(k.control(Method::POST, &format!("/_sim/maas360/admins/{primary}/deactivate"), None).await.status, 409);
    assert_eq!(k.control(Method::DELETE, "/_sim/maas360/admins/svc_SO", None).await.status, 204);
    assert!(available(&k, &t, "svc_SO").await, "delete frees the username");
    assert_eq!(create(&k, &t, "svc_SO", "Read-Only").await.status, 200);
    assert_eq!(k.control(Method::POST, "/_sim/maas360/admins/ghost/deactivate", None).await.status, 404);
    let dump = k.control(Method::GET, "/_sim/maas360/admins", None).await.body;
    let statuses: Vec<&str> = dump
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["username"] == "svc_SO")
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["Deleted", "Active"]);
}

#[tokio::test]
async fn audit_and_login_reports_page_with_the_vendor_quirks() {
    let k = Kit::start().await;
    let m = k.sim.maas360_admin().clone();
    v2(&k, &m.username, "wrong").await;
    let t = admin_token(&k).await;
    let t0 = crate::util::now_ms();
    create(&k, &t, "one", "Read-Only").await;
    set_password(&k, "one", "Passw0rd!x").await;
    k.control(Method::PUT, "/_sim/maas360/admins/one/roles", Some(json!({"roles": ["Help Desk"]}))).await;
    let page = async |n: u32, size: u32| {
        let q = format!("{AUDIT}?fromDate={t0}&pageSize={size}&pageNumber={n}");
        data(&k, Method::GET, &q, Some(&t), None).await
    };
    let p1 = page(1, 2).await.body["adminChanges"].clone();
    assert_eq!((p1["count"].as_u64(), p1["pageNumber"].as_u64(), p1["pageSize"].as_u64()), (Some(2), Some(1), Some(2)));
    let first = &p1["adminChange"][0];
    assert_eq!(
        (first["operationType"].as_str(), first["performedBy"].as_str()),
        (Some("ADD"), Some(m.username.as_str()))
    );
    assert_eq!(first["administrator"]["rolesAdded"], "Read-Only");
    assert_eq!(first["administrator"]["lastLoginTime"], "");
    assert_eq!(first["ipAddress"], "127.0.0.1");
    assert_eq!(p1["adminChange"][1]["performedBy"], "one", "the admin set their own password");
    let p2 = page(2, 2).await.body["adminChanges"].clone();
    assert!(p2["adminChange"].is_object(), "a single record is an object, not an array");
    assert_eq!(p2["adminChange"]["administrator"]["rolesDeleted"], "Read-Only");
    assert_eq!(p2["adminChange"]["administrator"]["rolesAdded"], "Help Desk");
    let p3 = page(3, 2).await.body["adminChanges"].clone();
    assert_eq!(p3["count"].as_u64(), Some(0));
    assert!(p3.get("adminChange").is_none());
    let r = data(&k, Method::GET, &format!("{AUDIT}?toDate={}", t0.saturating_sub(1)), Some(&t), None).await;
    assert_eq!(r.body["adminChanges"]["count"].as_u64(), Some(0), "date window");
    assert_eq!(data(&k, Method::GET, &format!("{AUDIT}?pageNumber=0"), Some(&t), None).await.status, 400);
    let logins = data(&k, Method::GET, &format!("{LOGINS}?pageSize=10"), Some(&t), None).await.body;
    let events = logins["loginEvents"]["loginEvent"].as_array().unwrap().clone();
    let statuses: Vec<&str> = events.iter().map(|e| e["authStatus"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["Failed", "Successful"]);
    assert_eq!(events[1]["username"], m.username.as_str());
    assert_eq!(events[1]["logoutTime"], "");
}

#[tokio::test]
async fn rate_limit_budget_headers_and_429() {
    let k = Kit::start().await;
    let m = k.sim.maas360_admin().clone();
    let settings = |budget: u64, window: u64| {
        k.control(
            Method::PUT,
            "/_sim/maas360/settings",
            Some(json!({"rateLimitBudget": budget, "rateLimitWindowSeconds": window})),
        )
    };
    settings(3, 60).await;
    let path = format!("/auth-apis/auth/2.0/authenticate/customer/{}", m.billing_id);
    let call = || k.call(Method::POST, &path, None, Some(auth_body(&m, &m.username, &m.password)));
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let r = call().await;
        assert_eq!(r.status, 200);
        let reset: u64 = r.headers["x-rate-limit-resetwindow"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&reset), "{reset}");
        remaining.push(r.headers["x-rate-limit-remaining"].to_str().unwrap().to_owned());
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let r = call().await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers["x-rate-limit-remaining"], "0");
    assert!(r.headers.contains_key("retry-after"));
    assert_eq!(r.body["errorResponse"]["errorCode"].as_u64(), Some(9429));
    assert_eq!(k.control(Method::GET, "/_sim/maas360/stats", None).await.body["throttled"].as_u64(), Some(1));
    assert_eq!(
        k.control(Method::GET, "/_sim/maas360/admins", None).await.status,
        200,
        "control routes are not limited"
    );
    // A window ends: budget 1 per 2 s.
    settings(1, 2).await;
    assert_eq!(call().await.status, 200, "changing the limit starts a fresh window");
    assert_eq!(call().await.status, 429);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(call().await.status, 200, "a new window");
}

#[tokio::test]
async fn not_found_after_create_shows_the_name_as_still_free() {
    let k = Kit::start().await;
    let t = admin_token(&k).await;
    k.control(Method::PUT, "/_sim/maas360/faults", Some(json!({"notFoundAfterCreate": 1}))).await;
    assert_eq!(create(&k, &t, "lagging", "Read-Only").await.status, 200);
    assert!(available(&k, &t, "lagging").await);
    assert!(!available(&k, &t, "lagging").await);
    let s = k.control(Method::GET, "/_sim/maas360/stats", None).await.body;
    assert_eq!(s["faultsInjected"]["notFoundAfterCreate"].as_u64(), Some(1));
    assert_eq!(
        s["requests"]["GET /account-provisioning/account/1.0/checkAdminAccountAvailability/{billingId}"].as_u64(),
        Some(2)
    );
}

#[tokio::test]
async fn reset_reseeds_the_customer() {
    let k = Kit::start().await;
    let t = admin_token(&k).await;
    create(&k, &t, "temp", "Read-Only").await;
    k.control(Method::POST, "/_sim/reset", None).await;
    let dump = k.control(Method::GET, "/_sim/maas360/admins", None).await.body;
    assert_eq!(dump.as_array().unwrap().len(), 1);
    assert_eq!(dump[0]["primary"].as_bool(), Some(true));
    assert_eq!(dump[0]["roles"], json!(["Service Administrator"]));
    assert_eq!(data(&k, Method::GET, AUDIT, Some(&t), None).await.status, 401, "tokens are gone");
    admin_token(&k).await;
}
