//! The server side of HTTP/2 (RFC 9113) that a gRPC server of unary calls needs, and no more:
//! the connection preface and settings, HEADERS with CONTINUATION, DATA, flow control both
//! ways, PING, RST_STREAM, GOAWAY. Header blocks are decoded by `hpack`; the answers' headers
//! are written as literals that are never indexed, so the encoder keeps no state.
//!
//! Why not `h2`: for a plugin's many small calls on one connection, `h2` spent about 25,500
//! instructions per call (its stream store, header maps, request conversion and frame queues),
//! more than any of our handlers (BENCHMARKS.md, "Profile"). A call here is a frame or two in
//! and three out.
//!
//! The peer is the one client that passed the mutual-TLS check, but its input is still checked
//! as if it were not: frame and header-list sizes, stream ids, windows and every length are
//! bounded, and a violation ends the stream or the connection with the RFC's error code. A
//! call still running after its client reset the stream counts against the stream limit, and
//! what the bodies still arriving hold is bounded for the connection as a whole.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures::future::{AbortHandle, Abortable};
use futures::stream::{FuturesUnordered, StreamExt};
use http::HeaderMap;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;

/// A boxed future that may move between tasks.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const FRAME_HEADER: usize = 9;
/// The largest frame we accept: the protocol's default, which we do not raise.
const MAX_FRAME: usize = 16_384;
/// The largest window the protocol allows.
const MAX_WINDOW: i64 = (1 << 31) - 1;
/// The window every stream and the connection start with, before SETTINGS change it.
const DEFAULT_WINDOW: i64 = 65_535;
/// The dynamic table the peer's encoder may use (the protocol's default, which we do not raise).
const HEADER_TABLE: usize = 4_096;
/// What one turn reads before it answers and writes.
const READ_BUDGET: usize = 1 << 20;

mod kind {
    pub const DATA: u8 = 0x0;
    pub const HEADERS: u8 = 0x1;
    pub const PRIORITY: u8 = 0x2;
    pub const RST_STREAM: u8 = 0x3;
    pub const SETTINGS: u8 = 0x4;
    pub const PUSH_PROMISE: u8 = 0x5;
    pub const PING: u8 = 0x6;
    pub const GOAWAY: u8 = 0x7;
    pub const WINDOW_UPDATE: u8 = 0x8;
    pub const CONTINUATION: u8 = 0x9;
}

mod flag {
    pub const END_STREAM: u8 = 0x1;
    pub const ACK: u8 = 0x1;
    pub const END_HEADERS: u8 = 0x4;
    pub const PADDED: u8 = 0x8;
    pub const PRIORITY: u8 = 0x20;
}

/// Error codes (RFC 9113, section 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Code {
    NoError = 0x0,
    Protocol = 0x1,
    Internal = 0x2,
    FlowControl = 0x3,
    StreamClosed = 0x5,
    FrameSize = 0x6,
    Refused = 0x7,
    Compression = 0x9,
    EnhanceYourCalm = 0xb,
}

/// HTTP/2 settings and limits of a server.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Streams open at once.
    pub max_concurrent_streams: u32,
    /// The receive window of each stream and of the connection, in bytes.
    pub window_bytes: u32,
    /// The largest header list a client may send (RFC 9113's size: names, values and 32 a field).
    pub max_header_list_bytes: u32,
    /// The largest request body; past it the request is answered with `Body::TooLarge`.
    pub max_body_bytes: usize,
    /// What the bodies still arriving may hold at once, all streams together; a stream whose
    /// DATA would pass it is reset with ENHANCE_YOUR_CALM. It bounds what slow uploads hold, not
    /// the requests already handed to calls that still run (those are bounded by the stream
    /// limit and each body's).
    pub max_received_bytes: usize,
    /// What may wait to be written before the connection stops reading.
    pub max_unwritten_bytes: usize,
}

/// A request whose body has arrived.
pub struct Request {
    /// `:method` is `POST`.
    pub post: bool,
    /// `content-type` starts with `application/grpc`.
    pub grpc: bool,
    /// `:path`, without a query.
    pub path: String,
    /// The body, whole, or that it was larger than the limit (answered before it ends).
    pub body: Result<Bytes, BodyTooLarge>,
}

/// A request body past [`Settings::max_body_bytes`].
#[derive(Debug)]
pub struct BodyTooLarge;

/// How a request is answered; `A` is what a reply that comes later is worked out from.
pub enum Reply<A> {
    /// Headers alone, ending the stream.
    Head {
        /// `:status`.
        status: u16,
        /// The other fields.
        fields: HeaderMap,
    },
    /// `:status 200`, `content-type: application/grpc`, this body, then `grpc-status: 0`.
    Grpc(Bytes),
    /// The gRPC headers now and `grpc-status: 0` when the future ends, unless the client
    /// resets the stream first (which drops the future).
    GrpcUntil(BoxFuture<()>),
    /// A reply worked out by [`Handler::answer`] from what this future gives.
    Later(BoxFuture<A>),
}

/// What a connection's requests are handed to.
pub trait Handler {
    /// What a [`Reply::Later`] future gives.
    type Answer: Send + 'static;
    /// The reply to a request whose body has arrived.
    fn request(&mut self, request: Request) -> Reply<Self::Answer>;
    /// The reply a [`Reply::Later`] future's answer makes.
    fn answer(&mut self, answer: Self::Answer) -> Reply<Self::Answer>;
}

/// Serve one connection. Ends when the client closes it or, after `shutdown`, once the open
/// streams are answered (new ones are refused after a GOAWAY).
pub async fn serve<IO, H>(io: IO, settings: Settings, shutdown: CancellationToken, handler: H)
where
    IO: AsyncRead + AsyncWrite + Unpin,
    H: Handler,
{
    let mut conn = Connection::new(io, settings, handler);
    let cancelled = shutdown.cancelled();
    tokio::pin!(cancelled);
    futures::future::poll_fn(|cx| {
        if !conn.closing && cancelled.as_mut().poll(cx).is_ready() {
            conn.go_away(Code::NoError);
        }
        conn.poll(cx)
    })
    .await
}

/// The headers of a gRPC answer: `:status 200` (static index 8) and `content-type:
/// application/grpc` (a literal never added to the table, named by static index 31).
const GRPC_HEADERS: &[u8] = b"\x88\x0f\x10\x10application/grpc";
/// The trailers of a call that succeeded: `grpc-status: 0`, a literal with a new name.
const OK_TRAILERS: &[u8] = b"\x00\x0bgrpc-status\x010";

/// A stream the client has opened.
struct Stream {
    state: State,
    /// The client may still send on it (it has not ended its side).
    remote_open: bool,
    /// What we may still send on it.
    send_window: i64,
    /// What it may still send us.
    recv_window: i64,
}

enum State {
    /// Its body is arriving.
    Receiving { post: bool, grpc: bool, path: String, body: Body },
    /// Its reply is being worked out.
    Answering,
    /// Its gRPC headers are out; the trailers wait for a future (aborted on reset).
    Open(AbortHandle),
    /// Its body waits for window; the trailers go after it.
    Sending(Bytes),
}

enum Body {
    Empty,
    One(Bytes),
    Joined(BytesMut),
}

impl Body {
    fn len(&self) -> usize {
        match self {
            Body::Empty => 0,
            Body::One(b) => b.len(),
            Body::Joined(b) => b.len(),
        }
    }

    fn push(&mut self, chunk: Bytes) {
        // Most bodies arrive in one DATA frame: keep it as it is, copy only when more come.
        *self = match std::mem::replace(self, Body::Empty) {
            Body::Empty => Body::One(chunk),
            Body::One(first) => {
                let mut joined = BytesMut::with_capacity(first.len() + chunk.len());
                joined.extend_from_slice(&first);
                joined.extend_from_slice(&chunk);
                Body::Joined(joined)
            }
            Body::Joined(mut joined) => {
                joined.extend_from_slice(&chunk);
                Body::Joined(joined)
            }
        }
    }

    fn take(self) -> Bytes {
        match self {
            Body::Empty => Bytes::new(),
            Body::One(b) => b,
            Body::Joined(b) => b.freeze(),
        }
    }
}

/// What a pending future gave, for its stream.
enum Done<A> {
    Answer(A),
    /// A `GrpcUntil` future ended (`true`) or was aborted.
    Ended(bool),
    Panicked,
}

/// A `Later` future, or the one a `GrpcUntil` stream waits for.
struct Pending<A> {
    id: u32,
    work: Work<A>,
}

enum Work<A> {
    Later(BoxFuture<A>),
    Until(Abortable<BoxFuture<()>>),
}

impl<A> Future for Pending<A> {
    type Output = (u32, Done<A>);
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<(u32, Done<A>)> {
        let id = self.id;
        // A panic ends its stream (which is reset), not the connection.
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| match &mut self.work {
            Work::Later(f) => f.as_mut().poll(cx).map(Done::Answer),
            Work::Until(f) => Pin::new(f).poll(cx).map(|r| Done::Ended(r.is_ok())),
        }));
        match polled {
            Ok(p) => p.map(|d| (id, d)),
            Err(_) => Poll::Ready((id, Done::Panicked)),
        }
    }
}

/// A header block that CONTINUATION frames are still adding to.
struct Continuing {
    id: u32,
    end_stream: bool,
    block: BytesMut,
}

struct Connection<IO, H: Handler> {
    io: IO,
    settings: Settings,
    handler: H,
    read: BytesMut,
    out: BytesMut,
    /// What was written since the last flush.
    unflushed: bool,
    /// The preface has been read; then, the client's first SETTINGS.
    preface_read: bool,
    settings_read: bool,
    decoder: super::hpack::Decoder,
    // foldhash, not std's SipHash: six lookups a call; at most max_concurrent_streams entries.
    streams: foldhash::HashMap<u32, Stream>,
    pending: FuturesUnordered<Pending<H::Answer>>,
    /// Streams whose body waits for window, in the order they began waiting.
    blocked: Vec<u32>,
    /// What the bodies of streams still receiving hold, all together.
    received: usize,
    continuing: Option<Continuing>,
    last_stream_id: u32,
    /// Our receive window of each stream and of the connection, as advertised.
    window: i64,
    send_window: i64,
    recv_window: i64,
    /// The window each new stream may be sent (the client's setting).
    peer_initial_window: i64,
    peer_max_frame: usize,
    /// A GOAWAY has been sent or received: no new streams.
    closing: bool,
    /// A connection error: the GOAWAY is written and the connection ends.
    failed: bool,
    /// The client closed the connection, or a read failed.
    gone: bool,
}

impl<IO, H> Connection<IO, H>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    H: Handler,
{
    fn new(io: IO, settings: Settings, handler: H) -> Self {
        let decoder = super::hpack::Decoder::new(HEADER_TABLE);
        let window = i64::from(settings.window_bytes).clamp(DEFAULT_WINDOW, MAX_WINDOW);
        let mut conn = Connection {
            io,
            settings,
            handler,
            read: BytesMut::with_capacity(FRAME_HEADER + MAX_FRAME),
            out: BytesMut::with_capacity(16 << 10),
            unflushed: false,
            preface_read: false,
            settings_read: false,
            decoder,
            streams: foldhash::HashMap::default(),
            pending: FuturesUnordered::new(),
            blocked: Vec::new(),
            received: 0,
            continuing: None,
            last_stream_id: 0,
            window,
            send_window: DEFAULT_WINDOW,
            recv_window: window,
            peer_initial_window: DEFAULT_WINDOW,
            peer_max_frame: MAX_FRAME,
            closing: false,
            failed: false,
            gone: false,
        };
        // Our SETTINGS go out at once: a client waits for them before it calls.
        let mut payload = BytesMut::with_capacity(18);
        for (id, value) in
            [(0x3u16, settings.max_concurrent_streams), (0x4, window as u32), (0x6, settings.max_header_list_bytes)]
        {
            payload.put_u16(id);
            payload.put_u32(value);
        }
        put_frame(&mut conn.out, kind::SETTINGS, 0, 0, &payload);
        if window > DEFAULT_WINDOW {
            put_window_update(&mut conn.out, 0, (window - DEFAULT_WINDOW) as u32);
        }
        conn
    }

    /// One turn: read what has arrived, answer what can be answered now, write it all at once.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let mut read_again = false;
            let room = self.out.len() < self.settings.max_unwritten_bytes;
            if !self.failed && !self.gone && room {
                read_again = self.poll_read(cx);
            }
            while !self.failed {
                match self.pending.poll_next_unpin(cx) {
                    Poll::Ready(Some((id, done))) => self.done(id, done),
                    _ => break,
                }
            }
            if self.gone {
                return Poll::Ready(());
            }
            match self.poll_write(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
            if self.failed || (self.closing && self.streams.is_empty()) {
                // Nothing is left to send: close our side (TLS's close_notify) and end.
                return Pin::new(&mut self.io).poll_shutdown(cx).map(|_| ());
            }
            if read_again {
                // The turn's read budget ran out: let the runtime run others, then go on.
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if room {
                return Poll::Pending;
            }
            // Reading had stopped for what waited to be written; it is written now.
        }
    }

    /// Read and handle frames until the socket has no more, or the budget is spent (`true`).
    fn poll_read(&mut self, cx: &mut Context<'_>) -> bool {
        let mut total = 0usize;
        loop {
            self.frames();
            if self.failed || self.gone {
                return false;
            }
            if total >= READ_BUDGET {
                return true;
            }
            self.read.reserve(FRAME_HEADER + MAX_FRAME);
            match tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.read) {
                Poll::Pending => return false,
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => {
                    self.gone = true;
                    return false;
                }
                Poll::Ready(Ok(n)) => total += n,
            }
        }
    }

    /// Write out everything waiting, then flush.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while !self.out.is_empty() {
            let n = std::task::ready!(Pin::new(&mut self.io).poll_write(cx, &self.out))?;
            if n == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            self.out.advance(n);
            self.unflushed = true;
        }
        if self.unflushed {
            std::task::ready!(Pin::new(&mut self.io).poll_flush(cx))?;
            self.unflushed = false;
        }
        Poll::Ready(Ok(()))
    }

    /// Handle every whole frame read.
    fn frames(&mut self) {
        if !self.preface_read {
            if self.read.len() < PREFACE.len() {
                return;
            }
            if !self.read.starts_with(PREFACE) {
                return self.fail(Code::Protocol, "the client did not send HTTP/2's preface");
            }
            self.read.advance(PREFACE.len());
            self.preface_read = true;
        }
        while !self.failed && self.read.len() >= FRAME_HEADER {
            let h = &self.read[..FRAME_HEADER];
            let len = (usize::from(h[0]) << 16) | (usize::from(h[1]) << 8) | usize::from(h[2]);
            if len > MAX_FRAME {
                return self.fail(Code::FrameSize, "a frame is larger than the frame size we allow");
            }
            if self.read.len() < FRAME_HEADER + len {
                return;
            }
            let (kind, flags) = (h[3], h[4]);
            let id = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
            self.read.advance(FRAME_HEADER);
            let payload = self.read.split_to(len).freeze();
            self.frame(kind, flags, id, payload);
        }
    }

    fn frame(&mut self, kind: u8, flags: u8, id: u32, payload: Bytes) {
        if let Some(c) = &self.continuing
            && (kind != kind::CONTINUATION || id != c.id)
        {
            return self.fail(Code::Protocol, "a header block was interrupted by another frame");
        }
        if !self.settings_read {
            if kind != kind::SETTINGS || flags & flag::ACK != 0 {
                return self.fail(Code::Protocol, "the client's first frame is not SETTINGS");
            }
            self.settings_read = true;
        }
        match kind {
            kind::DATA => self.data(flags, id, payload),
            kind::HEADERS => self.headers(flags, id, payload),
            kind::PRIORITY => {
                if id == 0 {
                    self.fail(Code::Protocol, "PRIORITY on the connection");
                } else if payload.len() != 5 {
                    self.reset(id, Code::FrameSize);
                }
            }
            kind::RST_STREAM => {
                if id == 0 {
                    self.fail(Code::Protocol, "RST_STREAM on the connection");
                } else if payload.len() != 4 {
                    self.fail(Code::FrameSize, "RST_STREAM of the wrong size");
                } else if id > self.last_stream_id {
                    self.fail(Code::Protocol, "RST_STREAM of a stream never opened");
                } else {
                    self.forget(id);
                }
            }
            kind::SETTINGS => self.peer_settings(flags, id, &payload),
            kind::PUSH_PROMISE => self.fail(Code::Protocol, "a client sent PUSH_PROMISE"),
            kind::PING => {
                if id != 0 {
                    self.fail(Code::Protocol, "PING on a stream");
                } else if payload.len() != 8 {
                    self.fail(Code::FrameSize, "PING of the wrong size");
                } else if flags & flag::ACK == 0 {
                    put_frame(&mut self.out, kind::PING, flag::ACK, 0, &payload);
                }
            }
            kind::GOAWAY => {
                if id != 0 {
                    self.fail(Code::Protocol, "GOAWAY on a stream");
                } else if payload.len() < 8 {
                    self.fail(Code::FrameSize, "GOAWAY too short");
                } else {
                    // The client opens no more streams; those open are still answered.
                    self.closing = true;
                }
            }
            kind::WINDOW_UPDATE => self.window_update(id, &payload),
            kind::CONTINUATION => {
                let Some(mut c) = self.continuing.take() else {
                    return self.fail(Code::Protocol, "CONTINUATION without a header block");
                };
                if c.block.len() + payload.len() > self.settings.max_header_list_bytes as usize {
                    return self.fail(Code::Protocol, "a header block is larger than the header list we allow");
                }
                c.block.extend_from_slice(&payload);
                if flags & flag::END_HEADERS != 0 {
                    self.header_block(c.id, c.end_stream, &c.block);
                } else {
                    self.continuing = Some(c);
                }
            }
            // Frames of unknown types are ignored (RFC 9113, section 4.1).
            _ => {}
        }
    }

    fn peer_settings(&mut self, flags: u8, id: u32, payload: &[u8]) {
        if id != 0 {
            return self.fail(Code::Protocol, "SETTINGS on a stream");
        }
        if flags & flag::ACK != 0 {
            if !payload.is_empty() {
                self.fail(Code::FrameSize, "a SETTINGS acknowledgement with a payload");
            }
            return;
        }
        if !payload.len().is_multiple_of(6) {
            return self.fail(Code::FrameSize, "SETTINGS of the wrong size");
        }
        for setting in payload.chunks_exact(6) {
            let value = u32::from_be_bytes([setting[2], setting[3], setting[4], setting[5]]);
            match u16::from_be_bytes([setting[0], setting[1]]) {
                // ENABLE_PUSH: a server never pushes here; only the value is checked.
                0x2 if value > 1 => return self.fail(Code::Protocol, "ENABLE_PUSH is neither 0 nor 1"),
                0x4 => {
                    let value = i64::from(value);
                    if value > MAX_WINDOW {
                        return self.fail(Code::FlowControl, "INITIAL_WINDOW_SIZE above 2^31-1");
                    }
                    let delta = value - self.peer_initial_window;
                    self.peer_initial_window = value;
                    for stream in self.streams.values_mut() {
                        stream.send_window += delta;
                        if stream.send_window > MAX_WINDOW {
                            return self.fail(Code::FlowControl, "a stream's window grew above 2^31-1");
                        }
                    }
                }
                0x5 => {
                    if !(16_384..=16_777_215).contains(&value) {
                        return self.fail(Code::Protocol, "MAX_FRAME_SIZE out of range");
                    }
                    self.peer_max_frame = value as usize;
                }
                // HEADER_TABLE_SIZE (our answers never use the table), MAX_CONCURRENT_STREAMS
                // (we open none), MAX_HEADER_LIST_SIZE (advisory) and unknown settings.
                _ => {}
            }
        }
        put_frame(&mut self.out, kind::SETTINGS, flag::ACK, 0, &[]);
        self.unblock();
    }

    fn window_update(&mut self, id: u32, payload: &[u8]) {
        if payload.len() != 4 {
            return self.fail(Code::FrameSize, "WINDOW_UPDATE of the wrong size");
        }
        let increment = i64::from(u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]) & 0x7fff_ffff);
        if id == 0 {
            if increment == 0 {
                return self.fail(Code::Protocol, "a WINDOW_UPDATE of 0 on the connection");
            }
            self.send_window += increment;
            if self.send_window > MAX_WINDOW {
                return self.fail(Code::FlowControl, "the connection's window grew above 2^31-1");
            }
        } else if let Some(stream) = self.streams.get_mut(&id) {
            if increment == 0 {
                return self.reset(id, Code::Protocol);
            }
            stream.send_window += increment;
            if stream.send_window > MAX_WINDOW {
                return self.reset(id, Code::FlowControl);
            }
        } else if id > self.last_stream_id {
            return self.fail(Code::Protocol, "WINDOW_UPDATE of a stream never opened");
        }
        self.unblock();
    }

    fn data(&mut self, flags: u8, id: u32, payload: Bytes) {
        if id == 0 {
            return self.fail(Code::Protocol, "DATA on the connection");
        }
        // The whole payload, padding too, counts against the windows.
        let counted = payload.len() as i64;
        let Some(data) = unpad(flags, payload) else {
            return self.fail(Code::Protocol, "DATA with more padding than payload");
        };
        if counted > self.recv_window {
            return self.fail(Code::FlowControl, "DATA beyond the connection's window");
        }
        self.recv_window -= counted;
        // What arrives is taken off the socket at once, so the window is given back at once
        // (in increments of half of it).
        if self.recv_window <= self.window / 2 {
            put_window_update(&mut self.out, 0, (self.window - self.recv_window) as u32);
            self.recv_window = self.window;
        }
        let end_stream = flags & flag::END_STREAM != 0;
        let Some(stream) = self.streams.get_mut(&id) else {
            if id > self.last_stream_id {
                self.fail(Code::Protocol, "DATA on a stream never opened");
            }
            // A stream we have closed or reset: what was already in flight is ignored.
            return;
        };
        if !stream.remote_open {
            return self.reset(id, Code::StreamClosed);
        }
        if counted > stream.recv_window {
            return self.reset(id, Code::FlowControl);
        }
        stream.recv_window -= counted;
        let State::Receiving { body, .. } = &mut stream.state else {
            // Answered before the body ended (too large): the rest is dropped.
            stream.remote_open = !end_stream;
            return;
        };
        if !data.is_empty() {
            if body.len() + data.len() > self.settings.max_body_bytes {
                stream.remote_open = !end_stream;
                return self.dispatch(id, Err(BodyTooLarge));
            }
            if self.received + data.len() > self.settings.max_received_bytes {
                return self.reset(id, Code::EnhanceYourCalm);
            }
            self.received += data.len();
            body.push(data);
        }
        if end_stream {
            stream.remote_open = false;
            return self.dispatch(id, Ok(()));
        }
        if stream.recv_window <= self.window / 2 {
            put_window_update(&mut self.out, id, (self.window - stream.recv_window) as u32);
            stream.recv_window = self.window;
        }
    }

    fn headers(&mut self, flags: u8, id: u32, payload: Bytes) {
        if id == 0 {
            return self.fail(Code::Protocol, "HEADERS on the connection");
        }
        let Some(mut block) = unpad(flags, payload) else {
            return self.fail(Code::Protocol, "HEADERS with more padding than payload");
        };
        if flags & flag::PRIORITY != 0 {
            if block.len() < 5 {
                return self.fail(Code::FrameSize, "HEADERS too short for its priority");
            }
            block.advance(5);
        }
        let end_stream = flags & flag::END_STREAM != 0;
        if flags & flag::END_HEADERS != 0 {
            self.header_block(id, end_stream, &block);
        } else if block.len() > self.settings.max_header_list_bytes as usize {
            self.fail(Code::Protocol, "a header block is larger than the header list we allow");
        } else {
            self.continuing = Some(Continuing { id, end_stream, block: BytesMut::from(&block[..]) });
        }
    }

    fn header_block(&mut self, id: u32, end_stream: bool, block: &[u8]) {
        // Every block is decoded, even one that is refused: the table must stay in step.
        let (mut post, mut grpc, mut path, mut list_bytes) = (false, false, None::<Vec<u8>>, 0usize);
        let max_list = self.settings.max_header_list_bytes as usize;
        let decoded = self.decoder.decode(block, |name, value| {
            list_bytes = list_bytes.saturating_add(name.len() + value.len() + 32);
            match name {
                b":method" => post = value == b"POST",
                // Only the first, and nothing past the limit: a block of references to one long
                // entry would otherwise copy it once per byte.
                b":path" if path.is_none() && list_bytes <= max_list => path = Some(value.to_vec()),
                b"content-type" => grpc = value.starts_with(b"application/grpc"),
                _ => {}
            }
        });
        if decoded.is_err() {
            return self.fail(Code::Compression, "a header block does not decode");
        }
        if let Some(stream) = self.streams.get_mut(&id) {
            // Trailers: they may only end the client's side.
            if !stream.remote_open {
                return self.reset(id, Code::StreamClosed);
            }
            if !end_stream {
                return self.reset(id, Code::Protocol);
            }
            stream.remote_open = false;
            if matches!(stream.state, State::Receiving { .. }) {
                self.dispatch(id, Ok(()));
            }
            return;
        }
        if id <= self.last_stream_id {
            // A new stream must have a higher id than every earlier one, and a gRPC client
            // sends no trailers, so none can be in flight on a stream we have closed.
            return self.fail(Code::Protocol, "HEADERS on a stream already closed");
        }
        if id.is_multiple_of(2) {
            return self.fail(Code::Protocol, "a client opened a stream of even id");
        }
        self.last_stream_id = id;
        // A call whose client reset its stream runs on to its end while the connection is
        // served (a cancelled apply may be mid-create), so the running calls count too: opening
        // and resetting streams over and over must not pile up work ("rapid reset"). Not the sum
        // of the two: open streams and running calls are mostly the same calls, and either
        // alone is held to the limit.
        let busy = self.streams.len().max(self.pending.len());
        if self.closing || busy >= self.settings.max_concurrent_streams as usize {
            return put_rst(&mut self.out, id, Code::Refused);
        }
        let path = match path.map(String::from_utf8) {
            Some(Ok(mut path)) => {
                if let Some(query) = path.find('?') {
                    path.truncate(query);
                }
                path
            }
            // No `:path`, or not UTF-8: a malformed request.
            _ => return put_rst(&mut self.out, id, Code::Protocol),
        };
        let mut stream = Stream {
            state: State::Answering,
            remote_open: !end_stream,
            send_window: self.peer_initial_window,
            recv_window: self.window,
        };
        if list_bytes > self.settings.max_header_list_bytes as usize {
            self.streams.insert(id, stream);
            let head = Reply::Head { status: 431, fields: HeaderMap::new() };
            return self.reply(id, head);
        }
        stream.state = State::Receiving { post, grpc, path, body: Body::Empty };
        self.streams.insert(id, stream);
        if end_stream {
            self.dispatch(id, Ok(()));
        }
    }

    /// Hand a stream's request to the handler, with its body or that it was too large.
    fn dispatch(&mut self, id: u32, body: Result<(), BodyTooLarge>) {
        let Some(stream) = self.streams.get_mut(&id) else { return };
        let State::Receiving { post, grpc, path, body: received } =
            std::mem::replace(&mut stream.state, State::Answering)
        else {
            return;
        };
        self.received -= received.len();
        let request = Request { post, grpc, path, body: body.map(|()| received.take()) };
        let handler = &mut self.handler;
        match std::panic::catch_unwind(AssertUnwindSafe(|| handler.request(request))) {
            Ok(reply) => self.reply(id, reply),
            Err(_) => self.panicked(id),
        }
    }

    fn reply(&mut self, id: u32, reply: Reply<H::Answer>) {
        match reply {
            Reply::Head { status, fields } => {
                let mut block = BytesMut::with_capacity(64);
                put_status(&mut block, status);
                for (name, value) in &fields {
                    put_literal(&mut block, name.as_str().as_bytes(), value.as_bytes());
                }
                self.put_headers(id, &block, true);
                self.finish(id);
            }
            Reply::Grpc(body) => {
                self.put_headers(id, GRPC_HEADERS, false);
                if let Some(stream) = self.streams.get_mut(&id) {
                    stream.state = State::Sending(body);
                }
                self.send_body(id);
            }
            Reply::GrpcUntil(until) => {
                self.put_headers(id, GRPC_HEADERS, false);
                let (until, abort) = futures::future::abortable(until);
                if let Some(stream) = self.streams.get_mut(&id) {
                    stream.state = State::Open(abort);
                }
                self.pending.push(Pending { id, work: Work::Until(until) });
            }
            Reply::Later(answer) => self.pending.push(Pending { id, work: Work::Later(answer) }),
        }
    }

    fn done(&mut self, id: u32, done: Done<H::Answer>) {
        // A stream that is gone was reset: what its future gave is dropped.
        let Some(stream) = self.streams.get(&id) else { return };
        match done {
            Done::Answer(answer) => {
                if matches!(stream.state, State::Answering) {
                    let handler = &mut self.handler;
                    match std::panic::catch_unwind(AssertUnwindSafe(|| handler.answer(answer))) {
                        Ok(reply) => self.reply(id, reply),
                        Err(_) => self.panicked(id),
                    }
                }
            }
            Done::Ended(true) => {
                if matches!(stream.state, State::Open(_)) {
                    self.put_headers(id, OK_TRAILERS, true);
                    self.finish(id);
                }
            }
            Done::Ended(false) => {}
            Done::Panicked => self.panicked(id),
        }
    }

    /// Send as much of a stream's body as the windows allow; once all is sent, the trailers.
    fn send_body(&mut self, id: u32) {
        let Some(stream) = self.streams.get_mut(&id) else { return };
        let State::Sending(body) = &mut stream.state else { return };
        while !body.is_empty() {
            let room = stream.send_window.min(self.send_window).max(0) as usize;
            let n = body.len().min(self.peer_max_frame).min(room);
            if n == 0 {
                if !self.blocked.contains(&id) {
                    self.blocked.push(id);
                }
                return;
            }
            let chunk = body.split_to(n);
            put_frame(&mut self.out, kind::DATA, 0, id, &chunk);
            stream.send_window -= n as i64;
            self.send_window -= n as i64;
        }
        self.put_headers(id, OK_TRAILERS, true);
        self.finish(id);
    }

    /// Go on with the bodies that waited for window.
    fn unblock(&mut self) {
        if self.blocked.is_empty() || self.send_window <= 0 {
            return;
        }
        for id in std::mem::take(&mut self.blocked) {
            self.send_body(id);
        }
    }

    /// A stream that ends no longer waits for window.
    fn unblocked(&mut self, id: u32) {
        if !self.blocked.is_empty() {
            self.blocked.retain(|&b| b != id);
        }
    }

    /// Our side of a stream has ended: forget it, and tell a client still sending to stop.
    fn finish(&mut self, id: u32) {
        if let Some(stream) = self.remove(id)
            && stream.remote_open
        {
            put_rst(&mut self.out, id, Code::NoError);
        }
    }

    /// A call panicked: its stream is reset, the connection goes on.
    fn panicked(&mut self, id: u32) {
        tracing::error!("answering a call panicked: its stream was reset, the connection goes on");
        self.reset(id, Code::Internal);
    }

    /// End a stream with an error.
    fn reset(&mut self, id: u32, code: Code) {
        put_rst(&mut self.out, id, code);
        self.forget(id);
    }

    /// A stream reset, by either side: its future is aborted, what it received given back.
    fn forget(&mut self, id: u32) {
        if let Some(Stream { state: State::Open(abort), .. }) = self.remove(id) {
            abort.abort();
        }
    }

    /// A stream leaves: it no longer waits for window, and what it received is given back.
    fn remove(&mut self, id: u32) -> Option<Stream> {
        self.unblocked(id);
        let stream = self.streams.remove(&id)?;
        if let State::Receiving { body, .. } = &stream.state {
            self.received -= body.len();
        }
        Some(stream)
    }

    /// A header block, split into CONTINUATION frames past the client's frame size.
    fn put_headers(&mut self, id: u32, block: &[u8], end_stream: bool) {
        let mut chunks = block.chunks(self.peer_max_frame).peekable();
        let first = chunks.next().unwrap_or_default();
        let end = if end_stream { flag::END_STREAM } else { 0 };
        let headers_end = if chunks.peek().is_none() { flag::END_HEADERS } else { 0 };
        put_frame(&mut self.out, kind::HEADERS, end | headers_end, id, first);
        while let Some(chunk) = chunks.next() {
            let last = if chunks.peek().is_none() { flag::END_HEADERS } else { 0 };
            put_frame(&mut self.out, kind::CONTINUATION, last, id, chunk);
        }
    }

    fn go_away(&mut self, code: Code) {
        let mut payload = [0u8; 8];
        payload[..4].copy_from_slice(&self.last_stream_id.to_be_bytes());
        payload[4..].copy_from_slice(&(code as u32).to_be_bytes());
        put_frame(&mut self.out, kind::GOAWAY, 0, 0, &payload);
        self.closing = true;
    }

    /// A connection error: GOAWAY with its code, then the connection ends.
    fn fail(&mut self, code: Code, why: &'static str) {
        tracing::debug!(?code, why, "HTTP/2 connection error");
        self.go_away(code);
        self.failed = true;
        self.continuing = None;
    }
}

/// A DATA or HEADERS payload without its padding, or `None` when the padding is malformed.
fn unpad(flags: u8, mut payload: Bytes) -> Option<Bytes> {
    if flags & flag::PADDED == 0 {
        return Some(payload);
    }
    let pad = usize::from(*payload.first()?);
    payload.advance(1);
    if pad > payload.len() {
        return None;
    }
    payload.truncate(payload.len() - pad);
    Some(payload)
}

fn put_frame(out: &mut BytesMut, kind: u8, flags: u8, id: u32, payload: &[u8]) {
    let len = payload.len() as u32;
    out.reserve(FRAME_HEADER + payload.len());
    out.put_slice(&len.to_be_bytes()[1..]);
    out.put_u8(kind);
    out.put_u8(flags);
    out.put_u32(id & 0x7fff_ffff);
    out.put_slice(payload);
}

fn put_rst(out: &mut BytesMut, id: u32, code: Code) {
    put_frame(out, kind::RST_STREAM, 0, id, &(code as u32).to_be_bytes());
}

fn put_window_update(out: &mut BytesMut, id: u32, increment: u32) {
    put_frame(out, kind::WINDOW_UPDATE, 0, id, &increment.to_be_bytes());
}

/// HPACK's integer with an `n`-bit prefix, whose first byte carries `high` above it.
fn put_int(out: &mut BytesMut, high: u8, n: u32, value: usize) {
    let max = (1usize << n) - 1;
    if value < max {
        out.put_u8(high | value as u8);
        return;
    }
    out.put_u8(high | max as u8);
    let mut rest = value - max;
    while rest >= 0x80 {
        out.put_u8((rest & 0x7f) as u8 | 0x80);
        rest >>= 7;
    }
    out.put_u8(rest as u8);
}

/// A string literal, not Huffman-coded.
fn put_string(out: &mut BytesMut, s: &[u8]) {
    put_int(out, 0, 7, s.len());
    out.put_slice(s);
}

/// `:status`: indexed for 200, else a literal named by static index 8, never added to the table.
fn put_status(out: &mut BytesMut, status: u16) {
    if status == 200 {
        out.put_u8(0x88);
    } else {
        put_int(out, 0, 4, 8);
        put_string(out, status.to_string().as_bytes());
    }
}

/// A field as a literal with a new name, not added to the table.
fn put_literal(out: &mut BytesMut, name: &[u8], value: &[u8]) {
    out.put_u8(0);
    put_string(out, name);
    put_string(out, value);
}

#[cfg(test)]
mod tests {
    //! The connection driven frame by frame, as a client that breaks the rules would. The
    //! well-behaved client (`h2`'s) is in `grpc.rs`'s tests.
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

    /// Echoes the body at any path but `/until` (open until the client resets it; `dropped` is
    /// set when its future is dropped), `/later` (echoed by a future), `/never` (a future that
    /// never ends), `/panic` and `/fail`
    /// (an error of a 40,000-byte message).
    struct Echo {
        dropped: Arc<AtomicBool>,
    }

    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    impl Handler for Echo {
        type Answer = Bytes;
        fn request(&mut self, request: Request) -> Reply<Bytes> {
            let Ok(body) = request.body else {
                return Reply::Head { status: 413, fields: HeaderMap::new() };
            };
            match request.path.as_str() {
                "/until" => {
                    let guard = SetOnDrop(self.dropped.clone());
                    Reply::GrpcUntil(Box::pin(async move {
                        let _guard = guard;
                        std::future::pending::<()>().await
                    }))
                }
                "/later" => Reply::Later(Box::pin(async move {
                    tokio::task::yield_now().await;
                    body
                })),
                "/never" => Reply::Later(Box::pin(std::future::pending())),
                "/panic" => panic!("a bug in a handler"),
                "/fail" => {
                    let mut fields = HeaderMap::new();
                    fields.insert("grpc-message", "e".repeat(40_000).parse().unwrap());
                    Reply::Head { status: 200, fields }
                }
                _ => Reply::Grpc(body),
            }
        }
        fn answer(&mut self, answer: Bytes) -> Reply<Bytes> {
            Reply::Grpc(answer)
        }
    }

    fn settings() -> Settings {
        Settings {
            max_concurrent_streams: 2,
            window_bytes: 1 << 20,
            max_header_list_bytes: 1 << 10,
            max_body_bytes: 100_000,
            max_received_bytes: 150_000,
            max_unwritten_bytes: 400 << 10,
        }
    }

    struct Frame {
        kind: u8,
        flags: u8,
        id: u32,
        payload: Vec<u8>,
    }

    struct Client {
        io: DuplexStream,
        encoder: loona_hpack::Encoder<'static>,
        decoder: loona_hpack::Decoder<'static>,
        server: tokio::task::JoinHandle<()>,
        dropped: Arc<AtomicBool>,
        shutdown: CancellationToken,
    }

    fn frame_bytes(kind: u8, flags: u8, id: u32, payload: &[u8]) -> Vec<u8> {
        let mut out = BytesMut::new();
        put_frame(&mut out, kind, flags, id, payload);
        out.to_vec()
    }

    impl Client {
        /// Connected, with the preface and SETTINGS sent and the server's SETTINGS read.
        async fn new(settings: Settings) -> Client {
            let (mut io, server_io) = tokio::io::duplex(1 << 20);
            let dropped = Arc::new(AtomicBool::new(false));
            let shutdown = CancellationToken::new();
            let server = tokio::spawn(serve(server_io, settings, shutdown.clone(), Echo { dropped: dropped.clone() }));
            io.write_all(PREFACE).await.unwrap();
            io.write_all(&frame_bytes(kind::SETTINGS, 0, 0, &[])).await.unwrap();
            let mut c = Client {
                io,
                encoder: loona_hpack::Encoder::new(),
                decoder: loona_hpack::Decoder::new(),
                server,
                dropped,
                shutdown,
            };
            let first = c.next().await.expect("the server's SETTINGS");
            assert_eq!((first.kind, first.flags), (kind::SETTINGS, 0));
            c
        }

        async fn send(&mut self, kind: u8, flags: u8, id: u32, payload: &[u8]) {
            self.io.write_all(&frame_bytes(kind, flags, id, payload)).await.unwrap();
        }

        async fn send_raw(&mut self, bytes: &[u8]) {
            self.io.write_all(bytes).await.unwrap();
        }

        fn block(&mut self, path: &str) -> Vec<u8> {
            let fields: [(&[u8], &[u8]); 5] = [
                (b":method", b"POST"),
                (b":scheme", b"http"),
                (b":path", path.as_bytes()),
                (b":authority", b"plugin"),
                (b"content-type", b"application/grpc"),
            ];
            self.encoder.encode(fields)
        }

        /// A request's headers, its body to follow.
        async fn open(&mut self, id: u32, path: &str) {
            let block = self.block(path);
            self.send(kind::HEADERS, flag::END_HEADERS, id, &block).await;
        }

        /// A request whose headers end the stream, or are followed by `body` in one DATA frame.
        async fn request(&mut self, id: u32, path: &str, body: &[u8]) {
            let block = self.block(path);
            let end = if body.is_empty() { flag::END_STREAM } else { 0 };
            self.send(kind::HEADERS, flag::END_HEADERS | end, id, &block).await;
            if !body.is_empty() {
                self.send(kind::DATA, flag::END_STREAM, id, body).await;
            }
        }

        /// The next frame, skipping WINDOW_UPDATEs and SETTINGS acknowledgements; `None` once
        /// the server has closed the connection.
        async fn next(&mut self) -> Option<Frame> {
            loop {
                let mut head = [0u8; 9];
                let read = tokio::time::timeout(Duration::from_secs(5), self.io.read_exact(&mut head))
                    .await
                    .expect("the server answers");
                if read.is_err() {
                    return None;
                }
                let len = (usize::from(head[0]) << 16) | (usize::from(head[1]) << 8) | usize::from(head[2]);
                let mut payload = vec![0u8; len];
                self.io.read_exact(&mut payload).await.unwrap();
                let frame = Frame {
                    kind: head[3],
                    flags: head[4],
                    id: u32::from_be_bytes([head[5], head[6], head[7], head[8]]),
                    payload,
                };
                let skipped =
                    frame.kind == kind::WINDOW_UPDATE || (frame.kind == kind::SETTINGS && frame.flags & flag::ACK != 0);
                if !skipped {
                    return Some(frame);
                }
            }
        }

        /// The GOAWAY's error code, after which the server closes the connection.
        async fn go_away_code(&mut self) -> u32 {
            let frame = self.next().await.expect("a GOAWAY");
            assert_eq!(frame.kind, kind::GOAWAY);
            let code = u32::from_be_bytes(frame.payload[4..8].try_into().unwrap());
            assert!(self.next().await.is_none(), "the connection is closed after the GOAWAY");
            code
        }

        /// The headers of a response (joined over CONTINUATION frames), decoded.
        async fn headers(&mut self, id: u32) -> (Vec<(String, String)>, bool) {
            let first = self.next().await.expect("HEADERS");
            assert_eq!((first.kind, first.id), (kind::HEADERS, id));
            let end_stream = first.flags & flag::END_STREAM != 0;
            let mut block = first.payload;
            let mut ended = first.flags & flag::END_HEADERS != 0;
            while !ended {
                let more = self.next().await.expect("CONTINUATION");
                assert_eq!((more.kind, more.id), (kind::CONTINUATION, id));
                block.extend_from_slice(&more.payload);
                ended = more.flags & flag::END_HEADERS != 0;
            }
            let fields = self
                .decoder
                .decode(&block)
                .unwrap()
                .into_iter()
                .map(|(n, v)| (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap()))
                .collect();
            (fields, end_stream)
        }

        /// A whole gRPC response: its body, after checking its headers and trailers.
        async fn grpc_response(&mut self, id: u32) -> Vec<u8> {
            let (fields, end) = self.headers(id).await;
            assert!(!end);
            assert_eq!(fields, [pair(":status", "200"), pair("content-type", "application/grpc")]);
            let mut body = Vec::new();
            loop {
                let frame = self.next().await.expect("DATA or trailers");
                assert_eq!(frame.id, id);
                if frame.kind == kind::DATA {
                    assert!(frame.payload.len() <= MAX_FRAME);
                    body.extend_from_slice(&frame.payload);
                    continue;
                }
                assert_eq!((frame.kind, frame.flags), (kind::HEADERS, flag::END_HEADERS | flag::END_STREAM));
                let trailers = self.decoder.decode(&frame.payload).unwrap();
                assert_eq!(trailers, [(b"grpc-status".to_vec(), b"0".to_vec())]);
                return body;
            }
        }

        async fn rst_code(&mut self, id: u32) -> u32 {
            let frame = self.next().await.expect("RST_STREAM");
            assert_eq!((frame.kind, frame.id), (kind::RST_STREAM, id));
            u32::from_be_bytes(frame.payload[..4].try_into().unwrap())
        }
    }

    fn pair(n: &str, v: &str) -> (String, String) {
        (n.to_string(), v.to_string())
    }

    #[tokio::test]
    async fn a_request_is_answered_with_headers_body_and_trailers_and_the_table_stays_in_step() {
        let mut c = Client::new(settings()).await;
        // The second request's headers are mostly references to the table the first filled.
        for (id, body) in [(1, &b"hello"[..]), (3, b"again"), (5, b"and again")] {
            c.request(id, "/echo", body).await;
            assert_eq!(c.grpc_response(id).await, body);
        }
        c.request(7, "/later", b"later").await;
        assert_eq!(c.grpc_response(7).await, b"later");
    }

    #[tokio::test]
    async fn a_ping_is_acknowledged_with_its_payload() {
        let mut c = Client::new(settings()).await;
        c.send(kind::PING, 0, 0, b"12345678").await;
        let pong = c.next().await.unwrap();
        assert_eq!((pong.kind, pong.flags, pong.payload.as_slice()), (kind::PING, flag::ACK, &b"12345678"[..]));
    }

    #[tokio::test]
    async fn a_body_split_over_frames_and_headers_over_continuations_are_joined() {
        let mut c = Client::new(settings()).await;
        let block = c.block("/echo");
        let (a, b) = block.split_at(3);
        c.send(kind::HEADERS, 0, 1, a).await;
        c.send(kind::CONTINUATION, flag::END_HEADERS, 1, b).await;
        c.send(kind::DATA, 0, 1, b"one ").await;
        // Padded: a length byte, the data, then that much padding.
        c.send(kind::DATA, flag::PADDED | flag::END_STREAM, 1, b"\x03two\0\0\0").await;
        assert_eq!(c.grpc_response(1).await, b"one two");
    }

    #[tokio::test]
    async fn a_large_answer_waits_for_the_clients_window_and_frame_size() {
        let mut c = Client::new(settings()).await;
        // A window of 1,000 bytes per stream.
        c.send(kind::SETTINGS, 0, 0, &[0, 4, 0, 0, 0x03, 0xe8]).await;
        let body = vec![7u8; 50_000];
        c.request(1, "/echo", &body[..16_000]).await;
        let (_, end) = c.headers(1).await;
        assert!(!end);
        let data = c.next().await.unwrap();
        assert_eq!((data.kind, data.payload.len()), (kind::DATA, 1_000));
        // Nothing more until the window opens.
        c.send(kind::PING, 0, 0, b"........").await;
        assert_eq!(c.next().await.unwrap().kind, kind::PING);
        c.send(kind::WINDOW_UPDATE, 0, 1, &20_000u32.to_be_bytes()).await;
        let mut got = 1_000;
        while got < 16_000 {
            let frame = c.next().await.unwrap();
            if frame.kind == kind::DATA {
                assert!(frame.payload.len() <= MAX_FRAME);
                got += frame.payload.len();
            } else {
                assert_eq!(frame.kind, kind::HEADERS, "the trailers come last");
                break;
            }
        }
        assert_eq!(got, 16_000);
    }

    #[tokio::test]
    async fn a_header_block_larger_than_a_frame_is_sent_in_continuations() {
        let mut c = Client::new(settings()).await;
        c.request(1, "/fail", b"x").await;
        let (fields, end) = c.headers(1).await;
        assert!(end);
        assert_eq!(fields[1].1.len(), 40_000);
    }

    #[tokio::test]
    async fn a_panic_resets_its_stream_and_the_connection_serves_on() {
        let mut c = Client::new(settings()).await;
        c.request(1, "/panic", b"x").await;
        assert_eq!(c.rst_code(1).await, Code::Internal as u32);
        c.request(3, "/echo", b"after").await;
        assert_eq!(c.grpc_response(3).await, b"after");
    }

    #[tokio::test]
    async fn a_reset_drops_the_future_an_open_stream_waits_for() {
        let mut c = Client::new(settings()).await;
        c.request(1, "/until", b"x").await;
        let (_, end) = c.headers(1).await;
        assert!(!end);
        assert!(!c.dropped.load(Ordering::SeqCst));
        c.send(kind::RST_STREAM, 0, 1, &8u32.to_be_bytes() /* CANCEL */).await;
        c.request(3, "/echo", b"x").await;
        assert_eq!(c.grpc_response(3).await, b"x");
        assert!(c.dropped.load(Ordering::SeqCst), "the reset stream's future is dropped");
    }

    #[tokio::test]
    async fn a_body_past_the_limit_is_answered_at_once_and_the_stream_reset() {
        let mut c = Client::new(settings()).await;
        c.open(1, "/echo").await;
        for _ in 0..7 {
            c.send(kind::DATA, 0, 1, &[0u8; 16_000]).await;
        }
        let (fields, end) = c.headers(1).await;
        assert!(end);
        assert_eq!(fields, [pair(":status", "413")]);
        assert_eq!(c.rst_code(1).await, Code::NoError as u32, "the client is told to stop sending");
        // What was in flight is ignored; the connection serves on.
        c.send(kind::DATA, flag::END_STREAM, 1, &[0u8; 100]).await;
        c.request(3, "/echo", b"ok").await;
        assert_eq!(c.grpc_response(3).await, b"ok");
    }

    #[tokio::test]
    async fn streams_past_the_limit_are_refused_and_a_header_list_past_it_gets_431() {
        let mut c = Client::new(settings()).await;
        for id in [1, 3] {
            c.open(id, "/echo").await;
        }
        c.open(5, "/echo").await;
        assert_eq!(c.rst_code(5).await, Code::Refused as u32, "two streams at once, not three");
        c.send(kind::DATA, flag::END_STREAM, 1, b"a").await;
        assert_eq!(c.grpc_response(1).await, b"a");
        let big = "v".repeat(2_000);
        let fields: [(&[u8], &[u8]); 3] = [(b":method", b"POST"), (b":path", b"/echo"), (b"x-big", big.as_bytes())];
        let block = c.encoder.encode(fields);
        c.send(kind::HEADERS, flag::END_HEADERS | flag::END_STREAM, 7, &block).await;
        let (fields, end) = c.headers(7).await;
        assert!(end);
        assert_eq!(fields, [pair(":status", "431")]);
    }

    #[tokio::test]
    async fn calls_of_reset_streams_still_count_against_the_limit() {
        let mut c = Client::new(settings()).await;
        for id in [1, 3] {
            c.request(id, "/never", b"").await;
            // CANCEL, as gRPC clients reset a call they give up.
            c.send(kind::RST_STREAM, 0, id, &[0, 0, 0, 8]).await;
        }
        c.request(5, "/echo", b"x").await;
        assert_eq!(c.rst_code(5).await, Code::Refused as u32, "two calls still run");
    }

    #[tokio::test]
    async fn what_bodies_hold_on_all_streams_together_is_bounded_and_given_back() {
        let mut c = Client::new(settings()).await;
        for id in [1, 3] {
            c.open(id, "/never").await;
        }
        // 90,000 bytes on each: within one body's limit (100,000), not within the 150,000 of
        // all together.
        let chunk = vec![7u8; 15_000];
        for id in [1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3] {
            c.send(kind::DATA, 0, id, &chunk).await;
        }
        assert_eq!(c.rst_code(3).await, Code::EnhanceYourCalm as u32, "the fifth frame on 3 passes it");
        // Both reset streams give their bytes back: 90,000 more fit.
        c.send(kind::RST_STREAM, 0, 1, &[0, 0, 0, 8]).await;
        c.open(5, "/never").await;
        for _ in 0..6 {
            c.send(kind::DATA, 0, 5, &chunk).await;
        }
        c.send(kind::DATA, flag::END_STREAM, 5, b"").await;
        c.send(kind::PING, 0, 0, b"12345678").await;
        assert_eq!(c.next().await.unwrap().kind, kind::PING, "stream 5 is not reset");
    }

    #[tokio::test]
    async fn the_first_path_of_a_request_is_the_one_served() {
        let mut c = Client::new(settings()).await;
        let fields: [(&[u8], &[u8]); 4] = [
            (b":method", b"POST"),
            (b":path", b"/echo"),
            (b":path", b"/panic"),
            (b"content-type", b"application/grpc"),
        ];
        let block = c.encoder.encode(fields);
        c.send(kind::HEADERS, flag::END_HEADERS, 1, &block).await;
        c.send(kind::DATA, flag::END_STREAM, 1, b"first").await;
        assert_eq!(c.grpc_response(1).await, b"first");
    }

    #[tokio::test]
    async fn a_stream_that_ends_no_longer_waits_for_window() {
        // Driven directly, to see the list of streams waiting for window.
        let (_client, io) = tokio::io::duplex(1 << 16);
        let mut conn = Connection::new(io, settings(), Echo { dropped: Arc::new(AtomicBool::new(false)) });
        // The client gives no window to streams.
        conn.frame(kind::SETTINGS, 0, 0, Bytes::from_static(&[0, 4, 0, 0, 0, 0]));
        let block = loona_hpack::Encoder::new().encode([
            (&b":method"[..], &b"POST"[..]),
            (b":path", b"/echo"),
            (b"content-type", b"application/grpc"),
        ]);
        conn.frame(kind::HEADERS, flag::END_HEADERS, 1, Bytes::from(block));
        conn.frame(kind::DATA, flag::END_STREAM, 1, Bytes::from_static(b"x"));
        assert_eq!(conn.blocked, [1], "its answer waits for window");
        conn.frame(kind::RST_STREAM, 0, 1, Bytes::from_static(&[0, 0, 0, 8]));
        assert!(conn.blocked.is_empty(), "a reset stream is forgotten");
        assert!(!conn.failed);
    }

    #[tokio::test]
    async fn shutdown_answers_open_streams_refuses_new_ones_and_closes() {
        let mut c = Client::new(settings()).await;
        c.open(1, "/echo").await;
        // Its PING answered, the server has seen stream 1.
        c.send(kind::PING, 0, 0, b"12345678").await;
        assert_eq!(c.next().await.unwrap().kind, kind::PING);
        c.shutdown.cancel();
        let goaway = c.next().await.unwrap();
        assert_eq!(goaway.kind, kind::GOAWAY);
        assert_eq!(u32::from_be_bytes(goaway.payload[..4].try_into().unwrap()), 1, "the last stream it serves");
        let block = c.block("/echo");
        c.send(kind::HEADERS, flag::END_HEADERS | flag::END_STREAM, 3, &block).await;
        assert_eq!(c.rst_code(3).await, Code::Refused as u32);
        c.send(kind::DATA, flag::END_STREAM, 1, b"last").await;
        assert_eq!(c.grpc_response(1).await, b"last");
        assert!(c.next().await.is_none(), "closed once nothing is open");
        tokio::time::timeout(Duration::from_secs(5), c.server).await.unwrap().unwrap();
    }

    /// What a case of a broken rule sends.
    type FrameMaker = Box<dyn Fn(&mut Client) -> Vec<u8>>;

    /// Each broken rule ends the connection with a GOAWAY of its code.
    #[tokio::test]
    async fn connection_errors_end_it_with_their_code() {
        let protocol = Code::Protocol as u32;
        let cases: Vec<(&str, u32, FrameMaker)> = vec![
            ("a frame past 16 KiB", Code::FrameSize as u32, Box::new(|_| frame_bytes(kind::DATA, 0, 1, &[0; 16_385]))),
            ("an even stream id", protocol, Box::new(|c| frame_bytes(kind::HEADERS, 5, 2, &c.block("/echo")))),
            (
                "a stream id that goes down",
                protocol,
                Box::new(|c| {
                    let mut b = frame_bytes(kind::HEADERS, 4, 5, &c.block("/echo"));
                    b.extend(frame_bytes(kind::HEADERS, 4, 3, &c.block("/echo")));
                    b.extend(frame_bytes(kind::DATA, 1, 3, b"x"));
                    b
                }),
            ),
            ("DATA on a stream never opened", protocol, Box::new(|_| frame_bytes(kind::DATA, 1, 9, b"x"))),
            ("DATA on the connection", protocol, Box::new(|_| frame_bytes(kind::DATA, 1, 0, b"x"))),
            (
                "more padding than payload",
                protocol,
                Box::new(|c| {
                    let mut b = frame_bytes(kind::HEADERS, 4, 1, &c.block("/echo"));
                    b.extend(frame_bytes(kind::DATA, 8, 1, b"\x09abc"));
                    b
                }),
            ),
            (
                "a header block that does not decode",
                Code::Compression as u32,
                Box::new(|_| frame_bytes(kind::HEADERS, 5, 1, &[0xff, 0xff, 0xff, 0x0f])),
            ),
            (
                "a table larger than 4 KiB",
                Code::Compression as u32,
                Box::new(|_| {
                    // A dynamic table size update (001xxxxx) to 1 MiB, then an indexed :method.
                    let mut block = vec![0x3f, 0xe1, 0xff, 0x3f];
                    block.push(0x83);
                    frame_bytes(kind::HEADERS, 5, 1, &block)
                }),
            ),
            (
                "a header block interrupted",
                protocol,
                Box::new(|c| {
                    let mut b = frame_bytes(kind::HEADERS, 0, 1, &c.block("/echo")[..2]);
                    b.extend(frame_bytes(kind::PING, 0, 0, b"12345678"));
                    b
                }),
            ),
            ("CONTINUATION without HEADERS", protocol, Box::new(|_| frame_bytes(kind::CONTINUATION, 4, 1, b""))),
            (
                "the connection's window past 2^31-1",
                Code::FlowControl as u32,
                Box::new(|_| frame_bytes(kind::WINDOW_UPDATE, 0, 0, &0x7fff_ffffu32.to_be_bytes())),
            ),
            ("a WINDOW_UPDATE of 0", protocol, Box::new(|_| frame_bytes(kind::WINDOW_UPDATE, 0, 0, &[0; 4]))),
            ("a PING of 7 bytes", Code::FrameSize as u32, Box::new(|_| frame_bytes(kind::PING, 0, 0, &[0; 7]))),
            ("SETTINGS of 5 bytes", Code::FrameSize as u32, Box::new(|_| frame_bytes(kind::SETTINGS, 0, 0, &[0; 5]))),
            (
                "a frame size below 16 KiB",
                protocol,
                Box::new(|_| frame_bytes(kind::SETTINGS, 0, 0, &[0, 5, 0, 0, 0x10, 0])),
            ),
            ("a PUSH_PROMISE", protocol, Box::new(|_| frame_bytes(kind::PUSH_PROMISE, 4, 1, &[0; 4]))),
            (
                "RST_STREAM of a stream never opened",
                protocol,
                Box::new(|_| frame_bytes(kind::RST_STREAM, 0, 11, &[0; 4])),
            ),
        ];
        for (what, code, bytes) in cases {
            let mut c = Client::new(settings()).await;
            let bytes = bytes(&mut c);
            c.send_raw(&bytes).await;
            assert_eq!(c.go_away_code().await, code, "{what}");
            tokio::time::timeout(Duration::from_secs(5), c.server).await.unwrap().unwrap();
        }
    }

    #[tokio::test]
    async fn a_client_that_does_not_send_the_preface_is_refused() {
        let (mut io, server_io) = tokio::io::duplex(1 << 16);
        let server = tokio::spawn(serve(
            server_io,
            settings(),
            CancellationToken::new(),
            Echo { dropped: Arc::new(AtomicBool::new(false)) },
        ));
        io.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut all = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), io.read_to_end(&mut all)).await.unwrap().unwrap();
        // Our SETTINGS (and window), then a GOAWAY of PROTOCOL_ERROR.
        let goaway = &all[all.len() - 17..];
        assert_eq!(goaway[3], kind::GOAWAY);
        assert_eq!(u32::from_be_bytes(goaway[13..17].try_into().unwrap()), Code::Protocol as u32);
        server.await.unwrap();
    }
}
