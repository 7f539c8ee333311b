//! A slow, literal model of the spec: the oracle that the fast parser is checked against.
//!
//! It follows the text of WHATWG HTML §9.2.6 step by step over the whole input at once: decode
//! (strip one BOM, replace invalid UTF-8), split into lines, act on each line. No streaming, no
//! borrowing, no limits: nothing clever to get wrong. Do not optimise it.

use crate::Output;

/// Everything a conforming parser reports for `input`, read as one whole stream.
///
/// ```
/// use ssewire_conformance::{reference, Output};
/// assert_eq!(
///     reference::parse(b"retry: 5\r\ndata: a\rdata: b\n\nid: 1\ndata: cut off"),
///     [Output::Retry(5), Output::event("message", "a\nb", "")],
/// );
/// ```
pub fn parse(input: &[u8]) -> Vec<Output> {
    trace(input).into_iter().map(|d| d.output).collect()
}

/// One output of [`trace`], with what its block itself said about the event ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Traced {
    /// The output, as [`parse`] reports it.
    pub output: Output,
    /// For an event: the value of the last valid `id` field in the event's own block (the
    /// lines since the previous blank line), or `None` when the block had none. Always `None`
    /// for a retry. The adapter protocol's capabilities are judged from it: an implementation
    /// that sees only each event's own ID gets the cases where the two differ.
    pub own_id: Option<String>,
}

/// Like [`parse`], with each event's own ID ([`Traced::own_id`]) beside it.
///
/// ```
/// use ssewire_conformance::reference;
/// let traced = reference::trace(b"id: 1\ndata: a\n\ndata: b\n\n");
/// assert_eq!(traced[0].own_id.as_deref(), Some("1"));
/// assert_eq!(traced[1].own_id, None); // "b" still carries ID 1, from the block before
/// ```
// The nested `if`s mirror the spec's sentences ("if the field value does not contain ..."):
// a literal transcription is this model's whole point.
#[allow(clippy::collapsible_match)]
pub fn trace(input: &[u8]) -> Vec<Traced> {
    // "The stream must then be parsed by ... UTF-8 decode": one leading BOM is stripped, and
    // invalid sequences become U+FFFD.
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let text = String::from_utf8_lossy(input);

    // "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF)
    // character pair, a single U+000A LINE FEED (LF) character, or a single U+000D CARRIAGE
    // RETURN (CR) character." What follows the last line end is not a line: "once the end of
    // the file is reached, any pending data must be discarded".
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut line));
            }
            '\n' => lines.push(std::mem::take(&mut line)),
            c => line.push(c),
        }
    }

    let mut out = Vec::new();
    let mut data = String::new();
    let mut event_type = String::new();
    let mut last_event_id_buffer = String::new();
    let mut last_event_id = String::new();
    // Not part of the spec's model: what this block's own `id` fields said (see `Traced`).
    let mut own_id: Option<String> = None;
    for line in lines {
        if line.is_empty() {
            let block_id = own_id.take();
            // Dispatch the event.
            // Step 1: set the last event ID string to the last event ID buffer.
            last_event_id.clone_from(&last_event_id_buffer);
            // Step 2: an empty data buffer resets the buffers and dispatches nothing.
            if data.is_empty() {
                event_type.clear();
                continue;
            }
            // Step 3: remove one trailing LF.
            if data.ends_with('\n') {
                data.pop();
            }
            // Steps 4-5: the event, typed "message" unless the type buffer says otherwise.
            let kind = if event_type.is_empty() {
                "message"
            } else {
                &event_type
            };
            out.push(Traced {
                output: Output::event(kind, &data, &last_event_id),
                own_id: block_id,
            });
            // Step 6: reset the data and event type buffers.
            data.clear();
            event_type.clear();
            continue;
        }
        if line.starts_with(':') {
            continue; // A comment.
        }
        let (field, value) = match line.find(':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (line.as_str(), ""),
        };
        match field {
            "event" => event_type = value.to_owned(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "id" => {
                if !value.contains('\0') {
                    last_event_id_buffer = value.to_owned();
                    own_id = Some(value.to_owned());
                }
            }
            "retry" => {
                if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
                    // Values past u64 are implementation-defined; saturate like the parser.
                    let millis = value.parse().unwrap_or(u64::MAX);
                    out.push(Traced {
                        output: Output::Retry(millis),
                        own_id: None,
                    });
                }
            }
            _ => {} // Ignored.
        }
    }
    out
}
