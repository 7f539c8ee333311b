//! Caps on what the parser buffers, and the error for going past one.

use core::fmt;

/// How many bytes the parser may hold for one line and for one event's data.
///
/// The spec sets no limits; a parser that sets none can be made to grow without bound by a peer
/// that never sends a line end. Both caps count *input* bytes (before U+FFFD replacement) and
/// apply the same way however the input is chunked, so a limit error arrives at the same point
/// of the stream whatever the chunk sizes.
///
/// Only lines the parser keeps are limited: at the event level, comments and unknown fields are
/// skipped without being buffered, so they may be of any length.
///
/// ```
/// use ssewire_parser::Limits;
/// let limits = Limits::default().max_line_bytes(64 * 1024).max_event_data_bytes(1 << 20);
/// assert_eq!(limits.line(), 64 * 1024);
/// assert_eq!(Limits::default().event_data(), 16 * 1024 * 1024);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    line: usize,
    event_data: usize,
}

impl Limits {
    /// The default cap for both a line and an event's data: 16 MiB.
    ///
    /// Large enough for any real payload (and the floor the adapter protocol asks of
    /// implementations), small enough that a hostile peer cannot exhaust memory.
    pub const DEFAULT_BYTES: usize = 16 * 1024 * 1024;

    /// No caps at all: what the spec describes, for trusted input only.
    ///
    /// ```
    /// assert_eq!(ssewire_parser::Limits::UNLIMITED.line(), usize::MAX);
    /// ```
    pub const UNLIMITED: Limits = Limits {
        line: usize::MAX,
        event_data: usize::MAX,
    };

    /// Sets the longest line (field name, colon and value, without the line end) the parser keeps.
    ///
    /// ```
    /// assert_eq!(ssewire_parser::Limits::default().max_line_bytes(10).line(), 10);
    /// ```
    #[must_use]
    pub const fn max_line_bytes(mut self, bytes: usize) -> Self {
        self.line = bytes;
        self
    }

    /// Sets the most data one event may carry: its data lines' values joined by LF.
    ///
    /// ```
    /// assert_eq!(ssewire_parser::Limits::default().max_event_data_bytes(10).event_data(), 10);
    /// ```
    #[must_use]
    pub const fn max_event_data_bytes(mut self, bytes: usize) -> Self {
        self.event_data = bytes;
        self
    }

    /// The line cap in bytes.
    ///
    /// ```
    /// assert_eq!(ssewire_parser::Limits::default().line(), 16 << 20);
    /// ```
    pub const fn line(&self) -> usize {
        self.line
    }

    /// The event data cap in bytes.
    ///
    /// ```
    /// assert_eq!(ssewire_parser::Limits::default().event_data(), 16 << 20);
    /// ```
    pub const fn event_data(&self) -> usize {
        self.event_data
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            line: Self::DEFAULT_BYTES,
            event_data: Self::DEFAULT_BYTES,
        }
    }
}

/// Which cap was hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::line`]: one kept line was longer.
    Line,
    /// [`Limits::event_data`]: one event's data grew longer.
    EventData,
}

/// A cap from [`Limits`] was hit.
///
/// Everything the stream completed before the offending line was handed out first. Then the
/// parser drops the rest of the offending line and the rest of the event block it belongs to (up
/// to the next blank line, which dispatches nothing) and carries on; the following events arrive
/// normally.
///
/// ```
/// use ssewire_parser::{Limit, Limits, Parser, Step};
/// let mut parser = Parser::with_limits(Limits::default().max_line_bytes(8));
/// let input: &[u8] = b"data: far too long\n\ndata: ok\n\n";
/// let (step, used) = parser.feed(input);
/// let err = step.unwrap_err();
/// assert_eq!(err.limit(), Limit::Line);
/// assert_eq!(err.to_string(), "line longer than the 8-byte limit at byte 0");
/// // The dropped block ends at its blank line; the next event arrives as usual.
/// let Ok(Step::Event(event)) = parser.feed(&input[used..]).0 else { panic!() };
/// assert_eq!(event.data(), "ok");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LimitExceeded {
    pub(crate) limit: Limit,
    pub(crate) max: usize,
    pub(crate) offset: u64,
}

impl LimitExceeded {
    /// Which cap was hit.
    ///
    /// ```
    /// # use ssewire_parser::{Limit, Limits, Parser};
    /// let mut p = Parser::with_limits(Limits::default().max_event_data_bytes(3));
    /// assert_eq!(p.feed(b"data: 1234\n").0.unwrap_err().limit(), Limit::EventData);
    /// ```
    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// The cap's value in bytes.
    ///
    /// ```
    /// # use ssewire_parser::{Limits, Parser};
    /// let mut p = Parser::with_limits(Limits::default().max_event_data_bytes(3));
    /// assert_eq!(p.feed(b"data: 1234\n").0.unwrap_err().max(), 3);
    /// ```
    pub fn max(&self) -> usize {
        self.max
    }

    /// Where in the stream (counting from 0 at the first byte ever fed, BOM included) the line
    /// that went past the cap starts.
    ///
    /// ```
    /// # use ssewire_parser::{Limits, Parser};
    /// let mut p = Parser::with_limits(Limits::default().max_event_data_bytes(3));
    /// assert_eq!(p.feed(b"id: 1\ndata: 1234\n").0.unwrap_err().offset(), 6);
    /// ```
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.limit {
            Limit::Line => "line",
            Limit::EventData => "event data",
        };
        write!(
            f,
            "{what} longer than the {}-byte limit at byte {}",
            self.max, self.offset
        )
    }
}

impl core::error::Error for LimitExceeded {}
