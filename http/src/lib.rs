//! Server-Sent Events over real HTTP, on tokio and hyper 1.x: everything async lives here, so
//! `ssewire-parser` and `ssewire-encoder` stay free of runtimes.
//!
//! - **Bytes in, events out**: [`EventStream`] turns any `Stream` of byte chunks (or an
//!   [`http_body::Body`]) into [`Event`]s whose text is sliced from the chunks, not copied;
//!   [`SseDecoder`] does the same as a `tokio_util` codec.
//! - **Events in, bytes out**: [`Frame`]s (encoded once, shared by every connection) in an
//!   [`SseBody`] with keep-alive comments and the streaming headers.
//! - **Client**: [`EventSource`], the WHATWG processing model (status and `Content-Type`
//!   checks, redirects, reconnection with `retry` and `Last-Event-ID`) plus opt-in policy:
//!   [`Backoff`], attempts, idle timeout, headers per attempt, cancellation, ready state.
//! - **Server**: [`Hub`], publish once to every subscriber, with bounded queues, a replay
//!   buffer for `Last-Event-ID` and an explicit signal when events were lost.
//!
//! A server and a client on loopback:
//!
//! ```
//! use futures_util::StreamExt;
//! use ssewire_http::{serve_hub, EventSource, Hub, SourceEvent};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
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
//! ```

mod body;
mod client;
mod event;
mod hub;
mod serve;
mod stream;

pub use body::{Frame, SseBody, DEFAULT_KEEP_ALIVE};
pub use client::{
    Backoff, Builder, CloseHandle, Disconnect, EventSource, Failure, ReadyState, SourceEvent,
    DEFAULT_RECONNECTION_TIME, MAX_REDIRECTS,
};
pub use event::Event;
pub use hub::{Hub, HubClosed, HubConfig, Resume, Subscription, EVENTS_LOST};
pub use serve::serve_hub;
pub use stream::{DecodeError, EventStream, SseDecoder, StreamError};
