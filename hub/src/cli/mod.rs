//! The `ssewire-hub` command line: `serve` runs a hub, `token` mints an access token,
//! `keygen` prints a fresh HS256 secret.
//!
//! Every option is in `--help` and can also be set by an environment variable, named
//! `SSEWIRE_HUB_<OPTION>` for `serve` (e.g. `SSEWIRE_HUB_LISTEN`), `SSEWIRE_HUB_TOKEN_<OPTION>`
//! for `token` and `SSEWIRE_HUB_KEYGEN_<OPTION>` for `keygen`, so a deployment configured
//! through the environment never leaks into a token minted from the same shell. An option
//! given on the command line wins over its variable. Repeatable options (`--alg`,
//! `--cors-origin`) take a comma-separated list from their variable; `token`'s `--publish`
//! and `--subscribe` take one value from theirs, since topics may contain commas.
//!
//! # Exit status
//! 0 on success (for `serve`: stopped by SIGINT or SIGTERM after draining); 2 for a usage or
//! configuration error (one line on stderr, `error: ...`); 1 when a running hub fails; 130
//! when a second SIGINT/SIGTERM interrupts the drain.

mod duration;
pub mod keygen;
mod keys;
pub mod serve;
pub mod token;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use duration::Seconds;

/// The exit status of a usage or configuration error.
pub const EXIT_USAGE: u8 = 2;

/// The exit status when a second signal interrupts the drain (128 + SIGINT, as shells do).
pub const EXIT_INTERRUPTED: u8 = 130;

/// `ssewire-hub`: a Server-Sent Events hub speaking the Mercure protocol
/// (draft-dunglas-mercure-08).
#[derive(Debug, Parser)]
#[command(name = "ssewire-hub", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the hub: listen, print `listening on http://HOST:PORT`, serve until SIGINT or
    /// SIGTERM, then drain.
    Serve(Box<serve::ServeArgs>),
    /// Mint an access token and print it.
    Token(token::TokenArgs),
    /// Print a fresh random HS256 secret (hex text; the text itself is the secret).
    Keygen(keygen::KeygenArgs),
}

/// A failure a subcommand reports: one line on stderr and an exit status.
#[derive(Debug)]
pub struct Failure {
    /// The message, without the `error: ` prefix.
    pub message: String,
    /// The exit status.
    pub status: u8,
}

impl Failure {
    /// A usage or configuration error (exit status 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            status: EXIT_USAGE,
        }
    }

    /// A failure at run time (exit status 1).
    pub fn runtime(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            status: 1,
        }
    }
}

/// A non-empty string (clap's value parser for names and URIs).
pub(crate) fn non_empty(value: &str) -> Result<String, String> {
    if value.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(value.to_owned())
    }
}

/// Parses the process's arguments and runs the subcommand.
pub fn run() -> ExitCode {
    execute(Cli::parse())
}

/// Runs a parsed command line. Failures are printed as one `error: ...` line on stderr.
pub fn execute(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve::execute(*args),
        Command::Token(args) => token::execute(args),
        Command::Keygen(args) => keygen::execute(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.status)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// Every option of every subcommand has help text and an environment variable with the
    /// subcommand's prefix.
    #[test]
    fn every_option_has_help_and_an_env_var() {
        let cli = Cli::command();
        for sub in cli.get_subcommands() {
            let prefix = match sub.get_name() {
                "serve" => "SSEWIRE_HUB_",
                "token" => "SSEWIRE_HUB_TOKEN_",
                "keygen" => "SSEWIRE_HUB_KEYGEN_",
                other => panic!("unexpected subcommand {other}"),
            };
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                let long = arg.get_long().expect("every option is long");
                assert!(
                    arg.get_help().is_some(),
                    "{} --{long}: no help",
                    sub.get_name()
                );
                let env = arg
                    .get_env()
                    .unwrap_or_else(|| panic!("{} --{long}: no env var", sub.get_name()));
                let expected = format!("{prefix}{}", long.to_uppercase().replace('-', "_"));
                assert_eq!(env.to_str(), Some(expected.as_str()), "{}", sub.get_name());
            }
        }
    }
}
