//! What one provider process shares between resources: the API client, list caches that answer
//! every Read of a type from one paged list, the privilege catalogue (fetched at most once), and
//! the planned state of API clients (so a secret's plan can see its client's plan).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use crate::framework::{Diagnostics, ReadRequest, StateResponse};

use super::client::{Integration, JamfClient, JamfError, Role};
use super::diag;
use super::lookup::Named;
use super::registry::Registry;

/// A loaded list and the cache generation it belongs to.
type Loaded<T> = (u64, Arc<Listed<T>>);

/// A loaded list of objects: by id, and (once asked for) their ids by display name. Plans look
/// objects up by name (is the name taken, does the role exist): scanning the list instead made a
/// plan of N objects against a tenant holding M others N × M comparisons (500 new roles beside
/// 2,000 made in the console: 16 M instructions, a fifth of the launch that plans). Built on the
/// first lookup by name, so that a refresh, which looks nothing up by name, does not pay for it.
#[derive(Clone, Debug)]
pub struct Listed<T> {
    by_id: HashMap<String, T>,
    // Several ids where the server holds several objects of one name.
    by_name: OnceLock<HashMap<String, Vec<String>>>,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Listed { by_id: HashMap::new(), by_name: OnceLock::new() }
    }
}

/// Ids in numeric order (Jamf Pro's ids are digits), any others after them by length and text.
fn id_order(a: &String, b: &String) -> std::cmp::Ordering {
    (a.len(), a).cmp(&(b.len(), b))
}

impl<T: Named> Listed<T> {
    /// The object with id `id`.
    pub fn get(&self, id: &str) -> Option<&T> {
        self.by_id.get(id)
    }

    /// Every object, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.by_id.values()
    }

    /// How many objects there are.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The objects whose display name is exactly `name`, in the order of their ids.
    pub fn named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a T> + use<'a, T> {
        let by_name = self.by_name.get_or_init(|| {
            let mut by_name: HashMap<String, Vec<String>> = HashMap::with_capacity(self.by_id.len());
            for (id, t) in &self.by_id {
                by_name.entry(t.display_name().to_string()).or_default().push(id.clone());
            }
            by_name.values_mut().filter(|ids| ids.len() > 1).for_each(|ids| ids.sort_by(id_order));
            by_name
        });
        let ids = by_name.get(name).map(Vec::as_slice).unwrap_or_default();
        ids.iter().filter_map(|id| self.by_id.get(id))
    }

    /// Add `item` under id `id`, replacing the object that had it.
    fn insert(&mut self, id: &str, item: T) {
        let name = self.by_name.get().is_some().then(|| item.display_name().to_string());
        if let Some(old) = self.by_id.insert(id.to_string(), item) {
            self.unindex(old.display_name(), id);
        }
        if let (Some(name), Some(by_name)) = (name, self.by_name.get_mut()) {
            let ids = by_name.entry(name).or_default();
            ids.push(id.to_string());
            ids.sort_by(id_order);
        }
    }

    /// Remove the object with id `id`, if any.
    fn remove(&mut self, id: &str) {
        if let Some(old) = self.by_id.remove(id) {
            self.unindex(old.display_name(), id);
        }
    }

    fn unindex(&mut self, name: &str, id: &str) {
        let Some(by_name) = self.by_name.get_mut() else { return };
        if let Some(ids) = by_name.get_mut(name) {
            ids.retain(|i| i != id);
            if ids.is_empty() {
                by_name.remove(name);
            }
        }
    }
}

impl<T: Named> FromIterator<T> for Listed<T> {
    /// Each object under its own id; of several with one id (a server that lists one twice), the
    /// last.
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut listed = Listed::default();
        for item in items {
            let id = item.id().to_string();
            listed.insert(&id, item);
        }
        listed
    }
}

/// How long a failed load answers the callers that waited for it.
const FAILURE_SHARED_FOR: Duration = Duration::from_secs(10);

/// How long after its creation a 404 for an object may be replication lag rather than a deletion.
/// Jamf Cloud's web-app nodes refresh from each other about once a minute (developer.jamf.com,
/// "Sticky Sessions for Jamf Cloud"), and a lagging node answers 404 for an object created on
/// another: seconds, at most about a minute. Two refresh periods cover a node that had just
/// refreshed when the object was created, and stay short enough that an object really deleted
/// right after its creation is planned again by the next run two minutes later.
pub const CREATED_RECENTLY_FOR: Duration = Duration::from_secs(120);

/// The waits between re-checks of an object that answered 404 within [`CREATED_RECENTLY_FOR`]
/// (about 7 s in all: long enough for a node's refresh to land often, short enough for a plan).
const LAG_RECHECKS: [Duration; 4] =
    [Duration::from_millis(500), Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(3)];

/// What a role or API client keeps in private state: when this provider created it. Written once
/// by create and carried unchanged by every read and update, so that the private state of an
/// unchanged object stays byte for byte the same across refreshes.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CreatedPrivate {
    /// Milliseconds since the Unix epoch; `None` for imported objects and older states.
    #[serde(default)]
    pub created_at: Option<u64>,
}

impl CreatedPrivate {
    /// Now, as a creation time.
    pub fn now() -> CreatedPrivate {
        CreatedPrivate { created_at: Some(now_ms()) }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Whether an object created at `created_at` (ms since the epoch) is still inside
/// [`CREATED_RECENTLY_FOR`] at `now` (ms). A creation time in the future (a clock moved back) counts
/// as recent, but only up to the window's length ahead.
pub fn created_recently(created_at: Option<u64>, now: u64) -> bool {
    let window = CREATED_RECENTLY_FOR.as_millis() as u64;
    match created_at {
        Some(at) => now.saturating_sub(at) < window && at.saturating_sub(now) < window,
        None => false,
    }
}

/// What a read of an object found.
#[derive(Debug)]
pub enum Seen<T> {
    /// It exists.
    Found(T),
    /// It does not (any more).
    Gone,
    /// It answered 404 within [`CREATED_RECENTLY_FOR`] after its creation, and still did after
    /// the re-checks: most likely a node that has not seen it yet. Keep the prior state.
    Lagging,
}

impl<T> Seen<T> {
    /// A read's answer for what was seen of the object `what` names ("API role 2", made only
    /// for the warning): the object as `model` gives it, or gone, or (lagging) the prior state
    /// kept with a warning. The private state is carried unchanged, so that an unchanged
    /// object's stays the same bytes across refreshes.
    pub fn into_read<M>(
        self,
        req: ReadRequest<M>,
        what: impl FnOnce() -> String,
        diags: &mut Diagnostics,
        model: impl FnOnce(T) -> M,
    ) -> StateResponse<M> {
        match self {
            Seen::Found(t) => StateResponse::new(model(t)).with_private(req.private),
            Seen::Gone => StateResponse::gone(),
            Seen::Lagging => {
                diags.push(diag::lagging(&what()));
                StateResponse::new(req.state).with_private(req.private)
            }
        }
    }
}

/// A list of objects by id, loaded once (single flight) and dropped on any write of its type.
pub struct ListCache<T> {
    slot: Mutex<Option<Loaded<T>>>,
    failed: Mutex<Option<(u64, Instant, JamfError)>>,
    generation: AtomicU64,
    loading: tokio::sync::Mutex<()>,
    loads: AtomicU64,
}

impl<T> Default for ListCache<T> {
    fn default() -> Self {
        ListCache {
            slot: Mutex::new(None),
            failed: Mutex::new(None),
            generation: AtomicU64::new(0),
            loading: tokio::sync::Mutex::new(()),
            loads: AtomicU64::new(0),
        }
    }
}

impl<T: Named> ListCache<T> {
    fn current(&self) -> Option<Arc<Listed<T>>> {
        let generation = self.generation.load(Ordering::Acquire);
        match &*self.slot.lock().expect("cache lock") {
            Some((g, v)) if *g == generation => Some(v.clone()),
            _ => None,
        }
    }

    /// The cached list if one is loaded and still valid (never loads).
    pub fn peek(&self) -> Option<Arc<Listed<T>>> {
        self.current()
    }

    /// The list, loading it with `load` if needed; concurrent callers share one load.
    pub async fn get<F, Fut>(&self, load: F) -> Result<Arc<Listed<T>>, JamfError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<T>, JamfError>>,
    {
        if let Some(v) = self.current() {
            return Ok(v);
        }
        let _guard = self.loading.lock().await;
        if let Some(v) = self.current() {
            return Ok(v);
        }
        let generation = self.generation.load(Ordering::Acquire);
        // Callers that queued behind a load which just failed share its error instead of each
        // starting the same doomed load (a server that is down would otherwise cost every Read
        // of the refresh a full round of retries, one after the other).
        if let Some((g, at, e)) = &*self.failed.lock().expect("cache lock")
            && *g == generation
            && at.elapsed() < FAILURE_SHARED_FOR
        {
            return Err(e.clone());
        }
        // Boxed: the load (HTTP paging) is rare, and inline it would make the future of every
        // caller, cached or not, several KiB (a slow allocation per RPC).
        let items = match Box::pin(load()).await {
            Ok(items) => items,
            Err(e) => {
                *self.failed.lock().expect("cache lock") = Some((generation, Instant::now(), e.clone()));
                return Err(e);
            }
        };
        self.loads.fetch_add(1, Ordering::Relaxed);
        let map: Arc<Listed<T>> = Arc::new(items.into_iter().collect());
        // A write during the load bumped the generation: the result serves this caller only (and
        // must not replace what the write stored).
        let mut slot = self.slot.lock().expect("cache lock");
        if self.generation.load(Ordering::Acquire) == generation {
            *slot = Some((generation, map.clone()));
        }
        Ok(map)
    }

    /// Forget the list (after a write of this type whose outcome is not known).
    pub fn invalidate(&self) {
        let _slot = self.slot.lock().expect("cache lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Apply a write the server confirmed to the loaded list (write-through), so that a run which
    /// creates or renames many objects does not page through the whole list again after each one.
    /// With no valid list loaded, only makes sure a load in flight is not kept.
    pub fn apply(&self, id: &str, item: Option<T>)
    where
        T: Clone,
    {
        let mut slot = self.slot.lock().expect("cache lock");
        let generation = self.generation.fetch_add(1, Ordering::AcqRel);
        let mut map = match slot.take() {
            Some((g, map)) if g == generation => map,
            _ => return,
        };
        // In place unless a reader still holds the list: copying it for every write made an
        // apply of N objects O(N²) (500 roles: 60% of the applying launch's instructions).
        match item {
            Some(t) => Arc::make_mut(&mut map).insert(id, t),
            None => Arc::make_mut(&mut map).remove(id),
        }
        *slot = Some((generation + 1, map));
    }

    /// The list for a plan-time check: the valid loaded one, or a first load when this process has
    /// loaded none yet. `None` once a write of this process dropped the list: that is an apply,
    /// whose plan already made the check, and a reload per planned resource would cost a full
    /// paged list each.
    pub async fn get_for_check<F, Fut>(&self, load: F) -> Option<Result<Arc<Listed<T>>, JamfError>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<T>, JamfError>>,
    {
        if let Some(v) = self.current() {
            return Some(Ok(v));
        }
        if self.loads() > 0 {
            return None;
        }
        Some(self.get(load).await)
    }

    /// How many times the list was loaded.
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }
}

/// The planned values of an API client, recorded by its plan for the plans that follow.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedClient {
    /// Whether the client is planned enabled; `None` while the plan does not know yet.
    pub enabled: Option<bool>,
    /// The display names of the roles the client is planned to hold; `None` while unknown.
    pub authorization_scopes: Option<Vec<String>>,
    /// The client's OAuth client ID, which never changes for the life of the client; `None`
    /// while the client is not created yet.
    pub client_id: Option<String>,
}

/// Everything a Jamf resource receives.
pub struct JamfData {
    /// The Jamf Pro API client every resource and data source calls.
    pub client: JamfClient,
    /// Every API role by id, loaded once and dropped or updated on each write of a role.
    pub roles: ListCache<Role>,
    /// Every API client by id, loaded once and dropped or updated on each write of a client.
    pub integrations: ListCache<Integration>,
    /// The display names planned and the ids managed by the configuration this process plans.
    pub registry: Registry,
    privileges: OnceCell<Result<Arc<Vec<String>>, JamfError>>,
    // Keyed by the ids of this configuration's own objects, hashed with foldhash like the
    // registry's maps: every plan of a refresh records here.
    planned_clients: Mutex<foldhash::HashMap<String, PlannedClient>>,
    /// Role id → the display name its plan gives it (so a secret can tell a rename from a change
    /// of its client's roles).
    planned_roles: Mutex<foldhash::HashMap<String, String>>,
}

impl JamfData {
    /// What a configured provider hands its resources: `client`, with empty caches and nothing
    /// planned yet.
    pub fn new(client: JamfClient) -> JamfData {
        JamfData {
            client,
            roles: ListCache::default(),
            integrations: ListCache::default(),
            registry: Registry::default(),
            privileges: OnceCell::new(),
            planned_clients: Mutex::default(),
            planned_roles: Mutex::default(),
        }
    }

    /// Every API role by id.
    pub async fn all_roles(&self) -> Result<Arc<Listed<Role>>, JamfError> {
        self.roles.get(|| self.client.list_roles()).await
    }

    /// Every API client by id.
    pub async fn all_integrations(&self) -> Result<Arc<Listed<Integration>>, JamfError> {
        self.integrations.get(|| self.client.list_integrations()).await
    }

    /// Every API role by id for a plan-time check ([`ListCache::get_for_check`]).
    pub async fn roles_for_check(&self) -> Option<Result<Arc<Listed<Role>>, JamfError>> {
        self.roles.get_for_check(|| self.client.list_roles()).await
    }

    /// Every API client by id for a plan-time check ([`ListCache::get_for_check`]).
    pub async fn integrations_for_check(&self) -> Option<Result<Arc<Listed<Integration>>, JamfError>> {
        self.integrations.get_for_check(|| self.client.list_integrations()).await
    }

    /// One role: answered from the list; a role missing from it is confirmed with a GET (so a
    /// stale list can never make Terraform recreate a role that exists). `None` = gone.
    pub async fn role(&self, id: &str) -> Result<Option<Role>, JamfError> {
        if let Some(r) = self.all_roles().await?.get(id) {
            return Ok(Some(r.clone()));
        }
        // Boxed, like the list load: rare, and large.
        match Box::pin(self.client.get_role(id)).await {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One API client, like [`JamfData::role`].
    pub async fn integration(&self, id: &str) -> Result<Option<Integration>, JamfError> {
        if let Some(i) = self.all_integrations().await?.get(id) {
            return Ok(Some(i.clone()));
        }
        match Box::pin(self.client.get_integration(id)).await {
            Ok(i) => Ok(Some(i)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// [`JamfData::role`] for a role created at `created_at`: a 404 soon after the creation is
    /// re-checked (see [`Seen::Lagging`]).
    pub async fn role_seen(&self, id: &str, created_at: Option<u64>) -> Result<Seen<Role>, JamfError> {
        let first = self.role(id).await?;
        seen(first, created_at, &self.client, || async { self.client.get_role(id).await.map(Some) }).await
    }

    /// [`JamfData::integration`] for an API client created (or given a secret) at `created_at`,
    /// like [`JamfData::role_seen`].
    pub async fn integration_seen(&self, id: &str, created_at: Option<u64>) -> Result<Seen<Integration>, JamfError> {
        let first = self.integration(id).await?;
        seen(first, created_at, &self.client, || async { self.client.get_integration(id).await.map(Some) }).await
    }

    /// The privilege catalogue of this Jamf Pro, fetched at most once per process (a failure is
    /// remembered too, so a broken catalogue endpoint costs one attempt, not one per role).
    pub async fn privileges(&self) -> Result<Arc<Vec<String>>, JamfError> {
        if let Some(known) = self.privileges.get() {
            return known.clone();
        }
        let load = || Box::pin(async { self.client.list_privileges().await.map(Arc::new) });
        self.privileges.get_or_init(load).await.clone()
    }

    /// Record what API client `id` is planned (or, after an apply, known) to be, for the plans and
    /// creates of its secret that follow; replaces what was recorded before.
    pub fn record_planned_client(&self, id: &str, planned: PlannedClient) {
        self.planned_clients.lock().expect("planned lock").insert(id.to_string(), planned);
    }

    /// What was last recorded for API client `id` in this process, if anything.
    pub fn planned_client(&self, id: &str) -> Option<PlannedClient> {
        self.planned_clients.lock().expect("planned lock").get(id).cloned()
    }

    /// Record the display name role `id` is planned to have, so a secret can tell a rename of the
    /// role from a change of its client's roles.
    pub fn record_planned_role(&self, id: &str, display_name: &str) {
        self.planned_roles.lock().expect("planned lock").insert(id.to_string(), display_name.to_string());
    }

    /// The display name last recorded for role `id` in this process, if any.
    pub fn planned_role_name(&self, id: &str) -> Option<String> {
        self.planned_roles.lock().expect("planned lock").get(id).cloned()
    }
}

/// Re-checks an object that was not found while it is inside its creation window.
async fn seen<T, F, Fut>(
    first: Option<T>,
    created_at: Option<u64>,
    client: &JamfClient,
    get: F,
) -> Result<Seen<T>, JamfError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Option<T>, JamfError>>,
{
    if let Some(t) = first {
        return Ok(Seen::Found(t));
    }
    for delay in LAG_RECHECKS {
        if !created_recently(created_at, now_ms()) {
            return Ok(Seen::Gone);
        }
        tracing::debug!(?delay, "jamf: an object created moments ago answered 404; checking again");
        if !client.pause(delay).await {
            break;
        }
        match Box::pin(get()).await {
            Ok(Some(t)) => return Ok(Seen::Found(t)),
            Ok(None) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(if created_recently(created_at, now_ms()) { Seen::Lagging } else { Seen::Gone })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// An object whose id is its display name too.
    #[derive(Clone)]
    struct Item(String);

    impl Named for Item {
        const KIND: &'static str = "item";
        const RESOURCE_TYPE: &'static str = "test_item";
        const EXAMPLE_ID: &'static str = "1";

        fn id(&self) -> &str {
            &self.0
        }

        fn display_name(&self) -> &str {
            &self.0
        }
    }

    /// A role named `name`, as a list carries it.
    fn obj(id: &str, name: &str) -> Role {
        Role { id: id.into(), display_name: name.into(), privileges: Vec::new() }
    }

    fn ids<'a>(found: impl Iterator<Item = &'a Role>) -> Vec<&'a str> {
        found.map(|o| o.id.as_str()).collect()
    }

    #[test]
    fn a_list_finds_its_objects_by_display_name_through_renames_and_removals() {
        let mut list: Listed<Role> = [obj("10", "A"), obj("2", "B"), obj("9", "A")].into_iter().collect();
        assert!(list.by_name.get().is_none(), "no index before a lookup by name");
        assert_eq!(ids(list.named("A")), ["9", "10"], "every holder, in the order of their ids");
        assert!(list.named("a").next().is_none(), "names are exact");
        list.insert("10", obj("10", "C"));
        list.insert("1", obj("1", "A"));
        assert_eq!(ids(list.named("A")), ["1", "9"], "a renamed object no longer holds its old name");
        assert_eq!(ids(list.named("C")), ["10"]);
        list.remove("9");
        list.remove("1");
        list.remove("404");
        assert!(list.named("A").next().is_none());
        assert_eq!((list.len(), list.by_name.get().map(HashMap::len)), (2, Some(2)), "no name without an object");
    }

    #[test]
    fn writes_before_the_first_lookup_by_name_are_found_by_it() {
        let mut list: Listed<Role> = [obj("1", "A"), obj("2", "B")].into_iter().collect();
        list.insert("1", obj("1", "C"));
        list.remove("2");
        list.insert("3", obj("3", "B"));
        assert!(list.named("A").next().is_none());
        assert_eq!((ids(list.named("B")), ids(list.named("C"))), (vec!["3"], vec!["1"]));
    }

    #[test]
    fn an_id_listed_twice_is_one_object_under_its_last_name() {
        let list: Listed<Role> = [obj("1", "A"), obj("1", "B")].into_iter().collect();
        assert_eq!(list.len(), 1);
        assert!(list.named("A").next().is_none());
        assert_eq!(ids(list.named("B")), ["1"]);
    }

    #[tokio::test]
    async fn a_confirmed_write_moves_names_in_the_cached_list_and_not_in_a_readers_copy() {
        let cache: ListCache<Role> = ListCache::default();
        cache.get(|| async { Ok(vec![obj("1", "Old"), obj("2", "Other")]) }).await.unwrap();
        cache.apply("1", Some(obj("1", "New")));
        let held = cache.peek().unwrap();
        assert!(held.named("Old").next().is_none());
        assert_eq!(ids(held.named("New")), ["1"]);
        cache.apply("2", None);
        cache.apply("3", Some(obj("3", "Old")));
        assert_eq!(ids(held.named("Other")), ["2"], "the reader's list stays as it was");
        let now = cache.peek().unwrap();
        assert!(now.named("Other").next().is_none());
        assert_eq!(ids(now.named("Old")), ["3"]);
    }

    #[tokio::test]
    async fn concurrent_reads_share_one_load_and_writes_invalidate() {
        let cache: Arc<ListCache<Item>> = Arc::new(ListCache::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let cache = cache.clone();
            let calls = calls.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        Ok(vec![Item("1".into()), Item("2".into())])
                    })
                    .await
                    .unwrap()
                    .len()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 2);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(cache.peek().is_some());
        cache.invalidate();
        assert!(cache.peek().is_none());
        let v = cache.get(|| async { Ok(vec![Item("3".into())]) }).await.unwrap();
        assert!(v.get("3").is_some());
        assert_eq!(cache.loads(), 2);
    }

    #[tokio::test]
    async fn a_failed_load_is_shared_with_the_callers_waiting_for_it() {
        let cache: Arc<ListCache<Item>> = Arc::new(ListCache::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let cache = cache.clone();
            let calls = calls.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        Err(JamfError::invalid_config("server down"))
                    })
                    .await
                    .is_err()
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one load for everyone");
        // A write starts a new generation: the next caller tries again.
        cache.invalidate();
        assert!(cache.get(|| async { Ok(vec![Item("1".into())]) }).await.is_ok());
    }

    #[tokio::test]
    async fn confirmed_writes_update_the_loaded_list_without_a_reload() {
        let cache: ListCache<Item> = ListCache::default();
        // Nothing loaded: a write is not cached (there is no list to add it to).
        cache.apply("9", Some(Item("9".into())));
        assert!(cache.peek().is_none());
        cache.get(|| async { Ok(vec![Item("1".into())]) }).await.unwrap();
        cache.apply("2", Some(Item("2".into())));
        cache.apply("1", None);
        let v = cache.get(|| async { panic!("no reload after a confirmed write") }).await.unwrap();
        assert_eq!(v.values().map(|i| i.0.as_str()).collect::<Vec<_>>(), ["2"]);
        assert_eq!(cache.loads(), 1);
    }

    #[tokio::test]
    async fn a_confirmed_write_updates_the_list_in_place_unless_a_reader_holds_it() {
        let cache: ListCache<Item> = ListCache::default();
        cache.get(|| async { Ok((0..100).map(|i| Item(i.to_string())).collect()) }).await.unwrap();
        let before = Arc::as_ptr(&cache.peek().unwrap());
        cache.apply("100", Some(Item("100".into())));
        assert_eq!(Arc::as_ptr(&cache.peek().unwrap()), before, "no copy of the list for an addition");
        cache.apply("0", None);
        let after = cache.peek().unwrap();
        assert_eq!(Arc::as_ptr(&after), before, "nor for a removal");
        assert_eq!(after.len(), 100);
        // A reader's list stays as it was; the cache moves on to a copy.
        cache.apply("101", Some(Item("101".into())));
        assert!(after.get("101").is_none() && after.get("100").is_some());
        let now = cache.peek().unwrap();
        assert!(now.get("101").is_some() && now.get("100").is_some() && now.get("0").is_none());
        assert_eq!(cache.loads(), 1);
    }

    #[tokio::test]
    async fn a_load_overlapping_a_write_is_not_kept() {
        let cache: Arc<ListCache<Item>> = Arc::new(ListCache::default());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let c = cache.clone();
        let load = tokio::spawn(async move {
            c.get(|| async move {
                rx.await.unwrap();
                Ok(vec![Item("old".into())])
            })
            .await
            .unwrap()
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        cache.invalidate();
        tx.send(()).unwrap();
        assert!(load.await.unwrap().get("old").is_some(), "the caller gets its result");
        assert!(cache.peek().is_none(), "but it is not cached: a write happened meanwhile");
    }

    #[test]
    fn the_creation_window_is_bounded_both_ways() {
        let w = CREATED_RECENTLY_FOR.as_millis() as u64;
        let now = 10 * w;
        assert!(created_recently(Some(now), now));
        assert!(created_recently(Some(now - w + 1), now));
        assert!(!created_recently(Some(now - w), now), "after the window a 404 means gone");
        assert!(!created_recently(None, now), "imported objects have no window");
        assert!(created_recently(Some(now + 1000), now), "a clock a little behind");
        assert!(!created_recently(Some(u64::MAX), now), "but not a creation time far in the future");
        assert!(CREATED_RECENTLY_FOR <= Duration::from_secs(180) && CREATED_RECENTLY_FOR >= Duration::from_secs(60));
    }

    #[test]
    fn the_creation_time_reads_back_and_an_empty_one_costs_no_bytes() {
        let p = crate::framework::Private::from_typed(&CreatedPrivate { created_at: Some(1_700_000_000_000) });
        assert_eq!(p.to_bytes(), br#"{"created_at":1700000000000}"#);
        assert_eq!(p.typed::<CreatedPrivate>().created_at, Some(1_700_000_000_000));
        assert!(crate::framework::Private::from_typed(&CreatedPrivate::default()).to_bytes().is_empty());
    }
}
