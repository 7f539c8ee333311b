//! `peer-adapter NAME [--chunk-size N] [--count | --encode]`: any implementation wrapped in
//! `src/peers/` behind `shared/adapter-protocol.md`. `peer-adapter --list` prints the names,
//! crates and versions, tab-separated, one per line.

use std::io::{self, BufRead, Read, Write};
use std::process::ExitCode;

use bytes::Bytes;
use ssewire_benches::peers::{encoders, parsers};
use ssewire_benches::{chunks, EncodeItem};

const USAGE: &str = "usage: peer-adapter NAME [--chunk-size N] [--count | --encode]
       peer-adapter --list";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--list") {
        for p in parsers() {
            println!("{}\t{}\t{}\t{}", p.name, p.krate, p.version, p.how);
        }
        return ExitCode::SUCCESS;
    }
    let Some(name) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let (mut chunk_size, mut count, mut encode) = (None, false, false);
    let mut rest = args[1..].iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--chunk-size" => match rest.next().and_then(|n| n.parse::<usize>().ok()) {
                Some(n) if n > 0 => chunk_size = Some(n),
                _ => {
                    eprintln!("--chunk-size takes a positive number\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--count" => count = true,
            "--encode" => encode = true,
            other => {
                eprintln!("unknown argument {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    if encode {
        return run_encode(name);
    }
    let Some(parser) = parsers().into_iter().find(|p| p.name == name) else {
        eprintln!("no parser named {name:?}; peer-adapter --list shows them");
        return ExitCode::from(2);
    };
    let mut input = Vec::new();
    if let Err(err) = io::stdin().read_to_end(&mut input) {
        eprintln!("reading stdin: {err}");
        return ExitCode::FAILURE;
    }
    let input = Bytes::from(input);
    let pieces = match chunk_size {
        Some(size) => chunks(&input, size),
        None if input.is_empty() => Vec::new(),
        None => vec![input.clone()],
    };
    let mut out = Vec::new();
    if count {
        let c = (parser.count)(&pieces);
        writeln!(
            out,
            "{{\"events\":{},\"retries\":{},\"data_bytes\":{}}}",
            c.events, c.retries, c.data_bytes
        )
        .expect("writing to a Vec");
    } else {
        (parser.json_lines)(&pieces, &mut out);
    }
    match io::stdout().lock().write_all(&out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("writing stdout: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run_encode(name: &str) -> ExitCode {
    let Some(encoder) = encoders().into_iter().find(|e| e.name == name) else {
        eprintln!("no encoder named {name:?}");
        return ExitCode::from(2);
    };
    let mut stdout = io::stdout().lock();
    for line in io::stdin().lock().lines() {
        let line = match line {
            Ok(line) => line,
            Err(err) => {
                eprintln!("reading stdin: {err}");
                return ExitCode::FAILURE;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let item = match parse_item(&line) {
            Ok(item) => item,
            Err(reason) => {
                eprintln!("{reason}");
                return ExitCode::FAILURE;
            }
        };
        let mut out = Vec::new();
        if let Err(reason) = (encoder.encode)(std::slice::from_ref(&item), &mut out) {
            eprintln!("{reason}");
            return ExitCode::from(2);
        }
        if stdout.write_all(&out).is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn parse_item(line: &str) -> Result<EncodeItem, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    Ok(EncodeItem {
        event: text("event"),
        data: text("data"),
        id: text("id"),
        retry: value.get("retry").and_then(|v| v.as_u64()),
        comment: text("comment"),
    })
}
