//! `moved` blocks from the deploymenttheory/jamfpro provider (SDKv2, schema version 0): its
//! `jamfpro_api_role` becomes a `jamf_api_role` and its `jamfpro_api_integration` a
//! `jamf_api_client`, the same Jamf Pro objects, with no API call. Terraform refreshes the moved
//! object (`read`) in the same plan, so whatever the stored state got wrong is corrected there.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::framework::{Attr, Diagnostic, MoveSource};

use super::api_client::{ApiClientModel, DEFAULT_LIFETIME};
use super::api_role::ApiRoleModel;

/// The incumbent provider's address.
pub const INCUMBENT: &str = "registry.terraform.io/deploymenttheory/jamfpro";
/// Its API role resource type.
pub const INCUMBENT_ROLE: &str = "jamfpro_api_role";
/// Its API client resource type ("API integration").
pub const INCUMBENT_CLIENT: &str = "jamfpro_api_integration";
/// The one schema version of the incumbent's two types that can be moved.
pub const INCUMBENT_VERSION: i64 = 0;

/// Why a move is refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MoveError {
    /// Another provider or resource type than the one this target takes over.
    #[error("{target} cannot take over {source_type} of {provider}")]
    OtherSource {
        /// Our resource type.
        target: &'static str,
        /// The moved block's source type.
        source_type: String,
        /// The moved block's source provider.
        provider: String,
    },
    /// The right type, written by a schema version we do not know.
    #[error("{source_type} schema version {version} is not supported")]
    Version {
        /// The source type.
        source_type: &'static str,
        /// The version the state was written with.
        version: i64,
    },
    /// The state is not what the incumbent writes for that type.
    #[error("the stored {source_type} state cannot be read: {reason}")]
    Unreadable {
        /// The source type.
        source_type: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// Which incumbent type each of our resources takes over.
const PAIRS: &str = "jamfpro_api_role to jamf_api_role, and jamfpro_api_integration to jamf_api_client";

impl MoveError {
    /// The diagnostic: what is supported, and what to do instead.
    pub fn diagnostic(&self) -> Diagnostic {
        match self {
            MoveError::OtherSource { target, source_type, provider } => {
                let hint = match (source_type.as_str(), *target) {
                    (INCUMBENT_CLIENT, "jamf_api_role") => {
                        " An API integration is an API client: move it to a jamf_api_client.".to_string()
                    }
                    (INCUMBENT_ROLE, "jamf_api_client") => " An API role moves to a jamf_api_role.".to_string(),
                    _ => String::new(),
                };
                Diagnostic::error(
                    "Unsupported move source",
                    format!(
                        "{target} can take over only the state of {} of the {INCUMBENT} provider (schema version \
                         {INCUMBENT_VERSION}); this moved block's source is {source_type} of {provider}.{hint} The \
                         supported moves are {PAIRS}. For any other object, remove the moved block and import the \
                         object instead (an import block with its id).",
                        incumbent_type_of(target),
                    ),
                )
            }
            MoveError::Version { source_type, version } => Diagnostic::error(
                "Unsupported source schema version",
                format!(
                    "The state of this {source_type} was written with schema version {version} of the {INCUMBENT} \
                     provider; only version {INCUMBENT_VERSION} can be moved. Remove the moved block and import the \
                     object instead (an import block with its id), or report the new version so that moves from it \
                     can be supported."
                ),
            ),
            MoveError::Unreadable { source_type, reason } => Diagnostic::error(
                "Unreadable source state",
                format!(
                    "The stored state of this {source_type} is not what the {INCUMBENT} provider (schema version \
                     {INCUMBENT_VERSION}) writes: {reason}. Run terraform plan with the moved block removed to \
                     refresh it with that provider, or remove it from the state (terraform state rm) and import \
                     the object instead."
                ),
            ),
        }
    }
}

fn incumbent_type_of(target: &str) -> &'static str {
    if target == "jamf_api_client" { INCUMBENT_CLIENT } else { INCUMBENT_ROLE }
}

/// The attributes of `source` when it is `source_type` of the incumbent, schema version 0.
fn incumbent_state(
    source: &MoveSource,
    target: &'static str,
    source_type: &'static str,
) -> Result<Map<String, Value>, MoveError> {
    if !source.is(INCUMBENT, source_type) {
        return Err(MoveError::OtherSource {
            target,
            source_type: source.type_name.clone(),
            provider: source.provider_address.clone(),
        });
    }
    if source.schema_version != INCUMBENT_VERSION {
        return Err(MoveError::Version { source_type, version: source.schema_version });
    }
    source.state().map_err(|reason| MoveError::Unreadable { source_type, reason })
}

/// Reads the attributes of one stored state, naming the attribute that is wrong.
struct Fields<'a> {
    attrs: &'a Map<String, Value>,
    source_type: &'static str,
}

impl Fields<'_> {
    fn bad(&self, name: &str, expected: &str) -> MoveError {
        let got = &self.attrs[name];
        MoveError::Unreadable { source_type: self.source_type, reason: format!("`{name}` is {got}, not {expected}") }
    }

    /// The object's id: SDKv2 keeps it as a string; a number is taken as its digits.
    fn id(&self) -> Result<String, MoveError> {
        let id = match self.attrs.get("id") {
            Some(Value::String(s)) => s.trim().to_string(),
            Some(Value::Number(n)) => n.to_string(),
            None | Some(Value::Null) => String::new(),
            Some(_) => return Err(self.bad("id", "a string")),
        };
        if id.is_empty() {
            return Err(MoveError::Unreadable {
                source_type: self.source_type,
                reason: "it has no `id`, so there is no Jamf Pro object to take over".into(),
            });
        }
        Ok(id)
    }

    fn string(&self, name: &str) -> Result<Attr<String>, MoveError> {
        match self.attrs.get(name) {
            None | Some(Value::Null) => Ok(Attr::Null),
            Some(Value::String(s)) => Ok(Attr::Known(s.clone())),
            Some(_) => Err(self.bad(name, "a string")),
        }
    }

    fn bool(&self, name: &str) -> Result<Attr<bool>, MoveError> {
        match self.attrs.get(name) {
            None | Some(Value::Null) => Ok(Attr::Null),
            Some(Value::Bool(b)) => Ok(Attr::Known(*b)),
            // The flat-map era kept booleans as strings.
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(Attr::Known(s == "true")),
            Some(_) => Err(self.bad(name, "a boolean")),
        }
    }

    /// A whole number, which SDKv2 stores as a JSON number (or, in old states, its digits as a
    /// string); `None` when null or absent.
    fn integer(&self, name: &str) -> Result<Option<i64>, MoveError> {
        match self.attrs.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e15).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| self.bad(name, "a whole number")),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| self.bad(name, "a whole number")),
            Some(_) => Err(self.bad(name, "a whole number")),
        }
    }

    fn string_set(&self, name: &str) -> Result<Attr<BTreeSet<String>>, MoveError> {
        match self.attrs.get(name) {
            None | Some(Value::Null) => Ok(Attr::Null),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string).ok_or_else(|| self.bad(name, "a set of strings")))
                .collect::<Result<BTreeSet<_>, _>>()
                .map(Attr::Known),
            Some(_) => Err(self.bad(name, "a set of strings")),
        }
    }
}

/// A `jamf_api_role` from the state of a `jamfpro_api_role` (`timeouts` has no equivalent and
/// is dropped).
pub fn role_from_incumbent(source: &MoveSource) -> Result<ApiRoleModel, MoveError> {
    let attrs = incumbent_state(source, "jamf_api_role", INCUMBENT_ROLE)?;
    let f = Fields { attrs: &attrs, source_type: INCUMBENT_ROLE };
    Ok(ApiRoleModel {
        id: Attr::Known(f.id()?),
        display_name: f.string("display_name")?,
        privileges: f.string_set("privileges")?,
    })
}

/// A `jamf_api_client` from the state of a `jamfpro_api_integration`. Its `app_type` is Jamf's
/// own bookkeeping (our client does not keep it) and `timeouts` has no equivalent: both dropped.
/// The incumbent stores an unset token lifetime as 0 or null: that is Jamf Pro's default, 300.
pub fn client_from_incumbent(source: &MoveSource) -> Result<ApiClientModel, MoveError> {
    let attrs = incumbent_state(source, "jamf_api_client", INCUMBENT_CLIENT)?;
    let f = Fields { attrs: &attrs, source_type: INCUMBENT_CLIENT };
    let lifetime = match f.integer("access_token_lifetime_seconds")? {
        None | Some(0) => DEFAULT_LIFETIME,
        Some(n) if n > 0 => n,
        Some(_) => return Err(f.bad("access_token_lifetime_seconds", "a positive number of seconds")),
    };
    Ok(ApiClientModel {
        id: Attr::Known(f.id()?),
        client_id: f.string("client_id")?,
        display_name: f.string("display_name")?,
        authorization_scopes: f.string_set("authorization_scopes")?,
        // Required by the incumbent; a state without it is refreshed like any other.
        enabled: f.bool("enabled")?,
        access_token_lifetime_seconds: Attr::Known(lifetime),
    })
}

/// Why no `jamf_client_secret` can be made from another provider's state.
pub fn secret_refused(source: &MoveSource) -> Diagnostic {
    let instead = if source.is(INCUMBENT, INCUMBENT_CLIENT) {
        format!(
            " This source, {INCUMBENT_CLIENT}, is the API client itself: move it to a jamf_api_client (moved {{ from \
             = {INCUMBENT_CLIENT}.x  to = jamf_api_client.x }}) instead."
        )
    } else {
        String::new()
    };
    Diagnostic::error(
        "Unsupported move source",
        format!(
            "jamf_client_secret cannot take over the state of {} of {}: a client secret has no equivalent there (the \
             {INCUMBENT} provider has no secret resource), and Jamf Pro never shows an existing secret again.{instead} \
             Remove this moved block and add a jamf_client_secret for the client: it generates a new secret, which \
             invalidates the client's previous one, so hand the new secret to the vendor that uses the client.",
            source.type_name, source.provider_address
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(provider: &str, ty: &str, version: i64, json: &str) -> MoveSource {
        MoveSource {
            provider_address: provider.into(),
            type_name: ty.into(),
            schema_version: version,
            state_json: json.as_bytes().to_vec(),
            private: Vec::new(),
        }
    }

    const ROLE: &str =
        r#"{"display_name":"Vendor","id":"7","privileges":["Read Computers","Read Mobile Devices"],"timeouts":null}"#;

    #[test]
    fn a_role_state_as_sdkv2_writes_it_becomes_our_role() {
        let m = role_from_incumbent(&source(INCUMBENT, INCUMBENT_ROLE, 0, ROLE)).unwrap();
        assert_eq!(m.id, Attr::Known("7".into()));
        assert_eq!(m.display_name, Attr::Known("Vendor".into()));
        assert_eq!(
            m.privileges,
            Attr::Known(BTreeSet::from(["Read Computers".to_string(), "Read Mobile Devices".to_string()]))
        );
        // The short address Terraform shows is the same provider.
        assert!(role_from_incumbent(&source("deploymenttheory/jamfpro", INCUMBENT_ROLE, 0, ROLE)).is_ok());
    }

    #[test]
    fn a_client_state_maps_every_attribute_and_an_unset_lifetime_is_the_default() {
        let json = |lifetime: &str| {
            format!(
                r#"{{"access_token_lifetime_seconds":{lifetime},"app_type":"CLIENT_CREDENTIALS","authorization_scopes":["Vendor"],"client_id":"c2181c3a","display_name":"Vendor","enabled":false,"id":"12","timeouts":{{"create":"70s"}}}}"#
            )
        };
        let m = client_from_incumbent(&source(INCUMBENT, INCUMBENT_CLIENT, 0, &json("86400"))).unwrap();
        assert_eq!(m.id, Attr::Known("12".into()));
        assert_eq!(m.client_id, Attr::Known("c2181c3a".into()));
        assert_eq!(m.display_name, Attr::Known("Vendor".into()));
        assert_eq!(m.authorization_scopes, Attr::Known(BTreeSet::from(["Vendor".to_string()])));
        assert_eq!(m.enabled, Attr::Known(false));
        assert_eq!(m.access_token_lifetime_seconds, Attr::Known(86400));
        for unset in ["0", "null", "0.0"] {
            let m = client_from_incumbent(&source(INCUMBENT, INCUMBENT_CLIENT, 0, &json(unset))).unwrap();
            assert_eq!(m.access_token_lifetime_seconds, Attr::Known(DEFAULT_LIFETIME), "{unset}");
        }
        let m = client_from_incumbent(&source(INCUMBENT, INCUMBENT_CLIENT, 0, &json("\"600\""))).unwrap();
        assert_eq!(m.access_token_lifetime_seconds, Attr::Known(600));
        for bad in ["-5", "1.5", "\"soon\"", "true"] {
            let e = client_from_incumbent(&source(INCUMBENT, INCUMBENT_CLIENT, 0, &json(bad))).unwrap_err();
            assert!(e.diagnostic().detail.contains("`access_token_lifetime_seconds` is"), "{bad}: {e:?}");
        }
    }

    #[test]
    fn anything_else_is_refused_saying_what_is_supported() {
        let wrong_type = role_from_incumbent(&source(INCUMBENT, INCUMBENT_CLIENT, 0, ROLE)).unwrap_err();
        let d = wrong_type.diagnostic();
        assert_eq!(d.summary, "Unsupported move source");
        assert!(d.detail.contains("only the state of jamfpro_api_role of the registry.terraform.io/deploymenttheory/jamfpro provider (schema version 0)"), "{}", d.detail);
        assert!(d.detail.contains("move it to a jamf_api_client"), "{}", d.detail);
        assert!(d.detail.contains(PAIRS), "{}", d.detail);

        let other = client_from_incumbent(&source("registry.terraform.io/example/jamf", INCUMBENT_CLIENT, 0, ROLE));
        assert!(
            matches!(other, Err(MoveError::OtherSource { ref provider, .. }) if provider.ends_with("example/jamf"))
        );

        let v1 = role_from_incumbent(&source(INCUMBENT, INCUMBENT_ROLE, 1, ROLE)).unwrap_err();
        assert_eq!(v1, MoveError::Version { source_type: INCUMBENT_ROLE, version: 1 });
        assert!(v1.diagnostic().detail.contains("only version 0 can be moved"));

        for (json, says) in [
            ("{not json", "not valid JSON"),
            ("[1]", "not a JSON object but an array"),
            (r#"{"display_name":"x","privileges":[]}"#, "it has no `id`"),
            (r#"{"id":"","display_name":"x"}"#, "it has no `id`"),
            (r#"{"id":"3","display_name":5}"#, "`display_name` is 5, not a string"),
            (r#"{"id":"3","privileges":"Read Computers"}"#, "`privileges` is \"Read Computers\", not a set of strings"),
            ("", "holds no JSON"),
        ] {
            let e = role_from_incumbent(&source(INCUMBENT, INCUMBENT_ROLE, 0, json)).unwrap_err();
            let d = e.diagnostic();
            assert_eq!(d.summary, "Unreadable source state", "{json}");
            assert!(d.detail.contains(says), "{json}: {}", d.detail);
        }
    }

    #[test]
    fn a_secret_is_never_made_from_another_state() {
        let d = secret_refused(&source(INCUMBENT, INCUMBENT_CLIENT, 0, "{}"));
        assert!(d.detail.contains("has no secret resource"), "{}", d.detail);
        assert!(d.detail.contains("move it to a jamf_api_client"), "{}", d.detail);
        assert!(d.detail.contains("invalidates the client's previous one"), "{}", d.detail);
        let d = secret_refused(&source("registry.terraform.io/hashicorp/random", "random_password", 0, "{}"));
        assert!(!d.detail.contains("move it to a jamf_api_client"), "{}", d.detail);
    }
}
