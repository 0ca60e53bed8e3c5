//! go-plugin's server side, as Terraform expects it: magic cookie, protocol negotiation, a unix
//! socket in a private directory (TCP loopback fallback only with client authentication; on
//! Windows, TCP loopback always, as go-plugin does there), AutoMTLS with Terraform's certificate
//! required, exactly one handshake line on stdout, the controller, stdio and health services,
//! SIGINT (Ctrl-C) ignored, and a prompt exit (socket removed) on Shutdown and SIGTERM.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use futures::StreamExt;
use tokio::net::TcpListener;
#[cfg(unix)]
use tokio::net::UnixListener;
#[cfg(unix)]
use tokio_stream::wrappers::UnixListenerStream;
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tokio_util::sync::CancellationToken;
use tonic::Status;

use crate::framework::{Provider, ProviderServer};

use super::grpc::{self, Answer, BoxFuture};
use super::mtls::PinnedClientCert;
use super::proto::plugin as gp;
use super::service::ProviderService;

/// The handshake cookie Terraform sets (it "should never be changed").
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The value Terraform sets in `MAGIC_COOKIE_KEY`.
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Terraform kills a provider that has not exited 2 s after Shutdown; we leave well before.
const SHUTDOWN_DEADLINE: Duration = Duration::from_millis(1500);

/// How to serve.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Full source address, e.g. `registry.terraform.io/mdmkit/jamf` (for the reattach line).
    pub address: String,
    /// PEM of Terraform's client certificate: when set, serve TLS (AutoMTLS) to that certificate
    /// only.
    pub client_cert_pem: Option<String>,
    /// Where to make the private directory that holds the unix socket (unused on Windows, where
    /// the provider serves on TCP loopback).
    pub socket_dir: PathBuf,
    /// Debug mode: no cookie, no TLS, runs until Ctrl-C, prints `TF_REATTACH_PROVIDERS`.
    pub debug: bool,
}

impl ServeOptions {
    /// Options from go-plugin's environment.
    pub fn from_env(address: &str, debug: bool) -> ServeOptions {
        let socket_dir = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        ServeOptions {
            address: address.to_string(),
            client_cert_pem: if debug {
                None
            } else {
                std::env::var("PLUGIN_CLIENT_CERT").ok().filter(|c| !c.trim().is_empty())
            },
            socket_dir,
            debug,
        }
    }
}

/// The sentence shown when someone runs the binary by hand.
pub fn not_a_program_message(provider_name: &str, address: &str) -> String {
    format!(
        "This binary is a plugin. These are not meant to be executed directly.\n\
         It is the Terraform provider {address} (terraform-provider-{provider_name}); Terraform starts it itself.\n\
         Declare it in a required_providers block and run `terraform init` and `terraform plan`.\n\
         To debug it, run it with --debug and follow the instructions it prints."
    )
}

/// Entry point of a provider binary: never returns.
pub fn main<P: Provider>(provider: P, address: &str) -> ! {
    let name = provider.type_name();
    let mut debug = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--debug" => debug = true,
            "--version" | "-V" => {
                println!("terraform-provider-{name} {}", env!("CARGO_PKG_VERSION"));
                std::process::exit(0);
            }
            "--help" | "-h" => {
                println!(
                    "{}\n\nOptions:\n  --debug    serve for a debugger (TF_REATTACH_PROVIDERS)\n  --version  print the version",
                    not_a_program_message(name, address)
                );
                std::process::exit(0);
            }
            other => {
                eprintln!("unknown argument {other:?}; try --help");
                std::process::exit(2);
            }
        }
    }
    if !debug && std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        eprintln!("{}", not_a_program_message(name, address));
        std::process::exit(1);
    }
    if let Ok(versions) = std::env::var("PLUGIN_PROTOCOL_VERSIONS")
        && !debug
        && !versions.split(',').any(|v| v.trim() == "6")
    {
        eprintln!(
            "This provider speaks plugin protocol 6, but the client offers only {versions:?}. \
             Use Terraform 1.0 or later."
        );
        std::process::exit(1);
    }
    super::logging::init(name);
    // One thread: the provider waits on Terraform and the vendor API, and spends microseconds of
    // CPU per RPC. A work-stealing pool only added thread wake-ups: on a refresh of 500 roles it
    // cost 2.5× the context switches and ~10% more CPU, taken from the cores terraform runs on
    // (BENCHMARKS.md). Blocking work still goes to tokio's blocking pool, started on demand.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime starts");
    let opts = ServeOptions::from_env(address, debug);
    let result = runtime.block_on(serve_keeping(provider, opts, |line| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }));
    match result {
        // The provider's state (its caches: hundreds of objects after a refresh) is left to the
        // exit, which frees it at once, instead of freed piece by piece first: ~1% of a
        // refresh launch's instructions (BENCHMARKS.md).
        Ok(_state) => std::process::exit(0),
        Err(e) => {
            eprintln!("terraform-provider-{name}: {e}");
            std::process::exit(1)
        }
    }
}

enum Bound {
    #[cfg(unix)]
    Unix(UnixListener),
    Tcp(TcpListener),
}

/// The private directory (0700, as go-plugin makes it) that holds the unix socket: only our
/// user can reach the socket. Removed, with the socket, however serving ends.
#[cfg_attr(not(unix), allow(dead_code))]
struct SocketDir {
    dir: PathBuf,
    socket: PathBuf,
}

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// A fresh directory only we may enter, in `parent`.
#[cfg(unix)]
fn private_dir(parent: &Path) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let mut last = None;
    for _ in 0..8 {
        let dir = parent.join(format!("plugin{:016x}", getrandom::u64().map_err(std::io::Error::other)?));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {
                // The umask can only take bits away; make sure no ACL default or odd umask left
                // group or other bits on.
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
                return Ok(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no fresh directory name")))
}

/// A unix socket in a fresh private directory.
#[cfg(unix)]
fn bind_unix(socket_dir: &Path) -> std::io::Result<(UnixListener, SocketDir)> {
    let dir = private_dir(socket_dir)?;
    let socket = dir.join("plugin");
    let guard = SocketDir { dir, socket: socket.clone() };
    let listener = UnixListener::bind(&socket)?;
    Ok((listener, guard))
}

/// Where to serve: a unix socket in a fresh private directory or, where that fails and `tcp`
/// allows it (client authentication enforced, or debug mode), TCP on 127.0.0.1. On Windows
/// go-plugin always serves TCP loopback, and Terraform connects to whatever the handshake names;
/// the same rule holds there: TCP only with client authentication, or in debug mode.
async fn bind(socket_dir: &Path, tcp: bool) -> std::io::Result<(Bound, Option<SocketDir>)> {
    #[cfg(unix)]
    let (unavailable, advice) = match bind_unix(socket_dir) {
        Ok((l, guard)) => return Ok((Bound::Unix(l), Some(guard))),
        Err(e) => (
            format!("cannot serve on a unix socket in {} ({e})", socket_dir.display()),
            "Set PLUGIN_UNIX_SOCKET_DIR to a short, writable directory, or let Terraform start the provider with \
             AutoMTLS (unset TF_DISABLE_PLUGIN_TLS)",
        ),
    };
    #[cfg(not(unix))]
    let (unavailable, advice) = {
        let _ = socket_dir;
        (
            "plugins serve on a TCP port on Windows".to_string(),
            "Let Terraform start the provider with AutoMTLS (unset TF_DISABLE_PLUGIN_TLS), or run it with --debug",
        )
    };
    if !tcp {
        return Err(std::io::Error::other(format!(
            "{unavailable}, and will not serve on a TCP port without Terraform's client certificate \
             (PLUGIN_CLIENT_CERT is not set): any local process could drive the provider. {advice}"
        )));
    }
    tracing::debug!(reason = %unavailable, "serving on TCP loopback");
    let min: u16 = std::env::var("PLUGIN_MIN_PORT").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let max: u16 = std::env::var("PLUGIN_MAX_PORT").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    if min > 0 && max >= min {
        for port in min..=max {
            if let Ok(l) = TcpListener::bind(("127.0.0.1", port)).await {
                return Ok((Bound::Tcp(l), None));
            }
        }
    }
    Ok((Bound::Tcp(TcpListener::bind(("127.0.0.1", 0)).await?), None))
}

/// How long a connection may take to complete its TLS handshake before it is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The TLS side of AutoMTLS: our fresh certificate, and Terraform's (from `client_pem`)
/// required of every client. Returns the acceptor and our certificate's DER.
fn tls_acceptor(client_pem: &str) -> std::io::Result<(tokio_rustls::TlsAcceptor, Vec<u8>)> {
    use rustls::pki_types::pem::PemObject;
    let (_, key_pem, der) = generate_certificate().map_err(std::io::Error::other)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = PinnedClientCert::from_pem(client_pem, provider.clone()).map_err(std::io::Error::other)?;
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(std::io::Error::other)?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![rustls::pki_types::CertificateDer::from(der.clone())], key)
        .map_err(std::io::Error::other)?;
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    Ok((tokio_rustls::TlsAcceptor::from(Arc::new(cfg)), der))
}

/// Connections from `incoming` that completed the TLS handshake (and so presented Terraform's
/// certificate and proved its key); the others are dropped before a byte of gRPC is read.
/// Each handshake runs in its own task, so a client that stalls holds up no other.
fn tls_incoming<IO>(
    incoming: impl futures::Stream<Item = std::io::Result<IO>> + Send + Unpin + 'static,
    acceptor: tokio_rustls::TlsAcceptor,
    shutdown: CancellationToken,
) -> ReceiverStream<std::io::Result<tokio_rustls::server::TlsStream<IO>>>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        let mut incoming = incoming;
        loop {
            let conn = tokio::select! {
                _ = shutdown.cancelled() => return,
                c = incoming.next() => c,
            };
            let io = match conn {
                None => return,
                Some(Ok(io)) => io,
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "accept failed");
                    // A persistent failure (no file descriptors left) must not spin, as in `run`.
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    }
                }
            };
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(io)).await {
                    Ok(Ok(tls)) => {
                        let _ = tx.send(Ok(tls)).await;
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "refused a connection that did not present Terraform's client certificate")
                    }
                    Err(_) => tracing::warn!("refused a connection that did not complete the TLS handshake in time"),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

/// A self-signed certificate for AutoMTLS: P-256, SAN `localhost`, CA:TRUE (Go verifies the
/// server certificate as its own trust anchor), server and client auth.
pub fn generate_certificate() -> Result<(String, String, Vec<u8>), rcgen::Error> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    params.distinguished_name.push(DnType::OrganizationName, "mdmkit");
    params.distinguished_name.push(DnType::CommonName, "localhost");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem(), cert.der().to_vec()))
}

/// What a plugin serves, routed by each call's path: the provider (`tfplugin6.Provider`),
/// go-plugin's controller (Shutdown cancels `shutdown`) and stdio, and gRPC health ("plugin"
/// serving). Streaming methods of the provider, the broker and health's Watch are not served
/// (`Unimplemented`): Terraform uses none of them with this provider.
struct Plugin<P: Provider> {
    provider: ProviderService<P>,
    shutdown: CancellationToken,
}

impl<P: Provider> Plugin<P> {
    fn new(server: Arc<ProviderServer<P>>, shutdown: &CancellationToken) -> Arc<Plugin<P>> {
        Arc::new(Plugin { provider: ProviderService::new(server), shutdown: shutdown.clone() })
    }
}

/// The health service's name for the whole plugin, as go-plugin asks for it.
const HEALTH_SERVICE: &str = "plugin";

impl<P: Provider> grpc::Service for Plugin<P> {
    fn call(self: Arc<Self>, path: &str, message: Bytes) -> Option<BoxFuture<Answer>> {
        use super::proto::tfplugin6::provider_server::Provider as _;
        // Every unary method of the protocol, listed by build.rs from proto/tfplugin6.proto.
        macro_rules! provider_unary_rpcs {
            ($($path:literal => $method:ident,)*) => {
                match path {
                    $($path => {
                        return Some(Box::pin(async move {
                            match grpc::decode(message) {
                                Ok(request) => Answer::unary(self.provider.$method(request).await),
                                Err(status) => Answer::Failed(status),
                            }
                        }))
                    })*
                    _ => {}
                }
            };
        }
        include!(concat!(env!("OUT_DIR"), "/provider_unary_rpcs.rs"));
        match path {
            "/plugin.GRPCController/Shutdown" => {
                tracing::debug!("Shutdown requested by Terraform");
                self.shutdown.cancel();
                Some(Box::pin(std::future::ready(Answer::message(&gp::Empty {}))))
            }
            // We never redirect our own stdout/stderr (logs go to stderr directly), so the
            // stream carries nothing; it ends at shutdown so it never holds the process open.
            "/plugin.GRPCStdio/StreamStdio" => {
                let until = self.shutdown.clone().cancelled_owned();
                Some(Box::pin(std::future::ready(Answer::Quiet(Box::pin(until)))))
            }
            "/grpc.health.v1.Health/Check" => {
                use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse, health_check_response::ServingStatus};
                let answer = match grpc::decode::<HealthCheckRequest>(message) {
                    Ok(request) => match request.get_ref().service.as_str() {
                        "" | HEALTH_SERVICE => {
                            Answer::message(&HealthCheckResponse { status: ServingStatus::Serving as i32 })
                        }
                        other => Answer::Failed(Status::not_found(format!("no service {other:?} here"))),
                    },
                    Err(status) => Answer::Failed(status),
                };
                Some(Box::pin(std::future::ready(answer)))
            }
            _ => None,
        }
    }
}

/// Serve a provider until Terraform calls Shutdown, or SIGTERM (or, in debug mode, until Ctrl-C).
/// `announce` receives the one handshake line (or, in debug mode, the reattach instructions).
///
/// With `client_cert_pem` (Terraform's `PLUGIN_CLIENT_CERT`) every connection must present
/// exactly that certificate and prove its key; without it the provider serves plaintext on a
/// unix socket in a private directory only (debug mode may fall back to TCP).
pub async fn serve<P: Provider>(provider: P, opts: ServeOptions, announce: impl FnOnce(String)) -> std::io::Result<()> {
    serve_keeping(provider, opts, announce).await.map(drop)
}

/// [`serve`], handing back what it served instead of dropping it, for a process that exits next.
async fn serve_keeping<P: Provider>(
    provider: P,
    opts: ServeOptions,
    announce: impl FnOnce(String),
) -> std::io::Result<Arc<Plugin<P>>> {
    let shutdown = CancellationToken::new();
    let plugin = Plugin::new(Arc::new(ProviderServer::new(provider)), &shutdown);
    // Before binding: a bad PLUGIN_CLIENT_CERT leaves no socket behind.
    let tls = opts.client_cert_pem.as_deref().map(tls_acceptor).transpose()?;
    let (bound, guard) = bind(&opts.socket_dir, tls.is_some() || opts.debug).await?;
    let (network, addr) = match &bound {
        #[cfg(unix)]
        Bound::Unix(_) => ("unix", guard.as_ref().map(|g| g.socket.display().to_string()).unwrap_or_default()),
        Bound::Tcp(l) => ("tcp", l.local_addr()?.to_string()),
    };
    let cert_field =
        tls.as_ref().map(|(_, der)| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der)).unwrap_or_default();

    // Before the line goes out: from then on Terraform (and its Ctrl-C) may reach us.
    spawn_signal_handling(shutdown.clone(), opts.debug)?;
    if !opts.debug {
        spawn_orphan_watch(shutdown.clone());
    }
    if opts.debug {
        let reattach = serde_json::json!({
            opts.address.clone(): {
                "Protocol": "grpc",
                "ProtocolVersion": 6,
                "Pid": std::process::id(),
                "Test": true,
                "Addr": {"Network": network, "String": addr},
            }
        })
        .to_string();
        announce(format!(
            "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable \
             with the following:\n\n\tTF_REATTACH_PROVIDERS='{}'\n",
            reattach.replace('\'', "'\"'\"'")
        ));
    } else {
        announce(format!("1|6|{network}|{addr}|grpc|{cert_field}"));
    }

    let served = plugin.clone();
    let result = match (bound, tls) {
        #[cfg(unix)]
        (Bound::Unix(l), None) => run(plugin, unix_incoming(l), &shutdown).await,
        #[cfg(unix)]
        (Bound::Unix(l), Some((acceptor, _))) => {
            run(plugin, tls_incoming(unix_incoming(l), acceptor, shutdown.clone()), &shutdown).await
        }
        (Bound::Tcp(l), None) => run(plugin, tcp_incoming(l), &shutdown).await,
        (Bound::Tcp(l), Some((acceptor, _))) => {
            run(plugin, tls_incoming(tcp_incoming(l), acceptor, shutdown.clone()), &shutdown).await
        }
    };
    drop(guard);
    result.map(|()| served)
}

/// Unix connections the runtime watches for reading only (`socket`): our answers being read
/// would otherwise wake us each time.
#[cfg(unix)]
fn unix_incoming(
    l: UnixListener,
) -> impl futures::Stream<Item = std::io::Result<super::socket::ReadInterestStream>> + Send + Unpin {
    UnixListenerStream::new(l).map(|s| s.and_then(super::socket::ReadInterestStream::unix))
}

/// A TCP connection: on unix as the unix socket's are (`socket`), so that the connection's
/// code is compiled once.
#[cfg(unix)]
type TcpConnection = super::socket::ReadInterestStream;
#[cfg(not(unix))]
type TcpConnection = tokio::net::TcpStream;

/// TCP connections with Nagle's algorithm off: it would stall each small RPC by ~40 ms
/// (delayed ACK).
fn tcp_incoming(l: TcpListener) -> impl futures::Stream<Item = std::io::Result<TcpConnection>> + Send + Unpin {
    TcpListenerStream::new(l).map(|s| {
        let s = s?;
        let _ = s.set_nodelay(true);
        #[cfg(unix)]
        let s = super::socket::ReadInterestStream::tcp(s)?;
        Ok(s)
    })
}

/// Serve `plugin` on the connections from `incoming` until `shutdown`, then let open
/// connections finish their calls a bounded time so Terraform never has to kill us.
async fn run<IO, S>(
    plugin: Arc<S>,
    incoming: impl futures::Stream<Item = std::io::Result<IO>> + Send + 'static,
    shutdown: &CancellationToken,
) -> std::io::Result<()>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: grpc::Service,
{
    let deadline = {
        let token = shutdown.clone();
        async move {
            token.cancelled().await;
            tokio::time::sleep(SHUTDOWN_DEADLINE).await;
        }
    };
    let serving = async {
        let mut connections = tokio::task::JoinSet::new();
        let mut incoming = std::pin::pin!(incoming);
        loop {
            tokio::select! {
                next = incoming.next() => match next {
                    Some(Ok(io)) => {
                        let limits = grpc::Limits::default();
                        connections.spawn(grpc::serve_connection(io, plugin.clone(), limits, shutdown.clone()));
                    }
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "accept failed");
                        // A persistent failure (no file descriptors left) must not spin.
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                    None => break,
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                _ = shutdown.cancelled() => break,
            }
        }
        // Each connection winds down by itself once `shutdown` is cancelled (GOAWAY).
        while connections.join_next().await.is_some() {}
    };
    tokio::select! {
        _ = serving => Ok(()),
        _ = deadline => Ok(()),
    }
}

/// The pause after a failed accept.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

#[cfg(unix)]
fn spawn_signal_handling(shutdown: CancellationToken, debug: bool) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    // Terraform does not give providers their own process group, so Ctrl-C reaches us too; it
    // then calls StopProvider, which is how we wind down. Installing a handler ignores SIGINT.
    let mut sigint = signal(SignalKind::interrupt())?;
    // SIGTERM (a CI runner cancelling, `kill`): stop serving and clean up, never die mid-way
    // with the socket left behind.
    let mut sigterm = signal(SignalKind::terminate())?;
    let token = shutdown.clone();
    tokio::spawn(async move {
        if sigterm.recv().await.is_some() {
            tracing::debug!("SIGTERM: shutting down");
            token.cancel();
        }
    });
    tokio::spawn(async move {
        while sigint.recv().await.is_some() {
            if debug {
                shutdown.cancel();
                break;
            }
            tracing::debug!("ignoring SIGINT: Terraform will call StopProvider");
        }
    });
    Ok(())
}

/// Windows: Ctrl-C reaches every process of the console, the provider too; a registered handler
/// keeps it alive for Terraform's StopProvider. Closing the console (or logoff, shutdown) gives a
/// few seconds: wind down then.
#[cfg(windows)]
fn spawn_signal_handling(shutdown: CancellationToken, debug: bool) -> std::io::Result<()> {
    use tokio::signal::windows::{ctrl_c, ctrl_close, ctrl_shutdown};
    let mut interrupt = ctrl_c()?;
    let mut close = ctrl_close()?;
    let mut system_shutdown = ctrl_shutdown()?;
    let token = shutdown.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = close.recv() => {}
            _ = system_shutdown.recv() => {}
        }
        tracing::debug!("console closing: shutting down");
        token.cancel();
    });
    tokio::spawn(async move {
        while interrupt.recv().await.is_some() {
            if debug {
                shutdown.cancel();
                break;
            }
            tracing::debug!("ignoring Ctrl-C: Terraform will call StopProvider");
        }
    });
    Ok(())
}

/// How often a provider checks that the terraform which started it is still alive.
const PARENT_CHECK: Duration = Duration::from_secs(1);

/// Terraform that is killed (SIGKILL, a crashed CI runner) never calls Shutdown: once our parent
/// process is gone (we were re-parented), wind down instead of lingering for ever.
#[cfg(unix)]
fn spawn_orphan_watch(shutdown: CancellationToken) {
    let parent = std::os::unix::process::parent_id();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(PARENT_CHECK) => {}
            }
            if std::os::unix::process::parent_id() != parent {
                tracing::warn!("the terraform process that started this provider is gone; exiting");
                shutdown.cancel();
                return;
            }
        }
    });
}

/// Windows never re-parents a process, so there is no parent to watch without the Win32 API
/// (which this crate does not bind); a provider left by a killed Terraform ends with its console.
#[cfg(not(unix))]
fn spawn_orphan_watch(_shutdown: CancellationToken) {
    let _ = PARENT_CHECK;
}

/// A provider served inside the current process, for tests and debuggers that attach Terraform
/// through `TF_REATTACH_PROVIDERS` (plaintext, `"Test": true`; a unix socket, or TCP loopback on
/// Windows).
pub struct Reattached {
    /// The value for `TF_REATTACH_PROVIDERS`.
    pub reattach_json: String,
    /// Unix socket path (on Windows, the `127.0.0.1:port` address).
    pub socket: PathBuf,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Reattached {
    /// Stop serving and wait for the server to finish.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }
}

/// Serve `provider` in this process on a fresh unix socket in `socket_dir` (on Windows, on a
/// fresh TCP loopback port).
pub async fn serve_in_process<P: Provider>(
    provider: P,
    address: &str,
    socket_dir: &Path,
) -> std::io::Result<Reattached> {
    let shutdown = CancellationToken::new();
    let plugin = Plugin::new(Arc::new(ProviderServer::new(provider)), &shutdown);
    #[cfg(unix)]
    let (listener, guard) = bind_unix(socket_dir)?;
    #[cfg(unix)]
    let (network, path) = ("unix", guard.socket.clone());
    #[cfg(not(unix))]
    let listener = {
        let _ = socket_dir;
        TcpListener::bind(("127.0.0.1", 0)).await?
    };
    #[cfg(not(unix))]
    let (network, path) = ("tcp", PathBuf::from(listener.local_addr()?.to_string()));
    let reattach_json = serde_json::json!({
        address: {
            "Protocol": "grpc",
            "ProtocolVersion": 6,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": network, "String": path.display().to_string()},
        }
    })
    .to_string();
    let token = shutdown.clone();
    let socket = path.clone();
    let task = tokio::spawn(async move {
        #[cfg(unix)]
        let (_guard, incoming) = (guard, unix_incoming(listener));
        #[cfg(not(unix))]
        let incoming = tcp_incoming(listener);
        run(plugin, incoming, &token).await
    });
    Ok(Reattached { reattach_json, socket, shutdown, task })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_is_p256_for_localhost() {
        let (pem, key, der) = generate_certificate().unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(key.contains("PRIVATE KEY"));
        assert!(!der.is_empty());
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&der);
        assert!(!b64.ends_with('='));
    }

    /// Accepting that fails over and over (no file descriptors left) waits between tries
    /// instead of spinning on the runtime's one thread.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failing_accepts_before_the_tls_handshake_back_off() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (pem, _, _) = generate_certificate().unwrap();
        let (acceptor, _) = tls_acceptor(&pem).unwrap();
        let tries = Arc::new(AtomicUsize::new(0));
        let counted = tries.clone();
        let failing = futures::stream::poll_fn(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            std::task::Poll::Ready(Some(Err::<tokio::io::DuplexStream, _>(std::io::Error::other("EMFILE"))))
        });
        let shutdown = CancellationToken::new();
        let _accepted = tls_incoming(failing, acceptor, shutdown.clone());
        tokio::time::sleep(Duration::from_millis(300)).await;
        shutdown.cancel();
        let tries = tries.load(Ordering::SeqCst);
        assert!((1..=10).contains(&tries), "{tries} accepts in 300 ms");
    }

    #[test]
    fn message_names_the_provider() {
        let m = not_a_program_message("jamf", "registry.terraform.io/mdmkit/jamf");
        assert!(m.starts_with("This binary is a plugin"));
        assert!(m.contains("registry.terraform.io/mdmkit/jamf"));
    }
}
