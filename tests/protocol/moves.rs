//! `MoveResourceState` over gRPC: the capability, the framework's default refusal (fixture
//! provider), and the jamf provider's moves from deploymenttheory/jamfpro with every refusal.

use std::collections::HashMap;

use mdmkit::framework::{Resource, Type, Value, msgpack};
use mdmkit::jamf::api_client::ApiClientResource;
use mdmkit::jamf::api_role::ApiRoleResource;
use mdmkit::plugin::proto::tfplugin6 as tf;
use mdmkit::plugin::serve_in_process;
use tonic::transport::Channel;

use crate::common::fixture::{self, FixtureProvider, Store};

const INCUMBENT: &str = "registry.terraform.io/deploymenttheory/jamfpro";

fn request(provider: &str, source: &str, version: i64, json: &str, target: &str) -> tf::move_resource_state::Request {
    tf::move_resource_state::Request {
        source_provider_address: provider.into(),
        source_type_name: source.into(),
        source_schema_version: version,
        source_state: Some(tf::RawState { json: json.as_bytes().to_vec(), flatmap: HashMap::new() }),
        target_type_name: target.into(),
        source_private: br#"{"schema_version":"0"}"#.to_vec(),
        ..Default::default()
    }
}

/// The one error of a refused move, as (summary, detail); panics when the move succeeded.
fn refusal(r: &tf::move_resource_state::Response) -> (String, String) {
    assert!(r.target_state.is_none(), "a refused move returns no state");
    match r.diagnostics.as_slice() {
        [d] if d.severity == tf::diagnostic::Severity::Error as i32 => (d.summary.clone(), d.detail.clone()),
        other => panic!("expected one error, got {other:?}"),
    }
}

fn moved_value(r: &tf::move_resource_state::Response, ty: &Type) -> Value {
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    msgpack::decode(&r.target_state.as_ref().expect("a state").msgpack, ty).expect("decodes with the target schema")
}

async fn call(
    c: &mut tf::provider_client::ProviderClient<Channel>,
    req: tf::move_resource_state::Request,
) -> tf::move_resource_state::Response {
    c.move_resource_state(req).await.expect("the RPC answers").into_inner()
}

#[tokio::test]
async fn the_capability_is_advertised_and_a_resource_without_moves_refuses_them() {
    let dir = tempfile::tempdir().unwrap();
    let served =
        serve_in_process(FixtureProvider { store: Store::default() }, fixture::ADDRESS, dir.path()).await.unwrap();
    let mut c = crate::common::provider_client(&served.socket).await;
    let s = c.get_provider_schema(tf::get_provider_schema::Request {}).await.unwrap().into_inner();
    assert!(s.server_capabilities.unwrap().move_resource_state);
    let m = c.get_metadata(tf::get_metadata::Request {}).await.unwrap().into_inner();
    assert!(m.server_capabilities.unwrap().move_resource_state);

    let r = call(
        &mut c,
        request("registry.terraform.io/example/other", "other_thing", 0, r#"{"id":"1"}"#, "fixture_thing"),
    )
    .await;
    let (summary, detail) = refusal(&r);
    assert_eq!(summary, "Move not supported");
    assert!(
        detail.contains(
            "fixture_thing cannot take over the state of other_thing (provider registry.terraform.io/example/other)"
        ),
        "{detail}"
    );
    assert!(detail.contains("import the object instead"), "{detail}");

    let r = call(&mut c, request(INCUMBENT, "jamfpro_api_role", 0, "{}", "fixture_nothing")).await;
    assert_eq!(refusal(&r).0, "Unknown resource type");
    served.shutdown().await;
}

#[tokio::test]
async fn jamf_takes_over_the_incumbents_role_and_client_and_refuses_everything_else() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve_in_process(mdmkit::jamf::JamfProvider, mdmkit::jamf::ADDRESS, dir.path()).await.unwrap();
    let mut c = crate::common::provider_client(&served.socket).await;
    // No ConfigureProvider: Terraform moves before it refreshes, and a move needs no API.
    let role_ty = Resource::schema(&ApiRoleResource).value_type();
    let role_json = r#"{"display_name":"Vendor","id":"7","privileges":["Read Computers"],"timeouts":null}"#;
    let r = call(&mut c, request(INCUMBENT, "jamfpro_api_role", 0, role_json, "jamf_api_role")).await;
    assert!(r.target_private.is_empty());
    assert_eq!(
        moved_value(&r, &role_ty),
        Value::object([
            ("id", Value::from("7")),
            ("display_name", Value::from("Vendor")),
            ("privileges", Value::Set(vec![Value::from("Read Computers")])),
        ])
    );

    let client_ty = Resource::schema(&ApiClientResource).value_type();
    let client_json = r#"{"access_token_lifetime_seconds":0,"app_type":"NONE","authorization_scopes":["Vendor"],"client_id":"8d3c","display_name":"Vendor","enabled":false,"id":"12","timeouts":{"create":"70s","read":null,"update":null,"delete":null}}"#;
    let r = call(&mut c, request(INCUMBENT, "jamfpro_api_integration", 0, client_json, "jamf_api_client")).await;
    let v = moved_value(&r, &client_ty);
    assert_eq!(v.attr("id"), &Value::from("12"));
    assert_eq!(v.attr("client_id"), &Value::from("8d3c"));
    assert_eq!(v.attr("enabled"), &Value::Bool(false));
    assert_eq!(v.attr("access_token_lifetime_seconds"), &Value::from(300i64), "an unset lifetime is Jamf's default");
    assert_eq!(v.attr("authorization_scopes"), &Value::Set(vec![Value::from("Vendor")]));

    let cases: &[(&str, &str, i64, &str, &str, &str, &str)] = &[
        (
            "registry.terraform.io/example/jamf",
            "jamfpro_api_role",
            0,
            role_json,
            "jamf_api_role",
            "Unsupported move source",
            "this moved block's source is jamfpro_api_role of registry.terraform.io/example/jamf",
        ),
        (
            INCUMBENT,
            "jamfpro_api_integration",
            0,
            client_json,
            "jamf_api_role",
            "Unsupported move source",
            "An API integration is an API client: move it to a jamf_api_client.",
        ),
        (
            INCUMBENT,
            "jamfpro_api_role",
            0,
            role_json,
            "jamf_api_client",
            "Unsupported move source",
            "An API role moves to a jamf_api_role.",
        ),
        (
            INCUMBENT,
            "jamfpro_building",
            0,
            "{}",
            "jamf_api_role",
            "Unsupported move source",
            "The supported moves are jamfpro_api_role to jamf_api_role, and jamfpro_api_integration to jamf_api_client",
        ),
        (
            INCUMBENT,
            "jamfpro_api_role",
            1,
            role_json,
            "jamf_api_role",
            "Unsupported source schema version",
            "only version 0 can be moved",
        ),
        (
            INCUMBENT,
            "jamfpro_api_role",
            0,
            r#"{"id":"7""#,
            "jamf_api_role",
            "Unreadable source state",
            "the state is not valid JSON",
        ),
        (INCUMBENT, "jamfpro_api_role", 0, "", "jamf_api_role", "Unreadable source state", "the state holds no JSON"),
        (
            INCUMBENT,
            "jamfpro_api_integration",
            0,
            r#"{"id":"3","enabled":"yes"}"#,
            "jamf_api_client",
            "Unreadable source state",
            "`enabled` is \"yes\", not a boolean",
        ),
        (
            INCUMBENT,
            "jamfpro_api_integration",
            0,
            client_json,
            "jamf_client_secret",
            "Unsupported move source",
            "the registry.terraform.io/deploymenttheory/jamfpro provider has no secret resource",
        ),
    ];
    for (provider, source, version, json, target, summary, says) in cases {
        let r = call(&mut c, request(provider, source, *version, json, target)).await;
        let (s, detail) = refusal(&r);
        assert_eq!(&s, summary, "{source} v{version} -> {target}: {detail}");
        assert!(detail.contains(says), "{source} v{version} -> {target}: {detail}");
    }
    served.shutdown().await;
}
