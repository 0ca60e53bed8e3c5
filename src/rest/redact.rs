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

use std::sync::{Arc, RwLock};

use quick_xml::events::{BytesStart, BytesText, Event};
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

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
        // Fail closed: a format we cannot take apart may carry a secret anywhere.
        return unknown_format(body.len(), content_type);
    };
    truncate(rendered)
}

/// What stands for a body of a format redaction cannot parse: its length and content type only.
fn unknown_format(len: usize, content_type: Option<&str>) -> String {
    // The content type is the server's text too: keep it short and printable.
    let ct: String = content_type
        .unwrap_or("no content type")
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(80)
        .collect();
    format!("<{len} bytes of {ct}, withheld>")
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

/// Every secret a client knows (its own credentials, the tokens it was issued, the secrets it
/// minted), for scrubbing text a server wrote (an error description, an error body) before it
/// reaches a log line or a diagnostic: a server may echo what it was sent. Cheap to clone; all
/// clones share the list. Each secret is also looked for in the encodings a server could echo it
/// in (form/percent encoding, JSON and XML escaping).
#[derive(Clone, Default)]
pub struct KnownSecrets(Arc<RwLock<Vec<SecretString>>>);

impl std::fmt::Debug for KnownSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.read().unwrap_or_else(|p| p.into_inner()).len();
        write!(f, "KnownSecrets({n} forms)")
    }
}

/// Secrets shorter than this are not scrubbed: a one- or two-character value cannot be told from
/// ordinary text, and replacing every occurrence would make every message unreadable.
const MIN_SCRUBBED_LEN: usize = 4;

impl KnownSecrets {
    /// Remembers `secret` (and its encoded forms) for [`scrub`](Self::scrub).
    pub fn add(&self, secret: &str) {
        if secret.chars().count() < MIN_SCRUBBED_LEN {
            return;
        }
        let json = serde_json::to_string(secret).unwrap_or_default();
        let forms = [
            secret.to_owned(),
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>(),
            super::url::encode_component(secret),
            json.trim_matches('"').to_owned(),
            quick_xml::escape::escape(secret).into_owned(),
        ];
        let mut list = self.0.write().unwrap_or_else(|p| p.into_inner());
        for form in forms {
            if !list.iter().any(|s| s.expose_secret() == form) {
                list.push(SecretString::from(form));
            }
        }
        // Longest first, so a secret that contains another is replaced whole.
        list.sort_by_key(|s| std::cmp::Reverse(s.expose_secret().len()));
    }

    /// `text` with every known secret replaced by [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        let list = self.0.read().unwrap_or_else(|p| p.into_inner());
        let mut out = text.to_owned();
        for s in list.iter() {
            if out.contains(s.expose_secret()) {
                out = out.replace(s.expose_secret(), REDACTED);
            }
        }
        out
    }

    /// `body` with every known secret replaced, when it is text; a body that is not UTF-8 is
    /// returned as is if it holds no secret's bytes, and replaced by nothing otherwise.
    pub fn scrub_bytes(&self, body: &[u8]) -> Option<Vec<u8>> {
        let list = self.0.read().unwrap_or_else(|p| p.into_inner());
        let holds = |s: &SecretString| body.windows(s.expose_secret().len()).any(|w| w == s.expose_secret().as_bytes());
        if !list.iter().any(holds) {
            return None;
        }
        drop(list);
        Some(match std::str::from_utf8(body) {
            Ok(text) => self.scrub(text).into_bytes(),
            Err(_) => Vec::new(),
        })
    }
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
        let long = format!("[{}]", "1,".repeat(MAX_LOGGED_CHARS) + "1");
        assert!(redact_body(Some("application/json"), long.as_bytes()).ends_with("(truncated)"));
    }

    #[test]
    fn a_body_of_unknown_format_is_only_its_length_and_type() {
        // Fails closed: text redaction cannot take apart may hold a secret anywhere.
        assert_eq!(
            redact_body(Some("text/plain"), b"Service Unavailable, password=hunter2"),
            "<37 bytes of text/plain, withheld>"
        );
        assert_eq!(redact_body(None, b"token hunter2"), "<13 bytes of no content type, withheld>");
        assert_eq!(
            redact_body(Some("application/octet-stream"), b"hunter2"),
            "<7 bytes of application/octet-stream, withheld>"
        );
        let out = redact_body(
            Some("text/plain\u{7}; x=hunter2hunter2hunter2hunter2hunter2hunter2hunter2hunter2hunter2"),
            b"x",
        );
        assert!(out.len() < 120 && !out.contains('\u{7}'), "{out}");
    }

    #[test]
    fn known_secrets_are_scrubbed_in_every_echoed_form() {
        let k = KnownSecrets::default();
        k.add("s3cr&t \"q\"");
        k.add("ab"); // too short to tell from text: ignored
        for echoed in [
            "invalid client_secret s3cr&t \"q\" given",
            "client_secret=s3cr%26t+%22q%22",
            "s3cr%26t%20%22q%22",
            r#"{"d":"s3cr&t \"q\""}"#,
            "<d>s3cr&amp;t &quot;q&quot;</d>",
        ] {
            let out = k.scrub(echoed);
            assert!(out.contains(REDACTED) && !out.contains("s3cr"), "{echoed} -> {out}");
        }
        assert_eq!(k.scrub("abc ab"), "abc ab");
        assert_eq!(k.scrub_bytes(b"nothing here"), None);
        assert_eq!(k.scrub_bytes(b"x s3cr&t \"q\"").as_deref(), Some(&b"x [redacted]"[..]));
        assert_eq!(k.scrub_bytes(b"\xff s3cr&t \"q\"").as_deref(), Some(&b""[..]), "binary with a secret: dropped");
        assert!(!format!("{k:?}").contains("s3cr"));
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
