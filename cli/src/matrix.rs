//! A results matrix of many implementations against the corpus, in the manner of
//! JSONTestSuite's: one row per case, one column per implementation, and a summary per
//! implementation. `sse-conformance matrix` runs it; the output is Markdown and JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use ssewire_conformance::{Case, CaseResult, Report, Verdict};

use crate::suite::{self, chunk_size_name, Settings};

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

/// Every implementation's report on the same cases: plain data, rendered by
/// [`Matrix::markdown`] and [`Matrix::json`].
#[derive(Clone, Debug)]
pub struct Matrix {
    /// The implementations, in column order.
    pub implementations: Vec<Implementation>,
    /// The chunkings each case ran at (`whole`, `1`, ...).
    pub chunkings: Vec<String>,
    /// Per implementation (same order), its report; every report lists the same cases.
    pub reports: Vec<Report>,
    /// The cases, in corpus order.
    pub cases: Vec<&'static Case>,
}

/// Runs every implementation over `cases` with `settings` (its `command` is replaced by each
/// implementation's). A case an implementation did not finish (its run stopped early) counts
/// as a timeout for it.
pub fn run(
    implementations: Vec<Implementation>,
    settings: &Settings,
    cases: &[&'static Case],
) -> Matrix {
    let reports = implementations
        .iter()
        .map(|implementation| {
            eprintln!(
                "matrix: {} ({})",
                implementation.name, implementation.command
            );
            let settings = Settings {
                command: implementation.command.clone(),
                ..settings.clone()
            };
            let run = suite::run(&settings, cases);
            if let Some(why) = &run.stopped_early {
                eprintln!("matrix: {}: {why}", implementation.name);
            }
            complete(run.report, cases, settings.timeout)
        })
        .collect();
    Matrix {
        implementations,
        chunkings: settings
            .chunk_sizes
            .iter()
            .map(|&s| chunk_size_name(s))
            .collect(),
        reports,
        cases: cases.to_vec(),
    }
}

/// `report` with a timeout for each case it lacks, so every column has every row.
fn complete(report: Report, cases: &[&'static Case], after: std::time::Duration) -> Report {
    let mut given = report.results.into_iter().peekable();
    let mut results = Vec::with_capacity(cases.len());
    for &case in cases {
        match given.peek() {
            Some(result) if result.case.name == case.name => results.extend(given.next()),
            _ => results.push(CaseResult::new(
                case,
                Verdict::Timeout {
                    chunking: "not run: the run stopped early".into(),
                    after,
                },
            )),
        }
    }
    Report { results }
}

/// The short label of a verdict in the table.
fn cell(outcome: &CaseResult, all_chunkings: usize) -> String {
    let label = match &outcome.verdict {
        Verdict::Pass => return "pass".into(),
        Verdict::Fail { .. } => "FAIL",
        Verdict::Crash { .. } => "CRASH",
        Verdict::Timeout { .. } => "TIMEOUT",
        Verdict::ExpectedFailure => "expected failure",
        Verdict::UnexpectedPass => "unexpected pass",
        _ => "BUG",
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
            Verdict::Pass | Verdict::ExpectedFailure => self.pass += 1,
            Verdict::Fail { .. } | Verdict::UnexpectedPass => self.fail += 1,
            Verdict::Timeout { .. } => self.timeout += 1,
            _ => self.crash += 1,
        }
    }
}

impl Matrix {
    /// Passes per implementation.
    pub fn passed(&self, implementation: usize) -> usize {
        self.reports[implementation].passed()
    }

    /// The matrix as JSON data: the implementations, the chunkings, and per implementation one
    /// record per case (`name`, `verdict`, `detail`, `wrong_at`).
    pub fn json(&self) -> serde_json::Value {
        let results: Vec<Vec<_>> = self
            .reports
            .iter()
            .map(|r| r.results.iter().map(CaseResult::record).collect())
            .collect();
        serde_json::json!({
            "implementations": self.implementations,
            "chunkings": self.chunkings,
            "results": results,
        })
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
            for outcome in &self.reports[i].results {
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
        for (c, case) in self.cases.iter().enumerate() {
            let area = case.name.split('/').next().unwrap_or("");
            let row = areas
                .entry(area)
                .or_insert_with(|| vec![(0, 0); self.implementations.len()]);
            for (i, cell) in row.iter_mut().enumerate() {
                cell.1 += 1;
                if self.reports[i].results[c].verdict == Verdict::Pass {
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
        for (c, case) in self.cases.iter().enumerate() {
            let _ = write!(out, "| `{}` |", case.name);
            for i in 0..self.implementations.len() {
                let _ = write!(
                    out,
                    " {} |",
                    cell(&self.reports[i].results[c], self.chunkings.len())
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

    fn result(name: &str, verdict: Verdict, wrong_at: &[&str]) -> CaseResult {
        CaseResult {
            wrong_at: wrong_at.iter().map(|s| s.to_string()).collect(),
            ..CaseResult::new(Case::find(name).expect("a case"), verdict)
        }
    }

    #[test]
    fn markdown_counts_each_verdict_and_names_partial_chunkings() {
        let (one, two) = ("bom/bom-alone-yields-nothing", "retry/zero-value");
        let chunking = String::from("whole input");
        let matrix = Matrix {
            implementations: ["a", "b"]
                .map(|n| Implementation {
                    name: n.into(),
                    version: format!("{n} 1"),
                    command: n.into(),
                })
                .to_vec(),
            chunkings: vec!["whole".into(), "1".into()],
            reports: vec![
                Report {
                    results: vec![
                        result(one, Verdict::Pass, &[]),
                        result(
                            two,
                            Verdict::Fail {
                                chunking: chunking.clone(),
                                got: Vec::new(),
                            },
                            &["1"],
                        ),
                    ],
                },
                Report {
                    results: vec![
                        result(
                            one,
                            Verdict::Crash {
                                chunking: chunking.clone(),
                                message: "c".into(),
                            },
                            &["whole", "1"],
                        ),
                        result(
                            two,
                            Verdict::Timeout {
                                chunking,
                                after: std::time::Duration::from_secs(1),
                            },
                            &["whole", "1"],
                        ),
                    ],
                },
            ],
            cases: vec![Case::find(one).unwrap(), Case::find(two).unwrap()],
        };
        let md = matrix.markdown();
        assert!(md.contains("| a | a 1 | 1 | 1 | 0 | 0 | 50.0% |"), "{md}");
        assert!(md.contains("| b | b 1 | 0 | 0 | 1 | 1 | 0.0% |"), "{md}");
        assert!(
            md.contains(&format!("| `{two}` | FAIL (1) | TIMEOUT |")),
            "{md}"
        );
        assert!(md.contains(&format!("| `{one}` | pass | CRASH |")), "{md}");
        assert!(md.contains("| bom | 1/1 | 0/1 |"), "{md}");
        assert_eq!(matrix.passed(0), 1);
        let json = matrix.json();
        assert_eq!(json["results"][1][1]["verdict"], "timeout");
        assert_eq!(json["results"][0][1]["wrong_at"][0], "1");
    }
}
