//! The benchmark inputs: generated in memory from a fixed pattern (no randomness, so every run
//! and every machine parses the same bytes), each with the counts a correct parser must report.

use bytes::Bytes;

/// One benchmark input.
pub struct Workload {
    /// The benchmark group's name.
    pub name: &'static str,
    /// What it models, for the report.
    pub about: &'static str,
    /// The whole stream.
    pub bytes: Bytes,
    /// The size of the pieces it is delivered in (when `cuts` is empty).
    pub chunk_size: usize,
    /// Where each delivery chunk ends, for a workload whose chunks vary in size (the last
    /// ends at the stream's end); empty for fixed-size chunks.
    pub cuts: Vec<usize>,
    /// Events a conforming parser dispatches.
    pub events: u64,
    /// Sum of those events' data lengths.
    pub data_bytes: u64,
    /// Line feeds in the stream: what the memchr baseline must count.
    pub line_feeds: u64,
}

impl Workload {
    /// The stream cut into its delivery chunks (zero-copy slices).
    pub fn chunks(&self) -> Vec<Bytes> {
        if self.cuts.is_empty() {
            return crate::chunks(&self.bytes, self.chunk_size);
        }
        let starts = std::iter::once(0).chain(self.cuts.iter().copied());
        let ends = self
            .cuts
            .iter()
            .copied()
            .chain(std::iter::once(self.bytes.len()));
        starts
            .zip(ends)
            .map(|(start, end)| self.bytes.slice(start..end))
            .collect()
    }
}

/// Default size of a generated stream.
pub const TARGET_BYTES: usize = 32 << 20;
/// Chunk size for every workload that is not about chunking.
pub const CHUNK: usize = 64 << 10;

struct Builder {
    bytes: Vec<u8>,
    events: u64,
    data_bytes: u64,
    cuts: Vec<usize>,
}

impl Builder {
    fn new() -> Self {
        Builder {
            bytes: Vec::with_capacity(TARGET_BYTES + (1 << 20)),
            events: 0,
            data_bytes: 0,
            cuts: Vec::new(),
        }
    }

    fn finish(self, name: &'static str, about: &'static str, chunk_size: usize) -> Workload {
        let line_feeds = memchr::memchr_iter(b'\n', &self.bytes).count() as u64;
        Workload {
            name,
            about,
            bytes: Bytes::from(self.bytes),
            chunk_size,
            cuts: self.cuts,
            events: self.events,
            data_bytes: self.data_bytes,
            line_feeds,
        }
    }
}

/// A ~100-byte event with an id, a type and one JSON data line.
fn small_event(out: &mut Builder, n: u64, line_end: &[u8]) {
    let data = format!(
        "{{\"seq\":{n},\"user\":\"u{:04}\",\"price\":{}.{:02},\"ok\":true}}",
        n % 9973,
        n % 1000,
        n % 100
    );
    let b = &mut out.bytes;
    b.extend_from_slice(b"id: ");
    b.extend_from_slice(n.to_string().as_bytes());
    b.extend_from_slice(line_end);
    b.extend_from_slice(b"event: price-update");
    b.extend_from_slice(line_end);
    b.extend_from_slice(b"data: ");
    b.extend_from_slice(data.as_bytes());
    b.extend_from_slice(line_end);
    b.extend_from_slice(line_end);
    out.events += 1;
    out.data_bytes += data.len() as u64;
}

fn small_stream(line_end: &[u8], target: usize) -> Builder {
    let mut out = Builder::new();
    let mut n = 0;
    while out.bytes.len() < target {
        small_event(&mut out, n, line_end);
        n += 1;
    }
    out
}

/// `small`: ~100-byte events (id, event type, a JSON data line), LF line ends, 64 KiB chunks.
pub fn small() -> Workload {
    small_stream(b"\n", TARGET_BYTES).finish(
        "small",
        "~100-byte events: id, event type, one JSON data line; LF; 64 KiB chunks",
        CHUNK,
    )
}

/// `crlf`: `small` with CRLF line ends.
pub fn crlf() -> Workload {
    small_stream(b"\r\n", TARGET_BYTES).finish("crlf", "small, with CRLF line ends", CHUNK)
}

/// `chunked-1k`: `small` delivered in 1 KiB chunks.
pub fn chunked_1k() -> Workload {
    small_stream(b"\n", TARGET_BYTES).finish("chunked-1k", "small, in 1 KiB chunks", 1024)
}

/// `one-byte-chunks`: `small` delivered one byte at a time (a smaller stream: the worst case).
pub fn one_byte_chunks() -> Workload {
    small_stream(b"\n", 1 << 20).finish(
        "one-byte-chunks",
        "small (1 MiB of it), delivered 1 byte per chunk",
        1,
    )
}

/// A printable ASCII payload of `len` bytes that varies with `seed`.
fn payload(len: usize, seed: u64) -> Vec<u8> {
    const ALPHABET: &[u8] =
        b"abcdefghijklmnopqrstuvwxyz0123456789{}[]\":,.-_ ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ALPHABET[(state % ALPHABET.len() as u64) as usize]
        })
        .collect()
}

/// `large`: single-line data events of 64 KiB.
pub fn large() -> Workload {
    let mut out = Builder::new();
    let line = payload(64 << 10, 1);
    while out.bytes.len() < TARGET_BYTES {
        out.bytes.extend_from_slice(b"data: ");
        out.bytes.extend_from_slice(&line);
        out.bytes.extend_from_slice(b"\n\n");
        out.events += 1;
        out.data_bytes += line.len() as u64;
    }
    out.finish(
        "large",
        "64 KiB single-line data events; 64 KiB chunks",
        CHUNK,
    )
}

/// `multiline`: events of 50 data lines of 80 bytes each.
pub fn multiline() -> Workload {
    let mut out = Builder::new();
    // "data: " + 73 bytes + LF = 80 bytes per line.
    let lines: Vec<Vec<u8>> = (0..50).map(|i| payload(73, i + 7)).collect();
    while out.bytes.len() < TARGET_BYTES {
        for line in &lines {
            out.bytes.extend_from_slice(b"data: ");
            out.bytes.extend_from_slice(line);
            out.bytes.push(b'\n');
        }
        out.bytes.push(b'\n');
        out.events += 1;
        out.data_bytes += 50 * 73 + 49;
    }
    out.finish(
        "multiline",
        "events of 50 data lines, 80 bytes per line; 64 KiB chunks",
        CHUNK,
    )
}

/// `keep-alive`: mostly comment lines, with an event now and then.
pub fn keep_alive() -> Workload {
    let mut out = Builder::new();
    let mut n = 0;
    while out.bytes.len() < TARGET_BYTES {
        for _ in 0..20 {
            out.bytes.extend_from_slice(b": keep-alive\n");
        }
        small_event(&mut out, n, b"\n");
        n += 1;
    }
    out.finish(
        "keep-alive",
        "20 `: keep-alive` comments per small event; 64 KiB chunks",
        CHUNK,
    )
}

/// One streamed token's text: mostly short ASCII word pieces, now and then a multi-byte one,
/// as a model's tokenizer emits them.
fn token(n: u64) -> &'static str {
    const TOKENS: [&str; 16] = [
        " the",
        " stream",
        "ing",
        " of",
        " tokens",
        ",",
        " each",
        " in",
        " its",
        " own",
        " chunk",
        ".",
        "\\n",
        " caf\u{e9}",
        " \u{2014}",
        " 42",
    ];
    TOKENS[(n.wrapping_mul(0x9E37_79B9) >> 7) as usize % TOKENS.len()]
}

/// `token-stream`: what model-streaming APIs send. Each network chunk carries one event of
/// about 200 bytes, `data: {..."delta":{"content":"<token>"}...}` and a blank line; one event
/// in seven arrives split in two at a point that moves; every 400 tokens a `data: [DONE]`
/// ends the answer and the next begins.
pub fn token_stream() -> Workload {
    let mut out = Builder::new();
    let mut n: u64 = 0;
    while out.bytes.len() < TARGET_BYTES {
        let data = if n % 401 == 400 {
            "[DONE]".to_string()
        } else {
            let answer = n / 401;
            format!(
                "{{\"id\":\"cmpl-{answer:08x}\",\"object\":\"chat.completion.chunk\",\"created\":{},\
                 \"model\":\"bench-model-1\",\"choices\":[{{\"index\":0,\"delta\":\
                 {{\"content\":\"{}\"}},\"logprobs\":null,\"finish_reason\":null}}]}}",
                1_765_000_000 + answer,
                token(n)
            )
        };
        let start = out.bytes.len();
        out.bytes.extend_from_slice(b"data: ");
        out.bytes.extend_from_slice(data.as_bytes());
        out.bytes.extend_from_slice(b"\n\n");
        let len = out.bytes.len() - start;
        if n % 7 == 3 {
            out.cuts.push(start + 1 + (n as usize * 37) % (len - 1));
        }
        out.cuts.push(out.bytes.len());
        out.events += 1;
        out.data_bytes += data.len() as u64;
        n += 1;
    }
    out.cuts.pop();
    out.finish(
        "token-stream",
        "model-token events of ~200 bytes, one per chunk (one in seven split in two)",
        0,
    )
}

/// Every parse workload, in report order.
pub fn all() -> Vec<Workload> {
    vec![
        small(),
        crlf(),
        chunked_1k(),
        token_stream(),
        large(),
        multiline(),
        keep_alive(),
        one_byte_chunks(),
    ]
}

/// The items the encoder benchmarks encode, per workload, and the bytes they must produce.
pub struct EncodeWorkload {
    /// The group's name.
    pub name: &'static str,
    /// What it models.
    pub about: &'static str,
    /// The events.
    pub items: Vec<crate::EncodeItem>,
    /// This project's encoding of them: the baseline copies exactly these bytes.
    pub expected: Vec<u8>,
}

/// Encoder workloads: the small, large and multiline events above as items.
pub fn encode_all() -> Vec<EncodeWorkload> {
    use crate::EncodeItem;
    let small_items: Vec<EncodeItem> = (0..(TARGET_BYTES / 100) as u64)
        .map(|n| EncodeItem {
            event: Some("price-update".into()),
            id: Some(n.to_string()),
            data: Some(format!(
                "{{\"seq\":{n},\"user\":\"u{:04}\",\"price\":{}.{:02},\"ok\":true}}",
                n % 9973,
                n % 1000,
                n % 100
            )),
            ..EncodeItem::default()
        })
        .collect();
    let large_line = String::from_utf8(payload(64 << 10, 1)).expect("ASCII");
    let large_items: Vec<EncodeItem> = (0..TARGET_BYTES / (64 << 10))
        .map(|_| EncodeItem {
            data: Some(large_line.clone()),
            ..EncodeItem::default()
        })
        .collect();
    let multi: Vec<String> = (0..50)
        .map(|i| String::from_utf8(payload(73, i + 7)).expect("ASCII"))
        .collect();
    let multi_data = multi.join("\n");
    let multi_items: Vec<EncodeItem> = (0..TARGET_BYTES / 4001)
        .map(|_| EncodeItem {
            data: Some(multi_data.clone()),
            ..EncodeItem::default()
        })
        .collect();
    [
        (
            "small",
            "~100-byte events with id and event type",
            small_items,
        ),
        ("large", "64 KiB single-line data", large_items),
        ("multiline", "50 data lines of 73 bytes", multi_items),
    ]
    .into_iter()
    .map(|(name, about, items)| {
        let mut expected = Vec::new();
        <crate::peers::ssewire::Encoder as crate::SseEncoder>::encode(&items, &mut expected)
            .expect("ssewire encodes every workload item");
        EncodeWorkload {
            name,
            about,
            items,
            expected,
        }
    })
    .collect()
}
