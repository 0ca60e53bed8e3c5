//! `cargo xtask <command>`: project chores that need more than cargo.
//!
//! - `quickstart` — the demo: both providers through real terraform against the bundled simulator.
//! - `install`    — build release providers and install them where `terraform init` finds them offline.
//! - `dist`       — registry release archives, checksums and manifest for this platform.
//! - `docs`       — generate `docs/` from the schemas, `examples/` and `templates/`.
//! - `bench`      — the providers against `terraform_data` through real terraform; see BENCHMARKS.md.

use clap::{Parser, Subcommand};
use xtask::{bench, dist, docs, install, quickstart};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Project chores for the mdmkit Terraform providers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the demo: build, start the simulator, apply/plan/drift/destroy examples/quickstart.
    Quickstart {
        /// Leave the simulator and the applied configuration running, and print the environment
        /// to use terraform by hand.
        #[arg(long)]
        keep: bool,
    },
    /// Build release binaries and install them into the local plugin mirror.
    Install {
        /// Mirror directory (default: ~/.terraform.d/plugins, Terraform's implied local mirror).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Build the registry release layout (zip, SHA256SUMS, manifest) for this platform.
    Dist {
        /// Output directory (default: target/dist).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Generate docs/ (or, with --check, fail when it is stale).
    Docs {
        #[arg(long)]
        check: bool,
    },
    /// Measure the providers against terraform_data through real terraform and the simulator.
    Bench {
        /// Small sizes, one counted run (what the test suite runs).
        #[arg(long)]
        quick: bool,
        /// Use the binaries in this directory instead of building release binaries.
        #[arg(long)]
        bin_dir: Option<std::path::PathBuf>,
        /// Output directory (default: target/bench, or target/bench-quick).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Also write the table into BENCHMARKS.md and the chart into docs/bench/.
        #[arg(long)]
        publish: bool,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Quickstart { keep } => quickstart::run(keep),
        Command::Install { dir } => install::run(dir),
        Command::Dist { out } => dist::run(out),
        Command::Docs { check } => docs::run(check),
        Command::Bench { quick, bin_dir, out, publish } => {
            bench::command::run(bench::command::Args { quick, bin_dir, out, publish })
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
