//! Rust bindings generated at build time from `proto/*.proto` (see `build.rs`).
//!
//! One module per protobuf package, so the Rust paths mirror the gRPC names:
//!
//! - [`tfplugin6`]: the Terraform plugin protocol 6.10, service `tfplugin6.Provider`
//!   (`tfplugin6::provider_server::{Provider, ProviderServer}`).
//! - [`plugin`]: go-plugin's services `plugin.GRPCController`, `plugin.GRPCStdio` and
//!   `plugin.GRPCBroker` (`plugin::grpc_controller_server::{GrpcController, GrpcControllerServer}`,
//!   `plugin::grpc_stdio_server::{GrpcStdio, GrpcStdioServer}`,
//!   `plugin::grpc_broker_server::{GrpcBroker, GrpcBrokerServer}`).
//!
//! Every server trait method has a default body returning `Status::unimplemented`, so an
//! implementation overrides only what it supports. With default stubs, server-streaming
//! methods return the fixed `BoxStream<T>` type defined in each `*_server` module.
//! The traits are `async_trait` traits: implement them under `#[tonic::async_trait]`.
//! The gRPC health service is not generated here; it comes from `tonic-health`.

/// Terraform plugin protocol 6.10 (package `tfplugin6`).
///
/// The lint allowances cover generated code only, which we cannot edit. With prost 0.14
/// and tonic 0.14 it passes clippy's default set today, but stricter groups fire on it
/// (`clippy::pedantic`: missing `# Errors` sections, `must_use`, unbackticked doc
/// items, a 1700-line function), and doc comments copied from the `.proto` files or a
/// newer toolchain can trip default lints too. Hand-written code elsewhere, including
/// the tests below, is linted normally.
#[allow(clippy::all, clippy::pedantic, rustdoc::all, missing_docs)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// Sizes only, as the framework's `DynamicValue` shows itself: a value may carry sensitive
/// attributes, which must never reach a log.
impl std::fmt::Debug for tfplugin6::DynamicValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Cloning `Bytes` copies no data.
        super::convert::dynamic_in(Some(self.clone())).fmt(f)
    }
}

/// go-plugin's internal services (package `plugin`): controller, stdio and broker.
///
/// Lints are allowed here for the same reason as in [`tfplugin6`]: generated code.
#[allow(clippy::all, clippy::pedantic, rustdoc::all, missing_docs)]
pub mod plugin {
    tonic::include_proto!("plugin");
}

#[cfg(test)]
mod tests {
    //! Wire facts that are easy to get wrong, pinned by the bytes prost writes.
    //!
    //! The expected field numbers are those of the public definitions
    //! (hashicorp/terraform `docs/plugin-protocol/tfplugin6.proto` at v1.15.9, protocol
    //! 6.10; hashicorp/go-plugin `internal/plugin/*.proto` v1.6 to v1.8), written out
    //! here by hand. A protobuf tag byte is `(field_number << 3) | wire_type`, with wire
    //! type 0 for varints (bool, int64, enum) and 2 for length-delimited values (bytes,
    //! strings, messages, packed or repeated messages).

    use super::plugin;
    use super::tfplugin6 as tf;
    use prost::Message;

    /// A provider that overrides nothing: every RPC is a generated default stub.
    struct Nothing;
    impl tf::provider_server::Provider for Nothing {}

    const VARINT: u8 = 0;
    const LEN: u8 = 2;

    /// The single-byte tag for `field` (valid for field numbers below 16).
    fn tag(field: u8, wire_type: u8) -> u8 {
        assert!(field < 16, "multi-byte tags are not used in these tests");
        (field << 3) | wire_type
    }

    /// Encoding of a message whose only set field is a `true` bool.
    fn bool_field(field: u8) -> Vec<u8> {
        vec![tag(field, VARINT), 1]
    }

    /// Encoding of a message whose only set field is a short bytes/string/message value.
    fn len_field(field: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![tag(field, LEN), u8::try_from(payload.len()).unwrap()];
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn a_dynamic_value_shows_its_sizes_not_its_content() {
        let v = tf::DynamicValue { msgpack: b"\xa6hunter".to_vec().into(), json: b"\"hunter\"".to_vec().into() };
        let shown = format!("{v:?}");
        assert_eq!(shown, "DynamicValue { msgpack: [7 bytes], json: [8 bytes] }");
        let request = tf::plan_resource_change::Request { config: Some(v), ..Default::default() };
        assert!(!format!("{request:?}").contains("hunter"));
    }

    #[test]
    fn dynamic_value_fields() {
        let msgpack = tf::DynamicValue { msgpack: vec![0xc0].into(), ..Default::default() };
        assert_eq!(msgpack.encode_to_vec(), len_field(1, &[0xc0]));

        let json = tf::DynamicValue { json: b"{}".to_vec().into(), ..Default::default() };
        assert_eq!(json.encode_to_vec(), len_field(2, b"{}"));
    }

    #[test]
    fn schema_attribute_fields() {
        let write_only = tf::schema::Attribute { write_only: true, ..Default::default() };
        assert_eq!(write_only.encode_to_vec(), bool_field(11));

        let sensitive = tf::schema::Attribute { sensitive: true, ..Default::default() };
        assert_eq!(sensitive.encode_to_vec(), bool_field(7));

        let nested = tf::schema::Attribute { nested_type: Some(tf::schema::Object::default()), ..Default::default() };
        assert_eq!(nested.encode_to_vec(), len_field(10, &[]));

        let deprecation = tf::schema::Attribute { deprecation_message: "x".into(), ..Default::default() };
        assert_eq!(deprecation.encode_to_vec(), len_field(12, b"x"));
    }

    #[test]
    fn schema_nesting_modes() {
        // Object has no field 2; nesting is field 3.
        let object = tf::schema::Object { nesting: tf::schema::object::NestingMode::Map as i32, ..Default::default() };
        assert_eq!(object.encode_to_vec(), vec![tag(3, VARINT), 4]);

        let block = tf::schema::NestedBlock {
            nesting: tf::schema::nested_block::NestingMode::Group as i32,
            ..Default::default()
        };
        assert_eq!(block.encode_to_vec(), vec![tag(3, VARINT), 5]);
    }

    #[test]
    fn capabilities_fields() {
        let plan_destroy = tf::ServerCapabilities { plan_destroy: true, ..Default::default() };
        assert_eq!(plan_destroy.encode_to_vec(), bool_field(1));

        let schema_optional = tf::ServerCapabilities { get_provider_schema_optional: true, ..Default::default() };
        assert_eq!(schema_optional.encode_to_vec(), bool_field(2));

        let move_state = tf::ServerCapabilities { move_resource_state: true, ..Default::default() };
        assert_eq!(move_state.encode_to_vec(), bool_field(3));

        let deferral = tf::ClientCapabilities { deferral_allowed: true, ..Default::default() };
        assert_eq!(deferral.encode_to_vec(), bool_field(1));

        let write_only = tf::ClientCapabilities { write_only_attributes_allowed: true, ..Default::default() };
        assert_eq!(write_only.encode_to_vec(), bool_field(2));

        // And decoding what Terraform 1.11 sends (write_only_attributes_allowed = true).
        let decoded = tf::ClientCapabilities::decode(&bool_field(2)[..]).unwrap();
        assert!(decoded.write_only_attributes_allowed);
        assert!(!decoded.deferral_allowed);
    }

    #[test]
    fn plan_and_apply_fields() {
        let plan = tf::plan_resource_change::Response {
            requires_replace: vec![tf::AttributePath::default()],
            ..Default::default()
        };
        assert_eq!(plan.encode_to_vec(), len_field(2, &[]));

        let plan_private = tf::plan_resource_change::Response { planned_private: vec![7], ..Default::default() };
        assert_eq!(plan_private.encode_to_vec(), len_field(3, &[7]));

        let apply = tf::apply_resource_change::Request { planned_private: vec![1, 2], ..Default::default() };
        assert_eq!(apply.encode_to_vec(), len_field(5, &[1, 2]));

        let apply_private = tf::apply_resource_change::Response { private: vec![9], ..Default::default() };
        assert_eq!(apply_private.encode_to_vec(), len_field(2, &[9]));

        let read_private = tf::read_resource::Response { private: vec![3], ..Default::default() };
        assert_eq!(read_private.encode_to_vec(), len_field(3, &[3]));
    }

    #[test]
    fn diagnostics_and_paths() {
        let diag = tf::Diagnostic {
            severity: tf::diagnostic::Severity::Error as i32,
            attribute: Some(tf::AttributePath::default()),
            ..Default::default()
        };
        let mut expected = vec![tag(1, VARINT), 1];
        expected.extend(len_field(4, &[]));
        assert_eq!(diag.encode_to_vec(), expected);

        let step = tf::attribute_path::Step { selector: Some(tf::attribute_path::step::Selector::ElementKeyInt(5)) };
        assert_eq!(step.encode_to_vec(), vec![tag(3, VARINT), 5]);

        // StopProvider.Response's field is spelled `Error` in the definition.
        let stop_response = tf::stop_provider::Response { error: "x".into() };
        assert_eq!(stop_response.encode_to_vec(), len_field(1, b"x"));

        // GetProviderSchema.Response: diagnostics = 4, server_capabilities = 6.
        let schema = tf::get_provider_schema::Response {
            diagnostics: vec![tf::Diagnostic::default()],
            server_capabilities: Some(tf::ServerCapabilities::default()),
            ..Default::default()
        };
        let mut expected = len_field(4, &[]);
        expected.extend(len_field(6, &[]));
        assert_eq!(schema.encode_to_vec(), expected);
    }

    #[test]
    fn go_plugin_fields() {
        let stdio = plugin::StdioData { channel: plugin::stdio_data::Channel::Stderr as i32, data: b"x".to_vec() };
        let mut expected = vec![tag(1, VARINT), 2];
        expected.extend(len_field(2, b"x"));
        assert_eq!(stdio.encode_to_vec(), expected);

        let conn = plugin::ConnInfo {
            knock: Some(plugin::conn_info::Knock { ack: true, ..Default::default() }),
            ..Default::default()
        };
        assert_eq!(conn.encode_to_vec(), len_field(4, &bool_field(2)));
    }

    #[test]
    fn grpc_service_names() {
        use tonic::server::NamedService;

        assert_eq!(tf::provider_server::SERVICE_NAME, "tfplugin6.Provider");
        assert_eq!(plugin::grpc_controller_server::SERVICE_NAME, "plugin.GRPCController");
        assert_eq!(plugin::grpc_stdio_server::SERVICE_NAME, "plugin.GRPCStdio");
        assert_eq!(plugin::grpc_broker_server::SERVICE_NAME, "plugin.GRPCBroker");

        assert_eq!(<tf::provider_server::ProviderServer<Nothing> as NamedService>::NAME, "tfplugin6.Provider");
    }

    #[tokio::test]
    async fn default_stubs_are_unimplemented() {
        use tf::provider_server::Provider;

        let status = Nothing
            .get_resource_identity_schemas(tonic::Request::new(tf::get_resource_identity_schemas::Request {}))
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unimplemented);

        let status = Nothing
            .list_resource(tonic::Request::new(tf::list_resource::Request::default()))
            .await
            .err()
            .expect("streaming stub must fail");
        assert_eq!(status.code(), tonic::Code::Unimplemented);
    }
}
