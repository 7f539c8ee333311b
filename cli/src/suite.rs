//! The corpus through an adapter command: one process per case and chunk size, `jobs` at a
//! time, each judged against the case, gathered into the library's [`Report`].

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use ssewire_conformance::{
    escape_truncated, Capability, Case, CaseResult, Output, Report, Verdict,
};

use crate::cache::OutputCache;
use crate::process::{read_outputs, spawn, Finished};

/// A chunk size to run at: `None` is the whole input in one piece.
pub type ChunkSize = Option<usize>;

/// The chunk sizes a run uses unless told otherwise: whole, then the library's quick sizes.
pub fn default_chunk_sizes() -> Vec<ChunkSize> {
    std::iter::once(None)
        .chain(
            ssewire_conformance::Chunkings::QUICK
                .sizes()
                .iter()
                .map(|&n| Some(n)),
        )
        .collect()
}

/// A chunk size as reports and `--chunk-sizes` name it: `whole` or the number of bytes.
pub fn chunk_size_name(size: ChunkSize) -> String {
    size.map_or_else(|| "whole".to_owned(), |n| n.to_string())
}

/// What to run and how.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The adapter command line, run by the shell.
    pub command: String,
    /// Chunk sizes to run every case at.
    pub chunk_sizes: Vec<ChunkSize>,
    /// Time limit per adapter process.
    pub timeout: Duration,
    /// Adapter processes run at once.
    pub jobs: usize,
    /// Case names (exact) expected to fail.
    pub expected_failures: Vec<String>,
    /// Stop the run after this many timeouts in a row: an adapter that hangs on everything
    /// would otherwise take cases × chunk sizes × timeout.
    pub max_consecutive_timeouts: usize,
    /// What the adapter declared it lacks: cases that need it are not run, and reported as
    /// not applicable.
    pub lacks: Vec<Capability>,
    /// Outputs of earlier runs to reuse, if any.
    pub cache: Option<Arc<OutputCache>>,
    /// Print `LABEL: done/total` to stderr as the run goes, if set.
    pub progress: Option<String>,
}

/// A finished run: the report, and why it stopped early if it did.
#[derive(Clone, Debug)]
pub struct SuiteRun {
    /// Every case that ran at all its chunk sizes, in corpus order.
    pub report: Report,
    /// Set when the run gave up before the end; the cases it did not finish are left out.
    pub stopped_early: Option<String>,
}

fn chunk_args(size: ChunkSize) -> Vec<String> {
    match size {
        Some(n) => vec!["--chunk-size".into(), n.to_string()],
        None => Vec::new(),
    }
}

fn chunking(size: ChunkSize) -> String {
    match size {
        Some(n) => format!("--chunk-size {n}"),
        None => "whole input".into(),
    }
}

/// Judges one adapter process against `case`; also returns its stderr, escaped.
fn judge(
    case: &Case,
    size: ChunkSize,
    finished: std::io::Result<Finished>,
    timeout: Duration,
) -> (Verdict, String) {
    let chunking = chunking(size);
    let finished = match finished {
        Ok(f) => f,
        Err(e) => {
            let message = format!("cannot start the adapter: {e}");
            return (Verdict::Bug { message }, String::new());
        }
    };
    let mut stderr = escape_truncated(&finished.stderr, 2000);
    let notes = notes(&finished.stdout);
    if !notes.is_empty() {
        stderr = format!("notes: {notes}; {stderr}");
    }
    let verdict = if finished.timed_out {
        Verdict::Timeout {
            chunking,
            after: timeout,
        }
    } else if let Some(signal) = finished.signal {
        let message = format!("killed by signal {signal}");
        Verdict::Crash { chunking, message }
    } else if finished.code != Some(0) {
        let message = format!("exit status {}", finished.code.unwrap_or(-1));
        Verdict::Crash { chunking, message }
    } else {
        match read_outputs(&finished.stdout) {
            Err(message) => Verdict::Crash { chunking, message },
            Ok(got) if got == case.expect => Verdict::Pass,
            Ok(got) => Verdict::Fail { chunking, got },
        }
    };
    (verdict, stderr)
}

/// The adapter's `{"note":...}` lines, joined: what it said about input its library refused.
fn notes(stdout: &[u8]) -> String {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| l.contains("\"note\""))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("note").and_then(|n| n.as_str()).map(str::to_owned))
        .take(3)
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Runs the adapter once on a trivial event, so that a command that does not start or does
/// not speak the protocol is one clear error instead of a crash for every case.
///
/// # Errors
/// What went wrong, with the adapter's stderr.
pub fn probe(settings: &Settings) -> Result<(), String> {
    let input = b"data: probe\n\n";
    let expect = [Output::event("message", "probe", "")];
    let timeout = settings.timeout;
    let finished = spawn(&settings.command, &[], input, timeout)
        .map_err(|e| format!("cannot start the adapter: {e}"))?;
    let stderr = escape_truncated(&finished.stderr, 500);
    let problem = if finished.timed_out {
        format!("it did not exit within {} s", timeout.as_secs_f64())
    } else if finished.code != Some(0) {
        match finished.signal {
            Some(signal) => format!("it was killed by signal {signal}"),
            None => format!("it exited with status {}", finished.code.unwrap_or(-1)),
        }
    } else {
        match read_outputs(&finished.stdout) {
            Err(why) => format!("its output is not protocol output: {why}"),
            Ok(got) if got == expect => return Ok(()),
            Ok(got) => format!(
                "it printed {} for `data: probe` (expected {})",
                got.iter()
                    .map(Output::to_json_line)
                    .collect::<Vec<_>>()
                    .join(" "),
                expect[0].to_json_line()
            ),
        }
    };
    let mut message = format!(
        "the adapter does not answer a one-event stream: {problem}\n  command: {}",
        settings.command
    );
    if !stderr.is_empty() {
        message.push_str(&format!("\n  stderr: {stderr}"));
    }
    Err(message)
}

/// Runs `cases` through the adapter at every chunk size, `jobs` processes at a time. A case
/// that needs what the adapter lacks is not run: its verdict is [`Verdict::NotApplicable`].
pub fn run(settings: &Settings, cases: &[&'static Case]) -> SuiteRun {
    let needs: Vec<Vec<Capability>> = cases
        .iter()
        .map(|c| c.needs_any_of(&settings.lacks))
        .collect();
    let jobs: Vec<(usize, ChunkSize)> = (0..cases.len())
        .filter(|&c| needs[c].is_empty())
        .flat_map(|c| settings.chunk_sizes.iter().map(move |&s| (c, s)))
        .collect();
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<(Verdict, String)>>> = Mutex::new(vec![None; jobs.len()]);
    let next = AtomicUsize::new(0);
    let timeouts_in_a_row = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        for _ in 0..settings.jobs.max(1) {
            scope.spawn(|| loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(c, size)) = jobs.get(i) else { break };
                let case = cases[c];
                let key = OutputCache::key(&case.name, size, &case.input);
                let cached = settings.cache.as_ref().and_then(|cache| cache.get(&key));
                let finished = match cached {
                    Some(finished) => Ok(finished),
                    None => spawn(
                        &settings.command,
                        &chunk_args(size),
                        &case.input,
                        settings.timeout,
                    ),
                };
                if let (Some(cache), Ok(finished)) = (&settings.cache, &finished) {
                    cache.put(key, finished);
                }
                let judged = judge(case, size, finished, settings.timeout);
                let finished_so_far = done.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(label) = &settings.progress {
                    if finished_so_far.is_multiple_of(250) || finished_so_far == jobs.len() {
                        eprintln!("{label}: {finished_so_far}/{} runs", jobs.len());
                    }
                }
                if matches!(judged.0, Verdict::Timeout { .. }) {
                    let row = timeouts_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
                    if row >= settings.max_consecutive_timeouts.max(1) {
                        stop.store(true, Ordering::Relaxed);
                    }
                } else {
                    timeouts_in_a_row.store(0, Ordering::Relaxed);
                }
                results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(judged);
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    let per_case = settings.chunk_sizes.len();
    let mut report = Report::default();
    let mut unfinished = 0;
    let mut first_job = 0;
    for (c, &case) in cases.iter().enumerate() {
        if !needs[c].is_empty() {
            report.results.push(CaseResult::new(
                case,
                Verdict::NotApplicable {
                    lacks: needs[c].clone(),
                },
            ));
            continue;
        }
        let runs = &results[first_job..first_job + per_case];
        first_job += per_case;
        if runs.iter().any(Option::is_none) {
            unfinished += 1;
            continue;
        }
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
            (Some(_), true) => Verdict::ExpectedFailure,
            (Some((_, v, _)), false) => (*v).clone(),
        };
        report.results.push(CaseResult {
            case,
            verdict,
            wrong_at: bad.iter().map(|(s, _, _)| chunk_size_name(*s)).collect(),
            stderr: bad
                .first()
                .map(|(_, _, e)| (*e).clone())
                .unwrap_or_default(),
        });
    }
    let stopped_early = stop.load(Ordering::Relaxed).then(|| {
        format!(
            "stopped after {} timeouts in a row ({} s each); {unfinished} of {} cases not finished",
            settings.max_consecutive_timeouts,
            settings.timeout.as_secs_f64(),
            cases.len()
        )
    });
    SuiteRun {
        report,
        stopped_early,
    }
}
