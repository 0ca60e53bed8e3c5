//! What the plans of one provider process tell each other about the configuration: the display
//! names its roles and clients are planned to have, and the ids of the objects it manages.
//!
//! Terraform plans every resource of a configuration in the same provider process, concurrently,
//! and tells a plan nothing about the others (not even the resource's own address). So each plan
//! claims its display name here: a second claim of the same name by another resource is a
//! duplicate within the configuration, known before anything is created. Reads and plans record
//! the ids they manage, so that a name held on the server by an object of this configuration is
//! never answered with "import it".
//!
//! Plans run in no particular order: a check that depends on another resource's plan (a role
//! named by a client, the resource that manages an object) waits a moment for it with
//! [`Registry::wait_for`], and only on the path that is about to report an error.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// How long a plan that is about to report a problem waits for the plans of the other resources
/// of the configuration (which may answer it) to run.
pub const OTHER_PLANS_GRACE: Duration = Duration::from_secs(3);

/// Who claims a display name: an object already in state (its id), or an object to be created
/// (a number unique in this process, since it has no id yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claimant {
    /// A resource whose object exists, by its id.
    Existing(String),
    /// A resource planned for creation.
    New(u64),
}

impl Claimant {
    /// The id of the object, when it exists.
    pub fn id(&self) -> Option<&str> {
        match self {
            Claimant::Existing(id) => Some(id),
            Claimant::New(_) => None,
        }
    }
}

// foldhash, not std's SipHash: every read and plan of a refresh looks names and ids up here
// (about 1% of its instructions with SipHash), and the keys are the configuration's own.
type HashMap<K, V> = foldhash::HashMap<K, V>;
type HashSet<T> = foldhash::HashSet<T>;

#[derive(Default)]
struct Inner {
    /// resource type → display name → the resources planned with it.
    claims: HashMap<&'static str, HashMap<String, Vec<Claimant>>>,
    /// resource type → ids of the objects this configuration manages (read or planned here).
    managed: HashMap<&'static str, HashSet<String>>,
}

/// The registry of one provider process (held in `JamfData`).
#[derive(Default)]
pub struct Registry {
    inner: Mutex<Inner>,
    changed: Notify,
    next_new: AtomicU64,
}

impl Registry {
    /// A claimant for a resource with prior id `id` (or a new one when it has none).
    pub fn claimant(&self, id: Option<&str>) -> Claimant {
        match id {
            Some(id) => Claimant::Existing(id.to_string()),
            None => Claimant::New(self.next_new.fetch_add(1, Ordering::Relaxed)),
        }
    }

    /// Claim `name` for `who` among resources of type `ty`; returns another resource of this
    /// configuration that claimed the same name first, if any. Claiming again is harmless.
    pub fn claim(&self, ty: &'static str, name: &str, who: &Claimant) -> Option<Claimant> {
        let other = {
            let mut inner = self.inner.lock().expect("registry lock");
            if let Some(id) = who.id() {
                record(inner.managed.entry(ty).or_default(), id);
            }
            // Looked up by the borrowed name: a plan claims its name again at every plan, and
            // only the first claim needs a key of its own.
            let by_name = inner.claims.entry(ty).or_default();
            if !by_name.contains_key(name) {
                by_name.insert(name.to_string(), Vec::new());
            }
            let claims = by_name.get_mut(name).expect("inserted above");
            let other = claims.iter().find(|c| *c != who).cloned();
            if !claims.contains(who) {
                claims.push(who.clone());
            }
            other
        };
        self.changed.notify_waiters();
        other
    }

    /// Record that the object `id` of type `ty` is managed by this configuration (its resource
    /// was read or planned in this process).
    pub fn manage(&self, ty: &'static str, id: &str) {
        record(self.inner.lock().expect("registry lock").managed.entry(ty).or_default(), id);
        self.changed.notify_waiters();
    }

    /// Whether the object `id` of type `ty` is managed by this configuration, as far as the plans
    /// so far know.
    pub fn is_managed(&self, ty: &'static str, id: &str) -> bool {
        self.inner.lock().expect("registry lock").managed.get(ty).is_some_and(|ids| ids.contains(id))
    }

    /// Whether some resource of type `ty` is planned with display name `name`.
    pub fn is_claimed(&self, ty: &'static str, name: &str) -> bool {
        let inner = self.inner.lock().expect("registry lock");
        inner.claims.get(ty).and_then(|by_name| by_name.get(name)).is_some_and(|c| !c.is_empty())
    }

    /// Every display name planned for type `ty`.
    pub fn claimed_names(&self, ty: &'static str) -> Vec<String> {
        let inner = self.inner.lock().expect("registry lock");
        let mut names: Vec<String> = inner
            .claims
            .get(ty)
            .map(|by_name| by_name.iter().filter(|(_, c)| !c.is_empty()).map(|(n, _)| n.clone()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Wait until `done` holds (checked after every claim or record), at most `grace`; whether
    /// it held.
    pub async fn wait_for(&self, grace: Duration, done: impl Fn(&Registry) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Register before checking, so a change between the check and the wait is not missed.
            changed.as_mut().enable();
            if done(self) {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return done(self);
            }
        }
    }
}

/// Add `id` to `ids`, allocating only when it is new (reads record the same ids at every refresh).
fn record(ids: &mut HashSet<String>, id: &str) {
    if !ids.contains(id) {
        ids.insert(id.to_string());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_second_resource_with_the_same_name_is_a_duplicate_and_a_re_plan_is_not() {
        let r = Registry::default();
        let a = r.claimant(Some("8"));
        let b = r.claimant(None);
        assert_eq!(r.claim("jamf_api_role", "Same", &a), None);
        assert_eq!(r.claim("jamf_api_role", "Same", &a), None, "the same resource planned again");
        assert_eq!(r.claim("jamf_api_client", "Same", &b), None, "another type is another namespace");
        assert_eq!(r.claim("jamf_api_role", "Same", &b), Some(a.clone()));
        assert_eq!(r.claim("jamf_api_role", "Other", &r.claimant(None)), None);
        let c = r.claimant(None);
        assert_ne!(b, c, "two new resources are two resources");
        assert!(r.is_managed("jamf_api_role", "8") && !r.is_managed("jamf_api_client", "8"));
        assert_eq!(r.claimed_names("jamf_api_role"), ["Other", "Same"]);
    }

    #[tokio::test]
    async fn a_wait_ends_when_another_plan_records_what_it_waits_for() {
        let r = Arc::new(Registry::default());
        let waiter = {
            let r = r.clone();
            tokio::spawn(async move { r.wait_for(Duration::from_secs(10), |r| r.is_claimed("t", "Admina")).await })
        };
        tokio::time::sleep(Duration::from_millis(30)).await;
        r.manage("t", "1");
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!waiter.is_finished(), "an unrelated record does not end the wait");
        let started = std::time::Instant::now();
        r.claim("t", "Admina", &Claimant::New(0));
        assert!(waiter.await.unwrap());
        assert!(started.elapsed() < Duration::from_secs(5));
        let started = tokio::time::Instant::now();
        assert!(!r.wait_for(Duration::from_millis(50), |r| r.is_claimed("t", "Nope")).await);
        assert!(started.elapsed() >= Duration::from_millis(50));
    }
}
