//! The secret scan every acceptance test's terraform output and trace log goes through: the
//! secrets the test knows (the providers' credentials, every generated client secret) and, by
//! shape, the credentials nobody hands the test: Jamf bearer tokens (JWTs) and MaaS360 auth and
//! refresh tokens. A finding names what leaked and where, never the value.

use std::sync::OnceLock;

use regex::Regex;

/// Credential shapes that must never appear in a log or an output, whoever issued them.
fn shapes() -> &'static [(&'static str, Regex)] {
    static SHAPES: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    SHAPES.get_or_init(|| {
        [
            // A JWT: what Jamf Pro (and the simulator) issue as access tokens.
            ("a Jamf access token (JWT)", r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
            ("a bearer token", r"(?i)bearer\s+[A-Za-z0-9._~+/-]{16,}"),
            ("a MaaS360 auth token header", r#"MaaS token=\\?"[A-Za-z0-9]{16,}"#),
            ("a MaaS360 auth token", r"authToken\W{1,8}[A-Za-z0-9]{16,}"),
            ("a MaaS360 refresh token", r"(?i)refreshToken\W{1,8}[0-9a-f]{8}-[0-9a-f]{4}-"),
        ]
        .into_iter()
        .map(|(what, re)| (what, Regex::new(re).expect("valid pattern")))
        .collect()
    })
}

/// What leaked into `text`: one line per finding ("a bearer token on line 12"), never the value.
pub fn leaks(text: &str, known: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for (i, s) in known.iter().enumerate() {
            if s.len() >= 8 && line.contains(s.as_str()) {
                out.push(format!("known secret #{i} on line {}", n + 1));
            }
        }
        for (what, re) in shapes() {
            if re.is_match(line) {
                out.push(format!("{what} on line {}", n + 1));
            }
        }
    }
    out
}

/// Panics, naming `what` and each finding, when `text` holds a secret.
#[track_caller]
pub fn assert_clean(text: &str, known: &[String], what: &str) {
    let found = leaks(text, known);
    assert!(found.is_empty(), "{what} contains secrets: {:?}", &found[..found.len().min(20)]);
}

/// Every `client_secret` and `password` value in a terraform state file.
pub fn secrets_in_state(state: &str) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(state) else { return Vec::new() };
    let mut out = Vec::new();
    for r in v["resources"].as_array().into_iter().flatten() {
        for i in r["instances"].as_array().into_iter().flatten() {
            for key in ["client_secret", "password"] {
                if let Some(s) = i["attributes"][key].as_str().filter(|s| !s.is_empty()) {
                    out.push(s.to_string());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_finds_planted_tokens_and_secrets_but_not_redactions() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhYmMiLCJleHAiOjF9.c2lnbmF0dXJlLXJhbmRvbQ";
        let maas = "Q7fZ0a9LmN2bX4cV6dS8eR1tY3uI5oP7aB9cD1eF3gH5iJ7k";
        let planted = [
            format!("2026-01-01T00:00:00Z [TRACE] provider: body: {{\"access_token\":\"{jwt}\"}}"),
            "authorization: Bearer abcdefghijklmnopqrstuvwx".to_string(),
            format!("authorization: MaaS token=\\\"{maas}\\\""),
            format!("<authResponse><authToken>{maas}</authToken></authResponse>"),
            format!("{{\"authResponse\":{{\"authToken\":\"{maas}\",\"errorCode\":0}}}}"),
            "\"refreshToken\": \"0b6f7f2e-1c1d-4f54-9a77-3a4be4b3f001\"".to_string(),
            "client_secret=hunter2-but-longer".to_string(),
        ];
        let known = vec!["hunter2-but-longer".to_string()];
        for line in &planted {
            let found = leaks(line, &known);
            assert!(!found.is_empty(), "missed a planted credential in: {line}");
            assert!(found.iter().all(|f| !f.contains(maas) && !f.contains(jwt)), "findings never repeat the value");
        }
        let clean = "authorization: Bearer [redacted]\nauthorization: MaaS token=\"[redacted]\"\n\
                     {\"authToken\":\"[redacted]\"} client_secret=[redacted] status=200";
        assert_eq!(leaks(clean, &known), Vec::<String>::new());
    }

    #[test]
    fn secrets_are_read_from_a_state_file() {
        let state = r#"{"resources":[{"type":"jamf_client_secret","instances":[{"attributes":
            {"client_secret":"minted-secret-1","password":null}}]}]}"#;
        assert_eq!(secrets_in_state(state), ["minted-secret-1"]);
        assert!(secrets_in_state("not json").is_empty());
    }
}
