//! Finding line ends in data.
//!
//! Why not `memchr2` for everything: the values an encoder sees are mostly short (an ID, an
//! event type, one line of a JSON payload), and a call through memchr's CPU dispatch costs more
//! than searching them. So data values under [`INLINE`] bytes are searched here, sixteen bytes at
//! a time with a fold that the compiler turns into vector compares, without `unsafe`; longer ones
//! go to memchr. Event types and IDs (a dozen bytes) are checked byte by byte: measured, that
//! beat both memchr and word-at-a-time (SWAR) tests on the `small` encode benchmark.

use memchr::memchr2;

/// Values this long and longer are handed to memchr (AVX2 where the CPU has it), whose call
/// costs less than it saves on them.
const INLINE: usize = 64;

/// The index of the first CR or LF in `bytes`.
#[inline(always)]
pub(crate) fn line_end(bytes: &[u8]) -> Option<usize> {
    let is_end = |b: u8| (b == b'\n') | (b == b'\r');
    // `fold` rather than `any`: no early exit inside the block, so it compiles to one vector
    // test (SSE2 on x86_64, NEON on aarch64).
    let any = |block: &[u8; 16]| block.iter().fold(false, |found, &b| found | is_end(b));
    let first = |part: &[u8]| part.iter().position(|&b| is_end(b));
    if bytes.len() >= INLINE {
        return memchr2(b'\n', b'\r', bytes);
    }
    let mut at = 0;
    while let Some(block) = bytes.get(at..).and_then(<[u8]>::first_chunk::<16>) {
        if any(block) {
            return first(block).map(|found| at + found);
        }
        at += 16;
    }
    // Under sixteen bytes left: when the value is longer, test its last sixteen (overlapping
    // bytes already found clean) as one block before looking at single bytes.
    match bytes.last_chunk::<16>() {
        Some(tail) if !any(tail) => None,
        _ => first(&bytes[at..]).map(|found| at + found),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_end_position_in_every_length_matches_the_model() {
        // Lengths around the block size, the inline limit, and past it (memchr's part); NUL is
        // not a line end.
        for len in 0..200 {
            for hit_at in (0..len).map(Some).chain([None]) {
                for byte in [b'\n', b'\r', 0] {
                    let mut value = alloc::vec![b'a'; len];
                    if let Some(at) = hit_at {
                        value[at] = byte;
                    }
                    // A second line end further on must not be reported first.
                    if let Some(at) = hit_at.filter(|at| at + 5 < len) {
                        value[at + 5] = b'\r';
                    }
                    let model = value.iter().position(|&b| b == b'\n' || b == b'\r');
                    assert_eq!(line_end(&value), model, "{len} {hit_at:?} {byte}");
                }
            }
        }
    }
}
