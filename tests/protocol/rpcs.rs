//! The served provider driven over gRPC exactly as Terraform drives it, on the test-only fixture
//! provider.

use std::collections::BTreeMap;

use crate::common::fixture::{ADDRESS, FixtureProvider, Store, ThingResource};
use mdmkit::framework::{Resource, Type, Value, msgpack};
use mdmkit::plugin::proto::tfplugin6 as tf;
use mdmkit::plugin::serve_in_process;

fn thing_type() -> Type {
    Resource::schema(&ThingResource).value_type()
}

fn dv(v: &Value, ty: &Type) -> Option<tf::DynamicValue> {
    Some(tf::DynamicValue { msgpack: msgpack::encode(v, ty).unwrap().into(), json: Default::default() })
}

fn decode(d: &Option<tf::DynamicValue>, ty: &Type) -> Value {
    msgpack::decode(&d.as_ref().expect("a value").msgpack, ty).unwrap()
}

fn thing(pairs: &[(&str, Value)]) -> Value {
    let Type::Object(attrs, _) = thing_type() else { unreachable!() };
    let mut m: BTreeMap<String, Value> = attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
    for (k, v) in pairs {
        assert!(m.contains_key(*k), "{k}");
        m.insert(k.to_string(), v.clone());
    }
    Value::Object(m)
}

fn provider_config(endpoint: Value, token: Value) -> tf::DynamicValue {
    let ty = Type::object([("endpoint", Type::String), ("token", Type::String)]);
    dv(&Value::object([("endpoint", endpoint), ("token", token)]), &ty).unwrap()
}

fn errors(diags: &[tf::Diagnostic]) -> Vec<&tf::Diagnostic> {
    diags.iter().filter(|d| d.severity == tf::diagnostic::Severity::Error as i32).collect()
}

fn attr_path(d: &tf::Diagnostic) -> Vec<String> {
    use tf::attribute_path::step::Selector;
    d.attribute
        .as_ref()
        .map(|p| {
            p.steps
                .iter()
                .map(|s| match s.selector.as_ref().unwrap() {
                    Selector::AttributeName(a) => a.clone(),
                    Selector::ElementKeyString(k) => format!("[{k:?}]"),
                    Selector::ElementKeyInt(i) => format!("[{i}]"),
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn serve() -> (mdmkit::plugin::serve::Reattached, Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::default();
    let served = serve_in_process(FixtureProvider { store: store.clone() }, ADDRESS, dir.path()).await.unwrap();
    (served, store, dir)
}

#[tokio::test]
async fn schema_and_metadata_describe_every_feature() {
    let (served, _store, _dir) = serve().await;
    let mut c = crate::common::provider_client(&served.socket).await;
    let s = c.get_provider_schema(tf::get_provider_schema::Request {}).await.unwrap().into_inner();
    assert!(s.diagnostics.is_empty());
    let caps = s.server_capabilities.unwrap();
    assert!(caps.get_provider_schema_optional);
    let thing = &s.resource_schemas["fixture_thing"];
    assert_eq!(thing.version, 1);
    let attrs = &thing.block.as_ref().unwrap().attributes;
    let by_name = |n: &str| attrs.iter().find(|a| a.name == n).unwrap();
    assert!(by_name("password_wo").write_only);
    assert!(by_name("secret").sensitive && by_name("secret").computed);
    assert_eq!(by_name("tags").r#type, br#"["set","string"]"#.to_vec());
    assert!(by_name("name").required);
    assert_eq!(by_name("name").description, "Name.");
    assert!(s.data_source_schemas.contains_key("fixture_thing"));
    assert!(s.ephemeral_resource_schemas.contains_key("fixture_token"));
    let provider_attrs = &s.provider.unwrap().block.unwrap().attributes;
    assert!(provider_attrs.iter().any(|a| a.name == "token" && a.sensitive));

    let m = c.get_metadata(tf::get_metadata::Request {}).await.unwrap().into_inner();
    assert_eq!(m.resources[0].type_name, "fixture_thing");
    assert_eq!(m.ephemeral_resources[0].type_name, "fixture_token");
    // Newer Terraform asks for identity schemas and functions: empty answers, not errors.
    c.get_resource_identity_schemas(tf::get_resource_identity_schemas::Request {}).await.unwrap();
    c.get_functions(tf::get_functions::Request {}).await.unwrap();
    served.shutdown().await;
}

#[tokio::test]
async fn provider_config_validation_and_unknowns() {
    let (served, store, _dir) = serve().await;
    let mut c = crate::common::provider_client(&served.socket).await;
    let r = c
        .validate_provider_config(tf::validate_provider_config::Request {
            config: Some(provider_config("http://x".into(), Value::Null)),
        })
        .await
        .unwrap()
        .into_inner();
    let errs = errors(&r.diagnostics);
    assert_eq!(errs.len(), 1);
    assert_eq!(attr_path(errs[0]), vec!["endpoint"]);

    // Unknown provider configuration at plan time: no failure, and reads keep the state.
    let r = c
        .configure_provider(tf::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: Some(provider_config("mem://a".into(), Value::Unknown)),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let state = thing(&[("id", "thing-9".into()), ("name", "n".into()), ("zone", "z".into())]);
    let read = c
        .read_resource(tf::read_resource::Request {
            type_name: "fixture_thing".into(),
            current_state: dv(&state, &thing_type()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(read.diagnostics.is_empty());
    assert_eq!(decode(&read.new_state, &thing_type()), state);
    assert!(store.configured_with.lock().unwrap().is_empty());
    served.shutdown().await;
}

#[tokio::test]
async fn full_resource_lifecycle_over_grpc() {
    let (served, store, _dir) = serve().await;
    let mut c = crate::common::provider_client(&served.socket).await;
    let ty = thing_type();
    c.configure_provider(tf::configure_provider::Request {
        terraform_version: "1.11.4".into(),
        config: Some(provider_config("mem://a".into(), "t".into())),
        client_capabilities: None,
    })
    .await
    .unwrap();
    assert_eq!(store.configured_with.lock().unwrap().as_slice(), ["1.11.4"]);

    // Validation: a bad name points at `name`; write-only needs the capability.
    let bad = thing(&[("name", "bad".into()), ("zone", "z".into()), ("password_wo", "pw".into())]);
    let r = c
        .validate_resource_config(tf::validate_resource_config::Request {
            type_name: "fixture_thing".into(),
            config: dv(&bad, &ty),
            client_capabilities: Some(tf::ClientCapabilities {
                deferral_allowed: false,
                write_only_attributes_allowed: false,
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let paths: Vec<_> = errors(&r.diagnostics).iter().map(|d| attr_path(d)).collect();
    assert!(paths.contains(&vec!["password_wo".to_string()]), "{paths:?}");
    let r = c
        .validate_resource_config(tf::validate_resource_config::Request {
            type_name: "fixture_thing".into(),
            config: dv(&bad, &ty),
            client_capabilities: Some(tf::ClientCapabilities {
                deferral_allowed: false,
                write_only_attributes_allowed: true,
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let errs = errors(&r.diagnostics);
    assert_eq!(errs.len(), 1);
    assert_eq!(attr_path(errs[0]), vec!["name"]);
    assert_eq!(errs[0].summary, "Invalid name");
    // A value the schema's validators refuse (size < 1) does not hide the resource's own checks.
    let both = thing(&[("name", "bad".into()), ("zone", "z".into()), ("size", 0.into())]);
    let r = c
        .validate_resource_config(tf::validate_resource_config::Request {
            type_name: "fixture_thing".into(),
            config: dv(&both, &ty),
            client_capabilities: Some(tf::ClientCapabilities {
                deferral_allowed: false,
                write_only_attributes_allowed: true,
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let mut paths: Vec<_> = errors(&r.diagnostics).iter().map(|d| attr_path(d)).collect();
    paths.sort();
    assert_eq!(paths, [vec!["name".to_string()], vec!["size".to_string()]], "every error in one answer");

    // Plan create: computed attributes unknown, default applied, write-only null.
    let config = thing(&[
        ("name", "one".into()),
        ("zone", "z".into()),
        ("tags", Value::Set(vec!["b".into(), "a".into()])),
        ("password_wo", "pw".into()),
        ("password_wo_version", 1.into()),
    ]);
    let plan = c
        .plan_resource_change(tf::plan_resource_change::Request {
            type_name: "fixture_thing".into(),
            prior_state: None,
            proposed_new_state: dv(&config, &ty),
            config: dv(&config, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let planned = decode(&plan.planned_state, &ty);
    assert!(planned.attr("id").is_unknown());
    assert!(planned.attr("secret").is_unknown());
    assert_eq!(planned.attr("enabled"), &Value::Bool(true));
    assert_eq!(planned.attr("password_wo"), &Value::Null);
    // The unknown is written as Terraform writes it: fixext1 type 0.
    assert!(plan.planned_state.as_ref().unwrap().msgpack.windows(3).any(|w| w == [0xd4, 0, 0]));

    let applied = c
        .apply_resource_change(tf::apply_resource_change::Request {
            type_name: "fixture_thing".into(),
            prior_state: None,
            planned_state: plan.planned_state.clone(),
            config: dv(&config, &ty),
            planned_private: plan.planned_private.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    let state = decode(&applied.new_state, &ty);
    let id = state.attr("id").as_str().unwrap().to_string();
    assert_eq!(state.attr("password_wo"), &Value::Null, "write-only never reaches state");
    assert_eq!(state.attr("password_seen"), &Value::Bool(true));
    assert_eq!(store.thing(&id).unwrap().last_password.as_deref(), Some("pw"));

    // Refresh returns the same state.
    let read = c
        .read_resource(tf::read_resource::Request {
            type_name: "fixture_thing".into(),
            current_state: applied.new_state.clone(),
            private: applied.private.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decode(&read.new_state, &ty), state);

    // In-place update keeps the id; a zone change requires replacement.
    let mut cfg2 = config.clone();
    cfg2.as_entries_mut().unwrap().insert("name".into(), "two".into());
    cfg2.as_entries_mut().unwrap().insert("zone".into(), "y".into());
    let mut proposed = state.clone();
    proposed.as_entries_mut().unwrap().insert("name".into(), "two".into());
    proposed.as_entries_mut().unwrap().insert("zone".into(), "y".into());
    let plan2 = c
        .plan_resource_change(tf::plan_resource_change::Request {
            type_name: "fixture_thing".into(),
            prior_state: applied.new_state.clone(),
            proposed_new_state: dv(&proposed, &ty),
            config: dv(&cfg2, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let p2 = decode(&plan2.planned_state, &ty);
    assert_eq!(p2.attr("id"), state.attr("id"));
    assert_eq!(plan2.requires_replace.len(), 1);
    assert_eq!(
        plan2.requires_replace[0].steps[0].selector,
        Some(tf::attribute_path::step::Selector::AttributeName("zone".into()))
    );

    // Out-of-band delete: read returns no state.
    store.things.lock().unwrap().remove(&id);
    let gone = c
        .read_resource(tf::read_resource::Request {
            type_name: "fixture_thing".into(),
            current_state: applied.new_state.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(gone.new_state.is_none() || decode(&gone.new_state, &ty).is_null());
    served.shutdown().await;
}

#[tokio::test]
async fn import_upgrade_data_source_and_ephemeral() {
    let (served, store, _dir) = serve().await;
    let mut c = crate::common::provider_client(&served.socket).await;
    let ty = thing_type();
    c.configure_provider(tf::configure_provider::Request {
        terraform_version: "1.11.4".into(),
        config: Some(provider_config(Value::Null, Value::Null)),
        client_capabilities: None,
    })
    .await
    .unwrap();
    store.things.lock().unwrap().insert(
        "thing-7".into(),
        crate::common::fixture::Thing {
            name: "seven".into(),
            zone: "z".into(),
            tags: Default::default(),
            size: 3,
            secret: "s".into(),
            last_password: None,
        },
    );

    let imp = c
        .import_resource_state(tf::import_resource_state::Request {
            type_name: "fixture_thing".into(),
            id: "thing-7".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imp.imported_resources.len(), 1);
    let st = decode(&imp.imported_resources[0].state, &ty);
    assert_eq!(st.attr("id"), &Value::from("thing-7"));
    let missing = c
        .import_resource_state(tf::import_resource_state::Request {
            type_name: "fixture_thing".into(),
            id: "nope".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(missing.imported_resources.is_empty());
    assert_eq!(errors(&missing.diagnostics).len(), 1);

    // Upgrade: version 0 stored the zone as "region"; version 1 passes through.
    let v0 = br#"{"id":"thing-7","name":"seven","region":"eu","size":3,"secret":"s"}"#;
    let up = c
        .upgrade_resource_state(tf::upgrade_resource_state::Request {
            type_name: "fixture_thing".into(),
            version: 0,
            raw_state: Some(tf::RawState { json: v0.to_vec(), flatmap: Default::default() }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(up.diagnostics.is_empty(), "{:?}", up.diagnostics);
    assert_eq!(decode(&up.upgraded_state, &ty).attr("zone"), &Value::from("eu"));
    let v1 = br#"{"id":"thing-7","name":"seven","zone":"eu","tags":null,"size":18446744073709551617,"enabled":true,"secret":"s","password_wo":null,"password_wo_version":0.1,"password_seen":false}"#;
    let up = c
        .upgrade_resource_state(tf::upgrade_resource_state::Request {
            type_name: "fixture_thing".into(),
            version: 1,
            raw_state: Some(tf::RawState { json: v1.to_vec(), flatmap: Default::default() }),
        })
        .await
        .unwrap()
        .into_inner();
    let v = decode(&up.upgraded_state, &ty);
    assert_eq!(v.attr("size"), &Value::Number("18446744073709551617".parse().unwrap()), "numbers stay exact");
    assert_eq!(v.attr("password_wo_version"), &Value::Number("0.1".parse().unwrap()));
    let newer = c
        .upgrade_resource_state(tf::upgrade_resource_state::Request {
            type_name: "fixture_thing".into(),
            version: 7,
            raw_state: Some(tf::RawState { json: v1.to_vec(), flatmap: Default::default() }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&newer.diagnostics)[0].summary.contains("newer provider version"));

    // Data source.
    let ds_ty = Type::object([("name", Type::String), ("id", Type::String), ("size", Type::Number)]);
    let ds_cfg = Value::object([("name", "seven".into()), ("id", Value::Null), ("size", Value::Null)]);
    c.validate_data_resource_config(tf::validate_data_resource_config::Request {
        type_name: "fixture_thing".into(),
        config: dv(&ds_cfg, &ds_ty),
    })
    .await
    .unwrap();
    let ds = c
        .read_data_source(tf::read_data_source::Request {
            type_name: "fixture_thing".into(),
            config: dv(&ds_cfg, &ds_ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ds_v = decode(&ds.state, &ds_ty);
    assert_eq!(ds_v.attr("id"), &Value::from("thing-7"));
    assert_eq!(ds_v.attr("size"), &Value::from(3));

    // Ephemeral: validate, open, renew, close with private data carried through.
    let eph_ty = Type::object([("audience", Type::String), ("token", Type::String)]);
    let eph_cfg = Value::object([("audience", "vendor".into()), ("token", Value::Null)]);
    let v = c
        .validate_ephemeral_resource_config(tf::validate_ephemeral_resource_config::Request {
            type_name: "fixture_token".into(),
            config: dv(&eph_cfg, &eph_ty),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(v.diagnostics.is_empty());
    let opened = c
        .open_ephemeral_resource(tf::open_ephemeral_resource::Request {
            type_name: "fixture_token".into(),
            config: dv(&eph_cfg, &eph_ty),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decode(&opened.result, &eph_ty).attr("token"), &Value::from("tok-vendor"));
    assert!(opened.renew_at.is_some());
    let renewed = c
        .renew_ephemeral_resource(tf::renew_ephemeral_resource::Request {
            type_name: "fixture_token".into(),
            private: opened.private.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(renewed.renew_at.is_some());
    let closed = c
        .close_ephemeral_resource(tf::close_ephemeral_resource::Request {
            type_name: "fixture_token".into(),
            private: renewed.private.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(closed.diagnostics.is_empty(), "{:?}", closed.diagnostics);
    served.shutdown().await;
}

#[tokio::test]
async fn terraform_style_inputs_are_tolerated() {
    let (served, _store, _dir) = serve().await;
    let mut c = crate::common::provider_client(&served.socket).await;
    // Config written by hand as Terraform 1.11 may send it: a refined unknown (ext 12) for the
    // name, numbers as a string, and keys in any order.
    let mut entries: Vec<(rmpv::Value, rmpv::Value)> = Vec::new();
    for k in ["zone", "id", "tags", "enabled", "secret", "password_wo", "password_wo_version", "password_seen"] {
        entries.push((k.into(), rmpv::Value::Nil));
    }
    entries[0].1 = "z".into();
    entries.push(("name".into(), rmpv::Value::Ext(12, vec![0x81, 0x01, 0xc2])));
    entries.push(("size".into(), "5".into()));
    let mut bytes = Vec::new();
    rmpv::encode::write_value(&mut bytes, &rmpv::Value::Map(entries)).unwrap();
    let r = c
        .validate_resource_config(tf::validate_resource_config::Request {
            type_name: "fixture_thing".into(),
            config: Some(tf::DynamicValue { msgpack: bytes.into(), json: Default::default() }),
            client_capabilities: Some(tf::ClientCapabilities {
                deferral_allowed: false,
                write_only_attributes_allowed: true,
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);

    // An unknown type and garbage bytes are diagnostics, never gRPC errors.
    let r = c
        .validate_resource_config(tf::validate_resource_config::Request {
            type_name: "fixture_nope".into(),
            config: Some(tf::DynamicValue { msgpack: vec![0xc1].into(), json: Default::default() }),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&r.diagnostics).len(), 1);
    let r = c
        .validate_resource_config(tf::validate_resource_config::Request {
            type_name: "fixture_thing".into(),
            config: Some(tf::DynamicValue { msgpack: vec![0xc1, 0x00].into(), json: Default::default() }),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&r.diagnostics).len(), 1);
    let stop = c.stop_provider(tf::stop_provider::Request {}).await.unwrap().into_inner();
    assert!(stop.error.is_empty());
    served.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Real terraform against the fixture provider, attached in-process (TF_REATTACH_PROVIDERS).
// ---------------------------------------------------------------------------------------------

const FIXTURE_MAIN: &str = r#"
terraform {
  required_providers {
    fixture = { source = "mdmkit/fixture" }
  }
}

provider "fixture" {
  endpoint = "mem://test"
  token    = "provider-token-not-for-logs"
}

variable "name" {
  type    = string
  default = "one"
}

variable "zone" {
  type    = string
  default = "z1"
}

ephemeral "fixture_token" "pw" {
  audience = "things"
}

resource "fixture_thing" "a" {
  name                = var.name
  zone                = var.zone
  tags                = ["b", "a"]
  password_wo         = ephemeral.fixture_token.pw.token
  password_wo_version = 1
}

data "fixture_thing" "lookup" {
  name = fixture_thing.a.name
}

output "secret" {
  value     = fixture_thing.a.secret
  sensitive = true
}

output "looked_up_id" {
  value = data.fixture_thing.lookup.id
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terraform_drives_the_fixture_provider() {
    let Some(tf_bin) = crate::common::terraform::terraform_or_skip("terraform_drives_the_fixture_provider") else {
        return;
    };
    let (served, store, _dir) = serve().await;
    let mut wd = crate::common::terraform::Workdir::new(tf_bin);
    wd.set_env("TF_REATTACH_PROVIDERS", &served.reattach_json);
    wd.write("main.tf", FIXTURE_MAIN);

    wd.init().await.ok();
    let applied = wd.apply().await.ok();
    assert!(applied.stdout.contains("secret") && applied.stdout.contains("(sensitive value)"), "{}", applied.stdout);
    let values = wd.resource_values("fixture_thing.a").await;
    let id = values["id"].as_str().unwrap().to_string();
    assert_eq!(values["password_seen"], true);
    assert!(values["password_wo"].is_null());
    assert_eq!(store.thing(&id).unwrap().last_password.as_deref(), Some("tok-things"));
    let state = wd.state_text();
    assert!(!state.contains("tok-things"), "a write-only value reached the state file");
    let show = wd.show_json().await;
    assert_eq!(show["values"]["outputs"]["looked_up_id"]["value"], id.as_str());

    // No spurious diff.
    let plan = wd.plan_exitcode().await;
    assert_eq!(plan.code, 0, "expected an empty plan:\n{}", plan.combined());

    // In-place update.
    wd.set_env("TF_VAR_name", "two");
    let plan = wd.plan_exitcode().await;
    assert_eq!(plan.code, 2, "{}", plan.combined());
    assert!(plan.stdout.contains("updated in-place"), "{}", plan.stdout);
    wd.apply().await.ok();
    assert_eq!(wd.resource_values("fixture_thing.a").await["id"], id.as_str(), "update kept the id");
    assert_eq!(wd.plan_exitcode().await.code, 0);

    // Replacement.
    wd.set_env("TF_VAR_zone", "z2");
    let plan = wd.plan_exitcode().await;
    assert_eq!(plan.code, 2);
    assert!(plan.stdout.contains("forces replacement"), "{}", plan.stdout);
    wd.apply().await.ok();
    let new_id = wd.resource_values("fixture_thing.a").await["id"].as_str().unwrap().to_string();
    assert_ne!(new_id, id);
    assert!(store.thing(&id).is_none(), "the replaced object was deleted");

    // Import.
    wd.run(&["state", "rm", "fixture_thing.a"]).await.ok();
    wd.run(&["import", "-input=false", "fixture_thing.a", &new_id]).await.ok();
    assert_eq!(wd.resource_values("fixture_thing.a").await["name"], "two");
    let bogus = wd.run(&["import", "-input=false", "fixture_thing.b", "thing-404"]).await;
    assert_ne!(bogus.code, 0);

    // A validation error names the attribute to change.
    wd.set_env("TF_VAR_name", "bad");
    let bad = wd.run(&["plan", "-input=false"]).await;
    assert_eq!(bad.code, 1);
    let text = bad.combined();
    assert!(text.contains("Invalid name"), "{text}");
    assert!(text.contains("with fixture_thing.a"), "{text}");
    assert!(text.contains("name                = var.name"), "{text}");

    wd.set_env("TF_VAR_name", "two");
    wd.destroy().await.ok();
    assert!(store.things.lock().unwrap().is_empty(), "destroy removed everything");
    served.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_provider_cancels_work_in_flight() {
    let (served, _store, _dir) = serve().await;
    let mut c = crate::common::provider_client(&served.socket).await;
    let ty = thing_type();
    c.configure_provider(tf::configure_provider::Request {
        terraform_version: "1.11.4".into(),
        config: Some(provider_config(Value::Null, Value::Null)),
        client_capabilities: None,
    })
    .await
    .unwrap();
    let config = thing(&[("name", "slow".into()), ("zone", "z".into())]);
    let mut planned = config.clone();
    planned.as_entries_mut().unwrap().insert("id".into(), Value::Unknown);
    let mut apply_client = c.clone();
    let started = std::time::Instant::now();
    let apply = tokio::spawn(async move {
        apply_client
            .apply_resource_change(tf::apply_resource_change::Request {
                type_name: "fixture_thing".into(),
                prior_state: None,
                planned_state: dv(&planned, &thing_type()),
                config: dv(&config, &thing_type()),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!apply.is_finished(), "the slow create must still be running");
    c.stop_provider(tf::stop_provider::Request {}).await.unwrap();
    let r =
        tokio::time::timeout(std::time::Duration::from_secs(5), apply).await.expect("apply ends after stop").unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(errors(&r.diagnostics)[0].summary, "Operation cancelled");
    assert!(r.new_state.is_none() || decode(&r.new_state, &ty).is_null());
    served.shutdown().await;
}

#[tokio::test]
async fn a_panic_in_a_handler_is_an_error_diagnostic_and_the_provider_keeps_serving() {
    let (served, _store, _dir) = serve().await;
    let mut c = crate::common::provider_client(&served.socket).await;
    let ty = thing_type();
    c.configure_provider(tf::configure_provider::Request {
        terraform_version: "1.11.4".into(),
        config: Some(provider_config(Value::Null, Value::Null)),
        client_capabilities: None,
    })
    .await
    .unwrap();
    let apply = |name: &str| {
        let config = thing(&[("name", name.into()), ("zone", "z".into())]);
        let mut planned = config.clone();
        planned.as_entries_mut().unwrap().insert("id".into(), Value::Unknown);
        tf::apply_resource_change::Request {
            type_name: "fixture_thing".into(),
            prior_state: None,
            planned_state: dv(&planned, &ty),
            config: dv(&config, &ty),
            ..Default::default()
        }
    };
    let r = c.apply_resource_change(apply("panic")).await.expect("an answer, not a dead provider").into_inner();
    let errs = errors(&r.diagnostics);
    assert_eq!(errs.len(), 1, "{:?}", r.diagnostics);
    assert_eq!(errs[0].summary, "Internal error in the provider, please report it");
    assert!(errs[0].detail.contains("ApplyResourceChange"), "{}", errs[0].detail);
    assert!(!errs[0].detail.contains("on purpose"), "the panic message stays in the log: {}", errs[0].detail);
    assert!(r.new_state.is_none());
    // The provider still serves the next call.
    let ok = c.apply_resource_change(apply("fine")).await.unwrap().into_inner();
    assert!(errors(&ok.diagnostics).is_empty(), "{:?}", ok.diagnostics);
    assert_eq!(decode(&ok.new_state, &ty).attr("name"), &Value::from("fine"));
    served.shutdown().await;
}
