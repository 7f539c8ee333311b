//! Counters, exposed at `GET /metrics` in the Prometheus text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// The hub's counters and gauges.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub(crate) connections: AtomicU64,
    pub(crate) subscribers: AtomicU64,
    pub(crate) published: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) lag_disconnects: AtomicU64,
    pub(crate) refused_connections: AtomicU64,
}

impl Metrics {
    /// The Prometheus text exposition of every counter.
    pub(crate) fn render(&self) -> String {
        let rows: [(&str, &str, &str, &AtomicU64); 6] = [
            (
                "ssewire_hub_connections",
                "gauge",
                "Open TCP connections.",
                &self.connections,
            ),
            (
                "ssewire_hub_subscribers",
                "gauge",
                "Open event streams.",
                &self.subscribers,
            ),
            (
                "ssewire_hub_published_total",
                "counter",
                "Updates accepted and stored.",
                &self.published,
            ),
            (
                "ssewire_hub_delivered_total",
                "counter",
                "Updates written to event streams.",
                &self.delivered,
            ),
            (
                "ssewire_hub_lag_disconnects_total",
                "counter",
                "Event streams closed for falling too far behind.",
                &self.lag_disconnects,
            ),
            (
                "ssewire_hub_refused_connections_total",
                "counter",
                "Connections answered 503 at the connection limit.",
                &self.refused_connections,
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in rows {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        out
    }
}
