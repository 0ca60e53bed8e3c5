//! Mistakes caught at plan time, all at once, with the fix (issue 17 §3): real terraform, the
//! real provider binaries and the simulator. Each test shows a mistake that today's plan lets
//! through (or reports one at a time, or answers with the wrong advice).

use crate::common::acc::{Acc, flat};
use reqwest::Method;
use serde_json::json;

/// Every request that changed something on the Jamf side (POST, PUT, DELETE of the API, tokens
/// excepted), from the simulator's counters.
async fn jamf_writes(acc: &Acc) -> u64 {
    let stats = acc.stats("jamf").await;
    stats["requests"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !k.starts_with("GET ") && !k.contains("/oauth/token") && !k.contains("/auth/token"))
                .map(|(_, v)| v.as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

// ----- 1. duplicate display names -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_display_names_in_one_configuration_fail_the_first_plan() {
    let Some(acc) = Acc::start("duplicate_display_names_in_one_configuration_fail_the_first_plan").await else {
        return;
    };
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
resource "jamf_api_role" "c" {
  display_name = "Client Role"
  privileges   = ["Read Buildings"]
}
resource "jamf_api_client" "x" {
  display_name         = "Same Client"
  authorization_scopes = [jamf_api_role.c.display_name]
}
resource "jamf_api_client" "y" {
  display_name         = "Same Client"
  authorization_scopes = [jamf_api_role.c.display_name]
}
"#,
    );
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 1, "{}", plan.combined());
    let out = flat(&plan.combined());
    assert!(out.contains("Two jamf_api_role resources in this configuration set display_name = \"Same\""), "{out}");
    assert!(
        out.contains("Two jamf_api_client resources in this configuration set display_name = \"Same Client\""),
        "{out}"
    );
    assert!(!out.contains("terraform import"), "never advises importing what the configuration manages: {out}");
    assert_eq!(jamf_writes(&acc).await, 0, "nothing was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_of_a_managed_role_never_advises_importing_it() {
    let Some(acc) = Acc::start("a_duplicate_of_a_managed_role_never_advises_importing_it").await else { return };
    let a = r#"
resource "jamf_api_role" "a" {
  display_name = "Same"
  privileges   = ["Read Computers"]
}
"#;
    acc.config(a);
    acc.wd.apply().await.ok();
    acc.config(&format!(
        "{a}\nresource \"jamf_api_role\" \"b\" {{\n  display_name = \"Same\"\n  privileges   = [\"Read Buildings\"]\n}}\n"
    ));
    for _ in 0..2 {
        let plan = acc.wd.plan_exitcode().await;
        assert_eq!(plan.code, 1, "{}", plan.combined());
        let out = flat(&plan.combined());
        assert!(out.contains("Two jamf_api_role resources in this configuration set display_name = \"Same\""), "{out}");
        assert!(!out.contains("terraform import"), "the other role is this configuration's own: {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_taken_on_the_server_fails_the_first_plan_with_the_import_hint() {
    let Some(acc) = Acc::start("a_name_taken_on_the_server_fails_the_first_plan_with_the_import_hint").await else {
        return;
    };
    let role = acc
        .jamf_api(
            Method::POST,
            "/api/v1/api-roles",
            Some(json!({"displayName": "Vendor Integration", "privileges": ["Read Computers"]})),
        )
        .await;
    assert_eq!(role.status, 200, "{:?}", role.body);
    let client = acc
        .jamf_api(
            Method::POST,
            "/api/v1/api-integrations",
            Some(json!({"displayName": "Vendor", "authorizationScopes": ["Vendor Integration"], "enabled": true})),
        )
        .await;
    assert_eq!(client.status, 200, "{:?}", client.body);
    acc.config(
        r#"
resource "jamf_api_role" "vendor" {
  display_name = "Vendor Integration"
  privileges   = ["Read Computers"]
}
resource "jamf_api_client" "vendor" {
  display_name         = "Vendor"
  authorization_scopes = ["Vendor Integration"]
}
"#,
    );
    acc.reset_stats("jamf").await;
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 1, "the first plan, with nothing in state: {}", plan.combined());
    let out = flat(&plan.combined());
    assert!(out.contains("API role display name already in use"), "{out}");
    assert!(out.contains(&format!("(id {})", role.body["id"].as_str().unwrap())), "{out}");
    assert!(out.contains("API client display name already in use"), "{out}");
    assert!(out.contains(&format!("(id {})", client.body["id"])), "{out}");
    assert!(out.contains("terraform import"), "offers adoption of an object not in this configuration: {out}");
    assert_eq!(jamf_writes(&acc).await, 0);
}

// ----- 2. unknown roles in authorization_scopes -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_role_in_authorization_scopes_fails_the_plan_with_a_suggestion() {
    let Some(acc) = Acc::start("an_unknown_role_in_authorization_scopes_fails_the_plan_with_a_suggestion").await else {
        return;
    };
    let on_server = acc
        .jamf_api(
            Method::POST,
            "/api/v1/api-roles",
            Some(json!({"displayName": "Shared Reader", "privileges": ["Read Computers"]})),
        )
        .await;
    assert_eq!(on_server.status, 200, "{:?}", on_server.body);
    // "Admina" is planned in this configuration, "Shared Reader" exists on the server; the
    // clients name them by literals (so Terraform may plan the clients first).
    let roles = r#"
resource "jamf_api_role" "admina" {
  display_name = "Admina"
  privileges   = ["Read Computers"]
}
"#;
    acc.config(&format!(
        r#"{roles}
resource "jamf_api_client" "a" {{
  display_name         = "A"
  authorization_scopes = ["Admin"]
}}
resource "jamf_api_client" "b" {{
  display_name         = "B"
  authorization_scopes = ["Shared Readr"]
}}
"#
    ));
    acc.reset_stats("jamf").await;
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 1, "{}", plan.combined());
    let out = flat(&plan.combined());
    assert!(out.contains("Error: Unknown API role"), "{out}");
    assert!(out.contains("API role named \"Admin\""), "{out}");
    assert!(out.contains("Did you mean \"Admina\"?"), "a role planned in this configuration: {out}");
    assert!(out.contains("Did you mean \"Shared Reader\"?"), "a role on the server: {out}");
    assert_eq!(jamf_writes(&acc).await, 0);

    // The right names, by literal or by reference, and a name known only after apply: no error.
    acc.config(&format!(
        r#"{roles}
resource "terraform_data" "n" {{
  input = "x"
}}
resource "jamf_api_role" "late" {{
  display_name = "Late ${{terraform_data.n.id}}"
  privileges   = ["Read Computers"]
}}
resource "jamf_api_client" "a" {{
  display_name         = "A"
  authorization_scopes = ["Admina", "Shared Reader"]
}}
resource "jamf_api_client" "b" {{
  display_name         = "B"
  authorization_scopes = [jamf_api_role.late.display_name]
}}
"#
    ));
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
}

// ----- 3. MaaS360 -----

fn script_user(username: &str, roles: &str, extra: &str) -> String {
    format!(
        "resource \"maas360_script_user\" \"api\" {{\n  username = \"{username}\"\n  email    = \
         \"mdm-team@example.com\"\n  roles    = {roles}\n{extra}\n}}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_built_in_role_in_the_wrong_case_fails_the_plan_with_the_spelling() {
    let Some(acc) = Acc::start("a_built_in_role_in_the_wrong_case_fails_the_plan_with_the_spelling").await else {
        return;
    };
    acc.config(&script_user("Acme_SO", r#"["Read-only"]"#, ""));
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 1, "{}", plan.combined());
    let out = flat(&plan.combined());
    assert!(out.contains("Error: Role name differs from a built-in role by case"), "{out}");
    assert!(out.contains("spelled \"Read-Only\""), "{out}");
    assert_eq!(out.matches("Role name differs from a built-in role by case").count(), 1, "shown once: {out}");
    assert!(acc.maas360_admin("Acme_SO").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_maas360_credentials_fail_the_plan_on_the_provider_block() {
    let Some(mut acc) = Acc::start("wrong_maas360_credentials_fail_the_plan_on_the_provider_block").await else {
        return;
    };
    // Nothing in state: before, nothing called MaaS360 until the apply created the account.
    acc.config(&script_user("Acme_SO", r#"["Read-Only"]"#, ""));
    acc.wd.set_env("MAAS360_PASSWORD", "Wr0ng!password");
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 1, "{}", plan.combined());
    let out = flat(&plan.combined());
    assert!(out.contains("Error: MaaS360 rejected the provider's credentials"), "{out}");
    assert!(out.contains("password (from the MAAS360_PASSWORD environment variable)"), "{out}");
    assert!(out.contains("with provider[\"registry.terraform.io/mdmkit/maas360\"]"), "on the provider block: {out}");
    assert!(!out.contains("Wr0ng!password"), "{out}");
    let good = acc.sim.maas360_admin().password.clone();
    acc.wd.set_env("MAAS360_PASSWORD", &good);
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_that_would_reuse_a_held_username_fails_at_plan() {
    let Some(acc) = Acc::start("a_replacement_that_would_reuse_a_held_username_fails_at_plan").await else {
        return;
    };
    acc.config(&script_user("Acme_SO", r#"["Read-Only"]"#, ""));
    acc.wd.apply().await.ok();
    for lifecycle in ["", "  lifecycle {\n    create_before_destroy = true\n  }"] {
        acc.config(&script_user("Acme_SO", r#"["Administrator"]"#, lifecycle));
        let plan = acc.wd.plan_exitcode().await;
        assert_eq!(plan.code, 1, "{lifecycle}: {}", plan.combined());
        let out = flat(&plan.combined());
        assert!(out.contains("Error: Replacement would reuse a username still held"), "{out}");
        assert!(out.contains("Changing roles replaces the MaaS360 administrator \"Acme_SO\""), "{out}");
        assert!(out.contains("More > Remove > Delete"), "{out}");
        assert!(out.contains("(Acme_SO_RO)"), "{out}");
    }
    // Another username is a plan that can be applied.
    acc.config(&script_user("Acme_SO_ADM", r#"["Administrator"]"#, ""));
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
}

// ----- 4. every validation error at once -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_validation_error_of_a_resource_is_reported_in_one_plan() {
    let Some(acc) = Acc::start("every_validation_error_of_a_resource_is_reported_in_one_plan").await else {
        return;
    };
    acc.config(
        r#"
resource "maas360_script_user" "api" {
  username            = "Acme_SO"
  email               = "not-an-email"
  roles               = []
  password_wo         = "weak"
  password_wo_version = 1
}
"#,
    );
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 1, "{}", plan.combined());
    let out = flat(&plan.combined());
    assert!(out.contains("on main.tf line"), "{out}");
    assert!(out.contains("roles"), "{out}");
    assert!(out.contains("Error: Invalid email"), "{out}");
    assert!(out.contains("Error: Password does not meet MaaS360's rule"), "{out}");
}

// ----- 5. a role still assigned -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_role_still_assigned_names_the_clients_and_the_resource_to_change() {
    let Some(acc) = Acc::start("deleting_a_role_still_assigned_names_the_clients_and_the_resource_to_change").await
    else {
        return;
    };
    let role = r#"
resource "jamf_api_role" "vendor" {
  display_name = "Vendor Integration"
  privileges   = ["Read Computers"]
}
"#;
    let client = r#"
resource "jamf_api_client" "vendor" {
  display_name         = "Vendor"
  authorization_scopes = ["Vendor Integration"]
}
"#;
    // The role first: the client names it by a literal, so Terraform could create the client first.
    acc.config(role);
    acc.wd.apply().await.ok();
    acc.config(&format!("{role}{client}"));
    acc.wd.apply().await.ok();
    let id = acc.wd.resource_values("jamf_api_client.vendor").await["id"].as_str().unwrap().to_string();
    acc.config(client);
    let apply = acc.wd.apply().await;
    assert_eq!(apply.code, 1, "{}", apply.combined());
    let out = flat(&apply.combined());
    assert!(out.contains("API role still in use"), "{out}");
    assert!(out.contains(&format!("the API client \"Vendor\" (id {id})")), "{out}");
    assert!(out.contains("authorization_scopes of the jamf_api_client resource that manages it"), "{out}");
    assert!(!out.contains("at least one API client"), "{out}");

    // Both destroyed in one run, the client naming the role by a literal: Terraform does not
    // order them, and the role's delete must not fail when it met the client just before it went.
    acc.config(&format!("{role}{client}"));
    acc.wd.apply().await.ok();
    acc.put("/_sim/jamf/faults", json!({"responseDelayMs": 300})).await;
    let destroy = acc.wd.destroy().await;
    assert_eq!(destroy.code, 0, "{}", destroy.combined());
    assert!(acc.jamf_objects("roles").await.is_empty());
    assert!(acc.jamf_objects("integrations").await.is_empty());
}

// ----- 6. the two checks of a new object wait together -----

/// A `terraform plan` of the configuration with nothing in state, at 300 ms per Jamf request
/// (slow enough that two requests sent one after the other never overlap): each list in `lists`
/// is read once, and two requests were in flight at once.
async fn plan_reads_side_by_side(acc: &Acc, lists: [&str; 2]) {
    acc.put("/_sim/jamf/faults", json!({"latencyMs": 300})).await;
    acc.reset_stats("jamf").await;
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
    let stats = acc.stats("jamf").await;
    for list in lists {
        assert_eq!(stats["requests"][format!("GET {list}")].as_u64(), Some(1), "{list}: {stats}");
    }
    assert_eq!(stats["maxInFlight"].as_u64(), Some(2), "{lists:?} are read side by side: {stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_roles_privilege_and_name_checks_are_fetched_side_by_side() {
    let Some(acc) = Acc::start("a_new_roles_privilege_and_name_checks_are_fetched_side_by_side").await else {
        return;
    };
    acc.config(
        r#"
resource "jamf_api_role" "vendor" {
  display_name = "Vendor Integration"
  privileges   = ["Read Computers"]
}
"#,
    );
    plan_reads_side_by_side(&acc, ["/api/v1/api-role-privileges", "/api/v1/api-roles"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_clients_name_and_scope_checks_are_fetched_side_by_side() {
    let Some(acc) = Acc::start("a_new_clients_name_and_scope_checks_are_fetched_side_by_side").await else {
        return;
    };
    let role = acc
        .jamf_api(
            Method::POST,
            "/api/v1/api-roles",
            Some(json!({"displayName": "Made In The Console", "privileges": ["Read Computers"]})),
        )
        .await;
    assert_eq!(role.status, 200, "{:?}", role.body);
    acc.config(
        r#"
resource "jamf_api_client" "vendor" {
  display_name         = "Vendor"
  authorization_scopes = ["Made In The Console"]
}
"#,
    );
    plan_reads_side_by_side(&acc, ["/api/v1/api-integrations", "/api/v1/api-roles"]).await;
}
