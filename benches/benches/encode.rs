//! Encoder throughput: every encoder in `src/peers/` beside a plain copy of the same bytes
//! (`Vec::extend_from_slice` of each event's encoding, prepared beforehand), and beside
//! `unchecked-pieces`: the same lines written piece by piece (`name: `, value, LF), data split
//! at LF with `memchr_iter`, nothing checked. It shows what writing the pieces costs; a
//! line splitter faster than `memchr_iter` (ours, on short data lines) can beat it. And beside
//! `checked-pieces`: the same pieces with the checks an encoder must make, done the plain way.
//!
//! Before timing, each encoder's output is parsed back with `ssewire-parser` and must give the
//! workload's events; an encoder that refuses an item, whose output parses differently, or whose
//! time grows worse than linearly with the number of events is not timed (reason in
//! `target/criterion/not-timed.tsv`).

use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ssewire_benches::peers::{encoders, ssewire::Events};
use ssewire_benches::record_not_timed;
use ssewire_benches::{workloads, Counts, EncodeItem, SseParser};

fn parsed(bytes: &[u8]) -> Counts {
    let mut counts = Counts::default();
    Events::parse(&[bytes::Bytes::copy_from_slice(bytes)], &mut counts);
    counts
}

/// The pieces every encoder writes (`name: `, the value, LF; data split at LF, found with
/// memchr), with nothing an encoder must check: no CR, LF or NUL refused in the type or ID, no
/// CR split in data. One reservation per event, as ours makes. Only for items whose output that
/// is (checked against the workload before timing).
fn unchecked_pieces(items: &[EncodeItem], out: &mut Vec<u8>) {
    fn line(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
        out.extend_from_slice(name);
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    for item in items {
        let event = item.event.as_deref().unwrap_or_default().as_bytes();
        let id = item.id.as_deref().unwrap_or_default().as_bytes();
        let data = item.data.as_deref().unwrap_or_default().as_bytes();
        out.reserve(event.len() + id.len() + data.len() + 32);
        if item.event.is_some() {
            line(out, b"event: ", event);
        }
        if item.id.is_some() {
            line(out, b"id: ", id);
        }
        if item.data.is_some() {
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', data) {
                line(out, b"data: ", &data[start..end]);
                start = end + 1;
            }
            line(out, b"data: ", &data[start..]);
        }
        out.push(b'\n');
    }
}

/// `unchecked-pieces` plus what an encoder must check, each done the plain way: the type
/// and ID refused when they hold CR or LF (the ID also NUL), data split at CR, LF and CRLF
/// alike (`memchr2`), an empty value written as `name:` alone. Refusals are counted, not
/// raised: the workloads have none (checked before timing). So the run shows what those checks
/// cost against the pieces alone, as `checked-lines` does for parsing.
fn checked_pieces(items: &[EncodeItem], out: &mut Vec<u8>) -> usize {
    fn line(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
        match value.is_empty() {
            true => out.extend_from_slice(&name[..name.len() - 1]),
            false => {
                out.extend_from_slice(name);
                out.extend_from_slice(value);
            }
        }
        out.push(b'\n');
    }
    let mut refused = 0;
    for item in items {
        let event = item.event.as_deref().unwrap_or_default().as_bytes();
        let id = item.id.as_deref().unwrap_or_default().as_bytes();
        let data = item.data.as_deref().unwrap_or_default().as_bytes();
        if memchr::memchr2(b'\r', b'\n', event).is_some()
            || memchr::memchr3(b'\r', b'\n', 0, id).is_some()
        {
            refused += 1;
            continue;
        }
        out.reserve(event.len() + id.len() + data.len() + 32);
        if item.event.is_some() {
            line(out, b"event: ", event);
        }
        if item.id.is_some() {
            line(out, b"id: ", id);
        }
        if item.data.is_some() {
            let mut start = 0;
            let mut ends = memchr::memchr2_iter(b'\r', b'\n', data);
            while let Some(end) = ends.next() {
                line(out, b"data: ", &data[start..end]);
                start = end + 1;
                // A CRLF is one line end.
                if data[end] == b'\r' && data.get(start) == Some(&b'\n') {
                    ends.next();
                    start += 1;
                }
            }
            line(out, b"data: ", &data[start..]);
        }
        out.push(b'\n');
    }
    refused
}

fn encode(c: &mut Criterion) {
    for workload in workloads::encode_all() {
        let group_name = format!("encode/{}", workload.name);
        let mut group = c.benchmark_group(&group_name);
        group.throughput(Throughput::Bytes(workload.expected.len() as u64));
        let expected = parsed(&workload.expected);
        assert_eq!(expected.events, workload.items.len() as u64);

        // The baseline: each event's exact bytes, copied.
        let pieces: Vec<Vec<u8>> = workload
            .items
            .iter()
            .map(|item| {
                let mut one = Vec::new();
                <ssewire_benches::peers::ssewire::Encoder as ssewire_benches::SseEncoder>::encode(
                    std::slice::from_ref(item),
                    &mut one,
                )
                .expect("ours encodes the workload");
                one
            })
            .collect();
        // Checked here, not after the timing: a criterion filter may skip the timing.
        assert_eq!(
            pieces.concat(),
            workload.expected,
            "the baseline copies the same bytes"
        );
        let mut out = Vec::with_capacity(workload.expected.len() * 2);
        group.bench_function("copy", |b| {
            b.iter(|| {
                out.clear();
                for piece in black_box(&pieces) {
                    out.extend_from_slice(piece);
                }
                out.len()
            })
        });

        out.clear();
        unchecked_pieces(&workload.items, &mut out);
        assert!(
            out == workload.expected,
            "unchecked-pieces writes the same bytes"
        );
        group.bench_function("unchecked-pieces", |b| {
            b.iter(|| {
                out.clear();
                unchecked_pieces(black_box(&workload.items), &mut out);
                out.len()
            })
        });

        out.clear();
        let refused = checked_pieces(&workload.items, &mut out);
        assert!(
            refused == 0 && out == workload.expected,
            "checked-pieces writes the same bytes"
        );
        group.bench_function("checked-pieces", |b| {
            b.iter(|| {
                out.clear();
                checked_pieces(black_box(&workload.items), &mut out);
                out.len()
            })
        });

        for encoder in encoders() {
            // A quarter of the items must not take much over 4x the time of a sixteenth: an
            // encoder that grows worse than linearly would take minutes per sample.
            let time = |items: &[ssewire_benches::EncodeItem]| {
                let mut scratch = Vec::new();
                let start = std::time::Instant::now();
                let _ = (encoder.encode)(items, &mut scratch);
                start.elapsed()
            };
            let items = &workload.items;
            let (small, large) = (
                time(&items[..items.len() / 16]),
                time(&items[..items.len() / 4]),
            );
            if large > small * 8 && large.as_millis() > 50 {
                record_not_timed(
                    &group_name,
                    encoder.name,
                    &format!(
                        "superlinear: {} items took {large:?}, {} items {small:?}",
                        items.len() / 4,
                        items.len() / 16
                    ),
                );
                continue;
            }
            out.clear();
            if let Err(reason) = (encoder.encode)(&workload.items, &mut out) {
                assert!(!encoder.krate.starts_with("ssewire"), "{reason}");
                record_not_timed(&group_name, encoder.name, &format!("refused: {reason}"));
                continue;
            }
            let got = parsed(&out);
            if got != expected {
                let reason = format!("its output parses to {got:?}, not {expected:?}");
                assert!(!encoder.krate.starts_with("ssewire"), "{reason}");
                record_not_timed(&group_name, encoder.name, &reason);
                continue;
            }
            group.bench_function(encoder.name, |b| {
                b.iter(|| {
                    out.clear();
                    (encoder.encode)(black_box(&workload.items), &mut out).map(|()| out.len())
                })
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
    targets = encode
}
criterion_main!(benches);
