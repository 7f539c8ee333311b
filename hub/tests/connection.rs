//! The hub's own connection code (`server/connection.rs`), byte by byte over raw TCP: event
//! streams it writes itself, and the hand-over to hyper of everything else on the connection.

mod support;

use std::time::Duration;

use support::TestHub;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until `needle` has arrived (or fails after 5 s); returns everything read.
async fn read_until(tcp: &mut TcpStream, seen: &mut Vec<u8>, needle: &str) -> String {
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buffer = [0_u8; 4096];
        while !String::from_utf8_lossy(seen).contains(needle) {
            let n = tcp.read(&mut buffer).await.unwrap();
            assert!(
                n > 0,
                "closed before {needle:?}: {}",
                String::from_utf8_lossy(seen)
            );
            seen.extend_from_slice(&buffer[..n]);
        }
    })
    .await;
    let text = String::from_utf8_lossy(seen).into_owned();
    assert!(found.is_ok(), "no {needle:?} within 5 s; read: {text}");
    text
}

#[tokio::test]
async fn an_http11_stream_is_chunked_one_frame_per_chunk() {
    let hub = TestHub::start(|_| {}).await;
    let mut tcp = TcpStream::connect(hub.addr).await.unwrap();
    tcp.write_all(
        b"GET /.well-known/mercure?match=https://example.com/a HTTP/1.1\r\nHost: h\r\n\r\n",
    )
    .await
    .unwrap();
    let mut seen = Vec::new();
    let head = read_until(&mut tcp, &mut seen, "\r\n\r\n")
        .await
        .to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200 ok\r\n"), "{head}");
    for field in [
        "content-type: text/event-stream",
        "transfer-encoding: chunked",
        "cache-control: no-cache, no-store",
        "date: ",
        "link: <",
    ] {
        assert!(head.contains(field), "{field} missing from {head}");
    }
    assert!(!head.contains("content-length"), "{head}");
    support::settle().await;
    let token = hub.publisher(&["*"]);
    let (status, id) = hub
        .publish(&token, "topic=https://example.com/a&data=one%0Atwo&id=e1")
        .await;
    assert_eq!(status, 200);
    assert_eq!(id, "e1");
    let event = "id: e1\ndata: one\ndata: two\n\n";
    let chunk = format!("{:x}\r\n{event}\r\n", event.len());
    let text = read_until(&mut tcp, &mut seen, "data: two\n\n\r\n").await;
    assert!(text.contains(&chunk), "{chunk:?} not in {text:?}");
    hub.stop().await.unwrap();
}

#[tokio::test]
async fn an_http10_stream_ends_with_the_connection() {
    let hub = TestHub::start(|_| {}).await;
    let mut tcp = TcpStream::connect(hub.addr).await.unwrap();
    tcp.write_all(b"GET /.well-known/mercure?match=https://example.com/a HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let mut seen = Vec::new();
    let head = read_until(&mut tcp, &mut seen, "\r\n\r\n")
        .await
        .to_ascii_lowercase();
    assert!(head.contains("connection: close"), "{head}");
    assert!(!head.contains("transfer-encoding"), "{head}");
    support::settle().await;
    let token = hub.publisher(&["*"]);
    hub.publish(&token, "topic=https://example.com/a&data=x&id=e1")
        .await;
    let text = read_until(&mut tcp, &mut seen, "data: x\n\n").await;
    assert!(text.ends_with("\r\n\r\nid: e1\ndata: x\n\n"), "{text:?}");
    hub.stop().await.unwrap();
}

#[tokio::test]
async fn a_refused_subscribe_leaves_the_connection_to_the_next_request() {
    let hub = TestHub::start(|config| config.anonymous = false).await;
    let mut tcp = TcpStream::connect(hub.addr).await.unwrap();
    tcp.write_all(
        b"GET /.well-known/mercure?match=https://example.com/a HTTP/1.1\r\nHost: h\r\n\r\n",
    )
    .await
    .unwrap();
    let mut seen = Vec::new();
    let text = read_until(&mut tcp, &mut seen, "required\n").await;
    assert!(text.starts_with("HTTP/1.1 401 Unauthorized\r\n"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("www-authenticate: bearer"),
        "{text}"
    );
    assert!(
        !text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    // The same connection, now hyper's: a second request is answered.
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
        .await
        .unwrap();
    seen.clear();
    let text = read_until(&mut tcp, &mut seen, "ok\n").await;
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    hub.stop().await.unwrap();
}

#[tokio::test]
async fn other_requests_and_pipelined_ones_are_hyper_s_with_nothing_lost() {
    let hub = TestHub::start(|_| {}).await;
    let mut tcp = TcpStream::connect(hub.addr).await.unwrap();
    // Two requests in one write: the first head is not one the hub answers itself, and the
    // bytes already read reach hyper intact, second request included.
    tcp.write_all(
        b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: h\r\n\r\n",
    )
    .await
    .unwrap();
    let mut seen = Vec::new();
    let text = read_until(&mut tcp, &mut seen, "not found\n").await;
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("HTTP/1.1 404 Not Found\r\n"), "{text}");
    // A head hyper refuses is still refused: a request line with no version.
    let mut bad = TcpStream::connect(hub.addr).await.unwrap();
    bad.write_all(b"GET /.well-known/mercure\r\n\r\n")
        .await
        .unwrap();
    let mut seen = Vec::new();
    let text = read_until(&mut bad, &mut seen, "\r\n").await;
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    hub.stop().await.unwrap();
}
