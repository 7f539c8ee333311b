//! The encoder checks of `run --encode`: the corpus's events go to `ADAPTER --encode` as items,
//! and this project's parser must read the output back to them; five values the format cannot
//! carry must be refused with exit status 2.

use std::fmt::Write as _;

use ssewire_conformance::{
    describe_difference, escape_truncated, parse_with_ssewire, Case, Output,
};

use crate::process::spawn;
use crate::suite::Settings;

/// An encoder check: items for `ADAPTER --encode`, and what parsing its output must give.
#[derive(Clone, Debug)]
pub struct EncodeCheck {
    /// A name for the report.
    pub name: String,
    /// JSON item lines.
    pub items: String,
    /// The events (and retries) the encoded stream must parse to.
    pub expect: Vec<Output>,
    /// The adapter must refuse the last item: exit status 2.
    pub refuse_last: bool,
}

/// Encoder checks derived from the corpus (every case's expected outputs, as items) plus
/// items the format cannot carry, which must be refused.
pub fn encode_checks(cases: &[&Case]) -> Vec<EncodeCheck> {
    let mut checks = Vec::new();
    for case in cases.iter().filter(|c| !c.expect.is_empty()) {
        let items: String = case
            .expect
            .iter()
            .map(|o| match o {
                Output::Event { event, data, id } => {
                    serde_json::json!({ "event": event, "data": data, "id": id }).to_string() + "\n"
                }
                Output::Retry(millis) => serde_json::json!({ "retry": millis }).to_string() + "\n",
            })
            .collect();
        checks.push(EncodeCheck {
            name: case.name.clone(),
            items,
            expect: case.expect.clone(),
            refuse_last: false,
        });
    }
    let refusals = [
        ("refuse/id-with-lf", r#"{"data":"x","id":"a\nb"}"#),
        ("refuse/id-with-cr", r#"{"data":"x","id":"a\rb"}"#),
        ("refuse/id-with-nul", r#"{"data":"x","id":"a\u0000b"}"#),
        (
            "refuse/event-type-with-lf",
            r#"{"data":"x","event":"a\nb"}"#,
        ),
        (
            "refuse/event-type-with-cr",
            r#"{"data":"x","event":"a\rb"}"#,
        ),
    ];
    for (name, item) in refusals {
        checks.push(EncodeCheck {
            name: name.into(),
            items: format!("{{\"data\":\"before\"}}\n{item}\n"),
            expect: vec![Output::event("message", "before", "")],
            refuse_last: true,
        });
    }
    checks
}

/// Runs encoder checks through `ADAPTER --encode`, parsing its output with this project's
/// parser. Returns the report text (ending in `N passed, M failed`) and the failure count.
pub fn run_encode(settings: &Settings, checks: &[EncodeCheck]) -> (String, usize) {
    let mut text = String::new();
    let mut failed = 0;
    for check in checks {
        let finished = spawn(
            &settings.command,
            &["--encode".into()],
            check.items.as_bytes(),
            settings.timeout,
        );
        let problem = match finished {
            Err(e) => Some(format!("cannot start the adapter: {e}")),
            Ok(f) if f.timed_out => Some("timed out".into()),
            Ok(f) => {
                let want_code = if check.refuse_last { 2 } else { 0 };
                let got = parse_with_ssewire(&[&f.stdout]);
                if f.code != Some(want_code) {
                    Some(format!(
                        "exit status {:?}, want {want_code}; stderr: {}",
                        f.code,
                        escape_truncated(&f.stderr, 500)
                    ))
                } else if got != check.expect {
                    Some(format!(
                        "output \"{}\" parses otherwise:\n{}",
                        escape_truncated(&f.stdout, 300),
                        describe_difference(&check.expect, &got)
                    ))
                } else {
                    None
                }
            }
        };
        if let Some(problem) = problem {
            failed += 1;
            let _ = writeln!(
                text,
                "ENCODE FAIL {}\n  items: {}\n  {problem}",
                check.name,
                escape_truncated(check.items.as_bytes(), 300)
            );
        }
    }
    let _ = writeln!(text, "{} passed, {failed} failed", checks.len() - failed);
    (text, failed)
}
