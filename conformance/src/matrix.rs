//! A results matrix of many implementations against the corpus, in the manner of
//! JSONTestSuite's: one row per case, one column per implementation, and a summary per
//! implementation. `sse-conformance matrix` runs it; the output is Markdown and JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::process::{self, AdapterRun, CaseOutcome, Verdict};
use crate::Case;

/// One implementation behind the adapter protocol.
#[derive(Clone, Debug, Serialize)]
pub struct Implementation {
    /// The column's name.
    pub name: String,
    /// What was measured, e.g. `eventsource-stream 0.2.3`.
    pub version: String,
    /// The adapter command line.
    pub command: String,
}

/// Every implementation's outcome on every case.
#[derive(Clone, Debug, Serialize)]
pub struct Matrix {
    /// The implementations, in column order.
    pub implementations: Vec<Implementation>,
    /// The chunkings each case ran at.
    pub chunkings: Vec<String>,
    /// Per implementation (same order), one outcome per case in corpus order.
    pub outcomes: Vec<Vec<CaseOutcome>>,
    /// The cases' names and sources, in corpus order.
    pub cases: Vec<(String, String)>,
}

/// Runs every implementation over `cases` with `settings` (its `command` is replaced by each
/// implementation's).
///
/// ```no_run
/// use ssewire_conformance::matrix::{self, Implementation};
/// use ssewire_conformance::process::AdapterRun;
/// use ssewire_conformance::Case;
/// let cases: Vec<&Case> = Case::all().iter().collect();
/// let settings = AdapterRun {
///     command: String::new(),
///     chunk_sizes: vec![None, Some(1)],
///     timeout: std::time::Duration::from_secs(10),
///     jobs: 2,
///     expected_failures: Vec::new(),
/// };
/// let ours = Implementation {
///     name: "ssewire".into(),
///     version: "0.1.0".into(),
///     command: "sse-conformance adapter".into(),
/// };
/// let matrix = matrix::run(vec![ours], &settings, &cases);
/// println!("{}", matrix.markdown());
/// ```
pub fn run(implementations: Vec<Implementation>, settings: &AdapterRun, cases: &[&Case]) -> Matrix {
    let outcomes = implementations
        .iter()
        .map(|implementation| {
            eprintln!(
                "matrix: {} ({})",
                implementation.name, implementation.command
            );
            let settings = AdapterRun {
                command: implementation.command.clone(),
                ..settings.clone()
            };
            process::run(&settings, cases).outcomes
        })
        .collect();
    Matrix {
        implementations,
        chunkings: settings
            .chunk_sizes
            .iter()
            .map(|s| s.map_or("whole".to_owned(), |n| n.to_string()))
            .collect(),
        outcomes,
        cases: cases
            .iter()
            .map(|c| (c.name.clone(), c.source.clone()))
            .collect(),
    }
}

/// The short label of a verdict in the table.
fn cell(outcome: &CaseOutcome, all_chunkings: usize) -> String {
    let label = match &outcome.verdict {
        Verdict::Pass => return "pass".into(),
        Verdict::Fail(_) => "FAIL",
        Verdict::Crash(_) => "CRASH",
        Verdict::Timeout(_) => "TIMEOUT",
        Verdict::ExpectedFailure(_) => "expected failure",
        Verdict::UnexpectedPass => "unexpected pass",
        Verdict::Bug(_) => "BUG",
    };
    if outcome.wrong_at.len() == all_chunkings {
        label.into()
    } else {
        format!("{label} ({})", outcome.wrong_at.join(","))
    }
}

#[derive(Default, Clone, Copy)]
struct Tally {
    pass: usize,
    fail: usize,
    crash: usize,
    timeout: usize,
}

impl Tally {
    fn add(&mut self, verdict: &Verdict) {
        match verdict {
            Verdict::Pass | Verdict::ExpectedFailure(_) => self.pass += 1,
            Verdict::Fail(_) | Verdict::UnexpectedPass => self.fail += 1,
            Verdict::Crash(_) | Verdict::Bug(_) => self.crash += 1,
            Verdict::Timeout(_) => self.timeout += 1,
        }
    }
}

impl Matrix {
    /// Passes per implementation.
    pub fn passed(&self, implementation: usize) -> usize {
        self.outcomes[implementation]
            .iter()
            .filter(|o| o.verdict == Verdict::Pass)
            .count()
    }

    /// The matrix as Markdown: a summary per implementation, a pass count per corpus area, and
    /// the full case-by-implementation table. A cell says `pass`, `FAIL`, `CRASH` or `TIMEOUT`,
    /// followed by the chunkings that went wrong when not all of them did.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let total = self.cases.len();
        let _ = writeln!(
            out,
            "{total} cases, each run whole and in chunks of {} bytes; a case passes only when \
             every chunking gives exactly the expected events and retries.\n",
            self.chunkings
                .iter()
                .filter(|c| *c != "whole")
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
        out.push_str("## Summary\n\n| implementation | version | pass | fail | crash | timeout | pass rate |\n|---|---|---:|---:|---:|---:|---:|\n");
        for (i, implementation) in self.implementations.iter().enumerate() {
            let mut tally = Tally::default();
            for outcome in &self.outcomes[i] {
                tally.add(&outcome.verdict);
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {:.1}% |",
                implementation.name,
                implementation.version,
                tally.pass,
                tally.fail,
                tally.crash,
                tally.timeout,
                100.0 * tally.pass as f64 / total.max(1) as f64
            );
        }

        let mut areas: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
        for (c, (name, _)) in self.cases.iter().enumerate() {
            let area = name.split('/').next().unwrap_or("");
            let row = areas
                .entry(area)
                .or_insert_with(|| vec![(0, 0); self.implementations.len()]);
            for (i, cell) in row.iter_mut().enumerate() {
                cell.1 += 1;
                if self.outcomes[i][c].verdict == Verdict::Pass {
                    cell.0 += 1;
                }
            }
        }
        out.push_str("\n## Passed per corpus area\n\n| area |");
        for implementation in &self.implementations {
            let _ = write!(out, " {} |", implementation.name);
        }
        out.push_str("\n|---|");
        out.push_str(&"---:|".repeat(self.implementations.len()));
        out.push('\n');
        for (area, row) in &areas {
            let _ = write!(out, "| {area} |");
            for (passed, total) in row {
                let _ = write!(out, " {passed}/{total} |");
            }
            out.push('\n');
        }

        out.push_str("\n## Every case\n\n| case |");
        for implementation in &self.implementations {
            let _ = write!(out, " {} |", implementation.name);
        }
        out.push_str("\n|---|");
        out.push_str(&"---|".repeat(self.implementations.len()));
        out.push('\n');
        for (c, (name, _)) in self.cases.iter().enumerate() {
            let _ = write!(out, "| `{name}` |");
            for i in 0..self.implementations.len() {
                let _ = write!(
                    out,
                    " {} |",
                    cell(&self.outcomes[i][c], self.chunkings.len())
                );
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(name: &str, verdict: Verdict, wrong_at: &[&str]) -> CaseOutcome {
        CaseOutcome {
            name: name.into(),
            verdict,
            wrong_at: wrong_at.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn markdown_counts_each_verdict_and_names_partial_chunkings() {
        let matrix = Matrix {
            implementations: vec![
                Implementation {
                    name: "a".into(),
                    version: "a 1".into(),
                    command: "a".into(),
                },
                Implementation {
                    name: "b".into(),
                    version: "b 2".into(),
                    command: "b".into(),
                },
            ],
            chunkings: vec!["whole".into(), "1".into()],
            outcomes: vec![
                vec![
                    outcome("x/one", Verdict::Pass, &[]),
                    outcome("y/two", Verdict::Fail("d".into()), &["1"]),
                ],
                vec![
                    outcome("x/one", Verdict::Crash("c".into()), &["whole", "1"]),
                    outcome("y/two", Verdict::Timeout("t".into()), &["whole", "1"]),
                ],
            ],
            cases: vec![("x/one".into(), "s".into()), ("y/two".into(), "s".into())],
        };
        let md = matrix.markdown();
        assert!(md.contains("| a | a 1 | 1 | 1 | 0 | 0 | 50.0% |"), "{md}");
        assert!(md.contains("| b | b 2 | 0 | 0 | 1 | 1 | 0.0% |"), "{md}");
        assert!(md.contains("| `y/two` | FAIL (1) | TIMEOUT |"), "{md}");
        assert!(md.contains("| `x/one` | pass | CRASH |"), "{md}");
        assert!(md.contains("| x | 1/1 | 0/1 |"), "{md}");
        assert_eq!(matrix.passed(0), 1);
    }
}
