//! The client-conformance server over real TCP on 127.0.0.1: our `EventSource` passes every
//! scenario and every corpus case at every segmentation, and the verdicts can fail.

use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use std::time::Duration;

use futures_util::StreamExt;
use sse_conformance::serve::{
    run_ours, run_ours_with, ClientReport, Results, Segmentation, ServeOptions, Server, TestCa,
};
use ssewire_conformance::Output;
use ssewire_http::{EventSource, HyperTransport, SourceEvent};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_passes_every_scenario_and_every_case_at_every_segmentation() {
    let server = Server::start(0, ServeOptions::default()).await.unwrap();
    let plan = server.plan();
    assert!(
        plan.cases.len() >= 4 * 300,
        "{} case runs",
        plan.cases.len()
    );
    assert!(
        plan.scenarios.len() >= 25,
        "{} scenarios",
        plan.scenarios.len()
    );
    run_ours(&server, 16).await;
    let results = server.results();
    assert_eq!(results.failed(), 0, "{results}");
    assert_eq!(results.passed(), plan.cases.len() + plan.scenarios.len());
}

/// The same plan over HTTP/2 with prior knowledge (h2c), each segment a DATA frame, each
/// entry on its own connection (see `run_ours_with` on h2's budget for small frames).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_passes_every_scenario_and_every_case_over_h2c() {
    let server = Server::start(0, ServeOptions::default()).await.unwrap();
    let plan = server.plan();
    run_ours_with(&server, 16, || HyperTransport::new().http2_only()).await;
    let results = server.results();
    assert_eq!(results.failed(), 0, "{results}");
    assert_eq!(results.passed(), plan.cases.len() + plan.scenarios.len());
}

/// The same plan over TLS (HTTP/2 by ALPN), with a CA made for the test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_passes_every_scenario_and_every_case_over_https() {
    let ca = TestCa::new();
    let server = Server::start_tls(0, ServeOptions::default(), ca.server_config())
        .await
        .unwrap();
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let plan = server.plan();
    let client_config = ca.client_config();
    run_ours_with(&server, 16, || {
        HyperTransport::with_tls_config(client_config.clone())
    })
    .await;
    let results = server.results();
    assert_eq!(results.failed(), 0, "{results}");
    assert_eq!(results.passed(), plan.cases.len() + plan.scenarios.len());
}

/// What a client that ignores a scenario's `needs` does: a plain `GET` straight to the URL,
/// as a browser's `EventSource` would.
async fn plain_get(server: &Server, id: &str) -> ClientReport {
    let entry = server.plan().scenarios.iter().find(|s| s.id == id).unwrap();
    let url = if entry.url.contains("://") {
        entry.url.clone()
    } else {
        format!("{}{}", server.url(), entry.url)
    };
    let mut source = EventSource::builder(url).no_proxy().build();
    let mut report = ClientReport {
        id: id.into(),
        ..ClientReport::default()
    };
    let run = async {
        while let Some(item) = source.next().await {
            match item {
                Ok(SourceEvent::Message(event)) => {
                    let (kind, data) = (event.event_type(), event.data());
                    report
                        .events
                        .push(Output::event(kind, data, event.last_event_id()));
                    if report.events.len() >= entry.stop.events {
                        break;
                    }
                }
                Ok(SourceEvent::Reconnecting { .. }) => report.errors.push("connecting".into()),
                Ok(_) => {}
                Err(_) => {
                    report.errors.push("closed".into());
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(entry.stop.ms), run).await;
    report
}

fn problems_of(results: &Results, id: &str) -> Vec<String> {
    let entry = results.entries.iter().find(|e| e.id == id).unwrap();
    entry.problems.clone()
}

/// The POST, proxy and TLS scenarios say what they need in the plan; each fails a client that
/// ignores it; a client lacking a need skips the entry (not applicable), but may not skip an
/// entry that needs nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_with_needs_fail_a_client_that_ignores_them_and_may_be_skipped() {
    let options = ServeOptions {
        filter: Some("none-of-them".into()),
        segmentations: vec![Segmentation::Whole],
        scenario_filter: None,
    };
    let server = Server::start(0, options).await.unwrap();
    let plan = serde_json::to_value(server.plan()).unwrap();
    let scenario = |id: &str| {
        let all = plan["scenarios"].as_array().unwrap();
        all.iter().find(|s| s["id"] == id).unwrap().clone()
    };
    let post = scenario("post-json-stream");
    assert_eq!(post["needs"], serde_json::json!(["post"]));
    assert_eq!(post["request"]["method"], "POST");
    assert_eq!(
        post["request"]["headers"]["content-type"],
        "application/json"
    );
    let body: serde_json::Value =
        serde_json::from_str(post["request"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["stream"], true);
    let proxy = scenario("proxy-forward");
    assert_eq!(proxy["needs"], serde_json::json!(["proxy"]));
    assert!(proxy["proxy"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    let tls = scenario("tls-untrusted-fails");
    assert_eq!(tls["needs"], serde_json::json!(["tls"]));
    assert!(tls["url"]
        .as_str()
        .unwrap()
        .starts_with("https://127.0.0.1:"));
    assert_eq!(
        scenario("reconnect-after-close")["needs"],
        serde_json::json!([])
    );

    // A GET where a POST is asked for gets a 400, and the verdict says why.
    let report = plain_get(&server, "post-json-stream").await;
    assert_eq!(report.errors, ["closed"]);
    server.submit(report);
    // Straight to the server, not through the proxy.
    let report = plain_get(&server, "proxy-forward").await;
    assert_eq!(report.events.len(), 1);
    server.submit(report);
    // A client that retries the untrusted endpoint without ever reaching it.
    server.submit(ClientReport {
        id: "tls-untrusted-fails".into(),
        errors: vec!["connecting".into(), "connecting".into()],
        ..ClientReport::default()
    });
    // Skipping an entry that needs nothing is a failure.
    server.submit(ClientReport {
        id: "reconnect-after-close".into(),
        skipped: true,
        ..ClientReport::default()
    });
    let results = server.results();
    let post = problems_of(&results, "post-json-stream");
    assert!(
        post.iter().any(|p| p == "method GET, expected POST"),
        "{post:?}"
    );
    assert!(
        post.iter().any(|p| p.starts_with("events 0 []")),
        "{post:?}"
    );
    let proxy = problems_of(&results, "proxy-forward");
    assert_eq!(
        proxy,
        ["request 1 came straight to the server, not through the proxy"]
    );
    let tls = problems_of(&results, "tls-untrusted-fails");
    assert!(
        tls.iter().any(|p| p.contains("expected [\"closed\"]")),
        "{tls:?}"
    );
    assert!(
        tls.contains(&"no TLS handshake reached the endpoint".to_owned()),
        "{tls:?}"
    );
    let skipped = problems_of(&results, "reconnect-after-close");
    assert_eq!(
        skipped,
        ["skipped, but it needs nothing beyond EventSource"]
    );

    // Skipped for lack of a need: neither passed nor failed.
    for id in ["post-json-stream", "proxy-forward", "tls-untrusted-fails"] {
        server.submit(ClientReport {
            id: id.into(),
            skipped: true,
            ..ClientReport::default()
        });
    }
    let results = server.results();
    assert_eq!(results.not_applicable(), 3);
    for id in ["post-json-stream", "proxy-forward", "tls-untrusted-fails"] {
        let entry = results.entries.iter().find(|e| e.id == id).unwrap();
        assert!(
            entry.not_applicable && !entry.passed() && !entry.failed(),
            "{id}"
        );
    }
    assert!(results.to_markdown("c").contains("(3 not applicable)"));
}

#[tokio::test]
async fn entries_without_a_report_or_with_a_wrong_one_fail() {
    let options = ServeOptions {
        filter: Some("dispatch/".into()),
        segmentations: vec![Segmentation::Whole],
        scenario_filter: Some("status-204".into()),
    };
    let server = Server::start(0, options).await.unwrap();
    let results = server.results();
    assert_eq!(results.passed(), 0);
    assert!(results.entries.iter().all(|e| e.problems == ["no report"]));

    // A client that reconnects after a 204 (readyState connecting) and a case with no events.
    server.submit(ClientReport {
        id: "status-204-fails".into(),
        errors: vec!["connecting".into()],
        ..ClientReport::default()
    });
    let case = server
        .plan()
        .cases
        .iter()
        .find(|c| !c.expect.is_empty())
        .unwrap();
    server.submit(ClientReport {
        id: case.id.clone(),
        ..ClientReport::default()
    });
    let results = server.results();
    let scenario = results
        .entries
        .iter()
        .find(|e| e.id == "status-204-fails")
        .unwrap();
    assert!(!scenario.passed());
    assert!(
        scenario
            .problems
            .iter()
            .any(|p| p.contains("expected [\"closed\"]")),
        "{:?}",
        scenario.problems
    );
    assert!(
        scenario.problems.iter().any(|p| p.contains("0 requests")),
        "{:?}",
        scenario.problems
    );
    let failed_case = results.entries.iter().find(|e| e.id == case.id).unwrap();
    assert!(
        failed_case.problems[0].starts_with("events 0 []"),
        "{:?}",
        failed_case.problems
    );
}

#[test]
fn segmentations_cut_where_they_say_and_lose_nothing() {
    let input = "a\r\nb\u{e9}\u{1f600}\r\n\r\n".as_bytes();
    for segmentation in Segmentation::ALL {
        let pieces = segmentation.cut(input);
        assert_eq!(pieces.concat(), input, "{segmentation:?}");
        assert!(pieces.iter().all(|p| !p.is_empty()));
        for pair in pieces.windows(2) {
            let (before, after) = (pair[0].last().unwrap(), pair[1][0]);
            match segmentation {
                Segmentation::Crlf => assert_eq!((*before, after), (b'\r', b'\n')),
                Segmentation::Utf8 => assert!(*before >= 0x80 && after & 0xC0 == 0x80),
                Segmentation::Tiny => assert_eq!(pair[0].len(), 1),
                Segmentation::Whole => unreachable!("one piece"),
            }
        }
    }
    assert_eq!(Segmentation::Whole.cut(input).len(), 1);
    assert_eq!(Segmentation::Tiny.cut(input).len(), input.len());
    assert_eq!(Segmentation::Crlf.cut(input).len(), 4);
    assert_eq!(Segmentation::Utf8.cut(input).len(), 5);
}

#[tokio::test]
async fn each_piece_reaches_the_client_as_its_own_chunk() {
    let options = ServeOptions {
        filter: Some("line-endings/".into()),
        segmentations: vec![Segmentation::Tiny],
        scenario_filter: Some("none-of-them".into()),
    };
    let server = Server::start(0, options).await.unwrap();
    let entry = &server.plan().cases[0];
    let addr = server.url().trim_start_matches("http://").to_owned();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = http::Request::get(&entry.url)
        .header("host", "127.0.0.1")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    let mut sizes = Vec::new();
    while let Some(frame) = body.frame().await {
        sizes.push(frame.unwrap().into_data().unwrap().len());
    }
    assert!(
        sizes.len() > 1 && sizes.iter().all(|&n| n == 1),
        "chunk sizes {sizes:?}"
    );
}

#[tokio::test]
async fn the_plan_names_every_event_type_a_case_input_uses_so_browsers_can_listen() {
    let options = ServeOptions {
        filter: Some("event-type/".into()),
        segmentations: vec![Segmentation::Whole],
        scenario_filter: Some("none-of-them".into()),
    };
    let server = Server::start(0, options).await.unwrap();
    let mut unexpected = 0;
    for entry in &server.plan().cases {
        let listen = &entry.listen;
        assert_eq!(listen[0], "message");
        // Types named in the input that no expected event has: the ones a wrong client
        // could dispatch and a browser page would otherwise never see.
        let expected: Vec<&String> = entry
            .expect
            .iter()
            .map(|e| match e {
                Output::Event { event, .. } => event,
                Output::Retry(_) | Output::RetryOutOfRange(_) => {
                    panic!("{}: a retry among the expected events", entry.id)
                }
            })
            .collect();
        for event in &expected {
            assert!(
                listen.contains(event),
                "{}: {event} not listened for",
                entry.id
            );
        }
        unexpected += listen
            .iter()
            .filter(|t| !expected.contains(t) && *t != "message")
            .count();
    }
    assert!(
        unexpected > 0,
        "no case names a type that is not dispatched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_text_report_lists_at_most_forty_failing_cases_and_says_how_many_more() {
    let options = ServeOptions {
        filter: None,
        segmentations: vec![Segmentation::Whole],
        scenario_filter: Some("status-204".into()),
    };
    let server = Server::start(0, options).await.unwrap();
    // No client came: every entry fails with "no report".
    let text = server.results().to_string();
    let cases = server.plan().cases.len();
    assert!(cases > 100);
    assert_eq!(text.matches("\n  FAIL whole/").count(), 40, "{text}");
    assert!(
        text.contains(&format!("... and {} more failing cases", cases - 40)),
        "{text}"
    );
    assert_eq!(server.plan().case_ms, 20_000);
    server.shutdown().await;
}

#[test]
fn serve_says_where_it_listens_in_its_first_line() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_sse-conformance"))
        .args([
            "serve",
            "--port",
            "0",
            "--exit-when-done",
            "--timeout",
            "30",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let port = first
        .trim_end()
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("first line: {first:?}"));
    assert!(port.parse::<u16>().is_ok_and(|p| p > 0), "{first:?}");
}
