//! Splitting data into lines, and finding the bytes an event type or ID may not hold.
//!
//! Why not `memchr2` for everything: the values an encoder sees are mostly short (an ID, an
//! event type, one line of a JSON payload), and a call through memchr's CPU dispatch costs more
//! than searching them. So values under [`BLOCK`] bytes are first asked one cheap question,
//! eight bytes at a time without `unsafe`: any byte below 0x0E? CR, LF and NUL all are, and
//! almost no value holds any such byte, so the exact search runs only for the few it flags.
//!
//! Longer data is split 64 bytes at a time on x86_64: one SSE2 pass over a block gives a bit
//! per CR and LF, and every line that ends in it is a `trailing_zeros`, so data of many short
//! lines costs no call per line. Portable SWAR masks lost to a `memchr2` call per line, which is
//! why other targets keep the call per line. A line that runs on past two blocks is handed to
//! memchr2 (AVX2 where the CPU has it), which beats masks all the way through a long line.
//!
//! That search goes a [`WINDOW`] at a time, and a window with no line end is handed on at once
//! as a part of the line, so the writer copies bytes the search has just brought into L1
//! rather than searching the whole line first and then reading it again from L2 or memory.
//!
//! The measurements behind these choices: docs/performance.md, "Design notes from past
//! measurements".
//!
//! The SSE2 mask is the parser's, `ssewire_parser::shared::line_end_mask`, not a second copy:
//! the encoder depends on ssewire-parser (no dependencies, no `std` needed for this) for that
//! one hidden item, so the mask's `unsafe` loads live, and are checked under Miri, in one
//! place, and this crate has no `unsafe` at all. The price is a build of the parser for every
//! user of the encoder, and a hidden item the parser must keep within its semver range.
//! `memchr2` per line would need neither, but it is slower on data of many lines. Inlined, the
//! shared mask compiles to what the encoder's own copy did (the high-byte mask the parser also
//! computes goes unused and is removed).

use memchr::memchr2;
#[cfg(target_arch = "x86_64")]
use ssewire_parser::shared::line_end_mask;

/// Values shorter than this are asked [`has_control`] before any search; data this long is
/// split with block masks.
const BLOCK: usize = 64;

/// A line this far past its start (two blocks) is searched with `memchr2` from there.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const LONG_LINE: usize = 2 * BLOCK;

/// How much of a long line one `memchr2` call searches before that part is handed on: small
/// enough to stay in L1 until it is copied, large enough that the call's dispatch is nothing.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const WINDOW: usize = 4096;

/// Which part of a line [`for_each_line`] hands on: a line comes whole, or (a long one) as
/// consecutive parts, the first with `starts` and the last with `ends`. Only a last part may
/// be empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) starts: bool,
    pub(crate) ends: bool,
}

impl Part {
    pub(crate) const WHOLE: Part = Part {
        starts: true,
        ends: true,
    };
}

/// Whether `text` is one line shorter than a block: the question asked of every value first,
/// since most are (an ID, an event type, a short payload), and then no split is needed.
#[inline(always)]
pub(crate) fn is_short_line(text: &[u8]) -> bool {
    text.len() < BLOCK && !has_control(text)
}

/// Calls `line` with each line of `text` in order, split at CRLF, lone CR and LF: whole, or
/// with `IN_PARTS` a long line may come in parts (see [`Part`]). A text that ends in a line end
/// has an empty last line, and an empty text is one empty line.
#[inline(always)]
pub(crate) fn for_each_line<'t, const IN_PARTS: bool>(
    text: &'t [u8],
    line: impl FnMut(&'t [u8], Part),
) {
    #[cfg(test)]
    tests::SPLITS.with(|count| count.set(count.get() + 1));
    #[cfg(target_arch = "x86_64")]
    {
        // SWAR forced (`SSEWIRE_KERNEL=swar`, the per-kernel tests): the split other targets
        // run, so it is tested here too. One relaxed load per value that needs a split.
        #[cfg(feature = "std")]
        if ssewire_parser::shared::forced_kernel() == Some(ssewire_parser::shared::KernelName::Swar)
        {
            return by_calls(text, line);
        }
        by_blocks::<IN_PARTS>(text, line)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        by_calls(text, line)
    }
}

/// The portable split: one search per line, inline for short text, memchr2 for longer.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn by_calls<'t>(mut text: &'t [u8], mut line: impl FnMut(&'t [u8], Part)) {
    while let Some(end) = line_end(text) {
        line(&text[..end], Part::WHOLE);
        text = &text[after_line_end(text, end)..];
    }
    line(text, Part::WHOLE);
}

/// The index of the first CR or LF in `bytes`.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn line_end(bytes: &[u8]) -> Option<usize> {
    if bytes.len() >= BLOCK {
        return memchr2(b'\n', b'\r', bytes);
    }
    match has_control(bytes) {
        false => None,
        true => bytes.iter().position(|&b| b == b'\n' || b == b'\r'),
    }
}

/// The x86_64 split: a CR/LF mask per 64-byte block, memchr2 inside long lines.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn by_blocks<'t, const IN_PARTS: bool>(text: &'t [u8], mut line: impl FnMut(&'t [u8], Part)) {
    // Where the current line (or the rest of it) starts, and where the block being looked at
    // starts.
    let (mut start, mut base) = (0, 0);
    // Whether a part of the current line was handed on already. Only the long-line search sets
    // it, and it ends such a line itself, so the block loop below hands on whole lines only
    // (a per-line test there was measurably slower: docs/performance.md, design notes).
    let mut started = false;
    'blocks: while base < text.len() {
        if base >= start + LONG_LINE {
            loop {
                let window = text.len().min(base + WINDOW);
                if let Some(at) = memchr2(b'\n', b'\r', &text[base..window]) {
                    base += at;
                    if started {
                        let last = Part {
                            starts: false,
                            ends: true,
                        };
                        line(&text[start..base], last);
                        start = after_line_end(text, base);
                        started = false;
                    }
                    break;
                }
                if window == text.len() {
                    break 'blocks;
                }
                if IN_PARTS {
                    let part = Part {
                        starts: !started,
                        ends: false,
                    };
                    line(&text[start..window], part);
                    (start, started) = (window, true);
                }
                base = window;
            }
        }
        let mut ends = eol_mask(text, base);
        while ends != 0 {
            let end = base + ends.trailing_zeros() as usize;
            ends &= ends - 1;
            // The LF of a CRLF whose CR ended the line before (it may sit in the next block),
            // or the line end the long-line search handled.
            if end < start {
                continue;
            }
            line(&text[start..end], Part::WHOLE);
            start = after_line_end(text, end);
        }
        base += BLOCK;
    }
    let part = Part {
        starts: !started,
        ends: true,
    };
    line(&text[start..], part);
}

/// Where the line after the one ended by the CR or LF at `text[end]` starts.
#[inline(always)]
fn after_line_end(text: &[u8], end: usize) -> usize {
    let crlf = text[end] == b'\r' && text.get(end + 1) == Some(&b'\n');
    end + 1 + usize::from(crlf)
}

/// One bit per CR or LF in `text[base..base + 64]` (bit `i` for `text[base + i]`; bits past
/// the end of `text` are zero). `base < text.len()`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn eol_mask(text: &[u8], base: usize) -> u64 {
    if let Some(block) = text
        .get(base..)
        .and_then(|rest| rest.first_chunk::<BLOCK>())
    {
        return line_end_mask(block);
    }
    if let Some(last) = text.last_chunk::<BLOCK>() {
        // The last partial block: the text's last 64 bytes, less the bits of those before `base`.
        let before = base - (text.len() - BLOCK);
        return line_end_mask(last) >> before;
    }
    // Text under 64 bytes: callers split only those that hold a control byte (rare), so a
    // copy is fine.
    let mut block = [0u8; BLOCK];
    block[..text.len()].copy_from_slice(text);
    line_end_mask(&block)
}

/// Whether any byte of `bytes` is below 0x0E: a control byte, among them every byte a value
/// may be refused for or split at (NUL, LF, CR). Nearly all values hold none, so callers ask
/// this first and look for the exact byte only when it says yes.
///
/// Eight bytes at a time, the last word overlapping the one before it, so a dozen-byte ID costs
/// two word tests rather than a dozen byte tests; a value under eight bytes is read as two
/// overlapping four-byte halves.
#[inline(always)]
pub(crate) fn has_control(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Per word, the high bit of each byte below 0x0E (the difference sets it, the byte's own
    // clear high bit lets it through). A borrow between bytes only starts at such a byte, so
    // "any bit set" is exact even though which bits are set may not be.
    let flags = |word: u64| word.wrapping_sub(ONES * 0x0E) & !word & HIGH;
    let word = |part: &[u8]| u64::from_le_bytes(part.try_into().unwrap_or([0xFF; 8]));
    let half = |part: &[u8; 4]| u64::from(u32::from_le_bytes(*part));
    if let Some(last) = bytes.last_chunk::<8>() {
        // `chunks_exact` parts are always eight bytes (the `unwrap_or` never applies); a fold
        // without early exit lets the compiler test two words per vector instruction.
        let words = bytes.chunks_exact(8);
        return words.fold(flags(word(last)), |found, part| found | flags(word(part))) != 0;
    }
    match (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        (Some(first), Some(last)) => flags(half(first) | half(last) << 32) != 0,
        _ => bytes.iter().any(|&byte| byte < 0x0E),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    std::thread_local! {
        /// Calls of `for_each_line` on this thread: `is_short_line` exists so that most values
        /// skip it, and turning that shortcut off would change speed, not bytes.
        pub(super) static SPLITS: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
    }

    /// How many values `encode` split while `run` ran.
    fn splits(run: impl FnOnce()) -> usize {
        let before = SPLITS.with(core::cell::Cell::get);
        run();
        SPLITS.with(core::cell::Cell::get) - before
    }

    #[test]
    fn only_values_a_block_long_or_holding_a_control_byte_are_split() {
        // Under Miri (scripts/miri.sh), the lengths around the word and block edges only.
        let lengths: Vec<usize> = match cfg!(miri) {
            true => alloc::vec![0, 1, 7, 8, 63, 64, 65, 128],
            false => (0..200).collect(),
        };
        for len in lengths {
            let plain = "v".repeat(len);
            let encode = |text: &str| splits(|| crate::Event::new(text).encode(&mut Vec::new()));
            assert_eq!(encode(&plain), usize::from(len >= BLOCK), "{len}");
            for odd in ["\n", "\r", "\t", "\0"] {
                let text = plain.clone() + odd;
                assert_eq!(encode(&text), 1, "{len} {odd:?}");
            }
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn a_long_line_is_searched_in_windows_from_the_block_two_blocks_past_its_start() {
        // The long-line search takes over at the first block at least `LONG_LINE` bytes past
        // the line's start, and hands on a part at each `WINDOW` from there.
        for start in [0, 1, 2, 63, 64, 65, 100] {
            let mut text = alloc::vec![b'a'; start + LONG_LINE + 3 * WINDOW];
            if start > 0 {
                text[start - 1] = b'\n';
            }
            let mut ends = Vec::new();
            // The block split itself, whichever kernel a run forces for `for_each_line`.
            by_blocks::<true>(&text, |part, _| {
                ends.push(part.as_ptr() as usize + part.len() - text.as_ptr() as usize)
            });
            let first_block = (start + LONG_LINE).div_ceil(BLOCK) * BLOCK;
            let mut want: Vec<usize> = (1..)
                .map(|k| first_block + k * WINDOW)
                .take_while(|&end| end < text.len())
                .collect();
            want.push(text.len());
            if start > 0 {
                want.insert(0, start - 1);
            }
            assert_eq!(ends, want, "line from {start}");
        }
    }

    #[test]
    fn control_bytes_are_found_at_every_position_of_every_length() {
        // Every byte value at every position of lengths around the word sizes; a second byte
        // after it must not change the answer, and 0x0E and above must never be flagged.
        // Under Miri (scripts/miri.sh, for the split's SSE2 loads) a few bytes around the
        // limit: this safe code has nothing more for Miri to check.
        let bytes: Vec<u8> = match cfg!(miri) {
            true => alloc::vec![0, b'\n', 0x0D, 0x0E, 0x7F, 0x80],
            false => (0..=u8::MAX).collect(),
        };
        for len in 0..40 {
            for at in 0..len {
                for &byte in &bytes {
                    let mut value = alloc::vec![b'a'; len];
                    value[at] = byte;
                    assert_eq!(has_control(&value), byte < 0x0E, "{len} {at} {byte:#04x}");
                    value[len - 1 - at / 2] = 0xFF;
                    let model = value.iter().any(|&b| b < 0x0E);
                    assert_eq!(
                        has_control(&value),
                        model,
                        "{len} {at} {byte:#04x} with 0xFF"
                    );
                }
            }
            assert!(!has_control(&alloc::vec![0x0E; len]));
            assert!(!has_control(&alloc::vec![0xFF; len]));
        }
    }

    /// The lines of `text` byte by byte, as the spec's parser splits them.
    fn model_lines(text: &[u8]) -> Vec<&[u8]> {
        let (mut lines, mut start, mut at) = (Vec::new(), 0, 0);
        while at < text.len() {
            if text[at] == b'\n' || text[at] == b'\r' {
                lines.push(&text[start..at]);
                at += 1 + usize::from(text[at] == b'\r' && text.get(at + 1) == Some(&b'\n'));
                start = at;
            } else {
                at += 1;
            }
        }
        lines.push(&text[start..]);
        lines
    }

    /// A splitter under test: `for_each_line` or `by_calls`, called with a `dyn` callback.
    type Splitter<'t> = fn(&'t [u8], &mut dyn FnMut(&'t [u8], Part));

    /// The lines a splitter hands on, each line's parts joined, after checking that the parts
    /// are in order: each line starts once and ends once, only a last part is empty, and the
    /// parts of one line are consecutive slices of `text`.
    fn split<'t>(text: &'t [u8], with: Splitter<'t>) -> Vec<Vec<u8>> {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut open = false;
        let mut next_at = None;
        with(text, &mut |line, part| {
            assert_eq!(
                part.starts, !open,
                "a line starts once, after the last one ended"
            );
            assert!(
                part.ends || !line.is_empty(),
                "only a last part may be empty"
            );
            let at = line.as_ptr() as usize - text.as_ptr() as usize;
            if !part.starts {
                assert_eq!(Some(at), next_at, "a line's parts are consecutive");
                lines.last_mut().unwrap().extend_from_slice(line);
            } else {
                lines.push(line.to_vec());
            }
            open = !part.ends;
            next_at = Some(at + line.len());
        });
        assert!(!open, "the last line ends");
        lines
    }

    fn check(text: &[u8], what: &dyn core::fmt::Debug) {
        let model: Vec<Vec<u8>> = model_lines(text).into_iter().map(<[u8]>::to_vec).collect();
        let lines = split(text, |t, f| for_each_line::<true>(t, f));
        assert_eq!(lines, model, "for_each_line in parts: {what:?}");
        let lines = split(text, |t, f| for_each_line::<false>(t, f));
        assert_eq!(lines, model, "for_each_line: {what:?}");
        assert_eq!(
            split(text, |t, f| by_calls(t, f)),
            model,
            "by_calls: {what:?}"
        );
    }

    #[test]
    fn one_line_end_at_every_position_of_every_length_splits_as_the_model() {
        // Lengths around the block size, the last partial block, and past the point where a
        // long line goes to memchr2; each end also followed by a second one five bytes on (in
        // the same or the next block), and each CR by an LF (a CRLF, maybe across blocks).
        // Under Miri (scripts/miri.sh), the lengths at the edges only: the full sweep would
        // take hours there.
        let lengths: Vec<usize> = match cfg!(miri) {
            true => alloc::vec![0, 1, 64, 65, 130],
            false => (0..300).collect(),
        };
        for len in lengths {
            check(&alloc::vec![b'a'; len], &len);
            for at in 0..len {
                for end in [&b"\n"[..], b"\r", b"\r\n", b"\0"] {
                    let mut text = alloc::vec![b'a'; len];
                    text[at..(at + end.len()).min(len)]
                        .copy_from_slice(&end[..end.len().min(len - at)]);
                    check(&text, &(len, at, end));
                    if at + 5 < len {
                        text[at + 5] = b'\r';
                        check(&text, &(len, at, end, "and CR 5 on"));
                    }
                }
            }
        }
    }

    #[test]
    fn lines_longer_than_a_window_split_as_the_model_with_ends_at_every_window_edge() {
        // The long-line search starts `LONG_LINE` into a line and hands on a part at every
        // `WINDOW` from there: line ends (LF, CR, CRLF, and a CRLF split by the edge) a few
        // bytes either side of the first three window edges of the first line, and of the
        // second line, which starts after that end. Under Miri (seconds per check there), the
        // two bytes at the first edge and no second line.
        let (edges, around): (Vec<usize>, usize) = match cfg!(miri) {
            true => (alloc::vec![LONG_LINE + WINDOW], 1),
            false => ((1..4).map(|k| LONG_LINE + k * WINDOW).collect(), 3),
        };
        let len = LONG_LINE + 4 * WINDOW + 100;
        let text = alloc::vec![b'a'; len];
        check(&text, &len);
        // In parts, that one line comes as four windows and the rest; whole, as one.
        for (in_parts, parts) in [(true, 5), (false, 1)] {
            let mut count = 0;
            let mut count_parts = |_: &[u8], _: Part| count += 1;
            // The block split itself, whichever kernel a run forces for `for_each_line`.
            match in_parts {
                true => by_blocks::<true>(&text, &mut count_parts),
                false => by_blocks::<false>(&text, &mut count_parts),
            }
            assert_eq!(count, parts, "in parts: {in_parts}");
        }
        for &edge in &edges {
            for at in edge - around..edge + around {
                for end in [&b"\n"[..], b"\r", b"\r\n"] {
                    let mut text = alloc::vec![b'a'; len];
                    text[at..at + end.len()].copy_from_slice(end);
                    check(&text, &(edge, at, end));
                    // A second line as long, its end near its own edges.
                    let second = at + end.len();
                    if cfg!(miri) {
                        continue;
                    }
                    if let Some(slot) = text.get_mut(second + edge - 1..second + edge + 1) {
                        slot.copy_from_slice(b"\r\n");
                        check(&text, &(edge, at, end, "and a second end"));
                    }
                }
            }
        }
    }

    #[test]
    fn dense_and_sparse_line_ends_split_as_the_model() {
        // Mixed CR, LF and CRLF at pseudo-random gaps from 0 to 300 bytes, so that ends fall
        // on both sides of every block edge and lines of every length meet the memchr2 jump.
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..if cfg!(miri) { 4 } else { 400 } {
            let mut text = Vec::new();
            while text.len() < 2_000 {
                let gap = (next() % if round % 2 == 0 { 12 } else { 300 }) as usize;
                text.extend(core::iter::repeat(b'x').take(gap));
                text.extend_from_slice(
                    [&b"\n"[..], b"\r", b"\r\n", b"\n\r"][(next() % 4) as usize],
                );
            }
            for cut in [0, 1, 63, 64, 65, 127, 128, 129] {
                check(&text[cut..], &(round, cut));
                check(&text[..text.len() - cut], &(round, "minus", cut));
            }
        }
    }
}
