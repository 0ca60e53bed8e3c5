//! The `mdm-sim` command line: flags, logging to stderr, one JSON line on stdout, shutdown on Ctrl-C or
//! SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use super::{JamfSimConfig, Maas360SimConfig, SimConfig, Simulator};

/// Stateful simulator of the Jamf Pro and IBM MaaS360 APIs, for tests and demos.
///
/// Prints one JSON line on stdout with the URL and the seeded admin credentials, then logs to stderr
/// until stopped with Ctrl-C or SIGTERM.
#[derive(Debug, Parser)]
#[command(name = "mdm-sim", version, after_help = crate::control::routes_help())]
pub struct Args {
    /// Address to listen on (loopback unless --allow-remote).
    #[arg(long, default_value = "127.0.0.1:0", env = "MDM_SIM_LISTEN")]
    pub listen: SocketAddr,
    /// Allow a non-loopback --listen address.
    #[arg(long)]
    pub allow_remote: bool,
    /// JSON state file: loaded at start if present, rewritten after each change.
    #[arg(long, value_name = "FILE", env = "MDM_SIM_STATE")]
    pub state: Option<PathBuf>,
    /// Jamf privilege catalogue, one privilege per line (default: the bundled Jamf Pro 11.25.2 list).
    #[arg(long, value_name = "FILE")]
    pub privileges: Option<PathBuf>,

    /// Client ID of the seeded Jamf admin API client (default: a fresh UUID).
    #[arg(long, env = "MDM_SIM_JAMF_CLIENT_ID")]
    pub jamf_client_id: Option<String>,
    /// Its client secret (default: generated).
    #[arg(long, env = "MDM_SIM_JAMF_CLIENT_SECRET", hide_env_values = true)]
    pub jamf_client_secret: Option<String>,
    /// Username of the seeded Jamf Basic-auth admin (default: mdm-sim-admin).
    #[arg(long, env = "MDM_SIM_JAMF_USERNAME")]
    pub jamf_username: Option<String>,
    /// Its password (default: generated).
    #[arg(long, env = "MDM_SIM_JAMF_PASSWORD", hide_env_values = true)]
    pub jamf_password: Option<String>,

    /// Billing ID of the seeded MaaS360 customer (default: 8 random digits).
    #[arg(long, env = "MDM_SIM_MAAS360_BILLING_ID")]
    pub maas360_billing_id: Option<String>,
    /// App ID of its access key (default: com.BILLING_ID.mdmsim).
    #[arg(long, env = "MDM_SIM_MAAS360_APP_ID")]
    pub maas360_app_id: Option<String>,
    /// App version (default: 1.0).
    #[arg(long, env = "MDM_SIM_MAAS360_APP_VERSION")]
    pub maas360_app_version: Option<String>,
    /// Platform ID (default: 3).
    #[arg(long, env = "MDM_SIM_MAAS360_PLATFORM_ID")]
    pub maas360_platform_id: Option<String>,
    /// App access key (default: 10 random characters).
    #[arg(long, env = "MDM_SIM_MAAS360_APP_ACCESS_KEY", hide_env_values = true)]
    pub maas360_app_access_key: Option<String>,
    /// Username of the seeded primary Service Administrator (default: BILLING_ID_mdmsim_admin).
    #[arg(long, env = "MDM_SIM_MAAS360_USERNAME")]
    pub maas360_username: Option<String>,
    /// Its password (default: generated).
    #[arg(long, env = "MDM_SIM_MAAS360_PASSWORD", hide_env_values = true)]
    pub maas360_password: Option<String>,

    /// Latency added to every vendor API request, both vendors (ms).
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Latency for Jamf requests only (overrides --latency-ms).
    #[arg(long)]
    pub jamf_latency_ms: Option<u64>,
    /// Latency for MaaS360 requests only (overrides --latency-ms).
    #[arg(long)]
    pub maas360_latency_ms: Option<u64>,
    /// Lifetime of every Jamf token (default: each client's accessTokenLifetimeSeconds; 1800 for Basic).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub jamf_token_ttl_seconds: Option<u64>,
    /// Lifetime of MaaS360 auth tokens.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub maas360_token_ttl_seconds: u64,
    /// MaaS360 requests allowed per billing ID per window before 429.
    #[arg(long, default_value_t = 10_000)]
    pub maas360_rate_limit_budget: u64,
    /// Length of the MaaS360 rate-limit window (s).
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub maas360_rate_limit_window_seconds: u64,
}

impl Args {
    /// The library configuration these flags describe (reads the --privileges file).
    pub fn config(&self) -> std::io::Result<SimConfig> {
        let privileges = match &self.privileges {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            None => None,
        };
        Ok(SimConfig {
            jamf: JamfSimConfig {
                client_id: self.jamf_client_id.clone(),
                client_secret: self.jamf_client_secret.clone(),
                username: self.jamf_username.clone(),
                password: self.jamf_password.clone(),
                privileges,
                latency_ms: self.jamf_latency_ms.unwrap_or(self.latency_ms),
                token_ttl_seconds: self.jamf_token_ttl_seconds,
            },
            maas360: Maas360SimConfig {
                billing_id: self.maas360_billing_id.clone(),
                app_id: self.maas360_app_id.clone(),
                app_version: self.maas360_app_version.clone(),
                platform_id: self.maas360_platform_id.clone(),
                app_access_key: self.maas360_app_access_key.clone(),
                username: self.maas360_username.clone(),
                password: self.maas360_password.clone(),
                latency_ms: self.maas360_latency_ms.unwrap_or(self.latency_ms),
                token_ttl_seconds: self.maas360_token_ttl_seconds,
                rate_limit_budget: self.maas360_rate_limit_budget,
                rate_limit_window_seconds: self.maas360_rate_limit_window_seconds,
                ..Maas360SimConfig::default()
            },
            state_file: self.state.clone(),
            allow_remote: self.allow_remote,
        })
    }
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs `mdm-sim` until Ctrl-C / SIGTERM.
pub async fn run(args: Args) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(filter).try_init();
    let cfg = match args.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mdm-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let sim = match Simulator::start(args.listen, cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mdm-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", sim.startup_line());
        let _ = out.flush();
    }
    eprintln!("mdm-sim: Jamf Pro and MaaS360 at {} (control surface under /_sim/); Ctrl-C to stop", sim.url());
    stop_signal().await;
    tracing::info!("stopping");
    sim.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_map_to_config() {
        let a = Args::try_parse_from([
            "mdm-sim",
            "--latency-ms",
            "7",
            "--maas360-latency-ms",
            "9",
            "--jamf-client-id",
            "cid",
            "--jamf-token-ttl-seconds",
            "60",
        ])
        .unwrap();
        assert!(a.listen.ip().is_loopback());
        let c = a.config().unwrap();
        assert_eq!((c.jamf.latency_ms, c.maas360.latency_ms), (7, 9));
        assert_eq!(c.jamf.client_id.as_deref(), Some("cid"));
        assert_eq!(c.jamf.token_ttl_seconds, Some(60));
        assert_eq!(c.maas360.token_ttl_seconds, 3600);
        assert!(c.jamf.privileges.is_none());
        assert!(Args::try_parse_from(["mdm-sim", "--jamf-token-ttl-seconds", "0"]).is_err());
    }
}
