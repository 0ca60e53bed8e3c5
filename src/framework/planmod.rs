//! Plan modifiers: RequiresReplace, RequiresReplaceIf, UseStateForUnknown.

use super::schema::{PlanModifier, PlanModifierRequest, PlanModifierResponse};

/// A change of this attribute on an existing resource replaces the resource.
pub struct RequiresReplace;

impl PlanModifier for RequiresReplace {
    fn description(&self) -> String {
        "If the value of this attribute changes, Terraform will destroy and recreate the resource.".into()
    }
    fn modify(&self, req: &PlanModifierRequest<'_>, resp: &mut PlanModifierResponse) {
        resp.requires_replace |= changes_existing(req, &resp.plan);
    }
}

/// Like `RequiresReplace`, but only when `condition` says so.
pub struct RequiresReplaceIf<F> {
    /// Markdown sentence for the docs: when a change replaces the resource.
    pub description: &'static str,
    /// Decides, for one planned change, whether it replaces the resource.
    pub condition: F,
}

impl<F> PlanModifier for RequiresReplaceIf<F>
where
    F: Fn(&PlanModifierRequest<'_>) -> bool + Send + Sync,
{
    fn description(&self) -> String {
        self.description.to_string()
    }
    fn modify(&self, req: &PlanModifierRequest<'_>, resp: &mut PlanModifierResponse) {
        if changes_existing(req, &resp.plan) && (self.condition)(req) {
            resp.requires_replace = true;
        }
    }
}

/// Replacement only when the prior state already held a value: a resource adopted by import
/// (where the attribute cannot be read back, so the state holds null) takes the configured value
/// in place instead of being replaced.
pub fn requires_replace_if_prior_known() -> RequiresReplaceIf<fn(&PlanModifierRequest<'_>) -> bool> {
    RequiresReplaceIf {
        description: "If the value of this attribute changes, Terraform will destroy and recreate the resource \
                      (except right after an import, when the configured value is adopted in place).",
        condition: |req| !req.state.is_null(),
    }
}

fn changes_existing(req: &PlanModifierRequest<'_>, plan: &super::value::Value) -> bool {
    if !req.resource_exists {
        return false;
    }
    // A computed attribute left out of the configuration follows the server, not the user.
    if req.config.is_null() && req.state.is_null() {
        return false;
    }
    plan != req.state
}

/// Keep the prior value of a computed attribute instead of showing "(known after apply)" on
/// every update: for values the server never changes after creation (ids, client ids).
pub struct UseStateForUnknown;

impl PlanModifier for UseStateForUnknown {
    fn description(&self) -> String {
        "The value does not change after creation.".into()
    }
    fn modify(&self, req: &PlanModifierRequest<'_>, resp: &mut PlanModifierResponse) {
        if req.state.is_null() || !resp.plan.is_unknown() || req.config.is_unknown() {
            return;
        }
        resp.plan = req.state.clone();
    }
}
