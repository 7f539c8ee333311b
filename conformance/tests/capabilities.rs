//! Which cases need which capability is exact: an implementation that lacks one, simulated from
//! the spec's model, gets exactly the cases that need it wrong and every other case right. So a
//! declared lack never hides a failure the implementation could have shown, and never fails a
//! case it could not express.

use ssewire_conformance::reference::{self, Traced};
use ssewire_conformance::{Capability, Case, Output};

/// What an implementation lacking `lack` (and doing everything else right) reports, following
/// the protocol's instructions to its adapter.
fn simulate(lack: Capability, input: &[u8]) -> Vec<Output> {
    let traced = reference::trace(input);
    if lack == Capability::RetryWithoutEvent {
        let mut pending = None;
        let mut printed = Vec::new();
        for Traced { output, .. } in traced {
            match output {
                Output::Retry(n) => pending = Some(n),
                event => {
                    printed.extend(pending.take().map(Output::Retry));
                    printed.push(event);
                }
            }
        }
        return printed;
    }
    let mut glued = String::new();
    traced
        .into_iter()
        .filter_map(|Traced { output, own_id }| match (lack, output) {
            (Capability::Retry, Output::Retry(_)) => None,
            (_, Output::Event { event, data, id }) => {
                let id = match lack {
                    Capability::LastEventId => String::new(),
                    Capability::IdAcrossBlocks => own_id.unwrap_or_default(),
                    Capability::IdOnlyBlocks => {
                        if let Some(own) = own_id {
                            glued = own;
                        }
                        glued.clone()
                    }
                    _ => id,
                };
                Some(Output::Event { event, data, id })
            }
            (_, retry) => Some(retry),
        })
        .collect()
}

#[test]
fn each_lack_fails_exactly_the_cases_that_need_it() {
    for lack in Capability::ALL {
        let mut needed = 0;
        for case in Case::all() {
            let simulated = simulate(lack, &case.input);
            assert_eq!(
                lack.needed_by(case),
                simulated != case.expect,
                "{lack} on {}: the classification and the simulation disagree",
                case.name
            );
            needed += usize::from(lack.needed_by(case));
        }
        // Chunks is handled by running whole inputs only; every other lack bites somewhere.
        assert_eq!(
            needed == 0,
            lack == Capability::Chunks,
            "{lack}: {needed} cases"
        );
    }
}

#[test]
fn the_traced_model_is_the_model() {
    for case in Case::all() {
        let traced: Vec<Output> = reference::trace(&case.input)
            .into_iter()
            .map(|t| t.output)
            .collect();
        assert_eq!(traced, reference::parse(&case.input), "{}", case.name);
        assert_eq!(traced, case.expect, "{}", case.name);
    }
}
