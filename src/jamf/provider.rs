//! The `jamf` provider: configuration (with environment-variable fallback), the API client it
//! builds, and the resources and data sources it serves.

use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::framework::env::{Setting, describe, string_setting};
use crate::framework::provider::{DynDataSource, DynResource};
use crate::framework::{Attr, Attribute, AttributePath, ConfigureRequest, Diagnostic, Diagnostics, Provider, Schema};
use crate::settings::{self, RetryModel, env_note, knob, origin, provider_block_advice, source_note};

use super::cache::JamfData;
use super::client::{JamfAuth, JamfClient, JamfConfig, JamfError, JamfErrorKind};

/// The provider's source address.
pub const ADDRESS: &str = "registry.terraform.io/mdmkit/jamf";

/// Environment variables read for `url` when the configuration leaves it unset, in order.
pub const ENV_URL: &[&str] = &["JAMF_URL", "JAMFPRO_INSTANCE_FQDN"];
/// Environment variables read for `client_id` when the configuration leaves it unset, in order.
pub const ENV_CLIENT_ID: &[&str] = &["JAMF_CLIENT_ID", "JAMFPRO_CLIENT_ID"];
/// Environment variables read for `client_secret` when the configuration leaves it unset, in
/// order.
pub const ENV_CLIENT_SECRET: &[&str] = &["JAMF_CLIENT_SECRET", "JAMFPRO_CLIENT_SECRET"];
/// Environment variables read for `username` when the configuration leaves it unset, in order.
pub const ENV_USERNAME: &[&str] = &["JAMF_USERNAME", "JAMFPRO_BASIC_USERNAME"];
/// Environment variables read for `password` when the configuration leaves it unset, in order.
pub const ENV_PASSWORD: &[&str] = &["JAMF_PASSWORD", "JAMFPRO_BASIC_PASSWORD"];
/// The environment variable read for `max_concurrency` when the configuration leaves it unset.
pub const ENV_MAX_CONCURRENCY: &[&str] = &["JAMF_MAX_CONCURRENCY"];
/// The environment variable read for `request_timeout` when the configuration leaves it unset.
pub const ENV_REQUEST_TIMEOUT: &[&str] = &["JAMF_REQUEST_TIMEOUT"];

/// The `jamf` provider.
#[derive(Default)]
pub struct JamfProvider;

/// The values of the `jamf` provider block, one field per schema attribute; unset string
/// settings fall back to their environment variables (the `ENV_*` constants).
#[derive(Serialize, Deserialize, Default)]
pub struct JamfProviderConfig {
    /// The Jamf Pro URL, e.g. `https://yourcompany.jamfcloud.com`.
    pub url: Attr<String>,
    /// Client ID of the API client the provider itself authenticates as (recommended).
    pub client_id: Attr<String>,
    /// Client secret of that API client.
    pub client_secret: Attr<String>,
    /// Jamf Pro account for username/password authentication, instead of `client_id`.
    pub username: Attr<String>,
    /// Password of `username`.
    pub password: Attr<String>,
    /// Requests in flight at most (1 to 50).
    pub max_concurrency: Attr<i64>,
    /// Timeout of one HTTP attempt, a duration such as `"60s"`.
    pub request_timeout: Attr<String>,
    /// The `retry` block: how transport errors, HTTP 5xx and 429 are retried.
    pub retry: Attr<RetryModel>,
}

impl JamfProvider {
    /// The schema of the `jamf` provider block (what [`Provider::schema`] returns).
    pub fn schema() -> Schema {
        Schema::new(
            "Manages the API credentials SaaS integrations need from a Jamf Pro tenant: API roles, API clients \
             (Jamf's \"API integrations\") and their client secrets.",
        )
        .attribute(Attribute::string("url").optional().description(format!(
            "Jamf Pro URL, e.g. `https://yourcompany.jamfcloud.com` or `https://jamf.example.com:8443` for an \
             on-premise server (a path prefix such as `/jamf` is kept). {}",
            env_note(ENV_URL)
        )))
        .attribute(Attribute::string("client_id").optional().description(format!(
            "Client ID of the API client the provider itself uses (recommended authentication). {}",
            env_note(ENV_CLIENT_ID)
        )))
        .attribute(
            Attribute::string("client_secret")
                .optional()
                .sensitive()
                .description(format!("Client secret of that API client. {}", env_note(ENV_CLIENT_SECRET))),
        )
        .attribute(Attribute::string("username").optional().description(format!(
            "Jamf Pro account for username/password authentication, instead of `client_id`. {}",
            env_note(ENV_USERNAME)
        )))
        .attribute(
            Attribute::string("password")
                .optional()
                .sensitive()
                .description(format!("Password of `username`. {}", env_note(ENV_PASSWORD))),
        )
        .attribute(settings::max_concurrency_attribute(
            ENV_MAX_CONCURRENCY,
            "Jamf asks integrations to stay at or below 5 concurrent requests.",
        ))
        .attribute(settings::request_timeout_attribute(ENV_REQUEST_TIMEOUT))
        .attribute(settings::retry_attribute())
    }
}

/// Resolve a setting or report why it cannot be used yet.
struct Settings {
    url: Setting,
    client_id: Setting,
    client_secret: Setting,
    username: Setting,
    password: Setting,
}

impl Settings {
    fn resolve(c: &JamfProviderConfig) -> Settings {
        Settings {
            url: string_setting(&c.url, ENV_URL),
            client_id: string_setting(&c.client_id, ENV_CLIENT_ID),
            client_secret: string_setting(&c.client_secret, ENV_CLIENT_SECRET),
            username: string_setting(&c.username, ENV_USERNAME),
            password: string_setting(&c.password, ENV_PASSWORD),
        }
    }
}

/// Build the client configuration, reporting every problem on the attribute to change.
pub fn client_config(c: &JamfProviderConfig, diags: &mut Diagnostics) -> Option<JamfConfig> {
    let s = Settings::resolve(c);
    let own = [&s.url, &s.client_id, &s.client_secret, &s.username, &s.password];
    let connection = settings::ConnectionConfig {
        max_concurrency: &c.max_concurrency,
        max_concurrency_env: ENV_MAX_CONCURRENCY,
        default_max_concurrency: super::client::DEFAULT_MAX_CONCURRENCY,
        request_timeout: &c.request_timeout,
        request_timeout_env: ENV_REQUEST_TIMEOUT,
        default_request_timeout: super::client::DEFAULT_REQUEST_TIMEOUT,
        retry: &c.retry,
    };
    let ((base_url, auth), connection) = settings::resolve(&own, connection, diags, |diags| {
        let url = match &s.url {
            Setting::Set { value, .. } => Some(value.clone()),
            _ => {
                diags.error_at(
                    AttributePath::attr("url"),
                    "Missing Jamf Pro URL",
                    format!(
                        "Set {} to your Jamf Pro server, e.g. https://yourcompany.jamfcloud.com or \
                         https://jamf.example.com:8443. {}",
                        describe("url", ENV_URL),
                        provider_block_advice("jamf")
                    ),
                );
                None
            }
        };
        let oauth = s.client_id.is_set() || s.client_secret.is_set();
        let basic = s.username.is_set() || s.password.is_set();
        let auth = match (oauth, basic) {
            (true, true) => {
                diags.error_at(
                    AttributePath::attr("username"),
                    "Conflicting credentials",
                    format!(
                        "Both an API client (client_id{}) and a user account (username{}) are configured. Use one: \
                         an API client is recommended; unset the other attributes or environment variables.",
                        source_note(&s.client_id),
                        source_note(&s.username)
                    ),
                );
                None
            }
            (false, false) => {
                diags.error_at(
                    AttributePath::attr("client_id"),
                    "Missing Jamf Pro credentials",
                    format!(
                        "Set {} and {}, or {} and {}. {}",
                        describe("client_id", ENV_CLIENT_ID),
                        describe("client_secret", ENV_CLIENT_SECRET),
                        describe("username", ENV_USERNAME),
                        describe("password", ENV_PASSWORD),
                        provider_block_advice("jamf")
                    ),
                );
                None
            }
            (true, false) => match (s.client_id.value(), s.client_secret.value()) {
                (Some(id), Some(secret)) => Some(JamfAuth::ClientCredentials {
                    client_id: id.to_string(),
                    client_secret: SecretString::from(secret.to_string()),
                }),
                (None, _) => {
                    diags.error_at(
                        AttributePath::attr("client_id"),
                        "Missing client_id",
                        format!(
                            "A client secret is set but no client ID: set {}.",
                            describe("client_id", ENV_CLIENT_ID)
                        ),
                    );
                    None
                }
                (_, None) => {
                    diags.error_at(
                        AttributePath::attr("client_secret"),
                        "Missing client_secret",
                        format!(
                            "client_id is set{} but no client secret: set {}.",
                            source_note(&s.client_id),
                            describe("client_secret", ENV_CLIENT_SECRET)
                        ),
                    );
                    None
                }
            },
            (false, true) => match (s.username.value(), s.password.value()) {
                (Some(u), Some(p)) => {
                    Some(JamfAuth::Basic { username: u.to_string(), password: SecretString::from(p.to_string()) })
                }
                (None, _) => {
                    diags.error_at(
                        AttributePath::attr("username"),
                        "Missing username",
                        format!("A password is set but no username: set {}.", describe("username", ENV_USERNAME)),
                    );
                    None
                }
                (_, None) => {
                    diags.error_at(
                        AttributePath::attr("password"),
                        "Missing password",
                        format!(
                            "username is set{} but no password: set {}.",
                            source_note(&s.username),
                            describe("password", ENV_PASSWORD)
                        ),
                    );
                    None
                }
            },
        };
        Some((url?, auth?))
    })?;
    Some(JamfConfig {
        base_url,
        auth,
        max_concurrency: connection.max_concurrency,
        request_timeout: connection.request_timeout,
        retry: connection.retry,
        ..JamfConfig::default()
    })
}

trait AtIfConfigured {
    fn at_if_configured(self, attribute: &str, setting: &Setting) -> Self;
}

impl AtIfConfigured for Diagnostic {
    /// Point at the attribute only when the configuration sets it: a value from the environment
    /// has no line to show, and Terraform would print an empty source location.
    fn at_if_configured(self, attribute: &str, setting: &Setting) -> Self {
        match setting {
            Setting::Set { source: crate::framework::env::Source::Config, .. } => {
                self.at(AttributePath::attr(attribute))
            }
            _ => self,
        }
    }
}

/// "with the client_secret from the JAMF_CLIENT_SECRET environment variable" (never the value).
fn secret_from(setting: &Setting, name: &str) -> String {
    match setting {
        Setting::Set { source: crate::framework::env::Source::Env(var), .. } => {
            format!("with the {name} from the {var} environment variable")
        }
        _ => format!("with the configured {name}"),
    }
}

/// The error for an unusable Jamf Pro URL: what is wrong, the attribute or environment variable
/// the value came from, and what to set instead.
fn url_error(setting: &Setting, shown: Option<&str>, reason: &str) -> Diagnostic {
    let subject = match shown {
        Some(v) => format!("The Jamf Pro URL \"{v}\" set by {}", origin("url", setting)),
        None => format!("The Jamf Pro URL set by {}", origin("url", setting)),
    };
    let fix = match shown.and_then(url_fix) {
        Some((url, why)) => format!("Set {} to {url}{why}.", knob("url", setting)),
        None => format!(
            "Set {} to the address of your Jamf Pro server, such as https://yourcompany.jamfcloud.com, \
             https://jamf.example.com:8443 or https://jamf.example.com/jamf (no query or fragment).",
            knob("url", setting)
        ),
    };
    Diagnostic::error("Invalid Jamf Pro URL", format!("{subject} is not usable: {reason}.\n\n{fix}"))
        .at_if_configured("url", setting)
}

/// The URL to set instead of `input`, and why, when the fix is mechanical: an API path
/// (`/api`, `/uapi`, `/JSSResource`) stripped, `https://` for plain http or a bare host name.
fn url_fix(input: &str) -> Option<(String, String)> {
    let https = crate::rest::url::suggest_https(input);
    let start = https.clone().unwrap_or_else(|| input.trim().to_owned());
    if start.contains('@') {
        return None;
    }
    let mut url = url::Url::parse(&start).ok()?;
    let segments: Vec<String> = url.path_segments()?.filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let api = segments.iter().position(|s| ["api", "uapi", "jssresource"].contains(&s.to_ascii_lowercase().as_str()));
    if let Some(i) = api {
        url.set_path(&segments[..i].join("/"));
        let stripped = segments[i..].join("/");
        let fixed = url.as_str().trim_end_matches('/').to_owned();
        return Some((
            fixed,
            format!(", the server's own address without /{stripped}: the provider adds the API paths itself"),
        ));
    }
    https.map(|u| (u, String::new()))
}

/// The diagnostic for a failed first contact with Jamf Pro: names the server, the setting to
/// check and where its value came from.
fn connect_error(client: &JamfClient, s: &Settings, e: &JamfError) -> Diagnostic {
    let url = client.base_url().as_str().trim_end_matches('/').to_string();
    match e.kind() {
        JamfErrorKind::Auth { .. } => {
            let (who, path, check) = if s.username.is_set() {
                (
                    format!("the account {:?}{}", s.username.value().unwrap_or_default(), source_note(&s.username)),
                    "password",
                    format!("{} and {}", describe("username", ENV_USERNAME), describe("password", ENV_PASSWORD)),
                )
            } else {
                (
                    format!(
                        "the API client {:?}{}",
                        s.client_id.value().unwrap_or_default(),
                        source_note(&s.client_id)
                    ),
                    "client_secret",
                    format!(
                        "{} and {}",
                        describe("client_id", ENV_CLIENT_ID),
                        describe("client_secret", ENV_CLIENT_SECRET)
                    ),
                )
            };
            Diagnostic::error(
                "Jamf Pro rejected the provider's credentials",
                format!(
                    "{url} refused {who}, {}: {e}.\n\nCheck {check}. An API client must be enabled in Jamf Pro \
                     (Settings > System > API roles and clients) and its secret current: generating a new secret \
                     invalidates the previous one. Nothing was retried.",
                    secret_from(if path == "client_secret" { &s.client_secret } else { &s.password }, path)
                ),
            )
            .at_if_configured(path, if path == "client_secret" { &s.client_secret } else { &s.password })
        }
        JamfErrorKind::Transport { .. } | JamfErrorKind::Server { .. } | JamfErrorKind::RateLimited { .. } => {
            Diagnostic::error(
                "Cannot reach Jamf Pro",
                format!(
                    "No usable answer from {url}{}: {e}.\n\nCheck {}, the network path to the server, and that the \
                 server is up. {}Retries follow the provider's `retry` settings.",
                    source_note(&s.url),
                    describe("url", ENV_URL),
                    super::diag::what_was_done(e)
                ),
            )
            .at_if_configured("url", &s.url)
        }
        JamfErrorKind::InvalidUrl { shown, reason } => url_error(&s.url, shown.as_deref(), reason),
        _ => super::diag::error(&format!("connect to Jamf Pro at {url}"), e),
    }
}

#[async_trait]
impl Provider for JamfProvider {
    type Data = JamfData;
    type Config = JamfProviderConfig;

    fn type_name(&self) -> &'static str {
        "jamf"
    }

    fn schema(&self) -> Schema {
        JamfProvider::schema()
    }

    async fn validate(&self, config: &JamfProviderConfig, diags: &mut Diagnostics) {
        // Only what the configuration itself says; the environment is checked at configure time.
        if let Attr::Known(url) = &config.url
            && let Err(e) = crate::rest::url::parse_base_url(url)
        {
            let from_config = Setting::Set { value: url.clone(), source: crate::framework::env::Source::Config };
            diags.push(url_error(&from_config, e.shown.as_deref(), &e.reason));
        }
        let oauth = config.client_id.is_known() || config.client_secret.is_known();
        let basic = config.username.is_known() || config.password.is_known();
        if oauth && basic {
            diags.error_at(
                AttributePath::attr("username"),
                "Conflicting credentials",
                "Set either client_id and client_secret (an API client, recommended) or username and password, \
                 not both.",
            );
        }
    }

    async fn configure(&self, req: ConfigureRequest<JamfProviderConfig>, diags: &mut Diagnostics) -> Option<JamfData> {
        let mut cfg = client_config(&req.config, diags)?;
        cfg.cancel = req.cancel;
        let client = diags.ok(JamfClient::new(cfg), |e| match e.kind() {
            JamfErrorKind::InvalidUrl { shown, reason } => {
                url_error(&Settings::resolve(&req.config).url, shown.as_deref(), reason)
            }
            _ => Diagnostic::error("Invalid provider configuration", e.to_string()),
        })?;
        // Obtain the access token now: wrong credentials or an unreachable server are one clear
        // error here instead of one per resource (or a mere warning from the plan-time privilege
        // check), and the token is the one every later call of this process uses.
        diags.ok(client.authenticate().await, |e| connect_error(&client, &Settings::resolve(&req.config), &e))?;
        Some(JamfData::new(client))
    }

    fn resources(&self) -> Vec<Arc<dyn DynResource<JamfData>>> {
        vec![
            Arc::new(super::api_role::ApiRoleResource),
            Arc::new(super::api_client::ApiClientResource),
            Arc::new(super::client_secret::ClientSecretResource),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DynDataSource<JamfData>>> {
        vec![
            Arc::new(super::data_sources::PrivilegesDataSource),
            Arc::new(super::data_sources::ApiRoleDataSource),
            Arc::new(super::data_sources::ApiClientDataSource),
            Arc::new(super::inventory::ApiRolesDataSource),
            Arc::new(super::inventory::ApiClientsDataSource),
            Arc::new(super::server::ServerDataSource),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_consistent() {
        JamfProvider::schema().block.check().unwrap();
    }

    #[test]
    fn missing_settings_name_the_attribute_and_env_var() {
        let mut d = Diagnostics::new();
        let cfg = JamfProviderConfig {
            url: Attr::Known("https://x.jamfcloud.com".into()),
            client_id: Attr::Known("id".into()),
            ..Default::default()
        };
        // No env var can be relied on in tests: only run the assertion when the secret is unset.
        if std::env::var("JAMF_CLIENT_SECRET").is_err() && std::env::var("JAMFPRO_CLIENT_SECRET").is_err() {
            assert!(client_config(&cfg, &mut d).is_none());
            let e = &d[0];
            assert_eq!(e.path.as_ref().unwrap().to_string(), "client_secret");
            assert!(e.detail.contains("JAMF_CLIENT_SECRET"), "{}", e.detail);
        }
    }

    #[test]
    fn unknown_settings_defer_without_error() {
        let mut d = Diagnostics::new();
        let cfg = JamfProviderConfig { url: Attr::Unknown, ..Default::default() };
        assert!(client_config(&cfg, &mut d).is_none());
        assert!(d.is_empty());
    }

    fn env_url(value: &str) -> Setting {
        Setting::Set { value: value.into(), source: crate::framework::env::Source::Env("JAMF_URL") }
    }

    #[test]
    fn a_url_with_an_api_path_names_the_variable_and_the_url_to_set() {
        let d = url_error(
            &env_url("https://x.jamfcloud.com/api"),
            Some("https://x.jamfcloud.com/api/"),
            "it serves no OAuth token endpoint (/api/v1/oauth/token and /api/oauth/token answered 404), so it is \
             not the address of a Jamf Pro server",
        );
        assert_eq!(d.summary, "Invalid Jamf Pro URL");
        assert!(
            d.detail.starts_with(
                "The Jamf Pro URL \"https://x.jamfcloud.com/api/\" set by the JAMF_URL environment variable is not \
                 usable: it serves no OAuth token endpoint"
            ),
            "{}",
            d.detail
        );
        assert!(
            d.detail.contains("\n\nSet JAMF_URL to https://x.jamfcloud.com, the server's own address"),
            "{}",
            d.detail
        );
        assert!(!d.detail.contains(";") && !d.detail.contains("?"), "clean punctuation: {}", d.detail);
        assert!(d.path.is_none(), "a value from the environment has no line to point at");
    }

    #[test]
    fn url_fixes_are_mechanical_only() {
        let fix = |s| url_fix(s).map(|(u, _)| u);
        assert_eq!(fix("https://x.jamfcloud.com/api/").as_deref(), Some("https://x.jamfcloud.com"));
        assert_eq!(fix("https://h:8443/jamf/JSSResource/computers").as_deref(), Some("https://h:8443/jamf"));
        assert_eq!(fix("http://jamf.example.com/uapi").as_deref(), Some("https://jamf.example.com"));
        assert_eq!(fix("http://jamf.example.com").as_deref(), Some("https://jamf.example.com"));
        assert_eq!(fix("https://jamf.example.com/jamf/"), None);
        assert_eq!(fix("https://u:p@h/api"), None);
    }

    #[test]
    fn an_invalid_url_in_the_block_names_the_attribute() {
        let d = url_error(
            &Setting::Set { value: "http://jamf.example.com".into(), source: crate::framework::env::Source::Config },
            Some("http://jamf.example.com"),
            "it uses http:// to a host that is not a loopback address",
        );
        assert!(d.detail.contains("set by `url` is not usable"), "{}", d.detail);
        assert!(d.detail.contains("Set `url` to https://jamf.example.com."), "{}", d.detail);
        assert_eq!(d.path.unwrap().to_string(), "url");
    }

    #[test]
    fn conflicting_credentials_are_refused() {
        let mut d = Diagnostics::new();
        let cfg = JamfProviderConfig {
            url: Attr::Known("https://x.jamfcloud.com".into()),
            client_id: Attr::Known("id".into()),
            client_secret: Attr::Known("s".into()),
            username: Attr::Known("u".into()),
            password: Attr::Known("p".into()),
            ..Default::default()
        };
        assert!(client_config(&cfg, &mut d).is_none());
        assert_eq!(d[0].summary, "Conflicting credentials");
    }
}
