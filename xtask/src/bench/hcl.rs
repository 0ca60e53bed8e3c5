//! The Terraform configurations the benchmark applies. Every resource is `count`-expanded, so a
//! configuration is the same size whatever N is, and both sides of a comparison have one block.

use devkit::VERSION;

fn required(name: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    {name} = {{\n      source  = \"mdmkit/{name}\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n\n"
    )
}

/// N `jamf_api_role`s (the provider takes its URL and credentials from `JAMF_*`).
pub fn jamf_roles(n: usize, prefix: &str) -> String {
    roles("jamf", "jamf_api_role", n, prefix)
}

/// N `floor_role`s: the same block through the benchmark's floor provider (`xtask/floor`), whose
/// resource has `jamf_api_role`'s schema and does nothing.
pub fn floor_roles(n: usize, prefix: &str) -> String {
    roles("floor", "floor_role", n, prefix)
}

fn roles(provider: &str, type_name: &str, n: usize, prefix: &str) -> String {
    format!(
        "{}provider \"{provider}\" {{}}\n\nresource \"{type_name}\" \"r\" {{\n  count        = {n}\n  display_name = \"{prefix}-role-${{count.index}}\"\n  privileges   = [\"Read Computers\"]\n}}\n",
        required(provider)
    )
}

/// N `terraform_data`, the built-in resource that needs no provider process.
pub fn terraform_data(n: usize, prefix: &str) -> String {
    format!("resource \"terraform_data\" \"r\" {{\n  count = {n}\n  input = \"{prefix}-role-${{count.index}}\"\n}}\n")
}

/// N roles, N API clients each holding its role, and N client secrets.
pub fn jamf_identities(n: usize, prefix: &str) -> String {
    format!(
        "{roles}\nresource \"jamf_api_client\" \"c\" {{\n  count                         = {n}\n  display_name                  = \"{prefix}-client-${{count.index}}\"\n  authorization_scopes          = [jamf_api_role.r[count.index].display_name]\n  access_token_lifetime_seconds = 1800\n}}\n\nresource \"jamf_client_secret\" \"s\" {{\n  count         = {n}\n  api_client_id = jamf_api_client.c[count.index].id\n}}\n",
        roles = jamf_roles(n, prefix)
    )
}

/// N MaaS360 script users (credentials from `MAAS360_*`).
pub fn maas360_script_users(n: usize, prefix: &str) -> String {
    format!(
        "{}provider \"maas360\" {{}}\n\nresource \"maas360_script_user\" \"u\" {{\n  count    = {n}\n  username = \"{prefix}_so_${{count.index}}\"\n  email    = \"{prefix}-${{count.index}}@example.com\"\n  roles    = [\"Read-Only\"]\n}}\n",
        required("maas360")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_are_count_expanded() {
        let r = jamf_roles(500, "bench");
        assert!(r.contains("count        = 500"));
        assert!(r.contains("\"bench-role-${count.index}\""));
        assert!(r.contains(&format!("version = \"{VERSION}\"")));
        assert!(terraform_data(3, "b").contains("count = 3"));
        // The floor's block is the role's, but for the provider and the type.
        assert_eq!(
            floor_roles(7, "f").replace("floor_role", "jamf_api_role").replace("floor", "jamf"),
            jamf_roles(7, "f")
        );
        let i = jamf_identities(2, "e");
        assert!(i.contains("jamf_api_role.r[count.index].display_name"));
        assert!(i.contains("jamf_api_client.c[count.index].id"));
        assert!(maas360_script_users(4, "m").contains("\"m_so_${count.index}\""));
    }
}
