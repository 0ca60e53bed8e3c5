//! Wire types of the Jamf Pro API roles / API integrations endpoints (jamf-api.md §1.2–1.5).
//!
//! Ids reach callers as `String` whatever their JSON type: role ids are JSON strings, integration
//! ids JSON integers (parsed leniently, a numeric string is accepted too).

use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};

use crate::rest::lenient::{de_bool, de_numeric_id, de_opt_i64, de_string, de_string_id, de_string_list};

/// An API role (`ApiRole`). Jamf does not keep privilege order: compare as a set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Role {
    /// Role id (a JSON string on the wire).
    #[serde(deserialize_with = "de_string_id")]
    pub id: String,
    /// Display name, unique among roles.
    #[serde(rename = "displayName", default, deserialize_with = "de_string")]
    pub display_name: String,
    /// Privilege names, case-sensitive.
    #[serde(default, deserialize_with = "de_string_list")]
    pub privileges: Vec<String>,
}

/// Body of role create and update (`ApiRoleRequest`; PUT replaces the whole role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleRequest {
    /// Display name.
    #[serde(rename = "displayName")]
    pub display_name: String,
    /// Privilege names.
    pub privileges: Vec<String>,
}

/// What an API client's credentials currently are (`appType`, read-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppType {
    /// `CLIENT_CREDENTIALS`: a client secret has been generated.
    ClientCredentials,
    /// `NATIVE_APP_OAUTH`: linked to a native app (auth code grant).
    NativeAppOauth,
    /// `NONE`: no credentials (never generated, or revoked by disabling the client).
    None,
    /// A value this client does not know, kept verbatim.
    Other(String),
}

impl AppType {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            AppType::ClientCredentials => "CLIENT_CREDENTIALS",
            AppType::NativeAppOauth => "NATIVE_APP_OAUTH",
            AppType::None => "NONE",
            AppType::Other(s) => s,
        }
    }

    /// Parses a wire value; an empty value counts as `NONE`.
    pub fn from_wire(s: &str) -> Self {
        match s {
            "CLIENT_CREDENTIALS" => AppType::ClientCredentials,
            "NATIVE_APP_OAUTH" => AppType::NativeAppOauth,
            "NONE" | "" => AppType::None,
            other => AppType::Other(other.to_owned()),
        }
    }
}

impl<'de> Deserialize<'de> for AppType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de_string(d).map(|s| AppType::from_wire(&s))
    }
}

fn app_type_none() -> AppType {
    AppType::None
}

/// An API integration, called "API client" in the Jamf UI (`ApiIntegrationResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Integration {
    /// Integration id (a JSON integer on the wire), as a decimal string.
    #[serde(deserialize_with = "de_numeric_id")]
    pub id: String,
    /// Display name, unique among API clients.
    #[serde(rename = "displayName", default, deserialize_with = "de_string")]
    pub display_name: String,
    /// Display names of the API roles granted.
    #[serde(rename = "authorizationScopes", default, deserialize_with = "de_string_list")]
    pub authorization_scopes: Vec<String>,
    /// Whether the client may obtain tokens. Disabling revokes its secret.
    #[serde(default, deserialize_with = "de_bool")]
    pub enabled: bool,
    /// Access-token lifetime in seconds (server default 300).
    #[serde(rename = "accessTokenLifetimeSeconds", default, deserialize_with = "de_opt_i64")]
    pub access_token_lifetime_seconds: Option<i64>,
    /// What credentials exist.
    #[serde(rename = "appType", default = "app_type_none")]
    pub app_type: AppType,
    /// OAuth client id (a UUID), assigned at create and stable.
    #[serde(rename = "clientId", default, deserialize_with = "de_string")]
    pub client_id: String,
}

/// Body of integration create and update (`ApiIntegrationRequest`). All four fields are always
/// sent, `enabled: false` included: PUT semantics for omitted fields are undocumented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationRequest {
    /// Display name.
    #[serde(rename = "displayName")]
    pub display_name: String,
    /// Display names of API roles (at least one, or Jamf refuses it).
    #[serde(rename = "authorizationScopes")]
    pub authorization_scopes: Vec<String>,
    /// Whether the client may obtain tokens.
    pub enabled: bool,
    /// Access-token lifetime in seconds. `None` only on create, to let Jamf Pro pick its default
    /// (300); updates always send the full object.
    #[serde(rename = "accessTokenLifetimeSeconds", skip_serializing_if = "Option::is_none")]
    pub access_token_lifetime_seconds: Option<i64>,
}

/// A freshly generated client secret. Jamf shows it once and invalidates the previous one.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    /// OAuth client id (the integration's `clientId`).
    pub client_id: String,
    /// The secret; `Debug` prints `[REDACTED]`.
    pub client_secret: SecretString,
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn integration_ids_and_fields_are_lenient() {
        let i: Integration = serde_json::from_str(
            r#"{"authorizationScopes":["Amend Static Groups"],"displayName":"Static Group Amendment Client",
            "enabled":true,"accessTokenLifetimeSeconds":300,"id":1,"appType":"NONE","clientId":"b8b14453"}"#,
        )
        .unwrap();
        assert_eq!(i.id, "1");
        assert_eq!(i.app_type, AppType::None);
        assert_eq!(i.access_token_lifetime_seconds, Some(300));
        let j: Integration =
            serde_json::from_str(r#"{"id":"42","appType":"SOMETHING_NEW","enabled":"false"}"#).unwrap();
        assert_eq!((j.id.as_str(), j.enabled), ("42", false));
        assert_eq!(j.app_type.as_str(), "SOMETHING_NEW");
        assert!(serde_json::from_str::<Integration>(r#"{"id":"x1"}"#).is_err());
    }

    #[test]
    fn role_ids_are_strings_even_if_sent_as_numbers() {
        let r: Role = serde_json::from_str(r#"{"id":"3","displayName":"r","privileges":["Read API Roles"]}"#).unwrap();
        assert_eq!(r.id, "3");
        let r: Role = serde_json::from_str(r#"{"id":3,"displayName":"r","privileges":null}"#).unwrap();
        assert_eq!(r.id, "3");
        assert!(r.privileges.is_empty());
    }

    #[test]
    fn integration_request_never_drops_enabled_false() {
        let body = serde_json::to_string(&IntegrationRequest {
            display_name: "c".into(),
            authorization_scopes: vec!["r".into()],
            enabled: false,
            access_token_lifetime_seconds: Some(300),
        })
        .unwrap();
        assert_eq!(
            body,
            r#"{"displayName":"c","authorizationScopes":["r"],"enabled":false,"accessTokenLifetimeSeconds":300}"#
        );
    }

    #[test]
    fn a_create_without_lifetime_leaves_the_default_to_jamf() {
        let body = serde_json::to_string(&IntegrationRequest {
            display_name: "c".into(),
            authorization_scopes: vec!["r".into()],
            enabled: true,
            access_token_lifetime_seconds: None,
        })
        .unwrap();
        assert_eq!(body, r#"{"displayName":"c","authorizationScopes":["r"],"enabled":true}"#);
    }

    #[test]
    fn client_secret_is_not_debug_printed() {
        let c = ClientCredentials { client_id: "id".into(), client_secret: SecretString::from("dzmsPks-FwXp") };
        assert!(!format!("{c:?}").contains("dzmsPks"));
        assert_eq!(c.client_secret.expose_secret(), "dzmsPks-FwXp");
    }
}
