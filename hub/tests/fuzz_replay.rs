//! The hub's fuzz bodies on stable Rust, over hand-made seeds that reach their interesting
//! paths (and over every input kept in fuzz/regressions/hub_*/ once a campaign finds one).

use ssewire_hub::fuzz;

#[test]
fn publish_forms_round_trip_or_are_refused() {
    for seed in [
        &b"topic=a&data=x"[..],
        b"topic=a&data=l1%0Dl2%0D%0Al3%0A&id=urn:1&type=t&retry=10",
        b"topic=a&data=%0Aid:%20x%0A%0Adata:%20y",
        b"topic=a&private&data=",
        b"topic=*",
        b"topic=%2F.well-known%2Fmercure",
        b"topic=a&id=%23x",
        b"\xff\xfe=&&==%",
        b"topic=a&type=%E2%80%8B",
    ] {
        fuzz::publish_form(seed);
    }
}

#[test]
fn subscribe_queries_never_panic() {
    for seed in [
        &b"match=*\0anything"[..],
        b"match_urlpattern=/books/:id\0/books/1",
        b"match_urlpattern=https://x/(a*)*b\0https://x/aaaaaaaaaaaaaaaaaaaaaaaaaac",
        b"topic=https://example.com/{+path}\0https://example.com/a/b",
        b"topic={\0x",
        b"MATCH=1&match_=2",
        b"match=%FF",
    ] {
        fuzz::subscribe_query(seed);
    }
}

#[test]
fn token_claims_never_panic() {
    for seed in [
        r#"{}"#,
        r#"{"authorization_details":[{"type":"https://mercure.rocks/authorization-detail","actions":["subscribe"],"topics":[{"match":"*"}]}]}"#,
        r#"{"authorization_details":[{"type":"https://mercure.rocks/authorization-detail","actions":[1],"topics":[]}]}"#,
        r#"{"authorization_details":"x","exp":"soon"}"#,
        r#"{"mercure":{"publish":["*"]},"iss":null}"#,
        r#"[1,2]"#,
    ] {
        fuzz::token_claims(seed.as_bytes());
    }
}

#[test]
fn every_kept_regression_still_passes() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/regressions");
    for (target, body) in [
        ("hub_publish_form", fuzz::publish_form as fn(&[u8])),
        ("hub_subscribe_query", fuzz::subscribe_query),
        ("hub_token_claims", fuzz::token_claims),
    ] {
        let Ok(entries) = std::fs::read_dir(format!("{root}/{target}")) else {
            continue;
        };
        for entry in entries.flatten() {
            body(&std::fs::read(entry.path()).unwrap());
        }
    }
}
