//! MaaS360's rate-limit headers (maas360-api.md §4): every answer carries
//! `X-Rate-Limit-Remaining`, and once it reaches 0, `X-Rate-Limit-ResetWindow` says how many
//! seconds until the budget resets. The client hands [`budget_reset`] to the REST engine, which
//! then holds further requests until the reset.

use std::time::Duration;

use reqwest::header::HeaderMap;

/// Seconds until the request budget resets, once `X-Rate-Limit-Remaining` is 0; `None` while
/// requests remain or when the headers are absent or unreadable.
pub fn budget_reset(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let remaining = header("x-rate-limit-remaining")?.trim().parse::<i64>().ok()?;
    if remaining > 0 {
        return None;
    }
    let window = header("x-rate-limit-resetwindow")?.trim();
    // Clamped to an hour (`server_seconds`): `1e20` would panic in `Duration::from_secs_f64`.
    crate::rest::retry::server_seconds(window.parse::<f64>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::retry::server_requested_delay;
    use reqwest::header::HeaderValue;
    use std::time::SystemTime;

    #[test]
    fn rate_limit_headers_only_when_exhausted() {
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-remaining", HeaderValue::from_static("3"));
        h.insert("x-rate-limit-resetwindow", HeaderValue::from_static("7"));
        assert_eq!(budget_reset(&h), None);
        h.insert("x-rate-limit-remaining", HeaderValue::from_static("0"));
        assert_eq!(budget_reset(&h), Some(Duration::from_secs(7)));
        let now = SystemTime::now();
        assert_eq!(server_requested_delay(&h, Some(budget_reset), now), Some(Duration::from_secs(7)));
        assert_eq!(server_requested_delay(&h, None, now), None);
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(server_requested_delay(&h, Some(budget_reset), now), Some(Duration::from_secs(2)));
    }

    #[test]
    fn unreadable_windows_are_ignored() {
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-remaining", HeaderValue::from_static("0"));
        assert_eq!(budget_reset(&h), None, "no window");
        for bad in ["soon", "-1", "NaN", "inf"] {
            h.insert("x-rate-limit-resetwindow", HeaderValue::from_static(bad));
            assert_eq!(budget_reset(&h), None, "{bad}");
        }
    }

    #[test]
    fn a_huge_window_is_clamped_not_a_panic() {
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-remaining", HeaderValue::from_static("0"));
        for huge in ["1e20", "1.7976931348623157e308", "18446744073709551616"] {
            h.insert("x-rate-limit-resetwindow", HeaderValue::from_str(huge).unwrap());
            assert_eq!(budget_reset(&h), Some(crate::rest::retry::MAX_SERVER_WAIT), "{huge}");
        }
    }
}
