//! Finding line ends 64 bytes at a time, noting non-ASCII bytes on the way.
//!
//! Why not `memchr2` per line: SSE lines are short (an `id:` line is a dozen bytes), and a call
//! per line costs more than the search. One pass over a 64-byte block yields a bit per CR/LF and
//! a bit per byte ≥ 0x80; every line that ends in the block is then a `trailing_zeros`, and a line
//! whose bytes have no high bit is ASCII, so valid UTF-8 without a second look (see
//! `utf8::ascii`).
//!
//! Three kernels give the same masks, one per file: SSE2 on x86_64 (part of its baseline), SWAR
//! on every other target, and AVX2 on x86_64 CPUs that have it (looked for at run time; see
//! [`Kernel`] and [`with_best_kernel`], the one place a kernel is chosen), which halves the
//! instructions per block. Tests check them against each other and against a byte-by-byte
//! model; `scripts/miri.sh` runs the parser's tests under Miri, once more built for AVX2.
//!
//! The measurements behind these choices: docs/performance.md, "Design notes from past
//! measurements".

// One kernel per file. Only `avx2` and `sse2` hold `unsafe` (intrinsics), each call with its
// `// SAFETY:` argument.
#[cfg(all(target_arch = "x86_64", any(feature = "std", target_feature = "avx2")))]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
mod sse2;
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub(crate) mod swar;

/// One bit per byte of a 64-byte block (bit `i` for byte `i`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Masks {
    /// CR or LF.
    pub(crate) eol: u64,
    /// Bytes ≥ 0x80 (not ASCII).
    pub(crate) high: u64,
}

/// The masks of `block`.
#[inline(always)]
pub(crate) fn masks(block: &[u8; 64]) -> Masks {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::masks(block)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        swar::masks(block)
    }
}

/// One bit per CR or LF in `block` (bit `i` for byte `i`): the SSE2 kernel's `eol` mask, for
/// ssewire-encoder, which splits data at line ends 64 bytes at a time on x86_64 (exported
/// as `ssewire_parser::shared::line_end_mask`). Inlined, the unused `high` mask compiles away.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn line_end_mask(block: &[u8; 64]) -> u64 {
    sse2::masks(block).eol
}

/// Whether `block` may hold a CR, an LF or a byte ≥ 0x80: true when it holds any byte below
/// 0x0E or at or above 0x80. One signed compare per 16 bytes answers both questions a long
/// line asks of each block, so plain ASCII text costs half of what [`any`] costs; a block it
/// flags (a line end, non-ASCII text, or a rare control byte) is then asked exactly.
#[inline(always)]
pub(crate) fn maybe_special(block: &[u8; 64]) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::maybe_special(block)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        swar::maybe_special(block)
    }
}

/// Whether `block` holds a CR or LF, and whether it holds a byte ≥ 0x80: the exact question
/// asked of the blocks inside a long line that [`maybe_special`] flags, and of every block once
/// the line is known not to be ASCII (the filter would flag them all).
#[inline(always)]
pub(crate) fn any(block: &[u8; 64]) -> (bool, bool) {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::any(block)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        swar::Swar.any(block)
    }
}

/// How a [`Scan`] examines 64-byte blocks: [`Baseline`] on every CPU, [`avx2::Avx2`] where the
/// CPU has AVX2. A kernel is a value so that the AVX2 one can exist only once the CPU was found
/// to have AVX2 (its constructor checks): holding one is the proof its instructions may run.
pub(crate) trait Kernel: Copy {
    /// The masks of `block`, as [`masks`] gives them.
    fn masks(self, block: &[u8; 64]) -> Masks;
    /// As [`maybe_special`].
    fn maybe_special(self, block: &[u8; 64]) -> bool;
    /// As [`any`].
    fn any(self, block: &[u8; 64]) -> (bool, bool);
    /// [`skip_long_line`] compiled for this kernel: out of line, entered once per long line.
    fn skip_long_line(self, input: &[u8], at: usize, high: u64) -> (usize, u64);
}

/// The kernel every CPU of the target runs: SSE2 on x86_64, SWAR elsewhere.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Baseline;

impl Kernel for Baseline {
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
        any(block)
    }

    #[inline(never)]
    fn skip_long_line(self, input: &[u8], at: usize, high: u64) -> (usize, u64) {
        skip_long_line(self, input, at, high)
    }
}

/// Work on one chunk's [`Scan`], whatever its kernel: [`with_best_kernel`] picks the kernel,
/// and `run` is compiled once per kernel, so the kernel's block questions inline into it.
pub(crate) trait KernelTask<'i> {
    /// What the work returns.
    type Output;
    /// Does the work on `scan`.
    fn run<K: Kernel>(self, scan: Scan<'i, K>) -> Self::Output;
}

/// Runs `task` on a scan of `input` with the best kernel this CPU has: AVX2 where it is found
/// (see [`avx2::Avx2::detect`]), the [`Baseline`] otherwise. The one place a kernel is chosen.
///
/// With AVX2, `task` runs inside a function compiled for AVX2 (`Avx2::run`), into which the
/// task, its loops and the kernel inline; the baseline's copy inlines into the caller. So the
/// caller should be out of line and entered once per chunk, not per line. The chunk and the
/// task travel as separate arguments: a task of one or two words then goes in registers, as
/// the arguments of the two hand-written dispatches this replaced did.
///
/// With `std` on x86_64, a kernel forced by `SSEWIRE_KERNEL` or [`force`] runs instead (see
/// [`KernelName`]); finding out costs one relaxed atomic load per chunk.
#[inline(always)]
pub(crate) fn with_best_kernel<'i, T: KernelTask<'i>>(input: &'i [u8], task: T) -> T::Output {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    match forced() {
        None | Some(KernelName::Avx2) => {}
        Some(KernelName::Swar) => return task.run(Scan::with_kernel(input, swar::Swar)),
        Some(KernelName::Sse2) => return task.run(Scan::new(input)),
    }
    #[cfg(all(target_arch = "x86_64", any(feature = "std", target_feature = "avx2")))]
    if let Some(avx2) = avx2::Avx2::detect() {
        return avx2.run(input, task);
    }
    task.run(Scan::new(input))
}

/// A kernel, by name: for running the parser (and the encoder's split) with one kernel in
/// particular, so that tests and bug hunts reach each one on a CPU that would pick another.
/// `SSEWIRE_KERNEL=swar|sse2|avx2` in the environment forces one for the whole process
/// (read once, at the first chunk; with the `std` feature on x86_64 only); a name this CPU
/// cannot run, or an unknown one, leaves the choice to the CPU. Results never depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelName {
    /// The portable kernel, eight bytes at a time in a `u64` (the baseline off x86_64).
    Swar,
    /// SSE2, the baseline on x86_64.
    Sse2,
    /// AVX2, on x86_64 CPUs that have it.
    Avx2,
}

impl KernelName {
    /// Every kernel, whether or not this CPU runs it.
    pub const ALL: [KernelName; 3] = [KernelName::Swar, KernelName::Sse2, KernelName::Avx2];

    /// The name `SSEWIRE_KERNEL` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            KernelName::Swar => "swar",
            KernelName::Sse2 => "sse2",
            KernelName::Avx2 => "avx2",
        }
    }

    /// The kernel `name` names, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        KernelName::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether this build on this CPU can run the kernel.
    pub fn is_available(self) -> bool {
        match self {
            KernelName::Swar => true,
            KernelName::Sse2 => cfg!(target_arch = "x86_64"),
            #[cfg(all(target_arch = "x86_64", any(feature = "std", target_feature = "avx2")))]
            KernelName::Avx2 => avx2::Avx2::detect().is_some(),
            #[cfg(not(all(
                target_arch = "x86_64",
                any(feature = "std", target_feature = "avx2")
            )))]
            KernelName::Avx2 => false,
        }
    }
}

/// The kernel [`with_best_kernel`] runs now.
pub fn kernel_in_use() -> KernelName {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if let Some(kernel) = forced() {
        return kernel;
    }
    match cfg!(target_arch = "x86_64") {
        true if KernelName::Avx2.is_available() => KernelName::Avx2,
        true => KernelName::Sse2,
        false => KernelName::Swar,
    }
}

/// The kernel forced by `SSEWIRE_KERNEL` or [`force`], if any: what the encoder asks, to split
/// data the portable way when SWAR is forced.
#[inline(always)]
pub fn forced_kernel() -> Option<KernelName> {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    {
        forced()
    }
    #[cfg(not(all(target_arch = "x86_64", feature = "std")))]
    {
        None
    }
}

/// The forced kernel, `NOT_READ` until the first chunk reads `SSEWIRE_KERNEL`, then `CPU` or
/// a `KernelName` as `u8`. Relaxed: each value is whole and final, whichever thread wrote it.
#[cfg(all(target_arch = "x86_64", feature = "std"))]
static FORCED: core::sync::atomic::AtomicU8 = core::sync::atomic::AtomicU8::new(NOT_READ);
#[cfg(all(target_arch = "x86_64", feature = "std"))]
const NOT_READ: u8 = 0xFF;
#[cfg(all(target_arch = "x86_64", feature = "std"))]
const CPU: u8 = 0xFE;

/// The kernel forced on this process, if any.
#[cfg(all(target_arch = "x86_64", feature = "std"))]
#[inline(always)]
fn forced() -> Option<KernelName> {
    use core::sync::atomic::Ordering::Relaxed;
    let code = match FORCED.load(Relaxed) {
        NOT_READ => read_forced(),
        code => code,
    };
    KernelName::ALL.get(usize::from(code)).copied()
}

/// Reads `SSEWIRE_KERNEL` once; out of line, as it runs once per process.
#[cfg(all(target_arch = "x86_64", feature = "std"))]
#[cold]
#[inline(never)]
fn read_forced() -> u8 {
    use core::sync::atomic::Ordering::Relaxed;
    let code = choice(std::env::var("SSEWIRE_KERNEL").ok().as_deref());
    // A `force` that came first wins over the environment.
    match FORCED.compare_exchange(NOT_READ, code, Relaxed, Relaxed) {
        Ok(_) => code,
        Err(set) => set,
    }
}

/// What `SSEWIRE_KERNEL` set to `name` forces: a kernel this CPU runs, or the CPU's choice.
#[cfg(all(target_arch = "x86_64", feature = "std"))]
fn choice(name: Option<&str>) -> u8 {
    match name.and_then(KernelName::from_name) {
        Some(kernel) if kernel.is_available() => kernel as u8,
        _ => CPU,
    }
}

/// Forces `kernel` on the whole process from the next chunk on (`None`: the CPU's choice
/// again), overriding `SSEWIRE_KERNEL`. Returns false, changing nothing, when this CPU cannot
/// run it or the build cannot force kernels (no `std`, or not x86_64, where SWAR is the only
/// kernel and forcing it is a no-op that returns true).
pub fn force(kernel: Option<KernelName>) -> bool {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    {
        let code = match kernel {
            Some(kernel) if !kernel.is_available() => return false,
            Some(kernel) => kernel as u8,
            None => CPU,
        };
        FORCED.store(code, core::sync::atomic::Ordering::Relaxed);
        true
    }
    #[cfg(not(all(target_arch = "x86_64", feature = "std")))]
    {
        kernel.map_or(true, |kernel| kernel == kernel_in_use())
    }
}

/// From `at`, inside a line that already filled a whole block: the first block that may end
/// it (or the chunk's short last block), and `high` updated for the blocks skipped. Asks the
/// blocks only whether they end the line and, while the line is ASCII so far, whether they hold
/// a high byte; `maybe_special` lets plain text through with one compare per vector. Inlined
/// into each kernel's out-of-line [`Kernel::skip_long_line`], so that it compiles to a tight
/// loop of that kernel's instructions.
#[inline(always)]
fn skip_long_line<K: Kernel>(
    kernel: K,
    input: &[u8],
    mut at: usize,
    mut high: u64,
) -> (usize, u64) {
    while let Some(block) = input.get(at..).and_then(<[u8]>::first_chunk) {
        if high == 0 && !kernel.maybe_special(block) {
            #[cfg(test)]
            tests::FILTERED.with(|count| count.set(count.get() + 1));
            at += 64;
            continue;
        }
        let (eol, block_high) = kernel.any(block);
        if eol {
            break;
        }
        high |= u64::from(block_high);
        at += 64;
    }
    (at, high)
}

/// `Scan::start` before any block is loaded: every index `at` of a chunk gives
/// `at.wrapping_sub(NO_BLOCK) == at + 64`, so none is taken to lie in the loaded block.
const NO_BLOCK: usize = usize::MAX - 63;

/// A cursor over one chunk that finds line ends, keeping the masks of the block it last looked
/// at, so the short lines that share a block cost one scan between them.
///
/// It is built anew for every chunk a `feed` call gets, so its masks always describe the bytes
/// it holds a shared borrow of.
pub(crate) struct Scan<'a, K: Kernel = Baseline> {
    kernel: K,
    input: &'a [u8],
    /// `input` index of the block's first byte ([`NO_BLOCK`] before the first block).
    start: usize,
    masks: Masks,
    /// The last `line_end` that found no line end: from where, and whether that rest was ASCII.
    /// Asked again (the fast paths hand a chunk's last, partial line on to the general path),
    /// it answers without scanning the rest a second time.
    no_end_from: usize,
    no_end_ascii: bool,
}

impl<'a> Scan<'a> {
    /// A scan with the [`Baseline`] kernel.
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Scan::with_kernel(input, Baseline)
    }
}

impl<'a, K: Kernel> Scan<'a, K> {
    /// A scan that examines blocks with `kernel`.
    pub(crate) fn with_kernel(input: &'a [u8], kernel: K) -> Self {
        Scan {
            kernel,
            input,
            start: NO_BLOCK,
            masks: Masks { eol: 0, high: 0 },
            no_end_from: usize::MAX,
            no_end_ascii: false,
        }
    }

    /// The chunk this cursor scans.
    pub(crate) fn input(&self) -> &'a [u8] {
        self.input
    }

    #[inline(always)]
    fn load(&mut self, at: usize) {
        self.start = at;
        self.masks = match self.input[at..].first_chunk::<64>() {
            Some(block) => self.kernel.masks(block),
            None => self.tail_masks(at),
        };
    }

    /// The masks of the chunk's last, short block.
    #[cold]
    #[inline(never)]
    fn tail_masks(&self, at: usize) -> Masks {
        let rest = &self.input[at..];
        // A chunk of a block or more ends with `rest`: load its last 64 bytes where they lie
        // and shift out the bits of the bytes before `rest` (no copy into a padded block).
        if let Some(last) = self.input.last_chunk::<64>() {
            let before = (64 - rest.len()) as u32;
            let masks = self.kernel.masks(last);
            return Masks {
                eol: masks.eol.checked_shr(before).unwrap_or(0),
                high: masks.high.checked_shr(before).unwrap_or(0),
            };
        }
        // Zero padding adds neither line ends nor high bytes.
        let mut block = [0u8; 64];
        block[..rest.len()].copy_from_slice(rest);
        self.kernel.masks(&block)
    }

    /// The index of the first CR or LF at or after `from`, and whether every byte from `from`
    /// up to it is ASCII; or, when `input[from..]` holds no line end, whether all of it is ASCII.
    #[inline(always)]
    pub(crate) fn line_end(&mut self, from: usize) -> Result<(usize, bool), bool> {
        if from == self.no_end_from {
            return Err(self.no_end_ascii);
        }
        let mut at = from;
        let mut high = 0u64;
        loop {
            if at >= self.input.len() {
                self.no_end_from = from;
                self.no_end_ascii = high == 0;
                return Err(high == 0);
            }
            if at.wrapping_sub(self.start) >= 64 {
                self.load(at);
            }
            let shift = at - self.start;
            let eol = self.masks.eol >> shift;
            let bytes_high = self.masks.high >> shift;
            if eol != 0 {
                let len = eol.trailing_zeros();
                high |= bytes_high & ((1u64 << len) - 1);
                return Ok((at + len as usize, high == 0));
            }
            high |= bytes_high;
            at = self.start + 64;
            debug_assert!(at > self.start, "the scan did not move to the next block");
            if shift != 0 || at >= self.input.len() {
                // Only the tail of the block was this line's, so the next block likely ends
                // it; or the chunk ends here.
                continue;
            }
            let skipped_from = at;
            (at, high) = self.kernel.skip_long_line(self.input, at, high);
            // Checked in tests: a skip that went backwards would loop here for ever.
            debug_assert!(at >= skipped_from, "skip_long_line went back");
        }
    }
}

/// The AVX2 kernel, for tests that compare it with the baseline: `None` where the CPU lacks
/// AVX2 or the build cannot look for it (then typed as the baseline, never built).
#[cfg(all(
    test,
    target_arch = "x86_64",
    any(feature = "std", target_feature = "avx2")
))]
pub(crate) fn avx2_for_tests() -> Option<avx2::Avx2> {
    avx2::Avx2::detect()
}

/// See above.
#[cfg(all(
    test,
    not(all(target_arch = "x86_64", any(feature = "std", target_feature = "avx2")))
))]
pub(crate) fn avx2_for_tests() -> Option<Baseline> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    std::thread_local! {
        /// Blocks of long lines that `maybe_special` let through on this thread: the filter
        /// exists for speed, so a test counts that plain ASCII takes it.
        pub(super) static FILTERED: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
    }

    /// How many blocks the filter let through while `run` ran.
    fn filtered(run: impl FnOnce()) -> usize {
        let before = FILTERED.with(core::cell::Cell::get);
        run();
        FILTERED.with(core::cell::Cell::get) - before
    }

    /// `line_end(from)` on `input` with `kernel`, and the blocks the filter let through.
    fn filtered_line_end<K: Kernel>(
        input: &[u8],
        from: usize,
        kernel: K,
    ) -> (Result<(usize, bool), bool>, usize) {
        let mut end = Err(false);
        let count = filtered(|| end = Scan::with_kernel(input, kernel).line_end(from));
        (end, count)
    }

    /// The checks of the test below, for one kernel.
    fn check_filtered<K: Kernel>(name: &str, kernel: K) {
        let mut ascii = vec![b'q'; 64 * 20];
        ascii.push(b'\n');
        let mut latin = ascii.clone();
        latin[5] = 0xE9;
        // From a block's start: that block is the line's own load, the other nineteen skipped.
        let run = filtered_line_end(&ascii, 0, kernel);
        assert_eq!(run, (Ok((1280, true)), 19), "{name}");
        // A line that starts inside a block already loaded (after a short one): the rest of
        // that block, then the next block as a whole (a line that started late in a block is
        // likely to end in the next), then eighteen skipped.
        let mut after_short = ascii.clone();
        after_short[2] = b'\n';
        let mut scan = Scan::with_kernel(&after_short, kernel);
        assert_eq!(scan.line_end(0), Ok((2, true)), "{name}");
        let mut second = Err(false);
        let count = filtered(|| second = scan.line_end(3));
        assert_eq!((second, count), (Ok((1280, true)), 18), "{name}");
        // Non-ASCII: the filter is not asked.
        let run = filtered_line_end(&latin, 0, kernel);
        assert_eq!(run, (Ok((1280, false)), 0), "{name}");
    }

    #[test]
    fn plain_ascii_blocks_of_a_long_line_pass_the_filter_and_others_get_the_exact_question() {
        // A long line of twenty blocks: plain ASCII passes `maybe_special`'s filter block by
        // block, and once a high byte made the line non-ASCII the filter is not asked (it
        // would flag every such block). Counted, as turning the filter off changes only speed.
        check_filtered("baseline", Baseline);
        check_filtered("SWAR", swar::Swar);
        if let Some(avx2) = avx2_for_tests() {
            check_filtered("AVX2", avx2);
        }
    }

    /// `line_end` from a new scan, which the AVX2 kernel (where the CPU has it) must agree with.
    fn line_end_every_kernel(input: &[u8], from: usize) -> Result<(usize, bool), bool> {
        let baseline = Scan::new(input).line_end(from);
        assert_eq!(
            Scan::with_kernel(input, swar::Swar).line_end(from),
            baseline,
            "SWAR"
        );
        if let Some(avx2) = avx2_for_tests() {
            assert_eq!(
                Scan::with_kernel(input, avx2).line_end(from),
                baseline,
                "AVX2"
            );
        }
        baseline
    }

    fn special_model(block: &[u8; 64]) -> bool {
        block.iter().any(|b| !(0x0E..0x80).contains(b))
    }

    fn model(block: &[u8; 64]) -> Masks {
        let mut m = Masks { eol: 0, high: 0 };
        for (i, &b) in block.iter().enumerate() {
            m.eol |= u64::from(b == b'\n' || b == b'\r') << i;
            m.high |= u64::from(b >= 0x80) << i;
        }
        m
    }

    #[test]
    fn every_byte_value_at_every_position_gives_the_models_masks() {
        // Under Miri (scripts/miri.sh), the lane edges and the interesting bytes only: the full
        // sweep takes minutes there and checks arithmetic, not memory.
        let positions: Vec<usize> = match cfg!(miri) {
            true => vec![0, 1, 15, 16, 17, 31, 32, 48, 62, 63],
            false => (0..64).collect(),
        };
        let values: Vec<u8> = match cfg!(miri) {
            true => vec![0, b'\n', b'\r', b'a', 0x7F, 0x80, 0xC3, 0xFF],
            false => (0..=255).collect(),
        };
        for &position in &positions {
            for &value in &values {
                let mut block = [b'a'; 64];
                block[position] = value;
                block[63 - position] = value.wrapping_add(13);
                assert_eq!(masks(&block), model(&block), "{value:#x} at {position}");
                assert_eq!(
                    swar::masks(&block),
                    model(&block),
                    "{value:#x} at {position}"
                );
                let special = special_model(&block);
                assert_eq!(maybe_special(&block), special, "{value:#x} at {position}");
                assert_eq!(swar::maybe_special(&block), special, "{value:#x}");
                let exact = (model(&block).eol != 0, model(&block).high != 0);
                assert_eq!(any(&block), exact, "{value:#x} at {position}");
                assert_eq!(
                    swar::Swar.any(&block),
                    exact,
                    "SWAR {value:#x} at {position}"
                );
                // The kernel values too, not only the functions they call: a filter that always
                // said "maybe" would change speed, not answers, anywhere else.
                assert_eq!(Baseline.masks(&block), model(&block), "{value:#x}");
                assert_eq!(Baseline.maybe_special(&block), special, "{value:#x}");
                assert_eq!(Baseline.any(&block), exact, "{value:#x} at {position}");
                if let Some(avx2) = avx2_for_tests() {
                    assert_eq!(
                        avx2.masks(&block),
                        model(&block),
                        "AVX2 {value:#x} at {position}"
                    );
                    assert_eq!(avx2.maybe_special(&block), special, "AVX2 {value:#x}");
                    assert_eq!(avx2.any(&block), exact, "AVX2 {value:#x} at {position}");
                }
            }
        }
    }

    #[test]
    fn pseudo_random_blocks_give_the_models_masks() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..if cfg!(miri) { 20 } else { 2000 } {
            let mut block = [0u8; 64];
            for byte in &mut block {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Bias towards the interesting bytes.
                *byte = match state % 5 {
                    0 => b'\n',
                    1 => b'\r',
                    _ => (state >> 8) as u8,
                };
            }
            assert_eq!(masks(&block), model(&block));
            assert_eq!(swar::masks(&block), model(&block));
            assert_eq!(maybe_special(&block), special_model(&block));
            assert_eq!(swar::maybe_special(&block), special_model(&block));
            if let Some(avx2) = avx2_for_tests() {
                assert_eq!(avx2.masks(&block), model(&block));
                assert_eq!(avx2.maybe_special(&block), special_model(&block));
                assert_eq!(avx2.any(&block), any(&block));
            }
        }
    }

    #[test]
    fn each_kernel_is_named_and_forced_by_its_name() {
        for kernel in KernelName::ALL {
            assert_eq!(KernelName::from_name(kernel.as_str()), Some(kernel));
            assert_eq!(KernelName::ALL[kernel as usize], kernel);
        }
        assert_eq!(KernelName::from_name("AVX2"), None);
        assert_eq!(KernelName::from_name(""), None);
        assert!(KernelName::Swar.is_available());
        assert_eq!(
            KernelName::Sse2.is_available(),
            cfg!(target_arch = "x86_64")
        );
        assert_eq!(
            KernelName::Avx2.is_available(),
            avx2_for_tests().is_some() && cfg!(target_arch = "x86_64")
        );
        // AVX2 is found exactly where the CPU has it (turning detection off changes speed only).
        #[cfg(all(target_arch = "x86_64", feature = "std"))]
        assert_eq!(
            avx2_for_tests().is_some(),
            std::arch::is_x86_feature_detected!("avx2")
        );
    }

    /// Which kernel `with_best_kernel` ran.
    struct Which;

    impl KernelTask<'_> for Which {
        type Output = &'static str;

        fn run<K: Kernel>(self, _: Scan<'_, K>) -> &'static str {
            core::any::type_name::<K>()
        }
    }

    #[test]
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    fn forcing_a_kernel_makes_the_dispatch_run_it() {
        // The one unit test that forces: the others name their kernel, so they do not mind.
        for kernel in KernelName::ALL.into_iter().filter(|k| k.is_available()) {
            assert!(force(Some(kernel)));
            assert_eq!(kernel_in_use(), kernel);
            assert_eq!(forced_kernel(), Some(kernel));
            let ran = with_best_kernel(b"", Which);
            let want = match kernel {
                KernelName::Swar => "Swar",
                KernelName::Sse2 => "Baseline",
                KernelName::Avx2 => "Avx2",
            };
            assert!(ran.ends_with(want), "{kernel:?} ran {ran}");
        }
        assert!(force(None));
        assert_eq!(forced_kernel(), None);
        let (best, name) = match avx2_for_tests() {
            Some(_) => ("Avx2", KernelName::Avx2),
            None => ("Baseline", KernelName::Sse2),
        };
        assert!(with_best_kernel(b"", Which).ends_with(best));
        assert_eq!(kernel_in_use(), name);
        // What the environment variable's values force.
        for kernel in KernelName::ALL {
            let code = choice(Some(kernel.as_str()));
            match kernel.is_available() {
                true => assert_eq!(code, kernel as u8, "{kernel:?}"),
                false => assert_eq!(code, CPU, "{kernel:?}"),
            }
        }
        for other in [None, Some(""), Some("SWAR"), Some("avx512"), Some("sse2 ")] {
            assert_eq!(choice(other), CPU, "{other:?}");
        }
        if avx2_for_tests().is_none() {
            assert!(
                !force(Some(KernelName::Avx2)),
                "AVX2 forced on a CPU without it"
            );
        }
    }

    #[test]
    fn control_bytes_in_a_long_line_neither_end_it_nor_make_it_non_ascii() {
        // Bytes below 0x0E other than CR and LF pass `maybe_special`'s filter to the exact check.
        for control in [0x00, b'\t', 0x0B, 0x0C] {
            for at in [0, 64, 130, 700] {
                let mut input = [b'z'; 1000];
                input[at] = control;
                input[900] = b'\n';
                assert_eq!(
                    line_end_every_kernel(&input, 0),
                    Ok((900, true)),
                    "{control} {at}"
                );
                input[at + 5] = 0xE9;
                assert_eq!(
                    line_end_every_kernel(&input, 0),
                    Ok((900, false)),
                    "{control} {at}"
                );
            }
        }
    }

    #[test]
    fn line_end_reports_each_end_and_ascii_across_blocks() {
        let mut input = [b'x'; 300];
        input[3] = b'\n';
        input[70] = 0xC3; // inside the line 4..130
        input[130] = b'\r';
        input[131] = b'\n';
        input[299] = b'\n';
        let mut scan = Scan::new(&input);
        assert_eq!(scan.line_end(0), Ok((3, true)));
        assert_eq!(scan.line_end(4), Ok((130, false)));
        assert_eq!(scan.line_end(131), Ok((131, true)));
        assert_eq!(scan.line_end(132), Ok((299, true)));
        assert_eq!(scan.line_end(300), Err(true));
        assert_eq!(Scan::new(b"abc").line_end(0), Err(true));
        assert_eq!(Scan::new(b"ab\xC3").line_end(0), Err(false));
        // Asked again, the answer is remembered, and other positions are still scanned.
        let mut partial = Scan::new(b"a\nb\xC3");
        assert_eq!(partial.line_end(2), Err(false));
        assert_eq!(partial.line_end(2), Err(false));
        assert_eq!(partial.line_end(0), Ok((1, true)));
        assert_eq!(partial.line_end(5), Err(true));
        assert_eq!(Scan::new(b"").line_end(0), Err(true));
        // Moving backwards (a new feed call would) reloads.
        assert_eq!(scan.line_end(0), Ok((3, true)));
        // A long line: high bytes in the skipped blocks and in the last one count.
        for (high_at, end) in [
            (None, 1000),
            (Some(5), 1000),
            (Some(500), 1000),
            (Some(990), 1000),
        ] {
            let mut input = [b'y'; 1100];
            input[end] = b'\n';
            if let Some(at) = high_at {
                input[at] = 0x80;
            }
            for from in [0, 1, 63, 64, 65] {
                let ascii = high_at.map_or(true, |at| at < from);
                assert_eq!(
                    line_end_every_kernel(&input, from),
                    Ok((end, ascii)),
                    "{high_at:?} {from}"
                );
                assert_eq!(
                    line_end_every_kernel(&input[..end], from),
                    Err(ascii),
                    "{high_at:?} {from}"
                );
            }
        }
    }
}
