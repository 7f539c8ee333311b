//! `sse-conformance` end to end, as other implementations meet it: the adapter protocol and
//! the runner's verdicts on good and broken adapters.

use std::time::Duration;

use ssewire_conformance::process::{self, AdapterRun, Verdict};
use ssewire_conformance::Case;

fn own_adapter() -> String {
    format!("'{}' adapter", env!("CARGO_BIN_EXE_sse-conformance"))
}

fn settings(command: &str, chunk_sizes: Vec<Option<usize>>) -> AdapterRun {
    AdapterRun {
        command: command.into(),
        chunk_sizes,
        timeout: Duration::from_secs(20),
        jobs: 2,
        expected_failures: Vec::new(),
    }
}

#[test]
fn our_adapter_passes_every_case_at_chunk_sizes_1_2_3_7_64_and_whole() {
    let cases: Vec<&Case> = Case::all().iter().collect();
    let sizes = vec![None, Some(1), Some(2), Some(3), Some(7), Some(64)];
    let report = process::run(&settings(&own_adapter(), sizes), &cases);
    assert_eq!(report.failed(), 0, "{}", report.text);
    assert!(report
        .text
        .ends_with(&format!("{} passed, 0 failed\n", cases.len())));
}

#[test]
fn our_encoder_passes_every_round_trip_and_refusal() {
    let cases: Vec<&Case> = Case::all().iter().collect();
    let checks = process::encode_checks(&cases);
    assert!(checks.iter().filter(|c| c.refuse_last).count() == 5);
    let (text, failed) = process::run_encode(&settings(&own_adapter(), vec![None]), &checks);
    assert_eq!(failed, 0, "{text}");
}

fn verdict_of(command: &str, case: &str) -> Verdict {
    let mut run = settings(command, vec![None]);
    run.timeout = Duration::from_millis(500);
    let report = process::run(&run, &[Case::find(case).unwrap()]);
    report.outcomes[0].verdict.clone()
}

#[test]
fn broken_adapters_get_the_verdict_they_earn() {
    let case = "data/two-lines-joined-by-lf";
    // Echoing the stream back is not protocol output.
    assert!(
        matches!(verdict_of("cat", case), Verdict::Crash(why) if why.starts_with("not a JSON line"))
    );
    // Reporting nothing loses the event.
    assert!(matches!(
        verdict_of("cat >/dev/null; echo '{\"comment\":\"x\"}'", case),
        Verdict::Fail(_)
    ));
    // Exiting non-zero, or hanging, is a crash or a timeout whatever was printed.
    let own = own_adapter();
    assert!(
        matches!(verdict_of(&format!("{own}; exit 3"), case), Verdict::Crash(why) if why == "exit status 3")
    );
    assert!(matches!(verdict_of("sleep 30", case), Verdict::Timeout(_)));
    // And the real adapter passes.
    assert_eq!(verdict_of(&own, case), Verdict::Pass);
}

#[test]
fn the_command_line_runner_exits_non_zero_on_failure_and_ends_with_the_counts() {
    let exe = env!("CARGO_BIN_EXE_sse-conformance");
    let good = std::process::Command::new(exe)
        .args(["run", "--run", "retry/", "--chunk-sizes", "whole,1"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&good.stdout);
    assert!(good.status.success(), "{text}");
    assert!(text.trim_end().ends_with("25 passed, 0 failed"), "{text}");

    let bad = std::process::Command::new(exe)
        .args([
            "run",
            "--run",
            "retry/",
            "--adapter",
            "cat > /dev/null; true",
            "--timeout",
            "5",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL retry/zero-value"), "{text}");
    // An adapter that reports nothing passes exactly the cases that expect nothing.
    let retry_cases = Case::all().iter().filter(|c| c.name.starts_with("retry/"));
    let (silent, loud): (Vec<&Case>, Vec<&Case>) = retry_cases.partition(|c| c.expect.is_empty());
    let last = format!("{} passed, {} failed", silent.len(), loud.len());
    assert!(text.trim_end().ends_with(&last), "{text}");
}

#[test]
fn count_mode_totals_events_retries_and_data_bytes() {
    let mut out = Vec::new();
    let input = b"data: ab\n\ndata: \xC3\xA9\nretry: 5\n\ndata: cut";
    ssewire_conformance::adapter::count(input, Some(3), &mut out).unwrap();
    assert_eq!(out, b"{\"events\":2,\"retries\":1,\"data_bytes\":4}\n");
}

#[test]
fn encode_mode_writes_everything_before_a_refused_item_then_exits_2() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_sse-conformance"))
        .args(["adapter", "--encode"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let items = "{\"data\":\"ok\",\"retry\":10}\n{\"comment\":\"c\"}\n{\"data\":\"x\",\"id\":\"a\\u0000\"}\n{\"data\":\"never\"}\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(items.as_bytes())
        .unwrap();
    let done = child.wait_with_output().unwrap();
    assert_eq!(done.status.code(), Some(2));
    assert_eq!(done.stdout, b"retry: 10\ndata: ok\n\n: c\n");
    assert_eq!(
        String::from_utf8_lossy(&done.stderr).trim(),
        "refused: event id contains U+0000 NULL at byte 1"
    );
}
