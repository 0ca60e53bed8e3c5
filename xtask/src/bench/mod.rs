//! `cargo xtask bench`: the providers measured through real terraform against the simulator on
//! loopback, with Terraform's built-in `terraform_data` as the yardstick. Timings are compared only
//! within one run, as ratios; counters come from the simulator's `/_sim/{vendor}/stats`.
//!
//! What runs, in order (sizes for `full`; `quick` uses N = 1 and 20, one counted run, no warm-up,
//! and small counts so that the test suite can run it with debug binaries):
//!
//! 1. **Handshake**: the provider binary started by hand as Terraform would (cookie, protocol 6,
//!    `PLUGIN_CLIENT_CERT` for AutoMTLS), timed from spawn to its handshake line; 30 times, with
//!    and without TLS, alternated.
//! 2. **Per-resource overhead**: for N = 1, 100, 500, N `jamf_api_role` against N `terraform_data`,
//!    `plan` (empty state), `apply`, `plan` (applied state, refresh) and `plan -refresh=false`, one
//!    warm-up then 9 counted runs each, the sides alternated. The ratio of the slopes
//!    `(t(500) − t(1)) / (t_data(500) − t_data(1))` is the provider's per-resource cost relative to
//!    Terraform's own. A third side in the same rounds, N `floor_role` of the floor provider
//!    (`xtask/floor`: `jamf_api_role`'s schema doing nothing, on the providers' wire), gives the
//!    same ratio for a provider with no work of its own: the part of the gap that is the protocol.
//! 3. **Footprint**: the largest N once more, untimed, with the provider processes sampled from
//!    `/proc`: their CPU time during `plan`, `apply` and the refresh `plan`, and their peak RSS
//!    during the apply.
//! 4. **Launches**: how often terraform starts the provider per command (a counting wrapper in
//!    place of the provider in a mirror of its own).
//! 5. **AutoMTLS**: a `plan` of N = 1 with Terraform's AutoMTLS as it comes and turned off
//!    (`TF_DISABLE_PLUGIN_TLS=1`), and over one `terraform_data`, alternated, one warm-up and 9
//!    counted runs: the wall times, and the CPU time of terraform with its launches both ways.
//! 6. **CPU time, exact**: the largest N through the counting wrapper, 5 times: every launch's CPU
//!    time as its parent saw it. Beside it the same commands run by terraform through a timing
//!    script, with the provider and over N `terraform_data`, and a `plan` of N = 1 the same way:
//!    terraform's own CPU time (its total less the provider's launches) on either side, the part
//!    of the gap that no provider removes.
//! 7. **API economy**: simulator requests and tokens per command for 300 roles + 300 clients +
//!    300 secrets, and MaaS360 requests to refresh 100 script users.
//! 8. **Realistic latency**: 100 + 100 + 100 applied and refreshed with 50 ms per request and
//!    `-parallelism=20`: wall time against the floor `requests × 50 ms ÷ 5`, and the most requests
//!    the simulator saw at once.
//!
//! Everything runs in `out_dir/work` (cleared first); `bench.json`, `bench.md` and `plan-vs-n.svg`
//! are written to `out_dir`. Every process started is stopped, also on failure.

mod chart;
pub mod command;
mod hcl;
pub mod procfs;
pub mod report;
pub mod stats;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

use devkit::terraform::{Terraform, remove_state};
use devkit::{SimProcess, mirror};
use mdmkit::plugin::serve::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};

pub use report::{
    AutoMtls, BaselineCpu, Cell, Command, Counts, Economy, Figure, Footprint, Latency, LatencyPhase, OwnCpu,
    PopulatedPlan, Report, Run, Side, TerraformCpu,
};
use stats::Summary;

/// The figures every complete report has (ids), in table order.
pub const FIGURE_IDS: &[&str] = &[
    "per_resource.ratio.plan",
    "per_resource.ratio.apply",
    "per_resource.ratio.refresh-plan",
    "per_resource.ratio.plan-refresh-false",
    "per_resource.floor_ratio.plan",
    "per_resource.floor_ratio.refresh-plan",
    "per_resource.provider_cpu.plan",
    "per_resource.provider_cpu.apply",
    "per_resource.provider_cpu.refresh-plan",
    "per_resource.provider_cpu_exact.plan",
    "per_resource.provider_cpu_exact.apply",
    "per_resource.provider_cpu_exact.refresh-plan",
    "per_resource.provider_cpu_exact.plan_populated",
    "per_resource.terraform_cpu.plan",
    "per_resource.terraform_cpu.apply",
    "per_resource.terraform_cpu.refresh-plan",
    "fixed.handshake_tls_ms",
    "fixed.handshake_plain_ms",
    "fixed.launches.plan",
    "fixed.launches.apply",
    "fixed.launches.refresh-plan",
    "fixed.launches.destroy",
    "fixed.plan_n1_ratio",
    "fixed.plan_n1_ratio_floor",
    "fixed.terraform_cpu.plan_n1",
    "fixed.plan_n1_ratio_without_automtls",
    "fixed.automtls_cpu_ms.plan_n1",
    "economy.jamf.refresh.requests",
    "economy.jamf.apply.tokens",
    "economy.jamf.refresh.tokens",
    "economy.jamf.destroy.tokens",
    "economy.jamf.apply.requests",
    "economy.maas360.refresh.requests",
    "latency.apply.secs",
    "latency.apply.max_in_flight",
    "latency.refresh.secs",
    "latency.refresh.max_in_flight",
    "footprint.peak_rss_mib",
    "footprint.size.terraform-provider-jamf",
    "footprint.size.terraform-provider-maas360",
    "footprint.size.mdm-sim",
];

/// The figures a report adds after [`FIGURE_IDS`] when it has a baseline (`--baseline`).
pub const BASELINE_FIGURE_IDS: &[&str] = &[
    "baseline.provider_cpu_exact.plan",
    "baseline.provider_cpu_exact.apply",
    "baseline.provider_cpu_exact.refresh-plan",
];

/// How a run is sized.
#[derive(Debug, Clone)]
pub struct Sizes {
    pub ns: Vec<usize>,
    pub warmups: usize,
    pub runs: usize,
    pub handshakes: usize,
    pub economy_jamf: usize,
    pub economy_maas360: usize,
    pub latency_each: usize,
    pub latency_ms: u64,
    pub parallelism: u32,
    /// Roles made elsewhere that the tenant holds for the populated `plan` (its N is the largest).
    pub populated_existing: usize,
}

impl Sizes {
    pub fn full() -> Sizes {
        Sizes {
            ns: vec![1, 100, 500],
            warmups: 1,
            // More than the 5 asked for: medians of 9 hold up better on a shared machine.
            runs: 9,
            handshakes: 30,
            economy_jamf: 300,
            economy_maas360: 100,
            latency_each: 100,
            latency_ms: 50,
            parallelism: 20,
            populated_existing: 2000,
        }
    }

    pub fn quick() -> Sizes {
        Sizes {
            ns: vec![1, 20],
            warmups: 0,
            runs: 1,
            handshakes: 5,
            economy_jamf: 20,
            economy_maas360: 5,
            latency_each: 10,
            latency_ms: 50,
            parallelism: 20,
            populated_existing: 40,
        }
    }
}

/// What to run, with what.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Directory holding `terraform-provider-jamf`, `terraform-provider-maas360` and `mdm-sim`.
    pub bin_dir: PathBuf,
    /// How the report names `bin_dir` (default: its path), e.g. `target/release`.
    pub bin_label: Option<String>,
    pub terraform: PathBuf,
    /// Results go here; the scratch directory is `out_dir/work`.
    pub out_dir: PathBuf,
    pub quick: bool,
    /// Also copy the chart here (e.g. `docs/bench/plan-vs-n.svg`).
    pub chart_copy: Option<PathBuf>,
    /// Print a line per step on stderr.
    pub progress: bool,
    /// Limit for one terraform command.
    pub command_timeout: Duration,
    /// Another build's directory holding `terraform-provider-jamf`, timed beside this one in the
    /// exact CPU step's rounds (`--baseline`).
    pub baseline_dir: Option<PathBuf>,
}

impl BenchOptions {
    pub fn new(bin_dir: impl Into<PathBuf>, terraform: impl Into<PathBuf>, out_dir: impl Into<PathBuf>) -> Self {
        BenchOptions {
            bin_dir: bin_dir.into(),
            bin_label: None,
            terraform: terraform.into(),
            out_dir: out_dir.into(),
            quick: false,
            chart_copy: None,
            progress: false,
            command_timeout: Duration::from_secs(600),
            baseline_dir: None,
        }
    }

    pub fn sizes(&self) -> Sizes {
        if self.quick { Sizes::quick() } else { Sizes::full() }
    }
}

/// Run the benchmark; writes `bench.json`, `bench.md` and `plan-vs-n.svg` into `out_dir`.
/// Must not be called from inside a tokio runtime (it runs its own).
pub fn run(opts: &BenchOptions) -> Result<Report, String> {
    let work = opts.out_dir.join("work");
    if work.exists() {
        procfs::kill_strays(&work);
        std::fs::remove_dir_all(&work).map_err(|e| format!("cannot clear {}: {e}", work.display()))?;
    }
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let work = std::fs::canonicalize(&work).map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let result = rt.block_on(async {
        let mut bench = Bench::start(opts, &work)?;
        let r = bench.run_all().await;
        bench.sim.stop();
        r
    });
    drop(rt);
    // Providers orphaned by a terraform killed on a timeout, or a provider of the handshake test.
    let strays = procfs::kill_strays(&work);
    let mut report = result?;
    if strays > 0 {
        return Err(format!("{strays} process(es) were still running from {} and were killed", work.display()));
    }
    report.machine.load_at_end = procfs::load_average();
    write_outputs(opts, &mut report)?;
    Ok(report)
}

fn write_outputs(opts: &BenchOptions, report: &mut Report) -> Result<(), String> {
    let out = &opts.out_dir;
    let chart = out.join("plan-vs-n.svg");
    chart::write_svg(&chart, &report.per_resource, &[Command::Plan, Command::RefreshPlan])?;
    if let Some(copy) = &opts.chart_copy {
        if let Some(dir) = copy.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::copy(&chart, copy).map_err(|e| format!("cannot copy the chart to {}: {e}", copy.display()))?;
    }
    let json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    std::fs::write(out.join("bench.json"), json + "\n").map_err(|e| e.to_string())?;
    std::fs::write(out.join("bench.md"), report.markdown()).map_err(|e| e.to_string())?;
    Ok(())
}

/// The scratch layout and the processes of one run.
struct Bench<'a> {
    opts: &'a BenchOptions,
    sizes: Sizes,
    work: PathBuf,
    sim: SimProcess,
    tf: Terraform,
    cli: PathBuf,
    cli_counting: PathBuf,
    launch_log: PathBuf,
    /// With a baseline: its counting mirror's CLI configuration and launch log.
    baseline: Option<(PathBuf, PathBuf)>,
    /// terraform through a script that times it and everything it waited for (the providers).
    tf_timed: Terraform,
    terraform_log: PathBuf,
    started: Instant,
}

fn io_err(what: &str) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

impl<'a> Bench<'a> {
    fn start(opts: &'a BenchOptions, work: &Path) -> Result<Bench<'a>, String> {
        for name in BINARIES.iter().chain([&FLOOR]) {
            let p = opts.bin_dir.join(devkit::exe(name));
            if !p.is_file() {
                return Err(format!("{} is missing (build it first)", p.display()));
            }
        }
        let sim = SimProcess::start(&opts.bin_dir.join(devkit::exe("mdm-sim")), &[], &work.join("mdm-sim.log"))
            .map_err(|e| e.to_string())?;
        let mirror_dir = work.join("mirror");
        for name in ["jamf", "maas360", "floor"] {
            let bin = opts.bin_dir.join(devkit::exe(&format!("terraform-provider-{name}")));
            mirror::install_binary(&bin, &mirror_dir, name, devkit::VERSION).map_err(io_err("install"))?;
        }
        let cli = work.join("terraformrc");
        mirror::write_cli_config(&cli, &mirror_dir).map_err(io_err("CLI configuration"))?;
        let counting = work.join("mirror-counting");
        let launch_log = work.join("launches.log");
        mirror::install_launch_counter(
            &opts.bin_dir.join(devkit::exe("terraform-provider-jamf")),
            &launch_log,
            &counting,
            "jamf",
            devkit::VERSION,
        )
        .map_err(io_err("launch counter"))?;
        let cli_counting = work.join("terraformrc-counting");
        mirror::write_cli_config(&cli_counting, &counting).map_err(io_err("CLI configuration"))?;
        let baseline = match &opts.baseline_dir {
            None => None,
            Some(dir) => {
                let bin = dir.join(devkit::exe("terraform-provider-jamf"));
                if !bin.is_file() {
                    return Err(format!("{} is missing (the baseline's build)", bin.display()));
                }
                let (mirror_dir, log) = (work.join("mirror-baseline"), work.join("launches-baseline.log"));
                mirror::install_launch_counter(&bin, &log, &mirror_dir, "jamf", devkit::VERSION)
                    .map_err(io_err("baseline launch counter"))?;
                let cli = work.join("terraformrc-baseline");
                mirror::write_cli_config(&cli, &mirror_dir).map_err(io_err("CLI configuration"))?;
                Some((cli, log))
            }
        };
        let tf = Terraform {
            bin: opts.terraform.clone(),
            env: sim.provider_env().into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            timeout: opts.command_timeout,
        };
        let terraform_log = work.join("terraform-cpu.log");
        let timer = mirror::install_cpu_timer(
            &opts.terraform,
            &terraform_log,
            &work.join("timed").join(devkit::exe("terraform")),
        )
        .map_err(io_err("terraform timer"))?;
        let tf_timed = Terraform { bin: timer, ..tf.clone() };
        Ok(Bench {
            opts,
            sizes: opts.sizes(),
            work: work.to_path_buf(),
            sim,
            tf,
            cli,
            cli_counting,
            launch_log,
            baseline,
            tf_timed,
            terraform_log,
            started: Instant::now(),
        })
    }

    fn say(&self, what: impl AsRef<str>) {
        if self.opts.progress {
            eprintln!("  [{:>6.1}s] {}", self.started.elapsed().as_secs_f64(), what.as_ref());
        }
    }

    fn dir(&self, name: &str) -> Result<PathBuf, String> {
        let d = self.work.join(name);
        std::fs::create_dir_all(&d).map_err(io_err("create working directory"))?;
        Ok(d)
    }

    async fn reset_sim(&self) -> Result<(), String> {
        self.sim.control("POST", "/_sim/reset", None).await.map(|_| ())
    }

    /// The vendor's counters since the last reset, then zeroed.
    async fn take_counts(&self, vendor: &str, secs: f64) -> Result<Counts, String> {
        let s = self.sim.control("GET", &format!("/_sim/{vendor}/stats"), None).await?;
        self.sim.control("DELETE", &format!("/_sim/{vendor}/stats"), None).await?;
        Ok(counts(&s, secs))
    }

    async fn init(&self, dir: &Path, cli: &Path) -> Result<(), String> {
        self.tf.ok(dir, cli, &["init", "-input=false"]).await.map(|_| ())
    }

    async fn run_all(&mut self) -> Result<Report, String> {
        let started_at =
            time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let machine = procfs::Machine::describe(&self.opts.terraform);
        self.say(format!("simulator at {}; scratch in {}", self.sim.url(), self.work.display()));

        let (handshake_tls_ms, handshake_plain_ms) = self.handshakes().await?;
        let (runs, per_resource) = self.per_resource().await?;
        let mut footprint = self.footprint().await?;
        let launches = self.launches().await?;
        let automtls = self.automtls().await?;
        (footprint.provider_cpu_exact_ms, footprint.terraform_cpu, footprint.baseline) = self.exact_cpu().await?;
        footprint.populated = self.populated_plan().await?;
        let economy = self.economy().await?;
        let latency = self.latency().await?;

        let mut report = Report {
            profile: if self.opts.quick { "quick" } else { "full" }.into(),
            binaries: self.opts.bin_label.clone().unwrap_or_else(|| self.opts.bin_dir.display().to_string()),
            started_at,
            elapsed_secs: self.started.elapsed().as_secs_f64(),
            machine,
            ns: self.sizes.ns.clone(),
            warmups: self.sizes.warmups,
            counted_runs: self.sizes.runs,
            per_resource,
            runs,
            handshake_tls_ms,
            handshake_plain_ms,
            launches,
            automtls,
            economy,
            latency,
            footprint,
            figures: Vec::new(),
        };
        report.figures = figures(&report);
        Ok(report)
    }

    /// Spawn → handshake line, with AutoMTLS and without, alternated (one warm-up each).
    async fn handshakes(&self) -> Result<(Summary, Summary), String> {
        self.say(format!("handshake: {} launches with and without AutoMTLS", self.sizes.handshakes));
        // A client certificate like Terraform's (P-521), which the provider parses and pins.
        let client_pem = devkit::mtls::P521Identity::generate("HashiCorp").pem();
        let bin = self.opts.bin_dir.join(devkit::exe("terraform-provider-jamf"));
        let sock = self.dir("sock")?;
        let (mut tls, mut plain) = (Vec::new(), Vec::new());
        for i in 0..=self.sizes.handshakes {
            let t = handshake_once(&bin, &sock, Some(&client_pem)).await?;
            let p = handshake_once(&bin, &sock, None).await?;
            if i > 0 {
                tls.push(t);
                plain.push(p);
            }
        }
        // The providers were killed: their sockets stay behind.
        let _ = std::fs::remove_dir_all(&sock);
        Ok((Summary::of(&tls).expect("samples"), Summary::of(&plain).expect("samples")))
    }

    async fn per_resource(&self) -> Result<(Vec<Run>, Vec<Cell>), String> {
        let ours = self.dir("ours")?;
        let floor = self.dir("floor")?;
        let data = self.dir("terraform_data")?;
        let sides = [(Side::Ours, &ours), (Side::Floor, &floor), (Side::TerraformData, &data)];
        let mut runs = Vec::new();
        let total = self.sizes.warmups + self.sizes.runs;
        for (k, &n) in self.sizes.ns.iter().enumerate() {
            write(&ours.join("main.tf"), &hcl::jamf_roles(n, "bench"))?;
            write(&floor.join("main.tf"), &hcl::floor_roles(n, "bench"))?;
            write(&data.join("main.tf"), &hcl::terraform_data(n, "bench"))?;
            for (_, dir) in sides {
                remove_state(dir).map_err(io_err("remove state"))?;
            }
            self.reset_sim().await?;
            if k == 0 {
                for (_, dir) in sides {
                    self.init(dir, &self.cli).await?;
                }
            }
            for command in Command::ALL {
                self.say(format!("per-resource: N = {n}, {} ×{total} each side", command.label()));
                for index in 0..total {
                    for (side, dir) in sides {
                        if command == Command::Apply {
                            remove_state(dir).map_err(io_err("remove state"))?;
                            if side == Side::Ours {
                                self.reset_sim().await?;
                            }
                        }
                        let r = self.tf.ok(dir, &self.cli, command.args()).await?;
                        check_plan_output(command, n, &r.stdout)?;
                        runs.push(Run { command, n, side, index, warmup: index < self.sizes.warmups, secs: r.secs() });
                    }
                }
            }
        }
        for (_, dir) in sides {
            remove_state(dir).map_err(io_err("remove state"))?;
        }
        self.reset_sim().await?;
        let mut cells = Vec::new();
        for command in Command::ALL {
            for &n in &self.sizes.ns {
                let pick = |side: Side| {
                    let v: Vec<f64> = runs
                        .iter()
                        .filter(|r| r.command == command && r.n == n && r.side == side && !r.warmup)
                        .map(|r| r.secs)
                        .collect();
                    Summary::of(&v).expect("counted runs")
                };
                cells.push(Cell {
                    command,
                    n,
                    ours: pick(Side::Ours),
                    floor: pick(Side::Floor),
                    terraform_data: pick(Side::TerraformData),
                });
            }
        }
        Ok((runs, cells))
    }

    /// The largest N once more, untimed, with the provider processes sampled: CPU time of every
    /// launch of `plan`, `apply` and the refresh `plan`, and the peak RSS during the apply.
    async fn footprint(&self) -> Result<Footprint, String> {
        let n = *self.sizes.ns.iter().max().expect("sizes");
        self.say(format!("footprint: plan, apply, refresh plan of {n} roles with the provider processes sampled"));
        let ours = self.work.join("ours");
        write(&ours.join("main.tf"), &hcl::jamf_roles(n, "bench"))?;
        remove_state(&ours).map_err(io_err("remove state"))?;
        self.reset_sim().await?;
        let mut f = Footprint { n, ..Default::default() };
        for command in [Command::Plan, Command::Apply, Command::RefreshPlan] {
            let sampler = procfs::ProcSampler::start(&self.work, "terraform-provider-jamf", self.opts.command_timeout);
            let ran = self.tf.ok(&ours, &self.cli, command.args()).await;
            let seen = sampler.finish();
            ran?;
            let cpu_ns: u64 = seen.values().map(|s| s.cpu_ns).sum();
            f.provider_cpu_ms.insert(command.id().to_string(), cpu_ns as f64 / 1e6);
            if command == Command::Apply {
                f.per_process_kib = seen.values().map(|s| s.peak_rss_kib).collect();
                f.peak_rss_kib = f.per_process_kib.iter().copied().max().unwrap_or(0);
            }
        }
        remove_state(&ours).map_err(io_err("remove state"))?;
        self.reset_sim().await?;
        for name in BINARIES {
            let p = self.opts.bin_dir.join(devkit::exe(name));
            let len = std::fs::metadata(&p).map_err(io_err("binary size"))?.len();
            f.binary_bytes.insert(name.to_string(), len);
        }
        Ok(f)
    }

    /// Provider launches per command, counted by a wrapper script in the provider's place.
    async fn launches(&self) -> Result<BTreeMap<String, u64>, String> {
        self.say("launches: init, plan, apply, refresh plan, destroy of one role");
        let dir = self.dir("launches")?;
        write(&dir.join("main.tf"), &hcl::jamf_roles(1, "launch"))?;
        self.reset_sim().await?;
        let count = || mirror::LaunchLog::read(&self.launch_log).launches;
        let mut out = BTreeMap::new();
        let steps: [(&str, &[&str]); 5] = [
            ("init", &["init", "-input=false"]),
            ("plan", Command::Plan.args()),
            ("apply", Command::Apply.args()),
            ("refresh-plan", Command::RefreshPlan.args()),
            ("destroy", &["destroy", "-auto-approve", "-input=false"]),
        ];
        for (name, args) in steps {
            let before = count();
            self.tf.ok(&dir, &self.cli_counting, args).await?;
            out.insert(name.to_string(), count() - before);
        }
        self.reset_sim().await?;
        Ok(out)
    }

    /// `plan` of the smallest N with Terraform's AutoMTLS as it comes and turned off
    /// (`TF_DISABLE_PLUGIN_TLS=1`, which users are not asked to set), and over as many
    /// `terraform_data`, alternated: the wall time of each and the CPU time of terraform with its
    /// launches. For every launch terraform makes a P-521 certificate before starting the
    /// provider, and both ends sign and check in the handshake; a provider cannot spare it.
    async fn automtls(&self) -> Result<AutoMtls, String> {
        let n = *self.sizes.ns.iter().min().expect("sizes");
        let total = self.sizes.warmups + self.sizes.runs;
        self.say(format!("AutoMTLS: plan of {n} with and without it, and of {n} terraform_data, ×{total} each"));
        let ours = self.dir("automtls")?;
        let data = self.dir("automtls-terraform_data")?;
        write(&ours.join("main.tf"), &hcl::jamf_roles(n, "tls"))?;
        write(&data.join("main.tf"), &hcl::terraform_data(n, "tls"))?;
        self.init(&ours, &self.cli).await?;
        self.init(&data, &self.cli).await?;
        self.reset_sim().await?;
        let off = |tf: &Terraform| {
            let mut tf = tf.clone();
            tf.env.insert("TF_DISABLE_PLUGIN_TLS".into(), "1".into());
            tf
        };
        let (without, without_timed) = (off(&self.tf), off(&self.tf_timed));
        // Terraform's log says so for every launch it secures: the two ways must be what they claim.
        let mut secured = [0; 2];
        for (count, tf) in secured.iter_mut().zip([&self.tf, &without]) {
            let log = self.work.join("automtls-terraform.log");
            let _ = std::fs::remove_file(&log);
            let mut logged = tf.clone();
            logged.env.extend([("TF_LOG".into(), "info".into()), ("TF_LOG_PATH".into(), log.display().to_string())]);
            logged.ok(&ours, &self.cli, Command::Plan.args()).await?;
            let text = std::fs::read_to_string(&log).map_err(io_err("terraform's log"))?;
            *count = text.matches("configuring client automatic mTLS").count() as u64;
        }
        if secured[0] == 0 || secured[1] != 0 {
            return Err(format!(
                "terraform's log shows {} launch(es) with AutoMTLS as it comes and {} with TF_DISABLE_PLUGIN_TLS=1; \
                 the comparison would be meaningless",
                secured[0], secured[1]
            ));
        }
        let cpu = || mirror::LaunchLog::read(&self.terraform_log).cpu_secs * 1000.0;
        let (mut wall, mut ms): ([Vec<f64>; 3], [Vec<f64>; 2]) = Default::default();
        for index in 0..total {
            let counted = index >= self.sizes.warmups;
            // Wall time without the timing script, whose start-up would be in every figure.
            for (side, (tf, dir)) in [(&self.tf, &ours), (&without, &ours), (&self.tf, &data)].into_iter().enumerate() {
                let r = tf.ok(dir, &self.cli, Command::Plan.args()).await?;
                check_plan_output(Command::Plan, n, &r.stdout)?;
                if counted {
                    wall[side].push(r.secs());
                }
            }
            for (side, tf) in [&self.tf_timed, &without_timed].into_iter().enumerate() {
                let before = cpu();
                tf.ok(&ours, &self.cli, Command::Plan.args()).await?;
                if counted {
                    ms[side].push(cpu() - before);
                }
            }
        }
        let s = |v: &[f64]| Summary::of(v).expect("counted runs");
        Ok(AutoMtls {
            n,
            with_tls: s(&wall[0]),
            without_tls: s(&wall[1]),
            terraform_data: s(&wall[2]),
            cpu_with_tls_ms: s(&ms[0]),
            cpu_without_tls_ms: s(&ms[1]),
            secured_launches: secured,
        })
    }

    /// The largest N once more through the counting mirror: the CPU time of every launch of
    /// `plan`, `apply` and the refresh `plan`, each launch timed by its parent (the counting
    /// script) when it exits, which the `/proc` sampler of [`Bench::footprint`] cannot do for the
    /// last milliseconds of a process or a launch shorter than its period.
    ///
    /// Beside each of those runs, the same command run by a timed terraform, once with the
    /// providers installed as they are (no counting script) and once over N `terraform_data`:
    /// terraform's own CPU time with our provider (its total, everything it waited for included,
    /// less the provider's launches) and without one. That is the part of a run's cost no provider
    /// can remove. The same for a `plan` of N = 1, where it is terraform's cost of launching a
    /// provider at all. With a baseline, its provider runs the same commands as one more side of
    /// every round.
    async fn exact_cpu(&self) -> Result<(BTreeMap<String, f64>, TerraformCpu, Option<BaselineCpu>), String> {
        let n = *self.sizes.ns.iter().max().expect("sizes");
        let n_lo = *self.sizes.ns.iter().min().expect("sizes");
        self.say(format!(
            "provider and terraform CPU: plan, apply, refresh plan of {n} roles and of {n} terraform_data, each \
             launch timed by its parent"
        ));
        let counted = self.dir("cpu")?;
        let plain = self.dir("cpu-plain")?;
        let data = self.dir("cpu-terraform_data")?;
        let sides = [(&counted, &self.cli_counting), (&plain, &self.cli), (&data, &self.cli)];
        let write_n = |n: usize| -> Result<(), String> {
            write(&counted.join("main.tf"), &hcl::jamf_roles(n, "cpu"))?;
            write(&plain.join("main.tf"), &hcl::jamf_roles(n, "cpu"))?;
            write(&data.join("main.tf"), &hcl::terraform_data(n, "cpu"))
        };
        write_n(n)?;
        for (dir, cli) in sides {
            self.init(dir, cli).await?;
        }
        let baseline_dir = self.work.join("cpu-baseline");
        if let Some((cli, _)) = &self.baseline {
            self.dir("cpu-baseline")?;
            write(&baseline_dir.join("main.tf"), &hcl::jamf_roles(n, "cpu"))?;
            self.init(&baseline_dir, cli).await?;
        }
        let mut baseline_samples: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        // A single run moves by ±10% on a shared machine: the median of a few.
        let rounds = if self.opts.quick { 1 } else { 5 };
        let launches_cpu = || mirror::LaunchLog::read(&self.launch_log).cpu_secs * 1000.0;
        let terraform_cpu = || mirror::LaunchLog::read(&self.terraform_log).cpu_secs * 1000.0;
        // By command id: the provider's launches (counted), terraform's total with the provider
        // (plain) and terraform's total over terraform_data, one sample per round.
        let mut samples: BTreeMap<String, [Vec<f64>; 3]> = BTreeMap::new();
        let commands = [Command::Plan, Command::Apply, Command::RefreshPlan];
        for _ in 0..rounds {
            // Each side from the same empty tenant and state, one after the other.
            for (side, (dir, cli)) in sides.into_iter().enumerate() {
                let (tf, log): (&Terraform, &dyn Fn() -> f64) =
                    if side == 0 { (&self.tf, &launches_cpu) } else { (&self.tf_timed, &terraform_cpu) };
                for (command, ms) in commands.into_iter().zip(self.timed_side(tf, dir, cli, &commands, log).await?) {
                    samples.entry(command.id().to_string()).or_default()[side].push(ms);
                }
            }
            if let Some((cli, log)) = &self.baseline {
                let log = || mirror::LaunchLog::read(log).cpu_secs * 1000.0;
                for (command, ms) in
                    commands.into_iter().zip(self.timed_side(&self.tf, &baseline_dir, cli, &commands, &log).await?)
                {
                    baseline_samples.entry(command.id().to_string()).or_default().push(ms);
                }
            }
        }
        // Plans of N = 1 (on empty state: nothing to reset between them).
        write_n(n_lo)?;
        self.reset_sim().await?;
        let mut n1: [Vec<f64>; 3] = Default::default();
        for _ in 0..rounds {
            for (side, (dir, cli)) in sides.into_iter().enumerate() {
                let (tf, log): (&Terraform, &dyn Fn() -> f64) =
                    if side == 0 { (&self.tf, &launches_cpu) } else { (&self.tf_timed, &terraform_cpu) };
                let before = log();
                tf.ok(dir, cli, Command::Plan.args()).await?;
                n1[side].push(log() - before);
            }
        }
        self.reset_sim().await?;
        let median = |v: &[f64]| Summary::of(v).expect("rounds").median;
        let own = |s: &[Vec<f64>; 3]| OwnCpu {
            provider_ms: median(&s[0]),
            terraform_with_provider_ms: (median(&s[1]) - median(&s[0])).max(0.0),
            terraform_with_terraform_data_ms: median(&s[2]),
        };
        let provider = samples.iter().map(|(k, s)| (k.clone(), median(&s[0]))).collect();
        let terraform = TerraformCpu {
            n,
            by_command: samples.iter().map(|(k, s)| (k.clone(), own(s))).collect(),
            n_lo,
            plan_n_lo: own(&n1),
        };
        let baseline = self.opts.baseline_dir.as_ref().map(|dir| BaselineCpu {
            binaries: dir.display().to_string(),
            provider_cpu_exact_ms: baseline_samples.iter().map(|(k, s)| (k.clone(), median(s))).collect(),
        });
        Ok((provider, terraform, baseline))
    }

    /// One side of a round of [`Bench::exact_cpu`]: `commands` in `dir` from an empty tenant and
    /// state, each with what `log` (a CPU counter, in ms) grew by while it ran.
    async fn timed_side(
        &self,
        tf: &Terraform,
        dir: &Path,
        cli: &Path,
        commands: &[Command],
        log: &dyn Fn() -> f64,
    ) -> Result<Vec<f64>, String> {
        self.reset_sim().await?;
        let mut ms = Vec::with_capacity(commands.len());
        for command in commands {
            let before = log();
            tf.ok(dir, cli, command.args()).await?;
            ms.push(log() - before);
        }
        remove_state(dir).map_err(io_err("remove state"))?;
        Ok(ms)
    }

    /// The `plan` of the largest N new roles against a tenant that already holds many made
    /// elsewhere (the console, another configuration), the provider's launches timed as in
    /// [`Bench::exact_cpu`]: each planned name is checked against every role on the server.
    async fn populated_plan(&self) -> Result<PopulatedPlan, String> {
        let (n, existing) = (*self.sizes.ns.iter().max().expect("sizes"), self.sizes.populated_existing);
        self.say(format!("populated tenant: plan of {n} new roles beside {existing} made elsewhere"));
        // Made by another configuration whose state is then dropped: roles this one never managed.
        let seed = self.dir("populated-seed")?;
        write(&seed.join("main.tf"), &hcl::jamf_roles(existing, "console"))?;
        self.init(&seed, &self.cli).await?;
        self.reset_sim().await?;
        self.tf.ok(&seed, &self.cli, Command::Apply.args()).await?;
        remove_state(&seed).map_err(io_err("remove state"))?;
        let counted = self.dir("populated")?;
        write(&counted.join("main.tf"), &hcl::jamf_roles(n, "cpu"))?;
        self.init(&counted, &self.cli_counting).await?;
        let rounds = if self.opts.quick { 1 } else { 5 };
        let launches_cpu = || mirror::LaunchLog::read(&self.launch_log).cpu_secs * 1000.0;
        let mut samples = Vec::new();
        for _ in 0..rounds {
            let before = launches_cpu();
            let r = self.tf.ok(&counted, &self.cli_counting, Command::Plan.args()).await?;
            check_plan_output(Command::Plan, n, &r.stdout)?;
            samples.push(launches_cpu() - before);
        }
        self.reset_sim().await?;
        Ok(PopulatedPlan { n, existing, provider_ms: Summary::of(&samples).expect("rounds").median })
    }

    async fn economy(&self) -> Result<Economy, String> {
        let (m, k) = (self.sizes.economy_jamf, self.sizes.economy_maas360);
        let mut e = Economy { jamf_each: m, maas360_users: k, ..Default::default() };

        self.say(format!("API economy: {m} roles + {m} clients + {m} secrets: apply, plan, destroy"));
        let dir = self.dir("identities")?;
        write(&dir.join("main.tf"), &hcl::jamf_identities(m, "econ"))?;
        self.init(&dir, &self.cli).await?;
        self.reset_sim().await?;
        let steps: [(&str, &[&str]); 3] = [
            ("apply", Command::Apply.args()),
            ("refresh", Command::RefreshPlan.args()),
            ("destroy", &["destroy", "-auto-approve", "-input=false"]),
        ];
        for (name, args) in steps {
            let r = self.tf.ok(&dir, &self.cli, args).await?;
            if name == "refresh" {
                check_plan_output(Command::RefreshPlan, 3 * m, &r.stdout)?;
            }
            e.jamf.insert(name.into(), self.take_counts("jamf", r.secs()).await?);
        }

        self.say(format!("API economy: {k} MaaS360 script users: apply, plan, destroy"));
        let dir = self.dir("maas360")?;
        write(&dir.join("main.tf"), &hcl::maas360_script_users(k, "bench"))?;
        self.init(&dir, &self.cli).await?;
        self.reset_sim().await?;
        for (name, args) in steps {
            let r = self.tf.ok(&dir, &self.cli, args).await?;
            if name == "refresh" {
                check_plan_output(Command::RefreshPlan, k, &r.stdout)?;
            }
            e.maas360.insert(name.into(), self.take_counts("maas360", r.secs()).await?);
        }
        self.reset_sim().await?;
        Ok(e)
    }

    async fn latency(&self) -> Result<Latency, String> {
        let (l, ms, par) = (self.sizes.latency_each, self.sizes.latency_ms, self.sizes.parallelism);
        let dir = self.dir("latency")?;
        write(&dir.join("main.tf"), &hcl::jamf_identities(l, "lat"))?;
        self.init(&dir, &self.cli).await?;
        let par_arg = format!("-parallelism={par}");
        let apply: Vec<&str> = Command::Apply.args().iter().copied().chain([par_arg.as_str()]).collect();
        let plan: Vec<&str> = Command::RefreshPlan.args().iter().copied().chain([par_arg.as_str()]).collect();

        self.say(format!("latency: {l} + {l} + {l}, apply and refresh at 0 ms (baseline), {par_arg}"));
        self.reset_sim().await?;
        remove_state(&dir).map_err(io_err("remove state"))?;
        let apply0 = self.tf.ok(&dir, &self.cli, &apply).await?.secs();
        let plan0 = self.tf.ok(&dir, &self.cli, &plan).await?.secs();

        self.say(format!("latency: the same at {ms} ms per request"));
        self.reset_sim().await?;
        remove_state(&dir).map_err(io_err("remove state"))?;
        self.sim.control("PUT", "/_sim/jamf/faults", Some(json!({"latencyMs": ms}))).await?;
        self.sim.control("DELETE", "/_sim/jamf/stats", None).await?;
        let r = self.tf.ok(&dir, &self.cli, &apply).await?;
        let apply_counts = self.take_counts("jamf", r.secs()).await?;
        let r = self.tf.ok(&dir, &self.cli, &plan).await?;
        check_plan_output(Command::RefreshPlan, 3 * l, &r.stdout)?;
        let refresh_counts = self.take_counts("jamf", r.secs()).await?;
        self.sim.control("DELETE", "/_sim/jamf/faults", None).await?;
        self.reset_sim().await?;
        remove_state(&dir).map_err(io_err("remove state"))?;

        let floor = |c: &Counts| c.requests as f64 * ms as f64 / 1000.0 / JAMF_CONCURRENCY as f64;
        Ok(Latency {
            latency_ms: ms,
            parallelism: par,
            each: l,
            apply: LatencyPhase {
                floor_secs: floor(&apply_counts),
                counts: apply_counts,
                secs_at_zero_latency: apply0,
            },
            refresh: LatencyPhase {
                floor_secs: floor(&refresh_counts),
                counts: refresh_counts,
                secs_at_zero_latency: plan0,
            },
        })
    }
}

/// The binaries measured.
const BINARIES: [&str; 3] = ["terraform-provider-jamf", "terraform-provider-maas360", "mdm-sim"];

/// The floor provider (`xtask/floor`), timed beside the role, never shipped: its size is no figure.
const FLOOR: &str = "terraform-provider-floor";

/// The Jamf provider's default limit of requests on the wire.
const JAMF_CONCURRENCY: u64 = 5;

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn counts(stats: &Value, secs: f64) -> Counts {
    let u = |k: &str| stats[k].as_u64().unwrap_or(0);
    Counts {
        secs,
        requests: u("total"),
        tokens_issued: u("tokensIssued"),
        max_in_flight: u("maxInFlight"),
        by_route: stats["requests"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0))).collect())
            .unwrap_or_default(),
    }
}

/// A measured plan must be the plan we think it is: N to add on empty state, no changes after apply.
fn check_plan_output(command: Command, n: usize, stdout: &str) -> Result<(), String> {
    let expected = match command {
        Command::Plan => format!("Plan: {n} to add, 0 to change, 0 to destroy."),
        Command::Apply => format!("Apply complete! Resources: {n} added, 0 changed, 0 destroyed."),
        Command::RefreshPlan | Command::PlanNoRefresh => "No changes.".to_string(),
    };
    if stdout.contains(&expected) {
        return Ok(());
    }
    let tail: Vec<&str> = stdout.lines().rev().take(30).collect();
    Err(format!(
        "terraform {} of N = {n} did not report {expected:?}; the measurement would be meaningless. Output ends:\n{}",
        command.label(),
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    ))
}

/// Start the provider as go-plugin would and time the handshake line (milliseconds).
async fn handshake_once(bin: &Path, sock: &Path, client_pem: Option<&str>) -> Result<f64, String> {
    let mut cmd = tokio::process::Command::new(bin);
    for (k, _) in std::env::vars_os() {
        if k.to_str().is_some_and(|k| devkit::terraform::is_inherited_setting(k) || k.starts_with("PLUGIN_")) {
            cmd.env_remove(k);
        }
    }
    cmd.env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_UNIX_SOCKET_DIR", sock)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    if let Some(pem) = client_pem {
        cmd.env("PLUGIN_CLIENT_CERT", pem);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    let read =
        tokio::time::timeout(Duration::from_secs(10), tokio::io::BufReader::new(stdout).read_line(&mut line)).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let _ = child.kill().await;
    match read {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(format!("reading the handshake line: {e}")),
        Err(_) => return Err("the provider printed no handshake line within 10 s".into()),
    }
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    let cert_ok = client_pem.is_none() || fields.get(5).is_some_and(|c| c.len() > 50);
    if fields.len() != 6 || fields[0] != "1" || fields[1] != "6" || !cert_ok {
        return Err(format!("unexpected handshake line {line:?}"));
    }
    Ok(ms)
}

fn fmt_mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / 1024.0 / 1024.0)
}

/// Per-resource time against `terraform_data`'s, for `plan` and the refresh `plan`.
const RATIO_TARGET: f64 = 1.25;
/// `plan` of one resource against `terraform_data`'s.
const N1_RATIO_TARGET: f64 = 1.8;

/// The provider's exact CPU time per role that `command` may take.
fn cpu_target_us(command: Command) -> Option<f64> {
    match command {
        Command::Plan => Some(45.0),
        Command::RefreshPlan => Some(80.0),
        _ => None,
    }
}

/// A side's slope between two cells, `terraform_data`'s, and their ratio (NaN when noise makes
/// `terraform_data`'s slope vanish at small N, as in quick runs: then there is no ratio to judge).
fn slope_ratio(lo: &Cell, hi: &Cell, side: fn(&Cell) -> &Summary) -> (f64, f64, f64) {
    let slope = side(hi).median - side(lo).median;
    let data = hi.terraform_data.median - lo.terraform_data.median;
    let ratio = if data > 0.0 && slope.is_finite() { slope / data } else { f64::NAN };
    (slope, data, ratio)
}

/// The figures of a report, each with its target (if any) and whether it is met.
pub fn figures(r: &Report) -> Vec<Figure> {
    let mut out = Vec::new();
    let mut add = |id: &str, section: &str, name: String, value: f64, shown: String, target: Option<(String, bool)>| {
        let (target, status) = match target {
            Some((t, ok)) => (t, if ok { "ok" } else { "miss" }.to_string()),
            None => ("—".to_string(), String::new()),
        };
        out.push(Figure { id: id.into(), section: section.into(), name, value, shown, target, status });
    };
    let (n_lo, n_hi) = (*r.ns.iter().min().expect("ns"), *r.ns.iter().max().expect("ns"));
    let cell = |c: Command, n: usize| r.per_resource.iter().find(|x| x.command == c && x.n == n);

    for command in Command::ALL {
        let (Some(lo), Some(hi)) = (cell(command, n_lo), cell(command, n_hi)) else { continue };
        let (ours, data, ratio) = slope_ratio(lo, hi, |c| &c.ours);
        let target = matches!(command, Command::Plan | Command::RefreshPlan)
            .then(|| (format!("≤ {RATIO_TARGET}"), ratio <= RATIO_TARGET));
        add(
            &format!("per_resource.ratio.{}", command.id()),
            "per-resource",
            format!(
                "{}: (t({n_hi}) − t({n_lo})) ÷ same for `terraform_data` ({:.3} s ÷ {:.3} s)",
                command.label(),
                ours,
                data
            ),
            ratio,
            if ratio.is_nan() { "n/a (`terraform_data` slope ≤ 0)".into() } else { format!("{ratio:.2}") },
            target,
        );
    }

    // The floor in the same rounds: what a provider on this wire with this schema pays for doing
    // nothing, against which the role's ratio is its own work.
    for command in [Command::Plan, Command::RefreshPlan] {
        let (Some(lo), Some(hi)) = (cell(command, n_lo), cell(command, n_hi)) else { continue };
        let (floor, data, ratio) = slope_ratio(lo, hi, |c| &c.floor);
        add(
            &format!("per_resource.floor_ratio.{}", command.id()),
            "per-resource",
            format!(
                "{}, the floor (`floor_role`: `jamf_api_role`'s schema, no work, on our wire) against `terraform_data` \
                 in the same rounds ({:.3} s ÷ {:.3} s)",
                command.label(),
                floor,
                data
            ),
            ratio,
            if ratio.is_nan() { "n/a (`terraform_data` slope ≤ 0)".into() } else { format!("{ratio:.2}") },
            None,
        );
    }

    let f = &r.footprint;
    // The sampled figure, then the exact one (the targets are the exact one's).
    let cpu_rows = [
        ("provider_cpu", &f.provider_cpu_ms, "untimed run, sampled every 5 ms: a lower bound", false),
        (
            "provider_cpu_exact",
            &f.provider_cpu_exact_ms,
            "each launch's user + system time, from its parent when it exits; median of 5 runs",
            true,
        ),
    ];
    for (key, by_command, how, exact) in cpu_rows {
        for command in [Command::Plan, Command::Apply, Command::RefreshPlan] {
            let ms = by_command.get(command.id()).copied().unwrap_or(0.0);
            let per = if f.n > 0 { ms * 1000.0 / f.n as f64 } else { 0.0 };
            add(
                &format!("per_resource.{key}.{}", command.id()),
                "per-resource",
                format!("provider CPU time, all launches, `terraform {}` of {} roles ({how})", command.label(), f.n),
                ms,
                if exact {
                    format!("{ms:.1} ms ({per:.0} µs/role)")
                } else {
                    format!("{ms:.0} ms ({per:.0} µs/role)")
                },
                cpu_target_us(command).filter(|_| exact).map(|t| (format!("≤ {t} µs/role"), per <= t)),
            );
        }
    }

    let p = &f.populated;
    let empty_ms = f.provider_cpu_exact_ms.get(Command::Plan.id()).copied().unwrap_or(0.0);
    add(
        "per_resource.provider_cpu_exact.plan_populated",
        "per-resource",
        format!(
            "provider CPU time, all launches, `terraform plan` of {} new roles against a tenant holding {} others \
             (each launch timed by its parent; median of 5 runs; {empty_ms:.1} ms on an empty tenant, row above)",
            p.n, p.existing
        ),
        p.provider_ms,
        format!(
            "{:.1} ms ({:.0} µs/role)",
            p.provider_ms,
            if p.n > 0 { p.provider_ms * 1000.0 / p.n as f64 } else { 0.0 }
        ),
        None,
    );

    // Terraform's own side of the same runs: what no provider's speed changes.
    let tc = &f.terraform_cpu;
    for command in [Command::Plan, Command::Apply, Command::RefreshPlan] {
        let c = tc.by_command.get(command.id()).copied().unwrap_or_default();
        add(
            &format!("per_resource.terraform_cpu.{}", command.id()),
            "per-resource",
            format!(
                "terraform's own CPU time (its total less the provider's launches), `terraform {}` of {n}: beside the \
                 provider ÷ over {n} `terraform_data` ({:.0} ms ÷ {:.0} ms; the provider's launches: {:.0} ms; medians)",
                command.label(),
                c.terraform_with_provider_ms,
                c.terraform_with_terraform_data_ms,
                c.provider_ms,
                n = tc.n,
            ),
            c.terraform_ratio(),
            format!("{:.2}", c.terraform_ratio()),
            None,
        );
    }

    let hs = r.handshake_tls_ms.median;
    add(
        "fixed.handshake_tls_ms",
        "fixed cost",
        format!(
            "spawn → handshake line, AutoMTLS (`PLUGIN_CLIENT_CERT`), median of {}",
            r.handshake_tls_ms.samples.len()
        ),
        hs,
        format!("{hs:.2} ms"),
        Some(("≤ 3 ms".into(), hs <= 3.0)),
    );
    let hp = r.handshake_plain_ms.median;
    add(
        "fixed.handshake_plain_ms",
        "fixed cost",
        format!("spawn → handshake line, no TLS, median of {}", r.handshake_plain_ms.samples.len()),
        hp,
        format!("{hp:.2} ms"),
        None,
    );
    for (key, label) in [
        ("plan", "plan (empty state)"),
        ("apply", "apply"),
        ("refresh-plan", "plan (applied state)"),
        ("destroy", "destroy"),
    ] {
        let v = r.launches.get(key).copied().unwrap_or(0);
        add(
            &format!("fixed.launches.{key}"),
            "fixed cost",
            format!("provider launches per `terraform {label}`"),
            v as f64,
            v.to_string(),
            None,
        );
    }
    if let Some(c) = cell(Command::Plan, n_lo) {
        let ratio = c.ours.median / c.terraform_data.median;
        add(
            "fixed.plan_n1_ratio",
            "fixed cost",
            format!(
                "plan of N = {n_lo}: `jamf_api_role` ÷ `terraform_data` ({:.3} s ÷ {:.3} s, medians)",
                c.ours.median, c.terraform_data.median
            ),
            ratio,
            format!("{ratio:.2}×"),
            Some((format!("≤ {N1_RATIO_TARGET}×"), ratio <= N1_RATIO_TARGET)),
        );
        let ratio = c.floor.median / c.terraform_data.median;
        add(
            "fixed.plan_n1_ratio_floor",
            "fixed cost",
            format!(
                "plan of N = {n_lo}, the floor (no work, on our wire) ÷ `terraform_data` ({:.3} s ÷ {:.3} s, medians, \
                 same rounds)",
                c.floor.median, c.terraform_data.median
            ),
            ratio,
            format!("{ratio:.2}×"),
            None,
        );
    }
    let c = r.footprint.terraform_cpu.plan_n_lo;
    add(
        "fixed.terraform_cpu.plan_n1",
        "fixed cost",
        format!(
            "terraform's own CPU time (its total less the provider's launches), `terraform plan` of N = {}: beside \
             the provider ÷ over `terraform_data` ({:.0} ms ÷ {:.0} ms; the provider's launches: {:.0} ms; medians)",
            r.footprint.terraform_cpu.n_lo,
            c.terraform_with_provider_ms,
            c.terraform_with_terraform_data_ms,
            c.provider_ms
        ),
        c.terraform_ratio(),
        format!("{:.2}×", c.terraform_ratio()),
        None,
    );

    let t = &r.automtls;
    let without = t.without_tls.median / t.terraform_data.median;
    add(
        "fixed.plan_n1_ratio_without_automtls",
        "fixed cost",
        format!(
            "plan of N = {}, Terraform's AutoMTLS turned off (`TF_DISABLE_PLUGIN_TLS=1`): `jamf_api_role` ÷ \
             `terraform_data` ({:.3} s ÷ {:.3} s; with it {:.3} s, {:.2}×, in the same rounds; medians)",
            t.n,
            t.without_tls.median,
            t.terraform_data.median,
            t.with_tls.median,
            t.with_tls.median / t.terraform_data.median
        ),
        without,
        format!("{without:.2}×"),
        None,
    );
    let tls_ms = t.cpu_with_tls_ms.median - t.cpu_without_tls_ms.median;
    add(
        "fixed.automtls_cpu_ms.plan_n1",
        "fixed cost",
        format!(
            "CPU time AutoMTLS adds to a `plan` of N = {} ({} launches): terraform with its launches, with it less \
             without it ({:.0} ms − {:.0} ms; medians): terraform's P-521 certificate for each launch and both ends \
             of each handshake",
            t.n,
            r.launches.get("plan").copied().unwrap_or(0),
            t.cpu_with_tls_ms.median,
            t.cpu_without_tls_ms.median
        ),
        tls_ms,
        format!("{tls_ms:.1} ms"),
        None,
    );

    let e = &r.economy;
    let j = |k: &str| e.jamf.get(k).cloned().unwrap_or_default();
    let (m, k) = (e.jamf_each, e.maas360_users);
    let refresh = j("refresh");
    add(
        "economy.jamf.refresh.requests",
        "API economy",
        format!("Jamf requests to refresh {m} roles + {m} clients + {m} secrets (`terraform plan`)"),
        refresh.requests as f64,
        refresh.requests.to_string(),
        None,
    );
    for (key, label) in [("apply", "apply"), ("refresh", "plan (refresh)"), ("destroy", "destroy")] {
        let c = j(key);
        add(
            &format!("economy.jamf.{key}.tokens"),
            "API economy",
            format!("Jamf tokens minted by `terraform {label}` of the {} resources", 3 * m),
            c.tokens_issued as f64,
            c.tokens_issued.to_string(),
            None,
        );
    }
    let apply = j("apply");
    add(
        "economy.jamf.apply.requests",
        "API economy",
        format!("Jamf requests to apply the {} resources", 3 * m),
        apply.requests as f64,
        apply.requests.to_string(),
        None,
    );
    let maas = e.maas360.get("refresh").cloned().unwrap_or_default();
    add(
        "economy.maas360.refresh.requests",
        "API economy",
        format!("MaaS360 requests to refresh {k} script users (`terraform plan`)"),
        maas.requests as f64,
        format!(
            "{} ({} sign-in)",
            maas.requests,
            maas.by_route.iter().filter(|(r, _)| r.contains("/auth")).map(|(_, v)| v).sum::<u64>()
        ),
        None,
    );

    let l = &r.latency;
    for (key, label, p) in [("apply", "apply", &l.apply), ("refresh", "plan (refresh)", &l.refresh)] {
        let wall = p.counts.secs;
        let limit = 1.25 * p.floor_secs;
        add(
            &format!("latency.{key}.secs"),
            "latency",
            format!(
                "`terraform {label}` of {e} + {e} + {e} at {ms} ms/request, `-parallelism={par}`: wall time ({n} requests; {z:.2} s at 0 ms)",
                e = l.each,
                ms = l.latency_ms,
                par = l.parallelism,
                n = p.counts.requests,
                z = p.secs_at_zero_latency
            ),
            wall,
            format!("{wall:.2} s"),
            Some((format!("≤ 1.25 × floor {:.2} s = {limit:.2} s", p.floor_secs), wall <= limit)),
        );
        let mif = p.counts.max_in_flight;
        add(
            &format!("latency.{key}.max_in_flight"),
            "latency",
            format!("`terraform {label}`: most Jamf requests in flight at once"),
            mif as f64,
            mif.to_string(),
            Some(("≤ 5".into(), mif <= JAMF_CONCURRENCY)),
        );
    }

    let mib = f.peak_rss_kib as f64 / 1024.0;
    add(
        "footprint.peak_rss_mib",
        "footprint",
        format!("provider peak RSS (VmHWM) during the apply of {} roles ({} processes)", f.n, f.per_process_kib.len()),
        mib,
        format!("{mib:.1} MiB"),
        Some(("≤ 16 MiB".into(), f.peak_rss_kib > 0 && mib <= 16.0)),
    );
    for name in BINARIES {
        let b = f.binary_bytes.get(name).copied().unwrap_or(0);
        add(
            &format!("footprint.size.{name}"),
            "footprint",
            format!("size of `{name}`"),
            b as f64,
            fmt_mib(b as f64),
            None,
        );
    }

    if let Some(b) = &f.baseline {
        for command in [Command::Plan, Command::Apply, Command::RefreshPlan] {
            let ms = b.provider_cpu_exact_ms.get(command.id()).copied().unwrap_or(0.0);
            let ours = f.provider_cpu_exact_ms.get(command.id()).copied().unwrap_or(0.0);
            let per = if f.n > 0 { ms * 1000.0 / f.n as f64 } else { 0.0 };
            let change = if ms > 0.0 { format!("{:+.1}%", (ours / ms - 1.0) * 100.0) } else { "n/a".into() };
            add(
                &format!("baseline.provider_cpu_exact.{}", command.id()),
                "baseline",
                format!(
                    "provider CPU time, all launches, `terraform {}` of {} roles, the baseline's binary ({}) in the \
                     same rounds as the exact figure (median of 5 runs; this build: {ours:.1} ms, {change})",
                    command.label(),
                    f.n,
                    b.binaries
                ),
                ms,
                format!("{ms:.1} ms ({per:.0} µs/role)"),
                None,
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_output_is_checked() {
        assert!(check_plan_output(Command::Plan, 3, "x\nPlan: 3 to add, 0 to change, 0 to destroy.\n").is_ok());
        assert!(check_plan_output(Command::Plan, 3, "Plan: 2 to add, 0 to change, 0 to destroy.").is_err());
        assert!(check_plan_output(Command::RefreshPlan, 3, "No changes. Your infrastructure matches").is_ok());
        assert!(check_plan_output(Command::PlanNoRefresh, 3, "Plan: 0 to add, 1 to change").is_err());
    }

    #[test]
    fn counters_are_read_from_stats() {
        let c = counts(
            &json!({"total": 7, "tokensIssued": 1, "maxInFlight": 5, "requests": {"GET /api/v1/api-roles": 6}}),
            1.5,
        );
        assert_eq!((c.requests, c.tokens_issued, c.max_in_flight, c.secs), (7, 1, 5, 1.5));
        assert_eq!(c.by_route["GET /api/v1/api-roles"], 6);
    }
}
