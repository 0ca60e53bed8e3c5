//! Provider settings with environment-variable fallback: the configuration wins, then each
//! environment variable in order; an empty string counts as unset (the ecosystem convention).

use super::model::Attr;

/// Where a setting came from, for diagnostics that name the right knob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The provider block's attribute.
    Config,
    /// This environment variable.
    Env(&'static str),
}

/// The resolved value of a string setting. `Debug` shows where a value came from and its length,
/// never the value: a setting may be a password or an access key.
#[derive(Clone, PartialEq, Eq)]
pub enum Setting {
    /// The configuration value is not known yet (plan time).
    Unknown,
    /// Neither the configuration nor any environment variable sets it.
    Unset,
    /// A value, and where it came from.
    Set {
        /// The value (never empty).
        value: String,
        /// The configuration or the environment variable that gave it.
        source: Source,
    },
}

impl std::fmt::Debug for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Setting::Unknown => f.write_str("Unknown"),
            Setting::Unset => f.write_str("Unset"),
            Setting::Set { value, source } => f
                .debug_struct("Set")
                .field("value", &format_args!("[redacted, {} chars]", value.chars().count()))
                .field("source", source)
                .finish(),
        }
    }
}

impl Setting {
    /// The value, when set.
    pub fn value(&self) -> Option<&str> {
        match self {
            Setting::Set { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Whether a value was found.
    pub fn is_set(&self) -> bool {
        matches!(self, Setting::Set { .. })
    }

    /// Whether the configuration value is not known yet.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Setting::Unknown)
    }
}

/// Resolve a string setting from the configuration, then `env_vars` in order.
pub fn string_setting(config: &Attr<String>, env_vars: &[&'static str]) -> Setting {
    string_setting_with(config, env_vars, |k| std::env::var(k).ok())
}

/// Same as [`string_setting`] with an injectable environment (tests).
pub fn string_setting_with(
    config: &Attr<String>,
    env_vars: &[&'static str],
    env: impl Fn(&str) -> Option<String>,
) -> Setting {
    match config {
        Attr::Unknown => return Setting::Unknown,
        Attr::Known(v) if !v.is_empty() => {
            return Setting::Set { value: v.clone(), source: Source::Config };
        }
        _ => {}
    }
    for var in env_vars {
        if let Some(v) = env(var)
            && !v.is_empty()
        {
            return Setting::Set { value: v, source: Source::Env(var) };
        }
    }
    Setting::Unset
}

/// "`url` (or the JAMF_URL environment variable)" for messages.
pub fn describe(attribute: &str, env_vars: &[&str]) -> String {
    match env_vars {
        [] => format!("`{attribute}`"),
        [one] => format!("`{attribute}` (or the {one} environment variable)"),
        [first, rest @ ..] => format!(
            "`{attribute}` (or the {first} environment variable{}{})",
            if rest.len() == 1 { ", or " } else { ", or one of " },
            rest.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_source_never_the_value() {
        let s = Setting::Set { value: "acc3ss-key-value".into(), source: Source::Env("MAAS360_APP_ACCESS_KEY") };
        let shown = format!("{s:?}");
        assert!(!shown.contains("acc3ss-key-value"), "{shown}");
        assert!(shown.contains("MAAS360_APP_ACCESS_KEY") && shown.contains("16 chars"), "{shown}");
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn config_wins_then_env_in_order_and_empty_is_unset() {
        let e = env(&[("A", ""), ("B", "from-b"), ("C", "from-c")]);
        assert_eq!(
            string_setting_with(&Attr::Known("cfg".into()), &["B"], &e),
            Setting::Set { value: "cfg".into(), source: Source::Config }
        );
        assert_eq!(
            string_setting_with(&Attr::Known("".into()), &["A", "B", "C"], &e),
            Setting::Set { value: "from-b".into(), source: Source::Env("B") }
        );
        assert_eq!(string_setting_with(&Attr::Null, &["A"], &e), Setting::Unset);
        assert_eq!(string_setting_with(&Attr::Unknown, &["B"], &e), Setting::Unknown);
    }

    #[test]
    fn describes_env_vars() {
        assert_eq!(describe("url", &["JAMF_URL"]), "`url` (or the JAMF_URL environment variable)");
        assert_eq!(
            describe("url", &["JAMF_URL", "JAMFPRO_INSTANCE_FQDN"]),
            "`url` (or the JAMF_URL environment variable, or JAMFPRO_INSTANCE_FQDN)"
        );
    }
}
