//! Small helpers shared by both vendor simulators: clock, random material, body and query handling.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use rand::Rng;

/// Largest request body the simulator accepts (both vendors and the control surface).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Wall-clock milliseconds since the Unix epoch. Expiry times are stored this way so that they survive a
/// save/load of the state file.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())] as char).collect()
}

/// A URL-safe random string (the alphabet of Jamf client secrets).
pub fn random_url_safe(len: usize) -> String {
    random_from(URL_SAFE, len)
}

/// A random alphanumeric string.
pub fn random_alnum(len: usize) -> String {
    random_from(ALNUM, len)
}

/// A random string of decimal digits, not starting with 0.
pub fn random_digits(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|i| {
            let lo = if i == 0 { 1 } else { 0 };
            char::from(b'0' + rng.random_range(lo..10u8))
        })
        .collect()
}

/// A random password that satisfies the MaaS360 portal rule (≥ 8 characters, a letter, a digit, a special
/// character), so generated credentials also work where that rule is enforced.
pub fn random_password() -> String {
    const SPECIAL: &[u8] = b"!#%*+-_=";
    let mut rng = rand::rng();
    let mut p = random_alnum(16);
    p.push(char::from(b'a' + rng.random_range(0..26u8)));
    p.push(char::from(b'0' + rng.random_range(0..10u8)));
    p.push(SPECIAL[rng.random_range(0..SPECIAL.len())] as char);
    p
}

/// The media type of a request without parameters, lower-cased (`application/json; charset=utf-8` →
/// `application/json`).
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
}

/// Turns the outcome of the `Bytes` extractor into bytes or a status + reason, so that each vendor can wrap
/// the failure in its own error shape (a too-large body is 413, anything else unreadable is 400).
pub fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, (StatusCode, String)> {
    body.map_err(|rej| {
        let status = rej.status();
        let status = if status == StatusCode::PAYLOAD_TOO_LARGE { status } else { StatusCode::BAD_REQUEST };
        (status, rej.body_text())
    })
}

/// The value of `key` among query pairs; when a key repeats, the last one wins (as in `parse_form`).
pub fn query_param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// For patch bodies: tells a field left out (`None`, through `#[serde(default)]`) from a field set to `null`
/// (`Some(None)`).
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// Parses an `application/x-www-form-urlencoded` body; the last occurrence of a key wins.
pub fn parse_form(body: &[u8]) -> std::collections::HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_password_meets_rule() {
        for _ in 0..50 {
            let p = random_password();
            assert!(p.len() >= 8);
            assert!(p.chars().any(|c| c.is_ascii_alphabetic()));
            assert!(p.chars().any(|c| c.is_ascii_digit()));
            assert!(p.chars().any(|c| !c.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn random_material_shapes() {
        let s = random_url_safe(64);
        assert_eq!(s.len(), 64);
        assert!(s.bytes().all(|b| URL_SAFE.contains(&b)));
        let d = random_digits(8);
        assert_eq!(d.len(), 8);
        assert!(!d.starts_with('0'));
        assert!(d.bytes().all(|b| b.is_ascii_digit()));
    }
}
