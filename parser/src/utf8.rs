//! Per-line UTF-8 decoding with replacement.
//!
//! The spec decodes the whole stream at once. Decoding each line (or each field value) on its
//! own gives the same text: CR, LF, `:` and space are ASCII, so no multi-byte sequence, valid or
//! not, can straddle them, and a truncated sequence before one of them yields the same single
//! U+FFFD either way. `str::from_utf8_lossy`'s rule (one U+FFFD per maximal invalid subpart) is
//! the WHATWG decoder's rule.

use alloc::string::String;
use alloc::vec::Vec;

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

/// `bytes` as text: borrowed when valid, otherwise decoded into `scratch`; `ascii` as in [`text`].
pub(crate) fn decode<'a>(bytes: &'a [u8], ascii: bool, scratch: &'a mut String) -> &'a str {
    match text(bytes, ascii) {
        Some(text) => text,
        None => {
            scratch.clear();
            push_lossy(scratch, bytes);
            scratch
        }
    }
}

/// ASCII bytes as text, without looking at them again.
///
/// Only for bytes that a [`crate::scan::Scan`] reported as all below 0x80: re-validating them
/// with `str::from_utf8` made parsing much slower (docs/performance.md, design notes).
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn ascii(bytes: &[u8]) -> &str {
    debug_assert!(bytes.is_ascii(), "the scan called non-ASCII bytes ASCII");
    // SAFETY: the caller passes only bytes the scan's high-bit mask found all below 0x80
    // (`Scan::line_end` returns that flag for exactly the bytes from the line's start to its
    // end, and callers pass sub-slices of that line). Bytes below 0x80 are ASCII, and every
    // ASCII string is valid UTF-8.
    unsafe { core::str::from_utf8_unchecked(bytes) }
}

/// `bytes` as a `String` without copying them, when they are valid UTF-8 (`ascii`: the scan
/// proved them ASCII); otherwise the bytes back.
#[allow(unsafe_code)]
pub(crate) fn into_string(bytes: Vec<u8>, ascii: bool) -> Result<String, Vec<u8>> {
    match ascii {
        true => {
            debug_assert!(bytes.is_ascii(), "the scan called non-ASCII bytes ASCII");
            // SAFETY: as in `ascii`: the caller passes `ascii` true only for a carry whose
            // every byte the scan saw below 0x80 as it was appended (`LineReader::carry_ascii`;
            // bytes put back by the BOM logic clear it), and ASCII is valid UTF-8.
            Ok(unsafe { String::from_utf8_unchecked(bytes) })
        }
        false => String::from_utf8(bytes).map_err(|err| err.into_bytes()),
    }
}

/// `bytes` as text when it is valid UTF-8; `ascii` says the scan already proved it ASCII.
#[inline(always)]
pub(crate) fn text(bytes: &[u8], ascii: bool) -> Option<&str> {
    match ascii {
        true => Some(self::ascii(bytes)),
        false => core::str::from_utf8(bytes).ok(),
    }
}

/// [`push_lossy`], skipping validation for bytes the scan proved ASCII.
#[inline(always)]
pub(crate) fn push_text(out: &mut String, bytes: &[u8], ascii: bool) {
    match ascii {
        true => out.push_str(self::ascii(bytes)),
        false => push_lossy(out, bytes),
    }
}
