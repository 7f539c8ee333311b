//! A results matrix of many implementations against the corpus, in the manner of
//! JSONTestSuite's: one row per case, one column per implementation, and a summary per
//! implementation. `sse-conformance matrix` runs it; the output is Markdown and JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use ssewire_conformance::{Capability, Case, CaseResult, Report, Verdict};

use crate::cache::OutputCache;
use crate::capabilities::{Capabilities, Mode};
use crate::encode_checks;
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
    /// What the adapter said of itself (`--capabilities`; version 1 defaults otherwise).
    pub capabilities: Capabilities,
}

impl Implementation {
    /// The language it is written in, as its adapter says (`-` when it does not).
    pub fn language(&self) -> &str {
        self.capabilities.language.as_deref().unwrap_or("-")
    }

    fn parses(&self) -> bool {
        self.capabilities.has(Mode::Parse)
    }
}

/// How an encoder did on the encoder checks.
#[derive(Clone, Debug, Serialize)]
pub struct EncodeResult {
    /// Checks passed.
    pub passed: usize,
    /// Checks run.
    pub total: usize,
    /// Checks not given, for lack of what they need.
    pub not_applicable: usize,
    /// The names of the checks that failed.
    pub failed: Vec<String>,
}

/// Every implementation's report on the same cases: plain data, rendered by
/// [`Matrix::markdown`] and [`Matrix::json`].
#[derive(Clone, Debug)]
pub struct Matrix {
    /// The implementations, in column order.
    pub implementations: Vec<Implementation>,
    /// The chunkings each case ran at (`whole`, `1`, ...).
    pub chunkings: Vec<String>,
    /// Per implementation (same order), its report; every report lists the same cases (all
    /// not applicable for an implementation that does not parse).
    pub reports: Vec<Report>,
    /// Per implementation (same order), its encoder checks, when it encodes.
    pub encoders: Vec<Option<EncodeResult>>,
    /// The cases, in corpus order.
    pub cases: Vec<&'static Case>,
}

/// Runs every implementation over `cases` with `settings` (its `command` is replaced by each
/// implementation's, and so are the capabilities it lacks). A case an implementation did not
/// finish (its run stopped early) counts as a timeout for it. With `cache`, each
/// implementation's adapter outputs are kept in `cache/NAME.jsonl` and reused while its
/// command and `--capabilities` answer stay the same.
pub fn run(
    implementations: Vec<Implementation>,
    settings: &Settings,
    cases: &[&'static Case],
    cache: Option<&Path>,
) -> Matrix {
    let mut reports = Vec::new();
    let mut encoders = Vec::new();
    for implementation in &implementations {
        eprintln!(
            "matrix: {} ({}): {}",
            implementation.name,
            implementation.command,
            implementation.capabilities.describe()
        );
        let caps = &implementation.capabilities;
        let cache = cache.map(|dir| {
            let identity = format!(
                "{}\n{}",
                implementation.command,
                serde_json::to_string(caps).unwrap_or_default()
            );
            let file = format!("{}.jsonl", implementation.name.replace(['/', '\\'], "_"));
            Arc::new(OutputCache::open(dir.join(file), identity))
        });
        let settings = Settings {
            command: implementation.command.clone(),
            lacks: caps.lacks.clone(),
            chunk_sizes: if caps.lacks.contains(&Capability::Chunks) {
                vec![None]
            } else {
                settings.chunk_sizes.clone()
            },
            cache: cache.clone(),
            progress: Some(format!("matrix: {}", implementation.name)),
            ..settings.clone()
        };
        let report = if implementation.parses() {
            let run = suite::run(&settings, cases);
            if let Some(why) = &run.stopped_early {
                eprintln!("matrix: {}: {why}", implementation.name);
            }
            complete(run.report, cases, settings.timeout)
        } else {
            Report::default()
        };
        reports.push(report);
        encoders.push(caps.has(Mode::Encode).then(|| {
            let (checks, not_applicable) = encode_checks::encode_checks_lacking(cases, &caps.lacks);
            let (text, failed) = encode_checks::run_encode(&settings, &checks);
            EncodeResult {
                passed: checks.len() - failed,
                total: checks.len(),
                not_applicable,
                failed: text
                    .lines()
                    .filter_map(|l| l.strip_prefix("ENCODE FAIL "))
                    .map(str::to_owned)
                    .collect(),
            }
        }));
        if let Some(cache) = &cache {
            eprintln!(
                "matrix: {}: {} runs reused from the cache",
                implementation.name,
                cache.hits()
            );
            if let Err(e) = cache.save() {
                eprintln!("matrix: cannot save the cache: {e}");
            }
        }
    }
    Matrix {
        encoders,
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
        Verdict::NotApplicable { .. } => return "n/a".into(),
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
    not_applicable: usize,
}

impl Tally {
    fn add(&mut self, verdict: &Verdict) {
        match verdict {
            Verdict::Pass | Verdict::ExpectedFailure => self.pass += 1,
            Verdict::Fail { .. } | Verdict::UnexpectedPass => self.fail += 1,
            Verdict::Timeout { .. } => self.timeout += 1,
            Verdict::NotApplicable { .. } => self.not_applicable += 1,
            _ => self.crash += 1,
        }
    }
}

/// Where the Markdown links a case name: the case file, relative to `docs/` where the report
/// is committed.
const CASE_LINK_PREFIX: &str = "../conformance/cases/";

impl Matrix {
    /// Passes per implementation.
    pub fn passed(&self, implementation: usize) -> usize {
        self.reports[implementation].passed()
    }

    /// The matrix as JSON data: the implementations (with their capabilities), the chunkings,
    /// per implementation one record per case (`name`, `verdict`, `detail`, `wrong_at`), and
    /// the encoder checks.
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
            "encoders": self.encoders,
        })
    }

    /// The parsers' column indices, grouped by language in first-seen order.
    fn parsers_by_language(&self) -> Vec<(&str, Vec<usize>)> {
        let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
        for (i, implementation) in self.implementations.iter().enumerate() {
            if !implementation.parses() {
                continue;
            }
            let language = implementation.language();
            match groups.iter_mut().find(|(l, _)| *l == language) {
                Some((_, members)) => members.push(i),
                None => groups.push((language, vec![i])),
            }
        }
        groups
    }

    /// The matrix as Markdown: a summary per implementation grouped by language, the encoders,
    /// a pass count per corpus area, what each adapter declared it lacks, and the full
    /// case-by-implementation table. A cell says `pass`, `FAIL`, `CRASH`, `TIMEOUT` or `n/a`,
    /// followed by the chunkings that went wrong when not all of them did.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let total = self.cases.len();
        let _ = writeln!(
            out,
            "{total} cases, each run whole and in chunks of {} bytes; a case passes only when \
             every chunking gives exactly the expected events and retries. A case that needs \
             what an adapter declares its library lacks (adapter protocol version 2) is *not \
             applicable* (n/a) to it: counted apart, never as a failure. Pass rates are over the \
             applicable cases.\n",
            self.chunkings
                .iter()
                .filter(|c| *c != "whole")
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
        let groups = self.parsers_by_language();
        let columns: Vec<usize> = groups.iter().flat_map(|(_, m)| m.clone()).collect();
        out.push_str("## Summary\n");
        for (language, members) in &groups {
            let _ = write!(
                out,
                "\n### {language}\n\n| implementation | version | pass | fail | crash | timeout | n/a | pass rate | lacks |\n|---|---|---:|---:|---:|---:|---:|---:|---|\n"
            );
            for &i in members {
                let implementation = &self.implementations[i];
                let mut tally = Tally::default();
                for outcome in &self.reports[i].results {
                    tally.add(&outcome.verdict);
                }
                let applicable = total - tally.not_applicable;
                let lacks: Vec<&str> = implementation
                    .capabilities
                    .lacks
                    .iter()
                    .map(|c| c.name())
                    .collect();
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} | {:.1}% | {} |",
                    implementation.name,
                    implementation.version,
                    tally.pass,
                    tally.fail,
                    tally.crash,
                    tally.timeout,
                    tally.not_applicable,
                    100.0 * tally.pass as f64 / applicable.max(1) as f64,
                    if lacks.is_empty() {
                        "-".to_owned()
                    } else {
                        lacks.join(", ")
                    }
                );
            }
        }

        if self.encoders.iter().any(Option::is_some) {
            out.push_str("\n## Encoders\n\nThe corpus's expected events sent to `ADAPTER --encode` as items; this project's parser must read the output back to the same events, and five values the format cannot carry must be refused.\n\n| implementation | language | version | checks passed | n/a | failed checks |\n|---|---|---|---:|---:|---|\n");
            for (i, result) in self.encoders.iter().enumerate() {
                let Some(result) = result else { continue };
                let implementation = &self.implementations[i];
                let mut failed: Vec<String> = result
                    .failed
                    .iter()
                    .take(8)
                    .map(|n| format!("`{n}`"))
                    .collect();
                if result.failed.len() > 8 {
                    failed.push(format!("and {} more", result.failed.len() - 8));
                }
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {}/{} | {} | {} |",
                    implementation.name,
                    implementation.language(),
                    implementation.version,
                    result.passed,
                    result.total,
                    result.not_applicable,
                    if failed.is_empty() {
                        "-".to_owned()
                    } else {
                        failed.join(", ")
                    }
                );
            }
        }

        let mut areas: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
        for (c, case) in self.cases.iter().enumerate() {
            let area = case.name.split('/').next().unwrap_or("");
            let row = areas
                .entry(area)
                .or_insert_with(|| vec![(0, 0); self.implementations.len()]);
            for &i in &columns {
                let verdict = &self.reports[i].results[c].verdict;
                if matches!(verdict, Verdict::NotApplicable { .. }) {
                    continue;
                }
                row[i].1 += 1;
                if *verdict == Verdict::Pass {
                    row[i].0 += 1;
                }
            }
        }
        out.push_str("\n## Passed per corpus area\n\nPassed / applicable cases.\n\n| area |");
        for &i in &columns {
            let _ = write!(out, " {} |", self.implementations[i].name);
        }
        out.push_str("\n|---|");
        out.push_str(&"---:|".repeat(columns.len()));
        out.push_str("\n| *language* |");
        for &i in &columns {
            let _ = write!(out, " *{}* |", self.implementations[i].language());
        }
        out.push('\n');
        for (area, row) in &areas {
            let _ = write!(out, "| {area} |");
            for &i in &columns {
                let (passed, applicable) = row[i];
                let _ = write!(out, " {passed}/{applicable} |");
            }
            out.push('\n');
        }

        let declared: Vec<&Implementation> = self
            .implementations
            .iter()
            .filter(|i| !i.capabilities.lacks.is_empty())
            .collect();
        if !declared.is_empty() {
            out.push_str("\n## What the adapters declare their libraries lack\n\n| implementation | lacks | why |\n|---|---|---|\n");
            for implementation in declared {
                for lack in &implementation.capabilities.lacks {
                    let why = implementation
                        .capabilities
                        .why
                        .get(lack.name())
                        .map_or("-", String::as_str);
                    let _ = writeln!(
                        out,
                        "| {} | `{lack}` | {} |",
                        implementation.name,
                        why.replace('|', "\\|")
                    );
                }
            }
        }

        out.push_str("\n## Every case\n\nEach case name links to its file: the input and the expected events.\n\n| case |");
        for &i in &columns {
            let _ = write!(out, " {} |", self.implementations[i].name);
        }
        out.push_str("\n|---|");
        out.push_str(&"---|".repeat(columns.len()));
        out.push('\n');
        for (c, case) in self.cases.iter().enumerate() {
            let _ = write!(
                out,
                "| [`{}`]({CASE_LINK_PREFIX}{}.json) |",
                case.name, case.name
            );
            for &i in &columns {
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
                    capabilities: Capabilities::default(),
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
            encoders: vec![None, None],
        };
        let md = matrix.markdown();
        assert!(
            md.contains("| a | a 1 | 1 | 1 | 0 | 0 | 0 | 50.0% | - |"),
            "{md}"
        );
        assert!(
            md.contains("| b | b 1 | 0 | 0 | 1 | 1 | 0 | 0.0% | - |"),
            "{md}"
        );
        let link = |name: &str| format!("[`{name}`](../conformance/cases/{name}.json)");
        assert!(
            md.contains(&format!("| {} | FAIL (1) | TIMEOUT |", link(two))),
            "{md}"
        );
        assert!(
            md.contains(&format!("| {} | pass | CRASH |", link(one))),
            "{md}"
        );
        assert!(md.contains("| bom | 1/1 | 0/1 |"), "{md}");
        assert_eq!(matrix.passed(0), 1);
        let json = matrix.json();
        assert_eq!(json["results"][1][1]["verdict"], "timeout");
        assert_eq!(json["results"][0][1]["wrong_at"][0], "1");
    }
}
