//! Acceptance tests of terraform-provider-jamf: real terraform, the real provider binary, the
//! simulator in this process.

mod common;

use common::acc::Acc;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_role_client_secret_then_plan_is_empty() {
    let Some(acc) = Acc::start("create_role_client_secret_then_plan_is_empty").await else { return };
    acc.config(VENDOR);
    acc.wd.apply().await.ok();
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    let client = acc.wd.resource_values("jamf_api_client.vendor").await;
    assert_eq!(client["access_token_lifetime_seconds"], 300);
    assert_eq!(client["enabled"], true);
    let secret = acc.wd.resource_values("jamf_client_secret.vendor").await;
    assert_eq!(secret["client_id"], client["client_id"]);
    let integrations = acc.jamf_objects("integrations").await;
    assert_eq!(integrations.len(), 1);
    assert_eq!(integrations[0]["hasValidSecret"], true);
}
