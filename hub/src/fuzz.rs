//! The hub's fuzz targets' bodies, as plain functions: `fuzz/` wraps each in a libFuzzer shim,
//! and `cargo test` replays them over seeds (`hub/tests/fuzz_replay.rs`). Each panics when an
//! invariant breaks.

use std::time::{SystemTime, UNIX_EPOCH};

use ssewire_parser::{Parser, Step};
use url::Url;

use crate::auth::{KeyMaterial, Role, TrustedKey, Verifier, VerifierConfig};
use crate::limits::Limits;
use crate::topic::Topic;

const HUB: &str = "https://hub.example/.well-known/mercure";
const SECRET: &[u8] = b"the fuzz targets' secret, 32 bytes or more";

fn hub() -> Url {
    Url::parse(HUB).expect("a valid URL")
}

fn small_limits() -> Limits {
    Limits {
        max_body_bytes: 8192,
        max_field_bytes: 4096,
        max_topics: 8,
        max_matchers: 8,
        max_pattern_bytes: 512,
        ..Limits::default()
    }
}

/// A publish body: never a panic; an accepted form becomes exactly one event that parses back
/// with its id, type and data (line ends as LF), whatever the data held.
pub fn publish_form(data: &[u8]) {
    let Ok(publication) = crate::publish::parse(data, &hub(), &small_limits()) else {
        return;
    };
    let update = publication.update;
    assert!(!update.topics.is_empty());
    let bytes = update.to_sse();
    let mut parser = Parser::new();
    let mut events = Vec::new();
    parser.feed_each(&bytes, |step| {
        if let Ok(Step::Event(event)) = step {
            events.push((
                event.event_type().to_owned(),
                event.data().to_owned(),
                event.last_event_id().to_owned(),
            ));
        }
    });
    let want_data = update.data.replace("\r\n", "\n").replace('\r', "\n");
    let want_type = update
        .event_type
        .clone()
        .unwrap_or_else(|| "message".into());
    assert_eq!(
        events,
        [(want_type, want_data, update.id.clone())],
        "{update:?}"
    );
}

/// A subscribe query (before the first NUL) and a topic (after it): never a panic, and a
/// parsed request's matchers answer for any topic.
pub fn subscribe_query(data: &[u8]) {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let query = String::from_utf8_lossy(&data[..split]);
    let topic = String::from_utf8_lossy(data.get(split + 1..).unwrap_or_default());
    let headers = http::HeaderMap::new();
    let Ok(request) = crate::subscribe::parse(&query, b"", &headers, &hub(), &small_limits(), true)
    else {
        return;
    };
    assert!(!request.matchers.is_empty());
    let topic = Topic::new(topic.into_owned(), &hub());
    for matcher in &request.matchers {
        let _ = matcher.matches(&topic);
    }
}

/// Token claims: `data`, when a JSON object, is signed as an access token with valid `iss`,
/// `aud` and `exp` added unless it sets them, then verified. Never a panic; a token accepted
/// grants publish on no empty topic list.
pub fn token_claims(data: &[u8]) {
    let Ok(serde_json::Value::Object(mut claims)) = serde_json::from_slice(data) else {
        return;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    claims.entry("iss").or_insert_with(|| "fuzz".into());
    claims.entry("aud").or_insert_with(|| HUB.into());
    claims.entry("exp").or_insert_with(|| (now + 3600).into());
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.typ = Some("at+jwt".into());
    let Ok(key) = jsonwebtoken::EncodingKey::from_secret(SECRET) else {
        return;
    };
    let Ok(token) = jsonwebtoken::encode(&header, &claims, &key) else {
        return;
    };
    let mut config = VerifierConfig::new(HUB, hub());
    let trusted = TrustedKey::from_names("fuzz", KeyMaterial::Secret(SECRET.to_vec()), &["HS256"])
        .expect("a valid key");
    config.subscribers.push(trusted);
    let verifier = Verifier::new(config);
    if let Ok(access) = verifier.verify(Role::Subscriber, &token) {
        assert!(!access.grants.may_publish(&[]));
        let _ = access
            .grants
            .may_receive(&[Topic::new("https://example.com/a", &hub())]);
    }
}
