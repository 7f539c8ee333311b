//! Readable snapshots (insta): every case's parsed output, the encoder's exact bytes, and the
//! text of every error message. A behaviour change shows up as a reviewed diff of
//! `tests/snapshots/*.snap` (`cargo insta review`); under CI, an unreviewed change fails.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ssewire_conformance::{escape_truncated, parse_with_ssewire, Case};
use ssewire_encoder::{Comment, Event, EventId, EventType};
use ssewire_parser::{Field, FieldParser, FieldStep, Limits, Parser};

/// One snapshot per area: each case's input, then what the parser reports, comments included
/// (from the field level), long text cut short.
#[test]
fn parsed_output_of_every_case() {
    let mut areas: BTreeMap<&str, String> = BTreeMap::new();
    for case in Case::all() {
        let area = case.name.split('/').next().unwrap();
        let text = areas.entry(area).or_default();
        let _ = writeln!(text, "== {}  ({})", case.name, case.source);
        let _ = writeln!(text, "input: \"{}\"", escape_truncated(&case.input, 160));
        let mut fields = FieldParser::with_limits(Limits::UNLIMITED);
        let mut input = &case.input[..];
        while let (Ok(FieldStep::Field(field)), used) = fields.feed(input) {
            input = &input[used..];
            if let Field::Comment(comment) = field {
                let _ = writeln!(
                    text,
                    "comment: \"{}\"",
                    escape_truncated(comment.as_bytes(), 80)
                );
            }
        }
        let outputs = parse_with_ssewire(&[&case.input]);
        if outputs.is_empty() {
            text.push_str("(nothing dispatched)\n");
        }
        for output in outputs {
            // JSON already shows control characters escaped; only cut long lines short.
            let line = output.to_json_line();
            match line.char_indices().nth(160) {
                Some((cut, _)) => {
                    let _ = writeln!(text, "{}… ({} more bytes)", &line[..cut], line.len() - cut);
                }
                None => text.push_str(&(line + "\n")),
            }
        }
        text.push('\n');
    }
    for (area, text) in areas {
        insta::assert_snapshot!(format!("cases-{area}"), text);
    }
}

#[test]
fn encoder_bytes_for_representative_events() {
    let mut out = Vec::new();
    Comment::new("stream opened").encode(&mut out);
    Comment::new("").encode(&mut out);
    Comment::new("two\r\nline comment").encode(&mut out);
    Event::new("plain").encode(&mut out);
    Event::new("").encode(&mut out);
    Event::new(" leading space").encode(&mut out);
    Event::new("a\nb\r\nc\rd").encode(&mut out);
    Event::new("ends with line end\n").encode(&mut out);
    Event::new("{\"json\":true}")
        .event_type("update")
        .unwrap()
        .id("17")
        .unwrap()
        .retry(2500)
        .encode(&mut out);
    Event::new("typed")
        .event_type("")
        .unwrap()
        .id("")
        .unwrap()
        .encode(&mut out);
    Event::new("unicode ✓ 😀 \u{FEFF}")
        .event_type("ünïcode")
        .unwrap()
        .encode(&mut out);
    Event::without_data()
        .id("only-an-id")
        .unwrap()
        .encode(&mut out);
    Event::without_data().retry(0).encode(&mut out);
    Event::without_data().encode(&mut out);
    let text = String::from_utf8(out).unwrap();
    let shown: String = text
        .split_inclusive('\n')
        .map(|l| format!("{}\n", escape_truncated(l.as_bytes(), 200)))
        .collect();
    insta::assert_snapshot!("encoder-bytes", shown);
}

#[test]
fn every_error_message() {
    let mut text = String::new();
    for (what, err) in [
        ("event type with LF", EventType::new("a\nb").unwrap_err()),
        ("event type with CR", EventType::new("a\rb").unwrap_err()),
        ("event id with LF", EventId::new("\n").unwrap_err()),
        ("event id with CR", EventId::new("12\r").unwrap_err()),
        ("event id with NUL", EventId::new("é\0").unwrap_err()),
    ] {
        let _ = writeln!(text, "{what}: {err}");
    }
    let line = Parser::with_limits(Limits::default().max_line_bytes(16))
        .feed(b": ok\ndata: 0123456789abcdef\n")
        .0
        .unwrap_err();
    let data = Parser::with_limits(Limits::default().max_event_data_bytes(4))
        .feed(b"data: abc\ndata: d\n")
        .0
        .unwrap_err();
    let _ = writeln!(text, "line limit: {line}\nevent data limit: {data}");
    insta::assert_snapshot!("error-messages", text);
}
