//! What a client runs (`GET /plan`) and what it sends back (`POST /report`): corpus cases over
//! HTTP, each with the events it must dispatch, and scenarios with their stop rules.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use ssewire_conformance::{Case, Output};
use ssewire_parser::{Field, FieldParser, FieldStep, Limits};

/// The per-case time limit a client applies ([`Plan::case_ms`]).
pub const CASE_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

use super::scenarios::{self, Scenario};
use super::segmentation::Segmentation;

/// When a client stops a scenario: after this many events, or an error with `readyState`
/// CLOSED, or after `ms` milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Stop {
    /// Events after which the client stops.
    pub events: usize,
    /// Milliseconds after which the client stops regardless.
    pub ms: u64,
}

/// What a client did for one plan entry (`POST /report`). Events are the adapter protocol's
/// event lines, `{"event","data","id"}`, as [`Output::Event`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientReport {
    /// The entry's `id` from the plan.
    pub id: String,
    /// Every dispatched event, in order.
    #[serde(default)]
    pub events: Vec<Output>,
    /// The `readyState` at each error: `"connecting"` or `"closed"`.
    #[serde(default)]
    pub errors: Vec<String>,
    /// The client did not run the entry, lacking one of its [`ScenarioEntry::needs`]: the
    /// entry is then not applicable to it (a skipped entry that needs nothing fails).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

/// What a client can do beyond a browser's `EventSource`, which a scenario may need
/// ([`ScenarioEntry::needs`]).
pub mod needs {
    /// Send the scenario's [`RequestSpec`](super::RequestSpec): a method other than `GET`,
    /// headers and a body.
    pub const POST: &str = "post";
    /// Go through the HTTP forward proxy the entry names
    /// ([`ScenarioEntry::proxy`](super::ScenarioEntry::proxy)).
    pub const PROXY: &str = "proxy";
    /// Open an `https:` URL (and fail on a certificate it does not trust).
    pub const TLS: &str = "tls";
}

/// The request a scenario wants instead of `EventSource`'s `GET`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestSpec {
    /// The method, e.g. `POST`.
    pub method: String,
    /// Headers to send besides the client's own (`Accept`, `Last-Event-ID` …): a JSON object
    /// of names (lowercase) to values.
    pub headers: BTreeMap<String, String>,
    /// The body, as text.
    pub body: String,
}

/// A corpus case served over HTTP with one segmentation.
#[derive(Clone, Debug, Serialize)]
pub struct CaseEntry {
    /// `<segmentation>/<case name>`, which its report names.
    pub id: String,
    /// The URL to open, relative to the server.
    pub url: String,
    /// The events expected (the case's retries are not visible to an `EventSource`).
    pub expect: Vec<Output>,
    /// Every event type the input names (except `open` and `error`). `EventSource` has no
    /// catch-all listener, so a browser listens for each of these; listening only for the
    /// expected types would miss an event wrongly dispatched under another one.
    pub listen: Vec<String>,
    /// The spec clause or web-platform-tests file the case comes from.
    pub source: String,
}

/// A scenario: a scripted server behaviour and the checks on what the client did.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioEntry {
    /// The scenario's id, which its report names.
    pub id: String,
    /// The URL to open, relative to the server, or absolute (the untrusted TLS endpoint is
    /// another port).
    pub url: String,
    /// When to stop.
    pub stop: Stop,
    /// The spec clause or web-platform-tests file it comes from.
    pub source: String,
    /// What it checks.
    pub description: String,
    /// What the client must do beyond a browser's `EventSource` (see [`needs`]); empty for
    /// most. A client lacking one skips the entry (it reports `"skipped": true`).
    pub needs: Vec<&'static str>,
    /// The request to send instead of a `GET` (need `post`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestSpec>,
    /// The HTTP forward proxy to go through, `http://127.0.0.1:PORT` (need `proxy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
}

/// One entry of the plan, either kind.
#[derive(Clone, Copy, Debug)]
pub enum PlanEntry<'a> {
    /// A corpus case.
    Case(&'a CaseEntry),
    /// A scenario.
    Scenario(&'a ScenarioEntry),
}

impl PlanEntry<'_> {
    /// The entry's id.
    pub fn id(&self) -> &str {
        match self {
            PlanEntry::Case(c) => &c.id,
            PlanEntry::Scenario(s) => &s.id,
        }
    }

    /// The URL to open, relative to the server (or absolute, as for the untrusted TLS
    /// endpoint).
    pub fn url(&self) -> &str {
        match self {
            PlanEntry::Case(c) => &c.url,
            PlanEntry::Scenario(s) => &s.url,
        }
    }
}

/// Everything a client runs: corpus cases first, then scenarios.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    /// How long a client gives one case before it stops and reports what it has, in ms
    /// ([`CASE_LIMIT`]): a case's stream ends by itself long before that, so the limit only
    /// ends a client that never sees the end.
    pub case_ms: u64,
    /// Corpus cases over HTTP.
    pub cases: Vec<CaseEntry>,
    /// Scenarios.
    pub scenarios: Vec<ScenarioEntry>,
}

impl Plan {
    /// Every entry, cases first.
    pub fn entries(&self) -> impl Iterator<Item = PlanEntry<'_>> {
        let cases = self.cases.iter().map(PlanEntry::Case);
        cases.chain(self.scenarios.iter().map(PlanEntry::Scenario))
    }
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

/// The plan for `options`, with what the router needs to answer it: each case entry's case
/// and segmentation by id, and the scenarios.
pub(crate) type Built = (
    Plan,
    HashMap<String, (&'static Case, Segmentation)>,
    Vec<Scenario>,
);

/// The addresses of the server's helper endpoints, which some scenarios name.
#[derive(Clone, Debug)]
pub(crate) struct Endpoints {
    /// The forward proxy, `http://127.0.0.1:PORT`.
    pub(crate) proxy: String,
    /// The HTTPS endpoint with an untrusted certificate, `https://127.0.0.1:PORT`.
    pub(crate) untrusted: String,
}

pub(crate) fn build(options: &ServeOptions, endpoints: &Endpoints) -> Built {
    let mut cases = HashMap::new();
    let mut case_entries = Vec::new();
    for &segmentation in &options.segmentations {
        let admitted = Case::all().iter().filter(|case| {
            let filter = options.filter.as_deref();
            filter.is_none_or(|f| case.name.contains(f))
        });
        for case in admitted {
            let id = format!("{}/{}", segmentation.name(), case.name);
            case_entries.push(CaseEntry {
                id: id.clone(),
                url: format!("/c/{id}"),
                expect: case
                    .expect
                    .iter()
                    .filter(|o| matches!(o, Output::Event { .. }))
                    .cloned()
                    .collect(),
                listen: event_types(&case.input),
                source: case.source.clone(),
            });
            cases.insert(id, (case, segmentation));
        }
    }
    let scenarios: Vec<Scenario> = scenarios::all(endpoints)
        .into_iter()
        .filter(|s| {
            let filter = options.scenario_filter.as_deref();
            filter.is_none_or(|f| s.id.contains(f))
        })
        .collect();
    let scenario_entries = scenarios
        .iter()
        .map(|s| ScenarioEntry {
            id: s.id.clone(),
            url: s.url.clone().unwrap_or_else(|| format!("/s/{}", s.id)),
            stop: s.stop,
            source: s.source.into(),
            description: s.description.clone(),
            needs: s.needs.to_vec(),
            request: s.request.clone(),
            proxy: s.proxy.then(|| endpoints.proxy.clone()),
        })
        .collect();
    let plan = Plan {
        case_ms: u64::try_from(CASE_LIMIT.as_millis()).unwrap_or(u64::MAX),
        cases: case_entries,
        scenarios: scenario_entries,
    };
    (plan, cases, scenarios)
}

/// Every `event` field value in `input`, once each, without `open` and `error` (a listener
/// for those would also catch the `EventSource`'s own events of that name).
fn event_types(input: &[u8]) -> Vec<String> {
    let mut fields = FieldParser::with_limits(Limits::UNLIMITED);
    let mut types: Vec<String> = vec!["message".into()];
    let mut rest = input;
    while !rest.is_empty() {
        let (field, used) = fields.feed(rest);
        rest = &rest[used..];
        if let Ok(FieldStep::Field(Field::EventType(name))) = field {
            if !["", "open", "error"].contains(&name) && !types.iter().any(|t| t == name) {
                types.push(name.to_owned());
            }
        }
    }
    types
}
