//! Properties over generated input: chunking invariance, agreement with the reference model,
//! encoder round trips and refusals. Failures proptest finds are kept in
//! `proptest-regressions/properties.txt` and replayed first on every run.

use proptest::prelude::*;
use ssewire_conformance::fuzz::{encode_items, Item};
use ssewire_conformance::{parse_with_ssewire, reference, Output};
use ssewire_encoder::{Event, EventId, EventType};

/// Bytes that look like an event stream: field names, colons, spaces, every line end, BOM,
/// NUL, digits, multi-byte and broken UTF-8, glued in any order.
fn sse_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(&b"data"[..]),
        Just(&b"event"[..]),
        Just(&b"id"[..]),
        Just(&b"retry"[..]),
        Just(&b":"[..]),
        Just(&b" "[..]),
        Just(&b"\r"[..]),
        Just(&b"\n"[..]),
        Just(&b"\r\n"[..]),
        Just(&b"\n\n"[..]),
        Just(&b"\xEF\xBB\xBF"[..]),
        Just(&b"\xEF\xBB"[..]),
        Just(&b"\0"[..]),
        Just(&b"42"[..]),
        Just(&b"x"[..]),
        Just(&b"\xC3\xA9"[..]),
        Just(&b"\xF0\x9F\x98\x80"[..]),
        Just(&b"\xFF"[..]),
        Just(&b"\xE2\x82"[..]),
        Just(&b"\t"[..]),
    ];
    prop::collection::vec(
        prop_oneof![4 => token.prop_map(<[u8]>::to_vec), 1 => any::<u8>().prop_map(|b| vec![b])],
        0..80,
    )
    .prop_map(|tokens| tokens.concat())
}

/// `bytes` cut at `cuts` (positions taken modulo the length, in any order, repeats allowed).
fn cut(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    at.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for end in at.into_iter().chain([bytes.len()]) {
        pieces.push(bytes[start..end].to_vec());
        start = end;
    }
    pieces
}

fn parse_pieces(pieces: &[Vec<u8>]) -> Vec<Output> {
    let refs: Vec<&[u8]> = pieces.iter().map(Vec::as_slice).collect();
    parse_with_ssewire(&refs)
}

/// Text for data, types and ids: line ends of every kind, NUL, spaces and Unicode, often.
fn tricky_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("\r".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just(" ".to_string()),
            Just(":".to_string()),
            Just("\0".to_string()),
            Just("\u{FEFF}".to_string()),
            "[a-z]{1,3}",
            any::<char>().prop_map(String::from),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        4 => (
            prop::option::weighted(0.9, tricky_text()),
            prop::option::of(tricky_text()),
            prop::option::of(tricky_text()),
            prop::option::weighted(0.2, any::<u64>()),
        )
            .prop_map(|(data, event_type, id, retry)| Item::Event { data, event_type, id, retry }),
        1 => tricky_text().prop_map(Item::Comment),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn any_chunking_gives_what_the_whole_input_gives(bytes in sse_bytes(), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        prop_assert_eq!(parse_pieces(&cut(&bytes, &cuts)), parse_with_ssewire(&[&bytes]));
    }

    #[test]
    fn the_parser_agrees_with_the_reference_model(bytes in sse_bytes(), cuts in prop::collection::vec(any::<usize>(), 0..4)) {
        prop_assert_eq!(parse_pieces(&cut(&bytes, &cuts)), reference::parse(&bytes));
    }

    #[test]
    fn encoded_events_parse_back_to_themselves(items in prop::collection::vec(item(), 0..8), cuts in prop::collection::vec(any::<usize>(), 0..6)) {
        // encode_items drops CR, LF and NUL from types and ids, so every item is encodable.
        let (bytes, expect) = encode_items(&items);
        prop_assert_eq!(parse_pieces(&cut(&bytes, &cuts)), expect);
    }

    #[test]
    fn the_encoder_refuses_exactly_what_cannot_be_carried(text in tricky_text()) {
        prop_assert_eq!(EventType::new(&text).is_err(), text.contains(['\r', '\n']));
        prop_assert_eq!(EventId::new(&text).is_err(), text.contains(['\r', '\n', '\0']));
        if let Ok(event) = Event::new("x").event_type(&text) {
            let mut bytes = Vec::new();
            event.encode(&mut bytes);
            let kind = if text.is_empty() { "message" } else { text.as_str() };
            prop_assert_eq!(reference::parse(&bytes), vec![Output::event(kind, "x", "")]);
        }
        if let Ok(event) = Event::new("x").id(&text) {
            let mut bytes = Vec::new();
            event.encode(&mut bytes);
            prop_assert_eq!(reference::parse(&bytes), vec![Output::event("message", "x", &text)]);
        }
    }
}
