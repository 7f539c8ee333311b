//! `async-sse` 5.1.0: `decode` (a `Stream` of `Event`s over an `AsyncBufRead`) and the
//! `encode` channel pair (`Sender::send` / `Sender::send_retry`, read back from the `Encoder`).
//!
//! The decoder's `Message` carries the event type defaulted to `message` and the last event ID
//! (kept across events by the crate), so both are used as given. The crate reports `retry` as
//! its own `Event::Retry(Duration)`, built with `Duration::from_secs_f64(value)`, i.e. it reads
//! the field as seconds; the wrapper reports that duration in milliseconds, as given.

use std::time::Duration;

use bytes::Bytes;
use futures::{AsyncReadExt as _, StreamExt as _, TryStreamExt as _};

use crate::{EncodeItem, Sink, SseEncoder, SseParser};

/// `async_sse::decode` over `futures::stream::iter(chunks).into_async_read()`.
pub struct Parser;

impl SseParser for Parser {
    const NAME: &'static str = "async-sse";
    const CRATE: &'static str = "async-sse";
    const VERSION: &'static str = "5.1.0";
    const HOW: &'static str =
        "async_sse::decode over futures::stream::iter(chunks).into_async_read() \
        (an AsyncBufRead that keeps chunk boundaries), polled with futures::executor::block_on; \
        Message name, data and id used as given (the crate defaults the type and keeps the id); \
        Event::Retry reported as its Duration in ms; stops at the first error, since the line \
        reader keeps the bad bytes and returns the same error on every later poll";

    fn parse<S: Sink>(chunks: &[Bytes], sink: &mut S) {
        let reader = futures::stream::iter(chunks.iter().cloned().map(Ok::<_, std::io::Error>))
            .into_async_read();
        let mut events = async_sse::decode(reader);
        futures::executor::block_on(async {
            while let Some(item) = events.next().await {
                match item {
                    Ok(async_sse::Event::Message(message)) => {
                        let data = String::from_utf8_lossy(message.data());
                        let id = message.id().as_deref().unwrap_or("");
                        sink.event(message.name(), &data, id);
                    }
                    Ok(async_sse::Event::Retry(duration)) => {
                        sink.retry(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX));
                    }
                    Err(err) => {
                        sink.error(&err.to_string());
                        break;
                    }
                }
            }
        });
    }
}

/// `async_sse::encode`: a `Sender` writing into the `Encoder` read back to the end.
pub struct Encoder;

impl SseEncoder for Encoder {
    const NAME: &'static str = "async-sse";
    const CRATE: &'static str = "async-sse";
    const VERSION: &'static str = "5.1.0";
    const HOW: &'static str = "async_sse::encode(): Sender::send(event, data, id) per event, \
        Sender::send_retry(Duration::from_millis(retry), id) for a retry-only item, the Encoder \
        read to end concurrently (futures::join under block_on); refuses comments (no API) and \
        retry together with data or an event type (send_retry writes only id and retry)";

    fn encode(items: &[EncodeItem], out: &mut Vec<u8>) -> Result<(), String> {
        let (sender, mut reader) = async_sse::encode();
        let send = async move {
            for item in items {
                if item.comment.is_some() {
                    return Err("async-sse has no API to send a comment".to_owned());
                }
                let id = item.id.as_deref();
                let sent = match item.retry {
                    Some(_) if item.data.is_some() || item.event.is_some() => {
                        return Err("async-sse sends retry only in a block of its own \
                            (send_retry takes no data or event type)"
                            .to_owned())
                    }
                    Some(millis) => sender.send_retry(Duration::from_millis(millis), id).await,
                    None => {
                        let data = item.data.as_deref().unwrap_or("");
                        sender.send(item.event.as_deref(), data, id).await
                    }
                };
                sent.map_err(|e| e.to_string())?;
            }
            Ok(())
        };
        let read = reader.read_to_end(out);
        let (sent, read) = futures::executor::block_on(futures::future::join(send, read));
        read.map_err(|e| e.to_string())?;
        sent
    }
}
