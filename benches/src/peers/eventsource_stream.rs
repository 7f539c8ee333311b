//! `eventsource-stream` 0.2.3: the `Eventsource::eventsource` stream adapter (`EventStream`) over a
//! stream of byte chunks, driven by `futures::executor::block_on`.
//!
//! The crate's `Event` already carries what the wrapper needs: `event` defaulted to `message`,
//! `data` without its final LF, and `id` holding the last event ID (the crate keeps it across
//! events). A `retry` field only reaches the caller as `Event::retry` of the event it was in, so
//! the wrapper reports it just before that event; a `retry` in a block that dispatches nothing is
//! not visible through the API.

use bytes::Bytes;
use eventsource_stream::Eventsource as _;
use futures::StreamExt as _;

use crate::{Sink, SseParser};

/// `eventsource_stream::EventStream` over `futures::stream::iter` of the chunks.
pub struct Parser;

impl SseParser for Parser {
    const NAME: &'static str = "eventsource-stream";
    const CRATE: &'static str = "eventsource-stream";
    const VERSION: &'static str = "0.2.3";
    const HOW: &'static str = "Eventsource::eventsource over futures::stream::iter(chunks), polled \
        with futures::executor::block_on; event type, data and last event ID used as the crate \
        gives them; Event::retry reported just before its event; errors reported and polling goes on";
    const LACKS: &'static [(&'static str, &'static str)] = &[(
        "retry-without-event",
        "a retry reaches the caller only as Event::retry of the event it was in",
    )];

    fn parse<S: Sink>(chunks: &[Bytes], sink: &mut S) {
        let source = futures::stream::iter(chunks.iter().cloned().map(Ok::<_, std::io::Error>));
        let mut events = source.eventsource();
        futures::executor::block_on(async {
            while let Some(item) = events.next().await {
                match item {
                    Ok(event) => {
                        if let Some(retry) = event.retry {
                            sink.retry(millis(retry));
                        }
                        sink.event(&event.event, &event.data, &event.id);
                    }
                    Err(err) => sink.error(&err.to_string()),
                }
            }
        });
    }
}

/// A reported reconnection time in whole milliseconds, saturating.
fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
