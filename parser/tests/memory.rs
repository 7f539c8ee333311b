//! Memory: no allocation per event on the hot path, and flat memory on endless hostile input.
//! (A test binary of its own, because it installs a counting global allocator.)

use ssewire_parser::{Limits, Parser, Step};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

// The allocator counts every thread, and libtest allocates as it starts test threads; so this
// binary has no harness (`harness = false`) and runs its checks one after another in `main`.
fn main() {
    let checks: [(&str, fn()); 5] = [
        (
            "parsing_events_allocates_nothing_once_warm",
            parsing_events_allocates_nothing_once_warm,
        ),
        (
            "single_line_events_in_64k_chunks_allocate_only_for_events_that_straddle_a_chunk",
            single_line_events_in_64k_chunks_allocate_only_for_events_that_straddle_a_chunk,
        ),
        (
            "an_endless_line_holds_at_most_the_line_cap",
            an_endless_line_holds_at_most_the_line_cap,
        ),
        (
            "an_endless_comment_or_unknown_field_holds_nothing",
            an_endless_comment_or_unknown_field_holds_nothing,
        ),
        (
            "a_long_line_grows_its_buffer_geometrically",
            a_long_line_grows_its_buffer_geometrically,
        ),
    ];
    for (name, check) in checks {
        check();
        println!("test {name} ... ok");
    }
    println!("\ntest result: ok. {} passed; 0 failed", checks.len());
}

fn feed_all(parser: &mut Parser, chunk: &[u8]) -> (usize, usize) {
    let (mut events, mut errors) = (0, 0);
    parser.feed_each(chunk, |step| match step {
        Ok(Step::Event(_)) => events += 1,
        Ok(_) => {}
        Err(_) => errors += 1,
    });
    (events, errors)
}

fn parsing_events_allocates_nothing_once_warm() {
    let single: Vec<u8> = b"id: 12345\nevent: update\ndata: {\"price\": 1.5}\n\n".repeat(10_000);
    let multi: Vec<u8> = b"data: line one\ndata: line two\n\n".repeat(10_000);
    let mut parser = Parser::new();
    // Warm up: the id, data and carry buffers reach their working size once. (A data line
    // carried across chunks swaps the carry and data buffers, so both must be warm.)
    for input in [&single, &multi] {
        feed_all(&mut parser, &input[..1000]);
        feed_all(&mut parser, input);
    }
    for input in [&single, &multi] {
        let region = Region::new(GLOBAL);
        let (events, _) = feed_all(&mut parser, input);
        let change = region.change();
        assert_eq!(events, 10_000);
        assert_eq!(
            (change.allocations, change.reallocations),
            (0, 0),
            "{change:?}"
        );
    }
}

fn single_line_events_in_64k_chunks_allocate_only_for_events_that_straddle_a_chunk() {
    let input: Vec<u8> = b"data: {\"price\": 1.5, \"qty\": 10}\n\n".repeat(20_000);
    let mut parser = Parser::new();
    feed_all(&mut parser, &input[..1000]);
    parser.finish();
    let region = Region::new(GLOBAL);
    let mut events = 0;
    for chunk in input.chunks(64 * 1024) {
        events += feed_all(&mut parser, chunk).0;
    }
    let change = region.change();
    assert_eq!(events, 20_000);
    // Straddling events copy into buffers whose capacity is then reused: a handful at most.
    assert!(change.allocations + change.reallocations <= 4, "{change:?}");
}

/// Bytes live on the heap now, relative to when `region` began (stats_alloc already counts a
/// realloc's growth or shrinkage in `bytes_allocated` / `bytes_deallocated`).
fn live(region: &Region<'_, System>) -> isize {
    let change = region.change();
    change.bytes_allocated as isize - change.bytes_deallocated as isize
}

fn an_endless_line_holds_at_most_the_line_cap() {
    let cap = 1 << 20;
    let mut parser = Parser::with_limits(Limits::default().max_line_bytes(cap));
    let chunk = vec![b'x'; 64 * 1024];
    let region = Region::new(GLOBAL);
    let (mut peak, mut errors) = (0, 0);
    let _ = feed_all(&mut parser, b"data: ");
    for _ in 0..1024 {
        // 64 MiB of one line, no line end.
        errors += feed_all(&mut parser, &chunk).1;
        peak = peak.max(live(&region));
    }
    assert_eq!(errors, 1, "one error for the one line");
    // The carry never grows past the cap, and is released after the error.
    assert!(peak <= cap as isize, "peak {peak} bytes");
    assert!(live(&region) <= 4096, "{} bytes still held", live(&region));
}

fn an_endless_comment_or_unknown_field_holds_nothing() {
    let mut parser = Parser::new();
    let chunk = vec![b'x'; 64 * 1024];
    for start in [&b":"[..], b"unknown-field-name: "] {
        let region = Region::new(GLOBAL);
        let mut peak = 0;
        let _ = feed_all(&mut parser, start);
        for _ in 0..1024 {
            assert_eq!(feed_all(&mut parser, &chunk), (0, 0));
            peak = peak.max(live(&region));
        }
        assert!(peak <= 64, "peak {peak} bytes for 64 MiB of {start:?}…");
        parser.finish();
    }
}

fn a_long_line_grows_its_buffer_geometrically() {
    // 1 MiB of one data line in 256 chunks: doubling needs about log2(256) = 8 reallocations,
    // growing chunk by chunk would need 256 (and copy the line over and over).
    let mut parser = Parser::new();
    let chunk = vec![b'x'; 4096];
    let region = Region::new(GLOBAL);
    let _ = feed_all(&mut parser, b"data: ");
    for _ in 0..256 {
        feed_all(&mut parser, &chunk);
    }
    assert_eq!(feed_all(&mut parser, b"\n\n"), (1, 0));
    let change = region.change();
    assert!(
        change.allocations + change.reallocations <= 16,
        "{change:?}"
    );
}
