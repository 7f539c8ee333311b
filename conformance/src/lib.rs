//! The conformance corpus for `text/event-stream` (Server-Sent Events) parsers, and the tools
//! to run it.
//!
//! - [`Case::all`]: every case, embedded in this crate: raw input bytes, the expected events
//!   and retries, and the spec step or web-platform-tests file the expectation comes from. The
//!   same files (`cases/<area>/<name>.json`) serve implementations in any language.
//! - [`Runner`]: checks a Rust parser from its own `cargo test`, under many chunkings.
//! - [`reference::parse`]: a slow, literal model of the spec, the oracle for differential tests.
//! - [`adapter`] and [`process`]: the `sse-conformance` command's two roles, the adapter for this
//!   project's parser and encoder, and the runner for any adapter command.
//!
//! ```
//! use ssewire_conformance::{parse_with_ssewire, Chunkings, Runner};
//! // Checks this project's own parser on the retry cases, under every quick chunking.
//! let report = Runner::new().filter("retry/").chunkings(Chunkings::QUICK).run(parse_with_ssewire);
//! assert_eq!(report.failed(), 0, "{report}");
//! assert!(report.passed() > 10);
//! ```

pub mod adapter;
mod case;
mod escape;
#[doc(hidden)]
pub mod fuzz;
pub mod matrix;
pub mod process;
pub mod reference;
mod runner;
#[cfg(feature = "serve")]
pub mod serve;

pub use adapter::parse_with_ssewire;
pub use case::{Case, Output, CASE_FILES};
pub use escape::{escape, escape_truncated};
pub use runner::{CaseResult, Chunkings, Report, Runner, Verdict};

// The README's Rust examples run as doctests here (this crate depends on all the others).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
