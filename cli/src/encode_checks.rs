//! The encoder checks of `run --encode`: the corpus's events go to `ADAPTER --encode` as items,
//! and this project's parser must read the output back to them; five values the format cannot
//! carry must be refused with exit status 2.

use std::fmt::Write as _;

use ssewire_conformance::{
    describe_difference, escape_truncated, parse_with_ssewire, Capability, Case, Output,
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
    encode_checks_lacking(cases, &[]).0
}

/// [`encode_checks`] for an encoder that lacks `lacks`, and how many checks do not apply to it.
///
/// An encoder that can write a `retry` only together with an event
/// ([`Capability::RetryWithoutEvent`]) gets each retry in the item of the event after it, and a
/// check whose retry has no event right after it does not apply; one that writes no `retry` at
/// all ([`Capability::Retry`]) is not given checks with a retry.
pub fn encode_checks_lacking(cases: &[&Case], lacks: &[Capability]) -> (Vec<EncodeCheck>, usize) {
    let mut checks = Vec::new();
    let mut not_applicable = 0;
    for case in cases.iter().filter(|c| !c.expect.is_empty()) {
        let Some(items) = items(&case.expect, lacks) else {
            not_applicable += 1;
            continue;
        };
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
    (checks, not_applicable)
}

/// The item lines for `expect`, or `None` when an encoder lacking `lacks` cannot be given them.
fn items(expect: &[Output], lacks: &[Capability]) -> Option<String> {
    let has_retry = expect.iter().any(|o| matches!(o, Output::Retry(_)));
    if has_retry && lacks.contains(&Capability::Retry) {
        return None;
    }
    let merge = lacks.contains(&Capability::RetryWithoutEvent);
    let mut lines = String::new();
    let mut pending: Option<u64> = None;
    for output in expect {
        match output {
            Output::Retry(millis) if merge => {
                if pending.replace(*millis).is_some() {
                    return None; // two retries before one event
                }
            }
            Output::Retry(millis) => {
                lines += &(serde_json::json!({ "retry": millis }).to_string() + "\n");
            }
            // Case::from_json refuses an expectation like this.
            Output::RetryOutOfRange(_) => return None,
            Output::Event { event, data, id } => {
                let mut item = serde_json::json!({ "event": event, "data": data, "id": id });
                if let Some(millis) = pending.take() {
                    item["retry"] = millis.into();
                }
                lines += &(item.to_string() + "\n");
            }
        }
    }
    // A retry after the last event has no event to go with.
    pending.is_none().then_some(lines)
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
