//! One module per implementation measured, each a thin wrapper with no logic of its own beyond
//! what the crate's API leaves to its caller (said in the wrapper's `HOW`).
//!
//! To add a crate: pin it with `=` in Cargo.toml, write a module implementing [`SseParser`]
//! (and [`SseEncoder`] if it encodes), and list it in [`parsers`] / [`encoders`].

pub mod async_sse;
pub mod axum;
pub mod eventsource_client;
pub mod eventsource_stream;
pub mod russe;
pub mod sse_codec;
pub mod sse_core;
pub mod sse_parse;
pub mod sse_stream;
pub mod sseer;
pub mod ssewire;
pub mod warp;

use bytes::Bytes;

use crate::{Counts, EncodeItem, Sink, SseEncoder, SseParser};

/// A parser, type-erased so benchmarks and the adapter can loop over all of them.
#[derive(Clone, Copy)]
pub struct ParserEntry {
    /// [`SseParser::NAME`].
    pub name: &'static str,
    /// [`SseParser::CRATE`].
    pub krate: &'static str,
    /// [`SseParser::VERSION`].
    pub version: &'static str,
    /// [`SseParser::HOW`].
    pub how: &'static str,
    /// [`SseParser::LACKS`].
    pub lacks: &'static [(&'static str, &'static str)],
    /// Parses and counts.
    pub count: fn(&[Bytes]) -> Counts,
    /// Parses and writes adapter-protocol JSON lines.
    pub json_lines: fn(&[Bytes], &mut Vec<u8>),
}

/// An encoder, type-erased.
#[derive(Clone, Copy)]
pub struct EncoderEntry {
    /// [`SseEncoder::NAME`].
    pub name: &'static str,
    /// [`SseEncoder::CRATE`].
    pub krate: &'static str,
    /// [`SseEncoder::VERSION`].
    pub version: &'static str,
    /// [`SseEncoder::HOW`].
    pub how: &'static str,
    /// [`SseEncoder::encode`].
    pub encode: fn(&[EncodeItem], &mut Vec<u8>) -> Result<(), String>,
}

fn count<P: SseParser>(chunks: &[Bytes]) -> Counts {
    let mut counts = Counts::default();
    P::parse(chunks, &mut counts);
    counts
}

/// Writes the adapter protocol's output lines.
struct JsonLines<'a>(&'a mut Vec<u8>);

impl Sink for JsonLines<'_> {
    fn event(&mut self, event_type: &str, data: &str, last_event_id: &str) {
        let line = serde_json::json!({ "event": event_type, "data": data, "id": last_event_id });
        self.0.extend_from_slice(line.to_string().as_bytes());
        self.0.push(b'\n');
    }
    fn retry(&mut self, millis: u64) {
        self.0
            .extend_from_slice(format!("{{\"retry\":{millis}}}\n").as_bytes());
    }
    fn error(&mut self, message: &str) {
        let line = serde_json::json!({ "error": message });
        self.0.extend_from_slice(line.to_string().as_bytes());
        self.0.push(b'\n');
    }
}

fn json_lines<P: SseParser>(chunks: &[Bytes], out: &mut Vec<u8>) {
    P::parse(chunks, &mut JsonLines(out));
}

const fn parser<P: SseParser>() -> ParserEntry {
    ParserEntry {
        name: P::NAME,
        krate: P::CRATE,
        version: P::VERSION,
        how: P::HOW,
        lacks: P::LACKS,
        count: count::<P>,
        json_lines: json_lines::<P>,
    }
}

const fn encoder<E: SseEncoder>() -> EncoderEntry {
    EncoderEntry {
        name: E::NAME,
        krate: E::CRATE,
        version: E::VERSION,
        how: E::HOW,
        encode: E::encode,
    }
}

/// Every parser measured, ours first.
///
/// LaunchDarkly's `eventsource-client` keeps its parser private; it is reached through its public
/// `Client` over an in-memory `HttpTransport` (no network), see [`eventsource_client`].
pub fn parsers() -> Vec<ParserEntry> {
    vec![
        parser::<ssewire::Events>(),
        parser::<ssewire::EachEvents>(),
        parser::<ssewire::Fields>(),
        parser::<async_sse::Parser>(),
        parser::<eventsource_client::Parser>(),
        parser::<eventsource_stream::Parser>(),
        parser::<russe::Parser>(),
        parser::<sse_codec::Parser>(),
        parser::<sse_core::Parser>(),
        parser::<sse_parse::Parser>(),
        parser::<sse_stream::Parser>(),
        parser::<sseer::Parser>(),
    ]
}

/// Reference loops behind the parser shape, so the corpus can judge them and `per-chunk` can
/// count them; never in [`parsers`], so never a peer in the matrix or the reports.
pub fn references() -> Vec<ParserEntry> {
    vec![parser::<crate::references::checked::CheckedLines>()]
}

/// The parser or reference loop called `name`.
pub fn find_parser(name: &str) -> Option<ParserEntry> {
    parsers()
        .into_iter()
        .chain(references())
        .find(|p| p.name == name)
}

/// Every encoder measured, ours first.
pub fn encoders() -> Vec<EncoderEntry> {
    vec![
        encoder::<ssewire::Encoder>(),
        encoder::<async_sse::Encoder>(),
        encoder::<axum::Encoder>(),
        encoder::<russe::Encoder>(),
        encoder::<sse_codec::Encoder>(),
        encoder::<sse_stream::Encoder>(),
        encoder::<warp::Encoder>(),
    ]
}
