//! A small SVG bar chart of `mercure` runs, drawn by hand (as benches' report does): one panel
//! per figure (memory per idle subscriber against the 4 KiB aim, broadcast fan-out, burst
//! fan-out, burst latency p50 and p99), one bar per run.

use std::fmt::Write as _;

use crate::report::{Measured, Report, MEMORY_AIM};

const PANEL_W: f64 = 190.0;
const PANEL_H: f64 = 170.0;
const TOP: f64 = 46.0;
const COLOURS: [&str; 4] = ["#3b6ea5", "#c0642f", "#5b9a57", "#8a5aa8"];

struct Panel {
    title: &'static str,
    unit: &'static str,
    values: Vec<Option<f64>>,
    aim: Option<f64>,
}

/// The chart, or `None` when no run completed.
pub fn chart(reports: &[Report]) -> Option<String> {
    let runs: Vec<Option<(usize, &crate::report::MercureRun)>> = reports
        .iter()
        .map(|r| match &r.outcome {
            Ok(Measured::Mercure(run)) => Some((r.subscribers, run)),
            _ => None,
        })
        .collect();
    if runs.iter().all(Option::is_none) {
        return None;
    }
    let pick = |f: &dyn Fn(usize, &crate::report::MercureRun) -> f64| -> Vec<Option<f64>> {
        runs.iter().map(|r| r.map(|(n, run)| f(n, run))).collect()
    };
    let panels = [
        Panel {
            title: "Memory per idle subscriber",
            unit: "KiB",
            values: pick(&|n, run| run.per_subscriber_bytes(n) / 1024.0),
            aim: Some(MEMORY_AIM / 1024.0),
        },
        Panel {
            title: "Broadcast fan-out",
            unit: "k events/s",
            values: pick(&|n, run| {
                if run.broadcast_reach_secs > 0.0 {
                    n as f64 / run.broadcast_reach_secs / 1e3
                } else {
                    0.0
                }
            }),
            aim: None,
        },
        Panel {
            title: "Burst fan-out",
            unit: "k events/s",
            values: pick(&|_, run| run.burst_rate().unwrap_or(0.0) / 1e3),
            aim: None,
        },
        Panel {
            title: "Burst latency p50 (public)",
            unit: "ms",
            values: pick(&|_, run| run.public_latency.p50_us as f64 / 1e3),
            aim: None,
        },
        Panel {
            title: "Burst latency p99 (public)",
            unit: "ms",
            values: pick(&|_, run| run.public_latency.p99_us as f64 / 1e3),
            aim: None,
        },
    ];
    let width = PANEL_W * panels.len() as f64 + 20.0;
    let legend_h = 18.0 * reports.len() as f64;
    let height = TOP + PANEL_H + 40.0 + legend_h;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="10" y="20" font-size="14" font-weight="bold">{} subscribers on {} topics, authorization on, loopback, 2 cores (one run, same scenario)</text>"#,
        reports[0].subscribers,
        runs.iter()
            .flatten()
            .map(|(_, run)| run.topics)
            .next()
            .unwrap_or(0)
    );
    for (p, panel) in panels.iter().enumerate() {
        let x0 = 10.0 + PANEL_W * p as f64;
        let max = panel
            .values
            .iter()
            .flatten()
            .copied()
            .chain(panel.aim)
            .fold(0.0_f64, f64::max)
            .max(1e-9)
            * 1.15;
        let base = TOP + PANEL_H;
        let _ = writeln!(
            svg,
            r##"<text x="{}" y="{}" font-weight="bold">{}</text><text x="{}" y="{}" fill="#555">{}</text>"##,
            x0,
            TOP - 8.0,
            panel.title,
            x0,
            TOP + 6.0,
            panel.unit
        );
        let _ = writeln!(
            svg,
            r##"<line x1="{x0}" y1="{base}" x2="{}" y2="{base}" stroke="#333"/>"##,
            x0 + PANEL_W - 20.0
        );
        let bar_w = (PANEL_W - 40.0) / panel.values.len().max(1) as f64;
        for (k, value) in panel.values.iter().enumerate() {
            let x = x0 + 10.0 + bar_w * k as f64;
            let Some(value) = value else {
                let _ = writeln!(svg, r#"<text x="{x}" y="{}">failed</text>"#, base - 4.0);
                continue;
            };
            let h = (value / max) * (PANEL_H - 20.0);
            let _ = writeln!(
                svg,
                r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{}"/><text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                base - h,
                bar_w - 8.0,
                COLOURS[k % COLOURS.len()],
                x + (bar_w - 8.0) / 2.0,
                base - h - 3.0,
                short(*value)
            );
        }
        if let Some(aim) = panel.aim {
            let y = base - (aim / max) * (PANEL_H - 20.0);
            let _ = writeln!(
                svg,
                r##"<line x1="{x0}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#c00" stroke-dasharray="4 3"/><text x="{}" y="{:.1}" fill="#c00" text-anchor="end">aim</text>"##,
                x0 + PANEL_W - 20.0,
                x0 + PANEL_W - 20.0,
                y - 3.0
            );
        }
    }
    for (k, report) in reports.iter().enumerate() {
        let y = TOP + PANEL_H + 30.0 + 18.0 * k as f64;
        let _ = writeln!(
            svg,
            r#"<rect x="10" y="{}" width="12" height="12" fill="{}"/><text x="28" y="{}">{}</text>"#,
            y - 10.0,
            COLOURS[k % COLOURS.len()],
            y,
            escape(&report.target.replace('`', ""))
        );
    }
    svg.push_str("</svg>\n");
    Some(svg)
}

fn short(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
