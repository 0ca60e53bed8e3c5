//! Data types of the MaaS360 client, and the lenient readers of the audit pages (maas360-api.md §2.1).

use serde_json::Value;

use crate::rest::lenient;

/// An administrator to create. Roles are display names (`Read-Only`, `Administrator`, custom names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdministrator {
    /// Username (may have to be unique across the whole MaaS360 instance).
    pub username: String,
    /// Corporate email; the set-password link is sent there.
    pub email: String,
    /// Role display names, at least one.
    pub roles: Vec<String>,
    /// Optional first name.
    pub first_name: Option<String>,
    /// Optional last name.
    pub last_name: Option<String>,
}

/// What `createAdministrator` reported on success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdministratorCreated {
    /// The server's description, if any.
    pub description: Option<String>,
    /// Whether the availability check reported the username as taken afterwards (within the
    /// after-create window). `false` means a refresh soon after may not see the administrator.
    pub listed: bool,
}

/// The administrator as recorded in an audit entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditedAdministrator {
    /// `email`.
    pub email: String,
    /// `username`.
    pub username: String,
    /// `firstName`.
    pub first_name: String,
    /// `middleName`.
    pub middle_name: String,
    /// `lastName`.
    pub last_name: String,
    /// `accountStatus`, e.g. `Active`.
    pub account_status: String,
    /// `managedUserGroups`, e.g. `All groups`.
    pub managed_user_groups: String,
    /// `rolesAdded`: role display names.
    pub roles_added: String,
    /// `rolesDeleted`: role display names.
    pub roles_deleted: String,
    /// `lastLoginTime` in epoch ms, if set.
    pub last_login_time: Option<i64>,
    /// `previousState`.
    pub previous_state: String,
}

/// One `adminChange` record of `getAdminChangesAudit`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdminChange {
    /// `updateDate` in epoch ms.
    pub update_date: Option<i64>,
    /// `performedBy`.
    pub performed_by: String,
    /// `operationType`, e.g. `CHANGE`.
    pub operation_type: String,
    /// `ipAddress`.
    pub ip_address: String,
    /// `administrator`.
    pub administrator: AuditedAdministrator,
}

/// One `loginEvent` record of `getAdminLoginReports`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoginEvent {
    /// `username`.
    pub username: String,
    /// `loginAttemptTime` in epoch ms.
    pub login_attempt_time: Option<i64>,
    /// `logoutTime` in epoch ms (`""` when still logged in).
    pub logout_time: Option<i64>,
    /// `duration`.
    pub duration: Option<f64>,
    /// `operatingSystem`.
    pub operating_system: String,
    /// `browserVersion`.
    pub browser_version: String,
    /// `ipAddress`.
    pub ip_address: String,
    /// `authStatus`, e.g. `Successful`.
    pub auth_status: String,
}

/// `operationType` of the record written when an administrator is created. **Unverified**: public
/// samples show only `CHANGE`; `ADD` and `DELETE` are the simulator's choice (maas360-api.md §2.1).
pub const AUDIT_OPERATION_ADD: &str = "ADD";
/// `operationType` of the record written when an administrator is deleted (unverified, see above).
pub const AUDIT_OPERATION_DELETE: &str = "DELETE";

/// What the audit records say about one administrator as it is now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditedState {
    /// The email of the latest record that has one.
    pub email: Option<String>,
    /// The roles, known only when the creation record is among the records: `rolesAdded` and
    /// `rolesDeleted` are changes, so later records alone cannot tell the whole set.
    pub roles: Option<Vec<String>>,
}

/// Replays the records of `username` (oldest first): the creation record gives the roles, each
/// later record adds `rolesAdded` and removes `rolesDeleted`, and a deletion forgets everything
/// before it (the username may have been given to a new administrator since).
pub fn audited_state(changes: &[AdminChange], username: &str) -> AuditedState {
    let mut mine: Vec<&AdminChange> = changes.iter().filter(|c| c.administrator.username == username).collect();
    // Stable: records of the same millisecond keep the order the server listed them in.
    mine.sort_by_key(|c| c.update_date.unwrap_or(0));
    let mut out = AuditedState::default();
    for c in mine {
        let a = &c.administrator;
        let op = c.operation_type.trim();
        if op.eq_ignore_ascii_case(AUDIT_OPERATION_DELETE) {
            out = AuditedState::default();
            continue;
        }
        if !a.email.trim().is_empty() {
            out.email = Some(a.email.trim().to_owned());
        }
        if op.eq_ignore_ascii_case(AUDIT_OPERATION_ADD) {
            out.roles = Some(Vec::new());
        }
        if let Some(roles) = &mut out.roles {
            let deleted = role_list(&a.roles_deleted);
            roles.retain(|r| !deleted.contains(r));
            for r in role_list(&a.roles_added) {
                if !roles.contains(&r) {
                    roles.push(r);
                }
            }
        }
    }
    if out.roles.as_ref().is_some_and(Vec::is_empty) {
        out.roles = None;
    }
    out
}

/// Role names of `rolesAdded` / `rolesDeleted` (comma-separated display names).
fn role_list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned).collect()
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(lenient::string).unwrap_or_default()
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(lenient::i64)
}

impl AdminChange {
    pub(crate) fn from_value(v: &Value) -> Self {
        let a = v.get("administrator").unwrap_or(&Value::Null);
        AdminChange {
            update_date: int(v, "updateDate"),
            performed_by: text(v, "performedBy"),
            operation_type: text(v, "operationType"),
            ip_address: text(v, "ipAddress"),
            administrator: AuditedAdministrator {
                email: text(a, "email"),
                username: text(a, "username"),
                first_name: text(a, "firstName"),
                middle_name: text(a, "middleName"),
                last_name: text(a, "lastName"),
                account_status: text(a, "accountStatus"),
                managed_user_groups: text(a, "managedUserGroups"),
                roles_added: text(a, "rolesAdded"),
                roles_deleted: text(a, "rolesDeleted"),
                last_login_time: int(a, "lastLoginTime"),
                previous_state: text(a, "previousState"),
            },
        }
    }
}

impl LoginEvent {
    pub(crate) fn from_value(v: &Value) -> Self {
        LoginEvent {
            username: text(v, "username"),
            login_attempt_time: int(v, "loginAttemptTime"),
            logout_time: int(v, "logoutTime"),
            duration: v.get("duration").and_then(lenient::f64),
            operating_system: text(v, "operatingSystem"),
            browser_version: text(v, "browserVersion"),
            ip_address: text(v, "ipAddress"),
            auth_status: text(v, "authStatus"),
        }
    }
}

/// The records of one audit page: `{"<root>": {"count", "pageNumber", "pageSize", "<item>": [...]}}`.
/// `None` if the root object is missing; an absent or empty item list is an empty page.
pub(crate) fn page_items<'a>(v: &'a Value, root: &str, item: &str) -> Option<Vec<&'a Value>> {
    let page = v.get(root)?;
    if page.as_str().is_some_and(|s| s.trim().is_empty()) || page.is_null() {
        return Some(Vec::new());
    }
    Some(lenient::one_or_many(page.get(item)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(at: i64, op: &str, user: &str, email: &str, added: &str, deleted: &str) -> AdminChange {
        AdminChange {
            update_date: Some(at),
            operation_type: op.into(),
            administrator: AuditedAdministrator {
                username: user.into(),
                email: email.into(),
                roles_added: added.into(),
                roles_deleted: deleted.into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn audit_replay_gives_the_current_roles_and_email() {
        let changes = vec![
            rec(5, "CHANGE", "so", "it@x.example", "", ""),
            rec(1, "ADD", "so", "it@x.example", "Read-Only,Help Desk", ""),
            rec(3, "CHANGE", "so", "", "Administrator", "Help Desk"),
            rec(4, "CHANGE", "other", "o@x.example", "Service Administrator", ""),
        ];
        let s = audited_state(&changes, "so");
        assert_eq!(s.email.as_deref(), Some("it@x.example"));
        assert_eq!(s.roles, Some(vec!["Read-Only".to_string(), "Administrator".to_string()]));

        // Without the creation record the roles are unknown, not the last change's.
        let s = audited_state(&changes[2..3], "so");
        assert_eq!(s, AuditedState { email: None, roles: None });
        let s = audited_state(&[rec(1, "CHANGE", "so", "it@x.example", "Help Desk", "")], "so");
        assert_eq!(s, AuditedState { email: Some("it@x.example".into()), roles: None });

        // A deletion forgets the earlier account of the same name.
        let changes = vec![
            rec(1, "ADD", "so", "old@x.example", "Read-Only", ""),
            rec(2, "DELETE", "so", "old@x.example", "", ""),
            rec(3, "ADD", "so", "new@x.example", "Administrator", ""),
        ];
        let s = audited_state(&changes, "so");
        assert_eq!(s.email.as_deref(), Some("new@x.example"));
        assert_eq!(s.roles, Some(vec!["Administrator".to_string()]));
        assert_eq!(audited_state(&changes[..2], "so"), AuditedState::default());
        assert_eq!(audited_state(&[], "so"), AuditedState::default());
    }

    #[test]
    fn audit_records_parse_leniently() {
        let v = json!({"adminChanges":{"count":"1","pageNumber":1,"pageSize":250,"adminChange":{
            "updateDate":"1730209172000","performedBy":"boss","operationType":"CHANGE","ipAddress":"1.1.1.1",
            "administrator":{"email":"","username":"so_user","firstName":"","middleName":"","lastName":"",
              "accountStatus":"Active","managedUserGroups":"All groups","lastLoginTime":"",
              "rolesAdded":"Help Desk","rolesDeleted":"","previousState":""}}}});
        let items = page_items(&v, "adminChanges", "adminChange").unwrap();
        assert_eq!(items.len(), 1, "a single record arrives as an object");
        let c = AdminChange::from_value(items[0]);
        assert_eq!(c.update_date, Some(1_730_209_172_000));
        assert_eq!(c.administrator.username, "so_user");
        assert_eq!(c.administrator.roles_added, "Help Desk");
        assert_eq!(c.administrator.last_login_time, None);

        let e = LoginEvent::from_value(&json!({"username":"test@mail.com","loginAttemptTime":1730208920691_i64,
            "logoutTime":"","duration":0.1,"authStatus":"Successful"}));
        assert_eq!((e.login_attempt_time, e.logout_time, e.duration), (Some(1_730_208_920_691), None, Some(0.1)));

        assert!(page_items(&json!({"loginEvents":{"count":0}}), "loginEvents", "loginEvent").unwrap().is_empty());
        assert!(page_items(&json!({"loginEvents":""}), "loginEvents", "loginEvent").unwrap().is_empty());
        assert!(page_items(&json!({"other":{}}), "loginEvents", "loginEvent").is_none());
    }
}
