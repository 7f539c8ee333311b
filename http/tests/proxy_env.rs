//! Proxies from the environment. One test alone in its binary: it sets process-wide
//! variables that every transport made afterwards reads.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use ssewire_http::{EventSource, SourceEvent};
use support::{scripted, Reply};

async fn first_data(source: &mut EventSource) -> String {
    loop {
        let item = tokio::time::timeout(Duration::from_secs(10), source.next())
            .await
            .expect("the client stalled")
            .expect("the stream ended early");
        match item {
            Ok(SourceEvent::Message(event)) => return event.data().to_owned(),
            Ok(_) => {}
            Err(failure) => panic!("failed: {failure:?}"),
        }
    }
}

#[tokio::test]
async fn http_proxy_from_the_environment_is_followed_unless_the_builder_opts_out() {
    let (proxy, proxy_requests) = scripted(vec![Reply::events(b"data: proxied\n\n")]).await;
    let (direct, direct_requests) = scripted(vec![
        Reply::events(b"data: direct\n\n"),
        Reply::events(b"data: direct\n\n"),
    ])
    .await;
    for name in [
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
        "ALL_PROXY",
        "NO_PROXY",
    ] {
        std::env::remove_var(name);
    }
    std::env::set_var("HTTP_PROXY", &proxy);

    // A name that is not this machine's (never resolved here: the proxy is asked for it).
    let mut source = EventSource::new("http://events.example:8080/events");
    assert_eq!(first_data(&mut source).await, "proxied");
    assert_eq!(proxy_requests.path(0), "http://events.example:8080/events");

    // This machine's own servers are reached directly, whatever the environment says.
    let mut source = EventSource::new(format!("{direct}/events"));
    assert_eq!(first_data(&mut source).await, "direct");
    assert_eq!(direct_requests.path(0), "/events");
    assert_eq!(proxy_requests.len(), 1);

    // 0.0.0.0 is not a loopback name, so the environment's proxy would get it; Linux
    // connects to it locally, so with no_proxy() it reaches the direct server.
    let port = direct.rsplit(':').next().unwrap();
    let mut source = EventSource::builder(format!("http://0.0.0.0:{port}/events"))
        .no_proxy()
        .build();
    assert_eq!(first_data(&mut source).await, "direct");
    assert_eq!(direct_requests.path(1), "/events");
    assert_eq!(proxy_requests.len(), 1, "no_proxy() never asks the proxy");
}
