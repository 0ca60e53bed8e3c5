//! Quoting values for Jamf's RSQL `filter` parameter.
//!
//! A value is wrapped in double quotes, and three characters are escaped with a backslash:
//! `\` and `"` (RSQL's own escapes inside a quoted argument) and `*`, which Jamf treats as a
//! wildcard inside quoted values. Escaping `*` asks for a literal asterisk; whether every Jamf
//! version honours `\*` is not documented, so callers that need an exact match
//! ([`super::JamfClient::find_roles_by_display_name`] and friends) also compare the results
//! exactly on the client side: a wildcard expansion can add candidates but never a wrong answer.
//! URL encoding happens later, when the query string is built.

/// `value` as a double-quoted RSQL argument, escaped as described in the module docs.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '\\' | '"' | '*') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The filter `displayName=="<name>"` (exact display-name match).
pub fn display_name_equals(name: &str) -> String {
    format!("displayName=={}", quote(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_are_only_quoted() {
        assert_eq!(display_name_equals("Terraform Role"), r#"displayName=="Terraform Role""#);
        assert_eq!(quote(""), r#""""#);
        assert_eq!(quote("a,b;c==d'"), r#""a,b;c==d'""#);
    }

    #[test]
    fn quotes_backslashes_and_wildcards_are_escaped() {
        assert_eq!(quote(r#"say "hi""#), r#""say \"hi\"""#);
        assert_eq!(quote(r"C:\path"), r#""C:\\path""#);
        assert_eq!(quote("*all*"), r#""\*all\*""#);
        assert_eq!(quote(r#"\"*"#), r#""\\\"\*""#);
    }

    #[test]
    fn unicode_passes_through() {
        assert_eq!(quote("Rôle ✓"), "\"Rôle ✓\"");
    }
}
