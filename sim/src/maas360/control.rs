//! `/_sim/maas360/...`: the portal and email steps that have no API (set the password from the emailed link,
//! Convert to Script Only, Reset Password, deactivate / reactivate / delete, change roles), token expiry and
//! settings. The providers never call these; tests and the demo do.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::ClientIp;
use super::state::{Admin, AdminStatus, PortalChange, check_password_rule, role_rank};
use crate::App;
use crate::control::{ControlError, ControlRoute, control_json};
use crate::util::random_password;

type Reply = Result<Response, ControlError>;
type Body = Result<Bytes, BytesRejection>;

/// The `/_sim/maas360/...` control routes, served and listed by `crate::control`.
pub(crate) const ROUTES: &[ControlRoute] = &[
    ControlRoute {
        method: "GET",
        path: "/_sim/maas360/admins",
        purpose: "every administrator (never a password, only whether one is set)",
        handler: |_| get(dump_admins),
    },
    ControlRoute {
        method: "DELETE",
        path: "/_sim/maas360/admins/{username}",
        purpose: "delete an administrator in the portal (the username becomes free)",
        handler: |_| axum::routing::delete(delete_admin),
    },
    ControlRoute {
        method: "POST",
        path: "/_sim/maas360/admins/{username}/set-password",
        purpose: "set the password from the emailed link: {\"password\"}",
        handler: |_| post(set_password),
    },
    ControlRoute {
        method: "POST",
        path: "/_sim/maas360/admins/{username}/convert-to-script-only",
        purpose: "the portal's Convert to Script Only",
        handler: |_| post(convert_to_script_only),
    },
    ControlRoute {
        method: "POST",
        path: "/_sim/maas360/admins/{username}/reset-password",
        purpose: "the portal's Reset Password; answers the generated password",
        handler: |_| post(reset_password),
    },
    ControlRoute {
        method: "POST",
        path: "/_sim/maas360/admins/{username}/deactivate",
        purpose: "deactivate an administrator in the portal",
        handler: |_| post(deactivate),
    },
    ControlRoute {
        method: "POST",
        path: "/_sim/maas360/admins/{username}/reactivate",
        purpose: "reactivate an administrator in the portal",
        handler: |_| post(reactivate),
    },
    ControlRoute {
        method: "PUT",
        path: "/_sim/maas360/admins/{username}/roles",
        purpose: "replace an administrator's roles out of band (drift): {\"roles\": [...]}",
        handler: |_| put(put_roles),
    },
    ControlRoute {
        method: "POST",
        path: "/_sim/maas360/expire-tokens",
        purpose: "expire every MaaS360 auth token; {\"refreshTokens\": true} also drops refresh tokens",
        handler: |_| post(expire_tokens),
    },
    ControlRoute {
        method: "GET",
        path: "/_sim/maas360/settings",
        purpose: "the MaaS360 behaviour switches",
        handler: |_| get(get_settings),
    },
    ControlRoute {
        method: "PUT",
        path: "/_sim/maas360/settings",
        purpose: "set them: {\"tokenTtlSeconds\"?, \"refreshTokenTtlSeconds\"?, \"rateLimitBudget\"?, \"rateLimitWindowSeconds\"?}",
        handler: |_| put(put_settings),
    },
];

/// An admin as the control surface shows it: never the password, only whether one is set.
fn admin_dump(billing_id: &str, a: &Admin) -> Value {
    json!({
        "billingId": billing_id, "username": a.username, "email": a.email,
        "firstName": a.first_name, "lastName": a.last_name, "roles": a.roles,
        "status": a.status.as_str(), "scriptOnly": a.script_only, "primary": a.primary,
        "passwordSet": a.password.is_some(), "createdAtMs": a.created_at_ms,
        "lastLoginMs": a.last_login_ms,
    })
}

async fn dump_admins(State(app): State<Arc<App>>) -> Json<Value> {
    let st = app.maas.lock();
    Json(Value::Array(st.all_admins().map(|(b, a)| admin_dump(b, a)).collect()))
}

/// Runs a portal action and answers with the admin as it is afterwards.
fn act(
    app: &App,
    username: &str,
    ip: &str,
    by_self: bool,
    action: impl FnOnce(&mut Admin) -> Result<PortalChange, (u16, String)>,
) -> Reply {
    let (admin, billing) = app
        .maas
        .lock()
        .portal_action(username, ip, by_self, |a| {
            let change = action(a)?;
            Ok((a.clone(), change))
        })
        .map_err(|(s, m)| ControlError::new(s, m))?;
    Ok(Json(admin_dump(&billing, &admin)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

/// What the admin does from the emailed link; the portal's password rule applies (400 names the rule).
async fn set_password(
    State(app): State<Arc<App>>,
    Path(username): Path<String>,
    ClientIp(ip): ClientIp,
    body: Body,
) -> Reply {
    let b: PasswordBody = control_json(body)?;
    check_password_rule(&b.password).map_err(|m| ControlError::new(400, m))?;
    act(&app, &username, &ip, true, |a| {
        a.password = Some(b.password);
        Ok(PortalChange::Change)
    })
}

async fn convert_to_script_only(
    State(app): State<Arc<App>>,
    Path(username): Path<String>,
    ClientIp(ip): ClientIp,
) -> Reply {
    act(&app, &username, &ip, false, |a| {
        a.script_only = true;
        Ok(PortalChange::Change)
    })
}

/// "Reset Password": a generated password, returned as the email would deliver it.
async fn reset_password(State(app): State<Arc<App>>, Path(username): Path<String>, ClientIp(ip): ClientIp) -> Reply {
    // As the email would deliver it; generated passwords always satisfy the portal rule.
    let password = random_password();
    let p = password.clone();
    act(&app, &username, &ip, false, |a| {
        a.password = Some(p);
        Ok(PortalChange::Change)
    })?;
    Ok(Json(json!({"username": username, "password": password})).into_response())
}

fn not_primary(a: &Admin, what: &str) -> Result<(), (u16, String)> {
    if a.primary { Err((409, format!("the primary administrator cannot be {what}"))) } else { Ok(()) }
}

async fn deactivate(State(app): State<Arc<App>>, Path(username): Path<String>, ClientIp(ip): ClientIp) -> Reply {
    act(&app, &username, &ip, false, |a| {
        not_primary(a, "deactivated")?;
        a.status = AdminStatus::Inactive;
        Ok(PortalChange::Change)
    })
}

async fn reactivate(State(app): State<Arc<App>>, Path(username): Path<String>, ClientIp(ip): ClientIp) -> Reply {
    act(&app, &username, &ip, false, |a| {
        if a.status != AdminStatus::Inactive {
            return Err((409, format!("'{}' is not deactivated", a.username)));
        }
        a.status = AdminStatus::Active;
        Ok(PortalChange::Change)
    })
}

/// Delete (not deactivate): the record stays for the audit trail with status Deleted and the username is free.
async fn delete_admin(State(app): State<Arc<App>>, Path(username): Path<String>, ClientIp(ip): ClientIp) -> Reply {
    app.maas
        .lock()
        .portal_action(&username, &ip, false, |a| {
            not_primary(a, "deleted")?;
            a.status = AdminStatus::Deleted;
            Ok(((), PortalChange::Delete))
        })
        .map_err(|(s, m)| ControlError::new(s, m))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesBody {
    roles: Vec<String>,
}

/// Replaces the admin's roles (known role names only; an empty list leaves the admin without API access).
async fn put_roles(
    State(app): State<Arc<App>>,
    Path(username): Path<String>,
    ClientIp(ip): ClientIp,
    body: Body,
) -> Reply {
    let b: RolesBody = control_json(body)?;
    if let Some(r) = b.roles.iter().find(|r| role_rank(r).is_none()) {
        return Err(ControlError::new(400, format!("unknown role '{r}'")));
    }
    let mut roles: Vec<String> = Vec::new();
    for r in b.roles {
        if !roles.contains(&r) {
            roles.push(r);
        }
    }
    act(&app, &username, &ip, false, |a| {
        a.roles = roles;
        Ok(PortalChange::Change)
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ExpireBody {
    #[serde(default)]
    refresh_tokens: bool,
}

/// Expires every auth token (they then answer "Token expired."); `{"refreshTokens": true}` also drops the
/// refresh tokens.
async fn expire_tokens(State(app): State<Arc<App>>, body: Body) -> Reply {
    let b: ExpireBody = control_json(body)?;
    let (n, m) = app.maas.lock().expire_tokens(b.refresh_tokens);
    Ok(Json(json!({"expired": n, "refreshTokensExpired": m})).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SettingsPatch {
    token_ttl_seconds: Option<u64>,
    refresh_token_ttl_seconds: Option<u64>,
    rate_limit_budget: Option<u64>,
    rate_limit_window_seconds: Option<u64>,
}

async fn get_settings(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!(app.maas.lock().settings))
}

/// `{"tokenTtlSeconds"?, "refreshTokenTtlSeconds"?, "rateLimitBudget"?, "rateLimitWindowSeconds"?}`; a
/// change to the rate limit starts fresh windows.
async fn put_settings(State(app): State<Arc<App>>, body: Body) -> Reply {
    let p: SettingsPatch = control_json(body)?;
    for (name, v) in [
        ("tokenTtlSeconds", p.token_ttl_seconds),
        ("refreshTokenTtlSeconds", p.refresh_token_ttl_seconds),
        ("rateLimitWindowSeconds", p.rate_limit_window_seconds),
    ] {
        if v == Some(0) {
            return Err(ControlError::new(400, format!("{name} must be at least 1")));
        }
    }
    let settings = {
        let mut st = app.maas.lock();
        let s = &mut st.settings;
        if let Some(v) = p.token_ttl_seconds {
            s.token_ttl_seconds = v;
        }
        if let Some(v) = p.refresh_token_ttl_seconds {
            s.refresh_token_ttl_seconds = v;
        }
        if let Some(v) = p.rate_limit_budget {
            s.rate_limit_budget = v;
        }
        if let Some(v) = p.rate_limit_window_seconds {
            s.rate_limit_window_seconds = v;
        }
        s.clone()
    };
    if p.rate_limit_budget.is_some() || p.rate_limit_window_seconds.is_some() {
        app.maas.windows().clear();
    }
    Ok(Json(json!(settings)).into_response())
}
