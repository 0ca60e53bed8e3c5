//! The Jamf Pro simulator's state and rules, free of HTTP: roles, API integrations, client secrets, tokens.
//! Everything here is what `reference/jamf-api.md` §1 and §5 describe; the HTTP layer (`api.rs`) only
//! translates requests and errors.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::rsql;
use crate::util::{now_ms, random_url_safe};

/// Display names of the objects the simulator seeds (they are real objects and show up in lists).
pub const SEEDED_ROLE_NAME: &str = "mdm-sim admin role";
pub const SEEDED_CLIENT_NAME: &str = "mdm-sim admin client";
/// Lifetime of a Basic-auth bearer token (commonly cited Jamf default of 30 minutes).
pub const USER_TOKEN_LIFETIME_SECONDS: u64 = 1800;
/// `accessTokenLifetimeSeconds` when a create or update leaves it out.
pub const DEFAULT_TOKEN_LIFETIME_SECONDS: i64 = 300;
/// Longest `accessTokenLifetimeSeconds` accepted (a year): its milliseconds, added to the clock, can never
/// overflow, and no real client wants longer.
pub const MAX_TOKEN_LIFETIME_SECONDS: i64 = 365 * 24 * 3600;
/// At most this many API roles (and, separately, API integrations): far above any test's needs, and a bound
/// on what a caller creating objects in a loop can make the simulator hold.
pub const MAX_OBJECTS: usize = 10_000;

pub const READ_ROLES: &str = "Read API Roles";
pub const CREATE_ROLES: &str = "Create API Roles";
pub const UPDATE_ROLES: &str = "Update API Roles";
pub const DELETE_ROLES: &str = "Delete API Roles";
pub const READ_INTEGRATIONS: &str = "Read API Integrations";
pub const CREATE_INTEGRATIONS: &str = "Create API Integrations";
pub const UPDATE_INTEGRATIONS: &str = "Update API Integrations";
pub const DELETE_INTEGRATIONS: &str = "Delete API Integrations";

/// The seeded administrator identities: an API client (client credentials) and a Basic-auth user.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JamfAdminCredentials {
    pub client_id: String,
    pub client_secret: String,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for JamfAdminCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JamfAdminCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The privilege catalogue: code-point sorted and deduplicated.
#[derive(Debug, Clone)]
pub struct Catalogue {
    sorted: Vec<String>,
    set: HashSet<String>,
}

impl Catalogue {
    /// One privilege per line; blank lines are ignored and surrounding whitespace trimmed.
    pub fn from_lines(text: &str) -> Self {
        Self::new(text.lines().map(str::trim).filter(|l| !l.is_empty()))
    }

    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Self {
        // BTreeSet orders strings by bytes, which for UTF-8 is code-point order (what Jamf returns).
        let sorted: Vec<String> = names.into_iter().map(Into::into).collect::<BTreeSet<_>>().into_iter().collect();
        let set = sorted.iter().cloned().collect();
        Catalogue { sorted, set }
    }

    pub fn all(&self) -> &[String] {
        &self.sorted
    }

    pub fn contains(&self, name: &str) -> bool {
        self.set.contains(name)
    }

    /// Case-insensitive substring search, in catalogue order, at most `limit` results.
    pub fn search(&self, needle: &str, limit: usize) -> Vec<String> {
        let needle = needle.to_lowercase();
        self.sorted.iter().filter(|p| p.to_lowercase().contains(&needle)).take(limit).cloned().collect()
    }
}

/// Switches that choose between the behaviours the sources disagree on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JamfSettings {
    /// Status for deleting a role still used by an integration: 409 (spec) or 406 `HAS_DEPENDENCIES`.
    pub role_in_use_status: u16,
    /// Status for an integration create/update without `displayName`: 400, or the real server's opaque 500.
    pub missing_display_name_status: u16,
    /// Overrides every token lifetime (client `accessTokenLifetimeSeconds` and Basic tokens) when set.
    pub token_ttl_seconds: Option<u64>,
}

impl Default for JamfSettings {
    fn default() -> Self {
        JamfSettings { role_in_use_status: 409, missing_display_name_status: 400, token_ttl_seconds: None }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    pub id: u64,
    pub display_name: String,
    pub privileges: BTreeSet<String>,
    pub seeded: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSecret {
    pub value: String,
    /// The integration's roles when the secret was minted: the roles its tokens carry.
    pub role_ids: BTreeSet<u64>,
    pub issued_at_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Integration {
    pub id: u64,
    pub display_name: String,
    pub enabled: bool,
    pub access_token_lifetime_seconds: i64,
    pub client_id: String,
    /// Roles by id, so a role rename shows up in `authorizationScopes` at once.
    pub role_ids: BTreeSet<u64>,
    /// The one valid secret, if any. Minting replaces it; disabling removes it.
    pub secret: Option<ClientSecret>,
    pub secrets_issued: u64,
    pub seeded: bool,
}

impl Integration {
    pub fn app_type(&self) -> &'static str {
        if self.secret.is_some() { "CLIENT_CREDENTIALS" } else { "NONE" }
    }
}

/// Who a bearer token speaks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Principal {
    /// An API client; `role_ids` is the token's scope (a subset of the secret's roles).
    Client { integration_id: u64, client_id: String, role_ids: BTreeSet<u64> },
    /// The seeded Basic-auth user, who holds every privilege.
    User { username: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    pub principal: Principal,
    pub issued_at_ms: u64,
    pub expires_at_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JamfState {
    pub admin: JamfAdminCredentials,
    pub next_role_id: u64,
    pub next_integration_id: u64,
    pub roles: BTreeMap<u64, Role>,
    pub integrations: BTreeMap<u64, Integration>,
    pub tokens: BTreeMap<String, Token>,
    pub settings: JamfSettings,
}

/// An error in the Jamf `ApiError` shape.
#[derive(Debug, Clone, PartialEq)]
pub struct JamfError {
    pub status: u16,
    pub code: Option<&'static str>,
    pub description: String,
    pub id: String,
}

impl JamfError {
    pub fn new(status: u16, code: Option<&'static str>, description: impl Into<String>) -> Self {
        JamfError { status, code, description: description.into(), id: "0".into() }
    }

    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(400, None, description)
    }

    /// The not-found body is inferred (no real sample seen): code `INVALID_ID`, the id echoed.
    pub fn not_found(what: &str, id: &str) -> Self {
        JamfError {
            status: 404,
            code: Some("INVALID_ID"),
            description: format!("{what} with id {id} was not found"),
            id: id.to_owned(),
        }
    }
}

/// An RFC 6749 §5.2 token endpoint error.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError { status, error, description: description.into() }
    }
}

/// An issued client-credentials token, as the token endpoint reports it.
#[derive(Debug, Clone)]
pub struct OAuthGrant {
    pub access_token: String,
    pub scope: String,
    pub expires_in: u64,
}

/// An issued Basic-auth bearer token.
#[derive(Debug, Clone)]
pub struct UserGrant {
    pub token: String,
    pub expires_at_ms: u64,
}

// ----- request bodies (the simulator's own reading of ApiRoleRequest / ApiIntegrationRequest) -----

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRequest {
    pub display_name: Option<String>,
    pub privileges: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationRequest {
    pub display_name: Option<String>,
    pub authorization_scopes: Option<Vec<String>>,
    pub enabled: Option<bool>,
    pub access_token_lifetime_seconds: Option<i64>,
}

// ----- response bodies -----

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleView {
    pub id: String,
    pub display_name: String,
    pub privileges: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationView {
    pub id: u64,
    pub authorization_scopes: Vec<String>,
    pub display_name: String,
    pub enabled: bool,
    pub access_token_lifetime_seconds: i64,
    pub app_type: &'static str,
    pub client_id: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResult<T> {
    pub total_count: usize,
    pub results: Vec<T>,
}

// ----- list parameters -----

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SortField {
    Id,
    DisplayName,
}

#[derive(Debug, Clone)]
pub struct ListParams {
    pub page: usize,
    pub page_size: usize,
    pub sort: Vec<(SortField, bool)>,
    pub filter: Option<rsql::Expr>,
}

impl ListParams {
    /// `page` (from 0), `page-size` (or the deprecated `size` / `pagesize`, default 100), `sort`
    /// (`field:asc|desc`, comma-separated, default `id:asc`) and `filter` (RSQL, see `rsql`).
    pub fn parse(query: &[(String, String)]) -> Result<Self, JamfError> {
        let mut p = ListParams { page: 0, page_size: 100, sort: vec![(SortField::Id, false)], filter: None };
        for (k, v) in query {
            match k.as_str() {
                "page" => p.page = v.parse().map_err(|_| JamfError::bad_request(format!("invalid page '{v}'")))?,
                "page-size" | "size" | "pagesize" => {
                    p.page_size = v
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| JamfError::bad_request(format!("invalid {k} '{v}'")))?
                }
                "sort" => {
                    p.sort = v
                        .split(',')
                        .map(|s| {
                            let (field, dir) = s.trim().split_once(':').unwrap_or((s.trim(), "asc"));
                            let field = match field {
                                "id" => SortField::Id,
                                "displayName" => SortField::DisplayName,
                                _ => {
                                    return Err(JamfError::bad_request(format!(
                                        "sort field '{field}' is not allowed (allowed: id, displayName)"
                                    )));
                                }
                            };
                            let desc = match dir.to_ascii_lowercase().as_str() {
                                "asc" => false,
                                "desc" => true,
                                _ => {
                                    return Err(JamfError::bad_request(format!("invalid sort direction '{dir}'")));
                                }
                            };
                            Ok((field, desc))
                        })
                        .collect::<Result<_, _>>()?
                }
                "filter" if !v.trim().is_empty() => {
                    p.filter = Some(
                        rsql::parse(v, &["id", "displayName"])
                            .map_err(|e| JamfError::bad_request(format!("invalid filter: {e}")))?,
                    )
                }
                _ => {}
            }
        }
        Ok(p)
    }

    /// Filters, sorts and pages `(id, displayName, item)` triples; `totalCount` counts every match.
    fn apply<T: Clone>(&self, items: Vec<(u64, String, T)>) -> ListResult<T> {
        let mut items: Vec<_> = items
            .into_iter()
            .filter(|(id, name, _)| {
                self.filter.as_ref().is_none_or(|f| {
                    f.matches(&|field| match field {
                        "id" => id.to_string(),
                        _ => name.clone(),
                    })
                })
            })
            .collect();
        items.sort_by(|a, b| {
            self.sort
                .iter()
                .map(|(field, desc)| {
                    let o = match field {
                        SortField::Id => a.0.cmp(&b.0),
                        SortField::DisplayName => a.1.cmp(&b.1),
                    };
                    if *desc { o.reverse() } else { o }
                })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let total_count = items.len();
        let results = items
            .into_iter()
            .skip(self.page.saturating_mul(self.page_size))
            .take(self.page_size)
            .map(|(_, _, t)| t)
            .collect();
        ListResult { total_count, results }
    }
}

fn parse_id(id: &str) -> Option<u64> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

fn jwt(claims: serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    // The signature is random: the simulator looks tokens up in its table and never verifies them.
    let sig = URL_SAFE_NO_PAD.encode(random_url_safe(32));
    format!("{header}.{payload}.{sig}")
}

/// `now_ms` plus `seconds`, saturating (a lifetime set through the control routes is unbounded).
fn expiry(now_ms: u64, seconds: u64) -> u64 {
    now_ms.saturating_add(seconds.saturating_mul(1000))
}

/// The answer past [`MAX_OBJECTS`].
fn too_many(what: &str) -> JamfError {
    JamfError::bad_request(format!("the simulator holds at most {MAX_OBJECTS} {what}; delete some first"))
}

impl JamfState {
    /// A fresh state: the full-access role (id "1") and the admin API client (id 1) holding `admin`'s secret.
    pub fn seeded(admin: JamfAdminCredentials, catalogue: &Catalogue, settings: JamfSettings) -> Self {
        let mut st = JamfState {
            admin: admin.clone(),
            next_role_id: 1,
            next_integration_id: 1,
            roles: BTreeMap::new(),
            integrations: BTreeMap::new(),
            tokens: BTreeMap::new(),
            settings,
        };
        let role_id = st.next_role_id;
        st.next_role_id += 1;
        st.roles.insert(
            role_id,
            Role {
                id: role_id,
                display_name: SEEDED_ROLE_NAME.into(),
                privileges: catalogue.all().iter().cloned().collect(),
                seeded: true,
            },
        );
        let id = st.next_integration_id;
        st.next_integration_id += 1;
        let roles: BTreeSet<u64> = [role_id].into();
        st.integrations.insert(
            id,
            Integration {
                id,
                display_name: SEEDED_CLIENT_NAME.into(),
                enabled: true,
                access_token_lifetime_seconds: DEFAULT_TOKEN_LIFETIME_SECONDS,
                client_id: admin.client_id.clone(),
                role_ids: roles.clone(),
                secret: Some(ClientSecret { value: admin.client_secret, role_ids: roles, issued_at_ms: now_ms() }),
                secrets_issued: 1,
                seeded: true,
            },
        );
        st
    }

    // ----- roles -----

    pub fn role_view(&self, r: &Role) -> RoleView {
        RoleView {
            id: r.id.to_string(),
            display_name: r.display_name.clone(),
            privileges: r.privileges.iter().cloned().collect(),
        }
    }

    pub fn find_role(&self, id: &str) -> Result<&Role, JamfError> {
        parse_id(id).and_then(|n| self.roles.get(&n)).ok_or_else(|| JamfError::not_found("API Role", id))
    }

    #[cfg(test)]
    pub fn list_roles(&self, params: &ListParams) -> ListResult<RoleView> {
        self.list_roles_visible(params, |_| true)
    }

    /// [`JamfState::list_roles`] of the roles `visible` accepts (by id): what a lagging node lists.
    pub fn list_roles_visible(&self, params: &ListParams, visible: impl Fn(u64) -> bool) -> ListResult<RoleView> {
        params.apply(
            self.roles
                .values()
                .filter(|r| visible(r.id))
                .map(|r| (r.id, r.display_name.clone(), self.role_view(r)))
                .collect(),
        )
    }

    fn validate_role(
        &self,
        req: RoleRequest,
        catalogue: &Catalogue,
        except: Option<u64>,
    ) -> Result<(String, BTreeSet<String>), JamfError> {
        let name = req
            .display_name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| JamfError::bad_request("displayName is required"))?;
        let privileges = req.privileges.ok_or_else(|| JamfError::bad_request("privileges is required"))?;
        if self.roles.values().any(|r| r.display_name == name && Some(r.id) != except) {
            return Err(JamfError::bad_request("role display name must be unique"));
        }
        let invalid: Vec<&str> = privileges.iter().filter(|p| !catalogue.contains(p)).map(String::as_str).collect();
        if !invalid.is_empty() {
            return Err(JamfError::bad_request(format!("privilege(s) are not valid [{}]", invalid.join(", "))));
        }
        Ok((name, privileges.into_iter().collect()))
    }

    pub fn create_role(&mut self, req: RoleRequest, catalogue: &Catalogue) -> Result<RoleView, JamfError> {
        if self.roles.len() >= MAX_OBJECTS {
            return Err(too_many("API roles"));
        }
        let (display_name, privileges) = self.validate_role(req, catalogue, None)?;
        let id = self.next_role_id;
        self.next_role_id += 1;
        let role = Role { id, display_name, privileges, seeded: false };
        let view = self.role_view(&role);
        self.roles.insert(id, role);
        Ok(view)
    }

    pub fn update_role(&mut self, id: &str, req: RoleRequest, catalogue: &Catalogue) -> Result<RoleView, JamfError> {
        let n = self.find_role(id)?.id;
        let (display_name, privileges) = self.validate_role(req, catalogue, Some(n))?;
        let role = self.roles.get_mut(&n).expect("found above");
        role.display_name = display_name;
        role.privileges = privileges;
        let role = role.clone();
        Ok(self.role_view(&role))
    }

    pub fn delete_role(&mut self, id: &str) -> Result<(), JamfError> {
        let n = self.find_role(id)?.id;
        if self.integrations.values().any(|i| i.role_ids.contains(&n)) {
            return Err(match self.settings.role_in_use_status {
                406 => JamfError::new(406, Some("HAS_DEPENDENCIES"), "Role in use by an Integration/Client"),
                status => JamfError::new(status, None, "Role in use by an Integration/Client"),
            });
        }
        self.roles.remove(&n);
        Ok(())
    }

    /// Out-of-band delete (as if done in the database): also drops the role from every integration.
    pub fn force_delete_role(&mut self, id: &str) -> Result<(), JamfError> {
        let n = self.find_role(id)?.id;
        self.roles.remove(&n);
        for i in self.integrations.values_mut() {
            i.role_ids.remove(&n);
        }
        Ok(())
    }

    // ----- integrations -----

    pub fn integration_view(&self, i: &Integration) -> IntegrationView {
        let mut scopes: Vec<String> =
            i.role_ids.iter().filter_map(|r| self.roles.get(r)).map(|r| r.display_name.clone()).collect();
        scopes.sort();
        IntegrationView {
            id: i.id,
            authorization_scopes: scopes,
            display_name: i.display_name.clone(),
            enabled: i.enabled,
            access_token_lifetime_seconds: i.access_token_lifetime_seconds,
            app_type: i.app_type(),
            client_id: i.client_id.clone(),
        }
    }

    pub fn find_integration(&self, id: &str) -> Result<&Integration, JamfError> {
        parse_id(id).and_then(|n| self.integrations.get(&n)).ok_or_else(|| JamfError::not_found("API Integration", id))
    }

    /// The integrations `visible` accepts (by id), filtered, sorted and paged like the roles.
    pub fn list_integrations_visible(
        &self,
        params: &ListParams,
        visible: impl Fn(u64) -> bool,
    ) -> ListResult<IntegrationView> {
        params.apply(
            self.integrations
                .values()
                .filter(|i| visible(i.id))
                .map(|i| (i.id, i.display_name.clone(), self.integration_view(i)))
                .collect(),
        )
    }

    /// Role display names → ids; every name must exist.
    pub fn resolve_roles(&self, names: &[String]) -> Result<BTreeSet<u64>, JamfError> {
        let mut ids = BTreeSet::new();
        let mut unknown = Vec::new();
        for n in names {
            match self.roles.values().find(|r| &r.display_name == n) {
                Some(r) => {
                    ids.insert(r.id);
                }
                None => unknown.push(n.as_str()),
            }
        }
        if unknown.is_empty() {
            Ok(ids)
        } else {
            Err(JamfError::bad_request(format!("API Role(s) not found [{}]", unknown.join(", "))))
        }
    }

    fn validate_integration(
        &self,
        req: IntegrationRequest,
        except: Option<u64>,
    ) -> Result<(String, BTreeSet<u64>, bool, i64), JamfError> {
        let Some(name) = req.display_name.filter(|n| !n.trim().is_empty()) else {
            return Err(match self.settings.missing_display_name_status {
                // The real server's answer (jamf-upload PR #346): a generic 500 with no detail.
                500 => JamfError::new(500, None, "An unexpected error occurred"),
                _ => JamfError::bad_request("displayName is required"),
            });
        };
        if self.integrations.values().any(|i| i.display_name == name && Some(i.id) != except) {
            return Err(JamfError::bad_request("API Integration display name must be unique"));
        }
        let scopes = req.authorization_scopes.unwrap_or_default();
        if scopes.is_empty() {
            return Err(JamfError::bad_request("authorizationScopes must contain at least one API Role"));
        }
        let role_ids = self.resolve_roles(&scopes)?;
        let lifetime = req.access_token_lifetime_seconds.unwrap_or(DEFAULT_TOKEN_LIFETIME_SECONDS);
        if lifetime < 1 {
            return Err(JamfError::bad_request("accessTokenLifetimeSeconds must be at least 1"));
        }
        if lifetime > MAX_TOKEN_LIFETIME_SECONDS {
            return Err(JamfError::bad_request(format!(
                "accessTokenLifetimeSeconds must be at most {MAX_TOKEN_LIFETIME_SECONDS}"
            )));
        }
        Ok((name, role_ids, req.enabled.unwrap_or(false), lifetime))
    }

    pub fn create_integration(&mut self, req: IntegrationRequest) -> Result<IntegrationView, JamfError> {
        if self.integrations.len() >= MAX_OBJECTS {
            return Err(too_many("API integrations"));
        }
        let (display_name, role_ids, enabled, lifetime) = self.validate_integration(req, None)?;
        let id = self.next_integration_id;
        self.next_integration_id += 1;
        let i = Integration {
            id,
            display_name,
            enabled,
            access_token_lifetime_seconds: lifetime,
            client_id: uuid::Uuid::new_v4().to_string(),
            role_ids,
            secret: None,
            secrets_issued: 0,
            seeded: false,
        };
        let view = self.integration_view(&i);
        self.integrations.insert(id, i);
        Ok(view)
    }

    /// PUT is a full replace: omitted `enabled` means false, omitted lifetime means 300.
    pub fn update_integration(&mut self, id: &str, req: IntegrationRequest) -> Result<IntegrationView, JamfError> {
        let n = self.find_integration(id)?.id;
        let (display_name, role_ids, enabled, lifetime) = self.validate_integration(req, Some(n))?;
        let i = self.integrations.get_mut(&n).expect("found above");
        i.display_name = display_name;
        i.role_ids = role_ids;
        i.access_token_lifetime_seconds = lifetime;
        i.set_enabled(enabled);
        let i = i.clone();
        Ok(self.integration_view(&i))
    }

    pub fn delete_integration(&mut self, id: &str) -> Result<(), JamfError> {
        let n = self.find_integration(id)?.id;
        self.integrations.remove(&n);
        Ok(())
    }

    /// `POST …/client-credentials`: a fresh secret replaces (invalidates) the previous one.
    pub fn mint_secret(&mut self, id: &str) -> Result<(String, String), JamfError> {
        let n = self.find_integration(id)?.id;
        let i = self.integrations.get_mut(&n).expect("found above");
        if !i.enabled {
            return Err(JamfError::bad_request(
                "API Integration is disabled. Enable it first before generating a new client secret.",
            ));
        }
        let value = random_url_safe(64);
        i.secret = Some(ClientSecret { value: value.clone(), role_ids: i.role_ids.clone(), issued_at_ms: now_ms() });
        i.secrets_issued += 1;
        Ok((i.client_id.clone(), value))
    }

    // ----- tokens -----

    fn prune_tokens(&mut self, now: u64) {
        self.tokens.retain(|_, t| t.expires_at_ms > now);
    }

    /// The client-credentials grant. Bad credentials of any kind (unknown client, wrong or superseded secret,
    /// disabled client) are 401 `invalid_client`, which RFC 6749 §5.2 allows; a role outside the secret's set
    /// in `scope` is 400 `invalid_scope`.
    pub fn issue_client_token(
        &mut self,
        client_id: &str,
        client_secret: &str,
        scope: Option<&str>,
    ) -> Result<OAuthGrant, OAuthError> {
        let bad = || OAuthError::new(401, "invalid_client", "Client authentication failed");
        let i = self.integrations.values().find(|i| i.client_id == client_id).ok_or_else(bad)?;
        let secret = i.secret.as_ref().ok_or_else(bad)?;
        if !i.enabled || secret.value != client_secret {
            return Err(bad());
        }
        let role_ids = match scope.map(str::trim).filter(|s| !s.is_empty()) {
            None => secret.role_ids.clone(),
            Some(s) => {
                let mut ids = BTreeSet::new();
                for part in s.split_whitespace() {
                    let id = part
                        .strip_prefix("api-role:")
                        .and_then(parse_id)
                        .filter(|id| secret.role_ids.contains(id))
                        .ok_or_else(|| {
                            OAuthError::new(
                                400,
                                "invalid_scope",
                                format!("scope '{part}' is not assigned to this client"),
                            )
                        })?;
                    ids.insert(id);
                }
                ids
            }
        };
        let lifetime = self
            .settings
            .token_ttl_seconds
            .unwrap_or(i.access_token_lifetime_seconds.clamp(1, MAX_TOKEN_LIFETIME_SECONDS) as u64);
        let now = now_ms();
        let scope_list: Vec<String> = role_ids.iter().map(|r| format!("api-role:{r}")).collect();
        let token = jwt(serde_json::json!({
            "sub": i.client_id, "aud": i.client_id, "iss": "mdm-sim",
            "nbf": now / 1000, "iat": now / 1000, "exp": (now / 1000).saturating_add(lifetime),
            "token-uuid": uuid::Uuid::new_v4().to_string(),
            "subject-type": "REGISTERED_CLIENT_ID", "authentication-type": "CLIENT_CREDENTIALS",
            "scope": scope_list,
        }));
        let principal = Principal::Client { integration_id: i.id, client_id: i.client_id.clone(), role_ids };
        self.prune_tokens(now);
        self.tokens.insert(token.clone(), Token { principal, issued_at_ms: now, expires_at_ms: expiry(now, lifetime) });
        Ok(OAuthGrant { access_token: token, scope: scope_list.join(" "), expires_in: lifetime.saturating_sub(1) })
    }

    fn user_lifetime(&self) -> u64 {
        self.settings.token_ttl_seconds.unwrap_or(USER_TOKEN_LIFETIME_SECONDS)
    }

    fn insert_user_token(&mut self, username: String) -> UserGrant {
        let now = now_ms();
        let expires_at_ms = expiry(now, self.user_lifetime());
        let token = jwt(serde_json::json!({
            "sub": username, "aud": "mdm-sim", "iss": "mdm-sim",
            "iat": now / 1000, "exp": expires_at_ms / 1000,
            "token-uuid": uuid::Uuid::new_v4().to_string(),
            "authentication-type": "JSS",
        }));
        self.prune_tokens(now);
        self.tokens
            .insert(token.clone(), Token { principal: Principal::User { username }, issued_at_ms: now, expires_at_ms });
        UserGrant { token, expires_at_ms }
    }

    /// `POST /api/v1/auth/token` with Basic credentials of the seeded user.
    pub fn issue_user_token(&mut self, username: &str, password: &str) -> Option<UserGrant> {
        if username != self.admin.username || password != self.admin.password {
            return None;
        }
        Some(self.insert_user_token(username.to_owned()))
    }

    /// `keep-alive`: replaces a user token with a new one. Client-credentials tokens cannot be renewed.
    pub fn keep_alive(&mut self, token: &str) -> Option<UserGrant> {
        let Some(Principal::User { username }) = self.bearer(token) else {
            return None;
        };
        self.tokens.remove(token);
        Some(self.insert_user_token(username))
    }

    pub fn invalidate(&mut self, token: &str) -> bool {
        self.bearer(token).is_some() && self.tokens.remove(token).is_some()
    }

    /// The principal behind a valid, unexpired bearer token.
    pub fn bearer(&self, token: &str) -> Option<Principal> {
        let t = self.tokens.get(token)?;
        (t.expires_at_ms > now_ms()).then(|| t.principal.clone())
    }

    /// Whether `principal` holds `privilege` now: a client through the live privileges of its token's roles.
    pub fn has_privilege(&self, principal: &Principal, privilege: &str) -> bool {
        match principal {
            Principal::User { .. } => true,
            Principal::Client { role_ids, .. } => {
                role_ids.iter().filter_map(|r| self.roles.get(r)).any(|r| r.privileges.contains(privilege))
            }
        }
    }

    pub fn expire_tokens(&mut self) -> usize {
        let n = self.tokens.len();
        self.tokens.clear();
        n
    }
}

impl Integration {
    /// Disabling revokes the client's credentials (`appType` back to `NONE`).
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        if !enabled {
            self.secret = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat() -> Catalogue {
        Catalogue::new([
            READ_ROLES,
            CREATE_ROLES,
            UPDATE_ROLES,
            DELETE_ROLES,
            READ_INTEGRATIONS,
            CREATE_INTEGRATIONS,
            "Read Computers",
            "Update Computers",
        ])
    }

    fn admin() -> JamfAdminCredentials {
        JamfAdminCredentials {
            client_id: "admin-client".into(),
            client_secret: "admin-secret".into(),
            username: "admin".into(),
            password: "pw".into(),
        }
    }

    fn state() -> JamfState {
        JamfState::seeded(admin(), &cat(), JamfSettings::default())
    }

    fn role(name: &str, privs: &[&str]) -> RoleRequest {
        RoleRequest { display_name: Some(name.into()), privileges: Some(privs.iter().map(|s| s.to_string()).collect()) }
    }

    fn integ(name: &str, roles: &[&str], enabled: Option<bool>) -> IntegrationRequest {
        IntegrationRequest {
            display_name: Some(name.into()),
            authorization_scopes: Some(roles.iter().map(|s| s.to_string()).collect()),
            enabled,
            access_token_lifetime_seconds: None,
        }
    }

    fn q(pairs: &[(&str, &str)]) -> ListParams {
        let v: Vec<(String, String)> = pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        ListParams::parse(&v).unwrap()
    }

    #[test]
    fn catalogue_is_code_point_sorted_and_searchable() {
        let c = Catalogue::new(["b", "Change Password", "CLEAR_TEACHER_PROFILE_PRIVILEGE", "a", "b"]);
        assert_eq!(c.all(), ["CLEAR_TEACHER_PROFILE_PRIVILEGE", "Change Password", "a", "b"]);
        let c = cat();
        assert_eq!(c.search("api roles", 15).len(), 4);
        assert_eq!(c.search("API Roles", 2), vec![CREATE_ROLES, DELETE_ROLES]);
    }

    #[test]
    fn seeded_objects_take_first_ids() {
        let st = state();
        assert_eq!(st.roles[&1].display_name, SEEDED_ROLE_NAME);
        assert_eq!(st.roles[&1].privileges.len(), cat().all().len());
        let i = &st.integrations[&1];
        assert_eq!(
            (i.display_name.as_str(), i.enabled, i.app_type()),
            (SEEDED_CLIENT_NAME, true, "CLIENT_CREDENTIALS")
        );
        assert_eq!((st.next_role_id, st.next_integration_id), (2, 2));
    }

    #[test]
    fn role_privileges_come_back_sorted() {
        let mut st = state();
        let v = st.create_role(role("r", &["Update Computers", "Read Computers", CREATE_ROLES]), &cat()).unwrap();
        assert_eq!(v.id, "2");
        assert_eq!(v.privileges, vec![CREATE_ROLES, "Read Computers", "Update Computers"]);
    }

    #[test]
    fn role_validation() {
        let mut st = state();
        st.create_role(role("r", &[]), &cat()).unwrap();
        let e = st.create_role(role("r", &[]), &cat()).unwrap_err();
        assert_eq!((e.status, e.description.as_str()), (400, "role display name must be unique"));
        let e = st.create_role(role("s", &["Nope", "Read Computers", "Zap"]), &cat()).unwrap_err();
        assert_eq!(e.description, "privilege(s) are not valid [Nope, Zap]");
        let e = st.create_role(RoleRequest { display_name: Some("t".into()), privileges: None }, &cat()).unwrap_err();
        assert_eq!(e.status, 400);
        // Renaming to its own name is not a duplicate.
        st.update_role("2", role("r", &["Read Computers"]), &cat()).unwrap();
        assert_eq!(st.find_role("x").unwrap_err().status, 404);
    }

    #[test]
    fn role_in_use_status_switch() {
        let mut st = state();
        st.create_role(role("r", &[]), &cat()).unwrap();
        st.create_integration(integ("c", &["r"], None)).unwrap();
        let e = st.delete_role("2").unwrap_err();
        assert_eq!((e.status, e.code), (409, None));
        st.settings.role_in_use_status = 406;
        let e = st.delete_role("2").unwrap_err();
        assert_eq!((e.status, e.code), (406, Some("HAS_DEPENDENCIES")));
        st.force_delete_role("2").unwrap();
        assert!(st.integrations[&2].role_ids.is_empty());
    }

    #[test]
    fn integration_defaults_and_validation() {
        let mut st = state();
        st.create_role(role("r", &[]), &cat()).unwrap();
        let v = st.create_integration(integ("c", &["r"], None)).unwrap();
        assert_eq!((v.id, v.enabled, v.access_token_lifetime_seconds, v.app_type), (2, false, 300, "NONE"));
        assert!(uuid::Uuid::parse_str(&v.client_id).is_ok());
        assert!(st.create_integration(integ("c", &["r"], None)).unwrap_err().description.contains("must be unique"));
        assert_eq!(st.create_integration(integ("d", &[], None)).unwrap_err().status, 400);
        assert!(st.create_integration(integ("d", &["ghost"], None)).unwrap_err().description.contains("ghost"));
        let mut missing = integ("", &["r"], None);
        missing.display_name = None;
        assert_eq!(st.create_integration(missing).unwrap_err().status, 400);
        st.settings.missing_display_name_status = 500;
        let mut missing = integ("", &["r"], None);
        missing.display_name = None;
        assert_eq!(st.create_integration(missing).unwrap_err().status, 500);
    }

    #[test]
    fn secret_lifecycle() {
        let mut st = state();
        st.create_role(role("r", &[READ_ROLES]), &cat()).unwrap();
        st.create_integration(integ("c", &["r"], None)).unwrap();
        let e = st.mint_secret("2").unwrap_err();
        assert!(e.description.starts_with("API Integration is disabled"));
        st.update_integration("2", integ("c", &["r"], Some(true))).unwrap();
        let (cid, s1) = st.mint_secret("2").unwrap();
        assert_eq!(s1.len(), 64);
        assert_eq!(st.integrations[&2].app_type(), "CLIENT_CREDENTIALS");
        let g = st.issue_client_token(&cid, &s1, None).unwrap();
        assert_eq!((g.expires_in, g.scope.as_str()), (299, "api-role:2"));
        let (_, s2) = st.mint_secret("2").unwrap();
        assert_eq!(st.issue_client_token(&cid, &s1, None).unwrap_err().error, "invalid_client");
        st.issue_client_token(&cid, &s2, None).unwrap();
        // Disabling revokes the secret; re-enabling does not bring it back.
        st.update_integration("2", integ("c", &["r"], Some(false))).unwrap();
        assert_eq!(st.integrations[&2].app_type(), "NONE");
        st.update_integration("2", integ("c", &["r"], Some(true))).unwrap();
        assert_eq!(st.issue_client_token(&cid, &s2, None).unwrap_err().status, 401);
        assert_eq!(st.mint_secret("9").unwrap_err().status, 404);
    }

    #[test]
    fn scope_and_live_privileges() {
        let mut st = state();
        st.create_role(role("r", &[READ_ROLES]), &cat()).unwrap();
        st.create_role(role("s", &[]), &cat()).unwrap();
        st.create_integration(integ("c", &["r", "s"], Some(true))).unwrap();
        let (cid, sec) = st.mint_secret("2").unwrap();
        let e = st.issue_client_token(&cid, &sec, Some("api-role:1")).unwrap_err();
        assert_eq!((e.status, e.error), (400, "invalid_scope"));
        let g = st.issue_client_token(&cid, &sec, Some("api-role:3")).unwrap();
        let p = st.bearer(&g.access_token).unwrap();
        assert!(!st.has_privilege(&p, READ_ROLES));
        // Privilege edits take effect at once for existing tokens.
        st.update_role("3", role("s", &[READ_ROLES]), &cat()).unwrap();
        assert!(st.has_privilege(&p, READ_ROLES));
        // Role-set changes need a new secret: the old secret still carries {r, s}.
        st.update_integration("2", integ("c", &["r"], Some(true))).unwrap();
        let g = st.issue_client_token(&cid, &sec, None).unwrap();
        assert_eq!(g.scope, "api-role:2 api-role:3");
    }

    #[test]
    fn rename_is_reflected_in_scopes() {
        let mut st = state();
        st.create_role(role("old", &[]), &cat()).unwrap();
        st.create_integration(integ("c", &["old"], None)).unwrap();
        st.update_role("2", role("new", &[]), &cat()).unwrap();
        let v = st.integration_view(&st.integrations[&2]);
        assert_eq!(v.authorization_scopes, vec!["new"]);
    }

    #[test]
    fn user_tokens() {
        let mut st = state();
        assert!(st.issue_user_token("admin", "wrong").is_none());
        let g = st.issue_user_token("admin", "pw").unwrap();
        let p = st.bearer(&g.token).unwrap();
        assert!(st.has_privilege(&p, "anything at all"));
        let g2 = st.keep_alive(&g.token).unwrap();
        assert!(st.bearer(&g.token).is_none(), "keep-alive replaces the token");
        assert!(st.invalidate(&g2.token));
        assert!(st.bearer(&g2.token).is_none());
        let g = st.issue_client_token("admin-client", "admin-secret", None).unwrap();
        assert!(st.keep_alive(&g.access_token).is_none(), "client tokens cannot be renewed");
    }

    #[test]
    fn token_ttl_override_and_expiry() {
        let mut st = state();
        st.settings.token_ttl_seconds = Some(1);
        let g = st.issue_client_token("admin-client", "admin-secret", None).unwrap();
        assert_eq!(g.expires_in, 0);
        st.tokens.get_mut(&g.access_token).unwrap().expires_at_ms = now_ms() - 1;
        assert!(st.bearer(&g.access_token).is_none());
        let g = st.issue_client_token("admin-client", "admin-secret", None).unwrap();
        assert_eq!(st.expire_tokens(), 1, "the expired token was pruned at issuance");
        assert!(st.bearer(&g.access_token).is_none());
    }

    #[test]
    fn token_is_jwt_shaped() {
        let mut st = state();
        let g = st.issue_client_token("admin-client", "admin-secret", None).unwrap();
        let parts: Vec<&str> = g.access_token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["sub"], "admin-client");
        assert_eq!(claims["scope"][0], "api-role:1");
    }

    #[test]
    fn list_paging_sorting_filtering() {
        let mut st = state();
        for n in ["b", "a", "c", "ab"] {
            st.create_role(role(n, &[]), &cat()).unwrap();
        }
        let all = st.list_roles(&q(&[]));
        assert_eq!(all.total_count, 5);
        assert_eq!(all.results[0].id, "1");
        let page = st.list_roles(&q(&[("page", "1"), ("page-size", "2"), ("sort", "displayName:asc")]));
        assert_eq!(page.total_count, 5);
        let names: Vec<_> = page.results.iter().map(|r| r.display_name.as_str()).collect();
        assert_eq!(names, ["b", "c"]);
        let f = st.list_roles(&q(&[("filter", r#"displayName=="a*""#), ("sort", "displayName:desc")]));
        assert_eq!(f.total_count, 2);
        assert_eq!(f.results[0].display_name, "ab");
        let f = st.list_roles(&q(&[("filter", "id==2,id==4"), ("pagesize", "1")]));
        assert_eq!((f.total_count, f.results.len()), (2, 1));
        let v: Vec<(String, String)> = vec![("sort".into(), "privileges:asc".into())];
        assert_eq!(ListParams::parse(&v).unwrap_err().status, 400);
        let v: Vec<(String, String)> = vec![("page-size".into(), "0".into())];
        assert!(ListParams::parse(&v).is_err());
        let v: Vec<(String, String)> = vec![("filter".into(), "name==x".into())];
        assert!(ListParams::parse(&v).is_err());
    }

    #[test]
    fn token_lifetimes_are_bounded_and_never_overflow() {
        let mut st = state();
        st.create_role(role("r", &["Read Computers"]), &cat()).unwrap();
        let mut req = integ("c", &["r"], Some(true));
        req.access_token_lifetime_seconds = Some(i64::MAX);
        let e = st.create_integration(req).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.description.contains(&format!("at most {MAX_TOKEN_LIFETIME_SECONDS}")), "{}", e.description);
        let mut req = integ("c", &["r"], Some(true));
        req.access_token_lifetime_seconds = Some(MAX_TOKEN_LIFETIME_SECONDS);
        let v = st.create_integration(req).unwrap();
        let (client_id, secret) = st.mint_secret(&v.id.to_string()).unwrap();
        assert!(st.issue_client_token(&client_id, &secret, None).is_ok());
        // A lifetime set through the control routes is not bounded: it saturates instead.
        st.settings.token_ttl_seconds = Some(u64::MAX);
        let g = st.issue_client_token(&client_id, &secret, None).unwrap();
        assert_eq!(st.tokens[&g.access_token].expires_at_ms, u64::MAX);
        assert!(st.issue_user_token("admin", "pw").is_some());
    }

    #[test]
    fn roles_and_integrations_are_capped() {
        let mut st = state();
        for n in st.roles.len()..MAX_OBJECTS {
            st.create_role(role(&format!("r{n}"), &["Read Computers"]), &cat()).unwrap();
        }
        let e = st.create_role(role("one too many", &["Read Computers"]), &cat()).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.description.contains("at most 10000 API roles"), "{}", e.description);
        for n in st.integrations.len()..MAX_OBJECTS {
            st.create_integration(integ(&format!("c{n}"), &["r5"], None)).unwrap();
        }
        let e = st.create_integration(integ("one too many", &["r5"], None)).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.description.contains("at most 10000 API integrations"), "{}", e.description);
    }
}
