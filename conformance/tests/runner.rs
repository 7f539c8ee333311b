//! The runner itself can fail: broken parsers are caught, under the chunkings that break them.

use ssewire_conformance::{parse_with_ssewire, Chunkings, Output, Runner, Verdict};

/// A parser that forgets everything between chunks: right on whole input, wrong when split.
fn restarting_parser(chunks: &[&[u8]]) -> Vec<Output> {
    chunks
        .iter()
        .flat_map(|chunk| parse_with_ssewire(&[chunk]))
        .collect()
}

#[test]
fn a_parser_that_restarts_at_every_chunk_passes_whole_input_only() {
    let whole = Runner::new()
        .filter("")
        .chunkings(Chunkings::WHOLE)
        .run(restarting_parser);
    assert_eq!(whole.failed(), 0, "{whole}");
    let split = Runner::new()
        .filter("")
        .chunkings(Chunkings::EXHAUSTIVE)
        .run(restarting_parser);
    assert!(split.failed() > 200, "only {} failed", split.failed());
    let report = split.to_string();
    assert!(report.contains("FAIL data/single-line"), "{report}");
    assert!(report.ends_with(&format!(
        "{} passed, {} failed\n",
        split.passed(),
        split.failed()
    )));
}

#[test]
fn a_cr_lf_split_is_caught_by_every_split_point() {
    // Treats a CR that ends a chunk and an LF that opens the next as two line ends.
    let naive = |chunks: &[&[u8]]| {
        let mut joined = Vec::new();
        for (n, chunk) in chunks.iter().enumerate() {
            joined.extend_from_slice(chunk);
            if chunk.ends_with(b"\r") && n + 1 < chunks.len() {
                joined.push(b'\r');
            }
        }
        parse_with_ssewire(&[&joined])
    };
    let report = Runner::new()
        .filter("line-endings/")
        .chunkings(Chunkings::WHOLE.every_split_up_to(4096))
        .run(naive);
    assert!(report.failed() >= 3, "{report}");
    for result in &report.results {
        if let Verdict::Fail { chunking, .. } = &result.verdict {
            assert_ne!(chunking, "whole input", "{}", result.case.name);
        }
    }
}

#[test]
fn a_panicking_parser_is_a_crash_and_the_run_goes_on() {
    let report = Runner::new()
        .filter("id/,retry/")
        .chunkings(Chunkings::WHOLE)
        .run(|chunks| {
            assert!(!chunks[0].starts_with(b"id"), "boom");
            parse_with_ssewire(chunks)
        });
    let crashes = report
        .results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Crash { .. }))
        .count();
    assert!(crashes > 0);
    assert!(report.passed() > 20, "the other cases still ran");
    assert!(report.to_string().contains("panic: boom"));
}

#[test]
fn expected_failures_do_not_fail_the_run_until_they_pass() {
    let report = Runner::new()
        .filter("retry/zero-value,retry/digits-set-reconnection-time")
        .expected_failures(&["retry/zero-value"])
        .chunkings(Chunkings::WHOLE)
        .run(|chunks| {
            let out = parse_with_ssewire(chunks);
            if out == [Output::Retry(0)] {
                Vec::new()
            } else {
                out
            }
        });
    assert_eq!((report.passed(), report.failed()), (1, 0), "{report}");
    report.assert();
    let passing = Runner::new()
        .filter("retry/zero-value")
        .expected_failures(&["retry/zero-value"])
        .chunkings(Chunkings::WHOLE)
        .run(parse_with_ssewire);
    assert_eq!(passing.results[0].verdict, Verdict::UnexpectedPass);
    assert_eq!(passing.failed(), 1);
}

#[test]
fn a_filter_that_admits_nothing_fails_the_assertion() {
    let report = Runner::new()
        .filter("no-such-area/")
        .run(parse_with_ssewire);
    assert!(std::panic::catch_unwind(|| report.assert()).is_err());
}
