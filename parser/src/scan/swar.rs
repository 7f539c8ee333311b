//! The portable kernel, the baseline on every target but x86_64: eight bytes at a time in a
//! `u64` (SWAR), no `unsafe`. On x86_64 it runs only when forced (`SSEWIRE_KERNEL=swar`, as the
//! per-kernel tests do), so that its code is tested on the CPU the tests run on.

use super::{Kernel, Masks};

/// The SWAR kernel as a [`Kernel`] of its own, for forcing it where SSE2 is the baseline.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Swar;

impl Kernel for Swar {
    #[inline(always)]
    fn masks(self, block: &[u8; 64]) -> Masks {
        masks(block)
    }

    #[inline(always)]
    fn maybe_special(self, block: &[u8; 64]) -> bool {
        maybe_special(block)
    }

    #[inline(always)]
    fn any(self, block: &[u8; 64]) -> (bool, bool) {
        let masks = masks(block);
        (masks.eol != 0, masks.high != 0)
    }

    #[inline(never)]
    fn skip_long_line(self, input: &[u8], at: usize, high: u64) -> (usize, u64) {
        super::skip_long_line(self, input, at, high)
    }
}

const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const ONES: u64 = 0x0101_0101_0101_0101;

/// 0x80 in each byte of `word` that is zero, 0 elsewhere (exact: no borrow between bytes,
/// because the low seven bits are added before the high bit is looked at).
#[inline(always)]
fn zero_bytes(word: u64) -> u64 {
    !(((word & LOW7).wrapping_add(LOW7)) | word | LOW7)
}

/// The high bit of each byte of `flags`, gathered into 8 bits.
#[inline(always)]
fn gather(flags: u64) -> u64 {
    ((flags >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// Whether any byte of `block` is below 0x0E or at least 0x80.
#[inline(always)]
pub(crate) fn maybe_special(block: &[u8; 64]) -> bool {
    block.chunks_exact(8).fold(false, |special, word| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let word = u64::from_le_bytes(bytes);
        // A byte below 0x0E sets its high bit in the difference; a borrow into the next byte
        // only comes from such a byte, so it cannot make a false answer true.
        special | ((word.wrapping_sub(ONES * 0x0E) | word) & !LOW7 != 0)
    })
}

#[inline(always)]
pub(crate) fn masks(block: &[u8; 64]) -> Masks {
    let mut eol = 0u64;
    let mut high = 0u64;
    for (i, word) in block.chunks_exact(8).enumerate() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let word = u64::from_le_bytes(bytes);
        let ends = zero_bytes(word ^ (ONES * u64::from(b'\n')))
            | zero_bytes(word ^ (ONES * u64::from(b'\r')));
        eol |= gather(ends) << (8 * i);
        high |= gather(word & !LOW7) << (8 * i);
    }
    Masks { eol, high }
}
