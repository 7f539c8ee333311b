//! `ssewire-hub`: a Server-Sent Events hub that speaks the Mercure protocol
//! (draft-dunglas-mercure-08): topics and matchers, JWT authorization, private per-user
//! updates, reconciliation with `Last-Event-ID`, and durable history.
//!
//! Names follow the draft (update, topic, canonical and alternate topics, matcher,
//! authorization detail, reconciliation), and code that implements one of its requirements
//! cites the section, e.g. "Mercure-08 §Publication".

pub mod auth;
pub mod cli;
pub mod config;
pub mod form;
#[cfg(feature = "fuzz")]
#[doc(hidden)]
pub mod fuzz;
pub mod limits;
pub mod matcher;
pub mod publish;
pub mod server;
pub mod store;
pub mod subscribe;
pub mod topic;
pub mod update;
