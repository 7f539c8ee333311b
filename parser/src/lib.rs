//! A zero-copy, sans-IO, streaming parser for `text/event-stream`, the Server-Sent Events
//! format, following the WHATWG HTML algorithm exactly
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream>).
//!
//! Push chunks of any size as they arrive; pull what they complete. The parser does no I/O,
//! never panics, never grows past its [`Limits`], and gives the same result for any chunking of
//! the same bytes.
//!
//! ```
//! use ssewire_parser::{Parser, Step};
//!
//! let mut parser = Parser::new();
//! let mut seen = Vec::new();
//! // One stream, cut at awkward places: inside the BOM, inside a CRLF, inside "é".
//! for chunk in [&b"\xEF\xBB"[..], b"\xBFid: 1\r", b"\ndata: caf\xC3", b"\xA9\n\nretry: 50\ndata: x\n"] {
//!     let mut input = chunk;
//!     loop {
//!         let (step, used) = parser.feed(input);
//!         input = &input[used..];
//!         match step.expect("default limits are not hit here") {
//!             Step::Event(event) => seen.push(format!(
//!                 "{} {:?} id={}", event.event_type(), event.data(), event.last_event_id()
//!             )),
//!             Step::Retry(millis) => seen.push(format!("retry {millis}")),
//!             Step::NeedInput => break,
//!         }
//!     }
//! }
//! parser.finish(); // end of stream: the unterminated "data: x" block is discarded
//! assert_eq!(seen, ["message \"café\" id=1", "retry 50"]);
//! ```
//!
//! Two levels:
//!
//! | type | yields | for |
//! |---|---|---|
//! | [`Parser`] | [`Step::Event`] (type defaulted to `"message"`, data without its final LF, the last event ID as persisted), [`Step::Retry`] | applications, clients |
//! | [`FieldParser`] | every line as a [`Field`]: data, event, id, retry, comment, unknown, blank line | linters, proxies, tools |
//!
//! The crate is `no_std` + `alloc` and has no dependencies. Its `std` feature (default) only
//! lets the scan check at run time whether an x86_64 CPU has AVX2 (and use it); without `std`,
//! AVX2 is used only in a build compiled for it (`-C target-feature=+avx2`). Results never
//! depend on which kernel ran.
//!
//! Implementation-defined choices (the spec leaves them open): [`Limits`] (16 MiB per line and per
//! event by default), an empty `retry` value is ignored, and a `retry` value too large for `u64`
//! saturates (see [`parse_retry`]).
#![no_std]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

extern crate alloc;
// Only for `is_x86_feature_detected!` (the AVX2 scan, `scan::avx2`), and in tests.
#[cfg(any(feature = "std", test))]
extern crate std;

mod event;
mod field;
mod limits;
mod line;
mod parser;
mod scan;
mod utf8;

pub use event::Event;
pub use field::{parse_retry, Field, FieldParser, FieldStep};
pub use limits::{Limit, LimitExceeded, Limits};
pub use parser::{Parser, Step};

/// Not part of the API: what ssewire-encoder shares with the parser, so that the SSE2 line-end
/// mask (and its `unsafe`) is written once. Hidden from the docs, but semver-bound all the same:
/// an encoder release accepts any compatible parser release, so an item here changes or goes
/// only in a release that is incompatible anyway.
///
/// Also the kernel switch (`SSEWIRE_KERNEL`, [`shared::force_kernel`]) that the tests of both
/// crates use to run everything once per kernel.
#[doc(hidden)]
pub mod shared {
    #[cfg(target_arch = "x86_64")]
    pub use crate::scan::line_end_mask;
    pub use crate::scan::{force as force_kernel, forced_kernel, kernel_in_use, KernelName};
}
