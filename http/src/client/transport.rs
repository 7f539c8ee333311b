//! How an attempt's request reaches the server: the [`Transport`] trait, and
//! [`HyperTransport`], the default on hyper-util's pooled client.
//!
//! The driver above owns the spec's logic (redirects, status and type checks, reconnection);
//! a transport only sends one request and hands back the response, so a test double, a tower
//! stack or another HTTP client can stand in without touching that logic.

use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::connect::Connector;
use super::Cause;

/// A boxed error, as a response body's chunks fail with.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// The body of a response a [`Transport`] hands back.
pub type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// What [`Transport::send`] returns: the response once its head has arrived.
pub type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, TransportError>> + Send>>;

/// Sends one request and resolves to the response head, its body still to be read.
///
/// The request's URI is absolute (`https://host/path?query`), its headers are final
/// (`Accept`, `Cache-Control`, `Last-Event-ID` included; `Host` is the transport's to set)
/// and its body is complete. Redirects are not the transport's business: the client follows
/// them itself, as fetch does.
///
/// ```
/// use ssewire_http::{EventSource, HyperTransport, Transport};
/// // Sources built with one transport share its connection pool.
/// let transport = HyperTransport::new();
/// let a = EventSource::builder("http://127.0.0.1:1/a").transport(transport.clone()).build();
/// let b = EventSource::builder("http://127.0.0.1:1/b").transport(transport).build();
/// # drop((a, b));
/// ```
pub trait Transport: Send + Sync + 'static {
    /// Sends `request`.
    ///
    /// # Errors
    /// [`TransportError`]: a network error (the client reconnects), a TLS error (it fails
    /// for good) or a scheme this transport cannot fetch (it fails for good).
    fn send(&self, request: Request<Bytes>) -> ResponseFuture;
}

impl<T: Transport + ?Sized> Transport for Arc<T> {
    fn send(&self, request: Request<Bytes>) -> ResponseFuture {
        (**self).send(request)
    }
}

/// Why a [`Transport`] gave no response.
///
/// ```
/// let e = ssewire_http::TransportError::Network(ssewire_http::Cause::new(
///     std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
/// ));
/// assert_eq!(e.to_string(), "network error");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// Connecting, sending or receiving the head failed (refused, reset, malformed HTTP …):
    /// worth another attempt.
    Network(Cause),
    /// The TLS handshake failed (a certificate not trusted or not for this host, no common
    /// protocol …). The cause is the [`rustls::Error`] when the default transport uses rustls.
    /// Retrying is futile, so the client fails for good.
    Tls(Cause),
    /// The transport cannot fetch this scheme (`https:` without TLS built in).
    UnsupportedScheme,
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportError::Network(_) => f.write_str("network error"),
            TransportError::Tls(_) => f.write_str("TLS handshake failed"),
            TransportError::UnsupportedScheme => f.write_str("scheme not supported"),
        }
    }
}

impl Error for TransportError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            TransportError::Network(cause) | TransportError::Tls(cause) => Some(cause),
            TransportError::UnsupportedScheme => None,
        }
    }
}

/// The default [`Transport`]: hyper-util's pooled client over tokio's TCP. HTTP/1.1
/// connections are kept alive and reused (a stream that ends cleanly gives its connection
/// back for the reconnection), and with the `rustls` feature `https:` works, with HTTP/2 when
/// the server offers it by ALPN.
///
/// **TLS** is rustls on the *ring* provider: it builds with a C compiler alone (aws-lc-rs
/// needs cmake on some targets and builds slower), on every target rustls supports. rustls
/// 0.23.48 deprecates *ring*'s provider because it has no post-quantum key exchange; a
/// config on aws-lc-rs passed to [`with_tls_config`](Self::with_tls_config) gets one. The
/// trusted roots are the webpki roots, Mozilla's list built into the binary: the same on
/// every platform and in a bare container without a CA bundle. For the platform's store or
/// a private CA, pass your own `rustls::ClientConfig` to
/// [`with_tls_config`](Self::with_tls_config).
///
/// **Proxies** come from the environment, as curl reads it: `HTTP_PROXY`, `HTTPS_PROXY`,
/// `ALL_PROXY` and `NO_PROXY` (either case), read when the transport is made. An `http:`
/// request goes to the proxy in absolute-form; an `https:` one through a `CONNECT` tunnel,
/// TLS with the server inside it. With the `rustls` feature a proxy URL may be `https:`: the
/// connection to the proxy is then TLS too (same trusted roots, HTTP/1.1), so a tunnel is TLS
/// inside TLS and neither the `CONNECT` nor the credentials cross the network in clear.
/// Credentials in the proxy URL are sent as Basic `Proxy-Authorization`. Requests to this machine (`localhost`, loopback addresses) go
/// straight to it unless the proxy was set in code. [`no_proxy`](Self::no_proxy) turns
/// proxies off; [`proxy`](Self::proxy) sets one in code.
///
/// **HTTP/2** multiplexes every stream to one origin on one connection. h2 bounds the memory
/// of DATA frames received but not yet read (about 2.5 MiB of framing overhead, a frame under
/// 256 bytes counting as 256): a process that stops polling its sources while thousands of
/// small events arrive makes h2 close the connection (`ENHANCE_YOUR_CALM`), and every source
/// on it reconnects. Poll sources promptly, or give a busy one a transport of its own.
///
/// Cloning is cheap and shares the pool.
///
/// ```
/// let transport = ssewire_http::HyperTransport::new();
/// let _ = ssewire_http::EventSource::builder("https://127.0.0.1:1/").transport(transport);
/// ```
#[derive(Clone, Debug)]
pub struct HyperTransport {
    connector: Connector,
    http2_only: bool,
    client: Client<Connector, Full<Bytes>>,
}

impl Default for HyperTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl HyperTransport {
    /// The default transport: HTTP/1.1 and HTTP/2 (by ALPN), proxies from the environment,
    /// and with the `rustls` feature, TLS trusting the webpki roots.
    ///
    /// ```
    /// let _ = ssewire_http::HyperTransport::new();
    /// ```
    pub fn new() -> Self {
        #[cfg(feature = "rustls")]
        {
            let roots =
                rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(ring_provider()))
                .with_safe_default_protocol_versions()
                // Only a provider without TLS 1.2 and 1.3 is refused, and ring has both.
                .expect("ring supports rustls's default protocol versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
            Self::with_tls_config(config)
        }
        #[cfg(not(feature = "rustls"))]
        {
            Self::build(
                Connector {
                    http: http_connector(),
                    proxy: Some(Arc::new(Matcher::from_env())),
                    direct_to_loopback: true,
                },
                false,
            )
        }
    }

    /// The default transport trusting what `config` trusts (a private CA, the platform's
    /// store through `rustls-native-certs`, client certificates …). Its ALPN protocols are
    /// replaced by `h2` and `http/1.1`.
    ///
    /// ```
    /// # #![allow(deprecated)] // rustls's ring provider: see the type's docs
    /// let roots = rustls::RootCertStore::empty();
    /// let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    /// let config = rustls::ClientConfig::builder_with_provider(provider)
    ///     .with_safe_default_protocol_versions()
    ///     .unwrap()
    ///     .with_root_certificates(roots)
    ///     .with_no_client_auth();
    /// let _ = ssewire_http::HyperTransport::with_tls_config(config);
    /// ```
    #[cfg(feature = "rustls")]
    pub fn with_tls_config(mut config: rustls::ClientConfig) -> Self {
        let mut proxy_tls = config.clone();
        proxy_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Self::build(
            Connector {
                http: http_connector(),
                tls: Arc::new(config),
                proxy_tls: Arc::new(proxy_tls),
                proxy: Some(Arc::new(Matcher::from_env())),
                direct_to_loopback: true,
            },
            false,
        )
    }

    /// Speaks HTTP/2 only, also over cleartext `http:` (h2c with prior knowledge, RFC 9113
    /// §3.3), for servers known to speak it.
    ///
    /// ```
    /// let _ = ssewire_http::HyperTransport::new().http2_only();
    /// ```
    #[must_use]
    pub fn http2_only(self) -> Self {
        Self::build(self.connector, true)
    }

    /// Connects straight to every server, whatever the environment says about proxies.
    ///
    /// ```
    /// let _ = ssewire_http::HyperTransport::new().no_proxy();
    /// ```
    #[must_use]
    pub fn no_proxy(mut self) -> Self {
        self.connector.proxy = None;
        Self::build(self.connector, self.http2_only)
    }

    /// Sends every request through the proxy at `url` (`http://[user:password@]host:port`,
    /// or `https://…` for one reached over TLS, with the `rustls` feature),
    /// except to the hosts `no_proxy` lists (the `NO_PROXY` syntax: comma-separated hosts,
    /// domains, IP addresses or CIDR ranges, `*` for all), instead of what the environment
    /// says.
    ///
    /// ```
    /// let _ = ssewire_http::HyperTransport::new().proxy("http://127.0.0.1:3128", "localhost");
    /// ```
    #[must_use]
    pub fn proxy(mut self, url: &str, no_proxy: &str) -> Self {
        let matcher = Matcher::builder()
            .all(url.to_owned())
            .no(no_proxy.to_owned())
            .build();
        self.connector.proxy = Some(Arc::new(matcher));
        self.connector.direct_to_loopback = false;
        Self::build(self.connector, self.http2_only)
    }

    fn build(connector: Connector, http2_only: bool) -> Self {
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .http2_only(http2_only)
            .build(connector.clone());
        HyperTransport {
            connector,
            http2_only,
            client,
        }
    }

    /// The transport shared by the sources built without one, so that they share a pool
    /// and the roots and the environment are read once; with or without proxies.
    pub(super) fn shared(proxies: bool) -> Self {
        static WITH: OnceLock<HyperTransport> = OnceLock::new();
        static WITHOUT: OnceLock<HyperTransport> = OnceLock::new();
        if proxies {
            WITH.get_or_init(HyperTransport::new).clone()
        } else {
            WITHOUT
                .get_or_init(|| HyperTransport::new().no_proxy())
                .clone()
        }
    }
}

/// rustls on *ring*. rustls 0.23.48 deprecates this provider because *ring* has no
/// post-quantum key exchange; we keep it for now for its build (no cmake, quicker) and reach
/// (see [`HyperTransport`]).
#[cfg(feature = "rustls")]
#[allow(deprecated)]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

fn http_connector() -> HttpConnector {
    let mut http = HttpConnector::new();
    // The TLS connector above it handles `https:`, and proxies may be `https:` URLs.
    http.enforce_http(false);
    // Events are small writes that must not wait for more: no Nagle.
    http.set_nodelay(true);
    http
}

impl Transport for HyperTransport {
    fn send(&self, request: Request<Bytes>) -> ResponseFuture {
        if !cfg!(feature = "rustls") && request.uri().scheme_str() == Some("https") {
            return Box::pin(async { Err(TransportError::UnsupportedScheme) });
        }
        let mut request = request;
        if request.uri().scheme_str() == Some("http") {
            // Through a proxy, an `http:` request is the proxy's to read, credentials too
            // (an `https:` one sends them in the CONNECT instead).
            let auth = self.connector.proxy_for(request.uri());
            if let Some(auth) = auth.as_ref().and_then(|proxy| proxy.basic_auth()) {
                let headers = request.headers_mut();
                headers.insert(http::header::PROXY_AUTHORIZATION, auth.clone());
            }
        }
        let response = self.client.request(request.map(Full::new));
        Box::pin(async move {
            let response = response.await.map_err(classify)?;
            Ok(response.map(|body| body.map_err(|e| Box::new(e) as BoxError).boxed_unsync()))
        })
    }
}

/// A TLS error if one is in `error`'s chain (hyper-rustls puts it in an `io::Error`, itself
/// in another), else a network error.
pub(super) fn classify(error: impl Error + Send + Sync + 'static) -> TransportError {
    #[cfg(feature = "rustls")]
    {
        let mut next: Option<&(dyn Error + 'static)> = Some(&error as &(dyn Error + 'static));
        while let Some(e) = next {
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                return TransportError::Tls(Cause::new(tls.clone()));
            }
            // Go into an `io::Error` by `get_ref`: its `source` is its inner error's source,
            // so walking `source` alone would step over the rustls error.
            next = match e
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
            {
                Some(inner) => Some(inner),
                None => e.source(),
            };
        }
    }
    TransportError::Network(Cause::new(error))
}
