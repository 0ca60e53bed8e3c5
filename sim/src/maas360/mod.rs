//! The IBM MaaS360 simulator: authentication 1.0 / 2.0 / refresh, the admin-provisioning APIs, audit and
//! login reports, the per-billing-ID rate limit (`reference/maas360-api.md` §7.3). `state.rs` holds the
//! rules, `api.rs` the vendor routes, `control.rs` the `/_sim/maas360/...` routes, `unverified.rs` the
//! names no public source confirms and `roles.rs` the roles both of those use.

mod api;
mod control;
#[cfg(test)]
mod http_tests;
mod roles;
mod state;
pub mod unverified;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

pub(crate) use state::MaasState;
pub use state::{
    BUILT_IN_ROLES, Maas360AdminCredentials, MaasSettings, PARTNER_ADMINISTRATOR, SERVICE_ADMINISTRATOR,
    check_password_rule, codes,
};

pub(crate) use api::{rate_budget, routes};
pub(crate) use control::ROUTES as CONTROL_ROUTES;

/// MaaS360 half of the simulator configuration. Credentials left `None` are generated at start (or taken
/// from the state file, when one is loaded).
#[derive(Debug, Clone)]
pub struct Maas360SimConfig {
    pub billing_id: Option<String>,
    pub app_id: Option<String>,
    /// Default `"1.0"`.
    pub app_version: Option<String>,
    /// Default `"3"`.
    pub platform_id: Option<String>,
    pub app_access_key: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Latency added to every MaaS360 API request (the faults' baseline).
    pub latency_ms: u64,
    /// Auth token lifetime, 3600 s like the real service.
    pub token_ttl_seconds: u64,
    pub refresh_token_ttl_seconds: u64,
    /// Requests per billing ID per window before 429.
    pub rate_limit_budget: u64,
    pub rate_limit_window_seconds: u64,
}

impl Default for Maas360SimConfig {
    fn default() -> Self {
        let s = MaasSettings::default();
        Maas360SimConfig {
            billing_id: None,
            app_id: None,
            app_version: None,
            platform_id: None,
            app_access_key: None,
            username: None,
            password: None,
            latency_ms: 0,
            token_ttl_seconds: s.token_ttl_seconds,
            refresh_token_ttl_seconds: s.refresh_token_ttl_seconds,
            rate_limit_budget: s.rate_limit_budget,
            rate_limit_window_seconds: s.rate_limit_window_seconds,
        }
    }
}

impl Maas360SimConfig {
    pub(crate) fn settings(&self) -> MaasSettings {
        MaasSettings {
            token_ttl_seconds: self.token_ttl_seconds,
            refresh_token_ttl_seconds: self.refresh_token_ttl_seconds,
            rate_limit_budget: self.rate_limit_budget,
            rate_limit_window_seconds: self.rate_limit_window_seconds,
        }
    }
}

/// Rate-limit windows: bucket (billing ID) → (window start in ms, requests counted).
type Windows = HashMap<String, (u64, u64)>;

pub(crate) struct MaasSim {
    pub default_settings: MaasSettings,
    state: Mutex<MaasState>,
    windows: Mutex<Windows>,
}

impl MaasSim {
    pub fn new(default_settings: MaasSettings, state: MaasState) -> Self {
        MaasSim { default_settings, state: Mutex::new(state), windows: Mutex::new(HashMap::new()) }
    }

    pub fn lock(&self) -> MutexGuard<'_, MaasState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn windows(&self) -> MutexGuard<'_, Windows> {
        self.windows.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Back to the seeded customer with the same credentials and the configured settings.
    pub fn reset(&self) {
        let mut st = self.lock();
        *st = MaasState::seeded(st.admin.clone(), self.default_settings.clone());
        self.windows().clear();
    }
}
