//! `checked-lines`: `block-lines` plus every check the spec asks of a parser that `block-lines`
//! skips, each done the plain way, so that the benchmark run itself says what those checks
//! cost. Not a parser to use: it has no API beyond [`SseParser`], keeps no early exit, and its
//! only limits are the two the benchmarks' parsers are given (none).
//!
//! What it adds to `block-lines`, and why each is required:
//! - CR and CRLF end lines as LF does, also a CR that ends one chunk before an LF opens the
//!   next (the masks mark both bytes; a CRLF's LF is skipped);
//! - one BOM at the stream's start is dropped, also when it arrives split;
//! - the field name runs to the first colon and one leading space of the value is dropped, so
//!   `data:x` and a lone `data` are data lines too; `event` and `retry` are read, not ignored;
//! - lines holding a byte ≥ 0x80 are UTF-8 validated (the block masks flag them, as ours do),
//!   invalid ones decoded with replacement;
//! - an `id` holding NUL is ignored; the last event ID is set at the blank line, not at `id`;
//! - a line or event longer than its limit is refused and its block dropped.
//!
//! Like `block-lines` it borrows a block's single data line (and its type) from the chunk,
//! copies them when the chunk ends mid-block, copies the ID at each `id` line, and reports
//! bytes it has validated to [`Sink::event_bytes`] without converting them to `str` again.
//! Run through the corpus (`peer-adapter checked-lines`), it is judged like any parser.

use std::mem;

use bytes::Bytes;
use wide::u8x16;

use crate::{Sink, SseParser};

/// The reference, behind the harness's parser shape.
pub struct CheckedLines;

impl SseParser for CheckedLines {
    const NAME: &'static str = "checked-lines";
    const CRATE: &'static str = "(reference loop)";
    const VERSION: &'static str = "-";
    const HOW: &'static str =
        "block-lines plus the spec's checks (CR, BOM, field names, UTF-8, NUL ids, limits)";

    fn parse<S: Sink>(chunks: &[Bytes], sink: &mut S) {
        let mut state = Checked::new(usize::MAX, usize::MAX);
        for chunk in chunks {
            state.chunk(chunk, sink);
        }
    }
}

const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// The state kept between chunks.
struct Checked {
    /// A line that spans chunks, so far.
    carry: Vec<u8>,
    /// The carried line passed the line limit: drop it up to its end.
    dropping_line: bool,
    /// The last chunk ended with CR: an LF opening the next ends no line.
    skip_lf: bool,
    /// BOM bytes matched at the stream's start; `None` once decided.
    bom: Option<usize>,
    /// The data buffer, once it is not one line borrowed from the chunk.
    joined: Vec<u8>,
    data_lines: usize,
    data_len: usize,
    /// The event type, once it is not borrowed from the chunk; used when `type_owned`.
    owned_type: Vec<u8>,
    type_owned: bool,
    id_buffer: Vec<u8>,
    id_pending: bool,
    last_event_id: Vec<u8>,
    /// A limit was hit: ignore the block's lines up to its blank line.
    discarding: bool,
    max_line: usize,
    max_data: usize,
}

/// A block's data line and event type while they are borrowed from the current chunk.
#[derive(Default)]
struct Slots<'c> {
    data: Option<&'c [u8]>,
    event_type: Option<&'c [u8]>,
}

/// A line's field, when it is one the event level acts on.
enum Field<'l> {
    Blank,
    Data(&'l [u8]),
    Event(&'l [u8]),
    Id(&'l [u8]),
    Retry(&'l [u8]),
    /// A comment, or a field with another name.
    Ignored,
}

/// The field of `line`: the name runs to the first colon, so a line is `data` exactly when it
/// is `data` or starts `data:`; one space after the colon is dropped.
#[inline(always)]
fn field(line: &[u8]) -> Field<'_> {
    let (name_len, which) = match line.first() {
        None => return Field::Blank,
        Some(b'd') if line.starts_with(b"data") => (4, 0),
        Some(b'e') if line.starts_with(b"event") => (5, 1),
        Some(b'i') if line.starts_with(b"id") => (2, 2),
        Some(b'r') if line.starts_with(b"retry") => (5, 3),
        _ => return Field::Ignored,
    };
    let value = match line[name_len..].split_first() {
        None => &[][..],
        Some((b':', value)) => value.strip_prefix(b" ").unwrap_or(value),
        Some(_) => return Field::Ignored,
    };
    match which {
        0 => Field::Data(value),
        1 => Field::Event(value),
        2 => Field::Id(value),
        _ => Field::Retry(value),
    }
}

/// Line ends (CR or LF) and bytes ≥ 0x80 of a 64-byte block, one bit per byte, through `wide`'s
/// SSE2 vectors as `block-lines`' mask is.
#[inline(always)]
fn masks(block: &[u8; 64]) -> (u64, u64) {
    let (line_feed, carriage_return) = (u8x16::splat(b'\n'), u8x16::splat(b'\r'));
    let (mut ends, mut high) = (0u64, 0u64);
    for (index, lane) in block.chunks_exact(16).enumerate() {
        let lane = u8x16::new(lane.try_into().expect("16 bytes"));
        let is_end = lane.simd_eq(line_feed) | lane.simd_eq(carriage_return);
        ends |= u64::from(is_end.to_bitmask()) << (16 * index);
        high |= u64::from(lane.to_bitmask()) << (16 * index);
    }
    (ends, high)
}

/// Bits `from..to` of a mask (`from <= to <= 64`).
#[inline(always)]
fn bits(from: usize, to: usize) -> u64 {
    let below = |n: usize| match n {
        64 => u64::MAX,
        n => (1u64 << n) - 1,
    };
    below(to) & !below(from)
}

impl Checked {
    fn new(max_line: usize, max_data: usize) -> Self {
        Checked {
            carry: Vec::new(),
            dropping_line: false,
            skip_lf: false,
            bom: Some(0),
            joined: Vec::new(),
            data_lines: 0,
            data_len: 0,
            owned_type: Vec::new(),
            type_owned: false,
            id_buffer: Vec::new(),
            id_pending: false,
            last_event_id: Vec::new(),
            discarding: false,
            max_line,
            max_data,
        }
    }

    fn chunk<S: Sink>(&mut self, chunk: &[u8], sink: &mut S) {
        if chunk.is_empty() {
            return;
        }
        let mut start = 0;
        if let Some(matched) = self.bom {
            let need = &BOM[matched..];
            let n = need.len().min(chunk.len());
            if chunk[..n] != need[..n] {
                // The bytes held back as a possible BOM were the first line's.
                self.carry.extend_from_slice(&BOM[..matched]);
                self.bom = None;
            } else if matched + n == BOM.len() {
                self.bom = None;
                start = n;
            } else {
                self.bom = Some(matched + n);
                return;
            }
        }
        if mem::take(&mut self.skip_lf) && chunk.get(start) == Some(&b'\n') {
            start += 1;
        }
        let mut slots = Slots::default();
        let mut carried = !self.carry.is_empty() || self.dropping_line;
        // Bytes ≥ 0x80 in the open line, in blocks before the current one.
        let mut line_high = false;
        let mut base = 0;
        while base < chunk.len() {
            let (mut ends, high) = match chunk[base..].first_chunk::<64>() {
                Some(block) => masks(block),
                None => {
                    let mut padded = [0u8; 64];
                    padded[..chunk.len() - base].copy_from_slice(&chunk[base..]);
                    masks(&padded)
                }
            };
            while ends != 0 {
                let end = base + ends.trailing_zeros() as usize;
                ends &= ends - 1;
                if end < start {
                    // A CRLF's LF, or the LF after the last chunk's CR.
                    continue;
                }
                let next = match (chunk[end], chunk.get(end + 1)) {
                    (b'\r', Some(b'\n')) => end + 2,
                    (b'\r', None) => {
                        self.skip_lf = true;
                        end + 1
                    }
                    _ => end + 1,
                };
                let ascii = !line_high && high & bits(start.saturating_sub(base), end - base) == 0;
                line_high = false;
                if mem::take(&mut carried) {
                    self.end_carried(&chunk[..end], sink);
                } else if end - start > self.max_line {
                    self.too_long(&mut slots, sink);
                } else {
                    self.line_in_chunk(&chunk[start..end], ascii, &mut slots, sink);
                }
                start = next;
            }
            if start < base + 64 {
                line_high |= high & bits(start.saturating_sub(base), 64) != 0;
            }
            base += 64;
        }
        if start < chunk.len() {
            if !self.dropping_line {
                self.carry.extend_from_slice(&chunk[start..]);
            }
            if self.carry.len() > self.max_line {
                self.carry.clear();
                self.dropping_line = true;
                self.too_long(&mut slots, sink);
            }
        }
        self.spill(&mut slots);
    }

    /// The carried line, ended by `head`, this chunk's bytes up to its first line end.
    fn end_carried<S: Sink>(&mut self, head: &[u8], sink: &mut S) {
        if mem::take(&mut self.dropping_line) {
            return;
        }
        let mut carry = mem::take(&mut self.carry);
        carry.extend_from_slice(head);
        if carry.len() > self.max_line {
            self.too_long(&mut Slots::default(), sink);
        } else {
            self.line_owned(&carry, sink);
        }
        carry.clear();
        self.carry = carry;
    }

    /// A line in the chunk, whose values may stay borrowed.
    #[inline(always)]
    fn line_in_chunk<'c, S: Sink>(
        &mut self,
        line: &'c [u8],
        ascii: bool,
        slots: &mut Slots<'c>,
        sink: &mut S,
    ) {
        if !ascii && std::str::from_utf8(line).is_err() {
            let decoded = String::from_utf8_lossy(line).into_owned();
            self.spill(slots);
            self.line_owned(decoded.as_bytes(), sink);
            return;
        }
        self.apply(line, slots, true, sink);
    }

    /// A line held outside the chunk (carried, or decoded with replacement): its values are
    /// copied.
    fn line_owned<S: Sink>(&mut self, line: &[u8], sink: &mut S) {
        let decoded;
        let line = match std::str::from_utf8(line) {
            Ok(_) => line,
            Err(_) => {
                decoded = String::from_utf8_lossy(line).into_owned();
                decoded.as_bytes()
            }
        };
        self.apply(line, &mut Slots::default(), false, sink);
    }

    /// The spec's field rules for one valid UTF-8 line.
    #[inline(always)]
    fn apply<'l, S: Sink>(
        &mut self,
        line: &'l [u8],
        slots: &mut Slots<'l>,
        can_borrow: bool,
        sink: &mut S,
    ) {
        let field = field(line);
        if self.discarding && !matches!(field, Field::Blank) {
            return;
        }
        match field {
            Field::Blank => self.dispatch(slots, sink),
            Field::Ignored => {}
            Field::Data(value) => {
                let len = match self.data_lines {
                    0 => value.len(),
                    _ => self.data_len.saturating_add(1 + value.len()),
                };
                if len > self.max_data {
                    sink.error("event data over its limit");
                    self.abandon(slots);
                    return;
                }
                self.data_len = len;
                super::push_data(
                    &mut self.joined,
                    self.data_lines,
                    &mut slots.data,
                    value,
                    can_borrow,
                );
                self.data_lines += 1;
            }
            Field::Event(value) => {
                slots.event_type = None;
                self.type_owned = false;
                match (value.is_empty(), can_borrow) {
                    (true, _) => {}
                    (false, true) => slots.event_type = Some(value),
                    (false, false) => {
                        self.owned_type.clear();
                        self.owned_type.extend_from_slice(value);
                        self.type_owned = true;
                    }
                }
            }
            Field::Id(value) => {
                if !value.contains(&0) {
                    self.id_buffer.clear();
                    self.id_buffer.extend_from_slice(value);
                    self.id_pending = true;
                }
            }
            Field::Retry(value) => {
                if !value.is_empty() && value.iter().all(u8::is_ascii_digit) {
                    let millis = value.iter().fold(0u64, |millis, &digit| {
                        millis
                            .saturating_mul(10)
                            .saturating_add(u64::from(digit - b'0'))
                    });
                    sink.retry(millis);
                }
            }
        }
    }

    /// A blank line: the last event ID follows its buffer, then an event if there is data.
    fn dispatch<S: Sink>(&mut self, slots: &mut Slots<'_>, sink: &mut S) {
        if mem::take(&mut self.id_pending) {
            mem::swap(&mut self.last_event_id, &mut self.id_buffer);
        }
        let dispatches = !mem::take(&mut self.discarding) && self.data_lines > 0;
        if dispatches {
            let data = slots.data.unwrap_or(&self.joined);
            let event_type = match (slots.event_type, self.type_owned) {
                (Some(borrowed), _) => borrowed,
                (None, true) => &self.owned_type,
                (None, false) => b"message",
            };
            sink.event_bytes(event_type, data, &self.last_event_id);
        }
        *slots = Slots::default();
        self.data_lines = 0;
        self.data_len = 0;
        self.type_owned = false;
    }

    fn too_long<S: Sink>(&mut self, slots: &mut Slots<'_>, sink: &mut S) {
        sink.error("line over its limit");
        self.abandon(slots);
    }

    /// A limit was hit: the block's lines up to its blank line are ignored.
    fn abandon(&mut self, slots: &mut Slots<'_>) {
        *slots = Slots::default();
        self.data_lines = 0;
        self.data_len = 0;
        self.type_owned = false;
        self.discarding = true;
    }

    /// Copies borrowed values before the chunk they borrow goes.
    fn spill(&mut self, slots: &mut Slots<'_>) {
        if let Some(data) = slots.data.take() {
            self.joined.clear();
            self.joined.extend_from_slice(data);
        }
        if let Some(event_type) = slots.event_type.take() {
            self.owned_type.clear();
            self.owned_type.extend_from_slice(event_type);
            self.type_owned = true;
        }
    }
}
