//! `sseer` 0.3.1: the `EventStream` adapter over a stream of byte chunks, driven by
//! `futures::executor::block_on` (no `reqwest` feature: the `EventSource` client is not used).
//!
//! Its `Event` carries the event type defaulted to `message`, the data, and `id` holding the last
//! event ID (the crate keeps it across events), used as given. A `retry` field reaches the caller
//! only as `Event::retry` of the event it was in, so it is reported just before that event.

use bytes::Bytes;
use futures::StreamExt as _;
use sseer::EventStream;

use crate::{Sink, SseParser};

/// `sseer::EventStream` over `futures::stream::iter` of the chunks.
pub struct Parser;

impl SseParser for Parser {
    const NAME: &'static str = "sseer";
    const CRATE: &'static str = "sseer";
    const VERSION: &'static str = "0.3.1";
    const HOW: &'static str = "EventStream::new over futures::stream::iter(chunks), polled with \
        futures::executor::block_on; event, data and id used as given (the crate defaults the \
        type and keeps the id); Event::retry reported just before its event; errors reported \
        and polling goes on";
    const LACKS: &'static [(&'static str, &'static str)] = &[(
        "retry-without-event",
        "a retry reaches the caller only as Event::retry of the event it was in",
    )];

    fn parse<S: Sink>(chunks: &[Bytes], sink: &mut S) {
        let source = futures::stream::iter(chunks.iter().cloned().map(Ok::<_, std::io::Error>));
        let mut events = EventStream::new(source);
        futures::executor::block_on(async {
            while let Some(item) = events.next().await {
                match item {
                    Ok(event) => {
                        if let Some(retry) = event.retry {
                            sink.retry(u64::try_from(retry.as_millis()).unwrap_or(u64::MAX));
                        }
                        sink.event(&event.event, &event.data, &event.id);
                    }
                    Err(err) => sink.error(&err.to_string()),
                }
            }
        });
    }
}
