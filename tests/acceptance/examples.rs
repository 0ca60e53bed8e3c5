//! The examples users copy from: `terraform fmt` clean, every example directory valid for
//! `terraform validate` with the providers built by this test run (`dev_overrides`, no init), and
//! the quickstart applied against the simulator with an empty plan afterwards.

use std::path::{Path, PathBuf};

use crate::common::acc::{Acc, JAMF_BIN, MAAS360_BIN};
use crate::common::terraform::{Workdir, terraform_or_skip};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Every directory under `examples/` that holds `.tf` files (whatever other branches add, such
/// as `examples/integrations/*`), sorted.
fn example_dirs() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(dir).expect("read examples dir").flatten().map(|e| e.path()).collect();
        entries.sort();
        if entries.iter().any(|p| p.is_file() && p.extension().is_some_and(|x| x == "tf")) {
            out.push(dir.to_path_buf());
        }
        for p in entries {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if p.is_dir() && !name.starts_with('.') {
                walk(&p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&examples_dir(), &mut out);
    out
}

/// A working directory with both providers from this build, holding a copy of `dir`'s files.
fn workdir_with(tf: PathBuf, dir: &Path) -> Workdir {
    let mut wd = Workdir::new(tf);
    wd.dev_override("registry.terraform.io/mdmkit/jamf", Path::new(JAMF_BIN).parent().expect("binary dir"));
    wd.dev_override("registry.terraform.io/mdmkit/maas360", Path::new(MAAS360_BIN).parent().expect("binary dir"));
    for e in std::fs::read_dir(dir).expect("read example").flatten() {
        let p = e.path();
        if p.is_file() {
            let name = e.file_name().to_string_lossy().into_owned();
            wd.write(&name, &std::fs::read_to_string(&p).expect("read example file"));
        }
    }
    wd
}

/// The warnings in terraform's output other than the one dev_overrides always causes.
fn unexpected_warnings(output: &str) -> Vec<String> {
    output
        .lines()
        .filter(|l| l.trim_start_matches(['│', '╷', ' ']).starts_with("Warning:"))
        .filter(|l| !l.contains("Provider development overrides are in effect"))
        .map(|l| l.trim().to_string())
        .collect()
}

#[tokio::test]
async fn examples_are_terraform_fmt_clean() {
    let Some(tf) = terraform_or_skip("examples_are_terraform_fmt_clean") else { return };
    let out = tokio::process::Command::new(tf)
        .args(["fmt", "-check", "-recursive", "-diff", "-no-color"])
        .arg(examples_dir())
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .await
        .expect("run terraform fmt");
    assert!(
        out.status.success(),
        "terraform fmt -check -recursive examples failed; run `terraform fmt -recursive examples`:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_directory_validates() {
    let Some(tf) = terraform_or_skip("every_example_directory_validates") else { return };
    let dirs = example_dirs();
    // The registry layout this repository documents must be there, whatever else is added.
    let rel: Vec<String> =
        dirs.iter().map(|d| d.strip_prefix(examples_dir()).unwrap().to_string_lossy().replace('\\', "/")).collect();
    for must in [
        "provider/jamf",
        "provider/maas360",
        "quickstart",
        "resources/jamf_api_role",
        "resources/jamf_api_client",
        "resources/jamf_client_secret",
        "resources/maas360_script_user",
        "data-sources/jamf_api_role_privileges",
        "data-sources/jamf_api_role",
        "data-sources/jamf_api_client",
        "data-sources/maas360_administrator",
    ] {
        assert!(rel.iter().any(|r| r == must), "examples/{must} is missing (found: {rel:?})");
    }
    let mut failures = Vec::new();
    for (dir, name) in dirs.iter().zip(&rel) {
        let wd = workdir_with(tf.clone(), dir);
        // Local modules need installing; providers come from dev_overrides either way.
        let uses_modules = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "tf"))
            .any(|e| std::fs::read_to_string(e.path()).unwrap_or_default().contains("module \""));
        if uses_modules {
            let init = wd.run(&["init", "-backend=false", "-input=false"]).await;
            if init.code != 0 {
                failures.push(format!("examples/{name}: terraform init failed:\n{}", init.combined()));
                continue;
            }
        }
        let out = wd.run(&["validate"]).await;
        if out.code != 0 {
            failures.push(format!("examples/{name}: terraform validate failed:\n{}", out.combined()));
            continue;
        }
        let warnings = unexpected_warnings(&out.combined());
        if !warnings.is_empty() {
            failures.push(format!("examples/{name}: terraform validate warned:\n{}", out.combined()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_applies_against_the_simulator_and_plans_clean() {
    let Some(acc) = Acc::start("quickstart_applies_against_the_simulator_and_plans_clean").await else { return };
    for e in std::fs::read_dir(examples_dir().join("quickstart")).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "tf") {
            acc.wd.write(&e.file_name().to_string_lossy(), &std::fs::read_to_string(&p).unwrap());
        }
    }
    // Every setting from the environment (JAMF_URL included): the hand-off URL comes from
    // data.jamf_server, not from a variable.
    let url = acc.sim.url();

    let applied = acc.wd.apply().await.ok();
    assert!(
        applied.combined().contains("created: finish it in the MaaS360 portal"),
        "the script user's portal steps are shown:\n{}",
        applied.combined()
    );
    let (plan, refresh) = acc.assert_no_drift("examples/quickstart").await;
    eprintln!("examples/quickstart: plan -detailed-exitcode {plan}, plan -refresh-only -detailed-exitcode {refresh}");

    // What the vendor is handed.
    let out = |name: &'static str| {
        let wd = &acc.wd;
        async move { wd.run(&["output", "-raw", name]).await.ok().stdout }
    };
    assert_eq!(out("jamf_url").await, url);
    let client_id = out("client_id").await;
    let integrations = acc.jamf_objects("integrations").await;
    assert_eq!(integrations.len(), 1);
    assert_eq!(integrations[0]["clientId"], client_id.as_str());
    assert_eq!(integrations[0]["hasValidSecret"], true);
    assert!(!out("client_secret").await.is_empty());
    assert_eq!(out("maas360_api_username").await, "Quickstart_SO");
    assert_eq!(out("maas360_api_access_verified").await, "false");

    acc.wd.destroy().await.ok();
}

/// The examples that create their own objects really apply against the simulator (so privilege
/// names, references and outputs in them are right), then plan clean under both plans a drift
/// pipeline runs (`plan` and `plan -refresh-only`, each with `-detailed-exitcode`), and destroy.
/// The import examples are left out: they name objects of a real tenant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_contained_examples_apply_against_the_simulator() {
    for example in [
        "resources/jamf_api_role",
        "resources/jamf_api_client",
        "resources/jamf_client_secret",
        "resources/maas360_script_user",
        "data-sources/jamf_api_role_privileges",
        "data-sources/maas360_administrator",
        "integrations/admina",
        "integrations/clarity",
        "integrations/stackone",
        "integrations/techsafe",
    ] {
        let Some(mut acc) = Acc::start("self_contained_examples_apply_against_the_simulator").await else { return };
        // The integrations' required variables (a variable an example does not declare is ignored).
        let url = acc.sim.url();
        for (k, v) in [
            ("TF_VAR_jamf_url", url.as_str()),
            ("TF_VAR_customer", "Acme"),
            ("TF_VAR_notification_email", "mdm-team@example.com"),
            ("TF_VAR_users_domain", "example.com"),
        ] {
            acc.wd.set_env(k, v);
        }
        let dir = examples_dir().join(example);
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tf") && !name.starts_with("import") {
                acc.wd.write(&name, &std::fs::read_to_string(e.path()).unwrap());
            }
        }
        let applied = acc.wd.apply().await;
        assert_eq!(applied.code, 0, "examples/{example}: apply failed:\n{}", applied.combined());
        let (plan, refresh) = acc.assert_no_drift(&format!("examples/{example}")).await;
        eprintln!(
            "examples/{example}: plan -detailed-exitcode {plan}, plan -refresh-only -detailed-exitcode {refresh}"
        );
        let destroyed = acc.wd.destroy().await;
        assert_eq!(destroyed.code, 0, "examples/{example}: destroy failed:\n{}", destroyed.combined());
    }
}
