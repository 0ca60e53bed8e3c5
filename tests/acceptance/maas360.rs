//! Acceptance tests of terraform-provider-maas360: real terraform, the real provider binary, the
//! simulator in this process (its own port and working directory per test).

use crate::common::acc::{Acc, flat};
use serde_json::json;

const PASSWORD: &str = "Scr1pt!Only-pass";

/// A `maas360_script_user.<name>` with a fixed email and the Read-Only role.
fn script_user_named(name: &str, username: &str) -> String {
    format!(
        "resource \"maas360_script_user\" \"{name}\" {{\n  username = \"{username}\"\n  email    = \"it@example.com\"\n  \
         roles    = [\"Read-Only\"]\n}}\n"
    )
}

fn script_user(username: &str, roles: &str, extra: &str) -> String {
    format!(
        r#"
resource "maas360_script_user" "api" {{
  username = "{username}"
  email    = "mdm-team@example.com"
  roles    = {roles}
{extra}
}}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_warns_with_the_portal_steps_then_plan_is_empty() {
    let Some(acc) = Acc::start("create_warns_with_the_portal_steps_then_plan_is_empty").await else { return };
    acc.config(&script_user("Acme_SO", r#"["Read-Only"]"#, ""));
    let out = acc.wd.apply().await.ok();
    let text = flat(&out.combined());
    assert!(text.contains("Warning: Administrator \"Acme_SO\" created: finish it in the MaaS360 portal"), "{text}");
    assert!(text.contains("open the email MaaS360 sent to mdm-team@example.com"), "{text}");
    assert!(text.contains("Setup > Administrators"), "{text}");
    assert!(text.contains("More > Convert to Script Only"), "{text}");
    acc.assert_no_drift("create_warns_with_the_portal_steps_then_plan_is_empty").await;

    let v = acc.wd.resource_values("maas360_script_user.api").await;
    let billing = &acc.sim.maas360_admin().billing_id;
    assert_eq!(v["id"], format!("{billing}/Acme_SO"));
    assert_eq!(v["billing_id"], billing.as_str());
    assert_eq!(v["api_access_verified"], false);
    assert!(v.get("script_only").is_none(), "the resource never claims script-only: {v}");
    // No attribute claims it; the documentation says why.
    let out = acc.wd.run(&["providers", "schema", "-json"]).await.ok();
    let schemas: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let block = &schemas["provider_schemas"]["registry.terraform.io/mdmkit/maas360"]["resource_schemas"]["maas360_script_user"]
        ["block"];
    let names: Vec<&String> = block["attributes"].as_object().expect("attributes").keys().collect();
    assert!(!names.iter().any(|n| n.contains("script") || n.contains("portal")), "{names:?}");
    let doc = block["description"].as_str().unwrap();
    assert!(doc.contains("Whether the account is script-only cannot be read through any API"), "{doc}");
    let admin = acc.maas360_admin("Acme_SO").await.expect("admin exists");
    assert_eq!(admin["roles"], json!(["Read-Only"]));
    assert_eq!(admin["email"], "mdm-team@example.com");
    assert_eq!(admin["scriptOnly"], false);
    assert_eq!(admin["passwordSet"], false);
}

/// Set the password from the "email" and convert the account, as a person would in the portal.
async fn finish_in_portal(acc: &Acc, username: &str, password: &str) {
    acc.post(&format!("/_sim/maas360/admins/{username}/set-password"), json!({ "password": password })).await;
    acc.post(&format!("/_sim/maas360/admins/{username}/convert-to-script-only"), json!({})).await;
}

const PASSWORD_VARIABLE: &str = r#"
variable "script_password" {
  type      = string
  default   = null
  sensitive = true
  ephemeral = true
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_wo_verifies_api_access_and_never_reaches_state_or_logs() {
    let Some(mut acc) = Acc::start("password_wo_verifies_api_access_and_never_reaches_state_or_logs").await else {
        return;
    };
    acc.config(&script_user("Acme_SO", r#"["Read-Only"]"#, ""));
    acc.wd.apply().await.ok();
    finish_in_portal(&acc, "Acme_SO", PASSWORD).await;

    // The password arrives through an ephemeral variable; the version bump asks for a verification.
    let extra = "  password_wo         = var.script_password\n  password_wo_version = 1";
    acc.config(&format!("{PASSWORD_VARIABLE}{}", script_user("Acme_SO", r#"["Read-Only"]"#, extra)));
    acc.wd.set_env("TF_VAR_script_password", PASSWORD);
    acc.trace_to_output();
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
    assert!(flat(&plan.stdout).contains("~ api_access_verified = false -> (known after apply)"), "{}", plan.stdout);
    let apply = acc.wd.apply().await.ok();
    // The provider's HTTP logs are part of what is scanned: the verification's sign-in request is there.
    assert!(
        apply
            .combined()
            .lines()
            .any(|l| l.contains("http request:") && l.contains("/auth-apis/auth/2.0/authenticate/")),
        "the provider's request logs are missing"
    );
    for out in [&plan, &apply] {
        let text = out.combined();
        assert!(text.contains("[TRACE]"), "TF_LOG=trace is in effect");
        assert!(!text.contains(PASSWORD), "the password leaked into terraform's output or logs");
        let provider = acc.sim.maas360_admin();
        for secret in [&provider.password, &provider.app_access_key] {
            assert!(!text.contains(secret.as_str()), "a provider secret leaked into terraform's output or logs");
        }
    }
    acc.trace_to_file();
    let v = acc.wd.resource_values("maas360_script_user.api").await;
    assert_eq!(v["api_access_verified"], true, "{v}");
    assert_eq!(v["password_wo"], serde_json::Value::Null);
    assert_eq!(v["password_wo_version"], 1);
    assert!(!acc.wd.state_text().contains(PASSWORD), "the password is in the state file");
    acc.assert_no_drift("password_wo_verifies_api_access_and_never_reaches_state_or_logs").await;

    // A literal works the same way.
    let extra = format!("  password_wo         = \"{PASSWORD}\"\n  password_wo_version = 2");
    acc.config(&script_user("Acme_SO", r#"["Read-Only"]"#, &extra));
    acc.trace_to_output();
    let apply = acc.wd.apply().await.ok();
    let text = apply.combined();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(PASSWORD)).map(|l| &l[..l.len().min(300)]).collect();
    assert!(lines.is_empty(), "the literal password leaked: {lines:#?}");
    acc.trace_to_file();
    assert!(!acc.wd.state_text().contains(PASSWORD), "the password is in the state file");
    let v = acc.wd.resource_values("maas360_script_user.api").await;
    assert_eq!(v["api_access_verified"], true, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_breaking_the_rule_is_refused_at_plan_without_echoing_it() {
    let Some(mut acc) = Acc::start("a_password_breaking_the_rule_is_refused_at_plan_without_echoing_it").await else {
        return;
    };
    let extra = "  password_wo         = var.script_password\n  password_wo_version = 1";
    acc.config(&format!("{PASSWORD_VARIABLE}{}", script_user("Acme_SO", r#"["Read-Only"]"#, extra)));
    for (password, rule) in [
        ("Ab1!xyz", "it must be at least 8 characters long"),
        ("12345678!", "it must contain at least one letter"),
        ("Password!", "it must contain at least one number"),
        ("Passw0rdXY", "it must contain at least one special character"),
    ] {
        acc.wd.set_env("TF_VAR_script_password", password);
        let plan = acc.wd.plan_exitcode().await;
        assert_eq!(plan.code, 1, "{password:?} must be refused: {}", plan.combined());
        let text = flat(&plan.combined());
        assert!(text.contains("Error: Password does not meet MaaS360's rule"), "{text}");
        assert!(text.contains(rule), "{rule:?} not named: {text}");
        assert_eq!(text.matches("it must").count(), 1, "only the broken rule is named: {text}");
        assert!(!text.contains(password), "the password was echoed: {text}");
    }
    // The password comes from a variable, so Terraform checks it only after configuring the
    // provider, which signs in as the provider's own administrator (issue 17 §3): one sign-in per
    // plan, and nothing else reached the API (the refused password was never tried).
    let stats = acc.take_stats("maas360").await;
    let sign_in = "POST /auth-apis/auth/2.0/authenticate/customer/{billingId}";
    assert_eq!(crate::common::acc::requests(&stats, sign_in), 4, "{stats}");
    assert_eq!(stats["total"], 4, "nothing but the provider's sign-in reached the API: {stats}");
    assert!(acc.maas360_admin("Acme_SO").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_provider_credentials_are_a_clear_error_without_retries() {
    let Some(mut acc) = Acc::start("wrong_provider_credentials_are_a_clear_error_without_retries").await else {
        return;
    };
    // More resources than terraform reads at once (-parallelism=10), so that reads start after the
    // first refusal: each of them must not send the wrong password again.
    let users: String = (0..15).map(|i| script_user_named(&format!("u{i}"), &format!("U{i}_SO"))).collect();
    acc.config(&users);
    acc.wd.apply().await.ok();
    let good = acc.sim.maas360_admin().clone();
    for (var, value) in [("MAAS360_PASSWORD", "Wr0ng!password"), ("MAAS360_APP_ACCESS_KEY", "WRONGKEY00")] {
        acc.wd.set_env("MAAS360_PASSWORD", &good.password);
        acc.wd.set_env("MAAS360_APP_ACCESS_KEY", &good.app_access_key);
        acc.wd.set_env(var, value);
        acc.take_stats("maas360").await;
        let out = acc.wd.plan_exitcode().await;
        assert_eq!(out.code, 1, "{}", out.combined());
        let text = flat(&out.combined());
        assert!(text.contains("Error: MaaS360 rejected the provider's credentials"), "{var}: {text}");
        assert!(text.contains("error code 1002"), "{var}: {text}");
        assert!(text.contains("Check the provider's username and password, app_id, app_access_key"), "{text}");
        assert!(!text.to_lowercase().contains("unexpected"), "{text}");
        assert!(!text.contains(value), "the wrong secret was echoed: {text}");
        let stats = acc.take_stats("maas360").await;
        assert_eq!(stats["total"], 1, "{var}: one refused sign-in, nothing retried: {stats}");
        assert_eq!(stats["tokensIssued"], 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_deleted_in_the_portal_is_planned_for_creation_again() {
    let Some(acc) = Acc::start("an_account_deleted_in_the_portal_is_planned_for_creation_again").await else {
        return;
    };
    acc.config(&script_user("Acme_SO", r#"["Read-Only"]"#, ""));
    acc.wd.apply().await.ok();
    acc.control(reqwest::Method::DELETE, "/_sim/maas360/admins/Acme_SO", None).await;
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
    let text = flat(&plan.stdout);
    assert!(text.contains("# maas360_script_user.api will be created"), "{text}");
    assert!(text.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "{text}");
    acc.wd.apply().await.ok();
    assert!(acc.maas360_admin("Acme_SO").await.is_some());
    acc.assert_no_drift("an_account_deleted_in_the_portal_is_planned_for_creation_again").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_change_replaces_and_says_how_to_free_the_username() {
    let Some(acc) = Acc::start("a_role_change_replaces_and_says_how_to_free_the_username").await else { return };
    acc.config(&script_user("Acme_SO", r#"["Read-Only"]"#, ""));
    acc.wd.apply().await.ok();
    acc.config(&script_user("Acme_SO", r#"["Administrator"]"#, ""));
    // The replacement would collide with the account it replaces (MaaS360 cannot remove it):
    // known at plan since issue 17 §3, so the plan fails instead of an apply that forgets the
    // old account and then fails.
    let out = acc.wd.apply().await;
    assert_eq!(out.code, 1, "{}", out.combined());
    let text = flat(&out.combined());
    assert!(text.contains("Error: Replacement would reuse a username still held"), "{text}");
    assert!(
        text.contains(
            "in the MaaS360 portal go to Setup > Administrators, hover over \"Acme_SO\", then More > Remove > Delete"
        ),
        "{text}"
    );
    assert!(text.contains("give the replacement another username"), "{text}");
    assert!(!text.contains("still exists in MaaS360"), "nothing was destroyed: {text}");
    assert_eq!(acc.maas360_admin("Acme_SO").await.unwrap()["roles"], json!(["Read-Only"]));
    assert!(acc.wd.state_text().contains("Acme_SO"), "the account is still in state");

    acc.control(reqwest::Method::DELETE, "/_sim/maas360/admins/Acme_SO", None).await;
    acc.wd.apply().await.ok();
    assert_eq!(acc.maas360_admin("Acme_SO").await.unwrap()["roles"], json!(["Administrator"]));
    acc.assert_no_drift("a_role_change_replaces_and_says_how_to_free_the_username").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_by_username_or_billing_id_reads_email_and_roles_from_the_audit() {
    let Some(acc) = Acc::start("import_by_username_or_billing_id_reads_email_and_roles_from_the_audit").await else {
        return;
    };
    let names = "  first_name = \"Api\"\n  last_name  = \"Bot\"";
    acc.config(&script_user("Acme_SO", r#"["Read-Only", "Help Desk"]"#, names));
    acc.wd.apply().await.ok();
    // The portal steps add later audit records of their own, without roles.
    finish_in_portal(&acc, "Acme_SO", PASSWORD).await;
    // Adopting an account must not depend on writing its optional names.
    acc.config(&script_user("Acme_SO", r#"["Read-Only", "Help Desk"]"#, ""));
    let billing = acc.sim.maas360_admin().billing_id.clone();
    for id in ["Acme_SO".to_string(), format!("{billing}/Acme_SO")] {
        acc.wd.run(&["state", "rm", "maas360_script_user.api"]).await.ok();
        let out = acc.wd.run(&["import", "-input=false", "maas360_script_user.api", &id]).await.ok();
        assert!(out.stdout.contains("Import successful!"), "{}", out.combined());
        let v = acc.wd.resource_values("maas360_script_user.api").await;
        assert_eq!(v["id"], format!("{billing}/Acme_SO"), "{id}");
        assert_eq!(v["email"], "mdm-team@example.com", "{id}");
        assert_eq!(v["roles"], json!(["Help Desk", "Read-Only"]), "{id}");
        assert_eq!(v["first_name"], serde_json::Value::Null, "{id}");
        assert_eq!(v["api_access_verified"], false);
        let plan = acc.wd.plan_exitcode().await;
        assert_eq!(plan.code, 0, "import {id}: {}", plan.combined());
    }
    // Configured names are adopted in place.
    acc.config(&script_user("Acme_SO", r#"["Read-Only", "Help Desk"]"#, names));
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
    let text = flat(&plan.stdout);
    assert!(text.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{text}");
    acc.wd.apply().await.ok();
    acc.assert_no_drift("import_by_username_or_billing_id_reads_email_and_roles_from_the_audit").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_without_audit_records_adopts_the_configuration_in_place() {
    let Some(acc) = Acc::start("import_without_audit_records_adopts_the_configuration_in_place").await else {
        return;
    };
    // A reset leaves only the seeded administrator, with no audit record at all.
    acc.post("/_sim/reset", json!({})).await;
    let seeded = acc.sim.maas360_admin().username.clone();
    let admin = acc.maas360_admin(&seeded).await.expect("seeded admin");
    let email = admin["email"].as_str().unwrap().to_string();
    acc.config(&format!(
        "resource \"maas360_script_user\" \"api\" {{\n  username = \"{seeded}\"\n  email    = \"{email}\"\n  roles    = [\"Service Administrator\"]\n}}\n"
    ));
    acc.wd.run(&["import", "-input=false", "maas360_script_user.api", &seeded]).await.ok();
    let v = acc.wd.resource_values("maas360_script_user.api").await;
    assert_eq!(v["email"], serde_json::Value::Null);
    assert_eq!(v["roles"], serde_json::Value::Null);
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
    let text = flat(&plan.stdout);
    assert!(text.contains("# maas360_script_user.api will be updated in-place"), "{text}");
    assert!(!text.contains("replace"), "{text}");
    assert!(text.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{text}");
    acc.take_stats("maas360").await;
    acc.wd.apply().await.ok();
    let stats = acc.take_stats("maas360").await;
    assert_eq!(
        crate::common::acc::requests(
            &stats,
            "POST /account-provisioning/administrator/1.0/createAdministrator/{billingId}"
        ),
        0
    );
    acc.assert_no_drift("import_without_audit_records_adopts_the_configuration_in_place").await;
    let v = acc.wd.resource_values("maas360_script_user.api").await;
    assert_eq!(v["email"], email.as_str());
}

/// Two script users created one after the other, with a pause between them longer than the
/// simulator's token lifetime: the second create meets an expired token in the same provider process.
const TWO_USERS_WITH_A_PAUSE: &str = r#"
resource "maas360_script_user" "first" {
  username = "First_SO"
  email    = "it@example.com"
  roles    = ["Read-Only"]
}

resource "terraform_data" "pause" {
  depends_on = [maas360_script_user.first]
  provisioner "local-exec" {
    command = "sleep 4"
  }
}

resource "maas360_script_user" "second" {
  depends_on = [terraform_data.pause]
  username   = "Second_SO"
  email      = "it@example.com"
  roles      = ["Read-Only"]
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_expiring_mid_run_costs_exactly_one_reauthentication() {
    let Some(mut acc) = Acc::start("a_token_expiring_mid_run_costs_exactly_one_reauthentication").await else {
        return;
    };
    acc.put("/_sim/maas360/settings", json!({"tokenTtlSeconds": 3})).await;
    acc.config(TWO_USERS_WITH_A_PAUSE);
    let auth2 = "POST /auth-apis/auth/2.0/authenticate/customer/{billingId}";
    let refresh2 = "POST /auth-apis/auth/2.0/refreshToken/customer/{billingId}";
    let auth1 = "POST /auth-apis/auth/1.0/authenticate/{billingId}";
    // Auth 2.0 renews with the refresh token; auth 1.0 signs in again.
    for (version, expected) in [("2.0", [(auth2, 2), (refresh2, 1)]), ("1.0", [(auth1, 3), (refresh2, 0)])] {
        acc.wd.set_env("MAAS360_AUTH_API_VERSION", version);
        acc.take_stats("maas360").await;
        let out = acc.wd.apply().await.ok();
        let stats = acc.take_stats("maas360").await;
        assert_eq!(stats["responses"]["401"], 1, "auth {version}: one call met the expired token: {stats}");
        // Each of apply's two provider processes signs in when configured (the plan's since issue
        // 17 §3, so that wrong credentials fail the plan); the apply's re-authenticates once.
        assert_eq!(stats["tokensIssued"], 3, "auth {version}: two sign-ins, one re-authentication: {stats}");
        for (key, n) in expected {
            assert_eq!(crate::common::acc::requests(&stats, key), n, "auth {version}: {key}: {stats}");
        }
        assert!(flat(&out.stdout).contains("Apply complete! Resources: 3 added"), "{}", out.stdout);
        assert!(acc.maas360_admin("Second_SO").await.is_some());
        acc.wd
            .run(&["state", "rm", "maas360_script_user.first", "maas360_script_user.second", "terraform_data.pause"])
            .await
            .ok();
        acc.delete("/_sim/maas360/admins/First_SO").await;
        acc.delete("/_sim/maas360/admins/Second_SO").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_429_is_absorbed() {
    let Some(acc) = Acc::start("a_burst_of_429_is_absorbed").await else { return };
    acc.config(&script_user("Acme_SO", r#"["Read-Only"]"#, ""));
    acc.put("/_sim/maas360/faults", json!({"rateLimit": {"count": 3, "retryAfterSeconds": 1}})).await;
    acc.take_stats("maas360").await;
    let out = acc.wd.apply().await.ok();
    let stats = acc.take_stats("maas360").await;
    assert_eq!(stats["faultsInjected"]["rateLimit"], 3, "{stats}");
    assert_eq!(stats["responses"]["429"], 3, "{stats}");
    assert!(out.elapsed >= std::time::Duration::from_secs(3), "Retry-After was honoured: {:?}", out.elapsed);
    assert!(acc.maas360_admin("Acme_SO").await.is_some());
    acc.assert_no_drift("a_burst_of_429_is_absorbed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_warns_how_to_remove_the_account_which_stays() {
    let Some(acc) = Acc::start("destroy_warns_how_to_remove_the_account_which_stays").await else { return };
    acc.config(&script_user("Acme_SO", r#"["Read-Only"]"#, ""));
    acc.wd.apply().await.ok();
    let out = acc.wd.destroy().await.ok();
    let text = flat(&out.combined());
    assert!(text.contains("Warning: Administrator \"Acme_SO\" still exists in MaaS360"), "{text}");
    assert!(text.contains("in the MaaS360 portal go to Setup > Administrators"), "{text}");
    assert!(text.contains("More > Remove and choose Delete"), "{text}");
    assert!(text.contains("Destroy complete! Resources: 1 destroyed."), "{text}");
    assert_eq!(acc.maas360_admin("Acme_SO").await.expect("still there")["status"], "Active");
    assert!(!acc.wd.state_text().contains("Acme_SO"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_administrator_data_source_tells_whether_a_username_exists() {
    let Some(acc) = Acc::start("the_administrator_data_source_tells_whether_a_username_exists").await else {
        return;
    };
    let lookups = r#"
data "maas360_administrator" "taken" {
  username = maas360_script_user.api.username
}

data "maas360_administrator" "free" {
  username = "Nobody_SO"
}

output "taken" {
  value = data.maas360_administrator.taken
}

output "free" {
  value = data.maas360_administrator.free
}
"#;
    acc.config(&format!("{}{lookups}", script_user("Acme_SO", r#"["Read-Only"]"#, "")));
    acc.wd.apply().await.ok();
    let out = acc.wd.run(&["output", "-json"]).await.ok();
    let outputs: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let billing = acc.sim.maas360_admin().billing_id.clone();
    assert_eq!(outputs["taken"]["value"], json!({"username": "Acme_SO", "exists": true, "billing_id": billing}));
    assert_eq!(outputs["free"]["value"], json!({"username": "Nobody_SO", "exists": false, "billing_id": billing}));
    acc.assert_no_drift("the_administrator_data_source_tells_whether_a_username_exists").await;
    // Deleted in the portal: the username is free again.
    acc.delete("/_sim/maas360/admins/Acme_SO").await;
    acc.config(
        "data \"maas360_administrator\" \"deleted\" {\n  username = \"Acme_SO\"\n}\n\n\
         output \"deleted\" {\n  value = data.maas360_administrator.deleted.exists\n}\n",
    );
    acc.wd.apply().await.ok();
    let out = acc.wd.run(&["output", "-json"]).await.ok();
    let outputs: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(outputs["deleted"]["value"], false, "{outputs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_configuration_errors_name_the_setting_to_fix() {
    let Some(mut acc) = Acc::start("provider_configuration_errors_name_the_setting_to_fix").await else { return };
    let user = script_user("Acme_SO", r#"["Read-Only"]"#, "");

    // A missing setting names its environment variable.
    acc.wd.remove_env("MAAS360_APP_ACCESS_KEY");
    acc.config(&format!("provider \"maas360\" {{}}\n{user}"));
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 1, "{}", plan.combined());
    let text = flat(&plan.combined());
    assert!(text.contains("Error: Missing app_access_key"), "{text}");
    assert!(text.contains("MAAS360_APP_ACCESS_KEY"), "{text}");
    assert!(text.contains("still declare an empty `provider \"maas360\" {}` block"), "{text}");
    acc.wd.set_env("MAAS360_APP_ACCESS_KEY", &acc.sim.maas360_admin().app_access_key.clone());

    // An unknown instance lists the valid ones.
    acc.wd.remove_env("MAAS360_BASE_URL");
    acc.config(&format!("provider \"maas360\" {{\n  instance = \"M9\"\n}}\n{user}"));
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 1, "{}", plan.combined());
    let text = flat(&plan.combined());
    assert!(text.contains("Error: Unknown MaaS360 instance"), "{text}");
    assert!(text.contains("\"M9\""), "{text}");
    for valid in ["M1", "M2", "M3", "M4", "M6", "https://services.m3.maas360.com"] {
        assert!(text.contains(valid), "{valid} not listed: {text}");
    }

    // base_url and instance together conflict, also when one comes from the environment.
    for (config, env) in
        [("base_url = \"http://127.0.0.1:9\"\n  instance = \"M3\"", false), ("instance = \"M3\"", true)]
    {
        if env {
            acc.wd.set_env("MAAS360_BASE_URL", &acc.sim.url());
        }
        acc.config(&format!("provider \"maas360\" {{\n  {config}\n}}\n{user}"));
        let plan = acc.wd.plan_exitcode().await;
        assert_eq!(plan.code, 1, "{}", plan.combined());
        let text = flat(&plan.combined());
        assert!(text.contains("Error: Conflicting MaaS360 endpoint"), "{text}");
        assert!(text.contains("base_url") && text.contains("instance"), "{text}");
    }
    assert_eq!(acc.take_stats("maas360").await["total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_settings_unknown_at_plan_time_are_tolerated() {
    let Some(mut acc) = Acc::start("provider_settings_unknown_at_plan_time_are_tolerated").await else { return };
    // The billing ID is only known after terraform_data.account is created.
    let billing = acc.sim.maas360_admin().billing_id.clone();
    acc.wd.remove_env("MAAS360_BILLING_ID");
    acc.config(&format!(
        r#"
resource "terraform_data" "account" {{
  input = "{billing}"
}}

provider "maas360" {{
  billing_id = "${{terraform_data.account.output}}${{substr(terraform_data.account.id, 0, 0)}}"
}}
{}"#,
        script_user("Acme_SO", r#"["Read-Only"]"#, "")
    ));
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
    let text = flat(&plan.stdout);
    assert!(text.contains("+ billing_id = (known after apply)"), "{text}");
    assert!(text.contains("Plan: 2 to add"), "{text}");
    acc.wd.apply().await.ok();
    let v = acc.wd.resource_values("maas360_script_user.api").await;
    assert_eq!(v["billing_id"], billing.as_str());
    assert!(acc.maas360_admin("Acme_SO").await.is_some());
}

/// A provider without retries whose hold on an exhausted rate budget is capped at a second, and
/// `maas360_script_user.api` with `password_wo` at `version`.
fn impatient_provider_and_user(version: u32) -> String {
    let extra = format!("  password_wo         = \"{PASSWORD}\"\n  password_wo_version = {version}");
    format!(
        "provider \"maas360\" {{\n  retry = {{ max_attempts = 1, max_delay = \"1s\" }}\n}}\n{}",
        script_user("Acme_SO", r#"["Read-Only"]"#, &extra)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verification_that_cannot_run_at_create_only_warns() {
    let Some(acc) = Acc::start("a_verification_that_cannot_run_at_create_only_warns").await else { return };
    // The budget covers the sign-in, the availability check, the create and the check that confirms
    // it; the verification's sign-in is then refused with 429.
    acc.put("/_sim/maas360/settings", json!({"rateLimitBudget": 4, "rateLimitWindowSeconds": 3600})).await;
    acc.config(&impatient_provider_and_user(1));
    let out = acc.wd.apply().await;
    let text = flat(&out.combined());
    assert_eq!(out.code, 0, "the account exists; a failed verification only warns: {text}");
    assert!(text.contains("Warning: API sign-in not verified"), "{text}");
    assert!(text.contains("rate limited"), "{text}");
    assert!(text.contains("Increase password_wo_version and apply again"), "{text}");
    assert!(!acc.wd.state_text().contains("tainted"), "the created account must not be replaced");
    acc.put("/_sim/maas360/settings", json!({"rateLimitBudget": 10000})).await;
    acc.assert_no_drift("a_verification_that_cannot_run_at_create_only_warns").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verification_that_cannot_run_at_update_fails_and_keeps_the_old_version() {
    let Some(acc) = Acc::start("a_verification_that_cannot_run_at_update_fails_and_keeps_the_old_version").await else {
        return;
    };
    acc.config(&script_user("Acme_SO", r#"["Read-Only"]"#, ""));
    acc.wd.apply().await.ok();
    finish_in_portal(&acc, "Acme_SO", PASSWORD).await;
    // The budget covers the refresh (sign-in, availability check) and the apply's provider sign-in
    // at configure (issue 17 §3); the verification's sign-in gets 429.
    acc.put("/_sim/maas360/settings", json!({"rateLimitBudget": 3, "rateLimitWindowSeconds": 3600})).await;
    acc.config(&impatient_provider_and_user(1));
    let out = acc.wd.apply().await;
    assert_eq!(out.code, 1, "{}", out.combined());
    let text = flat(&out.combined());
    assert!(text.contains("Error: MaaS360 is not answering normally"), "{text}");
    assert!(text.contains("rate limited"), "{text}");
    assert!(text.contains("While trying to verify the API sign-in of \"Acme_SO\""), "{text}");
    assert!(!text.contains("was retried"), "retries are off: {text}");
    // Not recorded as done: the next apply asks again.
    let v = acc.wd.resource_values("maas360_script_user.api").await;
    assert_eq!(v["password_wo_version"], serde_json::Value::Null, "{v}");
    acc.put("/_sim/maas360/settings", json!({"rateLimitBudget": 10000})).await;
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
    acc.wd.apply().await.ok();
    let v = acc.wd.resource_values("maas360_script_user.api").await;
    assert_eq!((v["password_wo_version"].clone(), v["api_access_verified"].clone()), (json!(1), json!(true)), "{v}");
}

const TECHSAFE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/integrations/techsafe");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_techsafe_example_applies_verifies_and_plans_empty() {
    let Some(mut acc) = Acc::start("the_techsafe_example_applies_verifies_and_plans_empty").await else { return };
    let fmt = acc.wd.run(&["fmt", "-check", "-diff", "-recursive", TECHSAFE]).await;
    assert_eq!(fmt.code, 0, "terraform fmt -check: {}", fmt.combined());
    for file in ["main.tf", "variables.tf", "outputs.tf"] {
        let text = std::fs::read_to_string(format!("{TECHSAFE}/{file}")).unwrap();
        acc.wd.write(file, &text);
    }
    assert!(acc.wd.read("main.tf").contains("maas360 = { source = \"mdmkit/maas360\" }"));
    acc.wd.set_env("TF_VAR_customer", "Acme");
    acc.wd.set_env("TF_VAR_notification_email", "it@acme.example");
    acc.wd.set_env("TF_VAR_users_domain", "acme.example");
    let out = acc.wd.apply().await.ok();
    let text = flat(&out.combined());
    assert!(text.contains("Administrator \"Acme_SO\" created: finish it in the MaaS360 portal"), "{text}");
    assert!(text.contains("More > Convert to Script Only"), "{text}");
    acc.assert_no_drift("the_techsafe_example_applies_verifies_and_plans_empty").await;
    let admin = acc.maas360_admin("Acme_SO").await.expect("created");
    assert_eq!(admin["roles"], json!(["Administrator"]));
    assert_eq!(admin["email"], "it@acme.example");

    // The portal steps, then the password through the ephemeral variable.
    finish_in_portal(&acc, "Acme_SO", PASSWORD).await;
    acc.wd.set_env("TF_VAR_api_password", PASSWORD);
    acc.wd.set_env("TF_VAR_api_password_version", "1");
    acc.wd.apply().await.ok();
    acc.assert_no_drift("the_techsafe_example_applies_verifies_and_plans_empty").await;
    let out = acc.wd.run(&["output", "-json"]).await.ok();
    assert!(!out.stdout.contains(PASSWORD));
    let outputs: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let values: serde_json::Map<String, serde_json::Value> =
        outputs.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v["value"].clone())).collect();
    assert_eq!(
        serde_json::Value::Object(values),
        json!({
            "instance_id": acc.sim.maas360_admin().billing_id,
            "users_domain": "acme.example",
            "api_account_name": "Acme_SO",
            "api_access_verified": true,
        })
    );
    assert!(!acc.wd.state_text().contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_the_provider_cannot_grant_are_refused_with_the_reason() {
    let Some(mut acc) = Acc::start("roles_the_provider_cannot_grant_are_refused_with_the_reason").await else { return };
    // The provider signs in as a Service Administrator; Partner Administrator is above it.
    acc.config(&script_user("Acme_SO", r#"["Partner Administrator"]"#, ""));
    let out = acc.wd.apply().await;
    assert_eq!(out.code, 1, "{}", out.combined());
    let text = flat(&out.combined());
    assert!(text.contains("Error: Role cannot be granted"), "{text}");
    assert!(text.contains("roles = [\"Partner Administrator\"]"), "the error points at roles: {text}");
    assert!(text.contains("Not permitted to grant role 'Partner Administrator'"), "{text}");
    assert!(text.contains("equal or lesser roles"), "{text}");
    assert!(!text.contains("needs the Service Administrator role"), "not a missing right of the provider: {text}");
    assert!(acc.maas360_admin("Acme_SO").await.is_none());

    // A provider signed in as an administrator without Service Administrator is told what it lacks.
    acc.config(&script_user("Helper_SO", r#"["Read-Only"]"#, ""));
    acc.wd.apply().await.ok();
    finish_in_portal(&acc, "Helper_SO", PASSWORD).await;
    acc.wd.set_env("MAAS360_USERNAME", "Helper_SO");
    acc.wd.set_env("MAAS360_PASSWORD", PASSWORD);
    acc.config(&format!("{}{}", script_user("Helper_SO", r#"["Read-Only"]"#, ""), script_user_named("x", "X_SO")));
    let out = acc.wd.apply().await;
    assert_eq!(out.code, 1, "{}", out.combined());
    let text = flat(&out.combined());
    assert!(text.contains("Error: The provider's MaaS360 administrator lacks a right"), "{text}");
    assert!(text.contains("needs the Service Administrator role"), "{text}");
    assert!(acc.maas360_admin("X_SO").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_administrator_listed_late_is_not_planned_again() {
    let Some(acc) = Acc::start("a_new_administrator_listed_late_is_not_planned_again").await else { return };
    // Replication lag: the availability check reports the new username as free three more times.
    acc.put("/_sim/maas360/faults", json!({"notFoundAfterCreate": 3})).await;
    acc.config(&script_user("Acme_SO", r#"["Read-Only"]"#, ""));
    let out = acc.wd.apply().await.ok();
    assert!(!flat(&out.combined()).contains("does not list"), "{}", out.combined());
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    let stats = acc.take_stats("maas360").await;
    assert_eq!(stats["faultsInjected"]["notFoundAfterCreate"], 3, "the create waited the lag out: {stats}");

    // Lag beyond the window: the create warns instead of leaving a surprise for the next plan.
    acc.put("/_sim/maas360/faults", json!({"notFoundAfterCreate": 20})).await;
    acc.config(&format!("{}{}", script_user("Acme_SO", r#"["Read-Only"]"#, ""), script_user_named("late", "Late_SO")));
    let out = acc.wd.apply().await.ok();
    let text = flat(&out.combined());
    assert!(text.contains("Warning: MaaS360 does not list administrator \"Late_SO\" yet"), "{text}");
    assert!(text.contains("do not delete anything in the portal"), "{text}");
}

// ----- day two: messages a user can act on, import adopts in place -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_mistakes_name_the_setting_and_what_to_change() {
    let Some(mut acc) = Acc::start("endpoint_mistakes_name_the_setting_and_what_to_change").await else { return };
    let body = format!("provider \"maas360\" {{}}\n{}", script_user("Acme_SO", r#"["Read-Only"]"#, ""));
    acc.config(&body);
    // Plain http to a host that is not a loopback address, from the environment.
    acc.wd.set_env("MAAS360_BASE_URL", "http://services.m3.maas360.com");
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 1, "{}", plan.combined());
    let out = flat(&plan.combined());
    assert!(
        out.contains(
            "The MaaS360 base URL \"http://services.m3.maas360.com\" set by the MAAS360_BASE_URL environment variable \
             is not usable: it uses http://"
        ),
        "{out}"
    );
    assert!(out.contains("Set MAAS360_BASE_URL to https://services.m3.maas360.com."), "{out}");
    // The same in the provider block points at the attribute.
    acc.wd.set_env("MAAS360_BASE_URL", "");
    acc.config(&format!(
        "provider \"maas360\" {{\n  base_url = \"http://services.m3.maas360.com\"\n}}\n{}",
        script_user("Acme_SO", r#"["Read-Only"]"#, "")
    ));
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 1, "{}", plan.combined());
    let out = flat(&plan.combined());
    assert!(out.contains("set by `base_url` is not usable: it uses http://"), "{out}");
    assert!(out.contains("Set `base_url` to https://services.m3.maas360.com."), "{out}");
    assert!(out.contains(r#"in provider "maas360""#), "{out}");
    // Both endpoints: what is wrong and what to remove. Then an unknown instance names its variable.
    acc.config(&body);
    acc.wd.set_env("MAAS360_BASE_URL", &acc.sim.url());
    acc.wd.set_env("MAAS360_INSTANCE", "M5");
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 1, "{}", plan.combined());
    let out = flat(&plan.combined());
    assert!(out.contains("Conflicting MaaS360 endpoint"), "base_url is set too: {out}");
    assert!(
        out.contains(
            "Both `base_url` (from the MAAS360_BASE_URL environment variable) and `instance` (from the \
             MAAS360_INSTANCE environment variable) are set"
        ),
        "{out}"
    );
    assert!(out.contains("unset the MAAS360_INSTANCE environment variable"), "says what to remove: {out}");
    assert!(!out.contains("wins"), "{out}");
    acc.wd.set_env("MAAS360_BASE_URL", "");
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 1, "{}", plan.combined());
    let out = flat(&plan.combined());
    assert!(
        out.contains(
            "The MaaS360 instance \"M5\" set by the MAAS360_INSTANCE environment variable is not one of IBM's"
        ),
        "{out}"
    );
    assert!(out.contains("Set MAAS360_INSTANCE to the one in your portal's address: M1"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_adopts_differing_email_and_roles_in_place_then_changes_replace() {
    let Some(acc) = Acc::start("import_adopts_differing_email_and_roles_in_place_then_changes_replace").await else {
        return;
    };
    // An account created as Read-Only (the audit records that), then adopted by a configuration
    // that says Help Desk: the import must not plan to destroy it.
    acc.config(&script_user("Acme_SO", r#"["Read-Only"]"#, ""));
    acc.wd.apply().await.ok();
    acc.wd.run(&["state", "rm", "maas360_script_user.api"]).await.ok();
    acc.config(&script_user("Acme_SO", r#"["Help Desk"]"#, ""));
    let out = acc.wd.run(&["import", "-input=false", "maas360_script_user.api", "Acme_SO"]).await.ok();
    assert!(out.stdout.contains("Import successful!"), "{}", out.combined());
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
    let text = flat(&plan.combined());
    assert!(text.contains("# maas360_script_user.api will be updated in-place"), "{text}");
    assert!(text.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{text}");
    assert!(!text.contains("must be replaced"), "{text}");
    assert!(text.contains("configuration adopted in place"), "{text}");
    acc.take_stats("maas360").await;
    let applied = acc.wd.apply().await.ok();
    assert!(!flat(&applied.combined()).contains("already exists"), "{}", applied.combined());
    let stats = acc.take_stats("maas360").await;
    assert_eq!(
        crate::common::acc::requests(
            &stats,
            "POST /account-provisioning/administrator/1.0/createAdministrator/{billingId}"
        ),
        0,
        "the adopted account is not created again"
    );
    acc.assert_no_drift("the adopted account after its first apply").await;
    // Once applied, a change of roles replaces the account as documented; with the same username
    // the replacement would collide with the adopted account, which the plan says (issue 17 §3).
    acc.config(&script_user("Acme_SO", r#"["Administrator"]"#, ""));
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 1, "{}", plan.combined());
    let text = flat(&plan.combined());
    assert!(text.contains("Error: Replacement would reuse a username still held"), "{text}");
    assert!(!text.contains("adopted in place"), "{text}");
    acc.config(&script_user("Acme_SO_ADM", r#"["Administrator"]"#, ""));
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
    let text = flat(&plan.combined());
    assert!(text.contains("Plan: 1 to add, 0 to change, 1 to destroy."), "{text}");
}
