//! What a run of the corpus found, as plain data: one [`Verdict`] per case, whether the parser
//! ran in process ([`crate::Runner`]) or behind the adapter protocol (`sse-conformance run`).
//! `Display` on [`Report`] is the text rendering; other renderings (JSON, Markdown) read the
//! same fields.

use std::fmt::{self, Write as _};
use std::time::Duration;

use serde::Serialize;

use crate::escape::escape_truncated;
use crate::{Capability, Case, Output};

/// How one case went.
///
/// A case runs under several chunkings; the first one that went wrong decides a bad verdict,
/// and [`CaseResult::wrong_at`] lists every one that did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Every chunking gave the expected outputs.
    Pass,
    /// Some chunking gave other outputs.
    Fail {
        /// Which chunking, e.g. "split at byte 3" or "--chunk-size 7".
        chunking: String,
        /// What the implementation reported.
        got: Vec<Output>,
    },
    /// The implementation panicked, exited non-zero, died of a signal, or printed something
    /// that is not protocol output.
    Crash {
        /// Which chunking.
        chunking: String,
        /// What happened, e.g. "exit status 3" or the panic message.
        message: String,
    },
    /// The implementation ran past the time limit (adapter runs only).
    Timeout {
        /// Which chunking.
        chunking: String,
        /// The time limit it ran past.
        after: Duration,
    },
    /// Listed as an expected failure, and it failed.
    ExpectedFailure,
    /// Listed as an expected failure, but it passed: take it off the list.
    UnexpectedPass,
    /// The suite itself is broken here, e.g. the adapter could not be started.
    Bug {
        /// What went wrong.
        message: String,
    },
    /// Not run: the case needs what the implementation declared it lacks (adapter protocol
    /// version 2, `--capabilities`). Neither a pass nor a failure.
    NotApplicable {
        /// The lacked capabilities the case needs.
        lacks: Vec<Capability>,
    },
}

impl Verdict {
    /// The verdict's name in reports and JSON: `pass`, `fail`, `crash`, `timeout`,
    /// `expected-failure`, `unexpected-pass`, `bug` or `not-applicable`.
    ///
    /// ```
    /// assert_eq!(ssewire_conformance::Verdict::UnexpectedPass.name(), "unexpected-pass");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail { .. } => "fail",
            Verdict::Crash { .. } => "crash",
            Verdict::Timeout { .. } => "timeout",
            Verdict::ExpectedFailure => "expected-failure",
            Verdict::UnexpectedPass => "unexpected-pass",
            Verdict::Bug { .. } => "bug",
            Verdict::NotApplicable { .. } => "not-applicable",
        }
    }

    /// Whether this verdict fails a run: anything but a pass, an expected failure or a case
    /// that does not apply.
    ///
    /// ```
    /// use ssewire_conformance::Verdict;
    /// assert!(!Verdict::ExpectedFailure.is_bad() && Verdict::UnexpectedPass.is_bad());
    /// assert!(!Verdict::NotApplicable { lacks: vec![] }.is_bad());
    /// ```
    pub fn is_bad(&self) -> bool {
        !matches!(
            self,
            Verdict::Pass | Verdict::ExpectedFailure | Verdict::NotApplicable { .. }
        )
    }

    /// The chunking a bad verdict was first seen at, if it names one.
    pub fn chunking(&self) -> Option<&str> {
        match self {
            Verdict::Fail { chunking, .. }
            | Verdict::Crash { chunking, .. }
            | Verdict::Timeout { chunking, .. } => Some(chunking),
            _ => None,
        }
    }
}

/// The outcome of one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The case.
    pub case: &'static Case,
    /// How it went.
    pub verdict: Verdict,
    /// Every chunking that went wrong, in the order tried; empty when all passed. The
    /// in-process runner stops a case at its first wrong chunking, so it names at most one.
    pub wrong_at: Vec<String>,
    /// What the implementation wrote to stderr at the deciding chunking (adapter runs), escaped
    /// and cut short; empty otherwise.
    pub stderr: String,
}

impl CaseResult {
    /// A result with no wrong chunking and no stderr.
    pub fn new(case: &'static Case, verdict: Verdict) -> Self {
        let wrong_at = verdict.chunking().map(str::to_owned).into_iter().collect();
        CaseResult {
            case,
            verdict,
            wrong_at,
            stderr: String::new(),
        }
    }
}

/// Results of a run; `Display` gives a readable report of every failure, ending in the line
/// `N passed, M failed`.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// One result per case run, in corpus order.
    pub results: Vec<CaseResult>,
}

impl Report {
    /// Cases that passed.
    ///
    /// ```
    /// assert_eq!(ssewire_conformance::Report::default().passed(), 0);
    /// ```
    pub fn passed(&self) -> usize {
        self.count(|v| matches!(v, Verdict::Pass))
    }

    /// Cases that went otherwise than expected: failures, crashes, timeouts and bugs not on
    /// the expected-failure list, and listed cases that passed.
    ///
    /// ```
    /// assert_eq!(ssewire_conformance::Report::default().failed(), 0);
    /// ```
    pub fn failed(&self) -> usize {
        self.count(Verdict::is_bad)
    }

    /// Cases not run because the implementation lacks what they need.
    ///
    /// ```
    /// assert_eq!(ssewire_conformance::Report::default().not_applicable(), 0);
    /// ```
    pub fn not_applicable(&self) -> usize {
        self.count(|v| matches!(v, Verdict::NotApplicable { .. }))
    }

    /// Cases listed as expected failures that still fail.
    pub fn expected_failures(&self) -> usize {
        self.count(|v| matches!(v, Verdict::ExpectedFailure))
    }

    fn count(&self, which: impl Fn(&Verdict) -> bool) -> usize {
        self.results.iter().filter(|r| which(&r.verdict)).count()
    }

    /// Panics with the whole report unless every case went as expected.
    ///
    /// # Panics
    /// When [`Report::failed`] is not zero, or no case ran at all.
    ///
    /// ```should_panic
    /// ssewire_conformance::Report::default().assert(); // no case ran
    /// ```
    pub fn assert(&self) {
        assert!(
            !self.results.is_empty(),
            "no conformance case ran (check the SSE_CONFORMANCE filter)"
        );
        assert!(self.failed() == 0, "{self}");
    }
}

impl Report {
    /// The text of every case that went otherwise than expected, without the closing counts
    /// that `Display` adds.
    ///
    /// ```
    /// assert_eq!(ssewire_conformance::Report::default().failures().to_string(), "");
    /// ```
    pub fn failures(&self) -> Failures<'_> {
        Failures(self)
    }
}

/// What [`Report::failures`] returns: a `Display` of the failing cases.
#[derive(Clone, Copy, Debug)]
pub struct Failures<'a>(&'a Report);

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.failures())?;
        let expected = self.expected_failures();
        if expected > 0 {
            writeln!(f, "{expected} expected failures still fail")?;
        }
        let not_applicable = self.not_applicable();
        if not_applicable > 0 {
            writeln!(
                f,
                "{not_applicable} cases not applicable: they need what the implementation lacks"
            )?;
        }
        writeln!(f, "{} passed, {} failed", self.passed(), self.failed())
    }
}

impl fmt::Display for Failures<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for result in self.0.results.iter().filter(|r| r.verdict.is_bad()) {
            let case = result.case;
            let label = match result.verdict {
                Verdict::UnexpectedPass => {
                    writeln!(
                        f,
                        "UNEXPECTED PASS {}: remove it from the expected failures",
                        case.name
                    )?;
                    continue;
                }
                Verdict::Fail { .. } => "FAIL",
                Verdict::Crash { .. } => "CRASH",
                Verdict::Timeout { .. } => "TIMEOUT",
                _ => "BUG",
            };
            writeln!(f, "{label} {}  ({})", case.name, case.source)?;
            writeln!(f, "  input: \"{}\"", escape_truncated(&case.input, 300))?;
            if result.wrong_at.len() > 1 {
                writeln!(f, "  wrong at: {}", result.wrong_at.join(", "))?;
            }
            if let Some(chunking) = result.verdict.chunking() {
                writeln!(f, "  chunking: {chunking}")?;
            }
            match &result.verdict {
                Verdict::Fail { got, .. } => {
                    f.write_str(&describe_difference(&case.expect, got))?
                }
                Verdict::Crash { message, .. } | Verdict::Bug { message } => {
                    writeln!(f, "  {message}")?
                }
                Verdict::Timeout { after, .. } => writeln!(f, "  no exit within {after:?}")?,
                _ => {}
            }
            if !result.stderr.is_empty() {
                writeln!(f, "  stderr: {}", result.stderr)?;
            }
        }
        Ok(())
    }
}

/// `want` and `got` side by side from their first difference, with long text cut short.
///
/// ```
/// use ssewire_conformance::{describe_difference, Output};
/// let text = describe_difference(&[Output::Retry(1)], &[]);
/// assert!(text.contains("first difference at output 1"));
/// ```
pub fn describe_difference(want: &[Output], got: &[Output]) -> String {
    let same = want.iter().zip(got).take_while(|(w, g)| w == g).count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  {} outputs expected, {} reported; first difference at output {}",
        want.len(),
        got.len(),
        same + 1
    );
    let show = |o: Option<&Output>| match o {
        None => "(nothing)".to_owned(),
        Some(o) => escape_truncated(o.to_json_line().as_bytes(), 300),
    };
    for i in same..(same + 3).min(want.len().max(got.len())) {
        let _ = writeln!(out, "  want[{i}]: {}", show(want.get(i)));
        let _ = writeln!(out, "  got[{i}]:  {}", show(got.get(i)));
    }
    out
}

/// One case's result as JSON data: `{"name", "verdict", "detail"?, "wrong_at"?}`, the shape
/// `sse-conformance run --json` writes for each case.
#[derive(Clone, Debug, Serialize)]
pub struct CaseRecord<'a> {
    /// The case name.
    pub name: &'a str,
    /// [`Verdict::name`].
    pub verdict: &'static str,
    /// What went wrong, in one line; absent for a pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The chunkings that went wrong.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub wrong_at: &'a [String],
}

impl CaseResult {
    /// This result as a [`CaseRecord`], ready to serialize.
    pub fn record(&self) -> CaseRecord<'_> {
        let detail = match &self.verdict {
            Verdict::Pass | Verdict::ExpectedFailure | Verdict::UnexpectedPass => None,
            Verdict::Fail { got, .. } => Some(describe_difference(&self.case.expect, got)),
            Verdict::Crash { message, .. } | Verdict::Bug { message } => Some(message.clone()),
            Verdict::Timeout { after, .. } => Some(format!("no exit within {after:?}")),
            Verdict::NotApplicable { lacks } => Some(format!(
                "needs what the implementation lacks: {}",
                lacks
                    .iter()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        CaseRecord {
            name: &self.case.name,
            verdict: self.verdict.name(),
            detail: detail.map(|d| d.trim().to_owned()),
            wrong_at: &self.wrong_at,
        }
    }
}
