//! Parser throughput: every implementation in `src/peers/` on every workload, beside the
//! `memchr` line-feed count over the same chunks (the baseline: one scan that counts
//! line ends) and four reference loops that are not parsers (`src/references/`): `memchr-each`,
//! the same search visiting every line end; `minimal-lines`, which does the least these
//! workloads need; `block-lines`, the same least work on lines found through a mask per 64-byte
//! block; and `checked-lines`, `block-lines` plus every check the spec asks, done the plain way
//! (it passes the whole corpus), so the run shows what those checks cost.
//!
//! Each implementation's counts are checked before it is timed; a peer that dispatches a
//! different number of events (or data bytes), or panics, is not timed, and the reason is
//! written to `target/criterion/not-timed.tsv` for the report. Ours must match or this panics.
//!
//! `SSEWIRE_BENCH_ONLY=name,name` limits the implementations (the baseline always runs).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ssewire_benches::peers::parsers;
use ssewire_benches::record_not_timed;
use ssewire_benches::references::checked::CheckedLines;
use ssewire_benches::references::{block_lines, each_line_end, minimal_lines};
use ssewire_benches::{workloads, Counts, SseParser};

/// A reference loop over a workload's chunks.
type Reference = fn(&[bytes::Bytes]) -> Counts;

/// `checked-lines` (`src/references/checked.rs`) counting, as the other references do.
fn checked_lines(chunks: &[bytes::Bytes]) -> Counts {
    let mut counts = Counts::default();
    CheckedLines::parse(chunks, &mut counts);
    counts
}

fn selected(name: &str) -> bool {
    match std::env::var("SSEWIRE_BENCH_ONLY") {
        Ok(list) => list.split(',').any(|n| n == name),
        Err(_) => true,
    }
}

fn parse(c: &mut Criterion) {
    for workload in workloads::all() {
        let chunks = workload.chunks();
        let group_name = format!("parse/{}", workload.name);
        let mut group = c.benchmark_group(&group_name);
        group.throughput(Throughput::Bytes(workload.bytes.len() as u64));

        let line_feeds: u64 = chunks
            .iter()
            .map(|chunk| memchr::memchr_iter(b'\n', chunk).count() as u64)
            .sum();
        assert_eq!(line_feeds, workload.line_feeds, "the baseline's count");
        group.bench_function("memchr", |b| {
            b.iter(|| {
                black_box(&chunks)
                    .iter()
                    .map(|chunk| memchr::memchr_iter(b'\n', chunk).count())
                    .sum::<usize>()
            })
        });

        assert_eq!(each_line_end(&chunks).0, line_feeds, "memchr-each's count");
        group.bench_function("memchr-each", |b| {
            b.iter(|| each_line_end(black_box(&chunks)))
        });

        let references: [(&str, Reference); 3] = [
            ("minimal-lines", minimal_lines),
            ("block-lines", block_lines),
            (CheckedLines::NAME, checked_lines),
        ];
        for (name, reference) in references {
            let counts = reference(&chunks);
            assert_eq!(
                (counts.events, counts.data_bytes),
                (workload.events, workload.data_bytes),
                "{name} handles every workload"
            );
            group.bench_function(name, |b| b.iter(|| reference(black_box(&chunks))));
        }

        for parser in parsers().into_iter().filter(|p| selected(p.name)) {
            let ours = parser.krate.starts_with("ssewire");
            match catch_unwind(AssertUnwindSafe(|| (parser.count)(&chunks))) {
                Ok(counts)
                    if counts.events == workload.events
                        && counts.data_bytes == workload.data_bytes => {}
                Ok(counts) => {
                    let reason = format!(
                        "reported {} events with {} data bytes; the stream has {} events with {}",
                        counts.events, counts.data_bytes, workload.events, workload.data_bytes
                    );
                    assert!(!ours, "{}: {reason}", parser.name);
                    record_not_timed(&group_name, parser.name, &reason);
                    continue;
                }
                Err(_) => {
                    assert!(!ours, "{} panicked", parser.name);
                    record_not_timed(&group_name, parser.name, "panicked");
                    continue;
                }
            }
            group.bench_function(parser.name, |b| {
                b.iter(|| (parser.count)(black_box(&chunks)))
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = parse
}
criterion_main!(benches);
