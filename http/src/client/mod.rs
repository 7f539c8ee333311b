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
//!
//! Beyond the spec, any request can open a stream: a method, headers and a body (e.g. a `POST`
//! with a JSON body, as model-streaming APIs take), recomputed per attempt. A request whose
//! method is not idempotent is not repeated unless
//! [`EventSourceBuilder::reconnect_non_idempotent`] says so.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use http_body_util::BodyDataStream;
use ssewire_parser::{LimitExceeded, Limits};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::event::Event;
use crate::stream::EventStream;

mod builder;
mod connect;
mod driver;
mod error;
#[cfg(feature = "reqwest")]
mod reqwest;
mod transport;

#[cfg(feature = "reqwest")]
pub use self::reqwest::{FromReqwestError, ReqwestTransport};
pub use builder::{Backoff, EventSourceBuilder};
pub use error::{Cause, Disconnect, Failure, RedirectError, UrlError};
pub use transport::{
    BoxError, HyperTransport, ResponseBody, ResponseFuture, Transport, TransportError,
};

/// The reconnection time before any `retry` field sets one: 3 seconds, as in Chromium and
/// Firefox (the spec leaves the default to the user agent).
pub const DEFAULT_RECONNECTION_TIME: Duration = Duration::from_secs(3);

/// How long an attempt may take to get a response head, connecting and following redirects
/// included, before it counts as failed ([`Disconnect::ConnectTimeout`]) and the client
/// reconnects: 30 seconds. A server that accepts and never answers would otherwise hold the
/// client in CONNECTING for ever.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// Settings for a client of `url` (`http:`, or `https:` with the `rustls` feature or a
    /// [`Transport`] that speaks it).
    ///
    /// ```
    /// let _ = ssewire_http::EventSource::builder("http://127.0.0.1:8080/events");
    /// ```
    pub fn builder(url: impl Into<String>) -> EventSourceBuilder {
        EventSourceBuilder {
            url: url.into(),
            method: http::Method::GET,
            fixed_headers: http::HeaderMap::new(),
            headers: None,
            body: None,
            reconnect_non_idempotent: false,
            transport: None,
            proxies: true,
            repeatable: true,
            reconnection_time: DEFAULT_RECONNECTION_TIME,
            min_reconnection_time: Duration::ZERO,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
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

pub(super) type Body = EventStream<BodyDataStream<ResponseBody>>;
