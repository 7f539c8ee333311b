//! Access-token validation and grants end to end (Mercure-08 §Token Validation,
//! §Authorization Details, §Publishers, §Subscribers, §Payloads), with the committed
//! test-only keys of `tests/keys/`.
//!
//! Every bad token is the good baseline with exactly one thing changed, signed with the
//! right key unless the change is the key, so each case fails for its own reason (which
//! the table also checks), and the baseline itself is checked to pass.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::EncodingKey;
use serde_json::{json, Value};
use ssewire_hub::auth::{
    Algorithm, AuthError, DetailError, KeyError, KeyMaterial, Rejection, Role, SigningKey,
    TokenBuilder, TrustedKey, Verifier, VerifierConfig, MERCURE_DETAIL_TYPE,
};
use ssewire_hub::matcher::MatchType;
use ssewire_hub::topic::Topic;
use url::Url;

const HUB: &str = "https://hub.example/.well-known/mercure";
const ED: &str = "https://ed.example";
const ED2: &str = "https://ed2.example";
const ES: &str = "https://es.example";
const RS: &str = "https://rs.example";
const HS: &str = "https://hs.example";
const SECRET: &[u8] = b"test-only-secret-0123456789abcdef";

const ED_KEY: &[u8] = include_bytes!("keys/ed25519.key");
const ED_PUB: &[u8] = include_bytes!("keys/ed25519.pub");
const ED_OTHER_KEY: &[u8] = include_bytes!("keys/ed25519-other.key");
const ED_OTHER_PUB: &[u8] = include_bytes!("keys/ed25519-other.pub");
const P256_KEY: &[u8] = include_bytes!("keys/p256.key");
const P256_PUB: &[u8] = include_bytes!("keys/p256.pub");
const RSA_KEY: &[u8] = include_bytes!("keys/rsa.key");
const RSA_PUB: &[u8] = include_bytes!("keys/rsa.pub");
const P384_PUB: &[u8] = include_bytes!("keys/p384.pub");

fn hub() -> Url {
    Url::parse(HUB).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn pem(issuer: &str, pem: &[u8], alg: Algorithm) -> TrustedKey {
    TrustedKey::new(issuer, KeyMaterial::PublicKeyPem(pem.to_vec()), &[alg]).unwrap()
}

fn trusted() -> Vec<TrustedKey> {
    vec![
        pem(ED, ED_PUB, Algorithm::EdDSA),
        pem(ED2, ED_OTHER_PUB, Algorithm::EdDSA),
        pem(ES, P256_PUB, Algorithm::ES256),
        pem(RS, RSA_PUB, Algorithm::RS256),
        TrustedKey::new(
            HS,
            KeyMaterial::Secret(SECRET.to_vec()),
            &[Algorithm::HS256],
        )
        .unwrap(),
    ]
}

/// Subscribers trust every test issuer; publishers only `ED`.
fn verifier() -> Verifier {
    let mut config = VerifierConfig::new(HUB, hub());
    config.subscribers = trusted();
    config.publishers = vec![pem(ED, ED_PUB, Algorithm::EdDSA)];
    Verifier::new(config)
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

/// A compact JWS of exactly this header and these claims, signed by jsonwebtoken.
fn raw(header: &Value, claims: &Value, key: &EncodingKey, alg: jsonwebtoken::Algorithm) -> String {
    let message = format!("{}.{}", b64(header), b64(claims));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), key, alg).unwrap();
    format!("{message}.{signature}")
}

fn ed_key() -> EncodingKey {
    EncodingKey::from_ed_pem(ED_KEY).unwrap()
}

fn detail(actions: Value, topics: Value) -> Value {
    json!({"type": MERCURE_DETAIL_TYPE, "actions": actions, "topics": topics})
}

fn good_header() -> Value {
    json!({"alg": "EdDSA", "typ": "at+jwt"})
}

fn good_claims() -> Value {
    let now = now();
    json!({
        "iss": ED, "aud": HUB, "exp": now + 600, "iat": now, "sub": "user-1",
        "jti": "j-1", "client_id": "app",
        "authorization_details": [detail(
            json!(["subscribe"]),
            json!([{"match": "https://example.com/books/:id", "match_type": "urlpattern"}]),
        )],
    })
}

/// The baseline with `edit` applied to its header and claims, signed with the Ed25519 key.
fn ed_token(edit: impl FnOnce(&mut Value, &mut Value)) -> String {
    let (mut header, mut claims) = (good_header(), good_claims());
    edit(&mut header, &mut claims);
    raw(&header, &claims, &ed_key(), jsonwebtoken::Algorithm::EdDSA)
}

/// The baseline with only its `authorization_details` replaced.
fn with_details(details: Value) -> String {
    ed_token(|_, c| c["authorization_details"] = details)
}

fn topic(t: &str) -> Topic {
    Topic::new(t, &hub())
}

#[test]
fn baseline_is_valid() {
    let token = verifier()
        .verify(Role::Subscriber, &ed_token(|_, _| {}))
        .unwrap();
    assert_eq!(token.issuer, ED);
    assert_eq!(token.subject.as_deref(), Some("user-1"));
    assert!(token
        .grants
        .may_receive(&[topic("https://example.com/books/1")]));
}

/// Mercure-08 §Token Validation TV-1..TV-10 and §Authorization Details AD-1..AD-7: each
/// bad token is rejected for its own reason, and the client is told the same thing.
#[test]
fn bad_tokens_are_rejected_for_their_own_reason() {
    use jsonwebtoken::Algorithm as Jwa;
    let now = now();
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "at+jwt"})),
        b64(&good_claims())
    );
    // TV-3: HS256 signed with the RSA public key's PEM bytes as the HMAC secret.
    let confusion = {
        let mut claims = good_claims();
        claims["iss"] = json!(RS);
        raw(
            &json!({"alg": "HS256", "typ": "at+jwt"}),
            &claims,
            &EncodingKey::from_secret(RSA_PUB).unwrap(),
            Jwa::HS256,
        )
    };
    let wrong_key = {
        let key = EncodingKey::from_ed_pem(ED_OTHER_KEY).unwrap();
        raw(&good_header(), &good_claims(), &key, Jwa::EdDSA)
    };
    let hs512 = {
        let mut claims = good_claims();
        claims["iss"] = json!(HS);
        raw(
            &json!({"alg": "HS512", "typ": "at+jwt"}),
            &claims,
            &EncodingKey::from_secret(SECRET).unwrap(),
            Jwa::HS512,
        )
    };
    let es_for_ed_issuer = raw(
        &json!({"alg": "ES256", "typ": "at+jwt"}),
        &good_claims(),
        &EncodingKey::from_ec_pem(P256_KEY).unwrap(),
        Jwa::ES256,
    );
    let legacy_style = raw(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"mercure": {"subscribe": ["*"]}}),
        &EncodingKey::from_secret(SECRET).unwrap(),
        Jwa::HS256,
    );
    let too_many_details = Value::Array(
        (0..101)
            .map(|i| detail(json!(["subscribe"]), json!([{"match": format!("t{i}")}])))
            .collect(),
    );
    let many_topics = |n: usize| -> Value {
        Value::Array((0..n).map(|i| json!({"match": format!("t{i}")})).collect())
    };
    let good = detail(json!(["subscribe"]), json!([{"match": "a"}]));

    type Check = fn(&Rejection) -> bool;
    let cases: Vec<(&str, String, Check)> = vec![
        ("empty", String::new(), |r| {
            matches!(r, Rejection::Malformed(_))
        }),
        ("not a JWS", "abc".into(), |r| {
            matches!(r, Rejection::Malformed(_))
        }),
        ("alg none", alg_none, |r| {
            matches!(r, Rejection::Malformed(_))
        }),
        (
            "HS256 with the RSA public key as secret",
            confusion,
            |r| matches!(r, Rejection::AlgorithmNotAllowed(a) if a == "HS256"),
        ),
        (
            "HS512 not in the allowlist",
            hs512,
            |r| matches!(r, Rejection::AlgorithmNotAllowed(a) if a.contains("HS512")),
        ),
        ("ES256 for an EdDSA-only issuer", es_for_ed_issuer, |r| {
            matches!(r, Rejection::AlgorithmNotAllowed(_))
        }),
        ("wrong key", wrong_key, |r| *r == Rejection::BadSignature),
        // TV-5: the key of ED signs, but the token claims ED2: only ED2's key is tried.
        (
            "another issuer's key",
            ed_token(|_, c| c["iss"] = json!(ED2)),
            |r| *r == Rejection::BadSignature,
        ),
        (
            "wrong aud",
            ed_token(|_, c| c["aud"] = json!("https://other.example/.well-known/mercure")),
            |r| *r == Rejection::WrongAudience,
        ),
        (
            "aud array without the hub",
            ed_token(|_, c| c["aud"] = json!(["https://a.example", "https://b.example"])),
            |r| *r == Rejection::WrongAudience,
        ),
        (
            "no aud",
            ed_token(|_, c| {
                c.as_object_mut().unwrap().remove("aud");
            }),
            |r| *r == Rejection::WrongAudience,
        ),
        (
            "aud differs by a trailing slash",
            ed_token(|_, c| c["aud"] = json!(format!("{HUB}/"))),
            |r| *r == Rejection::WrongAudience,
        ),
        (
            "unknown iss",
            ed_token(|_, c| c["iss"] = json!("https://evil.example")),
            |r| matches!(r, Rejection::UnknownIssuer(i) if i == "https://evil.example"),
        ),
        (
            "iss differs in case",
            ed_token(|_, c| c["iss"] = json!("https://ED.example")),
            |r| matches!(r, Rejection::UnknownIssuer(_)),
        ),
        (
            "no iss",
            ed_token(|_, c| {
                c.as_object_mut().unwrap().remove("iss");
            }),
            |r| *r == Rejection::MissingIssuer,
        ),
        (
            "iss not a string",
            ed_token(|_, c| c["iss"] = json!([ED])),
            |r| matches!(r, Rejection::BadClaim(n) if n == "iss"),
        ),
        ("typ JWT", ed_token(|h, _| h["typ"] = json!("JWT")), |r| {
            *r == Rejection::WrongType(Some("JWT".into()))
        }),
        (
            "typ application/jwt",
            ed_token(|h, _| h["typ"] = json!("application/jwt")),
            |r| matches!(r, Rejection::WrongType(_)),
        ),
        (
            "no typ",
            ed_token(|h, _| {
                h.as_object_mut().unwrap().remove("typ");
            }),
            |r| *r == Rejection::WrongType(None),
        ),
        (
            "no exp",
            ed_token(|_, c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
            |r| *r == Rejection::MissingExpiry,
        ),
        ("expired", ed_token(|_, c| c["exp"] = json!(now - 5)), |r| {
            *r == Rejection::Expired
        }),
        (
            "exp not a number",
            ed_token(|_, c| c["exp"] = json!("soon")),
            |r| // jsonwebtoken counts an exp of the wrong type as absent.
            *r == Rejection::MissingExpiry,
        ),
        (
            "not yet valid",
            ed_token(|_, c| c["nbf"] = json!(now + 600)),
            |r| *r == Rejection::NotYetValid,
        ),
        (
            "jwk header",
            ed_token(|h, _| {
                h["jwk"] = json!({
                    "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
                })
            }),
            |r| *r == Rejection::EmbeddedKey,
        ),
        (
            "jku header",
            ed_token(|h, _| h["jku"] = json!("https://evil.example/jwks.json")),
            |r| *r == Rejection::EmbeddedKey,
        ),
        (
            "x5u header",
            ed_token(|h, _| h["x5u"] = json!("https://evil.example/cert.pem")),
            |r| *r == Rejection::EmbeddedKey,
        ),
        (
            "x5c header",
            ed_token(|h, _| h["x5c"] = json!(["MIIBszCCAVmgAwIBAgIUQ"])),
            |r| *r == Rejection::EmbeddedKey,
        ),
        (
            "crit header",
            ed_token(|h, _| h["crit"] = json!(["exp"])),
            |r| *r == Rejection::CriticalHeader,
        ),
        (
            "too long",
            format!("{}{}", ed_token(|_, _| {}), "A".repeat(70_000)),
            |r| *r == Rejection::TooLong,
        ),
        ("legacy token in draft mode", legacy_style, |r| {
            matches!(r, Rejection::WrongType(_))
        }),
        (
            "details not an array",
            with_details(json!({"type": MERCURE_DETAIL_TYPE})),
            |r| *r == Rejection::Details(DetailError::NotAnArray),
        ),
        (
            "details entry not an object",
            with_details(json!(["mercure"])),
            |r| *r == Rejection::Details(DetailError::EntryNotObject(0)),
        ),
        (
            "details type not a string",
            with_details(json!([{"type": 1}])),
            |r| *r == Rejection::Details(DetailError::EntryNotObject(0)),
        ),
        (
            "actions empty",
            with_details(json!([detail(json!([]), json!([{"match": "a"}]))])),
            |r| *r == Rejection::Details(DetailError::ActionsMissing(0)),
        ),
        (
            "actions missing",
            with_details(json!([{"type": MERCURE_DETAIL_TYPE, "topics": [{"match": "a"}]}])),
            |r| *r == Rejection::Details(DetailError::ActionsMissing(0)),
        ),
        (
            "actions a string",
            with_details(json!([detail(json!("subscribe"), json!([{"match": "a"}]))])),
            |r| *r == Rejection::Details(DetailError::ActionsMissing(0)),
        ),
        (
            "action not a string",
            with_details(json!([detail(
                json!(["subscribe", 1]),
                json!([{"match": "a"}])
            )])),
            |r| *r == Rejection::Details(DetailError::ActionNotString(0)),
        ),
        (
            "topics empty",
            with_details(json!([detail(json!(["subscribe"]), json!([]))])),
            |r| *r == Rejection::Details(DetailError::TopicsMissing(0)),
        ),
        (
            "topics missing",
            with_details(json!([{"type": MERCURE_DETAIL_TYPE, "actions": ["subscribe"]}])),
            |r| *r == Rejection::Details(DetailError::TopicsMissing(0)),
        ),
        (
            "topic entry a string",
            with_details(json!([detail(
                json!(["subscribe"]),
                json!(["https://example.com/a"])
            )])),
            |r| *r == Rejection::Details(DetailError::TopicNotObject(0)),
        ),
        (
            "topic entry null",
            with_details(json!([detail(json!(["subscribe"]), json!([null]))])),
            |r| *r == Rejection::Details(DetailError::TopicNotObject(0)),
        ),
        (
            "topic without match",
            with_details(json!([detail(
                json!(["subscribe"]),
                json!([{"match_type": "exact"}])
            )])),
            |r| *r == Rejection::Details(DetailError::TopicNotObject(0)),
        ),
        (
            "empty match",
            with_details(json!([detail(
                json!(["subscribe"]),
                json!([{"match": ""}])
            )])),
            |r| *r == Rejection::Details(DetailError::EmptyMatch(0)),
        ),
        (
            "unknown match_type",
            with_details(json!([detail(
                json!(["subscribe"]),
                json!([{"match": "a", "match_type": "regex"}])
            )])),
            |r| *r == Rejection::Details(DetailError::UnknownMatchType(0)),
        ),
        (
            "match_type in the wrong case",
            with_details(json!([detail(
                json!(["subscribe"]),
                json!([{"match": "a", "match_type": "URLPattern"}])
            )])),
            |r| *r == Rejection::Details(DetailError::UnknownMatchType(0)),
        ),
        (
            "match_type not a string",
            with_details(json!([detail(
                json!(["subscribe"]),
                json!([{"match": "a", "match_type": 1}])
            )])),
            |r| *r == Rejection::Details(DetailError::UnknownMatchType(0)),
        ),
        (
            "bad URL pattern",
            with_details(json!([detail(
                json!(["subscribe"]),
                json!([{"match": "https://example.com/(", "match_type": "urlpattern"}])
            )])),
            |r| matches!(r, Rejection::Details(DetailError::BadMatcher(0, _))),
        ),
        (
            "control character in match",
            with_details(json!([detail(
                json!(["subscribe"]),
                json!([{"match": "a\nid: x"}])
            )])),
            |r| matches!(r, Rejection::Details(DetailError::BadMatcher(0, _))),
        ),
        (
            "pattern too long",
            with_details(json!([detail(
                json!(["subscribe"]),
                json!([{"match": "a".repeat(4097)}])
            )])),
            |r| matches!(r, Rejection::Details(DetailError::BadMatcher(0, _))),
        ),
        (
            "payload not an object",
            with_details(
                json!([{"type": MERCURE_DETAIL_TYPE, "actions": ["subscribe"], "topics": [{"match": "a"}], "payload": "x"}]),
            ),
            |r| *r == Rejection::Details(DetailError::PayloadNotObject(0)),
        ),
        ("too many details", with_details(too_many_details), |r| {
            *r == Rejection::Details(DetailError::TooManyDetails)
        }),
        (
            "too many topics across details",
            with_details(json!([
                detail(json!(["subscribe"]), many_topics(60)),
                detail(json!(["publish"]), many_topics(41)),
            ])),
            |r| *r == Rejection::Details(DetailError::TooManyTopics),
        ),
        // AD-7: one good entry does not save the token.
        (
            "one good and one bad detail",
            with_details(json!([
                good.clone(),
                detail(
                    json!(["subscribe"]),
                    json!([{"match": "b", "match_type": "cel"}])
                ),
            ])),
            |r| *r == Rejection::Details(DetailError::UnknownMatchType(1)),
        ),
        (
            "bad detail after a foreign one",
            with_details(json!([
                {"type": "https://other.example/detail", "actions": "whatever"},
                detail(json!([]), json!([{"match": "b"}])),
            ])),
            |r| *r == Rejection::Details(DetailError::ActionsMissing(1)),
        ),
    ];

    let v = verifier();
    let meta = "https://hub.example/.well-known/oauth-protected-resource/.well-known/mercure";
    for (name, token, check) in cases {
        let rejection = match v.verify(Role::Subscriber, &token) {
            Ok(t) => panic!("{name}: accepted, grants {:?}", t.grants),
            Err(r) => r,
        };
        assert!(
            check(&rejection),
            "{name}: rejected for another reason: {rejection}"
        );
        // ERR-3: one answer whatever the reason.
        let error = AuthError::from(rejection);
        assert_eq!(error.status().as_u16(), 401, "{name}");
        assert_eq!(
            error.www_authenticate(Some(meta)),
            format!("Bearer error=\"invalid_token\", resource_metadata=\"{meta}\""),
            "{name}"
        );
    }
}

#[test]
fn limits_are_inclusive() {
    let exactly = |n: usize| -> Value {
        json!([detail(
            json!(["subscribe"]),
            Value::Array((0..n).map(|i| json!({"match": format!("t{i}")})).collect())
        )])
    };
    let v = verifier();
    assert!(v
        .verify(Role::Subscriber, &with_details(exactly(100)))
        .is_ok());
    assert!(v
        .verify(Role::Subscriber, &with_details(exactly(101)))
        .is_err());
    let long = json!([detail(
        json!(["subscribe"]),
        json!([{"match": "a".repeat(4096)}])
    )]);
    assert!(v.verify(Role::Subscriber, &with_details(long)).is_ok());
}

#[test]
fn typ_variants_and_aud_arrays_are_accepted() {
    let v = verifier();
    for typ in [
        "at+jwt",
        "AT+JWT",
        "application/at+jwt",
        "Application/At+Jwt",
    ] {
        let token = ed_token(|h, _| h["typ"] = json!(typ));
        assert!(v.verify(Role::Subscriber, &token).is_ok(), "{typ}");
    }
    let token = ed_token(|_, c| c["aud"] = json!(["https://a.example", HUB]));
    assert!(v.verify(Role::Subscriber, &token).is_ok());
}

#[test]
fn keys_are_per_role() {
    let v = verifier();
    let hs = TokenBuilder::new(HS, HUB)
        .publish("*", MatchType::Exact)
        .sign(&SigningKey::from_secret(SECRET).unwrap())
        .unwrap();
    assert!(v.verify(Role::Subscriber, &hs).is_ok());
    assert_eq!(
        v.verify(Role::Publisher, &hs).unwrap_err(),
        Rejection::UnknownIssuer(HS.into())
    );
}

/// Good tokens for each algorithm, minted by `TokenBuilder`, and what they grant.
#[test]
fn good_tokens_for_every_algorithm() {
    let signers = [
        (ED, SigningKey::from_pem(ED_KEY, Algorithm::EdDSA).unwrap()),
        (
            ES,
            SigningKey::from_pem(P256_KEY, Algorithm::ES256).unwrap(),
        ),
        (RS, SigningKey::from_pem(RSA_KEY, Algorithm::RS256).unwrap()),
        (HS, SigningKey::from_secret(SECRET).unwrap()),
    ];
    let v = verifier();
    for (issuer, key) in signers {
        let token = TokenBuilder::new(issuer, HUB)
            .publish("https://example.com/books/:id", MatchType::UrlPattern)
            .subscribe("https://example.com/users/42", MatchType::Exact)
            .subject("user-42")
            .expires_in(300)
            .sign(&key)
            .unwrap();
        let access = v
            .verify(Role::Subscriber, &token)
            .unwrap_or_else(|e| panic!("{issuer}: {e}"));
        assert_eq!(access.issuer, issuer);
        assert_eq!(access.subject.as_deref(), Some("user-42"));
        let exp = access.expires_at.unwrap();
        assert!(exp > now() && exp <= now() + 300, "{issuer}: exp {exp}");
        let g = &access.grants;
        assert!(
            g.may_publish(&[topic("https://example.com/books/1")]),
            "{issuer}"
        );
        assert!(
            !g.may_publish(&[topic("https://example.com/users/42")]),
            "{issuer}"
        );
        assert!(
            g.may_receive(&[topic("https://example.com/users/42")]),
            "{issuer}"
        );
        assert!(
            !g.may_receive(&[topic("https://example.com/books/1")]),
            "{issuer}"
        );
    }
}

#[test]
fn minted_claims_have_the_draft_shape() {
    let key = SigningKey::from_secret(SECRET).unwrap();
    let token = TokenBuilder::new(HS, HUB)
        .subscribe("a", MatchType::Exact)
        .sign(&key)
        .unwrap();
    let header: Value = jsonwebtoken::decode_header(&token)
        .map(|h| serde_json::to_value(h).unwrap())
        .unwrap();
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "HS256");
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(&token).unwrap();
    for name in ["iss", "aud", "exp", "iat", "sub", "jti", "client_id"] {
        assert!(claims.get(name).is_some(), "{name} missing");
    }
    assert_eq!(claims["aud"], HUB);
    assert_eq!(claims["sub"], HS, "sub defaults to client_id, the issuer");
    assert_eq!(
        claims["authorization_details"],
        json!([detail(
            json!(["subscribe"]),
            json!([{"match": "a", "match_type": "exact"}])
        )])
    );
    let other = TokenBuilder::new(HS, HUB).sign(&key).unwrap();
    let other: Value = jsonwebtoken::dangerous::insecure_decode_claims(&other).unwrap();
    assert_ne!(claims["jti"], other["jti"]);
}

#[test]
fn publish_needs_every_topic_and_receive_needs_one() {
    let token = with_details(json!([
        detail(json!(["publish"]), json!([
            {"match": "https://example.com/books/:id", "match_type": "urlpattern"},
            {"match": "https://example.com/authors/1"},
        ])),
        detail(json!(["subscribe", "frobnicate"]), json!([{"match": "https://example.com/authors/1"}])),
        detail(json!(["frobnicate"]), json!([{"match": "https://example.com/secret"}])),
        {"type": "https://other.example/detail", "topics": "not mercure's business"},
    ]));
    let g = verifier().verify(Role::Subscriber, &token).unwrap().grants;
    let (book, author, other) = (
        topic("https://example.com/books/1"),
        topic("https://example.com/authors/1"),
        topic("https://example.com/authors/2"),
    );
    // PB-1: every topic, canonical and alternate.
    assert!(g.may_publish(&[book.clone(), author.clone()]));
    assert!(!g.may_publish(&[book.clone(), other.clone()]));
    assert!(!g.may_publish(std::slice::from_ref(&other)));
    assert!(!g.may_publish(&[]));
    // SB-1: at least one topic.
    assert!(g.may_receive(&[other.clone(), author.clone()]));
    assert!(!g.may_receive(&[other.clone(), book.clone()]));
    assert!(!g.may_receive(&[]));
    // Unknown actions grant nothing.
    assert!(!g.may_receive(&[topic("https://example.com/secret")]));
    assert!(!g.may_publish(&[topic("https://example.com/secret")]));
    assert_eq!(g.publish().len(), 2);
    assert_eq!(g.subscribe().len(), 1);
}

#[test]
fn wildcard_matches_everything_whatever_its_type() {
    let token = with_details(json!([
        detail(json!(["publish"]), json!([{"match": "*"}])),
        detail(
            json!(["subscribe"]),
            json!([{"match": "*", "match_type": "urlpattern"}])
        ),
    ]));
    let g = verifier().verify(Role::Subscriber, &token).unwrap().grants;
    for t in [
        "https://example.com/x",
        "urn:uuid:1",
        "not a url",
        "/relative",
    ] {
        assert!(g.may_publish(&[topic(t)]), "{t}");
        assert!(g.may_receive(&[topic(t)]), "{t}");
    }
}

#[test]
fn a_token_without_details_grants_nothing() {
    let token = ed_token(|_, c| {
        c.as_object_mut().unwrap().remove("authorization_details");
        // The legacy claim means nothing without `legacy`.
        c["mercure"] = json!({"publish": ["*"], "subscribe": ["*"]});
    });
    let access = verifier().verify(Role::Subscriber, &token).unwrap();
    assert!(!access.legacy_claim);
    assert!(!access.grants.may_receive(&[topic("https://example.com/a")]));
    assert!(!access.grants.may_publish(&[topic("https://example.com/a")]));
}

/// Mercure-08 §Payloads PL-1..PL-3.
#[test]
fn payload_is_the_first_matching_subscribe_detail() {
    let token = with_details(json!([
        {"type": MERCURE_DETAIL_TYPE, "actions": ["publish"],
         "topics": [{"match": "*"}], "payload": {"from": "publish-only"}},
        {"type": MERCURE_DETAIL_TYPE, "actions": ["subscribe"],
         "topics": [{"match": "https://example.com/bar/:id", "match_type": "urlpattern"}],
         "payload": {"from": "pattern"}},
        {"type": MERCURE_DETAIL_TYPE, "actions": ["subscribe"],
         "topics": [{"match": "https://example.com/exact"}]},
        {"type": MERCURE_DETAIL_TYPE, "actions": ["subscribe"],
         "topics": [{"match": "*"}], "payload": {"from": "default"}},
    ]));
    let g = verifier().verify(Role::Subscriber, &token).unwrap().grants;
    // A pattern grant matches the same pattern string used as a subscription.
    assert_eq!(
        g.payload_for("https://example.com/bar/:id"),
        Some(&json!({"from": "pattern"}))
    );
    assert_eq!(
        g.payload_for("https://example.com/bar/7"),
        Some(&json!({"from": "pattern"}))
    );
    // The first match has no payload: no payload, even though a later detail has one.
    assert_eq!(g.payload_for("https://example.com/exact"), None);
    // Only the wildcard matches: its payload; the publish-only detail never counts.
    assert_eq!(
        g.payload_for("https://example.com/other"),
        Some(&json!({"from": "default"}))
    );
}

#[test]
fn authenticate_maps_presentation_and_validation_to_auth_errors() {
    use ssewire_hub::auth::{Presented, Source};
    let v = verifier();
    assert_eq!(v.authenticate(Role::Subscriber, &Presented::None), Ok(None));
    assert_eq!(
        v.authenticate(Role::Subscriber, &Presented::Malformed),
        Err(AuthError::InvalidRequest)
    );
    let bad = Presented::Token {
        token: ed_token(|_, c| c["exp"] = json!(1)),
        source: Source::Cookie,
    };
    assert_eq!(
        v.authenticate(Role::Subscriber, &bad),
        Err(AuthError::InvalidToken(Rejection::Expired))
    );
    let mut headers = http::HeaderMap::new();
    let value = format!("Bearer {}", ed_token(|_, _| {}));
    headers.insert("authorization", value.parse().unwrap());
    let presented = v.presented::<&str, &str>(&headers, &[]);
    let access = v
        .authenticate(Role::Subscriber, &presented)
        .unwrap()
        .unwrap();
    assert_eq!(access.issuer, ED);
}

// --- keys -------------------------------------------------------------------------------

#[test]
fn key_configuration_refuses_algorithm_confusion_and_bad_material() {
    let pem_key = |bytes: &[u8]| KeyMaterial::PublicKeyPem(bytes.to_vec());
    let mismatch =
        |r: Result<TrustedKey, KeyError>| matches!(r, Err(KeyError::AlgorithmKeyMismatch { .. }));
    assert!(mismatch(TrustedKey::new(
        RS,
        pem_key(RSA_PUB),
        &[Algorithm::HS256]
    )));
    assert!(mismatch(TrustedKey::new(
        RS,
        pem_key(RSA_PUB),
        &[Algorithm::RS256, Algorithm::ES256]
    )));
    assert!(mismatch(TrustedKey::new(
        ED,
        pem_key(ED_PUB),
        &[Algorithm::ES256]
    )));
    assert!(mismatch(TrustedKey::new(
        ES,
        pem_key(P256_PUB),
        &[Algorithm::EdDSA]
    )));
    // ES256 means P-256: a P-384 key is refused.
    assert!(mismatch(TrustedKey::new(
        ES,
        pem_key(P384_PUB),
        &[Algorithm::ES256]
    )));
    assert!(mismatch(TrustedKey::new(
        HS,
        KeyMaterial::Secret(SECRET.to_vec()),
        &[Algorithm::RS256]
    )));
    // The four good pairings load.
    assert_eq!(trusted().len(), 5);
    assert!(matches!(
        TrustedKey::new(ED, pem_key(ED_KEY), &[Algorithm::EdDSA]),
        Err(KeyError::BadPem(_))
    ));
    assert!(matches!(
        TrustedKey::new(ED, pem_key(b"not a pem"), &[Algorithm::EdDSA]),
        Err(KeyError::BadPem(_))
    ));
    assert_eq!(
        TrustedKey::new(
            HS,
            KeyMaterial::Secret(b"short".to_vec()),
            &[Algorithm::HS256]
        )
        .unwrap_err(),
        KeyError::SecretTooShort
    );
    assert!(matches!(
        TrustedKey::new(
            HS,
            KeyMaterial::Secret(RSA_PUB.to_vec()),
            &[Algorithm::HS256]
        ),
        Err(KeyError::BadPem(_))
    ));
    assert_eq!(
        TrustedKey::new(HS, KeyMaterial::Secret(SECRET.to_vec()), &[]).unwrap_err(),
        KeyError::NoAlgorithms
    );
    assert_eq!(
        TrustedKey::new(
            "",
            KeyMaterial::Secret(SECRET.to_vec()),
            &[Algorithm::HS256]
        )
        .unwrap_err(),
        KeyError::EmptyIssuer
    );
    for name in ["none", "None", "HS512", "PS256", "es256"] {
        assert_eq!(
            TrustedKey::from_names(HS, KeyMaterial::Secret(SECRET.to_vec()), &[name]).unwrap_err(),
            KeyError::UnknownAlgorithm(name.into()),
            "{name}"
        );
    }
    let key = TrustedKey::from_names(ES, pem_key(P256_PUB), &["ES256"]).unwrap();
    assert_eq!(key.algorithms(), &[Algorithm::ES256]);
    // Private keys never reach the Debug output, nor secrets.
    let debug = format!("{:?}", KeyMaterial::Secret(SECRET.to_vec()));
    assert!(!debug.contains("test-only"), "{debug}");
}

#[test]
fn several_keys_per_issuer_are_tried_in_turn() {
    let mut config = VerifierConfig::new(HUB, hub());
    config.subscribers = vec![
        pem(ED, ED_OTHER_PUB, Algorithm::EdDSA),
        pem(ED, ED_PUB, Algorithm::EdDSA),
    ];
    let v = Verifier::new(config);
    assert!(v.verify(Role::Subscriber, &ed_token(|_, _| {})).is_ok());
}

// --- legacy -----------------------------------------------------------------------------

fn legacy_verifier(keys: Vec<TrustedKey>) -> Verifier {
    let mut config = VerifierConfig::new(HUB, hub());
    config.legacy = true;
    config.subscribers = keys.clone();
    config.publishers = keys;
    Verifier::new(config)
}

fn hs_legacy_key() -> Vec<TrustedKey> {
    vec![TrustedKey::new(
        HS,
        KeyMaterial::Secret(SECRET.to_vec()),
        &[Algorithm::HS256],
    )
    .unwrap()]
}

fn hs_raw(header: Value, claims: Value) -> String {
    raw(
        &header,
        &claims,
        &EncodingKey::from_secret(SECRET).unwrap(),
        jsonwebtoken::Algorithm::HS256,
    )
}

#[test]
fn legacy_tokens_need_legacy_mode() {
    let token = hs_raw(
        json!({"alg": "HS256", "typ": "JWT"}),
        json!({"mercure": {
            "publish": ["https://example.com/books/{id}"],
            "subscribe": [
                {"match": "https://example.com/users/:id", "match_type": "urlpattern", "payload": {"u": 1}},
                "https://example.com/feeds/{name}",
            ],
            "payload": {"fallback": true},
        }}),
    );
    let access = legacy_verifier(hs_legacy_key())
        .verify(Role::Subscriber, &token)
        .unwrap();
    assert!(access.legacy_claim);
    assert_eq!(access.issuer, HS, "falls back to the sole issuer");
    assert_eq!(access.expires_at, None);
    let g = &access.grants;
    assert!(g.may_publish(&[topic("https://example.com/books/1")]));
    assert!(!g.may_publish(&[topic("https://example.com/authors/1")]));
    assert!(g.may_receive(&[topic("https://example.com/feeds/news")]));
    assert!(g.may_receive(&[topic("https://example.com/users/3")]));
    assert!(!g.may_receive(&[topic("https://example.com/books/1")]));
    assert_eq!(
        g.payload_for("https://example.com/users/:id"),
        Some(&json!({"u": 1}))
    );
    assert_eq!(
        g.payload_for("https://example.com/elsewhere"),
        Some(&json!({"fallback": true}))
    );
    // The same token is refused by a draft-mode hub with the same key.
    let mut config = VerifierConfig::new(HUB, hub());
    config.subscribers = hs_legacy_key();
    assert!(Verifier::new(config)
        .verify(Role::Subscriber, &token)
        .is_err());
}

#[test]
fn legacy_mode_still_enforces_signature_exp_nbf_and_details() {
    let v = legacy_verifier(hs_legacy_key());
    let claims = |extra: Value| {
        let mut c = json!({"mercure": {"subscribe": ["*"]}});
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        c
    };
    let header = json!({"alg": "HS256"});
    assert!(v
        .verify(Role::Subscriber, &hs_raw(header.clone(), claims(json!({}))))
        .is_ok());
    assert_eq!(
        v.verify(
            Role::Subscriber,
            &hs_raw(header.clone(), claims(json!({"exp": 1})))
        )
        .unwrap_err(),
        Rejection::Expired
    );
    assert_eq!(
        v.verify(
            Role::Subscriber,
            &hs_raw(header.clone(), claims(json!({"nbf": now() + 600})))
        )
        .unwrap_err(),
        Rejection::NotYetValid
    );
    let forged = raw(
        &header,
        &claims(json!({})),
        &EncodingKey::from_secret(b"another-secret-0123456789abcdef!!").unwrap(),
        jsonwebtoken::Algorithm::HS256,
    );
    assert_eq!(
        v.verify(Role::Subscriber, &forged).unwrap_err(),
        Rejection::BadSignature
    );
    // authorization_details present: the legacy claim is ignored, and a bad detail still fails.
    let both = hs_raw(header.clone(), claims(json!({"authorization_details": []})));
    let access = v.verify(Role::Subscriber, &both).unwrap();
    assert!(!access.legacy_claim);
    assert!(!access.grants.may_receive(&[topic("https://example.com/a")]));
    let bad = hs_raw(
        header.clone(),
        claims(json!({"authorization_details": [detail(json!([]), json!([]))]})),
    );
    assert!(v.verify(Role::Subscriber, &bad).is_err());
    // The namespaced claim wins over the short one.
    let namespaced = hs_raw(
        header.clone(),
        json!({
            "mercure": {"subscribe": ["*"]},
            "https://mercure.rocks/": {"subscribe": ["https://example.com/only"]},
        }),
    );
    let g = v.verify(Role::Subscriber, &namespaced).unwrap().grants;
    assert!(g.may_receive(&[topic("https://example.com/only")]));
    assert!(!g.may_receive(&[topic("https://example.com/other")]));
    // A malformed legacy claim fails the token.
    let malformed = hs_raw(header, json!({"mercure": {"subscribe": [42]}}));
    assert!(v.verify(Role::Subscriber, &malformed).is_err());
}

#[test]
fn legacy_issuer_fallback_needs_a_sole_issuer() {
    let mut keys = hs_legacy_key();
    keys.push(pem(ED, ED_PUB, Algorithm::EdDSA));
    let v = legacy_verifier(keys);
    let no_iss = hs_raw(
        json!({"alg": "HS256"}),
        json!({"mercure": {"subscribe": ["*"]}}),
    );
    assert_eq!(
        v.verify(Role::Subscriber, &no_iss).unwrap_err(),
        Rejection::AmbiguousIssuer
    );
    let with_iss = hs_raw(
        json!({"alg": "HS256"}),
        json!({"iss": HS, "mercure": {"subscribe": ["*"]}}),
    );
    assert_eq!(v.verify(Role::Subscriber, &with_iss).unwrap().issuer, HS);
}

#[test]
fn legacy_minting_round_trips() {
    let key = SigningKey::from_secret(SECRET).unwrap();
    let token = TokenBuilder::new(HS, HUB)
        .legacy(true)
        .publish("https://example.com/books/{id}", MatchType::LegacyTopic)
        .subscribe("https://example.com/users/:id", MatchType::UrlPattern)
        .payload(json!({"user": 42}))
        .sign(&key)
        .unwrap();
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(&token).unwrap();
    assert!(claims.get("authorization_details").is_none());
    assert_eq!(
        claims["mercure"]["publish"],
        json!(["https://example.com/books/{id}"])
    );
    let access = legacy_verifier(hs_legacy_key())
        .verify(Role::Publisher, &token)
        .unwrap();
    assert!(access.legacy_claim);
    assert!(access
        .grants
        .may_publish(&[topic("https://example.com/books/9")]));
    assert!(access
        .grants
        .may_receive(&[topic("https://example.com/users/9")]));
    assert_eq!(
        access.grants.payload_for("https://example.com/users/9"),
        Some(&json!({"user": 42}))
    );
}
