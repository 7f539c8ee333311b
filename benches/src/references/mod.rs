//! Reference loops: not parsers, yardsticks that run beside them in the same benchmark run.
//! Each does less than a parser must, so each shows what some part of a parser's work costs
//! on the machine and in the run at hand:
//!
//! - `memchr-each` ([`each_line_end`]): the baseline's search, visiting every line end;
//! - `minimal-lines` ([`minimal_lines`]): the least these workloads need, lines from `memchr`;
//! - `block-lines` ([`block_lines`]): the same least work, lines from 64-byte block masks;
//! - `checked-lines` ([`checked::CheckedLines`]): `block-lines` plus every check the spec asks
//!   that `block-lines` skips, each done the plain way (see `checked.rs`).

pub mod checked;

use crate::Counts;
use wide::u8x16;

/// `minimal-lines`' state between chunks.
#[derive(Default)]
struct Minimal {
    /// A line that spans chunks, so far.
    carry: Vec<u8>,
    /// The block's data, once it is no longer one borrowed line.
    joined: Vec<u8>,
    /// `data` lines in the block so far.
    data_lines: usize,
    last_event_id: Vec<u8>,
    counts: Counts,
}

impl Minimal {
    /// One line (its LF removed). `borrowed` is the block's only data line while it lies in
    /// the current chunk; `can_borrow` says whether `line` does.
    #[inline(always)]
    fn line<'c>(&mut self, line: &'c [u8], borrowed: &mut Option<&'c [u8]>, can_borrow: bool) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match line.first() {
            None => {
                if self.data_lines > 0 {
                    let data = borrowed.take().map_or(self.joined.len(), <[u8]>::len);
                    self.counts.events += 1;
                    self.counts.data_bytes += data as u64;
                }
                self.data_lines = 0;
            }
            Some(b'd') => {
                let Some(value) = line.strip_prefix(b"data: ") else {
                    return;
                };
                push_data(
                    &mut self.joined,
                    self.data_lines,
                    borrowed,
                    value,
                    can_borrow,
                );
                self.data_lines += 1;
            }
            Some(b'i') => {
                if let Some(value) = line.strip_prefix(b"id: ") {
                    self.last_event_id.clear();
                    self.last_event_id.extend_from_slice(value);
                }
            }
            _ => {}
        }
    }

    /// The line carried from earlier chunks, ended by `head`, the current chunk's bytes up to
    /// its first LF.
    fn end_carried(&mut self, head: &[u8]) {
        let mut carry = std::mem::take(&mut self.carry);
        carry.extend_from_slice(head);
        self.line(&carry, &mut None, false);
        carry.clear();
        self.carry = carry;
    }

    /// At a chunk's end: a borrowed data line is copied before the chunk goes, and `rest`, the
    /// start of a line the chunk does not end, is carried.
    fn end_chunk(&mut self, borrowed: Option<&[u8]>, rest: &[u8]) {
        if let Some(first) = borrowed {
            self.joined.clear();
            self.joined.extend_from_slice(first);
        }
        self.carry.extend_from_slice(rest);
    }
}

/// Adds one data value to a block's data, the same way in every reference: borrowed while it
/// is the block's only data line and lies in the chunk (`can_borrow`), joined by LF in
/// `joined` otherwise. `lines`: the block's data lines before this one; `first`, the borrowed
/// one while there is one.
#[inline(always)]
fn push_data<'c>(
    joined: &mut Vec<u8>,
    lines: usize,
    first: &mut Option<&'c [u8]>,
    value: &'c [u8],
    can_borrow: bool,
) {
    match (lines, first.take()) {
        (0, _) if can_borrow => *first = Some(value),
        (0, _) => {
            joined.clear();
            joined.extend_from_slice(value);
        }
        (_, borrowed) => {
            if let Some(borrowed) = borrowed {
                joined.clear();
                joined.extend_from_slice(borrowed);
            }
            joined.push(b'\n');
            joined.extend_from_slice(value);
        }
    }
}

/// A reference, not a parser: lines found with `memchr_iter` over each chunk, `data: `, `id: `
/// matched as prefixes (everything else ignored), data borrowed while it is one line in the
/// chunk and joined otherwise, the ID copied as a parser whose events outlive the call must.
/// No lone CR, no field without its space, no UTF-8 check, no limits: only what these
/// workloads need, so it shows what the least per-line work costs against the plain scan.
pub fn minimal_lines(chunks: &[bytes::Bytes]) -> Counts {
    let mut state = Minimal::default();
    for chunk in chunks {
        let mut start = 0;
        let mut borrowed = None;
        let mut ends = memchr::memchr_iter(b'\n', chunk);
        if !state.carry.is_empty() {
            let Some(end) = ends.next() else {
                state.carry.extend_from_slice(chunk);
                continue;
            };
            state.end_carried(&chunk[..end]);
            start = end + 1;
        }
        for end in ends {
            state.line(&chunk[start..end], &mut borrowed, true);
            start = end + 1;
        }
        state.end_chunk(borrowed, &chunk[start..]);
    }
    state.counts
}

/// A reference, not a parser: `minimal-lines`' per-line work on the same lines, but their
/// ends read from a mask per 64-byte block (one bit per LF, lowest first), as ours are, instead
/// of from a `memchr` call per line. So it shows what that little work costs on lines found the
/// way ours finds them: a ceiling, on these workloads, for a parser built like ours that also
/// checks what the spec asks (CR, UTF-8, NUL in `id`, limits). Its masks are SSE2, ours AVX2
/// where the CPU has it; on short lines the per-line work, not the mask, dominates.
pub fn block_lines(chunks: &[bytes::Bytes]) -> Counts {
    let mut state = Minimal::default();
    for chunk in chunks {
        let mut start = 0;
        let mut borrowed = None;
        // The first LF of the chunk ends a line begun in an earlier one.
        let mut carried = !state.carry.is_empty();
        let whole = chunk.chunks_exact(64);
        let tail = whole.remainder();
        // The last, short block, padded with zeros (which are not LF).
        let tail_mask = (!tail.is_empty()).then(|| {
            let mut padded = [0u8; 64];
            padded[..tail.len()].copy_from_slice(tail);
            line_feed_mask(&padded)
        });
        let masks = whole.map(|block| line_feed_mask(block.try_into().expect("64 bytes")));
        for (index, mut ends) in masks.chain(tail_mask).enumerate() {
            while ends != 0 {
                let end = index * 64 + ends.trailing_zeros() as usize;
                ends &= ends - 1;
                if carried {
                    state.end_carried(&chunk[..end]);
                    carried = false;
                } else {
                    state.line(&chunk[start..end], &mut borrowed, true);
                }
                start = end + 1;
            }
        }
        if carried {
            state.carry.extend_from_slice(chunk);
            continue;
        }
        state.end_chunk(borrowed, &chunk[start..]);
    }
    state.counts
}

/// Bit `i` set where `block[i]` is LF. Through `wide`'s 16-byte vectors (SSE2 compares and
/// byte-mask moves on x86_64, in safe code): a plain fold over the bytes is not vectorized and
/// ran at a tenth of the speed.
#[inline(always)]
fn line_feed_mask(block: &[u8; 64]) -> u64 {
    let line_feed = u8x16::splat(b'\n');
    let mut mask = 0;
    for (index, lane) in block.chunks_exact(16).enumerate() {
        let lane = u8x16::new(lane.try_into().expect("16 bytes"));
        mask |= u64::from(lane.simd_eq(line_feed).to_bitmask()) << (16 * index);
    }
    mask
}

/// A reference, not a parser: the baseline's search, but visiting each line end, as any parser
/// must, where `memchr_iter(..).count()` does not. The memchr pinned here counts matches a
/// vector at a time without ever producing their positions (older 2.x releases counted by
/// calling `next` per match), so on short lines the count is far faster than any loop over
/// the lines. Returns the number of line ends and the sum of their
/// positions, so that no position can be skipped.
pub fn each_line_end(chunks: &[bytes::Bytes]) -> (u64, usize) {
    let (mut ends, mut positions) = (0, 0usize);
    for chunk in chunks {
        for end in memchr::memchr_iter(b'\n', chunk) {
            ends += 1;
            positions = positions.wrapping_add(end);
        }
    }
    (ends, positions)
}
