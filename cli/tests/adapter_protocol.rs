//! `sse-conformance` end to end, as other implementations meet it: the adapter protocol and
//! the runner's verdicts on good and broken adapters.

use std::time::Duration;

use sse_conformance::encode_checks::{encode_checks, run_encode};
use sse_conformance::suite::{self, default_chunk_sizes, Settings};
use ssewire_conformance::{Case, Output, Verdict};

fn own_adapter() -> String {
    format!("'{}' adapter", env!("CARGO_BIN_EXE_sse-conformance"))
}

/// An executable shell script in a fresh temporary folder, as an adapter command line.
fn script(name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("sse-conformance-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!("'{}'", path.display())
}

fn settings(command: &str, chunk_sizes: Vec<Option<usize>>) -> Settings {
    Settings {
        command: command.into(),
        chunk_sizes,
        timeout: Duration::from_secs(20),
        jobs: 2,
        expected_failures: Vec::new(),
        max_consecutive_timeouts: 10,
        lacks: Vec::new(),
        cache: None,
        progress: None,
    }
}

#[test]
fn our_adapter_passes_every_case_at_chunk_sizes_1_2_3_7_64_and_whole() {
    let cases: Vec<&Case> = Case::all().iter().collect();
    let sizes = vec![None, Some(1), Some(2), Some(3), Some(7), Some(64)];
    assert_eq!(sizes, default_chunk_sizes());
    let run = suite::run(&settings(&own_adapter(), sizes), &cases);
    assert_eq!(run.report.failed(), 0, "{}", run.report);
    assert!(run.stopped_early.is_none());
    assert!(run
        .report
        .to_string()
        .ends_with(&format!("{} passed, 0 failed\n", cases.len())));
}

#[test]
fn our_encoder_passes_every_round_trip_and_refusal() {
    let cases: Vec<&Case> = Case::all().iter().collect();
    let checks = encode_checks(&cases);
    assert!(checks.iter().filter(|c| c.refuse_last).count() == 5);
    let (text, failed) = run_encode(&settings(&own_adapter(), vec![None]), &checks);
    assert_eq!(failed, 0, "{text}");
}

fn verdict_of(command: &str, case: &str) -> Verdict {
    let mut run = settings(command, vec![None]);
    run.timeout = Duration::from_millis(500);
    let run = suite::run(&run, &[Case::find(case).unwrap()]);
    run.report.results[0].verdict.clone()
}

#[test]
fn broken_adapters_get_the_verdict_they_earn() {
    let case = "data/two-lines-joined-by-lf";
    // Echoing the stream back is not protocol output.
    assert!(
        matches!(verdict_of("cat", case), Verdict::Crash { message, .. } if message.starts_with("not a JSON line"))
    );
    // Reporting nothing loses the event.
    assert!(matches!(
        verdict_of("cat >/dev/null; echo '{\"comment\":\"x\"}'", case),
        Verdict::Fail { .. }
    ));
    // Exiting non-zero, or hanging, is a crash or a timeout whatever was printed.
    let own = own_adapter();
    assert!(
        matches!(verdict_of(&format!("{own}; exit 3"), case), Verdict::Crash { message, .. } if message == "exit status 3")
    );
    assert!(matches!(
        verdict_of("sleep 30", case),
        Verdict::Timeout { .. }
    ));
    // And the real adapter passes.
    assert_eq!(verdict_of(&own, case), Verdict::Pass);
}

#[test]
fn a_retry_value_no_field_sets_is_a_failure_that_shows_it_not_a_crash() {
    let case = Case::find("retry/digits-set-reconnection-time").unwrap();
    assert_eq!(case.expect, [Output::Retry(1000)]);
    for (printed, got) in [
        ("-1", Output::RetryOutOfRange(-1)),
        // Past u64::MAX, as an arbitrary-precision language may report an overflow.
        ("18446744073709551616", Output::RetryOutOfRange(1 << 64)),
        ("999", Output::Retry(999)),
    ] {
        let adapter = format!("cat >/dev/null; echo '{{\"retry\":{printed}}}'");
        let run = suite::run(&settings(&adapter, vec![None]), &[case]);
        let result = &run.report.results[0];
        assert_eq!(
            result.verdict,
            Verdict::Fail {
                chunking: "whole input".into(),
                got: vec![got]
            },
            "{printed}"
        );
        assert!(
            run.report
                .to_string()
                .contains(&format!("got[0]:  {{\"retry\":{printed}}}")),
            "{}",
            run.report
        );
    }
    // A retry that is not an integer is still not protocol output.
    for printed in ["1.5", "\"abc\""] {
        let adapter = format!("cat >/dev/null; echo '{{\"retry\":{printed}}}'");
        assert!(
            matches!(verdict_of(&adapter, &case.name), Verdict::Crash { message, .. } if message.starts_with("malformed output line")),
            "{printed}"
        );
    }
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
    let retry_cases = Case::all()
        .iter()
        .filter(|c| c.name.starts_with("retry/"))
        .count();
    assert!(
        text.trim_end()
            .ends_with(&format!("{retry_cases} passed, 0 failed")),
        "{text}"
    );

    let drops_retries = script(
        "drops-retries",
        &format!("{} \"$@\" | grep -v '\"retry\"'; true", own_adapter()),
    );
    let bad = std::process::Command::new(exe)
        .args([
            "run",
            "--run",
            "retry/",
            "--adapter",
            &drops_retries,
            "--timeout",
            "5",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL retry/zero-value"), "{text}");
    // An adapter that drops retry lines passes exactly the cases that expect none.
    let retry_cases = Case::all().iter().filter(|c| c.name.starts_with("retry/"));
    let has_retry = |c: &&Case| c.expect.iter().any(|o| matches!(o, Output::Retry(_)));
    let (loud, silent): (Vec<&Case>, Vec<&Case>) = retry_cases.partition(has_retry);
    assert!(!loud.is_empty() && !silent.is_empty());
    let last = format!("{} passed, {} failed", silent.len(), loud.len());
    assert!(text.trim_end().ends_with(&last), "{text}");
}

#[test]
fn count_mode_totals_events_retries_and_data_bytes() {
    let mut out = Vec::new();
    let input = b"data: ab\n\ndata: \xC3\xA9\nretry: 5\n\ndata: cut";
    sse_conformance::adapter::count(input, Some(3), &mut out).unwrap();
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

#[test]
fn an_adapter_that_does_not_start_is_one_clear_error_up_front() {
    let exe = env!("CARGO_BIN_EXE_sse-conformance");
    let out = std::process::Command::new(exe)
        .args(["run", "--adapter", "./no-such-adapter-here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the adapter does not answer a one-event stream"),
        "{stderr}"
    );
    assert!(stderr.lines().count() < 5, "{stderr}");
    assert!(out.stdout.is_empty(), "no case ran");
}

#[test]
fn a_hanging_adapter_stops_the_run_after_the_allowed_timeouts_in_a_row() {
    // Answers the probe (`data: probe`), then hangs on every case.
    let hangs = script(
        "hangs",
        &format!(
            "input=$(cat); case \"$input\" in 'data: probe'*) printf '%s\\n\\n' \"$input\" | {};; *) sleep 30;; esac",
            own_adapter()
        ),
    );
    let mut run = settings(&hangs, vec![None]);
    run.timeout = Duration::from_millis(300);
    run.max_consecutive_timeouts = 3;
    run.jobs = 1;
    suite::probe(&run).unwrap();
    let cases: Vec<&Case> = Case::all().iter().take(20).collect();
    let done = suite::run(&run, &cases);
    let why = done.stopped_early.expect("stopped early");
    assert!(why.contains("3 timeouts in a row"), "{why}");
    assert_eq!(
        done.report.results.len(),
        3,
        "three cases timed out, the rest never ran"
    );
}

/// `sse-conformance run ARGS`: its exit code and stdout.
fn run_cli(args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sse-conformance"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_declared_lack_makes_the_cases_that_need_it_not_applicable_instead_of_failed() {
    // The same adapter that drops retry lines, now saying so (protocol version 2), and saying
    // it takes the whole body only: it records every chunk size it is given.
    let log = std::env::temp_dir().join(format!("sse-conformance-sizes-{}", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let honest = script(
        "honest-no-retry",
        &format!(
            r#"if [ "$1" = --capabilities ]; then
  echo '{{"protocol":2,"name":"x","library":"x","version":"1","language":"Shell","modes":["parse"],"lacks":["retry","chunks"],"why":{{"retry":"no callback"}}}}'
  exit 0
fi
echo "[$*]" >> '{}'
{} "$@" | sed '/"retry"/d'"#,
            log.display(),
            own_adapter()
        ),
    );
    let (code, text, stderr) = run_cli(&["run", "--run", "retry/", "--adapter", &honest]);
    assert_eq!(code, Some(0), "{text}\n{stderr}");
    let retry_cases: Vec<&Case> = Case::all()
        .iter()
        .filter(|c| c.name.starts_with("retry/"))
        .collect();
    let loud = retry_cases
        .iter()
        .filter(|c| c.expect.iter().any(|o| matches!(o, Output::Retry(_))))
        .count();
    let silent = retry_cases.len() - loud;
    assert!(
        text.contains(&format!("{loud} cases not applicable")),
        "{text}"
    );
    assert!(
        text.trim_end()
            .ends_with(&format!("{silent} passed, 0 failed")),
        "{text}"
    );
    assert!(stderr.contains("lacks retry: no callback"), "{stderr}");
    // Only the whole input: no --chunk-size reached the adapter (the probe is one more run).
    let sizes = std::fs::read_to_string(&log).unwrap();
    assert_eq!(sizes.lines().count(), silent + 1, "{sizes}");
    assert!(sizes.lines().all(|l| l == "[]"), "{sizes}");
}

#[test]
fn an_unknown_capability_or_mode_is_an_error_not_a_silent_skip() {
    for answer in [
        r#"{"protocol":2,"modes":["parse"],"lacks":["retries"]}"#,
        r#"{"protocol":2,"modes":["decode"]}"#,
    ] {
        let adapter = script(
            "typo",
            &format!(
                "[ \"$1\" = --capabilities ] && echo '{answer}' && exit 0; {} \"$@\"",
                own_adapter()
            ),
        );
        let (code, text, stderr) = run_cli(&["run", "--run", "retry/", "--adapter", &adapter]);
        assert_eq!(code, Some(2), "{text}");
        assert!(stderr.contains("unknown"), "{stderr}");
    }
}

#[test]
fn an_encoder_without_a_parser_is_judged_on_the_encoder_checks_alone() {
    let encoder_only = script(
        "encoder-only",
        &format!(
            r#"if [ "$1" = --capabilities ]; then echo '{{"protocol":2,"modes":["encode"]}}'; exit 0; fi
[ "$1" = --encode ] || exit 9
exec {} "$@""#,
            own_adapter()
        ),
    );
    let (code, text, stderr) = run_cli(&["run", "--adapter", &encoder_only]);
    assert_eq!(code, Some(0), "{text}\n{stderr}");
    let checks = encode_checks(&Case::all().iter().collect::<Vec<_>>()).len();
    assert!(
        text.trim_end()
            .ends_with(&format!("{checks} passed, 0 failed")),
        "{text}"
    );
}

#[test]
fn note_lines_are_never_judged_and_are_shown_beside_a_failure() {
    let noting = script(
        "noting",
        &format!(
            r#"echo '{{"note":"retry value refused by the library, ignored"}}'
{} "$@" | sed '/"retry"/d'"#,
            own_adapter()
        ),
    );
    let (code, text, _) = run_cli(&[
        "run",
        "--run",
        "retry/",
        "--adapter",
        &noting,
        "--chunk-sizes",
        "whole",
    ]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("notes: retry value refused by the library, ignored"),
        "{text}"
    );
    assert!(!text.contains("CRASH"), "{text}");
}

#[test]
fn our_adapter_describes_itself() {
    let (code, text, _) = run_cli(&["adapter", "--capabilities"]);
    assert_eq!(code, Some(0));
    let answer = sse_conformance::capabilities::Capabilities::from_answer(text.as_bytes())
        .unwrap()
        .expect("a version 2 answer");
    assert_eq!(answer.protocol, 2);
    assert!(answer.lacks.is_empty());
    assert_eq!(answer.language.as_deref(), Some("Rust"));
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    use std::io::{Read as _, Write as _};
    use std::process::{Command, Stdio};
    let mut show = vec!["show"];
    show.extend(Case::all().iter().map(|c| c.name.as_str()));
    // Each input gives far more output than a pipe holds (64 KiB on Linux), so the command
    // is still writing when the reader leaves.
    let events = "data: x\n\n".repeat(200_000).into_bytes();
    let items = format!("{{\"data\":\"{}\"}}\n", "x".repeat(50))
        .repeat(100_000)
        .into_bytes();
    let runs: [(&[&str], &[u8]); 6] = [
        (&show, b""),
        (&["protocol"], b""),
        (&["list"], b""),
        (&["run", "--chunk-sizes", "whole"], b""),
        (&["adapter"], &events),
        (&["adapter", "--encode"], &items),
    ];
    for (args, input) in runs {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sse-conformance"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A thread feeds stdin, as `--encode` writes while it reads; the command may stop
        // reading once its stdout is closed, so a failed write here is expected.
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let feeder = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The pipe is closed here, as `| head -c 16` would.
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        feeder.join().unwrap();
        if args[0] == "run" {
            // `run` says on stderr what it is running before any case is judged.
            assert!(!stderr.contains("Broken pipe"), "{stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        } else {
            assert_eq!(stderr, "", "{:?}", args[0]);
        }
        assert_eq!(status.code(), Some(0), "{:?}", &args[..args.len().min(2)]);
    }
}

#[test]
fn an_encoder_that_writes_retry_only_with_an_event_gets_it_in_the_event_item() {
    let log = std::env::temp_dir().join(format!("sse-conformance-items-{}", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let with_event = script(
        "retry-with-event",
        &format!(
            r#"if [ "$1" = --capabilities ]; then echo '{{"protocol":2,"modes":["encode"],"lacks":["retry-without-event"]}}'; exit 0; fi
tee -a '{}' | {} "$@""#,
            log.display(),
            own_adapter()
        ),
    );
    let (code, text, stderr) = run_cli(&["run", "--adapter", &with_event]);
    assert_eq!(code, Some(0), "{text}\n{stderr}");
    let all = encode_checks(&Case::all().iter().collect::<Vec<_>>()).len();
    let line = text
        .lines()
        .find(|l| l.contains("encoder checks not applicable"))
        .unwrap_or_else(|| panic!("{text}"));
    let not_applicable: usize = line.split(' ').next().unwrap().parse().unwrap();
    assert!(not_applicable > 0 && not_applicable < all);
    assert!(
        text.trim_end()
            .ends_with(&format!("{} passed, 0 failed", all - not_applicable)),
        "{text}"
    );
    let items = std::fs::read_to_string(&log).unwrap();
    assert!(items.lines().any(|l| l.contains("\"retry\"")));
    for item in items.lines().filter(|l| l.contains("\"retry\"")) {
        assert!(
            item.contains("\"data\""),
            "a retry without an event: {item}"
        );
    }
}
