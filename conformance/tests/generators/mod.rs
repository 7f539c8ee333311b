//! The generators and checks the properties use, shared by `properties.rs` (the CPU's kernel)
//! and `kernels.rs` (once per kernel the CPU has).
#![allow(dead_code)] // each test binary uses its part

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use ssewire_conformance::fuzz::{encode_items, Item};
use ssewire_conformance::{parse_with_ssewire, reference};

/// `default` cases, or `PROPTEST_CASES` when it is set (`scripts/miri.sh` sets a handful).
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}

/// Bytes that look like an event stream: field names, colons, spaces, every line end, BOM,
/// NUL, digits, multi-byte and broken UTF-8, glued in any order; and runs of text up to 300
/// bytes, so lines fill, cross and pass the scan's 64-byte blocks (a line past 128 bytes takes
/// the kernels' long-line skip).
pub fn sse_bytes() -> impl Strategy<Value = Vec<u8>> {
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
        prop_oneof![
            8 => token.prop_map(<[u8]>::to_vec),
            2 => any::<u8>().prop_map(|b| vec![b]),
            1 => (1usize..300).prop_map(|n| vec![b'x'; n]),
        ],
        0..80,
    )
    .prop_map(|tokens| tokens.concat())
}

/// A position in a line of up to three blocks, often at or beside a block edge.
fn position() -> impl Strategy<Value = usize> {
    prop_oneof![
        2 => 0usize..192,
        1 => prop::sample::select(vec![0usize, 1, 62, 63, 64, 65, 126, 127, 128, 129, 191]),
    ]
}

/// Bytes that change how a block scans: line ends, non-ASCII (a 2-byte character, a lone
/// continuation byte, 0xFF, a 4-byte character), and the control bytes below 0x0E that are
/// not line ends.
fn byte_class() -> impl Strategy<Value = &'static [u8]> {
    prop::sample::select(vec![
        &b"\r"[..],
        b"\n",
        b"\r\n",
        b"\xC3\xA9",
        b"\x80",
        b"\xFF",
        b"\xF0\x9F\x98\x80",
        b"\0",
        b"\t",
        b":",
    ])
}

/// Streams laid out on the 64-byte blocks: after a comment line that puts the next line's
/// start anywhere in a block, a field whose value is exactly 64·k bytes (k = 1..=3), ended by
/// nothing, LF, CR, CRLF or a blank line (so the line end falls on the block edge, or the
/// chunk ends there), with up to four bytes replaced at positions that favour the block edges:
/// CR at 63, non-ASCII at any position of a block, and so on. A final event follows.
pub fn block_edge_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        0usize..70,
        prop::sample::select(vec!["data: ", "data:", "event: ", "id: ", ":", "retry: "]),
        1usize..=3,
        prop::collection::vec((position(), byte_class()), 0..4),
        prop::sample::select(vec![&b""[..], b"\n", b"\r", b"\r\n", b"\n\n", b"\r\r"]),
        any::<bool>(),
    )
        .prop_map(|(lead, name, blocks, edits, end, more)| {
            let mut out = Vec::new();
            if lead > 0 {
                out.push(b':');
                out.resize(lead - 1, b'c');
                out.push(b'\n');
            }
            let value_at = out.len() + name.len();
            out.extend_from_slice(name.as_bytes());
            // Digits, so that a `retry` value stays one until an edit changes it.
            out.resize(value_at + 64 * blocks, b'7');
            for (at, bytes) in edits {
                let at = value_at + at % (64 * blocks);
                let room = out.len() - at;
                out[at..at + bytes.len().min(room)]
                    .copy_from_slice(&bytes[..bytes.len().min(room)]);
            }
            out.extend_from_slice(end);
            if more {
                out.extend_from_slice(b"data: after\n\n");
            }
            out
        })
}

/// Cut points: positions taken modulo the length, in any order, repeats allowed.
pub fn cuts(max: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(any::<usize>(), 0..max)
}

/// `bytes` cut at `cuts` (see [`cuts`]).
pub fn cut(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
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

pub fn parse_pieces(pieces: &[Vec<u8>]) -> Vec<ssewire_conformance::Output> {
    let refs: Vec<&[u8]> = pieces.iter().map(Vec::as_slice).collect();
    parse_with_ssewire(&refs)
}

/// Text for data, types and ids: line ends of every kind, NUL, spaces and Unicode, often; and
/// runs of 60 to 140 letters, so values reach, fill and pass the 64-byte blocks the encoder
/// splits data by.
pub fn tricky_text() -> impl Strategy<Value = String> {
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
            "[a-z]{60,140}",
            Just("y".repeat(64)),
            any::<char>().prop_map(String::from),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

pub fn item() -> impl Strategy<Value = Item> {
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

/// Any chunking of `bytes` gives what the whole gives.
pub fn chunking_changes_nothing(bytes: &[u8], cuts: &[usize]) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        parse_pieces(&cut(bytes, cuts)),
        parse_with_ssewire(&[bytes])
    );
    Ok(())
}

/// The parser, fed `bytes` cut at `cuts`, gives what the reference model gives.
pub fn agrees_with_the_reference(bytes: &[u8], cuts: &[usize]) -> Result<(), TestCaseError> {
    prop_assert_eq!(parse_pieces(&cut(bytes, cuts)), reference::parse(bytes));
    Ok(())
}

/// `items`, encoded and parsed back cut at `cuts`, are themselves.
pub fn round_trips(items: &[Item], cuts: &[usize]) -> Result<(), TestCaseError> {
    // encode_items drops CR, LF and NUL from types and ids, so every item is encodable.
    let (bytes, expect) = encode_items(items);
    prop_assert_eq!(parse_pieces(&cut(&bytes, cuts)), expect);
    Ok(())
}
