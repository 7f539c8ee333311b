//! Finding the bytes a value may not hold: line ends in data, event types and IDs, NUL in IDs.
//!
//! Why not `memchr2` for everything: the values an encoder sees are mostly short (an ID, an
//! event type, one line of a JSON payload), and a call through memchr's CPU dispatch costs more
//! than searching them. So values under [`INLINE`] bytes are searched here: sixteen bytes at a
//! time with a fold that the compiler turns into vector compares, under sixteen with two
//! overlapping word reads (SWAR), all without `unsafe`; longer ones go to memchr. Measured on the
//! `small` and `multiline` encode benchmarks (docs/performance.md).

use memchr::{memchr2, memchr3};

/// Values this long and longer are handed to memchr (AVX2 where the CPU has it), whose call
/// costs less than it saves on them.
const INLINE: usize = 64;

/// The index of the first CR or LF in `bytes`.
#[inline(always)]
pub(crate) fn line_end(bytes: &[u8]) -> Option<usize> {
    find::<false>(bytes)
}

/// The index of the first CR, LF or NUL in `bytes`.
#[inline(always)]
pub(crate) fn line_end_or_nul(bytes: &[u8]) -> Option<usize> {
    find::<true>(bytes)
}

#[inline(always)]
fn hit<const NUL: bool>(b: u8) -> bool {
    (b == b'\n') | (b == b'\r') | (NUL & (b == 0))
}

/// The first index holding CR or LF (or NUL, with `NUL`).
#[inline(always)]
fn find<const NUL: bool>(bytes: &[u8]) -> Option<usize> {
    let len = bytes.len();
    match len {
        0..=3 => bytes.iter().position(|&b| hit::<NUL>(b)),
        // Two overlapping reads cover the value; the first hit is in the first read if any.
        4..=7 => {
            let found = first_hit::<NUL>(word::<4>(bytes, 0) | word::<4>(bytes, len - 4) << 32)?;
            Some(if found < 4 { found } else { found + len - 8 })
        }
        8..=15 => match first_hit::<NUL>(word::<8>(bytes, 0)) {
            Some(found) => Some(found),
            None => first_hit::<NUL>(word::<8>(bytes, len - 8)).map(|found| found + len - 8),
        },
        _ => find_blocks::<NUL>(bytes),
    }
}

/// [`find`] for sixteen bytes and more.
#[inline(always)]
fn find_blocks<const NUL: bool>(bytes: &[u8]) -> Option<usize> {
    if bytes.len() >= INLINE {
        return match NUL {
            true => memchr3(b'\n', b'\r', 0, bytes),
            false => memchr2(b'\n', b'\r', bytes),
        };
    }
    let first = |block: &[u8; 16]| match first_hit::<NUL>(word::<8>(block, 0)) {
        Some(found) => found,
        // `any_hit` said the block has a hit, so it is in the second half if not the first.
        None => first_hit::<NUL>(word::<8>(block, 8)).map_or(16, |found| found + 8),
    };
    let mut at = 0;
    while let Some(block) = bytes.get(at..).and_then(<[u8]>::first_chunk::<16>) {
        if any_hit::<NUL>(block) {
            return Some(at + first(block));
        }
        at += 16;
    }
    // Under sixteen bytes left: the last sixteen (overlapping bytes already found clean).
    let tail = bytes.last_chunk::<16>()?;
    match any_hit::<NUL>(tail) {
        true => Some(bytes.len() - 16 + first(tail)),
        false => None,
    }
}

/// Whether `block` holds a hit. `fold` rather than `any`: no early exit inside the block, so
/// it compiles to one vector test (SSE2 on x86_64, NEON on aarch64).
#[inline(always)]
fn any_hit<const NUL: bool>(block: &[u8; 16]) -> bool {
    block.iter().fold(false, |found, &b| found | hit::<NUL>(b))
}

/// `N` (4 or 8) bytes of `bytes` from `at`, little-endian, in a `u64`.
#[inline(always)]
fn word<const N: usize>(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word[..N].copy_from_slice(&bytes[at..at + N]);
    u64::from_le_bytes(word)
}

/// The index of the first byte of `word` (little-endian) that is CR or LF (or NUL, with
/// `NUL`). SWAR: `zero_bytes` is exact per byte (the low seven bits are added before the high
/// bit is looked at, so no carry crosses bytes).
#[inline(always)]
fn first_hit<const NUL: bool>(word: u64) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let zero_bytes = |w: u64| !(((w & LOW7).wrapping_add(LOW7)) | w | LOW7);
    let mut hits =
        zero_bytes(word ^ (ONES * u64::from(b'\n'))) | zero_bytes(word ^ (ONES * u64::from(b'\r')));
    if NUL {
        hits |= zero_bytes(word);
    }
    match hits {
        0 => None,
        hits => Some(hits.trailing_zeros() as usize / 8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(bytes: &[u8], nul: bool) -> Option<usize> {
        bytes
            .iter()
            .position(|&b| b == b'\n' || b == b'\r' || (nul && b == 0))
    }

    #[test]
    fn every_hit_position_in_every_length_matches_the_model() {
        // Lengths around the block size, the inline limit, and past it (memchr's part).
        for len in (0..300).filter(|len| cfg!(not(miri)) || len % 13 == 0 || *len < 20) {
            for hit_at in (0..len).map(Some).chain([None]) {
                for byte in [b'\n', b'\r', 0] {
                    let mut value = alloc::vec![b'a'; len];
                    if let Some(at) = hit_at {
                        value[at] = byte;
                    }
                    // A second hit further on must not be reported first.
                    if let Some(at) = hit_at.filter(|at| at + 5 < len) {
                        value[at + 5] = b'\r';
                    }
                    assert_eq!(line_end(&value), model(&value, false), "{len} {hit_at:?}");
                    assert_eq!(
                        line_end_or_nul(&value),
                        model(&value, true),
                        "{len} {hit_at:?}"
                    );
                }
            }
        }
    }
}
