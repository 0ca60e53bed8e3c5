//! The request engine both vendor clients sit on: one `reqwest::Client`, a concurrency limit,
//! retries, cancellation and redacted logging. It knows nothing about auth or vendor errors: it
//! returns the final HTTP response (whatever its status) or a transport/cancellation error, and
//! the vendor client decides what the status means.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, InvalidHeaderValue};
use reqwest::{Method, StatusCode};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::{Level, debug, trace};
use url::Url;

use super::redact::{KnownSecrets, redact_body, redact_form, redact_headers};
use super::retry::{
    NotFoundWindow, RateLimitHeaders, RetryPolicy, RetryReason, TransportKind, classify_status, is_retryable_transport,
    server_requested_delay,
};

/// Settings of one [`RestCore`]; the vendor clients fill them from their own configuration.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Short name of the service in log lines.
    pub service: &'static str,
    /// `User-Agent` header, e.g. `terraform-provider-example/0.1.0`.
    pub user_agent: String,
    /// Limit for one attempt, from connect to the last body byte.
    pub request_timeout: Duration,
    /// How many attempts may be on the wire at once (at least 1).
    pub max_concurrency: usize,
    /// Retry behaviour.
    pub retry: RetryPolicy,
    /// Cancelled when the provider is told to stop.
    pub cancel: CancellationToken,
    /// The vendor's rate-limit header protocol, if its server announces one: once the budget
    /// is exhausted, no attempt starts before the window resets.
    pub rate_limit_headers: Option<RateLimitHeaders>,
    /// Whether the service is reached over https (its base URL's scheme). A client of a
    /// plain-http URL, which only a loopback address may have, trusts no certificate at all and
    /// so reads none: an https request through it fails its certificate check.
    pub https: bool,
}

/// A request description that can be sent more than once (the body is cheap to clone).
#[derive(Clone)]
pub struct Request {
    /// HTTP method.
    pub method: Method,
    /// Full URL, query included.
    pub url: Url,
    /// Extra headers (auth, accept). Secret values must be marked sensitive.
    pub headers: HeaderMap,
    /// Body and its content type.
    pub body: Option<(HeaderValue, Bytes)>,
    /// Whether repeating the request after an ambiguous transport failure is harmless.
    pub idempotent: bool,
    /// Tolerate this many 404 answers (eventual consistency after a create).
    pub not_found_window: Option<NotFoundWindow>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("headers", &redact_headers(&self.headers))
            .field("body_len", &self.body.as_ref().map(|(_, b)| b.len()))
            .finish()
    }
}

impl Request {
    /// A request with no body; POST and PATCH are treated as non-idempotent.
    pub fn new(method: Method, url: Url) -> Self {
        let idempotent = !matches!(method, Method::POST | Method::PATCH);
        Self { method, url, headers: HeaderMap::new(), body: None, idempotent, not_found_window: None }
    }

    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Adds a header whose value is a secret: marked sensitive so neither hyper nor our logs print it.
    pub fn secret_header(mut self, name: HeaderName, value: &str) -> Result<Self, InvalidHeaderValue> {
        let mut v = HeaderValue::from_str(value)?;
        v.set_sensitive(true);
        self.headers.insert(name, v);
        Ok(self)
    }

    /// Sets a body with its content type.
    pub fn body(mut self, content_type: &'static str, bytes: impl Into<Bytes>) -> Self {
        self.body = Some((HeaderValue::from_static(content_type), bytes.into()));
        self
    }

    /// Sets a JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<Self, serde_json::Error> {
        Ok(self.body("application/json", serde_json::to_vec(value)?))
    }

    /// Sets an `application/x-www-form-urlencoded` body.
    pub fn form(self, pairs: &[(&str, &str)]) -> Self {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(k, v);
        }
        self.body("application/x-www-form-urlencoded", s.finish())
    }

    /// Overrides the idempotency guess (e.g. a token POST is safe to repeat).
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }

    /// Asks for a bounded tolerance of 404 answers.
    pub fn not_found_window(mut self, window: Option<NotFoundWindow>) -> Self {
        self.not_found_window = window;
        self
    }

    fn log_target(&self) -> String {
        match self.url.query() {
            Some(q) => format!("{}?{}", self.url.path(), redact_form(q)),
            None => self.url.path().to_owned(),
        }
    }
}

/// The final answer to a request.
#[derive(Clone)]
pub struct Response {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// Attempts made, this one included.
    pub attempts: u32,
}

impl fmt::Debug for Response {
    // The body may carry a secret (a minted client secret, a token): never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Response {
    /// The `Content-Type` header, if readable.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }
}

/// A request that produced no HTTP response.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// The provider was stopped before the request (or its next attempt) went on the wire.
    #[error("cancelled by the provider being stopped")]
    Cancelled {
        /// Attempts that did go on the wire.
        attempts: u32,
    },
    /// The connection failed or timed out, and retries (if allowed) did not help.
    #[error("{message}")]
    Transport {
        /// Failure class.
        kind: TransportKind,
        /// What went wrong, without the URL.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
}

impl SendError {
    /// Attempts made before giving up.
    pub fn attempts(&self) -> u32 {
        match self {
            SendError::Cancelled { attempts } | SendError::Transport { attempts, .. } => *attempts,
        }
    }
}

/// See the module docs. Cheap to clone; all clones share the connection pool and the limit.
#[derive(Clone)]
pub struct RestCore(Arc<Inner>);

struct Inner {
    http: reqwest::Client,
    limiter: Semaphore,
    settings: HttpSettings,
    /// No attempt starts before this instant (the server's rate-limit budget is exhausted).
    throttle_until: Mutex<Option<Instant>>,
    /// Set when a request gave up because no connection could be made: until then, requests fail
    /// at once with the same reason instead of each retrying against a server that is down.
    unreachable: Mutex<Option<(Instant, String)>>,
    /// Scrubbed from every error body and log line.
    secrets: KnownSecrets,
}

/// The largest response body read. Real answers are far smaller (a Jamf privilege catalogue of
/// ~1 500 names is ~60 KiB, a 100-item page a few KiB, MaaS360's answers smaller still); past
/// this the request fails instead of the provider reading a hostile or broken server's answer
/// into memory.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// How long "the server is unreachable" is remembered after a request gave up on it.
const UNREACHABLE_FOR: Duration = Duration::from_secs(15);

impl fmt::Debug for RestCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestCore").field("settings", &self.0.settings).finish_non_exhaustive()
    }
}

impl RestCore {
    /// Builds the HTTP client: rustls, connection reuse, a cookie store (for servers that pin a
    /// session to one node with a cookie), the user agent, the per-attempt timeout and
    /// `TCP_NODELAY`.
    pub fn new(settings: HttpSettings) -> Result<Self, reqwest::Error> {
        let builder = reqwest::Client::builder().use_rustls_tls();
        // Reading the system's root certificates is ~1.5 ms (about 150 files on Debian) of
        // every launch that configures the provider; a plain-http client never uses them.
        let builder = if settings.https { builder } else { builder.tls_built_in_root_certs(false) };
        let http = builder
            .user_agent(settings.user_agent.clone())
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout.min(Duration::from_secs(30)))
            .tcp_nodelay(true)
            .cookie_store(true)
            // Never follow a redirect: reqwest's default policy re-sends a POST body (an OAuth
            // form with the client secret, MaaS360's password and access key) on 307/308, to
            // another host or from https to http. A 3xx is reported instead (`send`).
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self(Arc::new(Inner {
            http,
            limiter: Semaphore::new(settings.max_concurrency.max(1)),
            settings,
            throttle_until: Mutex::new(None),
            unreachable: Mutex::new(None),
            secrets: KnownSecrets::default(),
        })))
    }

    /// The secrets this engine scrubs from error bodies and log lines; the vendor client adds
    /// its credentials and every token or secret it receives.
    pub fn secrets(&self) -> &KnownSecrets {
        &self.0.secrets
    }

    /// The settings this engine was built with.
    pub fn settings(&self) -> &HttpSettings {
        &self.0.settings
    }

    /// Whether the provider has been stopped.
    pub fn is_cancelled(&self) -> bool {
        self.0.settings.cancel.is_cancelled()
    }

    /// Sends `req`, retrying per the policy. Returns the final response whatever its status;
    /// after a request gave up because the server accepted no connection, others fail at once for
    /// a short while (no retry storm against a server that is down);
    /// `Response::attempts` says how many attempts it took.
    pub async fn send(&self, req: &Request) -> Result<Response, SendError> {
        if let Some(message) = self.recently_unreachable() {
            debug!(service = self.0.settings.service, method = %req.method, path = %req.log_target(),
                "not sent: the server was unreachable moments ago");
            return Err(SendError::Transport {
                kind: TransportKind::Connect,
                message: format!("not sent: the server did not accept connections moments ago ({message})"),
                attempts: 0,
            });
        }
        let result = self.send_with_retries(req).await;
        let mut slot = self.0.unreachable.lock().unwrap_or_else(|p| p.into_inner());
        match &result {
            Err(SendError::Transport { kind: TransportKind::Connect, message, .. }) => {
                *slot = Some((Instant::now() + UNREACHABLE_FOR, message.clone()));
            }
            Ok(_) => *slot = None,
            Err(_) => {}
        }
        result
    }

    fn recently_unreachable(&self) -> Option<String> {
        let slot = self.0.unreachable.lock().unwrap_or_else(|p| p.into_inner());
        match &*slot {
            Some((until, message)) if *until > Instant::now() => Some(message.clone()),
            _ => None,
        }
    }

    async fn send_with_retries(&self, req: &Request) -> Result<Response, SendError> {
        let s = &self.0.settings;
        let started = Instant::now();
        let mut delays = s.retry.backoff();
        let mut not_found_delays = req.not_found_window.map(|w| w.backoff());
        let target = req.log_target();
        let mut attempt: u32 = 0;
        // Bounded: every pass either returns or consumes one delay from a finite iterator.
        loop {
            attempt += 1;
            self.wait_for_rate_limit(attempt - 1).await?;
            let permit = self.acquire(attempt - 1).await?;
            if tracing::enabled!(Level::TRACE) {
                trace!(service = s.service, method = %req.method, path = %target, attempt,
                    headers = %redact_headers(&req.headers),
                    body = %self.0.secrets.scrub(&req.body.as_ref().map(|(ct, b)| redact_body(ct.to_str().ok(), b)).unwrap_or_default()),
                    "http request");
            }
            let t0 = Instant::now();
            // Not raced against cancellation: once on the wire, the answer is awaited so that a
            // create that happened is reported (and saved to state) rather than lost.
            let outcome = self.attempt(req).await;
            drop(permit);
            let duration_ms = t0.elapsed().as_millis() as u64;

            let (delay, last) = match outcome {
                Ok(mut resp) => {
                    debug!(service = s.service, method = %req.method, path = %target,
                        status = resp.status.as_u16(), duration_ms, attempt, "http response");
                    if !resp.status.is_success() {
                        // What a server writes into an error may echo what it was sent: it reaches
                        // the vendor client (and so diagnostics) without any secret it knows.
                        if let Some(clean) = self.0.secrets.scrub_bytes(&resp.body) {
                            resp.body = Bytes::from(clean);
                        }
                    }
                    if tracing::enabled!(Level::TRACE) {
                        trace!(service = s.service, status = resp.status.as_u16(),
                            headers = %self.0.secrets.scrub(&redact_headers(&resp.headers)),
                            body = %self.0.secrets.scrub(&redact_body(resp.content_type(), &resp.body)),
                            "http response body");
                    }
                    if resp.status.is_redirection() {
                        return Err(SendError::Transport {
                            kind: TransportKind::Other,
                            message: describe_redirect(&resp),
                            attempts: attempt,
                        });
                    }
                    if let Some(reset) = s.rate_limit_headers {
                        self.note_rate_limit(reset(&resp.headers));
                    }
                    let next = match classify_status(resp.status, not_found_delays.is_some()) {
                        None => {
                            return Ok(Response { attempts: attempt, ..resp });
                        }
                        Some(RetryReason::NotFoundLag) => not_found_delays.as_mut().and_then(Iterator::next),
                        Some(RetryReason::Server | RetryReason::RateLimited) => delays.next().map(|computed| {
                            match server_requested_delay(&resp.headers, s.rate_limit_headers, SystemTime::now()) {
                                Some(asked) => asked.min(s.retry.max_delay),
                                None => computed,
                            }
                        }),
                    };
                    (next, Ok(resp))
                }
                Err(AttemptError::Final(message)) => {
                    debug!(service = s.service, method = %req.method, path = %target, error = %message,
                        duration_ms, attempt, "http answer refused");
                    return Err(SendError::Transport { kind: TransportKind::Other, message, attempts: attempt });
                }
                Err(AttemptError::Reqwest(err)) => {
                    let kind = TransportKind::of(&err);
                    let message = describe_reqwest_error(err);
                    debug!(service = s.service, method = %req.method, path = %target, error = %message,
                        duration_ms, attempt, "http transport failure");
                    let next = is_retryable_transport(kind, req.idempotent).then(|| delays.next()).flatten();
                    (next, Err((kind, message)))
                }
            };

            let within_budget = |d: &Duration| started.elapsed() + *d <= s.retry.max_elapsed;
            let Some(delay) = delay.filter(within_budget) else {
                return match last {
                    Ok(resp) => Ok(Response { attempts: attempt, ..resp }),
                    Err((kind, message)) => Err(SendError::Transport { kind, message, attempts: attempt }),
                };
            };
            debug!(service = s.service, method = %req.method, path = %target, attempt,
                delay_ms = delay.as_millis() as u64, "retrying");
            self.sleep(delay, attempt).await?;
        }
    }

    async fn attempt(&self, req: &Request) -> Result<Response, AttemptError> {
        let mut rb = self.0.http.request(req.method.clone(), req.url.clone()).headers(req.headers.clone());
        if let Some((ct, bytes)) = &req.body {
            rb = rb.header(CONTENT_TYPE, ct.clone()).body(bytes.clone());
        }
        let mut resp = rb.send().await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let too_large = || {
            AttemptError::Final(format!(
                "the answer (http {}) is larger than {} MiB, far more than any real answer to this call; the \
                 provider stopped reading it. Check that the URL points at the right server",
                status.as_u16(),
                MAX_BODY_BYTES / (1024 * 1024)
            ))
        };
        // A declared length past the cap fails before reading; an absent or lying one is caught
        // while reading, chunk by chunk.
        if resp.content_length().is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        // Bounded: each chunk consumes the stream, and the cap ends it.
        while let Some(chunk) = resp.chunk().await? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response { status, headers, body: Bytes::from(body), attempts: 0 })
    }

    async fn acquire(&self, attempts: u32) -> Result<tokio::sync::SemaphorePermit<'_>, SendError> {
        let cancel = &self.0.settings.cancel;
        if cancel.is_cancelled() {
            return Err(SendError::Cancelled { attempts });
        }
        let permit = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(SendError::Cancelled { attempts }),
            p = self.0.limiter.acquire() => p.map_err(|_| SendError::Cancelled { attempts })?,
        };
        if cancel.is_cancelled() {
            return Err(SendError::Cancelled { attempts });
        }
        Ok(permit)
    }

    async fn sleep(&self, delay: Duration, attempts: u32) -> Result<(), SendError> {
        tokio::select! {
            biased;
            _ = self.0.settings.cancel.cancelled() => Err(SendError::Cancelled { attempts }),
            _ = tokio::time::sleep(delay) => Ok(()),
        }
    }

    async fn wait_for_rate_limit(&self, attempts: u32) -> Result<(), SendError> {
        let until = *self.0.throttle_until.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = until {
            let now = Instant::now();
            if until > now {
                debug!(
                    service = self.0.settings.service,
                    wait_ms = (until - now).as_millis() as u64,
                    "rate limit exhausted; waiting for the reset window"
                );
                self.sleep(until - now, attempts).await?;
            }
        }
        Ok(())
    }

    /// Holds every later attempt until `reset` (capped by the retry policy's longest wait).
    fn note_rate_limit(&self, reset: Option<Duration>) {
        if let Some(reset) = reset {
            let now = Instant::now();
            let until = now.checked_add(reset.min(self.0.settings.retry.max_delay)).unwrap_or(now);
            let mut slot = self.0.throttle_until.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none_or(|u| u < until) {
                *slot = Some(until);
            }
        }
    }
}

/// Why one attempt produced no usable response.
enum AttemptError {
    /// The transport failed (maybe retried).
    Reqwest(reqwest::Error),
    /// An answer the provider refuses to use (too large); never retried.
    Final(String),
}

impl From<reqwest::Error> for AttemptError {
    fn from(e: reqwest::Error) -> Self {
        AttemptError::Reqwest(e)
    }
}

/// A 3xx answer as a sentence: the status, where it points (the host only: a Location may carry
/// a token in its query), and what to do.
fn describe_redirect(resp: &Response) -> String {
    let location = resp.headers.get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok());
    let target = match location.and_then(|l| Url::parse(l).ok()) {
        Some(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!(" to {}://{h}:{p}", u.scheme()),
            (Some(h), None) => format!(" to {}://{h}", u.scheme()),
            _ => String::new(),
        },
        None if location.is_some() => " to a path on the same server".to_owned(),
        None => " without a Location".to_owned(),
    };
    let status = resp.status;
    format!(
        "the server answered http {} {}, a redirect{target}; the provider follows no redirects, so that no \
         credential is ever sent to another address. Configure the final URL (where the redirect points) instead",
        status.as_u16(),
        status.canonical_reason().unwrap_or("redirect")
    )
}

/// A transport error as text: the error and its causes, without the URL (the caller names the
/// call itself) and without anything from the request body.
fn describe_reqwest_error(err: reqwest::Error) -> String {
    let kind = TransportKind::of(&err);
    let err = err.without_url();
    let mut parts = vec![err.to_string()];
    let mut source = std::error::Error::source(&err);
    // Bounded by the (finite) cause chain; the cap guards against a cyclic chain.
    while let Some(s) = source {
        if parts.len() >= 6 {
            break;
        }
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    if kind == TransportKind::TlsMismatch {
        return "the server does not speak TLS at this address (the https connection got a non-TLS answer, such as \
                plain http): check the URL's scheme and port. Not retried"
            .to_owned();
    }
    let class = match kind {
        TransportKind::Connect => "could not connect",
        TransportKind::Timeout => "timed out",
        TransportKind::Io => "connection failed",
        TransportKind::Other | TransportKind::TlsMismatch => "request failed",
    };
    format!("{class}: {}", parts.join(": "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// A stand-in rate-limit protocol: `x-budget-left: 0` with `x-budget-reset` seconds.
    fn budget_headers(headers: &HeaderMap) -> Option<Duration> {
        let left = headers.get("x-budget-left")?.to_str().ok()?;
        let reset = headers.get("x-budget-reset")?.to_str().ok()?;
        let reset: f64 = reset.parse().ok()?;
        (left == "0").then(|| Duration::from_secs_f64(reset))
    }

    fn core(timeout: Duration, cancel: CancellationToken, rate_limit_headers: bool) -> RestCore {
        RestCore::new(HttpSettings {
            service: "test",
            user_agent: "mdmkit-test/0".into(),
            request_timeout: timeout,
            max_concurrency: 2,
            retry: RetryPolicy {
                max_attempts: 3,
                min_delay: Duration::from_millis(20),
                max_delay: Duration::from_millis(400),
                max_elapsed: Duration::from_secs(20),
            },
            cancel,
            rate_limit_headers: rate_limit_headers.then_some(budget_headers as RateLimitHeaders),
            https: false,
        })
        .unwrap()
    }

    fn url(server: &MockServer, p: &str) -> Url {
        Url::parse(&format!("{}{p}", server.uri())).unwrap()
    }

    #[tokio::test]
    async fn timeouts_are_retried_only_for_idempotent_requests() {
        let server = MockServer::start().await;
        Mock::given(path("/slow"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(500)))
            .mount(&server)
            .await;
        let c = core(Duration::from_millis(100), CancellationToken::new(), false);

        let err = c.send(&Request::new(Method::POST, url(&server, "/slow"))).await.unwrap_err();
        assert!(matches!(err, SendError::Transport { kind: TransportKind::Timeout, attempts: 1, .. }), "{err:?}");
        let err = c.send(&Request::new(Method::GET, url(&server, "/slow"))).await.unwrap_err();
        assert!(matches!(err, SendError::Transport { attempts: 3, .. }), "{err:?}");
        assert!(err.to_string().starts_with("timed out"), "{err}");
        assert!(!err.to_string().contains("127.0.0.1"), "no url in the message: {err}");
    }

    #[tokio::test]
    async fn a_server_that_is_down_is_not_retried_by_every_request() {
        // A port nothing listens on: bind, note the port, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let c = core(Duration::from_secs(2), CancellationToken::new(), false);
        let u = Url::parse(&format!("http://127.0.0.1:{port}/x")).unwrap();
        let first = c.send(&Request::new(Method::GET, u.clone())).await.unwrap_err();
        assert!(matches!(first, SendError::Transport { kind: TransportKind::Connect, attempts: 3, .. }), "{first:?}");
        let t0 = Instant::now();
        let second = c.send(&Request::new(Method::GET, u)).await.unwrap_err();
        assert!(matches!(second, SendError::Transport { attempts: 0, .. }), "{second:?}");
        assert!(second.to_string().contains("moments ago"), "{second}");
        assert!(t0.elapsed() < Duration::from_millis(50), "failed at once");
    }

    #[tokio::test]
    async fn exhausted_retries_return_the_last_response() {
        let server = MockServer::start().await;
        Mock::given(method("GET")).respond_with(ResponseTemplate::new(502)).expect(3).mount(&server).await;
        let c = core(Duration::from_secs(5), CancellationToken::new(), false);
        let resp = c.send(&Request::new(Method::GET, url(&server, "/x"))).await.unwrap();
        assert_eq!((resp.status.as_u16(), resp.attempts), (502, 3));
    }

    #[tokio::test]
    async fn retry_after_is_capped_by_max_delay() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
        let c = core(Duration::from_secs(5), CancellationToken::new(), false);
        let t0 = Instant::now();
        let resp = c.send(&Request::new(Method::GET, url(&server, "/x"))).await.unwrap();
        assert_eq!((resp.status.as_u16(), resp.attempts), (200, 2));
        let waited = t0.elapsed();
        assert!(waited >= Duration::from_millis(380) && waited < Duration::from_secs(3), "{waited:?}");
    }

    #[tokio::test]
    async fn exhausted_rate_limit_budget_delays_the_next_request() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200).insert_header("x-budget-left", "0").insert_header("x-budget-reset", "0.3"),
            )
            .mount(&server)
            .await;
        let c = core(Duration::from_secs(5), CancellationToken::new(), true);
        c.send(&Request::new(Method::GET, url(&server, "/a"))).await.unwrap();
        let t0 = Instant::now();
        c.send(&Request::new(Method::GET, url(&server, "/b"))).await.unwrap();
        assert!(t0.elapsed() >= Duration::from_millis(280), "{:?}", t0.elapsed());

        // Without the protocol the headers are ignored.
        let plain = core(Duration::from_secs(5), CancellationToken::new(), false);
        plain.send(&Request::new(Method::GET, url(&server, "/a"))).await.unwrap();
        let t0 = Instant::now();
        plain.send(&Request::new(Method::GET, url(&server, "/b"))).await.unwrap();
        assert!(t0.elapsed() < Duration::from_millis(250));
    }

    #[tokio::test]
    async fn a_redirect_is_refused_and_the_body_goes_nowhere_else() {
        let first = MockServer::start().await;
        let second = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&second).await;
        for status in [301u16, 302, 303, 307, 308] {
            first.reset().await;
            Mock::given(method("POST"))
                .respond_with(
                    ResponseTemplate::new(status).insert_header("location", format!("{}/token?t=abc", second.uri())),
                )
                .expect(1)
                .mount(&first)
                .await;
            let c = core(Duration::from_secs(5), CancellationToken::new(), false);
            let req =
                Request::new(Method::POST, url(&first, "/token")).form(&[("client_secret", "s3cret")]).idempotent(true);
            let err = c.send(&req).await.unwrap_err();
            let SendError::Transport { kind: TransportKind::Other, message, attempts: 1 } = &err else {
                panic!("{status}: {err:?}")
            };
            let host = second.uri().trim_start_matches("http://").to_owned();
            assert!(message.contains(&format!("http {status}")), "{message}");
            assert!(message.contains(&host), "names the target host: {message}");
            assert!(!message.contains("t=abc"), "not the query: {message}");
            assert!(message.contains("Configure the final URL"), "{message}");
            first.verify().await;
        }
        assert!(second.received_requests().await.unwrap().is_empty(), "the second server received nothing");
    }

    /// A server on loopback that answers every connection with `answer`, then closes.
    async fn raw_server(answer: Vec<u8>) -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = sock.read(&mut buf).await;
                    let _ = sock.write_all(&answer).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn a_body_past_the_cap_fails_clearly_whatever_its_length_says() {
        let big = vec![b'x'; MAX_BODY_BYTES + 1];
        // Declared, absent (read to the end of the connection), and declared small but chunked.
        let declared =
            [format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", big.len()).into_bytes(), big.clone()].concat();
        let absent = [b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n".to_vec(), big.clone()].concat();
        let chunked = {
            let mut v = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
            for part in big.chunks(64 * 1024) {
                v.extend(format!("{:x}\r\n", part.len()).bytes());
                v.extend(part);
                v.extend(b"\r\n");
            }
            v.extend(b"0\r\n\r\n");
            v
        };
        let huge_claim = b"HTTP/1.1 200 OK\r\ncontent-length: 99999999999\r\n\r\nsmall".to_vec();
        let c = core(Duration::from_secs(10), CancellationToken::new(), false);
        for (what, answer) in [("declared", declared), ("absent", absent), ("chunked", chunked), ("claim", huge_claim)]
        {
            let addr = raw_server(answer).await;
            let u = Url::parse(&format!("http://{addr}/catalogue")).unwrap();
            let err = c.send(&Request::new(Method::GET, u)).await.unwrap_err();
            assert!(
                matches!(&err, SendError::Transport { kind: TransportKind::Other, attempts: 1, .. }),
                "{what}: not retried: {err:?}"
            );
            assert!(err.to_string().contains("larger than 4 MiB"), "{what}: {err}");
        }
        // At the cap exactly is fine.
        let ok = [
            format!("HTTP/1.1 200 OK\r\ncontent-length: {MAX_BODY_BYTES}\r\n\r\n").into_bytes(),
            vec![b'y'; MAX_BODY_BYTES],
        ]
        .concat();
        let addr = raw_server(ok).await;
        let resp = c.send(&Request::new(Method::GET, Url::parse(&format!("http://{addr}/")).unwrap())).await.unwrap();
        assert_eq!(resp.body.len(), MAX_BODY_BYTES);
    }

    #[tokio::test]
    async fn https_against_plain_http_is_not_retried_and_says_so() {
        let server = MockServer::start().await;
        Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
        let c = core(Duration::from_secs(5), CancellationToken::new(), false);
        let u = Url::parse(&server.uri().replace("http://", "https://")).unwrap();
        let t0 = Instant::now();
        let err = c.send(&Request::new(Method::GET, u.clone())).await.unwrap_err();
        assert!(
            matches!(&err, SendError::Transport { kind: TransportKind::TlsMismatch, attempts: 1, .. }),
            "never retried: {err:?}"
        );
        assert!(err.to_string().contains("the server does not speak TLS at this address"), "{err}");
        assert!(t0.elapsed() < Duration::from_secs(2));
        // Not remembered as "unreachable": the next request is sent (and fails the same way).
        let again = c.send(&Request::new(Method::GET, u)).await.unwrap_err();
        assert!(matches!(again, SendError::Transport { attempts: 1, .. }), "{again:?}");
    }

    #[tokio::test]
    async fn secrets_a_server_echoes_into_an_error_are_scrubbed() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(400).set_body_raw(
                r#"{"errors":[{"description":"client secret s3cr3t-V4lue is not valid"}]}"#,
                "application/json",
            ))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(r#"{"clientSecret":"s3cr3t-V4lue"}"#, "application/json"),
            )
            .mount(&server)
            .await;
        let c = core(Duration::from_secs(5), CancellationToken::new(), false);
        c.secrets().add("s3cr3t-V4lue");
        let resp = c.send(&Request::new(Method::POST, url(&server, "/x"))).await.unwrap();
        let body = String::from_utf8(resp.body.to_vec()).unwrap();
        assert!(!body.contains("s3cr3t-V4lue") && body.contains("client secret [redacted] is not valid"), "{body}");
        // A success answer is the client's data: left alone.
        let resp = c.send(&Request::new(Method::GET, url(&server, "/x"))).await.unwrap();
        assert!(String::from_utf8(resp.body.to_vec()).unwrap().contains("s3cr3t-V4lue"));
    }

    #[tokio::test]
    async fn cancellation_ends_backoff_but_not_a_request_on_the_wire() {
        let server = MockServer::start().await;
        Mock::given(path("/down")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
        Mock::given(path("/slow"))
            .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_millis(300)))
            .mount(&server)
            .await;
        let cancel = CancellationToken::new();
        let mut c = core(Duration::from_secs(5), cancel.clone(), false);
        // Long backoff so the retry is certainly sleeping when the stop arrives.
        Arc::get_mut(&mut c.0).unwrap().settings.retry = RetryPolicy {
            max_attempts: 3,
            min_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(60),
            max_elapsed: Duration::from_secs(600),
        };

        let on_wire = {
            let c = c.clone();
            let u = url(&server, "/slow");
            tokio::spawn(async move { c.send(&Request::new(Method::POST, u)).await })
        };
        let backing_off = {
            let c = c.clone();
            let u = url(&server, "/down");
            tokio::spawn(async move { c.send(&Request::new(Method::GET, u)).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let t0 = Instant::now();
        cancel.cancel();
        let err = backing_off.await.unwrap().unwrap_err();
        assert!(matches!(err, SendError::Cancelled { attempts: 1 }), "{err:?}");
        assert!(t0.elapsed() < Duration::from_millis(200));
        assert_eq!(on_wire.await.unwrap().unwrap().status.as_u16(), 201);
        // And nothing new starts.
        let err = c.send(&Request::new(Method::GET, url(&server, "/slow"))).await.unwrap_err();
        assert!(matches!(err, SendError::Cancelled { attempts: 0 }));
    }
}
