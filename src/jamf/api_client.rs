//! `jamf_api_client`: an API client ("API integration" in Jamf's API) holding API roles.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::framework::planmod::UseStateForUnknown;
use crate::framework::validators::{
    EachElement, IntegerAtLeast, SizeAtLeast, StringLengthAtLeast, StringPrintableTrimAdvised,
};
use crate::framework::{
    Attr, Attribute, AttributePath, CreateRequest, Diagnostics, MoveSource, PlanRequest, Private, ReadRequest,
    Resource, Schema, StateResponse, Type, UpdateRequest,
};

use super::cache::{CreatedPrivate, JamfData, PlannedClient};
use super::client::{Integration, IntegrationRequest, JamfError, JamfErrorKind};
use super::diag;
use super::lookup::{self, name_taken};
use super::privileges;

/// The `jamf_api_client` resource: creates, updates, reads, imports and deletes an API client.
pub struct ApiClientResource;

/// The values of a `jamf_api_client`, one field per schema attribute (also the model of the
/// `jamf_api_client` data source).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ApiClientModel {
    /// The API client's id in Jamf Pro (a number, as a string).
    pub id: Attr<String>,
    /// The OAuth client ID (a UUID) handed to the vendor; stable for the life of the client.
    pub client_id: Attr<String>,
    /// The client's name, unique among API clients.
    pub display_name: Attr<String>,
    /// Display names of the API roles the client is granted.
    pub authorization_scopes: Attr<BTreeSet<String>>,
    /// Whether the client may obtain access tokens (`true` unless configured otherwise).
    pub enabled: Attr<bool>,
    /// Lifetime of the access tokens the client obtains, in seconds (Jamf Pro's default, 300, when
    /// not configured).
    pub access_token_lifetime_seconds: Attr<i64>,
}

impl ApiClientModel {
    /// The model of a client as Jamf Pro returns it, every attribute known; a lifetime Jamf Pro
    /// leaves unset is read as [`DEFAULT_LIFETIME`].
    pub fn from_integration(i: &Integration) -> ApiClientModel {
        ApiClientModel {
            id: Attr::Known(i.id.clone()),
            client_id: Attr::Known(i.client_id.clone()),
            display_name: Attr::Known(i.display_name.clone()),
            authorization_scopes: Attr::Known(i.authorization_scopes.iter().cloned().collect()),
            enabled: Attr::Known(i.enabled),
            access_token_lifetime_seconds: Attr::Known(i.access_token_lifetime_seconds.unwrap_or(DEFAULT_LIFETIME)),
        }
    }

    fn request(&self, lifetime: Option<i64>) -> IntegrationRequest {
        IntegrationRequest {
            display_name: self.display_name.get().cloned().unwrap_or_default(),
            authorization_scopes: self
                .authorization_scopes
                .get()
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default(),
            enabled: self.enabled.get().copied().unwrap_or(true),
            access_token_lifetime_seconds: lifetime,
        }
    }
}

/// What the client now is, for the plans and creates of its secret that follow in this process
/// (a client created in this run had no id when it was planned).
fn record_applied(data: &JamfData, i: &Integration) {
    data.record_planned_client(
        &i.id,
        PlannedClient {
            enabled: Some(i.enabled),
            authorization_scopes: Some(i.authorization_scopes.clone()),
            client_id: Some(i.client_id.clone()),
        },
    );
}

/// The resource type.
const TYPE: &str = "jamf_api_client";

/// Plan-time errors for role names in `authorization_scopes` that no role on the server has and
/// no `jamf_api_role` of this configuration is planned with (roles are planned in no particular
/// order, so a name not found yet is given a moment to be planned). Best effort: nothing is
/// reported when the role list cannot be read.
async fn unknown_roles(data: &JamfData, names: &[&String]) -> Diagnostics {
    let mut d = Diagnostics::new();
    let roles = match data.roles_for_check().await {
        Some(Ok(roles)) => roles,
        Some(Err(e)) => {
            tracing::debug!(error = %e, "authorization_scopes not checked at plan time");
            return d;
        }
        None => return d,
    };
    let on_server = |n: &str| roles.named(n).next().is_some();
    let missing: Vec<&String> = names.iter().copied().filter(|n| !on_server(n)).collect();
    if missing.is_empty() {
        return d;
    }
    let planned = |r: &super::registry::Registry| missing.iter().all(|m| r.is_claimed("jamf_api_role", m));
    data.registry.wait_for(super::registry::OTHER_PLANS_GRACE, planned).await;
    let mut known: Vec<String> = roles.values().map(|r| r.display_name.clone()).collect();
    known.extend(data.registry.claimed_names("jamf_api_role"));
    known.sort();
    known.dedup();
    for m in missing.into_iter().filter(|m| !data.registry.is_claimed("jamf_api_role", m)) {
        let hint = match privileges::suggestions(m, &known).as_slice() {
            [] => String::new(),
            [one] => format!(" Did you mean {one:?}?"),
            many => format!(
                " Did you mean one of: {}?",
                many.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
            ),
        };
        d.error_at(
            AttributePath::attr("authorization_scopes").then_key(m.clone()),
            "Unknown API role",
            format!(
                "Neither Jamf Pro nor this configuration has an API role named {m:?} (names are exact and \
                 case-sensitive).{hint} authorization_scopes takes role display names: reference the role resource \
                 (jamf_api_role.x.display_name), which also makes Terraform create the role first."
            ),
        );
    }
    d
}

/// Jamf Pro's access-token lifetime when none is given.
pub const DEFAULT_LIFETIME: i64 = 300;

impl ApiClientResource {
    async fn write_error(&self, data: &JamfData, body: &IntegrationRequest, e: JamfError) -> Diagnostics {
        match e.kind() {
            JamfErrorKind::NameTaken { name, id, sent } => name_taken::<Integration>(data, name, id, *sent).into(),
            JamfErrorKind::NameConflict { .. } => {
                let existing = data.client.find_integrations_by_display_name(&body.display_name).await.ok();
                lookup::apply_time_conflict(data, &body.display_name, existing.as_ref().and_then(|v| v.first())).into()
            }
            JamfErrorKind::Rejected { .. } if e.status() == Some(400) => {
                // Most likely a role name that does not exist: say which.
                let missing: Vec<String> = match data.all_roles().await {
                    Ok(roles) => {
                        body.authorization_scopes.iter().filter(|s| roles.named(s).next().is_none()).cloned().collect()
                    }
                    Err(_) => Vec::new(),
                };
                if missing.is_empty() {
                    diag::error(&format!("save API client {:?}", body.display_name), &e).into()
                } else {
                    let mut d = Diagnostics::new();
                    for m in missing {
                        d.error_at(
                            AttributePath::attr("authorization_scopes").then_key(m.clone()),
                            "Unknown API role",
                            format!(
                                "Jamf Pro has no API role named {m:?}. authorization_scopes takes role display names; \
                                 reference the role resource (jamf_api_role.x.display_name) so it is created first."
                            ),
                        );
                    }
                    d
                }
            }
            _ => diag::error(&format!("save API client {:?}", body.display_name), &e).into(),
        }
    }
}

#[async_trait]
impl Resource for ApiClientResource {
    type Data = JamfData;
    type Model = ApiClientModel;

    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "An API client (called \"API integration\" in Jamf Pro's API): the identity a SaaS integration uses, \
             holding one or more API roles. Its secret is managed by `jamf_client_secret`.\n\n\
             Jamf applies a change of the roles to newly generated secrets only: `jamf_client_secret` follows this \
             client's `authorization_scopes` and plans a new secret when they change.",
        )
        .attribute(
            Attribute::string("id")
                .computed()
                .plan_modifier(UseStateForUnknown)
                .description("The API client's id in Jamf Pro (a number, as a string)."),
        )
        .attribute(
            Attribute::string("client_id")
                .computed()
                .plan_modifier(UseStateForUnknown)
                .description("The OAuth client ID (a UUID) to hand to the vendor. Stable for the life of the client."),
        )
        .attribute(
            Attribute::string("display_name")
                .required()
                .validator(StringLengthAtLeast(1))
                .validator(StringPrintableTrimAdvised)
                .description("The client's name, unique among API clients. Renaming happens in place."),
        )
        .attribute(
            Attribute::set_of("authorization_scopes", Type::String)
                .required()
                .validator(SizeAtLeast(1))
                .validator(EachElement(StringLengthAtLeast(1)))
                .description(
                    "Display names of the API roles granted, e.g. `[jamf_api_role.vendor.display_name]` (at least \
                     one; referencing the role resource orders creation and destruction).",
                ),
        )
        .attribute(Attribute::bool("enabled").optional().default(true).description(
            "Whether the client may obtain access tokens. Defaults to `true` (Jamf Pro's own default is \
             disabled). Disabling revokes the client's secret: `jamf_client_secret` then plans a new one once the \
             client is enabled again.",
        ))
        .attribute(
            Attribute::number("access_token_lifetime_seconds")
                .optional()
                .computed()
                .validator(IntegerAtLeast(1))
                .plan_modifier(UseStateForUnknown)
                .description(
                    "Lifetime of the access tokens the client obtains, in seconds. When omitted, Jamf Pro's \
                     default (300) is used and kept. A change does not affect tokens already issued.",
                ),
        )
        // Version 1 dropped `app_type`: the client's `jamf_client_secret` changes it on the server
        // right after the client's own apply, so no state of the client could hold it truthfully
        // (every refresh after a secret was generated reported it as changed outside Terraform).
        // The `jamf_api_client` data source still reads it.
        .version(1)
    }

    async fn upgrade_state(
        &self,
        version: i64,
        mut raw: serde_json::Value,
        diags: &mut Diagnostics,
    ) -> Option<ApiClientModel> {
        if version != 0 {
            diags.error(
                "Unsupported state version",
                format!("The state of this jamf_api_client was written with schema version {version}, which no version of this provider wrote. Remove it from the state and import it again."),
            );
            return None;
        }
        if let Some(attrs) = raw.as_object_mut() {
            attrs.remove("app_type");
        }
        let value = crate::framework::json::from_json_value(&raw, &self.schema().value_type());
        match value
            .map_err(|e| e.to_string())
            .and_then(|v| crate::framework::model::from_value(&v).map_err(|e| e.to_string()))
        {
            Ok(m) => Some(m),
            Err(e) => {
                diags.error(
                    "Unreadable state",
                    format!(
                        "The stored state of this jamf_api_client (schema version 0) does not match that schema: {e}."
                    ),
                );
                None
            }
        }
    }

    async fn plan(&self, data: Option<&JamfData>, req: &mut PlanRequest<ApiClientModel>, diags: &mut Diagnostics) {
        if let Some(prior) = &req.prior
            && prior.enabled == Attr::Known(true)
            && req.planned.enabled == Attr::Known(false)
        {
            let id = prior.id.get().map(String::as_str).unwrap_or_default();
            let name = prior.display_name.get().map(String::as_str).unwrap_or_default();
            diags.warning_at(
                AttributePath::attr("enabled"),
                format!("Disabling API client {name:?} (id {id}) revokes its secret"),
                "Jamf Pro revokes the client's secret when it is disabled: the vendor using it is cut off at once \
                 (access tokens already issued stay valid until they expire). While the client is disabled, its \
                 jamf_client_secret stays in the state with no change planned; enabling the client again plans a \
                 new secret, which has to be handed to the vendor.",
            );
        }
        let Some(data) = data else { return };
        if let Attr::Known(id) = &req.planned.id {
            data.record_planned_client(
                id,
                PlannedClient {
                    enabled: req.planned.enabled.get().copied(),
                    authorization_scopes: req.planned.authorization_scopes.get().map(|s| s.iter().cloned().collect()),
                    client_id: req.planned.client_id.get().cloned(),
                },
            );
        }
        let own_id = req.prior.as_ref().and_then(|p| p.id.get().cloned());
        let mut checked_name = None;
        if let Attr::Known(name) = &req.planned.display_name {
            let me = data.registry.claimant(own_id.as_deref());
            let prior_name = req.prior.as_ref().and_then(|p| p.display_name.get());
            if let Some(other) = data.registry.claim(TYPE, name, &me) {
                diags.push(lookup::duplicate_in_configuration::<Integration>(name, &other));
            } else if prior_name != Some(name) {
                checked_name = Some(name);
            }
        }
        // Taken on the server: known on the first plan, not only at apply.
        let name_check =
            lookup::plan_time_conflict_in(data, data.integrations_for_check(), checked_name, own_id.as_deref());
        let new_scopes: Vec<&String> = match &req.planned.authorization_scopes {
            Attr::Known(scopes) => {
                let prior: BTreeSet<String> =
                    req.prior.as_ref().and_then(|p| p.authorization_scopes.get().cloned()).unwrap_or_default();
                scopes.iter().filter(|s| !prior.contains(*s)).collect()
            }
            _ => Vec::new(),
        };
        let scopes_check =
            async { if new_scopes.is_empty() { Diagnostics::new() } else { unknown_roles(data, &new_scopes).await } };
        // The client list and the role list side by side: a first plan waits for one round trip
        // to the server, not two in a row.
        let (name_conflict, scope_diags) = futures::join!(name_check, scopes_check);
        if let Some(d) = name_conflict {
            diags.push(d);
        }
        diags.extend(scope_diags);
    }

    async fn create(
        &self,
        data: &JamfData,
        req: CreateRequest<ApiClientModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ApiClientModel>> {
        // Leave the lifetime to Jamf Pro when the configuration does not set one.
        let body = req.planned.request(req.planned.access_token_lifetime_seconds.get().copied());
        let result = data.client.create_integration(&body).await;
        data.integrations.invalidate();
        match result {
            Ok(i) => {
                record_applied(data, &i);
                let created = Private::from_typed(&CreatedPrivate::now());
                Some(StateResponse::new(ApiClientModel::from_integration(&i)).with_private(created))
            }
            Err(e) => {
                diags.extend(self.write_error(data, &body, e).await);
                None
            }
        }
    }

    async fn read(
        &self,
        data: &JamfData,
        req: ReadRequest<ApiClientModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ApiClientModel>> {
        let id = req.state.id.get()?.clone();
        data.registry.manage(TYPE, &id);
        let created_at = req.private.typed::<CreatedPrivate>().created_at;
        let seen = diags
            .ok(data.integration_seen(&id, created_at).await, |e| diag::error(&format!("read API client {id}"), &e))?;
        Some(seen.into_read(req, || format!("API client {id}"), diags, |i| ApiClientModel::from_integration(&i)))
    }

    async fn update(
        &self,
        data: &JamfData,
        req: UpdateRequest<ApiClientModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ApiClientModel>> {
        let id = req.prior.id.get()?.clone();
        // Always the full object: the lifetime planned, else the one the server has.
        let lifetime = req
            .planned
            .access_token_lifetime_seconds
            .get()
            .or(req.prior.access_token_lifetime_seconds.get())
            .copied()
            .unwrap_or(DEFAULT_LIFETIME);
        let body = req.planned.request(Some(lifetime));
        let result = data.client.update_integration(&id, &body).await;
        data.integrations.invalidate();
        match result {
            Ok(i) => {
                record_applied(data, &i);
                Some(StateResponse::new(ApiClientModel::from_integration(&i)).with_private(req.private))
            }
            Err(e) if e.is_not_found() => {
                diags.error(
                    "API client no longer exists",
                    format!(
                        "API client {id} was deleted outside Terraform during this run. Run terraform apply again \
                         to create it."
                    ),
                );
                None
            }
            Err(e) => {
                diags.extend(self.write_error(data, &body, e).await);
                None
            }
        }
    }

    async fn delete(&self, data: &JamfData, prior: ApiClientModel, _private: Private, diags: &mut Diagnostics) {
        let Some(id) = prior.id.get() else { return };
        // A client already gone is as deleted as Terraform needs it to be.
        let result =
            data.client.delete_integration(id).await.or_else(|e| if e.is_not_found() { Ok(()) } else { Err(e) });
        data.integrations.invalidate();
        diags.ok(result, |e| diag::error(&format!("delete API client {id}"), &e));
    }

    async fn import(
        &self,
        data: &JamfData,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ApiClientModel>> {
        let found =
            lookup::import(id, data.integration(id), data.client.find_integrations_by_display_name(id), diags).await?;
        Some(StateResponse::new(ApiClientModel::from_integration(&found)))
    }

    async fn move_state(&self, source: &MoveSource, diags: &mut Diagnostics) -> Option<ApiClientModel> {
        diags.ok(super::moves::client_from_incumbent(source), |e| e.diagnostic())
    }
}
