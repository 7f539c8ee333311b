//! The SSE2 kernel, the baseline on x86_64: SSE2 is part of that target, so every x86_64 CPU
//! runs it and no check is needed. Sixteen bytes per instruction, four loads per block.

use core::arch::x86_64::{
    _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
};

use super::Masks;

#[inline(always)]
#[allow(unsafe_code)]
pub(super) fn maybe_special(block: &[u8; 64]) -> bool {
    // SAFETY: as in `masks`: SSE2 is baseline on x86_64, and the four loads read
    // `block[0..16]`, `[16..32]`, `[32..48]` and `[48..64]`, all inside the array.
    unsafe {
        // Signed: bytes ≥ 0x80 are negative, so `< 0x0E` catches them with CR and LF.
        let limit = _mm_set1_epi8(0x0E);
        let low =
            |i: usize| _mm_cmplt_epi8(_mm_loadu_si128(block.as_ptr().add(16 * i).cast()), limit);
        let any = _mm_or_si128(_mm_or_si128(low(0), low(1)), _mm_or_si128(low(2), low(3)));
        _mm_movemask_epi8(any) != 0
    }
}

#[inline(always)]
#[allow(unsafe_code)]
pub(super) fn any(block: &[u8; 64]) -> (bool, bool) {
    // SAFETY: as in `masks`: SSE2 is baseline on x86_64, and the four loads read
    // `block[0..16]`, `[16..32]`, `[32..48]` and `[48..64]`, all inside the array.
    unsafe {
        let lf = _mm_set1_epi8(b'\n' as i8);
        let cr = _mm_set1_epi8(b'\r' as i8);
        let load = |i: usize| _mm_loadu_si128(block.as_ptr().add(16 * i).cast());
        let (a, b, c, d) = (load(0), load(1), load(2), load(3));
        let ends = |v| _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr));
        let eol = _mm_or_si128(
            _mm_or_si128(ends(a), ends(b)),
            _mm_or_si128(ends(c), ends(d)),
        );
        let high = _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d));
        (_mm_movemask_epi8(eol) != 0, _mm_movemask_epi8(high) != 0)
    }
}

#[inline(always)]
#[allow(unsafe_code)]
pub(super) fn masks(block: &[u8; 64]) -> Masks {
    let mut eol = 0u64;
    let mut high = 0u64;
    // SAFETY: SSE2 is part of the x86_64 baseline, so every x86_64 CPU runs these
    // intrinsics. Each `_mm_loadu_si128` reads the 16 bytes at `block[16 * i..16 * i + 16]`,
    // i < 4, all inside the 64-byte array, and requires no alignment.
    unsafe {
        let lf = _mm_set1_epi8(b'\n' as i8);
        let cr = _mm_set1_epi8(b'\r' as i8);
        for i in 0..4 {
            let bytes = _mm_loadu_si128(block.as_ptr().add(16 * i).cast());
            let ends = _mm_or_si128(_mm_cmpeq_epi8(bytes, lf), _mm_cmpeq_epi8(bytes, cr));
            // movemask yields 16 bits in an i32; as u16 keeps exactly them.
            eol |= u64::from(_mm_movemask_epi8(ends) as u16) << (16 * i);
            high |= u64::from(_mm_movemask_epi8(bytes) as u16) << (16 * i);
        }
    }
    Masks { eol, high }
}
