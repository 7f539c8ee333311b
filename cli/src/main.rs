//! `sse-conformance`: see `sse-conformance --help`, and the `sse_conformance` library docs.

use std::process::ExitCode;

use clap::Parser as _;
use sse_conformance::commands::Cli;

fn main() -> ExitCode {
    sse_conformance::commands::execute(Cli::parse())
}
