//! The benchmark (`cargo xtask bench`) never rots: its quick profile runs here with the debug
//! binaries, through real terraform and `mdm-sim`, and must produce a complete table, JSON and
//! chart. Timings are never asserted: they mean nothing on a shared machine with debug builds.

use serde_json::Value;
use xtask::bench::{BASELINE_FIGURE_IDS, BenchOptions, Command, FIGURE_IDS};

#[test]
fn quick_bench_writes_a_complete_table_json_and_chart() {
    let Some(terraform) = devkit::terraform_or_skip("quick_bench_writes_a_complete_table_json_and_chart") else {
        return;
    };
    // The debug binaries of this workspace, all in one directory (the bench runs them from there).
    let bin_dir = devkit::built_binaries_dir();
    for bin in ["terraform-provider-jamf", "terraform-provider-maas360", "mdm-sim", "terraform-provider-floor"] {
        devkit::built_binary(bin).unwrap_or_else(|e| panic!("{e}"));
    }
    let out = tempfile::Builder::new().prefix("bench-smoke").tempdir().expect("temp dir");
    let mut opts = BenchOptions::new(&bin_dir, terraform, out.path());
    opts.quick = true;
    opts.chart_copy = Some(out.path().join("copy/plan-vs-n.svg"));
    // The same binaries as their own baseline: the baseline's side runs, its rows follow.
    opts.baseline_dir = Some(bin_dir.clone());
    let report = xtask::bench::run(&opts).unwrap_or_else(|e| panic!("the quick bench failed: {e}"));

    // Every figure, in order, beside a target or a dash, in the printed table and in bench.md;
    // without a baseline, the same figures but its rows.
    let ids: Vec<&str> = report.figures.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, [FIGURE_IDS, BASELINE_FIGURE_IDS].concat());
    let mut without = report.clone();
    without.footprint.baseline = None;
    let ids: Vec<String> = xtask::bench::figures(&without).into_iter().map(|f| f.id).collect();
    assert_eq!(ids, FIGURE_IDS);
    let md = std::fs::read_to_string(out.path().join("bench.md")).expect("bench.md");
    assert_eq!(md, report.markdown());
    for f in &report.figures {
        let row = format!("| {} | {} | {} | {} |", f.section, f.name, f.shown, f.target);
        assert!(md.contains(&row), "bench.md lacks the row {row:?}:\n{md}");
        assert!(matches!(f.status.as_str(), "ok" | "miss" | ""), "{f:?}");
        assert_eq!(f.target == "—", f.status.is_empty(), "{f:?}");
    }
    for command in Command::ALL {
        for n in &report.ns {
            assert!(md.contains(&format!("| {} | {n} |", command.label())), "no timings of {command:?} N = {n}");
        }
    }
    assert!(md.contains("### Machine") && md.contains(&report.machine.terraform));

    // The raw runs: every command, N and side, alternated, plus the counters behind the figures.
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("bench.json")).expect("bench.json")).unwrap();
    assert_eq!(json["profile"], "quick");
    let runs = json["runs"].as_array().expect("runs");
    let per_cell = report.warmups + report.counted_runs;
    assert_eq!(runs.len(), Command::ALL.len() * report.ns.len() * 3 * per_cell);
    let sides: Vec<&str> = runs.iter().map(|r| r["side"].as_str().expect("side")).collect();
    assert!(
        sides.chunks(3).all(|round| round == ["ours", "floor", "terraform_data"]),
        "runs must alternate the three sides: {sides:?}"
    );
    assert!(runs.iter().all(|r| r["secs"].as_f64().is_some_and(|s| s > 0.0)));
    assert_eq!(json["per_resource"].as_array().map(Vec::len), Some(Command::ALL.len() * report.ns.len()));
    assert_eq!(json["figures"].as_array().map(Vec::len), Some(FIGURE_IDS.len() + BASELINE_FIGURE_IDS.len()));
    let baseline = &json["footprint"]["baseline"];
    for command in ["plan", "apply", "refresh-plan"] {
        let ms = baseline["provider_cpu_exact_ms"][command].as_f64();
        assert!(ms.is_some_and(|ms| ms > 0.0), "the baseline's launches of {command} are timed: {baseline}");
    }
    let populated = &json["footprint"]["populated"];
    assert!(populated["existing"].as_u64() > Some(0) && populated["provider_ms"].as_f64() > Some(0.0), "{populated}");
    for key in ["init", "plan", "apply", "refresh-plan", "destroy"] {
        assert!(json["launches"][key].as_u64().is_some(), "launches of {key}");
    }
    assert!(json["launches"]["plan"].as_u64() >= Some(1));
    let economy = &json["economy"];
    for vendor in ["jamf", "maas360"] {
        for command in ["apply", "refresh", "destroy"] {
            assert!(economy[vendor][command]["requests"].as_u64().is_some(), "{vendor} {command}");
        }
        assert!(economy[vendor]["refresh"]["requests"].as_u64() > Some(0), "{vendor}: the refresh reads");
    }
    for phase in ["apply", "refresh"] {
        let p = &json["latency"][phase];
        assert!(p["counts"]["requests"].as_u64() > Some(0), "latency {phase}");
        assert!(p["floor_secs"].as_f64() > Some(0.0));
        assert!(p["counts"]["max_in_flight"].as_u64() >= Some(1));
    }
    assert!(json["footprint"]["peak_rss_kib"].as_u64() > Some(0), "the sampler saw the provider");
    for command in ["plan", "apply", "refresh-plan"] {
        assert!(json["footprint"]["provider_cpu_ms"][command].as_f64().is_some(), "provider CPU of {command}");
        let exact = json["footprint"]["provider_cpu_exact_ms"][command].as_f64();
        assert!(exact.is_some_and(|ms| ms > 0.0), "each launch of {command} is timed: {exact:?}");
    }
    let terraform_cpu = &json["footprint"]["terraform_cpu"];
    for command in ["plan", "apply", "refresh-plan"] {
        let c = &terraform_cpu["by_command"][command];
        for side in ["terraform_with_provider_ms", "terraform_with_terraform_data_ms", "provider_ms"] {
            assert!(c[side].as_f64().is_some_and(|ms| ms > 0.0), "terraform's CPU of {command}: {side} in {c}");
        }
    }
    let n1 = &terraform_cpu["plan_n_lo"];
    assert!(n1["terraform_with_terraform_data_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{n1}");
    assert!(json["handshake_tls_ms"]["samples"].as_array().is_some_and(|s| !s.is_empty()));
    // The plans of one with and without AutoMTLS: as many of each as counted runs, and really
    // secured one way and not the other (terraform's log of one plan each way).
    let tls = &json["automtls"];
    for key in ["with_tls", "without_tls", "terraform_data", "cpu_with_tls_ms", "cpu_without_tls_ms"] {
        let samples = tls[key]["samples"].as_array().unwrap_or_else(|| panic!("{key} in {tls}"));
        assert_eq!(samples.len(), report.counted_runs, "{key}");
        assert!(samples.iter().all(|s| s.as_f64().is_some_and(|s| s > 0.0)), "{key}: {tls}");
    }
    let launches = json["launches"]["plan"].as_u64();
    assert_eq!(tls["secured_launches"], serde_json::json!([launches, 0]), "{tls}");

    // The chart: an SVG with its labels as text (no font library involved), copied where asked.
    let svg = std::fs::read_to_string(out.path().join("plan-vs-n.svg")).expect("chart");
    assert!(svg.starts_with("<svg"));
    for text in [
        "terraform plan (empty state)",
        "terraform plan (applied state: refresh)",
        "N (resources)",
        "jamf_api_role",
        "terraform_data",
    ] {
        assert!(svg.contains(text), "the chart lacks {text:?}");
    }
    assert_eq!(std::fs::read_to_string(out.path().join("copy/plan-vs-n.svg")).expect("chart copy"), svg);

    // Nothing the bench started is left running.
    assert_eq!(xtask::bench::procfs::kill_strays(out.path()), 0);
}
