//! Compiles the protocol definitions in `proto/` into Rust (prost messages and tonic
//! clients/servers; the provider serves them through src/plugin/grpc.rs, routed by the list
//! this script writes). The `.proto` files are parsed by `protox`, a pure-Rust compiler,
//! so no system `protoc` is needed or consulted.

use std::error::Error;

const PROTO_DIR: &str = "proto";

const PROTOS: [&str; 4] =
    ["proto/tfplugin6.proto", "proto/grpc_controller.proto", "proto/grpc_stdio.proto", "proto/grpc_broker.proto"];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={PROTO_DIR}");
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }

    let fds = protox::compile(PROTOS, [PROTO_DIR])?;
    write_provider_unary_rpcs(&fds)?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        // Clients (the tests') connect through a channel they build; no `connect` helper.
        .build_transport(false)
        // Every RPC gets a default body returning `Status::unimplemented`, so the
        // server only overrides what it supports.
        .generate_default_stubs(true)
        // A value's msgpack stays a slice of the request it came in (no copy per value).
        .bytes(".tfplugin6.DynamicValue")
        // A value may hold sensitive attributes: its Debug (src/plugin/proto.rs) shows sizes only.
        .skip_debug([".tfplugin6.DynamicValue"])
        .compile_fds(fds)?;
    Ok(())
}

/// `$OUT_DIR/provider_unary_rpcs.rs`: one invocation of the macro `provider_unary_rpcs!` listing
/// every unary method of `tfplugin6.Provider` as `"/tfplugin6.Provider/Method" => method_name`,
/// the name of the generated trait's method. The server (src/plugin/serve.rs) routes by it, so
/// a method added to the protocol is routed without anyone listing it by hand; streaming
/// methods are left out (the server answers them `Unimplemented`).
fn write_provider_unary_rpcs(fds: &prost_types::FileDescriptorSet) -> Result<(), Box<dyn Error>> {
    let mut out = String::from("provider_unary_rpcs! {\n");
    for file in fds.file.iter().filter(|f| f.package() == "tfplugin6") {
        for service in file.service.iter().filter(|s| s.name() == "Provider") {
            for method in &service.method {
                if method.client_streaming() || method.server_streaming() {
                    continue;
                }
                let name = method.name();
                out.push_str(&format!("    \"/tfplugin6.Provider/{name}\" => {},\n", snake_case(name)));
            }
        }
    }
    out.push_str("}\n");
    let path = std::path::Path::new(&std::env::var("OUT_DIR")?).join("provider_unary_rpcs.rs");
    std::fs::write(path, out)?;
    Ok(())
}

/// `GetProviderSchema` → `get_provider_schema`, as tonic names trait methods (no method of the
/// protocol has two capitals in a row).
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
