//! The conformance corpus for `text/event-stream` (Server-Sent Events) parsers, as a library
//! for any crate's `cargo test`.
//!
//! - [`Case::all`]: every case, embedded in this crate: raw input bytes, the expected events
//!   and retries, and the spec step or web-platform-tests file the expectation comes from. The
//!   same files (`cases/<area>/<name>.json`) serve implementations in any language, through
//!   the adapter protocol ([`PROTOCOL`]).
//! - [`Runner`]: checks a Rust parser, given as a closure, under many chunkings, and returns a
//!   [`Report`] of [`Verdict`]s.
//! - [`reference::parse`]: a slow, literal model of the spec, the oracle for differential tests.
//! - [`parse_with_ssewire`]: this project's own parser as a runner closure.
//!
//! The `sse-conformance` command (crate `sse-conformance`) runs the same corpus through
//! implementations in any language, and serves it to HTTP clients.
//!
//! ```
//! use ssewire_conformance::{parse_with_ssewire, Chunkings, Runner};
//! // Checks this project's own parser on the retry cases, under every quick chunking.
//! let report = Runner::new().filter("retry/").chunkings(Chunkings::QUICK).run(parse_with_ssewire);
//! assert_eq!(report.failed(), 0, "{report}");
//! assert!(report.passed() > 10);
//! ```
//!
//! # Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `fuzz` | [`fuzz`]: the fuzz targets' bodies as plain functions (for `fuzz/` and replay tests) |

mod capability;
mod case;
mod escape;
#[cfg(feature = "fuzz")]
#[doc(hidden)]
pub mod fuzz;
pub mod reference;
mod report;
mod runner;
mod ssewire;

pub use capability::Capability;
pub use case::{Case, Output, CASE_FILES};
pub use escape::{escape, escape_truncated};
pub use report::{describe_difference, CaseRecord, CaseResult, Failures, Report, Verdict};
pub use runner::{Chunkings, Runner};
pub use ssewire::parse_with_ssewire;

/// The adapter protocol, version 2: how an implementation in any language is wrapped in a
/// command that the corpus runs through. The same text is `PROTOCOL.md` in this crate.
pub const PROTOCOL: &str = include_str!("../PROTOCOL.md");
