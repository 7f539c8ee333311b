//! `sse-conformance run`: the corpus through one adapter command.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use ssewire_conformance::{Case, CaseResult, Report, Verdict};

use super::{list, own_adapter, RunOptions};
use crate::capabilities::{Capabilities, Mode};
use crate::encode_checks;
use crate::suite::{self, chunk_size_name};
use ssewire_conformance::Capability;

/// Options of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The adapter: a shell command line, run once per case and chunk size (default: this
    /// program's own adapter, i.e. ssewire's parser).
    #[arg(long, value_name = "COMMAND")]
    adapter: Option<String>,
    /// Run only cases whose name starts with PREFIX (repeatable).
    #[arg(long = "run", value_name = "PREFIX")]
    run: Vec<String>,
    /// Leave out cases whose name starts with PREFIX (repeatable).
    #[arg(long, value_name = "PREFIX")]
    skip: Vec<String>,
    /// A file of case names you knowingly fail, one per line (`#` starts a comment): they
    /// do not fail the run, until one passes.
    #[arg(long, value_name = "FILE")]
    expected_failures: Option<PathBuf>,
    /// Also check the adapter's `--encode` mode: the corpus's events must round-trip, and five
    /// values the format cannot carry must be refused with exit status 2.
    #[arg(long)]
    encode: bool,
    /// Write a verdict per case as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    #[command(flatten)]
    pub(super) options: RunOptions,
}

pub(super) fn execute(args: RunArgs) -> Result<ExitCode, String> {
    let expected_failures = match &args.expected_failures {
        Some(path) => read_expected_failures(path)?,
        None => Vec::new(),
    };
    let command = match args.adapter {
        Some(command) => command,
        None => own_adapter()?,
    };
    let mut settings = args.options.settings(command, expected_failures);
    let capabilities = Capabilities::query(&settings.command, settings.timeout)?;
    settings.lacks.clone_from(&capabilities.lacks);
    if capabilities.lacks.contains(&Capability::Chunks) {
        settings.chunk_sizes = vec![None];
    }
    let cases: Vec<&'static Case> = Case::all()
        .iter()
        .filter(|c| args.run.is_empty() || args.run.iter().any(|p| c.name.starts_with(p)))
        .filter(|c| !args.skip.iter().any(|p| c.name.starts_with(p)))
        .collect();
    if cases.is_empty() {
        return Err(format!(
            "no case matches the --run/--skip filters (the areas: {})",
            list::areas().join(" ")
        ));
    }
    eprintln!("adapter: {}", capabilities.describe());
    if !capabilities.has(Mode::Parse) {
        // An encoder with no parser is judged on the encoder checks alone.
        if !capabilities.has(Mode::Encode) {
            return Err("the adapter's --capabilities lists neither parse nor encode".into());
        }
        let (checks, not_applicable) =
            encode_checks::encode_checks_lacking(&cases, &capabilities.lacks);
        let (text, failed) = encode_checks::run_encode(&settings, &checks);
        if not_applicable > 0 {
            outln!(
                "{not_applicable} encoder checks not applicable: they need what the adapter lacks"
            );
        }
        out!("{text}");
        return Ok(if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    suite::probe(&settings)?;
    eprintln!(
        "running {} cases through: {}",
        cases.len(),
        settings.command
    );
    let run = suite::run(&settings, &cases);
    out!("{}", area_summary(&run.report));
    outln!();
    out!("{}", run.report.failures());
    let sizes: Vec<String> = settings
        .chunk_sizes
        .iter()
        .map(|&s| chunk_size_name(s))
        .collect();
    let case_passes = run.report.passed();
    let mut passed = case_passes;
    let mut failed = run.report.failed();
    let expected = run.report.expected_failures();
    if expected > 0 {
        outln!("{expected} expected failures still fail");
    }
    let not_applicable = run.report.not_applicable();
    outln!(
        "corpus: {case_passes} of {} applicable cases pass at every chunk size ({})",
        run.report.results.len() - not_applicable,
        sizes.join(", ")
    );
    if not_applicable > 0 {
        let lacks: Vec<&str> = settings.lacks.iter().map(|c| c.name()).collect();
        outln!(
            "{not_applicable} cases not applicable: they need what the adapter lacks ({})",
            lacks.join(", ")
        );
    }
    if let Some(why) = &run.stopped_early {
        outln!("{why}");
        failed += 1;
    }
    if args.encode {
        let (checks, _) = encode_checks::encode_checks_lacking(&cases, &capabilities.lacks);
        let (text, encode_failed) = encode_checks::run_encode(&settings, &checks);
        // The checks' own report ends in its own `N passed, M failed`: keep only its failures.
        let details = text.trim_end().rsplit_once('\n').map_or("", |(d, _)| d);
        if !details.is_empty() {
            outln!("{details}");
        }
        let encode_passed = checks.len() - encode_failed;
        outln!(
            "encoder: {encode_passed} of {} checks pass (the corpus's events as round trips, \
             and 5 refusals)",
            checks.len()
        );
        passed += encode_passed;
        failed += encode_failed;
    }
    if let Some(path) = &args.json {
        let doc = serde_json::json!({
            "adapter": settings.command,
            "capabilities": capabilities,
            "chunk_sizes": sizes,
            "cases": run.report.results.iter().map(CaseResult::record).collect::<Vec<_>>(),
        });
        let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    outln!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn read_expected_failures(path: &PathBuf) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let names: Vec<String> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    for name in &names {
        if Case::find(name).is_none() {
            return Err(format!(
                "{}: expected failure {name:?} is not a case name",
                path.display()
            ));
        }
    }
    Ok(names)
}

/// Passes per corpus area, marking the areas with failures.
fn area_summary(report: &Report) -> String {
    let mut areas: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for result in &report.results {
        let area = result.case.name.split('/').next().unwrap_or("");
        let entry = areas.entry(area).or_default();
        if matches!(result.verdict, Verdict::NotApplicable { .. }) {
            continue;
        }
        entry.1 += 1;
        if result.verdict == Verdict::Pass {
            entry.0 += 1;
        }
    }
    let mut out = format!("{:<14} passed / cases\n", "area");
    for (area, (passed, total)) in &areas {
        let mark = if passed == total { "" } else { "  <-" };
        out.push_str(&format!("{area:<14} {passed:>6} / {total}{mark}\n"));
    }
    out
}
