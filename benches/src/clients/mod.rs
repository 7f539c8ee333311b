//! Clients over the network (feature `clients`): drivers that run `sse-conformance serve`'s
//! plan with a peer client crate (`docs/client-conformance.md`), and the client benchmark's
//! local server and TLS material.

pub mod driver;
pub mod server;
