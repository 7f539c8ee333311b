//! What an implementation may be unable to express through the adapter protocol (version 2),
//! and which cases need it.
//!
//! A library with no way to report a `retry` field is not wrong about retry; it simply cannot be
//! asked. Its adapter says so (`--capabilities`), and the cases that need what it lacks are
//! reported as *not applicable* instead of failed. Which cases those are is computed here from
//! the spec's model ([`crate::reference::trace`]), never listed by hand, so a new case is
//! classified like every other.

use std::fmt;

use crate::reference;
use crate::{Case, Output};

/// Something an adapter can declare that its library lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Capability {
    /// Reporting a `retry` field that sets the reconnection time.
    Retry,
    /// Reporting a `retry` field on its own: the library gives it only with an event, as a
    /// property of the next event dispatched (the adapter prints the last such value just
    /// before that event).
    RetryWithoutEvent,
    /// Reporting event IDs at all.
    LastEventId,
    /// Keeping the last event ID across blocks: the library reports only the ID set in the
    /// event's own block.
    IdAcrossBlocks,
    /// Seeing a block that sets an ID and dispatches nothing (the adapter glues the ID of
    /// events it is given, but that block's ID never reaches it).
    IdOnlyBlocks,
    /// Being fed the body in pieces: the library takes the whole body at once.
    Chunks,
}

impl Capability {
    /// Every capability, in the order the protocol lists them.
    pub const ALL: [Capability; 6] = [
        Capability::Retry,
        Capability::RetryWithoutEvent,
        Capability::LastEventId,
        Capability::IdAcrossBlocks,
        Capability::IdOnlyBlocks,
        Capability::Chunks,
    ];

    /// The name an adapter uses in `"lacks"`.
    ///
    /// ```
    /// use ssewire_conformance::Capability;
    /// assert_eq!(Capability::IdAcrossBlocks.name(), "id-across-blocks");
    /// assert_eq!(Capability::from_name("retry"), Some(Capability::Retry));
    /// assert_eq!(Capability::from_name("colour"), None);
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Capability::Retry => "retry",
            Capability::RetryWithoutEvent => "retry-without-event",
            Capability::LastEventId => "last-event-id",
            Capability::IdAcrossBlocks => "id-across-blocks",
            Capability::IdOnlyBlocks => "id-only-blocks",
            Capability::Chunks => "chunks",
        }
    }

    /// The capability an adapter's `"lacks"` entry names, if it is one of [`Capability::ALL`].
    pub fn from_name(name: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Whether `case` can only be judged on an implementation that has this capability.
    /// [`Capability::Chunks`] is never needed by a case: the runner runs such an adapter on
    /// the whole input only.
    ///
    /// ```
    /// use ssewire_conformance::{Capability, Case};
    /// let case = Case::find("id/id-only-block-updates-next-event").unwrap();
    /// assert!(Capability::IdOnlyBlocks.needed_by(case));
    /// assert!(!Capability::Retry.needed_by(case));
    /// ```
    pub fn needed_by(self, case: &Case) -> bool {
        let events = || case.expect.iter().filter_map(event_id);
        match self {
            Capability::Retry => case.expect.iter().any(|o| matches!(o, Output::Retry(_))),
            Capability::RetryWithoutEvent => {
                // What the adapter prints: the last retry since the previous event, before the
                // next event; a retry after the last event is never seen.
                let mut pending = None;
                let mut printed = Vec::new();
                for output in &case.expect {
                    match output {
                        Output::Retry(n) => pending = Some(Output::Retry(*n)),
                        event => {
                            printed.extend(pending.take());
                            printed.push(event.clone());
                        }
                    }
                }
                printed != case.expect
            }
            Capability::LastEventId => events().any(|id| !id.is_empty()),
            Capability::IdAcrossBlocks => traced_events(case)
                .iter()
                .any(|(id, own)| *id != own.as_deref().unwrap_or("")),
            Capability::IdOnlyBlocks => {
                // What an adapter that glues its events' own IDs reports (protocol, "Last
                // event ID glue"): the last own ID seen, or "" before any.
                let mut glued = String::new();
                traced_events(case).iter().any(|(id, own)| {
                    if let Some(own) = own {
                        glued.clone_from(own);
                    }
                    *id != glued
                })
            }
            Capability::Chunks => false,
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn event_id(output: &Output) -> Option<&str> {
    match output {
        Output::Event { id, .. } => Some(id),
        Output::Retry(_) | Output::RetryOutOfRange(_) => None,
    }
}

/// Each expected event's last event ID beside its own block's ID, from the spec's model.
fn traced_events(case: &Case) -> Vec<(String, Option<String>)> {
    reference::trace(&case.input)
        .into_iter()
        .filter_map(|t| event_id(&t.output).map(|id| (id.to_owned(), t.own_id)))
        .collect()
}

impl Case {
    /// Of `lacking`, the capabilities this case needs: when any, an implementation that lacks
    /// them cannot be judged on it.
    ///
    /// ```
    /// use ssewire_conformance::{Capability, Case};
    /// let case = Case::find("retry/zero-value").unwrap();
    /// assert_eq!(case.needs_any_of(&[Capability::Retry, Capability::Chunks]), [Capability::Retry]);
    /// ```
    pub fn needs_any_of(&self, lacking: &[Capability]) -> Vec<Capability> {
        lacking
            .iter()
            .copied()
            .filter(|c| c.needed_by(self))
            .collect()
    }
}
