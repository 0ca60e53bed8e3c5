//! `mdm-sim`: the Jamf Pro + MaaS360 simulator. All of it lives in `mdmkit::sim`.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    mdmkit::sim::cli::run(mdmkit::sim::cli::Args::parse()).await
}
