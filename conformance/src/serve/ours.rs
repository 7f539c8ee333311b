//! Our own client, `ssewire_http::EventSource`, following the plan like any other client.

use std::time::Duration;

use futures_util::StreamExt;
use ssewire_http::{EventSource, SourceEvent};

use super::{ClientReport, PlanEntry, ReportedEvent, Server};

/// Runs every plan entry of `server` with our `EventSource` over TCP, `parallel` at a time, and
/// submits each report. Returns when all are in.
pub async fn run_ours(server: &Server, parallel: usize) {
    let base = server.url();
    let plan = server.plan().clone();
    let entries = plan
        .cases
        .iter()
        .map(|e| (e, true))
        .chain(plan.scenarios.iter().map(|e| (e, false)));
    let reports: Vec<ClientReport> = futures_util::stream::iter(entries)
        .map(|(entry, is_case)| run_one(&base, entry, is_case))
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    for report in reports {
        server.submit(report);
    }
}

async fn run_one(base: &str, entry: &PlanEntry, is_case: bool) -> ClientReport {
    let mut report = ClientReport {
        id: entry.id.clone(),
        ..ClientReport::default()
    };
    let (stop_events, limit) = match entry.stop {
        Some(stop) if !is_case => (stop.events, Duration::from_millis(stop.ms)),
        _ => (usize::MAX, Duration::from_secs(20)),
    };
    let mut source = EventSource::new(format!("{base}{}", entry.url));
    let run = async {
        while let Some(item) = source.next().await {
            match item {
                Ok(SourceEvent::Open | SourceEvent::Skipped(_)) => {}
                Ok(SourceEvent::Message(event)) => {
                    report.events.push(ReportedEvent {
                        event: event.event_type().into(),
                        data: event.data().into(),
                        id: event.last_event_id().into(),
                    });
                    if report.events.len() >= stop_events {
                        break;
                    }
                }
                Ok(SourceEvent::Reconnecting { .. }) => {
                    report.errors.push("connecting".into());
                    if is_case {
                        break;
                    }
                }
                // `SourceEvent` is `#[non_exhaustive]`: a later kind of item is not an event.
                Ok(_) => {}
                Err(_) => {
                    report.errors.push("closed".into());
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(limit, run).await;
    source.close();
    report
}
