//! The report for a console: a title line, then one indented `measure: result` line per row.

use std::fmt::Write as _;

use super::{rows, title};
use crate::report::Report;

/// The report as plain text (Markdown code-span backticks removed).
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}; server: {}", title(report), report.server);
    match &report.outcome {
        Err(message) => {
            let _ = writeln!(out, "  FAILED: {message}");
        }
        Ok(run) => {
            for row in rows(report.subscribers, run) {
                let _ = write!(out, "  {}: {}", row.measure, row.result);
                if let Some(verdict) = row.verdict {
                    let _ = write!(out, " {verdict}");
                }
                out.push('\n');
            }
            if !run.samples().is_empty() {
                out.push_str("  first problems seen:\n");
                for sample in run.samples() {
                    let _ = writeln!(out, "    {sample}");
                }
            }
        }
    }
    out.replace('`', "")
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_line_per_row_after_the_title() {
        let text = super::render(&crate::render::tests::sample());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "Hub load test (200 subscribers); server: serve_hub"
        );
        assert_eq!(
            lines[3],
            "  Memory per idle subscriber: 2048 bytes (2.00 KiB); aim ≤ 4 KiB: met"
        );
        assert!(lines.contains(&"  Reconnect with Last-Event-ID and replay 100 missed events: 100 subscribers in 0.020 s"));
        assert_eq!(lines.len(), 1 + 11 + 2);
    }
}
