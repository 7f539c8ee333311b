//! The corpus: cases as the adapter protocol defines them, embedded at build time.

use std::fmt;
use std::sync::OnceLock;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// What a parser must report, in stream order: the adapter protocol's output lines.
///
/// ```
/// use ssewire_conformance::Output;
/// let event = Output::event("message", "hi", "");
/// assert_eq!(event.to_json_line(), r#"{"event":"message","data":"hi","id":""}"#);
/// assert_eq!(Output::Retry(5).to_json_line(), r#"{"retry":5}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "OutputLine", into = "OutputLine")]
pub enum Output {
    /// A dispatched event.
    Event {
        /// The event type after defaulting (`"message"` when absent or empty).
        event: String,
        /// The data, without its final LF.
        data: String,
        /// The last event ID string at the time of dispatch.
        id: String,
    },
    /// A `retry` field of only ASCII digits set the reconnection time to this many ms.
    Retry(u64),
    /// A retry line whose value [`Output::Retry`] cannot hold: a negative number, which no
    /// `retry` field sets, or one past `u64::MAX`. Only an adapter reports one, and wrongly;
    /// it is read so that the runner can judge it a failure and show it, where refusing the
    /// line would call the library's wrong answer a crash. No case expects one.
    ///
    /// ```
    /// use ssewire_conformance::Output;
    /// let line: Output = serde_json::from_str(r#"{"retry":-1}"#).unwrap();
    /// assert_eq!(line, Output::RetryOutOfRange(-1));
    /// assert_eq!(line.to_json_line(), r#"{"retry":-1}"#);
    /// ```
    RetryOutOfRange(i128),
}

impl Output {
    /// An [`Output::Event`] from borrowed parts.
    ///
    /// ```
    /// let e = ssewire_conformance::Output::event("add", "1", "7");
    /// assert!(matches!(e, ssewire_conformance::Output::Event { .. }));
    /// ```
    pub fn event(event: &str, data: &str, id: &str) -> Self {
        Output::Event {
            event: event.to_owned(),
            data: data.to_owned(),
            id: id.to_owned(),
        }
    }

    /// The adapter protocol's line for this output (without the line end).
    ///
    /// ```
    /// assert_eq!(ssewire_conformance::Output::Retry(0).to_json_line(), r#"{"retry":0}"#);
    /// ```
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).expect("outputs always serialize")
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json_line())
    }
}

/// The wire shape of an [`Output`]: one JSON object with either `retry` or the event keys.
#[derive(Serialize, Deserialize)]
struct OutputLine {
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    // Wider than `Output::Retry`, so a wrong value is read as a value, not a malformed line.
    #[serde(skip_serializing_if = "Option::is_none")]
    retry: Option<i128>,
}

impl TryFrom<OutputLine> for Output {
    type Error = String;
    fn try_from(line: OutputLine) -> Result<Self, String> {
        match line {
            OutputLine {
                event: Some(event),
                data: Some(data),
                id: Some(id),
                retry: None,
            } => Ok(Output::Event { event, data, id }),
            OutputLine {
                event: None,
                data: None,
                id: None,
                retry: Some(retry),
            } => Ok(u64::try_from(retry).map_or(Output::RetryOutOfRange(retry), Output::Retry)),
            _ => Err("an output is either {event, data, id} or {retry}".into()),
        }
    }
}

impl From<Output> for OutputLine {
    fn from(output: Output) -> Self {
        match output {
            Output::Event { event, data, id } => OutputLine {
                event: Some(event),
                data: Some(data),
                id: Some(id),
                retry: None,
            },
            Output::Retry(retry) => OutputLine {
                event: None,
                data: None,
                id: None,
                retry: Some(retry.into()),
            },
            Output::RetryOutOfRange(retry) => OutputLine {
                event: None,
                data: None,
                id: None,
                retry: Some(retry),
            },
        }
    }
}

/// One conformance case: raw input bytes and what a conforming parser reports for them.
///
/// ```
/// let case = ssewire_conformance::Case::find("line-endings/cr-cr-is-two-line-ends").unwrap();
/// assert!(case.source.starts_with("spec:"));
/// assert!(!case.input.is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The case's path under `cases/` without `.json`, e.g. `utf8/lone-ff-in-data`.
    pub name: String,
    /// Where the expectation comes from: `spec:#anchor[ step N]` or `wpt:eventsource/<file>`.
    pub source: String,
    /// The body of a `text/event-stream` response, BOM and all.
    pub input: Vec<u8>,
    /// Every dispatched event and retry, in order.
    pub expect: Vec<Output>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    name: String,
    source: String,
    input_b64: String,
    expect: Vec<Output>,
}

impl Case {
    /// Reads a case file in the adapter protocol's format.
    ///
    /// # Errors
    /// A message naming what is wrong: JSON, a key, the base64, or an expected retry that no
    /// `retry` field sets ([`Output::RetryOutOfRange`]).
    ///
    /// ```
    /// let json = br#"{"name":"x","source":"spec:#x","input_b64":"ZGF0YQoK","expect":[]}"#;
    /// let case = ssewire_conformance::Case::from_json(json).unwrap();
    /// assert_eq!(case.input, b"data\n\n");
    /// let negative = br#"{"name":"x","source":"spec:#x","input_b64":"","expect":[{"retry":-1}]}"#;
    /// assert!(ssewire_conformance::Case::from_json(negative).is_err());
    /// ```
    pub fn from_json(json: &[u8]) -> Result<Case, String> {
        let file: CaseFile = serde_json::from_slice(json).map_err(|e| e.to_string())?;
        if let Some(bad) = file
            .expect
            .iter()
            .find(|o| matches!(o, Output::RetryOutOfRange(_)))
        {
            return Err(format!(
                "expect: {bad} is no reconnection time a case can expect"
            ));
        }
        let input = base64::engine::general_purpose::STANDARD
            .decode(&file.input_b64)
            .map_err(|e| format!("input_b64: {e}"))?;
        Ok(Case {
            name: file.name,
            source: file.source,
            input,
            expect: file.expect,
        })
    }

    /// The whole embedded corpus, sorted by name (parsed once, on first use).
    ///
    /// # Panics
    /// If an embedded case file is malformed; the crate's own tests make sure none is.
    ///
    /// ```
    /// assert!(ssewire_conformance::Case::all().len() >= 150);
    /// ```
    pub fn all() -> &'static [Case] {
        static CASES: OnceLock<Vec<Case>> = OnceLock::new();
        CASES.get_or_init(|| {
            CASE_FILES
                .iter()
                .map(|(path, json)| {
                    Case::from_json(json).unwrap_or_else(|e| panic!("cases/{path}.json: {e}"))
                })
                .collect()
        })
    }

    /// The case with this name, if there is one.
    ///
    /// ```
    /// assert!(ssewire_conformance::Case::find("no/such-case").is_none());
    /// ```
    pub fn find(name: &str) -> Option<&'static Case> {
        Case::all().iter().find(|case| case.name == name)
    }
}

/// Every case file's path under `cases/` (without `.json`) and its bytes, as embedded.
#[doc(hidden)]
pub static CASE_FILES: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/case_files.rs"));
