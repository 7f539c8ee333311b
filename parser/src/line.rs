//! Line level: the private line reader that finds lines in pushed chunks, shared by the field
//! level ([`crate::FieldParser`]) and the event level ([`crate::Parser`]).
//!
//! How the machine works (change these together):
//! - [`LineReader::next`] takes line ends from the chunk's [`Scan`] (64-byte blocks of masks),
//!   so no byte is looked at twice; [`LineReader::take_short`] takes a chunk of a few bytes that
//!   ends no line without one. A line wholly inside the chunk is reported as a range of it (borrowed by the
//!   caller); a line split across chunks is gathered in `carry` and reported from there.
//! - A CR ends a line at once, even as the chunk's last byte; `skip_lf` then swallows an LF that
//!   opens the next chunk, so CRLF split across chunks is still one line end. An LF right after
//!   the CR in the same chunk is consumed with it.
//! - The BOM is a state (`bom_matched`), so a BOM split 1|2 or 2|1 across chunks is still
//!   stripped; bytes that began like a BOM but were not one go back to the front of the first line.
//! - Only *kept* lines are buffered and limited. `Keep` says which: everything (field level),
//!   known fields only (event level: a line is dropped as soon as its name cannot be `data`,
//!   `event`, `id` or `retry`, so a long comment or unknown field costs no memory), or blank lines
//!   only (while a block is being discarded after a limit error).
//! - A kept line past the line cap is reported once as [`LimitExceeded`] and the rest of it is
//!   dropped (`discarding`); the check is on the line's total length, so it fires for the same
//!   line whatever the chunking.

use alloc::vec::Vec;

use crate::limits::{Limit, LimitExceeded, Limits};
use crate::scan::{Kernel, Scan};

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
/// `bom_matched` once the stream's first bytes have been decided on.
const BOM_DECIDED: u8 = u8::MAX;
/// The field names the event level acts on.
const KNOWN_NAMES: [&[u8]; 4] = [b"data", b"event", b"id", b"retry"];
/// Bytes of a line start enough to tell whether its name can be a known one: the longest known
/// name plus its colon.
const NAME_PROBE: usize = 6;

/// Chunks shorter than this that end no line skip the scan (`LineReader::take_short`).
const SHORT_CHUNK: usize = 16;

/// Which lines the reader buffers when they span chunks (and limits).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Keep {
    All,
    KnownFields,
    BlankOnly,
}

/// Where a reported line's bytes are.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum LineAt {
    /// `input[start..end]` of the chunk being fed; `ascii` when the scan saw no byte ≥ 0x80 in it.
    Input {
        start: usize,
        end: usize,
        ascii: bool,
    },
    /// The reader's `carry` buffer (valid until the next call to `next`); `ascii` as above.
    Carry { ascii: bool },
}

pub(crate) enum Next {
    Line(LineAt),
    NeedInput,
    TooLong(LimitExceeded),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Decision {
    Keep,
    Drop,
    Undecided,
}

/// Whether a line whose first bytes are `head` then `tail` is one to keep under `keep`.
/// `complete` says the line ends after `tail`. (A blank line is never too long nor partial, so
/// what this says of one does not matter.)
fn decide(keep: Keep, head: &[u8], tail: &[u8], complete: bool) -> Decision {
    match keep {
        Keep::All => return Decision::Keep,
        Keep::BlankOnly => return Decision::Drop,
        Keep::KnownFields => {}
    }
    let mut probe = [0u8; NAME_PROBE];
    let mut len = 0;
    for (slot, &byte) in probe.iter_mut().zip(head.iter().chain(tail)) {
        *slot = byte;
        len += 1;
    }
    let probe = &probe[..len];
    let known = |name: &[u8]| KNOWN_NAMES.contains(&name);
    // At most six bytes: a plain loop, not a call into memchr's dispatch.
    match probe.iter().position(|&byte| byte == b':') {
        // A leading colon makes a comment.
        Some(0) => Decision::Drop,
        Some(colon) if known(&probe[..colon]) => Decision::Keep,
        Some(_) => Decision::Drop,
        None if complete => match known(probe) {
            true => Decision::Keep,
            false => Decision::Drop,
        },
        // Five bytes without a colon may still become `retry:`; six cannot be a known name.
        None if len < NAME_PROBE => Decision::Undecided,
        None => Decision::Drop,
    }
}

/// Appends `bytes` to `carry`, growing it by doubling but never past `max` bytes of capacity
/// (when the line cap is finite), so a hostile line costs at most the cap.
#[inline(always)]
fn append_bounded(carry: &mut Vec<u8>, bytes: &[u8], max: usize) {
    let needed = carry.len() + bytes.len();
    if needed > carry.capacity() {
        let target = needed.max(carry.capacity() * 2).min(max.max(needed));
        carry.reserve_exact(target - carry.len());
    }
    carry.extend_from_slice(bytes);
}

/// Where the line after the one ending at `input[end]` (a CR or LF) starts; `None` when a CR
/// is the chunk's last byte, so whether an LF follows is not known yet.
#[inline(always)]
pub(crate) fn next_line_start(input: &[u8], end: usize) -> Option<usize> {
    let next = match input[end] {
        b'\r' => match input.get(end + 1)? {
            b'\n' => end + 2,
            _ => end + 1,
        },
        _ => end + 1,
    };
    // A start at or before the line end would read the same line for ever: fail at once.
    debug_assert!(next > end, "line start {next} not past the line end {end}");
    Some(next)
}

/// Finds lines; shared by [`crate::FieldParser`] and [`crate::Parser`].
#[derive(Clone, Debug)]
pub(crate) struct LineReader {
    /// A kept line's bytes seen so far, when it spans chunks.
    pub(crate) carry: Vec<u8>,
    /// `carry` holds a complete line that was handed out; clear it before going on.
    carry_is_line: bool,
    /// Every byte in `carry` is below 0x80, as the scan (or the BOM logic) saw them appended.
    carry_ascii: bool,
    /// `carry` is the start of a line already decided to be kept: a line arriving in tiny
    /// chunks is then not asked about its name again at every chunk.
    carry_kept: bool,
    skip_lf: bool,
    bom_matched: u8,
    /// The rest of the current line is dropped.
    discarding: bool,
    /// Stream offset of the current line's first byte.
    line_start: u64,
    /// Stream offset of the current chunk's first byte.
    chunk_start: u64,
    max_line: usize,
}

impl LineReader {
    pub(crate) fn new(limits: &Limits) -> Self {
        LineReader {
            carry: Vec::new(),
            carry_is_line: false,
            carry_ascii: true,
            carry_kept: false,
            skip_lf: false,
            bom_matched: 0,
            discarding: false,
            line_start: 0,
            chunk_start: 0,
            max_line: limits.line(),
        }
    }

    /// Forgets the stream: the next byte is the first of a new one.
    pub(crate) fn reset(&mut self) {
        self.clear_carry();
        self.skip_lf = false;
        self.bom_matched = 0;
        self.discarding = false;
        self.line_start = 0;
        self.chunk_start = 0;
    }

    /// Records that the caller used `used` bytes of the current chunk and will pass the rest
    /// (or a new chunk) next time.
    pub(crate) fn advance(&mut self, used: usize) {
        self.chunk_start += used as u64;
    }

    /// Stream offset of the line being read (or just reported).
    pub(crate) fn line_start(&self) -> u64 {
        self.line_start
    }

    /// Nothing is pending between lines: no carried bytes, no LF to swallow, the BOM decided,
    /// no line being dropped. Then a complete line in the chunk needs none of `next`'s cases.
    #[inline(always)]
    pub(crate) fn is_clean(&self) -> bool {
        self.carry.is_empty()
            && !self.skip_lf
            && self.bom_matched == BOM_DECIDED
            && !self.discarding
    }

    /// For the event level's fast path: the line it takes starts at `pos` of the chunk.
    #[inline(always)]
    pub(crate) fn set_line_start(&mut self, pos: usize) {
        self.line_start = self.chunk_start + pos as u64;
    }

    /// For the event level's fast path: the chunk ended in a CR, so an LF opening the next
    /// chunk belongs to it.
    #[inline(always)]
    pub(crate) fn skip_lf_next(&mut self) {
        self.skip_lf = true;
    }

    /// The line cap.
    #[inline(always)]
    pub(crate) fn max_line(&self) -> usize {
        self.max_line
    }

    fn too_long(&self) -> LimitExceeded {
        LimitExceeded {
            limit: Limit::Line,
            max: self.max_line,
            offset: self.line_start,
        }
    }

    /// Takes all of `input` when it is a few bytes that end no line and nothing but that line
    /// is pending: the common call of a stream trickling in a few bytes per chunk, answered
    /// without building a scan or walking `next`'s cases. Returns `false` when `next` must
    /// look (a line end, a limit to report), having done nothing but what `next` does first.
    #[inline(always)]
    pub(crate) fn take_short(&mut self, input: &[u8], keep: Keep) -> bool {
        if input.len() >= SHORT_CHUNK || self.skip_lf || self.bom_matched != BOM_DECIDED {
            return false;
        }
        let mut bits = 0;
        for &byte in input {
            if byte == b'\n' || byte == b'\r' {
                return false;
            }
            bits |= byte;
        }
        if self.carry_is_line {
            self.clear_carry();
        }
        if self.discarding {
            return true;
        }
        if self.carry.len() + input.len() > self.max_line {
            return false;
        }
        if self.carry_kept && keep != Keep::BlankOnly {
            // The line's name was decided at an earlier chunk: only the bytes to add.
            append_bounded(&mut self.carry, input, self.max_line);
            self.carry_ascii &= bits < 0x80;
            return true;
        }
        if self.carry.is_empty() {
            self.line_start = self.chunk_start;
        }
        let err = self.hold_partial(input, bits < 0x80, keep);
        debug_assert!(err.is_none(), "within the cap, checked above");
        true
    }

    /// The next complete line at or after `input[*pos]`, moving `pos` past its line end.
    /// The general path: kept out of line so the event level's fast paths stay tight.
    #[inline(never)]
    pub(crate) fn next<K: Kernel>(
        &mut self,
        scan: &mut Scan<'_, K>,
        pos: &mut usize,
        keep: Keep,
    ) -> Next {
        let input = scan.input();
        if self.carry_is_line {
            self.clear_carry();
        }
        loop {
            let Some(&first) = input.get(*pos) else {
                return Next::NeedInput;
            };
            if self.skip_lf {
                self.skip_lf = false;
                if first == b'\n' {
                    *pos += 1;
                    continue;
                }
            }
            if self.bom_matched != BOM_DECIDED {
                if first == BOM[usize::from(self.bom_matched)] {
                    *pos += 1;
                    self.bom_matched += 1;
                    if usize::from(self.bom_matched) == BOM.len() {
                        self.bom_matched = BOM_DECIDED;
                    }
                    continue;
                }
                // Not a BOM after all: what matched so far starts the first line.
                let matched = &BOM[..usize::from(self.bom_matched)];
                self.carry.extend_from_slice(matched);
                self.carry_ascii &= matched.is_empty();
                self.bom_matched = BOM_DECIDED;
            }
            if self.carry.is_empty() && !self.discarding {
                self.line_start = self.chunk_start + *pos as u64;
            }
            let rest = &input[*pos..];
            let (end, ascii) = match scan.line_end(*pos) {
                Ok(found) => found,
                Err(ascii) => {
                    *pos = input.len();
                    if !self.discarding {
                        if let Some(err) = self.hold_partial(rest, ascii, keep) {
                            return Next::TooLong(err);
                        }
                    }
                    return Next::NeedInput;
                }
            };
            let start = *pos;
            let len = end - start;
            // A CRLF inside the chunk is consumed whole here, so the reader is clean again
            // for the fast paths (leaving the LF to the next call kept a CRLF stream on this
            // general path for good); only a CR that ends the chunk leaves an LF to swallow.
            (*pos, self.skip_lf) = match next_line_start(input, end) {
                Some(next) => (next, false),
                None => (end + 1, true),
            };
            debug_assert!(*pos > end, "the reader did not move past a line end");
            if self.discarding {
                self.discarding = false;
                continue;
            }
            let line = &rest[..len];
            if self.carry.is_empty() {
                if len > self.max_line && decide(keep, &[], line, true) == Decision::Keep {
                    return Next::TooLong(self.too_long());
                }
                return Next::Line(LineAt::Input { start, end, ascii });
            }
            if self.carry.len() + len > self.max_line
                && decide(keep, &self.carry, line, true) == Decision::Keep
            {
                self.release_carry();
                return Next::TooLong(self.too_long());
            }
            append_bounded(&mut self.carry, line, self.max_line);
            self.carry_ascii &= ascii;
            self.carry_is_line = true;
            return Next::Line(LineAt::Carry {
                ascii: self.carry_ascii,
            });
        }
    }

    /// Keeps (or drops) the start of a line that the chunk ends in the middle of.
    /// `ascii` says whether the scan saw only ASCII in `rest`.
    fn hold_partial(&mut self, rest: &[u8], ascii: bool, keep: Keep) -> Option<LimitExceeded> {
        let decision = match self.carry_kept && keep != Keep::BlankOnly {
            true => Decision::Keep,
            false => decide(keep, &self.carry, rest, false),
        };
        if decision == Decision::Drop {
            self.clear_carry();
            self.discarding = true;
            return None;
        }
        // An undecided start is at most five bytes: buffer it even past a tiny cap, because
        // whether the cap applies depends on bytes not seen yet.
        if decision == Decision::Keep && self.carry.len() + rest.len() > self.max_line {
            self.release_carry();
            self.discarding = true;
            return Some(self.too_long());
        }
        append_bounded(&mut self.carry, rest, self.max_line);
        self.carry_ascii &= ascii;
        // Not for an empty `rest`: a kept carry means a line has started (and `line_start` is
        // its offset).
        self.carry_kept = decision == Decision::Keep && !self.carry.is_empty();
        None
    }

    /// Empties the carry, keeping its memory for the next line.
    fn clear_carry(&mut self) {
        self.carry.clear();
        self.carry_is_line = false;
        self.carry_ascii = true;
        self.carry_kept = false;
    }

    /// Drops the carry and its memory: after a hostile line, do not keep its buffer around.
    fn release_carry(&mut self) {
        self.carry = Vec::new();
        self.carry_is_line = false;
        self.carry_ascii = true;
        self.carry_kept = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crlf_inside_the_chunk_leaves_the_reader_clean_and_one_at_its_end_does_not() {
        let limits = Limits::default();
        let mut reader = LineReader::new(&limits);
        let input = b"a\r\nb\r";
        let mut scan = Scan::new(input);
        let mut pos = 0;
        let first = reader.next(&mut scan, &mut pos, Keep::All);
        assert!(matches!(
            first,
            Next::Line(LineAt::Input {
                start: 0,
                end: 1,
                ..
            })
        ));
        // The LF was consumed with its CR, so the event level's fast paths may take over.
        assert_eq!(pos, 3);
        assert!(reader.is_clean());
        let second = reader.next(&mut scan, &mut pos, Keep::All);
        assert!(matches!(
            second,
            Next::Line(LineAt::Input {
                start: 3,
                end: 4,
                ..
            })
        ));
        // A CR ending the chunk: the next chunk's LF may belong to it.
        assert_eq!(pos, 5);
        assert!(!reader.is_clean());
    }

    /// A reader past the stream's start (its BOM decided), so `take_short` may answer.
    fn reader_past_the_start(limits: &Limits) -> LineReader {
        let mut reader = LineReader::new(limits);
        let mut scan = Scan::new(b"\n");
        let mut pos = 0;
        assert!(matches!(
            reader.next(&mut scan, &mut pos, Keep::All),
            Next::Line(_)
        ));
        reader.advance(1);
        reader
    }

    #[test]
    fn a_few_bytes_that_end_no_line_are_taken_short_and_anything_else_is_not() {
        // The shortcut exists for streams that trickle in a few bytes per chunk; turning it off
        // changes speed only, so its answers are asserted here.
        let limits = Limits::default().max_line_bytes(24);
        let mut reader = reader_past_the_start(&limits);
        assert!(reader.take_short(b"d", Keep::KnownFields));
        assert!(reader.take_short(b"ata: 789012345", Keep::KnownFields));
        assert_eq!(reader.carry, b"data: 789012345");
        // 15 bytes are short; 16 are not (and leave the carry alone).
        assert!(reader.take_short(b"abcdefghi", Keep::KnownFields));
        assert_eq!(
            reader.carry.len(),
            24,
            "exactly at the line limit is within it"
        );
        assert!(
            !reader.take_short(b"x", Keep::KnownFields),
            "past the limit"
        );
        let mut reader = reader_past_the_start(&limits);
        assert!(reader.take_short(&[b'a'; 15], Keep::KnownFields));
        let mut reader = reader_past_the_start(&limits);
        assert!(!reader.take_short(&[b'a'; 16], Keep::KnownFields));
        assert!(reader.carry.is_empty());
        // A line end, anywhere in the chunk, is `next`'s to find.
        assert!(!reader.take_short(b"data: a\n", Keep::KnownFields));
        assert!(!reader.take_short(b"\rdata", Keep::KnownFields));
    }

    #[test]
    fn bytes_taken_short_keep_the_carry_marked_ascii_only_while_every_byte_is() {
        let limits = Limits::default();
        let mut reader = reader_past_the_start(&limits);
        assert!(reader.take_short(b"data: ab", Keep::KnownFields));
        assert!(reader.carry_ascii, "plain ASCII is ASCII");
        // 0x80 alone: the highest bit, and nothing else, set.
        assert!(reader.take_short(b"\x80", Keep::KnownFields));
        assert!(!reader.carry_ascii, "a continuation byte is not ASCII");
        let mut reader = reader_past_the_start(&limits);
        assert!(reader.take_short(b"data: \x80", Keep::KnownFields));
        assert!(!reader.carry_ascii);
        // The same while the line's name is still undecided (held through `hold_partial`).
        let mut reader = reader_past_the_start(&limits);
        assert!(reader.take_short(b"d", Keep::KnownFields));
        assert!(reader.take_short(b"\x80", Keep::KnownFields));
        assert!(!reader.carry_ascii, "a continuation byte is not ASCII");
    }

    #[test]
    fn a_carry_that_exactly_fills_its_buffer_does_not_grow_it() {
        // Growth is for bytes that do not fit; bytes that fit exactly cost no reallocation.
        let mut carry = Vec::with_capacity(8);
        carry.extend_from_slice(b"abcd");
        append_bounded(&mut carry, b"efgh", usize::MAX);
        assert_eq!((carry.len(), carry.capacity()), (8, 8));
        // One more byte doubles it (below the cap), and the cap bounds the doubling.
        append_bounded(&mut carry, b"i", usize::MAX);
        assert_eq!(carry.capacity(), 16);
        let mut capped = Vec::with_capacity(8);
        capped.extend_from_slice(b"abcdefgh");
        append_bounded(&mut capped, b"ij", 12);
        assert_eq!(capped.capacity(), 12);
    }
}
