//! `mdm-sim`: the Jamf Pro + MaaS360 simulator. All of it lives in the `mdm_sim` library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    mdm_sim::cli::run(mdm_sim::cli::Args::parse()).await
}
