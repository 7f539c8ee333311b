//! Every event the encoder writes parses back to itself (with CR and CRLF in data as LF).

use ssewire_encoder::{Comment, EncodeError, Event, EventId, EventType, FieldKind};
use ssewire_parser::{Parser, Step};

/// Parses `bytes` fed one byte at a time (the hardest chunking), returning (type, data, id)
/// per event and every retry.
fn parse(bytes: &[u8]) -> (Vec<(String, String, String)>, Vec<u64>) {
    let mut parser = Parser::new();
    let (mut events, mut retries) = (Vec::new(), Vec::new());
    for byte in bytes.chunks(1) {
        parser.feed_each(byte, |step| match step.unwrap() {
            Step::Event(e) => events.push((
                e.event_type().to_owned(),
                e.data().to_owned(),
                e.last_event_id().to_owned(),
            )),
            Step::Retry(millis) => retries.push(millis),
            Step::NeedInput => unreachable!(),
        });
    }
    parser.finish();
    (events, retries)
}

const DATA: &[&str] = &[
    "",
    " ",
    "  two leading spaces",
    "trailing space ",
    "a\nb",
    "a\r\nb",
    "a\rb",
    "\n",
    "\r\n",
    "\r",
    "\n\n",
    "\r\r\n\n\r",
    "ends with lf\n",
    "\nstarts with lf",
    ":looks like a comment",
    "data: nested",
    "\u{FEFF}bom inside",
    "nul \0 inside",
    "unicode é ✓ 😀",
    "tab\tinside",
];

#[test]
fn every_tricky_data_value_round_trips() {
    for data in DATA {
        let mut out = Vec::new();
        Event::new(data).encode(&mut out);
        let (events, _) = parse(&out);
        let want = data.replace("\r\n", "\n").replace('\r', "\n");
        assert_eq!(
            events,
            [("message".into(), want, String::new())],
            "{data:?}"
        );
    }
}

#[test]
fn types_ids_and_retries_round_trip_alongside_comments() {
    let mut out = Vec::new();
    let types = ["", " leading", "message", "tick", "nul\0ok", "é"];
    let ids = ["", " 1", "abc", "😀", "a:b"];
    let mut want = Vec::new();
    for (n, (event_type, id)) in types.iter().zip(ids.iter().cycle()).enumerate() {
        Comment::new("between\r\nevents").encode(&mut out);
        Event::new(DATA[n])
            .event_type(event_type)
            .unwrap()
            .id(id)
            .unwrap()
            .retry(n as u64)
            .encode(&mut out);
        let shown_type = if event_type.is_empty() {
            "message"
        } else {
            event_type
        };
        let data = DATA[n].replace("\r\n", "\n").replace('\r', "\n");
        want.push((shown_type.to_owned(), data, (*id).to_owned()));
    }
    let (events, retries) = parse(&out);
    assert_eq!(events, want);
    assert_eq!(retries, (0..types.len() as u64).collect::<Vec<_>>());
}

#[test]
fn a_block_without_data_dispatches_nothing_but_sets_the_id() {
    let mut out = Vec::new();
    Event::without_data().id("5").unwrap().encode(&mut out);
    Event::new("after").encode(&mut out);
    assert_eq!(
        parse(&out).0,
        [("message".into(), "after".into(), "5".into())]
    );
}

#[test]
fn an_empty_id_resets_the_last_event_id() {
    let mut out = Vec::new();
    Event::new("a").id("1").unwrap().encode(&mut out);
    Event::new("b").id("").unwrap().encode(&mut out);
    let ids: Vec<String> = parse(&out).0.into_iter().map(|e| e.2).collect();
    assert_eq!(ids, ["1", ""]);
}

fn assert_refused<T: std::fmt::Debug>(
    result: Result<T, EncodeError>,
    (field, character, index): (FieldKind, char, usize),
    message: &str,
) {
    let err = result.unwrap_err();
    assert_eq!(
        (err.field(), err.character(), err.index()),
        (field, character, index)
    );
    assert_eq!(err.to_string(), message);
}

#[test]
fn values_the_format_cannot_carry_are_refused_with_their_position() {
    use FieldKind::{EventId as Id, EventType as Type};
    let id_lf = "event id contains U+000A LINE FEED at byte 1";
    assert_refused(EventId::new("a\nb"), (Id, '\n', 1), id_lf);
    let id_cr = "event id contains U+000D CARRIAGE RETURN at byte 0";
    assert_refused(EventId::new("\r"), (Id, '\r', 0), id_cr);
    let id_nul = "event id contains U+0000 NULL at byte 2";
    assert_refused(EventId::new("ab\0"), (Id, '\0', 2), id_nul);
    let type_lf = "event type contains U+000A LINE FEED at byte 2";
    assert_refused(EventType::new("é\n"), (Type, '\n', 2), type_lf);
    let type_cr = "event type contains U+000D CARRIAGE RETURN at byte 1";
    assert_refused(Event::new("x").event_type("x\ry"), (Type, '\r', 1), type_cr);
    assert!(EventType::new("nul\0is fine in a type").is_ok());
}

#[test]
fn pieces_concatenate_to_the_encoded_bytes() {
    let event = Event::new("a\r\n\rb\n")
        .event_type("t")
        .unwrap()
        .id("")
        .unwrap()
        .retry(u64::MAX);
    let mut joined = Vec::new();
    event.for_each_piece(|piece| joined.extend_from_slice(piece));
    let mut encoded = Vec::new();
    event.encode(&mut encoded);
    assert_eq!(joined, encoded);
    assert_eq!(
        encoded,
        b"event: t\nid:\nretry: 18446744073709551615\ndata: a\ndata:\ndata: b\ndata:\n\n"
    );
}

#[test]
fn large_data_is_lent_not_copied_into_pieces() {
    let payload = "x".repeat(1 << 20);
    let event = Event::new(&payload);
    let mut lent = false;
    event.for_each_piece(|piece| {
        lent |= piece.as_ptr() == payload.as_ptr() && piece.len() == payload.len()
    });
    assert!(lent);
}

#[cfg(feature = "bytes")]
#[test]
fn encoding_into_a_bufmut_gives_the_same_bytes_as_into_a_vec() {
    let event = Event::new("a\r\nb")
        .event_type("t")
        .unwrap()
        .id("1")
        .unwrap()
        .retry(5);
    let comment = Comment::new("x\ny");
    let (mut vec, mut buf) = (Vec::new(), bytes::BytesMut::new());
    event.encode(&mut vec);
    comment.encode(&mut vec);
    event.encode_to_buf(&mut buf);
    comment.encode_to_buf(&mut buf);
    assert_eq!(&buf[..], &vec[..]);
    assert_eq!(
        &buf[..],
        b"event: t\nid: 1\nretry: 5\ndata: a\ndata: b\n\n: x\n: y\n"
    );
}

/// Data lines longer than the encoder's 4 KiB search window, ended by each kind of line end at
/// and around the window edges: `encode` (which copies long lines a window at a time) writes
/// exactly the pieces `for_each_piece` lends (which lends each line whole), and the client
/// gets the data back with LF for every line end.
#[test]
fn long_lines_are_copied_in_windows_and_lent_whole_to_the_same_bytes() {
    let mut text = String::new();
    for (len, end) in [(4224, "\r\n"), (4223, "\r"), (4225, "\n"), (20_000, "\r\n")] {
        text.push_str(&"y".repeat(len));
        text.push_str(end);
    }
    text.push_str(&"z".repeat(9_000));
    for data in [&text[..], &text[1..], &text[..text.len() - 1]] {
        let event = Event::new(data);
        let mut lent = Vec::new();
        let mut pieces = 0;
        event.for_each_piece(|piece| {
            lent.extend_from_slice(piece);
            pieces += 1;
        });
        // Five data lines, each `data: `, the line and LF, then the blank line.
        assert_eq!(pieces, 5 * 3 + 1);
        let mut encoded = Vec::new();
        event.encode(&mut encoded);
        assert_eq!(encoded, lent);
        let comment = Comment::new(data);
        let (mut comment_encoded, mut comment_lent) = (Vec::new(), Vec::new());
        comment.encode(&mut comment_encoded);
        comment.for_each_piece(|piece| comment_lent.extend_from_slice(piece));
        assert_eq!(comment_encoded, comment_lent);
        #[cfg(feature = "bytes")]
        {
            let mut buf = bytes::BytesMut::new();
            event.encode_to_buf(&mut buf);
            assert_eq!(&buf[..], &lent[..]);
        }
        let expected = data.replace("\r\n", "\n").replace('\r', "\n");
        let (events, _) = parse(&lent);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].1, expected);
    }
}

/// Data of 64·k bytes and either side of it (the encoder splits data by 64-byte blocks), with a
/// line end or a non-ASCII character at every position of the first two blocks: encoded and
/// parsed back, it is the data with LF for every line end, each line written as one `data`
/// line (`data:` alone for an empty one).
#[test]
fn block_sized_data_round_trips_with_a_line_end_or_non_ascii_at_every_position() {
    for len in [63, 64, 65, 127, 128, 129, 192] {
        for at in 0..len.min(130) {
            for odd in ["\n", "\r", "\r\n", "é", "😀"] {
                let mut data = "v".repeat(len);
                if at + odd.len() <= len {
                    data.replace_range(at..at + odd.len(), odd);
                }
                let mut out = Vec::new();
                Event::new(&data).encode(&mut out);
                let want = data.replace("\r\n", "\n").replace('\r', "\n");
                let lines = want.split('\n').count();
                let data_lines = out
                    .split(|&b| b == b'\n')
                    .filter(|l| l.starts_with(b"data:"))
                    .count();
                assert_eq!(data_lines, lines, "{len} {at} {odd:?}");
                let (events, _) = parse(&out);
                assert_eq!(
                    events,
                    [("message".into(), want, String::new())],
                    "{len} {at} {odd:?}"
                );
            }
        }
    }
}

/// `encode` reserves once, exactly, for an event whose data is one line (the comment above its
/// reservation promises so): a Vec that starts empty ends with no spare capacity.
#[test]
fn encoding_an_event_of_one_data_line_reserves_exactly_its_bytes() {
    let long = "v".repeat(300);
    let events = [
        Event::new("x"),
        Event::new("").event_type("tick").unwrap(),
        Event::new("payload")
            .event_type("t")
            .unwrap()
            .id("42")
            .unwrap()
            .retry(1500),
        Event::without_data().id("12345").unwrap().retry(7),
        Event::new(&long).id("").unwrap(),
    ];
    for event in events {
        let mut out = Vec::new();
        event.encode(&mut out);
        assert_eq!(
            out.capacity(),
            out.len(),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
    }
}
