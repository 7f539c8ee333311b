//! `sse-conformance adapter`: this project's parser or encoder behind the adapter protocol.

use std::io::{self, BufWriter, Read, Write};
use std::num::NonZeroUsize;
use std::process::ExitCode;

use clap::Args;

use crate::adapter::{self, EncodeFailure};

/// Options of `adapter`.
#[derive(Debug, Args)]
pub struct AdapterArgs {
    /// Feed the parser in pieces of this many bytes (default: the whole input at once).
    #[arg(long, value_name = "N")]
    chunk_size: Option<NonZeroUsize>,
    /// Print only the totals line `{"events":E,"retries":R,"data_bytes":B}`.
    #[arg(long, conflicts_with = "encode")]
    count: bool,
    /// Encode: JSON items on stdin, text/event-stream on stdout; an item the format cannot
    /// carry exits with status 2.
    #[arg(long)]
    encode: bool,
    /// Print what this adapter is and can do (adapter protocol version 2) and exit.
    #[arg(long, conflicts_with_all = ["count", "encode"])]
    capabilities: bool,
}

pub(super) fn execute(args: AdapterArgs) -> Result<ExitCode, String> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.capabilities {
        let answer = serde_json::json!({
            "protocol": 2,
            "name": "ssewire",
            "library": "ssewire-parser",
            "version": env!("CARGO_PKG_VERSION"),
            "language": "Rust",
            "modes": ["parse", "count", "encode"],
            "lacks": [],
        });
        writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .unwrap_or_else(|e| super::stdout_failed(&e));
        return Ok(ExitCode::SUCCESS);
    }
    if args.encode {
        let stdin = io::stdin();
        return Ok(match adapter::encode(stdin.lock(), &mut out) {
            Ok(()) => ExitCode::SUCCESS,
            // Reading stdin cannot fail with a broken pipe, so this one is the reader of
            // stdout gone: the quiet end every other command gives it.
            Err(EncodeFailure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                super::stdout_failed(&e)
            }
            Err(failure) => {
                let _ = out.flush();
                eprintln!("{failure}");
                // Refusal is the protocol's answer to a value the format cannot carry.
                match failure {
                    EncodeFailure::Refused(_) => ExitCode::from(2),
                    _ => ExitCode::from(1),
                }
            }
        });
    }
    let mut input = Vec::new();
    io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| format!("reading stdin: {e}"))?;
    let chunk_size = args.chunk_size.map(NonZeroUsize::get);
    let written = if args.count {
        adapter::count(&input, chunk_size, &mut out)
    } else {
        adapter::parse(&input, chunk_size, &mut out)
    };
    written
        .and_then(|()| out.flush())
        .unwrap_or_else(|e| super::stdout_failed(&e));
    Ok(ExitCode::SUCCESS)
}
