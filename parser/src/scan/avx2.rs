//! The AVX2 kernel: SSE2's questions, 32 bytes per instruction. An x86_64 CPU need not have
//! AVX2, so it is looked for at run time (with the `std` feature), or known at compile time
//! when the build targets AVX2 (e.g. `-C target-cpu=native` on such a CPU).

use core::arch::x86_64::{
    __m256i, _mm256_cmpeq_epi8, _mm256_cmpgt_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
    _mm256_or_si256, _mm256_set1_epi8,
};

use super::{Kernel, KernelTask, Masks, Scan};

/// Proof that the CPU runs AVX2: only [`Avx2::detect`] makes one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2 {
    _detected: (),
}

impl Avx2 {
    /// The kernel, when the CPU has AVX2. The run-time check is a load and a bit test
    /// (std caches what `cpuid` said).
    #[inline(always)]
    pub(crate) fn detect() -> Option<Self> {
        #[cfg(target_feature = "avx2")]
        let found = true;
        #[cfg(not(target_feature = "avx2"))]
        let found = std::is_x86_feature_detected!("avx2");
        found.then_some(Avx2 { _detected: () })
    }
}

impl Avx2 {
    /// Runs `task` on a scan of `input` with this kernel, compiled for AVX2: see
    /// [`super::with_best_kernel`], the only caller.
    #[inline(always)]
    #[allow(unsafe_code)]
    pub(crate) fn run<'i, T: KernelTask<'i>>(self, input: &'i [u8], task: T) -> T::Output {
        // SAFETY: `self` exists, so `detect` found AVX2 on this CPU, which `run` is compiled for.
        unsafe { run(self, input, task) }
    }
}

/// [`KernelTask::run`] compiled for AVX2, so that the kernel's intrinsics inline into the task.
#[target_feature(enable = "avx2")]
#[allow(unsafe_code)]
unsafe fn run<'i, T: KernelTask<'i>>(kernel: Avx2, input: &'i [u8], task: T) -> T::Output {
    task.run(Scan::with_kernel(input, kernel))
}

impl Kernel for Avx2 {
    #[inline(always)]
    #[allow(unsafe_code)]
    fn masks(self, block: &[u8; 64]) -> Masks {
        // SAFETY: `self` exists, so `detect` found AVX2 on this CPU.
        unsafe { masks(block) }
    }

    #[inline(always)]
    #[allow(unsafe_code)]
    fn maybe_special(self, block: &[u8; 64]) -> bool {
        // SAFETY: as in `masks`.
        unsafe { maybe_special(block) }
    }

    #[inline(always)]
    #[allow(unsafe_code)]
    fn any(self, block: &[u8; 64]) -> (bool, bool) {
        // SAFETY: as in `masks`.
        unsafe { any(block) }
    }

    #[inline(always)]
    #[allow(unsafe_code)]
    fn skip_long_line(self, input: &[u8], at: usize, high: u64) -> (usize, u64) {
        // SAFETY: as in `masks`.
        unsafe { skip_long_line(self, input, at, high) }
    }
}

#[target_feature(enable = "avx2")]
#[inline(never)]
#[allow(unsafe_code)]
unsafe fn skip_long_line(kernel: Avx2, input: &[u8], at: usize, high: u64) -> (usize, u64) {
    super::skip_long_line(kernel, input, at, high)
}

/// The two 32-byte halves of `block`.
#[target_feature(enable = "avx2")]
#[inline]
#[allow(unsafe_code)]
unsafe fn halves(block: &[u8; 64]) -> (__m256i, __m256i) {
    // SAFETY: the caller runs on a CPU with AVX2; the loads read `block[0..32]` and
    // `block[32..64]`, inside the array, and need no alignment.
    unsafe {
        (
            _mm256_loadu_si256(block.as_ptr().cast()),
            _mm256_loadu_si256(block.as_ptr().add(32).cast()),
        )
    }
}

/// The 64 bits of the byte masks of two halves.
#[target_feature(enable = "avx2")]
#[inline]
#[allow(unsafe_code)]
// Rust 1.87 made movemask safe to call here; the crate's minimum, 1.81, needs the block.
#[allow(unused_unsafe)]
unsafe fn bits(lo: __m256i, hi: __m256i) -> u64 {
    // SAFETY: the caller runs on a CPU with AVX2. movemask yields 32 bits in an i32; as
    // u32 keeps exactly them.
    unsafe {
        u64::from(_mm256_movemask_epi8(lo) as u32)
            | u64::from(_mm256_movemask_epi8(hi) as u32) << 32
    }
}

/// 0xFF in each byte of `v` that is CR or LF, 0 elsewhere.
#[target_feature(enable = "avx2")]
#[inline]
#[allow(unsafe_code)]
// Rust 1.87 made these intrinsics safe to call here; the crate's minimum, 1.81, needs it.
#[allow(unused_unsafe)]
unsafe fn line_ends(v: __m256i) -> __m256i {
    // SAFETY: the caller runs on a CPU with AVX2.
    unsafe {
        let lf = _mm256_set1_epi8(b'\n' as i8);
        let cr = _mm256_set1_epi8(b'\r' as i8);
        _mm256_or_si256(_mm256_cmpeq_epi8(v, lf), _mm256_cmpeq_epi8(v, cr))
    }
}

#[target_feature(enable = "avx2")]
#[inline]
#[allow(unsafe_code)]
unsafe fn masks(block: &[u8; 64]) -> Masks {
    // SAFETY: the caller runs on a CPU with AVX2; `halves` reads inside `block`.
    unsafe {
        let (lo, hi) = halves(block);
        Masks {
            eol: bits(line_ends(lo), line_ends(hi)),
            high: bits(lo, hi),
        }
    }
}

#[target_feature(enable = "avx2")]
#[inline]
#[allow(unsafe_code)]
unsafe fn maybe_special(block: &[u8; 64]) -> bool {
    // SAFETY: as in `masks`.
    unsafe {
        let (lo, hi) = halves(block);
        // Signed, as in SSE2's: 0x0E > byte also holds for bytes ≥ 0x80.
        let limit = _mm256_set1_epi8(0x0E);
        let any = _mm256_or_si256(_mm256_cmpgt_epi8(limit, lo), _mm256_cmpgt_epi8(limit, hi));
        _mm256_movemask_epi8(any) != 0
    }
}

#[target_feature(enable = "avx2")]
#[inline]
#[allow(unsafe_code)]
unsafe fn any(block: &[u8; 64]) -> (bool, bool) {
    // SAFETY: as in `masks`.
    unsafe {
        let (lo, hi) = halves(block);
        let eol = _mm256_or_si256(line_ends(lo), line_ends(hi));
        let high = _mm256_or_si256(lo, hi);
        (
            _mm256_movemask_epi8(eol) != 0,
            _mm256_movemask_epi8(high) != 0,
        )
    }
}
