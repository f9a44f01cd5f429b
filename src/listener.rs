//! The listening socket's defences against slow and greedy clients: a cap
//! on open connections, and deadlines on each phase of a request that the
//! client controls.
//!
//! Each accepted connection goes through [`Guarded`], which watches the bytes
//! hyper reads (one pass over them, nothing kept) and knows which phase the
//! connection is in:
//! - *idle* (just accepted, or a response was written): the next request
//!   must start within `idle_timeout` (keep-alive connections close then);
//! - *head* (a request's first byte came): its header block must end (the
//!   blank line) within `header_read_timeout`, however slowly bytes trickle;
//! - *busy* (the head is in): no deadline here; the body has its own
//!   ([`BodyDeadline`], a middleware), and handlers their own limits;
//! - and writing: the time writes wait for the client to read its answers
//!   may add up to `idle_timeout` over the connection's life, no more.
//!
//! A connection past its deadline gets a read error and hyper closes it. At
//! the connection cap the acceptor stops accepting until one closes (new
//! clients wait in the kernel's backlog), so a flood of sockets cannot take
//! every file descriptor.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use poem::listener::{Acceptor, TcpAcceptor};
use poem::web::{LocalAddr, RemoteAddr};
use poem::{http::uri::Scheme, Body, Endpoint, Request};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

pub use crate::config::HttpLimits;

/// A TCP acceptor with a connection cap and per-phase read deadlines.
pub struct GuardedAcceptor {
    inner: TcpAcceptor,
    slots: Arc<Semaphore>,
    limits: HttpLimits,
}

impl GuardedAcceptor {
    pub fn new(inner: TcpAcceptor, limits: HttpLimits) -> Self {
        Self {
            inner,
            slots: Arc::new(Semaphore::new(limits.max_connections)),
            limits,
        }
    }
}

impl Acceptor for GuardedAcceptor {
    type Io = Guarded<TcpStream>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        // Wait for a free slot before taking the next connection off the
        // backlog; the semaphore is never closed.
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| io::Error::other("the connection slots are closed"))?;
        let (io, local, remote, scheme) = self.inner.accept().await?;
        let _ = io.set_nodelay(true);
        Ok((Guarded::new(io, permit, self.limits), local, remote, scheme))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// A new connection whose first bytes might still be HTTP/2's preface:
    /// `matched` of them matched so far. Deadlines as for `Idle`/`Head`.
    Opening { matched: usize },
    /// Waiting for a request's first byte.
    Idle,
    /// Inside a request head; `tail` holds how much of its end has been seen.
    Head { tail: EndOfHead },
    /// The head is in: the body and the handler run without this deadline.
    Busy,
}

/// A stream that enforces the idle and header deadlines, holding its slot
/// of the connection cap for as long as it lives.
pub struct Guarded<T> {
    inner: T,
    phase: Phase,
    /// When the current phase's time is up.
    deadline_at: Instant,
    /// A timer due at `deadline_at` or before: moved to a later deadline
    /// only when it fires early, so that the requests of a busy keep-alive
    /// connection (each restarting the deadline) do not each move a timer.
    deadline: Pin<Box<Sleep>>,
    /// How long writes have waited for the client to read, in all.
    stalled: Duration,
    /// Since when the current write has waited, if it does.
    stall_started: Option<Instant>,
    stall_deadline: Pin<Box<Sleep>>,
    limits: HttpLimits,
    _slot: OwnedSemaphorePermit,
}

impl<T> Guarded<T> {
    fn new(inner: T, slot: OwnedSemaphorePermit, limits: HttpLimits) -> Self {
        let deadline_at = Instant::now() + limits.idle_timeout;
        Self {
            inner,
            phase: Phase::Opening { matched: 0 },
            deadline_at,
            deadline: Box::pin(tokio::time::sleep_until(deadline_at)),
            stalled: Duration::ZERO,
            stall_started: None,
            stall_deadline: Box::pin(tokio::time::sleep(limits.idle_timeout)),
            limits,
            _slot: slot,
        }
    }

    fn restart_deadline(&mut self, after: Duration) {
        self.deadline_at = Instant::now() + after;
        if self.deadline_at < self.deadline.deadline() {
            self.deadline.as_mut().reset(self.deadline_at);
        }
    }

    /// Ready when the phase's time is up (the timer may have fired for an
    /// earlier deadline since moved: then it is set for the real one).
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) if self.deadline.deadline() < self.deadline_at => {
                    self.deadline.as_mut().reset(self.deadline_at);
                }
                ready_or_not => return ready_or_not,
            }
        }
    }

    /// Moves the phase along after `bytes` were read; an error for a
    /// connection that opens with HTTP/2's preface.
    fn saw(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        if let Phase::Opening { matched } = self.phase {
            let n = bytes.len().min(H2_PREFACE.len() - matched);
            if bytes[..n] == H2_PREFACE[matched..matched + n] {
                if matched + n == H2_PREFACE.len() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "HTTP/2 is not served here; use HTTP/1.1",
                    ));
                }
                // Still possibly the preface: the header deadline runs.
                if matched == 0 {
                    self.restart_deadline(self.limits.header_read_timeout);
                }
                self.phase = Phase::Opening {
                    matched: matched + n,
                };
                return Ok(());
            }
            // Not HTTP/2: the bytes so far (a prefix of the preface) and
            // these begin an HTTP/1 head, whose deadline already runs if
            // some came before.
            self.phase = if matched == 0 {
                Phase::Idle
            } else {
                Phase::Head {
                    tail: EndOfHead {
                        started: true,
                        newlines: 0,
                    },
                }
            };
        }
        let mut tail = match self.phase {
            Phase::Opening { .. } | Phase::Busy => return Ok(()),
            Phase::Idle => {
                self.restart_deadline(self.limits.header_read_timeout);
                EndOfHead::default()
            }
            Phase::Head { tail } => tail,
        };
        self.phase = if tail.feed(bytes) {
            Phase::Busy
        } else {
            Phase::Head { tail }
        };
        Ok(())
    }

    /// After the server wrote (a response, or `100 Continue`): the next
    /// request gets the idle deadline. The timer is registered with this
    /// task now: hyper may have polled its read (finding nothing, in the busy
    /// phase, with no timer) before writing, and would otherwise sleep until
    /// the client sent something. Every write restarts it, so a long
    /// response to a slow (but reading) client is not cut off.
    fn wrote(&mut self, cx: &mut Context<'_>) {
        self.phase = Phase::Idle;
        self.restart_deadline(self.limits.idle_timeout);
        let _ = self.poll_deadline(cx);
    }

    /// Passes a write's outcome on, counting the time writes wait for the
    /// client to read (its receive window full). Over the connection's life
    /// that may add up to the idle timeout, no more: a client that never
    /// reads its answers (the attack review held every slot by pipelining
    /// requests for a large page and not reading) or reads a byte now and
    /// then is cut off, while one that reads keeps its connection.
    fn after_write(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match written {
            Poll::Pending => {
                if self.stall_started.is_none() {
                    let left = self.limits.idle_timeout.saturating_sub(self.stalled);
                    self.stall_started = Some(Instant::now());
                    self.stall_deadline.as_mut().reset(Instant::now() + left);
                }
                match self.stall_deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client was too slow to read its responses",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
            ready => {
                if let Some(started) = self.stall_started.take() {
                    self.stalled += started.elapsed();
                }
                if matches!(ready, Poll::Ready(Ok(n)) if n > 0) {
                    self.wrote(cx);
                }
                ready
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => Poll::Ready(this.saw(&buf.filled()[before..])),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                if this.phase == Phase::Busy {
                    return Poll::Pending;
                }
                match this.poll_deadline(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client was too slow to send its request",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.after_write(cx, written)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.after_write(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Finds the blank line that ends an HTTP/1 head (`\r\n\r\n`, or `\n\n`
/// as httparse also accepts), across reads, one byte at a time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct EndOfHead {
    /// Whether the request line has begun: blank lines before it (which
    /// HTTP/1.1 lets a server skip) end nothing, or a client could send
    /// `\r\n` forever and never be in a head.
    started: bool,
    /// Line feeds seen with only `\r` between them (2 ends the head).
    newlines: u8,
}

impl EndOfHead {
    /// Feeds bytes; true once the head has ended.
    fn feed(&mut self, bytes: &[u8]) -> bool {
        for &b in bytes {
            match b {
                b'\n' if self.started => {
                    self.newlines += 1;
                    if self.newlines == 2 {
                        return true;
                    }
                }
                b'\r' | b'\n' => {}
                _ => {
                    self.started = true;
                    self.newlines = 0;
                }
            }
        }
        false
    }
}

/// The start of HTTP/2's connection preface. Gatehouse serves HTTP/1.1
/// only: an HTTP/2 connection (prior knowledge, h2c) is multiplexed and
/// kept alive by PING frames, which the per-request deadlines here cannot
/// bound, so it is refused at its first bytes. (Behind a TLS-terminating
/// proxy that speaks HTTP/2 to clients, the proxy speaks HTTP/1.1 here.)
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0";

/// Middleware: a request body must arrive whole within
/// `body_read_timeout` of the handler starting to read it; a trickled body
/// then reads as an error (the handlers answer 400 or 408) instead of
/// holding the connection. Requests without a body are passed as they are.
pub async fn body_deadline<E: Endpoint>(
    next: E,
    mut req: Request,
    timeout: Duration,
) -> poem::Result<E::Output> {
    let has_body = req
        .headers()
        .contains_key(poem::http::header::CONTENT_LENGTH)
        || req
            .headers()
            .contains_key(poem::http::header::TRANSFER_ENCODING);
    if has_body {
        let body = req.take_body();
        req.set_body(Body::from_async_read(BodyDeadline {
            inner: body.into_async_read(),
            deadline: None,
            timeout,
        }));
    }
    next.call(req).await
}

/// A body reader that fails once its deadline (set at the first read) passes.
struct BodyDeadline<R> {
    inner: R,
    deadline: Option<Pin<Box<Sleep>>>,
    timeout: Duration,
}

impl<R: AsyncRead + Unpin> AsyncRead for BodyDeadline<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let timeout = this.timeout;
        let deadline = this
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the request body was not sent in time",
            )));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

#[cfg(test)]
mod tests;
