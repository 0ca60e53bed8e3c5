//! A disabled API client is a state Terraform can live in: plans, refresh-only plans and destroy
//! all work while it is disabled (in the configuration or in the console), and enabling it again
//! plans a new secret, saying why.

use serde_json::json;

use crate::common::acc::{Acc, flat, planned_actions};

fn vendor(enabled: bool) -> String {
    format!(
        r#"
provider "jamf" {{}}

resource "jamf_api_role" "vendor" {{
  display_name = "Vendor Integration"
  privileges   = ["Read Computers"]
}}

resource "jamf_api_client" "vendor" {{
  display_name         = "Vendor"
  authorization_scopes = [jamf_api_role.vendor.display_name]
  enabled              = {enabled}
}}

resource "jamf_client_secret" "vendor" {{
  api_client_id = jamf_api_client.vendor.id
}}
"#
    )
}

async fn secret(acc: &Acc) -> (String, String) {
    let s = acc.wd.resource_values("jamf_client_secret.vendor").await;
    (s["client_id"].as_str().unwrap().to_string(), s["client_secret"].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_in_the_configuration_keeps_every_plan_working_and_reenabling_plans_a_new_secret() {
    let Some(acc) = Acc::start("disabling_in_the_configuration_keeps_every_plan_working").await else { return };
    acc.config(&vendor(true));
    acc.wd.apply().await.ok();
    let (cid, old_secret) = secret(&acc).await;
    let id = acc.wd.resource_values("jamf_api_client.vendor").await["id"].as_str().unwrap().to_string();

    // The disable plan warns that the vendor's secret stops working.
    acc.config(&vendor(false));
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
    let out = flat(&plan.combined());
    assert!(out.contains(&format!("Disabling API client \"Vendor\" (id {id}) revokes its secret")), "{out}");
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["no-op"]);
    acc.wd.apply().await.ok();
    assert_eq!(acc.oauth_token(&cid, &old_secret).await.status, 401, "disabling revoked the secret");

    // While disabled: both plans are clean, and warn once that no secret is valid.
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    let warning = format!("API client \"Vendor\" (id {id}) is disabled: no secret of it is valid");
    assert_eq!(flat(&plan.combined()).matches(&warning).count(), 1, "{}", plan.combined());
    let refresh = acc.wd.run(&["plan", "-refresh-only", "-detailed-exitcode", "-input=false"]).await;
    assert_eq!(refresh.code, 0, "{}", refresh.combined());

    // Enabled again: the new secret is planned, and the plan says why.
    acc.config(&vendor(true));
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
    let out = flat(&plan.combined());
    assert!(out.contains(&format!("A new secret is planned for API client \"Vendor\" (id {id})")), "{out}");
    assert!(out.contains("revoked when the client was disabled"), "{out}");
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_api_client.vendor"), ["update"]);
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["delete", "create"]);
    acc.wd.apply().await.ok();
    let (cid2, new_secret) = secret(&acc).await;
    assert_eq!(cid2, cid, "the same client");
    assert_ne!(new_secret, old_secret);
    assert_eq!(acc.oauth_token(&cid, &new_secret).await.status, 200, "the new secret works");
    acc.assert_no_drift("after enabling again").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_disabled_in_the_console_is_planned_back_with_a_new_secret() {
    let Some(acc) = Acc::start("a_client_disabled_in_the_console_is_planned_back_with_a_new_secret").await else {
        return;
    };
    acc.config(&vendor(true));
    acc.wd.apply().await.ok();
    let (cid, old_secret) = secret(&acc).await;
    let id = acc.wd.resource_values("jamf_api_client.vendor").await["id"].as_str().unwrap().to_string();
    acc.patch(&format!("/_sim/jamf/integrations/{id}"), json!({"enabled": false})).await;

    // Drift: the refresh shows the client disabled; the plan enables it and plans a new secret.
    let refresh = acc.wd.run(&["plan", "-refresh-only", "-detailed-exitcode", "-input=false"]).await;
    assert_eq!(refresh.code, 2, "{}", refresh.combined());
    assert!(flat(&refresh.combined()).contains("enabled = true -> false"), "{}", refresh.combined());
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_api_client.vendor"), ["update"]);
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["delete", "create"]);
    acc.wd.apply().await.ok();
    let (_, new_secret) = secret(&acc).await;
    assert_ne!(new_secret, old_secret);
    assert_eq!(acc.oauth_token(&cid, &new_secret).await.status, 200);
    acc.assert_no_drift("after the console disable was undone").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_works_in_every_state_of_the_client() {
    // Disabled in the configuration, disabled in the console, and enabled: a plain destroy each time.
    for (how, config_enabled, console_disable) in [
        ("disabled in the configuration", false, false),
        ("disabled in the console", true, true),
        ("enabled", true, false),
    ] {
        let Some(acc) = Acc::start("destroy_works_in_every_state_of_the_client").await else { return };
        acc.config(&vendor(true));
        acc.wd.apply().await.ok();
        if !config_enabled {
            acc.config(&vendor(false));
            acc.wd.apply().await.ok();
        }
        if console_disable {
            let id = acc.wd.resource_values("jamf_api_client.vendor").await["id"].as_str().unwrap().to_string();
            acc.patch(&format!("/_sim/jamf/integrations/{id}"), json!({"enabled": false})).await;
        }
        let destroyed = acc.wd.destroy().await;
        assert_eq!(destroyed.code, 0, "{how}: {}", destroyed.combined());
        assert!(acc.jamf_objects("roles").await.is_empty(), "{how}");
        assert!(acc.jamf_objects("integrations").await.is_empty(), "{how}");
    }
}
