//! Parses 1 GiB of events (generated on the fly into one reused 64 KiB buffer, as a socket
//! read loop would deliver them) and prints the process's peak resident memory: the parser's
//! memory stays flat however long the stream runs.
//!
//! ```text
//! cargo run --release -p ssewire-parser --example endless_stream [GIB]
//! ```

use std::io::Write;

use ssewire_parser::{Parser, Step};

/// The process's peak resident set (VmHWM), in KiB, where /proc tells it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let gib: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let total = gib << 30;
    let mut parser = Parser::new();
    let mut buffer: Vec<u8> = Vec::with_capacity(64 << 10);
    let (mut fed, mut events, mut data_bytes, mut seq) = (0u64, 0u64, 0u64, 0u64);
    let before = peak_rss_kib();
    while fed < total {
        // Fill the buffer with whole and partial events, as reads from a socket would.
        buffer.clear();
        while buffer.len() < buffer.capacity() - 128 {
            let _ = write!(
                buffer,
                "id: {seq}\nevent: tick\ndata: {{\"seq\":{seq},\"note\":\"keep going\"}}\n\n"
            );
            seq += 1;
        }
        // Cut mid-event so lines span reads.
        let cut = buffer.len() - 17;
        for chunk in [&buffer[..cut], &buffer[cut..]] {
            parser.feed_each(chunk, |step| {
                if let Ok(Step::Event(event)) = step {
                    events += 1;
                    data_bytes += event.data().len() as u64;
                }
            });
        }
        fed += buffer.len() as u64;
    }
    parser.finish();
    assert_eq!(events, seq, "every generated event is parsed");
    println!(
        "parsed {:.2} GiB: {events} events, {data_bytes} data bytes",
        fed as f64 / (1u64 << 30) as f64
    );
    match (before, peak_rss_kib()) {
        (Some(before), Some(after)) => println!(
            "peak RSS: {after} KiB (before parsing: {before} KiB; growth {} KiB)",
            after.saturating_sub(before)
        ),
        _ => println!("peak RSS: not available on this platform (no /proc/self/status)"),
    }
}
