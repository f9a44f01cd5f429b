//! Requests that hyper refuses before the application sees them: a request
//! line or header that does not parse (400), a head with too many or too
//! large headers (431), a URI too long (414). hyper answers those itself and
//! closes the connection; poem offers no hook for them (it drops the
//! connection's error). So the connection's stream is watched instead: a
//! response that hyper writes on its own is recognised by its status line
//! and by what every application response has and it lacks, the
//! `x-request-id` header that `log_request` sets. Each one is logged like a
//! request (method and path `-`: they did not parse, and the raw bytes are
//! not logged) and counted in `gatehouse_http_requests_total` under route
//! `other`, method `other`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use poem::http::uri::Scheme;
use poem::http::Method;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::service::State;

/// An acceptor whose connections report hyper's own error responses.
pub struct ObservedAcceptor<A> {
    inner: A,
    state: State,
}

impl<A> ObservedAcceptor<A> {
    pub fn new(inner: A, state: State) -> Self {
        Self { inner, state }
    }
}

impl<A: Acceptor> Acceptor for ObservedAcceptor<A> {
    type Io = Observed<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let (io, local, remote, scheme) = self.inner.accept().await?;
        let io = Observed {
            inner: io,
            state: self.state.clone(),
            head_started: None,
        };
        Ok((io, local, remote, scheme))
    }
}

/// A connection's stream, watched for responses hyper wrote itself.
pub struct Observed<T> {
    inner: T,
    state: State,
    /// When the bytes of the request being read began (for the latency).
    head_started: Option<Instant>,
}

impl<T> Observed<T> {
    /// Called with the first buffer of each write.
    fn wrote(&mut self, buf: &[u8]) {
        let started = self.head_started.take();
        let Some(status) = hyper_rejection(buf) else {
            return;
        };
        let took = started.map(|t| t.elapsed()).unwrap_or(Duration::ZERO);
        report(&self.state, status, took);
    }
}

/// Logs and counts one refused request.
fn report(state: &State, status: u16, took: Duration) {
    // Not a method any client sends: counted as method `other`.
    let method = Method::from_bytes(b"UNPARSED").unwrap_or_default();
    state
        .metrics()
        .record_request(&method, crate::metrics::Route::other(), status, took);
    let latency_ms = took.as_secs_f64() * 1000.0;
    let span = tracing::info_span!("request", request_id = %super::new_request_id());
    let _entered = span.enter();
    tracing::info!(
        method = "-",
        path = "-",
        status,
        latency_ms,
        "request refused by the HTTP parser"
    );
}

/// The status of an error response hyper wrote on its own, if `buf` starts
/// one: an HTTP/1 status line of 4xx or 5xx, and a head without the
/// `x-request-id` every application response carries.
fn hyper_rejection(buf: &[u8]) -> Option<u16> {
    let rest = buf
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| buf.strip_prefix(b"HTTP/1.0 "))?;
    let code = rest.get(..3)?;
    if !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let status = code.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    if !(400..600).contains(&status) {
        return None;
    }
    let head_end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(buf.len());
    let head = &buf[..head_end];
    let tagged = head
        .windows(b"\r\nx-request-id:".len())
        .any(|w| w.eq_ignore_ascii_case(b"\r\nx-request-id:"));
    (!tagged).then_some(status)
}

impl<T: AsyncRead + Unpin> AsyncRead for Observed<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if this.head_started.is_none() && buf.filled().len() > before {
            this.head_started = Some(Instant::now());
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Observed<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.wrote(buf);
        }
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            if let Some(first) = bufs.iter().find(|b| !b.is_empty()) {
                this.wrote(first);
            }
        }
        written
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_own_error_responses_are_recognised() {
        let hyper =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert_eq!(hyper_rejection(hyper), Some(431));
        let bad = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(hyper_rejection(bad), Some(400));
    }

    #[test]
    fn application_responses_and_other_writes_are_not() {
        let app = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nx-request-id: abc\r\n\r\n{}";
        assert_eq!(hyper_rejection(app), None);
        assert_eq!(hyper_rejection(b"HTTP/1.1 200 OK\r\n\r\n"), None);
        assert_eq!(hyper_rejection(b"HTTP/1.1 100 Continue\r\n\r\n"), None);
        assert_eq!(hyper_rejection(b"{\"data\":null}"), None);
        assert_eq!(hyper_rejection(b"HTTP/1.1 4"), None);
        assert_eq!(hyper_rejection(b"HTTP/1.1 4x0 What\r\n\r\n"), None);
    }
}
