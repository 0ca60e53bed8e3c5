//! The 404-after-create window: the one place that decides when a 404 is retried.
//!
//! Jamf Cloud runs several web-app nodes that refresh from each other about once a minute
//! (developer.jamf.com "Sticky Sessions for Jamf Cloud"). The cookie store keeps us on one node
//! where possible, but right after a create the next request can still reach a node that has not
//! seen the object and answers 404. So, for ids **this client created** in the last
//! [`REMEMBER_CREATED_FOR`], GET/PUT/DELETE/mint-secret retry a 404 within
//! [`AFTER_CREATE_404_WINDOW`] (at most 4 answers over at most about 5 s). Any other 404 is
//! returned at once: an object deleted out of band must show up immediately so that Terraform
//! plans a re-create instead of hanging. A successful delete forgets the id.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::rest::NotFoundWindow;

/// How 404s on a just-created id are retried.
pub const AFTER_CREATE_404_WINDOW: NotFoundWindow = NotFoundWindow {
    max_attempts: 4,
    min_delay: Duration::from_millis(300),
    max_delay: Duration::from_secs(2),
    max_elapsed: Duration::from_secs(5),
};

/// How long an id counts as just created (two cluster refresh periods).
pub const REMEMBER_CREATED_FOR: Duration = Duration::from_secs(120);

/// Upper bound on remembered ids; older entries are pruned first (keeps memory bounded in a
/// provider that creates thousands of objects).
const MAX_REMEMBERED: usize = 4096;

/// Which id space an id belongs to (role "1" and integration 1 are different objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// API role.
    Role,
    /// API integration.
    Integration,
}

/// Ids created by this client recently.
#[derive(Debug, Default)]
pub struct RecentlyCreated {
    ids: Mutex<HashMap<(Kind, String), Instant>>,
}

impl RecentlyCreated {
    /// Remembers an id the client just created.
    pub fn record(&self, kind: Kind, id: &str) {
        let mut ids = self.ids.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        ids.retain(|_, at| now.duration_since(*at) < REMEMBER_CREATED_FOR);
        if ids.len() >= MAX_REMEMBERED
            && let Some(oldest) = ids.iter().min_by_key(|(_, at)| **at).map(|(k, _)| k.clone())
        {
            ids.remove(&oldest);
        }
        ids.insert((kind, id.to_owned()), now);
    }

    /// Forgets an id (after a successful delete).
    pub fn forget(&self, kind: Kind, id: &str) {
        let mut ids = self.ids.lock().unwrap_or_else(|p| p.into_inner());
        ids.remove(&(kind, id.to_owned()));
    }

    /// The 404 window for a call addressing `id`: `Some` only if this client created it recently.
    pub fn window_for(&self, kind: Kind, id: &str) -> Option<NotFoundWindow> {
        let ids = self.ids.lock().unwrap_or_else(|p| p.into_inner());
        ids.get(&(kind, id.to_owned()))
            .filter(|at| at.elapsed() < REMEMBER_CREATED_FOR)
            .map(|_| AFTER_CREATE_404_WINDOW)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_recent_own_ids_get_a_window() {
        let r = RecentlyCreated::default();
        assert_eq!(r.window_for(Kind::Role, "1"), None);
        r.record(Kind::Role, "1");
        assert_eq!(r.window_for(Kind::Role, "1"), Some(AFTER_CREATE_404_WINDOW));
        assert_eq!(r.window_for(Kind::Integration, "1"), None, "separate id spaces");
        r.forget(Kind::Role, "1");
        assert_eq!(r.window_for(Kind::Role, "1"), None);
    }

    #[test]
    fn window_is_small() {
        let w = AFTER_CREATE_404_WINDOW;
        assert!(w.max_attempts <= 4 && w.max_elapsed <= Duration::from_secs(5));
    }

    #[test]
    fn memory_is_bounded() {
        let r = RecentlyCreated::default();
        for i in 0..(MAX_REMEMBERED + 10) {
            r.record(Kind::Integration, &i.to_string());
        }
        assert!(r.ids.lock().unwrap().len() <= MAX_REMEMBERED);
        assert!(r.window_for(Kind::Integration, &(MAX_REMEMBERED + 9).to_string()).is_some());
    }
}
