//! `jamf_api_role`: a named set of privileges that API clients are granted.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::framework::planmod::UseStateForUnknown;
use crate::framework::schema::Validator;
use crate::framework::validators::{EachElement, StringLengthAtLeast, StringPrintableTrimAdvised};
use crate::framework::{
    Attr, Attribute, AttributePath, CreateRequest, Diagnostic, Diagnostics, MoveSource, PlanRequest, Private,
    ReadRequest, Resource, Schema, StateResponse, Type, UpdateRequest, Value,
};

use super::cache::{CreatedPrivate, JamfData};
use super::client::{JamfError, JamfErrorKind, Role, RoleRequest};
use super::diag;
use super::lookup::{self, name_taken};
use super::privileges;

/// An empty `privileges` is a warning, not an error: Jamf Pro allows a role without privileges
/// (the API's `minItems` is 0), and one made in the console must be adoptable as it is.
struct GrantsSomething;

impl Validator for GrantsSomething {
    fn description(&self) -> String {
        "should contain at least one privilege".into()
    }
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Value::Set(v) = value
            && v.is_empty()
        {
            diags.warning_at(
                path.clone(),
                "API role without privileges",
                "This role grants nothing: a client holding only it can obtain tokens but call no endpoint. Add the \
                 privileges the integration needs (data.jamf_api_role_privileges lists them), or keep it empty only \
                 if the existing role is empty on purpose.",
            );
        }
    }
}

/// The resource type.
const TYPE: &str = "jamf_api_role";

/// The advice the "API role still in use" error ends with: configuration written by
/// `terraform plan -generate-config-out` names roles as literal strings, so Terraform cannot see
/// that a client depends on the role and destroys the role first.
pub const IN_USE_ADVICE: &str = " A client written by terraform plan -generate-config-out names its roles as \
     literal strings, which hides that order from Terraform: replace each literal in its authorization_scopes by a \
     reference to the role resource, and the next destroy removes the client before the role.";

/// The `jamf_api_role` resource: creates, updates, reads, imports and deletes an API role.
pub struct ApiRoleResource;

/// The values of a `jamf_api_role`, one field per schema attribute (also the model of the
/// `jamf_api_role` data source).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ApiRoleModel {
    /// The role's id in Jamf Pro (a number, as a string).
    pub id: Attr<String>,
    /// The role's name, unique among API roles; API clients refer to the role by it.
    pub display_name: Attr<String>,
    /// The privilege names granted, exactly as Jamf Pro spells them.
    pub privileges: Attr<BTreeSet<String>>,
}

impl ApiRoleModel {
    /// The model of a role as Jamf Pro returns it, every attribute known. Takes the role, whose
    /// strings become the model's: a read of a refresh pays for one copy of the cached role, not two.
    pub fn from_role(r: Role) -> ApiRoleModel {
        ApiRoleModel {
            id: Attr::Known(r.id),
            display_name: Attr::Known(r.display_name),
            privileges: Attr::Known(r.privileges.into_iter().collect()),
        }
    }

    fn request(&self) -> RoleRequest {
        RoleRequest {
            display_name: self.display_name.get().cloned().unwrap_or_default(),
            privileges: self.privileges.get().map(|p| p.iter().cloned().collect()).unwrap_or_default(),
        }
    }
}

/// Where a privilege sits in the configuration.
fn privilege_path(name: &str) -> AttributePath {
    AttributePath::attr("privileges").then_key(name)
}

/// Diagnostics for privileges Jamf Pro does not know, one per name, with suggestions.
fn unknown_privileges(names: &[&String], catalogue: &[String]) -> Diagnostics {
    let mut d = Diagnostics::new();
    for name in names {
        d.push(
            Diagnostic::error(
                "Unknown Jamf Pro privilege",
                format!(
                    "{name:?} is not a privilege of this Jamf Pro server (names are exact and case-sensitive, and \
                     change between Jamf Pro versions). {}",
                    privileges::did_you_mean(name, catalogue)
                ),
            )
            .at(privilege_path(name)),
        );
    }
    d
}

/// "\"Vendor\" (id 3)" for every API client that holds the role `name`, sorted.
fn holders_of(all: &super::cache::Listed<super::client::Integration>, name: &str) -> Vec<String> {
    let mut v: Vec<String> = all
        .values()
        .filter(|i| i.authorization_scopes.iter().any(|s| s == name))
        .map(|i| format!("{:?} (id {})", i.display_name, i.id))
        .collect();
    v.sort();
    v
}

/// The diagnostic for a role Jamf Pro refuses to delete because `holders` (possibly none known)
/// still hold it: names them, and says which resource to change.
fn in_use(name: &str, holders: Option<Vec<String>>) -> Diagnostic {
    let holders = match holders {
        None => vec!["at least one API client (the provider could not read the list of clients to say which)".into()],
        Some(h) if h.is_empty() => {
            vec!["at least one API client (none of the clients the provider can list holds it now)".into()]
        }
        Some(h) => h,
    };
    let who = match holders.as_slice() {
        [one] if one.starts_with("at least") => one.clone(),
        [one] => format!("the API client {one}"),
        _ => format!("the API clients {}", holders.join(", ")),
    };
    Diagnostic::error(
        "API role still in use",
        format!(
            "Jamf Pro refuses to delete the API role {name:?} because it is assigned to {who}. Remove {name:?} from \
             the authorization_scopes of the jamf_api_client resource that manages {} (or destroy it) and apply \
             that first, then destroy the role; a client this configuration does not manage must be changed in Jamf \
             Pro (Settings > System > API roles and clients). When the client is in the same configuration and \
             references the role (authorization_scopes = [jamf_api_role.x.display_name]), Terraform orders this \
             itself.{IN_USE_ADVICE}",
            if holders.len() == 1 { "it" } else { "each of them" }
        ),
    )
}

impl ApiRoleResource {
    /// One DELETE of role `id`, keeping the role list in step; a role already gone is deleted.
    async fn delete_once(&self, data: &JamfData, id: &str) -> Result<(), JamfError> {
        let result = data.client.delete_role(id).await.or_else(|e| if e.is_not_found() { Ok(()) } else { Err(e) });
        match &result {
            Ok(()) => data.roles.apply(id, None),
            Err(_) => data.roles.invalidate(),
        }
        result
    }

    async fn create_error(&self, data: &JamfData, req: &RoleRequest, e: JamfError) -> Diagnostics {
        match e.kind() {
            JamfErrorKind::NameTaken { name, id, sent } => name_taken::<Role>(data, name, id, *sent).into(),
            JamfErrorKind::NameConflict { .. } => {
                let existing = data.client.find_roles_by_display_name(&req.display_name).await.ok();
                lookup::apply_time_conflict(data, &req.display_name, existing.as_ref().and_then(|v| v.first())).into()
            }
            JamfErrorKind::InvalidPrivileges { privileges: rejected, .. } => {
                let catalogue = data.privileges().await.unwrap_or_default();
                let rejected: Vec<&String> = if rejected.is_empty() {
                    privileges::unknown(&req.privileges, &catalogue)
                } else {
                    rejected.iter().collect()
                };
                let d = unknown_privileges(&rejected, &catalogue);
                if d.is_empty() { diag::error("save the API role", &e).into() } else { d }
            }
            _ => diag::error(&format!("save API role {:?}", req.display_name), &e).into(),
        }
    }
}

#[async_trait]
impl Resource for ApiRoleResource {
    type Data = JamfData;
    type Model = ApiRoleModel;

    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "An API role: a named set of Jamf Pro privileges that API clients are granted. Privileges are \
             checked against the server's own catalogue at plan time.",
        )
        .attribute(
            Attribute::string("id")
                .computed()
                .plan_modifier(UseStateForUnknown)
                .description("The role's id in Jamf Pro (a number, as a string)."),
        )
        .attribute(
            Attribute::string("display_name")
                .required()
                .validator(StringLengthAtLeast(1))
                .validator(StringPrintableTrimAdvised)
                .description(
                    "The role's name, unique among API roles. API clients refer to roles by this name \
                     (`authorization_scopes`). Renaming happens in place and is reflected on every client.",
                ),
        )
        .attribute(
            Attribute::set_of("privileges", Type::String)
                .required()
                .validator(GrantsSomething)
                .validator(EachElement(StringLengthAtLeast(1)))
                .description(
                    "Privilege names exactly as Jamf Pro spells them (case-sensitive), e.g. `\"Read Computers\"`. \
                     Order does not matter. An empty set is allowed, with a warning (a role made in the console may \
                     have none, and must be adoptable as it is). Unknown names fail the plan with suggestions; the \
                     `jamf_api_role_privileges` data source lists what your server offers.",
                ),
        )
    }

    async fn plan(&self, data: Option<&JamfData>, req: &mut PlanRequest<ApiRoleModel>, diags: &mut Diagnostics) {
        let Some(data) = data else { return };
        let own_id = req.prior.as_ref().and_then(|p| p.id.get().cloned());
        // Claim the display name first: a client of this configuration may be waiting for it.
        let mut duplicate = false;
        if let Attr::Known(name) = &req.planned.display_name {
            let me = data.registry.claimant(own_id.as_deref());
            if let Some(other) = data.registry.claim(TYPE, name, &me) {
                diags.push(lookup::duplicate_in_configuration::<Role>(name, &other));
                duplicate = true;
            }
        }
        // Secrets compare their client's planned roles with the roles they were generated for:
        // tell them what this role will be called, so that a rename is not taken for a new role.
        if let (Some(Attr::Known(id)), Attr::Known(name)) =
            (req.prior.as_ref().map(|p| &p.id), &req.planned.display_name)
        {
            data.record_planned_role(id, name);
        }
        let Attr::Known(wanted) = &req.planned.privileges else { return };
        // Only names not already accepted by Jamf Pro need checking: a plan with no privilege
        // change costs no API call.
        let prior = req.prior.as_ref().and_then(|p| p.privileges.get());
        let new: Vec<&String> = wanted.iter().filter(|p| !prior.is_some_and(|prior| prior.contains(*p))).collect();
        // A name another role already has on the server fails the create or rename: look it up
        // now (one list per process), so the first plan says so, not only the apply.
        let prior_name = req.prior.as_ref().and_then(|p| p.display_name.get());
        let checked_name = match &req.planned.display_name {
            Attr::Known(name) if !duplicate && prior_name != Some(name) => Some(name),
            _ => None,
        };
        if new.is_empty() && checked_name.is_none() {
            // Nothing to look up: most of a refresh.
            return;
        }
        let privileges_check = async {
            if new.is_empty() {
                return Diagnostics::new();
            }
            match data.privileges().await {
                Ok(catalogue) => unknown_privileges(&privileges::unknown(new, &catalogue), &catalogue),
                Err(e) => {
                    let mut d = Diagnostics::new();
                    d.push(privileges::not_checked(&e));
                    d
                }
            }
        };
        let name_check = lookup::plan_time_conflict_in(data, data.roles_for_check(), checked_name, own_id.as_deref());
        // The catalogue and the role list side by side: a first plan waits for one round trip to
        // the server, not two in a row. Each boxed: held together in this future they made it
        // 1,256 bytes, copied whole at every move (see `plugin::service::traced`).
        let (privilege_diags, name_conflict) = futures::join!(Box::pin(privileges_check), Box::pin(name_check));
        diags.extend(privilege_diags);
        if let Some(d) = name_conflict {
            diags.push(d);
        }
    }

    async fn create(
        &self,
        data: &JamfData,
        req: CreateRequest<ApiRoleModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ApiRoleModel>> {
        let body = req.planned.request();
        let result = data.client.create_role(&body).await;
        match result {
            Ok(role) => {
                data.roles.apply(&role.id, Some(role.clone()));
                data.registry.manage(TYPE, &role.id);
                let created = Private::from_typed(&CreatedPrivate::now());
                Some(StateResponse::new(ApiRoleModel::from_role(role)).with_private(created))
            }
            Err(e) => {
                data.roles.invalidate();
                diags.extend(self.create_error(data, &body, e).await);
                None
            }
        }
    }

    async fn read(
        &self,
        data: &JamfData,
        req: ReadRequest<ApiRoleModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ApiRoleModel>> {
        let id = req.state.id.get()?.clone();
        data.registry.manage(TYPE, &id);
        let created_at = req.private.typed::<CreatedPrivate>().created_at;
        let seen =
            diags.ok(data.role_seen(&id, created_at).await, |e| diag::error(&format!("read API role {id}"), &e))?;
        Some(seen.into_read(req, || format!("API role {id}"), diags, ApiRoleModel::from_role))
    }

    async fn update(
        &self,
        data: &JamfData,
        req: UpdateRequest<ApiRoleModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ApiRoleModel>> {
        let id = req.prior.id.get()?.clone();
        let body = req.planned.request();
        let result = data.client.update_role(&id, &body).await;
        // Renaming a role renames it in every client's authorization_scopes.
        data.integrations.invalidate();
        match &result {
            Ok(role) => data.roles.apply(&role.id, Some(role.clone())),
            Err(_) => data.roles.invalidate(),
        }
        match result {
            Ok(role) => Some(StateResponse::new(ApiRoleModel::from_role(role)).with_private(req.private)),
            Err(e) if e.is_not_found() => {
                diags.error(
                    "API role no longer exists",
                    format!(
                        "API role {id} was deleted outside Terraform during this run. Run terraform apply again \
                         to create it."
                    ),
                );
                None
            }
            Err(e) => {
                diags.extend(self.create_error(data, &body, e).await);
                None
            }
        }
    }

    async fn delete(&self, data: &JamfData, prior: ApiRoleModel, _private: Private, diags: &mut Diagnostics) {
        let Some(id) = prior.id.get() else { return };
        let name = prior.display_name.get().cloned().unwrap_or_else(|| id.clone());
        let mut result = self.delete_once(data, id).await;
        if let Err(e) = &result
            && matches!(e.kind(), JamfErrorKind::InUse { .. })
        {
            // Who holds the role now: a client destroyed in the same run (Terraform does not order
            // a client that names the role by a literal) may be gone already, and then the role
            // can go too.
            data.integrations.invalidate();
            let holders = match data.all_integrations().await {
                Ok(all) => Some(holders_of(&all, &name)),
                Err(_) => None,
            };
            if holders.as_ref().is_some_and(Vec::is_empty) {
                result = self.delete_once(data, id).await;
            }
            if let Err(e) = &result
                && matches!(e.kind(), JamfErrorKind::InUse { .. })
            {
                diags.push(in_use(&name, holders));
                return;
            }
        }
        diags.ok(result, |e| diag::error(&format!("delete API role {id}"), &e));
    }

    async fn import(&self, data: &JamfData, id: &str, diags: &mut Diagnostics) -> Option<StateResponse<ApiRoleModel>> {
        let role = lookup::import(id, data.role(id), data.client.find_roles_by_display_name(id), diags).await?;
        Some(StateResponse::new(ApiRoleModel::from_role(role)))
    }

    async fn move_state(&self, source: &MoveSource, diags: &mut Diagnostics) -> Option<ApiRoleModel> {
        diags.ok(super::moves::role_from_incumbent(source), |e| e.diagnostic())
    }
}

#[cfg(test)]
mod tests {
    use crate::jamf::cache::Listed;

    use super::*;
    use crate::jamf::client::{AppType, Integration};

    fn client(id: &str, name: &str, roles: &[&str]) -> Integration {
        Integration {
            id: id.into(),
            client_id: format!("uuid-{id}"),
            display_name: name.into(),
            authorization_scopes: roles.iter().map(|r| r.to_string()).collect(),
            enabled: true,
            access_token_lifetime_seconds: Some(300),
            app_type: AppType::None,
        }
    }

    #[test]
    fn a_role_in_use_names_each_holder_and_what_to_change() {
        let all: Listed<Integration> = [
            client("4", "Vendor", &["Shared"]),
            client("2", "Other", &["Shared", "More"]),
            client("9", "Unrelated", &["More"]),
        ]
        .into_iter()
        .collect();
        let holders = holders_of(&all, "Shared");
        assert_eq!(holders, ["\"Other\" (id 2)", "\"Vendor\" (id 4)"]);
        let d = in_use("Shared", Some(holders));
        assert!(d.detail.contains("assigned to the API clients \"Other\" (id 2), \"Vendor\" (id 4)"), "{}", d.detail);
        assert!(
            d.detail.contains("authorization_scopes of the jamf_api_client resource that manages each"),
            "{}",
            d.detail
        );
        let d = in_use("Shared", Some(holders_of(&all, "Shared").into_iter().take(1).collect()));
        assert!(
            d.detail.contains("the API client \"Other\" (id 2)") && d.detail.contains("manages it"),
            "{}",
            d.detail
        );
    }
}
