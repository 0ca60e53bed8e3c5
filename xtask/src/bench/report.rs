//! What a run produces: the raw runs and counters (JSON) and the figures, each beside its target,
//! as a markdown table.

use std::collections::BTreeMap;

use serde::Serialize;

use super::procfs::Machine;
use super::stats::Summary;

/// The terraform commands of the per-resource comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    /// `plan` with no state: every resource is to be created.
    Plan,
    /// `apply -auto-approve` from no state.
    Apply,
    /// `plan` with every resource in the state: refresh (a Read each) then plan.
    RefreshPlan,
    /// `plan -refresh=false` with every resource in the state.
    PlanNoRefresh,
}

impl Command {
    pub const ALL: [Command; 4] = [Command::Plan, Command::Apply, Command::RefreshPlan, Command::PlanNoRefresh];

    pub fn id(self) -> &'static str {
        match self {
            Command::Plan => "plan",
            Command::Apply => "apply",
            Command::RefreshPlan => "refresh-plan",
            Command::PlanNoRefresh => "plan-refresh-false",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Command::Plan => "plan (empty state)",
            Command::Apply => "apply",
            Command::RefreshPlan => "plan (applied state: refresh)",
            Command::PlanNoRefresh => "plan -refresh=false",
        }
    }

    pub fn args(self) -> &'static [&'static str] {
        match self {
            Command::Plan | Command::RefreshPlan => &["plan", "-input=false"],
            Command::Apply => &["apply", "-auto-approve", "-input=false"],
            Command::PlanNoRefresh => &["plan", "-refresh=false", "-input=false"],
        }
    }
}

/// Which side of a comparison a run belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// N `jamf_api_role` through our provider.
    Ours,
    /// N `floor_role` through the floor provider: `jamf_api_role`'s schema, no work.
    Floor,
    /// N `terraform_data`.
    TerraformData,
}

/// One timed terraform command of the per-resource comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub command: Command,
    pub n: usize,
    pub side: Side,
    /// 0 for the first run of this command and N (warm-ups first).
    pub index: usize,
    pub warmup: bool,
    pub secs: f64,
}

/// The counted runs of one command and N, every side.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub command: Command,
    pub n: usize,
    pub ours: Summary,
    pub floor: Summary,
    pub terraform_data: Summary,
}

/// Simulator counters for one terraform command.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub secs: f64,
    pub requests: u64,
    pub tokens_issued: u64,
    pub max_in_flight: u64,
    /// Requests per route template (`GET /api/v1/api-roles`, ...).
    pub by_route: BTreeMap<String, u64>,
}

/// The API-economy runs: counters per command.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Economy {
    /// Roles, clients and secrets each (Jamf).
    pub jamf_each: usize,
    pub jamf: BTreeMap<String, Counts>,
    /// Script users (MaaS360).
    pub maas360_users: usize,
    pub maas360: BTreeMap<String, Counts>,
}

/// One phase of the realistic-latency run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LatencyPhase {
    pub counts: Counts,
    /// requests × latency ÷ the provider's concurrency limit (5).
    pub floor_secs: f64,
    /// The same command with the simulator at latency 0.
    pub secs_at_zero_latency: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Latency {
    pub latency_ms: u64,
    pub parallelism: u32,
    /// Roles, clients and secrets each.
    pub each: usize,
    pub apply: LatencyPhase,
    pub refresh: LatencyPhase,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Footprint {
    /// N of the runs sampled.
    pub n: usize,
    /// Highest `VmHWM` among the provider processes of the apply (KiB).
    pub peak_rss_kib: u64,
    /// `VmHWM` of each provider process seen (KiB).
    pub per_process_kib: Vec<u64>,
    /// Size of each binary (bytes).
    pub binary_bytes: BTreeMap<String, u64>,
    /// CPU time of all provider launches of a command at N (ms), by command id, as sampled from
    /// `/proc` every 5 ms (a lower bound).
    pub provider_cpu_ms: BTreeMap<String, f64>,
    /// The same, each launch timed by its parent when it exits (exact).
    pub provider_cpu_exact_ms: BTreeMap<String, f64>,
    /// Terraform's own CPU time beside the provider and beside `terraform_data`.
    pub terraform_cpu: TerraformCpu,
    /// The provider's CPU for a `plan` against a tenant that already holds many roles.
    pub populated: PopulatedPlan,
    /// With `--baseline`: another build's provider timed the same way, in the same rounds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineCpu>,
}

/// Another build's `terraform-provider-jamf` (`--baseline`), its launches timed as the exact
/// figure's are, in the same rounds (one more side of each): a change of a few per cent that
/// two separate runs on a shared machine cannot show.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BaselineCpu {
    /// Where its binary came from.
    pub binaries: String,
    /// CPU time of all its launches of a command at N (ms), by command id (median).
    pub provider_cpu_exact_ms: BTreeMap<String, f64>,
}

/// The provider's CPU time (all launches, each timed by its parent; median) for the `plan` of
/// `n` new roles against a tenant already holding `existing` roles made elsewhere.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PopulatedPlan {
    pub n: usize,
    pub existing: usize,
    pub provider_ms: f64,
}

/// CPU time of one command (ms, medians of a few runs): the provider's launches, and terraform's
/// own (its total with everything it waited for, less the provider's launches) with our provider
/// and over as many `terraform_data`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct OwnCpu {
    pub provider_ms: f64,
    pub terraform_with_provider_ms: f64,
    pub terraform_with_terraform_data_ms: f64,
}

impl OwnCpu {
    /// How much more CPU terraform itself spends with the provider than with `terraform_data`.
    pub fn terraform_ratio(&self) -> f64 {
        if self.terraform_with_terraform_data_ms > 0.0 {
            self.terraform_with_provider_ms / self.terraform_with_terraform_data_ms
        } else {
            f64::NAN
        }
    }
}

/// [`OwnCpu`] of `plan`, `apply` and the refresh `plan` at the largest N, and of `plan` at the
/// smallest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TerraformCpu {
    pub n: usize,
    /// By command id.
    pub by_command: BTreeMap<String, OwnCpu>,
    pub n_lo: usize,
    pub plan_n_lo: OwnCpu,
}

/// A `plan` of `n` roles with Terraform's AutoMTLS as it comes and turned off
/// (`TF_DISABLE_PLUGIN_TLS=1`), beside `n` `terraform_data`, in the same rounds: what the TLS
/// set-up of each launch costs (terraform's P-521 certificate, both ends of the handshake).
#[derive(Debug, Clone, Serialize)]
pub struct AutoMtls {
    pub n: usize,
    /// Wall time (s).
    pub with_tls: Summary,
    pub without_tls: Summary,
    pub terraform_data: Summary,
    /// CPU time of terraform and everything it waited for, the provider's launches included (ms).
    pub cpu_with_tls_ms: Summary,
    pub cpu_without_tls_ms: Summary,
    /// Launches terraform logged as secured with AutoMTLS in one `plan` each way (checked: some
    /// with it, none without).
    pub secured_launches: [u64; 2],
}

/// One figure of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// Stable key, e.g. `per_resource.ratio.plan`.
    pub id: String,
    pub section: String,
    pub name: String,
    pub value: f64,
    /// The value as printed, with its unit.
    pub shown: String,
    /// The target as printed ("—" when there is none).
    pub target: String,
    /// `ok`, `miss`, or empty when there is no target.
    pub status: String,
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `full` or `quick`.
    pub profile: String,
    /// Where the provider and simulator binaries came from.
    pub binaries: String,
    pub started_at: String,
    pub elapsed_secs: f64,
    pub machine: Machine,
    pub ns: Vec<usize>,
    pub warmups: usize,
    pub counted_runs: usize,
    pub per_resource: Vec<Cell>,
    pub runs: Vec<Run>,
    pub handshake_tls_ms: Summary,
    pub handshake_plain_ms: Summary,
    /// Provider launches per terraform command (`init`, `plan`, `apply`, `refresh-plan`, `destroy`).
    pub launches: BTreeMap<String, u64>,
    pub automtls: AutoMtls,
    pub economy: Economy,
    pub latency: Latency,
    pub footprint: Footprint,
    pub figures: Vec<Figure>,
}

fn secs(v: f64) -> String {
    if v < 10.0 { format!("{v:.3}") } else { format!("{v:.2}") }
}

fn summary_cell(s: &Summary) -> String {
    format!("{} / **{}** / {}", secs(s.min), secs(s.median), secs(s.max))
}

impl Report {
    /// The per-resource timings as a markdown table.
    pub fn per_resource_markdown(&self) -> String {
        let mut t = String::from(
            "| command | N | `jamf_api_role` (s) | floor (s) | `terraform_data` (s) |\n|---|---:|---:|---:|---:|\n",
        );
        for c in &self.per_resource {
            t.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                c.command.label(),
                c.n,
                summary_cell(&c.ours),
                summary_cell(&c.floor),
                summary_cell(&c.terraform_data)
            ));
        }
        t
    }

    /// The figures, each beside its target, as a markdown table.
    pub fn figures_markdown(&self) -> String {
        let mut t = String::from("| section | figure | value | target | result |\n|---|---|---:|---|---|\n");
        for f in &self.figures {
            let status = if f.status.is_empty() { "—" } else { f.status.as_str() };
            t.push_str(&format!("| {} | {} | {} | {} | {} |\n", f.section, f.name, f.shown, f.target, status));
        }
        t
    }

    /// The whole result as markdown: what ran, the figures, the per-resource timings, the machine.
    pub fn markdown(&self) -> String {
        let m = &self.machine;
        format!(
            "### Figures\n\n{}\n### Per-resource timings\n\nmin / **median** / max of {} counted run{} (after {} warm-up{}), \
             `jamf_api_role`, floor (`floor_role`: the same schema, no work) and `terraform_data` runs alternated, \
             simulator latency 0.\n\n{}\n\
             ### Machine\n\n- {} CPUs ({}), {} GiB RAM, {} (kernel {})\n- {}; {}\n- load average at start {} / at end {} \
             (1, 5, 15 min); shared machine: other builds and tests ran at the same time\n- {} run of the binaries in {}, \
             started {} and took {:.0} s\n",
            self.figures_markdown(),
            self.counted_runs,
            if self.counted_runs == 1 { "" } else { "s" },
            self.warmups,
            if self.warmups == 1 { "" } else { "s" },
            self.per_resource_markdown(),
            m.cpus,
            m.cpu_model,
            m.memory_gib,
            m.os,
            m.kernel,
            m.terraform,
            m.rustc,
            m.load_at_start,
            m.load_at_end,
            self.profile,
            self.binaries,
            self.started_at,
            self.elapsed_secs
        )
    }
}
