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

/// A loopback port nothing listens on, held while this lives: a connection to it is refused, and
/// no other test's server is given it. A port freed by stopping a server is not enough: tests run
/// in parallel, and another test's simulator was handed that port and answered a request meant
/// to find no server with 401.
pub struct ClosedPort {
    // Bound, never listening: the kernel refuses connections and skips the port when it picks
    // one for a bind to port 0, which is how every server in the tests gets its port.
    _socket: socket2::Socket,
    port: u16,
}

impl ClosedPort {
    /// Any free loopback port.
    pub fn new() -> Self {
        Self::hold(0).expect("bind a loopback socket")
    }

    /// The port a server that just stopped had. Address reuse lets it be held while that
    /// server's connections are still in TIME_WAIT.
    pub fn hold(port: u16) -> std::io::Result<Self> {
        use socket2::{Domain, Socket, Type};
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        socket.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into())?;
        let port = socket.local_addr()?.as_socket().map(|a| a.port()).expect("an IPv4 address");
        Ok(Self { _socket: socket, port })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Default for ClosedPort {
    fn default() -> Self {
        Self::new()
    }
}
