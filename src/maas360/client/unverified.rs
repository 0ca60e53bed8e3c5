//! **Unverified guesses** for the two administrator-provisioning calls whose contract IBM does not
//! publish: `checkAdminAccountAvailability` and `createAdministrator`.
//!
//! Only the two *paths* are evidenced (IBM/Fiberlink's own UrbanCode plugin lists them,
//! maas360-api.md §2.1). Every other name below (HTTP method, parameter names, response field
//! names, role encoding, error codes) is our choice, modelled on the neighbouring
//! `createCustomerAccount` call (`adminEmailAddress`, form parameters) and on the
//! `{"<root>": {"errorCode", "errorDesc"}}` error style of the other APIs. **This module is the
//! specification**: the simulator implements exactly these names, and a probe against a real
//! tenant must correct them here, in one place, and nowhere else.
//!
//! # `checkAdminAccountAvailability`
//!
//! - Request: `GET {root}/account-provisioning/account/1.0/checkAdminAccountAvailability/{billingId}?adminUsername=<username>`
//!   with `Authorization: MaaS token="<token>"` and `Accept: application/json`.
//! - Success: HTTP 200 with
//!   `{"adminAccountAvailability": {"adminUsername": "<username>", "available": true}}`.
//!   `available: true` means nobody holds the username. The client reads `available` at the root
//!   or inside any one wrapper object, and accepts `true`/`false`, `"true"`/`"false"` (any case),
//!   `1`/`0`, `"1"`/`"0"`, `"yes"`/`"no"`. The XML form
//!   `<adminAccountAvailability><adminUsername>…</adminUsername><available>true</available></adminAccountAvailability>`
//!   is accepted too.
//! - Failure: a non-2xx status (mapped like every call), or a 2xx body with a non-zero
//!   `errorCode` (and `errorDesc`), reported as a refusal.
//!
//! # `createAdministrator`
//!
//! - Request: `POST {root}/account-provisioning/administrator/1.0/createAdministrator/{billingId}`,
//!   `Content-Type: application/x-www-form-urlencoded`, `Accept: application/json`, form fields in
//!   this order:
//!   - `adminUsername`: the username;
//!   - `adminEmailAddress`: the email;
//!   - `roles`: role **display names** joined with `,` and no spaces (`Read-Only,Help Desk`); a
//!     name containing a comma cannot be encoded and is refused before sending;
//!   - `firstName`: only when given;
//!   - `lastName`: only when given.
//!
//!   No password is sent: the new administrator sets it from the emailed link.
//! - Success: HTTP 2xx with
//!   `{"actionResponse": {"status": "Success", "description": "<text>", "adminUsername": "<username>"}}`.
//!   `status` is compared case-insensitively; a non-zero `errorCode` is never success.
//! - Failure: HTTP 200 or 4xx with
//!   `{"actionResponse": {"status": "Failure", "errorCode": <n>, "description": "<text>"}}`. The
//!   codes are invented (IBM's error-code table is not public) and kept in the 9100s, away from the
//!   codes seen on real tenants (1002, 1008, 1009), so that no real code is misread:
//!   - `errorCode` [`ERROR_USERNAME_TAKEN`] (9101, with HTTP 409), or any HTTP 409 → the username is
//!     taken;
//!   - `errorCode` [`ERROR_ROLE_NOT_GRANTABLE`] (9102, with HTTP 403) → a role is above the calling
//!     administrator's own roles;
//!   - `errorCode` [`ERROR_INVALID_INPUT`] (9103, with HTTP 400 or 415) → invalid input, e.g. an
//!     unknown role name (the description names it): a refusal;
//!   - `errorCode` [`ERROR_NOT_ALLOWED`] (9104), or any other HTTP 403 → the caller may not create
//!     administrators;
//!   - anything else → a refusal carrying the code and description.
//!
//! # Open questions (maas360-api.md §7.4), to settle on a real tenant
//!
//! 1. createAdministrator's parameter names (username, email, roles as names or ids, first/last
//!    name, password?, an `allowPortalLogin`/script-only flag?), its response body, and the error
//!    for a taken username.
//! 2. checkAdminAccountAvailability's method, parameter name and response (`<available>`?), and
//!    whether uniqueness is per customer or per instance.
//! 3. Whether a customer-level (not partner) Service Administrator may call the
//!    account-provisioning APIs at all.
//! 4. The guide's "Error Codes" and "Webservice usage limits" tables, and the refresh-token
//!    lifetime.
//! 5. Whether a script-only administrator's password expires under the account's password policy.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::model::NewAdministrator;
use super::parse::{error_info, find};
use crate::rest::lenient;

/// HTTP method of the availability check.
pub const AVAILABILITY_METHOD: Method = Method::GET;
/// Path of the availability check; the billing id is appended as the last segment.
pub const AVAILABILITY_PATH: &[&str] = &["account-provisioning", "account", "1.0", "checkAdminAccountAvailability"];
/// Query parameter carrying the username.
pub const AVAILABILITY_USERNAME_PARAM: &str = "adminUsername";
/// Wrapper object of the availability answer.
pub const AVAILABILITY_ROOT: &str = "adminAccountAvailability";
/// Field of the availability answer: `true` when the username is free.
pub const AVAILABILITY_FLAG: &str = "available";

/// HTTP method of createAdministrator.
pub const CREATE_METHOD: Method = Method::POST;
/// Path of createAdministrator; the billing id is appended as the last segment.
pub const CREATE_PATH: &[&str] = &["account-provisioning", "administrator", "1.0", "createAdministrator"];
/// Form field: username.
pub const CREATE_USERNAME_PARAM: &str = "adminUsername";
/// Form field: email.
pub const CREATE_EMAIL_PARAM: &str = "adminEmailAddress";
/// Form field: role display names, joined with [`ROLE_SEPARATOR`].
pub const CREATE_ROLES_PARAM: &str = "roles";
/// Form field: first name (optional).
pub const CREATE_FIRST_NAME_PARAM: &str = "firstName";
/// Form field: last name (optional).
pub const CREATE_LAST_NAME_PARAM: &str = "lastName";
/// Separator of role names in [`CREATE_ROLES_PARAM`].
pub const ROLE_SEPARATOR: char = ',';
/// Wrapper object of the createAdministrator answer.
pub const CREATE_RESPONSE_ROOT: &str = "actionResponse";
/// Field of the answer: [`CREATE_SUCCESS_STATUS`] or [`CREATE_FAILURE_STATUS`].
pub const CREATE_STATUS_FIELD: &str = "status";
/// `status` value of a success.
pub const CREATE_SUCCESS_STATUS: &str = "Success";
/// `status` value of a failure.
pub const CREATE_FAILURE_STATUS: &str = "Failure";
/// Field of the answer: human text.
pub const CREATE_DESCRIPTION_FIELD: &str = "description";
/// Field of the answer: error code (absent or 0 on success).
pub const CREATE_ERROR_CODE_FIELD: &str = "errorCode";
/// Field of a success answer echoing the username.
pub const CREATE_USERNAME_FIELD: &str = "adminUsername";
/// `errorCode`: the username is taken.
pub const ERROR_USERNAME_TAKEN: i64 = 9101;
/// `errorCode`: a role is above the caller's own roles.
pub const ERROR_ROLE_NOT_GRANTABLE: i64 = 9102;
/// `errorCode`: invalid input (e.g. an unknown role name).
pub const ERROR_INVALID_INPUT: i64 = 9103;
/// `errorCode`: the caller may not create administrators.
pub const ERROR_NOT_ALLOWED: i64 = 9104;

/// Reads the availability flag (see the module docs); `None` if absent or not a boolean.
pub fn read_availability(v: &Value) -> Option<bool> {
    find(v, AVAILABILITY_FLAG).and_then(lenient::bool)
}

/// Encodes role names for [`CREATE_ROLES_PARAM`]. Refuses an empty list, empty names and names
/// containing the separator (they could not be told apart from two roles).
pub fn encode_roles(roles: &[String]) -> Result<String, String> {
    if roles.is_empty() {
        return Err("at least one role is required".into());
    }
    for r in roles {
        if r.trim().is_empty() {
            return Err("a role name is empty".into());
        }
        if r.contains(ROLE_SEPARATOR) {
            return Err(format!(
                "role name \"{r}\" contains '{ROLE_SEPARATOR}', which the createAdministrator call cannot encode"
            ));
        }
    }
    Ok(roles.join(&ROLE_SEPARATOR.to_string()))
}

/// The createAdministrator form, in order.
pub fn create_form(admin: &NewAdministrator) -> Result<Vec<(&'static str, String)>, String> {
    if admin.username.trim().is_empty() {
        return Err("the administrator username is empty".into());
    }
    if admin.email.trim().is_empty() {
        return Err("the administrator email is empty".into());
    }
    let mut form = vec![
        (CREATE_USERNAME_PARAM, admin.username.clone()),
        (CREATE_EMAIL_PARAM, admin.email.clone()),
        (CREATE_ROLES_PARAM, encode_roles(&admin.roles)?),
    ];
    if let Some(first) = &admin.first_name {
        form.push((CREATE_FIRST_NAME_PARAM, first.clone()));
    }
    if let Some(last) = &admin.last_name {
        form.push((CREATE_LAST_NAME_PARAM, last.clone()));
    }
    Ok(form)
}

/// What a createAdministrator answer means (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    /// Created.
    Created {
        /// `description`.
        description: Option<String>,
    },
    /// The username is taken.
    UsernameTaken {
        /// `description`.
        description: Option<String>,
    },
    /// A role cannot be granted.
    RoleNotGrantable {
        /// `description`.
        description: Option<String>,
    },
    /// The caller may not create administrators.
    Forbidden {
        /// `description`.
        description: Option<String>,
    },
    /// Any other failure.
    Rejected {
        /// `errorCode`.
        code: Option<i64>,
        /// `description`.
        description: Option<String>,
    },
    /// A 2xx answer that says neither success nor failure in a readable way.
    Undecodable,
}

/// Interprets a createAdministrator answer with status 2xx or 4xx (429, 5xx and 401 are handled
/// by the shared retry and re-auth logic before this is called). `body` is the parsed body, if
/// it parsed.
pub fn interpret_create(status: StatusCode, body: Option<&Value>) -> CreateOutcome {
    let (code, description) = body.map(error_info).unwrap_or((None, None));
    let stated = body.and_then(|v| find(v, CREATE_STATUS_FIELD)).and_then(lenient::non_empty_string);
    if status == StatusCode::CONFLICT || code == Some(ERROR_USERNAME_TAKEN) {
        return CreateOutcome::UsernameTaken { description };
    }
    if code == Some(ERROR_ROLE_NOT_GRANTABLE) {
        return CreateOutcome::RoleNotGrantable { description };
    }
    if status == StatusCode::FORBIDDEN || code == Some(ERROR_NOT_ALLOWED) {
        return CreateOutcome::Forbidden { description };
    }
    if status.is_success() && code.is_none() {
        return match stated {
            Some(s) if s.eq_ignore_ascii_case(CREATE_SUCCESS_STATUS) => CreateOutcome::Created { description },
            Some(_) => CreateOutcome::Rejected { code, description },
            None => CreateOutcome::Undecodable,
        };
    }
    CreateOutcome::Rejected { code, description }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn admin(roles: &[&str]) -> NewAdministrator {
        NewAdministrator {
            username: "acme_so".into(),
            email: "it@acme.example".into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            first_name: None,
            last_name: Some("Bot".into()),
        }
    }

    #[test]
    fn form_order_and_role_encoding() {
        let form = create_form(&admin(&["Read-Only", "Help Desk"])).unwrap();
        assert_eq!(
            form,
            vec![
                ("adminUsername", "acme_so".to_string()),
                ("adminEmailAddress", "it@acme.example".to_string()),
                ("roles", "Read-Only,Help Desk".to_string()),
                ("lastName", "Bot".to_string()),
            ]
        );
        assert!(create_form(&admin(&[])).is_err());
        assert!(create_form(&admin(&["A,B"])).unwrap_err().contains("contains ','"));
        assert!(create_form(&admin(&[" "])).is_err());
    }

    #[test]
    fn availability_flag_forms() {
        for (v, want) in [
            (json!({"adminAccountAvailability": {"adminUsername": "u", "available": true}}), Some(true)),
            (json!({"adminAccountAvailability": {"available": "false"}}), Some(false)),
            (json!({"available": 0}), Some(false)),
            (json!({"x": {"available": "1"}}), Some(true)),
            (json!({"adminAccountAvailability": {"available": "perhaps"}}), None),
            (json!({"adminAccountAvailability": {}}), None),
        ] {
            assert_eq!(read_availability(&v), want, "{v}");
        }
    }

    #[test]
    fn create_answers() {
        let ok = json!({"actionResponse": {"status": "SUCCESS", "description": "created", "adminUsername": "u"}});
        assert_eq!(
            interpret_create(StatusCode::OK, Some(&ok)),
            CreateOutcome::Created { description: Some("created".into()) }
        );
        let taken = json!({"actionResponse": {"status": "Failure", "errorCode": "9101", "description": "exists"}});
        assert!(matches!(interpret_create(StatusCode::OK, Some(&taken)), CreateOutcome::UsernameTaken { .. }));
        assert!(matches!(interpret_create(StatusCode::CONFLICT, None), CreateOutcome::UsernameTaken { .. }));
        let role = json!({"actionResponse": {"status": "Failure", "errorCode": 9102, "description": "role"}});
        // A 403 that says which role is not a missing right of the caller.
        assert!(matches!(interpret_create(StatusCode::FORBIDDEN, Some(&role)), CreateOutcome::RoleNotGrantable { .. }));
        let not_allowed = json!({"actionResponse": {"status": "Failure", "errorCode": 9104, "description": "no"}});
        assert!(matches!(interpret_create(StatusCode::FORBIDDEN, Some(&not_allowed)), CreateOutcome::Forbidden { .. }));
        let invalid =
            json!({"actionResponse": {"status": "Failure", "errorCode": 9103, "description": "Unknown role"}});
        assert_eq!(
            interpret_create(StatusCode::BAD_REQUEST, Some(&invalid)),
            CreateOutcome::Rejected { code: Some(ERROR_INVALID_INPUT), description: Some("Unknown role".into()) }
        );
        assert!(matches!(interpret_create(StatusCode::FORBIDDEN, None), CreateOutcome::Forbidden { .. }));
        let other = json!({"actionResponse": {"status": "Failure", "errorCode": 7, "description": "no"}});
        assert_eq!(
            interpret_create(StatusCode::OK, Some(&other)),
            CreateOutcome::Rejected { code: Some(7), description: Some("no".into()) }
        );
        assert_eq!(interpret_create(StatusCode::OK, Some(&json!({}))), CreateOutcome::Undecodable);
        assert!(matches!(
            interpret_create(StatusCode::OK, Some(&json!({"actionResponse": {"status": "Failure"}}))),
            CreateOutcome::Rejected { code: None, .. }
        ));
    }
}
