//! What `/proc` tells about the processes the benchmark starts (Linux; elsewhere these report
//! nothing): peak resident memory and CPU time of provider processes, sampled on a thread, and
//! clean-up of any process left running from the benchmark's own directory. Plus a description of
//! the machine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Processes whose executable lives under `root` and whose file name starts with `prefix`.
fn matching_pids(root: &Path, prefix: &str) -> Vec<(u32, PathBuf)> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(exe) = std::fs::read_link(e.path().join("exe")) else { continue };
        let name_ok = exe.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix));
        if name_ok && exe.starts_with(root) {
            out.push((pid, exe));
        }
    }
    out
}

/// `VmHWM` (peak resident set) of a process, in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time a process has run (`/proc/<pid>/schedstat`, nanoseconds).
fn cpu_ns(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/schedstat")).ok()?.split_whitespace().next()?.parse().ok()
}

/// What a sampler saw of one process: its peak resident set (`VmHWM`, KiB) and the CPU time it
/// had used at the last sample (nanoseconds; the last few milliseconds before it exited are lost).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcSample {
    pub peak_rss_kib: u64,
    pub cpu_ns: u64,
}

/// Samples matching processes every few milliseconds until stopped (or until its time limit,
/// whichever comes first).
pub struct ProcSampler {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<BTreeMap<u32, ProcSample>>>,
}

impl ProcSampler {
    pub fn start(root: &Path, prefix: &str, limit: Duration) -> ProcSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let prefix = prefix.to_string();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut seen: BTreeMap<u32, ProcSample> = BTreeMap::new();
            while !flag.load(Ordering::Relaxed) && started.elapsed() < limit {
                for (pid, _) in matching_pids(&root, &prefix) {
                    let e = seen.entry(pid).or_default();
                    if let Some(kib) = vm_hwm_kib(pid) {
                        e.peak_rss_kib = e.peak_rss_kib.max(kib);
                    }
                    if let Some(ns) = cpu_ns(pid) {
                        e.cpu_ns = e.cpu_ns.max(ns);
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            seen
        });
        ProcSampler { stop, thread: Some(thread) }
    }

    /// Stop sampling; returns what was seen of each process.
    pub fn finish(mut self) -> BTreeMap<u32, ProcSample> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().and_then(|t| t.join().ok()).unwrap_or_default()
    }
}

impl Drop for ProcSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Kill every process still running from an executable under `root` (providers orphaned by a
/// terraform that was killed on a timeout). Returns how many were killed.
pub fn kill_strays(root: &Path) -> usize {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut killed = 0;
    for (pid, _) in matching_pids(&root, "") {
        if pid == std::process::id() {
            continue;
        }
        let ok = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            killed += 1;
        }
    }
    killed
}

/// The machine a run happened on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub os: String,
    pub kernel: String,
    pub terraform: String,
    pub rustc: String,
    /// `/proc/loadavg` (1, 5, 15 minutes) when the run started and when it ended: other work on a
    /// shared machine shows here.
    pub load_at_start: String,
    pub load_at_end: String,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn command_line(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or_default().trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

pub fn load_average() -> String {
    read("/proc/loadavg").split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

impl Machine {
    pub fn describe(terraform: &Path) -> Machine {
        let cpuinfo = read("/proc/cpuinfo");
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        let mem_kib: f64 = read("/proc/meminfo")
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let os = read("/etc/os-release")
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_else(|| std::env::consts::OS.to_string());
        let tf = command_line(&terraform.display().to_string(), &["version"]);
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        Machine {
            cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            cpu_model,
            memory_gib: (mem_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
            os,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
            terraform: tf,
            rustc: command_line(&rustc, &["--version"]),
            load_at_start: load_average(),
            load_at_end: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn samples_a_child_by_its_executable() {
        let tmp = tempfile::tempdir().unwrap();
        let exe = tmp.path().join("terraform-provider-sleepy");
        std::fs::copy("/bin/sleep", &exe).unwrap();
        let sampler = ProcSampler::start(tmp.path(), "terraform-provider-", Duration::from_secs(10));
        let mut child = std::process::Command::new(&exe).arg("5").spawn().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(kill_strays(tmp.path()), 1);
        let _ = child.wait();
        let seen = sampler.finish();
        assert!(seen.get(&child.id()).is_some_and(|s| s.peak_rss_kib > 0 && s.cpu_ns > 0), "{seen:?}");
        assert_eq!(kill_strays(tmp.path()), 0);
    }
}
