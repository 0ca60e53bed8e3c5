//! The `mdm-sim` binary: exactly one JSON line on stdout with working credentials, refusal of a
//! non-loopback address, clean exit on SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn mdm_sim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mdm-sim"));
    c.env_remove("RUST_LOG").env_remove("MDM_SIM_LISTEN").env_remove("MDM_SIM_STATE");
    c
}

fn wait_with_deadline(child: &mut std::process::Child, deadline: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            panic!("mdm-sim did not exit within {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
#[test]
fn prints_one_json_line_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let privileges = dir.path().join("privs.txt");
    std::fs::write(&privileges, "Read API Roles\n\nCreate API Roles\n").unwrap();
    let mut child = mdm_sim()
        .args(["--jamf-client-id", "cli-client", "--maas360-billing-id", "30000042"])
        .arg("--privileges")
        .arg(&privileges)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mdm-sim starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).expect("startup line");
    let v: serde_json::Value = serde_json::from_str(&line).expect("the line is JSON");
    let url = v["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(v["jamf"]["url"], url.as_str());
    assert_eq!(v["jamf"]["client_id"], "cli-client");
    for k in ["client_secret", "username", "password"] {
        assert!(v["jamf"][k].as_str().is_some_and(|s| !s.is_empty()), "jamf.{k}");
    }
    assert_eq!(v["maas360"]["base_url"], url.as_str());
    assert_eq!(v["maas360"]["billing_id"], "30000042");
    for k in ["app_id", "app_version", "platform_id", "app_access_key", "username", "password"] {
        assert!(v["maas360"][k].as_str().is_some_and(|s| !s.is_empty()), "maas360.{k}");
    }

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap();
        let token: serde_json::Value = http
            .post(format!("{url}/api/v1/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "cli-client"),
                ("client_secret", v["jamf"]["client_secret"].as_str().unwrap()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let privs: serde_json::Value = http
            .get(format!("{url}/api/v1/api-role-privileges"))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(privs["privileges"], serde_json::json!(["Create API Roles", "Read API Roles"]));
    });

    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    assert!(killed.success());
    let status = wait_with_deadline(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.is_empty(), "nothing after the startup line on stdout: {rest:?}");
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(stderr.contains("mdm-sim"), "human-readable lines go to stderr: {stderr}");
}

#[test]
fn refuses_a_non_loopback_listen_address() {
    let out = mdm_sim()
        .args(["--listen", "0.0.0.0:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("mdm-sim runs");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("non-loopback"));
}

#[test]
fn reports_a_missing_privileges_file() {
    let out = mdm_sim().args(["--privileges", "/nonexistent/privs.txt"]).output().expect("mdm-sim runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/privs.txt"));
}

#[test]
fn help_lists_the_control_routes() {
    for flag in ["-h", "--help"] {
        let out = mdm_sim().arg(flag).output().expect("mdm-sim runs");
        assert!(out.status.success());
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("Control routes"), "{help}");
        for (method, path) in [
            ("GET", "/_sim/"),
            ("POST", "/_sim/reset"),
            ("PATCH", "/_sim/jamf/integrations/{id}"),
            ("PUT", "/_sim/jamf/faults"),
            ("POST", "/_sim/maas360/admins/{username}/convert-to-script-only"),
        ] {
            assert!(help.lines().any(|l| l.contains(method) && l.contains(path)), "{flag}: {method} {path}:\n{help}");
        }
    }
}
