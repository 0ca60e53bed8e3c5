//! The `maas360` provider: configuration (with `MAAS360_*` environment variables) and the API
//! client it builds.

use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::framework::env::{Setting, Source, describe, string_setting};
use crate::framework::provider::{DynDataSource, DynResource};
use crate::framework::validators::OneOf;
use crate::framework::{Attr, Attribute, AttributePath, ConfigureRequest, Diagnostic, Diagnostics, Provider, Schema};
use crate::rest::url::{parse_base_url, suggest_https};
use crate::settings::{
    self, RetryModel, env_note, knob, origin, provider_block_advice, removal, required, source_note,
};

use super::client::{AuthApiVersion, Maas360Client, Maas360Config, instance_url};
use super::{Maas360Data, diag};

/// The provider's source address.
pub const ADDRESS: &str = "registry.terraform.io/mdmkit/maas360";

/// The environment variable read for `base_url` when the configuration leaves it unset.
pub const ENV_BASE_URL: &[&str] = &["MAAS360_BASE_URL"];
/// The environment variable read for `instance` when the configuration leaves it unset.
pub const ENV_INSTANCE: &[&str] = &["MAAS360_INSTANCE"];
/// The environment variable read for `billing_id` when the configuration leaves it unset.
pub const ENV_BILLING_ID: &[&str] = &["MAAS360_BILLING_ID"];
/// The environment variable read for `app_id` when the configuration leaves it unset.
pub const ENV_APP_ID: &[&str] = &["MAAS360_APP_ID"];
/// The environment variable read for `app_version` when the configuration leaves it unset.
pub const ENV_APP_VERSION: &[&str] = &["MAAS360_APP_VERSION"];
/// The environment variable read for `platform_id` when the configuration leaves it unset.
pub const ENV_PLATFORM_ID: &[&str] = &["MAAS360_PLATFORM_ID"];
/// The environment variable read for `app_access_key` when the configuration leaves it unset.
pub const ENV_APP_ACCESS_KEY: &[&str] = &["MAAS360_APP_ACCESS_KEY"];
/// The environment variable read for `username` when the configuration leaves it unset.
pub const ENV_USERNAME: &[&str] = &["MAAS360_USERNAME"];
/// The environment variable read for `password` when the configuration leaves it unset.
pub const ENV_PASSWORD: &[&str] = &["MAAS360_PASSWORD"];
/// The environment variable read for `auth_api_version` when the configuration leaves it unset.
pub const ENV_AUTH_API_VERSION: &[&str] = &["MAAS360_AUTH_API_VERSION"];
/// The environment variable read for `max_concurrency` when the configuration leaves it unset.
pub const ENV_MAX_CONCURRENCY: &[&str] = &["MAAS360_MAX_CONCURRENCY"];
/// The environment variable read for `request_timeout` when the configuration leaves it unset.
pub const ENV_REQUEST_TIMEOUT: &[&str] = &["MAAS360_REQUEST_TIMEOUT"];

/// The `maas360` provider.
#[derive(Default)]
pub struct Maas360Provider;

/// The values of the `maas360` provider block, one field per schema attribute; unset string
/// settings fall back to their environment variables (the `ENV_*` constants).
#[derive(Serialize, Deserialize, Default)]
pub struct Maas360ProviderConfig {
    /// Root URL of the MaaS360 web services, instead of `instance`.
    pub base_url: Attr<String>,
    /// The MaaS360 instance (data centre) of the account, e.g. `M3`, instead of `base_url`.
    pub instance: Attr<String>,
    /// The customer account's billing ID ("Account ID" in the portal). Required.
    pub billing_id: Attr<String>,
    /// App ID of the web-services access key. Required.
    pub app_id: Attr<String>,
    /// App version of the access key; `"1.0"` when unset.
    pub app_version: Attr<String>,
    /// Platform ID of the access key; `"3"` when unset.
    pub platform_id: Attr<String>,
    /// The app access key. Required.
    pub app_access_key: Attr<String>,
    /// The administrator the provider signs in as. Required.
    pub username: Attr<String>,
    /// That administrator's password. Required.
    pub password: Attr<String>,
    /// Authentication API, `"2.0"` (the default, with refresh tokens) or `"1.0"`.
    pub auth_api_version: Attr<String>,
    /// Requests in flight at most (1 to 50).
    pub max_concurrency: Attr<i64>,
    /// Timeout of one HTTP attempt, a duration such as `"60s"`.
    pub request_timeout: Attr<String>,
    /// The `retry` block: how transport errors, HTTP 5xx and 429 are retried.
    pub retry: Attr<RetryModel>,
}

impl Maas360Provider {
    /// The schema of the `maas360` provider block (what [`Provider::schema`] returns).
    pub fn schema() -> Schema {
        let instances: Vec<String> = super::client::INSTANCES.iter().map(|(n, u)| format!("`{n}` ({u})")).collect();
        Schema::new(
            "Manages IBM MaaS360 administrator accounts that integrations use for the web-services API (\"script \
             only\" administrators).",
        )
        .attribute(Attribute::string("base_url").optional().description(format!(
            "Root URL of the MaaS360 web services, e.g. `https://services.m3.maas360.com`. Set this or `instance`. {}",
            env_note(ENV_BASE_URL)
        )))
        .attribute(Attribute::string("instance").optional().description(format!(
            "The MaaS360 instance (data centre) of the account instead of `base_url`: {}. {}",
            instances.join(", "),
            env_note(ENV_INSTANCE)
        )))
        .attribute(Attribute::string("billing_id").optional().description(format!(
            "The customer account's billing ID (\"Account ID\" in the portal). Required. {}",
            env_note(ENV_BILLING_ID)
        )))
        .attribute(Attribute::string("app_id").optional().description(format!(
            "App ID of the web-services access key (Setup > Web Services API > Manage Access Keys). Required. {}",
            env_note(ENV_APP_ID)
        )))
        .attribute(
            Attribute::string("app_version").optional().description(format!(
                "App version of the access key. Default `\"1.0\"`. {}",
                env_note(ENV_APP_VERSION)
            )),
        )
        .attribute(
            Attribute::string("platform_id")
                .optional()
                .description(format!("Platform ID of the access key. Default `\"3\"`. {}", env_note(ENV_PLATFORM_ID))),
        )
        .attribute(
            Attribute::string("app_access_key")
                .optional()
                .sensitive()
                .description(format!("The app access key. Required. {}", env_note(ENV_APP_ACCESS_KEY))),
        )
        .attribute(Attribute::string("username").optional().description(format!(
            "The administrator the provider signs in as; it must be allowed to create administrators (Service \
             Administrator) and hold every role it grants. Required. {}",
            env_note(ENV_USERNAME)
        )))
        .attribute(
            Attribute::string("password")
                .optional()
                .sensitive()
                .description(format!("That administrator's password. Required. {}", env_note(ENV_PASSWORD))),
        )
        .attribute(Attribute::string("auth_api_version").optional().validator(OneOf(&["2.0", "1.0"])).description(
            format!(
                "Authentication API: `\"2.0\"` (default, with refresh tokens) or `\"1.0\"`. {}",
                env_note(ENV_AUTH_API_VERSION)
            ),
        ))
        .attribute(settings::max_concurrency_attribute(ENV_MAX_CONCURRENCY, ""))
        .attribute(settings::request_timeout_attribute(ENV_REQUEST_TIMEOUT))
        .attribute(settings::retry_attribute())
    }
}

/// Build the client configuration, reporting every problem on the attribute to change.
pub fn client_config(c: &Maas360ProviderConfig, diags: &mut Diagnostics) -> Option<Maas360Config> {
    let base_url = string_setting(&c.base_url, ENV_BASE_URL);
    let instance = string_setting(&c.instance, ENV_INSTANCE);
    let billing_id = string_setting(&c.billing_id, ENV_BILLING_ID);
    let app_id = string_setting(&c.app_id, ENV_APP_ID);
    let app_version = string_setting(&c.app_version, ENV_APP_VERSION);
    let platform_id = string_setting(&c.platform_id, ENV_PLATFORM_ID);
    let app_access_key = string_setting(&c.app_access_key, ENV_APP_ACCESS_KEY);
    let username = string_setting(&c.username, ENV_USERNAME);
    let password = string_setting(&c.password, ENV_PASSWORD);
    let auth_api_version = string_setting(&c.auth_api_version, ENV_AUTH_API_VERSION);
    let own = [
        &base_url,
        &instance,
        &billing_id,
        &app_id,
        &app_version,
        &platform_id,
        &app_access_key,
        &username,
        &password,
        &auth_api_version,
    ];
    let connection = settings::ConnectionConfig {
        max_concurrency: &c.max_concurrency,
        max_concurrency_env: ENV_MAX_CONCURRENCY,
        default_max_concurrency: super::client::DEFAULT_MAX_CONCURRENCY,
        request_timeout: &c.request_timeout,
        request_timeout_env: ENV_REQUEST_TIMEOUT,
        default_request_timeout: super::client::DEFAULT_REQUEST_TIMEOUT,
        retry: &c.retry,
    };
    let (config, connection) = settings::resolve(&own, connection, diags, |diags| {
        let (base, inst) = match (base_url.value(), instance.value()) {
            (Some(_), Some(_)) => {
                diags.push(endpoint_conflict(&base_url, &instance));
                (None, None)
            }
            (None, None) => {
                diags.error_at(
                    AttributePath::attr("instance"),
                    "Missing MaaS360 endpoint",
                    format!(
                        "Set {} (M1, M2, M3, M4 or M6, as in your portal's address) or {}. {}",
                        describe("instance", ENV_INSTANCE),
                        describe("base_url", ENV_BASE_URL),
                        provider_block_advice("maas360")
                    ),
                );
                (None, None)
            }
            (Some(b), None) => {
                if let Err(p) = parse_base_url(b) {
                    diags.push(base_url_error(&base_url, p.shown.as_deref(), &p.reason));
                }
                (Some(b.to_string()), None)
            }
            (None, Some(i)) => {
                if instance_url(i).is_err() {
                    diags.push(unknown_instance(&instance, i));
                }
                (None, Some(i.to_string()))
            }
        };
        let billing = required(
            "maas360",
            &billing_id,
            "billing_id",
            ENV_BILLING_ID,
            "the account's billing ID (\"Account ID\" in the portal)",
            diags,
        );
        let app =
            required("maas360", &app_id, "app_id", ENV_APP_ID, "the App ID of your web-services access key", diags);
        let key =
            required("maas360", &app_access_key, "app_access_key", ENV_APP_ACCESS_KEY, "the app access key", diags);
        let user = required(
            "maas360",
            &username,
            "username",
            ENV_USERNAME,
            "the administrator the provider signs in as",
            diags,
        );
        let pass = required("maas360", &password, "password", ENV_PASSWORD, "that administrator's password", diags);
        let version = match auth_api_version.value() {
            None => AuthApiVersion::V2,
            Some(v) => match AuthApiVersion::parse(v) {
                Ok(v) => v,
                Err(e) => {
                    diags.error_at(
                        AttributePath::attr("auth_api_version"),
                        "Invalid auth_api_version",
                        format!("{e}{}.", source_note(&auth_api_version)),
                    );
                    AuthApiVersion::V2
                }
            },
        };
        Some(Maas360Config {
            base_url: base,
            instance: inst,
            billing_id: billing?,
            app_id: app?,
            app_version: app_version.value().unwrap_or("1.0").to_string(),
            platform_id: platform_id.value().unwrap_or("3").to_string(),
            app_access_key: SecretString::from(key?),
            username: user?,
            password: SecretString::from(pass?),
            auth_api_version: version,
            ..Maas360Config::default()
        })
    })?;
    Some(Maas360Config {
        max_concurrency: connection.max_concurrency,
        request_timeout: connection.request_timeout,
        retry: connection.retry,
        ..config
    })
}

/// The diagnostic for a failed sign-in at configure time: which settings to check and where each
/// came from (the configuration or an environment variable), never their values.
fn sign_in_error(c: &Maas360ProviderConfig, e: &super::client::Maas360Error) -> crate::framework::Diagnostic {
    use super::client::Maas360ErrorKind;
    let from_env: Vec<String> = [
        ("username", &c.username, ENV_USERNAME),
        ("password", &c.password, ENV_PASSWORD),
        ("app_id", &c.app_id, ENV_APP_ID),
        ("app_access_key", &c.app_access_key, ENV_APP_ACCESS_KEY),
        ("billing_id", &c.billing_id, ENV_BILLING_ID),
    ]
    .into_iter()
    .filter_map(|(attr, value, env)| {
        let note = source_note(&string_setting(value, env));
        (!note.is_empty()).then(|| format!("{attr}{note}"))
    })
    .collect();
    let sources = if from_env.is_empty() { String::new() } else { format!(" In use: {}.", from_env.join(", ")) };
    match e.kind() {
        Maas360ErrorKind::InvalidCredentials { .. } => {
            let d = crate::framework::Diagnostic::error(
                "MaaS360 rejected the provider's credentials",
                format!(
                    "Signing in to MaaS360 as the provider's administrator failed: {e}.\n\nCheck the provider's \
                     username and password, app_id, app_access_key and billing_id: they must belong to the same \
                     account, the administrator must be active and allowed to use the web services, and the \
                     access key must be that App ID's current key.{sources} Nothing was planned or changed."
                ),
            );
            // Point at the attribute only when the configuration itself sets it: a value from
            // the environment has no line to show.
            if c.password.is_known() { d.at(AttributePath::attr("password")) } else { d }
        }
        _ => diag::error("sign in to MaaS360 as the provider's administrator", e),
    }
}

/// Point at the attribute only when the configuration sets it: a value from the environment has
/// no line to show.
fn at_if_configured(d: Diagnostic, attribute: &str, setting: &Setting) -> Diagnostic {
    match setting {
        Setting::Set { source: Source::Config, .. } => d.at(AttributePath::attr(attribute)),
        _ => d,
    }
}

/// Both `base_url` and `instance` are set: say which knobs, and what to remove for either choice.
fn endpoint_conflict(base_url: &Setting, instance: &Setting) -> Diagnostic {
    let d = Diagnostic::error(
        "Conflicting MaaS360 endpoint",
        format!(
            "Both `base_url`{} and `instance`{} are set, and the provider needs exactly one endpoint.\n\nTo use \
             the base URL (a private or test endpoint), {}. To use IBM's host of the instance, {}.",
            source_note(base_url),
            source_note(instance),
            removal("instance", instance),
            removal("base_url", base_url)
        ),
    );
    at_if_configured(d, "instance", instance)
}

/// `instance` names no data centre: say where the value came from and list the valid ones.
fn unknown_instance(instance: &Setting, name: &str) -> Diagnostic {
    let valid: Vec<String> = super::client::INSTANCES.iter().map(|(n, u)| format!("{n} ({u})")).collect();
    let d = Diagnostic::error(
        "Unknown MaaS360 instance",
        format!(
            "The MaaS360 instance \"{}\" set by {} is not one of IBM's data centres.\n\nSet {} to the one in your \
             portal's address: {}.",
            name.trim(),
            origin("instance", instance),
            knob("instance", instance),
            valid.join(", ")
        ),
    );
    at_if_configured(d, "instance", instance)
}

/// An unusable `base_url`: what is wrong, where the value came from, and what to set instead.
fn base_url_error(base_url: &Setting, shown: Option<&str>, reason: &str) -> Diagnostic {
    let subject = match shown {
        Some(v) => format!("The MaaS360 base URL \"{v}\" set by {}", origin("base_url", base_url)),
        None => format!("The MaaS360 base URL set by {}", origin("base_url", base_url)),
    };
    let fix = match shown.and_then(suggest_https) {
        Some(url) => format!("Set {} to {url}.", knob("base_url", base_url)),
        None => format!(
            "Set {} to the root of the MaaS360 web services, such as https://services.m3.maas360.com, or use \
             `instance` instead.",
            knob("base_url", base_url)
        ),
    };
    at_if_configured(
        Diagnostic::error("Invalid MaaS360 base URL", format!("{subject} is not usable: {reason}.\n\n{fix}")),
        "base_url",
        base_url,
    )
}

#[async_trait]
impl Provider for Maas360Provider {
    type Data = Maas360Data;
    type Config = Maas360ProviderConfig;

    fn type_name(&self) -> &'static str {
        "maas360"
    }

    fn schema(&self) -> Schema {
        Maas360Provider::schema()
    }

    async fn validate(&self, config: &Maas360ProviderConfig, diags: &mut Diagnostics) {
        // Only what the configuration itself says; the environment is checked at configure time.
        let configured = |a: &Attr<String>| match a {
            Attr::Known(v) if !v.is_empty() => Setting::Set { value: v.clone(), source: Source::Config },
            _ => Setting::Unset,
        };
        let (base_url, instance) = (configured(&config.base_url), configured(&config.instance));
        if base_url.is_set() && instance.is_set() {
            diags.push(endpoint_conflict(&base_url, &instance));
        }
        if let Some(b) = base_url.value()
            && let Err(p) = parse_base_url(b)
        {
            diags.push(base_url_error(&base_url, p.shown.as_deref(), &p.reason));
        }
        if let Some(i) = instance.value()
            && instance_url(i).is_err()
        {
            diags.push(unknown_instance(&instance, i));
        }
    }

    async fn configure(
        &self,
        req: ConfigureRequest<Maas360ProviderConfig>,
        diags: &mut Diagnostics,
    ) -> Option<Maas360Data> {
        let mut cfg = client_config(&req.config, diags)?;
        cfg.cancel = req.cancel;
        let client = diags.ok(Maas360Client::new(cfg), |e| diag::config_error(&e))?;
        // Sign in now, as the Jamf provider does: wrong credentials or an unreachable endpoint are
        // one error on the provider block at plan time instead of an apply that fails against the
        // first resource. The session is the one every later call of this process uses.
        diags.ok(client.authenticate().await, |e| sign_in_error(&req.config, &e))?;
        Some(Maas360Data { client })
    }

    fn resources(&self) -> Vec<Arc<dyn DynResource<Maas360Data>>> {
        vec![Arc::new(super::script_user::ScriptUserResource)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DynDataSource<Maas360Data>>> {
        vec![Arc::new(super::administrator::AdministratorDataSource)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_consistent() {
        Maas360Provider::schema().block.check().unwrap();
    }

    #[test]
    fn unknown_values_defer() {
        let mut d = Diagnostics::new();
        let c = Maas360ProviderConfig { password: Attr::Unknown, ..Default::default() };
        assert!(client_config(&c, &mut d).is_none());
        assert!(d.is_empty());
    }

    #[test]
    fn conflicting_endpoints_are_refused() {
        let mut d = Diagnostics::new();
        let c = Maas360ProviderConfig {
            base_url: Attr::Known("https://x".into()),
            instance: Attr::Known("M3".into()),
            ..Default::default()
        };
        assert!(client_config(&c, &mut d).is_none());
        assert!(d.iter().any(|x| x.summary == "Conflicting MaaS360 endpoint"));
    }

    #[test]
    fn a_conflict_says_what_is_wrong_and_what_to_remove() {
        let base = Setting::Set { value: "http://127.0.0.1:1".into(), source: Source::Env("MAAS360_BASE_URL") };
        let inst = Setting::Set { value: "M3".into(), source: Source::Config };
        let d = endpoint_conflict(&base, &inst);
        assert_eq!(
            d.detail,
            "Both `base_url` (from the MAAS360_BASE_URL environment variable) and `instance` are set, and the \
             provider needs exactly one endpoint.\n\nTo use the base URL (a private or test endpoint), remove `instance` from the provider \
             block. To use IBM's host of the instance, unset the MAAS360_BASE_URL environment variable."
        );
        assert!(!d.detail.contains("wins"), "an error, not a rule: {}", d.detail);
        assert_eq!(d.path.unwrap().to_string(), "instance");
    }

    #[test]
    fn an_unknown_instance_names_its_environment_variable() {
        let inst = Setting::Set { value: "M5".into(), source: Source::Env("MAAS360_INSTANCE") };
        let d = unknown_instance(&inst, "M5");
        assert!(
            d.detail.starts_with(
                "The MaaS360 instance \"M5\" set by the MAAS360_INSTANCE environment variable is not one of IBM's \
                 data centres.\n\nSet MAAS360_INSTANCE to the one in your portal's address: M1 (https://"
            ),
            "{}",
            d.detail
        );
        assert!(d.path.is_none());
    }

    #[test]
    fn a_plain_http_base_url_names_the_attribute_and_the_https_url() {
        let mut d = Diagnostics::new();
        let c = Maas360ProviderConfig {
            base_url: Attr::Known("http://services.m3.maas360.com".into()),
            ..Default::default()
        };
        client_config(&c, &mut d);
        let e = d.iter().find(|x| x.summary == "Invalid MaaS360 base URL").expect("base_url refused at plan");
        assert!(e.detail.contains("set by `base_url` is not usable: it uses http://"), "{}", e.detail);
        assert!(e.detail.ends_with("Set `base_url` to https://services.m3.maas360.com."), "{}", e.detail);
        assert_eq!(e.path.as_ref().unwrap().to_string(), "base_url");
    }
}
