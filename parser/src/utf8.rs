//! Per-line UTF-8 decoding with replacement.
//!
//! The spec decodes the whole stream at once. Decoding each line (or each field value) on its
//! own gives the same text: CR, LF, `:` and space are ASCII, so no multi-byte sequence, valid or
//! not, can straddle them, and a truncated sequence before one of them yields the same single
//! U+FFFD either way. `str::from_utf8_lossy`'s rule (one U+FFFD per maximal invalid subpart) is
//! the WHATWG decoder's rule.

use alloc::string::String;

/// Appends `bytes` to `out`, each maximal invalid subpart replaced by U+FFFD.
pub(crate) fn push_lossy(out: &mut String, bytes: &[u8]) {
    match core::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => {
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                if !chunk.invalid().is_empty() {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
            }
        }
    }
}

/// `bytes` as text: borrowed when valid, otherwise decoded into `scratch`.
pub(crate) fn decode<'a>(bytes: &'a [u8], scratch: &'a mut String) -> &'a str {
    match core::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => {
            scratch.clear();
            push_lossy(scratch, bytes);
            scratch
        }
    }
}
