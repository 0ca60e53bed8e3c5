//! The provider network mirror `cargo xtask dist` writes, as a team uses it: served over HTTPS on
//! loopback (a certificate made here, trusted through `SSL_CERT_FILE`), it is the only
//! installation method of a CLI configuration, and with nothing else reachable `terraform init`
//! installs both providers from it, the lock file holds the hashes the mirror lists (its `h1:` the
//! dirhash of the package Terraform unpacked), `terraform providers lock -net-mirror` for this
//! platform agrees, and the quickstart configuration plans against the simulator.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use devkit::{SimProcess, terraform_or_skip};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use xtask::dist::{self, AssembleOptions};
use xtask::util;

use crate::support::{Tf, bin_dir, locked_hashes};

/// A static file server over HTTPS on 127.0.0.1 (port 0), for the mirror: GET only, files below
/// `root` only, one request per connection. Stops when dropped.
struct StaticHttps {
    addr: SocketAddr,
    root: PathBuf,
    /// The paths requested, in order.
    requests: Arc<Mutex<Vec<String>>>,
    _runtime: tokio::runtime::Runtime,
}

impl StaticHttps {
    /// Serve `root` with a fresh self-signed certificate for 127.0.0.1; returns the server and the
    /// certificate's PEM (what the client must trust).
    fn start(root: PathBuf) -> (StaticHttps, String) {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("certificate");
        let pem = cert.cert.pem();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
        let mut tls = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(cert.cert.der().to_vec())], key)
            .unwrap();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let served = root.clone();
        runtime.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                let (acceptor, root, seen) = (acceptor.clone(), root.clone(), seen.clone());
                tokio::spawn(async move {
                    let Ok(Ok(mut tls)) =
                        tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp)).await
                    else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let mut first = head.lines().next().unwrap_or_default().split(' ');
                    let (method, target) = (first.next().unwrap_or_default(), first.next().unwrap_or_default());
                    let path = target.split('?').next().unwrap_or_default().to_string();
                    seen.lock().unwrap().push(path.clone());
                    let file = root.join(path.trim_start_matches('/'));
                    let body = if method == "GET" && !path.contains("..") && file.is_file() {
                        std::fs::read(&file).ok()
                    } else {
                        None
                    };
                    let response = match body {
                        Some(body) => {
                            let kind = if path.ends_with(".json") { "application/json" } else { "application/zip" };
                            let mut r = format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                body.len()
                            )
                            .into_bytes();
                            r.extend(body);
                            r
                        }
                        None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
                    };
                    let _ = tls.write_all(&response).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        (StaticHttps { addr, root: served, requests, _runtime: runtime }, pem)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// The quickstart configuration (`examples/quickstart/*.tf`) in `dir`.
fn quickstart_in(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for e in std::fs::read_dir(util::root().join("examples/quickstart")).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "tf") {
            std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn terraform_installs_both_providers_from_the_network_mirror_over_https() {
    let test = "terraform_installs_both_providers_from_the_network_mirror_over_https";
    let Some(terraform) = terraform_or_skip(test) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let platform = util::platform();
    let v = util::VERSION;

    // The release of this platform, from the binaries of this test run.
    let out = tmp.path().join("dist");
    dist::package(&bin_dir(), &platform, &out).unwrap();
    let done = dist::assemble(&out, &out, &AssembleOptions::default()).unwrap();
    assert_eq!(done.platforms, vec![platform.clone()]);

    // Hosted as a team would: the mirror directory below some path of a static HTTPS host.
    let site = tmp.path().join("site");
    copy_tree(&done.mirror, &site.join("terraform-providers"));
    let (server, cert_pem) = StaticHttps::start(site);
    let url = format!("https://{}/terraform-providers/", server.addr);
    let cert = tmp.path().join("mirror-ca.pem");
    std::fs::write(&cert, cert_pem).unwrap();

    // The network mirror is the only installation method.
    let cli_config = tmp.path().join("terraformrc");
    std::fs::write(
        &cli_config,
        format!("provider_installation {{\n  network_mirror {{\n    url = \"{url}\"\n  }}\n}}\n"),
    )
    .unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut tf = Tf::new(terraform, cli_config, home);
    tf.env.push(("SSL_CERT_FILE".into(), cert.display().to_string()));

    let work = tmp.path().join("quickstart");
    quickstart_in(&work);
    let init = tf.ok(&work, &["init", "-input=false", "-no-color"]);
    println!("terraform init from {url}:\n{}", init.text);
    for name in util::PROVIDERS {
        assert!(init.text.contains(&format!("Installed mdmkit/{name} v{v}")), "{}", init.text);
        for want in
            ["index.json".to_string(), format!("{v}.json"), format!("terraform-provider-{name}_{v}_{platform}.zip")]
        {
            let path = format!("/terraform-providers/registry.terraform.io/mdmkit/{name}/{want}");
            assert!(server.requests().contains(&path), "{path} never requested: {:?}", server.requests());
        }
    }

    // Terraform checked the zip against the mirror's hashes ("verified checksum") and locked the
    // h1: it computed from the package it unpacked: the one the mirror lists, which is also our
    // dirhash of the unpacked directory.
    let mut locked = Vec::new();
    for name in util::PROVIDERS {
        let zip = out.join(dist::zip_name(name, v, &platform));
        let h1 = util::h1_hash_zip(&zip).unwrap();
        let hashes = locked_hashes(&work, name);
        assert_eq!(hashes, vec![h1.clone()], "{name}");
        let unpacked =
            work.join(".terraform/providers/registry.terraform.io/mdmkit").join(name).join(v).join(&platform);
        assert_eq!(util::h1_hash(&unpacked).unwrap(), h1, "{name}: our h1 of what Terraform unpacked");
        locked.push((name, hashes));
    }

    // `terraform providers lock -net-mirror` (what the README has a team run for its platforms)
    // records the same hashes.
    let again = tmp.path().join("lock");
    quickstart_in(&again);
    let lock = tf.ok(
        &again,
        &[
            "providers",
            "lock",
            &format!("-net-mirror={url}"),
            &format!("-platform={platform}"),
            "-no-color",
            "mdmkit/jamf",
            "mdmkit/maas360",
        ],
    );
    for (name, hashes) in &locked {
        assert_eq!(sorted(locked_hashes(&again, name)), sorted(hashes.clone()), "{name}:\n{}", lock.text);
    }

    // The checksum Terraform verified is the mirror's: with wrong hashes listed it refuses the zip.
    let listing = site_version_json(&server, "jamf");
    let good = std::fs::read_to_string(&listing).unwrap();
    let zip = out.join(dist::zip_name("jamf", v, &platform));
    let bad = good
        .replace(&util::h1_hash_zip(&zip).unwrap(), "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        .replace(&util::zh_hash(&zip).unwrap(), &format!("zh:{}", "0".repeat(64)));
    assert_ne!(bad, good);
    std::fs::write(&listing, bad).unwrap();
    let refused_dir = tmp.path().join("refused");
    quickstart_in(&refused_dir);
    let refused = tf.run(&refused_dir, &["init", "-input=false", "-no-color"]);
    assert_ne!(refused.code, 0, "installed a zip whose hashes the mirror does not list:\n{}", refused.text);
    assert!(refused.text.contains("checksum"), "{}", refused.text);
    std::fs::write(&listing, good).unwrap();

    // The quickstart plans against the simulator with the providers from the mirror.
    let sim_log = tmp.path().join("mdm-sim.log");
    let sim = SimProcess::start(&devkit::built_binary("mdm-sim").unwrap(), &[], &sim_log).unwrap();
    tf.env.extend(sim.provider_env().into_iter().map(|(k, v)| (k.to_string(), v)));
    let plan = tf.run(&work, &["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "plan (simulator log {}):\n{}", sim_log.display(), plan.text);
    assert!(plan.text.contains("Plan: 4 to add, 0 to change, 0 to destroy."), "{}", plan.text);
    assert!(plan.text.contains("jamf_api_role.vendor will be created"), "{}", plan.text);
    assert!(plan.text.contains("maas360_script_user.vendor will be created"), "{}", plan.text);
}

/// The `<version>.json` of provider `name` the server serves.
fn site_version_json(server: &StaticHttps, name: &str) -> PathBuf {
    server
        .root
        .join("terraform-providers/registry.terraform.io/mdmkit")
        .join(name)
        .join(format!("{}.json", util::VERSION))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}
