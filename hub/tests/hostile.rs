//! The hub against hostile clients, each case bounded in time: a connection cap, huge bodies,
//! slowloris heads, subscribers that never read, and a drain that finishes whatever clients do.

mod support;

use std::time::{Duration, Instant};

use ssewire_hub::config::HUB_PATH;
use support::TestHub;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BOOK: &str = "https://example.com/books/1";

/// Reads until the peer closes or `wait` passes; returns what came and whether it closed.
async fn read_until_closed(tcp: &mut TcpStream, wait: Duration) -> (String, bool) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&seen).into_owned(), true),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&seen).into_owned(), false),
        }
    }
}

#[tokio::test]
async fn connections_over_the_cap_get_503_and_the_hub_keeps_serving() {
    let hub = TestHub::start(|c| c.limits.max_connections = 2).await;
    let _a = TcpStream::connect(hub.addr).await.unwrap();
    let _b = TcpStream::connect(hub.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(hub.addr).await.unwrap();
    let (answer, closed) = read_until_closed(&mut third, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(closed);
    drop((_a, _b));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, _, _) = hub.request("GET", "/healthz", &[], "").await;
    assert_eq!(status, 200, "slots come back when connections close");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_without_reading_it_all() {
    let hub = TestHub::start(|c| c.limits.max_body_bytes = 64 * 1024).await;
    let token = hub.publisher(&["*"]);
    let mut tcp = TcpStream::connect(hub.addr).await.unwrap();
    let head = format!(
        "POST {HUB_PATH} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
         content-type: application/x-www-form-urlencoded\r\ncontent-length: 209715200\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    // Send a little over the limit (the hub must not wait for 200 MiB).
    for _ in 0..3 {
        if tcp.write_all(&chunk).await.is_err() {
            break;
        }
    }
    let (answer, _) = read_until_closed(&mut tcp, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("body larger than 65536 bytes"), "{answer}");
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_closed_after_the_header_timeout() {
    let hub = TestHub::start(|c| c.limits.header_read_timeout = Duration::from_millis(500)).await;
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut tcp = TcpStream::connect(hub.addr).await.unwrap();
        tcp.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: ")
            .await
            .unwrap();
        slow.push(tcp);
    }
    let started = Instant::now();
    for tcp in &mut slow {
        let (_, closed) = read_until_closed(tcp, Duration::from_secs(5)).await;
        assert!(closed, "a slowloris connection is still open");
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    let (status, _, _) = hub.request("GET", "/healthz", &[], "").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_subscriber_that_never_reads_is_disconnected_and_others_get_everything() {
    let hub = TestHub::start(|c| {
        c.limits.max_queued_bytes = 256 * 1024;
        c.limits.write_timeout = Duration::from_millis(500);
    })
    .await;
    // A subscriber that sends its request and then never reads a byte.
    let mut stuck = TcpStream::connect(hub.addr).await.unwrap();
    let head = format!("GET {HUB_PATH}?match=* HTTP/1.1\r\nhost: x\r\n\r\n");
    stuck.write_all(head.as_bytes()).await.unwrap();
    let mut reader = hub.subscribe("match=*", &[]).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let token = hub.publisher(&["*"]);
    let data = "x".repeat(16 * 1024);
    let total = 400; // 6.4 MiB in all: past any socket buffer and the byte bound
    let publish = {
        let token = token.clone();
        let data = data.clone();
        let hub_addr = hub.addr;
        let hub_ref = &hub;
        let _ = hub_addr;
        async move {
            for n in 0..total {
                let (status, _) = hub_ref
                    .publish(&token, &format!("topic={BOOK}&data={data}&id=urn:{n}"))
                    .await;
                assert_eq!(status, 200);
            }
        }
    };
    let read = async {
        for n in 0..total {
            let event = reader.next().await;
            assert_eq!(event.last_event_id(), format!("urn:{n}"));
        }
    };
    tokio::join!(publish, read);
    // The stuck one is gone within the write timeout, and counted.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, _, metrics) = hub.request("GET", "/metrics", &[], "").await;
        if metrics.contains("ssewire_hub_subscribers 1\n") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the stuck subscriber is still connected:\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(stuck);
}

#[tokio::test]
async fn the_drain_finishes_within_its_deadline_whatever_clients_do() {
    let hub = TestHub::start(|c| c.limits.drain_deadline = Duration::from_secs(2)).await;
    // A half-sent request head, a subscriber that never reads, a subscriber that does.
    let mut half = TcpStream::connect(hub.addr).await.unwrap();
    half.write_all(b"POST /.well-known/mercure HTTP/1.1\r\nhost:")
        .await
        .unwrap();
    let mut stuck = TcpStream::connect(hub.addr).await.unwrap();
    stuck
        .write_all(format!("GET {HUB_PATH}?match=* HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut reading = hub.subscribe("match=*", &[]).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), hub.stop())
        .await
        .expect("serve returns within the drain deadline")
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(
        reading.ended_within(Duration::from_secs(2)).await,
        "streams end on drain"
    );
}

#[tokio::test]
async fn bad_matchers_and_forms_are_refused_with_a_reason() {
    let hub = TestHub::start(|c| c.limits.max_matchers = 2).await;
    for (query, reason) in [
        ("match=a&match=b&match=c", "more than 2 matchers"),
        ("match_regex=.*", "unknown matcher parameter"),
        (
            "match=a%00b",
            "control and format characters are not allowed",
        ),
        ("", "at least one match"),
    ] {
        let (status, _, body) = hub
            .request("GET", &format!("{HUB_PATH}?{query}"), &[], "")
            .await;
        assert_eq!(status, 400, "{query}");
        assert!(body.contains(reason), "{query}: {body}");
    }
    let token = hub.publisher(&["*"]);
    for (form, status) in [
        ("topic=*", 400),
        ("topic=a&type=mercure", 400),
        ("topic=a&retry=x", 400),
        ("data=x", 400),
    ] {
        assert_eq!(hub.publish(&token, form).await.0, status, "{form}");
    }
}

#[tokio::test]
async fn streams_per_token_are_capped_with_429() {
    let hub = TestHub::start(|c| c.limits.max_streams_per_token = 2).await;
    let token = hub.subscriber("alice", &["*"]);
    let auth = format!("Bearer {token}");
    let _one = hub.subscribe("match=*", &[("authorization", &auth)]).await;
    let _two = hub.subscribe("match=*", &[("authorization", &auth)]).await;
    let third = hub.subscribe("match=*", &[("authorization", &auth)]).await;
    assert_eq!(third.status, 429);
    drop(_one);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let again = hub.subscribe("match=*", &[("authorization", &auth)]).await;
    assert_eq!(again.status, 200, "a slot comes back when a stream ends");
}

#[tokio::test]
async fn a_stream_ends_when_its_token_expires() {
    use ssewire_hub::auth::{SigningKey, TokenBuilder};
    let hub = TestHub::start(|_| {}).await;
    let token = TokenBuilder::new(support::ISSUER, &hub.hub_url)
        .subject("short")
        .subscribe("*", ssewire_hub::matcher::MatchType::Exact)
        .expires_in(2)
        .sign(&SigningKey::from_secret(support::SECRET).unwrap())
        .unwrap();
    let mut stream = hub
        .subscribe("match=*", &[("authorization", &format!("Bearer {token}"))])
        .await;
    assert_eq!(stream.status, 200);
    assert!(
        !stream.ended_within(Duration::from_millis(500)).await,
        "open before exp"
    );
    assert!(
        stream.ended_within(Duration::from_secs(4)).await,
        "closed by exp"
    );
}
