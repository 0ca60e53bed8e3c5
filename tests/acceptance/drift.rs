//! Drift detection tells the truth: right after an apply, `plan -detailed-exitcode` and
//! `plan -refresh-only -detailed-exitcode` (what drift pipelines run) both exit 0, and a real
//! out-of-band change still exits 2 under both.

use serde_json::{Value, json};

use crate::common::acc::{Acc, flat, planned_actions};

/// Every resource type, with a number (the token lifetime, the password version) in each
/// provider's state: numbers were what a refresh changed invisibly.
const ALL: &str = r#"
provider "jamf" {}
provider "maas360" {}

resource "jamf_api_role" "vendor" {
  display_name = "Vendor Integration"
  privileges   = ["Read Computers", "Read Mobile Devices"]
}

resource "jamf_api_client" "vendor" {
  display_name                  = "Vendor"
  authorization_scopes          = [jamf_api_role.vendor.display_name]
  access_token_lifetime_seconds = 600
}

resource "jamf_client_secret" "vendor" {
  api_client_id = jamf_api_client.vendor.id
  keepers       = { rotation = var.rotation }
}

resource "maas360_script_user" "vendor" {
  username            = "Vendor_SO"
  email               = "mdm-team@example.com"
  roles               = ["Read-Only"]
  password_wo         = "Scr1pt!Only-pass"
  password_wo_version = 1
}

variable "rotation" {
  type    = string
  default = "1"
}
"#;

async fn refresh_only(acc: &Acc) -> crate::common::terraform::TfOutput {
    acc.wd.run(&["plan", "-refresh-only", "-detailed-exitcode", "-input=false"]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_resource_type_plans_clean_under_both_plans_right_after_apply() {
    let Some(acc) = Acc::start("every_resource_type_plans_clean_under_both_plans_right_after_apply").await else {
        return;
    };
    acc.config(ALL);
    acc.wd.apply().await.ok();
    acc.assert_no_drift("every resource type").await;
    // `terraform apply -refresh-only` records nothing either, and the plans stay clean after it.
    let applied = acc.wd.run(&["apply", "-refresh-only", "-auto-approve", "-input=false"]).await.ok();
    assert!(applied.combined().contains("No changes"), "{}", applied.combined());
    acc.assert_no_drift("after apply -refresh-only").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_out_of_band_drift_exits_2_under_both_plans() {
    let Some(acc) = Acc::start("real_out_of_band_drift_exits_2_under_both_plans").await else { return };
    acc.config(ALL);
    acc.wd.apply().await.ok();
    let client_id = acc.wd.resource_values("jamf_api_client.vendor").await["id"].as_str().unwrap().to_string();
    acc.patch(&format!("/_sim/jamf/integrations/{client_id}"), json!({"accessTokenLifetimeSeconds": 60})).await;
    let refresh = refresh_only(&acc).await;
    assert_eq!(refresh.code, 2, "{}", refresh.combined());
    assert!(flat(&refresh.combined()).contains("access_token_lifetime_seconds = 600 -> 60"), "{}", refresh.combined());
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
    acc.wd.apply().await.ok();
    acc.assert_no_drift("after the drift was undone").await;
}

/// The secret's mint changes the client's app type on the server right after the client's apply:
/// the client's state no longer holds it (the data source still reads it), and a state written
/// by the version that held it upgrades with no change planned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_state_holds_nothing_a_secret_changes_and_old_states_upgrade() {
    let Some(acc) = Acc::start("the_client_state_holds_nothing_a_secret_changes_and_old_states_upgrade").await else {
        return;
    };
    acc.config(ALL);
    acc.wd.apply().await.ok();
    let client = acc.wd.resource_values("jamf_api_client.vendor").await;
    assert!(client.get("app_type").is_none(), "{client:#}");

    // The state as version 0 wrote it: schema_version 0 and an app_type attribute.
    let mut state: Value = serde_json::from_str(&acc.wd.state_text()).unwrap();
    for r in state["resources"].as_array_mut().unwrap() {
        if r["type"] == "jamf_api_client" {
            let inst = &mut r["instances"][0];
            inst["schema_version"] = json!(0);
            inst["attributes"]["app_type"] = json!("NONE");
        }
    }
    acc.wd.write("terraform.tfstate", &serde_json::to_string_pretty(&state).unwrap());
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 0, "an old state upgrades with no change:\n{}", plan.combined());
    acc.wd.run(&["apply", "-refresh-only", "-auto-approve", "-input=false"]).await.ok();
    let state: Value = serde_json::from_str(&acc.wd.state_text()).unwrap();
    let client = state["resources"].as_array().unwrap().iter().find(|r| r["type"] == "jamf_api_client").unwrap();
    assert_eq!(client["instances"][0]["schema_version"], 1);
    assert!(client["instances"][0]["attributes"].get("app_type").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_rename_reaches_the_secrets_state_in_the_same_apply() {
    let Some(acc) = Acc::start("a_role_rename_reaches_the_secrets_state_in_the_same_apply").await else { return };
    acc.config(ALL);
    acc.wd.apply().await.ok();
    let secret_before = acc.wd.resource_values("jamf_client_secret.vendor").await["client_secret"].clone();

    acc.config(&ALL.replace("\"Vendor Integration\"", "\"Vendor Integration (renamed)\""));
    let plan = acc.plan_json().await;
    // An in-place rename of the secret's roles: the secret itself is kept.
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["update"]);
    acc.wd.apply().await.ok();
    let secret = acc.wd.resource_values("jamf_client_secret.vendor").await;
    assert_eq!(secret["authorization_scopes"], json!(["Vendor Integration (renamed)"]));
    assert_eq!(secret["client_secret"], secret_before, "a rename never rotates the secret");
    acc.assert_no_drift("after a role rename").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_plans_the_client_id_as_known() {
    let Some(mut acc) = Acc::start("a_rotation_plans_the_client_id_as_known").await else { return };
    acc.config(&format!("{ALL}\noutput \"handoff\" {{\n  value = jamf_client_secret.vendor.client_id\n}}\n"));
    acc.wd.apply().await.ok();
    let client_id = acc.wd.resource_values("jamf_client_secret.vendor").await["client_id"].clone();

    acc.wd.set_env("TF_VAR_rotation", "2");
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["delete", "create"]);
    let change = &plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "jamf_client_secret.vendor")
        .unwrap()["change"];
    assert_eq!(change["after"]["client_id"], client_id, "{change:#}");
    assert_ne!(change["after_unknown"]["client_id"], true, "{change:#}");
    assert_eq!(change["after_unknown"]["client_secret"], true, "{change:#}");
    // The output built from it is known too: the plan does not list it as changing.
    assert_eq!(plan["output_changes"]["handoff"]["actions"], json!(["no-op"]), "{:#}", plan["output_changes"]);
    acc.wd.apply().await.ok();
    assert_eq!(acc.wd.resource_values("jamf_client_secret.vendor").await["client_id"], client_id);
    acc.assert_no_drift("after a rotation").await;
}
