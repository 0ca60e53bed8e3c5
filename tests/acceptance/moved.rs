//! `moved` blocks from the deploymenttheory/jamfpro provider (`MoveResourceState`): real
//! terraform, our provider binary, and a stand-in for the incumbent (tests/common/incumbent.rs,
//! attached in this process) that serves the incumbent's schema and manages nothing. The prior
//! state is a v4 state file written the way the incumbent (SDKv2) writes it, for objects made
//! through the Jamf Pro API the way the console makes them.

use base64::Engine as _;
use mdmkit::plugin::serve::Reattached;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::acc::{Acc, flat, planned_actions};
use crate::common::incumbent::{self, Calls, IncumbentProvider};

/// The incumbent's stand-in, attached for every terraform run of `acc`.
struct Stand {
    served: Reattached,
    calls: Calls,
    _dir: tempfile::TempDir,
}

async fn attach_incumbent(acc: &mut Acc) -> Stand {
    let dir = tempfile::tempdir().expect("temp dir");
    let calls = Calls::default();
    let served =
        mdmkit::plugin::serve_in_process(IncumbentProvider { calls: calls.clone() }, incumbent::ADDRESS, dir.path())
            .await
            .expect("the stand-in serves");
    acc.wd.set_env("TF_REATTACH_PROVIDERS", &served.reattach_json);
    Stand { served, calls, _dir: dir }
}

/// The objects an admin clicked together in the console, then managed with the incumbent.
struct Console {
    role_id: String,
    client_id: String,
    oauth_client_id: String,
    /// The secret the vendor holds (generated in the console; the incumbent has no secret resource).
    secret: String,
    role_name: String,
    lifetime: i64,
}

async fn console_objects(acc: &Acc) -> Console {
    console_objects_with(acc, "Vendor Integration", &["Read Computers", "Read Mobile Devices"], 86400).await
}

/// A role and a client "Vendor" holding it, with a secret.
async fn console_objects_with(acc: &Acc, role_name: &str, privileges: &[&str], lifetime: i64) -> Console {
    let role = acc
        .jamf_api(Method::POST, "/api/v1/api-roles", Some(json!({"displayName": role_name, "privileges": privileges})))
        .await;
    assert_eq!(role.status, 200, "{:?}", role.body);
    let client = acc
        .jamf_api(
            Method::POST,
            "/api/v1/api-integrations",
            Some(json!({
                "displayName": "Vendor", "authorizationScopes": [role_name], "enabled": true,
                "accessTokenLifetimeSeconds": lifetime
            })),
        )
        .await;
    assert_eq!(client.status, 200, "{:?}", client.body);
    let id = client.body["id"].to_string();
    let creds = acc.jamf_api(Method::POST, &format!("/api/v1/api-integrations/{id}/client-credentials"), None).await;
    assert_eq!(creds.status, 200, "{:?}", creds.body);
    Console {
        role_id: role.body["id"].as_str().expect("role id").to_string(),
        client_id: id,
        oauth_client_id: client.body["clientId"].as_str().expect("clientId").to_string(),
        secret: creds.body["clientSecret"].as_str().expect("clientSecret").to_string(),
        role_name: role_name.to_string(),
        lifetime,
    }
}

/// SDKv2's private data: its timeouts and the schema version.
fn sdkv2_private() -> String {
    base64::engine::general_purpose::STANDARD.encode(
        br#"{"e2bfb730-ecaa-11e6-8f88-34363bc7c4c0":{"create":70000000000,"delete":70000000000,"read":70000000000,"update":70000000000},"schema_version":"0"}"#,
    )
}

fn instance(ty: &str, name: &str, attributes: Value, schema_version: i64, dependencies: &[String]) -> Value {
    json!({
        "mode": "managed",
        "type": ty,
        "name": name,
        "provider": "provider[\"registry.terraform.io/deploymenttheory/jamfpro\"]",
        "instances": [{
            "schema_version": schema_version,
            "attributes": attributes,
            "sensitive_attributes": [],
            "private": sdkv2_private(),
            "dependencies": dependencies,
        }]
    })
}

/// The incumbent's state of the console's role and client, as its last refresh wrote it.
fn incumbent_state(c: &Console, role_privileges: &[&str], role_version: i64) -> String {
    incumbent_state_named(c, "x", role_privileges, role_version)
}

/// [`incumbent_state`] with the resources named `name`.
fn incumbent_state_named(c: &Console, name: &str, role_privileges: &[&str], role_version: i64) -> String {
    let state = json!({
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 7,
        "lineage": "0f5e7a52-3c1b-4b8e-9d0a-6c2f1e4b7a90",
        "outputs": {},
        "resources": [
            instance(
                "jamfpro_api_integration",
                name,
                json!({
                    "access_token_lifetime_seconds": c.lifetime,
                    "app_type": "CLIENT_CREDENTIALS",
                    "authorization_scopes": [c.role_name],
                    "client_id": c.oauth_client_id,
                    "display_name": "Vendor",
                    "enabled": true,
                    "id": c.client_id,
                    "timeouts": null
                }),
                0,
                &[format!("jamfpro_api_role.{name}")],
            ),
            instance(
                "jamfpro_api_role",
                name,
                json!({"display_name": c.role_name, "id": c.role_id, "privileges": role_privileges, "timeouts": null}),
                role_version,
                &[],
            ),
        ],
        "check_results": null
    });
    serde_json::to_string_pretty(&state).expect("JSON")
}

/// The configuration after the migration pull request: our provider, the moved blocks, and
/// the resources renamed; the incumbent stays required while the state still names it
/// (`incumbent`), and can go once the moves are applied.
fn migrated(incumbent: bool, extra: &str) -> String {
    let jamfpro = if incumbent { "\n    jamfpro = { source = \"deploymenttheory/jamfpro\" }" } else { "" };
    format!(
        r#"terraform {{
  required_providers {{
    jamf    = {{ source = "mdmkit/jamf" }}{jamfpro}
  }}
}}

moved {{
  from = jamfpro_api_role.x
  to   = jamf_api_role.x
}}

moved {{
  from = jamfpro_api_integration.x
  to   = jamf_api_client.x
}}

resource "jamf_api_role" "x" {{
  display_name = "Vendor Integration"
  privileges   = ["Read Computers", "Read Mobile Devices"]
}}

resource "jamf_api_client" "x" {{
  display_name                  = "Vendor"
  authorization_scopes          = [jamf_api_role.x.display_name]
  access_token_lifetime_seconds = 86400
}}
{extra}"#
    )
}

/// Requests that change something on the Jamf Pro server (token requests excluded).
fn writes(stats: &Value) -> Vec<String> {
    stats["requests"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, n)| {
            !k.starts_with("GET ") && !k.contains("/oauth/token") && !k.contains("/auth/token") && n.as_u64() > Some(0)
        })
        .map(|(k, n)| format!("{k}: {n}"))
        .collect()
}

fn reads(stats: &Value, prefix: &str) -> u64 {
    stats["requests"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.starts_with(prefix))
        .filter_map(|(_, n)| n.as_u64())
        .sum()
}

/// The lines of a plan's human output that say what happens to each object.
fn plan_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.trim_start().starts_with('#') || l.starts_with("Plan:") || l.contains("must be replaced"))
        .map(|l| l.trim_end().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moved_from_jamfpro_without_replacing_or_writing_anything() {
    let Some(mut acc) = Acc::start("moved_from_jamfpro_without_replacing_or_writing_anything").await else { return };
    let stand = attach_incumbent(&mut acc).await;
    let c = console_objects(&acc).await;
    acc.wd.write("terraform.tfstate", &incumbent_state(&c, &["Read Computers", "Read Mobile Devices"], 0));
    acc.wd.write("main.tf", &migrated(true, ""));
    acc.reset_stats("jamf").await;

    let plan = acc.wd.run(&["plan", "-input=false", "-out=moves.tfplan"]).await.ok();
    let lines = plan_lines(&plan.stdout);
    let shown = plan.stdout.split("Terraform will perform").nth(1).unwrap_or(&plan.stdout);
    println!("plan of the moves:\nTerraform will perform{shown}");
    assert!(lines.contains(&"  # jamfpro_api_role.x has moved to jamf_api_role.x".to_string()), "{}", plan.stdout);
    assert!(
        lines.contains(&"  # jamfpro_api_integration.x has moved to jamf_api_client.x".to_string()),
        "{}",
        plan.stdout
    );
    assert!(lines.contains(&"Plan: 0 to add, 0 to change, 0 to destroy.".to_string()), "{}", plan.stdout);
    assert!(!plan.stdout.contains("must be replaced") && !plan.stdout.contains("will be"), "{}", plan.stdout);
    let stats = acc.take_stats("jamf").await;
    // The moved objects were refreshed against the server in that same plan.
    assert!(
        reads(&stats, "GET /api/v1/api-roles") >= 1 && reads(&stats, "GET /api/v1/api-integrations") >= 1,
        "{stats:#}"
    );
    assert_eq!(writes(&stats), Vec::<String>::new(), "a plan writes nothing");

    let show: Value =
        serde_json::from_str(&acc.wd.run(&["show", "-json", "moves.tfplan"]).await.ok().stdout).expect("plan JSON");
    for (to, from) in [("jamf_api_role.x", "jamfpro_api_role.x"), ("jamf_api_client.x", "jamfpro_api_integration.x")] {
        assert_eq!(planned_actions(&show, to), ["no-op"], "{to}");
        let change = show["resource_changes"].as_array().unwrap().iter().find(|r| r["address"] == to).unwrap();
        assert_eq!(change["previous_address"], from, "{change:#}");
    }

    let applied = acc.wd.run(&["apply", "-input=false", "moves.tfplan"]).await.ok();
    assert!(applied.stdout.contains("Resources: 0 added, 0 changed, 0 destroyed."), "{}", applied.stdout);
    assert_eq!(writes(&acc.take_stats("jamf").await), Vec::<String>::new(), "the apply writes nothing");

    let state: Value = serde_json::from_str(&acc.wd.state_text()).expect("state");
    let resources = state["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 2, "{state:#}");
    for r in resources {
        assert_eq!(r["provider"], "provider[\"registry.terraform.io/mdmkit/jamf\"]", "{r:#}");
    }
    let role = acc.wd.resource_values("jamf_api_role.x").await;
    assert_eq!(role["id"], c.role_id.as_str());
    let client = acc.wd.resource_values("jamf_api_client.x").await;
    assert_eq!(
        (&client["id"], &client["client_id"], &client["access_token_lifetime_seconds"], &client["enabled"]),
        (&json!(c.client_id), &json!(c.oauth_client_id), &json!(86400), &json!(true))
    );
    acc.assert_no_drift("moved from jamfpro").await;

    // The move changed nothing the vendor relies on: its secret still works, none was minted.
    assert_eq!(acc.oauth_token(&c.oauth_client_id, &c.secret).await.status, 200);
    let on_server = acc.jamf_object("integrations", &c.client_id).await.expect("the client");
    assert_eq!(on_server["secretsIssued"], 1, "{on_server:#}");

    // The guide's next step: the incumbent is no longer needed (the moved blocks may stay), and
    // the secret, which the incumbent never managed, is a new one.
    acc.wd.remove_env("TF_REATTACH_PROVIDERS");
    acc.wd.write("main.tf", &migrated(false, ""));
    acc.assert_no_drift("moved from jamfpro, the incumbent gone").await;
    acc.wd.write(
        "main.tf",
        &migrated(false, "\nresource \"jamf_client_secret\" \"x\" {\n  api_client_id = jamf_api_client.x.id\n}\n"),
    );
    let plan = acc.wd.run(&["plan", "-input=false"]).await.ok();
    assert!(plan.stdout.contains("# jamf_client_secret.x will be created"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    acc.wd.apply().await.ok();
    assert_eq!(
        acc.oauth_token(&c.oauth_client_id, &c.secret).await.status,
        401,
        "the console's secret is rotated away"
    );
    let new_secret = acc.wd.resource_values("jamf_client_secret.x").await;
    assert_eq!(new_secret["client_id"], c.oauth_client_id.as_str());
    acc.assert_no_drift("moved from jamfpro, then a new secret").await;

    // Terraform loads the schema of every provider the state names (after planning): that is
    // all it needs of the incumbent.
    let log = acc.trace.text();
    assert!(
        log.contains(
            "LoadSchemas: retrieving schema for provider type \"registry.terraform.io/deploymenttheory/jamfpro\""
        ),
        "the incumbent's schema was never asked for"
    );
    assert_eq!(stand.calls.taken(), Vec::<String>::new(), "the incumbent was needed for its schema only");
    stand.served.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_object_is_refreshed_in_the_same_plan_so_console_edits_show() {
    let Some(mut acc) = Acc::start("a_moved_object_is_refreshed_in_the_same_plan_so_console_edits_show").await else {
        return;
    };
    let stand = attach_incumbent(&mut acc).await;
    let c = console_objects(&acc).await;
    // The incumbent last saw one privilege; someone added one in the console since, and disabled the client.
    acc.wd.write("terraform.tfstate", &incumbent_state(&c, &["Read Computers"], 0));
    acc.patch(
        &format!("/_sim/jamf/roles/{}", c.role_id),
        json!({"privileges": ["Read Computers", "Delete Computers"]}),
    )
    .await;
    acc.patch(&format!("/_sim/jamf/integrations/{}", c.client_id), json!({"enabled": false})).await;
    acc.wd.write("main.tf", &migrated(true, ""));

    let plan = acc.wd.run(&["plan", "-input=false", "-out=moves.tfplan"]).await.ok();
    let text = plan.stdout.clone();
    // A moved object with changes is shown as its change, "(moved from ...)".
    for (to, from) in [("jamf_api_role.x", "jamfpro_api_role.x"), ("jamf_api_client.x", "jamfpro_api_integration.x")] {
        assert!(text.contains(&format!("  # {to} will be updated in-place\n  # (moved from {from})")), "{text}");
    }
    assert!(text.contains("- \"Delete Computers\",") && text.contains("+ \"Read Mobile Devices\","), "{text}");
    assert!(text.contains("~ enabled") && text.contains("false -> true"), "{text}");
    assert!(text.contains("Plan: 0 to add, 2 to change, 0 to destroy."), "{text}");
    assert!(!text.contains("must be replaced"), "{text}");
    acc.wd.run(&["apply", "-input=false", "moves.tfplan"]).await.ok();
    let role = acc.jamf_object("roles", &c.role_id).await.expect("the role");
    let mut privileges: Vec<&str> = role["privileges"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    privileges.sort();
    assert_eq!(privileges, ["Read Computers", "Read Mobile Devices"]);
    acc.assert_no_drift("moved with drift").await;
    assert_eq!(stand.calls.taken(), Vec::<String>::new());
    stand.served.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_terraform_cannot_make_are_refused_with_what_is_supported() {
    let Some(mut acc) = Acc::start("moves_terraform_cannot_make_are_refused_with_what_is_supported").await else {
        return;
    };
    let stand = attach_incumbent(&mut acc).await;
    let c = console_objects(&acc).await;
    // A role written by a schema version we do not know, and a client moved to a secret.
    let state = incumbent_state(&c, &["Read Computers", "Read Mobile Devices"], 1);
    acc.wd.write("terraform.tfstate", &state);
    acc.wd.write(
        "main.tf",
        r#"terraform {
  required_providers {
    jamf    = { source = "mdmkit/jamf" }
    jamfpro = { source = "deploymenttheory/jamfpro" }
  }
}

moved {
  from = jamfpro_api_role.x
  to   = jamf_api_role.x
}

moved {
  from = jamfpro_api_integration.x
  to   = jamf_client_secret.x
}

resource "jamf_api_role" "x" {
  display_name = "Vendor Integration"
  privileges   = ["Read Computers", "Read Mobile Devices"]
}

resource "jamf_client_secret" "x" {
  api_client_id = "1"
}
"#,
    );
    acc.reset_stats("jamf").await;
    let plan = acc.wd.run(&["plan", "-input=false"]).await;
    assert_eq!(plan.code, 1, "{}", plan.combined());
    let text = flat(&plan.combined());
    assert!(text.contains("Error: Unsupported source schema version"), "{text}");
    assert!(text.contains("written with schema version 1 of the registry.terraform.io/deploymenttheory/jamfpro provider; only version 0 can be moved"), "{text}");
    assert!(text.contains("Error: Unsupported move source"), "{text}");
    assert!(text.contains("jamf_client_secret cannot take over the state of jamfpro_api_integration"), "{text}");
    assert!(text.contains("move it to a jamf_api_client"), "{text}");
    assert_eq!(writes(&acc.take_stats("jamf").await), Vec::<String>::new());
    assert_eq!(acc.wd.state_text(), state, "a refused move leaves the state as it was");
    assert_eq!(stand.calls.taken(), Vec::<String>::new());
    stand.served.shutdown().await;
}

/// The `terraform` code blocks of a docs guide, in order.
fn guide_blocks(name: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/jamf/guides").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```terraform") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migration_guides_pull_request_plans_only_the_moves_and_the_new_secret() {
    let Some(mut acc) = Acc::start("the_migration_guides_pull_request_plans_only_the_moves_and_the_new_secret").await
    else {
        return;
    };
    let stand = attach_incumbent(&mut acc).await;
    let blocks = guide_blocks("migrating-from-jamfpro.md");
    let [before, after] = blocks.as_slice() else { panic!("the guide shows a before and an after: {blocks:?}") };
    assert!(before.contains("resource \"jamfpro_api_integration\" \"vendor\""), "{before}");
    // The objects the guide's "before" manages, as its last apply left them.
    let c = console_objects_with(&acc, "Vendor Role", &["Read Computers"], 600).await;
    acc.wd.write("terraform.tfstate", &incumbent_state_named(&c, "vendor", &["Read Computers"], 0));
    acc.wd.write("main.tf", after);
    acc.reset_stats("jamf").await;
    let plan = acc.wd.run(&["plan", "-input=false"]).await.ok();
    let lines = plan_lines(&plan.stdout);
    for line in [
        "  # jamfpro_api_integration.vendor has moved to jamf_api_client.vendor",
        "  # jamfpro_api_role.vendor has moved to jamf_api_role.vendor",
        "  # jamf_client_secret.vendor will be created",
        "Plan: 1 to add, 0 to change, 0 to destroy.",
    ] {
        assert!(lines.contains(&line.to_string()), "{line:?} not in the plan:\n{}", plan.stdout);
    }
    assert_eq!(lines.len(), 4 + 2, "only the moves and the secret (and their hidden-attribute lines): {lines:#?}");
    assert_eq!(writes(&acc.take_stats("jamf").await), Vec::<String>::new());
    acc.wd.apply().await.ok();
    assert_eq!(acc.oauth_token(&c.oauth_client_id, &c.secret).await.status, 401, "the old secret is invalidated");
    let secret = acc.wd.resource_values("jamf_client_secret.vendor").await;
    let new = secret["client_secret"].as_str().expect("the new secret");
    assert_eq!(acc.oauth_token(&c.oauth_client_id, new).await.status, 200);
    acc.assert_no_drift("the migration guide's pull request").await;
    assert_eq!(stand.calls.taken(), Vec::<String>::new());
    stand.served.shutdown().await;
}
