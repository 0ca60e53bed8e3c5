//! Terraform's connection to us (the unix socket, or the TCP loopback fallback), registered
//! with the runtime for reading only.
//!
//! tokio registers a socket for both directions, edge-triggered, so every time Terraform reads
//! one of our answers the socket turns writable again and the runtime's thread wakes for it,
//! though nothing waits to write: 76 of the 263 wake-ups of the launch that plans 500 roles
//! (strace), each a sleep and a wake-up of the process for nothing. Our answers are small and
//! a socket's buffer is large, so a write almost never has to wait; when one does, a second
//! registration, of a duplicate of the socket and for writability alone, waits for it, and is
//! dropped once a write goes through.
//!
//! Both kinds of socket are held as one type (`socket2::Socket`: every call made here is the
//! same system call for either), so the connection's code is compiled once, not once a kind.

use std::io::{self, IoSlice, Read, Write};
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use socket2::Socket;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

/// A connected socket the runtime watches for readability only (see the module's
/// documentation).
pub struct ReadInterestStream {
    io: AsyncFd<Socket>,
    /// While a write waits for room: a duplicate of the socket, registered for writability.
    writable: Option<AsyncFd<Socket>>,
}

impl ReadInterestStream {
    /// Take a unix stream off the runtime's registry and register it for reading only.
    pub fn unix(stream: tokio::net::UnixStream) -> io::Result<Self> {
        // `into_std` leaves the socket non-blocking and takes it off the runtime's registry.
        Self::new(stream.into_std()?.into())
    }

    /// The same for a TCP stream.
    pub fn tcp(stream: tokio::net::TcpStream) -> io::Result<Self> {
        Self::new(stream.into_std()?.into())
    }

    fn new(fd: OwnedFd) -> io::Result<Self> {
        Ok(ReadInterestStream { io: register(Socket::from(fd), Interest::READABLE)?, writable: None })
    }

    /// Write `len` bytes with `write`; on `WouldBlock`, wait for room on the writable
    /// registration, kept while writes come back short (the socket still full) and dropped
    /// after one that took everything.
    ///
    /// Writes go out with `send` and no `MSG_NOSIGNAL`: Rust's runtime ignores SIGPIPE before
    /// `main`, so a write to a closed socket fails with `EPIPE` (a host that embedded this
    /// library and restored SIGPIPE would be stopped by it instead).
    fn poll_write_with(
        &mut self,
        cx: &mut Context<'_>,
        len: usize,
        write: impl Fn(&Socket) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            if let Some(writable) = &self.writable {
                let mut guard = ready!(writable.poll_write_ready(cx))?;
                if let Ok(written) = guard.try_io(|s| write(s.get_ref())) {
                    if written.as_ref().is_ok_and(|&n| n >= len) {
                        self.writable = None;
                    }
                    return Poll::Ready(written);
                }
                continue;
            }
            match write(self.io.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.writable = Some(register(self.io.get_ref().try_clone()?, Interest::WRITABLE)?);
                }
                written => return Poll::Ready(written),
            }
        }
    }
}

/// The project's one `unsafe` call: tokio's registration with a chosen interest is `unsafe`
/// for file descriptors in general (its safe form is deprecated for that reason), not for a
/// socket that owns its own.
#[allow(unsafe_code)]
fn register(socket: Socket, interest: Interest) -> io::Result<AsyncFd<Socket>> {
    // SAFETY: a `Socket` owns its file descriptor: it stays open, and the same, until the
    // `AsyncFd` that owns the socket drops it.
    unsafe { AsyncFd::register_with_interest(socket, interest) }.map_err(io::Error::from)
}

impl AsyncRead for ReadInterestStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.io.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            let room = unfilled.len();
            match guard.try_io(|s| s.get_ref().read(unfilled)) {
                Ok(Ok(n)) => {
                    // A stream socket reads all it holds up to the room given: less means it
                    // is empty now, so the next read waits for more instead of finding none (a
                    // system call each turn; tokio's streams do the same).
                    if 0 < n && n < room {
                        guard.clear_ready();
                    }
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                // Not readable after all: the readiness is cleared, wait again.
                Err(_) => continue,
            }
        }
    }
}

impl AsyncWrite for ReadInterestStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_with(cx, buf.len(), |mut s| s.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|b| b.len()).sum();
        self.get_mut().poll_write_with(cx, len, |mut s| s.write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(match self.io.get_ref().shutdown(std::net::Shutdown::Write) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            r => r,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use std::os::unix::net::UnixStream;

    fn pair() -> (ReadInterestStream, UnixStream) {
        let (ours, peer) = UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        (ReadInterestStream::unix(tokio::net::UnixStream::from_std(ours).unwrap()).unwrap(), peer)
    }

    #[tokio::test]
    async fn what_is_written_arrives_and_what_arrives_is_read() {
        let (mut ours, mut peer) = pair();
        ours.write_all(b"answer").await.unwrap();
        let mut got = [0u8; 6];
        peer.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"answer");
        peer.write_all(b"call").unwrap();
        let mut got = [0u8; 4];
        ours.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"call");
        ours.shutdown().await.unwrap();
        let mut rest = Vec::new();
        peer.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "our side is closed");
        drop(peer);
        assert_eq!(ours.read(&mut [0u8; 4]).await.unwrap(), 0, "the peer's side is closed");
    }

    #[tokio::test]
    async fn a_write_larger_than_the_sockets_buffer_waits_for_the_peer_to_read() {
        let (mut ours, mut peer) = pair();
        let sent: Vec<u8> = (0..8 << 20).map(|i: u32| (i % 251) as u8).collect();
        let reader = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let mut got = vec![0u8; 8 << 20];
            peer.read_exact(&mut got).unwrap();
            got
        });
        tokio::time::timeout(std::time::Duration::from_secs(20), ours.write_all(&sent)).await.unwrap().unwrap();
        assert!(ours.writable.is_none(), "the writable registration is dropped once written");
        assert!(reader.join().unwrap() == sent);
    }

    /// The thread's voluntary context switches so far (Linux's per-thread count), where `/proc`
    /// gives it (some sandboxes' do not).
    #[cfg(target_os = "linux")]
    fn sleeps() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("voluntary_ctxt_switches:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Terraform reading our answer must not wake us: each round (our answer, read 2 ms later,
    /// and its call 2 ms after that) is one sleep, where tokio's own stream sleeps twice, once
    /// more for the socket turning writable when the answer is read.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_peer_reading_an_answer_does_not_wake_us() {
        const ROUNDS: u64 = 40;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (mut ours, mut peer) = {
            let _entered = runtime.enter();
            pair()
        };
        let terraform = std::thread::spawn(move || {
            let mut byte = [0u8; 1];
            for _ in 0..ROUNDS {
                std::thread::sleep(std::time::Duration::from_millis(2));
                peer.read_exact(&mut byte).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(2));
                peer.write_all(&byte).unwrap();
            }
        });
        let Some(before) = sleeps() else {
            eprintln!("SKIPPED: this /proc gives no voluntary_ctxt_switches");
            return;
        };
        runtime.block_on(async {
            let mut byte = [7u8; 1];
            for _ in 0..ROUNDS {
                ours.write_all(&byte).await.unwrap();
                ours.read_exact(&mut byte).await.unwrap();
            }
        });
        let slept = sleeps().unwrap() - before;
        terraform.join().unwrap();
        assert!(slept < ROUNDS * 3 / 2, "{slept} sleeps for {ROUNDS} rounds");
    }
}
