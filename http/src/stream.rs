//! Bytes in, events out: a `Stream` adapter and a `tokio_util` codec.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

#[cfg(feature = "codec")]
use bytes::BytesMut;
use bytes::{Buf, Bytes};
use futures_core::Stream;
use http_body_util::BodyDataStream;
use ssewire_parser::{LimitExceeded, Parser, Step};

use crate::event::{Detach, Event};

/// Why an [`EventStream`] item is an error.
///
/// ```
/// use futures_util::StreamExt;
/// use ssewire_parser::{Limits, Parser};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(
///     b"data: too long\n\ndata: ok\n\n",
/// ))]);
/// let parser = Parser::with_limits(Limits::default().max_event_data_bytes(4));
/// let mut events = ssewire_http::EventStream::with_parser(chunks, parser);
/// assert!(matches!(events.next().await, Some(Err(ssewire_http::StreamError::Limit(_)))));
/// assert_eq!(events.next().await.unwrap().unwrap().data(), "ok");
/// # });
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum StreamError<E> {
    /// A line or an event was over a [`Limits`](ssewire_parser::Limits) bound. That event is dropped; the stream
    /// goes on with the next one.
    Limit(LimitExceeded),
    /// The chunk source failed. It is the stream's last item.
    Source(E),
}

impl<E: fmt::Display> fmt::Display for StreamError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Limit(limit) => write!(f, "event dropped: {limit}"),
            StreamError::Source(e) => write!(f, "event stream source failed: {e}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for StreamError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StreamError::Limit(limit) => Some(limit),
            StreamError::Source(e) => Some(e),
        }
    }
}

/// The parser and what one chunk completed, shared by [`EventStream`] and [`SseDecoder`].
#[derive(Debug)]
struct Events {
    parser: Parser,
    detach: Detach,
    ready: VecDeque<Result<Event, LimitExceeded>>,
}

impl Events {
    fn new(parser: Parser) -> Self {
        Events {
            parser,
            detach: Detach::default(),
            ready: VecDeque::new(),
        }
    }

    /// The parser's `retry` milliseconds: the one place the crate converts them.
    fn reconnection_time(&self) -> Option<Duration> {
        self.parser.reconnection_time().map(Duration::from_millis)
    }

    fn feed(&mut self, chunk: Bytes) {
        let Events {
            parser,
            detach,
            ready,
        } = self;
        parser.feed_each(&chunk, |step| match step {
            Ok(Step::Event(event)) => ready.push_back(Ok(detach.event(&chunk, &event))),
            Ok(Step::Retry(_) | Step::NeedInput) => {}
            Err(limit) => ready.push_back(Err(limit)),
        });
    }
}

pin_project_lite::pin_project! {
    /// A `Stream` of [`Event`]s from any `Stream` of byte chunks (`Bytes`, `Vec<u8>`, any
    /// [`Buf`]), e.g. a response body's data. Values that lie inside one chunk are slices of it
    /// (no copy); chunk boundaries anywhere, even inside CRLF or a UTF-8 sequence, change
    /// nothing.
    ///
    /// When the source ends, an event not closed by a blank line is dropped, as the spec says.
    /// The last event ID and the `retry` reconnection time stay readable afterwards.
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use ssewire_http::EventStream;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let chunks = ["data: he", "llo\n\nid: 3\n\n", "data: cut off"]
    ///     .map(|c| Ok::<_, std::io::Error>(bytes::Bytes::from(c)));
    /// let mut events = EventStream::new(futures_util::stream::iter(chunks));
    /// assert_eq!(events.next().await.unwrap().unwrap().data(), "hello");
    /// assert!(events.next().await.is_none()); // the unterminated event is dropped
    /// assert_eq!(events.last_event_id(), "3");
    /// # });
    /// ```
    #[derive(Debug)]
    pub struct EventStream<S> {
        #[pin]
        source: S,
        events: Events,
        done: bool,
    }
}

impl<S> EventStream<S> {
    /// Events from `source`, parsed with the default [`Limits`](ssewire_parser::Limits).
    ///
    /// ```
    /// let chunks = futures_util::stream::empty::<Result<bytes::Bytes, std::io::Error>>();
    /// let _ = ssewire_http::EventStream::new(chunks);
    /// ```
    pub fn new(source: S) -> Self {
        Self::with_parser(source, Parser::new())
    }

    /// Events from `source`, parsed by `parser`: set its [`Limits`](ssewire_parser::Limits) or its starting last event
    /// ID first.
    ///
    /// ```
    /// use ssewire_parser::{Limits, Parser};
    /// let chunks = futures_util::stream::empty::<Result<bytes::Bytes, std::io::Error>>();
    /// let parser = Parser::with_limits(Limits::default().max_event_data_bytes(64 << 10));
    /// let _ = ssewire_http::EventStream::with_parser(chunks, parser);
    /// ```
    pub fn with_parser(source: S, parser: Parser) -> Self {
        EventStream {
            source,
            events: Events::new(parser),
            done: false,
        }
    }

    /// The last event ID as of the latest blank line: what a reconnecting client sends.
    ///
    /// ```
    /// let chunks = futures_util::stream::empty::<Result<bytes::Bytes, std::io::Error>>();
    /// assert_eq!(ssewire_http::EventStream::new(chunks).last_event_id(), "");
    /// ```
    pub fn last_event_id(&self) -> &str {
        self.events.parser.last_event_id()
    }

    /// The reconnection time the stream set with `retry` (the parser's milliseconds, as a
    /// [`Duration`]).
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let chunks = [Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"retry: 1500\n\n"))];
    /// let mut events = ssewire_http::EventStream::new(futures_util::stream::iter(chunks));
    /// assert_eq!(events.reconnection_time(), None);
    /// assert!(events.next().await.is_none());
    /// assert_eq!(events.reconnection_time(), Some(std::time::Duration::from_millis(1500)));
    /// # });
    /// ```
    pub fn reconnection_time(&self) -> Option<Duration> {
        self.events.reconnection_time()
    }

    /// The parser, e.g. to parse the next connection's body with the same last event ID.
    /// Call [`Parser::finish`] on it first if the stream did not reach its end.
    ///
    /// ```
    /// let chunks = futures_util::stream::empty::<Result<bytes::Bytes, std::io::Error>>();
    /// let parser = ssewire_http::EventStream::new(chunks).into_parser();
    /// assert_eq!(parser.last_event_id(), "");
    /// ```
    pub fn into_parser(self) -> Parser {
        self.events.parser
    }
}

impl<B> EventStream<BodyDataStream<B>> {
    /// Events from an HTTP body, e.g. a hyper response's `Incoming`.
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let body = http_body_util::Full::new(bytes::Bytes::from_static(b"data: x\n\n"));
    /// let mut events = ssewire_http::EventStream::from_body(body);
    /// assert_eq!(events.next().await.unwrap().unwrap().data(), "x");
    /// # });
    /// ```
    pub fn from_body(body: B) -> Self {
        Self::new(BodyDataStream::new(body))
    }
}

impl<S, B, E> Stream for EventStream<S>
where
    S: Stream<Item = Result<B, E>>,
    B: Buf,
{
    type Item = Result<Event, StreamError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        loop {
            if let Some(ready) = this.events.ready.pop_front() {
                return Poll::Ready(Some(ready.map_err(StreamError::Limit)));
            }
            if *this.done {
                return Poll::Ready(None);
            }
            match this.source.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(mut chunk))) => {
                    let len = chunk.remaining();
                    this.events.feed(chunk.copy_to_bytes(len));
                }
                Poll::Ready(Some(Err(e))) => {
                    *this.done = true;
                    this.events.parser.finish();
                    return Poll::Ready(Some(Err(StreamError::Source(e))));
                }
                Poll::Ready(None) => {
                    *this.done = true;
                    this.events.parser.finish();
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(feature = "codec")]
/// Why [`SseDecoder`] failed.
///
/// ```
/// let e = ssewire_http::DecodeError::from(std::io::Error::other("reset"));
/// assert_eq!(e.to_string(), "reading the event stream failed: reset");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum DecodeError {
    /// A line or an event was over a [`Limits`](ssewire_parser::Limits) bound. The events before it were decoded.
    Limit(LimitExceeded),
    /// Reading failed.
    Io(std::io::Error),
}

#[cfg(feature = "codec")]
impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Limit(limit) => write!(f, "event dropped: {limit}"),
            DecodeError::Io(e) => write!(f, "reading the event stream failed: {e}"),
        }
    }
}

#[cfg(feature = "codec")]
impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::Limit(limit) => Some(limit),
            DecodeError::Io(e) => Some(e),
        }
    }
}

#[cfg(feature = "codec")]
impl From<std::io::Error> for DecodeError {
    fn from(e: std::io::Error) -> Self {
        DecodeError::Io(e)
    }
}

#[cfg(feature = "codec")]
/// A [`tokio_util::codec::Decoder`] of [`Event`]s, for `FramedRead` over any `AsyncRead`.
///
/// At end of input it drops an event not closed by a blank line, as the spec says, where the
/// default `decode_eof` would report leftover bytes as an error. Each `decode` takes all the
/// buffered bytes at once (frozen, not copied), so event values are slices of them.
///
/// ```
/// use futures_util::StreamExt;
/// use tokio_util::codec::FramedRead;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let input: &[u8] = b"data: one\n\ndata: unterminated";
/// let mut events = FramedRead::new(input, ssewire_http::SseDecoder::new());
/// assert_eq!(events.next().await.unwrap().unwrap().data(), "one");
/// assert!(events.next().await.is_none());
/// # });
/// ```
#[derive(Debug)]
pub struct SseDecoder {
    events: Events,
}

#[cfg(feature = "codec")]
impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "codec")]
impl SseDecoder {
    /// A decoder with the default [`Limits`](ssewire_parser::Limits).
    ///
    /// ```
    /// let _ = ssewire_http::SseDecoder::new();
    /// ```
    pub fn new() -> Self {
        Self::with_parser(Parser::new())
    }

    /// A decoder using `parser`, e.g. one made with [`Parser::with_limits`].
    ///
    /// ```
    /// use ssewire_parser::{Limits, Parser};
    /// let parser = Parser::with_limits(Limits::default().max_line_bytes(1024));
    /// let _ = ssewire_http::SseDecoder::with_parser(parser);
    /// ```
    pub fn with_parser(parser: Parser) -> Self {
        SseDecoder {
            events: Events::new(parser),
        }
    }

    /// The last event ID as of the latest blank line.
    ///
    /// ```
    /// assert_eq!(ssewire_http::SseDecoder::new().last_event_id(), "");
    /// ```
    pub fn last_event_id(&self) -> &str {
        self.events.parser.last_event_id()
    }

    /// The reconnection time set by `retry` (the parser's milliseconds, as a [`Duration`]).
    ///
    /// ```
    /// assert_eq!(ssewire_http::SseDecoder::new().reconnection_time(), None);
    /// ```
    pub fn reconnection_time(&self) -> Option<Duration> {
        self.events.reconnection_time()
    }
}

#[cfg(feature = "codec")]
impl tokio_util::codec::Decoder for SseDecoder {
    type Item = Event;
    type Error = DecodeError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Event>, DecodeError> {
        if self.events.ready.is_empty() && !src.is_empty() {
            self.events.feed(src.split().freeze());
        }
        match self.events.ready.pop_front() {
            Some(Ok(event)) => Ok(Some(event)),
            Some(Err(limit)) => Err(DecodeError::Limit(limit)),
            None => Ok(None),
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Event>, DecodeError> {
        let decoded = self.decode(src)?;
        if decoded.is_none() {
            // The spec's end of file: an unterminated block is discarded, not an error.
            self.events.parser.finish();
        }
        Ok(decoded)
    }
}
