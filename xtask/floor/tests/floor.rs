//! The floor binary is what the benchmark installs as `mdmkit/floor`: built by `cargo test` (this
//! test needs it), and a plugin like the providers, which refuses to run outside terraform.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-floor");

#[test]
fn the_floor_is_a_plugin_named_by_its_address() {
    let out = Command::new(BIN).env_remove("TF_PLUGIN_MAGIC_COOKIE").output().expect("run the floor");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("registry.terraform.io/mdmkit/floor"), "{text}");

    let out = Command::new(BIN).arg("--version").output().expect("run the floor");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("terraform-provider-floor {}", devkit::VERSION));
}
