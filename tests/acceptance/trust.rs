//! Trust: the providers never adopt, delete or rotate what is not theirs, even when the network
//! loses answers or Jamf Cloud's servers lag behind each other.

use crate::common::acc::{Acc, flat, many, requests};
use reqwest::Method;
use serde_json::json;

/// A role and an API client made by hand in Jamf Pro, with exactly the values the configuration
/// below declares: an old provider adopted them after a lost answer.
const BY_HAND: &str = r#"
resource "jamf_api_role" "vendor" {
  display_name = "Made by hand"
  privileges   = ["Read Computers"]
}

resource "jamf_api_client" "vendor" {
  display_name         = "Hand client"
  authorization_scopes = ["Other role"]
  enabled              = true
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_never_adopts_a_role_or_client_made_by_hand() {
    let Some(acc) = Acc::start("a_lost_answer_never_adopts_a_role_or_client_made_by_hand").await else { return };
    let made = |body| acc.jamf_api(Method::POST, "/api/v1/api-roles", Some(body));
    let other = made(json!({"displayName": "Other role", "privileges": ["Read Computers"]})).await;
    assert_eq!(other.status, 200, "{:?}", other.body);

    // Planned while the names are free (a name already taken is caught at plan); the objects are
    // made by hand between the plan and its apply.
    acc.config(BY_HAND);
    let plan = acc.wd.run(&["plan", "-input=false", "-out=tfplan"]).await;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    let role = made(json!({"displayName": "Made by hand", "privileges": ["Read Computers"]})).await;
    assert_eq!(role.status, 200, "{:?}", role.body);
    let role_id = role.body["id"].as_str().unwrap().to_string();
    let client = acc
        .jamf_api(
            Method::POST,
            "/api/v1/api-integrations",
            Some(json!({"displayName": "Hand client", "authorizationScopes": ["Other role"], "enabled": true,
                        "accessTokenLifetimeSeconds": 300})),
        )
        .await;
    assert_eq!(client.status, 200, "{:?}", client.body);
    let client_id = client.body["id"].as_u64().map(|n| n.to_string()).unwrap();

    // Every create would lose its answer (roles: Jamf Pro acts, the answer never comes back) or its
    // connection (clients): before this fix the lookup that followed adopted the hand-made objects.
    // Now the apply's own plan finds the names taken and nothing is sent.
    acc.put(
        "/_sim/jamf/faults",
        json!({"lostResponses": {"count": 5, "only": "POST /api/v1/api-roles"},
               "dropConnections": {"count": 5, "only": "POST /api/v1/api-integrations"}}),
    )
    .await;
    acc.reset_stats("jamf").await;
    let apply = acc.wd.run(&["apply", "-input=false", "tfplan"]).await;
    let stats = acc.stats("jamf").await;
    acc.delete("/_sim/jamf/faults").await;
    assert_eq!(apply.code, 1, "{}", apply.combined());
    let out = flat(&apply.combined());
    assert!(out.contains("API role display name already in use"), "{out}");
    assert!(out.contains("API client display name already in use"), "{out}");
    assert!(out.contains(&format!("terraform import <this resource's address> {role_id}")), "{out}");
    assert!(out.contains(&format!("terraform import <this resource's address> {client_id}")), "{out}");
    assert_eq!(requests(&stats, "POST /api/v1/api-roles"), 0, "nothing sent: {stats}");
    assert_eq!(requests(&stats, "POST /api/v1/api-integrations"), 0, "nothing sent: {stats}");

    // Not adopted: the state holds neither, and removing the configuration leaves both alone.
    // (A plain `terraform destroy` plans the configuration first, and that plan still reports
    // the names as taken.)
    let show = acc.wd.show_json().await;
    assert!(show["values"]["root_module"]["resources"].as_array().is_none_or(Vec::is_empty), "{show}");
    acc.config("");
    let emptied = acc.wd.apply().await;
    assert_eq!(emptied.code, 0, "{}", emptied.combined());
    assert!(acc.jamf_object("roles", &role_id).await.is_some(), "the hand-made role still exists");
    assert!(acc.jamf_object("integrations", &client_id).await.is_some(), "the hand-made client still exists");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_after_an_apply_rides_out_replication_lag() {
    let Some(acc) = Acc::start("the_plan_after_an_apply_rides_out_replication_lag").await else { return };
    let n = 2;
    acc.config(&many(n, true));
    // Every object the apply creates stays invisible to any other session (the next provider
    // process) for a minute: far longer than the plan below takes.
    acc.put("/_sim/jamf/faults", json!({"replicationLagMs": 60_000})).await;
    let apply = acc.wd.apply().await;
    assert_eq!(apply.code, 0, "{}", apply.combined());
    acc.reset_stats("jamf").await;
    let plan = acc.wd.plan_exitcode().await;
    let stats = acc.stats("jamf").await;
    assert_eq!(plan.code, 0, "no change planned, nothing created again:\n{}", plan.combined());
    assert!(stats["faultsInjected"]["replicationLag"].as_u64().unwrap_or(0) > 0, "the lag was met: {stats}");
    assert!(flat(&plan.combined()).contains("not visible yet"), "the plan says why: {}", plan.combined());
    acc.delete("/_sim/jamf/faults").await;

    // Exactly the declared objects, each once, and every secret still the one that works.
    let mut roles: Vec<String> =
        acc.jamf_objects("roles").await.iter().map(|r| r["displayName"].as_str().unwrap().to_string()).collect();
    roles.sort();
    assert_eq!(roles, ["Role 0", "Role 1"]);
    let clients = acc.jamf_objects("integrations").await;
    assert_eq!(clients.len(), n);
    for c in &clients {
        assert_eq!(c["secretsIssued"], 1, "no secret generated again: {c}");
    }
    // Once replicated, a plain plan agrees.
    assert_eq!(acc.wd.plan_exitcode().await.code, 0);
    // Every run above was traced to the log the end of the test scans for secrets and tokens.
    assert!(acc.trace.text().contains("[TRACE]"), "the trace log is written");
}

/// `(address, private)` of every resource instance in a state file.
fn privates(state: &str) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(state).expect("state is JSON");
    let mut out = Vec::new();
    for r in v["resources"].as_array().into_iter().flatten() {
        for (i, inst) in r["instances"].as_array().into_iter().flatten().enumerate() {
            let address = format!("{}.{}[{i}]", r["type"].as_str().unwrap_or(""), r["name"].as_str().unwrap_or(""));
            out.push((address, inst["private"].as_str().unwrap_or("").to_string()));
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_creation_time_in_private_state_survives_a_refresh_byte_for_byte() {
    let Some(acc) = Acc::start("the_creation_time_in_private_state_survives_a_refresh_byte_for_byte").await else {
        return;
    };
    acc.config(&many(1, true));
    assert_eq!(acc.wd.apply().await.code, 0);
    let before = privates(&acc.wd.state_text());
    assert_eq!(before.len(), 3, "{before:?}");
    use base64::Engine as _;
    for (address, private) in &before {
        let bytes = base64::engine::general_purpose::STANDARD.decode(private).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        assert!(v["created_at"].as_u64().is_some(), "{address} records when it was created: {v}");
    }
    let refresh = acc.wd.run(&["apply", "-refresh-only", "-auto-approve", "-input=false"]).await;
    assert_eq!(refresh.code, 0, "{}", refresh.combined());
    assert_eq!(privates(&acc.wd.state_text()), before, "a refresh of unchanged objects changes no private byte");
}
