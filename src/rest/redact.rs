//! Redaction of secrets in bodies and headers before they reach a log line.
//!
//! Bodies are logged only at `TRACE`, and only after passing through [`redact_body`]. The rule is
//! deliberately broad: any JSON key, form field, XML element or XML attribute whose name, once
//! lower-cased and stripped of `_`/`-`, ends in `password`, `secret`, `token`, `accesskey`,
//! `apikey`, `authorization` or `cookie` has its value replaced by [`REDACTED`]. That covers
//! `client_secret`, `clientSecret`, `access_token`, `token`, `password`, `refreshToken`,
//! `authToken` and `appAccessKey`, and it errs on the side of hiding harmless values (`csrfToken`).
//! A body that claims to be JSON, a form or XML but does not parse is withheld entirely: a
//! truncated document could still carry a secret the parser never reached.

use quick_xml::events::{BytesStart, BytesText, Event};
use reqwest::header::HeaderMap;

/// What replaces a secret value in logs.
pub const REDACTED: &str = "[redacted]";

/// Bodies longer than this are cut in logs (after redaction), so a large list does not flood them.
const MAX_LOGGED_CHARS: usize = 4096;

const SENSITIVE_SUFFIXES: &[&str] = &["password", "secret", "token", "accesskey", "apikey", "authorization", "cookie"];

/// True when a field, key or header with this name holds a secret.
pub fn is_sensitive_key(name: &str) -> bool {
    let norm: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    SENSITIVE_SUFFIXES.iter().any(|s| norm.ends_with(s))
}

/// A loggable rendering of `body`, with every secret replaced by [`REDACTED`].
///
/// The format is chosen from `content_type`, falling back to sniffing the first byte, because
/// some servers label JSON as `text/plain` or omit the header.
pub fn redact_body(content_type: Option<&str>, body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return format!("<{} bytes, not utf-8, withheld>", body.len());
    };
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let first = text.trim_start().chars().next();
    let looks_json = matches!(first, Some('{' | '['));
    let rendered = if ct.contains("json") || ((ct.is_empty() || ct.contains("text")) && looks_json) {
        redact_json_text(text).unwrap_or_else(|| withheld(body.len(), "json"))
    } else if ct.contains("x-www-form-urlencoded") {
        redact_form(text)
    } else if ct.contains("xml") || first == Some('<') {
        redact_xml(text).unwrap_or_else(|| withheld(body.len(), "xml"))
    } else {
        text.to_owned()
    };
    truncate(rendered)
}

fn withheld(len: usize, what: &str) -> String {
    format!("<{len} bytes of unparseable {what}, withheld>")
}

fn truncate(mut s: String) -> String {
    if s.chars().count() > MAX_LOGGED_CHARS {
        let cut: String = s.chars().take(MAX_LOGGED_CHARS).collect();
        s = format!("{cut}… (truncated)");
    }
    s
}

/// Redacts a JSON document; `None` if it does not parse.
pub fn redact_json_text(text: &str) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_str(text).ok()?;
    redact_json(&mut value);
    Some(value.to_string())
}

/// Replaces, in place, the value of every sensitive key at any depth.
pub fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_sensitive_key(k) {
                    *v = serde_json::Value::String(REDACTED.to_owned());
                } else {
                    redact_json(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// Redacts an `application/x-www-form-urlencoded` body (also usable for a query string).
pub fn redact_form(text: &str) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
        if is_sensitive_key(&k) {
            out.append_pair(&k, REDACTED);
        } else {
            out.append_pair(&k, &v);
        }
    }
    out.finish()
}

/// Redacts an XML document: the text of sensitive elements and the value of sensitive attributes.
/// `None` if it does not parse.
pub fn redact_xml(text: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut writer = quick_xml::Writer::new(Vec::new());
    // Depth inside a sensitive element; everything under it is replaced by one marker.
    let mut secret_depth = 0usize;
    let mut marker_written = false;
    // Bounded by the input: every event consumes input, and Eof ends the loop.
    loop {
        let event = reader.read_event().ok()?;
        match event {
            Event::Eof => break,
            Event::Start(e) => {
                if secret_depth > 0 {
                    secret_depth += 1;
                    continue;
                }
                if is_sensitive_key(&String::from_utf8_lossy(e.local_name().as_ref())) {
                    secret_depth = 1;
                    marker_written = false;
                }
                writer.write_event(Event::Start(redact_attributes(&e)?)).ok()?;
            }
            Event::Empty(e) => {
                if secret_depth == 0 {
                    writer.write_event(Event::Empty(redact_attributes(&e)?)).ok()?;
                }
            }
            Event::End(e) => {
                if secret_depth > 1 {
                    secret_depth -= 1;
                    continue;
                }
                if secret_depth == 1 {
                    secret_depth = 0;
                    if !marker_written {
                        writer.write_event(Event::Text(BytesText::new(REDACTED))).ok()?;
                    }
                }
                writer.write_event(Event::End(e)).ok()?;
            }
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) if secret_depth > 0 => {
                if !marker_written {
                    writer.write_event(Event::Text(BytesText::new(REDACTED))).ok()?;
                    marker_written = true;
                }
            }
            other => {
                if secret_depth == 0 {
                    writer.write_event(other).ok()?;
                }
            }
        }
    }
    if secret_depth != 0 {
        return None;
    }
    String::from_utf8(writer.into_inner()).ok()
}

fn redact_attributes(e: &BytesStart<'_>) -> Option<BytesStart<'static>> {
    let name = String::from_utf8(e.name().as_ref().to_vec()).ok()?;
    let mut out = BytesStart::new(name);
    for attr in e.attributes() {
        let attr = attr.ok()?;
        let key = String::from_utf8(attr.key.as_ref().to_vec()).ok()?;
        if is_sensitive_key(&key) {
            out.push_attribute((key.as_str(), REDACTED));
        } else {
            let value = attr.unescape_value().ok()?;
            out.push_attribute((key.as_str(), value.as_ref()));
        }
    }
    Some(out)
}

/// A loggable rendering of headers. Sensitive headers keep their auth scheme (`Bearer`, `Basic`,
/// or a vendor's own) so a reader can tell which credential was used, but never the credential.
pub fn redact_headers(headers: &HeaderMap) -> String {
    let mut parts = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let shown = if is_sensitive_key(name.as_str()) || value.is_sensitive() {
            match value.to_str().ok().and_then(|v| v.split_whitespace().next()) {
                Some(scheme) if value.to_str().is_ok_and(|v| v.contains(' ')) && !scheme.contains('=') => {
                    format!("{scheme} {REDACTED}")
                }
                _ => REDACTED.to_owned(),
            }
        } else {
            value.to_str().unwrap_or("<binary>").to_owned()
        };
        parts.push(format!("{}: {}", name.as_str(), shown));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn sensitive_key_names() {
        for k in [
            "client_secret",
            "clientSecret",
            "access_token",
            "token",
            "password",
            "refreshToken",
            "authToken",
            "appAccessKey",
            "Authorization",
            "x-api-key",
            "Cookie",
        ] {
            assert!(is_sensitive_key(k), "{k} should be sensitive");
        }
        for k in ["client_id", "token_type", "expires_in", "userName", "displayName", "scope", "errorCode"] {
            assert!(!is_sensitive_key(k), "{k} should not be sensitive");
        }
    }

    #[test]
    fn json_secrets_are_replaced_at_any_depth() {
        let body = br#"{"access_token":"eyJhbGc","token_type":"Bearer","expires_in":299,
            "nested":{"authRequest":{"maaS360AdminAuth":{"password":"hunter2","appAccessKey":"K3y","userName":"bob"}}},
            "list":[{"clientSecret":"s3cr3t","clientId":"abc"}]}"#;
        let out = redact_body(Some("application/json"), body);
        for secret in ["eyJhbGc", "hunter2", "K3y", "s3cr3t"] {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        for kept in ["Bearer", "bob", "abc", "299"] {
            assert!(out.contains(kept), "{kept} missing: {out}");
        }
        assert!(out.contains(REDACTED));
    }

    #[test]
    fn json_is_sniffed_without_content_type() {
        let out = redact_body(None, br#"{"authResponse":{"authToken":"tok-123","errorCode":0}}"#);
        assert!(!out.contains("tok-123"));
        assert!(out.contains("errorCode"));
    }

    #[test]
    fn unparseable_json_is_withheld() {
        let out = redact_body(Some("application/json"), br#"{"password":"hunter2""#);
        assert!(!out.contains("hunter2"));
        assert!(out.contains("withheld"));
    }

    #[test]
    fn form_secrets_are_replaced() {
        let out = redact_body(
            Some("application/x-www-form-urlencoded"),
            b"grant_type=client_credentials&client_id=abc&client_secret=s%26cret",
        );
        assert!(!out.contains("s%26cret") && !out.contains("s&cret"), "{out}");
        assert!(out.contains("client_id=abc"));
        assert!(out.contains("grant_type=client_credentials"));
        assert!(out.contains("client_secret=%5Bredacted%5D"));
    }

    #[test]
    fn xml_secrets_are_replaced() {
        let body = b"<authRequest><maaS360AdminAuth><billingID>123</billingID>\
            <appAccessKey>K3y</appAccessKey><userName>bob</userName>\
            <password>a&amp;b<![CDATA[c]]></password></maaS360AdminAuth></authRequest>";
        let out = redact_body(Some("application/xml"), body);
        assert!(!out.contains("K3y") && !out.contains("a&amp;b") && !out.contains("CDATA"), "{out}");
        assert!(out.contains("<billingID>123</billingID>"));
        assert!(out.contains("<password>[redacted]</password>"), "{out}");
        assert!(out.contains("<appAccessKey>[redacted]</appAccessKey>"), "{out}");
    }

    #[test]
    fn xml_sensitive_attributes_and_nested_elements() {
        let out = redact_body(None, br#"<a token="t0k" id="1"><password><x>p</x></password></a>"#);
        assert!(!out.contains("t0k") && !out.contains(">p<"), "{out}");
        assert!(out.contains(r#"id="1""#));
    }

    #[test]
    fn broken_xml_is_withheld() {
        let out = redact_body(Some("application/xml"), b"<password>hunter2");
        assert!(!out.contains("hunter2"), "{out}");
    }

    #[test]
    fn plain_text_passes_and_long_bodies_are_cut() {
        assert_eq!(redact_body(Some("text/html"), b"<<oops"), withheld(6, "xml"));
        assert_eq!(redact_body(Some("text/plain"), b"Service Unavailable"), "Service Unavailable");
        let long = "x".repeat(MAX_LOGGED_CHARS + 10);
        assert!(redact_body(Some("text/plain"), long.as_bytes()).ends_with("(truncated)"));
    }

    #[test]
    fn headers_keep_scheme_only() {
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Bearer eyJhbGc"));
        h.insert("content-type", HeaderValue::from_static("application/json"));
        let out = redact_headers(&h);
        assert!(!out.contains("eyJhbGc"));
        assert!(out.contains("authorization: Bearer [redacted]"));
        assert!(out.contains("content-type: application/json"));

        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("MaaS token=\"abc\""));
        let out = redact_headers(&h);
        assert_eq!(out, "authorization: MaaS [redacted]");

        let mut h = HeaderMap::new();
        let mut v = HeaderValue::from_static("opaque");
        v.set_sensitive(true);
        h.insert("x-thing", v);
        assert_eq!(redact_headers(&h), "x-thing: [redacted]");
    }
}
