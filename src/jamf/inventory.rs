//! The inventory data sources: every API role (`jamf_api_roles`) and every API client
//! (`jamf_api_clients`, with the privileges its roles grant), optionally narrowed by a
//! display-name pattern, for audits ("which integration can do what") and for adopting a tenant.
//!
//! Each reads one paged list per type, however many objects there are: without a pattern the
//! provider's shared list cache (which the resources of the same run reuse); with one, Jamf Pro's
//! RSQL `filter`, unless the full list is already loaded in this process.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::framework::schema::Nesting;
use crate::framework::validators::StringLengthAtLeast;
use crate::framework::{Attr, Attribute, DataSource, Diagnostics, Schema, Type};

use super::api_client::DEFAULT_LIFETIME;
use super::cache::{JamfData, ListCache, Listed};
use super::client::rsql::matches_pattern;
use super::client::{Integration, JamfError, Role};
use super::diag;
use super::lookup::Named;

/// What the `display_name_pattern` argument of both data sources says, for the docs.
const PATTERN_DOC: &str = "Only objects whose display name matches this pattern: `*` matches any run of characters \
     (also none), every other character only itself, case-sensitively. `\"Okta SCIM\"` is an exact name, \
     `\"Okta*\"` a prefix, `\"*Okta*\"` a substring; a literal `*` cannot be singled out. Jamf Pro applies it \
     (RSQL `filter=displayName==\"...\"`) and the provider checks each answer again exactly. Unset: every object. \
     Matching nothing is not an error: the list is empty.";

fn pattern_attribute() -> Attribute {
    Attribute::string("display_name_pattern").optional().validator(StringLengthAtLeast(1)).description(PATTERN_DOC)
}

/// Numeric ids in numeric order (Jamf Pro's own `id:asc`), anything else after them by text.
fn by_id<T>(items: &mut [T], id: impl Fn(&T) -> &str) {
    items.sort_by(|a, b| {
        let (a, b) = (id(a), id(b));
        match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => std::cmp::Ordering::Less,
            (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
            (Err(_), Err(_)) => a.cmp(b),
        }
    });
}

/// The objects of `cache` whose display name matches `pattern` (all of them without one): from
/// the loaded list when there is one, else from one list Jamf Pro filters (`matching`), else from
/// the full list, loaded into the cache for the rest of the run.
async fn select<T, A, M>(cache: &ListCache<T>, pattern: Option<&str>, all: A, matching: M) -> Result<Vec<T>, JamfError>
where
    T: Clone + Named,
    A: Future<Output = Result<Arc<Listed<T>>, JamfError>>,
    M: Future<Output = Result<Vec<T>, JamfError>>,
{
    let keep = |t: &T| pattern.is_none_or(|p| matches_pattern(p, t.display_name()));
    match (pattern, cache.peek()) {
        (Some(_), None) => matching.await,
        (_, Some(loaded)) => Ok(loaded.values().filter(|t| keep(t)).cloned().collect()),
        (None, None) => Ok(all.await?.values().cloned().collect()),
    }
}

/// `data "jamf_api_roles"`: every API role, or those whose display name matches a pattern.
pub struct ApiRolesDataSource;

/// The values of `data "jamf_api_roles"`.
#[derive(Serialize, Deserialize, Default)]
pub struct ApiRolesModel {
    /// The display-name pattern, if any.
    pub display_name_pattern: Attr<String>,
    /// The roles found, by id.
    pub roles: Attr<Vec<RoleEntry>>,
}

/// One role of `data "jamf_api_roles"`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct RoleEntry {
    /// The role's id.
    pub id: Attr<String>,
    /// The role's display name.
    pub display_name: Attr<String>,
    /// The role's privileges.
    pub privileges: Attr<BTreeSet<String>>,
}

impl From<&Role> for RoleEntry {
    fn from(r: &Role) -> RoleEntry {
        RoleEntry {
            id: Attr::Known(r.id.clone()),
            display_name: Attr::Known(r.display_name.clone()),
            privileges: Attr::Known(r.privileges.iter().cloned().collect()),
        }
    }
}

#[async_trait]
impl DataSource for ApiRolesDataSource {
    type Data = JamfData;
    type Model = ApiRolesModel;

    fn type_name(&self) -> &'static str {
        "jamf_api_roles"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Every API role of this Jamf Pro server with its privileges, or those whose display name matches a \
             pattern: an inventory for audits and for adopting roles made in the console. One paged list, however \
             many roles there are.",
        )
        .attribute(pattern_attribute())
        .attribute(
            Attribute::nested(
                "roles",
                Nesting::List,
                vec![
                    Attribute::string("id").computed().description("The role's id (a number, as a string)."),
                    Attribute::string("display_name").computed().description("The role's display name."),
                    Attribute::set_of("privileges", Type::String).computed().description("The role's privileges."),
                ],
            )
            .computed()
            .description("The roles found, by id (numerically, as Jamf Pro lists them)."),
        )
    }

    async fn read(&self, data: &JamfData, config: ApiRolesModel, diags: &mut Diagnostics) -> Option<ApiRolesModel> {
        let pattern = config.display_name_pattern.get().map(String::as_str);
        let found = select(
            &data.roles,
            pattern,
            data.all_roles(),
            data.client.list_roles_matching(pattern.unwrap_or_default()),
        )
        .await;
        let mut roles = diags.ok(found, |e| diag::error("list API roles", &e))?;
        by_id(&mut roles, |r| &r.id);
        Some(ApiRolesModel {
            display_name_pattern: config.display_name_pattern,
            roles: Attr::Known(roles.iter().map(RoleEntry::from).collect()),
        })
    }
}

/// `data "jamf_api_clients"`: every API client with its roles and the privileges they grant.
pub struct ApiClientsDataSource;

/// The values of `data "jamf_api_clients"`.
#[derive(Serialize, Deserialize, Default)]
pub struct ApiClientsModel {
    /// The display-name pattern, if any.
    pub display_name_pattern: Attr<String>,
    /// The clients found, by id.
    pub clients: Attr<Vec<ClientEntry>>,
}

/// One client of `data "jamf_api_clients"`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ClientEntry {
    /// The client's id.
    pub id: Attr<String>,
    /// The client's display name.
    pub display_name: Attr<String>,
    /// The OAuth client ID.
    pub client_id: Attr<String>,
    /// Whether the client may obtain access tokens.
    pub enabled: Attr<bool>,
    /// Access-token lifetime in seconds.
    pub access_token_lifetime_seconds: Attr<i64>,
    /// What credentials the client has.
    pub app_type: Attr<String>,
    /// Display names of the client's roles.
    pub authorization_scopes: Attr<BTreeSet<String>>,
    /// The union of the privileges of the client's roles.
    pub effective_privileges: Attr<BTreeSet<String>>,
}

/// `i` as an inventory entry, its effective privileges taken from the listed `roles` of its
/// roles' names; the names that no listed role has are added to `unknown`.
fn client_entry(i: &Integration, roles: &Listed<Role>, unknown: &mut BTreeSet<String>) -> ClientEntry {
    let mut effective = BTreeSet::new();
    for scope in &i.authorization_scopes {
        match roles.named(scope).next() {
            Some(r) => effective.extend(r.privileges.iter().cloned()),
            None => {
                unknown.insert(scope.clone());
            }
        }
    }
    ClientEntry {
        id: Attr::Known(i.id.clone()),
        display_name: Attr::Known(i.display_name.clone()),
        client_id: Attr::Known(i.client_id.clone()),
        enabled: Attr::Known(i.enabled),
        access_token_lifetime_seconds: Attr::Known(i.access_token_lifetime_seconds.unwrap_or(DEFAULT_LIFETIME)),
        app_type: Attr::Known(i.app_type.as_str().to_string()),
        authorization_scopes: Attr::Known(i.authorization_scopes.iter().cloned().collect()),
        effective_privileges: Attr::Known(effective),
    }
}

#[async_trait]
impl DataSource for ApiClientsDataSource {
    type Data = JamfData;
    type Model = ApiClientsModel;

    fn type_name(&self) -> &'static str {
        "jamf_api_clients"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Every API client of this Jamf Pro server, or those whose display name matches a pattern, each with its \
             roles and its `effective_privileges` (the union of its roles' privileges): the answer to \"which \
             integration can do what\". Two paged lists (clients and roles), however many objects there are. \
             Secrets are never read or generated.",
        )
        .attribute(pattern_attribute())
        .attribute(
            Attribute::nested(
                "clients",
                Nesting::List,
                vec![
                    Attribute::string("id").computed().description("The client's id (a number, as a string)."),
                    Attribute::string("display_name").computed().description("The client's display name."),
                    Attribute::string("client_id").computed().description("The OAuth client ID."),
                    Attribute::bool("enabled").computed().description("Whether the client may obtain access tokens."),
                    Attribute::number("access_token_lifetime_seconds").computed().description(
                        "Access-token lifetime in seconds (300, Jamf Pro's default, when it reports none).",
                    ),
                    Attribute::string("app_type").computed().description(
                        "`CLIENT_CREDENTIALS` (a secret was generated), `NONE` (none yet, or revoked by disabling the \
                         client) or `NATIVE_APP_OAUTH`.",
                    ),
                    Attribute::set_of("authorization_scopes", Type::String)
                        .computed()
                        .description("Display names of the client's API roles."),
                    Attribute::set_of("effective_privileges", Type::String).computed().description(
                        "Every privilege the client's roles grant (the union of their `privileges`). A secret \
                         generated before the last change of the client's roles may still carry the old set.",
                    ),
                ],
            )
            .computed()
            .description("The clients found, by id (numerically, as Jamf Pro lists them)."),
        )
    }

    async fn read(&self, data: &JamfData, config: ApiClientsModel, diags: &mut Diagnostics) -> Option<ApiClientsModel> {
        let pattern = config.display_name_pattern.get().map(String::as_str);
        let (found, roles) = tokio::join!(
            select(
                &data.integrations,
                pattern,
                data.all_integrations(),
                data.client.list_integrations_matching(pattern.unwrap_or_default()),
            ),
            data.all_roles()
        );
        let mut clients = diags.ok(found, |e| diag::error("list API clients", &e))?;
        let roles = diags.ok(roles, |e| diag::error("list API roles", &e))?;
        by_id(&mut clients, |i| &i.id);
        let mut unknown = BTreeSet::new();
        let entries: Vec<ClientEntry> = clients.iter().map(|i| client_entry(i, &roles, &mut unknown)).collect();
        if !unknown.is_empty() {
            diags.warning(
                "Roles missing from Jamf Pro's role list",
                format!(
                    "Some API clients name roles that Jamf Pro's list of API roles does not have ({}), most likely \
                     changed while the lists were read: their privileges are missing from effective_privileges. Run \
                     terraform plan again.",
                    unknown.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
                ),
            );
        }
        Some(ApiClientsModel { display_name_pattern: config.display_name_pattern, clients: Attr::Known(entries) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jamf::client::AppType;

    fn role(id: &str, name: &str, privileges: &[&str]) -> Role {
        Role {
            id: id.into(),
            display_name: name.into(),
            privileges: privileges.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn effective_privileges_are_the_union_of_the_roles_and_missing_roles_are_named() {
        let a = role("1", "A", &["Read Computers", "Send Computer Remote Lock Command"]);
        let b = role("2", "B", &["Read Computers", "Read Mobile Devices"]);
        let roles: Listed<Role> = [a, b].into_iter().collect();
        let i = Integration {
            id: "7".into(),
            display_name: "Vendor".into(),
            authorization_scopes: vec!["A".into(), "B".into(), "Gone".into()],
            enabled: false,
            access_token_lifetime_seconds: None,
            app_type: AppType::None,
            client_id: "c".into(),
        };
        let mut unknown = BTreeSet::new();
        let e = client_entry(&i, &roles, &mut unknown);
        assert_eq!(
            e.effective_privileges.get().unwrap().iter().map(String::as_str).collect::<Vec<_>>(),
            ["Read Computers", "Read Mobile Devices", "Send Computer Remote Lock Command"]
        );
        assert_eq!(e.access_token_lifetime_seconds, Attr::Known(DEFAULT_LIFETIME));
        assert_eq!(e.enabled, Attr::Known(false));
        assert_eq!(unknown.into_iter().collect::<Vec<_>>(), ["Gone"]);
    }

    #[test]
    fn ids_sort_numerically() {
        let mut ids = vec!["10", "9", "x", "100", "1"];
        by_id(&mut ids, |s| s);
        assert_eq!(ids, ["1", "9", "10", "100", "x"]);
    }

    #[tokio::test]
    async fn a_loaded_list_answers_a_pattern_without_a_request() {
        let cache: ListCache<Role> = ListCache::default();
        cache.get(|| async { Ok(vec![role("1", "Okta SCIM", &[]), role("2", "Other", &[])]) }).await.unwrap();
        let found =
            select(&cache, Some("Okta*"), async { panic!("no full load") }, async { panic!("no filtered list") })
                .await
                .unwrap();
        assert_eq!(found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["1"]);
    }

    #[tokio::test]
    async fn without_a_loaded_list_a_pattern_asks_jamf_and_no_pattern_loads_everything() {
        let cache: ListCache<Role> = ListCache::default();
        let filtered = select(&cache, Some("Okta*"), async { panic!("no full load") }, async {
            Ok(vec![role("1", "Okta SCIM", &[])])
        })
        .await
        .unwrap();
        assert_eq!(filtered.len(), 1);
        let all = select(&cache, None, async { Ok(Arc::new([role("3", "x", &[])].into_iter().collect())) }, async {
            panic!("no filtered list")
        })
        .await
        .unwrap();
        assert_eq!(all.len(), 1);
    }
}
