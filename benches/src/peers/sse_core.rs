//! `sse-core` 0.2.3: the sans-IO `SseDecoder`, fed each chunk as a `Bytes` buffer.
//!
//! The decoder yields `SseEvent::Message` with the event type defaulted to `message` and the
//! last event ID (`None` until one is set), and `SseEvent::Retry` when a `retry` field is
//! processed; both are used as given. Its payload limit is set to `usize::MAX` (unbounded).

use std::num::NonZeroUsize;

use bytes::Bytes;
use sse_core::{SseDecoder, SseEvent};

use crate::{Sink, SseParser};

/// `sse_core::SseDecoder::next` over each chunk.
pub struct Parser;

impl SseParser for Parser {
    const NAME: &'static str = "sse-core";
    const CRATE: &'static str = "sse-core";
    const VERSION: &'static str = "0.2.3";
    const HOW: &'static str = "SseDecoder::with_limit(usize::MAX), next(&mut chunk) until the \
        chunk is used up (sans-IO, no runtime); Message event, data and last_event_id used as \
        given (None = \"\"); SseEvent::Retry reported; errors reported and decoding goes on";

    fn parse<S: Sink>(chunks: &[Bytes], sink: &mut S) {
        let mut decoder = SseDecoder::with_limit(NonZeroUsize::MAX);
        for chunk in chunks {
            let mut buf = chunk.clone();
            while let Some(item) = decoder.next(&mut buf) {
                match item {
                    Ok(SseEvent::Message(message)) => {
                        let id = message.last_event_id.as_deref().unwrap_or("");
                        sink.event(&message.event, &message.data, id);
                    }
                    Ok(SseEvent::Retry(millis)) => sink.retry(u64::from(millis)),
                    Err(err) => sink.error(&err.to_string()),
                }
            }
        }
    }
}
