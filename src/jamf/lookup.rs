//! What `jamf_api_role` and `jamf_api_client` (and their data sources) share: finding an object
//! by id or display name, and saying so when a display name is already taken.
//!
//! Jamf Pro ids are numbers (role ids travel as strings of digits, client ids as integers), and
//! display names are unique per type but may consist of digits too. So a key of digits is first
//! taken as an id and only then as a display name; any other key can only be a display name and
//! costs no lookup by id.

use std::future::Future;

use crate::framework::{Attr, AttributePath, Diagnostic, Diagnostics};

use super::cache::{JamfData, Listed};
use super::client::{Integration, JamfError, Role};
use super::diag;
use super::registry::{Claimant, OTHER_PLANS_GRACE};

/// An object Jamf Pro identifies by id and by a unique display name.
pub trait Named {
    /// What the user calls it: "API role", "API client".
    const KIND: &'static str;
    /// Its resource type, for the import address in messages.
    const RESOURCE_TYPE: &'static str;
    /// An id of the right shape, for messages.
    const EXAMPLE_ID: &'static str;

    /// The id.
    fn id(&self) -> &str;
    /// The display name.
    fn display_name(&self) -> &str;
}

impl Named for Role {
    const KIND: &'static str = "API role";
    const RESOURCE_TYPE: &'static str = "jamf_api_role";
    const EXAMPLE_ID: &'static str = "12";

    fn id(&self) -> &str {
        &self.id
    }

    fn display_name(&self) -> &str {
        &self.display_name
    }
}

impl Named for Integration {
    const KIND: &'static str = "API client";
    const RESOURCE_TYPE: &'static str = "jamf_api_client";
    const EXAMPLE_ID: &'static str = "7";

    fn id(&self) -> &str {
        &self.id
    }

    fn display_name(&self) -> &str {
        &self.display_name
    }
}

/// Whether `key` can be a Jamf Pro id (a non-empty string of ASCII digits).
pub fn may_be_id(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit())
}

/// The diagnostic for a display name another object of the same type already has, offering to
/// adopt that object when it is known.
pub fn name_conflict<T: Named>(name: &str, existing: Option<&T>) -> Diagnostic {
    conflict::<T>(name, existing.map(Named::id), "", true)
}

/// The diagnostic for a create refused because an object that this configuration did not make
/// already has the display name ([`JamfErrorKind::NameTaken`](super::client::JamfErrorKind)).
/// It is never adopted silently: importing it is the user's decision.
/// An object another resource of this configuration manages is never offered for import.
pub fn name_taken<T: Named>(data: &JamfData, name: &str, id: &str, sent: bool) -> Diagnostic {
    let managed = data.registry.is_managed(T::RESOURCE_TYPE, id);
    let note = match (sent, managed) {
        (true, _) => {
            " It appeared while the create's answer was lost and is not what was asked for, so it was not adopted."
        }
        (false, false) => " Nothing was sent to Jamf Pro.",
        (false, true) => {
            " Nothing was sent to Jamf Pro. That object is managed by another resource of this configuration: give \
             one of the two resources another display_name."
        }
    };
    conflict::<T>(name, Some(id), note, !managed)
}

fn conflict<T: Named>(name: &str, id: Option<&str>, note: &str, offer_import: bool) -> Diagnostic {
    let (kind, resource_type) = (T::KIND, T::RESOURCE_TYPE);
    let adopt = match id.filter(|_| offer_import) {
        Some(id) => format!(
            " If that {kind} is the one this configuration should manage (for example it was created by an \
             interrupted apply), adopt it instead of creating a new one:\n\n  terraform import <this resource's \
             address> {id}\n\n(the address is shown above, e.g. {resource_type}.vendor)."
        ),
        None => String::new(),
    };
    Diagnostic::error(
        format!("{kind} display name already in use"),
        format!(
            "Jamf Pro already has an {kind} named {name:?}{}, and display names must be unique.{note} Choose \
             another display_name.{adopt}",
            id.map(|id| format!(" (id {id})")).unwrap_or_default()
        ),
    )
    .at(AttributePath::attr("display_name"))
}

/// The diagnostic for two resources of one configuration planned with the same display name.
/// Terraform does not tell a provider the address of the resource it plans, so the other one is
/// named by its type, its display name and, when it exists, its id.
pub fn duplicate_in_configuration<T: Named>(name: &str, other: &Claimant) -> Diagnostic {
    let (kind, resource_type) = (T::KIND, T::RESOURCE_TYPE);
    let other_id = match other.id() {
        Some(id) => format!(" One of them manages the existing {kind} with id {id}."),
        None => String::new(),
    };
    Diagnostic::error(
        format!("Duplicate {kind} display name in this configuration"),
        format!(
            "Two {resource_type} resources in this configuration set display_name = {name:?}, and Jamf Pro \
             requires {kind} display names to be unique, so only one of them could be created.{other_id} Give each \
             resource its own display_name (search the configuration for {name:?}; with count or for_each, include \
             count.index or each.key in the name)."
        ),
    )
    .at(AttributePath::attr("display_name"))
}

/// The diagnostic for a display name held by an object another resource of this configuration
/// manages (never an offer to import it: the configuration already holds it).
pub fn name_held_in_configuration<T: Named>(name: &str, holder: &T) -> Diagnostic {
    let (kind, resource_type) = (T::KIND, T::RESOURCE_TYPE);
    Diagnostic::error(
        format!("{kind} display name already in use"),
        format!(
            "The {kind} {name:?} (id {}) already has this display name, and it is managed by another \
             {resource_type} resource of this configuration. Give one of the two resources another display_name. \
             If that resource is being renamed in this same apply, Terraform did not order the two: run terraform \
             apply again, or add depends_on so the rename goes first.",
            holder.id()
        ),
    )
    .at(AttributePath::attr("display_name"))
}

/// [`plan_time_conflict`] against the list `list` gives for a plan-time check
/// ([`super::cache::ListCache::get_for_check`]); `None` without a `name` to check (the list is
/// then not asked for), or without a list.
pub async fn plan_time_conflict_in<T, L>(
    data: &JamfData,
    list: L,
    name: Option<&String>,
    own_id: Option<&str>,
) -> Option<Diagnostic>
where
    T: Named + Clone,
    L: Future<Output = Option<Result<std::sync::Arc<Listed<T>>, JamfError>>>,
{
    let name = name?;
    match list.await? {
        Ok(all) => plan_time_conflict(data, &all, name, own_id).await,
        Err(e) => {
            tracing::debug!(error = %e, "display name not checked at plan time");
            None
        }
    }
}

/// The plan-time check of a display name that another object than `own_id` holds on the server:
/// `None` when no object holds it, or when the holder is managed by this configuration (the
/// duplicate is then reported by the holder's own plan, or the holder is renamed in this plan).
/// Waits a moment for the other plans of this run before calling a holder unmanaged.
pub async fn plan_time_conflict<T: Named + Clone>(
    data: &JamfData,
    all: &Listed<T>,
    name: &str,
    own_id: Option<&str>,
) -> Option<Diagnostic> {
    let holder = taken_by(all, name, own_id)?.clone();
    let managed = |d: &JamfData| d.registry.is_managed(T::RESOURCE_TYPE, holder.id());
    if data.registry.wait_for(OTHER_PLANS_GRACE, |_| managed(data)).await {
        return None;
    }
    Some(name_conflict(name, Some(&holder)))
}

/// The apply-time diagnostic for a display name Jamf Pro refused as taken by `existing`.
pub fn apply_time_conflict<T: Named>(data: &JamfData, name: &str, existing: Option<&T>) -> Diagnostic {
    match existing {
        Some(o) if data.registry.is_managed(T::RESOURCE_TYPE, o.id()) => name_held_in_configuration(name, o),
        _ => name_conflict(name, existing),
    }
}

/// Another object than `own_id` that already has the display name `name`.
pub fn taken_by<'a, T: Named>(all: &'a Listed<T>, name: &str, own_id: Option<&str>) -> Option<&'a T> {
    all.named(name).find(|o| Some(o.id()) != own_id)
}

/// The object an import ID names: the object with that id when the key is digits and one has it
/// (an id is what the documentation tells users to import by), else the one display name that
/// matches. `by_id` answers `None` for an id that does not exist.
pub async fn import<T, ById, ByName>(key: &str, by_id: ById, by_name: ByName, diags: &mut Diagnostics) -> Option<T>
where
    T: Named,
    ById: Future<Output = Result<Option<T>, JamfError>>,
    ByName: Future<Output = Result<Vec<T>, JamfError>>,
{
    let kind = T::KIND;
    let found = async {
        if may_be_id(key)
            && let Some(o) = by_id.await?
        {
            return Ok(vec![o]);
        }
        by_name.await
    };
    let found = diags.ok(found.await, |e| diag::error(&format!("import {kind} {key:?}"), &e))?;
    match found.len() {
        1 => found.into_iter().next(),
        0 => {
            diags.error(
                format!("{kind} not found"),
                format!(
                    "No {kind} has the id or display name {key:?}. Import by id (e.g. \"{}\") or exact display name.",
                    T::EXAMPLE_ID
                ),
            );
            None
        }
        n => {
            diags.error(
                format!("Ambiguous {kind}"),
                format!(
                    "{n} {kind}s match {key:?} (ids {}); import by id.",
                    found.iter().map(Named::id).collect::<Vec<_>>().join(", ")
                ),
            );
            None
        }
    }
}

/// The one object a data source's `id` or `display_name` names, or a diagnostic on the attribute
/// that was set. `None` without a diagnostic when neither is known (validation reports that).
pub fn find<'a, T: Named>(
    all: &'a Listed<T>,
    id: &Attr<String>,
    display_name: &Attr<String>,
    diags: &mut Diagnostics,
) -> Option<&'a T> {
    let kind = T::KIND;
    let (key, path, matches): (&String, &str, Vec<&T>) = match (id, display_name) {
        (Attr::Known(id), _) => (id, "id", all.get(id).into_iter().collect()),
        (_, Attr::Known(n)) => (n, "display_name", all.named(n).collect()),
        _ => return None,
    };
    match matches.as_slice() {
        [one] => Some(one),
        [] => {
            diags.error_at(
                AttributePath::attr(path),
                format!("No such {kind}"),
                format!("No {kind} has {path} {key:?}."),
            );
            None
        }
        many => {
            let mut ids: Vec<&str> = many.iter().map(|o| o.id()).collect();
            ids.sort();
            diags.error_at(
                AttributePath::attr(path),
                format!("More than one {kind}"),
                format!("{} {kind}s have {path} {key:?} (ids {}); look it up by id.", many.len(), ids.join(", ")),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::jamf::client::AppType;

    fn role(id: &str, name: &str) -> Role {
        Role { id: id.into(), display_name: name.into(), privileges: vec!["Read Computers".into()] }
    }

    fn client(id: &str, name: &str) -> Integration {
        Integration {
            id: id.into(),
            client_id: format!("uuid-{id}"),
            display_name: name.into(),
            authorization_scopes: vec!["Vendor".into()],
            enabled: true,
            access_token_lifetime_seconds: Some(300),
            app_type: AppType::None,
        }
    }

    /// Imports `key` from `objects` as the provider would (id lookup, then display name),
    /// counting the id lookups.
    async fn import_from<T: Named + Clone>(objects: &[T], key: &str) -> (Option<T>, Diagnostics, usize) {
        let id_lookups = Cell::new(0);
        let mut diags = Diagnostics::new();
        let by_id = async {
            id_lookups.set(id_lookups.get() + 1);
            Ok(objects.iter().find(|o| o.id() == key).cloned())
        };
        let by_name = async { Ok(objects.iter().filter(|o| o.display_name() == key).cloned().collect()) };
        let found = import(key, by_id, by_name, &mut diags).await;
        (found, diags, id_lookups.get())
    }

    #[tokio::test]
    async fn roles_and_clients_import_by_id_or_name_alike() {
        let roles = [role("1", "Vendor"), role("2", "2024"), role("3", "1")];
        let clients = [client("1", "Vendor"), client("2", "2024"), client("3", "1")];
        for key_and_expected in [("1", "1"), ("Vendor", "1"), ("2024", "2"), ("3", "3")] {
            let (key, expected) = key_and_expected;
            let (r, d, _) = import_from(&roles, key).await;
            assert_eq!(r.map(|r| r.id), Some(expected.to_string()), "role {key}: {d:?}");
            let (c, d, _) = import_from(&clients, key).await;
            assert_eq!(c.map(|c| c.id), Some(expected.to_string()), "client {key}: {d:?}");
        }
    }

    #[tokio::test]
    async fn a_name_that_is_not_digits_is_never_looked_up_as_an_id() {
        let (r, _, role_lookups) = import_from(&[role("1", "Vendor")], "Vendor").await;
        let (c, _, client_lookups) = import_from(&[client("1", "Vendor")], "Vendor").await;
        assert!(r.is_some() && c.is_some());
        assert_eq!((role_lookups, client_lookups), (0, 0));
        let (_, _, role_lookups) = import_from(&[role("1", "Vendor")], "12").await;
        let (_, _, client_lookups) = import_from(&[client("1", "Vendor")], "12").await;
        assert_eq!((role_lookups, client_lookups), (1, 1));
    }

    #[tokio::test]
    async fn a_missing_or_ambiguous_key_is_a_diagnostic() {
        let (r, d, _) = import_from(&[role("1", "Vendor")], "Nope").await;
        assert!(r.is_none());
        assert_eq!(d[0].summary, "API role not found");
        assert!(d[0].detail.contains("(e.g. \"12\")"), "{}", d[0].detail);
        let (c, d, _) = import_from(&[client("1", "Vendor"), client("2", "Vendor")], "Vendor").await;
        assert!(c.is_none());
        assert_eq!(d[0].summary, "Ambiguous API client");
        assert!(d[0].detail.contains("(ids 1, 2)"), "{}", d[0].detail);
    }

    #[tokio::test]
    async fn a_failed_lookup_is_reported() {
        let mut diags = Diagnostics::new();
        let by_id = async { Err::<Option<Role>, _>(JamfError::invalid_config("server down")) };
        let by_name = async { Ok(Vec::new()) };
        assert!(import("7", by_id, by_name, &mut diags).await.is_none());
        assert!(diags.has_error());
    }

    #[test]
    fn is_an_id_only_when_all_digits() {
        assert!(may_be_id("12"));
        assert!(!may_be_id(""));
        assert!(!may_be_id("12a"));
        assert!(!may_be_id("-1"));
        assert!(!may_be_id("١٢"), "non-ASCII digits are not Jamf ids");
    }

    #[test]
    fn name_conflicts_read_alike_and_offer_the_import() {
        let r = role("4", "Vendor");
        let d = name_conflict("Vendor", Some(&r));
        assert_eq!(d.summary, "API role display name already in use");
        assert!(d.detail.contains("named \"Vendor\" (id 4)"), "{}", d.detail);
        assert!(d.detail.contains("address> 4") && d.detail.contains("e.g. jamf_api_role.vendor"), "{}", d.detail);
        let d = name_conflict::<Integration>("Vendor", None);
        assert_eq!(d.summary, "API client display name already in use");
        assert!(!d.detail.contains("terraform import"), "{}", d.detail);
        assert_eq!(d.path.unwrap().to_string(), "display_name");
    }

    #[test]
    fn a_duplicate_within_the_configuration_never_offers_an_import() {
        let d = duplicate_in_configuration::<Role>("Same", &Claimant::Existing("8".into()));
        assert_eq!(d.summary, "Duplicate API role display name in this configuration");
        assert!(
            d.detail.contains("Two jamf_api_role resources in this configuration set display_name = \"Same\""),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("existing API role with id 8"), "{}", d.detail);
        assert!(!d.detail.contains("terraform import"), "{}", d.detail);
        let d = duplicate_in_configuration::<Integration>("Same", &Claimant::New(0));
        assert!(d.detail.contains("Two jamf_api_client resources") && !d.detail.contains(" id "), "{}", d.detail);
        let d = name_held_in_configuration("Vendor", &client("3", "Vendor"));
        assert!(d.detail.contains("\"Vendor\" (id 3)") && !d.detail.contains("terraform import"), "{}", d.detail);
        assert_eq!(d.path.unwrap().to_string(), "display_name");
    }

    #[test]
    fn a_name_is_taken_only_by_another_object() {
        let all: Listed<Role> = [role("1", "Vendor"), role("2", "Other")].into_iter().collect();
        assert_eq!(taken_by(&all, "Vendor", Some("2")).map(|r| r.id.as_str()), Some("1"));
        assert!(taken_by(&all, "Vendor", Some("1")).is_none());
        assert_eq!(taken_by(&all, "Vendor", None).map(|r| r.id.as_str()), Some("1"));
        assert!(taken_by(&all, "vendor", None).is_none(), "names are exact");
    }
}
