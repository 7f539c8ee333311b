//! The command line (clap derive): one module per subcommand, and [`RunOptions`], the one set
//! of options that `run` and `matrix` share.

/// `print!`, except that a reader that has gone away (`show … | head`) ends the program
/// quietly with status 0, as Unix tools do, where `print!` would panic.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::commands::write_stdout(format_args!($($arg)*))
    };
}

/// `println!` with [`out!`]'s handling of a closed pipe.
macro_rules! outln {
    () => {
        out!("\n")
    };
    ($($arg:tt)*) => {{
        out!($($arg)*);
        out!("\n");
    }};
}

mod adapter;
mod list;
mod matrix;
mod run;
mod serve;
mod show;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::suite::{self, ChunkSize};

/// The text/event-stream conformance corpus, its runner for any implementation, and a
/// client-conformance server.
#[derive(Debug, Parser)]
#[command(name = "sse-conformance", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// This project's parser (or encoder) behind the adapter protocol: the stream on stdin,
    /// JSON lines on stdout.
    Adapter(adapter::AdapterArgs),
    /// Run every case through an adapter command at each chunk size and report every failure.
    ///
    /// The last line is `N passed, M failed`; the exit status is 0 only when nothing went
    /// otherwise than expected, 1 when something did, 2 on a usage error or an adapter that
    /// does not start.
    Run(run::RunArgs),
    /// Run every case through several implementations and write the results matrix: a
    /// summary per implementation, passes per area, every case (Markdown and JSON).
    Matrix(matrix::MatrixArgs),
    /// Serve every case over HTTP with controlled segmentation, and the EventSource scenarios,
    /// for clients to run (docs/client-conformance.md); a browser opening the URL runs all.
    Serve(serve::ServeArgs),
    /// List case names with their sources.
    List(list::ListArgs),
    /// Show cases: the input bytes, escaped, and the expected outputs.
    Show(show::ShowArgs),
    /// Print the adapter protocol an implementation follows to be run by `run` and `matrix`.
    Protocol,
}

/// Options of every run through adapters.
#[derive(Clone, Debug, Args)]
pub struct RunOptions {
    /// Chunk sizes to run each case at, comma-separated: byte counts or `whole`.
    #[arg(long, value_name = "LIST", default_value_t = ChunkSizes(suite::default_chunk_sizes()), value_parser = parse_chunk_sizes)]
    pub chunk_sizes: ChunkSizes,
    /// Time limit per adapter process, in seconds (more than 0, at most 3600).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout, allow_negative_numbers = true)]
    pub timeout: Duration,
    /// Adapter processes run at once (default: the number of CPUs).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: Option<u16>,
    /// Give up after this many timeouts in a row: an adapter that hangs on everything would
    /// otherwise take cases x chunk sizes x timeout.
    #[arg(long, value_name = "N", default_value = "10", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_timeouts: u32,
}

/// A list of chunk sizes (a newtype, so clap takes the whole list as one value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkSizes(pub Vec<ChunkSize>);

impl std::fmt::Display for ChunkSizes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.0.iter().map(|&s| suite::chunk_size_name(s)).collect();
        f.write_str(&names.join(","))
    }
}

impl RunOptions {
    /// The suite settings for `command`.
    pub fn settings(&self, command: String, expected_failures: Vec<String>) -> suite::Settings {
        suite::Settings {
            command,
            chunk_sizes: self.chunk_sizes.0.clone(),
            timeout: self.timeout,
            jobs: self.jobs.map_or_else(
                || std::thread::available_parallelism().map_or(2, |n| n.get()),
                usize::from,
            ),
            expected_failures,
            max_consecutive_timeouts: self.max_timeouts as usize,
            lacks: Vec::new(),
            cache: None,
            progress: None,
        }
    }
}

fn parse_chunk_sizes(value: &str) -> Result<ChunkSizes, String> {
    let sizes = value
        .split(',')
        .map(|s| match s.trim() {
            "whole" => Ok(None),
            n => n
                .parse()
                .ok()
                .filter(|&n: &usize| n > 0)
                .map(Some)
                .ok_or(format!(
                    "bad chunk size {n:?}: a number of bytes from 1, or whole"
                )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ChunkSizes(sizes))
}

/// Seconds as a [`Duration`]: finite, above zero, at most an hour.
fn parse_timeout(value: &str) -> Result<Duration, String> {
    let seconds: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("{value:?} is not a number of seconds"))?;
    if !seconds.is_finite() {
        return Err(format!("{value} is not a finite number of seconds"));
    }
    if !(seconds > 0.0 && seconds <= 3600.0) {
        return Err(format!(
            "{value} s is out of range: more than 0, at most 3600"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Writes to stdout for [`out!`], ending the program as [`stdout_failed`] says when the
/// write fails.
pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        stdout_failed(&e);
    }
}

/// Ends the program after a failed write to stdout: on a closed pipe with status 0 and no
/// message, as Unix tools do, since the reader took what it wanted; on any other error with
/// a message and status 2.
pub(crate) fn stdout_failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("sse-conformance: writing stdout: {e}");
    std::process::exit(2);
}

/// Runs the parsed command line; errors are printed to stderr with exit status 2.
pub fn execute(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Adapter(args) => adapter::execute(args),
        Command::Run(args) => run::execute(args),
        Command::Matrix(args) => matrix::execute(args),
        Command::Serve(args) => serve::execute(args),
        Command::List(args) => list::execute(args),
        Command::Show(args) => show::execute(args),
        Command::Protocol => {
            out!("{}", ssewire_conformance::PROTOCOL);
            Ok(ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|message| {
        eprintln!("sse-conformance: {message}");
        ExitCode::from(2)
    })
}

/// This program's own adapter as a shell command line.
fn own_adapter() -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let exe = exe.to_str().ok_or("this program's path is not UTF-8")?;
    Ok(format!("'{}' adapter", exe.replace('\'', r"'\''")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn timeouts_that_are_not_a_sane_number_of_seconds_are_refused() {
        for bad in ["-1", "0", "nan", "inf", "1e30", "x", ""] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_timeout("0.5"), Ok(Duration::from_millis(500)));
    }

    #[test]
    fn chunk_sizes_are_numbers_from_one_or_whole() {
        let sizes = parse_chunk_sizes("whole, 1,64").unwrap();
        assert_eq!(sizes, ChunkSizes(vec![None, Some(1), Some(64)]));
        assert!(parse_chunk_sizes("1,0").is_err());
        assert!(parse_chunk_sizes("").is_err());
    }
}
