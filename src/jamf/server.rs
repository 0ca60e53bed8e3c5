//! `data "jamf_server"`: the Jamf Pro server the provider is configured with, so that the URL a
//! vendor is handed comes from the one place that already holds it (`url` or `JAMF_URL`) instead
//! of being typed a second time.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::framework::{Attr, Attribute, DataSource, Diagnostics, Schema};

use super::cache::JamfData;

/// `data "jamf_server"`.
pub struct ServerDataSource;

/// The values of `data "jamf_server"`.
#[derive(Serialize, Deserialize, Default)]
pub struct ServerModel {
    /// The Jamf Pro URL the provider uses, without a trailing slash.
    pub url: Attr<String>,
}

/// The URL a vendor is handed: the provider's normalised base URL without its trailing slash
/// (`https://h/jamf/` becomes `https://h/jamf`).
pub fn handed_url(base: &url::Url) -> String {
    base.as_str().trim_end_matches('/').to_owned()
}

#[async_trait]
impl DataSource for ServerDataSource {
    type Data = JamfData;
    type Model = ServerModel;

    fn type_name(&self) -> &'static str {
        "jamf_server"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "The Jamf Pro server the provider is configured with. Use its `url` in the outputs that hand an \
             integration its credentials, so the URL is set once (in the provider block or `JAMF_URL`). Makes no \
             request.",
        )
        .attribute(Attribute::string("url").computed().description(
            "The Jamf Pro URL the provider uses (from `url` or the `JAMF_URL` environment variable), without a \
             trailing slash, e.g. `https://yourcompany.jamfcloud.com`.",
        ))
    }

    async fn read(&self, data: &JamfData, _config: ServerModel, _diags: &mut Diagnostics) -> Option<ServerModel> {
        Some(ServerModel { url: Attr::Known(handed_url(data.client.base_url())) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_consistent() {
        ServerDataSource.schema().block.check().unwrap();
    }

    #[test]
    fn the_url_is_handed_without_its_trailing_slash() {
        for (base, want) in [
            ("https://x.jamfcloud.com/", "https://x.jamfcloud.com"),
            ("https://jamf.example.com:8443/jamf/", "https://jamf.example.com:8443/jamf"),
            ("http://127.0.0.1:9000/", "http://127.0.0.1:9000"),
        ] {
            assert_eq!(handed_url(&url::Url::parse(base).unwrap()), want);
        }
    }
}
