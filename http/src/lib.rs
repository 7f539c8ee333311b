//! Server-Sent Events over real HTTP, on tokio and hyper 1.x: everything async lives here, so
//! `ssewire-parser` and `ssewire-encoder` stay free of runtimes.
//!
//! - **Bytes in, events out**: [`EventStream`] turns any `Stream` of byte chunks (or an
//!   [`http_body::Body`]) into [`Event`]s whose text is sliced from the chunks, not copied;
//!   [`SseDecoder`] does the same as a `tokio_util` codec.
//! - **Events in, bytes out**: [`SseFrame`]s (encoded once, shared by every connection) in an
//!   [`SseBody`] with keep-alive comments and the streaming headers.
//! - **Client**: [`EventSource`], the WHATWG processing model (status and `Content-Type`
//!   checks, redirects, reconnection with `retry` and `Last-Event-ID`) plus opt-in policy:
//!   [`Backoff`], attempts, idle timeout, headers per attempt, cancellation, ready state.
//! - **Server**: [`Hub`], publish once to every subscriber, with bounded queues, a replay
//!   buffer for `Last-Event-ID` and an explicit signal when events were lost; [`serve_hub`]
//!   serves one on a listener.
//!
//! # Features
//!
//! Each part is a cargo feature, all on by default, and each brings in only its own
//! dependencies. With none, the crate is [`Event`], [`EventStream`] and [`StreamError`], on
//! `bytes` and `http-body` alone. (The links below need the features on, as on docs.rs.)
//!
//! | feature | what it adds | what it brings in |
//! |---|---|---|
//! | `codec` | [`SseDecoder`], [`DecodeError`] | `tokio-util` (codec) |
//! | `client` | [`EventSource`], [`EventSourceBuilder`], [`SourceEvent`], [`ReadyState`], [`Backoff`], [`CloseHandle`], [`Disconnect`], [`Failure`], [`UrlError`], [`RedirectError`], [`Cause`], [`Transport`], [`TransportError`], [`HyperTransport`], [`DEFAULT_CONNECT_TIMEOUT`], [`DEFAULT_RECONNECTION_TIME`], [`MAX_REDIRECTS`] | `hyper` (http1, http2 client), `hyper-util` (pooled client), `http`, `url`, `tokio` (net, time, sync, rt), `tokio-util`, `futures-util`, `fastrand` |
//! | `rustls` (implies `client`) | `https:` for [`HyperTransport`]: rustls on ring, webpki roots, HTTP/2 by ALPN; [`HyperTransport::with_tls_config`] | `hyper-rustls`, `rustls` (ring) |
//! | `reqwest` (implies `client`) | [`EventSource::from_reqwest`], [`EventSource::from_reqwest_response`], [`ReqwestTransport`], [`FromReqwestError`] | `reqwest` 0.12 (no default features) |
//! | `server` | [`SseFrame`], [`SseBody`], [`DEFAULT_KEEP_ALIVE`] | `ssewire-encoder`, `http`, `tokio` (time) |
//! | `hub` (implies `server`) | [`Hub`], [`HubConfig`], [`Subscription`], [`Resume`], [`HubClosed`], [`EVENTS_LOST`], [`serve_hub`] | `tokio` (net, io-util, sync, rt), `tokio-stream`, `tokio-util` (rt), `futures-util`, `httparse` |
//!
//! # Which `Event`
//!
//! Three crates have an `Event`, one for each direction and lifetime:
//!
//! - [`ssewire_parser::Event<'a>`](ssewire_parser::Event) is what the sans-IO parser
//!   dispatches: borrowed from the input or the parser's buffers, valid until the next call.
//! - [`ssewire_encoder::Event<'a>`](ssewire_encoder::Event) is one to write: it borrows the
//!   values you give it and refuses, when built, what the format cannot carry.
//!   [`Hub::publish`] and [`SseFrame::event`] take it.
//! - [`ssewire_http::Event`](Event) (this crate) is a received event that owns its text:
//!   `'static`, `Send`, cheap to clone, sharing the memory of the chunk it came in.
//!   [`EventStream`], [`SseDecoder`] and [`EventSource`] yield it.
//!
//! # Durations
//!
//! At this crate's surface a reconnection time is a [`Duration`](std::time::Duration):
//! [`EventStream::reconnection_time`], [`SseDecoder::reconnection_time`], [`SseFrame::retry`],
//! [`EventSourceBuilder::reconnection_time`], [`DEFAULT_RECONNECTION_TIME`],
//! [`SourceEvent::Reconnecting`]'s delay. The parser and the encoder keep the wire's `u64`
//! milliseconds, as the spec speaks of them.
//!
//! # Example
//!
//! A server and a client on loopback (features `client` and `hub`):
//!
//! ```
//! # #[cfg(all(feature = "client", feature = "hub"))]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use futures_util::StreamExt;
//! use ssewire_http::{serve_hub, EventSource, Hub, SourceEvent};
//!
//! let hub = Hub::new(Default::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("http://{}/", listener.local_addr()?);
//! tokio::spawn(serve_hub(listener, hub.clone(), std::future::pending()));
//!
//! let mut source = EventSource::new(url);
//! assert_eq!(source.next().await, Some(Ok(SourceEvent::Open)));
//! while hub.subscriber_count() == 0 {
//!     tokio::task::yield_now().await;
//! }
//! hub.publish(ssewire_encoder::Event::new("hello")).unwrap();
//! let Some(Ok(SourceEvent::Message(event))) = source.next().await else { panic!() };
//! assert_eq!((event.data(), event.last_event_id()), ("hello", "1"));
//! # Ok(()) }
//! # #[cfg(not(all(feature = "client", feature = "hub")))]
//! # fn main() {}
//! ```

#[cfg(feature = "server")]
mod body;
#[cfg(feature = "client")]
mod client;
mod event;
#[cfg(feature = "hub")]
mod hub;
#[cfg(feature = "hub")]
mod serve;
mod stream;

#[cfg(feature = "server")]
pub use body::{SseBody, SseFrame, DEFAULT_KEEP_ALIVE};
#[cfg(feature = "client")]
pub use client::{
    Backoff, Cause, CloseHandle, Disconnect, EventSource, EventSourceBuilder, Failure, ReadyState,
    RedirectError, SourceEvent, UrlError, DEFAULT_CONNECT_TIMEOUT, DEFAULT_RECONNECTION_TIME,
    MAX_REDIRECTS,
};
#[cfg(feature = "client")]
pub use client::{
    BoxError, HyperTransport, ResponseBody, ResponseFuture, Transport, TransportError,
};
#[cfg(feature = "reqwest")]
pub use client::{FromReqwestError, ReqwestTransport};
pub use event::Event;
#[cfg(feature = "hub")]
pub use hub::{Hub, HubClosed, HubConfig, Resume, Subscription, EVENTS_LOST};
#[cfg(feature = "hub")]
pub use serve::serve_hub;
#[cfg(feature = "codec")]
pub use stream::{DecodeError, SseDecoder};
pub use stream::{EventStream, StreamError};
