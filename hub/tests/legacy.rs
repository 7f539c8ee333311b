//! `--legacy`: what pre-standard (Mercure 0.x) publishers and subscribers send still works,
//! and without the switch the same requests are refused.

mod support;

use std::time::Duration;

use jsonwebtoken::{encode, EncodingKey, Header};
use ssewire_hub::config::HUB_PATH;
use support::{TestHub, SECRET};

/// A token as deployed 0.x applications mint it: HS256, `typ: JWT`, no `aud`, `iss` or `exp`,
/// and the `mercure` claim with topic selectors (URI templates).
fn old_token(publish: &[&str], subscribe: &[&str]) -> String {
    let claims = serde_json::json!({
        "mercure": { "publish": publish, "subscribe": subscribe }
    });
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_pre_standard_publisher_and_subscriber_work_with_legacy_on() {
    let hub = TestHub::start(|c| {
        c.verifier.legacy = true;
        c.anonymous = false;
    })
    .await;
    let subscriber = old_token(&[], &["https://example.com/books/{id}"]);
    // The token in the legacy cookie, the topic as a URI template, the old cursor name.
    let cookie = format!("mercureAuthorization={subscriber}");
    let mut books = hub
        .subscribe(
            "topic=https://example.com/books/{id}&lastEventID=earliest",
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(books.status, 200);
    // And the token in the `authorization` query parameter.
    let mut by_query = hub
        .subscribe(
            &format!("topic=https://example.com/books/{{id}}&authorization={subscriber}"),
            &[],
        )
        .await;
    assert_eq!(by_query.status, 200);
    let publisher = old_token(&["*"], &[]);
    let (status, _) = hub
        .publish(
            &publisher,
            "topic=https://example.com/books/7&data=private-book&private=on",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(books.next().await.data(), "private-book");
    assert_eq!(by_query.next().await.data(), "private-book");
    let (status, _) = hub
        .publish(&publisher, "topic=https://example.com/authors/1&data=x")
        .await;
    assert_eq!(status, 200);
    assert!(
        books
            .next_within(Duration::from_millis(200))
            .await
            .is_none(),
        "not a book"
    );
}

#[tokio::test]
async fn without_legacy_the_old_forms_are_refused() {
    let hub = TestHub::start(|c| c.anonymous = false).await;
    let publisher = old_token(&["*"], &[]);
    let (status, _) = hub
        .publish(&publisher, "topic=https://example.com/books/7&data=x")
        .await;
    assert_eq!(status, 401, "an old token is not an access token");
    let subscriber = old_token(&[], &["*"]);
    let cookie = format!("mercureAuthorization={subscriber}");
    let (status, _, body) = hub
        .request(
            "GET",
            &format!("{HUB_PATH}?match=*"),
            &[("cookie", &cookie)],
            "",
        )
        .await;
    assert_eq!(status, 401, "the legacy cookie is not read: {body}");
    let token = hub.subscriber("alice", &["*"]);
    let (status, _, body) = hub
        .request(
            "GET",
            &format!("{HUB_PATH}?topic=a"),
            &[("authorization", &format!("Bearer {token}"))],
            "",
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("pre-standard"), "{body}");
}
