//! This project's own parser as a [`crate::Runner`] closure.

use ssewire_parser::{Limits, Parser, Step};

use crate::Output;

/// Parses `chunks` as one stream with this project's parser and returns what it reports:
/// the closure to hand to [`crate::Runner::run`] for `ssewire-parser` itself.
///
/// ```
/// use ssewire_conformance::{parse_with_ssewire, Output};
/// assert_eq!(parse_with_ssewire(&[b"data: a", b"\n\n"]), [Output::event("message", "a", "")]);
/// ```
pub fn parse_with_ssewire(chunks: &[&[u8]]) -> Vec<Output> {
    let mut parser = Parser::with_limits(Limits::UNLIMITED);
    let mut out = Vec::new();
    for chunk in chunks {
        parser.feed_each(chunk, |step| match step {
            Ok(Step::Event(e)) => {
                out.push(Output::event(e.event_type(), e.data(), e.last_event_id()))
            }
            Ok(Step::Retry(millis)) => out.push(Output::Retry(millis)),
            Ok(Step::NeedInput) | Err(_) => {}
        });
    }
    parser.finish();
    out
}
