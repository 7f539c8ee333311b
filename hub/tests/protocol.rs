//! The hub over real TCP on 127.0.0.1: publish and subscribe, private updates and per-user
//! notifications, reconciliation, the authorization answers, discovery and the endpoints
//! around them.

mod support;

use std::time::Duration;

use ssewire_hub::config::HUB_PATH;
use support::TestHub;

const BOOK: &str = "https://example.com/books/1";

#[tokio::test]
async fn a_public_update_reaches_a_matching_subscriber_with_the_publishers_id() {
    let hub = TestHub::start(|_| {}).await;
    let mut books = hub.subscribe(&format!("match={BOOK}"), &[]).await;
    assert_eq!(books.status, 200);
    assert_eq!(books.headers["content-type"], "text/event-stream");
    let mut other = hub
        .subscribe("match=https://example.com/books/2", &[])
        .await;
    let token = hub.publisher(&["*"]);
    let (status, id) = hub
        .publish(
            &token,
            &format!("topic={BOOK}&data=a%0Aid: forged&id=urn:uuid:1&type=book"),
        )
        .await;
    assert_eq!((status.as_u16(), id.as_str()), (200, "urn:uuid:1"));
    let event = books.next().await;
    assert_eq!(
        (event.event_type(), event.data(), event.last_event_id()),
        ("book", "a\nid: forged", "urn:uuid:1"),
        "data with a line end stays data: no field injection"
    );
    assert!(other
        .next_within(Duration::from_millis(300))
        .await
        .is_none());
}

#[tokio::test]
async fn a_hub_made_id_is_a_random_urn_and_the_answer_is_plain_text() {
    let hub = TestHub::start(|_| {}).await;
    let token = hub.publisher(&[BOOK]);
    let (status, headers, body) = hub
        .request(
            "POST",
            HUB_PATH,
            &[("authorization", &format!("Bearer {token}"))],
            &format!("topic={BOOK}&data=x"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    let id = body.trim_end();
    assert!(id.starts_with("urn:uuid:") && id.len() == 45, "{id}");
}

#[tokio::test]
async fn private_updates_reach_only_subscribers_granted_one_of_their_topics() {
    let hub = TestHub::start(|_| {}).await;
    let alice_topic = "https://example.com/users/alice/notifications";
    let bob_topic = "https://example.com/users/bob/notifications";
    let alice = hub.subscriber("alice", &[alice_topic]);
    let bob = hub.subscriber("bob", &[bob_topic]);
    // Each asks for both users' topics (and everything): the token alone decides.
    let query = format!("match={alice_topic}&match={bob_topic}&match=*");
    let mut as_alice = hub
        .subscribe(&query, &[("authorization", &format!("Bearer {alice}"))])
        .await;
    let mut as_bob = hub
        .subscribe(&query, &[("authorization", &format!("Bearer {bob}"))])
        .await;
    let mut anonymous = hub.subscribe(&query, &[]).await;
    let publisher = hub.publisher(&["*"]);
    let (status, _) = hub
        .publish(
            &publisher,
            &format!("topic={alice_topic}&data=for-alice&private=on&id=urn:a:1"),
        )
        .await;
    assert_eq!(status, 200);
    hub.publish(
        &publisher,
        &format!("topic={bob_topic}&data=for-bob&private&id=urn:b:1"),
    )
    .await;
    hub.publish(&publisher, &format!("topic={BOOK}&data=public&id=urn:p:1"))
        .await;
    let a1 = as_alice.next().await;
    let a2 = as_alice.next().await;
    assert_eq!((a1.data(), a2.data()), ("for-alice", "public"));
    let b1 = as_bob.next().await;
    let b2 = as_bob.next().await;
    assert_eq!((b1.data(), b2.data()), ("for-bob", "public"));
    assert_eq!(anonymous.next().await.data(), "public");
    for stream in [&mut as_alice, &mut as_bob, &mut anonymous] {
        assert!(stream
            .next_within(Duration::from_millis(200))
            .await
            .is_none());
    }
}

#[tokio::test]
async fn a_user_never_learns_another_users_notification_ids_even_when_resuming() {
    let hub = TestHub::start(|_| {}).await;
    let bob_topic = "https://example.com/users/bob/notifications";
    let publisher = hub.publisher(&["*"]);
    hub.publish(&publisher, &format!("topic={BOOK}&data=p1&id=urn:p:1"))
        .await;
    hub.publish(
        &publisher,
        &format!("topic={bob_topic}&data=secret&private&id=urn:bob:secret"),
    )
    .await;
    hub.publish(&publisher, &format!("topic={BOOK}&data=p2&id=urn:p:2"))
        .await;
    let alice = hub.subscriber("alice", &["https://example.com/users/alice/notifications"]);
    let mut replay = hub
        .subscribe(
            "match=*&last_event_id=urn:p:1",
            &[("authorization", &format!("Bearer {alice}"))],
        )
        .await;
    assert_eq!(replay.headers["mercure-last-event-id"], "urn:p:1");
    let event = replay.next().await;
    assert_eq!((event.data(), event.last_event_id()), ("p2", "urn:p:2"));
    assert!(replay
        .next_within(Duration::from_millis(200))
        .await
        .is_none());
}

#[tokio::test]
async fn reconciliation_answers_the_cursor_and_replays_what_came_after() {
    let hub = TestHub::start(|_| {}).await;
    let publisher = hub.publisher(&["*"]);
    for n in 1..=3 {
        hub.publish(&publisher, &format!("topic={BOOK}&data=d{n}&id=urn:{n}"))
            .await;
    }
    // The header wins over the query parameter.
    let mut header = hub
        .subscribe(
            &format!("match={BOOK}&last_event_id=urn:1"),
            &[("last-event-id", "urn:2")],
        )
        .await;
    assert_eq!(header.headers["mercure-last-event-id"], "urn:2");
    assert_eq!(header.next().await.data(), "d3");
    let mut query = hub
        .subscribe(&format!("match={BOOK}&last_event_id=urn:1"), &[])
        .await;
    assert_eq!(query.next().await.data(), "d2");
    assert_eq!(query.next().await.data(), "d3");
    let mut earliest = hub
        .subscribe(&format!("match={BOOK}&last_event_id=earliest"), &[])
        .await;
    assert_eq!(earliest.headers["mercure-last-event-id"], "earliest");
    assert_eq!(earliest.next().await.data(), "d1");
    // An unknown id: nothing replayed, and the answer says the cursor is lost.
    let mut unknown = hub
        .subscribe(&format!("match={BOOK}&last_event_id=urn:nope"), &[])
        .await;
    assert_eq!(unknown.headers["mercure-last-event-id"], "earliest");
    assert!(unknown
        .next_within(Duration::from_millis(200))
        .await
        .is_none());
    // No cursor: no header.
    let plain = hub.subscribe(&format!("match={BOOK}"), &[]).await;
    assert!(!plain.headers.contains_key("mercure-last-event-id"));
    // Live updates after the replay come once, in order.
    hub.publish(&publisher, &format!("topic={BOOK}&data=d4&id=urn:4"))
        .await;
    assert_eq!(query.next().await.data(), "d4");
    assert!(query
        .next_within(Duration::from_millis(200))
        .await
        .is_none());
}

#[tokio::test]
async fn authorization_failures_have_the_drafts_statuses_and_challenges() {
    let hub = TestHub::start(|c| c.anonymous = false).await;
    let metadata = format!(
        "resource_metadata=\"http://{}/.well-known/oauth-protected-resource/.well-known/mercure\"",
        hub.addr
    );
    // Publish without a token: 401, a bare challenge.
    let (status, headers, _) = hub.request("POST", HUB_PATH, &[], "topic=a&data=x").await;
    assert_eq!(status, 401);
    assert_eq!(headers["www-authenticate"], format!("Bearer {metadata}"));
    // A bad token: 401 invalid_token.
    let (status, headers, body) = hub
        .request(
            "POST",
            HUB_PATH,
            &[("authorization", "Bearer not.a.token")],
            "topic=a",
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(
        headers["www-authenticate"],
        format!("Bearer error=\"invalid_token\", {metadata}")
    );
    assert_eq!(body, "the access token is not valid\n");
    // A malformed header: 400 invalid_request.
    let (status, headers, _) = hub
        .request(
            "POST",
            HUB_PATH,
            &[("authorization", "Basic abc")],
            "topic=a",
        )
        .await;
    assert_eq!(status, 400);
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_request"));
    // A token without the grant: 403 insufficient_scope.
    let token = hub.publisher(&["https://example.com/other"]);
    let (status, headers, _) = hub
        .request(
            "POST",
            HUB_PATH,
            &[("authorization", &format!("Bearer {token}"))],
            &format!("topic={BOOK}"),
        )
        .await;
    assert_eq!(status, 403);
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));
    // A reserved topic is 400 whatever the token grants.
    let (status, body) = hub.publish(&token, "topic=/.well-known/mercure/x").await;
    assert_eq!(status, 400, "{body}");
    // Subscribing without a token when anonymous subscribers are refused: 401.
    let refused = hub.subscribe(&format!("match={BOOK}"), &[]).await;
    assert_eq!(refused.status, 401);
}

#[tokio::test]
async fn a_token_in_a_cookie_publishes_only_from_an_allowed_origin() {
    let hub = TestHub::start(|c| c.cors_origins = vec!["https://app.example".into()]).await;
    let token = hub.publisher(&["*"]);
    let cookie = format!("__Secure-mercure_access_token={token}");
    let form = format!("topic={BOOK}&data=x");
    let (status, _, _) = hub
        .request("POST", HUB_PATH, &[("cookie", &cookie)], &form)
        .await;
    assert_eq!(status, 400, "no Origin, no Referer: refused");
    let evil = [
        ("cookie", cookie.as_str()),
        ("origin", "https://evil.example"),
    ];
    assert_eq!(hub.request("POST", HUB_PATH, &evil, &form).await.0, 400);
    let good = [
        ("cookie", cookie.as_str()),
        ("origin", "https://app.example"),
    ];
    let (status, headers, _) = hub.request("POST", HUB_PATH, &good, &form).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(headers["access-control-allow-credentials"], "true");
}

#[tokio::test]
async fn the_endpoints_around_the_protocol_answer_as_documented() {
    let hub = TestHub::start(|_| {}).await;
    let (status, headers, _) = hub.request("DELETE", HUB_PATH, &[], "").await;
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "GET, HEAD, POST, QUERY, OPTIONS");
    let (status, _, body) = hub.request("GET", "/healthz", &[], "").await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "ok\n"));
    let (status, headers, _) = hub.request("GET", "/nope", &[], "").await;
    assert_eq!(status, 404);
    assert_eq!(
        headers["link"],
        format!("<{}>; rel=\"mercure\"", hub.hub_url)
    );
    let (status, _, body) = hub
        .request(
            "GET",
            "/.well-known/oauth-protected-resource/.well-known/mercure",
            &[],
            "",
        )
        .await;
    assert_eq!(status, 200);
    let metadata: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(metadata["resource"], hub.hub_url.as_str());
    assert_eq!(metadata["mercure_subscriptions"], true);
    let publisher = hub.publisher(&["*"]);
    hub.publish(&publisher, &format!("topic={BOOK}&data=x"))
        .await;
    let (_, _, metrics) = hub.request("GET", "/metrics", &[], "").await;
    assert!(
        metrics.contains("ssewire_hub_published_total 1\n"),
        "{metrics}"
    );
    let (status, _, page) = hub.request("GET", "/", &[], "").await;
    assert_eq!(status, 200);
    assert!(page.contains("EventSource") || page.contains("/page/app.js"));
    // Bad subscriptions are 400 with a reason.
    let bad = hub.subscribe("matchType=exact&match=a", &[]).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn subscription_events_and_the_api_show_who_listens_to_what() {
    let hub = TestHub::start(|_| {}).await;
    let watcher = hub.subscriber("ops", &["*"]);
    let auth = format!("Bearer {watcher}");
    let mut events = hub
        .subscribe(
            "match_urlpattern=/.well-known/mercure/subscriptions/*",
            &[("authorization", &auth)],
        )
        .await;
    let _books = hub.subscribe(&format!("match={BOOK}"), &[]).await;
    let mut saw_book = false;
    for _ in 0..3 {
        let Some(event) = events.next_within(Duration::from_secs(5)).await else {
            break;
        };
        assert_eq!(event.event_type(), "mercure");
        let document: serde_json::Value = serde_json::from_str(event.data()).unwrap();
        if document["match"] == BOOK {
            assert_eq!(document["type"], "subscription");
            assert_eq!(document["match_type"], "exact");
            assert_eq!(document["active"], true);
            saw_book = true;
            break;
        }
    }
    assert!(saw_book);
    let (status, headers, body) = hub
        .request(
            "GET",
            "/.well-known/mercure/subscriptions",
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    let collection: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(collection["type"], "subscriptions");
    assert!(collection["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["match"] == BOOK));
    assert!(headers
        .get_all("link")
        .iter()
        .any(|l| l.to_str().unwrap().contains("last-event-id=")));
    let nobody = hub.subscriber("nobody", &["https://example.com/x"]);
    let (status, _, _) = hub
        .request(
            "GET",
            "/.well-known/mercure/subscriptions",
            &[("authorization", &format!("Bearer {nobody}"))],
            "",
        )
        .await;
    assert_eq!(status, 403);
}
