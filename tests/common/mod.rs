//! What the test binaries share, included by each (`#[path = "../common/mod.rs"] pub mod common;`):
//! the simulator-backed acceptance harness, the fixture provider, gRPC clients, log capture and
//! wiremock helpers. Everything is `pub`, so a binary that uses only part of it gets no dead-code
//! warning. The terraform runner itself is `devkit::terraform`, shared with xtask and the benchmark.

pub mod acc;
pub mod fixture;
pub mod incumbent;
pub mod logs;
pub mod mock;
pub mod scan;

pub use devkit::terraform;

use std::path::Path;

use mdmkit::plugin::proto::tfplugin6::provider_client::ProviderClient;
use tonic::transport::{Channel, Endpoint, Uri};

/// A gRPC channel to a provider served on a unix socket.
pub async fn unix_channel(path: &Path) -> Channel {
    let path = path.to_path_buf();
    Endpoint::try_from("http://[::1]:1")
        .expect("static URI")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let path = path.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(path).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            }
        }))
        .await
        .expect("connect to the provider socket")
}

/// A tfplugin6 provider client over [`unix_channel`], accepting messages up to 256 MiB.
pub async fn provider_client(path: &Path) -> ProviderClient<Channel> {
    ProviderClient::new(unix_channel(path).await).max_decoding_message_size(256 << 20)
}
