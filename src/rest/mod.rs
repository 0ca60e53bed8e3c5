//! REST plumbing shared by the vendor API clients: the request engine
//! ([`RestCore`]: retries, concurrency limit, cancellation, redacted logging), the single-flight
//! token cache, secret redaction, lenient JSON readers and base-URL handling.
//!
//! Nothing here knows a vendor or Terraform.

pub mod http;
pub mod lenient;
pub mod redact;
pub mod retry;
pub mod token;
pub mod url;

pub use self::http::{HttpSettings, Request, Response, RestCore, SendError};
pub use self::retry::{NotFoundWindow, RateLimitHeaders, RetryPolicy, TransportKind};
pub use self::token::{Lease, TokenCache};
pub use secrecy::{ExposeSecret, SecretString};
