//! Proxies from the environment (`HTTP_PROXY`, and `HTTPS_PROXY` with the `rustls` feature).
//! One test alone in its binary: it sets process-wide variables that every transport made
//! afterwards reads.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use ssewire_http::{EventSource, SourceEvent};
use support::{scripted, Reply};

/// The first event's data, within 10 s in all (a client that reconnects for ever fails the
/// test rather than hanging it).
async fn first_data(source: &mut EventSource) -> String {
    let first = async {
        loop {
            match source.next().await.expect("the stream ended early") {
                Ok(SourceEvent::Message(event)) => return event.data().to_owned(),
                Ok(_) => {}
                Err(failure) => panic!("failed: {failure:?}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), first)
        .await
        .expect("no event within 10 s")
}

#[tokio::test]
async fn proxies_from_the_environment_are_followed_unless_the_builder_opts_out() {
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

    #[cfg(feature = "rustls")]
    https_proxy_from_the_environment().await;
}

/// `HTTPS_PROXY` naming an `https:` proxy: a transport made afterwards reaches an `https:`
/// server through a `CONNECT` tunnel inside TLS with the proxy.
#[cfg(feature = "rustls")]
async fn https_proxy_from_the_environment() {
    use ssewire_http::HyperTransport;
    use support::tls::{connect_proxy, pki, server, server_config, trusting};

    // One certificate for the server's name and for the proxy's address.
    let pki = pki(&["events.example", "127.0.0.1"]);
    let config = server_config(&pki, &[b"h2", b"http/1.1"]);
    let (port, _) = server(Some(config.clone())).await;
    let proxy = connect_proxy(Some(config)).await;
    std::env::set_var("HTTPS_PROXY", &proxy.url);
    // The name is never resolved here: the proxy is asked for it, and tunnels to 127.0.0.1.
    let mut source = EventSource::builder(format!("https://events.example:{port}/events"))
        .transport(HyperTransport::with_tls_config(trusting(&pki.ca)))
        .build();
    assert_eq!(first_data(&mut source).await, "HTTP/2.0");
    let head = proxy.heads.lock().unwrap()[0].clone();
    assert!(
        head.starts_with(&format!("CONNECT events.example:{port} HTTP/1.1\r\n")),
        "{head}"
    );
}
