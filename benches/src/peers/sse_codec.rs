//! `sse-codec` 0.3.3: `decode_stream` (a `futures_codec::FramedRead` with the crate's `SSECodec`)
//! over an `AsyncRead`, and `encode_stream` (a `FramedWrite` sink) for encoding.
//!
//! `Event::Message` carries the event type defaulted to `message` and the last event ID (the
//! codec keeps it across events), so both are used as given; `Event::Retry` is reported where it
//! comes. The codec has no event without data: `data` is a `String`, `event` is defaulted, so on
//! the encoding side an item without data is sent with empty data and an absent type as
//! `message` (what the API offers).

use bytes::Bytes;
use futures::{SinkExt as _, StreamExt as _, TryStreamExt as _};
use sse_codec::Event;

use crate::{EncodeItem, Sink, SseEncoder, SseParser};

/// `sse_codec::decode_stream` over `futures::stream::iter(chunks).into_async_read()`.
pub struct Parser;

impl SseParser for Parser {
    const NAME: &'static str = "sse-codec";
    const CRATE: &'static str = "sse-codec";
    const VERSION: &'static str = "0.3.3";
    const HOW: &'static str = "sse_codec::decode_stream over futures::stream::iter(chunks)\
        .into_async_read() (an AsyncRead returning one chunk per read), polled with \
        futures::executor::block_on; Message event, data and id used as given (the codec \
        defaults the type and keeps the id); Event::Retry reported; errors reported and polling \
        goes on";

    fn parse<S: Sink>(chunks: &[Bytes], sink: &mut S) {
        let reader = futures::stream::iter(chunks.iter().cloned().map(Ok::<_, std::io::Error>))
            .into_async_read();
        let mut events = sse_codec::decode_stream(reader);
        futures::executor::block_on(async {
            while let Some(item) = events.next().await {
                match item {
                    Ok(Event::Message { id, event, data }) => {
                        sink.event(&event, &data, id.as_deref().unwrap_or(""));
                    }
                    Ok(Event::Retry { retry }) => sink.retry(retry),
                    Err(err) => sink.error(&err.to_string()),
                }
            }
        });
    }
}

/// `sse_codec::encode_stream` into the output `Vec<u8>`, one `send` per item.
pub struct Encoder;

impl SseEncoder for Encoder {
    const NAME: &'static str = "sse-codec";
    const CRATE: &'static str = "sse-codec";
    const VERSION: &'static str = "0.3.3";
    const HOW: &'static str = "sse_codec::encode_stream(&mut Vec<u8>) and SinkExt::send of \
        Event::Message { id, event, data } (absent type = \"message\", absent data = \"\") or \
        Event::Retry under futures::executor::block_on; refuses comments (no API) and retry \
        together with other fields (Event::Retry has none)";

    fn encode(items: &[EncodeItem], out: &mut Vec<u8>) -> Result<(), String> {
        let mut sink = sse_codec::encode_stream(out);
        futures::executor::block_on(async {
            for item in items {
                if item.comment.is_some() {
                    return Err("sse-codec has no comment event".to_owned());
                }
                let event = match item.retry {
                    Some(_) if item.data.is_some() || item.event.is_some() || item.id.is_some() => {
                        return Err("sse-codec's Event::Retry carries no other field".to_owned())
                    }
                    Some(retry) => Event::Retry { retry },
                    None => Event::Message {
                        id: item.id.clone(),
                        event: item.event.clone().unwrap_or_else(|| "message".to_owned()),
                        data: item.data.clone().unwrap_or_default(),
                    },
                };
                sink.send(event).await.map_err(|e| e.to_string())?;
            }
            Ok(())
        })
    }
}
