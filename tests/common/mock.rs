//! wiremock helpers the client tests share: what a mock server received, and how to read it.

use wiremock::{MockServer, Request};

/// The requests `server` received for path `p`, in order.
pub async fn requests_to(server: &MockServer, p: &str) -> Vec<Request> {
    server.received_requests().await.unwrap().into_iter().filter(|r| r.url.path() == p).collect()
}

/// A request header's value, if present and text.
pub fn header<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

/// A request's body as JSON (panics if it is not).
pub fn body_json(r: &Request) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap()
}
