//! `axum` 0.8.9: `axum::response::sse::Event`, encoded the way a handler sends it: the events
//! in an `Sse` response (`IntoResponse`), whose body is collected with `axum::body::to_bytes`.
//!
//! `Event`'s builder methods panic on values they refuse (a field with CR or LF, an id with NUL,
//! a comment with a line break); the wrapper does not check first, so such an item panics as it
//! would in a handler. `Event::data("")` writes no `data` line (the crate skips empty data).

use std::convert::Infallible;
use std::time::Duration;

use ::axum::response::sse::{Event, Sse};
use ::axum::response::IntoResponse as _;

use crate::{EncodeItem, SseEncoder};

/// `axum::response::sse::Sse` over the items' `Event`s, body collected to bytes.
pub struct Encoder;

impl SseEncoder for Encoder {
    const NAME: &'static str = "axum";
    const CRATE: &'static str = "axum";
    const VERSION: &'static str = "0.8.9";
    const HOW: &'static str = "Event::default() with .comment / .event / .data / .id / \
        .retry(Duration::from_millis) per item, Sse::new(futures::stream::iter(events))\
        .into_response(), body collected by axum::body::to_bytes under \
        futures::executor::block_on; refuses nothing itself, panics where axum panics";

    fn encode(items: &[EncodeItem], out: &mut Vec<u8>) -> Result<(), String> {
        let events: Vec<Result<Event, Infallible>> = items.iter().map(|i| Ok(event(i))).collect();
        let response = Sse::new(futures::stream::iter(events)).into_response();
        let body =
            futures::executor::block_on(::axum::body::to_bytes(response.into_body(), usize::MAX))
                .map_err(|e| e.to_string())?;
        out.extend_from_slice(&body);
        Ok(())
    }
}

/// The item as axum's builder calls, in the item's field order.
fn event(item: &EncodeItem) -> Event {
    let mut event = Event::default();
    if let Some(text) = &item.comment {
        return event.comment(text);
    }
    if let Some(kind) = &item.event {
        event = event.event(kind);
    }
    if let Some(data) = &item.data {
        event = event.data(data);
    }
    if let Some(id) = &item.id {
        event = event.id(id);
    }
    if let Some(millis) = item.retry {
        event = event.retry(Duration::from_millis(millis));
    }
    event
}
