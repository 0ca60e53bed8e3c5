//! The MaaS360 administrator roles the simulator knows and their order, shared by the rules
//! (`state.rs`) and the provisioning parameters (`unverified.rs`), so that the parameters need not
//! import the rules that use them.

/// The built-in roles, weakest first (IBM docs; ordering from the IBM community thread). Custom roles are not
/// modelled, so these are the only role names the simulator knows.
pub const BUILT_IN_ROLES: [&str; 5] =
    ["Read-Only", "Help Desk", "Administrator", "Administrator Level 2", "Service Administrator"];
pub const SERVICE_ADMINISTRATOR: &str = "Service Administrator";
/// The partner-level role above Service Administrator (IBM community thread). Not a customer's built-in
/// role, but known so that "no granting above your own role" has a case a Service Administrator hits.
pub const PARTNER_ADMINISTRATOR: &str = "Partner Administrator";

/// Position of a known role in the weakest→strongest order (the built-in five, then Partner Administrator).
pub fn role_rank(name: &str) -> Option<usize> {
    BUILT_IN_ROLES.iter().chain(std::iter::once(&PARTNER_ADMINISTRATOR)).position(|r| *r == name)
}
