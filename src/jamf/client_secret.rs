//! `jamf_client_secret`: generates an API client's secret. Jamf Pro shows a secret once and
//! invalidates the previous one whenever a new one is generated, so this resource generates only
//! on create, never on read, and replaces itself to rotate.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::framework::planmod::{RequiresReplace, UseStateForUnknown};
use crate::framework::validators::StringLengthAtLeast;
use crate::framework::{
    Attr, Attribute, AttributePath, CreateRequest, Diagnostic, Diagnostics, PlanRequest, Private, ReadRequest,
    Resource, Schema, StateResponse, Type, UpdateRequest,
};

use super::cache::{JamfData, PlannedClient, Seen, now_ms};
use super::client::{AppType, Integration, JamfError, JamfErrorKind};
use super::diag;

/// The `jamf_client_secret` resource: generates an API client's secret on create only, since
/// Jamf Pro shows a secret once and invalidates the previous one; rotating replaces it.
pub struct ClientSecretResource;

/// The values of a `jamf_client_secret`, one field per schema attribute. `Debug` shows whether
/// `client_secret` is set, never its value.
#[derive(Serialize, Deserialize, Clone, Default)]
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
    let find = |all: &std::collections::HashMap<String, super::client::Role>| -> BTreeMap<String, String> {
        all.values()
            .filter(|r| names.contains(&r.display_name))
            .map(|r| (r.id.clone(), r.display_name.clone()))
            .collect()
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
             so this resource generates a secret on create only and never while refreshing. To rotate, change \
             `keepers` (for example with a `time_rotating` value) or replace the resource.\n\n\
             The secret also follows the client's roles: Jamf Pro grants a change of `authorization_scopes` only \
             to newly generated secrets, so when the client's `authorization_scopes` change in the same plan, this \
             resource is planned for replacement and a new secret is generated after the client is updated. Renaming \
             a role is not a change of roles and keeps the secret; a role deleted and created again is a new role \
             to Jamf Pro, so it needs a new secret.\n\n\
             A secret that Jamf Pro revoked (the client was disabled or deleted) is detected on refresh and planned \
             for creation again. A secret rotated by hand in the Jamf Pro UI cannot be detected through the API. \
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
                req.planned = ClientSecretModel { keepers: req.planned.keepers.clone(), ..prior };
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
        let created_at = Some(now_ms());
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
        let created_at = req.private.typed::<SecretPrivate>().created_at;
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
    fn a_state_without_role_ids_reads_as_unknown_roles() {
        assert_eq!(Private::from_bytes(b"").typed::<SecretPrivate>().minted_roles, None);
        assert_eq!(Private::from_bytes(br#"{"other":1}"#).typed::<SecretPrivate>().minted_roles, None);
    }
}
