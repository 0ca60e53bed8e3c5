//! Adopting what the Jamf Pro console (or the MaaS360 portal) made: `import` blocks and
//! `terraform plan -generate-config-out`, then apply. The generated configuration must import
//! every object as it is: pure imports, no change of any setting, a clean plan afterwards.

use serde_json::{Value, json};

use crate::common::acc::{Acc, flat, requests};
use crate::inventory::Console;

/// What the simulator holds of a role or client, without what changes by itself (tokens).
async fn snapshot(acc: &Acc, kind: &str, id: &str) -> Value {
    let mut v = acc.jamf_object(kind, id).await.unwrap_or_else(|| panic!("{kind} {id} exists"));
    v.as_object_mut().unwrap().remove("activeTokens");
    v
}

/// Writes `imports` as the configuration, generates the resources' configuration into
/// `generated.tf`, and returns the generate run's plan line and the generated file.
async fn generate(acc: &Acc, imports: &str) -> (String, String) {
    acc.config(imports);
    let out = acc.wd.run(&["plan", "-input=false", "-generate-config-out=generated.tf"]).await;
    let generated = acc.wd.read("generated.tf");
    assert_eq!(out.code, 0, "generate:\n{}\n{generated}", out.combined());
    let text = flat(&out.stdout);
    let line =
        text.split("Plan: ").nth(1).map(|s| format!("Plan: {}", s.split('.').next().unwrap())).unwrap_or_default();
    (line, generated)
}

/// `import` blocks for `(address, id)` pairs.
fn imports(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(to, id)| format!("import {{\n  to = {to}\n  id = \"{id}\"\n}}\n")).collect()
}

/// Generates the configuration of `pairs`, checks the plan says `want` (pure imports), applies
/// the saved plan, and checks that no object changed and that nothing drifts. Returns the
/// generated file.
async fn adopt(acc: &Acc, pairs: &[(&str, &str)], want: &str) -> String {
    let objects: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(to, id)| (if to.starts_with("jamf_api_role.") { "roles" } else { "integrations" }, *id))
        .collect();
    let mut before = Vec::new();
    for (kind, id) in &objects {
        before.push(snapshot(acc, kind, id).await);
    }
    let (line, generated) = generate(acc, &imports(pairs)).await;
    assert_eq!(line, want, "generate:\n{generated}");
    // Generated once, then reviewed: the plan of the generated configuration, saved and applied.
    let plan = acc.wd.run(&["plan", "-input=false", "-out=tfplan"]).await;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    let text = flat(&plan.stdout);
    assert!(text.contains(&format!("{want}.")), "{text}\n{generated}");
    assert!(!text.contains("must be replaced") && !text.contains("will be updated"), "{text}");
    let applied = acc.wd.run(&["apply", "-input=false", "tfplan"]).await;
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let n = pairs.len();
    assert!(
        flat(&applied.stdout)
            .contains(&format!("Apply complete! Resources: {n} imported, 0 added, 0 changed, 0 destroyed.")),
        "{}",
        applied.stdout
    );
    for ((kind, id), was) in objects.iter().zip(&before) {
        assert_eq!(&snapshot(acc, kind, id).await, was, "{kind} {id} changed by its adoption");
    }
    acc.assert_no_drift("the generated configuration").await;
    generated
}

/// The case from the issue: a role and a disabled client with a day-long token lifetime, made in
/// the console, generate a configuration that imports both as they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_config_imports_a_console_role_and_disabled_client_unchanged() {
    let Some(acc) = Acc::start("generated_config_imports_a_console_role_and_disabled_client_unchanged").await else {
        return;
    };
    let console = Console::new(&acc).await;
    let role = console.role("Console role", &["Read Computers", "Read Mobile Devices"]).await;
    let client = console.client("Console client", &["Console role"], false, Some(86400)).await;
    let generated = adopt(
        &acc,
        &[("jamf_api_role.r", &role), ("jamf_api_client.c", &client)],
        "Plan: 2 to import, 0 to add, 0 to change, 0 to destroy",
    )
    .await;
    let text = flat(&generated);
    assert!(text.contains("enabled = false"), "the disabled client stays disabled: {generated}");
    assert!(text.contains("access_token_lifetime_seconds = 86400"), "{generated}");
    assert!(!text.contains("client_id") && !text.contains(" id ="), "computed attributes are not written: {generated}");
    let c = acc.jamf_object("integrations", &client).await.unwrap();
    assert_eq!((c["enabled"].as_bool(), c["accessTokenLifetimeSeconds"].as_i64()), (Some(false), Some(86400)));
    assert_eq!(c["secretsIssued"], 0, "no secret was generated");
}

/// What tends to break round trips: a client holding several roles, a role with many privileges,
/// names with quotes, template sequences, backslashes and unicode, a client left at Jamf Pro's
/// default lifetime, and an enabled client next to the provider's `enabled` default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_config_round_trips_many_roles_privileges_odd_names_and_defaults() {
    let Some(acc) = Acc::start("generated_config_round_trips_many_roles_privileges_odd_names_and_defaults").await
    else {
        return;
    };
    let catalogue =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/jamf-privileges.txt")).expect("catalogue");
    let many: Vec<&str> = catalogue.lines().filter(|l| l.starts_with("Read ")).collect();
    assert!(many.len() > 50, "{}", many.len());
    let odd = r#"Say "hi" ${var.x} %{if} \n Rôle ✓ 日本"#;
    let console = Console::new(&acc).await;
    let r1 = console.role(odd, &many).await;
    let r2 = console.role("Second role", &["Send Computer Remote Lock Command"]).await;
    let r3 = console.role("Third role", &["Read Mobile Devices"]).await;
    let several = console.client(r#"Client "q" ${x} ✓"#, &[odd, "Second role", "Third role"], true, None).await;
    let default_off = console.client("Jamf default", &["Third role"], false, None).await;
    let generated = adopt(
        &acc,
        &[
            ("jamf_api_role.odd", &r1),
            ("jamf_api_role.second", &r2),
            ("jamf_api_role.third", &r3),
            ("jamf_api_client.several", &several),
            ("jamf_api_client.default_off", &default_off),
        ],
        "Plan: 5 to import, 0 to add, 0 to change, 0 to destroy",
    )
    .await;
    // Terraform escapes the template sequences, so the names reach Jamf Pro verbatim.
    assert!(generated.contains(r#""Say \"hi\" $${var.x} %%{if} \\n Rôle ✓ 日本""#), "{generated}");
    // Jamf Pro's default lifetime is written out: the value the object has, whatever the
    // provider's default would be.
    assert_eq!(generated.matches("access_token_lifetime_seconds = 300").count(), 2, "{generated}");
    let show = acc.wd.show_json().await;
    let role = crate::common::terraform::find_resource(&show, "jamf_api_role.odd").unwrap();
    assert_eq!(role["display_name"], odd);
    assert_eq!(role["privileges"].as_array().unwrap().len(), many.len());
    let client = crate::common::terraform::find_resource(&show, "jamf_api_client.several").unwrap();
    assert_eq!(client["authorization_scopes"].as_array().unwrap().len(), 3);
}

/// What Jamf Pro allows but the provider used to refuse in a configuration: a role without
/// privileges and names that start or end with whitespace. The generated file imports them as
/// they are (with a warning for each, not an error).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_config_imports_an_empty_role_and_untrimmed_names_with_warnings() {
    let Some(acc) = Acc::start("generated_config_imports_an_empty_role_and_untrimmed_names_with_warnings").await else {
        return;
    };
    let console = Console::new(&acc).await;
    let empty = console.role("Emptied in the console", &[]).await;
    let spaced = console.role("Spaced role ", &["Read Computers"]).await;
    let client = console.client(" Spaced client", &["Spaced role "], true, Some(600)).await;
    let pairs = [
        ("jamf_api_role.empty", empty.as_str()),
        ("jamf_api_role.spaced", &spaced),
        ("jamf_api_client.spaced", &client),
    ];
    let mut before = Vec::new();
    for (kind, id) in [("roles", &empty), ("roles", &spaced), ("integrations", &client)] {
        before.push(snapshot(&acc, kind, id).await);
    }
    let (line, generated) = generate(&acc, &imports(&pairs)).await;
    assert_eq!(line, "Plan: 3 to import, 0 to add, 0 to change, 0 to destroy", "{generated}");
    assert!(generated.contains("privileges   = []"), "{generated}");
    let plan = acc.wd.run(&["plan", "-input=false", "-out=tfplan"]).await;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    let text = flat(&plan.combined());
    assert!(text.contains("Plan: 3 to import, 0 to add, 0 to change, 0 to destroy."), "{text}");
    assert!(text.contains("Warning: API role without privileges"), "{text}");
    assert!(text.contains("Warning: Leading or trailing whitespace"), "{text}");
    let applied = acc.wd.run(&["apply", "-input=false", "tfplan"]).await;
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let mut after = Vec::new();
    for (kind, id) in [("roles", &empty), ("roles", &spaced), ("integrations", &client)] {
        after.push(snapshot(&acc, kind, id).await);
    }
    assert_eq!(after, before, "adopted as they are");
    acc.assert_no_drift("an empty role and untrimmed names").await;
}

/// The guide "Adopting an existing tenant".
fn guide() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/templates/jamf/guides/adopting-an-existing-tenant.md"
    ))
    .expect("the guide")
}

/// The guide's `terraform` code blocks.
fn guide_blocks() -> Vec<String> {
    guide().split("```terraform\n").skip(1).map(|b| b.split("```").next().unwrap().to_string()).collect()
}

/// The guide's `terraform` code block that contains `needle`.
fn guide_block(needle: &str) -> String {
    guide_blocks()
        .into_iter()
        .find(|b| b.contains(needle))
        .unwrap_or_else(|| panic!("no block with {needle} in the guide"))
}

/// The guide's HCL is `terraform fmt` clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_adoption_guide_hcl_is_terraform_fmt_clean() {
    let Some(acc) = Acc::start("the_adoption_guide_hcl_is_terraform_fmt_clean").await else { return };
    let blocks = guide_blocks();
    assert!(blocks.len() >= 5, "{}", blocks.len());
    for (n, block) in blocks.iter().enumerate() {
        acc.wd.write(&format!("block{n}.tf"), block);
    }
    let out = acc.wd.run(&["fmt", "-check", "-diff"]).await;
    assert_eq!(out.code, 0, "the guide's HCL is not terraform fmt clean:\n{}", out.combined());
}

/// Terraform cannot generate configuration for an `import` block with `for_each`: the guide's
/// path is a `for_each` import into a resource with `for_each` written by hand, its values frozen
/// from the inventory into a variables file. This is that path, end to end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn for_each_import_over_the_inventory_adopts_every_matching_role() {
    let Some(acc) = Acc::start("for_each_import_over_the_inventory_adopts_every_matching_role").await else {
        return;
    };
    let console = Console::new(&acc).await;
    let mut ids = Vec::new();
    for (name, privileges) in [
        ("Vendor Okta", vec!["Read Computers", "Read Buildings"]),
        ("Vendor \"Snipe\" ✓", vec!["Read Mobile Devices"]),
        ("Vendor Lock", vec!["Send Computer Remote Lock Command", "Read Computers"]),
    ] {
        ids.push(console.role(name, &privileges).await);
    }
    console.role("Not a vendor", &["Read Computers"]).await;

    // 1. The inventory, frozen into a file that goes into the pull request (the guide's HCL).
    acc.config(&guide_block("data \"jamf_api_roles\" \"vendors\""));
    let applied = acc.wd.apply().await;
    assert_eq!(applied.code, 0, "{}", applied.combined());
    let out = acc.wd.run(&["output", "-json", "roles_to_adopt"]).await.ok();
    let roles: Value = serde_json::from_str(&out.stdout).expect("output JSON");
    assert_eq!(roles.as_object().unwrap().len(), 3, "{roles}");
    acc.wd.write("adopted_roles.auto.tfvars.json", &json!({ "adopted_roles": roles }).to_string());

    // 2. Terraform refuses to generate configuration for a for_each import.
    let adoption = guide_block("variable \"adopted_roles\"");
    let resource_at = adoption.find("resource \"jamf_api_role\" \"adopted\"").expect("the guide's resource");
    let for_each_import = &adoption[..resource_at];
    acc.config(for_each_import);
    let refused = acc.wd.run(&["plan", "-input=false", "-generate-config-out=generated.tf"]).await;
    assert_eq!(refused.code, 1, "{}", refused.combined());
    let refusal = flat(&refused.combined());
    assert!(
        refusal.contains("Invalid import 'to' expression")
            && refusal.contains("The target resource does not use for_each"),
        "{refusal}"
    );
    assert!(!acc.wd.path().join("generated.tf").exists() || acc.wd.read("generated.tf").trim().is_empty());

    // 3. The resource written by hand, for_each over the same map: pure imports.
    acc.config(&adoption);
    let mut before = Vec::new();
    for id in &ids {
        before.push(snapshot(&acc, "roles", id).await);
    }
    let plan = acc.wd.run(&["plan", "-input=false", "-out=tfplan"]).await;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    let text = flat(&plan.stdout);
    assert!(text.contains("Plan: 3 to import, 0 to add, 0 to change, 0 to destroy."), "{text}");
    assert!(text.contains(r#"jamf_api_role.adopted["Vendor \"Snipe\" ✓"] will be imported"#), "{text}");
    let applied = acc.wd.run(&["apply", "-input=false", "tfplan"]).await;
    assert_eq!(applied.code, 0, "{}", applied.combined());
    for (id, was) in ids.iter().zip(&before) {
        assert_eq!(&snapshot(&acc, "roles", id).await, was);
    }
    acc.assert_no_drift("for_each import").await;
    // The frozen values are the configuration now: a change in the console is drift again.
    acc.patch(&format!("/_sim/jamf/roles/{}", ids[0]), json!({"privileges": ["Read Computers"]})).await;
    assert_eq!(acc.wd.plan_exitcode().await.code, 2);
}

/// The MaaS360 administrator as the simulator holds it, and how many administrators were created.
async fn maas360_account(acc: &Acc, username: &str) -> (Value, u64) {
    let mut admin = acc.maas360_admin(username).await.expect("administrator exists");
    // The provider signs in as the seeded administrator: its last login moves by itself.
    admin.as_object_mut().unwrap().remove("lastLoginMs");
    let stats = acc.stats("maas360").await;
    let created = requests(&stats, "POST /account-provisioning/administrator/1.0/createAdministrator/{billingId}");
    (admin, created)
}

/// A script user made outside this configuration: the import reads its email and roles from
/// MaaS360's audit log, so the generated file imports it as it is. What no MaaS360 API returns
/// (the names, the password) is written as null.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_config_imports_a_maas360_script_user_with_its_audited_email_and_roles() {
    let Some(acc) = Acc::start("generated_config_imports_a_maas360_script_user_with_its_audited_email_and_roles").await
    else {
        return;
    };
    // Made by another configuration (or by hand) and finished in the portal.
    acc.config(
        "resource \"maas360_script_user\" \"api\" {\n  username   = \"Acme_SO\"\n  email      = \"it@example.com\"\n  \
         roles      = [\"Read-Only\", \"Help Desk\"]\n  first_name = \"Api\"\n}\n",
    );
    acc.wd.apply().await.ok();
    acc.wd.run(&["state", "rm", "maas360_script_user.api"]).await.ok();
    acc.post("/_sim/maas360/admins/Acme_SO/set-password", json!({ "password": "Scr1pt!Only-pass" })).await;
    acc.post("/_sim/maas360/admins/Acme_SO/convert-to-script-only", json!({})).await;
    let before = maas360_account(&acc, "Acme_SO").await;

    let (line, generated) = generate(&acc, &imports(&[("maas360_script_user.api", "Acme_SO")])).await;
    assert_eq!(line, "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy", "{generated}");
    let text = flat(&generated);
    assert!(text.contains(r#"email = "it@example.com""#), "{generated}");
    assert!(text.contains(r#"roles = ["Help Desk", "Read-Only"]"#), "{generated}");
    assert!(text.contains("first_name = null") && text.contains("password_wo = null"), "{generated}");
    let plan = acc.wd.run(&["plan", "-input=false", "-out=tfplan"]).await;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert!(flat(&plan.stdout).contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    let applied = acc.wd.run(&["apply", "-input=false", "tfplan"]).await;
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert_eq!(maas360_account(&acc, "Acme_SO").await, before, "nothing sent to MaaS360");
    acc.assert_no_drift("the generated maas360_script_user").await;
}

/// An administrator without audit records (older than the year MaaS360 keeps): the generated file
/// cannot know its email and roles and writes them as null, which the next plan refuses with
/// the attribute to fill in. Filled in, the first apply adopts them in place; MaaS360 is not
/// changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_config_of_a_maas360_account_without_audit_asks_for_email_and_roles() {
    let Some(acc) = Acc::start("generated_config_of_a_maas360_account_without_audit_asks_for_email_and_roles").await
    else {
        return;
    };
    acc.post("/_sim/reset", json!({})).await;
    let seeded = acc.sim.maas360_admin().username.clone();
    let before = maas360_account(&acc, &seeded).await;
    // Terraform writes the file, and the plan made with it names what to fill in.
    acc.config(&imports(&[("maas360_script_user.api", &seeded)]));
    let out = acc.wd.run(&["plan", "-input=false", "-generate-config-out=generated.tf"]).await;
    let generated = acc.wd.read("generated.tf");
    let text = flat(&generated);
    assert!(text.contains("email = null") && text.contains("roles = null"), "{generated}");
    assert_eq!(out.code, 1, "{}", out.combined());
    let refused = flat(&out.combined());
    for attribute in ["email", "roles"] {
        assert!(
            refused.contains("Error: Missing required argument with maas360_script_user.api, on generated.tf line")
                && refused.contains(&format!("`{attribute}` is required, but the configuration sets it to null")),
            "{refused}"
        );
    }

    // Filled in from the portal (Setup > Administrators), as the guide says.
    let email = before.0["email"].as_str().unwrap().to_string();
    let filled = generated
        .replace("email               = null", &format!("email               = \"{email}\""))
        .replace("roles               = null", "roles               = [\"Service Administrator\"]");
    assert_ne!(filled, generated, "the generated layout changed: {generated}");
    acc.wd.write("generated.tf", &filled);
    let plan = acc.wd.run(&["plan", "-input=false", "-out=tfplan"]).await;
    assert_eq!(plan.code, 0, "{}", plan.combined());
    let text = flat(&plan.combined());
    assert!(text.contains("Plan: 1 to import, 0 to add, 1 to change, 0 to destroy."), "{text}");
    assert!(!text.contains("must be replaced"), "{text}");
    let applied = acc.wd.run(&["apply", "-input=false", "tfplan"]).await;
    assert_eq!(applied.code, 0, "{}", applied.combined());
    assert_eq!(maas360_account(&acc, &seeded).await, before, "nothing sent to MaaS360");
    acc.assert_no_drift("the filled-in maas360_script_user").await;
}
