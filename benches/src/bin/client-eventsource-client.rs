//! `client-eventsource-client BASE_URL`: runs `sse-conformance serve`'s plan
//! (docs/client-conformance.md) with LaunchDarkly's `eventsource-client` 0.18.0 on its hyper
//! transport (`launchdarkly-sdk-transport` 0.1.4), TLS by hyper-rustls (ring, webpki roots).
//!
//! Each entry gets its own transport (`proxy_url` when the entry names a proxy, else
//! `disable_proxy`) and client, with the crate's default reconnect options (reconnect after an
//! error, not after a failed first connection). `SSE::Event` is an event (`event_type`, `data`,
//! and `id`, which the crate keeps as the last event ID). The crate has no ready state: after
//! an `Err`, the next item is awaited for 100 ms; the end of the stream then means `closed`,
//! anything else `connecting`. It has every need: `post` (`method`, `header`, `body` on the
//! builder), `proxy` and `tls`.

use std::process::ExitCode;
use std::time::Duration;

use eventsource_client::{Client as _, ClientBuilder, SSE};
use futures::StreamExt as _;
use launchdarkly_sdk_transport::HyperTransport;
use ssewire_benches::clients::driver::{self, Entry, Report, NEEDS};

async fn run(entry: Entry) -> Report {
    let mut report = Report::default();
    let mut transport = HyperTransport::builder();
    transport = match &entry.proxy {
        Some(proxy) => transport.proxy_url(proxy.clone()),
        None => transport.disable_proxy(),
    };
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    let Ok(transport) = transport.build_with_connector(connector) else {
        return report;
    };
    let Ok(mut builder) = ClientBuilder::for_url(&entry.url) else {
        return report;
    };
    if let Some(spec) = &entry.request {
        builder = builder.method(spec.method.clone()).body(spec.body.clone());
        for (name, value) in &spec.headers {
            let Ok(with) = builder.header(name, value) else {
                return report;
            };
            builder = with;
        }
    }
    let client = builder.build_with_transport(transport);
    let mut stream = client.stream();
    let events = async {
        let mut pending = None;
        loop {
            let item = match pending.take() {
                Some(item) => item,
                None => match stream.next().await {
                    Some(item) => item,
                    None => break,
                },
            };
            let stop = match item {
                Ok(SSE::Event(event)) => {
                    let id = event.id.as_deref().unwrap_or("");
                    report.event(&entry, &event.event_type, &event.data, id)
                }
                Ok(_) => false,
                Err(_) => {
                    let next = tokio::time::timeout(Duration::from_millis(100), stream.next());
                    let closed = match next.await {
                        Ok(None) => true,
                        Ok(Some(item)) => {
                            pending = Some(item);
                            false
                        }
                        Err(_) => false,
                    };
                    report.error(&entry, closed)
                }
            };
            if stop {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(entry.stop_after, events).await;
    report
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = async {
        let base = driver::base_url_from_args("client-eventsource-client")?;
        driver::drive(&base, &NEEDS, 8, run).await
    };
    match result.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("client-eventsource-client: {e}");
            ExitCode::FAILURE
        }
    }
}
