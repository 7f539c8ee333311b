//! `russe` 0.3.1 (the SSE codec that actix-web-lab builds on, published standalone): its
//! `Decoder` in a `tokio_util::codec::FramedRead` over a `tokio_util::io::StreamReader`, exactly
//! as the crate's own `reqwest` helpers drive it, and its `Encoder` (`tokio_util` codec).
//!
//! The decoder yields one `Event::Message` per block that has a `data`, `id` or `event` field,
//! with `data` always a string: a block with only `id:` comes out as a message with empty data,
//! the same as a block with an empty `data:` field, and the wrapper cannot tell them apart, so
//! every message is reported as an event. `Message::id` is the block's own `id` field, not kept
//! across blocks, and `Message::event` is not defaulted: the wrapper does both, as a caller of
//! this API must. `retry` comes as `Message::retry` or, for a block with no other field, as
//! `Event::Retry`; both are reported where they come.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;
use russe::{Event, Message};
use tokio_util::codec::{Encoder as _, FramedRead};
use tokio_util::io::StreamReader;

use crate::{EncodeItem, Sink, SseEncoder, SseParser};

/// `russe::Decoder` in a `FramedRead` over a `StreamReader` of the chunks.
pub struct Parser;

impl SseParser for Parser {
    const NAME: &'static str = "russe";
    const CRATE: &'static str = "russe";
    const VERSION: &'static str = "0.3.1";
    const HOW: &'static str = "FramedRead::new(StreamReader::new(futures::stream::iter(chunks)), \
        russe::Decoder::default()) as russe's reqwest helper does, polled with \
        futures::executor::block_on; the wrapper keeps the last event ID from Message::id, \
        defaults an absent or empty event to message, reports every Message as an event and \
        Message::retry / Event::Retry as retry; the stream ends after its first error";

    fn parse<S: Sink>(chunks: &[Bytes], sink: &mut S) {
        let source = futures::stream::iter(chunks.iter().cloned().map(Ok::<_, std::io::Error>));
        let mut events = FramedRead::new(StreamReader::new(source), russe::Decoder::default());
        let mut last_event_id = String::new();
        futures::executor::block_on(async {
            while let Some(item) = events.next().await {
                match item {
                    Ok(Event::Message(message)) => {
                        if let Some(id) = &message.id {
                            last_event_id.clear();
                            last_event_id.push_str(id);
                        }
                        if let Some(retry) = message.retry {
                            sink.retry(millis(retry));
                        }
                        let kind = match message.event.as_deref() {
                            None | Some("") => "message",
                            Some(kind) => kind,
                        };
                        sink.event(kind, &message.data, &last_event_id);
                    }
                    Ok(Event::Retry(retry)) => sink.retry(millis(retry)),
                    Ok(Event::Comment(_)) => {}
                    Err(err) => sink.error(&err.to_string()),
                }
            }
        });
    }
}

/// A reported reconnection time in whole milliseconds, saturating.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// `russe::Encoder` (a `tokio_util` codec) into a `BytesMut`, appended to the output.
pub struct Encoder;

impl SseEncoder for Encoder {
    const NAME: &'static str = "russe";
    const CRATE: &'static str = "russe";
    const VERSION: &'static str = "0.3.1";
    const HOW: &'static str = "russe::Encoder::encode (tokio_util codec) of Event::Comment, \
        Event::Retry (retry-only item) or Event::Message { data, event, retry, id } into a \
        BytesMut; refuses an item without data that is not retry-only (every Message writes a \
        data line)";

    fn encode(items: &[EncodeItem], out: &mut Vec<u8>) -> Result<(), String> {
        let mut encoder = russe::Encoder::default();
        let mut buf = BytesMut::new();
        for item in items {
            let event = if let Some(text) = &item.comment {
                Event::Comment(text.as_str().into())
            } else if let Some(data) = &item.data {
                Event::Message(Message {
                    data: data.as_str().into(),
                    event: item.event.as_deref().map(Into::into),
                    retry: item.retry.map(Duration::from_millis),
                    id: item.id.as_deref().map(Into::into),
                })
            } else if let (Some(millis), None, None) = (item.retry, &item.event, &item.id) {
                Event::Retry(Duration::from_millis(millis))
            } else {
                return Err("russe cannot encode a message without data \
                    (every Message writes a data line)"
                    .to_owned());
            };
            encoder.encode(event, &mut buf).map_err(|e| e.to_string())?;
            out.extend_from_slice(&buf);
            buf.clear();
        }
        Ok(())
    }
}
