//! `sse-conformance show`: a case's input with every byte visible, and its expected outputs.

use std::process::ExitCode;

use clap::Args;
use ssewire_conformance::{escape, escape_truncated, Case};

/// Options of `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Case names (see `sse-conformance list`).
    #[arg(value_name = "NAME", required = true)]
    names: Vec<String>,
}

pub(super) fn execute(args: ShowArgs) -> Result<ExitCode, String> {
    for name in args.names {
        let case = Case::find(&name)
            .ok_or(format!("no case named {name:?} (see sse-conformance list)"))?;
        outln!(
            "{}\n  source: {}\n  input ({} bytes):",
            case.name,
            case.source,
            case.input.len()
        );
        // One input line per printed line, its line end shown escaped at the end.
        let mut rest = &case.input[..];
        let mut shown = 0;
        while !rest.is_empty() && shown < 40 {
            let end = rest
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
                .map_or(rest.len(), |i| {
                    i + if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    }
                });
            outln!("    {}", escape(&rest[..end]));
            rest = &rest[end..];
            shown += 1;
        }
        if !rest.is_empty() {
            outln!("    … ({} more bytes)", rest.len());
        }
        outln!("  expect:");
        if case.expect.is_empty() {
            outln!("    (nothing)");
        }
        for output in &case.expect {
            outln!(
                "    {}",
                escape_truncated(output.to_json_line().as_bytes(), 200)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
