//! Event level: the spec's "interpreting an event stream" steps on top of the line reader.
//!
//! Zero copy: within one `feed` call, the value of a block's single `data` line (and its
//! `event` line) stays a borrow of the caller's chunk. When the call has to return before the
//! block's blank line (the chunk ran out, a `retry` or an error is reported), borrowed values are
//! copied into the parser's own buffers (`spill`), whose capacity is reused from event to event.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::mem;

use crate::limits::{Limit, LimitExceeded, Limits};
use crate::line::{next_line_start, parse_retry_bytes, Keep, LineAt, LineReader, Next};
#[cfg(all(target_arch = "x86_64", any(feature = "std", target_feature = "avx2")))]
use crate::scan::avx2::Avx2;
use crate::scan::{Kernel, Scan};
use crate::utf8;

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

/// A dispatched event: what a browser hands to `onmessage` as a `MessageEvent`.
///
/// Its text borrows the fed chunk when the event's only `data` line (and its `event` line) lay
/// inside it, otherwise the parser's buffers; [`Event::into_owned`] detaches it.
///
/// ```
/// use ssewire_parser::{Parser, Step};
/// let mut parser = Parser::new();
/// let (step, _) = parser.feed(b"event: add\ndata: 1\ndata: 2\nid: 7\n\n");
/// let Ok(Step::Event(event)) = step else { panic!() };
/// assert_eq!((event.event_type(), event.data(), event.last_event_id()), ("add", "1\n2", "7"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Event<'a> {
    event_type: Cow<'a, str>,
    data: Cow<'a, str>,
    last_event_id: Cow<'a, str>,
}

impl<'a> Event<'a> {
    /// An event built from its three parts, e.g. to compare with a parsed one.
    ///
    /// ```
    /// let event = ssewire_parser::Event::new("message", "hi", "");
    /// assert_eq!(event.data(), "hi");
    /// ```
    pub fn new(
        event_type: impl Into<Cow<'a, str>>,
        data: impl Into<Cow<'a, str>>,
        last_event_id: impl Into<Cow<'a, str>>,
    ) -> Self {
        Event {
            event_type: event_type.into(),
            data: data.into(),
            last_event_id: last_event_id.into(),
        }
    }

    /// The event type: the last `event` field's value in the block, or `"message"` when there
    /// was none or it was empty.
    ///
    /// ```
    /// # use ssewire_parser::{Parser, Step};
    /// let mut parser = Parser::new();
    /// let Ok(Step::Event(event)) = parser.feed(b"event:\ndata\n\n").0 else { panic!() };
    /// assert_eq!(event.event_type(), "message");
    /// ```
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// The data: the block's `data` values joined by LF (the spec's data buffer without its
    /// final LF). Never absent: a block without `data` dispatches no event.
    ///
    /// ```
    /// # use ssewire_parser::{Parser, Step};
    /// let mut parser = Parser::new();
    /// let Ok(Step::Event(event)) = parser.feed(b"data: a\ndata:\n\n").0 else { panic!() };
    /// assert_eq!(event.data(), "a\n");
    /// ```
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The source's last event ID when this event was dispatched (`MessageEvent.lastEventId`):
    /// set by the latest `id` field so far, in this block or an earlier one.
    ///
    /// ```
    /// # use ssewire_parser::{Parser, Step};
    /// let mut parser = Parser::new();
    /// // The id-only block dispatches nothing, but its id persists to the next event.
    /// let Ok(Step::Event(event)) = parser.feed(b"id: 1\n\ndata: x\n\n").0 else { panic!() };
    /// assert_eq!(event.last_event_id(), "1");
    /// ```
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Whether the data is a borrow (of the chunk or the parser) rather than a fresh copy.
    /// Every event from [`Parser::feed`] borrows; only [`Event::into_owned`] allocates.
    ///
    /// ```
    /// # use ssewire_parser::{Parser, Step};
    /// let mut parser = Parser::new();
    /// let Ok(Step::Event(event)) = parser.feed(b"data: x\n\n").0 else { panic!() };
    /// assert!(event.is_borrowed());
    /// assert!(!event.into_owned().is_borrowed());
    /// ```
    pub fn is_borrowed(&self) -> bool {
        matches!(self.data, Cow::Borrowed(_))
    }

    /// The same event with its own copies of the text, free of the parser and the chunk.
    ///
    /// ```
    /// # use ssewire_parser::{Parser, Step};
    /// let mut parser = Parser::new();
    /// let event = match parser.feed(b"data: x\n\n").0 {
    ///     Ok(Step::Event(event)) => event.into_owned(),
    ///     _ => unreachable!(),
    /// };
    /// drop(parser);
    /// assert_eq!(event.data(), "x");
    /// ```
    pub fn into_owned(self) -> Event<'static> {
        Event {
            event_type: Cow::Owned(self.event_type.into_owned()),
            data: Cow::Owned(self.data.into_owned()),
            last_event_id: Cow::Owned(self.last_event_id.into_owned()),
        }
    }
}

/// Where the block's data (or event type) currently is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Held {
    /// Nothing yet (the spec's empty buffer).
    Empty,
    /// One value, borrowed from the current chunk (a local of `feed`).
    Borrowed,
    /// In the parser's buffer.
    Owned,
}

/// The block being read: the spec's data and event type buffers.
#[derive(Clone, Debug)]
struct Block {
    data: Held,
    /// The data values joined by LF (the spec's buffer minus its final LF) when `Owned`, from
    /// `data_skip` on: a data line carried across chunks becomes this buffer whole, its
    /// `data: ` included, instead of being copied a second time.
    data_buf: String,
    data_skip: usize,
    /// Input bytes of data so far, for [`Limits::event_data`].
    data_len: usize,
    event_type: Held,
    type_buf: String,
    /// A limit was hit: ignore the block's lines up to its blank line, which dispatches nothing.
    discarding: bool,
}

impl Block {
    /// The owned data.
    fn data_text(&self) -> &str {
        self.data_buf.get(self.data_skip..).unwrap_or_default()
    }

    /// The data buffer, emptied, for a block's data to be written from its start.
    fn restart_data(&mut self) -> &mut String {
        self.data_skip = 0;
        self.data_buf.clear();
        &mut self.data_buf
    }

    fn clear(&mut self) {
        self.data = Held::Empty;
        self.data_len = 0;
        self.event_type = Held::Empty;
    }
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
        #[cfg(all(target_arch = "x86_64", any(feature = "std", target_feature = "avx2")))]
        if let Some(avx2) = Avx2::detect() {
            // SAFETY: `avx2` exists, so the CPU has AVX2, which `feed_avx2` is compiled for.
            #[allow(unsafe_code)]
            return unsafe { self.feed_avx2(input, avx2) };
        }
        self.feed_with(Scan::new(input))
    }

    /// [`Parser::feed_scanned`] compiled for AVX2, so that the scan's kernel inlines.
    #[cfg(all(target_arch = "x86_64", any(feature = "std", target_feature = "avx2")))]
    #[target_feature(enable = "avx2")]
    #[allow(unsafe_code)]
    unsafe fn feed_avx2<'a>(
        &'a mut self,
        input: &'a [u8],
        avx2: Avx2,
    ) -> (Result<Step<'a>, LimitExceeded>, usize) {
        self.feed_with(Scan::with_kernel(input, avx2))
    }

    /// The body of [`Parser::feed_scanned`], for each kernel.
    #[inline(always)]
    fn feed_with<'a, K: Kernel>(
        &'a mut self,
        mut scan: Scan<'a, K>,
    ) -> (Result<Step<'a>, LimitExceeded>, usize) {
        let mut pos = 0;
        let step = self.step(&mut scan, &mut pos, true, true);
        (step, pos)
    }

    /// [`Parser::feed`] on `scan`'s chunk from `pos`, moving `pos` past what it used. The scan
    /// lives as long as the chunk, so [`Parser::feed_each`] scans each byte once. `advance`:
    /// the chunk's first `pos` bytes are done with (`feed`'s caller passes the rest next time);
    /// `feed_each` says so once, at the chunk's end, instead. `block_first`: whether to try
    /// `fast_block` at `pos` first; `feed_each` passes `false`, having just tried it there.
    #[inline(always)]
    fn step<'a, 'i: 'a, K: Kernel>(
        &'a mut self,
        scan: &mut Scan<'i, K>,
        pos: &mut usize,
        advance: bool,
        block_first: bool,
    ) -> Result<Step<'a>, LimitExceeded> {
        if mem::take(&mut self.dispatched) {
            self.block.clear();
        }
        let input = scan.input();
        // The block's data and event type while they are single borrowed values (`Held::Borrowed`).
        let mut data: &'i str = "";
        let mut event_type: &'i str = "";
        let mut try_block = block_first;
        let action = loop {
            if self.lines.is_clean() && !self.block.discarding {
                if try_block
                    && self.block.data == Held::Empty
                    && self.block.event_type == Held::Empty
                {
                    let action = self.fast_block::<_, false>(
                        scan,
                        pos,
                        &mut data,
                        &mut event_type,
                        &mut None,
                    );
                    match action {
                        Some(Action::Continue) => continue,
                        Some(action) => break Ok(action),
                        None => {}
                    }
                }
                if let Some(action) = self.fast_lines(scan, pos, &mut data, &mut event_type) {
                    break action;
                }
            }
            try_block = true;
            let action = match self.lines.next(scan, pos, self.keep()) {
                Next::NeedInput => break Ok(Action::NeedInput),
                Next::TooLong(err) => break Err(err),
                Next::Line(LineAt::Input { start, end, ascii }) => self.interpret(
                    &input[start..end],
                    ascii,
                    Some((&mut data, &mut event_type)),
                ),
                Next::Line(LineAt::Carry { ascii }) => {
                    // A carried line starts a call, before anything was borrowed; the carry is
                    // moved out and back so the block can be updated while reading it.
                    self.spill(data, event_type);
                    let carry = mem::take(&mut self.lines.carry);
                    let (action, carry) = self.interpret_carried(carry, ascii);
                    self.lines.carry = carry;
                    action
                }
            };
            match action {
                Action::Continue => continue,
                other => break Ok(other),
            }
        };
        if advance {
            self.lines.advance(*pos);
        }
        let step = match action {
            Ok(Action::Dispatch) => {
                self.dispatched = true;
                return Ok(Step::Event(self.event(data, event_type)));
            }
            Ok(Action::NeedInput | Action::Continue) => Ok(Step::NeedInput),
            Ok(Action::Retry(millis)) => Ok(Step::Retry(millis)),
            Ok(Action::TooMuchData(err)) | Err(err) => {
                self.abandon_block();
                Err(err)
            }
        };
        self.spill(data, event_type);
        step
    }

    /// The block being dispatched as an event; `data` and `event_type` are the values `Held`
    /// as borrowed.
    #[inline(always)]
    fn event<'a>(&'a self, data: &'a str, event_type: &'a str) -> Event<'a> {
        self.event_with_id(data, event_type, &self.last_event_id)
    }

    /// [`Parser::event`] with the last event ID string given: `feed_each` lends it from the
    /// chunk until it copies it.
    #[inline(always)]
    fn event_with_id<'a>(&'a self, data: &'a str, event_type: &'a str, id: &'a str) -> Event<'a> {
        // Matched here rather than through a helper taking all three values: the owned data
        // is only looked up when it is the one used (the borrowed path never reads the buffer).
        let event_type = match self.block.event_type {
            Held::Empty => "message",
            Held::Borrowed => event_type,
            Held::Owned => &self.block.type_buf,
        };
        let data = match self.block.data {
            Held::Empty => "",
            Held::Borrowed => data,
            Held::Owned => self.block.data_text(),
        };
        Event {
            event_type: Cow::Borrowed(event_type),
            data: Cow::Borrowed(data),
            last_event_id: Cow::Borrowed(id),
        }
    }

    /// Sets the last event ID string.
    #[inline(always)]
    fn copy_last_event_id(&mut self, id: &str) {
        self.last_event_id.clear();
        self.last_event_id.push_str(id);
    }

    /// The hottest loop: a whole event block at `*pos`, read into locals and committed to the
    /// parser only at its blank line. Returns `None`, having changed nothing the general path
    /// depends on, for anything out of the ordinary (the chunk ends first, a CR ends the chunk,
    /// a `retry`, invalid UTF-8, a limit): the general path then reads the same lines again.
    /// `data_buf` may be written before a bail-out; it only means something once `Held::Owned`.
    ///
    /// With `LEND_ID`, an `id` field is not copied here: the block's ID is put in `latest_id`
    /// (and the parser's `last_event_id` is then stale) for the caller to copy, so that
    /// `feed_each` copies once per chunk rather than once per event. A block without an `id`
    /// leaves `latest_id` as it was. Without `LEND_ID`, the ID is copied at once and
    /// `latest_id` is not used.
    #[inline(always)]
    fn fast_block<'i, K: Kernel, const LEND_ID: bool>(
        &mut self,
        scan: &mut Scan<'i, K>,
        pos: &mut usize,
        data: &mut &'i str,
        event_type: &mut &'i str,
        latest_id: &mut Option<&'i str>,
    ) -> Option<Action> {
        let input = scan.input();
        let mut at = *pos;
        let mut data_held = Held::Empty;
        let mut data_len = 0usize;
        let mut type_held = Held::Empty;
        let mut id: Option<&'i str> = None;
        loop {
            let (end, ascii) = scan.line_end(at).ok()?;
            let line = &input[at..end];
            if line.len() > self.lines.max_line() {
                return None;
            }
            // A CR ending the chunk: the general path keeps the LF that may follow.
            at = next_line_start(input, end)?;
            let Some((name, value)) = known_field(line) else {
                if line.is_empty() {
                    break;
                }
                // A comment or a field the event level ignores.
                continue;
            };
            let text = utf8::text(value, ascii)?;
            match name {
                Name::Data => {
                    data_len = match data_held {
                        Held::Empty => text.len(),
                        _ => data_len + 1 + text.len(),
                    };
                    if data_len > self.max_event_data {
                        return None;
                    }
                    match data_held {
                        Held::Empty => {
                            *data = text;
                            data_held = Held::Borrowed;
                        }
                        Held::Borrowed => {
                            let buf = self.block.restart_data();
                            buf.push_str(data);
                            buf.push('\n');
                            buf.push_str(text);
                            data_held = Held::Owned;
                        }
                        Held::Owned => {
                            self.block.data_buf.push('\n');
                            self.block.data_buf.push_str(text);
                        }
                    }
                }
                Name::Event => {
                    *event_type = text;
                    type_held = match text.is_empty() {
                        true => Held::Empty,
                        false => Held::Borrowed,
                    };
                }
                Name::Id if !has_nul(text.as_bytes()) => {
                    id = Some(text);
                }
                Name::Id => {}
                Name::Retry => return None,
            }
        }
        // The blank line: commit.
        *pos = at;
        if let Some(id) = id {
            match LEND_ID {
                true => *latest_id = Some(id),
                false => self.copy_last_event_id(id),
            }
            self.id_pending = false;
        } else if mem::take(&mut self.id_pending) {
            // Only the general path sets `id_pending`, and `feed_each` copies a lent ID into
            // the parser before it takes that path.
            debug_assert!(latest_id.is_none(), "a lent ID and a pending one");
            mem::swap(&mut self.last_event_id, &mut self.id_buffer);
        }
        if data_held == Held::Empty {
            return Some(Action::Continue);
        }
        self.block.data = data_held;
        self.block.data_len = data_len;
        self.block.event_type = type_held;
        Some(Action::Dispatch)
    }

    /// The hot loop: while no line spans chunks and nothing unusual is pending (a BOM still
    /// being matched, an LF to swallow after a chunk-ending CR, a line or block being dropped),
    /// takes each complete line straight from the scan. Returns `None` to hand the rest to the
    /// general path (`LineReader::next`): at the chunk's end, or at a line past the line limit.
    #[inline(always)]
    fn fast_lines<'i, K: Kernel>(
        &mut self,
        scan: &mut Scan<'i, K>,
        pos: &mut usize,
        data: &mut &'i str,
        event_type: &mut &'i str,
    ) -> Option<Result<Action, LimitExceeded>> {
        let input = scan.input();
        loop {
            let (end, ascii) = scan.line_end(*pos).ok()?;
            let start = *pos;
            if end - start > self.lines.max_line() {
                return None;
            }
            *pos = match next_line_start(input, end) {
                Some(next) => next,
                None => {
                    // A CR ending the chunk: an LF opening the next one belongs to it.
                    self.lines.skip_lf_next();
                    end + 1
                }
            };
            self.lines.set_line_start(start);
            let line = &input[start..end];
            match self.interpret_inline(line, ascii, Some((&mut *data, &mut *event_type))) {
                Action::Continue => {}
                Action::TooMuchData(err) => return Some(Err(err)),
                other => return Some(Ok(other)),
            }
        }
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
        #[cfg(all(target_arch = "x86_64", any(feature = "std", target_feature = "avx2")))]
        if let Some(avx2) = Avx2::detect() {
            // SAFETY: `avx2` exists, so the CPU has AVX2, which `feed_each_avx2` is compiled
            // for.
            #[allow(unsafe_code)]
            return unsafe { self.feed_each_avx2(chunk, avx2, each) };
        }
        self.feed_each_with(Scan::new(chunk), each);
    }

    /// [`Parser::feed_each_scanned`] compiled for AVX2, so that the scan's kernel inlines.
    #[cfg(all(target_arch = "x86_64", any(feature = "std", target_feature = "avx2")))]
    #[target_feature(enable = "avx2")]
    #[allow(unsafe_code)]
    unsafe fn feed_each_avx2(
        &mut self,
        chunk: &[u8],
        avx2: Avx2,
        each: impl FnMut(Result<Step<'_>, LimitExceeded>),
    ) {
        self.feed_each_with(Scan::with_kernel(chunk, avx2), each);
    }

    /// The body of [`Parser::feed_each_scanned`], for each kernel.
    #[inline(always)]
    fn feed_each_with<K: Kernel>(
        &mut self,
        mut scan: Scan<'_, K>,
        mut each: impl FnMut(Result<Step<'_>, LimitExceeded>),
    ) {
        let chunk = scan.input();
        let mut pos = 0;
        // The last event ID while it is a borrow of `chunk`, not yet copied into the parser.
        let mut chunk_id: Option<&str> = None;
        loop {
            if mem::take(&mut self.dispatched) {
                self.block.clear();
            }
            // Whole blocks straight from the chunk to `each`, without the way through `step`
            // and `Step` per event; anything unusual ends this loop and `step` takes it, not
            // trying `fast_block` on the same lines a second time.
            while self.lines.is_clean()
                && !self.block.discarding
                && self.block.data == Held::Empty
                && self.block.event_type == Held::Empty
            {
                let (mut data, mut event_type) = ("", "");
                match self.fast_block::<_, true>(
                    &mut scan,
                    &mut pos,
                    &mut data,
                    &mut event_type,
                    &mut chunk_id,
                ) {
                    Some(Action::Continue) => {}
                    Some(Action::Dispatch) => {
                        let id = chunk_id.unwrap_or(&self.last_event_id);
                        each(Ok(Step::Event(self.event_with_id(data, event_type, id))));
                        self.block.clear();
                    }
                    _ => break,
                }
            }
            // The general path reads and sets the parser's own last event ID.
            if let Some(id) = chunk_id.take() {
                self.copy_last_event_id(id);
            }
            match self.step(&mut scan, &mut pos, false, false) {
                Ok(Step::NeedInput) => break,
                step => each(step),
            }
        }
        self.lines.advance(chunk.len());
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

    /// Moves borrowed values into the parser's buffers before `feed` returns mid-block.
    fn spill(&mut self, data: &str, event_type: &str) {
        if self.block.data == Held::Borrowed {
            self.block.restart_data().push_str(data);
            self.block.data = Held::Owned;
        }
        if self.block.event_type == Held::Borrowed {
            self.block.type_buf.clear();
            self.block.type_buf.push_str(event_type);
            self.block.event_type = Held::Owned;
        }
    }

    fn abandon_block(&mut self) {
        self.block.clear();
        self.block.discarding = true;
    }

    /// A line carried across chunks: the bytes were copied once, into the carry. When it is the
    /// block's first data line, the carry buffer becomes the data buffer (its `data: ` skipped)
    /// rather than being copied again, and the old data buffer goes back as the next carry, so
    /// the two allocations take turns (each grows to the larger need of the two, then both stay
    /// put). Returns the action and the buffer to carry on with.
    #[inline(never)]
    fn interpret_carried(&mut self, carry: Vec<u8>, ascii: bool) -> (Action, Vec<u8>) {
        let value_len = match known_field(&carry) {
            Some((Name::Data, value))
                if self.block.data == Held::Empty
                    && !self.block.discarding
                    && value.len() <= self.max_event_data =>
            {
                value.len()
            }
            _ => return (self.interpret(&carry, ascii, None), carry),
        };
        let skip = carry.len() - value_len;
        let text = match utf8::into_string(carry, ascii) {
            Ok(text) => text,
            // Invalid UTF-8: the general path decodes it with replacement.
            Err(carry) => return (self.interpret(&carry, ascii, None), carry),
        };
        let block = &mut self.block;
        let mut spare = mem::replace(&mut block.data_buf, text).into_bytes();
        spare.clear();
        block.data_skip = skip;
        block.data = Held::Owned;
        block.data_len = value_len;
        (Action::Continue, spare)
    }

    /// [`Parser::interpret_inline`] for the general path, which need not be inlined.
    #[inline(never)]
    fn interpret<'l>(
        &mut self,
        line: &'l [u8],
        ascii: bool,
        borrow: Option<(&mut &'l str, &mut &'l str)>,
    ) -> Action {
        self.interpret_inline(line, ascii, borrow)
    }

    /// Applies one line. `borrow` holds the feed call's borrowed slots when the line lies in the
    /// chunk (so its values may stay borrowed), `None` when it is a carried line.
    #[inline(always)]
    fn interpret_inline<'l>(
        &mut self,
        line: &'l [u8],
        ascii: bool,
        borrow: Option<(&mut &'l str, &mut &'l str)>,
    ) -> Action {
        if line.is_empty() {
            // Dispatch, step 1: the last event ID string follows the buffer even when nothing
            // is dispatched.
            if mem::take(&mut self.id_pending) {
                mem::swap(&mut self.last_event_id, &mut self.id_buffer);
            }
            let discarded = mem::take(&mut self.block.discarding);
            if self.block.data == Held::Empty || discarded {
                // Step 2: an empty data buffer dispatches nothing (and resets the buffers).
                self.block.clear();
                return Action::Continue;
            }
            return Action::Dispatch;
        }
        if self.block.discarding || line[0] == b':' {
            return Action::Continue;
        }
        let Some((name, value)) = known_field(line) else {
            return Action::Continue;
        };
        match name {
            Name::Data => {
                let block = &mut self.block;
                let len = match block.data {
                    Held::Empty => value.len(),
                    _ => block.data_len.saturating_add(1 + value.len()),
                };
                if len > self.max_event_data {
                    return Action::TooMuchData(LimitExceeded {
                        limit: Limit::EventData,
                        max: self.max_event_data,
                        offset: self.lines.line_start(),
                    });
                }
                block.data_len = len;
                match (block.data, borrow, utf8::text(value, ascii)) {
                    (Held::Empty, Some((data, _)), Some(text)) => {
                        *data = text;
                        block.data = Held::Borrowed;
                    }
                    (Held::Empty, _, _) => {
                        utf8::push_text(block.restart_data(), value, ascii);
                        block.data = Held::Owned;
                    }
                    (Held::Borrowed, Some((data, _)), _) => {
                        let buf = block.restart_data();
                        buf.push_str(data);
                        buf.push('\n');
                        utf8::push_text(&mut block.data_buf, value, ascii);
                        block.data = Held::Owned;
                    }
                    (Held::Borrowed, None, _) => unreachable!("spilled before a carried line"),
                    (Held::Owned, _, _) => {
                        block.data_buf.push('\n');
                        utf8::push_text(&mut block.data_buf, value, ascii);
                    }
                }
            }
            Name::Event => {
                let block = &mut self.block;
                match (borrow, utf8::text(value, ascii)) {
                    _ if value.is_empty() => block.event_type = Held::Empty,
                    (Some((_, event_type)), Some(text)) => {
                        *event_type = text;
                        block.event_type = Held::Borrowed;
                    }
                    _ => {
                        block.type_buf.clear();
                        utf8::push_text(&mut block.type_buf, value, ascii);
                        block.event_type = Held::Owned;
                    }
                }
            }
            // An id holding NUL is ignored whole.
            Name::Id if !has_nul(value) => {
                self.id_buffer.clear();
                utf8::push_text(&mut self.id_buffer, value, ascii);
                self.id_pending = true;
            }
            Name::Id => {}
            Name::Retry => {
                if let Some(millis) = parse_retry_bytes(value) {
                    self.reconnection_time = Some(millis);
                    return Action::Retry(millis);
                }
            }
        }
        Action::Continue
    }
}

/// Whether an `id` value holds U+0000 (then the field is ignored). Folded rather than searched:
/// ids are short, and this compiles to a vector loop.
#[inline(always)]
fn has_nul(value: &[u8]) -> bool {
    value.iter().fold(false, |nul, &byte| nul | (byte == 0))
}

/// The fields the event level acts on.
#[derive(Clone, Copy)]
enum Name {
    Data,
    Event,
    Id,
    Retry,
}

/// A non-blank, non-comment line's field, when its name is one the event level acts on, with
/// the value (one leading space removed). Matches the name once, on the line's first bytes: the
/// name runs to the first colon, so a line is `data` exactly when it is `data` or starts `data:`.
#[inline(always)]
fn known_field(line: &[u8]) -> Option<(Name, &[u8])> {
    // Fixed-length compares, one per arm, so each is a single load and compare.
    let (name, rest) = match line.first()? {
        b'd' if line.first_chunk() == Some(b"data") => (Name::Data, &line[4..]),
        b'e' if line.first_chunk() == Some(b"event") => (Name::Event, &line[5..]),
        b'i' if line.first_chunk() == Some(b"id") => (Name::Id, &line[2..]),
        b'r' if line.first_chunk() == Some(b"retry") => (Name::Retry, &line[5..]),
        _ => return None,
    };
    match rest.split_first() {
        None => Some((name, rest)),
        Some((b':', value)) => Some((name, value.strip_prefix(b" ").unwrap_or(value))),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    //! The scan's kernels (SSE2 or SWAR everywhere, AVX2 where the CPU has it) must give the
    //! parser the same steps. The public API uses the one the CPU runs, so the other is reached
    //! here, through the bodies the dispatch calls.
    use super::*;
    use crate::scan::Baseline;
    use alloc::format;
    use alloc::string::String;
    use alloc::vec;
    use alloc::vec::Vec;

    /// What a stream yields, chunk by chunk: each step and error, and the last event ID and
    /// reconnection time after every chunk.
    type Trace = Vec<String>;

    fn note_chunk_end(parser: &Parser, trace: &mut Trace) {
        trace.push(format!(
            "end id={:?} retry={:?}",
            parser.last_event_id(),
            parser.reconnection_time()
        ));
    }

    fn through_feed<K: Kernel>(limits: Limits, kernel: Option<K>, chunks: &[&[u8]]) -> Trace {
        let mut parser = Parser::with_limits(limits);
        let mut trace = Trace::new();
        for chunk in chunks {
            let mut rest = *chunk;
            loop {
                let (step, used) = match kernel {
                    Some(kernel) => parser.feed_with(Scan::with_kernel(rest, kernel)),
                    None => parser.feed(rest),
                };
                rest = &rest[used..];
                match step {
                    Ok(Step::NeedInput) => break,
                    step => trace.push(format!("{step:?}")),
                }
            }
            note_chunk_end(&parser, &mut trace);
        }
        trace
    }

    fn through_feed_each<K: Kernel>(limits: Limits, kernel: Option<K>, chunks: &[&[u8]]) -> Trace {
        let mut parser = Parser::with_limits(limits);
        let mut trace = Trace::new();
        for chunk in chunks {
            let each = |step: Result<Step<'_>, LimitExceeded>| trace.push(format!("{step:?}"));
            match kernel {
                Some(kernel) => parser.feed_each_with(Scan::with_kernel(chunk, kernel), each),
                None => parser.feed_each(chunk, each),
            }
            note_chunk_end(&parser, &mut trace);
        }
        trace
    }

    /// A stream of SSE-shaped pieces: every field, comments, lines of every length around the
    /// 64-byte blocks (and past them), all three line ends, non-ASCII, invalid UTF-8 and NUL.
    fn stream(seed: u64) -> Vec<u8> {
        const PIECES: &[&[u8]] = &[
            b"data: ",
            b"data:",
            b"id: ",
            b"event: ",
            b"retry: 1500",
            b"retry: 15x",
            b": keep-alive",
            b"dat",
            b"\xC3\xA9t\xC3\xA9",
            b"\xFF\xFE",
            b"\0",
            b"\n",
            b"\n",
            b"\n\n",
            b"\r",
            b"\r\n",
            b"\r\n\r\n",
            b"{\"k\":1}",
        ];
        let mut state = seed | 1;
        let mut out = Vec::new();
        for _ in 0..120 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state % 24 {
                n if (n as usize) < PIECES.len() => out.extend_from_slice(PIECES[n as usize]),
                // Runs of plain text that end inside, at and past block edges.
                n => out.extend(
                    core::iter::repeat(b'x').take((state >> 8) as usize % 200 + n as usize),
                ),
            }
        }
        out
    }

    #[test]
    fn every_kernel_gives_the_steps_of_the_public_api_at_every_chunking() {
        let avx2 = crate::scan::avx2_for_tests();
        if avx2.is_none() {
            // Nothing to compare the baseline with; the public API runs the baseline here.
            std::eprintln!("this CPU has no AVX2: only the baseline kernel is checked");
        }
        // Under Miri (scripts/miri.sh), a few streams at a few chunkings: it checks memory, not
        // arithmetic, and the full sweep would take it hours.
        let seeds = if cfg!(miri) { 1..3u64 } else { 1..60u64 };
        for seed in seeds {
            let bytes = stream(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            for limits in [
                Limits::default(),
                Limits::default()
                    .max_line_bytes(150)
                    .max_event_data_bytes(400),
            ] {
                let sizes = match cfg!(miri) {
                    true => vec![7, 64, bytes.len().max(1)],
                    false => vec![1, 3, 16, 63, 64, 65, 200, bytes.len().max(1)],
                };
                for size in sizes {
                    let chunks: Vec<&[u8]> = bytes.chunks(size).collect();
                    let public = through_feed::<Baseline>(limits, None, &chunks);
                    assert_eq!(
                        through_feed(limits, Some(Baseline), &chunks),
                        public,
                        "feed, baseline, seed {seed}, chunks of {size}"
                    );
                    let public_each = through_feed_each::<Baseline>(limits, None, &chunks);
                    assert_eq!(
                        through_feed_each(limits, Some(Baseline), &chunks),
                        public_each,
                        "feed_each, baseline, seed {seed}, chunks of {size}"
                    );
                    if let Some(avx2) = avx2 {
                        assert_eq!(
                            through_feed(limits, Some(avx2), &chunks),
                            public,
                            "feed, AVX2, seed {seed}, chunks of {size}"
                        );
                        assert_eq!(
                            through_feed_each(limits, Some(avx2), &chunks),
                            public_each,
                            "feed_each, AVX2, seed {seed}, chunks of {size}"
                        );
                    }
                }
            }
        }
    }
}
