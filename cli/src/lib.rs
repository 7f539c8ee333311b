//! `sse-conformance`, the command: runs the `text/event-stream` corpus of
//! [`ssewire_conformance`] through implementations in any language behind the adapter
//! protocol ([`ssewire_conformance::PROTOCOL`]), builds a results matrix of many of them, and
//! serves the corpus and the `EventSource` scenarios to HTTP clients.
//!
//! The library half exists so that the command's parts are tested on their own; the command
//! line is [`commands::Cli`].
//!
//! | module | what it does |
//! |---|---|
//! | [`commands`] | the command line: one module per subcommand, one set of run options |
//! | [`adapter`] | this project's parser and encoder behind the adapter protocol |
//! | [`process`] | one adapter process: input, output, time limit |
//! | [`suite`] | the corpus through an adapter, judged into a [`ssewire_conformance::Report`] |
//! | [`encode_checks`] | `run --encode`: round trips and refusals |
//! | [`matrix`] | many implementations side by side: Markdown and JSON |
//! | [`serve`] | the client-conformance server |

pub mod adapter;
pub mod cache;
pub mod capabilities;
pub mod commands;
pub mod encode_checks;
pub mod matrix;
pub mod process;
pub mod serve;
pub mod suite;

// The README's Rust examples run as doctests here: this crate depends on all the others.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
