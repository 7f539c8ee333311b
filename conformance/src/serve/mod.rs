//! `sse-conformance serve`: a client-conformance server, as Autobahn|Testsuite is for WebSocket
//! clients. It serves every corpus case over HTTP with controlled segmentation, and scenario
//! endpoints modelled on web-platform-tests' `eventsource/` tests. It records what each client
//! did and gives a verdict per case and per scenario. `docs/client-conformance.md` is the
//! protocol a client follows.

mod ours;
mod scenarios;

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::Notify;

pub use ours::run_ours;
use scenarios::{Outcome, Scenario};

use crate::case::{Case, Output};

/// When a client stops a scenario: after this many events, or an error with `readyState`
/// CLOSED, or after `ms` milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Stop {
    /// Events after which the client stops.
    pub events: usize,
    /// Milliseconds after which the client stops regardless.
    pub ms: u64,
}

/// How a case's bytes are cut into TCP writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Segmentation {
    /// One write.
    Whole,
    /// One byte per write (the first 2048 bytes; then the rest in one write).
    Tiny,
    /// A cut between every CR and the LF after it.
    Crlf,
    /// A cut inside every multi-byte UTF-8 sequence.
    Utf8,
}

impl Segmentation {
    /// All of them, in report order.
    pub const ALL: [Segmentation; 4] = [
        Segmentation::Whole,
        Segmentation::Tiny,
        Segmentation::Crlf,
        Segmentation::Utf8,
    ];

    /// The name used in URLs and reports.
    ///
    /// ```
    /// use ssewire_conformance::serve::Segmentation;
    /// assert_eq!(Segmentation::Crlf.name(), "crlf");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Segmentation::Whole => "whole",
            Segmentation::Tiny => "tiny",
            Segmentation::Crlf => "crlf",
            Segmentation::Utf8 => "utf8",
        }
    }

    /// The segmentation with this [`Segmentation::name`].
    ///
    /// ```
    /// use ssewire_conformance::serve::Segmentation;
    /// assert_eq!(Segmentation::from_name("tiny"), Some(Segmentation::Tiny));
    /// ```
    pub fn from_name(name: &str) -> Option<Segmentation> {
        Segmentation::ALL.into_iter().find(|s| s.name() == name)
    }

    /// `input` cut into pieces.
    ///
    /// ```
    /// use ssewire_conformance::serve::Segmentation;
    /// let pieces = Segmentation::Crlf.cut(b"a\r\nb\r\n");
    /// assert_eq!(pieces, [&b"a\r"[..], b"\nb\r", b"\n"]);
    /// ```
    pub fn cut(self, input: &[u8]) -> Vec<&[u8]> {
        const TINY_MAX: usize = 2048;
        let cuts: Vec<usize> = match self {
            Segmentation::Whole => Vec::new(),
            Segmentation::Tiny => (1..input.len().min(TINY_MAX + 1)).collect(),
            Segmentation::Crlf => {
                let mut cuts: Vec<usize> = (1..input.len())
                    .filter(|&i| input[i - 1] == b'\r' && input[i] == b'\n')
                    .collect();
                if cuts.is_empty() && input.len() > 1 {
                    cuts.push(input.len() / 2);
                }
                cuts
            }
            Segmentation::Utf8 => {
                let mut cuts: Vec<usize> = (1..input.len())
                    .filter(|&i| input[i] & 0xC0 == 0x80 && input[i - 1] >= 0x80)
                    .collect();
                if cuts.is_empty() && input.len() > 1 {
                    cuts.push(input.len() / 2);
                }
                cuts
            }
        };
        let mut pieces = Vec::with_capacity(cuts.len() + 1);
        let mut start = 0;
        for cut in cuts.into_iter().chain([input.len()]) {
            if cut > start {
                pieces.push(&input[start..cut]);
            }
            start = cut;
        }
        pieces
    }
}

/// How a response ends after its last piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// The body ends cleanly.
    Close,
    /// The connection is cut without ending the chunked body: a network error.
    Abort,
    /// Nothing more is sent; the response stays open (for at most a minute).
    Hold,
}

/// A scripted response.
#[derive(Clone, Debug)]
pub struct Reply {
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    pieces: Vec<Bytes>,
    end: End,
}

impl Reply {
    /// `200 text/event-stream` with `body` in one write, then a clean end.
    fn stream(body: &[u8]) -> Reply {
        Reply {
            status: 200,
            content_type: Some("text/event-stream".into()),
            location: None,
            pieces: vec![Bytes::copy_from_slice(body)],
            end: End::Close,
        }
    }

    fn redirect(status: u16, location: &str) -> Reply {
        Reply {
            status,
            content_type: None,
            location: Some(location.into()),
            pieces: Vec::new(),
            end: End::Close,
        }
    }

    fn status(mut self, status: u16) -> Reply {
        self.status = status;
        self
    }

    fn held(mut self) -> Reply {
        self.end = End::Hold;
        self
    }

    fn aborted(mut self) -> Reply {
        self.end = End::Abort;
        self
    }
}

/// A request the server saw for a scenario.
#[derive(Clone, Debug)]
pub struct Seen {
    /// When it arrived.
    pub at: Instant,
    /// Its path.
    pub path: String,
    /// Its `Last-Event-ID`, raw.
    pub last_event_id: Option<Vec<u8>>,
    /// Its `Accept`.
    pub accept: Option<String>,
    /// Its `Cache-Control`.
    pub cache_control: Option<String>,
    /// When its response's last piece was sent, if it was.
    pub ended: Option<Instant>,
}

/// One dispatched event as a client reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedEvent {
    /// The event's type.
    pub event: String,
    /// Its data.
    pub data: String,
    /// Its `lastEventId`.
    pub id: String,
}

/// What a client did for one plan entry (`POST /report`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientReport {
    /// The entry's `id` from the plan.
    pub id: String,
    /// Every dispatched event, in order.
    pub events: Vec<ReportedEvent>,
    /// The `readyState` at each error: `"connecting"` or `"closed"`.
    pub errors: Vec<String>,
}

/// One entry of the plan a client follows (`GET /plan`).
#[derive(Clone, Debug, Serialize)]
pub struct PlanEntry {
    /// The entry's id, which its report names.
    pub id: String,
    /// The URL to open, relative to the server.
    pub url: String,
    /// For cases: the events expected. Not given for scenarios.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<Vec<ReportedEvent>>,
    /// For cases: every event type the input names (except `open` and `error`). `EventSource`
    /// has no catch-all listener, so a browser listens for each of these; listening only for
    /// the expected types would miss an event wrongly dispatched under another one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<Vec<String>>,
    /// For scenarios: when to stop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    /// The spec clause or web-platform-tests file it comes from.
    pub source: String,
    /// What a scenario checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Everything a client runs: corpus cases first, then scenarios.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    /// Corpus cases over HTTP.
    pub cases: Vec<PlanEntry>,
    /// Scenarios.
    pub scenarios: Vec<PlanEntry>,
}

/// Which cases and segmentations a server offers.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Only cases whose name contains this.
    pub filter: Option<String>,
    /// The segmentations each case is served with.
    pub segmentations: Vec<Segmentation>,
    /// Only scenarios whose id contains this; `Some("")` keeps all, as does `None`.
    pub scenario_filter: Option<String>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            filter: None,
            segmentations: Segmentation::ALL.to_vec(),
            scenario_filter: None,
        }
    }
}

struct Shared {
    plan: Plan,
    cases: HashMap<String, (&'static Case, Segmentation)>,
    scenarios: Vec<Scenario>,
    state: Mutex<State>,
    done: Notify,
}

#[derive(Default)]
struct State {
    requests: HashMap<String, Vec<Seen>>,
    reports: HashMap<String, ClientReport>,
    done: bool,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running conformance server on 127.0.0.1.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Every `event` field value in `input`, once each, without `open` and `error` (a listener
/// for those would also catch the `EventSource`'s own events of that name).
fn event_types(input: &[u8]) -> Vec<String> {
    let mut fields = ssewire_parser::FieldParser::with_limits(ssewire_parser::Limits::UNLIMITED);
    let mut types: Vec<String> = vec!["message".into()];
    let mut rest = input;
    while !rest.is_empty() {
        let (field, used) = fields.feed(rest);
        rest = &rest[used..];
        if let Ok(Some(ssewire_parser::Field::EventType(name))) = field {
            if !["", "open", "error"].contains(&name) && !types.iter().any(|t| t == name) {
                types.push(name.to_owned());
            }
        }
    }
    types
}

fn expected_events(case: &Case) -> Vec<ReportedEvent> {
    case.expect
        .iter()
        .filter_map(|output| match output {
            Output::Event { event, data, id } => Some(ReportedEvent {
                event: event.clone(),
                data: data.clone(),
                id: id.clone(),
            }),
            Output::Retry(_) => None,
        })
        .collect()
}

impl Server {
    /// Binds 127.0.0.1:`port` (0 picks a free one) and serves until dropped.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start(port: u16, options: ServeOptions) -> std::io::Result<Server> {
        let mut cases = HashMap::new();
        let mut case_entries = Vec::new();
        for &segmentation in &options.segmentations {
            for case in Case::all() {
                if options
                    .filter
                    .as_deref()
                    .is_some_and(|f| !case.name.contains(f))
                {
                    continue;
                }
                let id = format!("{}/{}", segmentation.name(), case.name);
                case_entries.push(PlanEntry {
                    id: id.clone(),
                    url: format!("/c/{id}"),
                    expect: Some(expected_events(case)),
                    listen: Some(event_types(&case.input)),
                    stop: None,
                    source: case.source.clone(),
                    description: None,
                });
                cases.insert(id, (case, segmentation));
            }
        }
        let scenarios: Vec<Scenario> = scenarios::all()
            .into_iter()
            .filter(|s| {
                options
                    .scenario_filter
                    .as_deref()
                    .map_or(true, |f| s.id.contains(f))
            })
            .collect();
        let scenario_entries = scenarios
            .iter()
            .map(|s| PlanEntry {
                id: s.id.clone(),
                url: format!("/s/{}", s.id),
                expect: None,
                listen: None,
                stop: Some(s.stop),
                source: s.source.into(),
                description: Some(s.description.clone()),
            })
            .collect();
        let shared = Arc::new(Shared {
            plan: Plan {
                cases: case_entries,
                scenarios: scenario_entries,
            },
            cases,
            scenarios,
            state: Mutex::new(State::default()),
            done: Notify::new(),
        });
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(Server {
            addr,
            shared,
            accept,
        })
    }

    /// The server's base URL, e.g. `http://127.0.0.1:8090`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The plan clients follow.
    pub fn plan(&self) -> &Plan {
        &self.shared.plan
    }

    /// Records a client's report, as `POST /report` does.
    pub fn submit(&self, report: ClientReport) {
        self.shared
            .state()
            .reports
            .insert(report.id.clone(), report);
    }

    /// Waits until a client posts `/done`, or `timeout` passes. True if it did.
    pub async fn wait_done(&self, timeout: Duration) -> bool {
        let notified = self.shared.done.notified();
        if self.shared.state().done {
            return true;
        }
        tokio::time::timeout(timeout, notified).await.is_ok()
    }

    /// The verdicts so far: every plan entry, reported or not.
    pub fn results(&self) -> Results {
        self.shared.results()
    }
}

impl Shared {
    fn results(&self) -> Results {
        let state = self.state();
        let mut entries = Vec::new();
        for entry in &self.plan.cases {
            let problems = match state.reports.get(&entry.id) {
                None => vec!["no report".to_owned()],
                Some(report) => {
                    let expected = entry.expect.as_deref().unwrap_or_default();
                    if report.events == expected {
                        Vec::new()
                    } else {
                        vec![format!(
                            "events {}, expected {}",
                            show_events(&report.events),
                            show_events(expected)
                        )]
                    }
                }
            };
            entries.push(EntryResult {
                id: entry.id.clone(),
                scenario: false,
                source: entry.source.clone(),
                description: None,
                problems,
                requests: Vec::new(),
            });
        }
        for scenario in &self.scenarios {
            let requests = state
                .requests
                .get(&scenario.id)
                .cloned()
                .unwrap_or_default();
            let problems = match state.reports.get(&scenario.id) {
                None => vec!["no report".to_owned()],
                Some(report) => {
                    let events: Vec<scenarios::Got> = report
                        .events
                        .iter()
                        .map(|e| (e.event.clone(), e.data.clone(), e.id.clone()))
                        .collect();
                    (scenario.check)(&Outcome {
                        requests: &requests,
                        events: &events,
                        errors: &report.errors,
                    })
                }
            };
            let first = requests.first().map(|r| r.at);
            let seen = requests
                .iter()
                .map(|r| SeenSummary {
                    after_ms: first.map_or(0, |f| r.at.duration_since(f).as_millis() as u64),
                    path: r.path.clone(),
                    last_event_id: r
                        .last_event_id
                        .as_deref()
                        .map(|v| String::from_utf8_lossy(v).into_owned()),
                })
                .collect();
            entries.push(EntryResult {
                id: scenario.id.clone(),
                scenario: true,
                source: scenario.source.into(),
                description: Some(scenario.description.clone()),
                problems,
                requests: seen,
            });
        }
        Results { entries }
    }
}

fn show_events(events: &[ReportedEvent]) -> String {
    let shown: Vec<String> = events
        .iter()
        .take(4)
        .map(|e| {
            format!(
                "({:?}, {:?}, {:?})",
                e.event,
                crate::escape_truncated(e.data.as_bytes(), 40),
                e.id
            )
        })
        .collect();
    let more = if events.len() > 4 {
        format!(" +{} more", events.len() - 4)
    } else {
        String::new()
    };
    format!("{} [{}]{more}", events.len(), shown.join(", "))
}

/// A request as the report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct SeenSummary {
    /// Milliseconds after the scenario's first request.
    pub after_ms: u64,
    /// The path requested.
    pub path: String,
    /// The `Last-Event-ID` sent, if any.
    pub last_event_id: Option<String>,
}

/// The verdict on one plan entry.
#[derive(Clone, Debug, Serialize)]
pub struct EntryResult {
    /// The entry's id.
    pub id: String,
    /// A scenario (else a corpus case).
    pub scenario: bool,
    /// Where it comes from.
    pub source: String,
    /// What it checks (scenarios).
    pub description: Option<String>,
    /// What went wrong; empty when it passed.
    pub problems: Vec<String>,
    /// The requests the server saw (scenarios).
    pub requests: Vec<SeenSummary>,
}

impl EntryResult {
    /// No problems.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verdicts on a whole plan.
#[derive(Clone, Debug, Serialize)]
pub struct Results {
    /// Cases first, then scenarios.
    pub entries: Vec<EntryResult>,
}

impl Results {
    /// Entries with problems.
    pub fn failed(&self) -> usize {
        self.entries.iter().filter(|e| !e.passed()).count()
    }

    /// Entries without problems.
    pub fn passed(&self) -> usize {
        self.entries.iter().filter(|e| e.passed()).count()
    }

    fn case_totals(&self) -> Vec<(String, usize, usize)> {
        let mut totals: Vec<(String, usize, usize)> = Vec::new();
        for entry in self.entries.iter().filter(|e| !e.scenario) {
            let segmentation = entry.id.split('/').next().unwrap_or("").to_owned();
            match totals.iter_mut().find(|(s, _, _)| *s == segmentation) {
                Some(row) => {
                    row.1 += usize::from(entry.passed());
                    row.2 += 1;
                }
                None => totals.push((segmentation, usize::from(entry.passed()), 1)),
            }
        }
        totals
    }

    /// The report as Markdown: scenarios with their requests, then case totals and failures.
    pub fn to_markdown(&self, client: &str) -> String {
        let mut out = String::new();
        let scenarios: Vec<&EntryResult> = self.entries.iter().filter(|e| e.scenario).collect();
        let passed = scenarios.iter().filter(|e| e.passed()).count();
        out.push_str(&format!(
            "### Scenarios: {client} passes {passed} of {}\n\n",
            scenarios.len()
        ));
        out.push_str("| scenario | verdict | requests seen (ms after the first: path, Last-Event-ID) | source |\n|---|---|---|---|\n");
        for entry in &scenarios {
            let verdict = if entry.passed() {
                "pass".to_owned()
            } else {
                format!(
                    "**fail**: {}",
                    entry.problems.join("; ").replace('|', "\\|")
                )
            };
            let requests: Vec<String> = entry
                .requests
                .iter()
                .map(|r| {
                    format!(
                        "{}: `{}` {:?}",
                        r.after_ms,
                        r.path,
                        r.last_event_id.as_deref().unwrap_or("-")
                    )
                })
                .collect();
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                entry.id,
                verdict,
                requests.join("<br>").replace('|', "\\|"),
                entry.source
            ));
        }
        out.push_str(&format!(
            "\n### Corpus over HTTP: {client}\n\n| segmentation | passed |\n|---|---:|\n"
        ));
        for (segmentation, ok, total) in self.case_totals() {
            out.push_str(&format!("| {segmentation} | {ok} / {total} |\n"));
        }
        let failures: Vec<&EntryResult> = self
            .entries
            .iter()
            .filter(|e| !e.scenario && !e.passed())
            .collect();
        if !failures.is_empty() {
            out.push_str("\n| failing case | problem |\n|---|---|\n");
            for entry in failures {
                out.push_str(&format!(
                    "| `{}` | {} |\n",
                    entry.id,
                    entry
                        .problems
                        .join("; ")
                        .replace('|', "\\|")
                        .replace('\n', " ")
                ));
            }
        }
        out
    }
}

impl fmt::Display for Results {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scenarios:")?;
        for entry in self.entries.iter().filter(|e| e.scenario) {
            let verdict = if entry.passed() { "PASS" } else { "FAIL" };
            writeln!(
                f,
                "  {verdict} {}: {}",
                entry.id,
                entry.description.as_deref().unwrap_or("")
            )?;
            for problem in &entry.problems {
                writeln!(f, "       {problem}")?;
            }
        }
        writeln!(f, "corpus over HTTP:")?;
        for (segmentation, ok, total) in self.case_totals() {
            writeln!(f, "  {segmentation:<6} {ok}/{total}")?;
        }
        for entry in self.entries.iter().filter(|e| !e.scenario && !e.passed()) {
            writeln!(f, "  FAIL {}: {}", entry.id, entry.problems.join("; "))?;
        }
        write!(f, "{} passed, {} failed", self.passed(), self.failed())
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(route(&shared, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}

type ServeBody = http_body_util::Either<Full<Bytes>, Pieces>;

fn plain(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<ServeBody> {
    let mut response = Response::new(http_body_util::Either::Left(Full::new(body.into())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        content_type.parse().expect("a valid header"),
    );
    headers.insert(
        "access-control-allow-origin",
        "*".parse().expect("a valid header"),
    );
    response
}

async fn route(shared: &Arc<Shared>, request: Request<Incoming>) -> Response<ServeBody> {
    let path = request.uri().path().to_owned();
    match (request.method().clone(), path.as_str()) {
        (Method::GET, "/") => plain(StatusCode::OK, "text/html; charset=utf-8", RUNNER_HTML),
        (Method::GET, "/plan") => {
            let json = serde_json::to_vec(&shared.plan).expect("the plan serializes");
            plain(StatusCode::OK, "application/json", json)
        }
        (Method::GET, "/results") => {
            let results = shared.results();
            let json = serde_json::to_vec(&results).expect("results serialize");
            plain(StatusCode::OK, "application/json", json)
        }
        (Method::POST, "/report") => {
            let Ok(body) = request.into_body().collect().await else {
                return plain(StatusCode::BAD_REQUEST, "text/plain", "body not read");
            };
            match serde_json::from_slice::<ClientReport>(&body.to_bytes()) {
                Ok(report) => {
                    shared.state().reports.insert(report.id.clone(), report);
                    plain(StatusCode::NO_CONTENT, "text/plain", "")
                }
                Err(e) => plain(
                    StatusCode::BAD_REQUEST,
                    "text/plain",
                    format!("bad report: {e}"),
                ),
            }
        }
        (Method::POST, "/done") => {
            shared.state().done = true;
            shared.done.notify_waiters();
            plain(StatusCode::NO_CONTENT, "text/plain", "")
        }
        (Method::GET, _) if path.starts_with("/c/") => {
            let id = &path["/c/".len()..];
            match shared.cases.get(id) {
                Some((case, segmentation)) => {
                    let pieces = segmentation
                        .cut(&case.input)
                        .into_iter()
                        .map(Bytes::copy_from_slice)
                        .collect();
                    let reply = Reply {
                        pieces,
                        ..Reply::stream(b"")
                    };
                    respond(reply, None)
                }
                None => plain(StatusCode::NOT_FOUND, "text/plain", "no such case"),
            }
        }
        (Method::GET, _) if path.starts_with("/s/") => {
            let rest = &path["/s/".len()..];
            let name = rest.split('/').next().unwrap_or("");
            let Some(scenario) = shared.scenarios.iter().find(|s| s.id == name) else {
                return plain(StatusCode::NOT_FOUND, "text/plain", "no such scenario");
            };
            let header = |name: &str| {
                request
                    .headers()
                    .get(name)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            };
            let seen = Seen {
                at: Instant::now(),
                path: path.clone(),
                last_event_id: request
                    .headers()
                    .get("last-event-id")
                    .map(|v| v.as_bytes().to_vec()),
                accept: header("accept"),
                cache_control: header("cache-control"),
                ended: None,
            };
            let (same_path, index) = {
                let mut state = shared.state();
                let requests = state.requests.entry(scenario.id.clone()).or_default();
                let same_path = requests.iter().filter(|r| r.path == path).count();
                requests.push(seen);
                (same_path, requests.len() - 1)
            };
            let reply = (scenario.reply)(same_path, &path);
            respond(reply, Some((shared.clone(), scenario.id.clone(), index)))
        }
        _ => plain(StatusCode::NOT_FOUND, "text/plain", "not found"),
    }
}

fn respond(reply: Reply, record: Option<(Arc<Shared>, String, usize)>) -> Response<ServeBody> {
    let body = Pieces {
        pieces: reply.pieces.into(),
        flushed: true,
        end: reply.end,
        hold: None,
        record,
    };
    let mut response = Response::new(http_body_util::Either::Right(body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    if let Some(content_type) = reply.content_type {
        if let Ok(value) = content_type.parse() {
            headers.insert("content-type", value);
        }
    }
    if let Some(location) = reply.location {
        if let Ok(value) = location.parse() {
            headers.insert("location", value);
        }
    }
    headers.insert("cache-control", "no-cache".parse().expect("a valid header"));
    headers.insert(
        "access-control-allow-origin",
        "*".parse().expect("a valid header"),
    );
    response
}

/// A response body that hands hyper one piece per poll, returning `Pending` in between so
/// that each piece is flushed as its own write.
pub struct Pieces {
    pieces: VecDeque<Bytes>,
    /// The last piece has been followed by a `Pending` (so hyper flushed it).
    flushed: bool,
    end: End,
    hold: Option<Pin<Box<tokio::time::Sleep>>>,
    /// Where to note the time the last piece went out.
    record: Option<(Arc<Shared>, String, usize)>,
}

impl Body for Pieces {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if !self.flushed {
            self.flushed = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if let Some(piece) = self.pieces.pop_front() {
            self.flushed = false;
            return Poll::Ready(Some(Ok(Frame::data(piece))));
        }
        if let Some((shared, id, index)) = self.record.take() {
            if let Some(seen) = shared
                .state()
                .requests
                .get_mut(&id)
                .and_then(|r| r.get_mut(index))
            {
                seen.ended = Some(Instant::now());
            }
        }
        match self.end {
            End::Close => Poll::Ready(None),
            End::Abort => Poll::Ready(Some(Err(std::io::Error::other("cut off on purpose")))),
            End::Hold => {
                let hold = self
                    .hold
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_secs(60))));
                match hold.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(None),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

/// The page a browser opens: it fetches the plan, runs every entry with `EventSource`, and
/// reports.
const RUNNER_HTML: &str = include_str!("runner.html");
