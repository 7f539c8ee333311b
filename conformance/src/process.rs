//! Checking any implementation, in any language, through the adapter protocol: spawn the
//! adapter once per case and chunk size, compare its lines with the case.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::escape::escape_truncated;
use crate::runner::describe_difference;
use crate::{Case, Output};

/// What one adapter process did.
#[derive(Clone, Debug)]
pub struct Finished {
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// Its standard error.
    pub stderr: Vec<u8>,
    /// Its exit code, or `None` when a signal ended it.
    pub code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    /// It ran past the time limit and was killed.
    pub timed_out: bool,
}

/// Runs `command` (a shell command line) with `args` appended, `stdin` as its input, killing
/// its whole process group after `timeout`.
///
/// # Errors
/// When the shell cannot be started.
///
/// ```
/// use std::time::Duration;
/// let done = ssewire_conformance::process::spawn("cat", &[], b"hi", Duration::from_secs(5)).unwrap();
/// assert_eq!((done.stdout, done.code), (b"hi".to_vec(), Some(0)));
/// ```
pub fn spawn(
    command: &str,
    args: &[String],
    stdin: &[u8],
    timeout: Duration,
) -> std::io::Result<Finished> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} \"$@\""))
        .arg("sse-conformance")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    let mut input = child.stdin.take().expect("piped");
    let mut output = child.stdout.take().expect("piped");
    let mut errors = child.stderr.take().expect("piped");
    let started = Instant::now();
    thread::scope(|scope| {
        // An adapter may exit without reading all of stdin: a broken pipe is its business.
        scope.spawn(move || drop(input.write_all(stdin)));
        let out = scope.spawn(move || {
            let mut buf = Vec::new();
            let _ = output.read_to_end(&mut buf);
            buf
        });
        let err = scope.spawn(move || {
            let mut buf = Vec::new();
            let _ = errors.read_to_end(&mut buf);
            buf
        });
        let mut timed_out = false;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if started.elapsed() > timeout {
                timed_out = true;
                // The whole group: the shell and whatever it started.
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg("--")
                    .arg(format!("-{}", child.id()))
                    .status();
                let _ = child.kill();
                break child.wait()?;
            }
            thread::sleep(Duration::from_millis(1));
        };
        Ok(Finished {
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
            code: status.code(),
            signal: status.signal(),
            timed_out,
        })
    })
}

/// Reads an adapter's stdout: its event and retry lines, or why it is not protocol output.
///
/// ```
/// use ssewire_conformance::{process::read_outputs, Output};
/// let lines = b"{\"comment\":\"x\"}\n{\"retry\":3}\n{\"error\":\"limit\"}\n";
/// assert_eq!(read_outputs(lines), Ok(vec![Output::Retry(3)]));
/// assert!(read_outputs(b"not json\n").is_err());
/// ```
///
/// # Errors
/// A message quoting the first line that is not a JSON object, or an event or retry line of
/// the wrong shape.
pub fn read_outputs(stdout: &[u8]) -> Result<Vec<Output>, String> {
    let text = String::from_utf8_lossy(stdout);
    let mut outputs = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let quoted = || escape_truncated(line.as_bytes(), 200);
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("not a JSON line ({e}): {}", quoted()))?;
        let object = value
            .as_object()
            .ok_or_else(|| format!("not a JSON object: {}", quoted()))?;
        if ["event", "data", "id", "retry"]
            .iter()
            .any(|k| object.contains_key(*k))
        {
            let output: Output = serde_json::from_value(value)
                .map_err(|e| format!("malformed output line ({e}): {}", quoted()))?;
            outputs.push(output);
        }
    }
    Ok(outputs)
}

/// How one case (or one chunk size of it) went through an adapter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "verdict", content = "detail")]
pub enum Verdict {
    /// The adapter printed the expected lines.
    Pass,
    /// It printed other lines.
    Fail(String),
    /// It exited non-zero, died of a signal, or printed something that is not protocol output.
    Crash(String),
    /// It ran past the time limit.
    Timeout(String),
    /// Failed, as the expected-failures file says it would.
    #[serde(rename = "expected-failure")]
    ExpectedFailure(String),
    /// Passed, though the expected-failures file says it fails.
    #[serde(rename = "unexpected-pass")]
    UnexpectedPass,
    /// The suite itself is broken here (the adapter could not be started).
    Bug(String),
}

impl Verdict {
    fn is_bad(&self) -> bool {
        !matches!(self, Verdict::Pass | Verdict::ExpectedFailure(_))
    }
}

/// A chunk size to run at: `None` is the whole input in one piece.
pub type ChunkSize = Option<usize>;

/// What to run and how.
#[derive(Clone, Debug)]
pub struct AdapterRun {
    /// The adapter command line, run by `sh -c`.
    pub command: String,
    /// Chunk sizes to run every case at.
    pub chunk_sizes: Vec<ChunkSize>,
    /// Time limit per adapter process.
    pub timeout: Duration,
    /// Adapter processes run at once.
    pub jobs: usize,
    /// Case names (exact) expected to fail.
    pub expected_failures: Vec<String>,
}

/// One case's result through an adapter.
#[derive(Clone, Debug, Serialize)]
pub struct CaseOutcome {
    /// The case name.
    pub name: String,
    /// Its overall verdict (the first bad chunk size decides).
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The chunkings that went wrong (`whole`, `1`, `2`, ...); empty when all passed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wrong_at: Vec<String>,
}

/// The whole run: per-case outcomes and the readable report.
#[derive(Clone, Debug)]
pub struct AdapterReport {
    /// One outcome per case, in corpus order.
    pub outcomes: Vec<CaseOutcome>,
    /// The readable failure report, ending in `N passed, M failed`.
    pub text: String,
}

impl AdapterReport {
    /// Cases that went otherwise than expected.
    pub fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.verdict.is_bad()).count()
    }
}

fn chunk_args(size: ChunkSize) -> Vec<String> {
    match size {
        Some(n) => vec!["--chunk-size".into(), n.to_string()],
        None => Vec::new(),
    }
}

fn describe(size: ChunkSize) -> String {
    match size {
        Some(n) => format!("--chunk-size {n}"),
        None => "whole input".into(),
    }
}

/// Judges one adapter run against `case`.
fn judge(case: &Case, finished: std::io::Result<Finished>, timeout: Duration) -> (Verdict, String) {
    let finished = match finished {
        Ok(f) => f,
        Err(e) => {
            return (
                Verdict::Bug(format!("cannot start the adapter: {e}")),
                String::new(),
            )
        }
    };
    let stderr = escape_truncated(&finished.stderr, 2000);
    if finished.timed_out {
        return (
            Verdict::Timeout(format!("no exit within {timeout:?}")),
            stderr,
        );
    }
    if let Some(signal) = finished.signal {
        return (Verdict::Crash(format!("killed by signal {signal}")), stderr);
    }
    if finished.code != Some(0) {
        return (
            Verdict::Crash(format!("exit status {}", finished.code.unwrap_or(-1))),
            stderr,
        );
    }
    match read_outputs(&finished.stdout) {
        Err(why) => (Verdict::Crash(why), stderr),
        Ok(got) if got == case.expect => (Verdict::Pass, stderr),
        Ok(got) => (
            Verdict::Fail(describe_difference(&case.expect, &got)),
            stderr,
        ),
    }
}

/// Runs `cases` through the adapter at every chunk size, `jobs` processes at a time.
pub fn run(settings: &AdapterRun, cases: &[&Case]) -> AdapterReport {
    let jobs: Vec<(usize, ChunkSize)> = (0..cases.len())
        .flat_map(|c| settings.chunk_sizes.iter().map(move |&s| (c, s)))
        .collect();
    let results: Mutex<Vec<Option<(Verdict, String)>>> = Mutex::new(vec![None; jobs.len()]);
    let next = AtomicUsize::new(0);
    thread::scope(|scope| {
        for _ in 0..settings.jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(c, size)) = jobs.get(i) else { break };
                let case = cases[c];
                let finished = spawn(
                    &settings.command,
                    &chunk_args(size),
                    &case.input,
                    settings.timeout,
                );
                let judged = judge(case, finished, settings.timeout);
                results.lock().unwrap()[i] = Some(judged);
            });
        }
    });
    let results = results.into_inner().unwrap();
    let per_case = settings.chunk_sizes.len();
    let mut text = String::new();
    let mut outcomes = Vec::new();
    for (c, case) in cases.iter().enumerate() {
        let runs = &results[c * per_case..(c + 1) * per_case];
        let bad: Vec<(ChunkSize, &Verdict, &String)> = runs
            .iter()
            .zip(&settings.chunk_sizes)
            .filter_map(|(r, &size)| r.as_ref().map(|(v, e)| (size, v, e)))
            .filter(|(_, v, _)| **v != Verdict::Pass)
            .collect();
        let expected = settings.expected_failures.contains(&case.name);
        let verdict = match (bad.first(), expected) {
            (None, false) => Verdict::Pass,
            (None, true) => Verdict::UnexpectedPass,
            (Some((_, v, _)), true) => Verdict::ExpectedFailure(format!("{v:?}")),
            (Some((_, v, _)), false) => (*v).clone(),
        };
        if verdict.is_bad() {
            let _ = writeln!(text, "{} {}  ({})", label(&verdict), case.name, case.source);
            if let Verdict::UnexpectedPass = verdict {
                let _ = writeln!(text, "  passed: remove it from the expected failures");
            } else {
                let _ = writeln!(text, "  input: \"{}\"", escape_truncated(&case.input, 300));
                let sizes: Vec<String> = bad.iter().map(|(s, _, _)| describe(*s)).collect();
                let _ = writeln!(text, "  wrong at: {}", sizes.join(", "));
                let (size, first, stderr) = bad[0];
                let _ = writeln!(text, "  at {}:", describe(size));
                match first {
                    Verdict::Fail(diff) => text.push_str(diff),
                    other => {
                        let _ = writeln!(text, "  {other:?}");
                    }
                }
                if !stderr.is_empty() {
                    let _ = writeln!(text, "  adapter stderr: {stderr}");
                }
            }
        }
        outcomes.push(CaseOutcome {
            name: case.name.clone(),
            verdict,
            wrong_at: bad
                .iter()
                .map(|(size, _, _)| size.map_or("whole".to_owned(), |n| n.to_string()))
                .collect(),
        });
    }
    let passed = outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Pass)
        .count();
    let expected = outcomes
        .iter()
        .filter(|o| matches!(o.verdict, Verdict::ExpectedFailure(_)))
        .count();
    let failed = outcomes.iter().filter(|o| o.verdict.is_bad()).count();
    if expected > 0 {
        let _ = writeln!(text, "{expected} expected failures still fail");
    }
    let sizes: Vec<String> = settings.chunk_sizes.iter().map(|s| describe(*s)).collect();
    let _ = writeln!(text, "{} cases, each at: {}", cases.len(), sizes.join(", "));
    let _ = writeln!(text, "{passed} passed, {failed} failed");
    AdapterReport { outcomes, text }
}

fn label(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Fail(_) => "FAIL",
        Verdict::Crash(_) => "CRASH",
        Verdict::Timeout(_) => "TIMEOUT",
        Verdict::UnexpectedPass => "UNEXPECTED PASS",
        Verdict::Bug(_) => "BUG",
        Verdict::Pass | Verdict::ExpectedFailure(_) => "",
    }
}

/// An encoder check: items for `ADAPTER --encode`, and what parsing its output must give.
#[derive(Clone, Debug)]
pub struct EncodeCheck {
    /// A name for the report.
    pub name: String,
    /// JSON item lines.
    pub items: String,
    /// The events (and retries) the encoded stream must parse to.
    pub expect: Vec<Output>,
    /// The adapter must refuse the last item: exit status 2.
    pub refuse_last: bool,
}

/// Encoder checks derived from the corpus (every case's expected outputs, as items) plus
/// items the format cannot carry, which must be refused.
pub fn encode_checks(cases: &[&Case]) -> Vec<EncodeCheck> {
    let mut checks = Vec::new();
    for case in cases.iter().filter(|c| !c.expect.is_empty()) {
        let items: String = case
            .expect
            .iter()
            .map(|o| match o {
                Output::Event { event, data, id } => {
                    serde_json::json!({ "event": event, "data": data, "id": id }).to_string() + "\n"
                }
                Output::Retry(millis) => serde_json::json!({ "retry": millis }).to_string() + "\n",
            })
            .collect();
        checks.push(EncodeCheck {
            name: case.name.clone(),
            items,
            expect: case.expect.clone(),
            refuse_last: false,
        });
    }
    let refusals = [
        ("refuse/id-with-lf", r#"{"data":"x","id":"a\nb"}"#),
        ("refuse/id-with-cr", r#"{"data":"x","id":"a\rb"}"#),
        ("refuse/id-with-nul", r#"{"data":"x","id":"a\u0000b"}"#),
        (
            "refuse/event-type-with-lf",
            r#"{"data":"x","event":"a\nb"}"#,
        ),
        (
            "refuse/event-type-with-cr",
            r#"{"data":"x","event":"a\rb"}"#,
        ),
    ];
    for (name, item) in refusals {
        checks.push(EncodeCheck {
            name: name.into(),
            items: format!("{{\"data\":\"before\"}}\n{item}\n"),
            expect: vec![Output::event("message", "before", "")],
            refuse_last: true,
        });
    }
    checks
}

/// Runs encoder checks through `ADAPTER --encode`, parsing its output with this project's
/// parser. Returns the report text (ending in `N passed, M failed`) and the failure count.
pub fn run_encode(settings: &AdapterRun, checks: &[EncodeCheck]) -> (String, usize) {
    let mut text = String::new();
    let mut failed = 0;
    for check in checks {
        let finished = spawn(
            &settings.command,
            &["--encode".into()],
            check.items.as_bytes(),
            settings.timeout,
        );
        let problem = match finished {
            Err(e) => Some(format!("cannot start the adapter: {e}")),
            Ok(f) if f.timed_out => Some("timed out".into()),
            Ok(f) => {
                let want_code = if check.refuse_last { 2 } else { 0 };
                let got = crate::parse_with_ssewire(&[&f.stdout]);
                if f.code != Some(want_code) {
                    Some(format!(
                        "exit status {:?}, want {want_code}; stderr: {}",
                        f.code,
                        escape_truncated(&f.stderr, 500)
                    ))
                } else if got != check.expect {
                    Some(format!(
                        "output \"{}\" parses otherwise:\n{}",
                        escape_truncated(&f.stdout, 300),
                        describe_difference(&check.expect, &got)
                    ))
                } else {
                    None
                }
            }
        };
        if let Some(problem) = problem {
            failed += 1;
            let _ = writeln!(
                text,
                "ENCODE FAIL {}\n  items: {}\n  {problem}",
                check.name,
                escape_truncated(check.items.as_bytes(), 300)
            );
        }
    }
    let _ = writeln!(text, "{} passed, {failed} failed", checks.len() - failed);
    (text, failed)
}
