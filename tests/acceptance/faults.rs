//! The fault campaign: real terraform, the real providers and the simulator misbehaving. An
//! apply must never lose or duplicate a remote object; failures must be clear, bounded and
//! never leak a secret. Every terraform run here has `TF_LOG=trace`, and its whole output (and
//! the state) is scanned for secrets.

use std::time::{Duration, Instant};

use crate::common::ClosedPort;
use crate::common::acc::{Acc, flat, many};
use crate::common::terraform::TfOutput;
use serde_json::{Value, json};

/// `n` roles, `n` API clients each holding one role, and `n` secrets, with retries generous
/// enough for the faults injected and short enough for a test.
fn jamf_fleet(n: usize) -> String {
    let provider = r#"
provider "jamf" {
  retry = {
    max_attempts = 10
    min_delay    = "50ms"
    max_delay    = "1s"
  }
}
"#;
    format!("{provider}{}", many(n, true))
}

/// Everything that must never appear in output: the provider's own credentials, and every
/// client secret minted (they live only in the state, as sensitive values).
async fn secrets(acc: &Acc) -> Vec<String> {
    let mut out = vec![acc.sim.jamf_admin().client_secret.clone(), acc.sim.maas360_admin().password.clone()];
    out.push(acc.sim.maas360_admin().app_access_key.clone());
    let show = acc.wd.show_json().await;
    if let Some(resources) = show["values"]["root_module"]["resources"].as_array() {
        for r in resources {
            if let Some(s) = r["values"]["client_secret"].as_str() {
                out.push(s.to_string());
            }
        }
    }
    out
}

/// No known secret, and no token of any vendor by its shape ([`crate::common::scan`]).
#[track_caller]
fn assert_no_secret(text: &str, secrets: &[String], what: &str) {
    for s in secrets {
        assert!(s.len() >= 8, "a secret worth scanning for");
    }
    crate::common::scan::assert_clean(text, secrets, what);
}

/// The provider's own credentials must never reach the state either.
fn assert_state_clean(acc: &Acc) {
    let state = acc.wd.state_text();
    for s in [
        &acc.sim.jamf_admin().client_secret,
        &acc.sim.maas360_admin().password,
        &acc.sim.maas360_admin().app_access_key,
    ] {
        assert!(!state.contains(s.as_str()), "the state contains a provider credential");
    }
}

async fn traced(test: &str) -> Option<Acc> {
    let mut acc = Acc::start(test).await?;
    // The tests read log lines in terraform's output, and scan all of it themselves.
    acc.trace_to_output();
    Some(acc)
}

/// The simulator's objects must be exactly the declared ones.
async fn assert_exactly_declared(acc: &Acc, n: usize) {
    let roles = acc.jamf_objects("roles").await;
    let mut names: Vec<String> = roles.iter().map(|r| r["displayName"].as_str().unwrap().to_string()).collect();
    names.sort();
    let mut want: Vec<String> = (0..n).map(|i| format!("Role {i}")).collect();
    want.sort();
    assert_eq!(names, want, "exactly the declared roles, none twice");
    let clients = acc.jamf_objects("integrations").await;
    assert_eq!(clients.len(), n, "exactly the declared API clients");
    for c in &clients {
        assert_eq!(c["hasValidSecret"], true, "every client has a working secret: {c}");
    }
    let state = acc.wd.show_json().await;
    let in_state = state["values"]["root_module"]["resources"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(in_state, 3 * n, "every object is in the state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_under_faults_converges_without_duplicates() {
    let Some(acc) = traced("apply_under_faults_converges_without_duplicates").await else { return };
    let n = 100;
    acc.config(&jamf_fleet(n));
    acc.put(
        "/_sim/jamf/faults",
        json!({
            "serverErrors": {"rate": 0.10},
            "rateLimit": {"count": 3, "rate": 0.01, "retryAfterSeconds": 1},
            "notFoundAfterCreate": 1,
            "dropConnections": {"rate": 0.02},
            "lostResponses": {"rate": 0.02},
            "seed": 7
        }),
    )
    .await;
    let started = Instant::now();
    let applied = acc.wd.run(&["apply", "-auto-approve", "-input=false", "-parallelism=10"]).await;
    let injected = acc.get("/_sim/jamf/stats").await["faultsInjected"].clone();
    eprintln!("apply of {} resources under faults: {:?}, faults injected: {injected}", 3 * n, started.elapsed());
    assert_eq!(applied.code, 0, "apply under faults:\n{}", tail(&applied));
    assert!(injected["serverErrors"].as_u64().unwrap() > 0 && injected["lostResponses"].as_u64().unwrap() > 0);
    acc.delete("/_sim/jamf/faults").await;
    assert_exactly_declared(&acc, n).await;
    let plan = acc.wd.plan_exitcode().await;
    assert_eq!(plan.code, 0, "re-plan:\n{}", tail(&plan));
    let secrets = secrets(&acc).await;
    assert_no_secret(&applied.combined(), &secrets, "apply output");
    assert_no_secret(&plan.combined(), &secrets, "plan output");
    assert_state_clean(&acc);
}

/// The last part of terraform's output (trace logs make it long).
fn tail(out: &TfOutput) -> String {
    let text = out.combined();
    let lines: Vec<&str> = text.lines().filter(|l| !l.contains("[TRACE]") && !l.contains("[DEBUG]")).collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

/// Pids of the provider processes terraform `parent` started.
fn provider_children(parent: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // pid (comm) state ppid ...
        let Some(close) = stat.rfind(')') else { continue };
        let comm = &stat[stat.find('(').unwrap_or(0) + 1..close];
        let ppid = stat[close + 2..].split(' ').nth(1).and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) && comm.starts_with("terraform-provi") {
            out.push(pid);
        }
    }
    out
}

async fn wait_for_roles(acc: &Acc, at_least: usize, limit: Duration) {
    let started = Instant::now();
    while acc.jamf_objects("roles").await.len() < at_least {
        assert!(started.elapsed() < limit, "fewer than {at_least} roles after {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `(address, id)` of each "adopt it: terraform import <address> <id>" the provider asked for.
fn import_requests(text: &str) -> Vec<(String, String)> {
    let flat = flat(text);
    let mut out = Vec::new();
    let mut rest = flat.as_str();
    while let Some(w) = rest.find("with jamf_") {
        rest = &rest[w + "with ".len()..];
        let address = rest.split([',', ' ']).next().unwrap_or_default().to_string();
        let block_end = rest.find("with jamf_").unwrap_or(rest.len());
        let block = &rest[..block_end];
        if let Some(i) = block.find("terraform import <this resource's address> ") {
            let id = block[i + "terraform import <this resource's address> ".len()..]
                .split(' ')
                .next()
                .unwrap_or_default()
                .to_string();
            out.push((address, id));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_killed_mid_apply_leaves_nothing_lost_or_doubled() {
    let Some(acc) = traced("a_provider_killed_mid_apply_leaves_nothing_lost_or_doubled").await else { return };
    let n = 30;
    acc.config(&jamf_fleet(n));
    // Most of each request's time passes after the simulator acted on it: a kill leaves orphans.
    acc.put("/_sim/jamf/faults", json!({"latencyMs": 10, "responseDelayMs": 300})).await;
    let child = acc.wd.spawn(&["apply", "-auto-approve", "-input=false", "-parallelism=5", "-no-color"]);
    let tf_pid = child.pid;
    wait_for_roles(&acc, 8, Duration::from_secs(120)).await;
    let victims = provider_children(tf_pid);
    assert!(!victims.is_empty(), "the provider runs under terraform");
    for pid in &victims {
        assert!(std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap().success());
    }
    let killed = child.finish(Duration::from_secs(120)).await;
    assert_ne!(killed.code, 0, "the apply cannot succeed with its provider killed");
    acc.delete("/_sim/jamf/faults").await;

    // Re-apply: it converges, or names each orphan with the import command that adopts it.
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds <= 4, "converged within a few rounds");
        let out = acc.wd.run(&["apply", "-auto-approve", "-input=false"]).await;
        if out.code == 0 {
            break;
        }
        let requests = import_requests(&out.combined());
        assert!(!requests.is_empty(), "a failed re-apply must say how to adopt the orphan:\n{}", tail(&out));
        for (address, id) in requests {
            eprintln!("orphan {address} adopted with: terraform import '{address}' {id}");
            acc.wd.run(&["import", "-input=false", &address, &id]).await.ok();
        }
    }
    assert_exactly_declared(&acc, n).await;
    assert_eq!(acc.wd.plan_exitcode().await.code, 0);
    let secrets = secrets(&acc).await;
    assert_no_secret(&killed.combined(), &secrets, "the killed apply's output");
    assert_state_clean(&acc);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_mid_apply_stops_cleanly_and_reapply_converges() {
    let Some(acc) = traced("ctrl_c_mid_apply_stops_cleanly_and_reapply_converges").await else { return };
    let n = 30;
    acc.config(&jamf_fleet(n));
    acc.put("/_sim/jamf/faults", json!({"latencyMs": 60})).await;
    let child = acc.wd.spawn(&["apply", "-auto-approve", "-input=false", "-parallelism=5", "-no-color"]);
    let pgid = child.pid;
    wait_for_roles(&acc, 8, Duration::from_secs(120)).await;
    // A terminal's Ctrl-C reaches the whole process group: terraform and its providers.
    let started = Instant::now();
    assert!(
        std::process::Command::new("kill").args(["-s", "INT", "--", &format!("-{pgid}")]).status().unwrap().success()
    );
    let stopped = child.finish(Duration::from_secs(120)).await;
    eprintln!("terraform stopped {:?} after Ctrl-C (exit {})", started.elapsed(), stopped.code);
    let text = stopped.combined();
    assert!(text.contains("Interrupt received") || stopped.code != 0, "{}", tail(&stopped));
    assert!(text.contains("Stop requested"), "the provider was asked to stop (StopProvider)");
    acc.delete("/_sim/jamf/faults").await;

    // The state is consistent: everything it holds exists, and the re-apply converges.
    let show = acc.wd.show_json().await;
    let roles = acc.jamf_objects("roles").await;
    for r in show["values"]["root_module"]["resources"].as_array().into_iter().flatten() {
        if r["type"] == "jamf_api_role" {
            assert!(roles.iter().any(|x| x["id"] == r["values"]["id"]), "role in state exists: {}", r["address"]);
        }
    }
    let again = acc.wd.run(&["apply", "-auto-approve", "-input=false"]).await;
    assert_eq!(again.code, 0, "re-apply after Ctrl-C:\n{}", tail(&again));
    assert_exactly_declared(&acc, n).await;
    assert_eq!(acc.wd.plan_exitcode().await.code, 0);
    let secrets = secrets(&acc).await;
    assert_no_secret(&text, &secrets, "the interrupted apply's output");
    assert_no_secret(&again.combined(), &secrets, "the re-apply's output");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jamf_tokens_expiring_mid_run_cost_one_reauthentication() {
    let Some(acc) = traced("jamf_tokens_expiring_mid_run_cost_one_reauthentication").await else { return };
    let n = 20;
    acc.config(&jamf_fleet(n));
    acc.put("/_sim/jamf/faults", json!({"latencyMs": 40})).await;
    let child = acc.wd.spawn(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    wait_for_roles(&acc, 5, Duration::from_secs(120)).await;
    let before = acc.get("/_sim/jamf/stats").await["tokensIssued"].as_u64().unwrap();
    let expired = acc.post("/_sim/jamf/expire-tokens", json!({})).await;
    assert!(expired["expired"].as_u64().unwrap() >= 1);
    let out = child.finish(Duration::from_secs(300)).await;
    assert_eq!(out.code, 0, "apply across a token expiry:\n{}", tail(&out));
    let after = acc.get("/_sim/jamf/stats").await["tokensIssued"].as_u64().unwrap();
    assert_eq!(after - before, 1, "exactly one re-authentication");
    acc.delete("/_sim/jamf/faults").await;
    assert_exactly_declared(&acc, n).await;
    assert_no_secret(&out.combined(), &secrets(&acc).await, "apply output");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maas360_tokens_expiring_mid_run_cost_one_reauthentication() {
    let Some(acc) = traced("maas360_tokens_expiring_mid_run_cost_one_reauthentication").await else { return };
    let users: String = (0..12)
        .map(|i| {
            format!(
                "resource \"maas360_script_user\" \"u{i}\" {{\n  username = \"Vendor{i}_SO\"\n  email    = \"it{i}@example.com\"\n  roles    = [\"Read-Only\"]\n}}\n"
            )
        })
        .collect();
    acc.config(&users);
    acc.put("/_sim/maas360/faults", json!({"latencyMs": 60})).await;
    let child = acc.wd.spawn(&["apply", "-auto-approve", "-input=false", "-parallelism=3", "-no-color"]);
    let started = Instant::now();
    loop {
        let admins = acc.get("/_sim/maas360/admins").await;
        let made =
            admins.as_array().unwrap().iter().filter(|a| a["username"].as_str().unwrap().ends_with("_SO")).count();
        if made >= 4 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = acc.get("/_sim/maas360/stats").await["tokensIssued"].as_u64().unwrap();
    acc.post("/_sim/maas360/expire-tokens", json!({})).await;
    let out = child.finish(Duration::from_secs(300)).await;
    assert_eq!(out.code, 0, "apply across a token expiry:\n{}", tail(&out));
    let after = acc.get("/_sim/maas360/stats").await["tokensIssued"].as_u64().unwrap();
    assert_eq!(after - before, 1, "exactly one re-authentication");
    assert_no_secret(&out.combined(), &secrets(&acc).await, "apply output");
    assert_state_clean(&acc);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_stopping_mid_plan_is_a_clear_bounded_error() {
    let Some(acc) = traced("the_simulator_stopping_mid_plan_is_a_clear_bounded_error").await else { return };
    let n = 40;
    acc.config(&jamf_fleet(n));
    acc.wd.apply().await.ok();
    // Each of the refresh's three waves of reads waits about a second for Jamf: stopped at 1.5
    // s, the plan is in its second wave.
    acc.put("/_sim/jamf/faults", json!({"latencyMs": 1000})).await;
    let secrets = secrets(&acc).await;
    let Acc { sim, wd, .. } = acc;
    let child = wd.spawn(&["plan", "-input=false", "-no-color"]);
    // Let the plan start refreshing, then take the server away.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stopped_at = Instant::now();
    let port = sim.addr().port();
    sim.shutdown().await;
    // Held at once, so the plan's retries find no server rather than another test's.
    let _gone = ClosedPort::hold(port).expect("hold the stopped simulator's port");
    let out = child.finish(Duration::from_secs(120)).await;
    let after_stop = stopped_at.elapsed();
    let text = out.combined();
    let summary: Vec<&str> = text.lines().filter(|l| l.contains("Error:")).take(3).collect();
    eprintln!("plan ended {after_stop:?} after the simulator stopped: {summary:?}");
    assert_eq!(out.code, 1);
    assert!(after_stop < Duration::from_secs(60), "bounded: {after_stop:?}");
    assert!(text.contains("Cannot reach Jamf Pro"), "{}", tail(&out));
    // No retry storm: count the provider's HTTP attempts that failed to connect.
    let failures = text.matches("http transport failure").count();
    eprintln!("connection failures logged: {failures}");
    assert!(failures <= 3 * 10, "a bounded number of attempts, not one round per resource: {failures}");
    assert_no_secret(&text, &secrets, "plan output");
}

#[tokio::test]
async fn the_simulator_answers_malformed_requests_with_4xx() {
    let sim = mdm_sim::Simulator::start("127.0.0.1:0".parse().unwrap(), Default::default()).await.unwrap();
    let http = reqwest::Client::new();
    let a = sim.jamf_admin().clone();
    let token: Value = http
        .post(format!("{}/api/v1/oauth/token", sim.url()))
        .form(&[("grant_type", "client_credentials"), ("client_id", &a.client_id), ("client_secret", &a.client_secret)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = token["access_token"].as_str().unwrap().to_string();
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"{".to_vec()),
        ("application/json", b"[1,2,3]".to_vec()),
        ("application/json", b"{\"displayName\": 42, \"privileges\": \"x\"}".to_vec()),
        ("application/json", vec![0xff, 0xfe, 0x00]),
        ("text/plain", b"displayName=x".to_vec()),
        ("application/xml", b"<a><b></a>".to_vec()),
        ("application/json", vec![b'a'; 3 << 20]),
        ("application/x-www-form-urlencoded", b"%zz=%".to_vec()),
    ];
    let routes = [
        ("POST", "/api/v1/api-roles"),
        ("PUT", "/api/v1/api-roles/1"),
        ("POST", "/api/v1/api-integrations"),
        ("PUT", "/api/v1/api-integrations/1"),
        ("POST", "/api/v1/oauth/token"),
        ("POST", "/auth-apis/auth/2.0/authenticate/customer/1"),
        ("POST", "/auth-apis/auth/1.0/authenticate/1"),
        ("POST", "/account-provisioning/administrator/1.0/createAdministrator/1"),
        ("PATCH", "/_sim/jamf/roles/1"),
        ("PUT", "/_sim/jamf/faults"),
    ];
    for (method, route) in routes {
        for (ct, body) in &bodies {
            let resp = http
                .request(method.parse().unwrap(), format!("{}{route}", sim.url()))
                .bearer_auth(&bearer)
                .header("content-type", *ct)
                .body(body.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("{method} {route} ({ct}): no answer: {e}"));
            let status = resp.status().as_u16();
            // MaaS360's auth endpoints report failures inside an HTTP 200, as the real service does.
            assert!(
                (400..500).contains(&status) || (route.starts_with("/auth-apis") && status == 200),
                "{method} {route} with {ct} body of {} bytes answered {status}",
                body.len()
            );
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn a_closed_port_refuses_connections_and_no_server_is_given_it() {
    let gone = ClosedPort::new();
    let addr: std::net::SocketAddr = gone.url().trim_start_matches("http://").parse().unwrap();
    let err = tokio::net::TcpStream::connect(addr).await.expect_err("nothing listens");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
    // Servers bind port 0, as every test's simulator does: the kernel never picks the held port.
    let listeners: Vec<_> = (0..500).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    assert!(listeners.iter().all(|l| l.local_addr().unwrap().port() != addr.port()));
    // A stopped server's port, still in TIME_WAIT from a connection it closed, can be held too.
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    drop(server.accept().unwrap());
    drop(server);
    drop(client);
    let held = ClosedPort::hold(port).expect("held despite TIME_WAIT");
    assert_eq!(held.url(), format!("http://127.0.0.1:{port}"));
    let err = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect_err("nothing listens");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
}
