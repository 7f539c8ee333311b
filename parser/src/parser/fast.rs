//! The fast paths: whole event blocks, or single lines, taken straight from the scan while
//! nothing unusual is pending. Anything out of the ordinary hands the rest back to `step`'s
//! general path.

use core::mem;

use super::block::Held;
use super::interpret::{has_nul, known_field, Name};
use super::{Action, Parser};
use crate::limits::LimitExceeded;
use crate::line::next_line_start;
use crate::scan::{Kernel, Scan};
use crate::utf8;

impl Parser {
    /// The hottest loop: a whole event block at `*pos`, read into locals and committed to the
    /// parser only at its blank line. Returns `None`, having changed nothing the general path
    /// depends on, for anything out of the ordinary (the chunk ends first, a CR ends the chunk,
    /// a `retry`, invalid UTF-8, a limit): the general path then reads the same lines again.
    /// `data_buf` may be written before a bail-out; it only means something once `Held::Owned`.
    ///
    /// With `LEND_ID`, an `id` field is not copied here: the block's ID is put in `latest_id`
    /// (and the parser's `last_event_id` is then stale) for the caller to copy, so that
    /// `feed_each` copies once per chunk rather than once per event. A block without an `id`
    /// leaves `latest_id` as it was. Without `LEND_ID`, the ID is copied at once and
    /// `latest_id` is not used.
    #[inline(always)]
    pub(super) fn fast_block<'i, K: Kernel, const LEND_ID: bool>(
        &mut self,
        scan: &mut Scan<'i, K>,
        pos: &mut usize,
        data: &mut &'i str,
        event_type: &mut &'i str,
        latest_id: &mut Option<&'i str>,
    ) -> Option<Action> {
        let input = scan.input();
        let mut at = *pos;
        let mut data_held = Held::Empty;
        let mut data_len = 0usize;
        let mut type_held = Held::Empty;
        let mut id: Option<&'i str> = None;
        loop {
            let (end, ascii) = scan.line_end(at).ok()?;
            let line = &input[at..end];
            if line.len() > self.lines.max_line() {
                return None;
            }
            // A CR ending the chunk: the general path keeps the LF that may follow.
            at = next_line_start(input, end)?;
            debug_assert!(at > end, "the block path did not move past a line end");
            let Some((name, value)) = known_field(line) else {
                if line.is_empty() {
                    break;
                }
                // A comment or a field the event level ignores.
                continue;
            };
            let text = utf8::text(value, ascii)?;
            match name {
                Name::Data => {
                    data_len = match data_held {
                        Held::Empty => text.len(),
                        _ => data_len + 1 + text.len(),
                    };
                    if data_len > self.max_event_data {
                        return None;
                    }
                    match data_held {
                        Held::Empty => {
                            *data = text;
                            data_held = Held::Borrowed;
                        }
                        Held::Borrowed => {
                            let buf = self.block.restart_data();
                            buf.push_str(data);
                            buf.push('\n');
                            buf.push_str(text);
                            data_held = Held::Owned;
                        }
                        Held::Owned => {
                            self.block.data_buf.push('\n');
                            self.block.data_buf.push_str(text);
                        }
                    }
                }
                Name::Event => {
                    *event_type = text;
                    type_held = match text.is_empty() {
                        true => Held::Empty,
                        false => Held::Borrowed,
                    };
                }
                Name::Id if !has_nul(text.as_bytes()) => {
                    id = Some(text);
                }
                Name::Id => {}
                Name::Retry => return None,
            }
        }
        // The blank line: commit.
        *pos = at;
        #[cfg(test)]
        taken::add(&taken::BLOCKS);
        if let Some(id) = id {
            match LEND_ID {
                true => *latest_id = Some(id),
                false => self.copy_last_event_id(id),
            }
            self.id_pending = false;
        } else if mem::take(&mut self.id_pending) {
            // Only the general path sets `id_pending`, and `feed_each` copies a lent ID into
            // the parser before it takes that path.
            debug_assert!(latest_id.is_none(), "a lent ID and a pending one");
            mem::swap(&mut self.last_event_id, &mut self.id_buffer);
        }
        if data_held == Held::Empty {
            return Some(Action::Continue);
        }
        self.block.data = data_held;
        self.block.data_len = data_len;
        self.block.event_type = type_held;
        Some(Action::Dispatch)
    }

    /// The hot loop: while no line spans chunks and nothing unusual is pending (a BOM still
    /// being matched, an LF to swallow after a chunk-ending CR, a line or block being dropped),
    /// takes each complete line straight from the scan. Returns `None` to hand the rest to the
    /// general path (`LineReader::next`): at the chunk's end, or at a line past the line limit.
    #[inline(always)]
    pub(super) fn fast_lines<'i, K: Kernel>(
        &mut self,
        scan: &mut Scan<'i, K>,
        pos: &mut usize,
        data: &mut &'i str,
        event_type: &mut &'i str,
    ) -> Option<Result<Action, LimitExceeded>> {
        let input = scan.input();
        loop {
            let (end, ascii) = scan.line_end(*pos).ok()?;
            let start = *pos;
            if end - start > self.lines.max_line() {
                return None;
            }
            *pos = match next_line_start(input, end) {
                Some(next) => next,
                None => {
                    // A CR ending the chunk: an LF opening the next one belongs to it.
                    self.lines.skip_lf_next();
                    end + 1
                }
            };
            debug_assert!(*pos > end, "the line path did not move past a line end");
            self.lines.set_line_start(start);
            let line = &input[start..end];
            #[cfg(test)]
            taken::add(&taken::LINES);
            match self.interpret_inline(line, ascii, Some((&mut *data, &mut *event_type))) {
                Action::Continue => {}
                Action::TooMuchData(err) => return Some(Err(err)),
                other => return Some(Ok(other)),
            }
        }
    }
}

/// How many blocks and lines the fast paths took on this thread, and how often `feed_each`
/// went to the general path. Turning a fast path off
/// changes speed, not answers, so tests count (`parser/src/parser/tests.rs`) that the inputs
/// each path exists for take it.
#[cfg(test)]
pub(super) mod taken {
    use core::cell::Cell;

    std::thread_local! {
        pub(crate) static BLOCKS: Cell<usize> = const { Cell::new(0) };
        pub(crate) static LINES: Cell<usize> = const { Cell::new(0) };
        /// Times `feed_each` handed the rest of a chunk to the general path (`step`).
        pub(crate) static GENERAL: Cell<usize> = const { Cell::new(0) };
    }

    pub(crate) fn add(counter: &'static std::thread::LocalKey<Cell<usize>>) {
        counter.with(|count| count.set(count.get() + 1));
    }

    /// (blocks, lines) so far.
    pub(crate) fn get() -> (usize, usize) {
        (BLOCKS.with(Cell::get), LINES.with(Cell::get))
    }

    /// `feed_each`'s trips to the general path so far.
    pub(crate) fn general() -> usize {
        GENERAL.with(Cell::get)
    }
}
