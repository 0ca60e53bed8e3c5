//! **Simulator-defined, unverified**: the request and response names of `checkAdminAccountAvailability` and
//! `createAdministrator`.
//!
//! Only the two paths are public (IBM/Fiberlink's UrbanCode plugin lists them); the parameter names, the
//! response bodies and the error codes below are the simulator's own choice, agreed with the client side so
//! both use the same documented names. When a real tenant is probed, correct them here, in one place.
//!
//! | what | name / value |
//! |---|---|
//! | availability | `GET /account-provisioning/account/1.0/checkAdminAccountAvailability/{billingId}?adminUsername=<u>` |
//! | availability answer | 200 `{"adminAccountAvailability":{"adminUsername":"<u>","available":true}}` |
//! | create | `POST /account-provisioning/administrator/1.0/createAdministrator/{billingId}`, form-urlencoded |
//! | create fields | `adminUsername`, `adminEmailAddress`, `roles` (comma-separated role display names), optional `firstName`, `lastName` |
//! | create answer | 200 `{"actionResponse":{"status":"Success","adminUsername":"<u>"}}` |
//! | failures | `{"actionResponse":{"status":"Failure","errorCode":<n>,"description":"<text>"}}` with an HTTP status: |
//! | 400 / 9103 | invalid input: missing or blank `adminUsername`, missing or malformed `adminEmailAddress`, missing `roles`, an unknown role name (description names it), a body that is not form-urlencoded (415 / 9103) |
//! | 403 / 9104 | the caller lacks the Service Administrator role |
//! | 403 / 9102 | the caller may not grant a role above its own (description names the role) |
//! | 409 / 9101 | `Administrator username already exists` (usernames are unique across the instance) |
//!
//! Token failures on these routes use the observed shape instead (`{"<root>":{"errorCode":1009,...}}`, see
//! `state::codes`), with root `adminAccountAvailability` or `actionResponse`.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::roles::role_rank;
use crate::util::query_param;

pub const AVAILABILITY_PATH: &str = "/account-provisioning/account/1.0/checkAdminAccountAvailability/{billingId}";
pub const CREATE_PATH: &str = "/account-provisioning/administrator/1.0/createAdministrator/{billingId}";

pub const PARAM_ADMIN_USERNAME: &str = "adminUsername";
pub const PARAM_ADMIN_EMAIL: &str = "adminEmailAddress";
pub const PARAM_ROLES: &str = "roles";
pub const PARAM_FIRST_NAME: &str = "firstName";
pub const PARAM_LAST_NAME: &str = "lastName";

pub const AVAILABILITY_ROOT: &str = "adminAccountAvailability";
pub const FIELD_ADMIN_USERNAME: &str = "adminUsername";
pub const FIELD_AVAILABLE: &str = "available";

pub const ACTION_ROOT: &str = "actionResponse";
pub const FIELD_STATUS: &str = "status";
pub const STATUS_SUCCESS: &str = "Success";
pub const STATUS_FAILURE: &str = "Failure";
pub const FIELD_ERROR_CODE: &str = "errorCode";
pub const FIELD_DESCRIPTION: &str = "description";

pub const CODE_USERNAME_TAKEN: u32 = 9101;
pub const CODE_ROLE_NOT_GRANTABLE: u32 = 9102;
pub const CODE_INVALID_INPUT: u32 = 9103;
pub const CODE_NOT_SERVICE_ADMIN: u32 = 9104;
pub const DESC_USERNAME_TAKEN: &str = "Administrator username already exists";

/// A `createAdministrator` request after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAdministrator {
    pub username: String,
    pub email: String,
    /// Role display names, in the order given, without duplicates.
    pub roles: Vec<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// A refused `createAdministrator` / availability request.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateFailure {
    pub status: u16,
    pub code: u32,
    pub description: String,
}

impl CreateFailure {
    pub fn invalid(description: impl Into<String>) -> Self {
        CreateFailure { status: 400, code: CODE_INVALID_INPUT, description: description.into() }
    }

    pub fn unsupported_media_type() -> Self {
        CreateFailure {
            status: 415,
            code: CODE_INVALID_INPUT,
            description: "Content-Type must be application/x-www-form-urlencoded".into(),
        }
    }

    pub fn username_taken() -> Self {
        CreateFailure { status: 409, code: CODE_USERNAME_TAKEN, description: DESC_USERNAME_TAKEN.into() }
    }

    pub fn role_not_grantable(role: &str) -> Self {
        CreateFailure {
            status: 403,
            code: CODE_ROLE_NOT_GRANTABLE,
            description: format!("Not permitted to grant role '{role}': it is above your own role"),
        }
    }

    pub fn caller_not_service_admin() -> Self {
        CreateFailure {
            status: 403,
            code: CODE_NOT_SERVICE_ADMIN,
            description: "Only a Service Administrator can create administrators".into(),
        }
    }
}

fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(char::is_whitespace)
}

/// The `adminUsername` query parameter of the availability check.
pub fn availability_username(query: &[(String, String)]) -> Result<String, CreateFailure> {
    query_param(query, PARAM_ADMIN_USERNAME)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| CreateFailure::invalid(format!("{PARAM_ADMIN_USERNAME} is required")))
}

/// Validates the `createAdministrator` form fields.
pub fn parse_new_administrator(form: &HashMap<String, String>) -> Result<NewAdministrator, CreateFailure> {
    let field = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let username = field(PARAM_ADMIN_USERNAME)
        .ok_or_else(|| CreateFailure::invalid(format!("{PARAM_ADMIN_USERNAME} is required")))?;
    if username.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(CreateFailure::invalid(format!("{PARAM_ADMIN_USERNAME} must not contain whitespace")));
    }
    let email =
        field(PARAM_ADMIN_EMAIL).ok_or_else(|| CreateFailure::invalid(format!("{PARAM_ADMIN_EMAIL} is required")))?;
    if !valid_email(email) {
        return Err(CreateFailure::invalid(format!("{PARAM_ADMIN_EMAIL} '{email}' is not a valid email address")));
    }
    let mut roles: Vec<String> = Vec::new();
    for r in field(PARAM_ROLES)
        .ok_or_else(|| CreateFailure::invalid(format!("{PARAM_ROLES} is required")))?
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        if role_rank(r).is_none() {
            return Err(CreateFailure::invalid(format!("Unknown role '{r}'")));
        }
        if !roles.iter().any(|x| x == r) {
            roles.push(r.to_owned());
        }
    }
    if roles.is_empty() {
        return Err(CreateFailure::invalid(format!("{PARAM_ROLES} is required")));
    }
    Ok(NewAdministrator {
        username: username.to_owned(),
        email: email.to_owned(),
        roles,
        first_name: field(PARAM_FIRST_NAME).map(str::to_owned),
        last_name: field(PARAM_LAST_NAME).map(str::to_owned),
    })
}

pub fn availability_body(username: &str, available: bool) -> Value {
    json!({AVAILABILITY_ROOT: {FIELD_ADMIN_USERNAME: username, FIELD_AVAILABLE: available}})
}

pub fn create_success_body(username: &str) -> Value {
    json!({ACTION_ROOT: {FIELD_STATUS: STATUS_SUCCESS, FIELD_ADMIN_USERNAME: username}})
}

pub fn failure_body(f: &CreateFailure) -> Value {
    json!({ACTION_ROOT: {FIELD_STATUS: STATUS_FAILURE, FIELD_ERROR_CODE: f.code, FIELD_DESCRIPTION: f.description}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn parses_a_full_request() {
        let n = parse_new_administrator(&form(&[
            ("adminUsername", "acme_SO"),
            ("adminEmailAddress", "it@acme.example"),
            ("roles", "Read-Only, Help Desk,Read-Only"),
            ("firstName", "Api"),
        ]))
        .unwrap();
        assert_eq!(n.roles, vec!["Read-Only", "Help Desk"]);
        assert_eq!(n.first_name.as_deref(), Some("Api"));
        assert_eq!(n.last_name, None);
    }

    #[test]
    fn refuses_invalid_input() {
        let ok = [("adminUsername", "u"), ("adminEmailAddress", "u@x.example"), ("roles", "Read-Only")];
        for (k, v, needle) in [
            ("adminUsername", "", "adminUsername"),
            ("adminUsername", "a b", "whitespace"),
            ("adminEmailAddress", "nope", "valid email"),
            ("adminEmailAddress", "a@b", "valid email"),
            ("roles", " , ", "roles"),
            ("roles", "Read-only", "Unknown role 'Read-only'"),
        ] {
            let mut f = form(&ok);
            f.insert(k.into(), v.into());
            let e = parse_new_administrator(&f).unwrap_err();
            assert_eq!(e.status, 400);
            assert!(e.description.contains(needle), "{k}={v}: {}", e.description);
        }
    }

    #[test]
    fn bodies() {
        assert_eq!(
            availability_body("u", true).to_string(),
            r#"{"adminAccountAvailability":{"adminUsername":"u","available":true}}"#
        );
        assert_eq!(
            create_success_body("u").to_string(),
            r#"{"actionResponse":{"adminUsername":"u","status":"Success"}}"#
        );
        let f = failure_body(&CreateFailure::username_taken());
        assert_eq!(f["actionResponse"]["errorCode"].as_u64(), Some(9101));
        assert_eq!(f["actionResponse"]["status"], "Failure");
    }
}
