//! `sse-conformance list`: case names and their sources.

use std::process::ExitCode;

use clap::Args;
use ssewire_conformance::Case;

/// Options of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only cases whose name starts with this, e.g. `utf8/`.
    #[arg(value_name = "PREFIX", default_value = "")]
    prefix: String,
}

pub(super) fn execute(args: ListArgs) -> Result<ExitCode, String> {
    let cases: Vec<&Case> = Case::all()
        .iter()
        .filter(|c| c.name.starts_with(&args.prefix))
        .collect();
    if cases.is_empty() {
        return Err(format!(
            "no case name starts with {:?} (the areas: {})",
            args.prefix,
            areas().join(" ")
        ));
    }
    for case in cases {
        outln!("{:<70} {}", case.name, case.source);
    }
    Ok(ExitCode::SUCCESS)
}

/// Every corpus area, as a name prefix (`bom/`, ...).
pub(super) fn areas() -> Vec<String> {
    let mut areas: Vec<String> = Case::all()
        .iter()
        .filter_map(|c| c.name.split_once('/').map(|(area, _)| format!("{area}/")))
        .collect();
    areas.dedup();
    areas
}
