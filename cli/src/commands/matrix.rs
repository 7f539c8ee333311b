//! `sse-conformance matrix`: the corpus through several implementations, side by side.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use ssewire_conformance::Case;

use super::RunOptions;
use crate::matrix::{self, Implementation};

/// Options of `matrix`.
#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// An implementation: its column name and its adapter command (repeatable, at least one).
    #[arg(long = "impl", value_name = "NAME=COMMAND", required = true, value_parser = parse_pair)]
    implementations: Vec<(String, String)>,
    /// What an implementation is, for the summary, e.g. `sseer=sseer 0.1.7` (repeatable).
    #[arg(long = "version", value_name = "NAME=TEXT", value_parser = parse_pair)]
    versions: Vec<(String, String)>,
    /// Write the Markdown report to FILE (default: stdout).
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Write every verdict as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    #[command(flatten)]
    options: RunOptions,
}

fn parse_pair(value: &str) -> Result<(String, String), String> {
    value
        .split_once('=')
        .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or(format!("expected NAME=VALUE, not {value:?}"))
}

pub(super) fn execute(args: MatrixArgs) -> Result<ExitCode, String> {
    let mut versions: BTreeMap<String, String> = args.versions.into_iter().collect();
    let implementations: Vec<Implementation> = args
        .implementations
        .into_iter()
        .map(|(name, command)| Implementation {
            version: versions.remove(&name).unwrap_or_else(|| "-".into()),
            name,
            command,
        })
        .collect();
    if let Some(name) = versions.keys().next() {
        return Err(format!("--version names {name:?}, which no --impl has"));
    }
    let settings = args.options.settings(String::new(), Vec::new());
    let cases: Vec<&'static Case> = Case::all().iter().collect();
    let matrix = matrix::run(implementations, &settings, &cases);
    let text = matrix.markdown();
    match &args.markdown {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => print!("{text}"),
    }
    if let Some(path) = &args.json {
        let value = serde_json::to_string_pretty(&matrix.json()).map_err(|e| e.to_string())?;
        std::fs::write(path, value).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    for (i, implementation) in matrix.implementations.iter().enumerate() {
        eprintln!(
            "{}: {} / {} cases pass",
            implementation.name,
            matrix.passed(i),
            matrix.cases.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
