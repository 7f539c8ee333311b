//! `warp` 0.4.3: `warp::sse::Event` and its `Display`, which is exactly what `warp::sse::reply`
//! sends for each event (`event.to_string()`); here written straight into the output.
//!
//! `Event` accepts any value: it checks nothing, so an id or event type with a line break, or
//! data with a CR, is written as given (data is split on LF only).

use std::io::Write as _;
use std::time::Duration;

use ::warp::sse::Event;

use crate::{EncodeItem, SseEncoder};

/// `warp::sse::Event` formatted with `Display`.
pub struct Encoder;

impl SseEncoder for Encoder {
    const NAME: &'static str = "warp";
    const CRATE: &'static str = "warp";
    const VERSION: &'static str = "0.4.3";
    const HOW: &'static str = "Event::default() with .comment / .event / .data / .id / \
        .retry(Duration::from_millis) per item, written with its Display (what warp::sse::reply \
        sends); refuses nothing (warp checks nothing)";

    fn encode(items: &[EncodeItem], out: &mut Vec<u8>) -> Result<(), String> {
        for item in items {
            let mut event = Event::default();
            if let Some(text) = &item.comment {
                event = event.comment(text.as_str());
            }
            if let Some(kind) = &item.event {
                event = event.event(kind.as_str());
            }
            if let Some(data) = &item.data {
                event = event.data(data.as_str());
            }
            if let Some(id) = &item.id {
                event = event.id(id.as_str());
            }
            if let Some(millis) = item.retry {
                event = event.retry(Duration::from_millis(millis));
            }
            write!(out, "{event}").map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}
