//! An encoder for `text/event-stream`, the Server-Sent Events format
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>).
//!
//! Every event it writes parses back, in any conforming client, to the same event type, data and
//! ID. What the format cannot carry (a line end in an event type or ID, a NUL in an ID) is
//! refused when the value is made, with an [`EncodeError`] that names the character and where it
//! is; after that, encoding cannot fail.
//!
//! ```
//! use ssewire_encoder::{Comment, Event};
//!
//! let mut out = Vec::new();
//! Comment::new("stream start").encode(&mut out);
//! Event::new("first line\nsecond line").event_type("note")?.id("1")?.encode(&mut out);
//! Event::without_data().retry(10_000).encode(&mut out);
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     ": stream start\n\
//!      event: note\nid: 1\ndata: first line\ndata: second line\n\n\
//!      retry: 10000\n\n"
//! );
//! # Ok::<(), ssewire_encoder::EncodeError>(())
//! ```
//!
//! What a client receives: data with CRLF or lone CR arrives with LF in their place (the format
//! has one line end inside data); an empty or absent event type arrives as `"message"`; a block
//! without data ([`Event::without_data`]) dispatches nothing but sets the ID and retry.
//!
//! Features: `std` (default; lets memchr detect CPU features at run time, and `SSEWIRE_KERNEL=swar`
//! switch the split to the portable one, for tests), `bytes`
//! (encode into any `bytes::BufMut`). Without `std` the crate is `no_std` + `alloc`.
#![no_std]
// The one use of `unsafe` the encoder needs, SSE2 loads for the line-end mask, is the parser's
// (see `scan`), so none is allowed here.
#![forbid(unsafe_code)]

extern crate alloc;
// Tests count splits per thread (`scan::tests`).
#[cfg(test)]
extern crate std;

mod field;
mod scan;
mod write;

pub use field::{EncodeError, EventId, EventType, FieldKind};
pub use write::{Comment, Event};
