//! Base-URL validation and URL building shared by both clients.

use url::Url;

/// Why a base URL was refused. The vendor client wraps it in its own error with an example of a
/// valid URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrlProblem {
    /// What is wrong, lowercase, e.g. "it has no scheme".
    pub reason: String,
    /// The input, safe to show (`None` if it might hold credentials).
    pub shown: Option<String>,
}

/// Validates a server base URL and normalises it so that its path ends in `/`.
///
/// Accepted: `https` with a host, an optional port and an optional path prefix
/// (`https://host/prefix`), and `http` for a loopback host only (`127.0.0.0/8`, `::1`,
/// `localhost`: a local simulator or proxy). Refused: `http` for any other host (the provider's
/// credentials would cross the network in clear text), no scheme (`tenant.example.com`), another
/// scheme, no host, user info (credentials do not belong in a URL and would end up in logs), a
/// query or a fragment.
pub fn parse_base_url(input: &str) -> Result<Url, BaseUrlProblem> {
    let trimmed = input.trim();
    // An '@' may be user info with a password: never echo such input.
    let shown = (!trimmed.contains('@')).then(|| trimmed.to_owned());
    let problem = |reason: &str| BaseUrlProblem { reason: reason.to_owned(), shown: shown.clone() };
    if trimmed.is_empty() {
        return Err(problem("it is empty"));
    }
    if !trimmed.contains("://") {
        return Err(problem("it has no scheme (http:// or https://)"));
    }
    let mut url = Url::parse(trimmed).map_err(|e| problem(&format!("it does not parse ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(problem(&format!("it uses the scheme {}, and only http and https are supported", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(problem("it has no host"));
    }
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(problem(
            "it uses http:// to a host that is not a loopback address, and http:// is accepted only for a loopback \
             address (127.0.0.1, ::1 or localhost) because the provider's credentials would otherwise cross the \
             network unencrypted",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(BaseUrlProblem {
            reason: "it contains user info, and credentials belong in the provider settings, never in a URL".into(),
            shown: None,
        });
    }
    if url.query().is_some() {
        return Err(problem("it has a query string"));
    }
    if url.fragment().is_some() {
        return Err(problem("it has a fragment"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// The URL to set instead of a refused one, when the fix is mechanical: `https://` for a bare
/// host name (`tenant.jamfcloud.com`) or for `http://` to a host that is not a loopback address.
/// `None` when there is no obvious fix, or the input may hold credentials (it is never echoed).
pub fn suggest_https(input: &str) -> Option<String> {
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed.contains('@') || parse_base_url(trimmed).is_ok() {
        return None;
    }
    let candidate = match trimmed.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => format!("https://{rest}"),
        Some(_) => return None,
        None => format!("https://{trimmed}"),
    };
    let url = parse_base_url(&candidate).ok()?;
    Some(url.as_str().trim_end_matches('/').to_owned())
}

/// Whether the URL's host is a loopback address: `127.0.0.0/8`, `::1` or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `base` (path ending in `/`) plus path segments, each percent-encoded as one segment (so an id
/// such as `../x` cannot change the path).
pub fn join_segments(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    {
        // parse_base_url only returns URLs that can have path segments.
        let mut path = url.path_segments_mut().expect("http(s) base url");
        path.pop_if_empty();
        path.extend(segments);
    }
    url
}

/// Sets the query from ordered pairs, percent-encoding every byte outside RFC 3986's unreserved
/// set (so a space is `%20`, never `+`, which some servers would keep literally).
pub fn set_query(url: &mut Url, pairs: &[(&str, &str)]) {
    if pairs.is_empty() {
        url.set_query(None);
        return;
    }
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&");
    url.set_query(Some(&query));
}

/// Percent-encodes everything but `A-Z a-z 0-9 - . _ ~`.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms_are_normalised() {
        for (input, want) in [
            ("https://tenant.jamfcloud.com", "https://tenant.jamfcloud.com/"),
            ("https://tenant.jamfcloud.com/", "https://tenant.jamfcloud.com/"),
            ("https://host:8443", "https://host:8443/"),
            ("https://host/jamf", "https://host/jamf/"),
            ("https://host/jamf/", "https://host/jamf/"),
            ("  http://127.0.0.1:9000 ", "http://127.0.0.1:9000/"),
            ("http://127.8.9.10:1/x", "http://127.8.9.10:1/x/"),
            ("http://[::1]:9000", "http://[::1]:9000/"),
            ("http://localhost:9000", "http://localhost:9000/"),
            ("http://LOCALHOST", "http://localhost/"),
        ] {
            assert_eq!(parse_base_url(input).unwrap().as_str(), want, "{input}");
        }
    }

    #[test]
    fn refused_forms_say_why() {
        for (input, reason) in [
            ("tenant.jamfcloud.com", "no scheme"),
            ("host:8443", "no scheme"),
            ("", "empty"),
            ("ftp://host", "only http and https"),
            ("https://host/?a=b", "query"),
            ("https://host/#x", "fragment"),
            ("https://", "does not parse"),
            ("https://exa mple.com", "does not parse"),
            ("http://tenant.jamfcloud.com", "only for a loopback address"),
            ("http://10.0.0.1:8080", "only for a loopback address"),
            ("http://128.0.0.1", "only for a loopback address"),
            ("http://[::2]", "only for a loopback address"),
            ("http://localhost.example.com", "only for a loopback address"),
            ("http://0.0.0.0:80", "only for a loopback address"),
        ] {
            let p = parse_base_url(input).unwrap_err();
            assert!(p.reason.contains(reason), "{input}: {}", p.reason);
        }
        let p = parse_base_url("https://admin:hunter2@host").unwrap_err();
        assert!(p.reason.contains("user info"));
        assert_eq!(p.shown, None);
    }

    #[test]
    fn mechanical_fixes_are_suggested() {
        assert_eq!(suggest_https("http://jamf.example.com").as_deref(), Some("https://jamf.example.com"));
        assert_eq!(suggest_https("tenant.jamfcloud.com").as_deref(), Some("https://tenant.jamfcloud.com"));
        assert_eq!(suggest_https("HTTP://h:8443/jamf/").as_deref(), Some("https://h:8443/jamf"));
        assert_eq!(suggest_https("ftp://h"), None);
        assert_eq!(suggest_https("http://127.0.0.1:9000"), None, "accepted as it is");
        assert_eq!(suggest_https("https://h"), None);
        assert_eq!(suggest_https("http://u:p@h"), None);
        assert_eq!(suggest_https("https://h/?q=1"), None);
    }

    #[test]
    fn segments_are_encoded_and_prefix_kept() {
        let base = parse_base_url("https://host/jamf").unwrap();
        assert_eq!(
            join_segments(&base, &["api", "v1", "api-roles", "7"]).as_str(),
            "https://host/jamf/api/v1/api-roles/7"
        );
        assert_eq!(
            join_segments(&base, &["api", "v1", "api-roles", "../x y"]).as_str(),
            "https://host/jamf/api/v1/api-roles/..%2Fx%20y"
        );
        let root = parse_base_url("http://127.0.0.1:1").unwrap();
        assert_eq!(join_segments(&root, &["api"]).as_str(), "http://127.0.0.1:1/api");
    }

    #[test]
    fn query_uses_percent_twenty() {
        let mut u = Url::parse("http://h/p").unwrap();
        set_query(&mut u, &[("page-size", "100"), ("filter", r#"displayName=="a b*""#)]);
        assert_eq!(u.query(), Some("page-size=100&filter=displayName%3D%3D%22a%20b%2A%22"));
        set_query(&mut u, &[]);
        assert_eq!(u.query(), None);
    }
}
