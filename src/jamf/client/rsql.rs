//! Quoting values for Jamf's RSQL `filter` parameter.
//!
//! A value is wrapped in double quotes, and three characters are escaped with a backslash:
//! `\` and `"` (RSQL's own escapes inside a quoted argument) and `*`, which Jamf treats as a
//! wildcard inside quoted values. Escaping `*` asks for a literal asterisk; whether every Jamf
//! version honours `\*` is not documented, so callers that need an exact match
//! ([`super::JamfClient::find_roles_by_display_name`] and friends) also compare the results
//! exactly on the client side: a wildcard expansion can add candidates but never a wrong answer.
//! URL encoding happens later, when the query string is built.
//!
//! Display-name patterns ([`display_name_like`]) keep `*` as the wildcard and are matched again
//! here ([`matches_pattern`]), exactly and case-sensitively, whatever the server's collation.

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

/// The filter `displayName=="<pattern>"` for a display-name pattern in which `*` matches any run
/// of characters (Jamf's own wildcard) and everything else stands for itself: `\` and `"` are
/// escaped, `*` is not. Jamf's matching may ignore case; [`matches_pattern`] gives the exact answer.
pub fn display_name_like(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 14);
    out.push_str("displayName==\"");
    for c in pattern.chars() {
        if matches!(c, '\\' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Whether `text` matches `pattern`, in which `*` matches any run of characters (also none) and
/// every other character only itself, case-sensitively. Linear backtracking on the last `*`.
pub fn matches_pattern(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
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
    fn a_pattern_keeps_its_wildcards_and_escapes_the_rest() {
        assert_eq!(display_name_like("Okta*"), r#"displayName=="Okta*""#);
        assert_eq!(display_name_like(r#"*say "hi"\*"#), r#"displayName=="*say \"hi\"\\*""#);
        assert_eq!(display_name_like("Exact"), r#"displayName=="Exact""#);
    }

    #[test]
    fn patterns_match_exactly_prefixes_and_substrings() {
        assert!(matches_pattern("Okta", "Okta"));
        assert!(!matches_pattern("Okta", "Okta SCIM"));
        assert!(!matches_pattern("Okta", "okta"), "case-sensitive");
        assert!(matches_pattern("Okta*", "Okta SCIM"));
        assert!(matches_pattern("Okta*", "Okta"));
        assert!(!matches_pattern("Okta*", "My Okta"));
        assert!(matches_pattern("*Okta*", "My Okta client"));
        assert!(matches_pattern("*", ""));
        assert!(matches_pattern("a*b*c", "a-b-b-c"));
        assert!(!matches_pattern("a*b*c", "a-b-b-"));
        assert!(matches_pattern("Rôle *✓", "Rôle x ✓"));
        assert!(!matches_pattern("", "x"));
        assert!(matches_pattern("", ""));
    }

    #[test]
    fn unicode_passes_through() {
        assert_eq!(quote("Rôle ✓"), "\"Rôle ✓\"");
    }
}
