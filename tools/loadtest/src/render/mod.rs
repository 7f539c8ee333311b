//! The [`Report`] as words: [`rows`] says what each line of the results means, once;
//! [`text`] lays the rows out for a console and [`markdown`] as a table.

pub mod markdown;
pub mod svg;
pub mod text;

use crate::report::{Burst, Latency, Measured, MercureRun, Report, Run, MEMORY_AIM};

/// One line of the results: what was measured and what came out, with a verdict word to
/// stress where there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// What was measured or checked (may hold Markdown code spans).
    pub measure: String,
    /// The figures.
    pub result: String,
    /// `PASS`, `FAIL`, `met` …, shown after the figures and stressed.
    pub verdict: Option<&'static str>,
}

fn row(measure: String, result: String) -> Row {
    Row {
        measure,
        result,
        verdict: None,
    }
}

/// Events per second, in millions or thousands.
fn rate(burst: &Burst) -> String {
    match burst.rate() {
        None => "n/a".into(),
        Some(per_sec) if per_sec >= 1e6 => format!("{:.2} M events/s", per_sec / 1e6),
        Some(per_sec) => format!("{:.0} k events/s", per_sec / 1e3),
    }
}

/// The title: `Hub load test (10000 subscribers)`.
pub fn title(report: &Report) -> String {
    format!(
        "{} load test ({} subscribers)",
        report.target, report.subscribers
    )
}

/// The results of a completed run, in order.
pub fn rows(subscribers: usize, measured: &Measured) -> Vec<Row> {
    match measured {
        Measured::Hub(run) => hub_rows(subscribers, run),
        Measured::Mercure(run) => mercure_rows(subscribers, run),
    }
}

/// `p50 … µs, p99 … µs, max … µs (n deliveries)`, in ms above 10 ms.
fn latency(l: &Latency) -> String {
    let t = |us: u64| {
        if us >= 10_000 {
            format!("{:.1} ms", us as f64 / 1e3)
        } else {
            format!("{us} µs")
        }
    };
    format!(
        "p50 {}, p99 {}, max {} ({} deliveries)",
        t(l.p50_us),
        t(l.p99_us),
        t(l.max_us),
        l.count
    )
}

fn per_sec(rate: Option<f64>) -> String {
    match rate {
        None => "n/a".into(),
        Some(per_sec) if per_sec >= 1e6 => format!("{:.2} M events/s", per_sec / 1e6),
        Some(per_sec) => format!("{:.0} k events/s", per_sec / 1e3),
    }
}

/// The rows of a `mercure` run.
pub fn mercure_rows(subscribers: usize, run: &MercureRun) -> Vec<Row> {
    let per = run.per_subscriber_bytes(subscribers);
    let (before, idle, after) = (run.memory_before, run.memory_idle, run.memory_after);
    let checks = run.checks;
    let reach_rate =
        (run.broadcast_reach_secs > 0.0).then(|| subscribers as f64 / run.broadcast_reach_secs);
    let burst = run.public_updates + run.private_updates > 0;
    let rows = vec![
        row(
            "Subscribers held".into(),
            format!(
                "{subscribers} on {} topics, from {} source addresses; tokens minted in {:.2} s, \
                 all streams open and counted by the hub in {:.2} s",
                run.topics, run.source_addrs, run.mint_secs, run.connect_secs
            ),
        ),
        row(
            "Hub RSS before / with all idle / at the end".into(),
            format!(
                "{} KiB / {} KiB / {} KiB (HWM {} KiB); driver {} KiB",
                before.rss_kib, idle.rss_kib, after.rss_kib, after.hwm_kib, run.driver_rss_kib
            ),
        ),
        Row {
            measure: "Memory per idle subscriber (with its token and 4 matchers)".into(),
            result: format!("{per:.0} bytes ({:.2} KiB); aim ≤ 4 KiB:", per / 1024.0),
            verdict: Some(if per <= MEMORY_AIM { "met" } else { "not met" }),
        },
        row(
            "For scale: an idle keep-alive connection served by hyper (one `GET /healthz`, then idle; N of them on a hub of their own)".into(),
            match run.idle_connection_bytes {
                Some(bytes) => format!(
                    "{bytes:.0} bytes ({:.2} KiB); publishers and the API use such connections, \
                     event streams are written without hyper (docs/hub.md)",
                    bytes / 1024.0
                ),
                None => "not measured (`--probe-connections`, ssewire-hub only)".into(),
            },
        ),
        row(
            format!("{} broadcasts, each to all {subscribers}", run.broadcasts),
            format!(
                "median {:.3} s until the last subscriber had one ({}); latency {}",
                run.broadcast_reach_secs,
                per_sec(reach_rate),
                latency(&run.broadcast_latency)
            ),
        ),
        row(
            format!(
                "Burst: {} public updates (to one topic each) + {} private (to one subscriber each)",
                run.public_updates, run.private_updates
            ),
            format!(
                "published in {:.2} s ({:.0} publishes/s); {} deliveries in {:.2} s: {}",
                run.publish_secs,
                (run.public_updates + run.private_updates) as f64 / run.publish_secs.max(1e-9),
                run.burst_deliveries,
                run.burst_secs,
                per_sec(run.burst_rate())
            ),
        ),
        row("Burst latency, public".into(), latency(&run.public_latency)),
        row("Burst latency, private".into(), latency(&run.private_latency)),
    ];
    // A run without a burst (the ceiling's steps) leaves its rows out.
    let mut rows: Vec<Row> = rows
        .into_iter()
        .enumerate()
        .filter(|(k, _)| burst || !(5..=7).contains(k))
        .map(|(_, r)| r)
        .collect();
    rows.extend([
        Row {
            measure: "Wrong counts, misdelivered (incl. leaked private), lost streams, failed publishes, lag disconnects, order mismatches".into(),
            result: format!(
                "{}, {}, {}, {}, {}, {} →",
                checks.wrong_counts,
                checks.misdelivered,
                checks.disconnects,
                checks.publish_errors,
                checks.lag_disconnects,
                checks.order_mismatches
            ),
            verdict: Some(if checks.passed() { "PASS" } else { "FAIL" }),
        },
        row("Whole run".into(), format!("{:.1} s", run.total_secs)),
    ]);
    rows
}

/// The rows of a `hub` run.
fn hub_rows(subscribers: usize, run: &Run) -> Vec<Row> {
    let per = run.per_subscriber_bytes(subscribers);
    let (before, idle, after) = (run.memory_before, run.memory_idle, run.memory_after_burst);
    let (b1, b2, b3) = (&run.burst1, &run.burst2, &run.burst3);
    let checks = run.checks;
    vec![
        row(
            "Connections held".into(),
            format!(
                "{subscribers}, all open and counted by the server in {:.2} s ({} connect retries)",
                run.connect_secs, run.connect_retries
            ),
        ),
        row(
            "Server RSS before / with all idle".into(),
            format!(
                "{} KiB / {} KiB (HWM {} KiB)",
                before.rss_kib, idle.rss_kib, idle.hwm_kib
            ),
        ),
        Row {
            measure: "Memory per idle subscriber".into(),
            result: format!("{per:.0} bytes ({:.2} KiB); aim ≤ 4 KiB:", per / 1024.0),
            verdict: Some(if per <= MEMORY_AIM { "met" } else { "not met" }),
        },
        row(
            format!("Burst 1: {} events × {}", b1.events, b1.subscribers),
            format!("{:.3} s, {} delivered", b1.secs, rate(b1)),
        ),
        row(
            "Server RSS after burst 1".into(),
            format!("{} KiB (HWM {} KiB)", after.rss_kib, after.hwm_kib),
        ),
        row(
            format!("Drop: {} clients close", run.dropped),
            format!("the server noticed in {:.2} s", run.drop_secs),
        ),
        row(
            format!(
                "Burst 2 while {} were away: {} events × {}",
                run.dropped, b2.events, b2.subscribers
            ),
            format!("{:.3} s, {}", b2.secs, rate(b2)),
        ),
        row(
            format!(
                "Reconnect with `Last-Event-ID` and replay {} missed events",
                run.resume.events
            ),
            format!(
                "{} subscribers in {:.3} s",
                run.resume.subscribers, run.resume.secs
            ),
        ),
        row(
            format!(
                "Burst 3 (live, after the reconnections): {} events × {}",
                b3.events, b3.subscribers
            ),
            format!("{:.3} s, {}", b3.secs, rate(b3)),
        ),
        Row {
            measure: "Ordering/content errors, unexpected disconnects, not at the last ID".into(),
            result: format!(
                "{}, {}, {} →",
                checks.order_errors, checks.disconnects, checks.wrong_last
            ),
            verdict: Some(if checks.passed() { "PASS" } else { "FAIL" }),
        },
        row("Whole run".into(), format!("{:.1} s", run.total_secs)),
    ]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::{Checks, Memory};

    /// A run like the smoke run's, with one problem seen.
    pub(crate) fn sample() -> Report {
        let burst = |events, subscribers, secs| Burst {
            events,
            subscribers,
            secs,
        };
        Report {
            target: "Hub".into(),
            server: "`serve_hub`".into(),
            arguments: vec!["--subscribers".into(), "200".into()],
            subscribers: 200,
            outcome: Ok(Measured::Hub(Run {
                connect_secs: 0.05,
                memory_before: Memory {
                    rss_kib: 4000,
                    hwm_kib: 4000,
                },
                memory_idle: Memory {
                    rss_kib: 4400,
                    hwm_kib: 4400,
                },
                burst1: burst(20, 200, 0.01),
                dropped: 100,
                burst2: burst(100, 100, 0.0),
                resume: burst(100, 100, 0.02),
                burst3: burst(20, 200, 0.004),
                checks: Checks {
                    disconnects: 1,
                    ..Checks::default()
                },
                samples: vec!["subscriber 3: disconnected: the server closed the stream".into()],
                ..Run::default()
            })),
        }
    }

    #[test]
    fn rows_carry_the_figures_and_the_verdicts() {
        let report = sample();
        let rows = rows(report.subscribers, report.outcome.as_ref().unwrap());
        let Measured::Hub(_) = report.outcome.as_ref().unwrap() else {
            panic!("not hub")
        };
        assert_eq!(rows[2].result, "2048 bytes (2.00 KiB); aim ≤ 4 KiB:");
        assert_eq!(rows[2].verdict, Some("met"));
        assert_eq!(rows[3].result, "0.010 s, 400 k events/s delivered");
        assert_eq!(rows[6].result, "0.000 s, n/a");
        assert_eq!(rows[9].verdict, Some("FAIL"));
        assert_eq!(report.exit_code(), crate::CHECK_FAILED);
    }
}
