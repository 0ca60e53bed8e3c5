//! The API clients against the simulator: whole lifecycles with the vendors' quirks, secrets
//! that stop working, and faults the clients must ride out without losing or duplicating objects.

use std::time::Duration;

use mdm_sim::{SimConfig, SimHandle, Simulator};
use mdmkit::jamf::client::{IntegrationRequest, JamfAuth, JamfClient, JamfConfig, JamfErrorKind, RoleRequest};
use mdmkit::maas360::client::{Maas360Client, Maas360Config, Maas360ErrorKind, NewAdministrator};
use mdmkit::rest::{ExposeSecret, RetryPolicy, SecretString};
use serde_json::{Value, json};

async fn sim() -> SimHandle {
    Simulator::start("127.0.0.1:0".parse().unwrap(), SimConfig::default()).await.unwrap()
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        min_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        max_elapsed: Duration::from_secs(20),
    }
}

fn jamf(sim: &SimHandle) -> JamfClient {
    let a = sim.jamf_admin();
    jamf_as(sim, &a.client_id, &a.client_secret)
}

fn jamf_as(sim: &SimHandle, id: &str, secret: &str) -> JamfClient {
    JamfClient::new(JamfConfig {
        retry: fast_retry(),
        ..JamfConfig::new(
            sim.url(),
            JamfAuth::ClientCredentials { client_id: id.into(), client_secret: SecretString::from(secret.to_string()) },
        )
    })
    .unwrap()
}

async fn control(sim: &SimHandle, method: reqwest::Method, path: &str, body: Value) -> Value {
    let resp = reqwest::Client::new().request(method, format!("{}{path}", sim.url())).json(&body).send().await.unwrap();
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.unwrap_or(Value::Null)
}

async fn dump(sim: &SimHandle, kind: &str) -> Vec<Value> {
    let v = reqwest::get(format!("{}/_sim/jamf/{kind}", sim.url())).await.unwrap().json::<Value>().await.unwrap();
    v.as_array().unwrap().iter().filter(|o| o["seeded"] != true).cloned().collect()
}

fn role(name: &str, privileges: &[&str]) -> RoleRequest {
    RoleRequest { display_name: name.into(), privileges: privileges.iter().map(|p| p.to_string()).collect() }
}

fn integration(name: &str, roles: &[&str], enabled: bool) -> IntegrationRequest {
    IntegrationRequest {
        display_name: name.into(),
        authorization_scopes: roles.iter().map(|r| r.to_string()).collect(),
        enabled,
        access_token_lifetime_seconds: None,
    }
}

#[tokio::test]
async fn jamf_roles_lifecycle_with_the_quirks() {
    let sim = sim().await;
    let c = jamf(&sim);
    let created = c.create_role(&role("Vendor", &["Read Mobile Devices", "Read Computers"])).await.unwrap();
    // Ids are JSON strings; privileges come back in another order.
    assert!(created.id.parse::<u64>().is_ok());
    assert_eq!(created.privileges, vec!["Read Computers", "Read Mobile Devices"]);
    // The name is taken before anything is sent: a conflict naming the existing role.
    assert!(
        matches!(c.create_role(&role("Vendor", &["Read Computers"])).await, Err(e) if matches!(e.kind(), JamfErrorKind::NameTaken { sent: false, .. }))
    );
    let bad = c.create_role(&role("Other", &["Read Computres"])).await.unwrap_err();
    assert!(
        matches!(bad.kind(), JamfErrorKind::InvalidPrivileges { privileges, .. } if privileges == &["Read Computres"]),
        "{bad:?}"
    );

    // A client holds the role; a rename shows on the client; delete is refused while in use.
    c.create_integration(&integration("Vendor client", &["Vendor"], true)).await.unwrap();
    c.update_role(&created.id, &role("Vendor renamed", &["Read Computers"])).await.unwrap();
    let clients = c.find_integrations_by_display_name("Vendor client").await.unwrap();
    assert_eq!(clients[0].authorization_scopes, vec!["Vendor renamed"]);
    assert!(
        matches!(c.delete_role(&created.id).await, Err(e) if matches!(e.kind(), JamfErrorKind::InUse { .. }) && e.status() == Some(409))
    );
    control(&sim, reqwest::Method::PUT, "/_sim/jamf/settings", json!({"roleInUseStatus": 406})).await;
    assert!(
        matches!(c.delete_role(&created.id).await, Err(e) if matches!(e.kind(), JamfErrorKind::InUse { .. }) && e.status() == Some(406))
    );
    c.delete_integration(&clients[0].id).await.unwrap();
    c.delete_role(&created.id).await.unwrap();
    assert!(c.get_role(&created.id).await.unwrap_err().is_not_found());
    assert!(c.list_roles().await.unwrap().iter().all(|r| r.display_name != "Vendor renamed"));
}

#[tokio::test]
async fn jamf_secrets_rotate_and_die_with_a_disabled_client() {
    let sim = sim().await;
    let c = jamf(&sim);
    c.create_role(&role("Reader", &["Read API Roles"])).await.unwrap();
    let created = c.create_integration(&integration("Reader client", &["Reader"], true)).await.unwrap();
    // Jamf's defaults and the client id assigned at create.
    assert_eq!(created.access_token_lifetime_seconds, Some(300));
    assert_eq!(created.app_type.as_str(), "NONE");
    assert!(!created.client_id.is_empty());
    let first = c.mint_client_credentials(&created.id).await.unwrap();
    assert_eq!(first.client_id, created.client_id);
    let vendor = jamf_as(&sim, &first.client_id, first.client_secret.expose_secret());
    vendor.list_privileges().await.expect("the secret works");

    // Rotation: the first secret stops working, the second works.
    let second = c.mint_client_credentials(&created.id).await.unwrap();
    let old = jamf_as(&sim, &first.client_id, first.client_secret.expose_secret());
    assert!(matches!(old.list_privileges().await, Err(e) if e.is_auth()));
    let new = jamf_as(&sim, &second.client_id, second.client_secret.expose_secret());
    new.list_privileges().await.unwrap();

    // Disabling revokes the secret; minting for a disabled client is refused.
    c.update_integration(
        &created.id,
        &IntegrationRequest {
            access_token_lifetime_seconds: Some(300),
            ..integration("Reader client", &["Reader"], false)
        },
    )
    .await
    .unwrap();
    let again = jamf_as(&sim, &second.client_id, second.client_secret.expose_secret());
    assert!(matches!(again.list_privileges().await, Err(e) if e.is_auth()));
    assert!(
        matches!(c.mint_client_credentials(&created.id).await, Err(e) if matches!(e.kind(), JamfErrorKind::ClientDisabled { .. }))
    );
    assert_eq!(c.get_integration(&created.id).await.unwrap().app_type.as_str(), "NONE");
}

#[tokio::test]
async fn jamf_creates_whose_answer_is_lost_are_neither_lost_nor_duplicated() {
    let sim = sim().await;
    let c = jamf(&sim);
    c.list_roles().await.unwrap(); // token first, so the faults hit the creates
    // The role is created, then the connection drops before the answer.
    // `only`: the answer lost is the create's, not that of the name lookup before it.
    let lost_create = |route: &str| json!({"lostResponses": {"count": 1, "only": route}});
    control(&sim, reqwest::Method::PUT, "/_sim/jamf/faults", lost_create("POST /api/v1/api-roles")).await;
    let r = c.create_role(&role("Lost answer", &["Read Computers"])).await.unwrap();
    assert_eq!(dump(&sim, "roles").await.len(), 1, "exactly one role");
    assert_eq!(r.display_name, "Lost answer");
    // The connection drops before the server acts: sent again, still exactly one.
    control(
        &sim,
        reqwest::Method::PUT,
        "/_sim/jamf/faults",
        json!({"dropConnections": {"count": 1, "only": "POST /api/v1/api-roles"}}),
    )
    .await;
    c.create_role(&role("Dropped", &["Read Computers"])).await.unwrap();
    assert_eq!(dump(&sim, "roles").await.len(), 2);
    // The same for an API client, and a secret whose answer is lost is minted again.
    control(&sim, reqwest::Method::PUT, "/_sim/jamf/faults", lost_create("POST /api/v1/api-integrations")).await;
    let i = c.create_integration(&integration("Lost client", &["Lost answer"], true)).await.unwrap();
    assert_eq!(dump(&sim, "integrations").await.len(), 1);
    control(&sim, reqwest::Method::PUT, "/_sim/jamf/faults", json!({"lostResponses": {"count": 1}})).await;
    let creds = c.mint_client_credentials(&i.id).await.unwrap();
    let integrations = dump(&sim, "integrations").await;
    assert_eq!(integrations[0]["secretsIssued"], 2, "minted twice: the lost one and the one returned");
    // The secret handed back is the one that works.
    let vendor = jamf_as(&sim, &creds.client_id, creds.client_secret.expose_secret());
    assert!(!matches!(vendor.list_privileges().await, Err(e) if e.is_auth()));
    // A role that already has the name is never adopted, even when the create's answer would
    // be lost: nothing is sent (this once adopted a pre-existing role with the same privileges).
    control(&sim, reqwest::Method::PUT, "/_sim/jamf/faults", lost_create("POST /api/v1/api-roles")).await;
    let e = c.create_role(&role("Dropped", &["Read Computers"])).await.unwrap_err();
    assert!(matches!(e.kind(), JamfErrorKind::NameTaken { sent: false, .. }), "{e:?}");
    assert_eq!(dump(&sim, "roles").await.len(), 2);
}

#[tokio::test]
async fn jamf_replication_lag_after_create_is_absorbed() {
    let sim = sim().await;
    let c = jamf(&sim);
    c.create_role(&role("Lag", &["Read Computers"])).await.unwrap();
    control(&sim, reqwest::Method::PUT, "/_sim/jamf/faults", json!({"notFoundAfterCreate": 2})).await;
    let i = c.create_integration(&integration("Lag client", &["Lag"], true)).await.unwrap();
    // The next two requests addressing the new client answer 404; the mint rides them out.
    c.mint_client_credentials(&i.id).await.unwrap();
    let stats: Value = reqwest::get(format!("{}/_sim/jamf/stats", sim.url())).await.unwrap().json().await.unwrap();
    assert_eq!(stats["faultsInjected"]["notFoundAfterCreate"], 2);
}

fn maas(sim: &SimHandle) -> Maas360Client {
    let a = sim.maas360_admin();
    Maas360Client::new(Maas360Config {
        base_url: Some(sim.url()),
        billing_id: a.billing_id.clone(),
        app_id: a.app_id.clone(),
        app_version: a.app_version.clone(),
        platform_id: a.platform_id.clone(),
        app_access_key: SecretString::from(a.app_access_key.clone()),
        username: a.username.clone(),
        password: SecretString::from(a.password.clone()),
        retry: fast_retry(),
        ..Maas360Config::default()
    })
    .unwrap()
}

fn admin(username: &str) -> NewAdministrator {
    NewAdministrator {
        username: username.into(),
        email: "it@example.com".into(),
        roles: vec!["Read-Only".into()],
        first_name: None,
        last_name: None,
    }
}

#[tokio::test]
async fn maas360_administrator_lifecycle_and_verification() {
    let sim = sim().await;
    let c = maas(&sim);
    assert!(c.check_admin_account_availability("Vendor_SO").await.unwrap());
    c.create_administrator(&admin("Vendor_SO")).await.unwrap();
    assert!(!c.check_admin_account_availability("Vendor_SO").await.unwrap());
    let taken = c.create_administrator(&admin("Vendor_SO")).await.unwrap_err();
    assert!(matches!(taken.kind(), Maas360ErrorKind::UsernameTaken { .. }), "{taken:?}");
    // No password yet: the sign-in is refused inside an HTTP 200.
    let pw = SecretString::from("Vendor-Pass-1".to_string());
    assert!(c.verify_credentials("Vendor_SO", &pw).await.unwrap_err().is_invalid_credentials());
    control(
        &sim,
        reqwest::Method::POST,
        "/_sim/maas360/admins/Vendor_SO/set-password",
        json!({"password": "Vendor-Pass-1"}),
    )
    .await;
    control(&sim, reqwest::Method::POST, "/_sim/maas360/admins/Vendor_SO/convert-to-script-only", json!({})).await;
    c.verify_credentials("Vendor_SO", &pw).await.unwrap();
    // Token expiry mid-run: one new sign-in.
    let before = c.tokens_minted();
    control(&sim, reqwest::Method::POST, "/_sim/maas360/expire-tokens", json!({})).await;
    c.check_admin_account_availability("Vendor_SO").await.unwrap();
    assert_eq!(c.tokens_minted(), before + 1);
    // Deleted in the portal: the username is free again.
    reqwest::Client::new()
        .delete(format!("{}/_sim/maas360/admins/Vendor_SO", sim.url()))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    assert!(c.check_admin_account_availability("Vendor_SO").await.unwrap());
}

#[tokio::test]
async fn maas360_create_whose_answer_is_lost_is_not_duplicated() {
    let sim = sim().await;
    let c = maas(&sim);
    c.authenticate().await.unwrap();
    control(&sim, reqwest::Method::PUT, "/_sim/maas360/faults", json!({"lostResponses": {"count": 1}})).await;
    c.create_administrator(&admin("Lost_SO")).await.unwrap();
    let admins: Value = reqwest::get(format!("{}/_sim/maas360/admins", sim.url())).await.unwrap().json().await.unwrap();
    let matching = admins.as_array().unwrap().iter().filter(|a| a["username"] == "Lost_SO").count();
    assert_eq!(matching, 1);
}

// ----- plan-time rules against the simulator's ---------------------------------------------

/// The provider's plan-time password rule (`maas360_script_user`) against the simulator's portal rule.
#[test]
fn the_plan_time_rule_is_never_stricter_than_the_portal() {
    // The simulator's set-password rule stands in for the portal's. Control characters are
    // the one deliberate difference (they cannot be sent in an XML sign-in body).
    for p in [
        "Passw0rd word",
        "Passw0rd!",
        "Пароль12!",
        "short1!",
        "12345678!",
        "Password!",
        "Passw0rdXY",
        "        ",
        "aaaa 1111",
        "Ab1!Ab1!",
    ] {
        let portal = mdm_sim::maas360::check_password_rule(p).is_ok();
        assert_eq!(
            mdmkit::maas360::password::password_problems(p).is_empty(),
            portal,
            "{p:?}: the portal says {portal}"
        );
    }
    assert!(!mdmkit::maas360::password::password_problems("Passw0rd\u{7}x").is_empty());
}
