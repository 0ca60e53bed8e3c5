//! Bad input: arbitrary configurations (empty, unicode, control characters, 1 MB strings, 0,
//! negative, 2^63 and fractional numbers, nulls and unknowns) driven through
//! `ValidateResourceConfig`, `PlanResourceChange` and `ConfigureProvider` of every resource and
//! provider. Never a panic or a gRPC error: always diagnostics or a valid plan.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use mdmkit::framework::schema::{Attribute, AttributeType};
use mdmkit::framework::{Number, Provider, ProviderServer, Schema, Type, Value, msgpack};
use mdmkit::plugin::proto::tfplugin6 as tf;
use mdmkit::plugin::serve::Reattached;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

fn arb_string() -> BoxedStrategy<String> {
    prop_oneof![
        6 => ".{0,24}",
        1 => Just(String::new()),
        1 => "[\\x00-\\x1f\\x7f]{1,8}",
        1 => Just("\u{202e}\u{1f600}ünïcødé\u{0301}".to_string()),
        1 => (1usize..3).prop_map(|n| "x".repeat(n << 20)),
        1 => Just("Read Computers".to_string()),
        1 => Just("http://127.0.0.1:1/".to_string()),
    ]
    .boxed()
}

fn arb_number() -> BoxedStrategy<Number> {
    prop_oneof![
        Just(Number::from_i64(0)),
        any::<i64>().prop_map(Number::from_i64),
        Just("9223372036854775808".parse().unwrap()),
        Just("-9223372036854775809".parse().unwrap()),
        Just("0.5".parse().unwrap()),
        Just("-1.25e-3".parse().unwrap()),
        Just("1e400".parse().unwrap()),
        Just(Number::PosInfinity),
        Just(Number::NegInfinity),
    ]
    .boxed()
}

fn arb_of_type(t: &Type) -> BoxedStrategy<Value> {
    let known: BoxedStrategy<Value> = match t {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::String | Type::Dynamic => arb_string().prop_map(Value::String).boxed(),
        Type::List(e) | Type::Set(e) => {
            let set = matches!(t, Type::Set(_));
            prop::collection::vec(arb_of_type(e), 0..4)
                .prop_map(move |v| if set { Value::Set(v) } else { Value::List(v) })
                .boxed()
        }
        Type::Map(e) => prop::collection::btree_map(arb_string(), arb_of_type(e), 0..3).prop_map(Value::Map).boxed(),
        Type::Tuple(ts) => ts.iter().map(arb_of_type).collect::<Vec<_>>().prop_map(Value::Tuple).boxed(),
        Type::Object(attrs, _) => {
            let names: Vec<String> = attrs.keys().cloned().collect();
            attrs
                .values()
                .map(arb_of_type)
                .collect::<Vec<_>>()
                .prop_map(move |vals| Value::Object(names.iter().cloned().zip(vals).collect::<BTreeMap<_, _>>()))
                .boxed()
        }
    };
    prop_oneof![2 => Just(Value::Null), 1 => Just(Value::Unknown), 6 => known].boxed()
}

/// A configuration of `schema`: computed-only attributes are null, as Terraform sends them.
fn arb_config(schema: &Schema) -> BoxedStrategy<Value> {
    let attrs: Vec<Attribute> = schema.block.attributes.clone();
    let parts: Vec<BoxedStrategy<Value>> = attrs
        .iter()
        .map(|a| {
            if a.computed && !a.optional && !a.required {
                Just(Value::Null).boxed()
            } else {
                match &a.ty {
                    AttributeType::Plain(t) => arb_of_type(t),
                    AttributeType::Nested { .. } => arb_of_type(&a.value_type()),
                }
            }
        })
        .collect();
    let names: Vec<String> = attrs.iter().map(|a| a.name.clone()).collect();
    parts.prop_map(move |vals| Value::Object(names.iter().cloned().zip(vals).collect())).boxed()
}

/// A wholly known prior state of `schema`.
fn arb_state(schema: &Schema) -> BoxedStrategy<Value> {
    let ty = schema.value_type();
    arb_of_type(&ty).prop_map(strip_unknown).prop_filter("an object", |v| matches!(v, Value::Object(_))).boxed()
}

fn strip_unknown(v: Value) -> Value {
    match v {
        Value::Unknown => Value::Null,
        Value::List(x) => Value::List(x.into_iter().map(strip_unknown).collect()),
        Value::Set(x) => Value::Set(x.into_iter().map(strip_unknown).collect()),
        Value::Tuple(x) => Value::Tuple(x.into_iter().map(strip_unknown).collect()),
        Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, strip_unknown(v))).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, strip_unknown(v))).collect()),
        other => other,
    }
}

fn dv(v: &Value, ty: &Type) -> Option<tf::DynamicValue> {
    Some(tf::DynamicValue {
        msgpack: msgpack::encode(v, ty).expect("generated values fit").into(),
        json: Default::default(),
    })
}

struct Target {
    served: Reattached,
    rt: tokio::runtime::Runtime,
    resources: BTreeMap<String, Schema>,
    provider: Schema,
}

/// Serve a provider in-process.
fn serve<P: Provider + Default>(address: &str, dir: &std::path::Path) -> Target {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = ProviderServer::new(P::default());
    let resources = server.resource_schemas().into_iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let provider = server.provider_schema().clone();
    let served = rt.block_on(mdmkit::plugin::serve_in_process(P::default(), address, dir)).unwrap();
    Target { served, rt, resources, provider }
}

fn check_diagnostics(diags: &[tf::Diagnostic]) {
    for d in diags {
        assert!(d.severity == 1 || d.severity == 2, "diagnostic without a severity: {d:?}");
        assert!(!d.summary.is_empty());
    }
}

fn drive(t: &Target, cases: u32) {
    let mut runner = TestRunner::new(ProptestConfig { cases, ..ProptestConfig::default() });
    let mut client = t.rt.block_on(crate::common::provider_client(&t.served.socket));
    for (name, schema) in &t.resources {
        let ty = schema.value_type();
        for _ in 0..cases {
            let config = arb_config(schema).new_tree(&mut runner).unwrap().current();
            let prior = if rand_bool(&mut runner) {
                Value::Null
            } else {
                arb_state(schema).new_tree(&mut runner).unwrap().current()
            };
            t.rt.block_on(async {
                let v = client
                    .validate_resource_config(tf::validate_resource_config::Request {
                        type_name: name.clone(),
                        config: dv(&config, &ty),
                        client_capabilities: Some(tf::ClientCapabilities {
                            deferral_allowed: false,
                            write_only_attributes_allowed: true,
                        }),
                    })
                    .await
                    .unwrap_or_else(|s| panic!("{name}: ValidateResourceConfig gRPC error {s}"))
                    .into_inner();
                check_diagnostics(&v.diagnostics);
                let plan = client
                    .plan_resource_change(tf::plan_resource_change::Request {
                        type_name: name.clone(),
                        prior_state: dv(&prior, &ty),
                        proposed_new_state: dv(&config, &ty),
                        config: dv(&config, &ty),
                        ..Default::default()
                    })
                    .await
                    .unwrap_or_else(|s| panic!("{name}: PlanResourceChange gRPC error {s}"))
                    .into_inner();
                check_diagnostics(&plan.diagnostics);
                let has_error = plan.diagnostics.iter().any(|d| d.severity == 1);
                if !has_error {
                    let planned = plan.planned_state.expect("a plan without errors has a planned state");
                    let v = msgpack::decode(&planned.msgpack, &ty).expect("the planned state fits the schema");
                    assert!(matches!(v, Value::Object(_)), "{name}: planned {v:?}");
                }
            });
        }
    }
    let pty = t.provider.value_type();
    for _ in 0..cases {
        let config = arb_config(&t.provider).new_tree(&mut runner).unwrap().current();
        t.rt.block_on(async {
            let v = client
                .validate_provider_config(tf::validate_provider_config::Request { config: dv(&config, &pty) })
                .await
                .expect("ValidateProviderConfig never fails at the gRPC level")
                .into_inner();
            check_diagnostics(&v.diagnostics);
        });
    }
}

fn rand_bool(runner: &mut TestRunner) -> bool {
    any::<bool>().new_tree(runner).unwrap().current()
}

fn configure_fresh<P: Provider + Default>(address: &str, cases: u32) {
    // Configure only: a provider configured with arbitrary values is never used to call anything.
    let dir = tempfile::tempdir().unwrap();
    let t = serve::<P>(address, dir.path());
    let pty = t.provider.value_type();
    let mut runner = TestRunner::new(ProptestConfig { cases, ..ProptestConfig::default() });
    let mut client = t.rt.block_on(crate::common::provider_client(&t.served.socket));
    for _ in 0..cases {
        let config = arb_config(&t.provider).new_tree(&mut runner).unwrap().current();
        t.rt.block_on(async {
            let r = client
                .configure_provider(tf::configure_provider::Request {
                    terraform_version: "1.11.4".into(),
                    config: dv(&config, &pty),
                    client_capabilities: None,
                })
                .await
                .expect("ConfigureProvider never fails at the gRPC level")
                .into_inner();
            check_diagnostics(&r.diagnostics);
        });
    }
    t.rt.block_on(t.served.shutdown());
}

fn sim_url() -> &'static (String, String, String) {
    static SIM: OnceLock<(String, String, String)> = OnceLock::new();
    SIM.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let sim = mdm_sim::Simulator::start("127.0.0.1:0".parse().unwrap(), Default::default()).await.unwrap();
                let a = sim.jamf_admin().clone();
                tx.send((sim.url(), a.client_id, a.client_secret)).unwrap();
                std::future::pending::<()>().await;
            });
        });
        rx.recv().unwrap()
    })
}

#[test]
fn jamf_resources_survive_arbitrary_configurations() {
    let dir = tempfile::tempdir().unwrap();
    let t = serve::<mdmkit::jamf::JamfProvider>(mdmkit::jamf::ADDRESS, dir.path());
    // Configured against the loopback simulator: plan hooks that call the API reach only it.
    let (url, id, secret) = sim_url().clone();
    let pty = t.provider.value_type();
    let mut cfg = BTreeMap::new();
    if let Type::Object(attrs, _) = &pty {
        for k in attrs.keys() {
            cfg.insert(k.clone(), Value::Null);
        }
    }
    cfg.insert("url".into(), Value::String(url));
    cfg.insert("client_id".into(), Value::String(id));
    cfg.insert("client_secret".into(), Value::String(secret));
    t.rt.block_on(async {
        let mut c = crate::common::provider_client(&t.served.socket).await;
        let r = c
            .configure_provider(tf::configure_provider::Request {
                terraform_version: "1.11.4".into(),
                config: dv(&Value::Object(cfg), &pty),
                client_capabilities: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    });
    drive(&t, 48);
    t.rt.block_on(t.served.shutdown());
}

#[test]
fn maas360_resources_survive_arbitrary_configurations() {
    let dir = tempfile::tempdir().unwrap();
    let t = serve::<mdmkit::maas360::Maas360Provider>(mdmkit::maas360::ADDRESS, dir.path());
    drive(&t, 48);
    t.rt.block_on(t.served.shutdown());
}

#[test]
fn provider_configuration_survives_arbitrary_values() {
    configure_fresh::<mdmkit::jamf::JamfProvider>(mdmkit::jamf::ADDRESS, 64);
    configure_fresh::<mdmkit::maas360::Maas360Provider>(mdmkit::maas360::ADDRESS, 64);
}
