//! Compiles the protocol definitions in `proto/` into Rust (prost messages and tonic
//! clients/servers). The `.proto` files are parsed by `protox`, a pure-Rust compiler,
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
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        // Every RPC gets a default body returning `Status::unimplemented`, so the
        // server only overrides what it supports.
        .generate_default_stubs(true)
        // prost with buffers sized for plugin messages (src/plugin/codec.rs).
        .codec_path("crate::plugin::codec::WireCodec")
        .compile_fds(fds)?;
    Ok(())
}
