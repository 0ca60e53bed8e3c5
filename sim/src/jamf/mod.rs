//! The Jamf Pro simulator: API roles, API integrations (clients), client secrets, OAuth and Basic tokens,
//! privilege enforcement. Behaviour follows `reference/jamf-api.md` §1 and §5; `state.rs` holds the rules,
//! `api.rs` the vendor routes, `control.rs` the `/_sim/jamf/...` routes.

mod api;
mod control;
#[cfg(test)]
mod http_tests;
pub mod rsql;
mod state;

use std::sync::{Mutex, MutexGuard};

pub(crate) use state::JamfState;
pub use state::{
    Catalogue, JamfAdminCredentials, JamfSettings, SEEDED_CLIENT_NAME, SEEDED_ROLE_NAME, USER_TOKEN_LIFETIME_SECONDS,
};

pub(crate) use api::routes;
pub(crate) use control::ROUTES as CONTROL_ROUTES;

/// Jamf half of the simulator configuration. Credentials left `None` are generated at start (or taken from
/// the state file, when one is loaded).
#[derive(Debug, Clone, Default)]
pub struct JamfSimConfig {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The privilege catalogue; `None` means the bundled `data/jamf-privileges.txt` (Jamf Pro 11.25.2).
    pub privileges: Option<Vec<String>>,
    /// Latency added to every Jamf API request (the faults' baseline).
    pub latency_ms: u64,
    /// Overrides every token lifetime (tests); `None` uses each client's `accessTokenLifetimeSeconds`.
    pub token_ttl_seconds: Option<u64>,
}

/// The bundled privilege catalogue (Jamf Pro 11.25.2, 520 names).
pub const BUNDLED_PRIVILEGES: &str = include_str!("../../../data/jamf-privileges.txt");

pub(crate) struct JamfSim {
    pub catalogue: Catalogue,
    pub default_settings: JamfSettings,
    state: Mutex<JamfState>,
}

impl JamfSim {
    pub fn new(catalogue: Catalogue, default_settings: JamfSettings, state: JamfState) -> Self {
        JamfSim { catalogue, default_settings, state: Mutex::new(state) }
    }

    pub fn lock(&self) -> MutexGuard<'_, JamfState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Back to the seeded state with the same admin credentials and the configured settings.
    pub fn reset(&self) {
        let mut st = self.lock();
        *st = JamfState::seeded(st.admin.clone(), &self.catalogue, self.default_settings.clone());
    }
}
