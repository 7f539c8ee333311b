//! The client-conformance protocol (`docs/client-conformance.md`) for a driver binary: fetch
//! `GET /plan`, run each entry with the client under test, `POST /report` each, then
//! `POST /done`. The client's part is one function from an [`Entry`] to a [`Report`].

use std::future::Future;
use std::time::Duration;

use futures::StreamExt as _;
use serde_json::{json, Value};

/// What a scenario may need beyond a plain `EventSource` (the plan's `needs`).
pub const NEEDS: [&str; 3] = ["post", "proxy", "tls"];

/// The request a scenario asks for instead of a `GET`.
#[derive(Clone, Debug)]
pub struct RequestSpec {
    /// The method, e.g. `POST`.
    pub method: String,
    /// Header names and values to send.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

/// One plan entry, as a driver runs it.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The entry's id, which the report names.
    pub id: String,
    /// The absolute URL to open.
    pub url: String,
    /// A corpus case (stop at the first error), else a scenario.
    pub is_case: bool,
    /// Stop after this many events.
    pub stop_events: usize,
    /// Stop after this long regardless.
    pub stop_after: Duration,
    /// The request to send instead of a `GET`, if any.
    pub request: Option<RequestSpec>,
    /// The forward proxy to go through, if any.
    pub proxy: Option<String>,
}

/// What the client did for one entry.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Dispatched events: type, data, last event ID.
    pub events: Vec<(String, String, String)>,
    /// The ready state at each error: `connecting` or `closed`.
    pub errors: Vec<&'static str>,
}

impl Report {
    /// Records an event; true when the entry should stop.
    pub fn event(&mut self, entry: &Entry, kind: &str, data: &str, id: &str) -> bool {
        self.events.push((kind.into(), data.into(), id.into()));
        self.events.len() >= entry.stop_events
    }

    /// Records an error, `closed` or not; true when the entry should stop (a case stops at
    /// its first error, any entry at a `closed` one).
    pub fn error(&mut self, entry: &Entry, closed: bool) -> bool {
        self.errors
            .push(if closed { "closed" } else { "connecting" });
        entry.is_case || closed
    }
}

fn entries(base: &str, plan: &Value, supports: &[&str]) -> (Vec<Entry>, Vec<String>) {
    let mut run = Vec::new();
    let mut skipped = Vec::new();
    let absolute = |url: &str| {
        if url.contains("://") {
            url.to_owned()
        } else {
            format!("{base}{url}")
        }
    };
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    for case in plan["cases"].as_array().into_iter().flatten() {
        run.push(Entry {
            id: text(&case["id"]),
            url: absolute(case["url"].as_str().unwrap_or_default()),
            is_case: true,
            stop_events: usize::MAX,
            stop_after: Duration::from_secs(20),
            request: None,
            proxy: None,
        });
    }
    for scenario in plan["scenarios"].as_array().into_iter().flatten() {
        let needs = scenario["needs"].as_array().into_iter().flatten();
        if needs
            .filter_map(Value::as_str)
            .any(|need| !supports.contains(&need))
        {
            skipped.push(text(&scenario["id"]));
            continue;
        }
        let request = scenario.get("request").map(|r| RequestSpec {
            method: text(&r["method"]),
            headers: r["headers"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, value)| (name.clone(), text(value)))
                .collect(),
            body: text(&r["body"]),
        });
        run.push(Entry {
            id: text(&scenario["id"]),
            url: absolute(scenario["url"].as_str().unwrap_or_default()),
            is_case: false,
            stop_events: scenario["stop"]["events"].as_u64().unwrap_or(1) as usize,
            stop_after: Duration::from_millis(scenario["stop"]["ms"].as_u64().unwrap_or(10_000)),
            request,
            proxy: scenario
                .get("proxy")
                .and_then(Value::as_str)
                .map(Into::into),
        });
    }
    (run, skipped)
}

/// Runs the plan at `base` (`http://127.0.0.1:PORT`, no trailing slash) with `run`, `parallel`
/// entries at a time, skipping scenarios that need what `supports` lacks. `run` stops at the
/// entry's stop time itself and returns what it saw; one that overruns it by 5 s is cut off
/// and reports nothing. Each entry runs in a task of its own: when the client panics, the
/// entry's report is one event of type `panic` (what it saw before is lost with the task), so
/// that the entry fails even when it expects no event.
///
/// # Errors
/// When the server cannot be reached or answers badly.
pub async fn drive<F, Fut>(
    base: &str,
    supports: &[&str],
    parallel: usize,
    run: F,
) -> Result<(), String>
where
    F: Fn(Entry) -> Fut,
    Fut: Future<Output = Report> + Send + 'static,
{
    let base = base.trim_end_matches('/');
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let plan = http
        .get(format!("{base}/plan"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("GET /plan: {e}"))?
        .bytes()
        .await
        .map_err(|e| format!("GET /plan: {e}"))?;
    let plan: Value = serde_json::from_slice(&plan).map_err(|e| format!("GET /plan: {e}"))?;
    let (entries, skipped) = entries(base, &plan, supports);
    let post = |body: Value| {
        let http = http.clone();
        async move {
            http.post(format!("{base}/report"))
                .body(body.to_string())
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map(drop)
                .map_err(|e| format!("POST /report: {e}"))
        }
    };
    for id in skipped {
        post(json!({"id": id, "skipped": true})).await?;
    }
    let total = entries.len();
    let results: Vec<Result<(), String>> = futures::stream::iter(entries)
        .map(|entry| {
            let id = entry.id.clone();
            let limit = entry.stop_after + Duration::from_secs(5);
            let report = tokio::spawn(tokio::time::timeout(limit, run(entry)));
            let post = &post;
            async move {
                let report = match report.await {
                    Ok(report) => report.unwrap_or_default(),
                    Err(_) => Report {
                        events: vec![("panic".into(), "the client panicked".into(), String::new())],
                        errors: Vec::new(),
                    },
                };
                let events: Vec<Value> = report
                    .events
                    .iter()
                    .map(|(event, data, id)| json!({"event": event, "data": data, "id": id}))
                    .collect();
                post(json!({"id": id, "events": events, "errors": report.errors})).await
            }
        })
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        return Err(format!("{failed} of {total} reports not sent; first: {e}"));
    }
    http.post(format!("{base}/done"))
        .send()
        .await
        .map_err(|e| format!("POST /done: {e}"))?;
    Ok(())
}

/// The base URL from the command line (the driver's one argument), or a usage message.
///
/// # Errors
/// When there is no argument.
pub fn base_url_from_args(name: &str) -> Result<String, String> {
    std::env::args().nth(1).ok_or(format!(
        "usage: {name} BASE_URL   (a running `sse-conformance serve`)"
    ))
}
