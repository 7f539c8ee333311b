//! `sse-parse` 0.1.0: the sans-IO `SseParser` (`feed` each chunk, drain `next_event`, `finish`).
//!
//! Its `Event` carries the event type defaulted to `message`, the data, and the last event ID
//! string, used as given. A `retry` field reaches the caller per event, as `Event::retry` (the
//! most recent one since the previous dispatched event), so the wrapper reports it just before
//! that event: several `retry` fields before one event show as one, and a `retry` after the last
//! event is not reported (the crate's `SseParser::retry()` only gives the current value).
//! The parser has no buffer limit by default and no error to report.

use bytes::Bytes;
use sse_parse::SseParser as Decoder;

use crate::{Sink, SseParser};

/// `sse_parse::SseParser::feed` over each chunk.
pub struct Parser;

impl SseParser for Parser {
    const NAME: &'static str = "sse-parse";
    const CRATE: &'static str = "sse-parse";
    const VERSION: &'static str = "0.1.0";
    const HOW: &'static str = "SseParser::new() (no limit), feed(chunk) then next_event() until \
        None, finish() at the end (sans-IO, no runtime); event, data and id used as given; \
        Event::retry reported just before its event";
    const LACKS: &'static [(&'static str, &'static str)] =
        &[("retry-without-event", "a retry reaches the caller only as Event::retry of the next event (SseParser::retry() gives just the current value)")];

    fn parse<S: Sink>(chunks: &[Bytes], sink: &mut S) {
        let mut parser = Decoder::new();
        for chunk in chunks {
            parser.feed(chunk);
            drain(&mut parser, sink);
        }
        parser.finish();
        drain(&mut parser, sink);
    }
}

/// Reports the events completed so far, each preceded by its `retry`, if any.
fn drain<S: Sink>(parser: &mut Decoder, sink: &mut S) {
    while let Some(event) = parser.next_event() {
        if let Some(retry) = event.retry {
            sink.retry(u64::try_from(retry.as_millis()).unwrap_or(u64::MAX));
        }
        sink.event(&event.event, &event.data, &event.id);
    }
}
