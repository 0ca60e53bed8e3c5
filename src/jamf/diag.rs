//! Turning Jamf client errors into diagnostics that say what to do. Resource-specific cases
//! (name conflicts, unknown privileges, a role in use) are handled beside each resource; this is
//! the shared fallback.

use crate::framework::Diagnostic;

use super::client::{JamfError, JamfErrorKind, Op};
use crate::rest::TransportKind;
use crate::rest::retry::what_was_sent;

/// The Jamf privilege an operation needs (what the provider's own API client must hold).
pub fn privilege_for(op: Op) -> Option<&'static str> {
    Some(match op {
        Op::ListRoles | Op::GetRole | Op::ListPrivileges | Op::SearchPrivileges => "Read API Roles",
        Op::CreateRole => "Create API Roles",
        Op::UpdateRole => "Update API Roles",
        Op::DeleteRole => "Delete API Roles",
        Op::ListIntegrations | Op::GetIntegration => "Read API Integrations",
        Op::CreateIntegration | Op::MintClientCredentials => "Create API Integrations",
        Op::UpdateIntegration => "Update API Integrations",
        Op::DeleteIntegration => "Delete API Integrations",
        _ => return None,
    })
}

/// What the provider did with the request before it gave up ([`what_was_sent`]): a create that
/// timed out or lost its connection may have reached Jamf Pro, so it was not sent again.
pub fn what_was_done(e: &JamfError) -> String {
    let create_answer_lost = e.call().is_some_and(|c| c.is_create())
        && matches!(e.kind(), JamfErrorKind::Transport { failure: TransportKind::Timeout | TransportKind::Io, .. });
    what_was_sent(e.attempts(), create_answer_lost)
}

/// The warning for an object that answered 404 moments after this provider created it: kept in
/// the state rather than planned again (which would make a duplicate or a new secret).
pub fn lagging(what: &str) -> Diagnostic {
    Diagnostic::warning(
        format!("{what} not visible yet"),
        format!(
            "Jamf Pro answered 404 for the {what}, which this provider created less than {} seconds ago. Jamf \
             Cloud's servers see each other's changes only after a while, so the prior state is kept instead of \
             planning to create it again. If it was deleted, the next plan after that window will show it.",
            super::cache::CREATED_RECENTLY_FOR.as_secs()
        ),
    )
}

/// A diagnostic for an error of `what` ("create API role \"Vendor\"").
pub fn error(what: &str, e: &JamfError) -> Diagnostic {
    match e.kind() {
        JamfErrorKind::Auth { .. } => Diagnostic::error(
            "Jamf Pro rejected the provider's credentials",
            format!(
                "While trying to {what}: {e}.\n\nCheck the provider's client_id and client_secret (or username and \
                 password), and their environment variables JAMF_CLIENT_ID / JAMF_CLIENT_SECRET. The API client \
                 must be enabled in Jamf Pro (Settings > System > API roles and clients) and its secret current: \
                 generating a new secret invalidates the previous one."
            ),
        ),
        JamfErrorKind::Forbidden { .. } => {
            let privilege = e
                .call()
                .and_then(|c| privilege_for(c.op))
                .map(|p| format!("the \"{p}\" privilege"))
                .unwrap_or_else(|| "a privilege for this call".into());
            Diagnostic::error(
                "The provider's Jamf Pro credentials lack a privilege",
                format!(
                    "While trying to {what}, Jamf Pro answered 403 Forbidden. Add {privilege} to an API role \
                     assigned to the provider's own API client (and generate a new client secret if you added a \
                     role), then retry.\n\nDetails: {e}."
                ),
            )
        }
        JamfErrorKind::Transport { .. } => Diagnostic::error(
            "Cannot reach Jamf Pro",
            format!(
                "While trying to {what}: {e}.\n\n{}Check the provider's url (or JAMF_URL), the network path to the \
                 server, and that the server is up.",
                what_was_done(e)
            ),
        ),
        JamfErrorKind::Server { .. } => Diagnostic::error(
            "Jamf Pro server error",
            format!("While trying to {what}: {e}.\n\n{}Retry later.", what_was_done(e)),
        ),
        JamfErrorKind::RateLimited { .. } => Diagnostic::error(
            "Jamf Pro rate limit",
            format!(
                "While trying to {what}: {e}.\n\nLower the provider's max_concurrency or Terraform's -parallelism, \
                 or retry later."
            ),
        ),
        JamfErrorKind::Cancelled => Diagnostic::error(
            "Operation cancelled",
            format!("Terraform asked the provider to stop while it tried to {what}. Nothing further was sent."),
        ),
        JamfErrorKind::InvalidUrl { .. } | JamfErrorKind::InvalidConfig(_) => {
            Diagnostic::error("Invalid provider configuration", format!("{e}."))
        }
        _ => Diagnostic::error(format!("Failed to {what}"), format!("{e}.")),
    }
}

#[cfg(test)]
mod tests {
    use reqwest::Method;

    use super::*;
    use crate::jamf::client::Call;

    fn unreachable(op: Op, method: Method, failure: TransportKind, attempts: u32) -> JamfError {
        let call = Call::new(op, method, "/api/v1/x").unanswered(attempts);
        JamfError::new(call, JamfErrorKind::Transport { failure, message: "connection refused".into() })
    }

    fn detail(e: &JamfError) -> String {
        error("read API role 1", e).detail
    }

    #[test]
    fn a_retried_request_says_how_often_it_was_sent() {
        let d = detail(&unreachable(Op::GetRole, Method::GET, TransportKind::Connect, 3));
        assert!(d.contains("The request was sent 3 times before the provider gave up."), "{d}");
        assert!(!d.contains("retried before giving up"), "{d}");
    }

    #[test]
    fn a_create_that_timed_out_says_it_was_sent_once_and_why() {
        let d = detail(&unreachable(Op::CreateRole, Method::POST, TransportKind::Timeout, 1));
        assert!(d.contains("sent once and not resent: a create whose answer was lost may have succeeded"), "{d}");
    }

    #[test]
    fn a_request_with_one_attempt_does_not_claim_retries() {
        let d = detail(&unreachable(Op::GetRole, Method::GET, TransportKind::Connect, 1));
        assert!(d.contains("The request was sent once, without retries."), "{d}");
    }

    #[test]
    fn a_request_short_circuited_says_it_was_not_sent() {
        let d = detail(&unreachable(Op::GetRole, Method::GET, TransportKind::Connect, 0));
        assert!(d.contains("The request was not sent"), "{d}");
        assert!(!d.contains("sent once") && !d.contains("times"), "{d}");
    }

    #[test]
    fn a_server_error_says_how_often_it_was_sent() {
        let call = Call::new(Op::GetRole, Method::GET, "/api/v1/api-roles/1");
        let once = JamfError::new(call.answered(503, 1), JamfErrorKind::Server { api: Box::default() });
        let d = detail(&once);
        assert!(d.contains("sent once, without retries. Retry later."), "{d}");
        assert!(!d.contains("after retries"), "{d}");
        let five = JamfError::new(call.answered(503, 5), JamfErrorKind::Server { api: Box::default() });
        assert!(detail(&five).contains("sent 5 times"));
    }
}
