//! `/_sim/jamf/...`: state dumps and out-of-band edits (what an admin would do in the Jamf Pro UI), token
//! expiry and behaviour switches. The providers never call these; tests and the demo do.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::state::{IntegrationRequest, JamfError, JamfState, RoleRequest};
use crate::App;
use crate::control::{ControlError, ControlRoute, control_json};
use crate::util::{now_ms, present};

type Reply = Result<Response, ControlError>;
type Body = Result<Bytes, BytesRejection>;

/// The `/_sim/jamf/...` control routes, served and listed by `crate::control`.
pub(crate) const ROUTES: &[ControlRoute] = &[
    ControlRoute {
        method: "GET",
        path: "/_sim/jamf/roles",
        purpose: "every API role, with the ids of the clients using it",
        handler: |_| get(dump_roles),
    },
    ControlRoute {
        method: "PATCH",
        path: "/_sim/jamf/roles/{id}",
        purpose: "edit a role out of band (drift): {\"displayName\"?, \"privileges\"?}",
        handler: |_| patch(patch_role),
    },
    ControlRoute {
        method: "DELETE",
        path: "/_sim/jamf/roles/{id}",
        purpose: "delete a role out of band, even one in use (clients lose it)",
        handler: |_| axum::routing::delete(delete_role),
    },
    ControlRoute {
        method: "GET",
        path: "/_sim/jamf/integrations",
        purpose: "every API client, with its roles and active tokens",
        handler: |_| get(dump_integrations),
    },
    ControlRoute {
        method: "PATCH",
        path: "/_sim/jamf/integrations/{id}",
        purpose: "edit a client out of band (drift): {\"displayName\"?, \"enabled\"?, \"authorizationScopes\"?, \"accessTokenLifetimeSeconds\"?}",
        handler: |_| patch(patch_integration),
    },
    ControlRoute {
        method: "DELETE",
        path: "/_sim/jamf/integrations/{id}",
        purpose: "delete a client out of band",
        handler: |_| axum::routing::delete(delete_integration),
    },
    ControlRoute {
        method: "POST",
        path: "/_sim/jamf/integrations/{id}/rotate",
        purpose: "rotate a client's secret as in the UI (enabled clients only); answers the new secret",
        handler: |_| post(rotate),
    },
    ControlRoute {
        method: "POST",
        path: "/_sim/jamf/expire-tokens",
        purpose: "expire every Jamf access token",
        handler: |_| post(expire_tokens),
    },
    ControlRoute {
        method: "GET",
        path: "/_sim/jamf/settings",
        purpose: "the Jamf behaviour switches",
        handler: |_| get(get_settings),
    },
    ControlRoute {
        method: "PUT",
        path: "/_sim/jamf/settings",
        purpose: "set the switches: {\"roleInUseStatus\": 409|406, \"missingDisplayNameStatus\": 400|500, \"tokenTtlSeconds\": n|null}",
        handler: |_| put(put_settings),
    },
];

impl From<JamfError> for ControlError {
    fn from(e: JamfError) -> Self {
        ControlError::new(e.status, e.description)
    }
}

fn role_dump(st: &JamfState, id: u64) -> Value {
    let r = &st.roles[&id];
    let used_by: Vec<u64> = st.integrations.values().filter(|i| i.role_ids.contains(&id)).map(|i| i.id).collect();
    json!({
        "id": r.id.to_string(), "displayName": r.display_name, "privileges": r.privileges,
        "seeded": r.seeded, "usedByIntegrations": used_by,
    })
}

fn integration_dump(st: &JamfState, id: u64) -> Value {
    let i = &st.integrations[&id];
    let view = st.integration_view(i);
    let now = now_ms();
    let active_tokens = st
        .tokens
        .values()
        .filter(|t| t.expires_at_ms > now)
        .filter(
            |t| matches!(&t.principal, super::state::Principal::Client { integration_id, .. } if *integration_id == id),
        )
        .count();
    json!({
        "id": view.id, "displayName": view.display_name, "enabled": view.enabled,
        "accessTokenLifetimeSeconds": view.access_token_lifetime_seconds, "appType": view.app_type,
        "clientId": view.client_id, "authorizationScopes": view.authorization_scopes,
        "roleIds": i.role_ids.iter().map(u64::to_string).collect::<Vec<_>>(),
        "hasValidSecret": i.secret.is_some(),
        "secretIssuedAtMs": i.secret.as_ref().map(|s| s.issued_at_ms),
        "secretRoleIds": i.secret.as_ref().map(|s| s.role_ids.iter().map(u64::to_string).collect::<Vec<_>>()),
        "secretsIssued": i.secrets_issued,
        "activeTokens": active_tokens,
        "seeded": i.seeded,
    })
}

async fn dump_roles(State(app): State<Arc<App>>) -> Json<Value> {
    let st = app.jamf.lock();
    Json(Value::Array(st.roles.keys().map(|id| role_dump(&st, *id)).collect()))
}

async fn dump_integrations(State(app): State<Arc<App>>) -> Json<Value> {
    let st = app.jamf.lock();
    Json(Value::Array(st.integrations.keys().map(|id| integration_dump(&st, *id)).collect()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RolePatch {
    display_name: Option<String>,
    privileges: Option<Vec<String>>,
}

/// Same validation as the API (unique name, known privileges), without a token or privileges.
async fn patch_role(State(app): State<Arc<App>>, Path(id): Path<String>, body: Body) -> Reply {
    let p: RolePatch = control_json(body)?;
    let mut st = app.jamf.lock();
    let cur = st.find_role(&id)?.clone();
    let req = RoleRequest {
        display_name: Some(p.display_name.unwrap_or(cur.display_name)),
        privileges: Some(p.privileges.unwrap_or_else(|| cur.privileges.into_iter().collect())),
    };
    st.update_role(&id, req, &app.jamf.catalogue)?;
    Ok(Json(role_dump(&st, cur.id)).into_response())
}

/// Deletes even a role in use; integrations lose it from their scopes.
async fn delete_role(State(app): State<Arc<App>>, Path(id): Path<String>) -> Reply {
    app.jamf.lock().force_delete_role(&id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IntegrationPatch {
    display_name: Option<String>,
    enabled: Option<bool>,
    access_token_lifetime_seconds: Option<i64>,
    authorization_scopes: Option<Vec<String>>,
}

async fn patch_integration(State(app): State<Arc<App>>, Path(id): Path<String>, body: Body) -> Reply {
    let p: IntegrationPatch = control_json(body)?;
    let mut st = app.jamf.lock();
    let cur = st.find_integration(&id)?.clone();
    let view = st.integration_view(&cur);
    let req = IntegrationRequest {
        display_name: Some(p.display_name.unwrap_or(cur.display_name)),
        authorization_scopes: Some(p.authorization_scopes.unwrap_or(view.authorization_scopes)),
        enabled: Some(p.enabled.unwrap_or(cur.enabled)),
        access_token_lifetime_seconds: Some(
            p.access_token_lifetime_seconds.unwrap_or(cur.access_token_lifetime_seconds),
        ),
    };
    // A client whose roles were all deleted out of band has no scopes; the patch must then supply some.
    st.update_integration(&id, req)?;
    Ok(Json(integration_dump(&st, cur.id)).into_response())
}

async fn delete_integration(State(app): State<Arc<App>>, Path(id): Path<String>) -> Reply {
    app.jamf.lock().delete_integration(&id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// "Rotate client secret" in the UI: the same rules as the API (enabled clients only).
async fn rotate(State(app): State<Arc<App>>, Path(id): Path<String>) -> Reply {
    let (client_id, client_secret) = app.jamf.lock().mint_secret(&id)?;
    Ok(Json(json!({"clientId": client_id, "clientSecret": client_secret})).into_response())
}

async fn expire_tokens(State(app): State<Arc<App>>) -> Json<Value> {
    let n = app.jamf.lock().expire_tokens();
    Json(json!({"expired": n}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SettingsPatch {
    role_in_use_status: Option<u16>,
    missing_display_name_status: Option<u16>,
    #[serde(default, deserialize_with = "present")]
    token_ttl_seconds: Option<Option<u64>>,
}

async fn get_settings(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!(app.jamf.lock().settings))
}

/// `{"roleInUseStatus": 409|406, "missingDisplayNameStatus": 400|500, "tokenTtlSeconds": n|null}`.
async fn put_settings(State(app): State<Arc<App>>, body: Body) -> Reply {
    let p: SettingsPatch = control_json(body)?;
    if p.role_in_use_status.is_some_and(|s| s != 409 && s != 406) {
        return Err(ControlError::new(400, "roleInUseStatus must be 409 or 406"));
    }
    if p.missing_display_name_status.is_some_and(|s| s != 400 && s != 500) {
        return Err(ControlError::new(400, "missingDisplayNameStatus must be 400 or 500"));
    }
    if p.token_ttl_seconds.is_some_and(|t| t == Some(0)) {
        return Err(ControlError::new(400, "tokenTtlSeconds must be at least 1"));
    }
    let mut st = app.jamf.lock();
    if let Some(s) = p.role_in_use_status {
        st.settings.role_in_use_status = s;
    }
    if let Some(s) = p.missing_display_name_status {
        st.settings.missing_display_name_status = s;
    }
    if let Some(t) = p.token_ttl_seconds {
        st.settings.token_ttl_seconds = t;
    }
    Ok(Json(json!(st.settings)).into_response())
}
