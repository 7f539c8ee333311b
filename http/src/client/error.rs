//! Why a connection ended ([`Disconnect`], followed by a reconnection) and why a client
//! stopped for good ([`Failure`]), with the errors below them as typed sources.
//!
//! Each `Display` says what happened at its own level and leaves the cause to
//! [`Error::source`], so that a reporter walking the chain prints each message once.

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use url::Url;

use super::MAX_REDIRECTS;

/// An error from below the client (the socket, hyper, the `http` crate), shared so that the
/// [`Disconnect`] or [`Failure`] holding it stays `Clone`. Its `Display` and
/// [`source`](Error::source) are the underlying error's; two are equal when one is a clone
/// of the other.
///
/// ```
/// let cause = ssewire_http::Cause::new(std::io::Error::other("reset"));
/// assert_eq!(cause.to_string(), "reset");
/// assert!(cause.downcast_ref::<std::io::Error>().is_some());
/// assert_eq!(cause, cause.clone());
/// ```
#[derive(Clone)]
pub struct Cause(Arc<dyn Error + Send + Sync + 'static>);

impl Cause {
    /// Wraps an already boxed error, as a response body's chunk errors come.
    pub(crate) fn from_boxed(error: Box<dyn Error + Send + Sync + 'static>) -> Self {
        Cause(Arc::from(error))
    }

    /// Wraps `error`.
    ///
    /// ```
    /// let _ = ssewire_http::Cause::new(std::io::Error::other("reset"));
    /// ```
    pub fn new(error: impl Error + Send + Sync + 'static) -> Self {
        Cause(Arc::new(error))
    }

    /// The underlying error.
    ///
    /// ```
    /// let cause = ssewire_http::Cause::new(std::io::Error::other("reset"));
    /// assert_eq!(cause.get_ref().to_string(), "reset");
    /// ```
    pub fn get_ref(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.0
    }

    /// The underlying error, if it is an `E` (e.g. [`std::io::Error`] or `hyper::Error`).
    ///
    /// ```
    /// let cause = ssewire_http::Cause::new(std::io::Error::other("reset"));
    /// assert!(cause.downcast_ref::<std::fmt::Error>().is_none());
    /// ```
    pub fn downcast_ref<E: Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref()
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Error for Cause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Cause {}

/// Why a connection ended or an attempt did not connect (each leads to a reconnection).
///
/// ```
/// use std::error::Error as _;
/// let network = ssewire_http::Disconnect::Network(ssewire_http::Cause::new(
///     std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
/// ));
/// assert_eq!(network.to_string(), "network error");
/// assert!(network.source().is_some());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Disconnect {
    /// The server ended the response body cleanly.
    Closed,
    /// The network failed (refused, reset, malformed HTTP …); the cause is the transport's
    /// error (for the default transport, a `hyper_util` client error or a `hyper::Error`).
    Network(Cause),
    /// Nothing arrived for the idle timeout.
    IdleTimeout(Duration),
    /// No response head (after any redirects) within the connect timeout
    /// ([`EventSourceBuilder::connect_timeout`](crate::EventSourceBuilder::connect_timeout)).
    ConnectTimeout(Duration),
}

impl fmt::Display for Disconnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Disconnect::Closed => f.write_str("the server closed the stream"),
            Disconnect::Network(_) => f.write_str("network error"),
            Disconnect::IdleTimeout(t) => write!(f, "nothing received for {t:?}"),
            Disconnect::ConnectTimeout(t) => write!(f, "no response within {t:?}"),
        }
    }
}

impl Error for Disconnect {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Disconnect::Network(cause) => Some(cause),
            Disconnect::Closed | Disconnect::IdleTimeout(_) | Disconnect::ConnectTimeout(_) => None,
        }
    }
}

/// Why a URL cannot be fetched.
///
/// ```
/// let url = url::Url::parse("ftp://example.com/").unwrap();
/// let e = ssewire_http::UrlError::UnsupportedScheme(url);
/// assert_eq!(e.to_string(), "ftp://example.com/: not an http: or https: URL the transport fetches");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlError {
    /// Not a URL, or not one a request can be made for; the cause is the `url` crate's
    /// [`url::ParseError`] or the `http` crate's error.
    Invalid {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        cause: Cause,
    },
    /// Neither `http:` nor `https:`, or `https:` with a transport without TLS (the default
    /// one without the `rustls` feature).
    UnsupportedScheme(Url),
    /// No host to connect to.
    NoHost(Url),
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Invalid { url, .. } => write!(f, "{url:?} is not a URL that can be fetched"),
            UrlError::UnsupportedScheme(url) => {
                write!(f, "{url}: not an http: or https: URL the transport fetches")
            }
            UrlError::NoHost(url) => write!(f, "{url}: no host"),
        }
    }
}

impl Error for UrlError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            UrlError::Invalid { cause, .. } => Some(cause),
            UrlError::UnsupportedScheme(_) | UrlError::NoHost(_) => None,
        }
    }
}

/// Why following a redirect failed.
///
/// ```
/// use std::error::Error as _;
/// let e = ssewire_http::RedirectError::TooMany;
/// assert_eq!(e.to_string(), "more than 20 redirects");
/// let base = url::Url::parse("http://example.com/").unwrap();
/// let bad = ssewire_http::RedirectError::BadLocation {
///     location: "http://[bad".into(),
///     error: base.join("http://[bad").unwrap_err(),
/// };
/// assert_eq!(bad.to_string(), "Location \"http://[bad\" is not a URL");
/// assert_eq!(bad.source().unwrap().to_string(), "invalid IPv6 address");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedirectError {
    /// A redirect status without a `Location` header.
    NoLocation(StatusCode),
    /// A redirect status whose `Location` holds bytes other than visible ASCII, so it is not
    /// text a URL can be read from; the cause (also the [`source`](Error::source)) is the
    /// `http` crate's [`ToStrError`](http::header::ToStrError).
    LocationNotAscii {
        /// The redirect's status.
        status: StatusCode,
        /// Why the value is not text.
        cause: Cause,
    },
    /// A `Location` that does not resolve to a URL against the URL it came from.
    BadLocation {
        /// The `Location` as received.
        location: String,
        /// Why it does not resolve (also the [`source`](Error::source)).
        error: url::ParseError,
    },
    /// More than [`MAX_REDIRECTS`] in a row.
    TooMany,
}

impl fmt::Display for RedirectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedirectError::NoLocation(status) => write!(f, "{status} without a Location"),
            RedirectError::LocationNotAscii { status, .. } => {
                write!(f, "{status} with a Location that is not visible ASCII")
            }
            RedirectError::BadLocation { location, .. } => {
                write!(f, "Location {location:?} is not a URL")
            }
            RedirectError::TooMany => write!(f, "more than {MAX_REDIRECTS} redirects"),
        }
    }
}

impl Error for RedirectError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            RedirectError::LocationNotAscii { cause, .. } => Some(cause),
            RedirectError::BadLocation { error, .. } => Some(error),
            RedirectError::NoLocation(_) | RedirectError::TooMany => None,
        }
    }
}

/// Why an [`EventSource`](crate::EventSource) failed for good (`readyState` CLOSED, no
/// reconnection). It is the stream's last item.
///
/// ```
/// let failure = ssewire_http::Failure::Status(http::StatusCode::NO_CONTENT);
/// assert_eq!(failure.to_string(), "status 204 No Content: only 200 opens a stream");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The final response's status was not 200 (204 included).
    Status(StatusCode),
    /// The final response's `Content-Type` was not `text/event-stream` (or was absent): the
    /// value received.
    ContentType(Option<String>),
    /// The URL cannot be fetched.
    Url(UrlError),
    /// A redirect could not be followed.
    Redirect(RedirectError),
    /// The [`EventSourceBuilder::max_attempts`](crate::EventSourceBuilder::max_attempts)
    /// policy gave up after this many failed attempts in a row.
    GaveUp {
        /// Attempts that failed in a row.
        attempts: u32,
        /// The last attempt's cause (also the [`source`](Error::source)).
        last: Disconnect,
    },
    /// The request's method is not idempotent, so it is not repeated, and its connection
    /// ended otherwise than by a clean close (which ends the stream without an error); see
    /// [`EventSourceBuilder::method`](crate::EventSourceBuilder::method).
    Interrupted(Disconnect),
    /// The TLS handshake failed: the server's certificate is not trusted or not for this
    /// host, or no protocol is shared. Trying again would fail the same way (the spec lets a
    /// user agent fail a connection it knows to be futile). With the default transport the
    /// cause is the [`rustls::Error`]:
    ///
    /// ```
    /// use rustls::{CertificateError, Error as TlsError};
    /// let tls = TlsError::InvalidCertificate(CertificateError::UnknownIssuer);
    /// let failure = ssewire_http::Failure::Tls(ssewire_http::Cause::new(tls));
    /// let Some(TlsError::InvalidCertificate(why)) = (match &failure {
    ///     ssewire_http::Failure::Tls(cause) => cause.downcast_ref::<TlsError>(),
    ///     _ => None,
    /// }) else { unreachable!() };
    /// assert_eq!(*why, CertificateError::UnknownIssuer);
    /// ```
    Tls(Cause),
    /// The final response was compressed (`Content-Encoding`, the value received) although
    /// the request asked for `identity`: its bytes are no event stream, and asking again
    /// would get the same.
    ContentEncoding(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status(status) => write!(f, "status {status}: only 200 opens a stream"),
            Failure::ContentType(Some(t)) => {
                write!(f, "Content-Type {t:?} is not text/event-stream")
            }
            Failure::ContentType(None) => f.write_str("no Content-Type: text/event-stream needed"),
            Failure::Url(_) => f.write_str("bad URL"),
            Failure::Redirect(_) => f.write_str("redirect failed"),
            Failure::GaveUp { attempts, .. } => {
                write!(f, "gave up after {attempts} failed attempts in a row")
            }
            Failure::Tls(_) => f.write_str("TLS handshake failed"),
            Failure::ContentEncoding(coding) => {
                write!(
                    f,
                    "Content-Encoding {coding:?}: the stream must not be compressed"
                )
            }
            Failure::Interrupted(_) => {
                f.write_str("interrupted, and the request is not idempotent so not repeated")
            }
        }
    }
}

impl Error for Failure {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Failure::Url(e) => Some(e),
            Failure::Tls(cause) => Some(cause),
            Failure::Redirect(e) => Some(e),
            Failure::GaveUp { last, .. } | Failure::Interrupted(last) => Some(last),
            Failure::Status(_) | Failure::ContentType(_) | Failure::ContentEncoding(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message in the chain, joined as a reporter would.
    fn chain(error: &dyn Error) -> String {
        let mut text = error.to_string();
        let mut next = error.source();
        while let Some(e) = next {
            text.push_str(": ");
            text.push_str(&e.to_string());
            next = e.source();
        }
        text
    }

    #[test]
    fn each_message_appears_once_in_the_chain() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let last = Disconnect::Network(Cause::new(refused));
        let failure = Failure::GaveUp { attempts: 3, last };
        assert_eq!(
            chain(&failure),
            "gave up after 3 failed attempts in a row: network error: connection refused"
        );
        let invalid = Url::parse("not a url").unwrap_err();
        let url = UrlError::Invalid {
            url: "not a url".into(),
            cause: Cause::new(invalid),
        };
        assert_eq!(
            chain(&Failure::Url(url)),
            "bad URL: \"not a url\" is not a URL that can be fetched: relative URL without a base"
        );
    }

    #[test]
    fn causes_are_equal_only_to_their_clones() {
        let a = Cause::new(std::io::Error::other("x"));
        let b = Cause::new(std::io::Error::other("x"));
        assert_eq!(a, a.clone());
        assert_ne!(a, b);
    }
}
