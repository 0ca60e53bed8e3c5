//! Reading MaaS360 bodies, which may be JSON or XML (the format follows `Accept`, and the JSON is a
//! conversion of XML: numbers as strings, `""` for empty, one-element lists as objects).
//!
//! XML is flattened into a JSON object of leaf elements (`<a><b>1</b></a>` → `{"b": "1"}`), which
//! is all the auth and provisioning answers need; lists (audit pages) are requested as JSON.

use quick_xml::events::Event;
use serde_json::{Map, Value};

use crate::rest::lenient;

/// Parses a body as JSON or XML (by content type, then by sniffing). `None` if neither parses.
pub fn parse_body(content_type: Option<&str>, body: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(body).ok()?;
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let xml = ct.contains("xml") || text.trim_start().starts_with('<');
    if xml { xml_leaves(text).map(Value::Object) } else { serde_json::from_str(text).ok() }
}

/// The text of every leaf element, by local name; the first occurrence wins.
fn xml_leaves(text: &str) -> Option<Map<String, Value>> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut out = Map::new();
    // (name, text so far, has child elements)
    let mut stack: Vec<(String, String, bool)> = Vec::new();
    let mut saw_element = false;
    // Bounded by the input: each event consumes input and Eof ends the loop.
    loop {
        match reader.read_event().ok()? {
            Event::Eof => break,
            Event::Start(e) => {
                saw_element = true;
                if let Some(parent) = stack.last_mut() {
                    parent.2 = true;
                }
                let name = String::from_utf8(e.local_name().as_ref().to_vec()).ok()?;
                stack.push((name, String::new(), false));
            }
            Event::Empty(e) => {
                saw_element = true;
                if let Some(parent) = stack.last_mut() {
                    parent.2 = true;
                }
                let name = String::from_utf8(e.local_name().as_ref().to_vec()).ok()?;
                out.entry(name).or_insert_with(|| Value::String(String::new()));
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.1.push_str(&t.decode().ok()?);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.1.push_str(&t.decode().ok()?);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = if let Some(c) = r.resolve_char_ref().ok()? {
                    c.to_string()
                } else {
                    let name = r.decode().ok()?;
                    quick_xml::escape::resolve_predefined_entity(&name)?.to_owned()
                };
                if let Some(top) = stack.last_mut() {
                    top.1.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let (name, text, has_children) = stack.pop()?;
                if !has_children {
                    out.entry(name).or_insert_with(|| Value::String(text.trim().to_owned()));
                }
            }
            _ => {}
        }
    }
    (saw_element && stack.is_empty()).then_some(out)
}

/// A field at the root or inside one wrapper object (`{"authResponse": {"authToken": …}}`).
pub fn find<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    if let Some(found) = v.get(name) {
        return Some(found);
    }
    v.as_object()?.values().find_map(|child| child.get(name))
}

/// The `(errorCode, errorDesc)` a body carries, if any. A code of `0` counts as no error.
pub fn error_info(v: &Value) -> (Option<i64>, Option<String>) {
    let code = find(v, "errorCode").and_then(lenient::i64).filter(|c| *c != 0);
    let description = ["errorDesc", "errorDescription", "errorMessage", "description"]
        .iter()
        .find_map(|k| find(v, k).and_then(lenient::non_empty_string));
    (code, description)
}

/// Whether a body says the auth token is bad: error code 1009, or "Token expired." / "Token
/// invalid" in the description.
pub fn says_token_rejected(v: &Value) -> bool {
    let (code, description) = error_info(v);
    if code == Some(1009) {
        return true;
    }
    description.is_some_and(|d| {
        let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
        d == "token expired" || d == "token invalid"
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn xml_is_flattened_to_leaves() {
        let v = parse_body(
            Some("application/xml"),
            b"<?xml version=\"1.0\"?><authResponse><authToken>a&amp;b<![CDATA[c]]></authToken>\
              <errorCode>0</errorCode><errorDesc/></authResponse>",
        )
        .unwrap();
        assert_eq!(v, json!({"authToken": "a&bc", "errorCode": "0", "errorDesc": ""}));
        assert!(parse_body(Some("application/xml"), b"<a><b>").is_none());
        assert!(parse_body(None, b"not anything").is_none());
    }

    #[test]
    fn json_is_parsed_and_fields_found_one_level_down() {
        let v = parse_body(
            None,
            br#"{"authResponse":{"authToken":"t","errorCode":"1002","errorDesc":"Invalid credentials"}}"#,
        )
        .unwrap();
        assert_eq!(find(&v, "authToken"), Some(&json!("t")));
        assert_eq!(error_info(&v), (Some(1002), Some("Invalid credentials".into())));
        assert_eq!(error_info(&json!({"x": {"errorCode": 0}})), (None, None));
    }

    #[test]
    fn token_rejection_is_recognised() {
        assert!(says_token_rejected(&json!({"devices": {"errorCode": 1009, "errorDesc": "Token invalid"}})));
        assert!(says_token_rejected(&json!({"r": {"errorCode": "7", "errorDesc": "Token expired."}})));
        assert!(says_token_rejected(&json!({"errorDesc": "token invalid"})));
        assert!(!says_token_rejected(&json!({"r": {"errorCode": 1002, "errorDesc": "Invalid credentials"}})));
        assert!(!says_token_rejected(&json!({"adminChanges": {"count": 0}})));
    }
}
