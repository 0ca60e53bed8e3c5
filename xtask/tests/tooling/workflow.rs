//! The release workflow (`.github/workflows/release.yml`): valid for GitHub Actions as a workflow
//! linter sees it, and building every release platform on the runner `xtask/src/dist.rs` names.

use std::path::PathBuf;
use std::process::Command;

use xtask::dist::PLATFORMS;
use xtask::util;

fn workflow() -> PathBuf {
    util::root().join(".github/workflows/release.yml")
}

/// The linter: actionlint where installed (it checks expressions and shell too), else
/// action-validator (`cargo install action-validator`, which `.ci/run` does); `None` after saying
/// why the test is skipped. In CI a missing linter fails the test.
fn linter() -> Option<(&'static str, Vec<String>)> {
    for (bin, args) in [("actionlint", vec!["-no-color".to_string()]), ("action-validator", vec![])] {
        if Command::new(bin).arg("--version").output().is_ok_and(|o| o.status.success())
            || Command::new(bin).arg("-version").output().is_ok_and(|o| o.status.success())
        {
            return Some((bin, args));
        }
    }
    if devkit::terraform::in_ci() {
        panic!(
            "a workflow linter is required in CI: .ci/run installs action-validator (cargo install action-validator)"
        );
    }
    eprintln!("SKIPPED the release workflow lint: neither actionlint nor action-validator is installed");
    None
}

#[test]
fn the_release_workflow_passes_the_linter() {
    let Some((bin, args)) = linter() else { return };
    let out = Command::new(bin).args(&args).arg(workflow()).current_dir(util::root()).output().unwrap();
    assert!(
        out.status.success(),
        "{bin} rejects {}:\n{}{}",
        workflow().display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The linter can fail: a job without runs-on is refused.
    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("release.yml");
    let text = std::fs::read_to_string(workflow()).unwrap();
    std::fs::write(&broken, text.replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest")).unwrap();
    let out = Command::new(bin).args(&args).arg(&broken).current_dir(tmp.path()).output().unwrap();
    assert!(!out.status.success(), "{bin} accepted a job without runs-on");
}

#[test]
fn the_release_workflow_builds_every_platform_on_its_native_runner() {
    let text = std::fs::read_to_string(workflow()).unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut matrix = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(p) = l.strip_prefix("- platform: ") {
            let runner = lines.get(i + 1).and_then(|r| r.strip_prefix("runner: ")).expect("runner after platform");
            matrix.push((p.to_string(), runner.to_string()));
        }
    }
    let want: Vec<(String, String)> = PLATFORMS.iter().map(|p| (p.name.to_string(), p.runner.to_string())).collect();
    assert_eq!(matrix, want);
    assert!(text.contains("cargo xtask dist package --platform \"${{ matrix.platform }}\""));
    assert!(text.contains("cargo xtask dist assemble --zips zips --out dist --require-all-platforms"));
    assert!(text.contains("MDMKIT_GPG_FINGERPRINT: ${{ secrets.GPG_FINGERPRINT }}"));
}
