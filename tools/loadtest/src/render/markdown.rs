//! The report for docs/load-results.md: a heading, the arguments and server, then a table of
//! the rows with the verdicts in bold.

use std::fmt::Write as _;

use super::{rows, title};
use crate::report::Report;

/// The report as Markdown.
pub fn render(report: &Report) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "### {}\n", title(report));
    let _ = writeln!(
        md,
        "Arguments: `{}`; server: {}.\n",
        report.arguments.join(" "),
        report.server
    );
    let run = match &report.outcome {
        Err(message) => {
            let _ = writeln!(md, "**FAILED**: {message}");
            return md;
        }
        Ok(run) => run,
    };
    md.push_str("| Measure | Result |\n|---|---|\n");
    for row in rows(report.subscribers, run) {
        let _ = write!(md, "| {} | {}", row.measure, row.result);
        if let Some(verdict) = row.verdict {
            let _ = write!(md, " **{verdict}**");
        }
        md.push_str(" |\n");
    }
    if !run.samples().is_empty() {
        md.push_str("\nFirst problems seen:\n\n");
        for sample in run.samples() {
            let _ = writeln!(md, "- {sample}");
        }
    }
    md
}

/// Several reports of the same scenario as one table, a column each (the first report's
/// measures name the rows), then each one's problems.
pub fn side_by_side(reports: &[Report]) -> String {
    let mut md = String::new();
    let Some(first) = reports.first() else {
        return md;
    };
    let _ = writeln!(md, "### {} and the others, side by side\n", title(first));
    let _ = writeln!(md, "Arguments: `{}`.\n", first.arguments.join(" "));
    for report in reports {
        let _ = writeln!(md, "- **{}**: {}.", report.target, report.server);
    }
    md.push_str("\n| Measure |");
    for report in reports {
        let _ = write!(md, " {} |", report.target);
    }
    md.push_str("\n|---|");
    md.push_str(&"---|".repeat(reports.len()));
    md.push('\n');
    let columns: Vec<Result<Vec<super::Row>, &String>> = reports
        .iter()
        .map(|r| match &r.outcome {
            Ok(run) => Ok(rows(r.subscribers, run)),
            Err(e) => Err(e),
        })
        .collect();
    let measures: Vec<String> = columns
        .iter()
        .find_map(|c| c.as_ref().ok())
        .map(|rows| rows.iter().map(|r| r.measure.clone()).collect())
        .unwrap_or_default();
    for (k, measure) in measures.iter().enumerate() {
        let _ = write!(md, "| {measure} |");
        for column in &columns {
            match column {
                Ok(rows) => match rows.get(k) {
                    Some(row) => {
                        let _ = write!(md, " {}", row.result);
                        if let Some(verdict) = row.verdict {
                            let _ = write!(md, " **{verdict}**");
                        }
                        md.push_str(" |");
                    }
                    None => md.push_str(" |"),
                },
                Err(e) if k == 0 => {
                    let _ = write!(md, " **FAILED**: {e} |");
                }
                Err(_) => md.push_str(" |"),
            }
        }
        md.push('\n');
    }
    for report in reports {
        if let Ok(run) = &report.outcome {
            if !run.samples().is_empty() {
                let _ = writeln!(md, "\nFirst problems seen ({}):\n", report.target);
                for sample in run.samples() {
                    let _ = writeln!(md, "- {sample}");
                }
            }
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use crate::report::Report;

    #[test]
    fn a_table_with_bold_verdicts() {
        let md = super::render(&crate::render::tests::sample());
        assert!(md.starts_with("### Hub load test (200 subscribers)\n\nArguments: `--subscribers 200`; server: `serve_hub`.\n\n| Measure | Result |\n|---|---|\n"));
        assert!(md.contains(
            "| Memory per idle subscriber | 2048 bytes (2.00 KiB); aim ≤ 4 KiB: **met** |\n"
        ));
        assert!(md.contains("| 0, 1, 0 → **FAIL** |\n"));
        assert!(md.ends_with("\n- subscriber 3: disconnected: the server closed the stream\n"));
    }

    #[test]
    fn a_run_that_did_not_complete_says_why() {
        let report = Report {
            outcome: Err("timed out".into()),
            ..crate::render::tests::sample()
        };
        assert!(super::render(&report).ends_with("\n**FAILED**: timed out\n"));
        assert_eq!(report.exit_code(), crate::ERROR);
    }
}
