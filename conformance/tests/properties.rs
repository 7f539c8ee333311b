//! Properties over generated input: chunking invariance, agreement with the reference model,
//! encoder round trips and refusals. Failures proptest finds are kept in
//! `proptest-regressions/properties.txt` and replayed first on every run.

mod generators;

use generators::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use ssewire_conformance::{reference, Output};
use ssewire_encoder::{Event, EventId, EventType};

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(1000), ..ProptestConfig::default() })]

    #[test]
    fn any_chunking_gives_what_the_whole_input_gives(bytes in sse_bytes(), cuts in cuts(8)) {
        chunking_changes_nothing(&bytes, &cuts)?;
    }

    #[test]
    fn the_parser_agrees_with_the_reference_model(bytes in sse_bytes(), cuts in cuts(4)) {
        agrees_with_the_reference(&bytes, &cuts)?;
    }

    #[test]
    fn lines_laid_on_block_edges_parse_as_the_reference_model_at_any_chunking(bytes in block_edge_bytes(), cuts in cuts(4)) {
        agrees_with_the_reference(&bytes, &cuts)?;
        chunking_changes_nothing(&bytes, &cuts)?;
    }

    #[test]
    fn encoded_events_parse_back_to_themselves(items in prop::collection::vec(item(), 0..8), cuts in cuts(6)) {
        round_trips(&items, &cuts)?;
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

/// `count` values of `strategy`, drawn with proptest's fixed seed (deterministic).
fn sample<S: Strategy>(strategy: S, count: usize) -> Vec<S::Value> {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    (0..count)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

/// The lines of `bytes`, each with its start, split at CR, LF and CRLF.
fn lines(bytes: &[u8]) -> Vec<(usize, &[u8])> {
    let (mut out, mut start, mut at) = (Vec::new(), 0, 0);
    while at < bytes.len() {
        if bytes[at] == b'\n' || bytes[at] == b'\r' {
            out.push((start, &bytes[start..at]));
            at += 1 + usize::from(bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n'));
            start = at;
        } else {
            at += 1;
        }
    }
    out.push((start, &bytes[start..]));
    out
}

#[test]
// Thousands of draws: minutes under Miri, which has no memory to check in them.
#[cfg_attr(miri, ignore)]
fn the_generators_reach_every_shape_the_block_kernels_treat_apart() {
    // The kernels work on 64-byte blocks: a property only proves them if its inputs reach the
    // block edges, the long-line skip, and non-ASCII bytes in every lane.
    let streams = sample(sse_bytes(), 1000);
    let long = streams
        .iter()
        .flat_map(|s| lines(s))
        .filter(|(_, line)| line.len() >= 128)
        .count();
    assert!(long >= 20, "{long} lines of 128 bytes or more");

    let laid = sample(block_edge_bytes(), 3000);
    // A line start, a field name's length, then a value of 64·k bytes: found by its value,
    // digits from a 64-multiple offset after the name.
    let (mut ended_at_edge, mut unended_at_edge, mut cr_at_63) = (0, 0, 0);
    let mut high_lanes = [false; 64];
    for bytes in &laid {
        for (i, &byte) in bytes.iter().enumerate() {
            if byte >= 0x80 {
                high_lanes[i % 64] = true;
            }
        }
        for (start, line) in lines(bytes) {
            let value = line.iter().position(|&b| b == b'7').unwrap_or(line.len());
            let value_len = line.len() - value;
            if value_len > 0 && value_len % 64 == 0 && line[value..].iter().all(|&b| b == b'7') {
                match bytes.len() > start + line.len() {
                    true => ended_at_edge += 1,
                    false => unended_at_edge += 1,
                }
            }
            if line.len() >= 63
                && bytes.get(start + value + 63) == Some(&b'\r')
                && value < line.len()
            {
                cr_at_63 += 1;
            }
        }
    }
    assert!(
        ended_at_edge >= 50,
        "{ended_at_edge} 64·k-byte values ended at their edge"
    );
    assert!(
        unended_at_edge >= 10,
        "{unended_at_edge} 64·k-byte values ending the input"
    );
    assert!(cr_at_63 >= 10, "{cr_at_63} values with CR at their byte 63");
    let missing: Vec<usize> = (0..64).filter(|&lane| !high_lanes[lane]).collect();
    assert!(
        missing.is_empty(),
        "no non-ASCII byte at block offsets {missing:?}"
    );

    let values = sample(tricky_text(), 500);
    let block_sized = values.iter().filter(|v| v.len() >= 64).count();
    assert!(
        block_sized >= 100,
        "{block_sized} values of 64 bytes or more"
    );
}
