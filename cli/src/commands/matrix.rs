//! `sse-conformance matrix`: the corpus through several implementations, side by side.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use ssewire_conformance::Case;

use super::RunOptions;
use crate::capabilities::Capabilities;
use crate::matrix::{self, Implementation};

/// Options of `matrix`.
#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// An implementation: its column name and its adapter command (repeatable).
    #[arg(long = "impl", value_name = "NAME=COMMAND", value_parser = parse_pair)]
    implementations: Vec<(String, String)>,
    /// A file of implementations, one per line: `NAME<TAB>COMMAND` (`#` starts a comment;
    /// repeatable). Commands run from the current directory.
    #[arg(long = "impls", value_name = "FILE")]
    impl_files: Vec<PathBuf>,
    /// Keep each implementation's adapter outputs in DIR and reuse them while its command and
    /// `--capabilities` answer stay the same: a rerun runs only new or changed cases.
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
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

/// `NAME<TAB>COMMAND` lines of an `--impls` file.
fn read_impls(path: &PathBuf) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(n, l)| {
            l.split_once('\t')
                .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
                .filter(|(a, b)| !a.is_empty() && !b.is_empty())
                .ok_or(format!(
                    "{}:{}: expected NAME<TAB>COMMAND",
                    path.display(),
                    n + 1
                ))
        })
        .collect()
}

/// Languages in the order the report groups them; others follow in the order given.
const LANGUAGE_ORDER: [&str; 4] = ["Rust", "JavaScript", "Python", "Go"];

pub(super) fn execute(args: MatrixArgs) -> Result<ExitCode, String> {
    let mut versions: BTreeMap<String, String> = args.versions.into_iter().collect();
    let mut pairs = args.implementations;
    for path in &args.impl_files {
        pairs.extend(read_impls(path)?);
    }
    if pairs.is_empty() {
        return Err("no implementation: give --impl NAME=COMMAND or --impls FILE".into());
    }
    let settings = args.options.settings(String::new(), Vec::new());
    let mut implementations = Vec::new();
    for (name, command) in pairs {
        if implementations
            .iter()
            .any(|i: &Implementation| i.name == name)
        {
            return Err(format!("two implementations are named {name:?}"));
        }
        let capabilities =
            Capabilities::query(&command, settings.timeout).map_err(|e| format!("{name}: {e}"))?;
        let version = versions.remove(&name).unwrap_or_else(|| {
            match (&capabilities.library, &capabilities.version) {
                (Some(library), Some(version)) => format!("{library} {version}"),
                _ => "-".into(),
            }
        });
        implementations.push(Implementation {
            version,
            name,
            command,
            capabilities,
        });
    }
    if let Some(name) = versions.keys().next() {
        return Err(format!("--version names {name:?}, which no --impl has"));
    }
    implementations.sort_by_key(|i| {
        LANGUAGE_ORDER
            .iter()
            .position(|l| Some(*l) == i.capabilities.language.as_deref())
            .unwrap_or(LANGUAGE_ORDER.len())
    });
    let cases: Vec<&'static Case> = Case::all().iter().collect();
    let matrix = matrix::run(implementations, &settings, &cases, args.cache.as_deref());
    let text = matrix.markdown();
    match &args.markdown {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => out!("{text}"),
    }
    if let Some(path) = &args.json {
        let value = serde_json::to_string_pretty(&matrix.json()).map_err(|e| e.to_string())?;
        std::fs::write(path, value).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    for (i, implementation) in matrix.implementations.iter().enumerate() {
        let report = &matrix.reports[i];
        eprintln!(
            "{}: {} / {} applicable cases pass",
            implementation.name,
            matrix.passed(i),
            report.results.len() - report.not_applicable()
        );
    }
    Ok(ExitCode::SUCCESS)
}
