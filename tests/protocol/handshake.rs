//! The provider binary as Terraform launches it: magic cookie, protocol negotiation, the one
//! handshake line, AutoMTLS, health, SIGINT, Shutdown and socket cleanup, and `--debug`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use devkit::mtls::P521Identity;
use mdmkit::plugin::proto::plugin as gp;
use mdmkit::plugin::proto::tfplugin6 as tf;
use mdmkit::plugin::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use tonic::transport::{Channel, Endpoint, Uri};

const JAMF: &str = env!("CARGO_BIN_EXE_terraform-provider-jamf");

fn launch(envs: &[(&str, &str)], args: &[&str]) -> Child {
    launch_binary(JAMF, envs, args)
}

/// Start provider binary `bin` with only `PATH` and `envs` in its environment, its output piped.
fn launch_binary(bin: &str, envs: &[(&str, &str)], args: &[&str]) -> Child {
    Command::new(bin)
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

/// Start the provider as Terraform does, with `terraform`'s certificate in `PLUGIN_CLIENT_CERT`
/// (AutoMTLS) or none, and read its handshake line.
fn handshake(socket_dir: &std::path::Path, terraform: Option<&P521Identity>) -> Handshake {
    let pem = terraform.map(P521Identity::pem);
    let mut envs = vec![
        (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
        ("PLUGIN_PROTOCOL_VERSIONS", "5,6"),
        ("PLUGIN_MIN_PORT", "10000"),
        ("PLUGIN_MAX_PORT", "25000"),
        ("PLUGIN_UNIX_SOCKET_DIR", socket_dir.to_str().unwrap()),
    ];
    if let Some(pem) = &pem {
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
    let cert_der = if pem.is_some() {
        assert!(!fields[5].ends_with('='), "raw (unpadded) base64");
        base64::engine::general_purpose::STANDARD_NO_PAD.decode(fields[5]).expect("base64 DER")
    } else {
        assert_eq!(fields[5], "");
        Vec::new()
    };
    Handshake { child, network: fields[2].into(), addr: fields[3].into(), cert_der, rest: out }
}

/// A gRPC channel to the provider (unix or TCP, as announced): TLS when the provider announced
/// a certificate, presenting `identity` if given. Connecting is lazy: the TLS handshake and its
/// outcome come with the first RPC.
fn connect(h: &Handshake, identity: Option<&P521Identity>) -> Channel {
    let (network, addr) = (h.network.clone(), h.addr.clone());
    let tls = (!h.cert_der.is_empty()).then(|| {
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(devkit::mtls::client_config(h.cert_der.clone(), identity)))
    });
    Endpoint::try_from("http://localhost").unwrap().connect_with_connector_lazy(tower::service_fn(move |_: Uri| {
        let (network, addr, tls) = (network.clone(), addr.clone(), tls.clone());
        async move {
            let stream: Box<dyn Io> = match network.as_str() {
                "unix" => Box::new(tokio::net::UnixStream::connect(PathBuf::from(addr)).await?),
                _ => Box::new(tokio::net::TcpStream::connect(addr).await?),
            };
            let io: Box<dyn Io> = match tls {
                Some(tls) => {
                    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
                    Box::new(tls.connect(name, stream).await?)
                }
                None => stream,
            };
            Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(io))
        }
    }))
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
    let terraform = P521Identity::generate("HashiCorp");
    let mut h = handshake(dir.path(), Some(&terraform));
    assert!(std::path::Path::new(&h.addr).exists(), "socket exists while serving");
    // The server certificate is for localhost and verifies as its own root.
    let channel = connect(&h, Some(&terraform));

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
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "its private directory too");
}

/// go-plugin's guarantee: only the Terraform that started the provider (and gave it
/// `PLUGIN_CLIENT_CERT`) can drive it. Any other local process that reaches the socket is
/// refused in the TLS handshake, before a single RPC (here Shutdown, which would stop it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_terraform_that_started_it_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let terraform = P521Identity::generate("HashiCorp");
    let mut h = handshake(dir.path(), Some(&terraform));
    let stranger = P521Identity::generate("HashiCorp");
    // Terraform's certificate is no secret (children inherit it): without its key it is refused.
    let thief = terraform.with_key_of(&stranger);
    for (who, identity) in [
        ("a client without a certificate", None),
        ("a client with another P-521 certificate", Some(&stranger)),
        ("a client with Terraform's certificate but not its key", Some(&thief)),
    ] {
        let mut controller = gp::grpc_controller_client::GrpcControllerClient::new(connect(&h, identity));
        let answer = tokio::time::timeout(Duration::from_secs(5), controller.shutdown(gp::Empty {}))
            .await
            .unwrap_or_else(|_| panic!("{who}: no answer within 5 s"));
        assert!(answer.is_err(), "{who} was served Shutdown");
        let mut provider = tf::provider_client::ProviderClient::new(connect(&h, identity));
        assert!(provider.get_metadata(tf::get_metadata::Request {}).await.is_err(), "{who} was served GetMetadata");
        assert!(h.child.try_wait().unwrap().is_none(), "{who} stopped the provider");
    }
    let channel = connect(&h, Some(&terraform));
    tf::provider_client::ProviderClient::new(channel.clone()).get_metadata(tf::get_metadata::Request {}).await.unwrap();
    gp::grpc_controller_client::GrpcControllerClient::new(channel).shutdown(gp::Empty {}).await.unwrap();
    assert!(wait_exit(&mut h.child, Duration::from_secs(3)).expect("exits after Shutdown").success());
}

/// The socket lives in a fresh directory only our user may enter (as go-plugin makes it), and a
/// SIGTERM (a cancelled CI job) still removes both.
#[test]
fn the_socket_is_in_a_private_directory_removed_on_sigterm() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mut h = handshake(dir.path(), Some(&P521Identity::generate("HashiCorp")));
    assert_eq!(h.network, "unix");
    let socket = PathBuf::from(&h.addr);
    let private = socket.parent().unwrap().to_path_buf();
    assert_eq!(private.parent(), Some(dir.path()), "a fresh directory inside PLUGIN_UNIX_SOCKET_DIR");
    let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "socket directory mode {mode:o}");
    assert!(socket.exists());
    assert!(Command::new("kill").args(["-TERM", &h.child.id().to_string()]).status().unwrap().success());
    let status = wait_exit(&mut h.child, Duration::from_secs(3)).expect("exits on SIGTERM");
    assert!(status.success(), "{status:?}");
    assert!(!socket.exists(), "socket removed on SIGTERM");
    assert!(!private.exists(), "socket directory removed on SIGTERM");
}

/// Without a unix socket the provider falls back to TCP on 127.0.0.1, which any local user can
/// reach: only with Terraform's certificate required.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tcp_fallback_is_only_used_with_client_authentication() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("does-not-exist");
    let mut child = launch(
        &[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "6"),
            ("PLUGIN_UNIX_SOCKET_DIR", nowhere.to_str().unwrap()),
        ],
        &[],
    );
    let status = wait_exit(&mut child, Duration::from_secs(5)).expect("exits");
    assert_eq!(status.code(), Some(1));
    let (mut out, mut err) = (String::new(), String::new());
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(out, "", "no handshake line");
    assert!(err.contains("TCP") && err.contains("PLUGIN_CLIENT_CERT"), "{err}");

    let terraform = P521Identity::generate("HashiCorp");
    let mut h = handshake(&nowhere, Some(&terraform));
    assert_eq!(h.network, "tcp");
    assert!(h.addr.starts_with("127.0.0.1:"), "{}", h.addr);
    let mut stranger = tf::provider_client::ProviderClient::new(connect(&h, None));
    assert!(stranger.get_metadata(tf::get_metadata::Request {}).await.is_err(), "served without a certificate");
    let channel = connect(&h, Some(&terraform));
    tf::provider_client::ProviderClient::new(channel.clone()).get_metadata(tf::get_metadata::Request {}).await.unwrap();
    gp::grpc_controller_client::GrpcControllerClient::new(channel).shutdown(gp::Empty {}).await.unwrap();
    assert!(wait_exit(&mut h.child, Duration::from_secs(3)).expect("exits").success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_client_certificate_it_serves_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = handshake(dir.path(), None);
    let channel = connect(&h, None);
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
    assert!(!std::path::Path::new(&socket).parent().unwrap().exists(), "its directory too");
}

/// The provider serves from one thread (a current-thread runtime): measured cheaper than a
/// work-stealing pool for Terraform's many small RPCs (BENCHMARKS.md). Blocking-pool threads may
/// appear later, on demand; right after the handshake there are none.
#[cfg(target_os = "linux")]
#[test]
fn serves_from_a_single_thread() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = handshake(dir.path(), Some(&P521Identity::generate("HashiCorp")));
    let status = std::fs::read_to_string(format!("/proc/{}/status", h.child.id())).unwrap();
    let threads = status.lines().find_map(|l| l.strip_prefix("Threads:")).map(str::trim);
    let _ = h.child.kill();
    let _ = h.child.wait();
    assert_eq!(threads, Some("1"), "{status}");
}

/// Both providers allocate with mimalloc (measured cheaper than glibc's malloc for a launch's
/// tens of thousands of small objects: BENCHMARKS.md), built without its transparent huge pages:
/// where the kernel leaves huge pages to whoever asks for them (`madvise`), a provider that has
/// shaken hands holds none, since zeroing them cost some launches 10-25 ms.
#[cfg(target_os = "linux")]
#[test]
fn both_providers_allocate_with_mimalloc_and_no_huge_pages() {
    const MAAS360: &str = env!("CARGO_BIN_EXE_terraform-provider-maas360");
    let thp_on_request = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .is_ok_and(|mode| mode.contains("[madvise]"));
    for bin in [JAMF, MAAS360] {
        let dir = tempfile::tempdir().unwrap();
        let envs = [
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "6"),
            ("PLUGIN_UNIX_SOCKET_DIR", dir.path().to_str().unwrap()),
            ("MIMALLOC_VERBOSE", "1"),
        ];
        let mut child = launch_binary(bin, &envs, &[]);
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.starts_with("1|6|"), "{bin}: handshake line {line:?}");
        let memory =
            thp_on_request.then(|| std::fs::read_to_string(format!("/proc/{}/smaps_rollup", child.id())).unwrap());
        let _ = child.kill();
        let _ = child.wait();
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert!(err.contains("mimalloc: process init"), "{bin}: no mimalloc banner in {err}");
        if let Some(memory) = memory {
            let huge = memory.lines().find_map(|l| l.strip_prefix("AnonHugePages:")).map(str::trim);
            assert_eq!(huge, Some("0 kB"), "{bin}: {memory}");
        }
    }
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
    assert!(!std::path::Path::new(&socket).parent().unwrap().exists(), "its directory too");
}
