//! Shared test helpers: the terraform runner, the fixture provider, gRPC clients.
#![allow(dead_code)]

pub mod acc;
pub mod fixture;
pub mod terraform;

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

pub async fn provider_client(path: &Path) -> ProviderClient<Channel> {
    ProviderClient::new(unix_channel(path).await).max_decoding_message_size(256 << 20)
}
