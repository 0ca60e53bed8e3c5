//! Server-level behaviour over real sockets: each fault switch, counters and in-flight gauges, persistence,
//! listen policy and shutdown.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::testkit::Kit;
use super::{JamfSimConfig, Maas360SimConfig, SimConfig, Simulator};

async fn put_faults(k: &Kit, vendor: &str, body: serde_json::Value) {
    let r = k.control(Method::PUT, &format!("/_sim/{vendor}/faults"), Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn stats(k: &Kit, vendor: &str) -> serde_json::Value {
    k.control(Method::GET, &format!("/_sim/{vendor}/stats"), None).await.body
}

#[tokio::test]
async fn latency_fault_delays_api_but_not_control() {
    let k = Kit::start().await;
    put_faults(&k, "jamf", json!({"latencyMs": 500})).await;
    let t0 = Instant::now();
    let r = k.call(Method::GET, "/api/v1/api-roles", None, None).await;
    assert_eq!(r.status, 401);
    assert!(t0.elapsed() >= Duration::from_millis(500));
    let t0 = Instant::now();
    k.control(Method::GET, "/_sim/jamf/roles", None).await;
    assert!(t0.elapsed() < Duration::from_millis(500), "no faults on /_sim/");
    assert_eq!(stats(&k, "jamf").await["faultsInjected"]["latency"].as_u64(), Some(1));
    let r = k.control(Method::DELETE, "/_sim/jamf/faults", None).await;
    assert_eq!(r.body["latencyMs"].as_u64(), Some(0));
}

#[tokio::test]
async fn server_errors_count_then_recover_including_token_requests() {
    let k = Kit::start().await;
    put_faults(&k, "jamf", json!({"serverErrors": {"count": 2, "status": 502}})).await;
    let a = k.sim.jamf_admin().clone();
    let r = k.jamf_token_reply("/api/v1/oauth/token", &a.client_id, &a.client_secret).await;
    assert_eq!(r.status, 502, "token requests are subject to faults");
    let r = k.call(Method::GET, "/api/v1/api-roles", None, None).await;
    assert_eq!(r.status, 502);
    assert_eq!(k.control(Method::GET, "/_sim/jamf/faults", None).await.body["serverErrors"]["count"].as_u64(), Some(0));
    let t = k.jamf_admin_token().await;
    assert_eq!(k.call(Method::GET, "/api/v1/api-roles", Some(&t), None).await.status, 200);
    let s = stats(&k, "jamf").await;
    assert_eq!(s["faultsInjected"]["serverErrors"].as_u64(), Some(2));
    assert_eq!(s["responses"]["502"].as_u64(), Some(2));
    // The other vendor is unaffected.
    put_faults(&k, "jamf", json!({"serverErrors": {"rate": 1.0}})).await;
    let m = k.sim.maas360_admin().clone();
    let r = k
        .call(
            Method::GET,
            &format!("/account-provisioning/administrator/1.0/getAdminLoginReports/customer/{}", m.billing_id),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn seeded_rate_is_reproducible() {
    let k = Kit::start().await;
    let run = || async {
        put_faults(&k, "jamf", json!({"serverErrors": {"rate": 0.5}, "seed": 42})).await;
        let mut pattern = Vec::new();
        for _ in 0..16 {
            pattern.push(k.call(Method::GET, "/api/v1/api-roles", None, None).await.status);
        }
        pattern
    };
    let a = run().await;
    assert_eq!(a, run().await);
    assert!(a.contains(&503) && a.contains(&401), "{a:?}");
    assert_eq!(
        k.control(Method::PUT, "/_sim/jamf/faults", Some(json!({"serverErrors": {"rate": 2.0}}))).await.status,
        400
    );
}

#[tokio::test]
async fn rate_limit_fault_sends_retry_after() {
    let k = Kit::start().await;
    put_faults(&k, "jamf", json!({"rateLimit": {"count": 1, "retryAfterSeconds": 7}})).await;
    let r = k.call(Method::GET, "/api/v1/api-roles", None, None).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers["retry-after"], "7");
    assert_eq!(k.call(Method::GET, "/api/v1/api-roles", None, None).await.status, 401);
    assert_eq!(stats(&k, "jamf").await["faultsInjected"]["rateLimit"].as_u64(), Some(1));
}

#[tokio::test]
async fn not_found_after_create_lags_reads_of_new_objects() {
    let k = Kit::start().await;
    let t = k.jamf_admin_token().await;
    put_faults(&k, "jamf", json!({"notFoundAfterCreate": 2})).await;
    let r =
        k.call(Method::POST, "/api/v1/api-roles", Some(&t), Some(json!({"displayName": "r", "privileges": []}))).await;
    assert_eq!(r.status, 200);
    let get = || k.call(Method::GET, "/api/v1/api-roles/2", Some(&t), None);
    assert_eq!(get().await.status, 404);
    assert_eq!(k.call(Method::GET, "/api/v1/api-roles/1", Some(&t), None).await.status, 200, "old objects are visible");
    assert_eq!(get().await.status, 404);
    assert_eq!(get().await.status, 200);
    let r = k
        .call(
            Method::POST,
            "/api/v1/api-integrations",
            Some(&t),
            Some(json!({"displayName": "c", "authorizationScopes": ["r"], "enabled": true})),
        )
        .await;
    assert_eq!(r.status, 200);
    let mint = k.call(Method::POST, "/api/v1/api-integrations/2/client-credentials", Some(&t), None).await;
    assert_eq!(mint.status, 404, "every request addressing the new id counts");
    assert_eq!(stats(&k, "jamf").await["faultsInjected"]["notFoundAfterCreate"].as_u64(), Some(3));
}

#[tokio::test]
async fn dropped_connection_sends_no_response() {
    let k = Kit::start().await;
    put_faults(&k, "jamf", json!({"dropConnections": {"count": 2}})).await;
    // Raw socket: the server closes without writing a single byte.
    let mut s = tokio::net::TcpStream::connect(k.sim.addr()).await.unwrap();
    s.write_all(b"GET /api/v1/api-roles HTTP/1.1\r\nHost: sim\r\n\r\n").await.unwrap();
    let mut buf = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf))
        .await
        .expect("closed promptly")
        .unwrap_or(0);
    assert_eq!(n, 0, "got {:?}", String::from_utf8_lossy(&buf));
    // A client sees a transport error, not an HTTP status.
    let err = k.http.get(k.url("/api/v1/api-roles")).send().await.unwrap_err();
    assert!(err.status().is_none(), "{err}");
    assert_eq!(k.call(Method::GET, "/api/v1/api-roles", None, None).await.status, 401);
    let s = stats(&k, "jamf").await;
    assert_eq!(s["faultsInjected"]["dropConnections"].as_u64(), Some(2));
    assert_eq!(s["requests"]["GET /api/v1/api-roles"].as_u64(), Some(3));
    assert_eq!(s["responses"]["401"].as_u64(), Some(1), "drops are not responses");
}

#[tokio::test]
async fn counters_by_route_and_max_in_flight() {
    let k = Kit::start().await;
    put_faults(&k, "jamf", json!({"latencyMs": 1000})).await;
    let calls: Vec<_> = (0..5).map(|i| k.call(Method::GET, &format!("/api/v1/api-roles/{i}"), None, None)).collect();
    // Watch the gauge while the five requests sit in the latency (bounded: at most ~900 ms).
    let watch = async {
        let mut seen = 0;
        for _ in 0..45 {
            seen = seen.max(stats(&k, "jamf").await["inFlight"].as_u64().unwrap());
            if seen == 5 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        seen
    };
    let (replies, seen) = tokio::join!(futures::future::join_all(calls), watch);
    assert!(replies.iter().all(|r| r.status == 401));
    assert_eq!(seen, 5);
    let s = stats(&k, "jamf").await;
    assert_eq!((s["inFlight"].as_u64(), s["maxInFlight"].as_u64()), (Some(0), Some(5)));
    assert_eq!(s["requests"]["GET /api/v1/api-roles/{id}"].as_u64(), Some(5));
    assert_eq!(s["total"].as_u64(), Some(5));
    assert_eq!(stats(&k, "maas360").await["total"].as_u64(), Some(0), "per vendor");
    k.control(Method::DELETE, "/_sim/jamf/faults", None).await;
    k.jamf_admin_token().await;
    let s = stats(&k, "jamf").await;
    assert_eq!(s["tokensIssued"].as_u64(), Some(1));
    assert_eq!(s["requests"]["POST /api/v1/oauth/token"].as_u64(), Some(1));
    let s = k.control(Method::DELETE, "/_sim/jamf/stats", None).await.body;
    assert_eq!((s["total"].as_u64(), s["maxInFlight"].as_u64()), (Some(0), Some(0)));
    assert!(s["requests"].as_object().unwrap().is_empty());
}

#[tokio::test]
async fn maas360_faults_and_rate_limit_headers() {
    let k = Kit::start().await;
    let m = k.sim.maas360_admin().clone();
    put_faults(&k, "maas360", json!({"serverErrors": {"count": 1}})).await;
    let path = format!("/auth-apis/auth/2.0/authenticate/customer/{}", m.billing_id);
    let r = k.call(Method::POST, &path, None, Some(json!({}))).await;
    assert_eq!(r.status, 503);
    assert!(r.headers.contains_key("x-rate-limit-remaining"), "faulted responses carry the headers too");
    let r = k.call(Method::POST, &path, None, Some(json!({}))).await;
    assert_eq!(r.status, 400);
    assert_eq!(stats(&k, "maas360").await["faultsInjected"]["serverErrors"].as_u64(), Some(1));
    assert_eq!(stats(&k, "jamf").await["total"].as_u64(), Some(0));
}

#[tokio::test]
async fn state_file_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim-state.json");
    let cfg = || SimConfig { state_file: Some(path.clone()), ..Default::default() };
    let k = Kit::with(cfg()).await;
    let t = k.jamf_admin_token().await;
    k.call(
        Method::POST,
        "/api/v1/api-roles",
        Some(&t),
        Some(json!({"displayName": "kept", "privileges": ["Read API Roles"]})),
    )
    .await;
    k.call(
        Method::POST,
        "/api/v1/api-integrations",
        Some(&t),
        Some(json!({"displayName": "c", "authorizationScopes": ["kept"], "enabled": true})),
    )
    .await;
    let creds = k.call(Method::POST, "/api/v1/api-integrations/2/client-credentials", Some(&t), None).await.body;
    k.control(Method::PUT, "/_sim/jamf/settings", Some(json!({"roleInUseStatus": 406}))).await;
    let on_disk: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(on_disk["jamf"]["roles"]["2"]["displayName"], "kept");
    let (jamf, maas) = (k.sim.jamf_admin().clone(), k.sim.maas360_admin().clone());
    k.sim.shutdown().await;

    let k = Kit::with(cfg()).await;
    assert_eq!(k.sim.jamf_admin(), &jamf, "credentials come back from the file");
    assert_eq!(k.sim.maas360_admin(), &maas);
    let t = k.jamf_token(creds["clientId"].as_str().unwrap(), creds["clientSecret"].as_str().unwrap()).await;
    let r = k.call(Method::GET, "/api/v1/api-roles/2", Some(&t), None).await;
    assert_eq!(r.body["displayName"], "kept");
    let admin = k.jamf_admin_token().await;
    assert_eq!(k.call(Method::DELETE, "/api/v1/api-roles/2", Some(&admin), None).await.status, 406);
    let r = k
        .call(Method::POST, "/api/v1/api-roles", Some(&admin), Some(json!({"displayName": "next", "privileges": []})))
        .await;
    assert_eq!(r.body["id"], "3", "id counters persist");
    k.sim.shutdown().await;

    let clash =
        SimConfig { jamf: JamfSimConfig { client_id: Some("different".into()), ..Default::default() }, ..cfg() };
    let err = Simulator::start("127.0.0.1:0".parse().unwrap(), clash).await.err().unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    std::fs::write(&path, "{broken").unwrap();
    let err = Simulator::start("127.0.0.1:0".parse().unwrap(), cfg()).await.err().unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
}

#[tokio::test]
async fn configured_credentials_are_used() {
    let cfg = SimConfig {
        jamf: JamfSimConfig {
            client_id: Some("cid".into()),
            client_secret: Some("csecret".into()),
            username: Some("jamfadmin".into()),
            password: Some("jpw".into()),
            ..Default::default()
        },
        maas360: Maas360SimConfig {
            billing_id: Some("40000001".into()),
            username: Some("ops".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let k = Kit::with(cfg).await;
    let j = k.sim.jamf_admin();
    assert_eq!((j.client_id.as_str(), j.client_secret.as_str()), ("cid", "csecret"));
    k.jamf_token("cid", "csecret").await;
    let m = k.sim.maas360_admin();
    assert_eq!((m.billing_id.as_str(), m.app_id.as_str()), ("40000001", "com.40000001.mdmsim"));
    assert_eq!((m.app_version.as_str(), m.platform_id.as_str(), m.username.as_str()), ("1.0", "3", "ops"));
    let line: serde_json::Value = serde_json::from_str(&k.sim.startup_line()).unwrap();
    assert!(k.sim.startup_line().starts_with(r#"{"url":"http://127.0.0.1:"#));
    assert_eq!(line["url"], k.sim.url());
    assert_eq!(line["jamf"]["client_secret"], "csecret");
    assert_eq!(line["maas360"]["base_url"], k.sim.url());
    assert!(!format!("{j:?}").contains("csecret"), "Debug redacts secrets");
}

#[tokio::test]
async fn non_loopback_listen_is_refused() {
    let err = Simulator::start("0.0.0.0:0".parse().unwrap(), SimConfig::default()).await.err().unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
}

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_and_is_bounded() {
    let k = Kit::start().await;
    put_faults(&k, "jamf", json!({"latencyMs": 300})).await;
    let pending = k.call(Method::GET, "/api/v1/api-roles", None, None);
    let addr = k.sim.addr();
    let Kit { sim, http } = k;
    let request = tokio::spawn(pending);
    // Shut down only once the request is inside the server (bounded wait).
    let probe = super::testkit::client();
    for _ in 0..100 {
        let s: serde_json::Value =
            probe.get(format!("http://{addr}/_sim/jamf/stats")).send().await.unwrap().json().await.unwrap();
        if s["inFlight"].as_u64() == Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let t0 = Instant::now();
    sim.shutdown().await;
    assert!(t0.elapsed() < Duration::from_secs(6));
    assert_eq!(request.await.unwrap().status, 401, "the request in flight got its answer");
    assert!(http.get(format!("http://{addr}/_sim/jamf/stats")).send().await.is_err(), "no longer listening");
}

#[tokio::test]
async fn unknown_routes_and_reset_of_faults() {
    let k = Kit::start().await;
    assert_eq!(k.control(Method::GET, "/nothing", None).await.status, 404);
    put_faults(&k, "maas360", json!({"latencyMs": 5, "dropConnections": {"rate": 1.0}})).await;
    k.control(Method::POST, "/_sim/reset", None).await;
    let f = k.control(Method::GET, "/_sim/maas360/faults", None).await.body;
    assert_eq!((f["latencyMs"].as_u64(), f["dropConnections"].is_null()), (Some(0), true));
    assert_eq!(
        k.control(Method::PUT, "/_sim/jamf/faults", Some(json!({"rateLimit": {"count": 1}}))).await.status,
        400,
        "retryAfterSeconds is required"
    );
}

#[tokio::test]
async fn the_control_surface_lists_its_routes_and_serves_every_one_it_lists() {
    let k = Kit::start().await;
    let r = k.control(Method::GET, "/_sim/", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let listed = r.body.as_array().expect("a JSON list").clone();
    assert!(listed.len() > 20, "{}", r.body);
    for route in &listed {
        let (method, path) = (route["method"].as_str().unwrap(), route["path"].as_str().unwrap());
        assert!(!route["purpose"].as_str().unwrap_or_default().is_empty(), "{route}");
        let concrete = path.replace("{id}", "999999").replace("{username}", "nobody");
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let reply = k.control(m, &concrete, Some(json!({}))).await;
        assert_ne!(reply.status, 405, "{method} {path} is listed but not served for that method");
        let error = reply.body["error"].as_str().unwrap_or_default();
        assert!(!error.starts_with("no route"), "{method} {path} is listed but not served: {error}");
    }
    assert!(listed.iter().any(|r| r["method"] == "PATCH" && r["path"] == "/_sim/jamf/roles/{id}"));
    assert!(listed.iter().any(|r| r["method"] == "POST" && r["path"] == "/_sim/reset"));
}
