//! Hub nodes sharing one Redis (`--transport redis://…`), in-process, against a `redis-server`
//! each test starts on a free port: a publish on one node reaches subscribers on the others
//! with the same id, a client resumes on any node, and Redis failing or stopping turns
//! publishes into 503 within the transport timeout, never a 200 for an update Redis did not
//! take; afterwards everything flows again. (The multi-process faults, `kill -9` of a node
//! among three, are `tests/cluster_faults.rs`.)

mod support;

use std::time::{Duration, Instant};

use ssewire_hub::config::RedisTransport;
use support::redis::RedisServer;
use support::TestHub;

const TOPIC: &str = "https://example.com/books/1";

/// A node on `redis`, Redis calls bounded to `timeout`.
async fn node(redis: &RedisServer, timeout: Duration) -> TestHub {
    let url = redis.url();
    TestHub::start(move |config| {
        let mut transport = RedisTransport::new(url);
        transport.timeout = timeout;
        config.transport = Some(transport);
    })
    .await
}

fn form(data: &str, id: &str) -> String {
    format!("topic={TOPIC}&data={data}&id={id}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_on_one_node_reaches_every_node_and_resumes_on_any() {
    let redis = RedisServer::start();
    let a = node(&redis, Duration::from_secs(2)).await;
    let b = node(&redis, Duration::from_secs(2)).await;
    let mut on_a = a.subscribe(&format!("match={TOPIC}"), &[]).await;
    let mut on_b = b.subscribe(&format!("match={TOPIC}"), &[]).await;
    assert_eq!((on_a.status.as_u16(), on_b.status.as_u16()), (200, 200));
    support::settle().await;
    for (i, publisher) in [&a, &b, &a].into_iter().enumerate() {
        let (status, id) = publisher
            .publish(
                &publisher.publisher(&["*"]),
                &form(&format!("d{i}"), &format!("e{i}")),
            )
            .await;
        assert_eq!(
            (status.as_u16(), id.as_str()),
            (200, format!("e{i}").as_str())
        );
    }
    for stream in [&mut on_a, &mut on_b] {
        for i in 0..3 {
            let event = stream.next().await;
            assert_eq!(
                (event.data(), event.last_event_id()),
                (format!("d{i}").as_str(), format!("e{i}").as_str()),
                "every node delivers every update once, in the stream's order"
            );
        }
        assert!(stream
            .next_within(Duration::from_millis(300))
            .await
            .is_none());
    }
    // A client that saw e0 on node A resumes on node B: e1 and e2, and the cursor answered.
    let mut resumed = b
        .subscribe(&format!("match={TOPIC}"), &[("last-event-id", "e0")])
        .await;
    assert_eq!(resumed.headers["mercure-last-event-id"], "e0");
    assert_eq!(resumed.next().await.data(), "d1");
    assert_eq!(resumed.next().await.data(), "d2");
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_means_503_then_everything_flows_again_after_a_restart() {
    let mut redis = RedisServer::start();
    let a = node(&redis, Duration::from_millis(500)).await;
    let b = node(&redis, Duration::from_millis(500)).await;
    let mut on_b = b.subscribe(&format!("match={TOPIC}"), &[]).await;
    support::settle().await;
    let token = a.publisher(&["*"]);
    assert_eq!(a.publish(&token, &form("before", "e1")).await.0, 200);
    assert_eq!(on_b.next().await.data(), "before");

    redis.kill();
    let started = Instant::now();
    let (status, body) = a.publish(&token, &form("during", "e2")).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    redis.restart();
    // The reader backs off up to 2 s between tries; the publish path reconnects at once.
    let (status, body) = a.publish(&token, &form("after", "e3")).await;
    assert_eq!(status, 200, "{body}");
    let event = on_b
        .next_within(Duration::from_secs(10))
        .await
        .expect("after");
    assert_eq!((event.data(), event.last_event_id()), ("after", "e3"));
    // Nothing acknowledged was lost: the AOF kept e1, and a resume from it replays e3.
    let mut resumed = b
        .subscribe(&format!("match={TOPIC}"), &[("last-event-id", "e1")])
        .await;
    assert_eq!(resumed.next().await.data(), "after");
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_means_503_within_the_timeout_and_no_hang() {
    let redis = RedisServer::start();
    let a = node(&redis, Duration::from_millis(500)).await;
    let mut on_a = a.subscribe(&format!("match={TOPIC}"), &[]).await;
    support::settle().await;
    let token = a.publisher(&["*"]);
    assert_eq!(a.publish(&token, &form("before", "e1")).await.0, 200);
    assert_eq!(on_a.next().await.data(), "before");

    redis.signal("STOP");
    let started = Instant::now();
    let (status, body) = a.publish(&token, &form("during", "e2")).await;
    let waited = started.elapsed();
    redis.signal("CONT");
    assert_eq!(status, 503, "{body}");
    // The 500 ms transport timeout, plus a reconnect attempt bounded the same way.
    assert!(waited < Duration::from_millis(2_500), "{waited:?}");
    // The node kept serving meanwhile.
    assert_eq!(a.request("GET", "/healthz", &[], "").await.0, 200);

    let (status, body) = a.publish(&token, &form("after", "e3")).await;
    assert_eq!(status, 200, "{body}");
    // A 503 means "not acknowledged", not "not stored": Redis had the request in its socket
    // and may run it once continued, so "during" may come before "after", and nothing else.
    let mut seen = Vec::new();
    while seen.last().map(String::as_str) != Some("after") {
        let event = on_a
            .next_within(Duration::from_secs(10))
            .await
            .expect("after");
        seen.push(event.data().to_owned());
    }
    assert!(seen == ["after"] || seen == ["during", "after"], "{seen:?}");
    a.stop().await.unwrap();
}
