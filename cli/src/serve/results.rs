//! The verdicts as plain data, and their two renderings: text (`Display`) and Markdown.
//! (JSON is the data itself, through serde.)

use std::fmt;

use serde::Serialize;

/// A request as the report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct SeenSummary {
    /// Milliseconds after the scenario's first request.
    pub after_ms: u64,
    /// The path requested.
    pub path: String,
    /// The `Last-Event-ID` sent, if any.
    pub last_event_id: Option<String>,
    /// The method (`TLS` for a ClientHello on the untrusted endpoint).
    pub method: String,
    /// How it came through the forward proxy, if it did.
    pub via_proxy: Option<String>,
}

/// The verdict on one plan entry.
#[derive(Clone, Debug, Serialize)]
pub struct EntryResult {
    /// The entry's id.
    pub id: String,
    /// A scenario (else a corpus case).
    pub scenario: bool,
    /// Where it comes from.
    pub source: String,
    /// What it checks (scenarios).
    pub description: Option<String>,
    /// What went wrong; empty when it passed or was not applicable.
    pub problems: Vec<String>,
    /// The client skipped it for lack of something it needs (a scenario's `needs`): neither
    /// passed nor failed.
    pub not_applicable: bool,
    /// The requests the server saw (scenarios).
    pub requests: Vec<SeenSummary>,
}

impl EntryResult {
    /// Run, with no problems.
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && !self.not_applicable
    }

    /// Run, with problems.
    pub fn failed(&self) -> bool {
        !self.problems.is_empty()
    }
}

/// Verdicts on a whole plan.
#[derive(Clone, Debug, Serialize)]
pub struct Results {
    /// Cases first, then scenarios.
    pub entries: Vec<EntryResult>,
}

impl Results {
    /// Entries with problems.
    pub fn failed(&self) -> usize {
        self.entries.iter().filter(|e| e.failed()).count()
    }

    /// Entries the client skipped for lack of what they need.
    pub fn not_applicable(&self) -> usize {
        self.entries.iter().filter(|e| e.not_applicable).count()
    }

    /// Entries without problems.
    pub fn passed(&self) -> usize {
        self.entries.iter().filter(|e| e.passed()).count()
    }

    fn case_totals(&self) -> Vec<(String, usize, usize)> {
        let mut totals: Vec<(String, usize, usize)> = Vec::new();
        for entry in self.entries.iter().filter(|e| !e.scenario) {
            let segmentation = entry.id.split('/').next().unwrap_or("").to_owned();
            match totals.iter_mut().find(|(s, _, _)| *s == segmentation) {
                Some(row) => {
                    row.1 += usize::from(entry.passed());
                    row.2 += 1;
                }
                None => totals.push((segmentation, usize::from(entry.passed()), 1)),
            }
        }
        totals
    }

    /// The report as Markdown: scenarios with their requests, then case totals and failures.
    pub fn to_markdown(&self, client: &str) -> String {
        let mut out = String::new();
        let scenarios: Vec<&EntryResult> = self.entries.iter().filter(|e| e.scenario).collect();
        let passed = scenarios.iter().filter(|e| e.passed()).count();
        let applicable = scenarios.iter().filter(|e| !e.not_applicable).count();
        let skipped = scenarios.len() - applicable;
        let skipped = if skipped > 0 {
            format!(" ({skipped} not applicable)")
        } else {
            String::new()
        };
        out.push_str(&format!(
            "### Scenarios: {client} passes {passed} of {applicable}{skipped}\n\n"
        ));
        out.push_str("| scenario | verdict | requests seen (ms after the first: path, Last-Event-ID) | source |\n|---|---|---|---|\n");
        for entry in &scenarios {
            let verdict = if entry.not_applicable {
                "n/a".to_owned()
            } else if entry.passed() {
                "pass".to_owned()
            } else {
                format!(
                    "**fail**: {}",
                    entry.problems.join("; ").replace('|', "\\|")
                )
            };
            let requests: Vec<String> = entry
                .requests
                .iter()
                .map(|r| {
                    let method = if r.method == "GET" {
                        String::new()
                    } else {
                        format!("{} ", r.method)
                    };
                    let via = r
                        .via_proxy
                        .as_deref()
                        .map_or(String::new(), |v| format!(" via proxy ({v})"));
                    format!(
                        "{}: {method}`{}` {:?}{via}",
                        r.after_ms,
                        r.path,
                        r.last_event_id.as_deref().unwrap_or("-")
                    )
                })
                .collect();
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                entry.id,
                verdict,
                requests.join("<br>").replace('|', "\\|"),
                entry.source
            ));
        }
        out.push_str(&format!(
            "\n### Corpus over HTTP: {client}\n\n| segmentation | passed |\n|---|---:|\n"
        ));
        for (segmentation, ok, total) in self.case_totals() {
            out.push_str(&format!("| {segmentation} | {ok} / {total} |\n"));
        }
        let failures: Vec<&EntryResult> = self
            .entries
            .iter()
            .filter(|e| !e.scenario && e.failed())
            .collect();
        if !failures.is_empty() {
            out.push_str("\n| failing case | problem |\n|---|---|\n");
            for entry in failures {
                out.push_str(&format!(
                    "| `{}` | {} |\n",
                    entry.id,
                    entry
                        .problems
                        .join("; ")
                        .replace('|', "\\|")
                        .replace('\n', " ")
                ));
            }
        }
        out
    }
}

/// How many failing cases the text report lists.
const SHOWN_CASE_FAILURES: usize = 40;

/// `text` cut to at most `max` bytes at a character boundary, marked when cut.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} more bytes)", &text[..end], text.len() - end)
}

impl fmt::Display for Results {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scenarios:")?;
        for entry in self.entries.iter().filter(|e| e.scenario) {
            let verdict = if entry.not_applicable {
                "N/A "
            } else if entry.passed() {
                "PASS"
            } else {
                "FAIL"
            };
            writeln!(
                f,
                "  {verdict} {}: {}",
                entry.id,
                entry.description.as_deref().unwrap_or("")
            )?;
            for problem in &entry.problems {
                writeln!(f, "       {problem}")?;
            }
        }
        writeln!(f, "corpus over HTTP:")?;
        for (segmentation, ok, total) in self.case_totals() {
            writeln!(f, "  {segmentation:<6} {ok}/{total}")?;
        }
        // A client that fails everything would print a line per case and segmentation: the
        // first few say what is wrong, and --markdown/--json keep them all.
        let failing: Vec<&EntryResult> = self
            .entries
            .iter()
            .filter(|e| !e.scenario && e.failed())
            .collect();
        for entry in failing.iter().take(SHOWN_CASE_FAILURES) {
            let problems = entry.problems.join("; ");
            writeln!(f, "  FAIL {}: {}", entry.id, cut(&problems, 300))?;
        }
        if failing.len() > SHOWN_CASE_FAILURES {
            writeln!(
                f,
                "  ... and {} more failing cases (all of them: --markdown or --json)",
                failing.len() - SHOWN_CASE_FAILURES
            )?;
        }
        write!(f, "{} passed, {} failed", self.passed(), self.failed())?;
        match self.not_applicable() {
            0 => Ok(()),
            n => write!(f, ", {n} not applicable"),
        }
    }
}
