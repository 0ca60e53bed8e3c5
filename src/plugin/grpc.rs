//! The gRPC server: gRPC's framing on our HTTP/2 (`http2`), for what a plugin serves and no
//! more: unary calls, and server streams that carry nothing until they end (go-plugin's stdio).
//!
//! tonic's server stacks hyper, tower services, boxed bodies, a codec and per-call header maps
//! on `h2`. For a plugin's many small unary calls on one connection those layers, and then
//! `h2` itself, were most of the provider's instructions per RPC (BENCHMARKS.md, "Profile").
//! Here a call's one message is read, handed to the service as bytes, and the answer goes out
//! as one DATA frame and the trailers.
//!
//! What gRPC asks of a server, kept here: `content-type: application/grpc`, the 5-byte
//! length prefix, `grpc-status` and a percent-encoded `grpc-message` in the trailers (in the
//! headers alone, "trailers-only", for an error), `Unimplemented` for a path no method has,
//! and a size limit on messages both ways. Compressed messages are refused: we never offer a
//! compression, so a client that sends one is broken.

use std::sync::Arc;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::{HeaderMap, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;
use tonic::Status;

use super::http2::{self, Reply};

pub use super::http2::BoxFuture;

/// The length of gRPC's message prefix: a compression flag and a big-endian u32 length.
const PREFIX_BYTES: usize = 5;

/// How a call is answered.
pub enum Answer {
    /// The response message, encoded behind its prefix.
    Message(Bytes),
    /// The call failed with this status.
    Failed(Status),
    /// A server stream that sends no message and ends, with status OK, when this future does
    /// (or when the client cancels it).
    Quiet(BoxFuture<()>),
}

impl Answer {
    /// The answer of a unary method: `message` encoded, or the status.
    pub fn unary<M: prost::Message>(result: Result<tonic::Response<M>, Status>) -> Answer {
        match result {
            Ok(response) => Answer::message(response.get_ref()),
            Err(status) => Answer::Failed(status),
        }
    }

    /// `message` encoded behind its prefix, in one buffer.
    pub fn message<M: prost::Message>(message: &M) -> Answer {
        let len = message.encoded_len();
        let Ok(prefix_len) = u32::try_from(len) else {
            return Answer::Failed(Status::resource_exhausted(format!(
                "the response message of {len} bytes is larger than gRPC can frame"
            )));
        };
        let mut framed = BytesMut::with_capacity(PREFIX_BYTES + len);
        framed.put_u8(0);
        framed.put_u32(prefix_len);
        // Cannot fail: a BytesMut grows.
        let _ = message.encode(&mut framed);
        Answer::Message(framed.freeze())
    }
}

/// Decode a request message, or the status for one that does not decode.
pub fn decode<M: prost::Message + Default>(message: Bytes) -> Result<tonic::Request<M>, Status> {
    M::decode(message)
        .map(tonic::Request::new)
        .map_err(|e| Status::internal(format!("the request message does not decode: {e}")))
}

/// What a server serves.
pub trait Service: Send + Sync + 'static {
    /// The answer to a call of `path` (`/package.Service/Method`) with the request `message`,
    /// or `None` when no method has that path.
    fn call(self: Arc<Self>, path: &str, message: Bytes) -> Option<BoxFuture<Answer>>;
}

/// HTTP/2 settings and limits of a server.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The largest message, either way, in bytes (prefix not counted).
    pub max_message_bytes: usize,
    /// Calls open at once on a connection.
    pub max_concurrent_streams: u32,
    /// The flow-control window of each call and of the connection, in bytes.
    pub window_bytes: u32,
    /// The largest header list a client may send, in bytes.
    pub max_header_list_bytes: u32,
    /// What may wait to be written before the connection stops reading, in bytes.
    pub max_unwritten_bytes: usize,
    /// What the requests still arriving may hold at once, all calls together, in bytes.
    pub max_received_bytes: usize,
}

impl Default for Limits {
    /// Those of go-plugin's and Terraform's gRPC (256 MiB messages) and of hyper's HTTP/2
    /// server that served us before: 200 streams, 1 MiB windows, 16 KiB of headers, 400 KiB
    /// of send buffer; and at most two largest requests (prefix included) arriving at once (h2
    /// had no such limit: 200 streams of 256 MiB each).
    fn default() -> Limits {
        Limits {
            max_message_bytes: 256 << 20,
            max_concurrent_streams: 200,
            window_bytes: 1 << 20,
            max_header_list_bytes: 16 << 10,
            max_unwritten_bytes: 400 << 10,
            max_received_bytes: 2 * (PREFIX_BYTES + (256 << 20)),
        }
    }
}

/// Serve the calls of one connection until the client closes it or, after `shutdown`, until
/// its open calls are answered (new ones are refused with GOAWAY).
///
/// The calls are answered in this task, beside the connection, not spawned: a task per call
/// (its allocation, scheduling and wake-ups) cost more than most calls' own work, and the
/// runtime has one thread anyway. Each turn of the connection reads every frame that has
/// arrived, answers every call that can be answered at once, and writes all of it in one
/// write (one TLS record): the answers of the several calls Terraform sends together, and the
/// acknowledgement of the PING its gRPC client sends with them.
pub async fn serve_connection<IO, S>(io: IO, service: Arc<S>, limits: Limits, shutdown: CancellationToken)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service,
{
    let settings = http2::Settings {
        max_concurrent_streams: limits.max_concurrent_streams,
        window_bytes: limits.window_bytes,
        max_header_list_bytes: limits.max_header_list_bytes,
        max_body_bytes: PREFIX_BYTES.saturating_add(limits.max_message_bytes),
        max_unwritten_bytes: limits.max_unwritten_bytes,
        max_received_bytes: limits.max_received_bytes,
    };
    http2::serve(io, settings, shutdown, Calls { service, limits }).await
}

/// gRPC on a connection's requests.
struct Calls<S> {
    service: Arc<S>,
    limits: Limits,
}

impl<S: Service> http2::Handler for Calls<S> {
    type Answer = Answer;

    fn request(&mut self, request: http2::Request) -> Reply<Answer> {
        if !request.post {
            return plain_http(StatusCode::METHOD_NOT_ALLOWED);
        }
        if !request.grpc {
            return plain_http(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        }
        let max = self.limits.max_message_bytes;
        let message = match request.body.map_err(|_| too_large(max)).and_then(|body| unprefix(body, max)) {
            Ok(m) => m,
            Err(status) => return trailers_only(status),
        };
        let path = &request.path;
        match self.service.clone().call(path, message) {
            Some(call) => Reply::Later(call),
            None => trailers_only(Status::unimplemented(format!("no method serves {path}"))),
        }
    }

    fn answer(&mut self, answer: Answer) -> Reply<Answer> {
        match answer {
            Answer::Failed(status) => trailers_only(status),
            Answer::Message(framed) if framed.len() - PREFIX_BYTES > self.limits.max_message_bytes => {
                trailers_only(Status::resource_exhausted(format!(
                    "the response message of {} bytes is larger than the limit of {} bytes",
                    framed.len() - PREFIX_BYTES,
                    self.limits.max_message_bytes
                )))
            }
            Answer::Message(framed) => Reply::Grpc(framed),
            Answer::Quiet(until) => Reply::GrpcUntil(until),
        }
    }
}

/// The request's one message, without its prefix.
fn unprefix(mut all: Bytes, max_message_bytes: usize) -> Result<Bytes, Status> {
    if all.len() < PREFIX_BYTES {
        return Err(Status::internal("the request carries no message"));
    }
    let compressed = all[0];
    let declared = u32::from_be_bytes([all[1], all[2], all[3], all[4]]) as usize;
    match compressed {
        0 => {}
        1 => return Err(Status::unimplemented("compressed messages are not supported; send them uncompressed")),
        _ => return Err(Status::internal("the request's message prefix is malformed")),
    }
    if declared > max_message_bytes {
        return Err(too_large(max_message_bytes));
    }
    all.advance(PREFIX_BYTES);
    if all.len() != declared {
        return Err(Status::internal("the request is not exactly one message"));
    }
    Ok(all)
}

fn too_large(max_message_bytes: usize) -> Status {
    Status::resource_exhausted(format!("the request message is larger than the limit of {max_message_bytes} bytes"))
}

/// An error answered in the headers alone, as gRPC's "trailers-only" response: the status
/// and its percent-encoded message (tonic's encoding of both).
fn trailers_only(status: Status) -> Reply<Answer> {
    let (parts, ()) = status.into_http::<()>().into_parts();
    Reply::Head { status: parts.status.as_u16(), fields: parts.headers }
}

/// A request that is not gRPC gets a plain HTTP status.
fn plain_http(status: StatusCode) -> Reply<Answer> {
    Reply::Head { status: status.as_u16(), fields: HeaderMap::new() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tokio::io::ReadBuf;
    use tonic::Code;

    /// A message of one string field.
    #[derive(Clone, PartialEq, prost::Message)]
    struct StringValue {
        #[prost(string, tag = "1")]
        value: String,
    }

    /// Echoes a `StringValue` at `/t.S/Echo`, fails at `/t.S/Fail`, answers a large message at
    /// `/t.S/Big`, keeps `/t.S/Quiet` open until `release` is cancelled and panics at
    /// `/t.S/Panic`.
    struct Echo {
        release: CancellationToken,
    }

    impl Service for Echo {
        fn call(self: Arc<Self>, path: &str, message: Bytes) -> Option<BoxFuture<Answer>> {
            let answer = match path {
                "/t.S/Echo" => match decode::<StringValue>(message) {
                    Ok(r) => Answer::unary(Ok(tonic::Response::new(r.into_inner()))),
                    Err(s) => Answer::Failed(s),
                },
                "/t.S/Fail" => Answer::Failed(Status::invalid_argument("bad: 100% wrong\nreally")),
                "/t.S/Big" => Answer::message(&StringValue { value: "x".repeat(300) }),
                "/t.S/Quiet" => Answer::Quiet(Box::pin(self.release.clone().cancelled_owned())),
                "/t.S/Panic" => return Some(Box::pin(async { panic!("a bug in a handler") })),
                "/t.S/Slow" => {
                    return Some(Box::pin(async move {
                        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
                        Answer::message(&StringValue { value: "slow".into() })
                    }));
                }
                _ => return None,
            };
            Some(Box::pin(std::future::ready(answer)))
        }
    }

    fn framed(flag: u8, message: &[u8]) -> Bytes {
        let mut b = BytesMut::new();
        b.put_u8(flag);
        b.put_u32(message.len() as u32);
        b.extend_from_slice(message);
        b.freeze()
    }

    fn echo_request(text: &str) -> Bytes {
        framed(0, &StringValue { value: text.into() }.encode_to_vec())
    }

    struct Reply {
        status: StatusCode,
        headers: HeaderMap,
        data: Vec<u8>,
        trailers: Option<HeaderMap>,
    }

    impl Reply {
        /// The grpc-status, from the trailers or (trailers-only) the headers.
        fn grpc_status(&self) -> Option<&str> {
            let from = self.trailers.as_ref().unwrap_or(&self.headers);
            from.get("grpc-status").map(|v| v.to_str().unwrap())
        }
    }

    struct Harness {
        client: h2::client::SendRequest<Bytes>,
        shutdown: CancellationToken,
        release: CancellationToken,
        server: tokio::task::JoinHandle<()>,
    }

    async fn harness(limits: Limits) -> Harness {
        let (client_io, server_io) = tokio::io::duplex(1 << 16);
        let (shutdown, release) = (CancellationToken::new(), CancellationToken::new());
        let service = Arc::new(Echo { release: release.clone() });
        let server = tokio::spawn(serve_connection(server_io, service, limits, shutdown.clone()));
        let (client, conn) = h2::client::handshake(client_io).await.unwrap();
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Harness { client, shutdown, release, server }
    }

    async fn call_on(
        client: &h2::client::SendRequest<Bytes>,
        method: &str,
        path: &str,
        content_type: &str,
        chunks: &[Bytes],
    ) -> Reply {
        let request = http::Request::builder()
            .method(method)
            .uri(format!("http://localhost{path}"))
            .header("content-type", content_type)
            .header("te", "trailers")
            .body(())
            .unwrap();
        let client = client.clone();
        let mut client = client.ready().await.unwrap();
        let (response, mut send) = client.send_request(request, chunks.is_empty()).unwrap();
        for (i, chunk) in chunks.iter().enumerate() {
            send.send_data(chunk.clone(), i + 1 == chunks.len()).unwrap();
        }
        let response = response.await.unwrap();
        let (parts, mut body) = response.into_parts();
        let mut data = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.unwrap();
            let _ = body.flow_control().release_capacity(chunk.len());
            data.extend_from_slice(&chunk);
        }
        let trailers = body.trailers().await.unwrap();
        Reply { status: parts.status, headers: parts.headers, data, trailers }
    }

    impl Harness {
        async fn call(&mut self, method: &str, path: &str, content_type: &str, chunks: &[Bytes]) -> Reply {
            call_on(&self.client, method, path, content_type, chunks).await
        }

        async fn grpc(&mut self, path: &str, chunks: &[Bytes]) -> Reply {
            self.call("POST", path, "application/grpc", chunks).await
        }
    }

    /// Counts the writes made to the connection it wraps.
    struct CountingWrites<IO> {
        io: IO,
        writes: Arc<std::sync::atomic::AtomicUsize>,
    }

    impl<IO: AsyncRead + Unpin> AsyncRead for CountingWrites<IO> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.io).poll_read(cx, buf)
        }
    }

    impl<IO: AsyncWrite + Unpin> AsyncWrite for CountingWrites<IO> {
        fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
            let written = Pin::new(&mut self.io).poll_write(cx, buf);
            if written.is_ready() {
                self.writes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            written
        }
        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[std::io::IoSlice<'_>],
        ) -> Poll<std::io::Result<usize>> {
            let written = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
            if written.is_ready() {
                self.writes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            written
        }
        fn is_write_vectored(&self) -> bool {
            true
        }
        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.io).poll_flush(cx)
        }
        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.io).poll_shutdown(cx)
        }
    }

    #[tokio::test]
    async fn calls_that_arrive_together_are_answered_in_one_write() {
        let (client_io, server_io) = tokio::io::duplex(1 << 16);
        let writes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let server_io = CountingWrites { io: server_io, writes: writes.clone() };
        let service = Arc::new(Echo { release: CancellationToken::new() });
        tokio::spawn(serve_connection(server_io, service, Limits::default(), CancellationToken::new()));
        let (client, conn) = h2::client::handshake(client_io).await.unwrap();
        tokio::spawn(async move {
            let _ = conn.await;
        });
        // Settle the handshake's own frames (settings and their acknowledgement) first.
        let warm = call_on(&client, "POST", "/t.S/Echo", "application/grpc", &[echo_request("warm")]).await;
        assert_eq!(warm.grpc_status(), Some("0"));
        let before = writes.load(std::sync::atomic::Ordering::Relaxed);
        let requests: Vec<[Bytes; 1]> =
            (0..8).map(|i| [echo_request(&format!("call {i} {}", "z".repeat(400)))]).collect();
        let replies = futures::future::join_all(
            requests.iter().map(|request| call_on(&client, "POST", "/t.S/Echo", "application/grpc", request)),
        )
        .await;
        for (reply, [request]) in replies.iter().zip(&requests) {
            assert_eq!(reply.grpc_status(), Some("0"));
            assert_eq!(reply.data, request.to_vec());
        }
        let answered_in = writes.load(std::sync::atomic::Ordering::Relaxed) - before;
        assert!(answered_in <= 2, "8 calls sent together were answered in {answered_in} writes");
    }

    #[tokio::test]
    async fn a_ping_that_arrives_with_calls_is_acknowledged_in_the_write_of_their_answers() {
        // Terraform's gRPC client sends a PING beside its calls (to size its window); an
        // acknowledgement written alone costs both processes a write, a read and a wake-up.
        let (client_io, server_io) = tokio::io::duplex(1 << 16);
        let writes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let server_io = CountingWrites { io: server_io, writes: writes.clone() };
        let service = Arc::new(Echo { release: CancellationToken::new() });
        tokio::spawn(serve_connection(server_io, service, Limits::default(), CancellationToken::new()));
        let (client, mut conn) = h2::client::handshake(client_io).await.unwrap();
        let mut ping_pong = conn.ping_pong().expect("taken once");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let warm = call_on(&client, "POST", "/t.S/Echo", "application/grpc", &[echo_request("warm")]).await;
        assert_eq!(warm.grpc_status(), Some("0"));
        for round in 0..3 {
            let before = writes.load(std::sync::atomic::Ordering::Relaxed);
            let requests: Vec<[Bytes; 1]> =
                (0..4).map(|i| [echo_request(&format!("round {round} call {i}"))]).collect();
            let calls = futures::future::join_all(
                requests.iter().map(|request| call_on(&client, "POST", "/t.S/Echo", "application/grpc", request)),
            );
            let (replies, pong) = tokio::join!(calls, ping_pong.ping(h2::Ping::opaque()));
            pong.expect("the PING is acknowledged");
            for (reply, [request]) in replies.iter().zip(&requests) {
                assert_eq!(reply.grpc_status(), Some("0"));
                assert_eq!(reply.data, request.to_vec());
            }
            let answered_in = writes.load(std::sync::atomic::Ordering::Relaxed) - before;
            assert_eq!(answered_in, 1, "round {round}: 4 calls and a PING were answered in {answered_in} writes");
        }
    }

    #[tokio::test]
    async fn an_answer_that_comes_later_is_written_without_waiting_for_the_client() {
        // A handler that waits for the vendor's API answers after the connection's turn is
        // over; its answer must leave at once, not when the client next sends something.
        let mut h = harness(Limits::default()).await;
        let warm = h.grpc("/t.S/Echo", &[echo_request("warm")]).await;
        assert_eq!(warm.grpc_status(), Some("0"));
        for _ in 0..3 {
            let r = tokio::time::timeout(std::time::Duration::from_secs(2), h.grpc("/t.S/Slow", &[echo_request("")]))
                .await
                .expect("the later answer is written when it is ready");
            assert_eq!(r.grpc_status(), Some("0"));
        }
    }

    #[tokio::test]
    async fn a_unary_call_is_one_prefixed_message_and_status_ok_in_the_trailers() {
        let mut h = harness(Limits::default()).await;
        let r = h.grpc("/t.S/Echo", &[echo_request("hello")]).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["content-type"], "application/grpc");
        assert_eq!(r.data, echo_request("hello").to_vec());
        assert_eq!(r.grpc_status(), Some("0"));
        assert!(r.trailers.is_some(), "status OK comes in trailers");
    }

    #[tokio::test]
    async fn a_message_split_over_frames_is_joined() {
        let mut h = harness(Limits::default()).await;
        let whole = echo_request(&"y".repeat(5000));
        let chunks = [whole.slice(..3), whole.slice(3..2000), whole.slice(2000..)];
        let r = h.grpc("/t.S/Echo", &chunks).await;
        assert_eq!(r.data, whole.to_vec());
        assert_eq!(r.grpc_status(), Some("0"));
    }

    #[tokio::test]
    async fn errors_are_trailers_only_with_the_message_percent_encoded() {
        let mut h = harness(Limits::default()).await;
        let r = h.grpc("/t.S/Fail", &[echo_request("x")]).await;
        assert!(r.trailers.is_none() && r.data.is_empty(), "trailers-only");
        assert_eq!(r.headers["content-type"], "application/grpc");
        assert_eq!(r.grpc_status(), Some((Code::InvalidArgument as i32).to_string().as_str()));
        assert_eq!(r.headers["grpc-message"], "bad:%20100%25%20wrong%0Areally");
        let status = Status::from_header_map(&r.headers).unwrap();
        assert_eq!(status.message(), "bad: 100% wrong\nreally");
    }

    #[tokio::test]
    async fn a_call_that_panics_is_reset_and_the_connection_serves_on() {
        let mut h = harness(Limits::default()).await;
        let request = http::Request::builder()
            .method("POST")
            .uri("http://localhost/t.S/Panic")
            .header("content-type", "application/grpc")
            .body(())
            .unwrap();
        let mut client = h.client.clone().ready().await.unwrap();
        let (response, mut send) = client.send_request(request, false).unwrap();
        send.send_data(echo_request("x"), true).unwrap();
        let err = response.await.expect_err("the panicked call's stream is reset");
        assert!(err.reason().is_some(), "{err}");
        let r = h.grpc("/t.S/Echo", &[echo_request("after")]).await;
        assert_eq!(r.grpc_status(), Some("0"));
        assert_eq!(r.data, echo_request("after").to_vec());
        assert!(!h.server.is_finished(), "the connection is still served");
    }

    #[tokio::test]
    async fn an_unknown_method_is_unimplemented() {
        let mut h = harness(Limits::default()).await;
        let r = h.grpc("/t.S/Nope", &[echo_request("x")]).await;
        assert_eq!(r.grpc_status(), Some((Code::Unimplemented as i32).to_string().as_str()));
        assert!(r.headers["grpc-message"].to_str().unwrap().contains("/t.S/Nope"));
    }

    #[tokio::test]
    async fn malformed_requests_are_refused_with_a_status() {
        let mut h = harness(Limits::default()).await;
        let code = |c: Code| (c as i32).to_string();
        let compressed = h.grpc("/t.S/Echo", &[framed(1, b"zz")]).await;
        assert_eq!(compressed.grpc_status(), Some(code(Code::Unimplemented).as_str()));
        let no_message = h.grpc("/t.S/Echo", &[]).await;
        assert_eq!(no_message.grpc_status(), Some(code(Code::Internal).as_str()));
        let mut two = BytesMut::from(&echo_request("a")[..]);
        two.extend_from_slice(&echo_request("b"));
        let two = h.grpc("/t.S/Echo", &[two.freeze()]).await;
        assert_eq!(two.grpc_status(), Some(code(Code::Internal).as_str()));
        let short = h.grpc("/t.S/Echo", &[echo_request("abc").slice(..7)]).await;
        assert_eq!(short.grpc_status(), Some(code(Code::Internal).as_str()));
        let garbage = h.grpc("/t.S/Echo", &[framed(0, &[0xff, 0xff, 0xff])]).await;
        assert_eq!(garbage.grpc_status(), Some(code(Code::Internal).as_str()));
    }

    #[tokio::test]
    async fn what_is_not_grpc_gets_a_plain_http_status() {
        let mut h = harness(Limits::default()).await;
        let get = h.call("GET", "/t.S/Echo", "application/grpc", &[]).await;
        assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
        let json = h.call("POST", "/t.S/Echo", "application/json", &[echo_request("x")]).await;
        assert_eq!(json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(json.grpc_status().is_none());
    }

    #[tokio::test]
    async fn messages_past_the_limit_are_refused_either_way() {
        let limits = Limits { max_message_bytes: 100, ..Limits::default() };
        let mut h = harness(limits).await;
        let exhausted = (Code::ResourceExhausted as i32).to_string();
        // Declared too large in the prefix, and sent too large.
        let declared = h.grpc("/t.S/Echo", &[framed(0, &[0u8; 101])]).await;
        assert_eq!(declared.grpc_status(), Some(exhausted.as_str()));
        let sent = h.grpc("/t.S/Echo", &[echo_request(&"z".repeat(200))]).await;
        assert_eq!(sent.grpc_status(), Some(exhausted.as_str()));
        let response = h.grpc("/t.S/Big", &[echo_request("")]).await;
        assert_eq!(response.grpc_status(), Some(exhausted.as_str()));
        assert!(response.data.is_empty());
        // The connection still serves.
        let ok = h.grpc("/t.S/Echo", &[echo_request("fine")]).await;
        assert_eq!(ok.grpc_status(), Some("0"));
    }

    #[tokio::test]
    async fn many_calls_pass_more_than_a_window_of_data() {
        // Window capacity must be given back as requests are read, or the connection stalls.
        let limits = Limits { window_bytes: 65_535, ..Limits::default() };
        let mut h = harness(limits).await;
        let request = echo_request(&"w".repeat(10_000));
        for _ in 0..30 {
            let r = tokio::time::timeout(
                std::time::Duration::from_secs(5),
                h.grpc("/t.S/Echo", std::slice::from_ref(&request)),
            )
            .await
            .expect("the connection does not stall");
            assert_eq!(r.grpc_status(), Some("0"));
        }
        // And a response larger than the client's window (64 KiB) goes out as it opens.
        let big = echo_request(&"v".repeat(300_000));
        let r = h.grpc("/t.S/Echo", std::slice::from_ref(&big)).await;
        assert_eq!(r.data.len(), big.len());
        assert_eq!(r.grpc_status(), Some("0"));
    }

    #[tokio::test]
    async fn a_quiet_stream_ends_ok_when_its_future_does_and_shutdown_closes_the_connection() {
        let mut h = harness(Limits::default()).await;
        let release = h.release.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            release.cancel();
        });
        let r = h.grpc("/t.S/Quiet", &[echo_request("")]).await;
        assert!(r.data.is_empty());
        assert_eq!(r.grpc_status(), Some("0"));
        h.shutdown.cancel();
        tokio::time::timeout(std::time::Duration::from_secs(5), h.server).await.expect("served out").unwrap();
    }
}
