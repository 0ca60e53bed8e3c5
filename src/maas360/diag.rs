//! Turning MaaS360 client errors into diagnostics that say what to do. Resource-specific cases
//! (a taken username, a role that cannot be granted) are handled beside the resource; this is the
//! shared fallback, plus the attribute behind a configuration error.

use crate::framework::{AttributePath, Diagnostic};

use super::client::{ConfigField, Maas360Error, Maas360ErrorKind, Op};
use crate::rest::TransportKind;
use crate::rest::retry::what_was_sent;

/// A diagnostic for an error of `what` ("check administrator \"TechSafe_SO\"").
pub fn error(what: &str, e: &Maas360Error) -> Diagnostic {
    match e.kind() {
        Maas360ErrorKind::InvalidCredentials { .. } => Diagnostic::error(
            "MaaS360 rejected the provider's credentials",
            format!(
                "While trying to {what}: {e}.\n\nCheck the provider's username and password, app_id, app_access_key \
                 and billing_id (or the MAAS360_* environment variables). MaaS360 reports refused sign-ins inside \
                 a successful HTTP answer; the code above is its own."
            ),
        ),
        Maas360ErrorKind::Forbidden { .. } => Diagnostic::error(
            "The provider's MaaS360 administrator lacks a right",
            format!(
                "While trying to {what}: {e}.\n\nThe administrator the provider signs in as needs the Service \
                 Administrator role (or a role with \"Manage Administrator Roles\") and the Web Services API right."
            ),
        ),
        Maas360ErrorKind::Transport { .. } => Diagnostic::error(
            "Cannot reach MaaS360",
            format!(
                "While trying to {what}: {e}.\n\n{}Check base_url or instance and the network path.",
                what_was_done(e)
            ),
        ),
        Maas360ErrorKind::Server { .. } | Maas360ErrorKind::RateLimited { .. } => Diagnostic::error(
            "MaaS360 is not answering normally",
            format!("While trying to {what}: {e}.\n\n{}Retry later, or lower max_concurrency.", what_was_done(e)),
        ),
        Maas360ErrorKind::Cancelled => Diagnostic::error(
            "Operation cancelled",
            format!("Terraform asked the provider to stop while it tried to {what}."),
        ),
        _ => Diagnostic::error(format!("Failed to {what}"), format!("{e}.")),
    }
}

/// What the client did before giving up ([`what_was_sent`]): a create whose answer was lost is
/// not sent again, since it could make the account twice.
fn what_was_done(e: &Maas360Error) -> String {
    let create_answer_lost = e.call().is_some_and(|c| c.op == Op::CreateAdministrator)
        && matches!(e.kind(), Maas360ErrorKind::Transport { kind: TransportKind::Io | TransportKind::Timeout, .. });
    what_was_sent(e.attempts(), create_answer_lost)
}

/// The provider attribute of a client configuration field (the names are the same).
pub fn setting_path(field: ConfigField) -> AttributePath {
    match field {
        ConfigField::RetryMaxAttempts => AttributePath::attr("retry").then_attr("max_attempts"),
        other => AttributePath::attr(other.name()),
    }
}

/// The diagnostic for a client that could not be built: on the setting at fault, when one is.
pub fn config_error(e: &Maas360Error) -> Diagnostic {
    let d = Diagnostic::error("Invalid provider configuration", format!("{e}."));
    match e.config_error().and_then(|c| c.field()) {
        Some(field) => d.at(setting_path(field)),
        None => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maas360::client::{Call, ConfigError, Maas360Client, Maas360Config};
    use crate::rest::SecretString;
    use reqwest::Method;

    fn call(op: Op, method: Method) -> Call {
        Call { op, method, path: "/x/1234567".into() }
    }

    fn transport(op: Op, method: Method, kind: TransportKind, attempts: u32) -> Maas360Error {
        Maas360Error::new(call(op, method), Maas360ErrorKind::Transport { kind, message: "timed out".into() })
            .after(attempts)
    }

    #[test]
    fn the_message_says_how_often_the_request_was_sent() {
        let server = |attempts| {
            Maas360Error::answered(
                call(Op::CheckAdminAvailability, Method::GET),
                503,
                Maas360ErrorKind::Server { description: None },
            )
            .after(attempts)
        };
        let d = error("check administrator \"a\"", &server(4));
        assert!(
            d.detail.contains("The request was sent 4 times before the provider gave up. Retry later"),
            "{}",
            d.detail
        );
        let d = error("check administrator \"a\"", &server(1));
        assert!(d.detail.contains("sent once, without retries"), "{}", d.detail);
        assert!(!d.detail.contains("was retried"), "{}", d.detail);

        let d = error("read", &transport(Op::AdminChangesAudit, Method::GET, TransportKind::Connect, 0));
        assert!(d.detail.contains("The request was not sent"), "{}", d.detail);
        assert!(d.detail.contains("Check base_url or instance"), "{}", d.detail);
        let d = error("create", &transport(Op::CreateAdministrator, Method::POST, TransportKind::Timeout, 1));
        assert!(d.detail.contains("sent once and not resent"), "{}", d.detail);
        let d = error("read", &transport(Op::AdminChangesAudit, Method::GET, TransportKind::Timeout, 3));
        assert!(d.detail.contains("sent 3 times"), "{}", d.detail);

        let limited = Maas360Error::answered(
            call(Op::Authenticate, Method::POST),
            429,
            Maas360ErrorKind::RateLimited { retry_after: None },
        );
        assert!(error("sign in", &limited).detail.contains("rate limited by maas360"));
        assert!(!error("sign in", &limited).detail.contains("The request was"), "no count, no claim");
    }

    #[test]
    fn configuration_errors_point_at_their_setting() {
        let config = Maas360Config {
            instance: Some("M3".into()),
            billing_id: "1234567".into(),
            app_id: "app".into(),
            app_access_key: SecretString::from("k"),
            username: "admin".into(),
            password: SecretString::from(" "),
            ..Maas360Config::default()
        };
        let e = Maas360Client::new(config.clone()).unwrap_err();
        let d = config_error(&e);
        assert_eq!(d.path.map(|p| p.to_string()).as_deref(), Some("password"));
        assert_eq!(d.detail, "invalid maas360 configuration: password is required.");
        let e = Maas360Client::new(Maas360Config { base_url: Some("ftp://x".into()), ..config }).unwrap_err();
        assert_eq!(config_error(&e).path.map(|p| p.to_string()).as_deref(), Some("base_url"));
        let e = Maas360Error::from(ConfigError::ZeroCount(ConfigField::RetryMaxAttempts));
        assert_eq!(setting_path(ConfigField::RetryMaxAttempts).to_string(), "retry.max_attempts");
        assert!(config_error(&e).path.is_some());
        assert!(config_error(&Maas360Error::from(ConfigError::HttpClient("tls".into()))).path.is_none());
    }
}
