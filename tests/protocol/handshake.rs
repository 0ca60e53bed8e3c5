//! The provider binary as Terraform launches it: magic cookie, protocol negotiation, the one
//! handshake line, AutoMTLS, health, SIGINT, Shutdown and socket cleanup, and `--debug`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use mdmkit::plugin::proto::plugin as gp;
use mdmkit::plugin::proto::tfplugin6 as tf;
use mdmkit::plugin::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use tonic::transport::{Channel, Endpoint, Uri};

const JAMF: &str = env!("CARGO_BIN_EXE_terraform-provider-jamf");

/// A PEM client certificate shaped like the one Terraform sends (self-signed, CA, localhost).
fn client_cert_pem() -> String {
    mdmkit::plugin::serve::generate_certificate().unwrap().0
}

fn launch(envs: &[(&str, &str)], args: &[&str]) -> Child {
    Command::new(JAMF)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("provider starts")
}

struct Handshake {
    child: Child,
    network: String,
    addr: String,
    cert_der: Vec<u8>,
    rest: BufReader<std::process::ChildStdout>,
}

fn handshake(socket_dir: &std::path::Path, tls: bool) -> Handshake {
    let pem = client_cert_pem();
    let mut envs = vec![
        (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
        ("PLUGIN_PROTOCOL_VERSIONS", "5,6"),
        ("PLUGIN_MIN_PORT", "10000"),
        ("PLUGIN_MAX_PORT", "25000"),
        ("PLUGIN_UNIX_SOCKET_DIR", socket_dir.to_str().unwrap()),
    ];
    if tls {
        envs.push(("PLUGIN_CLIENT_CERT", pem.as_str()));
    }
    let mut child = launch(&envs, &[]);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line {line:?}");
    assert_eq!(&fields[..2], &["1", "6"]);
    assert_eq!(fields[4], "grpc");
    let cert_der = if tls {
        assert!(!fields[5].ends_with('='), "raw (unpadded) base64");
        base64::engine::general_purpose::STANDARD_NO_PAD.decode(fields[5]).expect("base64 DER")
    } else {
        assert_eq!(fields[5], "");
        Vec::new()
    };
    Handshake { child, network: fields[2].into(), addr: fields[3].into(), cert_der, rest: out }
}

/// Accepts exactly the certificate the handshake line announced (stricter than Terraform, which
/// trusts it as a root for "localhost"; rustls's own verifier refuses a CA certificate as a
/// server certificate, Go's does not).
#[derive(Debug)]
struct Pinned(Vec<u8>, std::sync::Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        assert_eq!(server_name.to_str(), "localhost");
        if end_entity.as_ref() == self.0.as_slice() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("not the announced certificate".into()))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.1.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.1.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.1.signature_verification_algorithms.supported_schemes()
    }
}

async fn connect(h: &Handshake) -> Channel {
    assert_eq!(h.network, "unix");
    let path = PathBuf::from(&h.addr);
    let tls = (!h.cert_der.is_empty()).then(|| {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(std::sync::Arc::new(Pinned(h.cert_der.clone(), provider)))
            .with_no_client_auth();
        cfg.alpn_protocols = vec![b"h2".to_vec()];
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(cfg))
    });
    Endpoint::try_from("http://localhost")
        .unwrap()
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let path = path.clone();
            let tls = tls.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(path).await?;
                let io: Box<dyn Io> = match tls {
                    Some(tls) => {
                        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
                        Box::new(tls.connect(name, stream).await?)
                    }
                    None => Box::new(stream),
                };
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(io))
            }
        }))
        .await
        .expect("connect to the provider")
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[test]
fn without_the_cookie_it_says_it_is_a_plugin_and_exits_1() {
    let out = Command::new(JAMF).env_remove(MAGIC_COOKIE_KEY).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("This binary is a plugin"), "{err}");
    assert!(err.contains("registry.terraform.io/mdmkit/jamf"), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
}

#[test]
fn without_protocol_6_it_refuses() {
    let mut child = launch(&[(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE), ("PLUGIN_PROTOCOL_VERSIONS", "5")], &[]);
    let status = wait_exit(&mut child, Duration::from_secs(5)).expect("exits");
    assert_eq!(status.code(), Some(1));
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(err.contains("protocol 6"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automtls_handshake_serves_and_shuts_down_within_two_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = handshake(dir.path(), true);
    assert!(std::path::Path::new(&h.addr).exists(), "socket exists while serving");
    // The server certificate is for localhost and verifies as its own root.
    let channel = connect(&h).await;

    let mut provider = tf::provider_client::ProviderClient::new(channel.clone());
    let schema = provider.get_provider_schema(tf::get_provider_schema::Request {}).await.unwrap().into_inner();
    assert!(schema.resource_schemas.contains_key("jamf_api_role"));
    assert!(schema.resource_schemas.contains_key("jamf_client_secret"));
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let status =
        health.check(tonic_health::pb::HealthCheckRequest { service: "plugin".into() }).await.unwrap().into_inner();
    assert_eq!(status.status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);

    // Terraform's process group gets Ctrl-C too: the provider ignores it.
    let pid = h.child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(h.child.try_wait().unwrap().is_none(), "SIGINT must not stop the provider");
    provider.get_metadata(tf::get_metadata::Request {}).await.unwrap();

    // Nothing else is ever written to stdout.
    let mut controller = gp::grpc_controller_client::GrpcControllerClient::new(channel);
    let started = Instant::now();
    controller.shutdown(gp::Empty {}).await.unwrap();
    let status = wait_exit(&mut h.child, Duration::from_secs(2)).expect("exits within 2 s of Shutdown");
    eprintln!("exited {:?} after Shutdown", started.elapsed());
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut h.rest, &mut rest).unwrap();
    assert_eq!(rest, "", "only the handshake line on stdout");
    assert!(!std::path::Path::new(&h.addr).exists(), "socket removed on exit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_client_certificate_it_serves_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = handshake(dir.path(), false);
    let channel = connect(&h).await;
    let mut stdio = gp::grpc_stdio_client::GrpcStdioClient::new(channel.clone());
    let mut stream = stdio.stream_stdio(()).await.unwrap().into_inner();
    let mut controller = gp::grpc_controller_client::GrpcControllerClient::new(channel);
    controller.shutdown(gp::Empty {}).await.unwrap();
    // The stdio stream ends at shutdown instead of holding the process open.
    let end = tokio::time::timeout(Duration::from_secs(2), stream.message()).await.expect("stdio stream ends");
    assert!(matches!(end, Ok(None) | Err(_)));
    assert!(wait_exit(&mut h.child, Duration::from_secs(2)).expect("exits").success());
}

#[test]
fn debug_mode_prints_the_reattach_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = launch(&[("PLUGIN_UNIX_SOCKET_DIR", dir.path().to_str().unwrap())], &["--debug"]);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    for _ in 0..5 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        text.push_str(&line);
        if line.contains("TF_REATTACH_PROVIDERS=") {
            break;
        }
    }
    let value =
        text.split("TF_REATTACH_PROVIDERS='").nth(1).and_then(|r| r.split('\'').next()).expect("reattach value");
    let json: serde_json::Value = serde_json::from_str(value).unwrap();
    let p = &json["registry.terraform.io/mdmkit/jamf"];
    assert_eq!(p["ProtocolVersion"], 6);
    assert_eq!(p["Test"], true);
    assert_eq!(p["Pid"], child.id());
    assert_eq!(p["Addr"]["Network"], "unix");
    let socket = p["Addr"]["String"].as_str().unwrap().to_string();
    assert!(std::path::Path::new(&socket).exists());
    // In debug mode Ctrl-C ends it.
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    assert!(wait_exit(&mut child, Duration::from_secs(5)).is_some());
    assert!(!std::path::Path::new(&socket).exists(), "socket removed");
}

/// The provider serves from one thread (a current-thread runtime): measured cheaper than a
/// work-stealing pool for Terraform's many small RPCs (BENCHMARKS.md). Blocking-pool threads may
/// appear later, on demand; right after the handshake there are none.
#[cfg(target_os = "linux")]
#[test]
fn serves_from_a_single_thread() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = handshake(dir.path(), true);
    let status = std::fs::read_to_string(format!("/proc/{}/status", h.child.id())).unwrap();
    let threads = status.lines().find_map(|l| l.strip_prefix("Threads:")).map(str::trim);
    let _ = h.child.kill();
    let _ = h.child.wait();
    assert_eq!(threads, Some("1"), "{status}");
}

#[test]
fn a_provider_whose_terraform_died_exits_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    // A shell stands in for terraform: it starts the provider and dies without calling Shutdown.
    let script = format!(
        "{JAMF:?} > {:?} 2>/dev/null & echo $! > {:?}; sleep 0.5",
        dir.path().join("handshake").display().to_string(),
        dir.path().join("pid").display().to_string()
    );
    let status = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_UNIX_SOCKET_DIR", dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let pid: u32 = std::fs::read_to_string(dir.path().join("pid")).unwrap().trim().parse().unwrap();
    let handshake = std::fs::read_to_string(dir.path().join("handshake")).unwrap();
    let socket = handshake.split('|').nth(3).expect("handshake line").to_string();
    let alive = |pid: u32| {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z ")
    };
    let started = Instant::now();
    while alive(pid) {
        assert!(started.elapsed() < Duration::from_secs(10), "the orphaned provider is still running");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!std::path::Path::new(&socket).exists(), "socket removed");
}
