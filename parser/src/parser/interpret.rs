//! What one line does at the event level: the spec's field rules ("interpreting an event
//! stream"), for a line in the chunk (whose values may stay borrowed) and for a line carried
//! across chunks (whose buffer may become the data buffer).

use alloc::vec::Vec;
use core::mem;

use super::block::Held;
use super::{Action, Parser};
use crate::field::parse_retry_bytes;
use crate::limits::{Limit, LimitExceeded};
use crate::utf8;

impl Parser {
    /// A line carried across chunks: the bytes were copied once, into the carry. When it is the
    /// block's first data line, the carry buffer becomes the data buffer (its `data: ` skipped)
    /// rather than being copied again, and the old data buffer goes back as the next carry, so
    /// the two allocations take turns (each grows to the larger need of the two, then both stay
    /// put). Returns the action and the buffer to carry on with.
    #[inline(never)]
    pub(super) fn interpret_carried(&mut self, carry: Vec<u8>, ascii: bool) -> (Action, Vec<u8>) {
        let value_len = match known_field(&carry) {
            Some((Name::Data, value))
                if self.block.data == Held::Empty
                    && !self.block.discarding
                    && value.len() <= self.max_event_data =>
            {
                value.len()
            }
            _ => return (self.interpret(&carry, ascii, None), carry),
        };
        let skip = carry.len() - value_len;
        let text = match utf8::into_string(carry, ascii) {
            Ok(text) => text,
            // Invalid UTF-8: the general path decodes it with replacement.
            Err(carry) => return (self.interpret(&carry, ascii, None), carry),
        };
        let block = &mut self.block;
        let mut spare = mem::replace(&mut block.data_buf, text).into_bytes();
        spare.clear();
        block.data_skip = skip;
        block.data = Held::Owned;
        block.data_len = value_len;
        (Action::Continue, spare)
    }

    /// [`Parser::interpret_inline`] for the general path, which need not be inlined.
    #[inline(never)]
    pub(super) fn interpret<'l>(
        &mut self,
        line: &'l [u8],
        ascii: bool,
        borrow: Option<(&mut &'l str, &mut &'l str)>,
    ) -> Action {
        self.interpret_inline(line, ascii, borrow)
    }

    /// Applies one line. `borrow` holds the feed call's borrowed slots when the line lies in the
    /// chunk (so its values may stay borrowed), `None` when it is a carried line.
    #[inline(always)]
    pub(super) fn interpret_inline<'l>(
        &mut self,
        line: &'l [u8],
        ascii: bool,
        borrow: Option<(&mut &'l str, &mut &'l str)>,
    ) -> Action {
        if line.is_empty() {
            // Dispatch, step 1: the last event ID string follows the buffer even when nothing
            // is dispatched.
            if mem::take(&mut self.id_pending) {
                mem::swap(&mut self.last_event_id, &mut self.id_buffer);
            }
            let discarded = mem::take(&mut self.block.discarding);
            if self.block.data == Held::Empty || discarded {
                // Step 2: an empty data buffer dispatches nothing (and resets the buffers).
                self.block.clear();
                return Action::Continue;
            }
            return Action::Dispatch;
        }
        if self.block.discarding || line[0] == b':' {
            return Action::Continue;
        }
        let Some((name, value)) = known_field(line) else {
            return Action::Continue;
        };
        match name {
            Name::Data => {
                let block = &mut self.block;
                let len = match block.data {
                    Held::Empty => value.len(),
                    _ => block.data_len.saturating_add(1 + value.len()),
                };
                if len > self.max_event_data {
                    return Action::TooMuchData(LimitExceeded {
                        limit: Limit::EventData,
                        max: self.max_event_data,
                        offset: self.lines.line_start(),
                    });
                }
                block.data_len = len;
                match (block.data, borrow, utf8::text(value, ascii)) {
                    (Held::Empty, Some((data, _)), Some(text)) => {
                        *data = text;
                        block.data = Held::Borrowed;
                    }
                    (Held::Empty, _, _) => {
                        utf8::push_text(block.restart_data(), value, ascii);
                        block.data = Held::Owned;
                    }
                    (Held::Borrowed, Some((data, _)), _) => {
                        let buf = block.restart_data();
                        buf.push_str(data);
                        buf.push('\n');
                        utf8::push_text(&mut block.data_buf, value, ascii);
                        block.data = Held::Owned;
                    }
                    (Held::Borrowed, None, _) => unreachable!("spilled before a carried line"),
                    (Held::Owned, _, _) => {
                        block.data_buf.push('\n');
                        utf8::push_text(&mut block.data_buf, value, ascii);
                    }
                }
            }
            Name::Event => {
                let block = &mut self.block;
                match (borrow, utf8::text(value, ascii)) {
                    _ if value.is_empty() => block.event_type = Held::Empty,
                    (Some((_, event_type)), Some(text)) => {
                        *event_type = text;
                        block.event_type = Held::Borrowed;
                    }
                    _ => {
                        block.type_buf.clear();
                        utf8::push_text(&mut block.type_buf, value, ascii);
                        block.event_type = Held::Owned;
                    }
                }
            }
            // An id holding NUL is ignored whole.
            Name::Id if !has_nul(value) => {
                self.id_buffer.clear();
                utf8::push_text(&mut self.id_buffer, value, ascii);
                self.id_pending = true;
            }
            Name::Id => {}
            Name::Retry => {
                if let Some(millis) = parse_retry_bytes(value) {
                    self.reconnection_time = Some(millis);
                    return Action::Retry(millis);
                }
            }
        }
        Action::Continue
    }
}

/// Whether an `id` value holds U+0000 (then the field is ignored). Folded rather than searched:
/// ids are short, and this compiles to a vector loop.
#[inline(always)]
pub(super) fn has_nul(value: &[u8]) -> bool {
    value.iter().fold(false, |nul, &byte| nul | (byte == 0))
}

/// The fields the event level acts on.
#[derive(Clone, Copy)]
pub(super) enum Name {
    Data,
    Event,
    Id,
    Retry,
}

/// A non-blank, non-comment line's field, when its name is one the event level acts on, with
/// the value (one leading space removed). Matches the name once, on the line's first bytes: the
/// name runs to the first colon, so a line is `data` exactly when it is `data` or starts `data:`.
#[inline(always)]
pub(super) fn known_field(line: &[u8]) -> Option<(Name, &[u8])> {
    // Fixed-length compares, one per arm, so each is a single load and compare.
    let (name, rest) = match line.first()? {
        b'd' if line.first_chunk() == Some(b"data") => (Name::Data, &line[4..]),
        b'e' if line.first_chunk() == Some(b"event") => (Name::Event, &line[5..]),
        b'i' if line.first_chunk() == Some(b"id") => (Name::Id, &line[2..]),
        b'r' if line.first_chunk() == Some(b"retry") => (Name::Retry, &line[5..]),
        _ => return None,
    };
    match rest.split_first() {
        None => Some((name, rest)),
        Some((b':', value)) => Some((name, value.strip_prefix(b" ").unwrap_or(value))),
        Some(_) => None,
    }
}
