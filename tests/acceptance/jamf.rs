//! Acceptance tests of terraform-provider-jamf: real terraform, the real provider binary, the
//! simulator in this process. Each test has its own simulator (port 0) and working directory.

use std::time::{Duration, Instant};

use crate::common::ClosedPort;
use crate::common::acc::{Acc, flat, many, planned_actions, requests};
use reqwest::Method;
use serde_json::{Value, json};

const VENDOR: &str = r#"
resource "jamf_api_role" "vendor" {
  display_name = "Vendor Integration"
  privileges   = ["Read Computers", "Read Mobile Devices"]
}

resource "jamf_api_client" "vendor" {
  display_name         = "Vendor"
  authorization_scopes = [jamf_api_role.vendor.display_name]
}

resource "jamf_client_secret" "vendor" {
  api_client_id = jamf_api_client.vendor.id
}
"#;

/// A role, a client holding it and a secret, with the parts that tests vary.
fn vendor(role_name: &str, privileges: &[&str], client_extra: &str, secret_extra: &str) -> String {
    let privileges = privileges.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>().join(", ");
    format!(
        r#"
resource "jamf_api_role" "vendor" {{
  display_name = {role_name:?}
  privileges   = [{privileges}]
}}

resource "jamf_api_client" "vendor" {{
  display_name         = "Vendor"
  authorization_scopes = [jamf_api_role.vendor.display_name]
  {client_extra}
}}

resource "jamf_client_secret" "vendor" {{
  api_client_id = jamf_api_client.vendor.id
  {secret_extra}
}}
"#
    )
}

/// `attr` of `address` in the state, as a string.
async fn state_str(acc: &Acc, address: &str, attr: &str) -> String {
    let v = acc.wd.resource_values(address).await;
    match &v[attr] {
        Value::String(s) => s.clone(),
        other => panic!("{address}.{attr} is not a string: {other}"),
    }
}

/// The secret in state and whether the simulator's token endpoint accepts it.
async fn secret_works(acc: &Acc) -> (String, String, bool) {
    let s = acc.wd.resource_values("jamf_client_secret.vendor").await;
    let id = s["client_id"].as_str().expect("client_id").to_string();
    let secret = s["client_secret"].as_str().expect("client_secret").to_string();
    let ok = acc.oauth_token(&id, &secret).await.status == 200;
    (id, secret, ok)
}

#[track_caller]
fn assert_plan_code(out: &crate::common::terraform::TfOutput, code: i32) {
    assert_eq!(out.code, code, "plan exit code (0 none, 1 error, 2 changes):\n{}", out.combined());
}

// ----- 1. create, then nothing to do -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_role_client_secret_then_plan_is_empty() {
    let Some(acc) = Acc::start("create_role_client_secret_then_plan_is_empty").await else { return };
    acc.config(VENDOR);
    acc.wd.apply().await.ok();
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 0);
    let client = acc.wd.resource_values("jamf_api_client.vendor").await;
    assert_eq!(client["access_token_lifetime_seconds"], 300);
    assert_eq!(client["enabled"], true);
    let secret = acc.wd.resource_values("jamf_client_secret.vendor").await;
    assert_eq!(secret["client_id"], client["client_id"]);
    let integrations = acc.jamf_objects("integrations").await;
    assert_eq!(integrations.len(), 1);
    assert_eq!(integrations[0]["hasValidSecret"], true);
    assert_eq!(integrations[0]["secretsIssued"], 1, "one secret minted, none on refresh");
    let (_, _, ok) = secret_works(&acc).await;
    assert!(ok, "the minted secret obtains a token");
}

// ----- 2. rename a role in place -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_role_in_place_keeps_id_client_and_secret() {
    let Some(acc) = Acc::start("rename_role_in_place_keeps_id_client_and_secret").await else { return };
    acc.config(&vendor("Vendor Integration", &["Read Computers"], "", ""));
    acc.wd.apply().await.ok();
    let role_id = state_str(&acc, "jamf_api_role.vendor", "id").await;
    let client_id = state_str(&acc, "jamf_api_client.vendor", "id").await;
    let (_, secret_before, _) = secret_works(&acc).await;

    acc.config(&vendor("Vendor Integration (renamed)", &["Read Computers"], "", ""));
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_api_role.vendor"), ["update"]);
    assert_eq!(planned_actions(&plan, "jamf_api_client.vendor"), ["update"]);
    // The role set is the same role under a new name: no new secret, only its new name.
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["update"]);
    acc.wd.apply().await.ok();

    assert_eq!(state_str(&acc, "jamf_api_role.vendor", "id").await, role_id, "renamed in place");
    assert_eq!(state_str(&acc, "jamf_api_client.vendor", "id").await, client_id);
    let client = acc.wd.resource_values("jamf_api_client.vendor").await;
    assert_eq!(client["authorization_scopes"], json!(["Vendor Integration (renamed)"]));
    let (_, secret_after, ok) = secret_works(&acc).await;
    assert_eq!(secret_after, secret_before, "renaming a role must not rotate the secret");
    assert!(ok);
    acc.assert_no_drift("rename_role_in_place_keeps_id_client_and_secret").await;
    assert_eq!(acc.jamf_objects("integrations").await[0]["secretsIssued"], 1);
}

// ----- 3. add a privilege in place -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_privilege_in_place() {
    let Some(acc) = Acc::start("add_privilege_in_place").await else { return };
    acc.config(&vendor("Vendor Integration", &["Read Computers"], "", ""));
    acc.wd.apply().await.ok();
    let role_id = state_str(&acc, "jamf_api_role.vendor", "id").await;
    let (_, secret_before, _) = secret_works(&acc).await;

    acc.config(&vendor("Vendor Integration", &["Read Computers", "Read Buildings"], "", ""));
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_api_role.vendor"), ["update"]);
    assert_eq!(planned_actions(&plan, "jamf_api_client.vendor"), ["no-op"]);
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["no-op"], "privilege edits apply live");
    acc.wd.apply().await.ok();
    assert_eq!(state_str(&acc, "jamf_api_role.vendor", "id").await, role_id);
    let role = acc.jamf_object("roles", &role_id).await.expect("role");
    assert_eq!(role["privileges"], json!(["Read Buildings", "Read Computers"]));
    assert_eq!(secret_works(&acc).await.1, secret_before);
    acc.assert_no_drift("add_privilege_in_place").await;
}

// ----- 4. privileges are a set -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reordered_privileges_make_no_diff() {
    let Some(acc) = Acc::start("reordered_privileges_make_no_diff").await else { return };
    let given = ["Update Computers", "Read Mobile Devices", "Read Computers"];
    acc.config(&vendor("Vendor Integration", &given, "", ""));
    acc.wd.apply().await.ok();
    let role_id = state_str(&acc, "jamf_api_role.vendor", "id").await;
    // The simulator hands them back in another order than sent.
    let role = acc.jamf_object("roles", &role_id).await.expect("role");
    let returned: Vec<&str> = role["privileges"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert_ne!(returned, given, "the server reorders");
    acc.assert_no_drift("reordered_privileges_make_no_diff").await;
    // Reordering in HCL is no change either.
    acc.config(&vendor("Vendor Integration", &["Read Computers", "Update Computers", "Read Mobile Devices"], "", ""));
    acc.assert_no_drift("reordered_privileges_make_no_diff").await;
}

// ----- 5. unknown privilege at plan time -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_privilege_fails_the_plan_with_a_suggestion() {
    let Some(acc) = Acc::start("unknown_privilege_fails_the_plan_with_a_suggestion").await else { return };
    acc.config(&vendor("Vendor Integration", &["Read Computers", "Read Computres"], "", ""));
    acc.reset_stats("jamf").await;
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 1);
    let out = flat(&plan.combined());
    assert!(out.contains("Unknown Jamf Pro privilege"), "{out}");
    assert!(out.contains("Did you mean \"Read Computers\"?"), "{out}");
    // The diagnostic points at the attribute in the configuration (a set element has no source
    // range of its own, so Terraform shows the attribute's).
    assert!(out.contains(r#": privileges = ["Read Computers", "Read Computres"]"#), "{out}");
    assert!(out.contains("with jamf_api_role.vendor"), "{out}");
    assert!(out.contains("\"Read Computres\""), "{out}");
    let stats = acc.stats("jamf").await;
    assert_eq!(requests(&stats, "POST /api/v1/api-roles"), 0, "nothing is created by a plan");
    // Apply stops at the same plan-time error: nothing created.
    let apply = acc.wd.apply().await;
    assert_eq!(apply.code, 1, "{}", apply.combined());
    assert!(acc.jamf_objects("roles").await.is_empty());
    assert!(acc.jamf_objects("integrations").await.is_empty());
}

// ----- 6. duplicate display names -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_display_name_is_a_clear_error() {
    let Some(acc) = Acc::start("duplicate_display_name_is_a_clear_error").await else { return };
    // Created out of band.
    let r = acc
        .jamf_api(
            Method::POST,
            "/api/v1/api-roles",
            Some(json!({"displayName": "Vendor Integration", "privileges": ["Read Computers"]})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let existing_id = r.body["id"].as_str().unwrap().to_string();
    acc.config(VENDOR);
    let apply = acc.wd.apply().await;
    assert_eq!(apply.code, 1, "{}", apply.combined());
    let out = flat(&apply.combined());
    assert!(out.contains("API role display name already in use"), "{out}");
    assert!(out.contains("\"Vendor Integration\""), "{out}");
    assert!(out.contains(&format!("id {existing_id}")), "names the existing role: {out}");
    assert!(out.contains("terraform import"), "offers adoption: {out}");
    assert!(out.contains("display_name"), "{out}");

    // Two resources of this configuration with the same name.
    let Some(acc) = Acc::start("duplicate_display_name_is_a_clear_error/second").await else { return };
    acc.config(
        r#"
resource "jamf_api_role" "a" {
  display_name = "Same"
  privileges   = ["Read Computers"]
}
resource "jamf_api_role" "b" {
  display_name = "Same"
  privileges   = ["Read Buildings"]
}
"#,
    );
    // Caught by the plan now (issue 17 §3), before either is created, and never answered with
    // an import of the other resource of this configuration.
    let apply = acc.wd.apply().await;
    assert_eq!(apply.code, 1, "{}", apply.combined());
    let out = flat(&apply.combined());
    assert!(out.contains("Duplicate API role display name in this configuration"), "{out}");
    assert!(out.contains("Two jamf_api_role resources in this configuration set display_name = \"Same\""), "{out}");
    assert!(!out.contains("terraform import"), "{out}");
    assert!(acc.jamf_objects("roles").await.is_empty(), "neither was created");
}

// ----- 7. the default token lifetime -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn omitted_lifetime_absorbs_the_default_then_updates_in_place() {
    let Some(acc) = Acc::start("omitted_lifetime_absorbs_the_default_then_updates_in_place").await else { return };
    acc.config(VENDOR);
    acc.wd.apply().await.ok();
    assert_eq!(acc.wd.resource_values("jamf_api_client.vendor").await["access_token_lifetime_seconds"], 300);
    acc.assert_no_drift("omitted_lifetime_absorbs_the_default_then_updates_in_place").await;
    let id = state_str(&acc, "jamf_api_client.vendor", "id").await;
    let (_, secret_before, _) = secret_works(&acc).await;

    acc.config(&vendor(
        "Vendor Integration",
        &["Read Computers", "Read Mobile Devices"],
        "access_token_lifetime_seconds = 1800",
        "",
    ));
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_api_client.vendor"), ["update"]);
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["no-op"]);
    acc.wd.apply().await.ok();
    assert_eq!(state_str(&acc, "jamf_api_client.vendor", "id").await, id);
    let i = acc.jamf_object("integrations", &id).await.unwrap();
    assert_eq!(i["accessTokenLifetimeSeconds"], 1800);
    let (cid, secret_after, _) = secret_works(&acc).await;
    assert_eq!(secret_after, secret_before);
    let token = acc.oauth_token(&cid, &secret_after).await;
    assert_eq!(token.body["expires_in"], 1799);
    acc.assert_no_drift("omitted_lifetime_absorbs_the_default_then_updates_in_place").await;
}

// ----- 9. rotation on demand -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_a_keeper_rotates_the_secret() {
    let Some(acc) = Acc::start("changing_a_keeper_rotates_the_secret").await else { return };
    let privileges = ["Read Computers"];
    acc.config(&vendor("Vendor Integration", &privileges, "", r#"keepers = { rotation = "2026-q1" }"#));
    acc.wd.apply().await.ok();
    let (cid, old_secret, ok) = secret_works(&acc).await;
    assert!(ok);

    acc.config(&vendor("Vendor Integration", &privileges, "", r#"keepers = { rotation = "2026-q2" }"#));
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["delete", "create"]);
    assert_eq!(planned_actions(&plan, "jamf_api_client.vendor"), ["no-op"]);
    acc.wd.apply().await.ok();
    let (_, new_secret, ok) = secret_works(&acc).await;
    assert_ne!(new_secret, old_secret);
    assert!(ok, "the new secret works");
    assert_eq!(acc.oauth_token(&cid, &old_secret).await.status, 401, "the old one is refused");
    acc.assert_no_drift("changing_a_keeper_rotates_the_secret").await;
}

// ----- 10. a change of the client's roles needs a new secret -----

const TWO_ROLES: &str = r#"
resource "jamf_api_role" "roles" {
  display_name = "Reads roles"
  privileges   = ["Read API Roles"]
}

resource "jamf_api_role" "clients" {
  display_name = "Reads clients"
  privileges   = ["Read API Integrations"]
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_clients_roles_replaces_the_secret_in_the_same_plan() {
    let Some(acc) = Acc::start("changing_the_clients_roles_replaces_the_secret_in_the_same_plan").await else {
        return;
    };
    let with_scopes = |scopes: &str| {
        format!(
            r#"{TWO_ROLES}
resource "jamf_api_client" "vendor" {{
  display_name         = "Vendor"
  authorization_scopes = [{scopes}]
}}

resource "jamf_client_secret" "vendor" {{
  api_client_id = jamf_api_client.vendor.id
}}
"#
        )
    };
    acc.config(&with_scopes("jamf_api_role.roles.display_name"));
    acc.wd.apply().await.ok();
    let (cid, old_secret, _) = secret_works(&acc).await;
    let token = acc.oauth_token(&cid, &old_secret).await.body["access_token"].as_str().unwrap().to_string();
    assert_eq!(acc.jamf_api_with(&token, Method::GET, "/api/v1/api-roles", None).await.status, 200);
    assert_eq!(acc.jamf_api_with(&token, Method::GET, "/api/v1/api-integrations", None).await.status, 403);

    acc.config(&with_scopes("jamf_api_role.clients.display_name"));
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_api_client.vendor"), ["update"]);
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["delete", "create"]);
    acc.wd.apply().await.ok();

    let (_, new_secret, ok) = secret_works(&acc).await;
    assert!(ok);
    assert_ne!(new_secret, old_secret);
    let clients_role = state_str(&acc, "jamf_api_role.clients", "id").await;
    let grant = acc.oauth_token(&cid, &new_secret).await;
    assert_eq!(grant.body["scope"], format!("api-role:{clients_role}"), "{:?}", grant.body);
    let token = grant.body["access_token"].as_str().unwrap().to_string();
    assert_eq!(acc.jamf_api_with(&token, Method::GET, "/api/v1/api-integrations", None).await.status, 200);
    assert_eq!(acc.jamf_api_with(&token, Method::GET, "/api/v1/api-roles", None).await.status, 403);
    let secret = acc.wd.resource_values("jamf_client_secret.vendor").await;
    assert_eq!(secret["authorization_scopes"], json!(["Reads clients"]));
    acc.assert_no_drift("changing_the_clients_roles_replaces_the_secret_in_the_same_plan").await;

    // Adding a second role: the same again.
    acc.config(&with_scopes("jamf_api_role.clients.display_name, jamf_api_role.roles.display_name"));
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["delete", "create"]);
    acc.wd.apply().await.ok();
    let (_, third, ok) = secret_works(&acc).await;
    assert!(ok);
    let grant = acc.oauth_token(&cid, &third).await;
    assert_eq!(grant.body["scope"].as_str().unwrap().split(' ').count(), 2, "{:?}", grant.body);
    acc.assert_no_drift("changing_the_clients_roles_replaces_the_secret_in_the_same_plan").await;
}

// ----- 11. out-of-band deletes -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_band_deletes_plan_a_recreate_without_waiting() {
    let Some(acc) = Acc::start("out_of_band_deletes_plan_a_recreate_without_waiting").await else { return };
    acc.config(VENDOR);
    acc.wd.apply().await.ok();
    let role_id = state_str(&acc, "jamf_api_role.vendor", "id").await;
    let client_id = state_str(&acc, "jamf_api_client.vendor", "id").await;
    // Objects created moments ago that answer 404 are taken for replication lag (kept, with a
    // warning): these are deleted long after their creation.
    acc.age_private_state(Duration::from_secs(600));

    // The role goes.
    acc.delete(&format!("/_sim/jamf/roles/{role_id}")).await;
    acc.reset_stats("jamf").await;
    let started = Instant::now();
    let plan = acc.plan_json().await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "plan took {took:?}");
    assert_eq!(planned_actions(&plan, "jamf_api_role.vendor"), ["create"]);
    assert_eq!(planned_actions(&plan, "jamf_api_client.vendor"), ["update"]);
    // The secret's tokens carried the deleted role: a new one is needed for the recreated role.
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["delete", "create"]);
    let stats = acc.stats("jamf").await;
    // The role's read and the secret's read each confirm the absence once; a 404 is not retried.
    let gets = requests(&stats, "GET /api/v1/api-roles/{id}");
    assert!((1..=2).contains(&gets), "{stats:#}");
    assert_eq!(stats["responses"]["404"].as_u64(), Some(gets), "{stats:#}");
    acc.wd.apply().await.ok();
    assert!(secret_works(&acc).await.2);
    acc.assert_no_drift("out_of_band_deletes_plan_a_recreate_without_waiting").await;
    acc.age_private_state(Duration::from_secs(600));

    // The client goes.
    acc.delete(&format!("/_sim/jamf/integrations/{client_id}")).await;
    acc.reset_stats("jamf").await;
    let started = Instant::now();
    let plan = acc.plan_json().await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "plan took {took:?}");
    assert_eq!(planned_actions(&plan, "jamf_api_client.vendor"), ["create"]);
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["create"]);
    assert_eq!(planned_actions(&plan, "jamf_api_role.vendor"), ["no-op"]);
    let stats = acc.stats("jamf").await;
    assert!(requests(&stats, "GET /api/v1/api-integrations/{id}") <= 2, "no retries: {stats:#}");
    acc.wd.apply().await.ok();
    assert_ne!(state_str(&acc, "jamf_api_client.vendor", "id").await, client_id);
    assert!(secret_works(&acc).await.2);
    acc.assert_no_drift("out_of_band_deletes_plan_a_recreate_without_waiting").await;
}

// ----- 12. out-of-band edits -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_band_edits_show_as_drift() {
    let Some(acc) = Acc::start("out_of_band_edits_show_as_drift").await else { return };
    acc.config(&vendor("Vendor Integration", &["Read Computers"], "access_token_lifetime_seconds = 600", ""));
    acc.wd.apply().await.ok();
    let role_id = state_str(&acc, "jamf_api_role.vendor", "id").await;
    let client_id = state_str(&acc, "jamf_api_client.vendor", "id").await;

    let cases: [(&str, Value, &str, &str); 3] = [
        ("roles", json!({"displayName": "Renamed by hand"}), "jamf_api_role.vendor", "display_name"),
        ("roles", json!({"privileges": ["Read Computers", "Delete Computers"]}), "jamf_api_role.vendor", "privileges"),
        (
            "integrations",
            json!({"accessTokenLifetimeSeconds": 60}),
            "jamf_api_client.vendor",
            "access_token_lifetime_seconds",
        ),
    ];
    for (kind, patch, address, attr) in cases {
        let id = if kind == "roles" { &role_id } else { &client_id };
        acc.patch(&format!("/_sim/jamf/{kind}/{id}"), patch.clone()).await;
        let plan = acc.wd.plan_exitcode().await;
        assert_plan_code(&plan, 2);
        let out = flat(&plan.combined());
        assert!(out.contains(&format!("# {address} will be updated in-place")), "{patch}: {out}");
        assert!(out.contains(attr), "{patch}: {out}");
        acc.wd.apply().await.ok();
        acc.assert_no_drift("out_of_band_edits_show_as_drift").await;
    }
    let role = acc.jamf_object("roles", &role_id).await.unwrap();
    assert_eq!(role["displayName"], "Vendor Integration");
    assert_eq!(role["privileges"], json!(["Read Computers"]));
    assert_eq!(acc.jamf_object("integrations", &client_id).await.unwrap()["accessTokenLifetimeSeconds"], 600);
}

// ----- 13. a role in use -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroying_a_role_in_use_names_the_clients() {
    let Some(acc) = Acc::start("destroying_a_role_in_use_names_the_clients").await else { return };
    acc.config(
        r#"
resource "jamf_api_role" "shared" {
  display_name = "Shared Role"
  privileges   = ["Read Computers"]
}
"#,
    );
    acc.wd.apply().await.ok();
    // Another tool assigns the role to its own client.
    let r = acc
        .jamf_api(
            Method::POST,
            "/api/v1/api-integrations",
            Some(json!({"displayName": "Someone Else's Client", "authorizationScopes": ["Shared Role"], "enabled": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let destroy = acc.wd.destroy().await;
    assert_eq!(destroy.code, 1, "{}", destroy.combined());
    let out = flat(&destroy.combined());
    assert!(out.contains("API role still in use"), "{out}");
    assert!(out.contains("\"Someone Else's Client\""), "names the client: {out}");
    assert!(out.contains(&format!("id {}", r.body["id"])), "{out}");
    assert!(
        out.contains("replace each literal in its authorization_scopes by a reference to the role resource"),
        "says how to fix configuration written by -generate-config-out: {out}"
    );
    assert_eq!(acc.jamf_objects("roles").await.len(), 1, "the role is kept, and in state");
    assert!(acc.wd.state_text().contains("Shared Role"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_role_a_managed_client_still_uses_fails_and_full_destroy_works() {
    let Some(acc) = Acc::start("removing_a_role_a_managed_client_still_uses_fails_and_full_destroy_works").await else {
        return;
    };
    // The client names the role by a literal, so Terraform cannot order the two.
    let client = r#"
resource "jamf_api_client" "vendor" {
  display_name         = "Vendor"
  authorization_scopes = ["Vendor Integration"]
}
"#;
    let role = r#"
resource "jamf_api_role" "vendor" {
  display_name = "Vendor Integration"
  privileges   = ["Read Computers"]
}
"#;
    acc.config(role);
    acc.wd.apply().await.ok();
    acc.config(&format!("{role}{client}"));
    acc.wd.apply().await.ok();
    acc.config(client);
    let apply = acc.wd.apply().await;
    assert_eq!(apply.code, 1, "{}", apply.combined());
    let out = flat(&apply.combined());
    assert!(out.contains("API role still in use"), "{out}");
    assert!(out.contains("\"Vendor\""), "{out}");
    assert!(out.contains("authorization_scopes"), "says what to change: {out}");

    // With references, Terraform orders a full destroy itself.
    let Some(acc) = Acc::start("removing_a_role_a_managed_client_still_uses_fails_and_full_destroy_works/2").await
    else {
        return;
    };
    acc.config(VENDOR);
    acc.wd.apply().await.ok();
    acc.wd.destroy().await.ok();
    assert!(acc.jamf_objects("roles").await.is_empty());
    assert!(acc.jamf_objects("integrations").await.is_empty());
}

// ----- 14. import -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_by_id_and_by_name_then_no_diff() {
    let Some(acc) = Acc::start("import_by_id_and_by_name_then_no_diff").await else { return };
    let role = acc
        .jamf_api(
            Method::POST,
            "/api/v1/api-roles",
            Some(json!({"displayName": "Vendor Integration", "privileges": ["Read Mobile Devices", "Read Computers"]})),
        )
        .await;
    let client = acc
        .jamf_api(
            Method::POST,
            "/api/v1/api-integrations",
            Some(json!({"displayName": "Vendor", "authorizationScopes": ["Vendor Integration"], "enabled": true})),
        )
        .await;
    let role_id = role.body["id"].as_str().unwrap().to_string();
    let client_id = client.body["id"].to_string();
    let config = r#"
resource "jamf_api_role" "vendor" {
  display_name = "Vendor Integration"
  privileges   = ["Read Computers", "Read Mobile Devices"]
}

resource "jamf_api_client" "vendor" {
  display_name         = "Vendor"
  authorization_scopes = [jamf_api_role.vendor.display_name]
}
"#;
    acc.config(config);
    for (role_key, client_key) in [(role_id.as_str(), client_id.as_str()), ("Vendor Integration", "Vendor")] {
        acc.wd.run(&["import", "-input=false", "jamf_api_role.vendor", role_key]).await.ok();
        acc.wd.run(&["import", "-input=false", "jamf_api_client.vendor", client_key]).await.ok();
        assert_eq!(state_str(&acc, "jamf_api_role.vendor", "id").await, role_id);
        assert_eq!(state_str(&acc, "jamf_api_client.vendor", "id").await, client_id);
        assert_plan_code(&acc.wd.plan_exitcode().await, 0);
        // An import records no dependencies (Terraform learns them from the configuration at the
        // next apply, which a refresh-only plan counts as a change): once recorded, no drift.
        acc.wd.run(&["apply", "-refresh-only", "-auto-approve", "-input=false"]).await.ok();
        acc.assert_no_drift("import_by_id_and_by_name_then_no_diff").await;
        acc.wd.run(&["state", "rm", "jamf_api_role.vendor", "jamf_api_client.vendor"]).await.ok();
    }
    // Not found, by either key.
    let out = acc.wd.run(&["import", "-input=false", "jamf_api_role.vendor", "No Such Role"]).await;
    assert_eq!(out.code, 1);
    assert!(out.combined().contains("No API role has the id or display name \"No Such Role\""), "{}", out.combined());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secret_import_is_refused_with_an_explanation() {
    let Some(acc) = Acc::start("client_secret_import_is_refused_with_an_explanation").await else { return };
    acc.config(VENDOR);
    acc.wd.apply().await.ok();
    let client_id = state_str(&acc, "jamf_api_client.vendor", "id").await;
    acc.wd.run(&["state", "rm", "jamf_client_secret.vendor"]).await.ok();
    let out = acc.wd.run(&["import", "-input=false", "jamf_client_secret.vendor", &client_id]).await;
    assert_eq!(out.code, 1, "{}", out.combined());
    let text = flat(&out.combined());
    assert!(text.contains("jamf_client_secret cannot be imported"), "{text}");
    assert!(text.contains("never shows a client secret again"), "{text}");
    assert_eq!(acc.jamf_objects("integrations").await[0]["secretsIssued"], 1, "nothing minted");
}

// ----- 15. the provider's own credentials are wrong -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_provider_credentials_fail_clearly_without_a_retry_storm() {
    let Some(mut acc) = Acc::start("wrong_provider_credentials_fail_clearly_without_a_retry_storm").await else {
        return;
    };
    acc.config(VENDOR);
    acc.wd.apply().await.ok();
    acc.wd.set_env("JAMF_CLIENT_SECRET", "not-the-secret");
    for (what, config) in [
        ("with objects in state", VENDOR.to_string()),
        (
            "creating a role",
            String::from(
                r#"
resource "jamf_api_role" "new" {
  display_name = "New Role"
  privileges   = ["Read Computers"]
}
"#,
            ),
        ),
    ] {
        // Both the refresh of existing objects and a plan that only creates must fail.
        if what == "creating a role" {
            acc.wd.remove("terraform.tfstate");
        }
        acc.config(&config);
        acc.reset_stats("jamf").await;
        let plan = acc.wd.plan_exitcode().await;
        assert_plan_code(&plan, 1);
        let out = flat(&plan.combined());
        assert!(out.contains("Jamf Pro rejected the provider's credentials"), "{what}: {out}");
        assert!(out.contains("JAMF_CLIENT_SECRET"), "{what}: names the env var: {out}");
        assert!(out.contains("invalid_client"), "{what}: {out}");
        let stats = acc.stats("jamf").await;
        let tokens = requests(&stats, "POST /api/v1/oauth/token");
        assert!((1..=2).contains(&tokens), "{what}: token requests {tokens}: {stats:#}");
        assert_eq!(stats["total"].as_u64(), Some(tokens), "{what}: nothing else was tried: {stats:#}");
    }
}

// ----- 16. the server is down -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_down_fails_after_bounded_retries() {
    let Some(mut acc) = Acc::start("server_down_fails_after_bounded_retries").await else { return };
    let gone = ClosedPort::new();
    let url = gone.url();
    acc.wd.set_env("JAMF_URL", &url);
    acc.config(&format!(
        r#"
provider "jamf" {{
  retry = {{
    max_attempts = 3
    min_delay    = "100ms"
    max_delay    = "500ms"
  }}
}}
{VENDOR}"#
    ));
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 1);
    let out = flat(&plan.combined());
    eprintln!("server down: plan failed after {:?}:\n{out}", plan.elapsed);
    assert!(out.contains("Cannot reach Jamf Pro"), "{out}");
    assert!(out.contains(&url), "names the server: {out}");
    assert!(out.contains("3 attempt"), "says it retried, bounded: {out}");
    assert!(plan.elapsed < Duration::from_secs(20), "{:?}", plan.elapsed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_down_with_default_retries_fails_within_a_bounded_time() {
    let Some(mut acc) = Acc::start("server_down_with_default_retries_fails_within_a_bounded_time").await else {
        return;
    };
    let gone = ClosedPort::new();
    let url = gone.url();
    acc.wd.set_env("JAMF_URL", &url);
    acc.config(VENDOR);
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 1);
    let out = flat(&plan.combined());
    eprintln!("server down, default retries: plan failed after {:?}", plan.elapsed);
    assert!(out.contains("Cannot reach Jamf Pro"), "{out}");
    assert!(out.contains("after 5 attempt(s)"), "{out}");
    // Four jittered backoffs from 500 ms doubling: at most 0.5+1+2+4 s, twice that with jitter.
    assert!(plan.elapsed < Duration::from_secs(30), "{:?}", plan.elapsed);
}

// ----- transient faults -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_server_errors_and_replication_lag_are_ridden_out() {
    let Some(acc) = Acc::start("transient_server_errors_and_replication_lag_are_ridden_out").await else { return };
    acc.config(VENDOR);
    // Three 503s, and every object created answers 404 twice before it is visible (Jamf Cloud).
    acc.put("/_sim/jamf/faults", json!({"serverErrors": {"count": 3}, "notFoundAfterCreate": 2})).await;
    acc.reset_stats("jamf").await;
    let apply = acc.wd.apply().await.ok();
    let stats = acc.stats("jamf").await;
    assert_eq!(stats["faultsInjected"]["serverErrors"], 3, "{stats:#}");
    assert!(stats["faultsInjected"]["notFoundAfterCreate"].as_u64().unwrap() >= 2, "{stats:#}");
    assert!(apply.elapsed < Duration::from_secs(30), "{:?}", apply.elapsed);
    assert!(secret_works(&acc).await.2);
    acc.delete("/_sim/jamf/faults").await;
    acc.assert_no_drift("transient_server_errors_and_replication_lag_are_ridden_out").await;
    assert_eq!(acc.jamf_objects("roles").await.len(), 1, "no duplicate from a retried create");
    assert_eq!(acc.jamf_objects("integrations").await[0]["secretsIssued"], 1, "no secret minted twice");
}

// ----- 17. logs -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logs_are_structured_and_never_contain_a_secret() {
    let Some(mut acc) = Acc::start("trace_logs_are_structured_and_never_contain_a_secret").await else { return };
    acc.trace_to_output();
    acc.config(VENDOR);
    let apply = acc.wd.apply().await.ok();
    let (_, minted, _) = secret_works(&acc).await;
    let logs = apply.combined();
    let provider_secret = acc.sim.jamf_admin().client_secret.clone();
    assert!(logs.len() > 10_000, "trace logs were produced");
    assert!(!logs.contains(&minted), "the minted client secret is in the logs");
    assert!(!logs.contains(&provider_secret), "the provider's client secret is in the logs");
    // Access tokens are credentials too.
    assert!(!logs.contains("Bearer ey"), "a bearer token is in the logs");
    // The provider's own lines arrive as structured hclog entries.
    let provider_lines: Vec<&str> = logs.lines().filter(|l| l.contains("provider.terraform-provider-jamf")).collect();
    assert!(provider_lines.iter().any(|l| l.contains("@module=provider.jamf")), "{}", provider_lines.join("\n"));
    assert!(provider_lines.iter().any(|l| l.contains("tf_rpc=ApplyResourceChange")), "{}", provider_lines.join("\n"));
    assert!(provider_lines.iter().any(|l| l.contains("/api/v1/api-integrations")), "HTTP calls are logged");
    // Still nothing secret once the secret is rotated and the old one is refreshed.
    acc.config(&vendor(
        "Vendor Integration",
        &["Read Computers", "Read Mobile Devices"],
        "",
        r#"keepers = { r = "2" }"#,
    ));
    let apply = acc.wd.apply().await.ok();
    let (_, rotated, _) = secret_works(&acc).await;
    for secret in [&minted, &rotated, &provider_secret] {
        assert!(!apply.combined().contains(secret.as_str()));
    }
}

// ----- 18. the secret in state -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secret_is_sensitive_in_show_and_state() {
    let Some(acc) = Acc::start("client_secret_is_sensitive_in_show_and_state").await else { return };
    acc.config(&format!(
        r#"{VENDOR}
output "client_id" {{
  value = jamf_client_secret.vendor.client_id
}}
"#
    ));
    let apply = acc.wd.apply().await.ok();
    let (_, secret, _) = secret_works(&acc).await;
    assert!(!apply.combined().contains(&secret));
    let show = acc.wd.run(&["show"]).await.ok();
    assert!(!show.stdout.contains(&secret), "terraform show prints the secret");
    assert!(flat(&show.stdout).contains("client_secret = (sensitive value)"), "{}", show.stdout);
    let json = acc.wd.show_json().await;
    let res = json["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "jamf_client_secret.vendor")
        .unwrap()
        .clone();
    assert_eq!(res["sensitive_values"]["client_secret"], true, "{res:#}");
    let state: Value = serde_json::from_str(&acc.wd.state_text()).unwrap();
    let inst =
        state["resources"].as_array().unwrap().iter().find(|r| r["type"] == "jamf_client_secret").unwrap()["instances"]
            [0]
        .clone();
    let sensitive = inst["sensitive_attributes"].to_string();
    assert!(sensitive.contains("client_secret"), "sensitive_attributes: {sensitive}");
    // An output of the secret must itself be marked sensitive.
    acc.config(&format!(
        r#"{VENDOR}
output "secret" {{
  value = jamf_client_secret.vendor.client_secret
}}
"#
    ));
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 1);
    assert!(flat(&plan.combined()).contains("Output refers to sensitive values"), "{}", plan.combined());
}

// ----- 19. data sources -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileges_data_source_lists_filters_and_fails_on_no_match() {
    let Some(acc) = Acc::start("privileges_data_source_lists_filters_and_fails_on_no_match").await else { return };
    acc.config(
        r#"
data "jamf_api_role_privileges" "all" {}

data "jamf_api_role_privileges" "groups" {
  name_contains = "static computer group"
}

output "count" {
  value = length(data.jamf_api_role_privileges.all.privileges)
}

output "groups" {
  value = data.jamf_api_role_privileges.groups.privileges
}
"#,
    );
    acc.wd.apply().await.ok();
    let out: Value = serde_json::from_str(&acc.wd.run(&["output", "-json"]).await.ok().stdout).unwrap();
    let catalogue = include_str!("../../data/jamf-privileges.txt").lines().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(out["count"]["value"], catalogue);
    assert_eq!(
        out["groups"]["value"],
        json!([
            "Create Static Computer Groups",
            "Delete Static Computer Groups",
            "Read Static Computer Groups",
            "Update Static Computer Groups"
        ])
    );
    acc.config(
        r#"
data "jamf_api_role_privileges" "none" {
  name_contains = "Launch Rockets"
}
"#,
    );
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 1);
    let out = flat(&plan.combined());
    assert!(out.contains("No matching privilege"), "{out}");
    assert!(out.contains("\"Launch Rockets\""), "{out}");
    assert!(out.contains("name_contains"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_and_client_data_sources_look_up_by_id_or_name_and_never_mint() {
    let Some(acc) = Acc::start("role_and_client_data_sources_look_up_by_id_or_name_and_never_mint").await else {
        return;
    };
    acc.config(VENDOR);
    acc.wd.apply().await.ok();
    let role_id = state_str(&acc, "jamf_api_role.vendor", "id").await;
    let client_id = state_str(&acc, "jamf_api_client.vendor", "id").await;
    let (_, secret_before, _) = secret_works(&acc).await;
    acc.config(&format!(
        r#"{VENDOR}
data "jamf_api_role" "by_id" {{
  id = {role_id:?}
}}
data "jamf_api_role" "by_name" {{
  display_name = "Vendor Integration"
}}
data "jamf_api_client" "by_id" {{
  id = {client_id:?}
}}
data "jamf_api_client" "by_name" {{
  display_name = "Vendor"
}}
output "found" {{
  value = {{
    role_by_id     = data.jamf_api_role.by_id.display_name
    role_by_name   = data.jamf_api_role.by_name.id
    privileges     = data.jamf_api_role.by_name.privileges
    client_by_id   = data.jamf_api_client.by_id.display_name
    client_by_name = data.jamf_api_client.by_name.id
    client         = data.jamf_api_client.by_name
  }}
}}
"#
    ));
    acc.reset_stats("jamf").await;
    acc.wd.apply().await.ok();
    let stats = acc.stats("jamf").await;
    assert_eq!(requests(&stats, "POST /api/v1/api-integrations/{id}/client-credentials"), 0, "{stats:#}");
    let out: Value = serde_json::from_str(&acc.wd.run(&["output", "-json"]).await.ok().stdout).unwrap();
    let found = &out["found"]["value"];
    assert_eq!(found["role_by_id"], "Vendor Integration");
    assert_eq!(found["role_by_name"], role_id.as_str());
    assert_eq!(found["privileges"], json!(["Read Computers", "Read Mobile Devices"]));
    assert_eq!(found["client_by_id"], "Vendor");
    assert_eq!(found["client_by_name"], client_id.as_str());
    let client = found["client"].as_object().unwrap();
    assert!(!client.keys().any(|k| k.contains("secret")), "no secret attribute: {client:?}");
    assert_eq!(client["authorization_scopes"], json!(["Vendor Integration"]));
    assert_eq!(client["app_type"], "CLIENT_CREDENTIALS");
    assert!(secret_works(&acc).await.2, "reading the data source did not rotate the secret");
    assert_eq!(secret_works(&acc).await.1, secret_before);

    // Not found, and both keys.
    for (body, needle) in [
        (r#"data "jamf_api_role" "x" { display_name = "Nope" }"#, "No API role has display_name \"Nope\""),
        (r#"data "jamf_api_client" "x" { id = "999" }"#, "No API client has id \"999\""),
        (
            r#"data "jamf_api_role" "x" {
  id           = "1"
  display_name = "Nope"
}"#,
            "Look the API role up by id or by display_name, not both",
        ),
        (r#"data "jamf_api_client" "x" {}"#, "Set id or display_name to find the API client"),
    ] {
        acc.config(body);
        let plan = acc.wd.plan_exitcode().await;
        assert_plan_code(&plan, 1);
        let out = flat(&plan.combined());
        assert!(out.contains(needle), "{body}: {out}");
    }
}

// ----- 20. provider configuration -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_provider_settings_name_the_attribute_and_env_var() {
    let Some(mut acc) = Acc::start("missing_provider_settings_name_the_attribute_and_env_var").await else { return };
    acc.config(VENDOR);
    // Empty counts as unset (and overrides anything inherited from the test's environment).
    acc.wd.set_env("JAMF_URL", "");
    acc.wd.set_env("JAMFPRO_INSTANCE_FQDN", "");
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 1);
    let out = flat(&plan.combined());
    assert!(out.contains("Missing Jamf Pro URL"), "{out}");
    assert!(out.contains("JAMF_URL"), "{out}");
    assert!(out.contains("JAMFPRO_INSTANCE_FQDN"), "{out}");
    acc.wd.set_env("JAMF_URL", &acc.sim.url());
    for var in ["JAMF_CLIENT_ID", "JAMF_CLIENT_SECRET", "JAMFPRO_CLIENT_ID", "JAMFPRO_CLIENT_SECRET"] {
        acc.wd.set_env(var, "");
    }
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 1);
    let out = flat(&plan.combined());
    assert!(out.contains("Missing Jamf Pro credentials"), "{out}");
    assert!(out.contains("JAMF_CLIENT_ID") && out.contains("JAMF_CLIENT_SECRET"), "{out}");
    assert!(out.contains("JAMF_USERNAME"), "offers the alternative: {out}");
    // With a provider block, Terraform shows it as the place to set them.
    acc.config(&format!("provider \"jamf\" {{\n  max_concurrency = 5\n}}\n{VENDOR}"));
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 1);
    let out = flat(&plan.combined());
    assert!(out.contains("Missing Jamf Pro credentials"), "{out}");
    assert!(out.contains(r#"in provider "jamf""#), "{out}");
    // Half of a pair.
    acc.wd.set_env("JAMF_CLIENT_ID", &acc.sim.jamf_admin().client_id.clone());
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 1);
    let out = flat(&plan.combined());
    assert!(out.contains("Missing client_secret"), "{out}");
    assert!(out.contains("from the JAMF_CLIENT_ID environment variable"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jamfpro_environment_variables_are_accepted() {
    let Some(mut acc) = Acc::start("jamfpro_environment_variables_are_accepted").await else { return };
    let a = acc.sim.jamf_admin().clone();
    for var in ["JAMF_URL", "JAMF_CLIENT_ID", "JAMF_CLIENT_SECRET"] {
        acc.wd.set_env(var, "");
    }
    acc.wd.set_env("JAMFPRO_INSTANCE_FQDN", &acc.sim.url());
    acc.wd.set_env("JAMFPRO_CLIENT_ID", &a.client_id);
    acc.wd.set_env("JAMFPRO_CLIENT_SECRET", &a.client_secret);
    acc.config(VENDOR);
    acc.wd.apply().await.ok();
    acc.assert_no_drift("jamfpro_environment_variables_are_accepted").await;
    assert!(secret_works(&acc).await.2);
    // Username and password through the deploymenttheory names too.
    acc.wd.set_env("JAMFPRO_CLIENT_ID", "");
    acc.wd.set_env("JAMFPRO_CLIENT_SECRET", "");
    acc.wd.set_env("JAMFPRO_BASIC_USERNAME", &a.username);
    acc.wd.set_env("JAMFPRO_BASIC_PASSWORD", &a.password);
    acc.assert_no_drift("jamfpro_environment_variables_are_accepted").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_provider_configuration_does_not_fail_the_plan() {
    let Some(mut acc) = Acc::start("unknown_provider_configuration_does_not_fail_the_plan").await else { return };
    acc.wd.set_env("JAMF_URL", "");
    acc.config(&format!(
        r#"
resource "terraform_data" "jamf_url" {{
  input = {url:?}
}}

provider "jamf" {{
  url = terraform_data.jamf_url.output
}}
{VENDOR}"#,
        url = acc.sim.url()
    ));
    // terraform_data comes with terraform itself (terraform.io/builtin/terraform).
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 2);
    let out = flat(&plan.combined());
    assert!(out.contains("jamf_api_role.vendor will be created"), "{out}");
    acc.wd.apply().await.ok();
    assert!(secret_works(&acc).await.2);
    acc.assert_no_drift("unknown_provider_configuration_does_not_fail_the_plan").await;
}

// ----- performance: counted by the simulator -----

/// Requests per endpoint, without the zero counters.
fn request_counts(stats: &Value) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = stats["requests"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshing_300_roles_and_300_clients_pages_each_list_once() {
    let Some(acc) = Acc::start("refreshing_300_roles_and_300_clients_pages_each_list_once").await else { return };
    let n = 300;
    acc.config(&many(n, false));
    let started = Instant::now();
    acc.wd.run(&["apply", "-auto-approve", "-input=false", "-parallelism=20"]).await.ok();
    eprintln!("setup: applying {n} roles + {n} clients took {:?}", started.elapsed());
    assert_eq!(acc.jamf_objects("roles").await.len(), n);

    acc.reset_stats("jamf").await;
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 0);
    let stats = acc.stats("jamf").await;
    eprintln!("refresh of {n} roles + {n} clients (plan took {:?}): {:?}", plan.elapsed, request_counts(&stats));
    // 301 objects of each type (the simulator seeds one) at 100 a page.
    let max_lists = n.div_ceil(100) as u64 + 1;
    let role_lists = requests(&stats, "GET /api/v1/api-roles");
    let client_lists = requests(&stats, "GET /api/v1/api-integrations");
    assert!((1..=max_lists).contains(&role_lists), "{stats:#}");
    assert!((1..=max_lists).contains(&client_lists), "{stats:#}");
    assert_eq!(requests(&stats, "GET /api/v1/api-roles/{id}"), 0, "no GET per role: {stats:#}");
    assert_eq!(requests(&stats, "GET /api/v1/api-integrations/{id}"), 0, "no GET per client: {stats:#}");
    assert_eq!(stats["tokensIssued"], 1, "one token for the one provider process that reads: {stats:#}");
    assert_eq!(stats["total"].as_u64(), Some(role_lists + client_lists + 1), "nothing else: {stats:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_token_per_provider_process() {
    let Some(acc) = Acc::start("one_token_per_provider_process").await else { return };
    for n in [1, 20] {
        acc.config(&many(n, true));
        acc.reset_stats("jamf").await;
        let apply = acc.wd.apply().await.ok();
        let stats = acc.stats("jamf").await;
        eprintln!("apply of {n}+{n}+{n}: {} tokens, {} requests", stats["tokensIssued"], stats["total"]);
        // terraform apply configures the provider twice: once to plan, once to apply.
        assert_eq!(stats["tokensIssued"], 2, "{stats:#}");
        assert_eq!(requests(&stats, "POST /api/v1/oauth/token"), 2, "{stats:#}");
        assert!(!apply.combined().contains("Privileges not checked"), "{}", apply.combined());
        acc.reset_stats("jamf").await;
        acc.assert_no_drift("one_token_per_provider_process").await;
        // Two plans (plain and refresh-only), each one provider process with one token.
        assert_eq!(acc.stats("jamf").await["tokensIssued"], 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applying_100_of_each_at_50ms_latency_keeps_5_in_flight_and_no_errors() {
    let Some(acc) = Acc::start("applying_100_of_each_at_50ms_latency_keeps_5_in_flight_and_no_errors").await else {
        return;
    };
    let n = 100;
    acc.config(&many(n, true));
    acc.put("/_sim/jamf/faults", json!({"latencyMs": 50})).await;
    acc.reset_stats("jamf").await;
    let started = Instant::now();
    let apply = acc.wd.run(&["apply", "-auto-approve", "-input=false", "-parallelism=20"]).await.ok();
    let wall = started.elapsed();
    let stats = acc.stats("jamf").await;
    eprintln!(
        "apply of {n} roles + {n} clients + {n} secrets, -parallelism=20, 50 ms latency: {wall:?}, max in flight {}, \
         {} requests: {:?}, responses {}",
        stats["maxInFlight"],
        stats["total"],
        request_counts(&stats),
        stats["responses"]
    );
    assert!(stats["maxInFlight"].as_u64().unwrap() <= 5, "{stats:#}");
    assert!(stats["maxInFlight"].as_u64().unwrap() >= 2, "requests did run concurrently: {stats:#}");
    let responses = stats["responses"].as_object().unwrap();
    assert!(responses.keys().all(|k| k.starts_with('2')), "only successes: {stats:#}");
    assert!(!apply.combined().contains("Error"), "{}", apply.combined());
    assert_eq!(requests(&stats, "POST /api/v1/api-roles"), n as u64);
    assert_eq!(requests(&stats, "POST /api/v1/api-integrations"), n as u64);
    assert_eq!(requests(&stats, "POST /api/v1/api-integrations/{id}/client-credentials"), n as u64);
    // A new secret knows its client's roles from the client's apply: no read-back per secret.
    assert_eq!(requests(&stats, "GET /api/v1/api-integrations/{id}"), 0, "{stats:#}");
    let integrations = acc.jamf_objects("integrations").await;
    assert_eq!(integrations.len(), n);
    assert!(integrations.iter().all(|i| i["hasValidSecret"] == true && i["secretsIssued"] == 1));
    acc.delete("/_sim/jamf/faults").await;
    acc.assert_no_drift("applying_100_of_each_at_50ms_latency_keeps_5_in_flight_and_no_errors").await;
}

// ----- 21. the integration examples -----

/// Copy `examples/integrations/<name>` into the workdir, apply it against the simulator, and check
/// that the next plan is empty. Returns the outputs.
async fn apply_example(acc: &mut Acc, name: &str) -> Value {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/integrations").join(name);
    for file in ["main.tf", "variables.tf", "outputs.tf", "README.md"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{name}/{file}: {e}"));
        acc.wd.write(file, &text);
    }
    let fmt = acc.wd.run(&["fmt", "-check", "-diff", "-recursive", dir.to_str().unwrap()]).await;
    assert_eq!(fmt.code, 0, "terraform fmt -check {name}:\n{}", fmt.combined());
    acc.wd.set_env("TF_VAR_jamf_url", &acc.sim.url());
    acc.wd.apply().await.ok();
    acc.assert_no_drift("apply_example").await;
    let out = acc.wd.run(&["output", "-json"]).await.ok();
    serde_json::from_str(&out.stdout).expect("outputs")
}

/// The example's role and client in the simulator, and a token obtained with the handed-over
/// secret (`expires_in`, privileges of the role).
async fn check_handover(acc: &Acc, outputs: &Value, lifetime: u64) -> (Value, Value) {
    let client_id = outputs["client_id"]["value"].as_str().expect("client_id output");
    assert_eq!(outputs["client_secret"]["sensitive"], true, "the secret output is sensitive");
    let secret = outputs["client_secret"]["value"].as_str().expect("client_secret output");
    let grant = acc.oauth_token(client_id, secret).await;
    assert_eq!(grant.status, 200, "{:?}", grant.body);
    assert_eq!(grant.body["expires_in"], lifetime - 1);
    let client = acc.jamf_objects("integrations").await.into_iter().find(|i| i["clientId"] == client_id).unwrap();
    assert_eq!(client["enabled"], true);
    assert_eq!(client["accessTokenLifetimeSeconds"], lifetime);
    let role_id = client["roleIds"][0].as_str().unwrap().to_string();
    let role = acc.jamf_object("roles", &role_id).await.unwrap();
    (client, role)
}

fn sorted(v: &[&str]) -> Value {
    let mut v: Vec<&str> = v.to_vec();
    v.sort();
    json!(v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stackone_example_applies_and_plans_clean() {
    let Some(mut acc) = Acc::start("stackone_example_applies_and_plans_clean").await else { return };
    let outputs = apply_example(&mut acc, "stackone").await;
    assert_eq!(outputs["jamf_url"]["value"], acc.sim.url().as_str());
    let (client, role) = check_handover(&acc, &outputs, 1800).await;
    assert_eq!(client["displayName"], "StackOne");
    assert_eq!(role["displayName"], "StackOne Integration");
    assert_eq!(role["privileges"].as_array().unwrap().len(), 44, "{role:#}");
    for p in ["Send Mobile Device Remote Wipe Command", "Read User", "Delete User", "Read iOS Configuration Profiles"] {
        assert!(role["privileges"].as_array().unwrap().contains(&json!(p)), "{p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admina_example_applies_and_plans_clean() {
    let Some(mut acc) = Acc::start("admina_example_applies_and_plans_clean").await else { return };
    let outputs = apply_example(&mut acc, "admina").await;
    // http://127.0.0.1:PORT: the first label of the host, as for https://acme.jamfcloud.com -> "acme".
    assert_eq!(outputs["workspace_key"]["value"], "127");
    let (client, role) = check_handover(&acc, &outputs, 3600).await;
    assert_eq!(client["displayName"], "Admina");
    assert_eq!(
        role["privileges"],
        sorted(&[
            "Read Accounts",
            "Create Accounts",
            "Delete Accounts",
            "Read Buildings",
            "Read Departments",
            "Read Mobile Devices",
            "Read Computers"
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clarity_example_applies_and_plans_clean() {
    let Some(mut acc) = Acc::start("clarity_example_applies_and_plans_clean").await else { return };
    let outputs = apply_example(&mut acc, "clarity").await;
    assert_eq!(outputs["jamf_url"]["value"], acc.sim.url().as_str());
    let (client, role) = check_handover(&acc, &outputs, 86400).await;
    assert_eq!(client["displayName"], "Diamond Assets");
    assert_eq!(role["displayName"], "Diamond Assets Integration");
    assert_eq!(
        role["privileges"],
        sorted(&[
            "Read Computers",
            "Read Static Computer Groups",
            "Read Mobile Devices",
            "Read Static Mobile Device Groups"
        ])
    );
}

/// The StackOne guide's privilege names that Jamf Pro does not have fail at plan time, each with
/// the suggestion the example's README follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stackone_guide_privilege_names_are_caught_at_plan() {
    let Some(acc) = Acc::start("stackone_guide_privilege_names_are_caught_at_plan").await else { return };
    let guide = [
        "Send Mobile Device Mobile Device Wipe Command",
        "Read Users",
        "Create Users",
        "Update Users",
        "Delete Users",
        "Send Computer Remote Command",
        "Send Mobile Device Remote Command",
        "Read Mobile Device Configuration Profiles",
    ];
    let list = guide.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>().join(", ");
    acc.config(&format!(
        "resource \"jamf_api_role\" \"guide\" {{\n  display_name = \"StackOne Integration\"\n  privileges   = [{list}]\n}}\n"
    ));
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 1);
    let out = flat(&plan.combined());
    assert_eq!(out.matches("Error: Unknown Jamf Pro privilege").count(), guide.len(), "{out}");
    for (wrong, suggested) in [
        ("Send Mobile Device Mobile Device Wipe Command", "Send Mobile Device Remote Wipe Command"),
        ("Read Users", "Read User"),
        ("Create Users", "Create User"),
        ("Update Users", "Update User"),
        ("Delete Users", "Delete User"),
        ("Send Computer Remote Command", "Send Computer Remote Lock Command"),
        ("Send Mobile Device Remote Command", "Send Mobile Device Remote Lock Command"),
        ("Read Mobile Device Configuration Profiles", "Read iOS Configuration Profiles"),
    ] {
        assert!(out.contains(&format!("\"{wrong}\" is not a privilege")), "{wrong}: {out}");
        let diagnostic = out.split("Error: ").find(|d| d.contains(&format!("\"{wrong}\" is not"))).unwrap();
        assert!(diagnostic.contains("Did you mean"), "{wrong}: {diagnostic}");
        assert!(diagnostic.contains(&format!("\"{suggested}\"")), "{wrong} -> {suggested}: {diagnostic}");
    }
}

// ----- day two: messages a user can act on -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_mistakes_name_the_setting_and_the_url_to_set() {
    let Some(mut acc) = Acc::start("url_mistakes_name_the_setting_and_the_url_to_set").await else { return };
    let url = acc.sim.url();
    acc.config(&format!("provider \"jamf\" {{}}\n{VENDOR}"));
    // The API's address instead of the server's, from the environment.
    acc.wd.set_env("JAMF_URL", &format!("{url}/api"));
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 1);
    let out = flat(&plan.combined());
    assert!(out.contains("Error: Invalid Jamf Pro URL"), "{out}");
    assert!(
        out.contains(&format!(
            "The Jamf Pro URL \"{url}/api/\" set by the JAMF_URL environment variable is not usable: it serves no \
             OAuth token endpoint"
        )),
        "{out}"
    );
    assert!(out.contains(&format!("Set JAMF_URL to {url}, the server's own address without /api")), "{out}");
    assert!(!out.contains("; expected") && !out.contains("url?"), "sentences, not fragments: {out}");
    // Plain http to a host that is not a loopback address: refused at plan, naming the variable...
    acc.wd.set_env("JAMF_URL", "http://jamf.example.com");
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 1);
    let out = flat(&plan.combined());
    assert!(out.contains("set by the JAMF_URL environment variable is not usable: it uses http://"), "{out}");
    assert!(out.contains("Set JAMF_URL to https://jamf.example.com."), "{out}");
    // ...or the attribute, pointing at it.
    acc.wd.set_env("JAMF_URL", &url);
    acc.config(&format!("provider \"jamf\" {{\n  url = \"http://jamf.example.com:8443\"\n}}\n{VENDOR}"));
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 1);
    let out = flat(&plan.combined());
    assert!(out.contains("set by `url` is not usable: it uses http://"), "{out}");
    assert!(out.contains("Set `url` to https://jamf.example.com:8443."), "{out}");
    assert!(out.contains(r#"in provider "jamf""#), "points at the attribute: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_settings_recommend_the_empty_provider_block() {
    let Some(mut acc) = Acc::start("missing_settings_recommend_the_empty_provider_block").await else { return };
    acc.config(VENDOR);
    acc.wd.set_env("JAMF_URL", "");
    acc.wd.set_env("JAMFPRO_INSTANCE_FQDN", "");
    let plan = acc.wd.plan_exitcode().await;
    assert_plan_code(&plan, 1);
    let out = flat(&plan.combined());
    assert!(out.contains("Missing Jamf Pro URL"), "{out}");
    assert!(out.contains("still declare an empty `provider \"jamf\" {}` block"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_data_source_hands_over_the_configured_url() {
    let Some(mut acc) = Acc::start("server_data_source_hands_over_the_configured_url").await else { return };
    let url = acc.sim.url();
    let hcl = "data \"jamf_server\" \"this\" {}\n\noutput \"jamf_url\" {\n  value = data.jamf_server.this.url\n}\n";
    // From JAMF_URL, with an empty provider block.
    acc.config(&format!("provider \"jamf\" {{}}\n{hcl}"));
    acc.wd.apply().await.ok();
    assert_eq!(acc.wd.run(&["output", "-raw", "jamf_url"]).await.ok().stdout, url);
    acc.assert_no_drift("server_data_source_hands_over_the_configured_url").await;
    // From the attribute, normalised: no trailing slash.
    acc.wd.set_env("JAMF_URL", "");
    acc.config(&format!("provider \"jamf\" {{\n  url = \"{url}/\"\n}}\n{hcl}"));
    acc.wd.apply().await.ok();
    assert_eq!(acc.wd.run(&["output", "-raw", "jamf_url"]).await.ok().stdout, url);
    acc.assert_no_drift("server_data_source_hands_over_the_configured_url").await;
}
