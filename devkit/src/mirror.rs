//! A project-local Terraform provider mirror (the "unpacked" filesystem-mirror layout) and the CLI
//! configuration that makes `terraform init` install `mdmkit/*` from it, offline, while nothing
//! else may come from the network.

use std::io;
use std::path::{Path, PathBuf};

/// The providers' registry namespace (`registry.terraform.io/mdmkit/<name>`).
pub const NAMESPACE: &str = "mdmkit";

/// The directory of one provider version for this platform inside `mirror`.
pub fn package_dir(mirror: &Path, name: &str, version: &str) -> PathBuf {
    mirror.join("registry.terraform.io").join(NAMESPACE).join(name).join(version).join(super::platform())
}

/// The file name Terraform expects in a package: `terraform-provider-<name>_v<version>`.
pub fn binary_name(name: &str, version: &str) -> String {
    super::exe(&format!("terraform-provider-{name}_v{version}"))
}

/// Copy a file, replacing the destination atomically (a running terraform may hold the old one).
pub fn install_file(from: &Path, to: &Path) -> io::Result<()> {
    let dir = to.parent().ok_or_else(|| io::Error::other("destination has no parent"))?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{}.tmp", to.file_name().and_then(|n| n.to_str()).unwrap_or("file")));
    std::fs::copy(from, &tmp)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot copy {} to {}: {e}", from.display(), tmp.display())))?;
    std::fs::rename(&tmp, to).map_err(|e| io::Error::new(e.kind(), format!("cannot install {}: {e}", to.display())))
}

/// Install the provider binary `bin` as provider `name` at `version` into `mirror`; returns its path.
pub fn install_binary(bin: &Path, mirror: &Path, name: &str, version: &str) -> io::Result<PathBuf> {
    let dest = package_dir(mirror, name, version).join(binary_name(name, version));
    install_file(bin, &dest)?;
    Ok(dest)
}

/// Single-quote `s` for a POSIX shell.
#[cfg_attr(not(unix), allow(dead_code))]
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Install, in place of provider `name`, a shell script that appends `launch <pid>` to `log` each
/// time Terraform starts the provider, runs the real binary `real` as its child (same arguments,
/// stdin and stdout), and when it has exited appends `cpu <pid> <user> <system>`: the child's CPU
/// time as bash's `times` reports it (its parent's rusage, to the millisecond: `0m0.028s`). Unlike
/// sampling `/proc`, that misses nothing of a launch that lives a few milliseconds. Read the log
/// with [`LaunchLog`].
#[cfg(unix)]
pub fn install_launch_counter(
    real: &Path,
    log: &Path,
    mirror: &Path,
    name: &str,
    version: &str,
) -> io::Result<PathBuf> {
    let dest = package_dir(mirror, name, version).join(binary_name(name, version));
    install_script(&dest, &timing_script(real, log, true)?)
}

/// Install at `dest` a shell script that runs `real` as its child (same arguments, stdin and
/// stdout, exit status) and appends `cpu <pid> <user> <system>` to `log` when it has exited: the
/// CPU time of `real` and of every process `real` waited for (terraform and the providers it ran),
/// as bash's `times` reports it. Read the log with [`LaunchLog`].
#[cfg(unix)]
pub fn install_cpu_timer(real: &Path, log: &Path, dest: &Path) -> io::Result<PathBuf> {
    install_script(dest, &timing_script(real, log, false)?)
}

#[cfg(unix)]
fn timing_script(real: &Path, log: &Path, count_launches: bool) -> io::Result<String> {
    let real = std::path::absolute(real)?;
    let log = std::path::absolute(log)?;
    // bash: its `times` has millisecond resolution (dash's counts 10 ms clock ticks), and is read
    // in this shell, not in a `$(…)` subshell whose children's times are zero. Its second line is
    // the children's time.
    Ok(format!(
        "#!/usr/bin/env bash\n# Times its child (see devkit::mirror).\nlog={log}\n{launch}{real} \"$@\"\nstatus=$?\ntimes > \"$log.$$\"\n{{ read -r _ _; read -r user system; }} < \"$log.$$\"\nrm -f \"$log.$$\"\necho \"cpu $$ $user $system\" >> \"$log\"\nexit $status\n",
        log = sh_quote(&log.display().to_string()),
        real = sh_quote(&real.display().to_string()),
        launch = if count_launches { "echo \"launch $$\" >> \"$log\"\n" } else { "" },
    ))
}

#[cfg(unix)]
fn install_script(dest: &Path, script: &str) -> io::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dest.parent().expect("a script's directory"))?;
    let tmp = dest.with_extension("tmp");
    std::fs::write(&tmp, script)?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
    std::fs::rename(&tmp, dest)?;
    Ok(dest.to_path_buf())
}

/// `cmd`'s output, retried while its program is "busy" (`ETXTBSY`): a script written by this
/// process cannot be run while another thread's child, forked in between, still holds it open for
/// writing (until that child's own exec closes it). Tests write scripts and run programs from
/// many threads at once.
pub fn output_when_not_busy(cmd: &mut std::process::Command) -> io::Result<std::process::Output> {
    let mut tries = 0;
    loop {
        match cmd.output() {
            Err(e) if e.kind() == io::ErrorKind::ExecutableFileBusy && tries < 100 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// What a launch counter's log says (see [`install_launch_counter`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaunchLog {
    /// Launches started.
    pub launches: u64,
    /// CPU time (user + system) of the launches that have exited, in seconds.
    pub cpu_secs: f64,
}

impl LaunchLog {
    /// Read `log`; a missing log is no launch.
    pub fn read(log: &Path) -> LaunchLog {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let mut out = LaunchLog::default();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("launch") => out.launches += 1,
                Some("cpu") => {
                    let _pid = words.next();
                    out.cpu_secs += words.map(shell_duration_secs).sum::<f64>();
                }
                _ => {}
            }
        }
        out
    }
}

/// `1m2.500000s` (dash) or `0m0.028s` (bash), as `times` prints a duration, in seconds.
fn shell_duration_secs(s: &str) -> f64 {
    let s = s.trim_end_matches('s');
    let (m, sec) = s.split_once('m').unwrap_or(("0", s));
    m.parse::<f64>().unwrap_or(0.0) * 60.0 + sec.parse::<f64>().unwrap_or(0.0)
}

/// Windows has no bash to run the counting script with: the benchmark's launch count is
/// unix-only, and says so instead of failing to build.
#[cfg(not(unix))]
pub fn install_launch_counter(
    _real: &Path,
    _log: &Path,
    _mirror: &Path,
    _name: &str,
    _version: &str,
) -> io::Result<PathBuf> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "counting and timing provider launches needs bash: run the benchmark on Linux or macOS",
    ))
}

/// See the unix version: timing needs bash.
#[cfg(not(unix))]
pub fn install_cpu_timer(_real: &Path, _log: &Path, _dest: &Path) -> io::Result<PathBuf> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "timing terraform needs bash: run the benchmark on Linux or macOS"))
}

/// A CLI configuration (`TF_CLI_CONFIG_FILE`) that installs `mdmkit/*` from `mirror` and nothing from
/// the network for them.
pub fn cli_config(mirror: &Path) -> String {
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"registry.terraform.io/{NAMESPACE}/*\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/{NAMESPACE}/*\"]\n  }}\n}}\n",
        mirror.display().to_string()
    )
}

/// Write [`cli_config`] for `mirror` to `path`.
pub fn write_cli_config(path: &Path, mirror: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, cli_config(mirror))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_config() {
        let dir = package_dir(Path::new("/m"), "jamf", "0.1.0");
        assert!(dir.starts_with("/m/registry.terraform.io/mdmkit/jamf/0.1.0"));
        assert_eq!(binary_name("jamf", "0.1.0"), exe_name("terraform-provider-jamf_v0.1.0"));
        let c = cli_config(Path::new("/m"));
        assert!(c.contains("path    = \"/m\""));
        assert!(c.contains("include = [\"registry.terraform.io/mdmkit/*\"]"));
        assert!(c.contains("exclude = [\"registry.terraform.io/mdmkit/*\"]"));
    }

    fn exe_name(s: &str) -> String {
        super::super::exe(s)
    }

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(sh_quote("/a b/it's"), r"'/a b/it'\''s'");
    }

    #[cfg(unix)]
    #[test]
    fn launch_counter_counts_times_and_passes_everything_through() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("launches.log");
        let real = tmp.path().join("real.sh");
        // Stdout passes through, the exit status comes back, and the child's CPU is counted: a
        // busy loop of some milliseconds.
        std::fs::write(&real, "#!/bin/sh\ni=0\nwhile [ $i -lt 100000 ]; do i=$((i+1)); done\necho \"$1\"\nexit 3\n")
            .unwrap();
        std::fs::set_permissions(&real, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let script = install_launch_counter(&real, &log, &tmp.path().join("mirror"), "x", "1.0.0").unwrap();
        for _ in 0..2 {
            let out = output_when_not_busy(std::process::Command::new(&script).arg("hello")).unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n");
            assert_eq!(out.status.code(), Some(3));
        }
        let read = LaunchLog::read(&log);
        assert_eq!(read.launches, 2);
        assert!(read.cpu_secs > 0.0, "the children's CPU time is in the log: {read:?}");
    }

    #[cfg(unix)]
    #[test]
    fn cpu_timer_times_its_child_and_what_the_child_waited_for() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("terraform.log");
        let real = tmp.path().join("real.sh");
        // The busy loop runs in a grandchild the child waits for: its time is counted too.
        std::fs::write(
            &real,
            "#!/bin/sh\nsh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done'\necho \"$@\"\nexit 4\n",
        )
        .unwrap();
        std::fs::set_permissions(&real, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let script = install_cpu_timer(&real, &log, &tmp.path().join("bin/terraform")).unwrap();
        assert_eq!(script, tmp.path().join("bin/terraform"));
        let out = output_when_not_busy(std::process::Command::new(&script).args(["plan", "-input=false"])).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "plan -input=false\n");
        assert_eq!(out.status.code(), Some(4));
        let read = LaunchLog::read(&log);
        assert_eq!(read.launches, 0, "a timer counts no launches");
        assert!(read.cpu_secs > 0.0, "the grandchild's loop is in the child's time: {read:?}");
    }

    #[test]
    fn shell_durations_of_both_shells_parse() {
        assert_eq!(shell_duration_secs("0m0.028s"), 0.028);
        assert_eq!(shell_duration_secs("1m2.500000s"), 62.5);
        let log = tempfile::tempdir().unwrap();
        let p = log.path().join("l");
        std::fs::write(&p, "launch 1\nlaunch 2\ncpu 1 0m0.010000s 0m0.002000s\ncpu 2 0m0.001s 0m0.000s\n").unwrap();
        let read = LaunchLog::read(&p);
        assert_eq!(read.launches, 2);
        assert!((read.cpu_secs - 0.013).abs() < 1e-9, "{read:?}");
    }
}
