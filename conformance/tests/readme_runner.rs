//! The README's runner example, word for word below this line (tests/readme.rs checks it).
use ssewire_conformance::{Chunkings, Output, Runner};

/// Feeds `chunks` to the parser as one stream, ends the stream, and returns what it reported:
/// `Output::event(type, data, last_event_id)` per event and `Output::Retry(ms)` per retry, in order.
fn my_parser(chunks: &[&[u8]]) -> Vec<Output> {
    // Replace with yours; this is ssewire's own parser.
    ssewire_conformance::parse_with_ssewire(chunks)
}

#[test]
fn passes_the_sse_corpus() {
    Runner::new() // narrow it with SSE_CONFORMANCE="utf8/,-hostile/"
        .chunkings(Chunkings::EXHAUSTIVE) // whole, 1/2/3/7/64-byte chunks, every split point
        .expected_failures(&[]) // cases you knowingly fail, e.g. because of a limit
        .run(my_parser)
        .assert(); // panics with a report of every failing case
}
