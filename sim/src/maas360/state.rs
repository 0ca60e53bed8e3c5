//! The MaaS360 simulator's state and rules, free of HTTP: customers (one per billing ID), their app key,
//! administrators, audit and login records, auth and refresh tokens (`reference/maas360-api.md` §7.3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::roles::{BUILT_IN_ROLES, PARTNER_ADMINISTRATOR, SERVICE_ADMINISTRATOR, role_rank};
use super::unverified::{self, CreateFailure};
use crate::util::{now_ms, random_alnum};

/// Error codes. 1002 and 1009 and their texts are observed on real tenants; the 9xxx codes are made up by
/// the simulator (the guide's error-code table is not public) and are deliberately out of the real range.
pub mod codes {
    /// Every authentication failure (HTTP 200): bad password, unknown user, password not set yet,
    /// deactivated or deleted admin, wrong app ID / version / platform / access key, billing ID in the body
    /// different from the path or unknown, unknown/used/expired refresh token.
    pub const INVALID_CREDENTIALS: u32 = 1002;
    pub const INVALID_CREDENTIALS_DESC: &str = "Invalid credentials";
    /// Missing, unknown or expired token on a data API (HTTP 401).
    pub const TOKEN_INVALID: u32 = 1009;
    pub const TOKEN_INVALID_DESC: &str = "Token invalid";
    pub const TOKEN_EXPIRED_DESC: &str = "Token expired.";
    /// Simulator-defined: the billing ID in the path is not the token's (HTTP 403).
    pub const BILLING_ID_MISMATCH: u32 = 9001;
    /// Simulator-defined: an unreadable request (HTTP 400), e.g. malformed XML/JSON or a missing wrapper.
    pub const INVALID_REQUEST: u32 = 9002;
    /// Simulator-defined: the caller's roles do not allow this call (HTTP 403).
    pub const INSUFFICIENT_ROLE: u32 = 9003;
    /// Simulator-defined: the per-billing-ID request budget is used up (HTTP 429).
    pub const RATE_LIMITED: u32 = 9429;
    /// Simulator-defined: the customer's login log is full ([`super::MAX_LOGIN_EVENTS`]); HTTP 400.
    pub const LOGIN_LOG_FULL: u32 = 9430;
    pub const LOGIN_LOG_FULL_DESC: &str =
        "the simulator records at most 10000 sign-in attempts per customer; reset it (POST /_sim/reset)";
}

/// Sign-in attempts (successful or not, with any username) recorded per customer at most: past it, sign-ins
/// are refused with [`codes::LOGIN_LOG_FULL`], so attacker-chosen usernames cannot grow the log without limit.
pub const MAX_LOGIN_EVENTS: usize = 10_000;

/// Administrators (of any status) per customer at most; past it, createAdministrator answers 400.
pub const MAX_ADMINS: usize = 10_000;

/// The seeded customer and its primary administrator.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Maas360AdminCredentials {
    pub billing_id: String,
    pub app_id: String,
    pub app_version: String,
    pub platform_id: String,
    pub app_access_key: String,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Maas360AdminCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Maas360AdminCredentials")
            .field("billing_id", &self.billing_id)
            .field("app_id", &self.app_id)
            .field("app_version", &self.app_version)
            .field("platform_id", &self.platform_id)
            .field("app_access_key", &"<redacted>")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MaasSettings {
    pub token_ttl_seconds: u64,
    /// Not documented anywhere; a day by default.
    pub refresh_token_ttl_seconds: u64,
    /// Requests allowed per billing ID per window; the real limits are not public.
    pub rate_limit_budget: u64,
    pub rate_limit_window_seconds: u64,
}

impl Default for MaasSettings {
    fn default() -> Self {
        MaasSettings {
            token_ttl_seconds: 3600,
            refresh_token_ttl_seconds: 86_400,
            rate_limit_budget: 10_000,
            rate_limit_window_seconds: 3600,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdminStatus {
    Active,
    Inactive,
    Deleted,
}

impl AdminStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminStatus::Active => "Active",
            AdminStatus::Inactive => "Inactive",
            AdminStatus::Deleted => "Deleted",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Admin {
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub roles: Vec<String>,
    pub status: AdminStatus,
    /// Unset until the admin follows the emailed link (`/_sim/.../set-password`).
    pub password: Option<String>,
    pub script_only: bool,
    pub primary: bool,
    pub created_at_ms: u64,
    pub last_login_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppKey {
    pub app_id: String,
    pub app_version: String,
    pub platform_id: String,
    pub app_access_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    pub update_date: u64,
    pub performed_by: String,
    /// `ADD` (create), `CHANGE`, `DELETE`; only `CHANGE` is seen in public samples.
    pub operation_type: String,
    pub ip_address: String,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub account_status: String,
    pub last_login_ms: Option<u64>,
    pub roles_added: Vec<String>,
    pub roles_deleted: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginEvent {
    pub username: String,
    pub login_attempt_time: u64,
    pub ip_address: String,
    pub successful: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub billing_id: String,
    pub app: AppKey,
    pub admins: Vec<Admin>,
    pub audit: Vec<AuditRecord>,
    pub login_events: Vec<LoginEvent>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub billing_id: String,
    pub username: String,
    pub expires_at_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MaasState {
    pub admin: Maas360AdminCredentials,
    pub customers: BTreeMap<String, Customer>,
    pub tokens: BTreeMap<String, Session>,
    pub refresh_tokens: BTreeMap<String, Session>,
    pub settings: MaasSettings,
}

/// The fields of `authRequest.maaS360AdminAuth`, whatever the body format.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthFields {
    pub billing_id: Option<String>,
    pub platform_id: Option<String>,
    pub app_id: Option<String>,
    pub app_version: Option<String>,
    pub app_access_key: Option<String>,
    pub user_name: Option<String>,
    pub password: Option<String>,
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AuthGrant {
    pub auth_token: String,
    pub refresh_token: Option<String>,
}

/// A data-API failure: HTTP status, error code, description.
#[derive(Debug, Clone, PartialEq)]
pub struct DataError {
    pub status: u16,
    pub code: u32,
    pub description: String,
}

impl DataError {
    fn new(status: u16, code: u32, description: impl Into<String>) -> Self {
        DataError { status, code, description: description.into() }
    }
}

/// Which authentication endpoint is being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// 1.0: auth token only.
    V1,
    /// 2.0: auth token and a refresh token.
    V2,
}

/// A page of records, as `getAdminChangesAudit` / `getAdminLoginReports` page them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageQuery {
    pub from: u64,
    pub to: u64,
    pub page_size: usize,
    pub page_number: usize,
}

fn same_user(a: &str, b: &str) -> bool {
    // Usernames are compared case-insensitively (portal logins are), for uniqueness and lookup alike.
    a.eq_ignore_ascii_case(b)
}

impl Customer {
    fn admin(&self, username: &str) -> Option<&Admin> {
        self.admins.iter().find(|a| a.status != AdminStatus::Deleted && same_user(&a.username, username))
    }

    fn audit(&mut self, performed_by: &str, op: &str, ip: &str, a: &Admin, added: &[String], deleted: &[String]) {
        self.audit.push(AuditRecord {
            update_date: now_ms(),
            performed_by: performed_by.to_owned(),
            operation_type: op.to_owned(),
            ip_address: ip.to_owned(),
            username: a.username.clone(),
            email: a.email.clone(),
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            account_status: a.status.as_str().to_owned(),
            last_login_ms: a.last_login_ms,
            roles_added: added.to_vec(),
            roles_deleted: deleted.to_vec(),
        });
    }

    fn primary_username(&self) -> String {
        self.admins.iter().find(|a| a.primary).map(|a| a.username.clone()).unwrap_or_default()
    }
}

/// Password rule of the portal (TechSafe guide): ≥ 8 characters, a letter, a digit, a special character.
pub fn check_password_rule(p: &str) -> Result<(), &'static str> {
    if p.chars().count() < 8 {
        return Err("password must be at least 8 characters long");
    }
    if !p.chars().any(|c| c.is_alphabetic()) {
        return Err("password must contain at least one letter");
    }
    if !p.chars().any(|c| c.is_ascii_digit()) {
        return Err("password must contain at least one digit");
    }
    if !p.chars().any(|c| !c.is_alphanumeric()) {
        return Err("password must contain at least one special character");
    }
    Ok(())
}

impl MaasState {
    /// One customer with the seeded app key and primary Service Administrator.
    pub fn seeded(admin: Maas360AdminCredentials, settings: MaasSettings) -> Self {
        let now = now_ms();
        let customer = Customer {
            billing_id: admin.billing_id.clone(),
            app: AppKey {
                app_id: admin.app_id.clone(),
                app_version: admin.app_version.clone(),
                platform_id: admin.platform_id.clone(),
                app_access_key: admin.app_access_key.clone(),
            },
            admins: vec![Admin {
                username: admin.username.clone(),
                email: format!("{}@mdm-sim.invalid", admin.username),
                first_name: "mdm-sim".into(),
                last_name: "Administrator".into(),
                roles: vec![SERVICE_ADMINISTRATOR.into()],
                status: AdminStatus::Active,
                password: Some(admin.password.clone()),
                script_only: false,
                primary: true,
                created_at_ms: now,
                last_login_ms: None,
            }],
            audit: Vec::new(),
            login_events: Vec::new(),
        };
        MaasState {
            customers: [(admin.billing_id.clone(), customer)].into(),
            admin,
            tokens: BTreeMap::new(),
            refresh_tokens: BTreeMap::new(),
            settings,
        }
    }

    fn username_taken(&self, username: &str) -> bool {
        self.customers.values().any(|c| c.admin(username).is_some())
    }

    /// `checkAdminAccountAvailability`: usernames are unique across the whole simulator (an instance), and
    /// a deleted admin's username is free again.
    pub fn available(&self, username: &str) -> bool {
        !self.username_taken(username)
    }

    fn prune(&mut self, now: u64) {
        // Keep expired tokens for an hour so that they answer "Token expired." rather than "Token invalid".
        let horizon = now.saturating_sub(3_600_000);
        self.tokens.retain(|_, s| s.expires_at_ms > horizon);
        self.refresh_tokens.retain(|_, s| s.expires_at_ms > now);
    }

    fn grant(&mut self, billing_id: &str, username: &str, kind: AuthKind) -> AuthGrant {
        let now = now_ms();
        self.prune(now);
        let auth_token = random_alnum(48);
        self.tokens.insert(
            auth_token.clone(),
            Session {
                billing_id: billing_id.to_owned(),
                username: username.to_owned(),
                expires_at_ms: now + self.settings.token_ttl_seconds * 1000,
            },
        );
        let refresh_token = (kind == AuthKind::V2).then(|| {
            let t = uuid::Uuid::new_v4().to_string();
            self.refresh_tokens.insert(
                t.clone(),
                Session {
                    billing_id: billing_id.to_owned(),
                    username: username.to_owned(),
                    expires_at_ms: now + self.settings.refresh_token_ttl_seconds * 1000,
                },
            );
            t
        });
        AuthGrant { auth_token, refresh_token }
    }

    /// `Err(LOGIN_LOG_FULL)` when the customer's login log holds [`MAX_LOGIN_EVENTS`] attempts.
    fn login_log_room(&self, billing_id: &str) -> Result<(), u32> {
        match self.customers.get(billing_id) {
            Some(c) if c.login_events.len() >= MAX_LOGIN_EVENTS => Err(codes::LOGIN_LOG_FULL),
            _ => Ok(()),
        }
    }

    fn log_attempt(&mut self, billing_id: &str, username: &str, ip: &str, successful: bool) {
        let now = now_ms();
        if let Some(c) = self.customers.get_mut(billing_id) {
            c.login_events.push(LoginEvent {
                username: username.to_owned(),
                login_attempt_time: now,
                ip_address: ip.to_owned(),
                successful,
            });
            if successful
                && let Some(a) =
                    c.admins.iter_mut().find(|a| a.status != AdminStatus::Deleted && same_user(&a.username, username))
            {
                a.last_login_ms = Some(now);
            }
        }
    }

    /// Checks everything but the password / refresh token; returns the admin's canonical username.
    fn check_app(&self, path_billing_id: &str, f: &AuthFields, key_required: bool) -> Option<String> {
        let c = self.customers.get(path_billing_id)?;
        let eq = |v: &Option<String>, want: &str| v.as_deref().map(str::trim) == Some(want);
        if !eq(&f.billing_id, path_billing_id)
            || !eq(&f.app_id, &c.app.app_id)
            || !eq(&f.app_version, &c.app.app_version)
            || !eq(&f.platform_id, &c.app.platform_id)
        {
            return None;
        }
        match &f.app_access_key {
            Some(k) if k != &c.app.app_access_key => return None,
            None if key_required => return None,
            _ => {}
        }
        let a = c.admin(f.user_name.as_deref()?)?;
        (a.status == AdminStatus::Active).then(|| a.username.clone())
    }

    /// Authentication 1.0 / 2.0 with a password. Every failure is error 1002 (see `codes`), and every
    /// attempt is a login event of the path's customer.
    pub fn authenticate(
        &mut self,
        path_billing_id: &str,
        f: &AuthFields,
        kind: AuthKind,
        ip: &str,
    ) -> Result<AuthGrant, u32> {
        self.login_log_room(path_billing_id)?;
        let user = self.check_app(path_billing_id, f, true).filter(|u| {
            let c = &self.customers[path_billing_id];
            let a = c.admin(u).expect("checked");
            a.password.is_some() && a.password == f.password
        });
        let attempted = f.user_name.clone().unwrap_or_default();
        match user {
            Some(u) => {
                self.log_attempt(path_billing_id, &u, ip, true);
                Ok(self.grant(path_billing_id, &u, kind))
            }
            None => {
                self.log_attempt(path_billing_id, &attempted, ip, false);
                Err(codes::INVALID_CREDENTIALS)
            }
        }
    }

    /// Authentication 2.0 refresh: `refreshToken` instead of `password`, `appAccessKey` optional. The
    /// refresh token is single-use: a new one comes back with the new auth token.
    pub fn refresh(&mut self, path_billing_id: &str, f: &AuthFields, ip: &str) -> Result<AuthGrant, u32> {
        self.login_log_room(path_billing_id)?;
        let now = now_ms();
        let user = self.check_app(path_billing_id, f, false).filter(|u| {
            f.refresh_token
                .as_deref()
                .and_then(|t| self.refresh_tokens.get(t))
                .is_some_and(|s| s.billing_id == path_billing_id && same_user(&s.username, u) && s.expires_at_ms > now)
        });
        let attempted = f.user_name.clone().unwrap_or_default();
        match user {
            Some(u) => {
                if let Some(t) = &f.refresh_token {
                    self.refresh_tokens.remove(t);
                }
                self.log_attempt(path_billing_id, &u, ip, true);
                Ok(self.grant(path_billing_id, &u, AuthKind::V2))
            }
            None => {
                self.log_attempt(path_billing_id, &attempted, ip, false);
                Err(codes::INVALID_CREDENTIALS)
            }
        }
    }

    /// The admin behind `token`, for a data API addressed to `path_billing_id`: 401/1009 for a missing,
    /// unknown or expired token or an admin no longer active, 403 when the billing IDs differ.
    pub fn session(&self, token: Option<&str>, path_billing_id: &str) -> Result<&Admin, DataError> {
        let invalid = || DataError::new(401, codes::TOKEN_INVALID, codes::TOKEN_INVALID_DESC);
        let s = token.and_then(|t| self.tokens.get(t)).ok_or_else(invalid)?;
        if s.expires_at_ms <= now_ms() {
            return Err(DataError::new(401, codes::TOKEN_INVALID, codes::TOKEN_EXPIRED_DESC));
        }
        if s.billing_id != path_billing_id {
            return Err(DataError::new(
                403,
                codes::BILLING_ID_MISMATCH,
                "Billing ID in the request does not match the authenticated session",
            ));
        }
        let a = self
            .customers
            .get(&s.billing_id)
            .and_then(|c| c.admin(&s.username))
            .filter(|a| a.status == AdminStatus::Active)
            .ok_or_else(invalid)?;
        if a.roles.is_empty() {
            return Err(DataError::new(403, codes::INSUFFICIENT_ROLE, "Administrator has no role"));
        }
        Ok(a)
    }

    /// `createAdministrator` by `caller` (an active admin of `billing_id`). The new admin is Active, has no
    /// password until set from the email, is not script-only and not primary.
    pub fn create_admin(
        &mut self,
        billing_id: &str,
        caller: &str,
        req: unverified::NewAdministrator,
        ip: &str,
    ) -> Result<(), CreateFailure> {
        let c = self.customers.get(billing_id).ok_or_else(|| CreateFailure::invalid("unknown billing ID"))?;
        let caller_admin = c.admin(caller).ok_or_else(|| CreateFailure::invalid("unknown caller"))?;
        if !caller_admin.roles.iter().any(|r| r == SERVICE_ADMINISTRATOR) {
            return Err(CreateFailure::caller_not_service_admin());
        }
        let caller_rank = caller_admin.roles.iter().filter_map(|r| role_rank(r)).max().unwrap_or(0);
        for r in &req.roles {
            if role_rank(r).is_some_and(|rank| rank > caller_rank) {
                return Err(CreateFailure::role_not_grantable(r));
            }
        }
        if self.username_taken(&req.username) {
            return Err(CreateFailure::username_taken());
        }
        if c.admins.len() >= MAX_ADMINS {
            return Err(CreateFailure::invalid(format!(
                "the simulator holds at most {MAX_ADMINS} administrators per customer"
            )));
        }
        let caller_name = caller_admin.username.clone();
        let admin = Admin {
            username: req.username,
            email: req.email,
            first_name: req.first_name.unwrap_or_default(),
            last_name: req.last_name.unwrap_or_default(),
            roles: req.roles,
            status: AdminStatus::Active,
            password: None,
            script_only: false,
            primary: false,
            created_at_ms: now_ms(),
            last_login_ms: None,
        };
        let c = self.customers.get_mut(billing_id).expect("checked");
        c.audit(&caller_name, "ADD", ip, &admin, &admin.roles, &[]);
        c.admins.push(admin);
        Ok(())
    }

    pub fn audit_page(&self, billing_id: &str, q: PageQuery) -> Vec<AuditRecord> {
        self.customers.get(billing_id).map(|c| page(&c.audit, q, |r| r.update_date)).unwrap_or_default()
    }

    pub fn login_page(&self, billing_id: &str, q: PageQuery) -> Vec<LoginEvent> {
        self.customers.get(billing_id).map(|c| page(&c.login_events, q, |e| e.login_attempt_time)).unwrap_or_default()
    }

    // ----- portal actions (the `/_sim/maas360/admins/...` control routes) -----

    /// The customer and index of the non-deleted admin called `username`.
    fn locate(&self, username: &str) -> Option<(String, usize)> {
        self.customers.iter().find_map(|(b, c)| {
            c.admins
                .iter()
                .position(|a| a.status != AdminStatus::Deleted && same_user(&a.username, username))
                .map(|i| (b.clone(), i))
        })
    }

    /// Applies a portal action to `username` and records a `CHANGE` (or `DELETE`) audit entry; returns the
    /// action's result and the admin's billing ID. `by_self` marks actions the admin performs (setting a
    /// password from the email link); the others are performed by the customer's primary admin.
    pub fn portal_action<T>(
        &mut self,
        username: &str,
        ip: &str,
        by_self: bool,
        action: impl FnOnce(&mut Admin) -> Result<(T, PortalChange), (u16, String)>,
    ) -> Result<(T, String), (u16, String)> {
        let (billing, idx) =
            self.locate(username).ok_or_else(|| (404, format!("no administrator named '{username}'")))?;
        let c = self.customers.get_mut(&billing).expect("located");
        let before = c.admins[idx].roles.clone();
        let (out, change) = action(&mut c.admins[idx])?;
        let a = c.admins[idx].clone();
        let added: Vec<String> = a.roles.iter().filter(|r| !before.contains(r)).cloned().collect();
        let deleted: Vec<String> = before.iter().filter(|r| !a.roles.contains(r)).cloned().collect();
        let by = if by_self { a.username.clone() } else { c.primary_username() };
        let op = match change {
            PortalChange::Change => "CHANGE",
            PortalChange::Delete => "DELETE",
        };
        c.audit(&by, op, ip, &a, &added, &deleted);
        Ok((out, billing))
    }

    pub fn all_admins(&self) -> impl Iterator<Item = (&str, &Admin)> {
        self.customers.values().flat_map(|c| c.admins.iter().map(move |a| (c.billing_id.as_str(), a)))
    }

    /// Expires every auth token (they then answer "Token expired."); refresh tokens too if asked.
    pub fn expire_tokens(&mut self, refresh_tokens: bool) -> (usize, usize) {
        let now = now_ms();
        let mut n = 0;
        for s in self.tokens.values_mut() {
            if s.expires_at_ms > now {
                s.expires_at_ms = now;
                n += 1;
            }
        }
        let m = if refresh_tokens { std::mem::take(&mut self.refresh_tokens).len() } else { 0 };
        (n, m)
    }
}

/// What a portal action did, for the audit record.
pub enum PortalChange {
    Change,
    Delete,
}

/// Records with `time` in `[from, to]`, oldest first, then the 1-based page.
fn page<T: Clone>(items: &[T], q: PageQuery, time: impl Fn(&T) -> u64) -> Vec<T> {
    items
        .iter()
        .filter(|x| (q.from..=q.to).contains(&time(x)))
        .skip((q.page_number - 1).saturating_mul(q.page_size))
        .take(q.page_size)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Maas360AdminCredentials {
        Maas360AdminCredentials {
            billing_id: "30012345".into(),
            app_id: "com.30012345.sim".into(),
            app_version: "1.0".into(),
            platform_id: "3".into(),
            app_access_key: "KEYKEYKEY1".into(),
            username: "boss".into(),
            password: "Passw0rd!".into(),
        }
    }

    fn fields(user: &str, password: &str) -> AuthFields {
        let c = creds();
        AuthFields {
            billing_id: Some(c.billing_id),
            platform_id: Some(c.platform_id),
            app_id: Some(c.app_id),
            app_version: Some(c.app_version),
            app_access_key: Some(c.app_access_key),
            user_name: Some(user.into()),
            password: Some(password.into()),
            refresh_token: None,
        }
    }

    fn state() -> MaasState {
        MaasState::seeded(creds(), MaasSettings::default())
    }

    fn new_admin(u: &str, roles: &[&str]) -> unverified::NewAdministrator {
        unverified::NewAdministrator {
            username: u.into(),
            email: format!("{u}@example.com"),
            roles: roles.iter().map(|s| s.to_string()).collect(),
            first_name: None,
            last_name: None,
        }
    }

    #[test]
    fn password_rule() {
        assert!(check_password_rule("Passw0rd!").is_ok());
        assert!(check_password_rule("Pa0!").unwrap_err().contains("8 characters"));
        assert!(check_password_rule("12345678!").unwrap_err().contains("letter"));
        assert!(check_password_rule("Password!").unwrap_err().contains("digit"));
        assert!(check_password_rule("Password1").unwrap_err().contains("special"));
    }

    #[test]
    fn authentication_failures_are_1002() {
        let mut st = state();
        let b = "30012345";
        assert!(st.authenticate(b, &fields("boss", "Passw0rd!"), AuthKind::V1, "ip").is_ok());
        assert!(st.authenticate(b, &fields("BOSS", "Passw0rd!"), AuthKind::V1, "ip").is_ok());
        assert_eq!(st.authenticate(b, &fields("boss", "nope"), AuthKind::V1, "ip").unwrap_err(), 1002);
        assert_eq!(st.authenticate(b, &fields("ghost", "x"), AuthKind::V1, "ip").unwrap_err(), 1002);
        let mut f = fields("boss", "Passw0rd!");
        f.app_access_key = Some("WRONG".into());
        assert!(st.authenticate(b, &f, AuthKind::V1, "ip").is_err());
        let mut f = fields("boss", "Passw0rd!");
        f.app_access_key = None;
        assert!(st.authenticate(b, &f, AuthKind::V1, "ip").is_err(), "key required for login");
        let mut f = fields("boss", "Passw0rd!");
        f.billing_id = Some("999".into());
        assert!(st.authenticate(b, &f, AuthKind::V1, "ip").is_err(), "body/path billing mismatch");
        assert!(st.authenticate("999", &fields("boss", "Passw0rd!"), AuthKind::V1, "ip").is_err());
        let events = &st.customers[b].login_events;
        assert_eq!(events.len(), 7, "unknown-customer attempts are not recorded");
        assert_eq!(events.iter().filter(|e| e.successful).count(), 2);
    }

    #[test]
    fn new_admin_needs_password_and_activity() {
        let mut st = state();
        let b = "30012345";
        st.create_admin(b, "boss", new_admin("bot", &["Read-Only"]), "ip").unwrap();
        assert!(!st.available("BOT"));
        assert!(st.authenticate(b, &fields("bot", ""), AuthKind::V1, "ip").is_err());
        st.portal_action("bot", "ip", true, |a| {
            a.password = Some("Secr3t!!".into());
            Ok(((), PortalChange::Change))
        })
        .unwrap();
        st.portal_action("bot", "ip", false, |a| {
            a.script_only = true;
            Ok(((), PortalChange::Change))
        })
        .unwrap();
        assert!(
            st.authenticate(b, &fields("bot", "Secr3t!!"), AuthKind::V1, "ip").is_ok(),
            "script-only admins use the API"
        );
        st.portal_action("bot", "ip", false, |a| {
            a.status = AdminStatus::Inactive;
            Ok(((), PortalChange::Change))
        })
        .unwrap();
        assert!(st.authenticate(b, &fields("bot", "Secr3t!!"), AuthKind::V1, "ip").is_err());
        let audit = &st.customers[b].audit;
        assert_eq!(audit.len(), 4);
        assert_eq!((audit[0].operation_type.as_str(), audit[0].performed_by.as_str()), ("ADD", "boss"));
        assert_eq!(audit[1].performed_by, "bot");
        assert_eq!(audit[3].account_status, "Inactive");
    }

    #[test]
    fn creation_refusals() {
        let mut st = state();
        let b = "30012345";
        st.create_admin(b, "boss", new_admin("helper", &["Help Desk"]), "ip").unwrap();
        let e = st.create_admin(b, "boss", new_admin("Helper", &["Read-Only"]), "ip").unwrap_err();
        assert_eq!(e.status, 409);
        let e = st.create_admin(b, "helper", new_admin("x", &["Read-Only"]), "ip").unwrap_err();
        assert_eq!(e.status, 403);
        let e = st.create_admin(b, "boss", new_admin("y", &["Read-Only", PARTNER_ADMINISTRATOR]), "ip").unwrap_err();
        assert_eq!(e.status, 403);
        assert!(e.description.contains(PARTNER_ADMINISTRATOR));
        assert!(st.available("y"));
        st.create_admin(b, "boss", new_admin("y", &[SERVICE_ADMINISTRATOR]), "ip").unwrap();
        assert_eq!(st.customers[b].audit.len(), 2, "refusals leave no audit record");
    }

    #[test]
    fn refresh_rotates() {
        let mut st = state();
        let b = "30012345";
        let g = st.authenticate(b, &fields("boss", "Passw0rd!"), AuthKind::V2, "ip").unwrap();
        let r1 = g.refresh_token.unwrap();
        let mut f = fields("boss", "");
        f.password = None;
        f.app_access_key = None;
        f.refresh_token = Some(r1.clone());
        let g2 = st.refresh(b, &f, "ip").unwrap();
        let r2 = g2.refresh_token.unwrap();
        assert_ne!(r1, r2);
        assert_eq!(st.refresh(b, &f, "ip").unwrap_err(), 1002, "used refresh token");
        f.refresh_token = Some(r2);
        assert!(st.refresh(b, &f, "ip").is_ok());
    }

    #[test]
    fn sessions() {
        let mut st = state();
        let b = "30012345";
        let g = st.authenticate(b, &fields("boss", "Passw0rd!"), AuthKind::V1, "ip").unwrap();
        assert!(st.session(Some(&g.auth_token), b).is_ok());
        assert_eq!(st.session(Some(&g.auth_token), "1").unwrap_err().status, 403);
        assert_eq!(st.session(Some("nope"), b).unwrap_err().description, "Token invalid");
        assert_eq!(st.session(None, b).unwrap_err().code, 1009);
        st.expire_tokens(false);
        assert_eq!(st.session(Some(&g.auth_token), b).unwrap_err().description, "Token expired.");
    }

    #[test]
    fn paging() {
        let items: Vec<u64> = (1..=7).collect();
        let q = |n, s| PageQuery { from: 2, to: 6, page_size: s, page_number: n };
        assert_eq!(page(&items, q(1, 2), |x| *x), vec![2, 3]);
        assert_eq!(page(&items, q(3, 2), |x| *x), vec![6]);
        assert!(page(&items, q(4, 2), |x| *x).is_empty());
    }

    #[test]
    fn failed_sign_ins_with_any_username_are_capped() {
        let mut st = state();
        let b = "30012345";
        let logged = st.customers[b].login_events.len();
        for n in logged..MAX_LOGIN_EVENTS {
            assert_eq!(
                st.authenticate(b, &fields(&format!("attacker{n}"), "x"), AuthKind::V2, "ip").unwrap_err(),
                1002
            );
        }
        assert_eq!(st.customers[b].login_events.len(), MAX_LOGIN_EVENTS);
        let full = st.authenticate(b, &fields("attacker-next", "x"), AuthKind::V2, "ip").unwrap_err();
        assert_eq!(full, codes::LOGIN_LOG_FULL);
        assert_eq!(st.refresh(b, &fields("boss", "x"), "ip").unwrap_err(), codes::LOGIN_LOG_FULL);
        assert_eq!(st.customers[b].login_events.len(), MAX_LOGIN_EVENTS, "nothing more recorded");
    }

    #[test]
    fn administrators_are_capped() {
        let mut st = state();
        let b = "30012345";
        for n in st.customers[b].admins.len()..MAX_ADMINS {
            st.create_admin(b, "boss", new_admin(&format!("admin{n}"), &[]), "ip").unwrap();
        }
        let e = st.create_admin(b, "boss", new_admin("one_too_many", &[]), "ip").unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.description.contains("at most 10000 administrators"), "{}", e.description);
    }
}
