//! Bounds on every request, and the headers every response carries.
//!
//! - Connections: at most [`MAX_CONNECTIONS`] open at once (more wait in
//!   the kernel's backlog); one idle for [`IDLE_TIMEOUT`] in both
//!   directions is closed (a client that sends its headers a byte a minute
//!   does not hold a connection forever; a live page's stream sends a
//!   keep-alive comment well within it).
//! - Requests: the URI at most [`MAX_URI_BYTES`] (414), a body at most
//!   [`MAX_BODY_BYTES`] (413, tower-http's limit; no route reads one),
//!   headers as hyper bounds them, and a page must be ready within
//!   [`PAGE_TIMEOUT`] (503 with the reason; a live stream's events are not
//!   a page and are bounded by their own lifetime instead).
//! - Responses: no sniffing, no framing, no referrer, and a content
//!   security policy that allows only this server's own script and style
//!   sheet (and the live stream of a bench's progress port on this
//!   machine).

use super::error::PageError;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// Connections open at once.
pub const MAX_CONNECTIONS: usize = 128;
/// A connection silent both ways this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest request URI, bytes.
pub const MAX_URI_BYTES: usize = 4096;
/// Largest request body, bytes.
pub const MAX_BODY_BYTES: usize = 1024;
/// Longest a page may take to be ready.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

/// The content security policy of every response.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self' http://127.0.0.1:* http://localhost:*; \
                   base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A TCP listener that holds at most [`MAX_CONNECTIONS`] connections and
/// closes idle ones.
pub struct BoundedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
}

impl BoundedListener {
    /// Bounds `inner`.
    pub fn new(inner: TcpListener) -> Self {
        BoundedListener {
            inner,
            permits: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
        }
    }
}

impl axum::serve::Listener for BoundedListener {
    type Io = TimedIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // The semaphore is never closed.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .expect("connection semaphore open");
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (TimedIo::new(stream, permit), addr);
                }
                // Out of file descriptors and the like: wait, then retry.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection that fails with `TimedOut` after [`IDLE_TIMEOUT`] without
/// a byte read or written, and gives its slot back when dropped.
pub struct TimedIo {
    io: TcpStream,
    deadline: Pin<Box<Sleep>>,
    _permit: OwnedSemaphorePermit,
}

impl TimedIo {
    fn new(io: TcpStream, permit: OwnedSemaphorePermit) -> Self {
        TimedIo {
            io,
            deadline: Box::pin(tokio::time::sleep(IDLE_TIMEOUT)),
            _permit: permit,
        }
    }

    fn touch(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + IDLE_TIMEOUT);
    }

    /// Pending, unless the connection has been idle too long.
    fn idle<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection idle too long",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for TimedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.touch();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.idle(cx),
        }
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    this.touch();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.idle(cx),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Refuses long URIs, bounds the time to a response, and adds the
/// security headers.
pub async fn bound(request: Request, next: Next) -> Response {
    let uri_bytes = request.uri().to_string().len();
    let mut response = if uri_bytes > MAX_URI_BYTES {
        PageError {
            status: StatusCode::URI_TOO_LONG,
            reason: format!("the URI is {uri_bytes} bytes; at most {MAX_URI_BYTES}"),
        }
        .into_response()
    } else {
        match tokio::time::timeout(PAGE_TIMEOUT, next.run(request)).await {
            Ok(response) => response,
            Err(_) => PageError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                reason: format!("the page was not ready within {} s", PAGE_TIMEOUT.as_secs()),
            }
            .into_response(),
        }
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, CSP),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}
