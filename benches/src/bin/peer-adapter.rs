//! `peer-adapter NAME [--chunk-size N] [--count | --encode | --capabilities]`: any
//! implementation wrapped in `src/peers/` behind `conformance/PROTOCOL.md` (version 2).
//! `peer-adapter --list` prints the parsers' names, crates, versions and how each is driven,
//! tab-separated, one per line; `peer-adapter --list-encoders` the encoders that parse nothing.

use std::io::{self, BufRead, Read, Write};
use std::process::ExitCode;

use bytes::Bytes;
use ssewire_benches::peers::{encoders, find_parser, parsers};
use ssewire_benches::{chunks, EncodeItem};

const USAGE: &str =
    "usage: peer-adapter NAME [--chunk-size N] [--count | --encode | --capabilities]
       peer-adapter --list | --list-encoders";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--list") {
        for p in parsers() {
            println!("{}\t{}\t{}\t{}", p.name, p.krate, p.version, p.how);
        }
        return ExitCode::SUCCESS;
    }
    if args.first().map(String::as_str) == Some("--list-encoders") {
        let parser_names: Vec<&str> = parsers().iter().map(|p| p.name).collect();
        for e in encoders()
            .iter()
            .filter(|e| !parser_names.contains(&e.name))
        {
            println!("{}\t{}\t{}\t{}", e.name, e.krate, e.version, e.how);
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
            "--capabilities" => return capabilities(name),
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
    let Some(parser) = find_parser(name) else {
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

/// The protocol's `--capabilities` answer. The wrappers glue what their crate leaves to its
/// caller; what no glue can recover is the crate's `LACKS`.
fn capabilities(name: &str) -> ExitCode {
    let parser = find_parser(name);
    let encoder = encoders().into_iter().find(|e| e.name == name);
    let (krate, version) = match (&parser, &encoder) {
        (Some(p), _) => (p.krate, p.version),
        (None, Some(e)) => (e.krate, e.version),
        (None, None) => {
            eprintln!("no implementation named {name:?}; peer-adapter --list shows them");
            return ExitCode::from(2);
        }
    };
    let mut modes = Vec::new();
    if parser.is_some() {
        modes.extend(["parse", "count"]);
    }
    if encoder.is_some() {
        modes.push("encode");
    }
    let lacks = parser.as_ref().map_or(&[][..], |p| p.lacks);
    let answer = serde_json::json!({
        "protocol": 2,
        "name": name,
        "library": krate,
        "version": version,
        "language": "Rust",
        "modes": modes,
        "lacks": lacks.iter().map(|(name, _)| name).collect::<Vec<_>>(),
        "why": lacks.iter().copied().collect::<std::collections::BTreeMap<_, _>>(),
    });
    println!("{answer}");
    ExitCode::SUCCESS
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
