//! The Jamf simulator over real HTTP on 127.0.0.1: each quirk of `reference/jamf-api.md` §5.

use reqwest::Method;
use serde_json::{Value, json};

use crate::testkit::Kit;
use crate::{JamfSimConfig, SimConfig};

const ROLES: &str = "/api/v1/api-roles";
const CLIENTS: &str = "/api/v1/api-integrations";

async fn create_role(k: &Kit, t: &str, name: &str, privs: &[&str]) -> Value {
    let r = k.call(Method::POST, ROLES, Some(t), Some(json!({"displayName": name, "privileges": privs}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

async fn create_client(k: &Kit, t: &str, name: &str, roles: &[&str], enabled: bool) -> Value {
    let r = k
        .call(
            Method::POST,
            CLIENTS,
            Some(t),
            Some(json!({"displayName": name, "authorizationScopes": roles, "enabled": enabled})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// Creates a role with `privs`, an enabled client using it, and returns the client's token.
async fn limited_token(k: &Kit, admin: &str, privs: &[&str]) -> (String, Value) {
    create_role(k, admin, "limited", privs).await;
    let c = create_client(k, admin, "limited client", &["limited"], true).await;
    let id = c["id"].as_u64().unwrap();
    let creds = k.call(Method::POST, &format!("{CLIENTS}/{id}/client-credentials"), Some(admin), None).await;
    assert_eq!(creds.status, 200);
    let token =
        k.jamf_token(creds.body["clientId"].as_str().unwrap(), creds.body["clientSecret"].as_str().unwrap()).await;
    (token, c)
}

fn single_error(body: &Value) -> &Value {
    let errs = body["errors"].as_array().expect("errors array");
    assert_eq!(errs.len(), 1, "{body}");
    &errs[0]
}

#[tokio::test]
async fn token_endpoints_both_paths_and_rfc6749_errors() {
    let k = Kit::start().await;
    let a = k.sim.jamf_admin().clone();
    for path in ["/api/v1/oauth/token", "/api/oauth/token"] {
        let r = k.jamf_token_reply(path, &a.client_id, &a.client_secret).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.body["token_type"], "Bearer");
        assert_eq!(r.body["expires_in"].as_u64(), Some(299));
        assert_eq!(r.body["scope"], "api-role:1");
        assert_eq!(r.headers["cache-control"], "no-store");
    }
    let r = k.jamf_token_reply("/api/v1/oauth/token", &a.client_id, "wrong").await;
    assert_eq!((r.status, r.body["error"].as_str()), (401, Some("invalid_client")));
    let r = k.jamf_token_reply("/api/v1/oauth/token", "no-such-client", "x").await;
    assert_eq!(r.status, 401);
    let resp = k
        .http
        .post(k.url("/api/v1/oauth/token"))
        .form(&[("client_id", a.client_id.as_str()), ("client_secret", a.client_secret.as_str())])
        .send()
        .await
        .unwrap();
    let r = Kit::reply(resp).await;
    assert_eq!((r.status, r.body["error"].as_str()), (400, Some("invalid_request")));
    let resp = k.http.post(k.url("/api/v1/oauth/token")).form(&[("grant_type", "password")]).send().await.unwrap();
    assert_eq!(Kit::reply(resp).await.body["error"], "unsupported_grant_type");
    let r = k.call(Method::POST, "/api/v1/oauth/token", None, Some(json!({"grant_type": "client_credentials"}))).await;
    assert_eq!(r.status, 400, "JSON is not a form");
}

#[tokio::test]
async fn bearer_is_required_on_every_v1_route() {
    let k = Kit::start().await;
    for (m, p) in [
        (Method::GET, ROLES),
        (Method::GET, "/api/v1/api-roles/1"),
        (Method::GET, CLIENTS),
        (Method::POST, "/api/v1/api-integrations/1/client-credentials"),
        (Method::GET, "/api/v1/api-role-privileges"),
    ] {
        let r = k.call(m, p, None, None).await;
        assert_eq!((r.status, &r.body), (401, &json!({"httpStatus": 401, "errors": []})), "{p}");
        let r = k.call(Method::GET, p, Some("not-a-token"), None).await;
        assert!(r.status == 401 || r.status == 405, "{p}");
    }
}

#[tokio::test]
async fn privileges_are_enforced_live_with_403() {
    let k = Kit::start().await;
    let admin = k.jamf_admin_token().await;
    let (t, _) = limited_token(&k, &admin, &["Read API Roles"]).await;
    assert_eq!(k.call(Method::GET, ROLES, Some(&t), None).await.status, 200);
    let r = k.call(Method::GET, CLIENTS, Some(&t), None).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body,
        json!({"httpStatus":403,"errors":[{"code":"INVALID_PRIVILEGE","description":"Forbidden","id":"0","field":null}]})
    );
    let r = k.call(Method::POST, ROLES, Some(&t), Some(json!({"displayName": "x", "privileges": []}))).await;
    assert_eq!(r.status, 403, "creating needs Create API Roles");
    // A privilege edit takes effect for the token already issued.
    let r = k
        .control(
            Method::PATCH,
            "/_sim/jamf/roles/2",
            Some(json!({"privileges": ["Read API Roles", "Read API Integrations"]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(k.call(Method::GET, CLIENTS, Some(&t), None).await.status, 200);
    // Minting a secret needs Create API Integrations.
    let r = k.call(Method::POST, "/api/v1/api-integrations/2/client-credentials", Some(&t), None).await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn role_create_update_quirks() {
    let k = Kit::start().await;
    let t = k.jamf_admin_token().await;
    let sent = ["Update Computers", "Read Computers", "Create API Roles"];
    let role = create_role(&k, &t, "Okta", &sent).await;
    assert_eq!(role["id"], "2", "role ids are strings; the seeded role is 1");
    assert_eq!(role["privileges"], json!(["Create API Roles", "Read Computers", "Update Computers"]));
    let r = k.call(Method::POST, ROLES, Some(&t), Some(json!({"displayName": "Okta", "privileges": []}))).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        single_error(&r.body),
        &json!({"code": null, "description": "role display name must be unique", "id": "0", "field": null})
    );
    assert_eq!(r.body["httpStatus"].as_u64(), Some(400));
    let r = k
        .call(Method::POST, ROLES, Some(&t), Some(json!({"displayName": "x", "privileges": ["Read Computers", "Fly"]})))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(single_error(&r.body)["description"], "privilege(s) are not valid [Fly]");
    let r = k
        .call(
            Method::PUT,
            "/api/v1/api-roles/2",
            Some(&t),
            Some(json!({"displayName": "Okta 2", "privileges": ["Read Computers"]})),
        )
        .await;
    assert_eq!((r.status, r.body["displayName"].as_str()), (200, Some("Okta 2")));
    let r = k.call(Method::GET, "/api/v1/api-roles/2", Some(&t), None).await;
    assert_eq!(r.body["privileges"], json!(["Read Computers"]));
    for missing in ["/api/v1/api-roles/99", "/api/v1/api-roles/abc"] {
        let r = k.call(Method::GET, missing, Some(&t), None).await;
        assert_eq!(r.status, 404);
        assert_eq!(single_error(&r.body)["code"], "INVALID_ID");
    }
    assert_eq!(k.call(Method::DELETE, "/api/v1/api-roles/2", Some(&t), None).await.status, 204);
    assert_eq!(k.call(Method::GET, "/api/v1/api-roles/2", Some(&t), None).await.status, 404);
}

#[tokio::test]
async fn role_in_use_delete_is_409_or_406() {
    let k = Kit::start().await;
    let t = k.jamf_admin_token().await;
    create_role(&k, &t, "r", &[]).await;
    create_client(&k, &t, "c", &["r"], false).await;
    let r = k.call(Method::DELETE, "/api/v1/api-roles/2", Some(&t), None).await;
    assert_eq!(r.status, 409);
    let s = k.control(Method::PUT, "/_sim/jamf/settings", Some(json!({"roleInUseStatus": 406}))).await;
    assert_eq!(s.body["roleInUseStatus"].as_u64(), Some(406));
    let r = k.call(Method::DELETE, "/api/v1/api-roles/2", Some(&t), None).await;
    assert_eq!((r.status, single_error(&r.body)["code"].as_str()), (406, Some("HAS_DEPENDENCIES")));
    let bad = k.control(Method::PUT, "/_sim/jamf/settings", Some(json!({"roleInUseStatus": 500}))).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn integration_defaults_validation_and_display_name_switch() {
    let k = Kit::start().await;
    let t = k.jamf_admin_token().await;
    create_role(&k, &t, "r", &[]).await;
    let r =
        k.call(Method::POST, CLIENTS, Some(&t), Some(json!({"displayName": "c", "authorizationScopes": ["r"]}))).await;
    assert_eq!(r.status, 200, "create answers 200, not 201");
    let c = r.body;
    assert_eq!(c["id"].as_u64(), Some(2), "integration ids are integers; the seeded client is 1");
    assert_eq!((c["enabled"].as_bool(), c["accessTokenLifetimeSeconds"].as_u64()), (Some(false), Some(300)));
    assert_eq!(c["appType"], "NONE");
    assert!(uuid::Uuid::parse_str(c["clientId"].as_str().unwrap()).is_ok());
    let post = |body: Value| k.call(Method::POST, CLIENTS, Some(&t), Some(body));
    let r = post(json!({"displayName": "c", "authorizationScopes": ["r"]})).await;
    assert!(single_error(&r.body)["description"].as_str().unwrap().contains("must be unique"));
    assert_eq!(post(json!({"displayName": "d", "authorizationScopes": []})).await.status, 400);
    assert_eq!(post(json!({"displayName": "d"})).await.status, 400);
    let r = post(json!({"displayName": "d", "authorizationScopes": ["ghost"]})).await;
    assert_eq!(r.status, 400);
    assert_eq!(post(json!({"authorizationScopes": ["r"]})).await.status, 400);
    k.control(Method::PUT, "/_sim/jamf/settings", Some(json!({"missingDisplayNameStatus": 500}))).await;
    let r = post(json!({"authorizationScopes": ["r"]})).await;
    assert_eq!((r.status, &r.body), (500, &json!({"httpStatus": 500, "errors": []})));
}

#[tokio::test]
async fn secrets_rotate_disable_revokes_and_stale_secrets_are_refused() {
    let k = Kit::start().await;
    let t = k.jamf_admin_token().await;
    create_role(&k, &t, "r", &["Read API Roles"]).await;
    create_client(&k, &t, "c", &["r"], false).await;
    let mint = || k.call(Method::POST, "/api/v1/api-integrations/2/client-credentials", Some(&t), None);
    let r = mint().await;
    assert_eq!(r.status, 400);
    assert_eq!(
        single_error(&r.body)["description"],
        "API Integration is disabled. Enable it first before generating a new client secret."
    );
    assert_eq!(k.call(Method::POST, "/api/v1/api-integrations/9/client-credentials", Some(&t), None).await.status, 404);
    let put = |enabled: bool| {
        k.call(
            Method::PUT,
            "/api/v1/api-integrations/2",
            Some(&t),
            Some(json!({"displayName": "c", "authorizationScopes": ["r"], "enabled": enabled, "accessTokenLifetimeSeconds": 600})),
        )
    };
    assert_eq!(put(true).await.status, 200);
    let first = mint().await.body;
    let cid = first["clientId"].as_str().unwrap().to_owned();
    let s1 = first["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(s1.len(), 64);
    assert!(s1.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let got = k.call(Method::GET, "/api/v1/api-integrations/2", Some(&t), None).await.body;
    assert_eq!((got["appType"].as_str(), got["clientId"].as_str()), (Some("CLIENT_CREDENTIALS"), Some(cid.as_str())));
    let r = k.jamf_token_reply("/api/v1/oauth/token", &cid, &s1).await;
    assert_eq!(r.body["expires_in"].as_u64(), Some(599));
    let s2 = mint().await.body["clientSecret"].as_str().unwrap().to_owned();
    assert_ne!(s1, s2);
    assert_eq!(k.jamf_token_reply("/api/v1/oauth/token", &cid, &s1).await.status, 401, "stale secret");
    assert_eq!(k.jamf_token_reply("/api/v1/oauth/token", &cid, &s2).await.status, 200);
    let r = put(false).await;
    assert_eq!(r.body["appType"], "NONE");
    assert_eq!(k.jamf_token_reply("/api/v1/oauth/token", &cid, &s2).await.status, 401, "disabled");
    put(true).await;
    assert_eq!(k.jamf_token_reply("/api/v1/oauth/token", &cid, &s2).await.status, 401, "revoked for good");
    let dump = k.control(Method::GET, "/_sim/jamf/integrations", None).await.body;
    let c = dump.as_array().unwrap().iter().find(|i| i["id"].as_u64() == Some(2)).unwrap();
    assert_eq!((c["hasValidSecret"].as_bool(), c["secretsIssued"].as_u64()), (Some(false), Some(2)));
}

#[tokio::test]
async fn put_is_a_full_replace_and_role_renames_show_in_scopes() {
    let k = Kit::start().await;
    let t = k.jamf_admin_token().await;
    create_role(&k, &t, "old", &[]).await;
    create_client(&k, &t, "c", &["old"], true).await;
    let r = k
        .call(
            Method::PUT,
            "/api/v1/api-integrations/2",
            Some(&t),
            Some(json!({"displayName": "c", "authorizationScopes": ["old"]})),
        )
        .await;
    assert_eq!((r.body["enabled"].as_bool(), r.body["accessTokenLifetimeSeconds"].as_u64()), (Some(false), Some(300)));
    k.call(Method::PUT, "/api/v1/api-roles/2", Some(&t), Some(json!({"displayName": "new", "privileges": []}))).await;
    let c = k.call(Method::GET, "/api/v1/api-integrations/2", Some(&t), None).await.body;
    assert_eq!(c["authorizationScopes"], json!(["new"]));
}

#[tokio::test]
async fn lists_page_sort_and_filter() {
    let k = Kit::start().await;
    let t = k.jamf_admin_token().await;
    for n in ["beta", "alpha", "gamma", "alpha two"] {
        create_role(&k, &t, n, &[]).await;
    }
    let list = |q: &str| k.call(Method::GET, &format!("{ROLES}?{q}"), Some(&t), None);
    let all = list("").await.body;
    assert_eq!(all["totalCount"].as_u64(), Some(5), "the seeded role is listed");
    assert_eq!(all["results"][0]["displayName"], "mdm-sim admin role");
    let p = list("page=1&page-size=2&sort=displayName:desc").await.body;
    assert_eq!(p["totalCount"].as_u64(), Some(5));
    let names: Vec<&str> =
        p["results"].as_array().unwrap().iter().map(|r| r["displayName"].as_str().unwrap()).collect();
    assert_eq!(names, ["beta", "alpha two"]);
    let f = list(&format!("filter={}", urlencode(r#"displayName=="alpha*""#))).await.body;
    assert_eq!(f["totalCount"].as_u64(), Some(2));
    let f = list(&format!("filter={}&pagesize=1", urlencode("id==2,id==3"))).await.body;
    assert_eq!((f["totalCount"].as_u64(), f["results"].as_array().unwrap().len()), (Some(2), 1));
    let f = list(&format!("filter={}", urlencode("displayName!=*a* and id!=1"))).await.body;
    assert_eq!(f["totalCount"].as_u64(), Some(0));
    assert_eq!(list("filter=name%3D%3Dx").await.status, 400);
    assert_eq!(list("sort=privileges:asc").await.status, 400);
    assert_eq!(list("page=-1").await.status, 400);
    let c = k
        .call(
            Method::GET,
            &format!("{CLIENTS}?filter={}", urlencode("displayName=='mdm-sim admin client'")),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(c.body["totalCount"].as_u64(), Some(1));
    assert_eq!(c.body["results"][0]["id"].as_u64(), Some(1));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn privilege_catalogue_and_search() {
    let k = Kit::start().await;
    let t = k.jamf_admin_token().await;
    let r = k.call(Method::GET, "/api/v1/api-role-privileges", Some(&t), None).await;
    let list: Vec<String> = serde_json::from_value(r.body["privileges"].clone()).unwrap();
    assert_eq!(list.len(), 520);
    let mut sorted = list.clone();
    sorted.sort();
    assert_eq!(list, sorted, "code-point order");
    let search = |q: &str| k.call(Method::GET, &format!("/api/v1/api-role-privileges/search?{q}"), Some(&t), None);
    let r = search("name=Static%20Computer%20Groups").await.body;
    assert_eq!(r["privileges"].as_array().unwrap().len(), 4);
    let r = search("name=Read").await.body;
    assert_eq!(r["privileges"].as_array().unwrap().len(), 15, "limit defaults to \"15\"");
    let r = search("name=Read&limit=3").await.body;
    assert_eq!(r["privileges"].as_array().unwrap().len(), 3);
    assert_eq!(search("limit=3").await.status, 400);
    assert_eq!(search("name=x&limit=many").await.status, 400);
}

#[tokio::test]
async fn custom_catalogue_and_seeded_role() {
    let cfg = SimConfig {
        jamf: JamfSimConfig {
            privileges: Some(vec!["Read API Roles".into(), "b".into(), "A".into()]),
            ..Default::default()
        },
        ..Default::default()
    };
    let k = Kit::with(cfg).await;
    let t = k.jamf_admin_token().await;
    let r = k.call(Method::GET, "/api/v1/api-role-privileges", Some(&t), None).await;
    assert_eq!(r.body["privileges"], json!(["A", "Read API Roles", "b"]));
    let role = k.call(Method::GET, "/api/v1/api-roles/1", Some(&t), None).await.body;
    assert_eq!(role["privileges"], json!(["A", "Read API Roles", "b"]));
}

#[tokio::test]
async fn basic_tokens_keep_alive_and_invalidate() {
    let k = Kit::start().await;
    let a = k.sim.jamf_admin().clone();
    let basic = |u: &str, p: &str| k.http.post(k.url("/api/v1/auth/token")).basic_auth(u, Some(p)).send();
    assert_eq!(basic(&a.username, "wrong").await.unwrap().status(), 401);
    let r = Kit::reply(basic(&a.username, &a.password).await.unwrap()).await;
    assert_eq!(r.status, 200);
    let token = r.body["token"].as_str().unwrap().to_owned();
    let expires = r.body["expires"].as_str().unwrap();
    assert!(expires.ends_with('Z') && expires.len() == 24, "{expires}");
    assert_eq!(k.call(Method::GET, CLIENTS, Some(&token), None).await.status, 200);
    let r = k.call(Method::POST, "/api/v1/auth/keep-alive", Some(&token), None).await;
    let renewed = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(k.call(Method::GET, ROLES, Some(&token), None).await.status, 401, "replaced");
    let r = k.call(Method::POST, "/api/v1/auth/invalidate-token", Some(&renewed), None).await;
    assert_eq!(r.status, 204);
    assert_eq!(k.call(Method::GET, ROLES, Some(&renewed), None).await.status, 401);
    let client_token = k.jamf_admin_token().await;
    let r = k.call(Method::POST, "/api/v1/auth/keep-alive", Some(&client_token), None).await;
    assert_eq!(r.status, 401, "client-credentials tokens cannot be kept alive");
}

#[tokio::test]
async fn tokens_expire_by_ttl_and_by_control() {
    let cfg =
        SimConfig { jamf: JamfSimConfig { token_ttl_seconds: Some(1), ..Default::default() }, ..Default::default() };
    let k = Kit::with(cfg).await;
    let a = k.sim.jamf_admin().clone();
    let r = k.jamf_token_reply("/api/v1/oauth/token", &a.client_id, &a.client_secret).await;
    assert_eq!(r.body["expires_in"].as_u64(), Some(0));
    let t = r.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(k.call(Method::GET, ROLES, Some(&t), None).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(k.call(Method::GET, ROLES, Some(&t), None).await.status, 401);
    k.control(Method::PUT, "/_sim/jamf/settings", Some(json!({"tokenTtlSeconds": null}))).await;
    let t = k.jamf_admin_token().await;
    let r = k.control(Method::POST, "/_sim/jamf/expire-tokens", None).await;
    assert_eq!(r.body["expired"].as_u64(), Some(1));
    assert_eq!(k.call(Method::GET, ROLES, Some(&t), None).await.status, 401);
}

#[tokio::test]
async fn malformed_requests_get_4xx() {
    let k = Kit::start().await;
    let t = k.jamf_admin_token().await;
    let raw = |ct: &str, body: Vec<u8>| {
        k.http.post(k.url(ROLES)).bearer_auth(&t).header("content-type", ct).body(body).send()
    };
    let r = Kit::reply(raw("application/json", b"{not json".to_vec()).await.unwrap()).await;
    assert_eq!(r.status, 400);
    assert!(single_error(&r.body)["description"].as_str().unwrap().starts_with("malformed request body"));
    assert_eq!(raw("text/plain", br#"{"displayName":"x","privileges":[]}"#.to_vec()).await.unwrap().status(), 415);
    assert_eq!(raw("application/json", b"".to_vec()).await.unwrap().status(), 400);
    assert_eq!(raw("application/json", br#"{"displayName":5,"privileges":[]}"#.to_vec()).await.unwrap().status(), 400);
    assert_eq!(raw("application/json", b"[]".to_vec()).await.unwrap().status(), 400);
    let mut big = br#"{"displayName":""#.to_vec();
    big.extend(std::iter::repeat_n(b'a', 2 << 20));
    big.extend(br#"","privileges":[]}"#);
    assert_eq!(raw("application/json", big).await.unwrap().status(), 413);
    let r = k
        .http
        .post(k.url("/api/v1/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 2 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(k.call(Method::GET, "/api/v1/nothing-here", Some(&t), None).await.status, 404);
    assert_eq!(k.call(Method::PATCH, ROLES, Some(&t), None).await.status, 405);
    assert_eq!(k.call(Method::GET, ROLES, Some(&t), None).await.status, 200, "still serving");
}

#[tokio::test]
async fn control_surface_edits_and_reset() {
    let k = Kit::start().await;
    let t = k.jamf_admin_token().await;
    create_role(&k, &t, "r", &[]).await;
    create_role(&k, &t, "s", &[]).await;
    create_client(&k, &t, "c", &["r"], true).await;
    let r = k.control(Method::PATCH, "/_sim/jamf/roles/2", Some(json!({"displayName": "s"}))).await;
    assert_eq!(r.status, 400, "same validation as the API");
    let r = k.control(Method::PATCH, "/_sim/jamf/roles/2", Some(json!({"privileges": ["Nope"]}))).await;
    assert_eq!(r.status, 400);
    let r = k
        .control(
            Method::PATCH,
            "/_sim/jamf/integrations/2",
            Some(json!({"authorizationScopes": ["r", "s"], "accessTokenLifetimeSeconds": 60})),
        )
        .await;
    assert_eq!(r.body["authorizationScopes"], json!(["r", "s"]));
    let rot = k.control(Method::POST, "/_sim/jamf/integrations/2/rotate", None).await.body;
    let secret = rot["clientSecret"].as_str().unwrap().to_owned();
    let r = k.jamf_token_reply("/api/v1/oauth/token", rot["clientId"].as_str().unwrap(), &secret).await;
    assert_eq!(r.body["expires_in"].as_u64(), Some(59));
    // Out-of-band delete of a role in use: the client loses it.
    assert_eq!(k.control(Method::DELETE, "/_sim/jamf/roles/2", None).await.status, 204);
    let c = k.call(Method::GET, "/api/v1/api-integrations/2", Some(&t), None).await.body;
    assert_eq!(c["authorizationScopes"], json!(["s"]));
    let r = k.control(Method::PATCH, "/_sim/jamf/integrations/2", Some(json!({"enabled": false}))).await;
    assert_eq!((r.body["appType"].as_str(), r.body["hasValidSecret"].as_bool()), (Some("NONE"), Some(false)));
    assert_eq!(k.control(Method::POST, "/_sim/jamf/integrations/2/rotate", None).await.status, 400);
    assert_eq!(k.control(Method::DELETE, "/_sim/jamf/integrations/2", None).await.status, 204);
    assert_eq!(k.call(Method::GET, "/api/v1/api-integrations/2", Some(&t), None).await.status, 404);
    assert_eq!(k.control(Method::PATCH, "/_sim/jamf/integrations/9", Some(json!({}))).await.status, 404);
    assert_eq!(k.control(Method::PATCH, "/_sim/jamf/roles/3", Some(json!({"bogus": 1}))).await.status, 400);
    let roles = k.control(Method::GET, "/_sim/jamf/roles", None).await.body;
    assert_eq!(roles[0]["seeded"].as_bool(), Some(true));
    assert_eq!(roles.as_array().unwrap().len(), 2);
    // Reset: seeded objects only, counters from the start, same credentials.
    assert_eq!(k.control(Method::POST, "/_sim/reset", None).await.status, 200);
    let roles = k.control(Method::GET, "/_sim/jamf/roles", None).await.body;
    assert_eq!(roles.as_array().unwrap().len(), 1);
    let t = k.jamf_admin_token().await;
    assert_eq!(create_role(&k, &t, "again", &[]).await["id"], "2");
}
