//! The in-process runner: checks a parser, through a closure, against the whole corpus.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use crate::report::{CaseResult, Report, Verdict};
use crate::{Case, Output};

/// How inputs are cut into chunks. A conforming parser gives the same outputs for all of them.
///
/// ```
/// use ssewire_conformance::Chunkings;
/// let quick = Chunkings::QUICK;
/// let thorough = Chunkings::EXHAUSTIVE.every_split_up_to(1024).every_pair_up_to(64);
/// # let _ = (quick, thorough);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunkings {
    sizes: &'static [usize],
    every_split_up_to: usize,
    every_pair_up_to: usize,
}

impl Chunkings {
    /// The whole input as one chunk only.
    pub const WHOLE: Chunkings = Chunkings {
        sizes: &[],
        every_split_up_to: 0,
        every_pair_up_to: 0,
    };
    /// Whole, then chunks of 1, 2, 3, 7 and 64 bytes: the adapter runner's default sizes.
    pub const QUICK: Chunkings = Chunkings {
        sizes: &[1, 2, 3, 7, 64],
        every_split_up_to: 0,
        every_pair_up_to: 0,
    };
    /// [`Chunkings::QUICK`], plus every single split point for inputs up to 4 KiB (and 1-byte
    /// chunks with an empty chunk between each), plus every pair of split points for inputs
    /// up to 256 bytes.
    pub const EXHAUSTIVE: Chunkings = Chunkings {
        sizes: &[1, 2, 3, 7, 64],
        every_split_up_to: 4096,
        every_pair_up_to: 256,
    };

    /// The fixed chunk sizes tried after the whole input, in bytes.
    ///
    /// ```
    /// assert_eq!(ssewire_conformance::Chunkings::QUICK.sizes(), [1, 2, 3, 7, 64]);
    /// ```
    pub const fn sizes(&self) -> &'static [usize] {
        self.sizes
    }

    /// Splits inputs of up to `len` bytes at every single position.
    ///
    /// ```
    /// let _ = ssewire_conformance::Chunkings::QUICK.every_split_up_to(100);
    /// ```
    #[must_use]
    pub const fn every_split_up_to(mut self, len: usize) -> Self {
        self.every_split_up_to = len;
        self
    }

    /// Splits inputs of up to `len` bytes at every pair of positions.
    ///
    /// ```
    /// let _ = ssewire_conformance::Chunkings::QUICK.every_pair_up_to(32);
    /// ```
    #[must_use]
    pub const fn every_pair_up_to(mut self, len: usize) -> Self {
        self.every_pair_up_to = len;
        self
    }

    /// Calls `each` with every chunking of `input` this plan covers, and a description of it;
    /// stops early when `each` returns `false`.
    ///
    /// ```
    /// let mut n = 0;
    /// ssewire_conformance::Chunkings::QUICK.for_each(b"abc", |_, _| { n += 1; true });
    /// assert_eq!(n, 6);
    /// ```
    pub fn for_each(
        &self,
        input: &[u8],
        mut each: impl FnMut(&[&[u8]], &dyn fmt::Display) -> bool,
    ) {
        struct Said<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result>(F);
        impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Display for Said<F> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                (self.0)(f)
            }
        }
        let len = input.len();
        if !each(&[input], &"whole input") {
            return;
        }
        let mut chunks: Vec<&[u8]> = Vec::new();
        for &size in self.sizes {
            chunks.clear();
            chunks.extend(input.chunks(size));
            if !each(&chunks, &Said(|f| write!(f, "{size}-byte chunks"))) {
                return;
            }
        }
        if len <= self.every_split_up_to {
            chunks.clear();
            for byte in input.chunks(1) {
                chunks.extend([&input[..0], byte]);
            }
            chunks.push(&input[..0]);
            if !each(&chunks, &"1-byte chunks with an empty chunk between each") {
                return;
            }
            for at in 1..len {
                let (a, b) = input.split_at(at);
                if !each(&[a, b], &Said(|f| write!(f, "split at byte {at}"))) {
                    return;
                }
            }
        }
        if len <= self.every_pair_up_to {
            for first in 1..len {
                for second in first + 1..len {
                    let parts = [&input[..first], &input[first..second], &input[second..]];
                    if !each(
                        &parts,
                        &Said(|f| write!(f, "split at bytes {first} and {second}")),
                    ) {
                        return;
                    }
                }
            }
        }
    }
}

/// Which cases to run: comma-separated name prefixes, `-` in front to leave some out.
#[derive(Clone, Debug, Default)]
struct Filter {
    run: Vec<String>,
    skip: Vec<String>,
}

impl Filter {
    fn parse(spec: &str) -> Self {
        let mut filter = Filter::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.strip_prefix('-') {
                Some(skip) => filter.skip.push(skip.to_owned()),
                None => filter.run.push(part.to_owned()),
            }
        }
        filter
    }

    fn admits(&self, name: &str) -> bool {
        (self.run.is_empty() || self.run.iter().any(|p| name.starts_with(p.as_str())))
            && !self.skip.iter().any(|p| name.starts_with(p.as_str()))
    }
}

/// Runs the corpus through a parser given as a closure, from any crate's `cargo test`.
///
/// The closure gets one case's input as a list of chunks and returns every [`Output`] its
/// parser reports, in order (it must finish the stream: an unterminated block is discarded).
///
/// ```
/// use ssewire_conformance::{Chunkings, Output, Runner};
/// use ssewire_parser::{Parser, Step};
///
/// Runner::new()
///     .chunkings(Chunkings::QUICK)
///     .run(|chunks: &[&[u8]]| {
///         let mut parser = Parser::new();
///         let mut out = Vec::new();
///         for chunk in chunks {
///             parser.feed_each(chunk, |step| match step.unwrap() {
///                 Step::Event(e) => out.push(Output::event(e.event_type(), e.data(), e.last_event_id())),
///                 Step::Retry(ms) => out.push(Output::Retry(ms)),
///                 Step::NeedInput => {}
///             });
///         }
///         parser.finish();
///         out
///     })
///     .assert();
/// ```
#[derive(Clone, Debug)]
pub struct Runner {
    chunkings: Chunkings,
    filter: Filter,
    expected_failures: Vec<String>,
}

impl Default for Runner {
    fn default() -> Self {
        Self::new()
    }
}

impl Runner {
    /// A runner over every case with [`Chunkings::EXHAUSTIVE`], filtered by the
    /// `SSE_CONFORMANCE` environment variable when set (e.g. `utf8/,-hostile/`).
    ///
    /// ```
    /// let _ = ssewire_conformance::Runner::new();
    /// ```
    pub fn new() -> Self {
        let filter = std::env::var("SSE_CONFORMANCE")
            .map(|spec| Filter::parse(&spec))
            .unwrap_or_default();
        Runner {
            chunkings: Chunkings::EXHAUSTIVE,
            filter,
            expected_failures: Vec::new(),
        }
    }

    /// Sets how inputs are chunked.
    ///
    /// ```
    /// let _ = ssewire_conformance::Runner::new().chunkings(ssewire_conformance::Chunkings::WHOLE);
    /// ```
    #[must_use]
    pub fn chunkings(mut self, chunkings: Chunkings) -> Self {
        self.chunkings = chunkings;
        self
    }

    /// Runs only the cases this filter admits: comma-separated name prefixes, `-` in front
    /// to leave some out (`"id/,retry/"`, `"-hostile/"`). Replaces `SSE_CONFORMANCE`.
    ///
    /// ```
    /// let _ = ssewire_conformance::Runner::new().filter("-hostile/");
    /// ```
    #[must_use]
    pub fn filter(mut self, spec: &str) -> Self {
        self.filter = Filter::parse(spec);
        self
    }

    /// Cases your parser is known to fail (e.g. because of a documented limit): they are
    /// reported but do not fail [`Report::assert`], until one passes.
    ///
    /// ```
    /// let _ = ssewire_conformance::Runner::new().expected_failures(&["hostile/data-line-near-1mib"]);
    /// ```
    #[must_use]
    pub fn expected_failures(mut self, names: &[&str]) -> Self {
        self.expected_failures = names.iter().map(|&n| n.to_owned()).collect();
        self
    }

    /// Runs every admitted case through `parse` under every chunking, stopping a case at its
    /// first wrong chunking. A panic in `parse` is caught and reported as a crash.
    ///
    /// ```
    /// use ssewire_conformance::{Chunkings, Runner};
    /// let report = Runner::new().filter("eof/").chunkings(Chunkings::WHOLE).run(|_| Vec::new());
    /// assert!(report.failed() > 0); // a parser that reports nothing fails most cases
    /// ```
    pub fn run(&self, mut parse: impl FnMut(&[&[u8]]) -> Vec<Output>) -> Report {
        let mut report = Report::default();
        for case in Case::all().iter().filter(|c| self.filter.admits(&c.name)) {
            let mut verdict = Verdict::Pass;
            self.chunkings.for_each(&case.input, |chunks, chunking| {
                match panic::catch_unwind(AssertUnwindSafe(|| parse(chunks))) {
                    Ok(got) if got == case.expect => true,
                    Ok(got) => {
                        let chunking = chunking.to_string();
                        verdict = Verdict::Fail { chunking, got };
                        false
                    }
                    Err(payload) => {
                        let message = payload
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| payload.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "(not a string)".into());
                        let chunking = chunking.to_string();
                        let message = format!("panic: {message}");
                        verdict = Verdict::Crash { chunking, message };
                        false
                    }
                }
            });
            if self.expected_failures.contains(&case.name) {
                verdict = match verdict {
                    Verdict::Pass => Verdict::UnexpectedPass,
                    _ => Verdict::ExpectedFailure,
                };
            }
            report.results.push(CaseResult::new(case, verdict));
        }
        report
    }
}
