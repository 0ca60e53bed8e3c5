//! The secret after creation: when it was generated and a version that changes with every new
//! secret (exact in plans, filled in for old states), rotation by age (`rotate_after`),
//! verification on refresh (`verify_on_refresh`), and the hand-off of a new secret to a store's
//! `*_wo_version` argument.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::acc::{Acc, flat, planned_actions};

fn secret_config(extra: &str) -> String {
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
}}

resource "jamf_client_secret" "vendor" {{
  api_client_id = jamf_api_client.vendor.id
{extra}
}}
"#
    )
}

/// The planned change of `address` in a `terraform show -json` plan.
fn change<'a>(plan: &'a Value, address: &str) -> &'a Value {
    let all = plan["resource_changes"].as_array().expect("resource_changes");
    &all.iter().find(|c| c["address"] == address).unwrap_or_else(|| panic!("{address} not planned: {plan:#}"))["change"]
}

fn version(values: &Value) -> u64 {
    values["secret_version"].as_u64().unwrap_or_else(|| panic!("secret_version is a number: {values:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_at_and_secret_version_are_exact_in_plans_and_old_states_plan_clean() {
    let Some(acc) = Acc::start("generated_at_and_secret_version_are_exact_in_plans_and_old_states_plan_clean").await
    else {
        return;
    };
    acc.config(&secret_config(""));
    let plan = acc.plan_json().await;
    let create = change(&plan, "jamf_client_secret.vendor");
    assert_eq!(create["after_unknown"]["generated_at"], true, "{create:#}");
    assert_eq!(create["after_unknown"]["secret_version"], true, "{create:#}");
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    acc.wd.apply().await.ok();
    let secret = acc.wd.resource_values("jamf_client_secret.vendor").await;
    let v = version(&secret);
    assert!(v >= before, "the version is the generation time in ms: {v} < {before}");
    let at = secret["generated_at"].as_str().expect("generated_at");
    let parsed = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).expect(at);
    assert_eq!(parsed.unix_timestamp() as u64, v / 1000, "generated_at {at} and secret_version {v} agree");
    acc.assert_no_drift("a new secret").await;

    // An in-place change (here: a rotation setting) keeps both, known in the plan.
    acc.config(&secret_config("  rotate_after = \"2160h\"\n  verify_on_refresh = true"));
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["update"]);
    let update = change(&plan, "jamf_client_secret.vendor");
    assert_eq!(update["after"]["secret_version"], json!(v), "{update:#}");
    assert_eq!(update["after"]["generated_at"], json!(at), "{update:#}");
    acc.wd.apply().await.ok();
    acc.assert_no_drift("after an in-place update").await;

    // A state written before the two attributes existed: they are filled in from the creation
    // time kept in private state, with no change planned.
    let mut state: Value = serde_json::from_str(&acc.wd.state_text()).unwrap();
    for r in state["resources"].as_array_mut().unwrap() {
        if r["type"] == "jamf_client_secret" {
            let attrs = r["instances"][0]["attributes"].as_object_mut().unwrap();
            for old in ["generated_at", "secret_version", "rotate_after", "verify_on_refresh"] {
                attrs.remove(old);
            }
        }
    }
    acc.wd.write("terraform.tfstate", &serde_json::to_string_pretty(&state).unwrap());
    acc.config(&secret_config(""));
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 0, "an old state plans no change:\n{}", plan.combined());
    acc.wd.run(&["apply", "-refresh-only", "-auto-approve", "-input=false"]).await.ok();
    let secret = acc.wd.resource_values("jamf_client_secret.vendor").await;
    assert_eq!((version(&secret), secret["generated_at"].as_str()), (v, Some(at)), "{secret:#}");
    acc.assert_no_drift("an upgraded state").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_after_plans_a_new_secret_once_the_secret_is_older_and_says_why() {
    let Some(acc) = Acc::start("rotate_after_plans_a_new_secret_once_the_secret_is_older_and_says_why").await else {
        return;
    };
    acc.config(&secret_config(""));
    acc.wd.apply().await.ok();
    let first = acc.wd.resource_values("jamf_client_secret.vendor").await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // Without rotate_after, an old secret is kept.
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 0, "{}", plan.combined());

    acc.config(&secret_config("  rotate_after = \"2s\""));
    let plan = acc.wd.run(&["plan", "-input=false"]).await.ok();
    let out = flat(&plan.combined());
    assert!(out.contains("must be replaced"), "{out}");
    assert!(out.contains("# forces replacement"), "{out}");
    assert!(out.contains("Warning: A new secret is planned for API client \"Vendor\""), "the plan says why: {out}");
    assert!(out.contains("the secret is older than rotate_after"), "{out}");
    assert!(out.contains("rotate_after = \"2s\", so this plan replaces it"), "{out}");
    assert!(out.contains(&format!("generated at {}", first["generated_at"].as_str().unwrap())), "{out}");
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["delete", "create"]);
    let replace = change(&plan, "jamf_client_secret.vendor");
    assert_eq!(replace["after_unknown"]["secret_version"], true, "{replace:#}");
    assert_eq!(replace["after"]["client_id"], first["client_id"], "{replace:#}");
    assert_eq!(replace["after"]["id"], first["id"], "the id is the client's: {replace:#}");
    acc.wd.apply().await.ok();
    let second = acc.wd.resource_values("jamf_client_secret.vendor").await;
    assert!(version(&second) > version(&first), "{second:#}");
    assert_ne!(second["client_secret"], first["client_secret"]);
    let r = acc.oauth_token(first["client_id"].as_str().unwrap(), first["client_secret"].as_str().unwrap()).await;
    assert_eq!(r.status, 401, "the old secret was invalidated");

    // A longer setting is an in-place change that keeps the new secret.
    acc.config(&secret_config("  rotate_after = \"1h\""));
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["update"]);
    assert_eq!(change(&plan, "jamf_client_secret.vendor")["after"]["secret_version"], json!(version(&second)));
    acc.wd.apply().await.ok();
    acc.assert_no_drift("rotate_after not reached").await;

    // Bad values fail the plan at the attribute, saying what to write.
    for bad in ["90d", "30", "0"] {
        acc.config(&secret_config(&format!("  rotate_after = \"{bad}\"")));
        let plan = acc.wd.run(&["plan", "-input=false"]).await;
        assert_eq!(plan.code, 1, "{bad}: {}", plan.combined());
        let out = flat(&plan.combined());
        assert!(out.contains("Error: Invalid rotate_after"), "{bad}: {out}");
        assert!(out.contains("\"2160h\" (90 days)"), "{bad}: {out}");
        assert!(out.contains("rotate_after = \""), "the error points at the attribute: {out}");
    }
}

/// The version number wired to a write-only argument of our own providers: a rotation re-sends
/// the value (the argument's version changes), a plain apply does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_changes_a_wired_wo_version_and_a_plain_apply_does_not() {
    let Some(mut acc) = Acc::start("a_rotation_changes_a_wired_wo_version_and_a_plain_apply_does_not").await else {
        return;
    };
    let config = format!(
        r#"{}
provider "maas360" {{}}

variable "rotation" {{
  type    = string
  default = "1"
}}

resource "maas360_script_user" "vendor" {{
  username            = "Vendor_SO"
  email               = "mdm-team@example.com"
  roles               = ["Read-Only"]
  password_wo         = "Scr1pt!Only-pass"
  password_wo_version = jamf_client_secret.vendor.secret_version
}}
"#,
        secret_config("  keepers = { rotation = var.rotation }")
    );
    acc.config(&config);
    acc.wd.apply().await.ok();
    let secret = acc.wd.resource_values("jamf_client_secret.vendor").await;
    let user = acc.wd.resource_values("maas360_script_user.vendor").await;
    assert_eq!(user["password_wo_version"], secret["secret_version"], "{user:#}");
    // A plain apply re-sends nothing.
    let again = acc.wd.apply().await.ok();
    assert!(again.combined().contains("0 added, 0 changed, 0 destroyed"), "{}", again.combined());
    acc.assert_no_drift("a wired version").await;

    acc.wd.set_env("TF_VAR_rotation", "2");
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_client_secret.vendor"), ["delete", "create"]);
    assert_eq!(planned_actions(&plan, "maas360_script_user.vendor"), ["update"]);
    let update = change(&plan, "maas360_script_user.vendor");
    assert_eq!(update["before"]["password_wo_version"], secret["secret_version"], "{update:#}");
    assert_eq!(update["after_unknown"]["password_wo_version"], true, "{update:#}");
    let text = acc.wd.run(&["plan", "-input=false"]).await.ok();
    let out = flat(&text.combined());
    assert!(
        out.contains(&format!("~ password_wo_version = {} -> (known after apply)", secret["secret_version"])),
        "{out}"
    );
    acc.wd.apply().await.ok();
    let rotated = acc.wd.resource_values("jamf_client_secret.vendor").await;
    let user = acc.wd.resource_values("maas360_script_user.vendor").await;
    assert!(version(&rotated) > version(&secret));
    assert_eq!(user["password_wo_version"], rotated["secret_version"], "{user:#}");
    acc.assert_no_drift("after the rotation reached the store").await;
}

const TWO_VENDORS: &str = r#"
provider "jamf" {}

resource "jamf_api_role" "vendor" {
  display_name = "Vendor Integration"
  privileges   = ["Read Computers"]
}

resource "jamf_api_client" "verified" {
  display_name         = "Verified"
  authorization_scopes = [jamf_api_role.vendor.display_name]
}

resource "jamf_client_secret" "verified" {
  api_client_id     = jamf_api_client.verified.id
  verify_on_refresh = true
}

resource "jamf_api_client" "plain" {
  display_name         = "Plain"
  authorization_scopes = [jamf_api_role.vendor.display_name]
}

resource "jamf_client_secret" "plain" {
  api_client_id = jamf_api_client.plain.id
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_on_refresh_plans_a_new_secret_after_a_console_rotation_and_only_with_it() {
    let Some(acc) = Acc::start("verify_on_refresh_plans_a_new_secret_after_a_console_rotation").await else {
        return;
    };
    acc.config(TWO_VENDORS);
    acc.wd.apply().await.ok();
    acc.assert_no_drift("verified secrets").await;
    // Two refreshes: one access token of the verified client each, none of the other.
    let mut tokens = Vec::new();
    for name in ["verified", "plain"] {
        let id = acc.wd.resource_values(&format!("jamf_api_client.{name}")).await["id"].as_str().unwrap().to_string();
        tokens.push(acc.jamf_object("integrations", &id).await.expect("the client")["activeTokens"].clone());
    }
    assert_eq!(tokens, [json!(2), json!(0)], "one token per verified secret per refresh");

    // Someone clicks "Generate client secret" in the console for both clients.
    let verified = acc.wd.resource_values("jamf_client_secret.verified").await;
    for name in ["verified", "plain"] {
        let id = acc.wd.resource_values(&format!("jamf_api_client.{name}")).await["id"].as_str().unwrap().to_string();
        acc.post(&format!("/_sim/jamf/integrations/{id}/rotate"), json!({})).await;
    }
    // Within two minutes of its generation, a refusal is taken for Jamf Cloud replication lag.
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert!(flat(&plan.combined()).contains("could not be verified yet"), "{}", plan.combined());
    acc.age_private_state(Duration::from_secs(180));
    let plan = acc.wd.run(&["plan", "-input=false", "-out=acc.tfplan"]).await.ok();
    let out = flat(&plan.combined());
    let id = verified["id"].as_str().unwrap();
    assert!(
        out.contains(&format!(
            "Warning: The secret of API client \"Verified\" (id {id}) was refused by Jamf Pro: a new one is planned"
        )),
        "{out}"
    );
    assert!(out.contains("rotated outside Terraform"), "{out}");
    assert!(out.contains("jamf_client_secret.verified will be created"), "{out}");
    let show = acc.wd.run(&["show", "-json", "acc.tfplan"]).await.ok();
    let plan: Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(planned_actions(&plan, "jamf_client_secret.verified"), ["create"]);
    // Without verification the console rotation stays unseen: nothing planned.
    assert_eq!(planned_actions(&plan, "jamf_client_secret.plain"), ["no-op"]);
    acc.wd.run(&["apply", "-input=false", "acc.tfplan"]).await.ok();
    let new = acc.wd.resource_values("jamf_client_secret.verified").await;
    assert!(version(&new) > version(&verified));
    let r = acc.oauth_token(new["client_id"].as_str().unwrap(), new["client_secret"].as_str().unwrap()).await;
    assert_eq!(r.status, 200, "the new secret works: {:?}", r.body);
    acc.assert_no_drift("after the refused secret was replaced").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_on_refresh_keeps_the_state_when_the_token_endpoint_fails_and_leaves_disabled_clients_alone() {
    let Some(mut acc) = Acc::start("verify_on_refresh_keeps_the_state_when_the_token_endpoint_fails").await else {
        return;
    };
    acc.config(&secret_config("  verify_on_refresh = true"));
    acc.wd.apply().await.ok();
    let before = acc.wd.resource_values("jamf_client_secret.vendor").await;
    acc.age_private_state(Duration::from_secs(180));

    // The provider signs in with a username, so that only the verification uses the OAuth token
    // endpoint, which then drops every connection.
    let admin = acc.sim.jamf_admin().clone();
    acc.wd.remove_env("JAMF_CLIENT_ID");
    acc.wd.remove_env("JAMF_CLIENT_SECRET");
    acc.wd.set_env("JAMF_USERNAME", &admin.username);
    acc.wd.set_env("JAMF_PASSWORD", &admin.password);
    acc.put("/_sim/jamf/faults", json!({"dropConnections": {"count": 100, "only": "POST /api/v1/oauth/token"}})).await;
    let plan = acc.wd.plan_exitcode().await;
    acc.delete("/_sim/jamf/faults").await;
    assert_eq!(plan.code, 0, "the state is kept:\n{}", plan.combined());
    let out = flat(&plan.combined());
    let id = before["id"].as_str().unwrap();
    assert!(
        out.contains(&format!("Warning: The secret of API client \"Vendor\" (id {id}) could not be verified")),
        "{out}"
    );
    assert!(out.contains("The state is kept as it is"), "{out}");
    let after = acc.wd.resource_values("jamf_client_secret.vendor").await;
    assert_eq!(after["client_secret"], before["client_secret"]);

    // A disabled client's secret is invalid by design: verification plans no new one for it.
    acc.patch(&format!("/_sim/jamf/integrations/{id}"), json!({"enabled": false})).await;
    acc.config(&secret_config("  verify_on_refresh = true").replace(
        "authorization_scopes = [jamf_api_role.vendor.display_name]",
        "authorization_scopes = [jamf_api_role.vendor.display_name]\n  enabled              = false",
    ));
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    let out = flat(&plan.combined());
    assert!(out.contains("is disabled: no secret of it is valid"), "{out}");
    assert!(!out.contains("refused by Jamf Pro"), "{out}");
}
/// The ```hcl / ```terraform blocks of the guide "Delivering the secret", and its path.
fn guide_blocks() -> (std::path::PathBuf, Vec<String>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = root.join("templates/jamf/guides/delivering-the-secret.md");
    let text = std::fs::read_to_string(&guide).expect("the guide exists");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line == "```hcl" || line == "```terraform" => current = Some(String::new()),
            Some(b) if line == "```" => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
            None => {}
        }
    }
    assert!(blocks.len() >= 5, "the guide shows its stores in HCL: {} blocks", blocks.len());
    (guide, blocks)
}

/// Every HCL block of the guide "Delivering the secret" is what `terraform fmt` writes.
#[test]
fn the_delivering_the_secret_guide_is_terraform_fmt_clean() {
    let Some(tf) =
        crate::common::terraform::terraform_or_skip("the_delivering_the_secret_guide_is_terraform_fmt_clean")
    else {
        return;
    };
    let (guide, blocks) = guide_blocks();
    for (n, block) in blocks.iter().enumerate() {
        use std::io::Write as _;
        let mut child = std::process::Command::new(&tf)
            .args(["fmt", "-check", "-diff", "-no-color", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("terraform fmt runs");
        child.stdin.take().unwrap().write_all(block.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "block {n} of {} is not `terraform fmt` clean:\n{}{}\n{block}",
            guide.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The guide's own Jamf configuration (the client and its self-rotating secret) is valid against
/// this provider's schema, so its attribute names are real.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delivering_the_secret_guide_configures_real_attributes() {
    let Some(acc) = Acc::start("the_delivering_the_secret_guide_configures_real_attributes").await else { return };
    let (_, blocks) = guide_blocks();
    let jamf = blocks.iter().find(|b| b.contains("resource \"jamf_client_secret\"")).expect("the secret's block");
    acc.config(&format!("provider \"jamf\" {{}}\n{jamf}"));
    let out = acc.wd.run(&["validate", "-no-color"]).await;
    assert_eq!(out.code, 0, "{}\n{jamf}", out.combined());
    let plan = acc.plan_json().await;
    assert_eq!(planned_actions(&plan, "jamf_client_secret.inventory_sync"), ["create"]);
}
