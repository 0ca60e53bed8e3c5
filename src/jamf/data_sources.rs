//! Data sources: the privilege catalogue, and API roles and clients looked up by id or name.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::framework::validators::StringLengthAtLeast;
use crate::framework::{Attr, Attribute, AttributePath, DataSource, Diagnostics, Schema, Type};

use super::api_client::ApiClientModel;
use super::api_role::ApiRoleModel;
use super::cache::JamfData;
use super::client::{Integration, Role};
use super::diag;

pub struct PrivilegesDataSource;

#[derive(Serialize, Deserialize, Default)]
pub struct PrivilegesModel {
    pub name_contains: Attr<String>,
    pub privileges: Attr<Vec<String>>,
}

#[async_trait]
impl DataSource for PrivilegesDataSource {
    type Data = JamfData;
    type Model = PrivilegesModel;

    fn type_name(&self) -> &'static str {
        "jamf_api_role_privileges"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "The privilege names this Jamf Pro server offers for API roles (they change between Jamf Pro \
             versions), optionally filtered.",
        )
        .attribute(Attribute::string("name_contains").optional().validator(StringLengthAtLeast(1)).description(
            "Only privileges whose name contains this text, ignoring case (e.g. `\"Computer\"`). Fails when nothing \
             matches.",
        ))
        .attribute(
            Attribute::list_of("privileges", Type::String)
                .computed()
                .description("The privilege names, sorted as Jamf Pro sorts them."),
        )
    }

    async fn read(&self, data: &JamfData, config: PrivilegesModel, diags: &mut Diagnostics) -> Option<PrivilegesModel> {
        let catalogue = match data.privileges().await {
            Ok(c) => c,
            Err(e) => {
                diags.error("Failed to list API role privileges", format!("{e}."));
                return None;
            }
        };
        let filter = config.name_contains.get().map(|s| s.to_lowercase());
        let list: Vec<String> = catalogue
            .iter()
            .filter(|p| filter.as_ref().is_none_or(|f| p.to_lowercase().contains(f)))
            .cloned()
            .collect();
        if list.is_empty() {
            diags.error_at(
                AttributePath::attr("name_contains"),
                "No matching privilege",
                format!(
                    "No privilege of this Jamf Pro server contains {:?}. Remove name_contains to list them all.",
                    config.name_contains.get().cloned().unwrap_or_default()
                ),
            );
            return None;
        }
        Some(PrivilegesModel { name_contains: config.name_contains, privileges: Attr::Known(list) })
    }
}

/// `id` or `display_name`, exactly one.
fn lookup_key(id: &Attr<String>, name: &Attr<String>, kind: &str, diags: &mut Diagnostics) -> bool {
    match (id, name) {
        (Attr::Known(_), Attr::Known(_)) => {
            diags.error_at(
                AttributePath::attr("display_name"),
                "Conflicting lookup",
                format!("Look the {kind} up by id or by display_name, not both."),
            );
            false
        }
        (Attr::Null, Attr::Null) => {
            diags.error_at(
                AttributePath::attr("id"),
                "Missing lookup key",
                format!("Set id or display_name to find the {kind}."),
            );
            false
        }
        _ => true,
    }
}

/// Exactly one match, or a diagnostic.
fn one<'a, T>(
    matches: Vec<&'a T>,
    kind: &str,
    key: &str,
    path: &str,
    id_of: fn(&T) -> &str,
    diags: &mut Diagnostics,
) -> Option<&'a T> {
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
            let mut ids: Vec<&str> = many.iter().map(|m| id_of(m)).collect();
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

pub struct ApiRoleDataSource;

#[derive(Serialize, Deserialize, Default)]
pub struct ApiRoleLookup {
    pub id: Attr<String>,
    pub display_name: Attr<String>,
    pub privileges: Attr<BTreeSet<String>>,
}

#[async_trait]
impl DataSource for ApiRoleDataSource {
    type Data = JamfData;
    type Model = ApiRoleLookup;

    fn type_name(&self) -> &'static str {
        "jamf_api_role"
    }

    fn schema(&self) -> Schema {
        Schema::new("An existing API role, found by id or display name.")
            .attribute(
                Attribute::string("id").optional().computed().description("The role's id. Set this or `display_name`."),
            )
            .attribute(
                Attribute::string("display_name").optional().computed().description("The role's exact display name."),
            )
            .attribute(Attribute::set_of("privileges", Type::String).computed().description("The role's privileges."))
    }

    async fn validate(&self, config: &ApiRoleLookup, diags: &mut Diagnostics) {
        lookup_key(&config.id, &config.display_name, "API role", diags);
    }

    async fn read(&self, data: &JamfData, config: ApiRoleLookup, diags: &mut Diagnostics) -> Option<ApiRoleLookup> {
        if !lookup_key(&config.id, &config.display_name, "API role", diags) {
            return None;
        }
        let all = match data.all_roles().await {
            Ok(a) => a,
            Err(e) => {
                diags.push(diag::error("list API roles", &e));
                return None;
            }
        };
        let (key, path, matches): (String, &str, Vec<&Role>) = match (&config.id, &config.display_name) {
            (Attr::Known(id), _) => (id.clone(), "id", all.get(id).into_iter().collect()),
            (_, Attr::Known(n)) => (n.clone(), "display_name", all.values().filter(|r| &r.display_name == n).collect()),
            _ => return None,
        };
        let r = one(matches, "API role", &key, path, |r: &Role| r.id.as_str(), diags)?;
        let m = ApiRoleModel::from_role(r);
        Some(ApiRoleLookup { id: m.id, display_name: m.display_name, privileges: m.privileges })
    }
}

pub struct ApiClientDataSource;

#[derive(Serialize, Deserialize, Default)]
pub struct ApiClientLookup {
    pub id: Attr<String>,
    pub display_name: Attr<String>,
    pub client_id: Attr<String>,
    pub authorization_scopes: Attr<BTreeSet<String>>,
    pub enabled: Attr<bool>,
    pub access_token_lifetime_seconds: Attr<i64>,
    pub app_type: Attr<String>,
}

#[async_trait]
impl DataSource for ApiClientDataSource {
    type Data = JamfData;
    type Model = ApiClientLookup;

    fn type_name(&self) -> &'static str {
        "jamf_api_client"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "An existing API client, found by id or display name. It never exposes or generates a secret \
             (reading one would rotate it).",
        )
        .attribute(
            Attribute::string("id").optional().computed().description("The client's id. Set this or `display_name`."),
        )
        .attribute(
            Attribute::string("display_name").optional().computed().description("The client's exact display name."),
        )
        .attribute(Attribute::string("client_id").computed().description("The OAuth client ID."))
        .attribute(
            Attribute::set_of("authorization_scopes", Type::String)
                .computed()
                .description("Display names of the client's API roles."),
        )
        .attribute(Attribute::bool("enabled").computed().description("Whether the client may obtain access tokens."))
        .attribute(
            Attribute::number("access_token_lifetime_seconds")
                .computed()
                .description("Access-token lifetime in seconds."),
        )
        .attribute(
            Attribute::string("app_type").computed().description("`NONE`, `CLIENT_CREDENTIALS` or `NATIVE_APP_OAUTH`."),
        )
    }

    async fn validate(&self, config: &ApiClientLookup, diags: &mut Diagnostics) {
        lookup_key(&config.id, &config.display_name, "API client", diags);
    }

    async fn read(&self, data: &JamfData, config: ApiClientLookup, diags: &mut Diagnostics) -> Option<ApiClientLookup> {
        if !lookup_key(&config.id, &config.display_name, "API client", diags) {
            return None;
        }
        let all = match data.all_integrations().await {
            Ok(a) => a,
            Err(e) => {
                diags.push(diag::error("list API clients", &e));
                return None;
            }
        };
        let (key, path, matches): (String, &str, Vec<&Integration>) = match (&config.id, &config.display_name) {
            (Attr::Known(id), _) => (id.clone(), "id", all.get(id).into_iter().collect()),
            (_, Attr::Known(n)) => (n.clone(), "display_name", all.values().filter(|i| &i.display_name == n).collect()),
            _ => return None,
        };
        let i = one(matches, "API client", &key, path, |i: &Integration| i.id.as_str(), diags)?;
        let m = ApiClientModel::from_integration(i);
        Some(ApiClientLookup {
            id: m.id,
            display_name: m.display_name,
            client_id: m.client_id,
            authorization_scopes: m.authorization_scopes,
            enabled: m.enabled,
            access_token_lifetime_seconds: m.access_token_lifetime_seconds,
            app_type: m.app_type,
        })
    }
}
