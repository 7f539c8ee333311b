//! `per-chunk NAME [CHUNKS] [WORKLOAD]`: parses the first `CHUNKS` chunks (default 20,000) of
//! a workload (default `token-stream`) with the parser called `NAME` (see `peer-adapter --list`), inside
//! one function, `measured_parse`, so that callgrind can count its instructions alone:
//! `benches/instructions.sh` runs it under `valgrind --tool=callgrind
//! --toggle-collect=*measured_parse*` and divides by the chunks.

use std::process::ExitCode;

use bytes::Bytes;
use ssewire_benches::peers::{find_parser, ParserEntry};
use ssewire_benches::{workloads, Counts};

#[inline(never)]
fn measured_parse(parser: &ParserEntry, chunks: &[Bytes]) -> Counts {
    (parser.count)(std::hint::black_box(chunks))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(parser) = args.first().and_then(|name| find_parser(name)) else {
        eprintln!("usage: per-chunk NAME [CHUNKS] [WORKLOAD]   (NAME from peer-adapter --list)");
        return ExitCode::from(2);
    };
    let wanted = args
        .get(1)
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(20_000);
    let workload = args.get(2).map_or("token-stream", String::as_str);
    let Some(workload) = workloads::all().into_iter().find(|w| w.name == workload) else {
        eprintln!("no workload {workload:?}");
        return ExitCode::from(2);
    };
    let mut chunks = workload.chunks();
    chunks.truncate(wanted);
    let counts = measured_parse(&parser, &chunks);
    let bytes: usize = chunks.iter().map(Bytes::len).sum();
    println!(
        "{{\"chunks\":{},\"bytes\":{bytes},\"events\":{}}}",
        chunks.len(),
        counts.events
    );
    ExitCode::SUCCESS
}
