//! The fuzz targets' bodies, as plain functions: `fuzz/` wraps each in a three-line
//! libFuzzer shim, and `cargo test` (stable, no libFuzzer) replays them over seeds made from
//! the corpus and over every input a campaign ever found (`fuzz/regressions/`).
//!
//! Each panics (which the fuzzer reports as a crash) when an invariant breaks.
//!
//! Input layout for [`parse_chunked`] and [`differential`]: byte 0 seeds how the rest, the
//! stream, is cut into chunks (0 = whole). So every corpus case is a seed as `[n] + input`.

use arbitrary::{Arbitrary, Unstructured};
use ssewire_encoder::{Comment, Event as EncoderEvent, EventId, EventType};
use ssewire_parser::{FieldParser, FieldStep, LimitExceeded, Limits, Parser, Step};

use crate::{reference, Output};

/// Cuts `stream` into chunks of 1 to 16 bytes chosen by `seed` (0: one whole chunk).
pub fn chunks(seed: u8, stream: &[u8]) -> Vec<&[u8]> {
    if seed == 0 {
        return vec![stream];
    }
    let mut state = u32::from(seed).wrapping_mul(0x9E37_79B9) | 1;
    let mut out = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let len = (state % 16) as usize + 1;
        let (chunk, tail) = rest.split_at(len.min(rest.len()));
        out.push(chunk);
        rest = tail;
    }
    out
}

/// Everything the event parser reports, limit errors included, for `chunks` under `limits`.
fn events(limits: Limits, chunks: &[&[u8]]) -> Vec<Result<Output, LimitExceeded>> {
    let mut parser = Parser::with_limits(limits);
    let mut out = Vec::new();
    for chunk in chunks {
        parser.feed_each(chunk, |step| match step {
            Ok(Step::Event(e)) => out.push(Ok(Output::event(
                e.event_type(),
                e.data(),
                e.last_event_id(),
            ))),
            Ok(Step::Retry(millis)) => out.push(Ok(Output::Retry(millis))),
            Ok(Step::NeedInput) => unreachable!("feed_each never passes NeedInput"),
            Err(limit) => out.push(Err(limit)),
        });
    }
    parser.finish();
    out
}

/// Every field the field parser reports, as debug text, for `chunks` under `limits`.
fn fields(limits: Limits, chunks: &[&[u8]]) -> Vec<String> {
    let mut parser = FieldParser::with_limits(limits);
    let mut out = Vec::new();
    for chunk in chunks {
        let mut input = *chunk;
        loop {
            let (field, used) = parser.feed(input);
            input = &input[used..];
            match field {
                Ok(FieldStep::Field(field)) => out.push(format!("{field:?}")),
                Ok(FieldStep::NeedInput) => break,
                Err(limit) => out.push(limit.to_string()),
            }
        }
    }
    out
}

/// No panic, and the same outputs and limit errors for any chunking, at both levels, under
/// small limits (chosen by the seed) and none.
pub fn parse_chunked(data: &[u8]) {
    let Some((&seed, stream)) = data.split_first() else {
        return;
    };
    let split = chunks(seed, stream);
    let small = Limits::default()
        .max_line_bytes(usize::from(seed % 32))
        .max_event_data_bytes(usize::from(seed / 8));
    for limits in [small, Limits::UNLIMITED] {
        let whole = events(limits, &[stream]);
        assert_eq!(
            events(limits, &split),
            whole,
            "event level, limits {limits:?}"
        );
        for output in whole.iter().flatten() {
            if let Output::Event { data, .. } = output {
                // The cap counts input bytes; U+FFFD replacement at most triples them.
                assert!(
                    data.len() <= limits.event_data().saturating_mul(3),
                    "event data past the cap"
                );
            }
        }
        assert_eq!(
            fields(limits, &split),
            fields(limits, &[stream]),
            "field level, limits {limits:?}"
        );
    }
}

/// The streaming parser, under the seed's chunking, agrees with the literal reference model.
pub fn differential(data: &[u8]) {
    let Some((&seed, stream)) = data.split_first() else {
        return;
    };
    let got: Vec<Output> = events(Limits::UNLIMITED, &chunks(seed, stream))
        .into_iter()
        .map(|o| o.expect("no limits"))
        .collect();
    assert_eq!(got, reference::parse(stream));
}

/// One item to encode.
#[derive(Arbitrary, Clone, Debug)]
pub enum Item {
    /// An event block; `data: None` dispatches nothing.
    Event {
        /// Data.
        data: Option<String>,
        /// Event type (made encodable by dropping CR and LF).
        event_type: Option<String>,
        /// ID (made encodable by dropping CR, LF and NUL).
        id: Option<String>,
        /// Reconnection time.
        retry: Option<u64>,
    },
    /// A comment.
    Comment(String),
}

/// Input of [`roundtrip`]: items, and how to chunk the encoded stream.
#[derive(Arbitrary, Debug)]
pub struct RoundTrip {
    /// How the encoded stream is cut (see [`chunks`]).
    pub seed: u8,
    /// What to encode.
    pub items: Vec<Item>,
}

/// Encodes `items` (their event types and IDs made encodable by dropping CR, LF and NUL)
/// and returns the bytes with the outputs a conforming parser must give for them: each retry,
/// then each event with data, its type defaulted, its data's CR and CRLF as LF, and the last
/// event ID so far.
pub fn encode_items(items: &[Item]) -> (Vec<u8>, Vec<Output>) {
    let keep = |s: &str, bad: &[char]| s.chars().filter(|c| !bad.contains(c)).collect::<String>();
    let mut bytes = Vec::new();
    let mut expect = Vec::new();
    let mut last_id = String::new();
    for item in items {
        match item {
            Item::Comment(text) => Comment::new(text).encode(&mut bytes),
            Item::Event {
                data,
                event_type,
                id,
                retry,
            } => {
                let event_type = event_type.as_deref().map(|t| keep(t, &['\r', '\n']));
                let id = id.as_deref().map(|i| keep(i, &['\r', '\n', '\0']));
                let mut event = data
                    .as_deref()
                    .map_or_else(EncoderEvent::without_data, EncoderEvent::new);
                if let Some(t) = &event_type {
                    event = event.event_type(t).expect("no CR or LF left");
                }
                if let Some(i) = &id {
                    event = event.id(i).expect("no CR, LF or NUL left");
                    last_id.clone_from(i);
                }
                if let Some(millis) = retry {
                    event = event.retry(*millis);
                    expect.push(Output::Retry(*millis));
                }
                event.encode(&mut bytes);
                if let Some(data) = data {
                    let kind = event_type
                        .filter(|t| !t.is_empty())
                        .unwrap_or_else(|| "message".into());
                    let data = data.replace("\r\n", "\n").replace('\r', "\n");
                    expect.push(Output::Event {
                        event: kind,
                        data,
                        id: last_id.clone(),
                    });
                }
            }
        }
    }
    (bytes, expect)
}

/// Encodes arbitrary encodable items, parses them back in chunks, and expects exactly the
/// events and retries that went in (see [`encode_items`]).
pub fn roundtrip(data: &[u8]) {
    let Ok(input) = RoundTrip::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let (bytes, expect) = encode_items(&input.items);
    let got: Vec<Output> = events(Limits::UNLIMITED, &chunks(input.seed, &bytes))
        .into_iter()
        .map(|o| o.expect("no limits"))
        .collect();
    assert_eq!(
        got,
        expect,
        "encoded: {}",
        crate::escape_truncated(&bytes, 2000)
    );
}

/// Input of [`encode`]: raw values, any of which may be unencodable.
#[derive(Arbitrary, Debug)]
pub struct RawEvent {
    /// Data.
    pub data: String,
    /// Event type, as given.
    pub event_type: String,
    /// ID, as given.
    pub id: String,
}

/// The encoder refuses exactly what the format cannot carry, and what it accepts parses back.
pub fn encode(data: &[u8]) {
    let Ok(raw) = RawEvent::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let type_ok = !raw.event_type.contains(['\r', '\n']);
    let id_ok = !raw.id.contains(['\r', '\n', '\0']);
    assert_eq!(
        EventType::new(&raw.event_type).is_ok(),
        type_ok,
        "event type {:?}",
        raw.event_type
    );
    assert_eq!(EventId::new(&raw.id).is_ok(), id_ok, "id {:?}", raw.id);
    let built = EncoderEvent::new(&raw.data)
        .event_type(&raw.event_type)
        .and_then(|e| e.id(&raw.id));
    let Ok(event) = built else {
        assert!(!(type_ok && id_ok), "refused an encodable event");
        return;
    };
    let mut bytes = Vec::new();
    event.encode(&mut bytes);
    let kind = if raw.event_type.is_empty() {
        "message"
    } else {
        &raw.event_type
    };
    let data = raw.data.replace("\r\n", "\n").replace('\r', "\n");
    assert_eq!(
        reference::parse(&bytes),
        [Output::event(kind, &data, &raw.id)]
    );
    // The field level sees exactly one data line per line of data, and nothing unknown.
    let lines = fields(Limits::UNLIMITED, &[&bytes]);
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("Unknown") || l.starts_with("Comment")),
        "{lines:?}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("Data")).count(),
        data.split('\n').count()
    );
}
