//! The connector under [`HyperTransport`](super::HyperTransport): straight to the server, or
//! through the proxy the environment names (absolute-form requests for `http:`, a `CONNECT`
//! tunnel for `https:`), with TLS to the server for `https:` and to the proxy when its URL is
//! `https:` (so a tunnel through such a proxy is TLS inside TLS).

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

/// A connection to one host (the server, or a proxy), over TLS when its URL is `https:`.
#[cfg(feature = "rustls")]
type Direct = hyper_rustls::MaybeHttpsStream<hyper_util::rt::TokioIo<tokio::net::TcpStream>>;
#[cfg(not(feature = "rustls"))]
type Direct = hyper_util::rt::TokioIo<tokio::net::TcpStream>;
/// TLS with the server inside a `CONNECT` tunnel, itself in a [`Direct`] connection to the
/// proxy.
#[cfg(feature = "rustls")]
type Tunneled = hyper_rustls::MaybeHttpsStream<Direct>;

/// Connects to a request's destination, or to its proxy.
#[derive(Clone)]
pub(super) struct Connector {
    pub(super) http: HttpConnector,
    /// The TLS settings, ALPN included.
    #[cfg(feature = "rustls")]
    pub(super) tls: Arc<rustls::ClientConfig>,
    /// The same trust for an `https:` proxy, with ALPN `http/1.1` alone, as curl speaks to
    /// one: a `CONNECT` tunnel is asked for in HTTP/1.1, and hyper-rustls would report an
    /// `h2` chosen by the proxy as if the server inside the tunnel had chosen it.
    #[cfg(feature = "rustls")]
    pub(super) proxy_tls: Arc<rustls::ClientConfig>,
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

    /// A connection to `dst` itself, over TLS for `https:`; `to_proxy` when `dst` is a
    /// proxy's URL.
    async fn direct(&self, dst: Uri, to_proxy: bool) -> Result<Direct, BoxError> {
        #[cfg(feature = "rustls")]
        {
            let tls = if to_proxy { &self.proxy_tls } else { &self.tls };
            let mut https = hyper_rustls::HttpsConnector::from((self.http.clone(), tls.clone()));
            https.call(dst).await
        }
        #[cfg(not(feature = "rustls"))]
        {
            let _ = to_proxy;
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
                    io: Io::Direct(this.direct(dst, false).await?),
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
                // the proxy sees neither the request nor the stream. The connection to the
                // proxy is TLS too when its URL is `https:` (the connector leaves `http:`
                // in cleartext), so the CONNECT and its credentials are not sent in clear.
                #[cfg(feature = "rustls")]
                {
                    use hyper_util::client::legacy::connect::proxy::Tunnel;
                    let to_proxy = hyper_rustls::HttpsConnector::from((
                        this.http.clone(),
                        this.proxy_tls.clone(),
                    ));
                    let mut tunnel = Tunnel::new(proxy.uri().clone(), to_proxy);
                    if let Some(auth) = proxy.basic_auth() {
                        tunnel = tunnel.with_auth(auth.clone());
                    }
                    let mut https = hyper_rustls::HttpsConnector::from((tunnel, this.tls.clone()));
                    let io = https.call(dst).await?;
                    return Ok(Conn {
                        io: Io::Tunneled(io),
                        proxy: false,
                    });
                }
            }
            // `http:` through the proxy: requests in absolute-form, which `proxy: true` asks
            // hyper-util's client for.
            let io = this.direct(proxy.uri().clone(), true).await?;
            Ok(Conn {
                io: Io::Direct(io),
                proxy: true,
            })
        })
    }
}

/// A connection made straight or through a tunnel. Both kinds are `Unpin`, so pinning
/// needs no projection.
// A tunnel holds two TLS sessions to a direct connection's one; the kilobyte a direct one
// leaves unused is small beside its buffers, and boxing either would add an allocation to
// every connection for nothing.
#[allow(clippy::large_enum_variant)]
enum Io {
    Direct(Direct),
    #[cfg(feature = "rustls")]
    Tunneled(Tunneled),
}

/// Runs `$body` with `$io` bound to the connection inside, whichever kind it is.
macro_rules! each_io {
    ($value:expr, $io:ident => $body:expr) => {
        match $value {
            Io::Direct($io) => $body,
            #[cfg(feature = "rustls")]
            Io::Tunneled($io) => $body,
        }
    };
}

/// A connection, marked as one to a proxy when requests on it go in absolute-form.
pub(super) struct Conn {
    io: Io,
    proxy: bool,
}

impl Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        each_io!(&mut self.get_mut().io, io => Pin::new(io).poll_read(cx, buf))
    }
}

impl Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each_io!(&mut self.get_mut().io, io => Pin::new(io).poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each_io!(&mut self.get_mut().io, io => Pin::new(io).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each_io!(&mut self.get_mut().io, io => Pin::new(io).poll_shutdown(cx))
    }

    fn is_write_vectored(&self) -> bool {
        each_io!(&self.io, io => io.is_write_vectored())
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each_io!(&mut self.get_mut().io, io => Pin::new(io).poll_write_vectored(cx, bufs))
    }
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        each_io!(&self.io, io => io.connected()).proxy(self.proxy)
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
