//! The connector under [`HyperTransport`](super::HyperTransport): straight to the server, or
//! through the proxy the environment names (absolute-form requests for `http:`, a `CONNECT`
//! tunnel for `https:`), with TLS to the server for `https:`.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use tower_service::Service;

use super::BoxError;

#[cfg(feature = "rustls")]
type Io = hyper_rustls::MaybeHttpsStream<hyper_util::rt::TokioIo<tokio::net::TcpStream>>;
#[cfg(not(feature = "rustls"))]
type Io = hyper_util::rt::TokioIo<tokio::net::TcpStream>;

/// Connects to a request's destination, or to its proxy.
#[derive(Clone)]
pub(super) struct Connector {
    pub(super) http: HttpConnector,
    /// The TLS settings, ALPN included.
    #[cfg(feature = "rustls")]
    pub(super) tls: Arc<rustls::ClientConfig>,
    /// Which destinations go through which proxy; `None` when proxies are off.
    pub(super) proxy: Option<Arc<Matcher>>,
    /// Loopback destinations (`localhost`, 127.0.0.0/8, `::1`) skip the proxy: true for the
    /// environment's proxies, as Go's `ProxyFromEnvironment` does, since a proxy set for
    /// the outside world cannot reach this machine's own servers; false for one set in code.
    pub(super) direct_to_loopback: bool,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("proxy", &self.proxy.is_some())
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// The proxy for `dst`, if one is configured and `NO_PROXY` does not exempt it.
    pub(super) fn proxy_for(
        &self,
        dst: &Uri,
    ) -> Option<hyper_util::client::proxy::matcher::Intercept> {
        if self.direct_to_loopback && is_loopback(dst) {
            return None;
        }
        self.proxy.as_ref()?.intercept(dst)
    }

    /// A connection to `dst` itself, over TLS for `https:`.
    async fn direct(&self, dst: Uri) -> Result<Io, BoxError> {
        #[cfg(feature = "rustls")]
        {
            let mut https =
                hyper_rustls::HttpsConnector::from((self.http.clone(), self.tls.clone()));
            https.call(dst).await
        }
        #[cfg(not(feature = "rustls"))]
        {
            let mut http = self.http.clone();
            Ok(http.call(dst).await?)
        }
    }
}

impl Service<Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Each call clones what it needs; nothing here is ever busy.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let Some(proxy) = this.proxy_for(&dst) else {
                return Ok(Conn {
                    io: this.direct(dst).await?,
                    proxy: false,
                });
            };
            if !matches!(proxy.uri().scheme_str(), Some("http" | "https")) {
                let scheme = proxy.uri().scheme_str().unwrap_or("").to_owned();
                let message =
                    format!("proxy scheme {scheme:?} is not supported (http: or https: only)");
                return Err(io::Error::new(io::ErrorKind::Unsupported, message).into());
            }
            if dst.scheme_str() == Some("https") {
                // A CONNECT tunnel through the proxy, then TLS with the server inside it, so
                // the proxy sees neither the request nor the stream.
                #[cfg(feature = "rustls")]
                {
                    use hyper_util::client::legacy::connect::proxy::Tunnel;
                    let mut tunnel = Tunnel::new(proxy.uri().clone(), this.http.clone());
                    if let Some(auth) = proxy.basic_auth() {
                        tunnel = tunnel.with_auth(auth.clone());
                    }
                    let mut https = hyper_rustls::HttpsConnector::from((tunnel, this.tls.clone()));
                    let io = https.call(dst).await?;
                    return Ok(Conn { io, proxy: false });
                }
            }
            // `http:` through the proxy: requests in absolute-form, which `proxy: true` asks
            // hyper-util's client for.
            let io = this.direct(proxy.uri().clone()).await?;
            Ok(Conn { io, proxy: true })
        })
    }
}

pin_project_lite::pin_project! {
    /// A connection, marked as one to a proxy when it is.
    pub(super) struct Conn {
        #[pin]
        io: Io,
        proxy: bool,
    }
}

impl Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        self.project().io.poll_read(cx, buf)
    }
}

impl Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().io.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().io.poll_write_vectored(cx, bufs)
    }
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxy)
    }
}

/// Whether `dst` names this machine: `localhost` (or a name under it) or a loopback address.
fn is_loopback(dst: &Uri) -> bool {
    let Some(host) = dst.host() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let lower = host.to_ascii_lowercase();
    lower == "localhost"
        || lower.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod loopback_tests {
    use super::is_loopback;

    #[test]
    fn loopback_destinations_are_recognised() {
        for uri in [
            "http://localhost:8080/x",
            "https://LOCALHOST/",
            "http://api.localhost/",
            "http://127.0.0.1:3000/",
            "http://127.9.9.9/",
            "http://[::1]:3000/",
        ] {
            assert!(is_loopback(&uri.parse().unwrap()), "{uri}");
        }
        for uri in [
            "http://example.com/",
            "http://10.0.0.1/",
            "http://[::2]/",
            "http://localhost.example/",
        ] {
            assert!(!is_loopback(&uri.parse().unwrap()), "{uri}");
        }
    }
}
