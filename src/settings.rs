//! Provider settings both vendors share: the `retry` block, `max_concurrency` and
//! `request_timeout`, each with its environment variable, mapped onto the REST plumbing; and
//! [`resolve`], the one skeleton both providers' `client_config` follow (unknown values plan
//! without a client; every problem is reported on its attribute before giving up).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::framework::duration::{DurationBetween, parse_duration};
use crate::framework::env::{Setting, Source, describe, string_setting};
use crate::framework::schema::Nesting;
use crate::framework::validators::{IntegerAtLeast, IntegerAtMost};
use crate::framework::{Attr, Attribute, AttributePath, Diagnostics};
use crate::rest::RetryPolicy;

/// The `retry` block.
#[derive(Serialize, Deserialize, Default, Clone, Debug)]
pub struct RetryModel {
    /// Attempts per request in total, the first included (`1` disables retries); default 5.
    pub max_attempts: Attr<i64>,
    /// First backoff delay before jitter, a duration such as `"500ms"` (the default).
    pub min_delay: Attr<String>,
    /// Longest single wait, also the cap on a server's `Retry-After`; default `"30s"`.
    pub max_delay: Attr<String>,
    /// No retry starts after this much time since the first attempt; default `"2m"`.
    pub max_elapsed: Attr<String>,
}

/// Where a provider reads the connection settings every provider has: its attributes, their
/// environment variables, and its API client's defaults.
pub struct ConnectionConfig<'a> {
    /// The `max_concurrency` attribute.
    pub max_concurrency: &'a Attr<i64>,
    /// Its environment variables, in order.
    pub max_concurrency_env: &'static [&'static str],
    /// The client's default when neither is set.
    pub default_max_concurrency: usize,
    /// The `request_timeout` attribute.
    pub request_timeout: &'a Attr<String>,
    /// Its environment variables, in order.
    pub request_timeout_env: &'static [&'static str],
    /// The client's default when neither is set.
    pub default_request_timeout: Duration,
    /// The `retry` block.
    pub retry: &'a Attr<RetryModel>,
}

impl ConnectionConfig<'_> {
    fn is_unknown(&self) -> bool {
        self.max_concurrency.is_unknown() || self.request_timeout.is_unknown() || self.retry.is_unknown()
    }
}

/// The resolved connection settings, ready for the API client's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Requests in flight at most.
    pub max_concurrency: usize,
    /// Timeout of one HTTP attempt.
    pub request_timeout: Duration,
    /// Retries of transport errors, 5xx and 429.
    pub retry: RetryPolicy,
}

/// The settings-resolution skeleton of a provider's `client_config`.
///
/// `None` without a diagnostic when any of the provider's own settings (`own`, already resolved
/// from attribute or environment) or any connection setting is unknown: the provider plans
/// without an API client. Otherwise `vendor` resolves the provider's own settings (reporting each
/// problem on its attribute), then the connection settings are parsed, and the result is `None`
/// if any of these steps added an error, so that the user sees every problem at once.
pub fn resolve<T>(
    own: &[&Setting],
    connection: ConnectionConfig<'_>,
    diags: &mut Diagnostics,
    vendor: impl FnOnce(&mut Diagnostics) -> Option<T>,
) -> Option<(T, Connection)> {
    if own.iter().any(|s| s.is_unknown()) || connection.is_unknown() {
        // Not known until apply: plan without an API client.
        return None;
    }
    let mark = diags.mark();
    let resolved = vendor(diags);
    let max_concurrency = max_concurrency(
        connection.max_concurrency,
        connection.max_concurrency_env,
        connection.default_max_concurrency,
        diags,
    );
    let request_timeout = request_timeout(
        connection.request_timeout,
        connection.request_timeout_env,
        connection.default_request_timeout,
        diags,
    );
    let retry = retry_policy(connection.retry, diags);
    if diags.error_since(mark) {
        return None;
    }
    Some((resolved?, Connection { max_concurrency: max_concurrency?, request_timeout: request_timeout?, retry }))
}

/// The value of a required setting of `provider`, or an error on `attribute` saying to set it
/// (or its environment variable) to `what`, with [`provider_block_advice`].
pub fn required(
    provider: &str,
    setting: &Setting,
    attribute: &str,
    env: &[&str],
    what: &str,
    diags: &mut Diagnostics,
) -> Option<String> {
    match setting.value() {
        Some(v) => Some(v.to_string()),
        None => {
            diags.error_at(
                AttributePath::attr(attribute),
                format!("Missing {attribute}"),
                format!("Set {} to {what}. {}", describe(attribute, env), provider_block_advice(provider)),
            );
            None
        }
    }
}

/// "Environment variable: `JAMF_URL` (also read: `JAMFPRO_INSTANCE_FQDN`)." for descriptions.
pub fn env_note(vars: &[&str]) -> String {
    match vars {
        [] => String::new(),
        [one] => format!("Environment variable: `{one}`."),
        [first, rest @ ..] => format!("Environment variable: `{first}` (also read: `{}`).", rest.join("`, `")),
    }
}

/// " (from the X environment variable)" when the value came from one.
pub fn source_note(s: &Setting) -> String {
    match s {
        Setting::Set { source: Source::Env(var), .. } => format!(" (from the {var} environment variable)"),
        _ => String::new(),
    }
}

/// Where a setting's value came from, as the subject of a sentence: "`url`" (the provider block)
/// or "the JAMF_URL environment variable". `Unset` and `Unknown` name the attribute.
pub fn origin(attribute: &str, s: &Setting) -> String {
    match s {
        Setting::Set { source: Source::Env(var), .. } => format!("the {var} environment variable"),
        _ => format!("`{attribute}`"),
    }
}

/// The knob a user turns to change a setting, for "Set … to …": "`url`" or "JAMF_URL".
pub fn knob(attribute: &str, s: &Setting) -> String {
    match s {
        Setting::Set { source: Source::Env(var), .. } => (*var).to_string(),
        _ => format!("`{attribute}`"),
    }
}

/// How to get rid of a setting: "remove `instance` from the provider block" or "unset the
/// MAAS360_INSTANCE environment variable".
pub fn removal(attribute: &str, s: &Setting) -> String {
    match s {
        Setting::Set { source: Source::Env(var), .. } => format!("unset the {var} environment variable"),
        _ => format!("remove `{attribute}` from the provider block"),
    }
}

/// The advice every error about a missing provider setting ends with: settings may come from the
/// environment alone, but without a provider block Terraform reports "Invalid provider
/// configuration" before the provider's own message.
pub fn provider_block_advice(provider: &str) -> String {
    format!(
        "When every setting comes from the environment, still declare an empty `provider \"{provider}\" {{}}` \
         block: without one Terraform prints a generic \"Invalid provider configuration\" error before this one."
    )
}

/// The optional `retry` block of a provider's schema (read back as a [`RetryModel`]): retries of
/// transport errors, HTTP 5xx and 429 with jittered exponential backoff.
pub fn retry_attribute() -> Attribute {
    let fields = vec![
        Attribute::number("max_attempts")
            .optional()
            .validator(IntegerAtLeast(1))
            .validator(IntegerAtMost(20))
            .description("Attempts per request in total, the first included (`1` disables retries). Default `5`."),
        Attribute::string("min_delay")
            .optional()
            .validator(DurationBetween(Duration::ZERO, Duration::from_secs(60)))
            .description("First backoff delay before jitter, e.g. `\"500ms\"` (the default)."),
        Attribute::string("max_delay")
            .optional()
            .validator(DurationBetween(Duration::ZERO, Duration::from_secs(600)))
            .description("Longest single wait, also the cap on a server's `Retry-After`. Default `\"30s\"`."),
        Attribute::string("max_elapsed")
            .optional()
            .validator(DurationBetween(Duration::ZERO, Duration::from_secs(3600)))
            .description("No retry starts after this much time since the first attempt. Default `\"2m\"`."),
    ];
    Attribute::nested("retry", Nesting::Single, fields).optional().description(
        "Retries of transport errors, HTTP 5xx and 429 (honouring the server's requested delay), with jittered \
         exponential backoff. Other errors are never retried.",
    )
}

/// The optional `max_concurrency` attribute (1 to 50 requests in flight), its description
/// completed with the vendor's advice `vendor_hint` and the environment variables `env`.
pub fn max_concurrency_attribute(env: &[&str], vendor_hint: &str) -> Attribute {
    Attribute::number("max_concurrency")
        .optional()
        .validator(IntegerAtLeast(1))
        .validator(IntegerAtMost(50))
        .description(
            [
                "Requests in flight at most, whatever Terraform's `-parallelism`. Default `5`.",
                vendor_hint,
                &env_note(env),
            ]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" "),
        )
}

/// The optional `request_timeout` attribute (a duration from 1s to 1h, for one HTTP attempt),
/// its description naming the environment variables `env`.
pub fn request_timeout_attribute(env: &[&str]) -> Attribute {
    Attribute::string("request_timeout")
        .optional()
        .validator(DurationBetween(Duration::from_secs(1), Duration::from_secs(3600)))
        .description(format!("Timeout of one HTTP attempt, e.g. `\"60s\"` (the default). {}", env_note(env)))
}

/// The retry policy of a `retry` block (defaults where unset).
pub fn retry_policy(m: &Attr<RetryModel>, diags: &mut Diagnostics) -> RetryPolicy {
    let mut p = RetryPolicy::default();
    let Attr::Known(r) = m else { return p };
    if let Attr::Known(n) = r.max_attempts {
        p.max_attempts = n.clamp(1, 20) as u32;
    }
    let mut dur = |a: &Attr<String>, name: &str, slot: &mut Duration| {
        if let Attr::Known(s) = a {
            match parse_duration(s) {
                Ok(d) => *slot = d,
                Err(e) => diags.error_at(
                    AttributePath::attr("retry").then_attr(name),
                    "Invalid duration",
                    format!("`retry.{name}`: {e}."),
                ),
            }
        }
    };
    dur(&r.min_delay, "min_delay", &mut p.min_delay);
    dur(&r.max_delay, "max_delay", &mut p.max_delay);
    dur(&r.max_elapsed, "max_elapsed", &mut p.max_elapsed);
    if p.min_delay > p.max_delay {
        diags.error_at(
            AttributePath::attr("retry").then_attr("min_delay"),
            "Inconsistent retry delays",
            "`retry.min_delay` must not be longer than `retry.max_delay`.",
        );
    }
    p
}

/// `max_concurrency` from the configuration or its environment variable.
pub fn max_concurrency(
    config: &Attr<i64>,
    env: &[&'static str],
    default: usize,
    diags: &mut Diagnostics,
) -> Option<usize> {
    let as_text = config.clone().map(|n| n.to_string());
    let s = string_setting(&as_text, env);
    match s.value().map(str::parse::<i64>) {
        None if s.is_unknown() => None,
        None => Some(default),
        Some(Ok(n)) if (1..=50).contains(&n) => Some(n as usize),
        Some(_) => {
            diags.error_at(
                AttributePath::attr("max_concurrency"),
                "Invalid max_concurrency",
                format!(
                    "{} must be a whole number between 1 and 50{}.",
                    describe("max_concurrency", env),
                    source_note(&s)
                ),
            );
            None
        }
    }
}

/// `request_timeout` from the configuration or its environment variable.
pub fn request_timeout(
    config: &Attr<String>,
    env: &[&'static str],
    default: Duration,
    diags: &mut Diagnostics,
) -> Option<Duration> {
    let s = string_setting(config, env);
    match s.value().map(parse_duration) {
        None if s.is_unknown() => None,
        None => Some(default),
        Some(Ok(d)) if d >= Duration::from_secs(1) => Some(d),
        Some(_) => {
            diags.error_at(
                AttributePath::attr("request_timeout"),
                "Invalid request_timeout",
                format!(
                    "{} must be a duration of at least 1s, such as \"60s\"{}.",
                    describe("request_timeout", env),
                    source_note(&s)
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_block_maps_onto_the_policy() {
        let mut d = Diagnostics::new();
        let m = Attr::Known(RetryModel {
            max_attempts: Attr::Known(3),
            min_delay: Attr::Known("100ms".into()),
            max_delay: Attr::Known("2s".into()),
            max_elapsed: Attr::Null,
        });
        let p = retry_policy(&m, &mut d);
        assert!(d.is_empty());
        assert_eq!(p.max_attempts, 3);
        assert_eq!(p.min_delay, Duration::from_millis(100));
        assert_eq!(p.max_delay, Duration::from_secs(2));
        assert_eq!(p.max_elapsed, RetryPolicy::default().max_elapsed);
    }

    #[test]
    fn inconsistent_delays_are_an_error() {
        let mut d = Diagnostics::new();
        let m = Attr::Known(RetryModel {
            min_delay: Attr::Known("5s".into()),
            max_delay: Attr::Known("1s".into()),
            ..Default::default()
        });
        retry_policy(&m, &mut d);
        assert!(d.has_error());
    }

    fn connection<'a>(
        max_concurrency: &'a Attr<i64>,
        request_timeout: &'a Attr<String>,
        retry: &'a Attr<RetryModel>,
    ) -> ConnectionConfig<'a> {
        ConnectionConfig {
            max_concurrency,
            max_concurrency_env: &[],
            default_max_concurrency: 5,
            request_timeout,
            request_timeout_env: &[],
            default_request_timeout: Duration::from_secs(60),
            retry,
        }
    }

    #[test]
    fn unknown_settings_plan_without_a_client_and_without_asking_the_vendor() {
        let mut d = Diagnostics::new();
        let (n, t, r) = (Attr::Null, Attr::Null, Attr::Null);
        let unknown = Setting::Unknown;
        let got = resolve(&[&unknown], connection(&n, &t, &r), &mut d, |_| -> Option<()> { panic!("asked") });
        assert!(got.is_none() && d.is_empty());
        let t = Attr::Unknown;
        assert!(resolve(&[], connection(&n, &t, &r), &mut d, |_| -> Option<()> { panic!("asked") }).is_none());
        assert!(d.is_empty());
    }

    #[test]
    fn every_problem_is_reported_vendor_first_then_connection() {
        let mut d = Diagnostics::new();
        let (n, t, r) = (Attr::Known(0), Attr::Known("soon".to_string()), Attr::Null);
        let got = resolve(&[], connection(&n, &t, &r), &mut d, |d| {
            d.error_at(AttributePath::attr("url"), "Missing url", "Set url.");
            None::<()>
        });
        assert!(got.is_none());
        let paths: Vec<String> = d.iter().map(|x| x.path.as_ref().unwrap().to_string()).collect();
        assert_eq!(paths, ["url", "max_concurrency", "request_timeout"]);
    }

    #[test]
    fn defaults_fill_what_is_unset() {
        let mut d = Diagnostics::new();
        let (n, t, r) = (Attr::Null, Attr::Known("5s".to_string()), Attr::Null);
        let (v, c) = resolve(&[], connection(&n, &t, &r), &mut d, |_| Some("vendor")).unwrap();
        assert!(d.is_empty());
        assert_eq!(v, "vendor");
        assert_eq!(
            c,
            Connection { max_concurrency: 5, request_timeout: Duration::from_secs(5), retry: RetryPolicy::default() }
        );
    }

    #[test]
    fn a_setting_is_named_by_where_it_came_from() {
        let env = Setting::Set { value: "M5".into(), source: Source::Env("MAAS360_INSTANCE") };
        let cfg = Setting::Set { value: "M5".into(), source: Source::Config };
        assert_eq!(origin("instance", &env), "the MAAS360_INSTANCE environment variable");
        assert_eq!(origin("instance", &cfg), "`instance`");
        assert_eq!(knob("instance", &env), "MAAS360_INSTANCE");
        assert_eq!(knob("instance", &cfg), "`instance`");
        assert_eq!(removal("instance", &env), "unset the MAAS360_INSTANCE environment variable");
        assert_eq!(removal("instance", &cfg), "remove `instance` from the provider block");
    }

    #[test]
    fn a_missing_required_setting_names_attribute_and_variable() {
        let mut d = Diagnostics::new();
        assert_eq!(required("maas360", &Setting::Unset, "app_id", &["MAAS360_APP_ID"], "the App ID", &mut d), None);
        assert_eq!(d[0].summary, "Missing app_id");
        assert!(
            d[0].detail.starts_with("Set `app_id` (or the MAAS360_APP_ID environment variable) to the App ID. When"),
            "{}",
            d[0].detail
        );
        assert!(d[0].detail.contains("empty `provider \"maas360\" {}` block"), "{}", d[0].detail);
        let set = Setting::Set { value: "x".into(), source: Source::Config };
        assert_eq!(required("maas360", &set, "app_id", &[], "", &mut d).as_deref(), Some("x"));
    }
}
