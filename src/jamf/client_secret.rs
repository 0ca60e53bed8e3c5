//! `jamf_client_secret`: generates an API client's secret. Jamf Pro shows a secret once and
//! invalidates the previous one whenever a new one is generated, so this resource generates only
//! on create, never on read, and replaces itself to rotate: on demand (`keepers`), by age
//! (`rotate_after`), or when a refresh that verifies the secret (`verify_on_refresh`) finds it
//! refused.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::framework::duration::parse_duration;
use crate::framework::planmod::{RequiresReplace, UseStateForUnknown};
use crate::framework::schema::Validator;
use crate::framework::validators::StringLengthAtLeast;
use crate::framework::{
    Attr, Attribute, AttributePath, CreateRequest, Diagnostic, Diagnostics, Number, PlanRequest, Private, ReadRequest,
    Resource, Schema, StateResponse, Type, UpdateRequest, Value,
};

use super::cache::{JamfData, PlannedClient, Seen, created_recently, now_ms};
use super::client::{AppType, Integration, JamfError, JamfErrorKind};
use super::diag;

/// The `jamf_client_secret` resource: generates an API client's secret on create only, since
/// Jamf Pro shows a secret once and invalidates the previous one; rotating replaces it.
pub struct ClientSecretResource;

/// The values of a `jamf_client_secret`, one field per schema attribute. `Debug` shows whether
/// `client_secret` is set, never its value.
#[derive(Serialize, Deserialize, Clone, Default, PartialEq)]
pub struct ClientSecretModel {
    /// The API client's id (the secret has no id of its own).
    pub id: Attr<String>,
    /// The `id` of the `jamf_api_client` whose secret this is; a change replaces the secret.
    pub api_client_id: Attr<String>,
    /// Arbitrary values that, when changed, generate a new secret (rotation on demand).
    pub keepers: Attr<BTreeMap<String, String>>,
    /// The OAuth client ID handed to the vendor with the secret.
    pub client_id: Attr<String>,
    /// The generated client secret (sensitive).
    pub client_secret: Attr<String>,
    /// The API roles the client held when this secret was generated.
    pub authorization_scopes: Attr<BTreeSet<String>>,
    /// When the secret was generated (RFC 3339, UTC).
    pub generated_at: Attr<String>,
    /// Changes whenever a new secret is generated: the generation time in ms since the Unix epoch.
    pub secret_version: Attr<Number>,
    /// The age (a duration such as `"2160h"`) past which a plan proposes a new secret.
    pub rotate_after: Attr<String>,
    /// Whether a refresh checks, with one access token, that Jamf Pro still accepts the secret.
    pub verify_on_refresh: Attr<bool>,
}

impl std::fmt::Debug for ClientSecretModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSecretModel")
            .field("id", &self.id)
            .field("api_client_id", &self.api_client_id)
            .field("keepers", &self.keepers)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.redacted())
            .field("authorization_scopes", &self.authorization_scopes)
            .field("generated_at", &self.generated_at)
            .field("secret_version", &self.secret_version)
            .field("rotate_after", &self.rotate_after)
            .field("verify_on_refresh", &self.verify_on_refresh)
            .finish()
    }
}

fn disabled_detail(client: &str) -> String {
    format!(
        "API client {client} is disabled, and Jamf Pro generates secrets only for enabled clients (disabling a \
         client also revokes its secret). Set `enabled = true` on the jamf_api_client, or remove this \
         jamf_client_secret while the client stays disabled."
    )
}

/// How messages name an API client: by display name and id when the name is known.
fn client_name(id: &str, i: Option<&Integration>) -> String {
    match i {
        Some(i) => format!("{:?} (id {id})", i.display_name),
        None => format!("with id {id}"),
    }
}

/// What a secret keeps in private state.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SecretPrivate {
    /// The roles the secret was generated for: `{role id: display name}`. Jamf binds a secret to
    /// role ids, while clients name roles by display name; keeping the ids lets a rename be told
    /// apart from a change of roles, and a role deleted (and perhaps re-created under the same
    /// name) be noticed. `None` in states written before role ids were recorded.
    #[serde(default)]
    pub minted_roles: Option<BTreeMap<String, String>>,
    /// When the secret was generated (ms since the Unix epoch): a 404 for its client soon after
    /// is replication lag, not a revocation. Carried unchanged by every read.
    #[serde(default)]
    pub created_at: Option<u64>,
}

impl SecretPrivate {
    fn minted(roles: BTreeMap<String, String>, created_at: Option<u64>) -> Private {
        Private::from_typed(&SecretPrivate { minted_roles: Some(roles), created_at })
    }
}

/// `{id: name}` of the roles named `names`, from the role list (re-read once if a name is
/// missing from a cached list); `None` if the list cannot be read.
async fn ids_of_roles(data: &JamfData, names: &BTreeSet<String>) -> Option<BTreeMap<String, String>> {
    let find = |all: &super::cache::Listed<super::client::Role>| -> BTreeMap<String, String> {
        names.iter().flat_map(|n| all.named(n)).map(|r| (r.id.clone(), r.display_name.clone())).collect()
    };
    let mut found = find(&*data.all_roles().await.ok()?);
    if found.len() < names.len() {
        data.roles.invalidate();
        found = find(&*data.all_roles().await.ok()?);
    }
    Some(found)
}

/// The diagnostic for a secret Jamf Pro would not generate for API client `id`.
fn mint_error(id: &str, e: &JamfError) -> Diagnostic {
    match e.kind() {
        JamfErrorKind::ClientDisabled { .. } => Diagnostic::error(
            "Cannot generate a secret for a disabled API client",
            disabled_detail(&client_name(id, None)),
        )
        .at(AttributePath::attr("api_client_id")),
        JamfErrorKind::NotFound { .. } => Diagnostic::error(
            "API client not found",
            format!("Jamf Pro has no API client with id {id}. Check api_client_id (it takes jamf_api_client.x.id)."),
        )
        .at(AttributePath::attr("api_client_id")),
        _ => diag::error(&format!("generate a client secret for API client {id}"), e),
    }
}

/// Why a stored secret no longer works, if it does not.
fn revoked(i: Option<&Integration>) -> Option<&'static str> {
    match i {
        None => Some("its API client was deleted"),
        Some(i) if !i.enabled => Some("its API client is disabled"),
        // Only a disable resets the app type (a rotation in the console keeps it).
        Some(i) if i.app_type == AppType::None => Some("the client was disabled since, which revoked it"),
        Some(_) => None,
    }
}

/// The `generated_at` and `secret_version` of a secret generated at `ms` (since the Unix epoch).
fn generation(ms: u64) -> (Attr<String>, Attr<Number>) {
    let at = OffsetDateTime::from_unix_timestamp((ms / 1000) as i64)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .map_or(Attr::Null, Attr::Known);
    (at, Attr::Known(Number::from_u64(ms)))
}

/// When the secret in `state` was generated (ms since the Unix epoch), from `generated_at`.
fn generated_ms(state: &ClientSecretModel) -> Option<u64> {
    let at = OffsetDateTime::parse(state.generated_at.get()?, &Rfc3339).ok()?;
    u64::try_from(at.unix_timestamp()).ok().map(|s| s * 1000)
}

/// A state written before the generation time was recorded: filled in from the creation time the
/// private state has held since secrets were first generated, so such states plan no change.
fn with_generation(mut state: ClientSecretModel, private: &SecretPrivate) -> ClientSecretModel {
    if let (true, Some(at)) = (state.secret_version.is_null(), private.created_at) {
        (state.generated_at, state.secret_version) = generation(at);
    }
    state
}

/// An age as the duration syntax `rotate_after` takes (`2161h5m0s`), with days when over one.
fn age_text(d: std::time::Duration) -> String {
    let s = d.as_secs();
    let go = format!("{}h{}m{}s", s / 3600, s / 60 % 60, s % 60);
    match s / 86_400 {
        0 => go,
        1 => format!("{go} (1 day)"),
        days => format!("{go} ({days} days)"),
    }
}

/// `rotate_after`: a duration of at least a second, said in the words a user needs to fix it.
struct RotationAge;

impl Validator for RotationAge {
    fn description(&self) -> String {
        "must be a duration such as `\"2160h\"` (90 days), in hours, minutes or seconds".into()
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Value::String(s) = value else { return };
        let problem = match parse_duration(s) {
            Ok(d) if d >= std::time::Duration::from_secs(1) => return,
            Ok(_) => format!("{s:?} is shorter than a second"),
            Err(e) => e,
        };
        diags.error_at(
            path.clone(),
            "Invalid rotate_after",
            format!(
                "`{path}` takes the age after which a new secret is generated, as a duration in hours, minutes or \
                 seconds: for example \"2160h\" (90 days) or \"720h\" (30 days); there is no day unit. {problem}."
            ),
        );
    }
}

/// `rotate_after`: once the secret is older, plan a new one and say why.
fn plan_rotation_by_age(
    prior: &ClientSecretModel,
    name: &str,
    req: &mut PlanRequest<ClientSecretModel>,
    diags: &mut Diagnostics,
) {
    let Attr::Known(setting) = &req.planned.rotate_after else { return };
    // An invalid value is reported by the validator, at the attribute.
    let Ok(limit) = parse_duration(setting) else { return };
    let path = AttributePath::attr("rotate_after");
    // A state not refreshed since the generation time was recorded (`-refresh=false`): the
    // creation time in private state is the same moment.
    let recorded = || req.private.typed::<SecretPrivate>().created_at;
    let Some(generated) = generated_ms(prior).or_else(recorded) else {
        diags.warning_at(
            path,
            format!("The age of the secret of API client {name} is unknown"),
            "This secret was generated by a provider version that did not record when, so rotate_after cannot \
             tell its age and plans no rotation. Rotate it once (change keepers, or run terraform apply \
             -replace on this resource); rotate_after counts from that new secret.",
        );
        return;
    };
    let age = std::time::Duration::from_millis(now_ms().saturating_sub(generated));
    if age < limit {
        return;
    }
    let generated_at = match prior.generated_at.get() {
        Some(at) => at.clone(),
        None => generation(generated).0.get().cloned().unwrap_or_default(),
    };
    req.requires_replace.push(AttributePath::attr("generated_at"));
    req.planned.client_secret = Attr::Unknown;
    req.planned.generated_at = Attr::Unknown;
    req.planned.secret_version = Attr::Unknown;
    diags.warning_at(
        path,
        format!("A new secret is planned for API client {name}: the secret is older than rotate_after"),
        format!(
            "The secret was generated at {generated_at}, {} ago, and rotate_after = {setting:?}, so this plan \
             replaces it. Applying invalidates the current secret: deliver the new one to the vendor (a store \
             wired to secret_version receives it in the same apply).",
            age_text(age)
        ),
    );
}

/// `verify_on_refresh`: whether Jamf Pro still accepts the secret in `state`, learnt by obtaining
/// one access token with it. `false` only when Jamf Pro refused it (then with a warning saying
/// what happened); anything inconclusive keeps the secret, with a warning.
async fn verify(
    data: &JamfData,
    id: &str,
    client: Option<&Integration>,
    state: &ClientSecretModel,
    created_at: Option<u64>,
    diags: &mut Diagnostics,
) -> bool {
    let (Attr::Known(client_id), Attr::Known(secret)) = (&state.client_id, &state.client_secret) else {
        return true;
    };
    let name = client_name(id, client);
    let path = AttributePath::attr("client_secret");
    let secret = SecretString::from(secret.clone());
    match data.client.check_client_credentials(client_id, &secret).await {
        Ok(()) => true,
        // A secret generated moments ago may not have reached every Jamf Cloud node yet.
        Err(e) if e.is_invalid_client() && created_recently(created_at, now_ms()) => {
            tracing::debug!(api_client_id = %id, "a new client secret was refused; taken for replication lag");
            diags.warning_at(
                path,
                format!("The secret of API client {name} could not be verified yet"),
                "Jamf Pro refused a token for this secret, but the secret was generated less than two minutes ago, \
                 which a Jamf Cloud node may not have received yet. The state is kept; the next refresh checks again.",
            );
            true
        }
        Err(e) if e.is_invalid_client() => {
            tracing::info!(api_client_id = %id, "client secret refused by the token endpoint; planning a new one");
            diags.warning_at(
                path,
                format!("The secret of API client {name} was refused by Jamf Pro: a new one is planned"),
                "verify_on_refresh obtained no access token with the client ID and secret in the state: Jamf Pro \
                 answered invalid_client. The secret was rotated outside Terraform (Generate client secret in \
                 Settings > System > API roles and clients) or revoked, so whoever holds the state's secret is cut \
                 off. Terraform plans a new secret: deliver it to the vendor after the apply (a store wired to \
                 secret_version receives it in the same apply). If someone rotated it on purpose, the vendor may \
                 already hold that other secret, which this apply invalidates.",
            );
            false
        }
        Err(e) => {
            tracing::debug!(api_client_id = %id, error = %e, "client secret not verified");
            // An auth error's own message speaks of the provider's credentials, not this secret's.
            let why = match e.kind() {
                JamfErrorKind::Auth { error, .. } => format!(
                    "the token endpoint answered http {}{}",
                    e.status().map_or_else(|| "?".to_string(), |s| s.to_string()),
                    error.as_deref().map(|c| format!(" ({c})")).unwrap_or_default()
                ),
                _ => e.to_string(),
            };
            diags.warning_at(
                path,
                format!("The secret of API client {name} could not be verified"),
                format!(
                    "verify_on_refresh could not obtain an access token with this secret: {why}. The state is \
                     kept as it is; the next refresh checks again."
                ),
            );
            true
        }
    }
}

impl ClientSecretResource {
    /// The secret's roles in this plan. Compared by id, under the names their own plans give
    /// them: a change of the client's roles needs a new secret (Jamf grants roles only to new
    /// secrets); a renamed role keeps the secret and is planned as an in-place rename, so the
    /// state holds the new name once the rename is applied.
    fn plan_roles(
        &self,
        data: &JamfData,
        prior: &ClientSecretModel,
        planned: Option<&PlannedClient>,
        req: &mut PlanRequest<ClientSecretModel>,
    ) {
        let SecretPrivate { minted_roles: minted_ids, created_at } = req.private.typed();
        let minted_for: Option<BTreeMap<String, String>> = minted_ids.as_ref().map(|ids| {
            ids.iter()
                .map(|(id, name)| (id.clone(), data.planned_role_name(id).unwrap_or_else(|| name.clone())))
                .collect()
        });
        let minted_names: Option<BTreeSet<String>> = match &minted_for {
            Some(ids) => Some(ids.values().cloned().collect()),
            None => prior.authorization_scopes.get().cloned(),
        };
        if let (Some(minted_names), Some(roles)) = (&minted_names, planned.and_then(|p| p.authorization_scopes.clone()))
        {
            let roles: BTreeSet<String> = roles.into_iter().collect();
            if *minted_names != roles {
                req.requires_replace.push(AttributePath::attr("authorization_scopes"));
                req.planned.authorization_scopes = Attr::Known(roles);
                req.planned.client_secret = Attr::Unknown;
                return;
            }
        }
        if let Some(renamed) = minted_for
            && prior.authorization_scopes.get() != Some(&renamed.values().cloned().collect())
        {
            req.planned.authorization_scopes = Attr::Known(renamed.values().cloned().collect());
            req.private = SecretPrivate::minted(renamed, created_at);
        }
    }

    /// The roles the secret was generated for, under their current names: a renamed role keeps
    /// its place, a deleted one drops out (its tokens no longer carry it). Best effort: the state
    /// is kept as it is when the roles cannot be read.
    async fn refresh_roles(
        &self,
        data: &JamfData,
        mut state: ClientSecretModel,
        private: Private,
    ) -> (ClientSecretModel, Private) {
        let SecretPrivate { minted_roles, created_at } = private.typed();
        match minted_roles {
            Some(ids) => {
                let mut current = BTreeMap::new();
                for id in ids.keys() {
                    // A role made with the secret may not have reached this node yet either.
                    match data.role_seen(id, created_at).await {
                        Ok(Seen::Found(r)) => {
                            current.insert(id.clone(), r.display_name);
                        }
                        Ok(Seen::Gone) => {}
                        Ok(Seen::Lagging) => {
                            tracing::debug!(role = %id, "a role of a new client secret is not visible yet; kept");
                            return (state, private);
                        }
                        Err(e) => {
                            tracing::debug!(error = %e, "roles of a client secret not refreshed");
                            return (state, private);
                        }
                    }
                }
                state.authorization_scopes = Attr::Known(current.values().cloned().collect());
                (state, SecretPrivate::minted(current, created_at))
            }
            // A state written before role ids were recorded: learn them now, by name.
            None => {
                if let Attr::Known(names) = &state.authorization_scopes
                    && let Some(ids) = ids_of_roles(data, names).await
                {
                    return (state, SecretPrivate::minted(ids, created_at));
                }
                (state, private)
            }
        }
    }
}

#[async_trait]
impl Resource for ClientSecretResource {
    type Data = JamfData;
    type Model = ClientSecretModel;

    fn type_name(&self) -> &'static str {
        "jamf_client_secret"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Generates the client secret of a `jamf_api_client`: the credential a vendor is handed with the \
             client ID.\n\n\
             Jamf Pro shows a secret only once and invalidates the previous one whenever a new one is generated, \
             so this resource generates a secret on create only and never while refreshing. To rotate, set \
             `rotate_after` (a plan proposes a new secret once the secret is older), change `keepers` (for \
             example with a `time_rotating` value) or replace the resource. Every new secret gets a new \
             `secret_version`: wire it to the `*_wo_version` argument of the store the secret is delivered to, \
             so that a rotation re-sends the secret and nothing else does.\n\n\
             The secret also follows the client's roles: Jamf Pro grants a change of `authorization_scopes` only \
             to newly generated secrets, so when the client's `authorization_scopes` change in the same plan, this \
             resource is planned for replacement and a new secret is generated after the client is updated. Renaming \
             a role is not a change of roles and keeps the secret; a role deleted and created again is a new role \
             to Jamf Pro, so it needs a new secret.\n\n\
             A secret that Jamf Pro revoked (the client was disabled or deleted) is detected on refresh and planned \
             for creation again. A secret rotated by hand in the Jamf Pro UI cannot be seen in the client's \
             settings: with `verify_on_refresh = true`, a refresh obtains an access token with the secret, and a \
             refusal plans a new secret. \
             Destroying this resource only removes it from the Terraform state: the secret stays valid until it \
             is rotated or the client is disabled or deleted.",
        )
        .attribute(
            Attribute::string("id")
                .computed()
                .plan_modifier(UseStateForUnknown)
                .description("The API client's id (the secret has no id of its own)."),
        )
        .attribute(
            Attribute::string("api_client_id")
                .required()
                .validator(StringLengthAtLeast(1))
                .plan_modifier(RequiresReplace)
                .description("The `id` of the `jamf_api_client`, e.g. `jamf_api_client.vendor.id`."),
        )
        .attribute(Attribute::map_of("keepers", Type::String).optional().plan_modifier(RequiresReplace).description(
            "Arbitrary values that, when changed, generate a new secret (rotation on demand), e.g. \
             `{ rotation = time_rotating.quarterly.id }`.",
        ))
        .attribute(
            Attribute::string("client_id")
                .computed()
                .plan_modifier(UseStateForUnknown)
                .description("The OAuth client ID to hand to the vendor with the secret."),
        )
        .attribute(
            Attribute::string("client_secret").computed().sensitive().plan_modifier(UseStateForUnknown).description(
                "The generated client secret. Sensitive: read it with `terraform output -raw` from a sensitive \
                     output, and hand it to the vendor over a secure channel.",
            ),
        )
        .attribute(
            Attribute::set_of("authorization_scopes", Type::String)
                .computed()
                .plan_modifier(UseStateForUnknown)
                .description("The API roles the client held when this secret was generated."),
        )
        .attribute(Attribute::string("generated_at").computed().plan_modifier(UseStateForUnknown).description(
            "When the secret was generated (RFC 3339, UTC, e.g. `2026-03-01T09:30:00Z`). Known after apply \
             whenever a new secret is planned.",
        ))
        .attribute(Attribute::number("secret_version").computed().plan_modifier(UseStateForUnknown).description(
            "A number that changes whenever a new secret is generated and at no other time: wire it to the \
             `*_wo_version` argument of the store the secret is written to (e.g. \
             `aws_secretsmanager_secret_version.secret_string_wo_version`), so that a rotation re-sends the \
             secret and any other apply does not. It is the generation time in milliseconds since the Unix \
             epoch, so it also grows when the secret is generated again after a revocation, where a counter \
             would start over. Known after apply whenever a new secret is planned.",
        ))
        .attribute(Attribute::string("rotate_after").optional().validator(RotationAge).description(
            "Rotate by age: once the secret is older than this duration (hours, minutes or seconds, e.g. \
             `\"2160h\"` for 90 days), `terraform plan` proposes a new secret and says why in a warning naming \
             the secret's age. Checked when planning, so the secret is rotated by the first apply after it ages \
             (schedule a plan and apply, for example weekly). Changing it is an in-place change: a new secret is \
             planned only when the current one is older than the new value. When omitted, age never causes a \
             rotation.",
        ))
        .attribute(Attribute::bool("verify_on_refresh").optional().description(
            "When `true`, every refresh obtains one access token with the client ID and the secret in the \
             state, to detect a secret rotated by hand in the Jamf Pro UI or otherwise revoked: when Jamf Pro \
             refuses it (`invalid_client`), the refresh warns and a new secret is planned. When the token \
             endpoint cannot be reached, the state is kept and the refresh warns. Costs one token request per \
             secret per refresh (each token stays valid for the client's `access_token_lifetime_seconds`, \
             unused). Off by default; takes effect from the refresh after the apply that sets it.",
        ))
    }

    async fn plan(&self, data: Option<&JamfData>, req: &mut PlanRequest<ClientSecretModel>, diags: &mut Diagnostics) {
        let Some(data) = data else { return };
        let Attr::Known(client) = req.planned.api_client_id.clone() else { return };
        let planned = data.planned_client(&client);
        let on_server = data.integrations.peek().and_then(|all| all.get(&client).cloned());
        let name = client_name(&client, on_server.as_ref());
        let creating =
            req.prior.is_none() || req.requires_replace.iter().any(|p| p == &AttributePath::attr("api_client_id"));
        // Whether the client will be enabled once this plan is applied.
        let enabled = planned.as_ref().and_then(|p| p.enabled).or(on_server.as_ref().map(|i| i.enabled));

        // A new secret always belongs to the same client, whose client ID never changes: plan it
        // as known, so a rotation shows that only the secret is new.
        // (At apply time Terraform re-plans only what changes: a client left as it is was not
        // planned in this process, so its client ID is read.)
        if req.prior.is_none() {
            // The secret's id is its client's.
            req.planned.id = Attr::Known(client.clone());
            let client_id = match planned.as_ref().and_then(|p| p.client_id.clone()) {
                Some(c) => Some(c),
                None => data.integration(&client).await.ok().flatten().map(|i| i.client_id),
            };
            if let Some(c) = client_id {
                req.planned.client_id = Attr::Known(c);
            }
        }

        if let Some(prior) = req.prior.clone() {
            // While the client is (or is planned to be) disabled, Jamf Pro holds no secret of it
            // and cannot generate one: plan nothing for the secret (a new one is planned when the
            // client is enabled again). The warning that no secret is valid comes from the refresh.
            if enabled == Some(false) && !creating {
                req.requires_replace.clear();
                req.planned = ClientSecretModel {
                    keepers: req.planned.keepers.clone(),
                    rotate_after: req.planned.rotate_after.clone(),
                    verify_on_refresh: req.planned.verify_on_refresh.clone(),
                    ..prior
                };
                return;
            }
            // Enabled again (here or in the console) after a disable, which revoked the secret.
            let revoked_by_disable = on_server.as_ref().is_some_and(|i| !i.enabled || i.app_type == AppType::None);
            if enabled == Some(true) && revoked_by_disable {
                req.requires_replace.push(AttributePath::attr("client_secret"));
                req.planned.client_secret = Attr::Unknown;
                diags.warning_at(
                    AttributePath::attr("client_secret"),
                    format!("A new secret is planned for API client {name}"),
                    "Its previous secret was revoked when the client was disabled, and Jamf Pro does not bring it \
                     back when the client is enabled again. Hand the new secret to the vendor after this apply.",
                );
            }
            self.plan_roles(data, &prior, planned.as_ref(), req);
            if req.requires_replace.is_empty() {
                plan_rotation_by_age(&prior, &name, req, diags);
            }
        }

        // Generating a secret for a disabled client fails: say so now when the plan knows it.
        let replacing = creating || !req.requires_replace.is_empty();
        if replacing && enabled == Some(false) {
            diags.error_at(
                AttributePath::attr("api_client_id"),
                "Cannot generate a secret for a disabled API client",
                disabled_detail(&name),
            );
        }
    }

    async fn create(
        &self,
        data: &JamfData,
        req: CreateRequest<ClientSecretModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ClientSecretModel>> {
        let id = req.planned.api_client_id.get()?.clone();
        let creds = diags.ok(data.client.mint_client_credentials(&id).await, |e| mint_error(&id, &e))?;
        let minted_at = now_ms();
        let created_at = Some(minted_at);
        let (generated_at, secret_version) = generation(minted_at);
        // Minting changed the client's app type; its next read must not come from the old list.
        data.integrations.invalidate();
        // The roles the secret carries: those the client's own plan, moments ago in this process,
        // gave it (the client is applied before its secret); read from Jamf Pro only for a client
        // this configuration does not manage.
        let roles: BTreeSet<String> = match data.planned_client(&id).and_then(|p| p.authorization_scopes) {
            Some(planned) => planned.into_iter().collect(),
            None => match data.client.get_integration(&id).await {
                Ok(i) => i.authorization_scopes.into_iter().collect(),
                // The secret exists now: record it even if this follow-up read fails.
                Err(_) => BTreeSet::new(),
            },
        };
        let private = match ids_of_roles(data, &roles).await {
            Some(ids) => SecretPrivate::minted(ids, created_at),
            None => Private::from_typed(&SecretPrivate { minted_roles: None, created_at }),
        };
        let response = StateResponse::new(ClientSecretModel {
            id: Attr::Known(id.clone()),
            api_client_id: Attr::Known(id),
            keepers: req.planned.keepers.clone(),
            client_id: Attr::Known(creds.client_id.clone()),
            client_secret: Attr::Known(creds.client_secret.expose_secret().to_string()),
            authorization_scopes: Attr::Known(roles),
            generated_at,
            secret_version,
            rotate_after: req.planned.rotate_after.clone(),
            verify_on_refresh: req.planned.verify_on_refresh.clone(),
        });
        Some(response.with_private(private))
    }

    async fn read(
        &self,
        data: &JamfData,
        req: ReadRequest<ClientSecretModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ClientSecretModel>> {
        // Never generates: only checks that the secret can still be in force.
        let id = req.state.api_client_id.get()?.clone();
        let typed_private = req.private.typed::<SecretPrivate>();
        let created_at = typed_private.created_at;
        let req = ReadRequest { state: with_generation(req.state, &typed_private), private: req.private };
        let seen = diags
            .ok(data.integration_seen(&id, created_at).await, |e| diag::error(&format!("read API client {id}"), &e))?;
        let client = match seen {
            Seen::Found(i) => Some(i),
            Seen::Gone => None,
            Seen::Lagging => {
                diags.push(diag::lagging(&format!("API client {id} of this client secret")));
                return Some(StateResponse::new(req.state).with_private(req.private));
            }
        };
        match client {
            // Disabled: no secret of the client is valid, and none can be generated until it is
            // enabled again. The state is kept as it is (the workspace stays plannable and
            // destroyable); enabling the client plans a new secret.
            Some(i) if !i.enabled => {
                diags.warning_at(
                    AttributePath::attr("client_secret"),
                    format!("API client {} is disabled: no secret of it is valid", client_name(&id, Some(&i))),
                    "Jamf Pro revoked this client's secret when the client was disabled, so the vendor holding it \
                     is cut off. Terraform plans no change to the secret while the client stays disabled; when it \
                     is enabled again, a new secret is planned and has to be handed to the vendor.",
                );
                Some(StateResponse::new(req.state).with_private(req.private))
            }
            _ => match revoked(client.as_ref()) {
                Some(why) => {
                    tracing::info!(api_client_id = %id, reason = why, "client secret revoked; planning a new one");
                    diags.warning_at(
                        AttributePath::attr("client_secret"),
                        format!("The secret of API client {} no longer works", client_name(&id, client.as_ref())),
                        format!("The secret in the state was revoked ({why}): a new one is planned."),
                    );
                    Some(StateResponse::gone())
                }
                None => {
                    if req.state.verify_on_refresh == Attr::Known(true)
                        && !verify(data, &id, client.as_ref(), &req.state, created_at, diags).await
                    {
                        return Some(StateResponse::gone());
                    }
                    let (state, private) = self.refresh_roles(data, req.state, req.private).await;
                    Some(StateResponse::new(state).with_private(private))
                }
            },
        }
    }

    async fn update(
        &self,
        _data: &JamfData,
        req: UpdateRequest<ClientSecretModel>,
        _diags: &mut Diagnostics,
    ) -> Option<StateResponse<ClientSecretModel>> {
        // Every input forces replacement; nothing to send.
        Some(StateResponse::new(req.planned).with_private(req.private))
    }

    async fn delete(&self, _data: &JamfData, _prior: ClientSecretModel, _private: Private, _diags: &mut Diagnostics) {
        // Jamf Pro has no call to revoke a secret on its own (only disabling or deleting the client
        // does): destroy forgets it, as documented.
    }

    async fn import(
        &self,
        _data: &JamfData,
        _id: &str,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ClientSecretModel>> {
        diags.error(
            "jamf_client_secret cannot be imported",
            "Jamf Pro never shows a client secret again after generating it, so there is nothing to import. \
             Remove the import and let Terraform generate a new secret (this invalidates the current one), then \
             hand the new secret to the vendor.",
        );
        None
    }

    async fn move_state(
        &self,
        source: &crate::framework::MoveSource,
        diags: &mut Diagnostics,
    ) -> Option<ClientSecretModel> {
        diags.push(super::moves::secret_refused(source));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let m = ClientSecretModel {
            client_id: Attr::Known("c1ient-id".into()),
            client_secret: Attr::Known("s3cret-of-the-vendor".into()),
            verify_on_refresh: Attr::Known(true),
            ..Default::default()
        };
        let shown = format!("{m:?}");
        assert!(!shown.contains("s3cret-of-the-vendor"), "{shown}");
        assert!(shown.contains("client_secret: Known([redacted])") && shown.contains("c1ient-id"), "{shown}");
    }

    #[test]
    fn private_state_written_by_the_previous_version_still_reads() {
        // What a secret created before private state was typed stored, byte for byte.
        let stored = br#"{"minted_roles":{"3":"Vendor","9":"Reader"}}"#;
        let read = Private::from_bytes(stored).typed::<SecretPrivate>();
        let roles = BTreeMap::from([("3".to_string(), "Vendor".to_string()), ("9".to_string(), "Reader".to_string())]);
        assert_eq!(read.minted_roles.as_ref(), Some(&roles));
        assert_eq!(SecretPrivate::minted(roles, None).to_bytes(), stored);
    }

    #[test]
    fn the_generation_time_gives_both_attributes_and_reads_back() {
        let (at, version) = generation(1_764_707_277_123);
        assert_eq!(at, Attr::Known("2025-12-02T20:27:57Z".to_string()));
        assert_eq!(version, Attr::Known(Number::from_u64(1_764_707_277_123)));
        let m = ClientSecretModel { generated_at: at, ..Default::default() };
        assert_eq!(generated_ms(&m), Some(1_764_707_277_000));
        assert_eq!(generated_ms(&ClientSecretModel::default()), None);
    }

    #[test]
    fn an_older_state_is_filled_in_from_the_creation_time_and_a_recorded_one_is_kept() {
        let private = SecretPrivate { minted_roles: None, created_at: Some(1_764_707_277_123) };
        let old = with_generation(ClientSecretModel::default(), &private);
        assert_eq!(old.secret_version, Attr::Known(Number::from_u64(1_764_707_277_123)));
        assert_eq!(old.generated_at.get().map(String::as_str), Some("2025-12-02T20:27:57Z"));
        let recorded = ClientSecretModel { secret_version: Attr::Known(Number::from_u64(5)), ..Default::default() };
        assert_eq!(with_generation(recorded, &private).secret_version, Attr::Known(Number::from_u64(5)));
        let unknown_age = with_generation(ClientSecretModel::default(), &SecretPrivate::default());
        assert!(unknown_age.secret_version.is_null() && unknown_age.generated_at.is_null());
    }

    #[test]
    fn ages_are_said_in_the_settings_syntax() {
        assert_eq!(age_text(std::time::Duration::from_secs(3)), "0h0m3s");
        assert_eq!(age_text(std::time::Duration::from_secs(90_061)), "25h1m1s (1 day)");
        assert_eq!(age_text(std::time::Duration::from_secs(2160 * 3600 + 300)), "2160h5m0s (90 days)");
    }

    #[test]
    fn rotate_after_takes_durations_of_a_second_or_more_and_says_what_to_write() {
        let path = AttributePath::attr("rotate_after");
        for ok in ["2160h", "720h30m", "1s", "1.5h"] {
            let mut d = Diagnostics::new();
            RotationAge.validate(&Value::String(ok.into()), &path, &mut d);
            assert!(!d.has_error(), "{ok}: {d:?}");
        }
        for bad in ["90d", "30", "0", "500ms", ""] {
            let mut d = Diagnostics::new();
            RotationAge.validate(&Value::String(bad.into()), &path, &mut d);
            let text: String = d.iter().map(|x| x.detail.clone()).collect();
            assert!(d.has_error(), "{bad}");
            assert!(text.contains("\"2160h\" (90 days)") && text.contains("rotate_after"), "{bad}: {text}");
        }
        let mut d = Diagnostics::new();
        RotationAge.validate(&Value::Unknown, &path, &mut d);
        assert!(!d.has_error());
    }

    fn aged(
        generated_secs_ago: Option<u64>,
        rotate_after: Option<&str>,
    ) -> (PlanRequest<ClientSecretModel>, Diagnostics) {
        let generation = generated_secs_ago.map(|ago| generation(now_ms() - ago * 1000));
        let (generated_at, secret_version) = generation.unwrap_or((Attr::Null, Attr::Null));
        let prior = ClientSecretModel {
            client_secret: Attr::Known("s".into()),
            generated_at,
            secret_version,
            rotate_after: rotate_after.map_or(Attr::Null, |r| Attr::Known(r.to_string())),
            ..Default::default()
        };
        let mut req = PlanRequest {
            prior: Some(prior.clone()),
            config: prior.clone(),
            planned: prior.clone(),
            requires_replace: Vec::new(),
            private: Private::default(),
        };
        let mut diags = Diagnostics::new();
        plan_rotation_by_age(&prior, "\"Vendor\" (id 3)", &mut req, &mut diags);
        (req, diags)
    }

    #[test]
    fn a_secret_older_than_rotate_after_is_replaced_with_a_warning_and_a_younger_one_is_kept() {
        let (req, diags) = aged(Some(7200), Some("1h"));
        assert_eq!(req.requires_replace, [AttributePath::attr("generated_at")]);
        assert!(req.planned.client_secret.is_unknown() && req.planned.secret_version.is_unknown());
        assert!(req.planned.generated_at.is_unknown());
        let w: Vec<_> = diags.iter().collect();
        assert_eq!(w.len(), 1);
        assert!(w[0].summary.contains("older than rotate_after"), "{:?}", w[0]);
        assert!(w[0].detail.contains("2h0m") && w[0].detail.contains("rotate_after = \"1h\""), "{:?}", w[0]);

        for (ago, setting) in [(Some(60), Some("1h")), (Some(7200), None)] {
            let (req, diags) = aged(ago, setting);
            assert!(req.requires_replace.is_empty() && diags.is_empty(), "{ago:?} {setting:?}");
            assert_eq!(req.planned.secret_version, req.prior.unwrap().secret_version);
        }
    }

    #[test]
    fn a_secret_of_unknown_age_is_kept_with_a_warning_saying_how_to_start_the_clock() {
        let (req, diags) = aged(None, Some("1h"));
        assert!(req.requires_replace.is_empty());
        let w: Vec<_> = diags.iter().collect();
        assert_eq!(w.len(), 1);
        assert!(w[0].summary.contains("age of the secret") && w[0].detail.contains("-replace"), "{:?}", w[0]);

        // Not refreshed since the attributes were added: the creation time in private state counts.
        let (mut req, _) = aged(None, Some("1h"));
        req.private = SecretPrivate::minted(BTreeMap::new(), Some(now_ms() - 7_200_000));
        let prior = req.prior.clone().unwrap();
        let mut diags = Diagnostics::new();
        plan_rotation_by_age(&prior, "\"Vendor\" (id 3)", &mut req, &mut diags);
        assert_eq!(req.requires_replace, [AttributePath::attr("generated_at")]);
        assert!(diags.iter().any(|d| d.summary.contains("older than rotate_after")));
    }

    #[test]
    fn a_state_without_role_ids_reads_as_unknown_roles() {
        assert_eq!(Private::from_bytes(b"").typed::<SecretPrivate>().minted_roles, None);
        assert_eq!(Private::from_bytes(br#"{"other":1}"#).typed::<SecretPrivate>().minted_roles, None);
    }
}
