//! Finding line ends in data, and the bytes an event type or ID may not hold.
//!
//! Why not `memchr2` for everything: the values an encoder sees are mostly short (an ID, an
//! event type, one line of a JSON payload), and a call through memchr's CPU dispatch costs more
//! than searching them. So values under [`INLINE`] bytes are first asked one cheap question,
//! eight bytes at a time without `unsafe`: any byte below 0x0E? CR, LF and NUL all are, and
//! almost no value holds any such byte, so the exact search runs only for the few it flags.
//! Longer data goes to memchr. Measured on the `small` encode benchmark (callgrind, 335,000
//! events): 486 → 314 instructions per event against the byte-by-byte checks and the 16-byte
//! fold this replaced.

use memchr::memchr2;

/// Values this long and longer are handed to memchr (AVX2 where the CPU has it), whose call
/// costs less than it saves on them.
const INLINE: usize = 64;

/// The index of the first CR or LF in `bytes`.
#[inline(always)]
pub(crate) fn line_end(bytes: &[u8]) -> Option<usize> {
    let is_end = |b: u8| (b == b'\n') | (b == b'\r');
    if bytes.len() >= INLINE {
        return memchr2(b'\n', b'\r', bytes);
    }
    match has_control(bytes) {
        false => None,
        true => bytes.iter().position(|&b| is_end(b)),
    }
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

    #[test]
    fn control_bytes_are_found_at_every_position_of_every_length() {
        // Every byte value at every position of lengths around the word sizes; a second byte
        // after it must not change the answer, and 0x0E and above must never be flagged.
        for len in 0..40 {
            for at in 0..len {
                for byte in 0..=u8::MAX {
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
