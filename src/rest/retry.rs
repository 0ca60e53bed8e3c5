//! Which outcomes are retried, and how long to wait before the next attempt.
//!
//! Retried: transport failures (see [`is_retryable_transport`]), HTTP 5xx, HTTP 429, and, only when
//! the caller asks for it, HTTP 404 within a bounded [`NotFoundWindow`]. Every other status is
//! final at once: a 400 or 403 will not change by asking again, and retrying it only hides the
//! error from the user for the length of a timeout.
//!
//! Delays come from `backon`'s jittered exponential builder. A server-requested delay
//! (`Retry-After`, or the reset window a vendor client reads from its server's own rate-limit
//! headers through [`RateLimitHeaders`]) replaces the computed one, capped by
//! [`RetryPolicy::max_delay`].

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// Retry settings shared by both vendor clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included (1 disables retries). Default 5.
    pub max_attempts: u32,
    /// First backoff delay before jitter. Default 500 ms.
    pub min_delay: Duration,
    /// Longest single wait, also the cap on a server-requested delay. Default 30 s.
    pub max_delay: Duration,
    /// No retry starts if it would end after this much time since the first attempt. Default 120 s.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The jittered exponential delay sequence for one request (factor 2, jitter adds up to 100%).
    pub(crate) fn backoff(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        jittered(self.min_delay, self.max_delay, self.max_attempts.saturating_sub(1))
    }
}

/// A caller-requested, bounded tolerance for HTTP 404: used right after the client created an
/// object, when a clustered server may not have replicated it to the node that answers next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotFoundWindow {
    /// How many 404 answers are tolerated in total (the last one is returned to the caller).
    pub max_attempts: u32,
    /// First delay before jitter.
    pub min_delay: Duration,
    /// Longest single delay.
    pub max_delay: Duration,
    /// Total time budget for waiting out 404s.
    pub max_elapsed: Duration,
}

impl NotFoundWindow {
    pub(crate) fn backoff(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        let max_delay = self.max_delay;
        let budget = self.max_elapsed;
        let mut spent = Duration::ZERO;
        jittered(self.min_delay, self.max_delay, self.max_attempts.saturating_sub(1))
            .map(move |d| d.min(max_delay))
            .take_while(move |d| {
                spent += *d;
                spent <= budget
            })
    }
}

fn jittered(min: Duration, max: Duration, times: u32) -> impl Iterator<Item = Duration> + Send + use<> {
    let max = max.max(min);
    ExponentialBuilder::default()
        .with_min_delay(min)
        .with_max_delay(max)
        .with_factor(2.0)
        .with_max_times(times as usize)
        .with_jitter()
        .build()
        // backon's jitter can push a delay past max_delay; the cap is a promise to the user.
        .map(move |d| d.min(max))
}

/// Why a response is worth another attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryReason {
    /// HTTP 5xx.
    Server,
    /// HTTP 429.
    RateLimited,
    /// HTTP 404 inside a caller-requested window.
    NotFoundLag,
}

/// Classifies a status: `None` means the response is final.
pub fn classify_status(status: StatusCode, not_found_window: bool) -> Option<RetryReason> {
    if status.is_server_error() {
        Some(RetryReason::Server)
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        Some(RetryReason::RateLimited)
    } else if status == StatusCode::NOT_FOUND && not_found_window {
        Some(RetryReason::NotFoundLag)
    } else {
        None
    }
}

/// The broad class of a transport failure, for messages and retry decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// No connection could be made: the request never reached the server.
    Connect,
    /// The per-request timeout elapsed.
    Timeout,
    /// The connection failed while sending the request or reading the answer (e.g. reset).
    Io,
    /// The request could not be built, or the answer was refused (a redirect, a body past the
    /// cap): retrying cannot help.
    Other,
    /// An `https://` URL reached a server that does not speak TLS there (typically plain http):
    /// asking again cannot help, so it is never retried.
    TlsMismatch,
}

/// What the client did with a request before it gave up, as the sentences a diagnostic's detail
/// begins with (each ends with a space, so the caller's next sentence follows): from the attempt
/// count (0: the request was short-circuited, because one moments before found no server) and
/// whether it was a create whose answer was lost, which is never sent again blindly. Empty when the
/// error has no attempt count.
pub fn what_was_sent(attempts: Option<u32>, create_answer_lost: bool) -> String {
    match attempts {
        None => String::new(),
        Some(0) => "The request was not sent: a request moments before found no server there, so the provider \
                    failed at once instead of waiting for it again. "
            .into(),
        Some(1) if create_answer_lost => "The request was sent once and not resent: a create whose answer was lost \
                                          may have succeeded, and sending it again could make a second object. "
            .into(),
        Some(1) => "The request was sent once, without retries. ".into(),
        Some(n) => format!("The request was sent {n} times before the provider gave up. "),
    }
}

impl TransportKind {
    /// Classifies a `reqwest` error.
    pub fn of(err: &reqwest::Error) -> Self {
        if is_tls_mismatch(err) {
            TransportKind::TlsMismatch
        } else if err.is_connect() {
            TransportKind::Connect
        } else if err.is_timeout() {
            TransportKind::Timeout
        } else if err.is_request() || err.is_body() || err.is_decode() {
            TransportKind::Io
        } else {
            TransportKind::Other
        }
    }
}

/// Whether the error chain is rustls reading a non-TLS answer to its hello ("received corrupt
/// message of type InvalidContentType").
fn is_tls_mismatch(err: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    // Bounded: a cause chain is finite; the cap guards against a cyclic one.
    for _ in 0..8 {
        let Some(e) = source else { break };
        let text = format!("{e} {e:?}");
        if text.contains("InvalidContentType") || text.contains("corrupt message") {
            return true;
        }
        source = e.source();
    }
    false
}

/// Whether a transport failure may be retried.
///
/// A connect failure is always safe to retry. A timeout or a reset after the request was written
/// may mean the server acted on it, so it is retried only for idempotent requests (GET, PUT,
/// DELETE, token requests): retrying a create could make a duplicate, and the duplicate would then
/// fail as a name conflict that hides the real outcome.
pub fn is_retryable_transport(kind: TransportKind, idempotent: bool) -> bool {
    match kind {
        TransportKind::Connect => true,
        TransportKind::Timeout | TransportKind::Io => idempotent,
        TransportKind::Other | TransportKind::TlsMismatch => false,
    }
}

/// The longest wait a server can ask for (`Retry-After`, a vendor's reset window), whatever it
/// sends: an hour, the longest `retry.max_delay` a configuration may set (600 s) with room to
/// spare. The retry policy's `max_delay` caps it further; this bound exists so that no value a
/// server sends (`1e20`, `u64::MAX`) can overflow `Instant + Duration` or `Duration::from_secs_f64`.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(60 * 60);

/// A server-sent number of seconds as a wait: `None` unless finite and not negative; clamped to
/// [`MAX_SERVER_WAIT`] (so `1e20` is an hour, never a panic).
pub fn server_seconds(secs: f64) -> Option<Duration> {
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some(Duration::try_from_secs_f64(secs).unwrap_or(MAX_SERVER_WAIT).min(MAX_SERVER_WAIT))
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
/// A date in the past means "now"; anything longer than [`MAX_SERVER_WAIT`] is that.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_SERVER_WAIT));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO).min(MAX_SERVER_WAIT))
}

/// A vendor's rate-limit header protocol, supplied by the vendor client: how long until the
/// server's request budget resets, read from an answer's headers, or `None` while requests
/// remain. With one configured, [`crate::rest::RestCore`] holds every attempt until the reset
/// once the budget is exhausted, and uses the reset as the server-requested delay of a retry.
pub type RateLimitHeaders = fn(&HeaderMap) -> Option<Duration>;

/// The delay the server asked for, if any: `Retry-After` first, then (when the client reads its
/// vendor's rate-limit headers) the budget's reset window.
pub fn server_requested_delay(
    headers: &HeaderMap,
    rate_limit_headers: Option<RateLimitHeaders>,
    now: SystemTime,
) -> Option<Duration> {
    header_str(headers, "retry-after")
        .and_then(|v| parse_retry_after(v, now))
        .or_else(|| rate_limit_headers.and_then(|reset| reset(headers)))
        .map(|d| d.min(MAX_SERVER_WAIT))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_sent_follows_the_attempt_count() {
        assert_eq!(what_was_sent(None, false), "");
        assert!(what_was_sent(Some(0), false).starts_with("The request was not sent:"));
        assert_eq!(what_was_sent(Some(1), false), "The request was sent once, without retries. ");
        assert!(what_was_sent(Some(1), true).starts_with("The request was sent once and not resent:"));
        assert_eq!(what_was_sent(Some(3), true), "The request was sent 3 times before the provider gave up. ");
        for n in [Some(0), Some(1), Some(4)] {
            assert!(what_was_sent(n, false).ends_with(". "), "a sentence the caller's next one follows");
        }
    }
    use reqwest::header::HeaderValue;

    #[test]
    fn only_5xx_429_and_windowed_404_are_retried() {
        assert_eq!(classify_status(StatusCode::SERVICE_UNAVAILABLE, false), Some(RetryReason::Server));
        assert_eq!(classify_status(StatusCode::INTERNAL_SERVER_ERROR, false), Some(RetryReason::Server));
        assert_eq!(classify_status(StatusCode::TOO_MANY_REQUESTS, false), Some(RetryReason::RateLimited));
        assert_eq!(classify_status(StatusCode::NOT_FOUND, true), Some(RetryReason::NotFoundLag));
        for s in [200u16, 201, 204, 400, 401, 403, 404, 406, 408, 409, 422] {
            assert_eq!(classify_status(StatusCode::from_u16(s).unwrap(), false), None, "{s}");
        }
        assert_eq!(classify_status(StatusCode::BAD_REQUEST, true), None);
    }

    #[test]
    fn transport_retry_depends_on_idempotency() {
        assert!(is_retryable_transport(TransportKind::Connect, false));
        assert!(is_retryable_transport(TransportKind::Timeout, true));
        assert!(!is_retryable_transport(TransportKind::Timeout, false));
        assert!(is_retryable_transport(TransportKind::Io, true));
        assert!(!is_retryable_transport(TransportKind::Io, false));
        assert!(!is_retryable_transport(TransportKind::Other, true));
    }

    #[tokio::test]
    async fn refused_connection_is_classified_as_connect() {
        // Bind then drop to get a loopback port with (almost certainly) nobody listening.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let err = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/")).send().await.unwrap_err();
        assert_eq!(TransportKind::of(&err), TransportKind::Connect);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(parse_retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("18446744073709551615", now), Some(MAX_SERVER_WAIT));
        assert_eq!(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), Some(MAX_SERVER_WAIT));
    }

    #[test]
    fn server_seconds_are_clamped_never_a_panic() {
        assert_eq!(server_seconds(1e20), Some(MAX_SERVER_WAIT));
        assert_eq!(server_seconds(f64::MAX), Some(MAX_SERVER_WAIT));
        assert_eq!(server_seconds(0.25), Some(Duration::from_millis(250)));
        assert_eq!(server_seconds(-1.0), None);
        assert_eq!(server_seconds(f64::NAN), None);
        assert_eq!(server_seconds(f64::INFINITY), None);
    }

    /// A stand-in protocol: `x-wait` carries the seconds until the budget resets.
    fn wait_header(headers: &HeaderMap) -> Option<Duration> {
        header_str(headers, "x-wait")?.parse().ok().map(Duration::from_secs)
    }

    #[test]
    fn retry_after_wins_over_the_vendor_reset_window() {
        let mut h = HeaderMap::new();
        h.insert("x-wait", HeaderValue::from_static("7"));
        let now = SystemTime::now();
        assert_eq!(server_requested_delay(&h, Some(wait_header), now), Some(Duration::from_secs(7)));
        assert_eq!(server_requested_delay(&h, None, now), None);
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(server_requested_delay(&h, Some(wait_header), now), Some(Duration::from_secs(2)));
    }

    #[test]
    fn backoff_is_bounded_jittered_and_capped() {
        let p = RetryPolicy {
            max_attempts: 6,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            max_elapsed: Duration::from_secs(10),
        };
        let delays: Vec<_> = p.backoff().collect();
        assert_eq!(delays.len(), 5, "one delay between each pair of attempts");
        assert!(delays[0] >= Duration::from_millis(100) && delays[0] <= Duration::from_millis(200));
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(300)));
        let single = RetryPolicy { max_attempts: 1, ..p };
        assert_eq!(single.backoff().count(), 0);
    }

    #[test]
    fn not_found_window_respects_its_budget() {
        let w = NotFoundWindow {
            max_attempts: 10,
            min_delay: Duration::from_millis(400),
            max_delay: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(3),
        };
        let delays: Vec<_> = w.backoff().collect();
        assert!(delays.len() < 9);
        assert!(delays.iter().sum::<Duration>() <= Duration::from_secs(3));
    }
}
