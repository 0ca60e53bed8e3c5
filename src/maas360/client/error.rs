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

/// A fieldless mirror of [`Maas360Error`] for matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Maas360ErrorKind {
    /// See [`Maas360Error::InvalidConfig`].
    InvalidConfig,
    /// See [`Maas360Error::InvalidArgument`].
    InvalidArgument,
    /// See [`Maas360Error::InvalidCredentials`].
    InvalidCredentials,
    /// See [`Maas360Error::TokenExpired`].
    TokenExpired,
    /// See [`Maas360Error::Forbidden`].
    Forbidden,
    /// See [`Maas360Error::UsernameTaken`].
    UsernameTaken,
    /// See [`Maas360Error::RoleNotGrantable`].
    RoleNotGrantable,
    /// See [`Maas360Error::NotFound`].
    NotFound,
    /// See [`Maas360Error::Rejected`].
    Rejected,
    /// See [`Maas360Error::RateLimited`].
    RateLimited,
    /// See [`Maas360Error::Server`].
    Server,
    /// See [`Maas360Error::Transport`].
    Transport,
    /// See [`Maas360Error::Cancelled`].
    Cancelled,
    /// See [`Maas360Error::Decode`].
    Decode,
}

/// An error of the MaaS360 client.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Maas360Error {
    /// The configuration is unusable (the message names the field, never its value if secret).
    #[error("invalid maas360 configuration: {0}")]
    InvalidConfig(String),
    /// An argument of a call is unusable (e.g. a role name containing the list separator).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Authentication refused (MaaS360 answers HTTP 200 with `errorCode != 0`, or 401/403).
    #[error("maas360 rejected the credentials of administrator \"{username}\": {call} failed{}: {description}",
        code.map(|c| format!(" with error code {c}")).unwrap_or_default())]
    InvalidCredentials {
        /// The call.
        call: Call,
        /// The administrator whose credentials were tried.
        username: String,
        /// `errorCode` (e.g. 1002), if the server sent one.
        code: Option<i64>,
        /// `errorDesc` or a description of the HTTP status.
        description: String,
    },
    /// A freshly issued token was rejected too (401, error 1009, "Token expired."/"Token invalid").
    #[error("{call}: maas360 rejected a freshly issued auth token: {description}")]
    TokenExpired {
        /// The call.
        call: Call,
        /// What the server said.
        description: String,
    },
    /// HTTP 403: the provider's administrator lacks the right for this call.
    #[error("{call}: the provider's maas360 administrator is not allowed to do this (http 403){}", detail(description))]
    Forbidden {
        /// The call.
        call: Call,
        /// What the server said.
        description: Option<String>,
    },
    /// The administrator username is already in use (possibly by another customer).
    #[error("{call}: the administrator username \"{username}\" is already taken{}", detail(description))]
    UsernameTaken {
        /// The call.
        call: Call,
        /// The username.
        username: String,
        /// What the server said.
        description: Option<String>,
    },
    /// A role is unknown or above the provider administrator's own roles.
    #[error("{call}: the provider's administrator cannot grant the role(s) [{}]{}", roles.join(", "), detail(description))]
    RoleNotGrantable {
        /// The roles asked for.
        roles: Vec<String>,
        /// The call.
        call: Call,
        /// What the server said.
        description: Option<String>,
    },
    /// HTTP 404.
    #[error("{call}: not found (http 404)")]
    NotFound {
        /// The call.
        call: Call,
    },
    /// Any other refusal (4xx, or a 2xx carrying an error code).
    #[error("{call}: maas360 refused the request (http {status}){}{}",
        code.map(|c| format!(" with error code {c}")).unwrap_or_default(), detail(description))]
    Rejected {
        /// The call.
        call: Call,
        /// HTTP status.
        status: u16,
        /// `errorCode`, if any.
        code: Option<i64>,
        /// What the server said.
        description: Option<String>,
    },
    /// HTTP 429 after retries were exhausted.
    #[error("{call}: rate limited by maas360 (http 429) after {attempts} attempt(s)")]
    RateLimited {
        /// The call.
        call: Call,
        /// Attempts made.
        attempts: u32,
        /// When the server said the budget resets, if it did.
        retry_after: Option<Duration>,
    },
    /// HTTP 5xx after retries were exhausted.
    #[error("{call}: maas360 server error (http {status}) after {attempts} attempt(s){}", detail(description))]
    Server {
        /// The call.
        call: Call,
        /// HTTP status.
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// What the server said.
        description: Option<String>,
    },
    /// No HTTP answer after retries were exhausted.
    #[error("{call}: {message} (after {attempts} attempt(s))")]
    Transport {
        /// The call.
        call: Call,
        /// Failure class.
        kind: TransportKind,
        /// What went wrong.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The provider is stopping; the request was not (re)sent.
    #[error("{call}: cancelled because the provider is stopping")]
    Cancelled {
        /// The call.
        call: Call,
    },
    /// A success answer that could not be understood.
    #[error("{call}: could not decode the response (http {status}): {message}")]
    Decode {
        /// The call.
        call: Call,
        /// HTTP status.
        status: u16,
        /// What is wrong (never the body).
        message: String,
    },
}

fn detail(description: &Option<String>) -> String {
    description.as_ref().map(|d| format!(": {d}")).unwrap_or_default()
}

impl Maas360Error {
    /// The kind, for matching without the data.
    pub fn kind(&self) -> Maas360ErrorKind {
        match self {
            Maas360Error::InvalidConfig(_) => Maas360ErrorKind::InvalidConfig,
            Maas360Error::InvalidArgument(_) => Maas360ErrorKind::InvalidArgument,
            Maas360Error::InvalidCredentials { .. } => Maas360ErrorKind::InvalidCredentials,
            Maas360Error::TokenExpired { .. } => Maas360ErrorKind::TokenExpired,
            Maas360Error::Forbidden { .. } => Maas360ErrorKind::Forbidden,
            Maas360Error::UsernameTaken { .. } => Maas360ErrorKind::UsernameTaken,
            Maas360Error::RoleNotGrantable { .. } => Maas360ErrorKind::RoleNotGrantable,
            Maas360Error::NotFound { .. } => Maas360ErrorKind::NotFound,
            Maas360Error::Rejected { .. } => Maas360ErrorKind::Rejected,
            Maas360Error::RateLimited { .. } => Maas360ErrorKind::RateLimited,
            Maas360Error::Server { .. } => Maas360ErrorKind::Server,
            Maas360Error::Transport { .. } => Maas360ErrorKind::Transport,
            Maas360Error::Cancelled { .. } => Maas360ErrorKind::Cancelled,
            Maas360Error::Decode { .. } => Maas360ErrorKind::Decode,
        }
    }

    /// The HTTP status behind the error, when one is known.
    pub fn status(&self) -> Option<u16> {
        match self {
            Maas360Error::Rejected { status, .. }
            | Maas360Error::Server { status, .. }
            | Maas360Error::Decode { status, .. } => Some(*status),
            Maas360Error::NotFound { .. } => Some(404),
            Maas360Error::Forbidden { .. } => Some(403),
            Maas360Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// The MaaS360 `errorCode`, when the server sent one.
    pub fn error_code(&self) -> Option<i64> {
        match self {
            Maas360Error::InvalidCredentials { code, .. } | Maas360Error::Rejected { code, .. } => *code,
            _ => None,
        }
    }

    /// The call that failed, if the error came from one.
    pub fn call(&self) -> Option<&Call> {
        match self {
            Maas360Error::InvalidConfig(_) | Maas360Error::InvalidArgument(_) => None,
            Maas360Error::InvalidCredentials { call, .. }
            | Maas360Error::TokenExpired { call, .. }
            | Maas360Error::Forbidden { call, .. }
            | Maas360Error::UsernameTaken { call, .. }
            | Maas360Error::RoleNotGrantable { call, .. }
            | Maas360Error::NotFound { call }
            | Maas360Error::Rejected { call, .. }
            | Maas360Error::RateLimited { call, .. }
            | Maas360Error::Server { call, .. }
            | Maas360Error::Transport { call, .. }
            | Maas360Error::Cancelled { call }
            | Maas360Error::Decode { call, .. } => Some(call),
        }
    }

    /// How many attempts were made, for errors that exhausted retries.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Maas360Error::RateLimited { attempts, .. }
            | Maas360Error::Server { attempts, .. }
            | Maas360Error::Transport { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }

    /// Authentication was refused.
    pub fn is_invalid_credentials(&self) -> bool {
        matches!(self, Maas360Error::InvalidCredentials { .. })
    }

    /// HTTP 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Maas360Error::NotFound { .. })
    }

    /// The provider is stopping.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Maas360Error::Cancelled { .. })
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
        let e = Maas360Error::InvalidCredentials {
            call,
            username: "TechSafe_SO".into(),
            code: Some(1002),
            description: "Invalid credentials".into(),
        };
        assert_eq!(
            e.to_string(),
            "maas360 rejected the credentials of administrator \"TechSafe_SO\": authenticate \
             (POST /auth-apis/auth/2.0/authenticate/customer/1234567) failed with error code 1002: Invalid credentials"
        );
        assert_eq!((e.kind(), e.error_code()), (Maas360ErrorKind::InvalidCredentials, Some(1002)));
    }
}
