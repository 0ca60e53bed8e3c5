//! Errors of the Jamf Pro client.
//!
//! Every variant that comes from an HTTP answer names the call (operation, method and path) and
//! carries the decoded `ApiError` body, so the Terraform layer can turn it into a diagnostic that
//! says what to do. Messages are lowercase, start with the context, and never contain a secret.

use std::fmt;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::rest::lenient;
use crate::rest::redact::redact_body;
use crate::rest::retry::TransportKind;

/// What a valid base URL looks like, appended to every URL error.
pub const VALID_URL_HINT: &str = "expected an absolute http(s) url such as https://yourtenant.jamfcloud.com, \
     https://jamf.example.com:8443 or https://jamf.example.com/jamf (no query or fragment)";

/// The operation a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// `POST /api/v1/oauth/token` or `/api/v1/auth/token`.
    Token,
    /// `GET /api/v1/api-roles`.
    ListRoles,
    /// `GET /api/v1/api-roles/{id}`.
    GetRole,
    /// `POST /api/v1/api-roles`.
    CreateRole,
    /// `PUT /api/v1/api-roles/{id}`.
    UpdateRole,
    /// `DELETE /api/v1/api-roles/{id}`.
    DeleteRole,
    /// `GET /api/v1/api-role-privileges`.
    ListPrivileges,
    /// `GET /api/v1/api-role-privileges/search`.
    SearchPrivileges,
    /// `GET /api/v1/api-integrations`.
    ListIntegrations,
    /// `GET /api/v1/api-integrations/{id}`.
    GetIntegration,
    /// `POST /api/v1/api-integrations`.
    CreateIntegration,
    /// `PUT /api/v1/api-integrations/{id}`.
    UpdateIntegration,
    /// `DELETE /api/v1/api-integrations/{id}`.
    DeleteIntegration,
    /// `POST /api/v1/api-integrations/{id}/client-credentials`.
    MintClientCredentials,
}

impl Op {
    /// A short lowercase description, e.g. "create api role".
    pub fn describe(self) -> &'static str {
        match self {
            Op::Token => "request an access token",
            Op::ListRoles => "list api roles",
            Op::GetRole => "read api role",
            Op::CreateRole => "create api role",
            Op::UpdateRole => "update api role",
            Op::DeleteRole => "delete api role",
            Op::ListPrivileges => "list api role privileges",
            Op::SearchPrivileges => "search api role privileges",
            Op::ListIntegrations => "list api clients",
            Op::GetIntegration => "read api client",
            Op::CreateIntegration => "create api client",
            Op::UpdateIntegration => "update api client",
            Op::DeleteIntegration => "delete api client",
            Op::MintClientCredentials => "generate client secret",
        }
    }
}

/// One API call and what came of it, for messages: `create api role (POST /api/v1/api-roles)`.
///
/// Built before the request is sent ([`Call::new`]); the answer's status and the number of
/// attempts are filled in when an error is made of it, so every error of a call carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The operation.
    pub op: Op,
    /// HTTP method.
    pub method: Method,
    /// URL path (no query).
    pub path: String,
    /// How many times the request went on the wire: 0 when it was never sent (the provider was
    /// stopping, or a request moments before found no server).
    pub attempts: u32,
    /// The HTTP status of the answer, when one came.
    pub status: Option<u16>,
}

impl Call {
    /// A call about to be made: no attempt yet, no answer.
    pub fn new(op: Op, method: Method, path: impl Into<String>) -> Call {
        Call { op, method, path: path.into(), attempts: 0, status: None }
    }

    /// This call after `attempts` attempts that got no answer.
    pub fn unanswered(&self, attempts: u32) -> Call {
        Call { attempts, status: None, ..self.clone() }
    }

    /// This call answered with `status` after `attempts` attempts.
    pub fn answered(&self, status: u16, attempts: u32) -> Call {
        Call { attempts, status: Some(status), ..self.clone() }
    }

    /// Whether the call creates an object (a POST the REST layer never resends after a timeout).
    pub fn is_create(&self) -> bool {
        matches!(self.op, Op::CreateRole | Op::CreateIntegration)
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} {})", self.op.describe(), self.method, self.path)
    }
}

/// Jamf's error body: `{httpStatus, errors: [{code, field, description, id}]}`. Every field is
/// optional because live servers send `null`s the schema does not allow, and some answers
/// (proxies, the token endpoint) are not this shape at all; then `raw` holds a redacted excerpt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiError {
    /// `httpStatus`.
    pub http_status: Option<u16>,
    /// `errors[]`.
    pub errors: Vec<ApiErrorCause>,
    /// A short, redacted excerpt of a body that carried no `errors`.
    pub raw: Option<String>,
}

/// One entry of `ApiError.errors`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiErrorCause {
    /// e.g. `INVALID_PRIVILEGE`, `HAS_DEPENDENCIES`; often null.
    pub code: Option<String>,
    /// The offending field; usually null.
    pub field: Option<String>,
    /// Human text, e.g. "role display name must be unique".
    pub description: Option<String>,
    /// Usually `"0"`.
    pub id: Option<String>,
}

const RAW_EXCERPT_CHARS: usize = 300;

impl ApiError {
    /// Decodes a body leniently; never fails.
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Self {
        let mut out = ApiError::default();
        if let Ok(v) = serde_json::from_slice::<Value>(body) {
            out.http_status = v.get("httpStatus").and_then(lenient::i64).and_then(|s| u16::try_from(s).ok());
            out.errors = lenient::one_or_many(v.get("errors"))
                .into_iter()
                .map(|c| ApiErrorCause {
                    code: c.get("code").and_then(lenient::non_empty_string),
                    field: c.get("field").and_then(lenient::non_empty_string),
                    description: c.get("description").and_then(lenient::non_empty_string),
                    id: c.get("id").and_then(lenient::non_empty_string),
                })
                .collect();
        }
        if out.errors.is_empty() && !body.is_empty() {
            let text = redact_body(content_type, body);
            let excerpt: String = text.chars().take(RAW_EXCERPT_CHARS).collect();
            out.raw = Some(excerpt.trim().to_owned()).filter(|s| !s.is_empty());
        }
        out
    }

    /// Whether any cause has this code (exact).
    pub fn has_code(&self, code: &str) -> bool {
        self.errors.iter().any(|c| c.code.as_deref() == Some(code))
    }

    /// The first description that contains `needle` (ASCII case-insensitive).
    pub fn description_containing(&self, needle: &str) -> Option<&str> {
        let needle = needle.to_ascii_lowercase();
        self.errors.iter().filter_map(|c| c.description.as_deref()).find(|d| d.to_ascii_lowercase().contains(&needle))
    }

    /// The first code, if any.
    pub fn first_code(&self) -> Option<&str> {
        self.errors.iter().find_map(|c| c.code.as_deref())
    }

    /// The first description, if any.
    pub fn first_description(&self) -> Option<&str> {
        self.errors.iter().find_map(|c| c.description.as_deref())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.errors.is_empty() {
            return match &self.raw {
                Some(raw) => write!(f, "{raw}"),
                None => write!(f, "no error details in the response"),
            };
        }
        for (i, c) in self.errors.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            match (&c.code, &c.description) {
                (Some(code), Some(d)) => write!(f, "{code}: {d}")?,
                (Some(code), None) => write!(f, "{code}")?,
                (None, Some(d)) => write!(f, "{d}")?,
                (None, None) => write!(f, "unspecified error")?,
            }
            if let Some(field) = &c.field {
                write!(f, " (field {field})")?;
            }
        }
        Ok(())
    }
}

/// What went wrong, with what the answer said. The call it happened in (status, attempts) is
/// beside it in [`JamfError`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JamfErrorKind {
    /// The configured base URL is not usable.
    InvalidUrl {
        /// The input, unless it might contain credentials.
        shown: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// A configuration value other than the URL is unusable (the message names the field).
    InvalidConfig(String),
    /// The provider's own credentials were rejected (token endpoint 4xx, or a 401 that a fresh
    /// token did not cure). Never retried.
    Auth {
        /// RFC 6749 `error` (or the `ApiError` code for username/password auth).
        error: Option<String>,
        /// RFC 6749 `error_description` (or the `ApiError` description).
        description: Option<String>,
    },
    /// HTTP 404: the object does not exist (after the 404-after-create window, if it applied).
    NotFound {
        /// Decoded body.
        api: Box<ApiError>,
    },
    /// HTTP 400 "... must be unique": another object already has this display name.
    NameConflict {
        /// Decoded body.
        api: Box<ApiError>,
    },
    /// The display name already belongs to an object that this client did not create: it existed
    /// before the create (then nothing was sent), or it is not what was asked for. Such an object
    /// is never adopted: Terraform would own, delete or rotate what someone else made.
    NameTaken {
        /// The display name asked for.
        name: String,
        /// The id of the object that has it.
        id: String,
        /// Whether a create request went out before the name was found taken.
        sent: bool,
    },
    /// HTTP 400 "privilege(s) are not valid [...]".
    InvalidPrivileges {
        /// The names parsed from the bracketed list (best effort, split on commas).
        privileges: Vec<String>,
        /// The bracketed list exactly as the server wrote it.
        raw: String,
        /// Decoded body.
        api: Box<ApiError>,
    },
    /// HTTP 409, or 406 `HAS_DEPENDENCIES`, on role delete: an API client still uses the role.
    InUse {
        /// Decoded body.
        api: Box<ApiError>,
    },
    /// HTTP 400 "API Integration is disabled...": a secret was requested for a disabled client.
    ClientDisabled {
        /// Decoded body.
        api: Box<ApiError>,
    },
    /// HTTP 403 (e.g. `INVALID_PRIVILEGE`): the provider's own credentials lack a privilege for
    /// this call.
    Forbidden {
        /// Decoded body.
        api: Box<ApiError>,
    },
    /// Any other 4xx answer.
    Rejected {
        /// Decoded body.
        api: Box<ApiError>,
    },
    /// HTTP 429 after retries were exhausted.
    RateLimited {
        /// The last `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// HTTP 5xx after retries were exhausted.
    Server {
        /// Decoded body.
        api: Box<ApiError>,
    },
    /// No HTTP answer (connect failure, timeout, reset) after retries were exhausted, or none
    /// sent because a request moments before found no server.
    Transport {
        /// Failure class.
        failure: TransportKind,
        /// What went wrong.
        message: String,
    },
    /// The provider is stopping; the request was not (re)sent.
    Cancelled,
    /// A success answer that could not be decoded (or a request body that could not be encoded).
    Decode {
        /// What is wrong (never the body itself).
        message: String,
    },
}

/// An error of the Jamf Pro client: what went wrong ([`JamfError::kind`]) in which call
/// ([`JamfError::call`], absent for configuration errors found before any call). See the module
/// docs.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.message())]
pub struct JamfError {
    /// Boxed: errors travel in every `Result` of the client and should stay small.
    call: Option<Box<Call>>,
    kind: JamfErrorKind,
}

fn auth_detail(error: Option<&str>, description: Option<&str>) -> String {
    match (error, description) {
        (Some(e), Some(d)) => format!(": {e}: {d}"),
        (Some(x), None) | (None, Some(x)) => format!(": {x}"),
        (None, None) => String::new(),
    }
}

impl JamfError {
    /// An error of `call` (which carries the status and the attempts made).
    pub fn new(call: Call, kind: JamfErrorKind) -> JamfError {
        JamfError { call: Some(Box::new(call)), kind }
    }

    /// The configured base URL is not usable.
    pub fn invalid_url(shown: Option<String>, reason: impl Into<String>) -> JamfError {
        JamfError { call: None, kind: JamfErrorKind::InvalidUrl { shown, reason: reason.into() } }
    }

    /// A configuration value other than the URL is unusable; `what` names the field.
    pub fn invalid_config(what: impl Into<String>) -> JamfError {
        JamfError { call: None, kind: JamfErrorKind::InvalidConfig(what.into()) }
    }

    /// What went wrong.
    pub fn kind(&self) -> &JamfErrorKind {
        &self.kind
    }

    /// The call that failed, if the error came from one.
    pub fn call(&self) -> Option<&Call> {
        self.call.as_deref()
    }

    /// The HTTP status of the answer behind this error, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.call().and_then(|c| c.status)
    }

    /// How many times the request went on the wire, for errors of a call.
    pub fn attempts(&self) -> Option<u32> {
        self.call().map(|c| c.attempts)
    }

    /// The decoded `ApiError` body, if the server sent one.
    pub fn api_error(&self) -> Option<&ApiError> {
        use JamfErrorKind as K;
        match &self.kind {
            K::NotFound { api }
            | K::NameConflict { api }
            | K::InvalidPrivileges { api, .. }
            | K::InUse { api }
            | K::ClientDisabled { api }
            | K::Forbidden { api }
            | K::Rejected { api }
            | K::Server { api } => Some(api),
            _ => None,
        }
    }

    /// HTTP 404 on the object addressed.
    pub fn is_not_found(&self) -> bool {
        matches!(self.kind, JamfErrorKind::NotFound { .. })
    }

    /// The provider's credentials were rejected.
    pub fn is_auth(&self) -> bool {
        matches!(self.kind, JamfErrorKind::Auth { .. })
    }

    /// The token endpoint refused the client ID and secret (RFC 6749 `invalid_client`): a secret
    /// that was rotated or revoked, or a client that no longer exists.
    pub fn is_invalid_client(&self) -> bool {
        matches!(&self.kind, JamfErrorKind::Auth { error: Some(e), .. } if e == "invalid_client")
    }

    /// The provider is stopping.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.kind, JamfErrorKind::Cancelled)
    }

    /// The message: lowercase, context first, never a secret.
    fn message(&self) -> String {
        use JamfErrorKind as K;
        // Every kind but the two configuration errors is built with its call (`new`).
        let call = self.call().map(ToString::to_string).unwrap_or_default();
        let status = self.status().unwrap_or_default();
        let attempts = self.attempts().unwrap_or_default();
        match &self.kind {
            K::InvalidUrl { shown, reason } => format!(
                "invalid jamf pro url{}: {reason}; {VALID_URL_HINT}",
                shown.as_ref().map(|s| format!(" \"{s}\"")).unwrap_or_default()
            ),
            K::InvalidConfig(what) => format!("invalid jamf pro client configuration: {what}"),
            K::Auth { error, description } => format!(
                "jamf pro rejected the provider's credentials: {call} answered http {status}{}",
                auth_detail(error.as_deref(), description.as_deref())
            ),
            K::NotFound { .. } => format!("{call}: not found (http 404)"),
            K::NameConflict { api } => format!("{call}: the display name is already in use (http 400): {api}"),
            K::NameTaken { name, id, sent } => {
                let what = match self.call().map(|c| c.op) {
                    Some(Op::CreateIntegration) => "api client",
                    _ => "api role",
                };
                let sent =
                    if *sent { "it is not the one this create made, so it is not adopted" } else { "nothing was sent" };
                format!("{call}: {what} \"{name}\" already exists (id {id}); {sent}")
            }
            K::InvalidPrivileges { raw, .. } => {
                format!("{call}: jamf pro does not accept these privileges: [{raw}] (http 400)")
            }
            K::InUse { api } => {
                format!("{call}: the api role is still assigned to an api client (http {status}): {api}")
            }
            K::ClientDisabled { .. } => {
                format!("{call}: the api client is disabled; enable it before generating a client secret (http 400)")
            }
            K::Forbidden { api } => format!(
                "{call}: the provider's jamf pro credentials lack the privilege for this call (http 403): {api}"
            ),
            K::Rejected { api } => format!("{call}: jamf pro refused the request (http {status}): {api}"),
            K::RateLimited { .. } => format!("{call}: rate limited by jamf pro (http 429) after {attempts} attempt(s)"),
            K::Server { api } => {
                format!("{call}: jamf pro server error (http {status}) after {attempts} attempt(s): {api}")
            }
            K::Transport { message, .. } => format!("{call}: {message} (after {attempts} attempt(s))"),
            K::Cancelled => format!("{call}: cancelled because the provider is stopping"),
            K::Decode { message } => format!("{call}: could not decode the response (http {status}): {message}"),
        }
    }
}

/// Parses the bracketed list out of "privilege(s) are not valid [A, B]". Returns the raw text
/// between the outermost brackets and the names split on commas.
pub(crate) fn parse_invalid_privileges(description: &str) -> (String, Vec<String>) {
    match (description.find('['), description.rfind(']')) {
        (Some(open), Some(close)) if close > open => {
            let raw = description[open + 1..close].to_owned();
            let names = raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
            (raw, names)
        }
        _ => (description.to_owned(), Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_tolerates_nulls_and_non_json() {
        let e = ApiError::parse(
            Some("application/json"),
            br#"{"httpStatus":400,"errors":[{"code":null,"description":"role display name must be unique","id":"0","field":null}]}"#,
        );
        assert_eq!(e.http_status, Some(400));
        assert_eq!(e.errors.len(), 1);
        assert_eq!(e.errors[0].code, None);
        assert_eq!(e.errors[0].id.as_deref(), Some("0"));
        assert_eq!(e.to_string(), "role display name must be unique");
        assert!(e.description_containing("MUST BE UNIQUE").is_some());

        let e = ApiError::parse(Some("text/html"), b"<html>Bad Gateway</html>");
        assert!(e.errors.is_empty());
        assert_eq!(e.to_string(), "<html>Bad Gateway</html>");

        let e = ApiError::parse(None, br#"{"httpStatus":"401","errors":[]}"#);
        assert_eq!(e.http_status, Some(401));
        assert_eq!(ApiError::parse(None, b"").to_string(), "no error details in the response");
    }

    #[test]
    fn api_error_excerpt_is_redacted() {
        let e = ApiError::parse(Some("application/json"), br#"{"error":"x","client_secret":"hunter2"}"#);
        assert!(!e.to_string().contains("hunter2"));
    }

    #[test]
    fn invalid_privilege_list_is_kept_raw_and_split() {
        let (raw, names) = parse_invalid_privileges("privilege(s) are not valid [Read Foo, Update Bar]");
        assert_eq!(raw, "Read Foo, Update Bar");
        assert_eq!(names, ["Read Foo", "Update Bar"]);
        let (raw, names) = parse_invalid_privileges("privilege(s) are not valid");
        assert_eq!(raw, "privilege(s) are not valid");
        assert!(names.is_empty());
    }

    #[test]
    fn messages_are_context_first_and_lowercase() {
        let call = Call::new(Op::CreateRole, Method::POST, "/api/v1/api-roles").answered(503, 5);
        let e = JamfError::new(call, JamfErrorKind::Server { api: Box::default() });
        assert_eq!(
            e.to_string(),
            "create api role (POST /api/v1/api-roles): jamf pro server error (http 503) after 5 attempt(s): \
             no error details in the response"
        );
        let e = JamfError::invalid_url(Some("tenant.jamfcloud.com".into()), "it has no scheme");
        assert!(e.to_string().starts_with("invalid jamf pro url \"tenant.jamfcloud.com\": it has no scheme; expected"));
    }
}
