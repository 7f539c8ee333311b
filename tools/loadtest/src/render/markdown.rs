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
