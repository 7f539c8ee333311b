//! `sse-stream` 0.3.0: `SseByteStream` (decoder over a stream of `Buf` chunks) and `Sse::encode`.
//!
//! `SseByteStream` yields raw blocks (`Sse`), including blocks with no data, and does not carry
//! the last event ID from one block to the next or default the event type: the crate leaves both
//! to its caller, so the wrapper does them. `Sse::data` is an `Option`, so a block with an empty
//! `data:` field (`Some("")`, an event) is told apart from one with none (`None`, no event).
//! After an error the stream ends (its documented behaviour).

use bytes::Bytes;
use futures::StreamExt as _;
use sse_stream::{Sse, SseByteStream};

use crate::{EncodeItem, Sink, SseEncoder, SseParser};

/// `sse_stream::SseByteStream` over `futures::stream::iter` of the chunks.
pub struct Parser;

impl SseParser for Parser {
    const NAME: &'static str = "sse-stream";
    const CRATE: &'static str = "sse-stream";
    const VERSION: &'static str = "0.3.0";
    const HOW: &'static str = "SseByteStream::new over futures::stream::iter(chunks), polled with \
        futures::executor::block_on; the crate yields raw blocks, so the wrapper keeps the last \
        event ID across blocks, defaults an absent or empty event type to message, reports a \
        block's retry, and reports a block as an event only when its data is Some";

    fn parse<S: Sink>(chunks: &[Bytes], sink: &mut S) {
        let source = futures::stream::iter(chunks.iter().cloned().map(Ok::<_, std::io::Error>));
        let mut blocks = SseByteStream::new(source);
        let mut last_event_id = String::new();
        futures::executor::block_on(async {
            while let Some(item) = blocks.next().await {
                match item {
                    Ok(block) => {
                        if let Some(id) = block.id {
                            last_event_id = id;
                        }
                        if let Some(millis) = block.retry {
                            sink.retry(millis);
                        }
                        if let Some(data) = &block.data {
                            let kind = match block.event.as_deref() {
                                None | Some("") => "message",
                                Some(kind) => kind,
                            };
                            sink.event(kind, data, &last_event_id);
                        }
                    }
                    Err(err) => sink.error(&err.to_string()),
                }
            }
        });
    }
}

/// `sse_stream::Sse::encode` for each item.
pub struct Encoder;

impl SseEncoder for Encoder {
    const NAME: &'static str = "sse-stream";
    const CRATE: &'static str = "sse-stream";
    const VERSION: &'static str = "0.3.0";
    const HOW: &'static str = "Sse { event, data, id, retry }.encode() per item, bytes appended; \
        comments refused (the crate encodes a comment only as an SseBody keep-alive)";

    fn encode(items: &[EncodeItem], out: &mut Vec<u8>) -> Result<(), String> {
        for item in items {
            if item.comment.is_some() {
                return Err("sse-stream has no API to encode a comment on demand".to_owned());
            }
            let block = Sse {
                event: item.event.clone(),
                data: item.data.clone(),
                id: item.id.clone(),
                retry: item.retry,
            };
            let bytes = block.encode().map_err(|e| e.to_string())?;
            out.extend_from_slice(&bytes);
        }
        Ok(())
    }
}
