//! Streams from reqwest (feature `reqwest`) against the scripted server: a `RequestBuilder`
//! becomes an `EventSource` that repeats the request, a `Response` one stream without
//! reconnection; both keep the spec's checks.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use http::StatusCode;
use ssewire_http::{EventSource, Failure, FromReqwestError, SourceEvent};
use support::{scripted, Reply};

async fn next_n(source: &mut EventSource, n: usize) -> Vec<Result<SourceEvent, Failure>> {
    let mut items = Vec::new();
    for _ in 0..n {
        let item = tokio::time::timeout(Duration::from_secs(5), source.next())
            .await
            .expect("the client stalled");
        items.push(item.expect("the stream ended early"));
    }
    items
}

fn data(item: &Result<SourceEvent, Failure>) -> Option<&str> {
    match item {
        Ok(SourceEvent::Message(event)) => Some(event.data()),
        _ => None,
    }
}

async fn ends(source: &mut EventSource) {
    let end = tokio::time::timeout(Duration::from_secs(5), source.next()).await;
    assert!(matches!(end, Ok(None)), "expected the end, got {end:?}");
}

fn client() -> reqwest::Client {
    // No proxy from the environment: the tests talk to 127.0.0.1 only.
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test]
async fn a_post_request_builder_streams_its_json_answer() {
    let (base, requests) = scripted(vec![Reply::events(
        b"data: {\"token\":\"a\"}\n\ndata: [DONE]\n\n",
    )])
    .await;
    let json = r#"{"stream":true}"#;
    let request = client()
        .post(format!("{base}/v1/chat"))
        .header("content-type", "application/json")
        .body(json);
    let mut source = EventSource::from_reqwest(request).unwrap().build();
    let items = next_n(&mut source, 3).await;
    assert_eq!(items[0], Ok(SourceEvent::Open));
    assert_eq!(data(&items[1]), Some(r#"{"token":"a"}"#));
    assert_eq!(data(&items[2]), Some("[DONE]"));
    // A POST is not repeated after the server closes.
    ends(&mut source).await;
    assert_eq!(requests.method(0), "POST");
    assert_eq!(requests.body(0), json.as_bytes());
    assert_eq!(
        requests.header(0, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(requests.len(), 1);
}

#[tokio::test]
async fn a_get_request_builder_reconnects_with_last_event_id() {
    let (base, requests) = scripted(vec![
        Reply::events(b"retry: 10\nid: 5\ndata: one\n\n"),
        Reply::events(b"data: two\n\n"),
    ])
    .await;
    let request = client().get(&base).header("x-token", "t");
    let mut source = EventSource::from_reqwest(request).unwrap().build();
    let items = next_n(&mut source, 5).await;
    assert_eq!(data(&items[1]), Some("one"));
    assert!(matches!(items[2], Ok(SourceEvent::Reconnecting { .. })));
    assert_eq!(data(&items[4]), Some("two"));
    assert_eq!(requests.header(1, "last-event-id").as_deref(), Some("5"));
    assert_eq!(requests.header(1, "x-token").as_deref(), Some("t"));
}

#[tokio::test]
async fn a_response_gives_one_stream_with_the_same_checks() {
    let (base, requests) = scripted(vec![Reply::events(b"data: only\n\n")]).await;
    let response = client().get(&base).send().await.unwrap();
    let mut source = EventSource::from_reqwest_response(response);
    let items = next_n(&mut source, 2).await;
    assert_eq!(data(&items[1]), Some("only"));
    ends(&mut source).await;
    assert_eq!(requests.len(), 1);

    let (base, _) = scripted(vec![Reply::new("404 Not Found", None, b"")]).await;
    let response = client().get(&base).send().await.unwrap();
    let mut source = EventSource::from_reqwest_response(response);
    let items = next_n(&mut source, 1).await;
    assert_eq!(items[0], Err(Failure::Status(StatusCode::NOT_FOUND)));
    ends(&mut source).await;
}

#[tokio::test]
async fn a_streaming_body_is_refused_since_it_cannot_be_sent_again() {
    // Any body reqwest did not get as bytes is one it reads as a stream.
    let body = http_body_util::Full::new(bytes::Bytes::from_static(b"x"));
    let request = client()
        .post("http://127.0.0.1:1/")
        .body(reqwest::Body::wrap(body));
    let error = EventSource::from_reqwest(request).unwrap_err();
    assert!(
        matches!(error, FromReqwestError::StreamingBody),
        "{error:?}"
    );
}

/// Issue 24: through reqwest with rustls, a certificate the client does not trust ends the
/// stream with `Failure::Tls` (its cause rustls's error), as with the default transport,
/// instead of a reconnection after each refusal for ever.
#[cfg(feature = "rustls")]
#[tokio::test]
async fn an_untrusted_certificate_through_reqwest_fails_for_good_with_tls() {
    use std::sync::atomic::Ordering;

    use rustls::{CertificateError, Error as TlsError};
    use support::tls::{pki, server, server_config};

    // A CA made here that reqwest is not given: it trusts only the webpki roots.
    let pki = pki(&["127.0.0.1"]);
    let (port, seen) = server(Some(server_config(&pki, &[b"http/1.1"]))).await;
    let request = client().get(format!("https://127.0.0.1:{port}/"));
    let mut source = EventSource::from_reqwest(request)
        .unwrap()
        .reconnection_time(Duration::from_millis(10))
        .build();
    let items = next_n(&mut source, 1).await;
    let Err(Failure::Tls(cause)) = &items[0] else {
        panic!("expected a TLS failure, got {items:?}");
    };
    assert_eq!(
        cause.downcast_ref::<TlsError>(),
        Some(&TlsError::InvalidCertificate(
            CertificateError::UnknownIssuer
        ))
    );
    ends(&mut source).await;
    // One handshake, no request, no reconnection.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
    assert!(seen.versions.lock().unwrap().is_empty());
}
