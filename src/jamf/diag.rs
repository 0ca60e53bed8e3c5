//! Turning Jamf client errors into diagnostics that say what to do. Resource-specific cases
//! (name conflicts, unknown privileges, a role in use) are handled beside each resource; this is
//! the shared fallback.

use crate::framework::Diagnostic;

use super::client::{JamfError, Op};

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

/// A diagnostic for an error of `what` ("create API role \"Vendor\"").
pub fn error(what: &str, e: &JamfError) -> Diagnostic {
    match e {
        JamfError::Auth { .. } => Diagnostic::error(
            "Jamf Pro rejected the provider's credentials",
            format!(
                "While trying to {what}: {e}.\n\nCheck the provider's client_id and client_secret (or username and \
                 password), and their environment variables JAMF_CLIENT_ID / JAMF_CLIENT_SECRET. The API client \
                 must be enabled in Jamf Pro (Settings > System > API roles and clients) and its secret current: \
                 generating a new secret invalidates the previous one."
            ),
        ),
        JamfError::Forbidden { call, .. } => {
            let privilege = privilege_for(call.op)
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
        JamfError::Transport { .. } => Diagnostic::error(
            "Cannot reach Jamf Pro",
            format!(
                "While trying to {what}: {e}.\n\nCheck the provider's url (or JAMF_URL), the network path to the \
                 server, and that the server is up. The request was retried before giving up."
            ),
        ),
        JamfError::Server { .. } => Diagnostic::error(
            "Jamf Pro server error",
            format!("While trying to {what}: {e}.\n\nJamf Pro kept failing after retries; retry later."),
        ),
        JamfError::RateLimited { .. } => Diagnostic::error(
            "Jamf Pro rate limit",
            format!(
                "While trying to {what}: {e}.\n\nLower the provider's max_concurrency or Terraform's -parallelism, \
                 or retry later."
            ),
        ),
        JamfError::Cancelled { .. } => Diagnostic::error(
            "Operation cancelled",
            format!("Terraform asked the provider to stop while it tried to {what}. Nothing further was sent."),
        ),
        JamfError::InvalidUrl { .. } | JamfError::InvalidConfig(_) => {
            Diagnostic::error("Invalid provider configuration", format!("{e}."))
        }
        _ => Diagnostic::error(format!("Failed to {what}"), format!("{e}.")),
    }
}
