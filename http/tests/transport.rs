//! The default transport against hyper servers on 127.0.0.1: HTTPS with a CA made at test
//! time, HTTP/2 by ALPN and by prior knowledge, HTTP/1.1 keep-alive reuse across a
//! reconnection, and certificates that must be refused, each with a typed error.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use rustls::CertificateError;
use ssewire_http::{EventSource, Failure, HyperTransport, SourceEvent};
use support::tls::{connect_proxy, pki, server, server_config, trusting};
use support::{scripted, Reply};

/// The data of the next `n` events, skipping opens and reconnections, within 10 s in all (a
/// client that reconnects for ever fails the test rather than hanging it).
async fn events(source: &mut EventSource, n: usize) -> Vec<String> {
    let all = async {
        let mut data = Vec::new();
        while data.len() < n {
            let item = source.next().await.expect("the stream ended early");
            match item {
                Ok(SourceEvent::Message(event)) => data.push(event.data().to_owned()),
                Ok(_) => {}
                Err(failure) => panic!("failed: {failure:?}"),
            }
        }
        data
    };
    tokio::time::timeout(Duration::from_secs(10), all)
        .await
        .expect("no events within 10 s")
}

/// The proxy's first request head asked for a tunnel to 127.0.0.1:`port`, with the URL's
/// credentials.
fn assert_tunnel_asked_for(head: &str, port: u16) {
    assert!(
        head.starts_with(&format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\n")),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("proxy-authorization: basic dtpw"),
        "{head}"
    );
}

/// The rustls error a source failed with.
async fn tls_failure(source: &mut EventSource) -> rustls::Error {
    let item = tokio::time::timeout(Duration::from_secs(10), source.next())
        .await
        .expect("the client stalled")
        .expect("the stream ended early");
    let Err(Failure::Tls(cause)) = item else {
        panic!("expected a TLS failure, got {item:?}")
    };
    let end = tokio::time::timeout(Duration::from_secs(5), source.next()).await;
    assert!(matches!(end, Ok(None)), "a TLS failure is final: {end:?}");
    cause
        .downcast_ref::<rustls::Error>()
        .expect("the cause is rustls's error")
        .clone()
}

#[tokio::test]
async fn https_with_a_trusted_ca_streams_over_http2_chosen_by_alpn() {
    let pki = pki(&["127.0.0.1"]);
    let (port, seen) = server(Some(server_config(&pki, &[b"h2", b"http/1.1"]))).await;
    let transport = HyperTransport::with_tls_config(trusting(&pki.ca));
    let mut source = EventSource::builder(format!("https://127.0.0.1:{port}/events"))
        .transport(transport)
        .reconnection_time(Duration::from_millis(10))
        .build();
    assert_eq!(events(&mut source, 2).await, ["HTTP/2.0", "HTTP/2.0"]);
    // The reconnection is a new stream on the same HTTP/2 connection.
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn https_to_an_http1_only_server_reuses_its_connection_for_the_reconnection() {
    let pki = pki(&["127.0.0.1"]);
    let (port, seen) = server(Some(server_config(&pki, &[b"http/1.1"]))).await;
    let transport = HyperTransport::with_tls_config(trusting(&pki.ca));
    let mut source = EventSource::builder(format!("https://127.0.0.1:{port}/"))
        .transport(transport)
        .reconnection_time(Duration::from_millis(10))
        .build();
    assert_eq!(events(&mut source, 3).await, ["HTTP/1.1"; 3]);
    assert_eq!(seen.versions.lock().unwrap().len(), 3);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn cleartext_http1_keeps_the_connection_alive_across_reconnections() {
    let (port, seen) = server(None).await;
    let mut source = EventSource::builder(format!("http://127.0.0.1:{port}/"))
        .reconnection_time(Duration::from_millis(10))
        .build();
    assert_eq!(events(&mut source, 3).await, ["HTTP/1.1"; 3]);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn cleartext_http2_with_prior_knowledge() {
    let (port, _) = server(None).await;
    let mut source = EventSource::builder(format!("http://127.0.0.1:{port}/"))
        .transport(HyperTransport::new().http2_only())
        .build();
    assert_eq!(events(&mut source, 1).await, ["HTTP/2.0"]);
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_refused_for_good() {
    let pki = pki(&["127.0.0.1"]);
    let other = self::pki(&["127.0.0.1"]);
    let (port, seen) = server(Some(server_config(&pki, &[b"http/1.1"]))).await;
    let url = format!("https://127.0.0.1:{port}/");
    // Trusting another CA, and with the default transport's webpki roots.
    for transport in [
        HyperTransport::with_tls_config(trusting(&other.ca)),
        HyperTransport::new(),
    ] {
        let mut source = EventSource::builder(url.clone())
            .transport(transport)
            .reconnection_time(Duration::from_millis(10))
            .build();
        let error = tls_failure(&mut source).await;
        assert_eq!(
            error,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
        );
    }
    // One connection each, no request sent, no reconnection.
    assert!(seen.versions.lock().unwrap().is_empty());
    assert_eq!(seen.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_for_good() {
    let pki = pki(&["localhost"]);
    let (port, _) = server(Some(server_config(&pki, &[b"http/1.1"]))).await;
    let mut source = EventSource::builder(format!("https://127.0.0.1:{port}/"))
        .transport(HyperTransport::with_tls_config(trusting(&pki.ca)))
        .build();
    let error = tls_failure(&mut source).await;
    assert!(
        matches!(
            error,
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            )
        ),
        "{error:?}"
    );
    assert!(Failure::Tls(ssewire_http::Cause::new(error))
        .to_string()
        .contains("TLS"));
}

#[tokio::test]
async fn an_http_stream_goes_through_the_proxy_in_absolute_form_with_its_credentials() {
    // The proxy is a scripted server: the stream's host need not exist.
    let (proxy, requests) = scripted(vec![Reply::events(b"data: via proxy\n\n")]).await;
    let proxy = proxy.replace("http://", "http://user:secret@");
    let mut source = EventSource::builder("http://stream.invalid/events")
        .transport(HyperTransport::new().proxy(&proxy, ""))
        .build();
    assert_eq!(events(&mut source, 1).await, ["via proxy"]);
    let head = &requests.all()[0];
    assert!(
        head.starts_with("GET http://stream.invalid/events HTTP/1.1\r\n"),
        "{head}"
    );
    // "user:secret" in Basic.
    assert_eq!(
        requests.header(0, "proxy-authorization").as_deref(),
        Some("Basic dXNlcjpzZWNyZXQ=")
    );
}

#[tokio::test]
async fn an_https_stream_goes_through_a_connect_tunnel_and_no_proxy_exempts_hosts() {
    let pki = pki(&["127.0.0.1"]);
    let (port, seen) = server(Some(server_config(&pki, &[b"h2", b"http/1.1"]))).await;
    let proxy = connect_proxy(None).await;
    let url = format!("https://127.0.0.1:{port}/");
    let transport = HyperTransport::with_tls_config(trusting(&pki.ca)).proxy(&proxy.url, "");
    let mut source = EventSource::builder(url.clone())
        .transport(transport)
        .build();
    // TLS (and HTTP/2 by ALPN) with the server itself, inside the tunnel.
    assert_eq!(events(&mut source, 1).await, ["HTTP/2.0"]);
    assert_tunnel_asked_for(&proxy.heads.lock().unwrap()[0], port);

    // NO_PROXY: straight to the server.
    let transport =
        HyperTransport::with_tls_config(trusting(&pki.ca)).proxy(&proxy.url, "localhost,127.0.0.1");
    let mut source = EventSource::builder(url).transport(transport).build();
    assert_eq!(events(&mut source, 1).await, ["HTTP/2.0"]);
    assert_eq!(proxy.heads.lock().unwrap().len(), 1);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 2);
}

/// Issue 24: the tunnel to an `https:` proxy was asked for in cleartext, which a TLS proxy
/// cannot read, so no stream ever opened.
#[tokio::test]
async fn an_https_stream_goes_through_a_proxy_reached_over_tls() {
    // One certificate for 127.0.0.1 serves both the proxy and the server.
    let pki = pki(&["127.0.0.1"]);
    let config = server_config(&pki, &[b"h2", b"http/1.1"]);
    let (port, seen) = server(Some(config.clone())).await;
    let proxy = connect_proxy(Some(config)).await;
    let transport = HyperTransport::with_tls_config(trusting(&pki.ca)).proxy(&proxy.url, "");
    let mut source = EventSource::builder(format!("https://127.0.0.1:{port}/"))
        .transport(transport)
        .build();
    // HTTP/2 chosen by the server inside the tunnel, not HTTP/1.1 as with the proxy.
    assert_eq!(events(&mut source, 1).await, ["HTTP/2.0"]);
    assert_tunnel_asked_for(&proxy.heads.lock().unwrap()[0], port);
    assert_eq!(
        *proxy.alpn.lock().unwrap(),
        [Some(b"http/1.1".to_vec())],
        "the proxy is spoken to in HTTP/1.1"
    );
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}
