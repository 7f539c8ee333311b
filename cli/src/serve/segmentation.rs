//! How a case's bytes are cut into TCP writes: whole, a byte at a time, between CR and LF,
//! inside UTF-8 sequences.

/// How a case's bytes are cut into TCP writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Segmentation {
    /// One write.
    Whole,
    /// One byte per write (the first 2048 bytes; then the rest in one write).
    Tiny,
    /// A cut between every CR and the LF after it (the first 2048 such cuts).
    Crlf,
    /// A cut inside every multi-byte UTF-8 sequence (the first 2048 such cuts).
    Utf8,
}

impl Segmentation {
    /// All of them, in report order.
    pub const ALL: [Segmentation; 4] = [
        Segmentation::Whole,
        Segmentation::Tiny,
        Segmentation::Crlf,
        Segmentation::Utf8,
    ];

    /// The name used in URLs and reports.
    ///
    /// ```
    /// use sse_conformance::serve::Segmentation;
    /// assert_eq!(Segmentation::Crlf.name(), "crlf");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Segmentation::Whole => "whole",
            Segmentation::Tiny => "tiny",
            Segmentation::Crlf => "crlf",
            Segmentation::Utf8 => "utf8",
        }
    }

    /// The segmentation with this [`Segmentation::name`].
    ///
    /// ```
    /// use sse_conformance::serve::Segmentation;
    /// assert_eq!(Segmentation::from_name("tiny"), Some(Segmentation::Tiny));
    /// ```
    pub fn from_name(name: &str) -> Option<Segmentation> {
        Segmentation::ALL.into_iter().find(|s| s.name() == name)
    }

    /// `input` cut into pieces.
    ///
    /// ```
    /// use sse_conformance::serve::Segmentation;
    /// let pieces = Segmentation::Crlf.cut(b"a\r\nb\r\n");
    /// assert_eq!(pieces, [&b"a\r"[..], b"\nb\r", b"\n"]);
    /// ```
    pub fn cut(self, input: &[u8]) -> Vec<&[u8]> {
        const TINY_MAX: usize = 2048;
        // The hostile floods have tens of thousands of CRLFs or multi-byte sequences. Over
        // HTTP/2 each piece is a DATA frame, and h2 closes a connection whose reader falls
        // behind by about 10,000 small frames (GOAWAY ENHANCE_YOUR_CALM, "too_many_data_frames"):
        // on a loaded machine our client over TLS did, in about half of the test runs. Past 2048
        // cuts, as for `Tiny`, the rest goes in one piece.
        const MAX_CUTS: usize = 2048;
        let cuts: Vec<usize> = match self {
            Segmentation::Whole => Vec::new(),
            Segmentation::Tiny => (1..input.len().min(TINY_MAX + 1)).collect(),
            Segmentation::Crlf => {
                let mut cuts: Vec<usize> = (1..input.len())
                    .filter(|&i| input[i - 1] == b'\r' && input[i] == b'\n')
                    .take(MAX_CUTS)
                    .collect();
                if cuts.is_empty() && input.len() > 1 {
                    cuts.push(input.len() / 2);
                }
                cuts
            }
            Segmentation::Utf8 => {
                let mut cuts: Vec<usize> = (1..input.len())
                    .filter(|&i| input[i] & 0xC0 == 0x80 && input[i - 1] >= 0x80)
                    .take(MAX_CUTS)
                    .collect();
                if cuts.is_empty() && input.len() > 1 {
                    cuts.push(input.len() / 2);
                }
                cuts
            }
        };
        let mut pieces = Vec::with_capacity(cuts.len() + 1);
        let mut start = 0;
        for cut in cuts.into_iter().chain([input.len()]) {
            if cut > start {
                pieces.push(&input[start..cut]);
            }
            start = cut;
        }
        pieces
    }
}
