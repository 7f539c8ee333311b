//! This project's own adapter (`sse-conformance adapter`), exactly as the adapter protocol
//! (`conformance/PROTOCOL.md`) defines it: parse, `--count` and `--encode` modes.

use std::fmt;
use std::io::{self, BufRead, Write};

use serde::{Deserialize, Serialize};
use ssewire_encoder::{Comment, EncodeError, Event as EncoderEvent};
use ssewire_parser::{Parser, Step};

#[derive(Serialize)]
struct EventLine<'a> {
    event: &'a str,
    data: &'a str,
    id: &'a str,
}

/// Parse mode: `input` fed in pieces of `chunk_size` (or whole), one JSON line per event,
/// retry and limit error written to `out`.
///
/// # Errors
/// Only errors writing to `out`.
///
/// ```
/// let mut out = Vec::new();
/// sse_conformance::adapter::parse(b"retry: 7\ndata: x\n\n", Some(1), &mut out).unwrap();
/// assert_eq!(out, b"{\"retry\":7}\n{\"event\":\"message\",\"data\":\"x\",\"id\":\"\"}\n");
/// ```
pub fn parse(input: &[u8], chunk_size: Option<usize>, out: &mut impl Write) -> io::Result<()> {
    // The protocol asks for limits of at least 16 MiB: the defaults are exactly that.
    let mut parser = Parser::new();
    let mut result = Ok(());
    for chunk in input.chunks(chunk_size.unwrap_or(input.len()).max(1)) {
        parser.feed_each(chunk, |step| {
            if result.is_err() {
                return;
            }
            result = match step {
                Ok(Step::Event(e)) => {
                    let line = EventLine {
                        event: e.event_type(),
                        data: e.data(),
                        id: e.last_event_id(),
                    };
                    serde_json::to_writer(&mut *out, &line)
                        .map_err(io::Error::from)
                        .and_then(|()| out.write_all(b"\n"))
                }
                Ok(Step::Retry(millis)) => writeln!(out, "{{\"retry\":{millis}}}"),
                Ok(Step::NeedInput) => Ok(()),
                Err(limit) => {
                    writeln!(out, "{}", serde_json::json!({ "error": limit.to_string() }))
                }
            };
        });
        result
            .as_ref()
            .map_err(|e| io::Error::new(e.kind(), e.to_string()))?;
    }
    parser.finish();
    result
}

/// Count mode: the totals line `{"events":E,"retries":R,"data_bytes":B}`.
///
/// # Errors
/// Only errors writing to `out`.
///
/// ```
/// let mut out = Vec::new();
/// sse_conformance::adapter::count(b"data: ab\n\nretry: 1\n", None, &mut out).unwrap();
/// assert_eq!(out, b"{\"events\":1,\"retries\":1,\"data_bytes\":2}\n");
/// ```
pub fn count(input: &[u8], chunk_size: Option<usize>, out: &mut impl Write) -> io::Result<()> {
    let mut parser = Parser::new();
    let (mut events, mut retries, mut data_bytes) = (0u64, 0u64, 0u64);
    for chunk in input.chunks(chunk_size.unwrap_or(input.len()).max(1)) {
        parser.feed_each(chunk, |step| match step {
            Ok(Step::Event(e)) => {
                events += 1;
                data_bytes += e.data().len() as u64;
            }
            Ok(Step::Retry(_)) => retries += 1,
            Ok(Step::NeedInput) | Err(_) => {}
        });
    }
    parser.finish();
    writeln!(
        out,
        "{{\"events\":{events},\"retries\":{retries},\"data_bytes\":{data_bytes}}}"
    )
}

/// One line of encode mode's input.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EncodeItem {
    event: Option<String>,
    data: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    comment: Option<String>,
}

/// Why encode mode stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum EncodeFailure {
    /// An item the format cannot carry (exit status 2).
    Refused(EncodeError),
    /// A line that is not a JSON item of the protocol's shape (exit status 1).
    NotAnItem {
        /// The line number, from 1.
        line: usize,
        /// What the JSON reader said.
        source: serde_json::Error,
    },
    /// A `comment` item with other keys (exit status 1).
    CommentWithOtherKeys {
        /// The line number, from 1.
        line: usize,
    },
    /// Reading or writing failed (exit status 1).
    Io(io::Error),
}

impl fmt::Display for EncodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeFailure::Refused(e) => write!(f, "refused: {e}"),
            EncodeFailure::NotAnItem { line, source } => {
                write!(f, "bad item: line {line}: {source}")
            }
            EncodeFailure::CommentWithOtherKeys { line } => {
                write!(f, "bad item: line {line}: a comment item has no other keys")
            }
            EncodeFailure::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

impl std::error::Error for EncodeFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EncodeFailure::Refused(e) => Some(e),
            EncodeFailure::NotAnItem { source, .. } => Some(source),
            EncodeFailure::CommentWithOtherKeys { .. } => None,
            EncodeFailure::Io(e) => Some(e),
        }
    }
}

/// Encode mode: JSON items in, `text/event-stream` out, stopping at the first item the
/// encoder refuses (nothing is written for it; everything before it is).
///
/// An item without `data` becomes a block without data (it sets `id`/`retry` and dispatches
/// nothing); `"data": ""` is an event with empty data.
///
/// # Errors
/// [`EncodeFailure`] as above.
///
/// ```
/// let items = "{\"data\":\"a\\nb\",\"id\":\"1\"}\n{\"comment\":\"hi\"}\n";
/// let mut out = Vec::new();
/// sse_conformance::adapter::encode(items.as_bytes(), &mut out).unwrap();
/// assert_eq!(out, b"id: 1\ndata: a\ndata: b\n\n: hi\n");
/// ```
pub fn encode(input: impl BufRead, out: &mut impl Write) -> Result<(), EncodeFailure> {
    let mut bytes = Vec::new();
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(EncodeFailure::Io)?;
        if line.trim().is_empty() {
            continue;
        }
        let item: EncodeItem =
            serde_json::from_str(&line).map_err(|source| EncodeFailure::NotAnItem {
                line: n + 1,
                source,
            })?;
        bytes.clear();
        if let Some(text) = &item.comment {
            if item.event.is_some()
                || item.data.is_some()
                || item.id.is_some()
                || item.retry.is_some()
            {
                return Err(EncodeFailure::CommentWithOtherKeys { line: n + 1 });
            }
            Comment::new(text).encode(&mut bytes);
        } else {
            let mut event = match &item.data {
                Some(data) => EncoderEvent::new(data),
                None => EncoderEvent::without_data(),
            };
            if let Some(event_type) = &item.event {
                event = event
                    .event_type(event_type)
                    .map_err(EncodeFailure::Refused)?;
            }
            if let Some(id) = &item.id {
                event = event.id(id).map_err(EncodeFailure::Refused)?;
            }
            if let Some(millis) = item.retry {
                event = event.retry(millis);
            }
            event.encode(&mut bytes);
        }
        out.write_all(&bytes).map_err(EncodeFailure::Io)?;
    }
    out.flush().map_err(EncodeFailure::Io)
}
