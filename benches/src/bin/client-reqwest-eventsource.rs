//! `client-reqwest-eventsource BASE_URL`: runs `sse-conformance serve`'s plan
//! (docs/client-conformance.md) with `reqwest-eventsource` 0.6.0 on reqwest 0.12 (rustls,
//! webpki roots).
//!
//! Each entry gets its own `reqwest::Client` (through the entry's proxy when it names one,
//! `Proxy::all`; else no proxy) and `EventSource::new(RequestBuilder)` with the crate's default
//! retry policy. `Event::Message` is an event (its `event`, `data` and `id`, the last event
//! ID, used as given); at each `Err` the crate's `ready_state()` tells `closed` (it stopped)
//! from `connecting` (it will retry). It has every need: `post` (any `RequestBuilder`),
//! `proxy` and `tls`.

use std::process::ExitCode;

use futures::StreamExt as _;
use reqwest_eventsource::{Event, EventSource, ReadyState};
use ssewire_benches::clients::driver::{self, Entry, Report, NEEDS};

async fn run(entry: Entry) -> Report {
    let mut report = Report::default();
    let mut client = reqwest::Client::builder();
    client = match &entry.proxy {
        Some(proxy) => match reqwest::Proxy::all(proxy) {
            Ok(proxy) => client.proxy(proxy),
            Err(_) => return report,
        },
        None => client.no_proxy(),
    };
    let Ok(client) = client.build() else {
        return report;
    };
    let builder = match &entry.request {
        Some(spec) => {
            let Ok(method) = reqwest::Method::from_bytes(spec.method.as_bytes()) else {
                return report;
            };
            let mut builder = client.request(method, &entry.url).body(spec.body.clone());
            for (name, value) in &spec.headers {
                builder = builder.header(name, value);
            }
            builder
        }
        None => client.get(&entry.url),
    };
    let Ok(mut source) = EventSource::new(builder) else {
        return report;
    };
    let events = async {
        while let Some(item) = source.next().await {
            let stop = match item {
                Ok(Event::Open) => false,
                Ok(Event::Message(m)) => report.event(&entry, &m.event, &m.data, &m.id),
                Err(_) => {
                    let closed = source.ready_state() == ReadyState::Closed;
                    report.error(&entry, closed)
                }
            };
            if stop {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(entry.stop_after, events).await;
    source.close();
    report
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = async {
        let base = driver::base_url_from_args("client-reqwest-eventsource")?;
        driver::drive(&base, &NEEDS, 8, run).await
    };
    match result.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("client-reqwest-eventsource: {e}");
            ExitCode::FAILURE
        }
    }
}
