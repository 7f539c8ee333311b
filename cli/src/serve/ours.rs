//! Our own client, `ssewire_http::EventSource`, following the plan like any other client.

use std::time::Duration;

use futures_util::StreamExt;
use hyper::header::{HeaderName, HeaderValue};
use hyper::Method;
use ssewire_http::{EventSource, HyperTransport, SourceEvent};

use ssewire_conformance::Output;

use super::plan::{ClientReport, PlanEntry};
use super::Server;

/// Runs every plan entry of `server` with our `EventSource` over TCP, `parallel` at a time, and
/// submits each report. Returns when all are in.
pub async fn run_ours(server: &Server, parallel: usize) {
    let shared = HyperTransport::new();
    run_ours_with(server, parallel, move || shared.clone()).await;
}

/// [`run_ours`] with each entry's client on the transport `transport` makes, e.g.
/// `|| HyperTransport::new().http2_only()` for HTTP/2 with prior knowledge, one connection
/// per entry. (Entries sharing one HTTP/2 connection share h2's budget for small DATA
/// frames: the 1-byte segmentation of the large hostile cases exhausts it, and h2 closes the
/// connection with ENHANCE_YOUR_CALM, ending every stream on it.)
pub async fn run_ours_with(
    server: &Server,
    parallel: usize,
    transport: impl Fn() -> HyperTransport,
) {
    let base = server.url();
    let plan = server.plan().clone();
    let reports: Vec<ClientReport> = futures_util::stream::iter(plan.entries())
        .map(|entry| run_one(&base, entry, transport()))
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    for report in reports {
        server.submit(report);
    }
}

async fn run_one(base: &str, entry: PlanEntry<'_>, transport: HyperTransport) -> ClientReport {
    let mut report = ClientReport {
        id: entry.id().to_owned(),
        ..ClientReport::default()
    };
    let is_case = matches!(entry, PlanEntry::Case(_));
    let (stop_events, limit) = match entry {
        PlanEntry::Scenario(s) => (s.stop.events, Duration::from_millis(s.stop.ms)),
        PlanEntry::Case(_) => (usize::MAX, super::plan::CASE_LIMIT),
    };
    // Our client has every need a scenario may name: a request of its own, a proxy, TLS.
    let url = entry.url();
    let url = if url.contains("://") {
        url.to_owned()
    } else {
        format!("{base}{url}")
    };
    let mut builder = EventSource::builder(url);
    let mut transport = transport;
    if let PlanEntry::Scenario(scenario) = entry {
        if let Some(proxy) = &scenario.proxy {
            transport = transport.proxy(proxy, "");
        }
        if let Some(request) = &scenario.request {
            let Ok(method) = Method::from_bytes(request.method.as_bytes()) else {
                return report;
            };
            builder = builder.method(method).body(request.body.clone());
            for (name, value) in &request.headers {
                let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) else {
                    return report;
                };
                builder = builder.header(name, value);
            }
        }
    }
    let mut source = builder.transport(transport).build();
    let run = async {
        while let Some(item) = source.next().await {
            match item {
                Ok(SourceEvent::Open | SourceEvent::Skipped(_)) => {}
                Ok(SourceEvent::Message(event)) => {
                    let (kind, data) = (event.event_type(), event.data());
                    let output = Output::event(kind, data, event.last_event_id());
                    report.events.push(output);
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
