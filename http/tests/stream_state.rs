//! What `EventStream` and `SseDecoder` report besides events: the last event ID and the
//! reconnection time a reconnecting client needs, their errors' messages and sources, that a
//! decoder reused for the next connection starts clean, and that the decoder parses no further
//! ahead than the events it still has to hand out.

use std::error::Error as _;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use ssewire_http::{DecodeError, EventStream, SseDecoder, StreamError};
use ssewire_parser::{LimitExceeded, Limits, Parser};
use tokio_util::codec::{Decoder, FramedRead};

const INPUT: &[u8] = b"retry: 1500\nid: 7\ndata: one\n\ndata: two\n\n";

/// A limit error, as a stream reports it.
fn limit_error() -> LimitExceeded {
    let mut parser = Parser::with_limits(Limits::default().max_event_data_bytes(2));
    parser.feed(b"data: too long\n").0.unwrap_err()
}

#[tokio::test]
async fn an_event_stream_reports_the_last_event_id_and_the_reconnection_time() {
    let chunks = [Ok::<_, std::io::Error>(Bytes::from_static(INPUT))];
    let mut events = EventStream::new(futures_util::stream::iter(chunks));
    assert_eq!(
        (events.reconnection_time(), events.last_event_id()),
        (None, "")
    );
    assert_eq!(events.next().await.unwrap().unwrap().data(), "one");
    assert_eq!(
        events.reconnection_time(),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(events.last_event_id(), "7");
    assert_eq!(events.into_parser().last_event_id(), "7");
}

#[test]
fn stream_errors_say_what_failed_and_lend_their_cause() {
    let limit = StreamError::<std::io::Error>::Limit(limit_error());
    assert_eq!(
        limit.to_string(),
        "event dropped: event data longer than the 2-byte limit at byte 0"
    );
    let cause = limit.source().expect("a limit error has a source");
    assert!(cause.downcast_ref::<LimitExceeded>().is_some(), "{cause}");
    let source = StreamError::Source(std::io::Error::other("connection reset"));
    assert_eq!(
        source.to_string(),
        "event stream source failed: connection reset"
    );
    let cause = source.source().expect("a source error has a source");
    assert_eq!(cause.to_string(), "connection reset");
    assert!(cause.downcast_ref::<std::io::Error>().is_some());
}

#[test]
fn decode_errors_say_what_failed_and_lend_their_cause() {
    let limit = DecodeError::Limit(limit_error());
    assert_eq!(
        limit.to_string(),
        "event dropped: event data longer than the 2-byte limit at byte 0"
    );
    assert!(limit
        .source()
        .and_then(|cause| cause.downcast_ref::<LimitExceeded>())
        .is_some());
    let io = DecodeError::from(std::io::Error::other("disk gone"));
    assert_eq!(io.to_string(), "reading the event stream failed: disk gone");
    assert!(io
        .source()
        .and_then(|cause| cause.downcast_ref::<std::io::Error>())
        .is_some());
}

#[tokio::test]
async fn a_decoder_reports_the_last_event_id_and_the_reconnection_time() {
    let mut events = FramedRead::new(INPUT, SseDecoder::new());
    assert_eq!(events.decoder().reconnection_time(), None);
    assert_eq!(events.next().await.unwrap().unwrap().data(), "one");
    assert_eq!(
        events.decoder().reconnection_time(),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(events.decoder().last_event_id(), "7");
    assert_eq!(events.next().await.unwrap().unwrap().data(), "two");
    assert!(events.next().await.is_none());
}

#[tokio::test]
async fn a_decoder_reused_for_the_next_connection_drops_the_cut_off_event() {
    // The first connection ends inside an event: at its end of file the decoder discards it,
    // so the next connection's first event is not glued to it.
    let mut first = FramedRead::new(&b"id: 3\ndata: one\n\ndata: cut"[..], SseDecoder::new());
    assert_eq!(first.next().await.unwrap().unwrap().data(), "one");
    assert!(first.next().await.is_none());
    let decoder = first.into_inner_decoder();
    let mut second = FramedRead::new(&b"data: next\n\n"[..], decoder);
    let event = second.next().await.unwrap().unwrap();
    assert_eq!((event.data(), event.last_event_id()), ("next", "3"));
}

/// `FramedRead::into_parts` without the reader's type in the way.
trait IntoDecoder {
    fn into_inner_decoder(self) -> SseDecoder;
}

impl<R> IntoDecoder for FramedRead<R, SseDecoder> {
    fn into_inner_decoder(self) -> SseDecoder {
        self.into_parts().codec
    }
}

#[test]
fn a_decoder_with_events_to_hand_out_leaves_new_bytes_unread() {
    // Events already parsed are handed out first; bytes that arrive meanwhile stay in the
    // buffer, so a fast sender cannot grow the queue of parsed events behind a slow reader.
    let mut decoder = SseDecoder::new();
    let mut src = BytesMut::from(&b"data: a\n\ndata: b\n\n"[..]);
    assert_eq!(decoder.decode(&mut src).unwrap().unwrap().data(), "a");
    assert!(src.is_empty());
    src.extend_from_slice(b"data: c\n\n");
    assert_eq!(decoder.decode(&mut src).unwrap().unwrap().data(), "b");
    assert_eq!(
        &src[..],
        b"data: c\n\n",
        "parsed past the events still queued"
    );
    assert_eq!(decoder.decode(&mut src).unwrap().unwrap().data(), "c");
    assert!(decoder.decode(&mut src).unwrap().is_none());
}
