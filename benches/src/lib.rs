//! Shared plumbing for the benchmarks and the peers' conformance matrix.
//!
//! Every SSE implementation measured here, ours and the peer crates', is wrapped once, as a
//! [`SseParser`] (and, where the crate encodes, an [`SseEncoder`]). The same wrapper serves the
//! criterion benchmarks (`benches/parse.rs`, `benches/encode.rs`, with a [`Counts`] sink) and the
//! `peer-adapter` binary, which puts each implementation behind `shared/adapter-protocol.md` so
//! `sse-conformance matrix` can run the corpus through it.

#[cfg(feature = "clients")]
pub mod clients;
pub mod peers;
pub mod references;
pub mod workloads;

use bytes::Bytes;

/// Where a wrapped parser reports what it parsed, in stream order.
pub trait Sink {
    /// A dispatched event: its type after defaulting, its data, and the last event ID string at
    /// dispatch (what the wrapper can tell of it from the crate's API).
    fn event(&mut self, event_type: &str, data: &str, last_event_id: &str);
    /// [`Sink::event`] from bytes the caller has already checked to be UTF-8 (the
    /// `checked-lines` reference loop, which holds no `str`): converted for sinks that need
    /// text, counted as they are by [`Counts`], as ours are counted without a second check.
    fn event_bytes(&mut self, event_type: &[u8], data: &[u8], last_event_id: &[u8]) {
        let text = |bytes| String::from_utf8_lossy(bytes);
        self.event(&text(event_type), &text(data), &text(last_event_id));
    }
    /// A `retry` field that set the reconnection time.
    fn retry(&mut self, millis: u64);
    /// The crate reported an error; the wrapper goes on as the crate's API allows.
    fn error(&mut self, message: &str);
}

/// One SSE parser behind a common shape: the chunks of one stream in, events out.
pub trait SseParser {
    /// The name in benchmark ids and matrix columns, e.g. `eventsource-stream`.
    const NAME: &'static str;
    /// The crate measured and its exact version (pinned with `=` in Cargo.toml).
    const CRATE: &'static str;
    /// The crate's version.
    const VERSION: &'static str;
    /// How the crate is driven, in a sentence (which API, which runtime, what the wrapper adds).
    const HOW: &'static str;
    /// What the crate's API cannot express, as the adapter protocol's capabilities (name, why
    /// in plain words): the matrix reports the cases that need it as not applicable.
    const LACKS: &'static [(&'static str, &'static str)] = &[];
    /// Parses `chunks` as one whole stream, then ends it, reporting to `sink`.
    fn parse<S: Sink>(chunks: &[Bytes], sink: &mut S);
}

/// One event (or comment) to encode, as the adapter protocol's encode mode describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncodeItem {
    /// `event:`; `None` leaves it out.
    pub event: Option<String>,
    /// The data; `None` writes no data lines.
    pub data: Option<String>,
    /// `id:`; `None` leaves it out.
    pub id: Option<String>,
    /// `retry:` in milliseconds.
    pub retry: Option<u64>,
    /// A comment line instead of an event (the other fields are then `None`).
    pub comment: Option<String>,
}

/// One SSE encoder behind a common shape.
pub trait SseEncoder {
    /// The name in benchmark ids.
    const NAME: &'static str;
    /// The crate measured.
    const CRATE: &'static str;
    /// The crate's version.
    const VERSION: &'static str;
    /// How the crate is driven.
    const HOW: &'static str;
    /// Appends the encoding of `items` to `out`; `Err` when the crate refuses an item (or cannot
    /// express it, e.g. no comments), with its reason.
    fn encode(items: &[EncodeItem], out: &mut Vec<u8>) -> Result<(), String>;
}

/// A sink that only counts: what the benchmarks check before timing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Dispatched events.
    pub events: u64,
    /// Retry fields that set the reconnection time.
    pub retries: u64,
    /// Sum of the events' data lengths in UTF-8 bytes.
    pub data_bytes: u64,
    /// Errors the crate reported.
    pub errors: u64,
}

impl Sink for Counts {
    #[inline]
    fn event(&mut self, _event_type: &str, data: &str, _last_event_id: &str) {
        self.events += 1;
        self.data_bytes += data.len() as u64;
    }
    #[inline]
    fn event_bytes(&mut self, _event_type: &[u8], data: &[u8], _last_event_id: &[u8]) {
        self.events += 1;
        self.data_bytes += data.len() as u64;
    }
    #[inline]
    fn retry(&mut self, _millis: u64) {
        self.retries += 1;
    }
    #[inline]
    fn error(&mut self, _message: &str) {
        self.errors += 1;
    }
}

/// Splits `input` into zero-copy chunks of `size` bytes (the last may be shorter).
pub fn chunks(input: &Bytes, size: usize) -> Vec<Bytes> {
    let size = size.max(1);
    (0..input.len())
        .step_by(size)
        .map(|start| input.slice(start..(start + size).min(input.len())))
        .collect()
}

/// Where the benchmarks list what they did not time, one `group\tname\treason` line each, for
/// the report (`src/bin/report.rs`).
pub fn not_timed_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion/not-timed.tsv")
}

/// Records (and prints) that `name` was not timed in `group`, and why.
pub fn record_not_timed(group: &str, name: &str, reason: &str) {
    use std::io::Write;
    eprintln!("{group}/{name}: not timed: {reason}");
    let path = not_timed_path();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(file, "{group}\t{name}\t{reason}");
    }
}
