//! Scenario endpoints modelled on web-platform-tests' `eventsource/` client tests: what the
//! server answers to each request, and what must hold once the client reports.

use std::time::Duration;

use ssewire_conformance::Output;

use super::judge::Seen;
use super::plan::{needs, Endpoints, RequestSpec, Stop};
use super::reply::Reply;

/// A scenario: its replies, its stop rule, and the checks on the client's report.
pub struct Scenario {
    /// The scenario's name; its URL is `/s/<id>`.
    pub id: String,
    /// The web-platform-tests file or spec section it mirrors.
    pub source: &'static str,
    /// What it checks, in a sentence.
    pub description: String,
    /// When the client stops.
    pub stop: Stop,
    /// The URL, when it is not `/s/<id>` on the server (the untrusted TLS endpoint).
    pub url: Option<String>,
    /// What the client needs beyond `EventSource` ([`needs`]).
    pub needs: &'static [&'static str],
    /// The request the client sends instead of a `GET`.
    pub request: Option<RequestSpec>,
    /// The client goes through the server's forward proxy.
    pub proxy: bool,
    /// The reply to a request, given how many earlier requests had its path.
    pub reply: ReplyFn,
    /// Problems with what the client did (empty: passed).
    pub check: CheckFn,
}

type ReplyFn = Box<dyn Fn(usize, &Seen) -> Reply + Send + Sync>;
type CheckFn = Box<dyn Fn(&Outcome<'_>) -> Vec<String> + Send + Sync>;

/// What one scenario run produced.
pub struct Outcome<'a> {
    /// Every request the server saw for this scenario.
    pub requests: &'a [Seen],
    /// The client's events.
    pub events: &'a [Output],
    /// The client's `readyState` at each error.
    pub errors: &'a [String],
}

fn ev(data: &str, id: &str) -> Output {
    Output::event("message", data, id)
}

fn stream(body: &str) -> Reply {
    Reply::stream(body.as_bytes())
}

fn held(body: &str) -> Reply {
    Reply::stream(body.as_bytes()).held()
}

/// The connection failed for good: no event, and one error with readyState closed.
fn failed_for_good(outcome: &Outcome<'_>, problems: &mut Vec<String>) {
    events_are(outcome, &[], problems);
    if outcome.errors != ["closed"] {
        problems.push(format!(
            "errors (readyState) {:?}, expected [\"closed\"]",
            outcome.errors
        ));
    }
}

fn events_are(outcome: &Outcome<'_>, expected: &[Output], problems: &mut Vec<String>) {
    if outcome.events != expected {
        problems.push(format!(
            "events {}, expected {}",
            super::judge::show_events(outcome.events),
            super::judge::show_events(expected)
        ));
    }
}

fn requests_at_least(outcome: &Outcome<'_>, n: usize, problems: &mut Vec<String>) -> bool {
    if outcome.requests.len() < n {
        problems.push(format!(
            "{} request(s), expected {n}",
            outcome.requests.len()
        ));
        return false;
    }
    true
}

fn last_event_id_is(
    outcome: &Outcome<'_>,
    i: usize,
    expected: Option<&[u8]>,
    problems: &mut Vec<String>,
) {
    if let Some(request) = outcome.requests.get(i) {
        if request.last_event_id.as_deref() != expected {
            problems.push(format!(
                "request {} sent Last-Event-ID {:?}, expected {:?}",
                i + 1,
                request
                    .last_event_id
                    .as_deref()
                    .map(String::from_utf8_lossy),
                expected.map(String::from_utf8_lossy),
            ));
        }
    }
}

fn reconnected_once(outcome: &Outcome<'_>, problems: &mut Vec<String>) {
    if outcome.errors != ["connecting"] {
        problems.push(format!(
            "errors (readyState) {:?}, expected [\"connecting\"]",
            outcome.errors
        ));
    }
}

/// A scenario in which the client reconnects once: `first` is answered, then closed (or
/// aborted), and the second request gets `second` and is held open.
fn two_connections(
    id: &str,
    source: &'static str,
    description: &str,
    first: Reply,
    second: &'static str,
    expected: Vec<Output>,
    extra: impl Fn(&Outcome<'_>, &mut Vec<String>) + Send + Sync + 'static,
) -> Scenario {
    let stop_events = expected.len();
    Scenario {
        id: id.into(),
        source,
        description: description.into(),
        stop: Stop {
            events: stop_events,
            ms: 10_000,
        },
        url: None,
        needs: &[],
        request: None,
        proxy: false,
        reply: Box::new(move |n, _| if n == 0 { first.clone() } else { held(second) }),
        check: Box::new(move |outcome| {
            let mut problems = Vec::new();
            events_are(outcome, &expected, &mut problems);
            reconnected_once(outcome, &mut problems);
            if requests_at_least(outcome, 2, &mut problems) {
                extra(outcome, &mut problems);
            }
            problems
        }),
    }
}

/// The gap between the end of the first response and the second request.
fn reconnect_gap(outcome: &Outcome<'_>) -> Option<Duration> {
    let closed = outcome.requests.first()?.ended?;
    let next = outcome.requests.get(1)?.at;
    Some(next.saturating_duration_since(closed))
}

fn gap_within(outcome: &Outcome<'_>, min: u64, max: u64, problems: &mut Vec<String>) {
    match reconnect_gap(outcome) {
        Some(gap) if gap >= Duration::from_millis(min) && gap < Duration::from_millis(max) => {}
        Some(gap) => problems.push(format!(
            "reconnected after {gap:?}, expected {min} ms to {max} ms"
        )),
        None => problems.push("no reconnection gap measured".into()),
    }
}

/// Every scenario, in a fixed order.
pub(crate) fn all(endpoints: &Endpoints) -> Vec<Scenario> {
    let mut all = vec![
        two_connections(
            "reconnect-after-close",
            "wpt:eventsource/eventsource-reconnect.htm",
            "a clean end of the response reconnects, and the new connection's events arrive",
            stream("retry: 100\ndata: one\n\n"),
            "data: two\n\n",
            vec![ev("one", ""), ev("two", "")],
            |_, _| {},
        ),
        two_connections(
            "retry-honoured",
            "wpt:eventsource/format-field-retry.htm",
            "retry: 700 makes the client wait about 700 ms (not its default) before reconnecting",
            stream("retry: 700\ndata: one\n\n"),
            "data: two\n\n",
            vec![ev("one", ""), ev("two", "")],
            |outcome, problems| gap_within(outcome, 650, 2500, problems),
        ),
        two_connections(
            "retry-bogus-ignored",
            "wpt:eventsource/format-field-retry-bogus.htm",
            "a retry value that is not all digits is ignored: the earlier retry: 300 still holds",
            stream("retry: 300\nretry: 1000x\ndata: one\n\n"),
            "data: two\n\n",
            vec![ev("one", ""), ev("two", "")],
            |outcome, problems| gap_within(outcome, 250, 900, problems),
        ),
        two_connections(
            "last-event-id-echoed",
            "wpt:eventsource/eventsource-reconnect.htm",
            "the reconnection sends Last-Event-ID with the last id; the first request sends none",
            stream("id: abc\nretry: 100\ndata: one\n\n"),
            "data: two\n\n",
            vec![ev("one", "abc"), ev("two", "abc")],
            |outcome, problems| {
                last_event_id_is(outcome, 0, None, problems);
                last_event_id_is(outcome, 1, Some(b"abc"), problems);
            },
        ),
        two_connections(
            "last-event-id-unicode",
            "spec:#the-eventsource-interface (Last-Event-ID encoded as UTF-8)",
            "a non-ASCII last event ID is sent back as its UTF-8 bytes",
            stream("id: \u{20ac}\u{2603}\nretry: 100\ndata: one\n\n"),
            "data: two\n\n",
            vec![ev("one", "\u{20ac}\u{2603}"), ev("two", "\u{20ac}\u{2603}")],
            |outcome, problems| {
                last_event_id_is(outcome, 1, Some("\u{20ac}\u{2603}".as_bytes()), problems);
            },
        ),
        two_connections(
            "id-only-block-updates-last-event-id",
            "spec:#dispatchMessage (the last event ID is set even when no event is dispatched)",
            "a block with only an id changes what the reconnection sends",
            stream("id: 1\ndata: one\n\nid: 2\nretry: 100\n\n"),
            "data: two\n\n",
            vec![ev("one", "1"), ev("two", "2")],
            |outcome, problems| last_event_id_is(outcome, 1, Some(b"2"), problems),
        ),
        two_connections(
            "empty-id-sends-no-header",
            "wpt:eventsource/format-field-id-2.htm",
            "an empty id resets the last event ID, and then no Last-Event-ID header is sent",
            stream("id: 1\ndata: one\n\nid\nretry: 100\ndata: two\n\n"),
            "data: three\n\n",
            vec![ev("one", "1"), ev("two", ""), ev("three", "")],
            |outcome, problems| last_event_id_is(outcome, 1, None, problems),
        ),
        two_connections(
            "id-with-nul-ignored",
            "wpt:eventsource/format-field-id-null.htm",
            "an id containing NUL is ignored: the previous id stays and is sent back",
            stream("id: 1\ndata: one\n\nid: x\u{0}y\nretry: 100\ndata: two\n\n"),
            "data: three\n\n",
            vec![ev("one", "1"), ev("two", "1"), ev("three", "1")],
            |outcome, problems| last_event_id_is(outcome, 1, Some(b"1"), problems),
        ),
        two_connections(
            "network-error-reconnects",
            "spec:#sse-processing-model (a network error reestablishes the connection)",
            "a response cut off mid-body is a network error: the client reconnects with its id",
            stream("id: n1\nretry: 100\ndata: one\n\ndata: lost").aborted(),
            "data: two\n\n",
            vec![ev("one", "n1"), ev("two", "n1")],
            |outcome, problems| last_event_id_is(outcome, 1, Some(b"n1"), problems),
        ),
        two_connections(
            "unterminated-event-dropped-at-close",
            "wpt:eventsource/format-data-before-final-empty-line.htm",
            "an event not closed by a blank line when the response ends is never dispatched",
            stream("retry: 100\ndata: one\n\ndata: cut"),
            "data: two\n\n",
            vec![ev("one", ""), ev("two", "")],
            |_, _| {},
        ),
        Scenario {
            id: "request-headers".into(),
            source: "wpt:eventsource/request-accept.htm, request-cache-control.htm",
            description: "the request asks for text/event-stream and forbids cached answers".into(),
            stop: Stop {
                events: 1,
                ms: 10_000,
            },
            url: None,
            needs: &[],
            request: None,
            proxy: false,
            reply: Box::new(|_, _| held("data: ok\n\n")),
            check: Box::new(|outcome| {
                let mut problems = Vec::new();
                events_are(outcome, &[ev("ok", "")], &mut problems);
                if let Some(request) = outcome.requests.first() {
                    if request.accept.as_deref() != Some("text/event-stream") {
                        problems.push(format!(
                            "Accept {:?}, expected text/event-stream",
                            request.accept
                        ));
                    }
                    if request.cache_control.as_deref() != Some("no-cache") {
                        problems.push(format!(
                            "Cache-Control {:?}, expected no-cache",
                            request.cache_control
                        ));
                    }
                }
                problems
            }),
        },
    ];
    for status in [201u16, 204, 205, 404, 410, 503] {
        all.push(fatal(
            &format!("status-{status}-fails"),
            "wpt:eventsource/request-status-error.htm",
            &format!("status {status}: the connection fails for good, no reconnection"),
            Reply::stream(b"data: x\n\n").status(status),
        ));
    }
    for (name, content_type) in [
        ("bogus", Some("text/x-bogus")),
        ("missing", None),
        ("html", Some("text/html")),
    ] {
        let mut reply = Reply::stream(b"data: x\n\n");
        reply.content_type = content_type.map(Into::into);
        all.push(fatal(
            &format!("content-type-{name}-fails"),
            "spec:#sse-processing-model (a Content-Type other than text/event-stream fails)",
            &format!("Content-Type {content_type:?}: the connection fails for good"),
            reply,
        ));
    }
    for (name, content_type) in [
        ("with-charset", "text/event-stream; charset=utf-8"),
        ("trailing-semicolon", "text/event-stream;"),
        ("uppercase", "TEXT/EVENT-STREAM"),
    ] {
        let mut reply = Reply::stream(b"data: ok\n\n").held();
        reply.content_type = Some(content_type.into());
        all.push(Scenario {
            id: format!("content-type-{name}-accepted"),
            source: "wpt:eventsource/format-mime-valid-bogus.htm",
            description: format!(
                "Content-Type {content_type:?} is text/event-stream: events arrive"
            ),
            stop: Stop {
                events: 1,
                ms: 10_000,
            },
            url: None,
            needs: &[],
            request: None,
            proxy: false,
            reply: Box::new(move |_, _| reply.clone()),
            check: Box::new(|outcome| {
                let mut problems = Vec::new();
                events_are(outcome, &[ev("ok", "")], &mut problems);
                problems
            }),
        });
    }
    for status in [301u16, 302, 303, 307, 308] {
        let id = format!("redirect-{status}-followed");
        let target = format!("/s/{id}/target");
        all.push(Scenario {
            id: id.clone(),
            source: "wpt:eventsource/request-redirect.htm",
            description: format!(
                "a {status} redirect is followed; the reconnection goes to the redirect's target (fetch's current URL)"
            ),
            stop: Stop { events: 2, ms: 10_000 },
            url: None,
            needs: &[],
            request: None,
            proxy: false,
            reply: Box::new(move |visits, seen| {
                if seen.path.ends_with("/target") {
                    // The first visit closes, to force a reconnection; later ones are held.
                    let reply = Reply::stream(b"retry: 100\ndata: redirected\n\n");
                    if visits == 0 {
                        reply
                    } else {
                        reply.held()
                    }
                } else {
                    Reply::redirect(status, &target)
                }
            }),
            check: Box::new(|outcome| {
                let mut problems = Vec::new();
                let redirected = ev("redirected", "");
                events_are(outcome, &[redirected.clone(), redirected], &mut problems);
                reconnected_once(outcome, &mut problems);
                if requests_at_least(outcome, 3, &mut problems) {
                    let third = &outcome.requests[2].path;
                    if !third.ends_with("/target") {
                        problems.push(format!("reconnected to {third}, not to the redirect's target"));
                    }
                }
                problems
            }),
        });
    }
    all.push(post_json_stream());
    all.push(proxy_forward());
    all.push(tls_untrusted(endpoints));
    all
}

/// The body the POST scenario asks for, as a model-streaming API would get it.
const POST_BODY: &str =
    r#"{"model":"conformance","stream":true,"messages":[{"role":"user","content":"Say hello"}]}"#;

/// The POST scenario's chunks, each an event's data, then `[DONE]`.
const POST_CHUNKS: [&str; 4] = [
    r#"{"choices":[{"delta":{"content":"Hello"}}]}"#,
    r#"{"choices":[{"delta":{"content":","}}]}"#,
    r#"{"choices":[{"delta":{"content":" world"}}]}"#,
    "[DONE]",
];

/// The media type of a `Content-Type` value, lowercase, without parameters.
fn media_type(value: Option<&str>) -> Option<String> {
    let value = value?;
    let essence = value.split(';').next().unwrap_or("");
    Some(essence.trim().to_ascii_lowercase())
}

/// The request is the POST the scenario asks for: its method, `Content-Type` and a body equal
/// to [`POST_BODY`] as JSON (whitespace and key order aside).
fn post_problems(seen: &Seen) -> Vec<String> {
    let mut problems = Vec::new();
    if seen.method != "POST" {
        problems.push(format!("method {}, expected POST", seen.method));
    }
    let content_type = media_type(seen.content_type.as_deref());
    if content_type.as_deref() != Some("application/json") {
        problems.push(format!(
            "Content-Type {:?}, expected application/json",
            seen.content_type
        ));
    }
    let expected: serde_json::Value = serde_json::from_str(POST_BODY).expect("POST_BODY is JSON");
    match serde_json::from_slice::<serde_json::Value>(&seen.body) {
        Ok(body) if body == expected => {}
        _ => problems.push(format!(
            "body {:?}, expected {POST_BODY}",
            ssewire_conformance::escape_truncated(&seen.body, 120)
        )),
    }
    problems
}

/// A model-streaming API: `POST` with a JSON body, answered by `data: {...}` chunks and a
/// final `data: [DONE]`, then the end of the response. A wrong request gets a 400.
fn post_json_stream() -> Scenario {
    let body: String = POST_CHUNKS
        .iter()
        .map(|c| format!("data: {c}\n\n"))
        .collect();
    let answer = stream(&body);
    Scenario {
        id: "post-json-stream".into(),
        source: "model-streaming APIs (POST JSON, text/event-stream answer; issue 24)",
        description: "a POST with a JSON body and Content-Type application/json gets data: {...} chunks, then data: [DONE]".into(),
        stop: Stop {
            events: POST_CHUNKS.len(),
            ms: 10_000,
        },
        url: None,
        needs: &[needs::POST],
        request: Some(RequestSpec {
            method: "POST".into(),
            headers: [("content-type".to_owned(), "application/json".to_owned())].into(),
            body: POST_BODY.into(),
        }),
        proxy: false,
        reply: Box::new(move |_, seen| {
            if post_problems(seen).is_empty() {
                answer.clone()
            } else {
                let mut reply = Reply::stream(br#"{"error":"expected the POST of the plan"}"#);
                reply.content_type = Some("application/json".into());
                reply.status(400)
            }
        }),
        check: Box::new(|outcome| {
            let mut problems = Vec::new();
            let expected: Vec<Output> = POST_CHUNKS.iter().map(|c| ev(c, "")).collect();
            events_are(outcome, &expected, &mut problems);
            if requests_at_least(outcome, 1, &mut problems) {
                problems.extend(post_problems(&outcome.requests[0]));
            }
            problems
        }),
    }
}

/// The client reaches the server through the forward proxy it is given.
fn proxy_forward() -> Scenario {
    Scenario {
        id: "proxy-forward".into(),
        source: "RFC 9110 §3.7 and RFC 9112 §3.2.2 (absolute form), RFC 9110 §9.3.6 (CONNECT)",
        description: "the request goes through the HTTP forward proxy the plan names: an absolute-form request, or a CONNECT tunnel".into(),
        stop: Stop {
            events: 1,
            ms: 10_000,
        },
        url: None,
        needs: &[needs::PROXY],
        request: None,
        proxy: true,
        reply: Box::new(|_, _| held("data: proxied\n\n")),
        check: Box::new(|outcome| {
            let mut problems = Vec::new();
            events_are(outcome, &[ev("proxied", "")], &mut problems);
            if requests_at_least(outcome, 1, &mut problems) {
                for (i, request) in outcome.requests.iter().enumerate() {
                    match &request.via_proxy {
                        None => problems.push(format!(
                            "request {} came straight to the server, not through the proxy",
                            i + 1
                        )),
                        Some(via) if !via.starts_with("CONNECT ") && !via.contains("://") => {
                            problems.push(format!(
                                "request {} reached the proxy as {via:?}: a proxy gets the absolute form",
                                i + 1
                            ));
                        }
                        Some(_) => {}
                    }
                }
            }
            problems
        }),
    }
}

/// The id of the scenario on the untrusted TLS endpoint, under which that endpoint notes
/// each ClientHello.
pub(crate) const TLS_UNTRUSTED: &str = "tls-untrusted-fails";

/// An HTTPS endpoint whose certificate is self-signed, trusted by no client.
fn tls_untrusted(endpoints: &Endpoints) -> Scenario {
    Scenario {
        id: TLS_UNTRUSTED.into(),
        source: "RFC 8446 §4.4.2.4 (a certificate not trusted aborts the handshake); spec:#sse-processing-model (a futile connection may be failed)",
        description: "an https: URL whose certificate is self-signed and not trusted: the client fails for good (readyState closed), with no event and no request sent".into(),
        stop: Stop {
            events: 1,
            ms: 5_000,
        },
        url: Some(format!("{}/s/{TLS_UNTRUSTED}", endpoints.untrusted)),
        needs: &[needs::TLS],
        request: None,
        proxy: false,
        reply: Box::new(|_, _| held("data: insecure\n\n")),
        check: Box::new(|outcome| {
            let mut problems = Vec::new();
            failed_for_good(outcome, &mut problems);
            let hellos = outcome.requests.iter().filter(|r| r.method == "TLS").count();
            if hellos == 0 {
                problems.push("no TLS handshake reached the endpoint".into());
            }
            let sent = outcome.requests.len() - hellos;
            if sent > 0 {
                problems.push(format!(
                    "{sent} request(s) sent over a connection with an untrusted certificate"
                ));
            }
            problems
        }),
    }
}

/// A scenario whose only response must fail the connection for good.
fn fatal(id: &str, source: &'static str, description: &str, reply: Reply) -> Scenario {
    Scenario {
        id: id.into(),
        source,
        description: description.into(),
        stop: Stop {
            events: 1,
            ms: 5_000,
        },
        url: None,
        needs: &[],
        request: None,
        proxy: false,
        reply: Box::new(move |_, _| reply.clone()),
        check: Box::new(|outcome| {
            let mut problems = Vec::new();
            failed_for_good(outcome, &mut problems);
            if outcome.requests.len() != 1 {
                problems.push(format!(
                    "{} requests, expected 1 (no reconnection)",
                    outcome.requests.len()
                ));
            }
            problems
        }),
    }
}
