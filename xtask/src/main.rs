//! `cargo xtask <command>`: project chores that need more than cargo.
//!
//! - `quickstart` — the demo: both providers through real terraform against the bundled simulator.
//! - `install`    — build release providers and install them where `terraform init` finds them offline.
//! - `dist`       — a signed release in the registry's format and a provider network mirror.
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
    /// A release in the registry's format (zips, SHA256SUMS and their signatures, manifests) and a
    /// provider network mirror, for what this machine can build (see `dist package` and `dist
    /// assemble` for the release workflow's two steps).
    #[command(args_conflicts_with_subcommands = true)]
    Dist {
        #[command(subcommand)]
        step: Option<DistStep>,
        #[command(flatten)]
        release: ReleaseArgs,
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
        /// Also time another build's terraform-provider-jamf (in this directory) beside this
        /// one, in the same rounds of the exact CPU step.
        #[arg(long, value_name = "DIR")]
        baseline: Option<std::path::PathBuf>,
    },
}

/// What `dist` and `dist assemble` both take: where the release goes, who signs it, the mirror.
#[derive(clap::Args)]
struct ReleaseArgs {
    /// Output directory (default: target/dist).
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    /// GPG key (fingerprint) that signs the SHA256SUMS files; default: $MDMKIT_GPG_FINGERPRINT.
    /// Its passphrase, if any, is read from $MDMKIT_GPG_PASSPHRASE.
    #[arg(long)]
    sign_key: Option<String>,
    /// Where to write the network mirror (default: <out>/mirror); versions already there stay.
    #[arg(long)]
    mirror: Option<std::path::PathBuf>,
}

#[derive(Subcommand)]
enum DistStep {
    /// Build and zip one platform (the release workflow runs this on each platform's own runner).
    Package {
        /// The platform, e.g. linux_arm64 (default: this machine's).
        #[arg(long)]
        platform: Option<String>,
        /// Output directory (default: target/dist).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// From the zips of every platform: checksums, signatures, manifests and the network mirror.
    Assemble {
        /// The directory holding the zips `dist package` made, side by side.
        #[arg(long)]
        zips: std::path::PathBuf,
        #[command(flatten)]
        release: ReleaseArgs,
        /// The git tag released (e.g. v0.1.0): refused unless it names the version in Cargo.toml.
        #[arg(long)]
        tag: Option<String>,
        /// Refuse unless every release platform has its zips.
        #[arg(long)]
        require_all_platforms: bool,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Quickstart { keep } => quickstart::run(keep),
        Command::Install { dir } => install::run(dir),
        Command::Dist { step, release: ReleaseArgs { out, sign_key, mirror } } => match step {
            None => dist::run(dist::Mode::All { sign_key, mirror }, out),
            Some(DistStep::Package { platform, out }) => dist::run(dist::Mode::Package { platform }, out),
            Some(DistStep::Assemble {
                zips,
                release: ReleaseArgs { out, sign_key, mirror },
                tag,
                require_all_platforms,
            }) => dist::run(dist::Mode::Assemble { zips, sign_key, mirror, tag, require_all_platforms }, out),
        },
        Command::Docs { check } => docs::run(check),
        Command::Bench { quick, bin_dir, out, publish, baseline } => {
            bench::command::run(bench::command::Args { quick, bin_dir, out, publish, baseline })
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
