//! `ssewire-loadtest`: bounded load tests of ssewire's servers, on loopback.
//!
//! `ssewire-loadtest hub` holds N concurrent `EventSource` subscribers (default 10 000) to a
//! [`Hub`](ssewire_http::Hub) served in a child process (`ssewire-loadtest hub-server`), and
//! checks that every one gets every event of a burst, in order, across a drop and a
//! `Last-Event-ID` reconnection. It measures the server's memory per idle subscriber and the
//! events/s delivered. `bash scripts/load.sh` runs it in release; docs/load.md describes it.
//!
//! `ssewire-loadtest mercure` drives `ssewire-hub serve` (Mercure, authorization on) in a
//! child process with N raw-TCP subscribers, each with its own token, over T topics, and
//! optionally the same scenario against benches' axum `Sse` + `broadcast` server, side by
//! side ([`mercure`]). `bash scripts/hub-load.sh` runs it; docs/hub.md has the figures.
//!
//! Exit status: 0 when every check passed, 1 when one failed, 2 on an error or a timeout
//! (bad options included).
//!
//! Layout: [`mercure`] (the `mercure` subcommand: hub child, subscribers, publishers),
//! [`cli`] (options), [`system`] (open-files limit and memory from /proc),
//! [`server`] (the `hub-server` role), [`target`] (the driver's view of a system under test,
//! and the hub child process behind it), [`subscribers`] (the clients and their checks),
//! [`scenario`] (the phases), [`report`] (the results, plain data) and [`render`] (text and
//! Markdown).

mod cli;
mod mercure;
mod render;
mod report;
mod scenario;
mod server;
mod subscribers;
mod system;
mod target;

use clap::Parser as _;

use crate::cli::{Cli, Command};

/// Exit status: every check passed.
const PASS: i32 = 0;
/// Exit status: the run completed and a check failed.
const CHECK_FAILED: i32 = 1;
/// Exit status: an error or a timeout; the run did not complete.
const ERROR: i32 = 2;

fn main() {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let code = match cli.command {
        Command::Hub(args) => runtime.block_on(scenario::hub(args)),
        Command::HubServer(args) => runtime.block_on(server::main(args)),
        Command::Mercure(args) => runtime.block_on(mercure::main(args)),
    };
    // The subscriber tasks still in the runtime need no orderly teardown.
    std::process::exit(code);
}
