//! The byte stream under the client: TCP, or TLS over TCP, with an optional bound on each
//! wait.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

/// TCP or TLS, as [`Config`](crate::Config) asked for.
pub(crate) enum Inner {
    Plain(TcpStream),
    Rustls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    #[cfg(feature = "openssl")]
    OpenSsl(Box<tokio_openssl::SslStream<TcpStream>>),
}

/// A connection to a router: plain TCP or TLS, with TCP_NODELAY and keepalive set. A read or
/// write that makes no progress for the command timeout (if one is set) fails with
/// [`io::ErrorKind::TimedOut`].
///
/// It implements tokio's `AsyncRead`/`AsyncWrite`; the client sees it through
/// `embedded_io_adapters::tokio_1::FromTokio`.
pub struct Stream {
    inner: Inner,
    timeout: Option<Duration>,
    read_wait: Wait,
    write_wait: Wait,
}

/// A timer armed while one direction waits.
#[derive(Default)]
struct Wait {
    sleep: Option<Pin<Box<Sleep>>>,
    armed: bool,
}

impl Wait {
    /// Called when the operation is pending: arms the timer on the first call, then reports
    /// whether it has fired.
    fn poll_expired(&mut self, timeout: Duration, cx: &mut Context<'_>) -> bool {
        let deadline = Instant::now() + timeout;
        if !self.armed {
            self.armed = true;
            match &mut self.sleep {
                Some(sleep) => sleep.as_mut().reset(deadline),
                None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
        }
        match &mut self.sleep {
            Some(sleep) => sleep.as_mut().poll(cx).is_ready(),
            None => false,
        }
    }
}

use std::future::Future;

fn timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "the router sent nothing within the command timeout",
    )
}

impl Stream {
    pub(crate) fn new(inner: Inner, timeout: Option<Duration>) -> Self {
        Self {
            inner,
            timeout,
            read_wait: Wait::default(),
            write_wait: Wait::default(),
        }
    }

    /// Whether this is a TLS connection.
    pub fn is_tls(&self) -> bool {
        !matches!(self.inner, Inner::Plain(_))
    }

    /// The TLS version negotiated (`"TLSv1.2"`, ...), if this is TLS.
    pub fn tls_version(&self) -> Option<String> {
        match &self.inner {
            Inner::Plain(_) => None,
            Inner::Rustls(s) => s.get_ref().1.protocol_version().map(|v| format!("{v:?}")),
            #[cfg(feature = "openssl")]
            Inner::OpenSsl(s) => Some(s.ssl().version_str().to_owned()),
        }
    }

    /// The cipher suite negotiated, if this is TLS.
    pub fn tls_cipher(&self) -> Option<String> {
        match &self.inner {
            Inner::Plain(_) => None,
            Inner::Rustls(s) => s
                .get_ref()
                .1
                .negotiated_cipher_suite()
                .map(|c| format!("{:?}", c.suite())),
            #[cfg(feature = "openssl")]
            Inner::OpenSsl(s) => s.ssl().current_cipher().map(|c| c.name().to_owned()),
        }
    }

    /// Sets the bound on each wait (see [`Config::command_timeout`](crate::Config::command_timeout)).
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    fn poll_guard<T>(
        timeout: Option<Duration>,
        wait: &mut Wait,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match poll {
            Poll::Ready(r) => {
                wait.armed = false;
                Poll::Ready(r)
            }
            Poll::Pending => match timeout {
                Some(t) if wait.poll_expired(t, cx) => {
                    wait.armed = false;
                    Poll::Ready(Err(timed_out()))
                }
                _ => Poll::Pending,
            },
        }
    }
}

macro_rules! each {
    ($inner:expr, $s:ident => $e:expr) => {
        match $inner {
            Inner::Plain($s) => $e,
            Inner::Rustls($s) => $e,
            #[cfg(feature = "openssl")]
            Inner::OpenSsl($s) => $e,
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = each!(&mut this.inner, s => Pin::new(s).poll_read(cx, buf));
        Self::poll_guard(this.timeout, &mut this.read_wait, cx, poll)
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = each!(&mut this.inner, s => Pin::new(s).poll_write(cx, buf));
        Self::poll_guard(this.timeout, &mut this.write_wait, cx, poll)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = each!(&mut this.inner, s => Pin::new(s).poll_flush(cx));
        Self::poll_guard(this.timeout, &mut this.write_wait, cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = ready!(each!(&mut this.inner, s => Pin::new(s).poll_shutdown(cx)));
        Poll::Ready(r)
    }
}
