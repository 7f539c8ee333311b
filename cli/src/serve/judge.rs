//! The verdicts: every plan entry judged on what the server saw (requests, their headers and
//! timing) and what the client reported.

use std::collections::HashMap;
use std::time::Instant;

use ssewire_conformance::{escape_truncated, Output};

use super::plan::{ClientReport, Plan};
use super::results::{EntryResult, Results, SeenSummary};
use super::scenarios::{Outcome, Scenario};

/// A request the server saw for a scenario.
#[derive(Clone, Debug)]
pub struct Seen {
    /// When it arrived.
    pub at: Instant,
    /// Its path.
    pub path: String,
    /// Its `Last-Event-ID`, raw.
    pub last_event_id: Option<Vec<u8>>,
    /// Its `Accept`.
    pub accept: Option<String>,
    /// Its `Cache-Control`.
    pub cache_control: Option<String>,
    /// When its response's last piece was sent, if it was.
    pub ended: Option<Instant>,
    /// Its method (`TLS` for a TLS connection to the untrusted endpoint, recorded at its
    /// ClientHello, before any request).
    pub method: String,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// Its body (up to 64 KiB).
    pub body: Vec<u8>,
    /// How it reached the server through the forward proxy, if it did: `CONNECT <authority>`
    /// for a tunnel, else the method and the request target the proxy got.
    pub via_proxy: Option<String>,
}

const SKIPPED_NO_NEEDS: &str = "skipped, but it needs nothing beyond EventSource";

impl Seen {
    /// A `GET /` seen now, with no headers: the fields a route fills in come after.
    pub(crate) fn new() -> Seen {
        Seen {
            at: Instant::now(),
            path: "/".into(),
            last_event_id: None,
            accept: None,
            cache_control: None,
            ended: None,
            method: "GET".into(),
            content_type: None,
            body: Vec::new(),
            via_proxy: None,
        }
    }
}

/// Judges every plan entry on what the server saw and what the clients reported.
pub(crate) fn judge(
    plan: &Plan,
    scenarios: &[Scenario],
    requests_seen: &HashMap<String, Vec<Seen>>,
    reports: &HashMap<String, ClientReport>,
) -> Results {
    {
        let mut entries = Vec::new();
        for entry in &plan.cases {
            let problems = match reports.get(&entry.id) {
                None => vec!["no report".to_owned()],
                Some(report) if report.skipped => vec![SKIPPED_NO_NEEDS.to_owned()],
                Some(report) => {
                    let expected = &entry.expect;
                    if report.events == *expected {
                        Vec::new()
                    } else {
                        vec![format!(
                            "events {}, expected {}",
                            show_events(&report.events),
                            show_events(expected)
                        )]
                    }
                }
            };
            entries.push(EntryResult {
                id: entry.id.clone(),
                scenario: false,
                source: entry.source.clone(),
                description: None,
                problems,
                not_applicable: false,
                requests: Vec::new(),
            });
        }
        for scenario in scenarios {
            let requests = requests_seen.get(&scenario.id).cloned().unwrap_or_default();
            let mut not_applicable = false;
            let problems = match reports.get(&scenario.id) {
                None => vec!["no report".to_owned()],
                Some(report) if report.skipped => {
                    not_applicable = !scenario.needs.is_empty();
                    if not_applicable {
                        Vec::new()
                    } else {
                        vec![SKIPPED_NO_NEEDS.to_owned()]
                    }
                }
                Some(report) => (scenario.check)(&Outcome {
                    requests: &requests,
                    events: &report.events,
                    errors: &report.errors,
                }),
            };
            let first = requests.first().map(|r| r.at);
            let seen = requests
                .iter()
                .map(|r| SeenSummary {
                    after_ms: first.map_or(0, |f| r.at.duration_since(f).as_millis() as u64),
                    path: r.path.clone(),
                    last_event_id: r
                        .last_event_id
                        .as_deref()
                        .map(|v| String::from_utf8_lossy(v).into_owned()),
                    method: r.method.clone(),
                    via_proxy: r.via_proxy.clone(),
                })
                .collect();
            entries.push(EntryResult {
                id: scenario.id.clone(),
                scenario: true,
                source: scenario.source.into(),
                description: Some(scenario.description.clone()),
                problems,
                not_applicable,
                requests: seen,
            });
        }
        Results { entries }
    }
}

/// Up to four events, each as its protocol line cut short.
pub(crate) fn show_events(events: &[Output]) -> String {
    let shown: Vec<String> = events
        .iter()
        .take(4)
        .map(|e| escape_truncated(e.to_json_line().as_bytes(), 80))
        .collect();
    let more = if events.len() > 4 {
        format!(" +{} more", events.len() - 4)
    } else {
        String::new()
    };
    format!("{} [{}]{more}", events.len(), shown.join(", "))
}
