//! The settings of an [`EventSource`](super::EventSource): the builder and the backoff policy.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method};
use ssewire_parser::{Limits, Parser};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::driver::{Driver, Phase};
use super::{Cause, EventSource, Failure, HyperTransport, ReadyState, Transport, UrlError};

/// Exponential backoff with jitter, for reconnections that keep failing.
///
/// The n-th failure in a row waits the reconnection time × 2ⁿ⁻¹, capped at `max`; with
/// jitter, a uniformly random time in the upper half of that, so that many clients dropped at
/// once do not return at once. A connection that delivers an event resets the count.
///
/// ```
/// use std::time::Duration;
/// let backoff = ssewire_http::Backoff::exponential(Duration::from_secs(60)).jitter(false);
/// assert_eq!(backoff.delay(Duration::from_secs(1), 3), Duration::from_secs(4));
/// assert_eq!(backoff.delay(Duration::from_secs(1), 30), Duration::from_secs(60));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub(super) max: Duration,
    pub(super) jitter: bool,
}

impl Backoff {
    /// Doubling delays capped at `max`, with jitter.
    ///
    /// ```
    /// let _ = ssewire_http::Backoff::exponential(std::time::Duration::from_secs(30));
    /// ```
    pub fn exponential(max: Duration) -> Self {
        Backoff { max, jitter: true }
    }

    /// Turns jitter on or off.
    ///
    /// ```
    /// let b = ssewire_http::Backoff::exponential(std::time::Duration::from_secs(30));
    /// let _ = b.jitter(false);
    /// ```
    #[must_use]
    pub fn jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// The delay before the attempt after `failures` failures in a row (1 for the first).
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = ssewire_http::Backoff::exponential(Duration::from_secs(10));
    /// let d = b.delay(Duration::from_secs(2), 2);
    /// assert!(d >= Duration::from_secs(2) && d <= Duration::from_secs(4));
    /// ```
    pub fn delay(&self, base: Duration, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        let full = base.saturating_mul(1 << doublings).min(self.max);
        if !self.jitter {
            return full;
        }
        let half = full / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

type HeaderFn = Arc<dyn Fn() -> HeaderMap + Send + Sync>;
type BodyFn = Arc<dyn Fn() -> Bytes + Send + Sync>;

/// Settings of an [`EventSource`]; [`EventSource::builder`] makes one.
///
/// ```
/// use std::time::Duration;
/// use ssewire_http::{Backoff, EventSource};
/// let source = EventSource::builder("http://127.0.0.1:8080/events")
///     .backoff(Backoff::exponential(Duration::from_secs(60)))
///     .max_attempts(10)
///     .idle_timeout(Duration::from_secs(45))
///     .build();
/// # drop(source);
/// ```
#[derive(Clone)]
pub struct EventSourceBuilder {
    pub(super) url: String,
    pub(super) method: Method,
    pub(super) fixed_headers: HeaderMap,
    pub(super) headers: Option<HeaderFn>,
    pub(super) body: Option<BodyFn>,
    pub(super) reconnect_non_idempotent: bool,
    pub(super) transport: Option<Arc<dyn Transport>>,
    pub(super) proxies: bool,
    /// Off when there is no request to repeat (a stream from a response handed over).
    pub(super) repeatable: bool,
    pub(super) reconnection_time: Duration,
    pub(super) min_reconnection_time: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) backoff: Option<Backoff>,
    pub(super) max_attempts: Option<u32>,
    pub(super) idle_timeout: Option<Duration>,
    pub(super) limits: Limits,
    pub(super) last_event_id: String,
}

impl fmt::Debug for EventSourceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSourceBuilder")
            .field("url", &self.url)
            .field("method", &self.method)
            .field("fixed_headers", &self.fixed_headers)
            .field("headers", &self.headers.is_some())
            .field("body", &self.body.is_some())
            .field("reconnect_non_idempotent", &self.reconnect_non_idempotent)
            .field("transport", &self.transport.is_some())
            .field("proxies", &self.proxies)
            .field("reconnection_time", &self.reconnection_time)
            .field("min_reconnection_time", &self.min_reconnection_time)
            .field("connect_timeout", &self.connect_timeout)
            .field("backoff", &self.backoff)
            .field("max_attempts", &self.max_attempts)
            .field("idle_timeout", &self.idle_timeout)
            .field("limits", &self.limits)
            .field("last_event_id", &self.last_event_id)
            .finish()
    }
}

impl EventSourceBuilder {
    /// The request method (default `GET`, the only one the spec's `EventSource` uses).
    ///
    /// A method that is not idempotent (`POST`, `PATCH`; RFC 9110 §9.2.2) is sent once: the
    /// server may have acted on it (posted a message, started a paid generation) even when the
    /// response was lost, so repeating it is the caller's decision, not the client's. The
    /// stream then ends after a clean close, and with [`Failure::Interrupted`] after any other
    /// disconnect, unless [`reconnect_non_idempotent`](Self::reconnect_non_idempotent) is set.
    ///
    /// ```
    /// let b = ssewire_http::EventSource::builder("http://127.0.0.1:1/v1/chat");
    /// let _ = b.method(http::Method::POST).body(r#"{"stream":true}"#);
    /// ```
    #[must_use]
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// A request header sent on every attempt (after this, [`headers`](Self::headers) may add
    /// or replace some per attempt). The client's own `Accept`, `Cache-Control` and
    /// `Last-Event-ID` win over a header of the same name.
    ///
    /// ```
    /// use http::header::{HeaderValue, CONTENT_TYPE};
    /// let b = ssewire_http::EventSource::builder("http://127.0.0.1:1/");
    /// let _ = b.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    /// ```
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.fixed_headers.append(name, value);
        self
    }

    /// The request body, sent again as is on every attempt (cloning [`Bytes`] copies nothing).
    ///
    /// ```
    /// let b = ssewire_http::EventSource::builder("http://127.0.0.1:1/");
    /// let _ = b.method(http::Method::POST).body(r#"{"prompt":"hi"}"#);
    /// ```
    #[must_use]
    pub fn body(self, body: impl Into<Bytes>) -> Self {
        let body = body.into();
        self.body_with(move || body.clone())
    }

    /// The request body, computed again for every attempt (e.g. to say where to resume).
    ///
    /// ```
    /// let b = ssewire_http::EventSource::builder("http://127.0.0.1:1/");
    /// let _ = b.method(http::Method::POST).body_with(|| bytes::Bytes::from("{}"));
    /// ```
    #[must_use]
    pub fn body_with(mut self, make: impl Fn() -> Bytes + Send + Sync + 'static) -> Self {
        self.body = Some(Arc::new(make));
        self
    }

    /// Reconnects after a disconnect even when the method is not idempotent, repeating the
    /// request (default: off; see [`method`](Self::method) for why). Turn it on when the
    /// server treats a repeated request as a resumption, e.g. by its `Last-Event-ID`.
    ///
    /// ```
    /// let b = ssewire_http::EventSource::builder("http://127.0.0.1:1/");
    /// let _ = b.method(http::Method::POST).reconnect_non_idempotent(true);
    /// ```
    #[must_use]
    pub fn reconnect_non_idempotent(mut self, on: bool) -> Self {
        self.reconnect_non_idempotent = on;
        self
    }

    /// Extra request headers, computed again for every attempt (e.g. a fresh token).
    ///
    /// ```
    /// use http::{header::AUTHORIZATION, HeaderMap, HeaderValue};
    /// let _ = ssewire_http::EventSource::builder("http://127.0.0.1:8080/events").headers(|| {
    ///     let mut headers = HeaderMap::new();
    ///     headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer fresh"));
    ///     headers
    /// });
    /// ```
    #[must_use]
    pub fn headers(mut self, make: impl Fn() -> HeaderMap + Send + Sync + 'static) -> Self {
        self.headers = Some(Arc::new(make));
        self
    }

    /// The reconnection time until the stream sends `retry` (default
    /// [`DEFAULT_RECONNECTION_TIME`](super::DEFAULT_RECONNECTION_TIME)).
    ///
    /// ```
    /// let b = ssewire_http::EventSource::builder("http://127.0.0.1:1/");
    /// let _ = b.reconnection_time(std::time::Duration::from_millis(500));
    /// ```
    #[must_use]
    pub fn reconnection_time(mut self, time: Duration) -> Self {
        self.reconnection_time = time;
        self
    }

    /// A floor under the reconnection time, whatever `retry` says (default: none).
    ///
    /// The spec takes `retry: 0` at its word, so a server that sends it and closes makes the
    /// client reconnect at once, again and again (hundreds of times a second over loopback).
    /// That is the default, as the spec has it; a floor bounds the rate at one attempt per
    /// `floor`. [`backoff`](Self::backoff) grows delays from the floored time.
    ///
    /// ```
    /// let b = ssewire_http::EventSource::builder("http://127.0.0.1:1/");
    /// let _ = b.min_reconnection_time(std::time::Duration::from_millis(250));
    /// ```
    #[must_use]
    pub fn min_reconnection_time(mut self, floor: Duration) -> Self {
        self.min_reconnection_time = floor;
        self
    }

    /// How long an attempt may wait for a response head, connecting, TLS and redirects
    /// included (default [`DEFAULT_CONNECT_TIMEOUT`](super::DEFAULT_CONNECT_TIMEOUT)). Past
    /// it the attempt ends with [`Disconnect::ConnectTimeout`](super::Disconnect) and the
    /// client reconnects. Once the stream is open, only
    /// [`idle_timeout`](Self::idle_timeout) bounds silence.
    ///
    /// ```
    /// let b = ssewire_http::EventSource::builder("http://127.0.0.1:1/");
    /// let _ = b.connect_timeout(std::time::Duration::from_secs(10));
    /// ```
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Backs off exponentially when attempts keep failing (default: none, the spec's fixed
    /// reconnection time).
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = ssewire_http::EventSource::builder("http://127.0.0.1:1/");
    /// let _ = b.backoff(ssewire_http::Backoff::exponential(Duration::from_secs(60)));
    /// ```
    #[must_use]
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// Fails for good after this many attempts in a row end without an event (default:
    /// unlimited, as the spec has it).
    ///
    /// ```
    /// let _ = ssewire_http::EventSource::builder("http://127.0.0.1:1/").max_attempts(5);
    /// ```
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// Treats a connection (or an attempt) silent for this long as dead and reconnects
    /// (default: none). Servers' keep-alive comments count as traffic.
    ///
    /// ```
    /// let b = ssewire_http::EventSource::builder("http://127.0.0.1:1/");
    /// let _ = b.idle_timeout(std::time::Duration::from_secs(45));
    /// ```
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// How requests are sent (default: a [`HyperTransport`] shared by every source built
    /// without one, so that they share its connection pool).
    ///
    /// ```
    /// let transport = ssewire_http::HyperTransport::new().http2_only();
    /// let _ = ssewire_http::EventSource::builder("http://127.0.0.1:1/").transport(transport);
    /// ```
    #[must_use]
    pub fn transport(mut self, transport: impl Transport) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Connects straight to the server, ignoring the proxy environment variables
    /// (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) that the default transport
    /// follows. With a [`transport`](Self::transport) of your own, configure it there
    /// ([`HyperTransport::no_proxy`]).
    ///
    /// ```
    /// let _ = ssewire_http::EventSource::builder("http://127.0.0.1:1/").no_proxy();
    /// ```
    #[must_use]
    pub fn no_proxy(mut self) -> Self {
        self.proxies = false;
        self
    }

    /// The parser's bounds on a line and an event (default [`Limits::default`]).
    ///
    /// ```
    /// let b = ssewire_http::EventSource::builder("http://127.0.0.1:1/");
    /// let _ = b.limits(ssewire_parser::Limits::default().max_event_data_bytes(1 << 20));
    /// ```
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Starts as if an earlier stream had set this last event ID, so the first request sends
    /// it as `Last-Event-ID` (e.g. one saved across a restart).
    ///
    /// ```
    /// let _ = ssewire_http::EventSource::builder("http://127.0.0.1:1/").last_event_id("41");
    /// ```
    #[must_use]
    pub fn last_event_id(mut self, id: &str) -> Self {
        self.last_event_id = id.to_owned();
        self
    }

    /// The client. It connects when first polled, on the tokio runtime polling it.
    ///
    /// ```
    /// let source = ssewire_http::EventSource::builder("http://127.0.0.1:1/").build();
    /// assert_eq!(source.ready_state(), ssewire_http::ReadyState::Connecting);
    /// ```
    pub fn build(self) -> EventSource {
        let (state_tx, state_rx) = watch::channel(ReadyState::Connecting);
        let cancel = CancellationToken::new();
        let parser = Parser::with_limits(self.limits).with_last_event_id(&self.last_event_id);
        let url = url::Url::parse(&self.url).map_err(|e| {
            Failure::Url(UrlError::Invalid {
                url: self.url.clone(),
                cause: Cause::new(e),
            })
        });
        let transport = match &self.transport {
            Some(transport) => transport.clone(),
            None => Arc::new(HyperTransport::shared(self.proxies)),
        };
        let driver = Driver {
            url,
            transport,
            config: self,
            parser: Some(parser),
            body: None,
            failures: 0,
            as_get: false,
            phase: Phase::Connect,
            state: state_tx,
        };
        // The state is boxed: `unfold` moves it into each item's future and back out, and the
        // driver (configuration, parser, body) is large. The token travels with it rather than
        // being cloned per item (a clone and its drop each take the token's lock), and its
        // future is polled only when no item is ready (registering a waiter takes it too).
        // The box took events/s from 2.8 to 3.9 million in benches/client.sh (100,000 small
        // events over loopback HTTP/1.1); the token's part was within that run's noise.
        let state = Box::new((driver, cancel.clone()));
        let stream = futures_util::stream::unfold(state, |mut state| async move {
            let (driver, token) = &mut *state;
            let item = if token.is_cancelled() {
                None
            } else {
                tokio::select! {
                    biased;
                    item = driver.next() => item,
                    () = token.cancelled() => None,
                }
            };
            match item {
                Some(item) => Some((item, state)),
                None => {
                    driver.close();
                    None
                }
            }
        });
        EventSource {
            stream: Box::pin(stream),
            state: state_rx,
            cancel,
        }
    }
}
