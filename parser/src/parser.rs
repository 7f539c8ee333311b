//! Event level: [`Parser`] and the [`Step`]s it yields, the spec's "interpreting an event
//! stream" steps on top of the line reader. This file is the public API and the parser's state;
//! the work is in the submodules:
//!
//! - `step`: one `feed` call's loop, which takes the fast paths while it can and the line
//!   reader's general path otherwise;
//! - `fast`: the fast paths, a whole block or one line at a time straight from the scan;
//! - `interpret`: what one line does (the spec's field rules), for lines in the chunk and lines
//!   carried across chunks;
//! - `block`: the block being read (data and event type buffers) and the event it dispatches.
//!
//! Zero copy: within one `feed` call, the value of a block's single `data` line (and its
//! `event` line) stays a borrow of the caller's chunk. When the call has to return before the
//! block's blank line (the chunk ran out, a `retry` or an error is reported), borrowed values are
//! copied into the parser's own buffers (`spill`), whose capacity is reused from event to event.

mod block;
mod fast;
mod interpret;
mod step;
#[cfg(test)]
mod tests;

use alloc::string::String;

use crate::event::Event;
use crate::limits::{LimitExceeded, Limits};
use crate::line::{Keep, LineReader};
use crate::scan::{self, Kernel, KernelTask, Scan};
use block::{Block, Held};

/// What [`Parser::feed`] completed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    /// All of the chunk is used and nothing more completed: feed the next chunk.
    NeedInput,
    /// A blank line dispatched an event.
    Event(Event<'a>),
    /// A `retry` field of only ASCII digits set the reconnection time, in milliseconds.
    Retry(u64),
}

/// The event-level parser: pushes chunks in, pulls [`Step`]s out.
///
/// Sans-IO and resumable: feed it chunks of any size as they arrive; any chunking of the same
/// bytes gives the same steps. See the crate docs for the full loop.
#[derive(Clone, Debug)]
pub struct Parser {
    lines: LineReader,
    block: Block,
    /// The spec's last event ID buffer, when `id_pending`; otherwise the buffer equals
    /// `last_event_id` (a blank line swaps the two instead of copying).
    id_buffer: String,
    /// An `id` line set `id_buffer` since the last blank line.
    id_pending: bool,
    /// The source's last event ID string, set from the buffer at each blank line.
    last_event_id: String,
    reconnection_time: Option<u64>,
    max_event_data: usize,
    /// The last step handed out the block; clear it before reading on.
    dispatched: bool,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

/// What one line asks of `feed`.
enum Action {
    /// The chunk is used up.
    NeedInput,
    Continue,
    Dispatch,
    Retry(u64),
    TooMuchData(LimitExceeded),
}

impl Parser {
    /// A parser with [`Limits::default`] (16 MiB per line and per event).
    ///
    /// ```
    /// let _ = ssewire_parser::Parser::new();
    /// ```
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// A parser with the given limits.
    ///
    /// ```
    /// use ssewire_parser::{Limits, Parser};
    /// let _ = Parser::with_limits(Limits::default().max_event_data_bytes(1 << 20));
    /// ```
    pub fn with_limits(limits: Limits) -> Self {
        Parser {
            lines: LineReader::new(&limits),
            block: Block {
                data: Held::Empty,
                data_buf: String::new(),
                data_skip: 0,
                data_len: 0,
                event_type: Held::Empty,
                type_buf: String::new(),
                discarding: false,
            },
            id_buffer: String::new(),
            id_pending: false,
            last_event_id: String::new(),
            reconnection_time: None,
            max_event_data: limits.event_data(),
            dispatched: false,
        }
    }

    /// Starts from a known last event ID, as a reconnecting client does.
    ///
    /// ```
    /// use ssewire_parser::{Parser, Step};
    /// let mut parser = Parser::new().with_last_event_id("41");
    /// let Ok(Step::Event(event)) = parser.feed(b"data: x\n\n").0 else { panic!() };
    /// assert_eq!(event.last_event_id(), "41");
    /// ```
    #[must_use]
    pub fn with_last_event_id(mut self, id: &str) -> Self {
        self.copy_last_event_id(id);
        self.id_pending = false;
        self
    }

    /// The last event ID string as of the latest blank line: what a client sends as
    /// `Last-Event-ID` when it reconnects (when non-empty).
    ///
    /// ```
    /// let mut parser = ssewire_parser::Parser::new();
    /// let _ = parser.feed(b"id: 5\n\n");
    /// assert_eq!(parser.last_event_id(), "5");
    /// ```
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The reconnection time the stream last set with `retry`, in milliseconds.
    ///
    /// ```
    /// let mut parser = ssewire_parser::Parser::new();
    /// let _ = parser.feed(b"retry: 2500\n");
    /// assert_eq!(parser.reconnection_time(), Some(2500));
    /// ```
    pub fn reconnection_time(&self) -> Option<u64> {
        self.reconnection_time
    }

    /// Parses from the start of `input` until something completes or `input` runs out.
    ///
    /// Returns the step and how many bytes of `input` it used: pass `&input[used..]` next time,
    /// and a new chunk once the step is [`Step::NeedInput`] (then `used == input.len()`).
    /// The step borrows both `input` and the parser, so handle it (or
    /// [`Event::into_owned`] it) before the next call.
    ///
    /// Implements "parsing an event stream" and "interpreting an event stream"
    /// (<https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>):
    /// one BOM stripped at the start; CRLF, LF or CR end a line (also CR|LF split across
    /// chunks); per line, a blank line dispatches, a leading `:` is a comment, otherwise the
    /// field name runs to the first colon and one space after it is dropped; `data` appends,
    /// `event` sets the type, `id` sets the last event ID unless it holds NUL, `retry` sets the
    /// reconnection time if all ASCII digits; unknown names are ignored. A blank line copies the
    /// last event ID buffer to [`Parser::last_event_id`], then dispatches if the data buffer is
    /// not empty, and clears the data and event type.
    ///
    /// # Errors
    /// [`LimitExceeded`] when a line is longer than [`Limits::line`] or an event's data longer
    /// than [`Limits::event_data`]. Every step before the offending line was returned first.
    /// The rest of that event block is then dropped (its blank line dispatches nothing), and
    /// the next call carries on with the stream.
    ///
    /// # Panics
    /// Never, on any input.
    ///
    /// ```
    /// use ssewire_parser::{Parser, Step};
    /// let mut parser = Parser::new();
    /// let chunk: &[u8] = b"retry: 100\ndata: hi\n\ndata: par";
    /// let (step, used) = parser.feed(chunk);
    /// assert_eq!((step, used), (Ok(Step::Retry(100)), 11));
    /// let (step, used2) = parser.feed(&chunk[used..]);
    /// assert!(matches!(step, Ok(Step::Event(ref e)) if e.data() == "hi"));
    /// let (step, _) = parser.feed(&chunk[used + used2..]);
    /// assert_eq!(step, Ok(Step::NeedInput)); // "data: par" waits for the next chunk
    /// ```
    #[inline]
    pub fn feed<'a>(&'a mut self, input: &'a [u8]) -> (Result<Step<'a>, LimitExceeded>, usize) {
        if self.lines.take_short(input, self.keep()) {
            self.lines.advance(input.len());
            return (Ok(Step::NeedInput), input.len());
        }
        self.feed_scanned(input)
    }

    /// [`Parser::feed`] past its shortcut; out of line, so the shortcut stays small enough
    /// to inline into the caller's loop.
    #[inline(never)]
    fn feed_scanned<'a>(&'a mut self, input: &'a [u8]) -> (Result<Step<'a>, LimitExceeded>, usize) {
        scan::with_best_kernel(input, Feed { parser: self })
    }

    /// Calls `each` with every step that `chunk` completes (never [`Step::NeedInput`]), then
    /// returns: a convenience over [`Parser::feed`] for callers that need no early exit.
    ///
    /// # Errors
    /// Limit errors are passed to `each` in stream order, like steps; parsing goes on after them.
    ///
    /// ```
    /// use ssewire_parser::{Parser, Step};
    /// let mut parser = Parser::new();
    /// let mut data = Vec::new();
    /// for chunk in [&b"data: a\n\nda"[..], b"ta: b\n", b"\n"] {
    ///     parser.feed_each(chunk, |step| {
    ///         if let Ok(Step::Event(event)) = step {
    ///             data.push(event.data().to_owned());
    ///         }
    ///     });
    /// }
    /// parser.finish();
    /// assert_eq!(data, ["a", "b"]);
    /// ```
    #[inline]
    pub fn feed_each(&mut self, chunk: &[u8], each: impl FnMut(Result<Step<'_>, LimitExceeded>)) {
        if self.lines.take_short(chunk, self.keep()) {
            self.lines.advance(chunk.len());
            return;
        }
        self.feed_each_scanned(chunk, each);
    }

    /// [`Parser::feed_each`] past its shortcut; out of line, as `feed_scanned` is.
    #[inline(never)]
    fn feed_each_scanned(
        &mut self,
        chunk: &[u8],
        each: impl FnMut(Result<Step<'_>, LimitExceeded>),
    ) {
        scan::with_best_kernel(chunk, FeedEach { parser: self, each });
    }

    /// Ends the stream: a block not closed by a blank line is discarded, as the spec says of
    /// the end of the file, and the parser is ready for a new stream (a new connection: its
    /// own BOM). The last event ID and reconnection time are kept, as an `EventSource` keeps
    /// them across reconnections; an `id` in the discarded block does not count.
    ///
    /// ```
    /// use ssewire_parser::{Parser, Step};
    /// let mut parser = Parser::new();
    /// assert_eq!(parser.feed(b"id: 9\ndata: cut off\n").0, Ok(Step::NeedInput));
    /// parser.finish();
    /// assert_eq!(parser.last_event_id(), "");
    /// ```
    pub fn finish(&mut self) {
        self.lines.reset();
        self.block.clear();
        self.block.discarding = false;
        self.dispatched = false;
        // The discarded block's `id` never reached a blank line.
        self.id_pending = false;
    }

    /// Which lines the line reader must keep when they span chunks: while a block is being
    /// dropped after a limit error, only its blank line matters.
    #[inline(always)]
    fn keep(&self) -> Keep {
        match self.block.discarding {
            true => Keep::BlankOnly,
            false => Keep::KnownFields,
        }
    }

    /// Sets the last event ID string.
    #[inline(always)]
    fn copy_last_event_id(&mut self, id: &str) {
        self.last_event_id.clear();
        self.last_event_id.push_str(id);
    }
}

/// [`Parser::feed`]'s work past its shortcut, for [`scan::with_best_kernel`] to run with the
/// kernel it picks.
struct Feed<'a> {
    parser: &'a mut Parser,
}

impl<'a> KernelTask<'a> for Feed<'a> {
    type Output = (Result<Step<'a>, LimitExceeded>, usize);

    #[inline(always)]
    fn run<K: Kernel>(self, scan: Scan<'a, K>) -> Self::Output {
        self.parser.feed_with(scan)
    }
}

/// [`Parser::feed_each`]'s work past its shortcut, as [`Feed`] is `feed`'s.
struct FeedEach<'p, F> {
    parser: &'p mut Parser,
    each: F,
}

impl<'c, F: FnMut(Result<Step<'_>, LimitExceeded>)> KernelTask<'c> for FeedEach<'_, F> {
    type Output = ();

    #[inline(always)]
    fn run<K: Kernel>(self, scan: Scan<'c, K>) {
        self.parser.feed_each_with(scan, self.each);
    }
}
