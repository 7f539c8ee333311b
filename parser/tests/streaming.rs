//! Step by step: what each `feed` returns, and how much it used, at the awkward splits.

use ssewire_parser::{Event, Field, FieldParser, FieldStep, Parser, Step};

fn event<'a>(event_type: &'a str, data: &'a str, id: &'a str) -> Step<'a> {
    Step::Event(Event::new(event_type, data, id))
}

#[test]
fn a_bom_split_one_then_two_is_stripped() {
    let mut parser = Parser::new();
    assert_eq!(parser.feed(b"\xEF"), (Ok(Step::NeedInput), 1));
    assert_eq!(
        parser.feed(b"\xBB\xBFdata: x\n\n"),
        (Ok(event("message", "x", "")), 11)
    );
}

#[test]
fn a_bom_split_two_then_one_is_stripped() {
    let mut parser = Parser::new();
    assert_eq!(parser.feed(b"\xEF\xBB"), (Ok(Step::NeedInput), 2));
    assert_eq!(parser.feed(b"\xBF"), (Ok(Step::NeedInput), 1));
    assert_eq!(
        parser.feed(b"data: x\n\n"),
        (Ok(event("message", "x", "")), 9)
    );
}

#[test]
fn bytes_that_start_like_a_bom_but_are_not_one_stay_in_the_first_line() {
    let mut fields = FieldParser::new();
    assert_eq!(fields.feed(b"\xEF\xBB"), (Ok(FieldStep::NeedInput), 2));
    assert_eq!(
        fields.feed(b"x: y\n"),
        (
            Ok(FieldStep::Field(Field::Unknown {
                name: "\u{FFFD}x",
                value: "y"
            })),
            5
        )
    );
}

#[test]
fn only_the_first_bom_of_a_stream_is_stripped() {
    let mut fields = FieldParser::new();
    let (field, _) = fields.feed(b"\xEF\xBB\xBF\xEF\xBB\xBFdata\n");
    assert_eq!(
        field,
        Ok(FieldStep::Field(Field::Unknown {
            name: "\u{FEFF}data",
            value: ""
        }))
    );
}

#[test]
fn cr_ending_a_chunk_then_lf_is_one_line_end() {
    let mut parser = Parser::new();
    assert_eq!(parser.feed(b"data: a\r"), (Ok(Step::NeedInput), 8));
    // The LF completes the CRLF; it is not a second (blank) line.
    assert_eq!(parser.feed(b"\n"), (Ok(Step::NeedInput), 1));
    assert_eq!(parser.feed(b"\n"), (Ok(event("message", "a", "")), 1));
}

#[test]
fn cr_ending_a_chunk_then_cr_is_a_blank_line() {
    let mut parser = Parser::new();
    assert_eq!(parser.feed(b"data: a\r"), (Ok(Step::NeedInput), 8));
    assert_eq!(parser.feed(b"\r"), (Ok(event("message", "a", "")), 1));
}

#[test]
fn a_cr_at_the_end_of_the_stream_ends_its_line_at_once() {
    let mut parser = Parser::new();
    assert_eq!(
        parser.feed(b"data: a\r\r"),
        (Ok(event("message", "a", "")), 9)
    );
}

#[test]
fn an_empty_chunk_changes_nothing_even_between_cr_and_lf() {
    let mut parser = Parser::new();
    assert_eq!(parser.feed(b""), (Ok(Step::NeedInput), 0));
    assert_eq!(parser.feed(b"data: a\r"), (Ok(Step::NeedInput), 8));
    assert_eq!(parser.feed(b""), (Ok(Step::NeedInput), 0));
    assert_eq!(parser.feed(b"\n\n"), (Ok(event("message", "a", "")), 2));
}

#[test]
fn each_step_uses_the_input_up_to_what_it_completed() {
    let input: &[u8] = b"retry: 5\ndata: a\n\n: c\ndata: b\n\n";
    let mut parser = Parser::new();
    assert_eq!(parser.feed(input), (Ok(Step::Retry(5)), 9));
    assert_eq!(parser.feed(&input[9..]), (Ok(event("message", "a", "")), 9));
    assert_eq!(
        parser.feed(&input[18..]),
        (Ok(event("message", "b", "")), 13)
    );
    assert_eq!(parser.feed(&input[31..]), (Ok(Step::NeedInput), 0));
}

#[test]
fn a_single_data_line_event_borrows_the_chunk() {
    let input: &[u8] = b"event: tick\ndata: payload\n\n";
    let mut parser = Parser::new();
    let (step, _) = parser.feed(input);
    let Ok(Step::Event(event)) = step else {
        panic!("{step:?}")
    };
    let range = input.as_ptr_range();
    assert!(range.contains(&event.data().as_ptr()), "data is a copy");
    assert!(
        range.contains(&event.event_type().as_ptr()),
        "event type is a copy"
    );
    assert!(event.is_borrowed());
    let owned = event.into_owned();
    assert!(!owned.is_borrowed());
    assert!(!range.contains(&owned.data().as_ptr()));
    assert_eq!((owned.event_type(), owned.data()), ("tick", "payload"));
}

#[test]
fn an_event_split_across_chunks_is_delivered_whole() {
    let mut parser = Parser::new();
    assert_eq!(parser.feed(b"event: ti"), (Ok(Step::NeedInput), 9));
    assert_eq!(parser.feed(b"ck\ndata: a"), (Ok(Step::NeedInput), 10));
    assert_eq!(parser.feed(b"\ndata: b\n"), (Ok(Step::NeedInput), 9));
    assert_eq!(parser.feed(b"\n"), (Ok(event("tick", "a\nb", "")), 1));
}

#[test]
fn a_data_line_carried_across_chunks_keeps_its_text_whatever_it_holds() {
    // A carried first data line becomes the data buffer itself (ASCII, other UTF-8, invalid
    // UTF-8 replaced, an empty value, two spaces); later lines append to it.
    let cases: [(&[&[u8]], &str); 5] = [
        (&[b"data: caf", b"\xC3\xA9\ndata: x\n\n"], "caf\u{e9}\nx"),
        (&[b"data:  a", b"b\n\n"], " ab"),
        (&[b"data: a\xFF", b"b\ndata: c\n\n"], "a\u{FFFD}b\nc"),
        (&[b"da", b"ta\ndata\n\n"], "\n"),
        (&[b"data: 1", b"2\n\ndata: 3", b"4\n\n"], "12"),
    ];
    for (chunks, data) in cases {
        let mut parser = Parser::new();
        let mut first = None;
        for chunk in chunks {
            parser.feed_each(chunk, |step| {
                if let (Ok(Step::Event(event)), None) = (step, &first) {
                    first = Some(event.data().to_owned());
                }
            });
        }
        assert_eq!(first.as_deref(), Some(data), "{chunks:?}");
    }
}

#[test]
fn a_retry_inside_a_block_keeps_the_block_intact() {
    let mut parser = Parser::new();
    let input: &[u8] = b"event: x\ndata: a\nretry: 7\ndata: b\n\n";
    let (step, used) = parser.feed(input);
    assert_eq!((step, used), (Ok(Step::Retry(7)), 26));
    assert_eq!(parser.feed(&input[used..]).0, Ok(event("x", "a\nb", "")));
}

#[test]
fn invalid_utf8_is_replaced_per_line() {
    let mut parser = Parser::new();
    let (step, _) = parser.feed(b"data: a\xFFb\xE2\x82\n\n");
    assert_eq!(step, Ok(event("message", "a\u{FFFD}b\u{FFFD}", "")));
}

#[test]
fn finish_discards_the_open_block_and_starts_a_new_stream() {
    let mut parser = Parser::new();
    assert_eq!(parser.feed(b"id: 1\ndata: a\n\nid: 2\ndata: open\n").1, 15);
    assert_eq!(parser.last_event_id(), "1");
    parser.finish();
    // A new connection: its own BOM, the old last event ID, nothing of the open block.
    let (step, _) = parser.feed(b"\xEF\xBB\xBFdata: b\n\n");
    assert_eq!(step, Ok(event("message", "b", "1")));
}

#[test]
fn a_reconnecting_parser_starts_from_the_last_event_id() {
    let mut parser = Parser::new().with_last_event_id("41");
    assert_eq!(
        parser.feed(b"data: x\n\n").0,
        Ok(event("message", "x", "41"))
    );
    assert_eq!(
        parser.feed(b"id\ndata: y\n\n").0,
        Ok(event("message", "y", ""))
    );
}

#[test]
fn the_reconnection_time_is_remembered() {
    let mut parser = Parser::new();
    assert_eq!(parser.reconnection_time(), None);
    let _ = parser.feed(b"retry: 10\n");
    let _ = parser.feed(b"retry: x\n");
    assert_eq!(parser.reconnection_time(), Some(10));
}

#[test]
fn the_field_level_reports_every_kind_of_line() {
    let mut fields = FieldParser::new();
    let mut input: &[u8] = b"data\r\nevent:  x\rid: \0\nretry: 1a\n:c\nother: v\n\n";
    let mut seen = Vec::new();
    loop {
        let (field, used) = fields.feed(input);
        input = &input[used..];
        match field.unwrap() {
            FieldStep::Field(field) => seen.push(format!("{field:?}")),
            FieldStep::NeedInput => break,
        }
    }
    assert_eq!(
        seen,
        [
            "Data(\"\")",
            "EventType(\" x\")",
            "Id(\"\\0\")",
            "Retry(\"1a\")",
            "Comment(\"c\")",
            "Unknown { name: \"other\", value: \"v\" }",
            "BlankLine",
        ]
    );
}

#[test]
fn finishing_the_field_parser_drops_the_partial_line_and_restarts_the_stream() {
    let mut fields = FieldParser::new();
    assert_eq!(fields.feed(b"data: cut"), (Ok(FieldStep::NeedInput), 9));
    fields.finish();
    assert_eq!(fields.feed(b"\n").0, Ok(FieldStep::Field(Field::BlankLine)));
    // A new stream: its BOM is stripped again.
    fields.finish();
    assert_eq!(
        fields.feed(b"\xEF\xBB\xBFid\n").0,
        Ok(FieldStep::Field(Field::Id("")))
    );
}

#[test]
fn both_levels_ask_for_more_input_only_once_the_chunk_is_used_up() {
    // `Step::NeedInput` and the field level's `None` say the same thing: all of the chunk is
    // used and nothing more completed. Every cut of a stream with every kind of line.
    let stream: &[u8] =
        b"\xEF\xBB\xBFid: 1\r\n: c\revent: e\ndata: x\xC3\xA9\r\nretry: 5\nz: q\n\ndata: y\n";
    for cut in 0..=stream.len() {
        let mut parser = Parser::new();
        let mut fields = FieldParser::new();
        for chunk in [&stream[..cut], &stream[cut..]] {
            let mut input = chunk;
            loop {
                let (step, used) = parser.feed(input);
                let need_input = matches!(step, Ok(Step::NeedInput));
                assert!(!need_input || used == input.len(), "Parser, cut at {cut}");
                input = &input[used..];
                if need_input {
                    break;
                }
            }
            let mut input = chunk;
            loop {
                let (field, used) = fields.feed(input);
                let need_input = matches!(field, Ok(FieldStep::NeedInput));
                assert!(
                    !need_input || used == input.len(),
                    "FieldParser, cut at {cut}"
                );
                input = &input[used..];
                if need_input {
                    break;
                }
            }
        }
    }
}

/// Every event's data and last event ID, and the parser's last event ID after each chunk.
type IdTrace = (Vec<(String, String)>, Vec<String>);

fn id_trace_each(chunks: &[&[u8]]) -> IdTrace {
    let mut parser = Parser::new();
    let (mut events, mut after) = (Vec::new(), Vec::new());
    for chunk in chunks {
        parser.feed_each(chunk, |step| {
            if let Ok(Step::Event(event)) = step {
                events.push((event.data().to_owned(), event.last_event_id().to_owned()));
            }
        });
        after.push(parser.last_event_id().to_owned());
    }
    (events, after)
}

fn id_trace_feed(chunks: &[&[u8]]) -> IdTrace {
    let mut parser = Parser::new();
    let (mut events, mut after) = (Vec::new(), Vec::new());
    for chunk in chunks {
        let mut rest = *chunk;
        loop {
            let (step, used) = parser.feed(rest);
            rest = &rest[used..];
            match step {
                Ok(Step::Event(event)) => {
                    events.push((event.data().to_owned(), event.last_event_id().to_owned()))
                }
                Ok(Step::NeedInput) => break,
                _ => {}
            }
        }
        after.push(parser.last_event_id().to_owned());
    }
    (events, after)
}

#[test]
fn feed_each_hands_out_and_keeps_the_same_last_event_ids_as_feed() {
    // `feed_each` lends a block's ID from the chunk and copies it once, when it leaves its
    // fast loop; `feed` copies it per block. IDs set in the fast loop, by the general path
    // (after a `retry`, or pending when a chunk ends mid-block), cleared, ignored (NUL) and
    // inherited must read the same at every event and after every chunk, wherever it is cut.
    let input: &[u8] = b"id: 1\ndata: a\n\ndata: b\n\nid: 2\n\ndata: c\n\nid: x\0y\ndata: d\n\n\
        retry: 5\nid: 3\ndata: e\n\ndata: f\n\nid\ndata: g\n\nid: 4\ndata: h\n\ndata: i\n\n";
    let whole = id_trace_each(&[input]);
    let ids: Vec<&str> = whole.0.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(ids, ["1", "1", "2", "2", "3", "3", "", "4", "4"]);
    assert_eq!(whole.1, ["4"]);
    for cut in 0..=input.len() {
        let chunks = [&input[..cut], &input[cut..]];
        let each = id_trace_each(&chunks);
        assert_eq!(each, id_trace_feed(&chunks), "cut at {cut}");
        assert_eq!(each.0, whole.0, "cut at {cut}");
    }
}

#[test]
fn an_id_holding_nul_anywhere_is_ignored_however_many_it_holds() {
    // One NUL or several (an even count included), through the block fast path (whole chunk),
    // the line fast path (the block begun in an earlier chunk) and the general path (bytes).
    for id in [&b"a\0b"[..], b"\0\0", b"a\0b\0c", b"\0\0\0\0"] {
        let mut input = b"id: 1\n\ndata: x\nid: ".to_vec();
        input.extend_from_slice(id);
        input.extend_from_slice(b"\n\n");
        for size in [input.len(), 12, 1] {
            let mut parser = Parser::new();
            let mut ids = Vec::new();
            for chunk in input.chunks(size) {
                parser.feed_each(chunk, |step| {
                    if let Ok(Step::Event(event)) = step {
                        ids.push(event.last_event_id().to_owned());
                    }
                });
            }
            assert_eq!(ids, ["1"], "{id:?} in chunks of {size}");
            assert_eq!(parser.last_event_id(), "1", "{id:?} in chunks of {size}");
        }
    }
}
