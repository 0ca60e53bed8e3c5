//! Errors of the MaaS360 client. Messages are lowercase, start with the context, and never
//! contain a password, access key or token.

use std::fmt;
use std::time::Duration;

use reqwest::Method;

use crate::rest::retry::TransportKind;

/// The operation a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// Authentication (1.0 or 2.0), for the provider's admin or for a verified admin.
    Authenticate,
    /// Auth 2.0 refresh-token exchange.
    RefreshToken,
    /// `checkAdminAccountAvailability`.
    CheckAdminAvailability,
    /// `createAdministrator`.
    CreateAdministrator,
    /// `getAdminChangesAudit`.
    AdminChangesAudit,
    /// `getAdminLoginReports`.
    AdminLoginReports,
}

impl Op {
    /// A short lowercase description.
    pub fn describe(self) -> &'static str {
        match self {
            Op::Authenticate => "authenticate",
            Op::RefreshToken => "refresh the auth token",
            Op::CheckAdminAvailability => "check administrator username availability",
            Op::CreateAdministrator => "create administrator",
            Op::AdminChangesAudit => "read the administrator changes audit",
            Op::AdminLoginReports => "read the administrator login report",
        }
    }
}

/// One API call, for messages: `create administrator (POST /account-provisioning/...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The operation.
    pub op: Op,
    /// HTTP method.
    pub method: Method,
    /// URL path (no query).
    pub path: String,
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} {})", self.op.describe(), self.method, self.path)
    }
}

/// A client setting that is unusable. Named after the [`super::Maas360Config`] field, so that
/// a caller can point at the setting to change without reading the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigField {
    /// `base_url`.
    BaseUrl,
    /// `instance`.
    Instance,
    /// `billing_id`.
    BillingId,
    /// `app_id`.
    AppId,
    /// `app_version`.
    AppVersion,
    /// `platform_id`.
    PlatformId,
    /// `app_access_key`.
    AppAccessKey,
    /// `username`.
    Username,
    /// `password`.
    Password,
    /// `auth_api_version`.
    AuthApiVersion,
    /// `max_concurrency`.
    MaxConcurrency,
    /// `retry.max_attempts`.
    RetryMaxAttempts,
}

impl ConfigField {
    /// The field's name as messages show it (`billing_id`, `retry.max_attempts`).
    pub fn name(self) -> &'static str {
        match self {
            ConfigField::BaseUrl => "base_url",
            ConfigField::Instance => "instance",
            ConfigField::BillingId => "billing_id",
            ConfigField::AppId => "app_id",
            ConfigField::AppVersion => "app_version",
            ConfigField::PlatformId => "platform_id",
            ConfigField::AppAccessKey => "app_access_key",
            ConfigField::Username => "username",
            ConfigField::Password => "password",
            ConfigField::AuthApiVersion => "auth_api_version",
            ConfigField::MaxConcurrency => "max_concurrency",
            ConfigField::RetryMaxAttempts => "retry.max_attempts",
        }
    }
}

impl fmt::Display for ConfigField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why the client configuration is unusable. Never shows a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither `base_url` nor `instance` is set.
    #[error("set base_url (e.g. https://services.m3.maas360.com) or instance (M1, M2, M3, M4 or M6)")]
    NoEndpoint,
    /// `instance` names no known data centre.
    #[error("unknown maas360 instance \"{name}\"; valid instances are {}", valid_instances())]
    UnknownInstance {
        /// The name given, trimmed.
        name: String,
    },
    /// `base_url` is not an absolute http(s) URL.
    #[error("invalid base_url{}: {reason}; expected an absolute http(s) url such as https://services.m3.maas360.com",
        shown.as_ref().map(|s| format!(" \"{s}\"")).unwrap_or_default())]
    InvalidBaseUrl {
        /// The input, when safe to show.
        shown: Option<String>,
        /// What is wrong with it.
        reason: String,
    },
    /// A required field is empty.
    #[error("{0} is required")]
    Missing(ConfigField),
    /// A count that must be at least 1 is 0.
    #[error("{0} must be at least 1")]
    ZeroCount(ConfigField),
    /// `auth_api_version` is neither 2.0 nor 1.0.
    #[error("unknown auth_api_version \"{value}\"; valid values are \"2.0\" and \"1.0\"")]
    UnknownAuthApiVersion {
        /// The value given, trimmed.
        value: String,
    },
    /// The authentication endpoint answered 404: the host is not a MaaS360 web-services root.
    #[error("no maas360 authentication endpoint at {path} (http 404); check base_url or instance")]
    NoAuthEndpoint {
        /// The path that answered 404.
        path: String,
    },
    /// The HTTP client could not be built (not caused by a setting).
    #[error("cannot build the http client: {0}")]
    HttpClient(String),
}

impl ConfigError {
    /// The setting to change, when one is at fault.
    pub fn field(&self) -> Option<ConfigField> {
        match self {
            ConfigError::NoEndpoint | ConfigError::InvalidBaseUrl { .. } | ConfigError::NoAuthEndpoint { .. } => {
                Some(ConfigField::BaseUrl)
            }
            ConfigError::UnknownInstance { .. } => Some(ConfigField::Instance),
            ConfigError::Missing(f) | ConfigError::ZeroCount(f) => Some(*f),
            ConfigError::UnknownAuthApiVersion { .. } => Some(ConfigField::AuthApiVersion),
            ConfigError::HttpClient(_) => None,
        }
    }
}

fn valid_instances() -> String {
    super::INSTANCES.iter().map(|(n, u)| format!("{n} ({u})")).collect::<Vec<_>>().join(", ")
}

/// What went wrong, with what only this kind of failure knows. The call, the HTTP status and
/// the attempts are on [`Maas360Error`] itself.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Maas360ErrorKind {
    /// The configuration is unusable; [`ConfigError::field`] names the setting.
    InvalidConfig(ConfigError),
    /// An argument of a call is unusable (e.g. a role name containing the list separator).
    InvalidArgument(String),
    /// Authentication refused (MaaS360 answers HTTP 200 with `errorCode != 0`, or 401/403).
    InvalidCredentials {
        /// The administrator whose credentials were tried.
        username: String,
        /// `errorCode` (e.g. 1002), if the server sent one.
        code: Option<i64>,
        /// `errorDesc` or a description of the HTTP status.
        description: String,
    },
    /// A freshly issued token was rejected too (401, error 1009, "Token expired."/"Token invalid").
    TokenExpired {
        /// What the server said.
        description: String,
    },
    /// HTTP 403: the provider's administrator lacks the right for this call.
    Forbidden {
        /// What the server said.
        description: Option<String>,
    },
    /// The administrator username is already in use (possibly by another customer).
    UsernameTaken {
        /// The username.
        username: String,
        /// What the server said.
        description: Option<String>,
    },
    /// A role is unknown or above the provider administrator's own roles.
    RoleNotGrantable {
        /// The roles asked for.
        roles: Vec<String>,
        /// What the server said.
        description: Option<String>,
    },
    /// HTTP 404.
    NotFound,
    /// Any other refusal (4xx, or a 2xx carrying an error code).
    Rejected {
        /// `errorCode`, if any.
        code: Option<i64>,
        /// What the server said.
        description: Option<String>,
    },
    /// HTTP 429 after retries were exhausted.
    RateLimited {
        /// When the server said the budget resets, if it did.
        retry_after: Option<Duration>,
    },
    /// HTTP 5xx after retries were exhausted.
    Server {
        /// What the server said.
        description: Option<String>,
    },
    /// No HTTP answer after retries were exhausted.
    Transport {
        /// Failure class.
        kind: TransportKind,
        /// What went wrong.
        message: String,
    },
    /// The provider is stopping; the request was not (re)sent.
    Cancelled,
    /// A success answer that could not be understood.
    Decode {
        /// What is wrong (never the body).
        message: String,
    },
}

/// An error of the MaaS360 client: the call it happened in (if any), what the server answered,
/// how many attempts were made, and the [`Maas360ErrorKind`]. Boxed, so that results stay small.
#[derive(Debug, Clone)]
pub struct Maas360Error(Box<Details>);

#[derive(Debug, Clone)]
struct Details {
    /// The call; `None` for configuration and argument errors, which happen before any.
    call: Option<Call>,
    /// The HTTP status behind the error, when one is known.
    status: Option<u16>,
    /// Attempts made, for errors that exhausted retries (429, 5xx, transport).
    attempts: Option<u32>,
    kind: Maas360ErrorKind,
}

impl std::error::Error for Maas360Error {}

impl fmt::Display for Maas360Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Details { call, status, attempts, kind } = &*self.0;
        let call = CallText(call.as_ref());
        let status = status.unwrap_or_default();
        let attempts = attempts.unwrap_or(1);
        match kind {
            Maas360ErrorKind::InvalidConfig(c) => write!(f, "invalid maas360 configuration: {c}"),
            Maas360ErrorKind::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            Maas360ErrorKind::InvalidCredentials { username, code, description } => write!(
                f,
                "maas360 rejected the credentials of administrator \"{username}\": {call} failed{}: {description}",
                code_note(*code)
            ),
            Maas360ErrorKind::TokenExpired { description } => {
                write!(f, "{call}: maas360 rejected a freshly issued auth token: {description}")
            }
            Maas360ErrorKind::Forbidden { description } => write!(
                f,
                "{call}: the provider's maas360 administrator is not allowed to do this (http 403){}",
                detail(description)
            ),
            Maas360ErrorKind::UsernameTaken { username, description } => {
                write!(f, "{call}: the administrator username \"{username}\" is already taken{}", detail(description))
            }
            Maas360ErrorKind::RoleNotGrantable { roles, description } => write!(
                f,
                "{call}: the provider's administrator cannot grant the role(s) [{}]{}",
                roles.join(", "),
                detail(description)
            ),
            Maas360ErrorKind::NotFound => write!(f, "{call}: not found (http 404)"),
            Maas360ErrorKind::Rejected { code, description } => write!(
                f,
                "{call}: maas360 refused the request (http {status}){}{}",
                code_note(*code),
                detail(description)
            ),
            Maas360ErrorKind::RateLimited { .. } => {
                write!(f, "{call}: rate limited by maas360 (http 429) after {attempts} attempt(s)")
            }
            Maas360ErrorKind::Server { description } => write!(
                f,
                "{call}: maas360 server error (http {status}) after {attempts} attempt(s){}",
                detail(description)
            ),
            Maas360ErrorKind::Transport { message, .. } => write!(f, "{call}: {message} (after {attempts} attempt(s))"),
            Maas360ErrorKind::Cancelled => write!(f, "{call}: cancelled because the provider is stopping"),
            Maas360ErrorKind::Decode { message } => {
                write!(f, "{call}: could not decode the response (http {status}): {message}")
            }
        }
    }
}

/// The call in a message; empty for the errors that have none.
struct CallText<'a>(Option<&'a Call>);

impl fmt::Display for CallText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(call) => call.fmt(f),
            None => Ok(()),
        }
    }
}

fn code_note(code: Option<i64>) -> String {
    code.map(|c| format!(" with error code {c}")).unwrap_or_default()
}

fn detail(description: &Option<String>) -> String {
    description.as_ref().map(|d| format!(": {d}")).unwrap_or_default()
}

impl From<ConfigError> for Maas360Error {
    fn from(e: ConfigError) -> Self {
        Self(Box::new(Details { call: None, status: None, attempts: None, kind: Maas360ErrorKind::InvalidConfig(e) }))
    }
}

impl Maas360Error {
    /// An unusable argument, found before any call.
    pub(crate) fn argument(message: impl Into<String>) -> Self {
        let kind = Maas360ErrorKind::InvalidArgument(message.into());
        Self(Box::new(Details { call: None, status: None, attempts: None, kind }))
    }

    /// A failure of `call` with no HTTP status to report.
    pub(crate) fn new(call: Call, kind: Maas360ErrorKind) -> Self {
        Self(Box::new(Details { call: Some(call), status: None, attempts: None, kind }))
    }

    /// A failure of `call` behind HTTP `status`.
    pub(crate) fn answered(call: Call, status: u16, kind: Maas360ErrorKind) -> Self {
        Self(Box::new(Details { call: Some(call), status: Some(status), attempts: None, kind }))
    }

    /// Records that retries were exhausted after `attempts` attempts.
    pub(crate) fn after(mut self, attempts: u32) -> Self {
        self.0.attempts = Some(attempts);
        self
    }

    /// What went wrong, for matching.
    pub fn kind(&self) -> &Maas360ErrorKind {
        &self.0.kind
    }

    /// The HTTP status behind the error, when one is known.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The MaaS360 `errorCode`, when the server sent one.
    pub fn error_code(&self) -> Option<i64> {
        match self.kind() {
            Maas360ErrorKind::InvalidCredentials { code, .. } | Maas360ErrorKind::Rejected { code, .. } => *code,
            _ => None,
        }
    }

    /// The call that failed, if the error came from one.
    pub fn call(&self) -> Option<&Call> {
        self.0.call.as_ref()
    }

    /// How many attempts were made, for errors that exhausted retries (0: not sent at all,
    /// because the server refused connections moments before).
    pub fn attempts(&self) -> Option<u32> {
        self.0.attempts
    }

    /// The configuration problem, for [`Maas360ErrorKind::InvalidConfig`].
    pub fn config_error(&self) -> Option<&ConfigError> {
        match self.kind() {
            Maas360ErrorKind::InvalidConfig(c) => Some(c),
            _ => None,
        }
    }

    /// Authentication was refused.
    pub fn is_invalid_credentials(&self) -> bool {
        matches!(self.kind(), Maas360ErrorKind::InvalidCredentials { .. })
    }

    /// HTTP 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self.kind(), Maas360ErrorKind::NotFound)
    }

    /// The provider is stopping.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.kind(), Maas360ErrorKind::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_context_first() {
        let call = Call {
            op: Op::Authenticate,
            method: Method::POST,
            path: "/auth-apis/auth/2.0/authenticate/customer/1234567".into(),
        };
        let e = Maas360Error::new(
            call,
            Maas360ErrorKind::InvalidCredentials {
                username: "TechSafe_SO".into(),
                code: Some(1002),
                description: "Invalid credentials".into(),
            },
        );
        assert_eq!(
            e.to_string(),
            "maas360 rejected the credentials of administrator \"TechSafe_SO\": authenticate \
             (POST /auth-apis/auth/2.0/authenticate/customer/1234567) failed with error code 1002: Invalid credentials"
        );
        assert!(matches!(e.kind(), Maas360ErrorKind::InvalidCredentials { .. }));
        assert_eq!((e.error_code(), e.status(), e.attempts()), (Some(1002), None, None));
        assert_eq!(e.call().map(|c| c.op), Some(Op::Authenticate));
    }

    #[test]
    fn status_and_attempts_are_kept_and_shown() {
        let call = Call { op: Op::AdminChangesAudit, method: Method::GET, path: "/a/1234567".into() };
        let e =
            Maas360Error::answered(call.clone(), 503, Maas360ErrorKind::Server { description: Some("busy".into()) })
                .after(4);
        assert_eq!(
            e.to_string(),
            "read the administrator changes audit (GET /a/1234567): maas360 server error (http 503) after 4 attempt(s): busy"
        );
        assert_eq!((e.status(), e.attempts()), (Some(503), Some(4)));
        let e = Maas360Error::answered(call, 400, Maas360ErrorKind::Rejected { code: Some(7), description: None });
        assert_eq!(
            e.to_string(),
            "read the administrator changes audit (GET /a/1234567): maas360 refused the request (http 400) with error code 7"
        );
        assert_eq!((e.status(), e.error_code(), e.attempts()), (Some(400), Some(7), None));
    }

    #[test]
    fn configuration_errors_name_their_setting() {
        let e = Maas360Error::from(ConfigError::Missing(ConfigField::AppAccessKey));
        assert_eq!(e.to_string(), "invalid maas360 configuration: app_access_key is required");
        assert_eq!(e.config_error().and_then(ConfigError::field), Some(ConfigField::AppAccessKey));
        assert_eq!(e.call(), None);
        let e = ConfigError::ZeroCount(ConfigField::RetryMaxAttempts);
        assert_eq!(
            (e.to_string().as_str(), e.field()),
            ("retry.max_attempts must be at least 1", Some(ConfigField::RetryMaxAttempts))
        );
        assert_eq!(ConfigError::UnknownInstance { name: "M5".into() }.field(), Some(ConfigField::Instance));
        assert_eq!(ConfigError::NoAuthEndpoint { path: "/x".into() }.field(), Some(ConfigField::BaseUrl));
        assert_eq!(ConfigError::HttpClient("tls".into()).field(), None);
    }
}
