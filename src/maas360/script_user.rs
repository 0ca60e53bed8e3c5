//! `maas360_script_user`: an administrator account meant for API use only ("script only").
//!
//! MaaS360's public API can create an administrator and tell whether a username is taken, but it
//! cannot convert an account to script-only, set its password, read its email or roles, or delete
//! it (reference maas360-api.md §6). So this resource creates the account, tells the user the two
//! portal steps that follow, verifies the API login once the password is known (write-only
//! `password_wo`), detects a deleted account, and never claims the account is script-only.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::framework::planmod::{UseStateForUnknown, requires_replace_if_prior_known};
use crate::framework::validators::{EachElement, SizeAtLeast, StringLengthAtLeast, StringTrimmedPrintable};
use crate::framework::{
    Attr, Attribute, AttributePath, CreateRequest, Diagnostic, Diagnostics, Number, PlanRequest, Private, ReadRequest,
    Resource, Schema, StateResponse, Type, UpdateRequest, ValidateRequest,
};

use super::client::{Maas360Error, Maas360ErrorKind, NewAdministrator, audited_state};
use super::password::password_problems;
use super::{Maas360Data, diag};

/// Private data of an account adopted by import whose configured values no apply has recorded
/// yet: until one has, a difference in `email`, `roles` or the names is adopted in place (what
/// the import read cannot be trusted over the configuration, and MaaS360 cannot change either).
#[derive(Serialize, Deserialize, Default)]
struct Adoption {
    adopt_in_place: Option<bool>,
}

/// The attributes an import cannot read back for sure, adopted in place from the configuration
/// on the first apply after the import.
const ADOPTED_ON_IMPORT: &[&str] = &["email", "roles", "first_name", "last_name"];

/// Drops the replacement of `ADOPTED_ON_IMPORT` attributes from a plan of an account adopted by
/// import (see [`Adoption`]), and names the attributes adopted in place, when any changes.
fn adopt_in_place(requires_replace: &mut Vec<AttributePath>, private: &Private) -> Vec<&'static str> {
    if private.typed::<Adoption>().adopt_in_place != Some(true) {
        return Vec::new();
    }
    let mut adopted = Vec::new();
    requires_replace.retain(|p| match ADOPTED_ON_IMPORT.iter().find(|a| *p == AttributePath::attr(**a)) {
        Some(a) => {
            adopted.push(*a);
            false
        }
        None => true,
    });
    adopted
}

/// The five roles every MaaS360 account has (custom and inherited roles may exist too).
pub const BUILT_IN_ROLES: &[&str] =
    &["Read-Only", "Help Desk", "Administrator", "Administrator Level 2", "Service Administrator"];

/// How far back an import looks in the administrator audit for the account's email and roles.
const IMPORT_AUDIT_WINDOW: Duration = Duration::from_secs(365 * 24 * 3600);

/// The two manual steps after creation, with their portal paths.
pub fn portal_steps(username: &str, email: &str) -> String {
    format!(
        "MaaS360 has no API for the last two steps, so do them by hand:\n\
         1. Set the password: open the email MaaS360 sent to {email} and follow its link. The password needs at \
         least 8 characters with at least one letter, one number and one special character.\n\
         2. Make the account API-only: in the MaaS360 portal go to Setup > Administrators, hover over {username:?}, \
         then More > Convert to Script Only.\n\
         Then set `password_wo` to that password and increase `password_wo_version`: the next apply verifies that \
         the account can sign in to the API (`api_access_verified`)."
    )
}

fn removal_steps(username: &str) -> String {
    format!(
        "MaaS360 has no API to remove administrators, so Terraform only forgot {username:?}. To remove the account, \
         in the MaaS360 portal go to Setup > Administrators, hover over it, then More > Remove and choose Delete \
         (frees the username) or Deactivate (can be reactivated)."
    )
}

fn looks_like_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

/// The resource's configuration and state. `Debug` shows whether `password_wo` is set, never
/// its value.
#[derive(Serialize, Deserialize, Clone, Default, PartialEq)]
pub struct ScriptUserModel {
    /// The resource's id: `<billing_id>/<username>`.
    pub id: Attr<String>,
    /// The administrator's username; a change creates a new administrator.
    pub username: Attr<String>,
    /// Email for notifications and the set-password link; MaaS360 cannot change it, so a change
    /// creates a new administrator.
    pub email: Attr<String>,
    /// Role display names granted; a change creates a new administrator, as MaaS360 requires.
    pub roles: Attr<BTreeSet<String>>,
    /// The administrator's first name, if given.
    pub first_name: Attr<String>,
    /// The administrator's last name, if given.
    pub last_name: Attr<String>,
    /// Write-only (never stored in plan or state): the password set from the email link, used only
    /// to verify the API sign-in.
    pub password_wo: Attr<String>,
    /// Increase this to verify `password_wo` again (e.g. after the password was set or changed).
    pub password_wo_version: Attr<Number>,
    /// Whether the account signed in to the API with `password_wo` at the last verification.
    pub api_access_verified: Attr<bool>,
    /// The MaaS360 account (billing ID) the administrator belongs to.
    pub billing_id: Attr<String>,
}

impl std::fmt::Debug for ScriptUserModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptUserModel")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("roles", &self.roles)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("password_wo", &self.password_wo.redacted())
            .field("password_wo_version", &self.password_wo_version)
            .field("api_access_verified", &self.api_access_verified)
            .field("billing_id", &self.billing_id)
            .finish()
    }
}

/// `maas360_script_user`: see the module docs.
pub struct ScriptUserResource;

impl ScriptUserResource {
    /// Verify the API sign-in of `m.username` with `password`: `Ok(true)` when the account signed
    /// in, `Ok(false)` when MaaS360 refused (after adding a warning that says what to finish in
    /// the portal), `Err` when the question could not be asked (rate limit, server or network).
    async fn verify(
        &self,
        data: &Maas360Data,
        m: &ScriptUserModel,
        password: &str,
        diags: &mut Diagnostics,
    ) -> Result<bool, Maas360Error> {
        let user = m.username.get().map(String::as_str).unwrap_or_default();
        match data.client.verify_credentials(user, &SecretString::from(password.to_owned())).await {
            Ok(()) => Ok(true),
            Err(e) if e.is_invalid_credentials() => {
                diags.warning_at(
                    AttributePath::attr("password_wo"),
                    "API sign-in not verified yet",
                    format!(
                        "MaaS360 refused to sign {user:?} in to the API with the configured password_wo ({}). If the \
                         password has not been set from the email yet, or the account is not yet converted, finish \
                         the portal steps, then increase password_wo_version and apply again.\n\n{}",
                        e.error_code().map(|c| format!("error code {c}")).unwrap_or_else(|| "login refused".into()),
                        portal_steps(user, m.email.get().map(String::as_str).unwrap_or("the account's email"))
                    ),
                );
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}

/// The diagnostic for a failed createAdministrator.
fn create_error(username: &str, e: &Maas360Error) -> Diagnostic {
    match e.kind() {
        Maas360ErrorKind::UsernameTaken { .. } => Diagnostic::error(
            "Administrator username already exists",
            format!("{e}. Choose another username, or import the existing account."),
        )
        .at(AttributePath::attr("username")),
        Maas360ErrorKind::RoleNotGrantable { .. } => Diagnostic::error(
            "Role cannot be granted",
            format!(
                "{e}. An administrator can only create administrators with equal or lesser roles: give the \
                 provider's administrator (username) the role, or choose a lesser one. Role names must match \
                 the portal exactly."
            ),
        )
        .at(AttributePath::attr("roles")),
        _ => diag::error(&format!("create administrator {username:?}"), e),
    }
}

fn id_of(billing: &str, username: &str) -> String {
    format!("{billing}/{username}")
}

#[async_trait]
impl Resource for ScriptUserResource {
    type Data = Maas360Data;
    type Model = ScriptUserModel;

    fn type_name(&self) -> &'static str {
        "maas360_script_user"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "An IBM MaaS360 administrator account for an integration's API access (the \"script only\" \
             administrator vendors such as TechSafe ask for).\n\n\
             MaaS360's API can create the account but cannot set its password, convert it to script-only, read \
             its email or roles, or remove it. Creating this resource therefore returns a warning listing the two \
             portal steps that follow (set the password from the email; Setup > Administrators > More > Convert \
             to Script Only). Once the password is set, give it to `password_wo` (never stored) and bump \
             `password_wo_version`: apply then verifies the API sign-in (`api_access_verified`). Whether the \
             account is script-only cannot be read through any API, so this resource never claims it.\n\n\
             A deleted account is detected on refresh and planned for creation again; changes of email or roles \
             made in the portal cannot be detected. Destroying only removes the resource from the state, with a \
             warning saying how to remove the account in the portal.\n\n\
             Import with `<username>` or `<billing_id>/<username>`. No API returns an administrator's email or \
             roles, so import reads them from the administrator audit of the last year when the account's \
             creation is recorded there. Whatever it read, the first apply after the import adopts the configured \
             `email`, `roles`, `first_name` and `last_name` in place, never replacing the imported account (with a \
             warning when they differ from what was read); from then on a change of them replaces the account.",
        )
        .attribute(
            Attribute::string("id")
                .computed()
                .plan_modifier(UseStateForUnknown)
                .description("`<billing_id>/<username>`, e.g. `1234567/TechSafe_SO`."),
        )
        .attribute(
            Attribute::string("username")
                .required()
                .validator(StringLengthAtLeast(1))
                .validator(StringTrimmedPrintable)
                .plan_modifier(requires_replace_if_prior_known())
                .description(
                    "The administrator's username, e.g. `\"TechSafe_SO\"`. Usernames may be unique across the whole \
                     MaaS360 instance. Changing it creates a new administrator.",
                ),
        )
        .attribute(
            Attribute::string("email")
                .required()
                .validator(StringTrimmedPrintable)
                .plan_modifier(requires_replace_if_prior_known())
                .description(
                    "Email for notifications and the set-password link. MaaS360 cannot change it, so a change \
                     creates a new administrator.",
                ),
        )
        .attribute(
            Attribute::set_of("roles", Type::String)
                .required()
                .validator(SizeAtLeast(1))
                .validator(EachElement(StringLengthAtLeast(1)))
                .plan_modifier(requires_replace_if_prior_known())
                .description(format!(
                    "Role display names, e.g. `[\"Administrator\"]` or `[\"Read-Only\"]` (built-in: {}; custom roles \
                     too). As MaaS360 requires, a change of role means a new administrator: this resource is \
                     replaced. Put the role in the username (`Acme_SO_RO`) so the new account does not collide \
                     with the old one, which must be removed in the portal.",
                    BUILT_IN_ROLES.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
                )),
        )
        .attribute(
            Attribute::string("first_name")
                .optional()
                .plan_modifier(requires_replace_if_prior_known())
                .description("The administrator's first name, if given."),
        )
        .attribute(
            Attribute::string("last_name")
                .optional()
                .plan_modifier(requires_replace_if_prior_known())
                .description("The administrator's last name, if given."),
        )
        .attribute(Attribute::string("password_wo").optional().write_only().sensitive().description(
            "Write-only (Terraform 1.11+; never stored in plan or state): the password set from the email \
                     link, used only to verify that the account can sign in to the API. Checked at plan time \
                     against MaaS360's rule: at least 8 characters with a letter, a number and a special character.",
        ))
        .attribute(Attribute::number("password_wo_version").optional().description(
            "Increase this to verify `password_wo` again (for example after the password was set or changed).",
        ))
        .attribute(
            Attribute::bool("api_access_verified")
                .computed()
                .description("Whether the account signed in to the API with `password_wo` at the last verification."),
        )
        .attribute(
            Attribute::string("billing_id")
                .computed()
                .plan_modifier(UseStateForUnknown)
                .description("The MaaS360 account (billing ID) the administrator belongs to, to hand to the vendor."),
        )
    }

    async fn validate(&self, req: ValidateRequest<'_, ScriptUserModel>, diags: &mut Diagnostics) {
        let Some(config) = req.config(diags) else { return };
        if let Attr::Known(p) = &config.password_wo {
            let problems = password_problems(p);
            if !problems.is_empty() {
                diags.error_at(
                    AttributePath::attr("password_wo"),
                    "Password does not meet MaaS360's rule",
                    format!("The password in password_wo breaks MaaS360's password rule: {}.", problems.join("; ")),
                );
            }
        }
        if let Attr::Known(e) = &config.email
            && !looks_like_email(e)
        {
            diags.error_at(
                AttributePath::attr("email"),
                "Invalid email",
                format!("{e:?} is not an email address; MaaS360 sends the set-password link there."),
            );
        }
        if let Attr::Known(roles) = &config.roles {
            for r in roles {
                if let Some(b) = BUILT_IN_ROLES.iter().find(|b| b.eq_ignore_ascii_case(r) && **b != r) {
                    diags.error_at(
                        AttributePath::attr("roles").then_key(r.clone()),
                        "Role name differs from a built-in role by case",
                        format!(
                            "MaaS360's built-in role is spelled {b:?}, not {r:?}: role names are compared exactly, \
                             and MaaS360 would refuse {r:?} when the administrator is created (error 9103, \
                             unknown role). Write {b:?}."
                        ),
                    );
                }
            }
        }
        if config.password_wo.is_known() && config.password_wo_version.is_null() {
            diags.warning_at(
                AttributePath::attr("password_wo_version"),
                "password_wo_version not set",
                "Set password_wo_version (e.g. 1) and increase it whenever password_wo changes: write-only values are \
                 not stored, so the version is how Terraform notices a new password to verify.",
            );
        }
    }

    async fn plan(&self, data: Option<&Maas360Data>, req: &mut PlanRequest<ScriptUserModel>, diags: &mut Diagnostics) {
        let adopted = adopt_in_place(&mut req.requires_replace, &req.private);
        if !adopted.is_empty() {
            let username = req.planned.username.get().cloned().unwrap_or_default();
            diags.warning(
                format!("Imported administrator {username:?}: configuration adopted in place"),
                format!(
                    "The configured {} of the imported administrator {username:?} differ from what the import \
                     read. No API can read or change them, so this apply records the configured values without \
                     replacing the account, and changes nothing in MaaS360. From then on a change of them replaces \
                     the account as usual. If the account in MaaS360 really has another email or other roles, \
                     replace it with terraform apply -replace on this resource.",
                    adopted.join(", ")
                ),
            );
        }
        // A replacement creates a new administrator, and destroying the old one only forgets it
        // (MaaS360 has no API to remove administrators): with the same username, the create is
        // bound to find the name taken. The refresh before this plan saw the account still there
        // (a deleted one is planned as a plain create), so this is known now, not only at apply.
        if let (Some(prior), false) = (&req.prior, req.requires_replace.is_empty())
            && let (Attr::Known(old), Attr::Known(new)) = (&prior.username, &req.planned.username)
            && old == new
        {
            let changed: Vec<String> = req.requires_replace.iter().map(ToString::to_string).collect();
            diags.error_at(
                AttributePath::attr("username"),
                "Replacement would reuse a username still held",
                format!(
                    "Changing {} replaces the MaaS360 administrator {new:?} with a new one of the same username, but \
                     the current account still holds it, and MaaS360 cannot remove administrators through its API \
                     (Terraform would only forget it). Either:\n\
                     - give the replacement another username, e.g. with the role in it ({new}_RO); or\n\
                     - delete the old account first: in the MaaS360 portal go to Setup > Administrators, hover over \
                     {new:?}, then More > Remove > Delete (this frees the username), then run terraform plan again.",
                    changed.join(", ")
                ),
            );
        }
        if let Some(data) = data {
            req.planned.billing_id = Attr::Known(data.client.billing_id().to_string());
            if let Attr::Known(u) = &req.planned.username {
                req.planned.id = Attr::Known(id_of(data.client.billing_id(), u));
            }
        }
        match &req.prior {
            // Created without a password to verify: known to be false.
            None if req.config.password_wo.is_null() => req.planned.api_access_verified = Attr::Known(false),
            None => req.planned.api_access_verified = Attr::Unknown,
            Some(prior) => {
                req.planned.api_access_verified = if prior.password_wo_version != req.planned.password_wo_version
                    && !req.config.password_wo.is_null()
                {
                    Attr::Unknown
                } else {
                    prior.api_access_verified.clone()
                };
            }
        }
    }

    async fn create(
        &self,
        data: &Maas360Data,
        req: CreateRequest<ScriptUserModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ScriptUserModel>> {
        let p = &req.planned;
        let username = p.username.get()?.clone();
        let email = p.email.get()?.clone();
        let available = diags.ok(data.client.check_admin_account_availability(&username).await, |e| {
            diag::error(&format!("check whether administrator {username:?} exists"), &e)
        })?;
        if !available {
            diags.error_at(
                AttributePath::attr("username"),
                "Administrator username already exists",
                format!(
                    "MaaS360 already has an administrator {username:?} (usernames may be unique across the whole \
                     instance). Either:\n\
                     - if this replaces an administrator Terraform managed before (for example after a change of \
                     roles or email), delete the old account first: in the MaaS360 portal go to Setup > \
                     Administrators, hover over {username:?}, then More > Remove > Delete (this frees the \
                     username), then run terraform apply again; or\n\
                     - choose another username, e.g. with the role in it ({username}_RO); or\n\
                     - if the existing account is the one to manage, adopt it: terraform import <this resource's \
                     address> {username:?}."
                ),
            );
            return None;
        }
        let admin = NewAdministrator {
            username: username.clone(),
            email: email.clone(),
            roles: p.roles.get().map(|r| r.iter().cloned().collect()).unwrap_or_default(),
            first_name: p.first_name.get().cloned(),
            last_name: p.last_name.get().cloned(),
        };
        let created = diags.ok(data.client.create_administrator(&admin).await, |e| create_error(&username, &e))?;
        if !created.listed {
            diags.warning_at(
                AttributePath::attr("username"),
                format!("MaaS360 does not list administrator {username:?} yet"),
                "MaaS360 accepted the new administrator, but its availability check still reports the username as \
                 free (its servers may take a moment to agree). If the next plan proposes to create it again, wait a \
                 minute and plan again; do not delete anything in the portal.",
            );
        }
        diags.warning(
            format!("Administrator {username:?} created: finish it in the MaaS360 portal"),
            portal_steps(&username, &email),
        );
        let mut state = req.planned.clone();
        state.password_wo = Attr::Null;
        state.id = Attr::Known(id_of(data.client.billing_id(), &username));
        state.billing_id = Attr::Known(data.client.billing_id().to_string());
        state.api_access_verified = Attr::Known(false);
        if let Attr::Known(password) = &req.config.password_wo {
            match self.verify(data, &state, password, diags).await {
                Ok(verified) => state.api_access_verified = Attr::Known(verified),
                // The account exists: an error would taint it, and the replacement would collide
                // with it. Warn, and let a version bump ask again.
                Err(e) => diags.warning_at(
                    AttributePath::attr("password_wo"),
                    "API sign-in not verified",
                    format!(
                        "The administrator was created, but its API sign-in could not be checked: {e}.\n\nIncrease \
                         password_wo_version and apply again to check it."
                    ),
                ),
            }
        }
        Some(StateResponse::new(state))
    }

    async fn read(
        &self,
        data: &Maas360Data,
        req: ReadRequest<ScriptUserModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ScriptUserModel>> {
        let username = req.state.username.get()?.clone();
        let available = diags.ok(data.client.check_admin_account_availability(&username).await, |e| {
            diag::error(&format!("check administrator {username:?}"), &e)
        })?;
        // The username is free again: the account was deleted in the portal. Otherwise the state
        // and its private data (an import's pending adoption) stay exactly as they were.
        Some(if available {
            StateResponse::gone()
        } else {
            StateResponse { state: Some(req.state), private: req.private }
        })
    }

    async fn update(
        &self,
        data: &Maas360Data,
        req: UpdateRequest<ScriptUserModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ScriptUserModel>> {
        // Nothing can change remotely: an update adopts configured values after an import, or
        // verifies a new password version. Its state carries no private data: once an apply has
        // recorded the configured values, a later change of them replaces the account.
        let mut state = req.planned.clone();
        state.password_wo = Attr::Null;
        if state.api_access_verified.is_unknown() {
            let verified = match &req.config.password_wo {
                // A failed question keeps the prior state (and its password_wo_version), so that
                // the next apply asks again instead of recording a verification that never happened.
                Attr::Known(password) => {
                    let outcome = self.verify(data, &state, password, diags).await;
                    diags.ok(outcome, |e| {
                        let username = state.username.get().cloned().unwrap_or_default();
                        diag::error(&format!("verify the API sign-in of {username:?}"), &e)
                    })?
                }
                _ => false,
            };
            state.api_access_verified = Attr::Known(verified);
        }
        Some(StateResponse::new(state))
    }

    async fn delete(&self, _data: &Maas360Data, prior: ScriptUserModel, _private: Private, diags: &mut Diagnostics) {
        let username = prior.username.get().cloned().unwrap_or_default();
        diags.warning(format!("Administrator {username:?} still exists in MaaS360"), removal_steps(&username));
    }

    async fn import(
        &self,
        data: &Maas360Data,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ScriptUserModel>> {
        let billing = data.client.billing_id().to_string();
        let username = match id.split_once('/') {
            Some((b, u)) if b == billing => u.to_string(),
            Some((b, _)) => {
                diags.error(
                    "Wrong MaaS360 account",
                    format!("The import id names billing ID {b:?}, but the provider is configured for {billing:?}. Use {billing}/<username> or just <username>."),
                );
                return None;
            }
            None => id.to_string(),
        };
        let available = diags.ok(data.client.check_admin_account_availability(&username).await, |e| {
            diag::error(&format!("check administrator {username:?}"), &e)
        })?;
        if available {
            diags.error(
                "Administrator not found",
                format!("MaaS360 has no administrator {username:?} in account {billing}."),
            );
            return None;
        }
        let mut state = ScriptUserModel {
            id: Attr::Known(id_of(&billing, &username)),
            username: Attr::Known(username.clone()),
            api_access_verified: Attr::Known(false),
            billing_id: Attr::Known(billing),
            ..Default::default()
        };
        // No API returns an administrator's email or roles; the audit log of the last year may.
        // First and last names are left out: they are optional in the configuration, and a name
        // read here but not configured would plan a replacement of the adopted account.
        let now = SystemTime::now();
        match data.client.admin_changes_audit(now - IMPORT_AUDIT_WINDOW, now).await {
            Ok(changes) => {
                let audited = audited_state(&changes, &username);
                if let Some(email) = audited.email {
                    state.email = Attr::Known(email);
                }
                if let Some(roles) = audited.roles {
                    state.roles = Attr::Known(roles.into_iter().collect());
                }
            }
            Err(e) => diags.warning(
                "Email and roles not read",
                format!(
                    "The administrator audit could not be read ({e}), so the configured email and roles will be \
                     adopted without a check."
                ),
            ),
        }
        // What the import read (or could not read) yields to the configuration on the next apply.
        Some(StateResponse {
            state: Some(state),
            private: Private::from_typed(&Adoption { adopt_in_place: Some(true) }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let m = ScriptUserModel {
            username: Attr::Known("Acme_SO".into()),
            password_wo: Attr::Known("Hunter2-Hunter2!".into()),
            ..Default::default()
        };
        let shown = format!("{m:?}");
        assert!(!shown.contains("Hunter2-Hunter2!"), "{shown}");
        assert!(shown.contains("password_wo: Known([redacted])") && shown.contains("Acme_SO"), "{shown}");
    }

    #[test]
    fn emails() {
        assert!(looks_like_email("it@example.com"));
        assert!(!looks_like_email("it@example"));
        assert!(!looks_like_email("it example.com"));
        assert!(!looks_like_email("@example.com"));
    }

    #[test]
    fn an_import_adopts_email_roles_and_names_in_place_but_never_the_username() {
        let mut paths: Vec<AttributePath> =
            ["username", "email", "roles", "first_name"].into_iter().map(AttributePath::attr).collect();
        let private = Private::from_typed(&Adoption { adopt_in_place: Some(true) });
        assert_eq!(adopt_in_place(&mut paths, &private), ["email", "roles", "first_name"]);
        assert_eq!(paths, [AttributePath::attr("username")]);
        // Without the import's mark (a resource Terraform created, or one applied since), changes replace.
        let mut paths = vec![AttributePath::attr("email")];
        assert!(adopt_in_place(&mut paths, &Private::default()).is_empty());
        assert_eq!(paths, [AttributePath::attr("email")]);
    }

    #[test]
    fn schema_is_consistent() {
        Resource::schema(&ScriptUserResource).block.check().unwrap();
    }
}
