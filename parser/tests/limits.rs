//! Limits: a clear error at the same point of the stream whatever the chunking, every earlier
//! event delivered first, and the stream going on after it.

use ssewire_parser::{FieldParser, FieldStep, Limit, LimitExceeded, Limits, Parser, Step};

#[derive(Debug, PartialEq)]
enum Seen {
    Event(String, String, String),
    Retry(u64),
    Error(Limit, usize, u64),
}

fn run(limits: Limits, chunks: &[&[u8]]) -> Vec<Seen> {
    let mut parser = Parser::with_limits(limits);
    let mut seen = Vec::new();
    for chunk in chunks {
        parser.feed_each(chunk, |step| {
            seen.push(match step {
                Ok(Step::Event(e)) => Seen::Event(
                    e.event_type().into(),
                    e.data().into(),
                    e.last_event_id().into(),
                ),
                Ok(Step::Retry(ms)) => Seen::Retry(ms),
                Ok(Step::NeedInput) => unreachable!(),
                Err(e) => Seen::Error(e.limit(), e.max(), e.offset()),
            })
        });
    }
    parser.finish();
    seen
}

/// `run` over the whole input, 1-byte chunks, and every split point: all must agree.
fn run_every_way(limits: Limits, input: &[u8]) -> Vec<Seen> {
    let whole = run(limits, &[input]);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(run(limits, &bytes), whole, "1-byte chunks");
    for at in 0..=input.len() {
        let (a, b) = input.split_at(at);
        assert_eq!(run(limits, &[a, b]), whole, "split at {at}");
    }
    whole
}

fn event(data: &str) -> Seen {
    Seen::Event("message".into(), data.into(), String::new())
}

#[test]
fn a_line_past_the_cap_is_an_error_then_the_next_event_arrives() {
    let limits = Limits::default().max_line_bytes(10);
    let input = b"data: ok\n\ndata: far too long\ndata: rest\n\ndata: next\n\n";
    assert_eq!(
        run_every_way(limits, input),
        [event("ok"), Seen::Error(Limit::Line, 10, 10), event("next")]
    );
}

#[test]
fn event_data_past_the_cap_drops_that_event_only() {
    let limits = Limits::default().max_event_data_bytes(5);
    let input = b"data: ab\ndata: cd\n\ndata: abc\ndata: de\nid: 9\n\ndata: 12345\n\n";
    // "ab\ncd" is 5 bytes: allowed. "abc\nde" is 6: refused at the line that made it so, and
    // the rest of that block (its id too) is dropped.
    assert_eq!(
        run_every_way(limits, input),
        [
            event("ab\ncd"),
            Seen::Error(Limit::EventData, 5, 29),
            event("12345")
        ]
    );
}

#[test]
fn comments_and_unknown_fields_are_never_buffered_so_never_limited() {
    let limits = Limits::default().max_line_bytes(8);
    let input = b": a long long comment\nunknown-field: with a long value\ndata: ok\n\n";
    assert_eq!(run_every_way(limits, input), [event("ok")]);
}

#[test]
fn a_line_that_could_still_become_a_known_field_is_not_refused_early() {
    // With a 2-byte cap, "dat" is undecided until its next byte: "datx" is unknown (no error),
    // "data" is kept (an error), however the bytes arrive.
    let limits = Limits::default().max_line_bytes(2);
    assert_eq!(run_every_way(limits, b"datx: 1\n\n"), []);
    assert_eq!(
        run_every_way(limits, b"data: 1\n\n"),
        [Seen::Error(Limit::Line, 2, 0)]
    );
}

#[test]
fn a_known_field_without_a_colon_is_limited_like_any_kept_line() {
    let limits = Limits::default().max_line_bytes(3);
    assert_eq!(
        run_every_way(limits, b"data\n\n"),
        [Seen::Error(Limit::Line, 3, 0)]
    );
    assert_eq!(run_every_way(limits, b"datum\n\n"), []);
}

#[test]
fn lines_of_a_block_dropped_after_an_error_are_not_limited_again() {
    // The data cap drops the block; its later long line must not raise a second error.
    let limits = Limits::default().max_line_bytes(20).max_event_data_bytes(3);
    let input = b"data: 1234\ndata: this line is longer than twenty bytes\n\ndata: ok\n\n";
    assert_eq!(
        run_every_way(limits, input),
        [
            Seen::Error(Limit::EventData, 3, 0),
            Seen::Event("message".into(), "ok".into(), String::new())
        ]
    );
}

#[test]
fn the_default_limits_are_16_mib() {
    assert_eq!(
        (Limits::default().line(), Limits::default().event_data()),
        (16 << 20, 16 << 20)
    );
    assert_eq!(Limits::DEFAULT_BYTES, 16 << 20);
    assert_eq!(
        (Limits::UNLIMITED.line(), Limits::UNLIMITED.event_data()),
        (usize::MAX, usize::MAX)
    );
}

#[test]
fn the_offset_counts_from_the_first_byte_of_the_stream() {
    let limits = Limits::default().max_line_bytes(4);
    let input = b"\xEF\xBB\xBF: c\n\nid: 12345\n\n";
    assert_eq!(
        run_every_way(limits, input),
        [Seen::Error(Limit::Line, 4, 8)]
    );
}

#[test]
fn the_error_message_names_the_limit_its_size_and_where() {
    let err: LimitExceeded = Parser::with_limits(Limits::default().max_event_data_bytes(3))
        .feed(b"data: 1234\n")
        .0
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "event data longer than the 3-byte limit at byte 0"
    );
    let err = FieldParser::with_limits(Limits::default().max_line_bytes(1))
        .feed(b"::\n")
        .0
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "line longer than the 1-byte limit at byte 0"
    );
}

#[test]
fn the_field_level_limits_every_line_and_goes_on() {
    let mut fields = FieldParser::with_limits(Limits::default().max_line_bytes(3));
    let mut input: &[u8] = b": long\nid\n";
    let (first, used) = fields.feed(input);
    assert_eq!(first.unwrap_err().limit(), Limit::Line);
    input = &input[used..];
    assert_eq!(
        fields.feed(input).0,
        Ok(ssewire_parser::FieldStep::Field(ssewire_parser::Field::Id(
            ""
        )))
    );
}

/// Pseudo-random bytes from `alphabet` (one byte at a time) or from `tokens` (whole pieces).
fn noise(seed: u32, len: usize, pick: impl Fn(u32) -> Vec<u8>) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let mut out = Vec::new();
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        out.extend(pick(state));
    }
    out
}

#[test]
fn hostile_inputs_never_panic_and_respect_tiny_limits() {
    // Every byte value, every line-end mix, short and long, through tiny and unlimited caps:
    // whatever the chunking, nothing longer than a limit gets through, each error names the
    // limit it enforced, and a limit that every field exceeds lets no event or retry through.
    let mut inputs: Vec<Vec<u8>> = vec![(0..=255).collect(), vec![b'\r'; 300], vec![b':'; 300]];
    let alphabet = b"data:event:id:retry: \r\n\r\n\xEF\xBB\xBF\x00\xFF\xC3\xA9123";
    let tokens: [&[u8]; 12] = [
        b"data: ",
        b"data:",
        b"id: ",
        b"event: ",
        b"retry: 12",
        b"xy",
        b"\xC3\xA9",
        b"\xFF",
        b"\n",
        b"\r\n",
        b"\n\n",
        b"\r",
    ];
    for seed in 0..50u32 {
        inputs.push(noise(seed, 200, |r| {
            vec![alphabet[r as usize % alphabet.len()]]
        }));
        inputs.push(noise(seed, 200, |r| {
            tokens[r as usize % tokens.len()].to_vec()
        }));
    }
    for (line, data) in [(0, 0), (3, 5), (12, 8), (usize::MAX, usize::MAX)] {
        let limits = Limits::default()
            .max_line_bytes(line)
            .max_event_data_bytes(data);
        let (mut events, mut retries, mut line_errors, mut data_errors) = (0, 0, 0, 0);
        for input in &inputs {
            for seen in run_every_way(limits, input) {
                match seen {
                    Seen::Event(event_type, value, id) => {
                        events += 1;
                        // A replaced invalid byte is one char for at least one input byte.
                        assert!(value.chars().count() <= data, "data {value:?} past {data}");
                        assert!(event_type.chars().count() <= line, "type {event_type:?}");
                        assert!(id.chars().count() <= line, "id {id:?} past {line}");
                    }
                    Seen::Retry(millis) => {
                        retries += 1;
                        assert!("retry:".len() + millis.to_string().len() <= line);
                    }
                    Seen::Error(Limit::Line, max, _) => {
                        line_errors += 1;
                        assert_eq!(max, line);
                    }
                    Seen::Error(Limit::EventData, max, _) => {
                        data_errors += 1;
                        assert_eq!(max, data);
                    }
                    Seen::Error(other, ..) => panic!("{other:?}"),
                }
            }
        }
        let counts = (events, retries, line_errors, data_errors);
        match line {
            // No field fits in 3 bytes: every line but a blank one is refused.
            0 | 3 => assert!(events + retries == 0 && line_errors > 100, "{counts:?}"),
            12 => assert!(
                events > 10 && retries > 10 && line_errors > 10 && data_errors > 0,
                "{counts:?}"
            ),
            _ => assert!(events > 100 && line_errors + data_errors == 0, "{counts:?}"),
        }
    }
}

/// The field level over `chunks`: each field's or error's text, in order.
fn fields(limits: Limits, chunks: &[&[u8]]) -> Vec<String> {
    let mut fields = FieldParser::with_limits(limits);
    let mut seen = Vec::new();
    for chunk in chunks {
        let mut input = *chunk;
        loop {
            let (field, used) = fields.feed(input);
            input = &input[used..];
            match field {
                Ok(FieldStep::Field(field)) => seen.push(format!("{field:?}")),
                Ok(FieldStep::NeedInput) => break,
                Err(err) => seen.push(err.to_string()),
            }
        }
    }
    seen
}

#[test]
fn the_field_level_reports_each_error_at_its_line_whatever_the_chunking() {
    let limits = Limits::default().max_line_bytes(2);
    let input = b":c1\n:c2\nid\n:c3\r\n\ndata: x\n";
    let whole = fields(limits, &[input]);
    assert_eq!(
        whole,
        [
            "line longer than the 2-byte limit at byte 0",
            "line longer than the 2-byte limit at byte 4",
            "Id(\"\")",
            "line longer than the 2-byte limit at byte 11",
            "BlankLine",
            "line longer than the 2-byte limit at byte 17",
        ]
    );
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(fields(limits, &bytes), whole, "1-byte chunks");
    // An empty chunk after each byte: an empty feed once left the next line's offset stale.
    let with_empty: Vec<&[u8]> = bytes.iter().flat_map(|&b| [b, &b""[..]]).collect();
    assert_eq!(
        fields(limits, &with_empty),
        whole,
        "1-byte and empty chunks"
    );
    for at in 0..=input.len() {
        let (a, b) = input.split_at(at);
        assert_eq!(fields(limits, &[a, b]), whole, "split at {at}");
    }
}
