//! The scan's kernels (SSE2 or SWAR everywhere, AVX2 where the CPU has it) must give the
//! parser the same steps. The public API uses the one the CPU runs, so the others are reached
//! here, through the bodies the dispatch calls. And the fast paths must be taken on the inputs
//! they exist for: turned off, they would change speed, not steps.
use super::fast::taken;
use super::*;
use crate::scan::swar::Swar;
use crate::scan::Baseline;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// What a stream yields, chunk by chunk: each step and error, and the last event ID and
/// reconnection time after every chunk.
type Trace = Vec<String>;

fn note_chunk_end(parser: &Parser, trace: &mut Trace) {
    trace.push(format!(
        "end id={:?} retry={:?}",
        parser.last_event_id(),
        parser.reconnection_time()
    ));
}

fn through_feed<K: Kernel>(limits: Limits, kernel: Option<K>, chunks: &[&[u8]]) -> Trace {
    let mut parser = Parser::with_limits(limits);
    let mut trace = Trace::new();
    for chunk in chunks {
        let mut rest = *chunk;
        loop {
            let (step, used) = match kernel {
                Some(kernel) => parser.feed_with(Scan::with_kernel(rest, kernel)),
                None => parser.feed(rest),
            };
            rest = &rest[used..];
            match step {
                Ok(Step::NeedInput) => break,
                step => trace.push(format!("{step:?}")),
            }
        }
        note_chunk_end(&parser, &mut trace);
    }
    trace
}

fn through_feed_each<K: Kernel>(limits: Limits, kernel: Option<K>, chunks: &[&[u8]]) -> Trace {
    let mut parser = Parser::with_limits(limits);
    let mut trace = Trace::new();
    for chunk in chunks {
        let each = |step: Result<Step<'_>, LimitExceeded>| trace.push(format!("{step:?}"));
        match kernel {
            Some(kernel) => parser.feed_each_with(Scan::with_kernel(chunk, kernel), each),
            None => parser.feed_each(chunk, each),
        }
        note_chunk_end(&parser, &mut trace);
    }
    trace
}

/// A stream of SSE-shaped pieces: every field, comments, lines of every length around the
/// 64-byte blocks (and past them), all three line ends, non-ASCII, invalid UTF-8 and NUL.
fn stream(seed: u64) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"data: ",
        b"data:",
        b"id: ",
        b"event: ",
        b"retry: 1500",
        b"retry: 15x",
        b": keep-alive",
        b"dat",
        b"\xC3\xA9t\xC3\xA9",
        b"\xFF\xFE",
        b"\0",
        b"\n",
        b"\n",
        b"\n\n",
        b"\r",
        b"\r\n",
        b"\r\n\r\n",
        b"{\"k\":1}",
    ];
    let mut state = seed | 1;
    let mut out = Vec::new();
    for _ in 0..120 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        match state % 24 {
            n if (n as usize) < PIECES.len() => out.extend_from_slice(PIECES[n as usize]),
            // Runs of plain text that end inside, at and past block edges.
            n => {
                out.extend(core::iter::repeat(b'x').take((state >> 8) as usize % 200 + n as usize))
            }
        }
    }
    out
}

#[test]
fn every_kernel_gives_the_steps_of_the_public_api_at_every_chunking() {
    let avx2 = crate::scan::avx2_for_tests();
    if avx2.is_none() {
        // Nothing to compare the baseline with; the public API runs the baseline here.
        std::eprintln!("this CPU has no AVX2: only the baseline kernel is checked");
    }
    // Under Miri (scripts/miri.sh), a few streams at a few chunkings: it checks memory, not
    // arithmetic, and the full sweep would take it hours.
    let seeds = if cfg!(miri) { 1..2u64 } else { 1..60u64 };
    for seed in seeds {
        let bytes = stream(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for limits in [
            Limits::default(),
            Limits::default()
                .max_line_bytes(150)
                .max_event_data_bytes(400),
        ] {
            let sizes = match cfg!(miri) {
                true => vec![64, bytes.len().max(1)],
                false => vec![1, 3, 16, 63, 64, 65, 200, bytes.len().max(1)],
            };
            for size in sizes {
                let chunks: Vec<&[u8]> = bytes.chunks(size).collect();
                let public = through_feed::<Baseline>(limits, None, &chunks);
                assert_eq!(
                    through_feed(limits, Some(Baseline), &chunks),
                    public,
                    "feed, baseline, seed {seed}, chunks of {size}"
                );
                let public_each = through_feed_each::<Baseline>(limits, None, &chunks);
                assert_eq!(
                    through_feed_each(limits, Some(Baseline), &chunks),
                    public_each,
                    "feed_each, baseline, seed {seed}, chunks of {size}"
                );
                // SWAR has no unsafe code for Miri to check, and takes it minutes.
                if !cfg!(miri) {
                    assert_eq!(
                        through_feed(limits, Some(Swar), &chunks),
                        public,
                        "feed, SWAR, seed {seed}, chunks of {size}"
                    );
                    assert_eq!(
                        through_feed_each(limits, Some(Swar), &chunks),
                        public_each,
                        "feed_each, SWAR, seed {seed}, chunks of {size}"
                    );
                }
                if let Some(avx2) = avx2 {
                    assert_eq!(
                        through_feed(limits, Some(avx2), &chunks),
                        public,
                        "feed, AVX2, seed {seed}, chunks of {size}"
                    );
                    assert_eq!(
                        through_feed_each(limits, Some(avx2), &chunks),
                        public_each,
                        "feed_each, AVX2, seed {seed}, chunks of {size}"
                    );
                }
            }
        }
    }
}

/// (blocks, lines) the fast paths took while `run` ran on this thread.
fn fast_paths_taken(run: impl FnOnce()) -> (usize, usize) {
    let before = taken::get();
    run();
    let after = taken::get();
    (after.0 - before.0, after.1 - before.1)
}

#[test]
fn whole_blocks_inside_a_chunk_take_the_block_fast_path() {
    // Ten ordinary blocks (data, event, id, a comment), one short and one past a 64-byte block.
    let mut input = Vec::new();
    for i in 0..10 {
        let data = "x".repeat(if i % 2 == 0 { 5 } else { 150 });
        input.extend_from_slice(format!(": c\nevent: e\nid: {i}\ndata: {data}\n\n").as_bytes());
    }
    let chunks: &[&[u8]] = &[&input];
    let limits = Limits::default();
    for (each, name) in [(false, "feed"), (true, "feed_each")] {
        let mut trace = Trace::new();
        let taken = fast_paths_taken(|| {
            trace = match each {
                true => through_feed_each(limits, Some(Baseline), chunks),
                false => through_feed(limits, Some(Baseline), chunks),
            };
        });
        assert_eq!(trace.len(), 11, "{name}: ten events and the chunk's end");
        assert_eq!(taken, (10, 0), "{name}");
    }
    let swar = fast_paths_taken(|| drop(through_feed_each(limits, Some(Swar), chunks)));
    assert_eq!(swar, (10, 0), "SWAR");
    if let Some(avx2) = crate::scan::avx2_for_tests() {
        let avx2 = fast_paths_taken(|| drop(through_feed_each(limits, Some(avx2), chunks)));
        assert_eq!(avx2, (10, 0), "AVX2");
    }
}

#[test]
fn lines_of_a_block_begun_in_an_earlier_chunk_take_the_line_fast_path() {
    // The block's first line is carried across the chunks, so the block path cannot take the
    // rest; its three complete lines then go one at a time through the line path, the blank
    // line included, and the next whole block through the block path again.
    let chunks: &[&[u8]] = &[b"data: be", b"gun\ndata: b\nevent: t\n\ndata: next\n\n"];
    let mut trace = Trace::new();
    let (blocks, lines) = fast_paths_taken(|| {
        trace = through_feed(Limits::default(), Some(Baseline), chunks);
    });
    assert_eq!((blocks, lines), (1, 3));
    assert!(trace[1].contains("\"begun\\nb\""), "{trace:?}");
    // A line past the line limit is not the fast paths': the block path gives up on the block,
    // the line path takes the line before it and leaves it to the general path. (The first
    // chunk, a blank line, gets the stream's start, where a BOM may be, past the general path.)
    let limits = Limits::default().max_line_bytes(8);
    let (blocks, lines) = fast_paths_taken(|| {
        through_feed(
            limits,
            Some(Baseline),
            &[b"\n", b"data: a\ndata: far too long\n\n"],
        );
    });
    assert_eq!((blocks, lines), (0, 1));
}

#[test]
fn lines_and_data_exactly_at_their_limits_stay_on_the_fast_paths() {
    // The limits are inclusive: a 16-byte line under a 16-byte line limit, and 10 bytes of data
    // under a 10-byte data limit, are the fast paths' to take, wherever they sit in the chunk.
    let limits = Limits::default()
        .max_line_bytes(16)
        .max_event_data_bytes(10);
    let block = b"data: 0123456789\n\n";
    let mut blocks_input = Vec::new();
    for _ in 0..5 {
        blocks_input.extend_from_slice(block);
    }
    let mut trace = Trace::new();
    let taken = fast_paths_taken(|| {
        trace = through_feed_each(limits, Some(Baseline), &[&b"\n"[..], &blocks_input[..]]);
    });
    assert_eq!(taken, (5, 0), "{trace:?}");
    assert!(trace.iter().all(|step| !step.contains("Err")), "{trace:?}");
    // The line path, after a carried line: the 16-byte line (not at the chunk's start) and the
    // blank line.
    let limits = Limits::default().max_line_bytes(16);
    let chunks: &[&[u8]] = &[b"\n", b"data: a", b"\ndata: 0123456789\n\n"];
    let taken = fast_paths_taken(|| trace = through_feed(limits, Some(Baseline), chunks));
    assert_eq!(taken, (0, 2), "{trace:?}");
    assert!(
        trace.iter().any(|step| step.contains("a\\n0123456789")),
        "{trace:?}"
    );
}

#[test]
fn a_chunk_that_ends_where_a_block_ends_never_reaches_the_general_path() {
    // What model-token streams send: one event per chunk. Every chunk ends at a blank line, so
    // `feed_each` has nothing to hand `step` (which would only find no line and return).
    // Keep-alive comments and ID-only blocks between them dispatch nothing, and stay on the
    // block path too.
    let chunks: Vec<Vec<u8>> = (0..20)
        .map(|i| match i % 5 {
            3 => b": keep-alive\n\n".to_vec(),
            4 => format!("id: {i}\n\ndata: {{\"token\":\"t{i}\"}}\n\n").into_bytes(),
            _ => format!("data: {{\"token\":\"t{i}\"}}\n\n").into_bytes(),
        })
        .collect();
    let mut parser = Parser::new();
    // The first chunk goes the general way: a stream's start, where a BOM may be.
    parser.feed_each(b"\n", |_| {});
    let (before, mut events) = (taken::general(), 0);
    for chunk in &chunks {
        parser.feed_each(chunk, |step| {
            assert!(matches!(step, Ok(Step::Event(_))), "{step:?}");
            events += 1;
        });
    }
    assert_eq!(events, 16);
    assert_eq!(parser.last_event_id(), "19");
    assert_eq!(
        taken::general() - before,
        0,
        "a whole-block chunk went to the general path"
    );
    // A chunk that ends inside a line, and the one that ends it, do go there.
    let before = taken::general();
    for chunk in [&b"data: a\n\ndata: b"[..], b"c\n\n"] {
        parser.feed_each(chunk, |_| {});
    }
    assert_eq!(taken::general() - before, 2);
}
