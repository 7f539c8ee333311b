//! A client with `EventSource` semantics (WHATWG HTML §9.2, "processing model"), plus the
//! policies a long-running service needs and the spec leaves to the user agent.
//!
//! The spec's part: any status other than 200, or a `Content-Type` other than
//! `text/event-stream`, fails the connection for good; redirects are followed (up to 20, as
//! fetch does) and later reconnections go to the final URL, as fetch's request URL list does;
//! a clean close or a network error reconnects after the reconnection time (the stream's
//! `retry` wins over the default), sending `Last-Event-ID` only when the last event ID is not
//! empty. Everything else ([`Backoff`], attempts, idle timeout, headers per attempt) is opt-in
//! policy.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use http::header::{HeaderValue, ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HOST, LOCATION};
use http::{HeaderMap, Request, StatusCode, Uri};
use http_body_util::{BodyDataStream, Empty};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use ssewire_parser::{LimitExceeded, Limits, Parser};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::event::Event;
use crate::stream::{EventStream, StreamError};

mod error;

pub use error::{Cause, Disconnect, Failure, RedirectError, UrlError};

/// The reconnection time before any `retry` field sets one: 3 seconds, as in Chromium and
/// Firefox (the spec leaves the default to the user agent).
pub const DEFAULT_RECONNECTION_TIME: Duration = Duration::from_secs(3);

/// The most redirects one connection attempt follows, as fetch allows.
pub const MAX_REDIRECTS: usize = 20;

/// An `EventSource`'s `readyState`: the spec's three states, CONNECTING, OPEN and CLOSED.
/// The spec fixes them, so this enum is exhaustive and a `match` needs no wildcard.
///
/// ```
/// let source = ssewire_http::EventSource::new("http://127.0.0.1:1/");
/// assert_eq!(source.ready_state(), ssewire_http::ReadyState::Connecting);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadyState {
    /// Connecting, or waiting to reconnect.
    Connecting,
    /// A `200 text/event-stream` response is being read.
    Open,
    /// Failed for good, or closed by the user: nothing more will happen.
    Closed,
}

/// What an [`EventSource`] yields, in order.
///
/// ```
/// use ssewire_http::{Disconnect, SourceEvent};
/// use std::time::Duration;
/// let item = SourceEvent::Reconnecting { delay: Duration::from_secs(3), cause: Disconnect::Closed };
/// assert!(matches!(item, SourceEvent::Reconnecting { .. }));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceEvent {
    /// The connection opened (the `open` event).
    Open,
    /// An event was dispatched (the `message` event, or one named by its type).
    Message(Event),
    /// The connection ended and will be re-established after `delay` (the `error` event with
    /// `readyState` CONNECTING).
    Reconnecting {
        /// How long the client waits before the next attempt.
        delay: Duration,
        /// Why the connection ended.
        cause: Disconnect,
    },
    /// An event over the parser's [`Limits`] was dropped; the stream goes on.
    Skipped(LimitExceeded),
}

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
    max: Duration,
    jitter: bool,
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
    url: String,
    headers: Option<HeaderFn>,
    reconnection_time: Duration,
    backoff: Option<Backoff>,
    max_attempts: Option<u32>,
    idle_timeout: Option<Duration>,
    limits: Limits,
    last_event_id: String,
}

impl fmt::Debug for EventSourceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSourceBuilder")
            .field("url", &self.url)
            .field("headers", &self.headers.is_some())
            .field("reconnection_time", &self.reconnection_time)
            .field("backoff", &self.backoff)
            .field("max_attempts", &self.max_attempts)
            .field("idle_timeout", &self.idle_timeout)
            .field("limits", &self.limits)
            .field("last_event_id", &self.last_event_id)
            .finish()
    }
}

impl EventSourceBuilder {
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
    /// [`DEFAULT_RECONNECTION_TIME`]).
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
        let url = self.url.parse::<Uri>().map_err(|e| {
            Failure::Url(UrlError::Invalid {
                url: self.url.clone(),
                cause: Cause::new(e),
            })
        });
        let driver = Driver {
            url,
            config: self,
            parser: Some(parser),
            body: None,
            connection: None,
            failures: 0,
            phase: Phase::Connect,
            state: state_tx,
        };
        let token = cancel.clone();
        let stream = futures_util::stream::unfold(driver, move |mut driver| {
            let token = token.clone();
            async move {
                let item = tokio::select! {
                    biased;
                    () = token.cancelled() => None,
                    item = driver.next() => item,
                };
                match item {
                    Some(item) => Some((item, driver)),
                    None => {
                        driver.close();
                        None
                    }
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

/// A client with `EventSource` semantics: a `Stream` of [`SourceEvent`]s that reconnects
/// by itself, ending with `Err(`[`Failure`]`)` when the connection fails for good, or ending
/// (`None`) after [`EventSource::close`] or a [`CloseHandle`].
///
/// ```no_run
/// use futures_util::StreamExt;
/// use ssewire_http::{EventSource, SourceEvent};
/// # async fn run() {
/// let mut source = EventSource::builder("http://127.0.0.1:8080/events").build();
/// while let Some(item) = source.next().await {
///     match item {
///         Ok(SourceEvent::Message(event)) => println!("{}: {}", event.event_type(), event.data()),
///         Ok(other) => eprintln!("{other:?}"),
///         Err(failure) => eprintln!("failed for good: {failure}"),
///     }
/// }
/// # }
/// ```
pub struct EventSource {
    stream: Pin<Box<dyn Stream<Item = Result<SourceEvent, Failure>> + Send>>,
    state: watch::Receiver<ReadyState>,
    cancel: CancellationToken,
}

impl fmt::Debug for EventSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSource")
            .field("ready_state", &self.ready_state())
            .finish()
    }
}

/// Closes an [`EventSource`] from anywhere (another task, a signal handler).
#[derive(Clone, Debug)]
pub struct CloseHandle(CancellationToken);

impl CloseHandle {
    /// Closes the source: its stream ends at its next poll and its connection is dropped.
    ///
    /// ```
    /// let source = ssewire_http::EventSource::builder("http://127.0.0.1:1/").build();
    /// source.close_handle().close();
    /// ```
    pub fn close(&self) {
        self.0.cancel();
    }
}

impl EventSource {
    /// Settings for a client of `url` (`http:` only: no TLS is built in).
    ///
    /// ```
    /// let _ = ssewire_http::EventSource::builder("http://127.0.0.1:8080/events");
    /// ```
    pub fn builder(url: impl Into<String>) -> EventSourceBuilder {
        EventSourceBuilder {
            url: url.into(),
            headers: None,
            reconnection_time: DEFAULT_RECONNECTION_TIME,
            backoff: None,
            max_attempts: None,
            idle_timeout: None,
            limits: Limits::default(),
            last_event_id: String::new(),
        }
    }

    /// A client of `url` with the spec's behaviour and no extra policy.
    ///
    /// ```
    /// let _ = ssewire_http::EventSource::new("http://127.0.0.1:8080/events");
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        Self::builder(url).build()
    }

    /// The current `readyState`.
    ///
    /// ```
    /// let source = ssewire_http::EventSource::new("http://127.0.0.1:1/");
    /// assert_eq!(source.ready_state(), ssewire_http::ReadyState::Connecting);
    /// ```
    pub fn ready_state(&self) -> ReadyState {
        *self.state.borrow()
    }

    /// A receiver that sees every `readyState` change, for another task to watch.
    ///
    /// ```
    /// let source = ssewire_http::EventSource::new("http://127.0.0.1:1/");
    /// let changes = source.ready_state_changes();
    /// assert_eq!(*changes.borrow(), ssewire_http::ReadyState::Connecting);
    /// ```
    pub fn ready_state_changes(&self) -> watch::Receiver<ReadyState> {
        self.state.clone()
    }

    /// A handle that closes this source from elsewhere.
    ///
    /// ```
    /// let source = ssewire_http::EventSource::new("http://127.0.0.1:1/");
    /// let _handle = source.close_handle();
    /// ```
    pub fn close_handle(&self) -> CloseHandle {
        CloseHandle(self.cancel.clone())
    }

    /// Closes the source: no more events, no reconnection (`readyState` CLOSED once polled).
    ///
    /// ```
    /// let mut source = ssewire_http::EventSource::new("http://127.0.0.1:1/");
    /// source.close();
    /// ```
    pub fn close(&mut self) {
        self.cancel.cancel();
    }
}

impl Stream for EventSource {
    type Item = Result<SourceEvent, Failure>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.as_mut().poll_next(cx)
    }
}

type Body = EventStream<BodyDataStream<Incoming>>;

enum Phase {
    Connect,
    Wait(Duration),
    Streaming,
    Done,
}

/// Why an attempt did not give a stream.
enum Attempt {
    Retry(Disconnect),
    Fatal(Failure),
}

/// The connection loop behind [`EventSource`].
struct Driver {
    config: EventSourceBuilder,
    /// Where the next attempt goes: the constructor's URL, then the last redirect's target.
    url: Result<Uri, Failure>,
    /// Holds the last event ID and reconnection time between connections.
    parser: Option<Parser>,
    body: Option<Body>,
    /// The task driving the current connection; aborted when the body is done with.
    connection: Option<JoinHandle<()>>,
    failures: u32,
    phase: Phase,
    state: watch::Sender<ReadyState>,
}

impl Driver {
    fn set_state(&self, state: ReadyState) {
        self.state.send_if_modified(|current| {
            let changed = *current != state;
            *current = state;
            changed
        });
    }

    fn close(&mut self) {
        self.end_body();
        self.phase = Phase::Done;
        self.set_state(ReadyState::Closed);
    }

    fn fail(&mut self, failure: Failure) -> Option<Result<SourceEvent, Failure>> {
        self.close();
        Some(Err(failure))
    }

    fn parser(&mut self) -> &mut Parser {
        let limits = self.config.limits;
        // Only a body holds the parser, and `end_body` gives it back; the fallback keeps the
        // configured limits all the same.
        self.parser
            .get_or_insert_with(|| Parser::with_limits(limits))
    }

    fn reconnection_time(&mut self) -> Duration {
        let configured = self.config.reconnection_time;
        self.parser()
            .reconnection_time()
            .map_or(configured, Duration::from_millis)
    }

    fn end_body(&mut self) {
        if let Some(body) = self.body.take() {
            let mut parser = body.into_parser();
            // The spec's end of file: an unterminated event is discarded.
            parser.finish();
            self.parser = Some(parser);
        }
        if let Some(connection) = self.connection.take() {
            connection.abort();
        }
    }

    fn reconnect(&mut self, cause: Disconnect) -> Option<Result<SourceEvent, Failure>> {
        self.end_body();
        self.failures = self.failures.saturating_add(1);
        if let Some(max) = self.config.max_attempts {
            if self.failures > max {
                let attempts = self.failures;
                return self.fail(Failure::GaveUp {
                    attempts,
                    last: cause,
                });
            }
        }
        let base = self.reconnection_time();
        let delay = match self.config.backoff {
            Some(backoff) => backoff.delay(base, self.failures),
            None => base,
        };
        self.set_state(ReadyState::Connecting);
        self.phase = Phase::Wait(delay);
        Some(Ok(SourceEvent::Reconnecting { delay, cause }))
    }

    async fn next(&mut self) -> Option<Result<SourceEvent, Failure>> {
        loop {
            match self.phase {
                Phase::Done => return None,
                Phase::Wait(delay) => {
                    tokio::time::sleep(delay).await;
                    self.phase = Phase::Connect;
                }
                Phase::Connect => {
                    self.set_state(ReadyState::Connecting);
                    let attempt = match self.config.idle_timeout {
                        Some(idle) => tokio::time::timeout(idle, self.connect())
                            .await
                            .unwrap_or(Err(Attempt::Retry(Disconnect::IdleTimeout(idle)))),
                        None => self.connect().await,
                    };
                    match attempt {
                        Ok((incoming, connection)) => {
                            let limits = self.config.limits;
                            let parser =
                                (self.parser.take()).unwrap_or_else(|| Parser::with_limits(limits));
                            let body = BodyDataStream::new(incoming);
                            self.body = Some(EventStream::with_parser(body, parser));
                            self.connection = Some(connection);
                            self.phase = Phase::Streaming;
                            self.set_state(ReadyState::Open);
                            return Some(Ok(SourceEvent::Open));
                        }
                        Err(Attempt::Fatal(failure)) => return self.fail(failure),
                        Err(Attempt::Retry(cause)) => return self.reconnect(cause),
                    }
                }
                Phase::Streaming => {
                    let body = self.body.as_mut()?;
                    let item = match self.config.idle_timeout {
                        Some(idle) => tokio::time::timeout(idle, body.next())
                            .await
                            .map_err(|_| Disconnect::IdleTimeout(idle)),
                        None => Ok(body.next().await),
                    };
                    return match item {
                        Ok(Some(Ok(event))) => {
                            self.failures = 0;
                            Some(Ok(SourceEvent::Message(event)))
                        }
                        Ok(Some(Err(StreamError::Limit(limit)))) => {
                            Some(Ok(SourceEvent::Skipped(limit)))
                        }
                        Ok(Some(Err(StreamError::Source(e)))) => {
                            self.reconnect(Disconnect::Network(Cause::new(e)))
                        }
                        Ok(None) => self.reconnect(Disconnect::Closed),
                        Err(idle) => self.reconnect(idle),
                    };
                }
            }
        }
    }

    /// One attempt: connect, follow redirects, check the final response.
    async fn connect(&mut self) -> Result<(Incoming, JoinHandle<()>), Attempt> {
        let mut url = self.url.clone().map_err(Attempt::Fatal)?;
        // The origin the user's headers are meant for: the constructor's URL's.
        let origin = self.config.url.parse::<Uri>().ok();
        let mut extra = self.config.headers.as_ref().map(|make| make());
        let last_event_id = self.parser().last_event_id().to_owned();
        for _ in 0..=MAX_REDIRECTS {
            // As fetch does: credentials do not follow a redirect to another origin, nor do
            // they go there on a reconnection to where the redirect led.
            if let (Some(headers), Some(origin)) = (&mut extra, &origin) {
                if (origin.scheme(), origin.authority()) != (url.scheme(), url.authority()) {
                    headers.remove(http::header::AUTHORIZATION);
                }
            }
            let (response, connection) = fetch(&url, extra.as_ref(), &last_event_id).await?;
            let status = response.status();
            if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
                connection.abort();
                let location = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|value| value.to_str().ok())
                    .ok_or(Attempt::Fatal(Failure::Redirect(
                        RedirectError::NoLocation(status),
                    )))?;
                url = resolve(&url, location).ok_or_else(|| {
                    let bad = RedirectError::BadLocation(location.to_owned());
                    Attempt::Fatal(Failure::Redirect(bad))
                })?;
                // Reconnections go to where the redirects led (fetch's current URL).
                self.url = Ok(url.clone());
                continue;
            }
            if status != StatusCode::OK {
                connection.abort();
                return Err(Attempt::Fatal(Failure::Status(status)));
            }
            let content_type = response.headers().get(CONTENT_TYPE);
            if !content_type.is_some_and(is_event_stream) {
                connection.abort();
                let shown = content_type.map(|v| String::from_utf8_lossy(v.as_bytes()).into());
                return Err(Attempt::Fatal(Failure::ContentType(shown)));
            }
            return Ok((response.into_body(), connection));
        }
        Err(Attempt::Fatal(Failure::Redirect(RedirectError::TooMany)))
    }
}

/// `text/event-stream`, any case, parameters allowed (the MIME type's essence).
fn is_event_stream(value: &HeaderValue) -> bool {
    let essence = value.as_bytes().split(|&b| b == b';').next().unwrap_or(b"");
    essence
        .trim_ascii()
        .eq_ignore_ascii_case(b"text/event-stream")
}

/// One GET of `url` over a new connection.
async fn fetch(
    url: &Uri,
    extra: Option<&HeaderMap>,
    last_event_id: &str,
) -> Result<(http::Response<Incoming>, JoinHandle<()>), Attempt> {
    let bad_url = |e: UrlError| Attempt::Fatal(Failure::Url(e));
    if url.scheme_str() != Some("http") {
        return Err(bad_url(UrlError::UnsupportedScheme(url.clone())));
    }
    let authority = url
        .authority()
        .ok_or_else(|| bad_url(UrlError::NoHost(url.clone())))?
        .clone();
    let invalid = |e: http::Error| {
        bad_url(UrlError::Invalid {
            url: url.to_string(),
            cause: Cause::new(e),
        })
    };
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = authority.port_u16().unwrap_or(80);
    fn network(e: impl std::error::Error + Send + Sync + 'static) -> Attempt {
        Attempt::Retry(Disconnect::Network(Cause::new(e)))
    }
    let tcp = TcpStream::connect((host, port)).await.map_err(network)?;
    // Events are small writes that must not wait for more: no Nagle.
    let _ = tcp.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(network)?;
    let connection = tokio::spawn(async move {
        let _ = connection.await;
    });
    let path = url.path_and_query().map_or("/", |p| p.as_str());
    let mut request = Request::get(path)
        .body(Empty::<Bytes>::new())
        .map_err(invalid)?;
    let headers = request.headers_mut();
    if let Some(extra) = extra {
        headers.extend(extra.clone());
    }
    let host_value = HeaderValue::from_str(authority.as_str()).map_err(|e| invalid(e.into()))?;
    headers.insert(HOST, host_value);
    headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if !last_event_id.is_empty() {
        // The `http` crate refuses control characters other than tab in a header value; an
        // ID holding one cannot be sent, and is left out rather than failing the attempt.
        if let Ok(value) = HeaderValue::from_bytes(last_event_id.as_bytes()) {
            headers.insert("last-event-id", value);
        }
    }
    let response = sender.send_request(request).await.map_err(|e| {
        connection.abort();
        network(e)
    })?;
    Ok((response, connection))
}

/// Resolves a `Location` against the URL it came from: absolute, scheme-relative,
/// absolute-path, query-only and path-relative references.
fn resolve(base: &Uri, location: &str) -> Option<Uri> {
    let scheme = base.scheme_str()?;
    let authority = base.authority()?.as_str();
    let target = if location.contains("://") {
        location.to_owned()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else if location.starts_with('?') {
        format!("{scheme}://{authority}{}{location}", base.path())
    } else {
        let path = base.path();
        let directory = &path[..=path.rfind('/').unwrap_or(0)];
        format!("{scheme}://{authority}{directory}{location}")
    };
    target.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_essence_is_compared_without_case_or_parameters() {
        let ok = [
            "text/event-stream",
            "Text/Event-Stream",
            "text/event-stream; charset=utf-8",
        ];
        for value in ok {
            assert!(is_event_stream(&HeaderValue::from_static(value)), "{value}");
        }
        let bad = [
            "text/plain",
            "text/event-streams",
            "text/event-stream2;",
            "",
        ];
        for value in bad {
            assert!(
                !is_event_stream(&HeaderValue::from_static(value)),
                "{value}"
            );
        }
    }

    #[test]
    fn locations_resolve_like_urls() {
        let base: Uri = "http://h:1/a/b?q".parse().unwrap();
        let cases = [
            ("http://x/y", "http://x/y"),
            ("//x:2/y", "http://x:2/y"),
            ("/z", "http://h:1/z"),
            ("?r", "http://h:1/a/b?r"),
            ("c", "http://h:1/a/c"),
        ];
        for (location, expected) in cases {
            assert_eq!(resolve(&base, location).unwrap().to_string(), expected);
        }
    }

    #[test]
    fn backoff_doubles_to_its_cap_and_jitter_stays_in_the_upper_half() {
        let backoff = Backoff::exponential(Duration::from_secs(8));
        let base = Duration::from_secs(1);
        assert_eq!(backoff.jitter(false).delay(base, 1), base);
        assert_eq!(backoff.jitter(false).delay(base, 2), base * 2);
        assert_eq!(
            backoff.jitter(false).delay(base, 99),
            Duration::from_secs(8)
        );
        for failures in 1..10 {
            let full = backoff.jitter(false).delay(base, failures);
            let jittered = backoff.delay(base, failures);
            assert!(
                jittered >= full / 2 && jittered <= full,
                "{failures}: {jittered:?}"
            );
        }
    }
}
