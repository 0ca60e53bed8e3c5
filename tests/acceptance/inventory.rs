//! The inventory data sources (`jamf_api_roles`, `jamf_api_clients`) with real terraform: what
//! they answer about objects made outside Terraform, how many requests they cost (one paged list
//! per type, the display-name pattern applied by the server), and the audit examples users copy.

use std::path::Path;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::acc::{Acc, flat, requests};

/// Makes roles and clients through the Jamf API as the console would, with one admin token.
pub(crate) struct Console<'a> {
    acc: &'a Acc,
    token: String,
}

impl<'a> Console<'a> {
    pub(crate) async fn new(acc: &'a Acc) -> Console<'a> {
        Console { acc, token: acc.admin_token().await }
    }

    pub(crate) async fn role(&self, name: &str, privileges: &[&str]) -> String {
        let r = self
            .acc
            .jamf_api_with(
                &self.token,
                Method::POST,
                "/api/v1/api-roles",
                Some(json!({"displayName": name, "privileges": privileges})),
            )
            .await;
        assert_eq!(r.status, 200, "role {name:?}: {:?}", r.body);
        r.body["id"].as_str().expect("role id").to_string()
    }

    pub(crate) async fn client(&self, name: &str, roles: &[&str], enabled: bool, lifetime: Option<i64>) -> String {
        let mut body = json!({"displayName": name, "authorizationScopes": roles, "enabled": enabled});
        if let Some(l) = lifetime {
            body["accessTokenLifetimeSeconds"] = json!(l);
        }
        let r = self.acc.jamf_api_with(&self.token, Method::POST, "/api/v1/api-integrations", Some(body)).await;
        assert!(r.status == 200 || r.status == 201, "client {name:?}: {:?}", r.body);
        r.body["id"].as_u64().map(|n| n.to_string()).expect("client id")
    }
}

/// `terraform output -json` as a map of output name to value.
async fn outputs(acc: &Acc) -> Value {
    let out = acc.wd.run(&["output", "-json"]).await.ok();
    let all: Value = serde_json::from_str(&out.stdout).expect("output -json is JSON");
    let mut values = serde_json::Map::new();
    for (k, v) in all.as_object().expect("outputs object") {
        values.insert(k.clone(), v["value"].clone());
    }
    Value::Object(values)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap_or_else(|| panic!("not a list: {v}")).iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_lists_console_made_roles_and_clients_with_effective_privileges() {
    let Some(acc) = Acc::start("inventory_lists_console_made_roles_and_clients_with_effective_privileges").await else {
        return;
    };
    let console = Console::new(&acc).await;
    let readers = console.role("Readers", &["Read Computers", "Read Mobile Devices"]).await;
    let lockers = console.role("Lockers", &["Read Computers", "Send Computer Remote Lock Command"]).await;
    let both = console.client("Both roles", &["Readers", "Lockers"], true, Some(86400)).await;
    let off = console.client("Disabled reader", &["Readers"], false, None).await;

    acc.config(
        r#"
data "jamf_api_roles" "all" {}
data "jamf_api_clients" "all" {}

output "roles" {
  value = { for r in data.jamf_api_roles.all.roles : r.id => r }
}
output "clients" {
  value = { for c in data.jamf_api_clients.all.clients : c.id => c }
}
output "role_order" {
  value = data.jamf_api_roles.all.roles[*].id
}
"#,
    );
    let applied = acc.wd.apply().await;
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let out = outputs(&acc).await;

    let roles = &out["roles"];
    assert_eq!(strings(&roles[&readers]["privileges"]), ["Read Computers", "Read Mobile Devices"]);
    assert_eq!(roles[&lockers]["display_name"], "Lockers");
    // The seeded role (the provider's own) comes first: ids in Jamf Pro's order.
    let order = strings(&out["role_order"]);
    assert_eq!(order.len(), 3, "{order:?}");
    assert_eq!(order[1..], [readers.clone(), lockers.clone()]);

    let clients = &out["clients"];
    let b = &clients[&both];
    assert_eq!(b["display_name"], "Both roles");
    assert_eq!(b["enabled"], true);
    assert_eq!(b["access_token_lifetime_seconds"], 86400);
    assert_eq!(b["app_type"], "NONE");
    assert_eq!(strings(&b["authorization_scopes"]), ["Lockers", "Readers"]);
    assert_eq!(
        strings(&b["effective_privileges"]),
        ["Read Computers", "Read Mobile Devices", "Send Computer Remote Lock Command"],
        "the union of both roles' privileges"
    );
    let sim_client = acc.jamf_object("integrations", &both).await.expect("client in the simulator");
    assert_eq!(b["client_id"], sim_client["clientId"]);
    let o = &clients[&off];
    assert_eq!(o["enabled"], false);
    assert_eq!(o["access_token_lifetime_seconds"], 300, "Jamf Pro's default");
    assert_eq!(strings(&o["effective_privileges"]), ["Read Computers", "Read Mobile Devices"]);
    assert_eq!(clients.as_object().unwrap().len(), 3, "the provider's own client too: {clients}");

    // A role edited in the console shows at the next refresh.
    acc.patch(&format!("/_sim/jamf/roles/{readers}"), json!({"privileges": ["Read Computers"]})).await;
    let applied = acc.wd.apply().await;
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let out = outputs(&acc).await;
    assert_eq!(
        strings(&out["clients"][&off]["effective_privileges"]),
        ["Read Computers"],
        "effective privileges follow the role"
    );
}

/// More objects than one page (100): each data source still reads one paged list per type, and a
/// display-name pattern is applied by Jamf Pro (one page of matches instead of every page).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_of_more_objects_than_a_page_costs_one_paged_list_per_type() {
    let Some(acc) = Acc::start("inventory_of_more_objects_than_a_page_costs_one_paged_list_per_type").await else {
        return;
    };
    let console = Console::new(&acc).await;
    for n in 0..130 {
        console.role(&format!("Bulk role {n:03}"), &["Read Computers"]).await;
    }
    console.role("Vendor lock", &["Send Mobile Device Remote Lock Command"]).await;
    for n in 0..110 {
        let role = format!("Bulk role {:03}", n % 130);
        console.client(&format!("Bulk client {n:03}"), &[role.as_str()], n % 2 == 0, None).await;
    }
    console.client("Vendor one", &["Vendor lock"], true, None).await;
    console.client("Vendor two", &["Vendor lock", "Bulk role 007"], true, None).await;

    // Every client, with effective privileges: 112 clients (2 pages) and 132 roles (2 pages).
    acc.config(
        r#"
data "jamf_api_clients" "all" {}

output "count" {
  value = length(data.jamf_api_clients.all.clients)
}
output "vendor_two" {
  value = one([for c in data.jamf_api_clients.all.clients : c if c.display_name == "Vendor two"])
}
"#,
    );
    acc.reset_stats("jamf").await;
    let plan = acc.wd.run(&["plan", "-input=false", "-out=tfplan"]).await;
    let stats = acc.take_stats("jamf").await;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert_eq!(requests(&stats, "GET /api/v1/api-integrations"), 2, "two pages of clients: {stats}");
    assert_eq!(requests(&stats, "GET /api/v1/api-roles"), 2, "two pages of roles: {stats}");
    assert_eq!(requests(&stats, "GET /api/v1/api-roles/{id}"), 0, "no request per role: {stats}");
    assert_eq!(requests(&stats, "GET /api/v1/api-integrations/{id}"), 0, "no request per client: {stats}");
    let applied = acc.wd.run(&["apply", "-input=false", "tfplan"]).await;
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let out = outputs(&acc).await;
    assert_eq!(out["count"], 113, "112 made here and the provider's own");
    assert_eq!(
        strings(&out["vendor_two"]["effective_privileges"]),
        ["Read Computers", "Send Mobile Device Remote Lock Command"]
    );

    // A pattern: Jamf Pro filters, so two matching clients cost one page, not every page. The
    // roles list (for effective privileges) is still one paged list.
    acc.config(
        r#"
data "jamf_api_clients" "vendors" {
  display_name_pattern = "Vendor *"
}
data "jamf_api_roles" "vendor" {
  display_name_pattern = "Vendor*"
}

output "clients" {
  value = data.jamf_api_clients.vendors.clients[*].display_name
}
output "roles" {
  value = data.jamf_api_roles.vendor.roles[*].display_name
}
"#,
    );
    let applied = acc.wd.apply().await;
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let out = outputs(&acc).await;
    assert_eq!(strings(&out["clients"]), ["Vendor one", "Vendor two"]);
    assert_eq!(strings(&out["roles"]), ["Vendor lock"]);

    acc.config(
        r#"
data "jamf_api_clients" "vendors" {
  display_name_pattern = "Vendor *"
}
"#,
    );
    acc.reset_stats("jamf").await;
    let plan = acc.wd.run(&["plan", "-input=false"]).await;
    let stats = acc.take_stats("jamf").await;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert_eq!(requests(&stats, "GET /api/v1/api-integrations"), 1, "one filtered page: {stats}");
    assert_eq!(requests(&stats, "GET /api/v1/api-roles"), 2, "every role, for the privileges: {stats}");

    acc.config(
        r#"
data "jamf_api_roles" "bulk" {
  display_name_pattern = "Bulk role 12*"
}
output "roles" {
  value = data.jamf_api_roles.bulk.roles[*].display_name
}
"#,
    );
    acc.reset_stats("jamf").await;
    let applied = acc.wd.apply().await;
    let stats = acc.take_stats("jamf").await;
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert_eq!(requests(&stats, "GET /api/v1/api-roles"), 1, "one filtered page of roles: {stats}");
    let out = outputs(&acc).await;
    assert_eq!(strings(&out["roles"]), (120..130).map(|n| format!("Bulk role {n}")).collect::<Vec<_>>());

    // Matching nothing is an empty list, not an error.
    acc.config(
        r#"
data "jamf_api_roles" "none" {
  display_name_pattern = "No such role*"
}
output "roles" {
  value = data.jamf_api_roles.none.roles
}
"#,
    );
    let applied = acc.wd.apply().await;
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert_eq!(outputs(&acc).await["roles"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_display_name_pattern_is_refused_at_plan() {
    let Some(acc) = Acc::start("an_empty_display_name_pattern_is_refused_at_plan").await else { return };
    acc.config(
        r#"
data "jamf_api_clients" "x" {
  display_name_pattern = ""
}
"#,
    );
    let plan = acc.wd.run(&["plan", "-input=false"]).await;
    assert_eq!(plan.code, 1, "{}", plan.combined());
    let out = flat(&plan.combined());
    assert!(out.contains("display_name_pattern"), "{out}");
}

/// A copy of `examples/<dir>`'s `.tf` files in the test's working directory.
fn use_example(acc: &Acc, dir: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(dir);
    for e in std::fs::read_dir(&dir).expect("example dir").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tf") {
            acc.wd.write(&name, &std::fs::read_to_string(e.path()).expect("example file"));
        }
    }
}

/// `examples/data-sources/jamf_api_clients`: names exactly the enabled clients whose roles grant
/// a lock or wipe command, through any of their roles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lock_or_wipe_example_names_exactly_the_enabled_clients_that_can() {
    let Some(acc) = Acc::start("the_lock_or_wipe_example_names_exactly_the_enabled_clients_that_can").await else {
        return;
    };
    // The provider's own client holds every privilege; it is not what this test is about.
    let admin_name = {
        let admin = acc.sim.jamf_admin().client_id.clone();
        let all = acc.get("/_sim/jamf/integrations").await;
        all.as_array().unwrap().iter().find(|i| i["clientId"] == admin.as_str()).unwrap()["displayName"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let console = Console::new(&acc).await;
    console.role("Readers", &["Read Computers", "Read Mobile Devices"]).await;
    console.role("Mac lock", &["Read Computers", "Send Computer Remote Lock Command"]).await;
    console.role("iPad wipe", &["Send Mobile Device Remote Wipe Command"]).await;
    console.role("Lost mode", &["Send Mobile Device Lost Mode Command"]).await;
    console.role("Near miss", &["Send Computer Set Activation Lock Command", "View Recovery Lock"]).await;
    console.client("Vendor MDM", &["Readers", "iPad wipe"], true, None).await;
    console.client("Vendor helpdesk", &["Mac lock", "Lost mode"], true, None).await;
    console.client("Vendor off", &["Mac lock"], false, None).await;
    console.client("Vendor reader", &["Readers", "Near miss"], true, None).await;

    use_example(&acc, "data-sources/jamf_api_clients");
    let applied = acc.wd.apply().await;
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let out = outputs(&acc).await;
    let mut flagged = out["clients_that_can_lock_or_wipe"].as_object().expect("a map").clone();
    assert!(flagged.remove(&admin_name).is_some(), "the provider's own client holds every privilege: {flagged:?}");
    assert_eq!(flagged.keys().collect::<Vec<_>>(), ["Vendor MDM", "Vendor helpdesk"], "{flagged:?}");
    assert_eq!(strings(&flagged["Vendor MDM"]["commands"]), ["Send Mobile Device Remote Wipe Command"]);
    assert_eq!(strings(&flagged["Vendor MDM"]["roles"]), ["Readers", "iPad wipe"]);
    assert_eq!(
        strings(&flagged["Vendor helpdesk"]["commands"]),
        ["Send Computer Remote Lock Command", "Send Mobile Device Lost Mode Command"]
    );
    assert_eq!(
        strings(&out["vendor_clients_without_a_secret"]),
        ["Vendor MDM", "Vendor helpdesk", "Vendor off", "Vendor reader"]
    );

    // Every privilege name of the example is one of the catalogue's (a typo would flag nothing).
    let catalogue = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/jamf-privileges.txt"))
        .expect("catalogue");
    let example = acc.wd.read("data-source.tf");
    for name in example.lines().filter_map(|l| l.trim().strip_prefix('"')).filter_map(|l| l.split('"').next()) {
        if name.starts_with("Send ") {
            assert!(catalogue.lines().any(|p| p == name), "{name:?} is not in data/jamf-privileges.txt");
        }
    }
}

/// `examples/inventory/unmanaged-roles`: flags the clients holding a role outside the managed
/// list, as a check (a warning) and an output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unmanaged_roles_example_flags_clients_holding_console_roles() {
    let Some(acc) = Acc::start("the_unmanaged_roles_example_flags_clients_holding_console_roles").await else {
        return;
    };
    let admin = acc.sim.jamf_admin().client_id.clone();
    let all = acc.get("/_sim/jamf/integrations").await;
    let admin_name =
        all.as_array().unwrap().iter().find(|i| i["clientId"] == admin.as_str()).unwrap()["displayName"].clone();
    let console = Console::new(&acc).await;
    console.role("Managed sync", &["Read Computers"]).await;
    console.role("Console extra", &["Read Mobile Devices"]).await;
    console.role("Unused console role", &["Read Mobile Devices"]).await;
    console.client("Clean", &["Managed sync"], true, None).await;
    console.client("Mixed", &["Managed sync", "Console extra"], true, None).await;

    use_example(&acc, "inventory/unmanaged-roles");
    acc.wd.write(
        "test.auto.tfvars.json",
        &json!({"managed_role_names": ["Managed sync"], "ignored_client_names": [admin_name]}).to_string(),
    );
    let applied = acc.wd.apply().await;
    assert_eq!(applied.code, 0, "a failed check is a warning: {}", applied.combined());
    let text = flat(&applied.combined());
    assert!(text.contains("Check block assertion failed"), "{text}");
    assert!(text.contains("API clients hold roles no Terraform configuration manages"), "{text}");
    let out = outputs(&acc).await;
    assert_eq!(out["clients_with_unmanaged_roles"], json!({"Mixed": ["Console extra"]}));
    let unmanaged = strings(&out["unmanaged_roles"]);
    assert!(unmanaged.contains(&"Console extra".to_string()) && unmanaged.contains(&"Unused console role".to_string()));
    assert!(!unmanaged.contains(&"Managed sync".to_string()), "{unmanaged:?}");

    // Once the role is managed too, the check passes and nothing is flagged.
    acc.wd.write(
        "test.auto.tfvars.json",
        &json!({"managed_role_names": ["Managed sync", "Console extra"], "ignored_client_names": [admin_name]})
            .to_string(),
    );
    let applied = acc.wd.apply().await;
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert!(!flat(&applied.combined()).contains("Check block assertion failed"), "{}", applied.combined());
    assert_eq!(outputs(&acc).await["clients_with_unmanaged_roles"], json!({}));
}
