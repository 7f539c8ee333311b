//! The `EventSource` client against a scripted server on 127.0.0.1: the spec's processing
//! model (status, Content-Type, redirects, reconnection, `retry`, `Last-Event-ID`) and each
//! opt-in policy (backoff, attempts, idle timeout, headers per attempt, close, ready state).

mod support;

use std::error::Error as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use ssewire_http::{
    Backoff, Disconnect, EventSource, Failure, ReadyState, RedirectError, SourceEvent,
};
use support::{scripted, Reply};

const SHORT: Duration = Duration::from_millis(20);

/// The next `n` items, failing the test if they take more than 5 s.
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

fn is_reconnecting(item: &Result<SourceEvent, Failure>) -> bool {
    matches!(item, Ok(SourceEvent::Reconnecting { .. }))
}

async fn ends(source: &mut EventSource) {
    let end = tokio::time::timeout(Duration::from_secs(5), source.next()).await;
    assert!(matches!(end, Ok(None)), "expected the end, got {end:?}");
}

#[tokio::test]
async fn a_status_other_than_200_fails_for_good_without_reconnecting() {
    for status in [
        "204 No Content",
        "404 Not Found",
        "500 Internal Server Error",
        "201 Created",
    ] {
        let (base, requests) = scripted(vec![Reply::new(
            status,
            Some("text/event-stream"),
            b"data: x\n\n",
        )])
        .await;
        let mut source = EventSource::builder(base).reconnection_time(SHORT).build();
        let items = next_n(&mut source, 1).await;
        let code: u16 = status[..3].parse().unwrap();
        assert_eq!(
            items[0],
            Err(Failure::Status(StatusCode::from_u16(code).unwrap()))
        );
        ends(&mut source).await;
        assert_eq!(source.ready_state(), ReadyState::Closed);
        tokio::time::sleep(SHORT * 5).await;
        assert_eq!(
            requests.len(),
            1,
            "{status}: reconnected after a fatal status"
        );
    }
}

#[tokio::test]
async fn a_content_type_other_than_text_event_stream_fails_for_good() {
    for content_type in [Some("text/plain"), Some("text/event-streams"), None] {
        let (base, requests) =
            scripted(vec![Reply::new("200 OK", content_type, b"data: x\n\n")]).await;
        let mut source = EventSource::builder(base).reconnection_time(SHORT).build();
        let items = next_n(&mut source, 1).await;
        assert_eq!(
            items[0],
            Err(Failure::ContentType(content_type.map(Into::into)))
        );
        ends(&mut source).await;
        tokio::time::sleep(SHORT * 5).await;
        assert_eq!(requests.len(), 1);
    }
    // Parameters and case do not matter: the MIME type's essence does.
    let (base, _) = scripted(vec![Reply::new(
        "200 OK",
        Some("Text/Event-Stream; charset=utf-8"),
        b"data: x\n\n",
    )])
    .await;
    let items = next_n(&mut EventSource::new(base), 2).await;
    assert_eq!(data(&items[1]), Some("x"));
}

#[tokio::test]
async fn redirects_are_followed_and_reconnections_go_to_their_target() {
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "303 See Other",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let (base, requests) = scripted(vec![
            Reply::redirect(status, "/target"),
            Reply::events(b"id: 1\ndata: first\n\n"),
            Reply::events(b"data: second\n\n"),
        ])
        .await;
        let mut source = EventSource::builder(format!("{base}/start"))
            .reconnection_time(SHORT)
            .build();
        let items = next_n(&mut source, 5).await;
        assert_eq!(items[0], Ok(SourceEvent::Open), "{status}");
        assert_eq!(data(&items[1]), Some("first"));
        assert!(is_reconnecting(&items[2]));
        assert_eq!(items[3], Ok(SourceEvent::Open));
        assert_eq!(data(&items[4]), Some("second"));
        let paths: Vec<String> = (0..3).map(|i| requests.path(i)).collect();
        assert_eq!(paths, ["/start", "/target", "/target"], "{status}");
        assert_eq!(requests.header(2, "last-event-id").as_deref(), Some("1"));
    }
}

#[tokio::test]
async fn endless_redirects_fail_after_twenty() {
    let (base, requests) = scripted(vec![Reply::redirect("302 Found", "/again")]).await;
    let mut source = EventSource::builder(base).reconnection_time(SHORT).build();
    let items = next_n(&mut source, 1).await;
    assert!(matches!(items[0], Err(Failure::Redirect(_))), "{items:?}");
    assert_eq!(requests.len(), 21);
}

/// The one failure `items` holds first, as a `RedirectError`.
fn redirect_error(items: &[Result<SourceEvent, Failure>]) -> &RedirectError {
    match &items[0] {
        Err(Failure::Redirect(e)) => e,
        other => panic!("expected a redirect failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_location_that_does_not_parse_fails_with_the_url_error_as_source() {
    let (base, requests) = scripted(vec![Reply::redirect("302 Found", "http://[bad")]).await;
    let mut source = EventSource::builder(base).reconnection_time(SHORT).build();
    let items = next_n(&mut source, 1).await;
    let e = redirect_error(&items);
    assert_eq!(
        *e,
        RedirectError::BadLocation {
            location: "http://[bad".into(),
            error: url::ParseError::InvalidIpv6Address,
        }
    );
    let cause = e.source().expect("the parse error is the source");
    assert_eq!(
        cause.downcast_ref::<url::ParseError>(),
        Some(&url::ParseError::InvalidIpv6Address)
    );
    ends(&mut source).await;
    assert_eq!(requests.len(), 1);
}

#[tokio::test]
async fn a_location_that_is_not_text_fails_with_the_header_error_as_source() {
    // Latin-1 `é`: hyper takes it (obs-text) but it is no visible ASCII.
    let head = b"HTTP/1.1 302 Found\r\nlocation: /caf\xe9\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    let reply = Reply {
        pieces: vec![head.to_vec()],
        hold: false,
    };
    let (base, requests) = scripted(vec![reply]).await;
    let mut source = EventSource::builder(base).reconnection_time(SHORT).build();
    let items = next_n(&mut source, 1).await;
    let e = redirect_error(&items);
    let RedirectError::LocationNotAscii { status, cause } = e else {
        panic!("expected LocationNotAscii, got {e:?}");
    };
    assert_eq!(*status, StatusCode::FOUND);
    assert!(cause.downcast_ref::<http::header::ToStrError>().is_some());
    assert!(e.source().is_some());
    ends(&mut source).await;
    assert_eq!(requests.len(), 1);
}

#[tokio::test]
async fn a_clean_close_reconnects_after_retry_with_last_event_id() {
    let (base, requests) = scripted(vec![
        Reply::events(b"retry: 70\nid: a\ndata: 1\n\ndata: cut off"),
        Reply::events(b"data: 2\n\n"),
    ])
    .await;
    let mut source = EventSource::new(base);
    let items = next_n(&mut source, 5).await;
    assert_eq!(data(&items[1]), Some("1"));
    // The unterminated "cut off" event is dropped at the end of the body.
    let expected = SourceEvent::Reconnecting {
        delay: Duration::from_millis(70),
        cause: Disconnect::Closed,
    };
    assert_eq!(items[2], Ok(expected));
    assert_eq!(data(&items[4]), Some("2"));
    assert_eq!(requests.header(0, "last-event-id"), None);
    assert_eq!(requests.header(1, "last-event-id").as_deref(), Some("a"));
    assert_eq!(
        requests.header(1, "accept").as_deref(),
        Some("text/event-stream")
    );
    assert_eq!(
        requests.header(1, "cache-control").as_deref(),
        Some("no-cache")
    );
}

#[tokio::test]
async fn an_id_only_block_changes_what_is_sent_and_an_empty_id_sends_nothing() {
    let (base, requests) = scripted(vec![
        Reply::events(b"id: 1\ndata: x\n\nid: 2\n\n"),
        Reply::events(b"id\n\n"),
        Reply::events(b""),
    ])
    .await;
    let mut source = EventSource::builder(base).reconnection_time(SHORT).build();
    let items = next_n(&mut source, 6).await;
    assert!(
        is_reconnecting(&items[2]) && is_reconnecting(&items[4]),
        "{items:?}"
    );
    tokio::time::sleep(SHORT * 3).await;
    assert_eq!(requests.header(1, "last-event-id").as_deref(), Some("2"));
    assert_eq!(requests.header(2, "last-event-id"), None);
}

#[tokio::test]
async fn network_errors_reconnect_until_max_attempts_then_give_up() {
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut source = EventSource::builder(format!("http://127.0.0.1:{closed_port}/"))
        .reconnection_time(Duration::from_millis(5))
        .max_attempts(3)
        .build();
    let items = next_n(&mut source, 4).await;
    for item in &items[..3] {
        let Ok(SourceEvent::Reconnecting {
            cause: Disconnect::Network(_),
            ..
        }) = item
        else {
            panic!("{item:?}")
        };
    }
    assert!(
        matches!(items[3], Err(Failure::GaveUp { attempts: 4, .. })),
        "{:?}",
        items[3]
    );
    ends(&mut source).await;
}

#[tokio::test]
async fn backoff_doubles_the_delay_up_to_its_cap_and_an_event_resets_it() {
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut source = EventSource::builder(format!("http://127.0.0.1:{closed_port}/"))
        .reconnection_time(Duration::from_millis(4))
        .backoff(Backoff::exponential(Duration::from_millis(16)).jitter(false))
        .build();
    let delays: Vec<u64> = next_n(&mut source, 5)
        .await
        .iter()
        .map(|item| match item {
            Ok(SourceEvent::Reconnecting { delay, .. }) => delay.as_millis() as u64,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(delays, [4, 8, 16, 16, 16]);

    // Against a server: each connection that delivers an event starts the count again.
    let (base, _) = scripted(vec![Reply::events(b"data: x\n\n")]).await;
    let mut source = EventSource::builder(base)
        .reconnection_time(Duration::from_millis(4))
        .backoff(Backoff::exponential(Duration::from_millis(64)).jitter(false))
        .build();
    // Open, the event, the reconnection, three times over: every delay is the first one again
    // (a count that went on would give 4, 8, 16).
    let items = next_n(&mut source, 9).await;
    for (turn, items) in items.chunks(3).enumerate() {
        assert!(
            matches!(items[0], Ok(SourceEvent::Open)),
            "{turn}: {items:?}"
        );
        assert_eq!(data(&items[1]), Some("x"), "{turn}: {items:?}");
        match &items[2] {
            Ok(SourceEvent::Reconnecting { delay, .. }) => {
                assert_eq!(*delay, Duration::from_millis(4), "{turn}")
            }
            other => panic!("{turn}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_silent_connection_is_dropped_after_the_idle_timeout() {
    let idle = Duration::from_millis(150);
    let (base, requests) = scripted(vec![Reply::events(b"data: x\n\n").held()]).await;
    let mut source = EventSource::builder(base)
        .idle_timeout(idle)
        .reconnection_time(SHORT)
        .build();
    let items = next_n(&mut source, 4).await;
    assert_eq!(data(&items[1]), Some("x"));
    let expected = SourceEvent::Reconnecting {
        delay: SHORT,
        cause: Disconnect::IdleTimeout(idle),
    };
    assert_eq!(items[2], Ok(expected));
    assert_eq!(items[3], Ok(SourceEvent::Open));
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn headers_are_computed_again_for_every_attempt() {
    let (base, requests) = scripted(vec![Reply::events(b"data: x\n\n")]).await;
    let counter = Arc::new(AtomicUsize::new(0));
    let seen = counter.clone();
    let mut source = EventSource::builder(base)
        .reconnection_time(SHORT)
        .headers(move || {
            let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
            let mut headers = HeaderMap::new();
            headers.insert(
                "authorization",
                HeaderValue::from_str(&format!("Bearer {n}")).unwrap(),
            );
            headers
        })
        .build();
    next_n(&mut source, 6).await;
    for i in 0..2 {
        let expected = format!("Bearer {}", i + 1);
        assert_eq!(requests.header(i, "authorization"), Some(expected));
    }
}

#[tokio::test]
async fn close_from_another_task_ends_the_stream_and_ready_state_follows() {
    let (base, _) = scripted(vec![Reply::events(b"data: x\n\n").held()]).await;
    let mut source = EventSource::new(base);
    let mut changes = source.ready_state_changes();
    assert_eq!(*changes.borrow_and_update(), ReadyState::Connecting);
    let items = next_n(&mut source, 2).await;
    assert_eq!(data(&items[1]), Some("x"));
    assert!(changes.has_changed().unwrap());
    assert_eq!(*changes.borrow_and_update(), ReadyState::Open);
    let handle = source.close_handle();
    tokio::spawn(async move {
        tokio::time::sleep(SHORT).await;
        handle.close();
    });
    ends(&mut source).await;
    assert_eq!(source.ready_state(), ReadyState::Closed);
    assert_eq!(*changes.borrow_and_update(), ReadyState::Closed);
}

#[tokio::test]
async fn an_event_over_the_limits_is_skipped_and_the_stream_goes_on() {
    let (base, _) = scripted(vec![Reply::events(b"data: far too long\n\ndata: ok\n\n")]).await;
    let limits = ssewire_parser::Limits::default().max_event_data_bytes(4);
    let mut source = EventSource::builder(base).limits(limits).build();
    let items = next_n(&mut source, 3).await;
    assert!(
        matches!(items[1], Ok(SourceEvent::Skipped(_))),
        "{:?}",
        items[1]
    );
    assert_eq!(data(&items[2]), Some("ok"));
}

#[tokio::test]
async fn a_starting_last_event_id_is_sent_on_the_first_request() {
    let (base, requests) = scripted(vec![Reply::events(b"data: x\n\n")]).await;
    let mut source = EventSource::builder(base).last_event_id("41").build();
    next_n(&mut source, 2).await;
    assert_eq!(requests.header(0, "last-event-id").as_deref(), Some("41"));
}

#[tokio::test]
async fn urls_that_cannot_be_fetched_fail_at_once() {
    for url in [
        "mailto:a@b",
        "not a url",
        "ftp://x/",
        "data:text/event-stream,x",
    ] {
        let mut source = EventSource::new(url);
        let items = next_n(&mut source, 1).await;
        assert!(matches!(items[0], Err(Failure::Url(_))), "{url}: {items:?}");
        ends(&mut source).await;
    }
}

#[tokio::test]
async fn authorization_follows_a_same_origin_redirect_but_not_a_cross_origin_one() {
    let (other, other_requests) = scripted(vec![Reply::events(b"retry: 5\ndata: there\n\n")]).await;
    let (base, requests) = scripted(vec![
        Reply::redirect("302 Found", "/same"),
        Reply::redirect("302 Found", &format!("{other}/elsewhere")),
    ])
    .await;
    let mut source = EventSource::builder(base)
        .headers(|| {
            let mut headers = HeaderMap::new();
            headers.insert("authorization", HeaderValue::from_static("Bearer secret"));
            headers
        })
        .build();
    let items = next_n(&mut source, 5).await;
    assert_eq!(data(&items[1]), Some("there"));
    assert_eq!(data(&items[4]), Some("there"));
    assert_eq!(requests.path(1), "/same");
    assert_eq!(
        requests.header(1, "authorization").as_deref(),
        Some("Bearer secret")
    );
    assert_eq!(other_requests.path(0), "/elsewhere");
    assert_eq!(other_requests.header(0, "authorization"), None);
    // The reconnection goes straight to the other origin, still without the credentials.
    assert_eq!(other_requests.path(1), "/elsewhere");
    assert_eq!(other_requests.header(1, "authorization"), None);
}

#[tokio::test]
async fn a_post_sends_its_method_headers_and_json_body() {
    let (base, requests) = scripted(vec![Reply::events(b"data: {\"token\":\"hi\"}\n\n")]).await;
    let json = r#"{"model":"m","stream":true}"#;
    let mut source = EventSource::builder(format!("{base}/v1/chat"))
        .method(Method::POST)
        .header(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )
        .body(json)
        .build();
    let items = next_n(&mut source, 2).await;
    assert_eq!(data(&items[1]), Some(r#"{"token":"hi"}"#));
    assert_eq!(requests.method(0), "POST");
    assert_eq!(requests.path(0), "/v1/chat");
    assert_eq!(requests.body(0), json.as_bytes());
    assert_eq!(
        requests.header(0, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        requests.header(0, "accept").as_deref(),
        Some("text/event-stream")
    );
}

#[tokio::test]
async fn a_post_is_not_repeated_after_a_clean_close_or_an_error_unless_asked() {
    // A clean close is the normal end of such a stream: no error, no second request.
    let (base, requests) = scripted(vec![Reply::events(b"data: a\n\ndata: [DONE]\n\n")]).await;
    let mut source = EventSource::builder(base)
        .method(Method::POST)
        .body("{}")
        .reconnection_time(SHORT)
        .build();
    let items = next_n(&mut source, 3).await;
    assert_eq!(data(&items[2]), Some("[DONE]"));
    ends(&mut source).await;
    assert_eq!(source.ready_state(), ReadyState::Closed);
    tokio::time::sleep(SHORT * 5).await;
    assert_eq!(requests.len(), 1);

    // Any other end is a failure that names its cause.
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut source = EventSource::builder(format!("http://127.0.0.1:{closed_port}/"))
        .method(Method::POST)
        .reconnection_time(SHORT)
        .build();
    let items = next_n(&mut source, 1).await;
    assert!(
        matches!(items[0], Err(Failure::Interrupted(Disconnect::Network(_)))),
        "{items:?}"
    );
    ends(&mut source).await;
}

#[tokio::test]
async fn an_opted_in_post_reconnects_with_its_body_computed_again() {
    let (base, requests) = scripted(vec![Reply::events(b"id: 7\ndata: x\n\n")]).await;
    let counter = Arc::new(AtomicUsize::new(0));
    let seen = counter.clone();
    let mut source = EventSource::builder(base)
        .method(Method::POST)
        .body_with(move || {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            format!(r#"{{"attempt":{n}}}"#).into()
        })
        .reconnect_non_idempotent(true)
        .reconnection_time(SHORT)
        .build();
    let items = next_n(&mut source, 5).await;
    assert!(is_reconnecting(&items[2]), "{items:?}");
    assert_eq!(data(&items[4]), Some("x"));
    assert_eq!(requests.body(0), br#"{"attempt":0}"#);
    assert_eq!(requests.body(1), br#"{"attempt":1}"#);
    assert_eq!(requests.method(1), "POST");
    assert_eq!(requests.header(1, "last-event-id").as_deref(), Some("7"));
}

#[tokio::test]
async fn redirects_keep_or_drop_a_post_body_as_fetch_does() {
    // 307 and 308 repeat the method and body; 301, 302 and 303 turn a POST into a GET
    // without a body or the headers describing it.
    for (status, kept) in [
        ("307 Temporary Redirect", true),
        ("308 Permanent Redirect", true),
        ("301 Moved Permanently", false),
        ("302 Found", false),
        ("303 See Other", false),
    ] {
        let (base, requests) = scripted(vec![
            Reply::redirect(status, "/next"),
            Reply::events(b"data: x\n\n"),
        ])
        .await;
        let mut source = EventSource::builder(base)
            .method(Method::POST)
            .header(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )
            .body("{}")
            .build();
        let items = next_n(&mut source, 2).await;
        assert_eq!(data(&items[1]), Some("x"), "{status}");
        assert_eq!(requests.path(1), "/next");
        if kept {
            assert_eq!(requests.method(1), "POST", "{status}");
            assert_eq!(requests.body(1), b"{}");
            assert!(requests.header(1, "content-type").is_some());
        } else {
            assert_eq!(requests.method(1), "GET", "{status}");
            assert_eq!(requests.body(1), b"");
            assert_eq!(requests.header(1, "content-type"), None, "{status}");
        }
    }
}

#[tokio::test]
async fn a_compressed_stream_fails_for_good_with_its_content_encoding() {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                content-encoding: gzip\r\nconnection: close\r\n\r\n";
    let mut bytes = head.as_bytes().to_vec();
    // The start of a gzip member: bytes the parser would take for no event at all.
    bytes.extend_from_slice(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03");
    let reply = Reply {
        pieces: vec![bytes],
        hold: false,
    };
    let (base, requests) = scripted(vec![reply]).await;
    let mut source = EventSource::builder(base).reconnection_time(SHORT).build();
    let items = next_n(&mut source, 1).await;
    assert_eq!(items[0], Err(Failure::ContentEncoding("gzip".into())));
    ends(&mut source).await;
    tokio::time::sleep(SHORT * 5).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests.header(0, "accept-encoding").as_deref(),
        Some("identity")
    );
}

#[tokio::test]
async fn retry_zero_is_taken_at_its_word_unless_a_floor_is_set() {
    let (base, _) = scripted(vec![Reply::events(b"retry: 0\ndata: x\n\n")]).await;
    let mut source = EventSource::new(base.clone());
    let items = next_n(&mut source, 3).await;
    let expected = SourceEvent::Reconnecting {
        delay: Duration::ZERO,
        cause: Disconnect::Closed,
    };
    assert_eq!(items[2], Ok(expected));

    let floor = Duration::from_millis(40);
    let mut source = EventSource::builder(base)
        .min_reconnection_time(floor)
        .build();
    let items = next_n(&mut source, 3).await;
    let expected = SourceEvent::Reconnecting {
        delay: floor,
        cause: Disconnect::Closed,
    };
    assert_eq!(items[2], Ok(expected));
}

#[tokio::test]
async fn a_server_that_never_answers_times_the_attempt_out_and_reconnects() {
    let silent = Reply {
        pieces: Vec::new(),
        hold: true,
    };
    let (base, requests) = scripted(vec![silent]).await;
    let limit = Duration::from_millis(100);
    let mut source = EventSource::builder(base)
        .connect_timeout(limit)
        .reconnection_time(SHORT)
        .build();
    let items = next_n(&mut source, 2).await;
    for item in items {
        let expected = SourceEvent::Reconnecting {
            delay: SHORT,
            cause: Disconnect::ConnectTimeout(limit),
        };
        assert_eq!(item, Ok(expected));
    }
    assert_eq!(requests.len(), 2);
    assert_eq!(source.ready_state(), ReadyState::Connecting);
}
