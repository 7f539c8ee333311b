//! `eventsource-client` 0.18.0 (LaunchDarkly): the public `Client` stream, built with
//! `ClientBuilder::build_with_transport` over an in-memory `HttpTransport` (the crate's
//! bring-your-own-transport API) that answers the one request with a 200 response whose body
//! is the chunks. No network: the URL is never resolved. The parser itself (`EventParser`) is
//! not exported, so this is the only way to reach it.
//!
//! Reconnection is disabled (`ReconnectOptionsBuilder::new(false)`), so the stream ends when the
//! body does, with `Error::Eof` (the crate's end-of-body signal, not reported as an error) or
//! `Error::UnexpectedEof` (reported). `SSE::Event` carries the event type defaulted to `message`
//! and `id` holding the last event ID (kept across events by the crate), used as given; `retry`
//! reaches the caller only as `Event::retry` of the event it was in, reported just before it.
//! `SSE::Connected` and `SSE::Comment` are not events. With reconnection off, a parse error closes
//! the stream.

use std::sync::Arc;

use bytes::Bytes;
use eventsource_client::{Client as _, ClientBuilder, Error, ReconnectOptionsBuilder, SSE};
use futures::StreamExt as _;
use launchdarkly_sdk_transport::{ByteStream, HttpTransport, Request, Response, ResponseFuture};

use crate::{Sink, SseParser};

/// The client's stream over an in-memory transport serving the chunks as the response body.
pub struct Parser;

/// An `HttpTransport` whose every response is `200 OK` with the given chunks as its body.
#[derive(Clone)]
struct InMemory(Arc<[Bytes]>);

impl HttpTransport for InMemory {
    fn request(&self, _request: Request<Option<Bytes>>) -> ResponseFuture {
        let chunks = Arc::clone(&self.0);
        let body: ByteStream = Box::pin(futures::stream::iter(
            (0..chunks.len()).map(move |i| Ok(chunks[i].clone())),
        ));
        Box::pin(futures::future::ready(Ok(Response::new(body))))
    }
}

impl SseParser for Parser {
    const NAME: &'static str = "eventsource-client";
    const CRATE: &'static str = "eventsource-client";
    const VERSION: &'static str = "0.18.0";
    const HOW: &'static str = "ClientBuilder::for_url(..).reconnect(ReconnectOptionsBuilder::\
        new(false)).build_with_transport(in-memory HttpTransport answering 200 with the chunks as \
        body), Client::stream polled with futures::executor::block_on; event_type, data and id \
        used as given (the crate defaults the type and keeps the id); Event::retry reported just \
        before its event; Error::Eof is the normal end, other errors reported";
    const LACKS: &'static [(&'static str, &'static str)] = &[(
        "retry-without-event",
        "a retry reaches the caller only as Event::retry of the event it was in",
    )];

    fn parse<S: Sink>(chunks: &[Bytes], sink: &mut S) {
        let client = ClientBuilder::for_url("http://in-memory.invalid/")
            .expect("a constant, valid URL")
            .reconnect(ReconnectOptionsBuilder::new(false).build())
            .build_with_transport(InMemory(chunks.into()));
        let mut stream = client.stream();
        futures::executor::block_on(async {
            while let Some(item) = stream.next().await {
                match item {
                    Ok(SSE::Event(event)) => {
                        if let Some(retry) = event.retry {
                            sink.retry(retry);
                        }
                        let id = event.id.as_deref().unwrap_or("");
                        sink.event(&event.event_type, &event.data, id);
                    }
                    Ok(SSE::Connected(_) | SSE::Comment(_)) | Err(Error::Eof) => {}
                    Err(err) => sink.error(&err.to_string()),
                }
            }
        });
    }
}
