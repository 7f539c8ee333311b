//! One `feed` (or `feed_each`) call over a chunk, for one kernel: the fast paths while the
//! reader is clean, the line reader's general path otherwise, and the step handed back.

use core::mem;

use super::block::Held;
use super::{Action, Parser, Step};
use crate::limits::LimitExceeded;
use crate::line::{LineAt, Next};
use crate::scan::{Kernel, Scan};

impl Parser {
    /// The body of [`Parser::feed_scanned`], for each kernel.
    #[inline(always)]
    pub(super) fn feed_with<'a, K: Kernel>(
        &'a mut self,
        mut scan: Scan<'a, K>,
    ) -> (Result<Step<'a>, LimitExceeded>, usize) {
        let mut pos = 0;
        let step = self.step(&mut scan, &mut pos, true, true);
        (step, pos)
    }

    /// [`Parser::feed`] on `scan`'s chunk from `pos`, moving `pos` past what it used. The scan
    /// lives as long as the chunk, so [`Parser::feed_each`] scans each byte once. `advance`:
    /// the chunk's first `pos` bytes are done with (`feed`'s caller passes the rest next time);
    /// `feed_each` says so once, at the chunk's end, instead. `block_first`: whether to try
    /// `fast_block` at `pos` first; `feed_each` passes `false`, having just tried it there.
    #[inline(always)]
    fn step<'a, 'i: 'a, K: Kernel>(
        &'a mut self,
        scan: &mut Scan<'i, K>,
        pos: &mut usize,
        advance: bool,
        block_first: bool,
    ) -> Result<Step<'a>, LimitExceeded> {
        if mem::take(&mut self.dispatched) {
            self.block.clear();
        }
        let input = scan.input();
        // The block's data and event type while they are single borrowed values (`Held::Borrowed`).
        let mut data: &'i str = "";
        let mut event_type: &'i str = "";
        let mut try_block = block_first;
        let action = loop {
            if self.lines.is_clean() && !self.block.discarding {
                if try_block
                    && self.block.data == Held::Empty
                    && self.block.event_type == Held::Empty
                {
                    let action = self.fast_block::<_, false>(
                        scan,
                        pos,
                        &mut data,
                        &mut event_type,
                        &mut None,
                    );
                    match action {
                        Some(Action::Continue) => continue,
                        Some(action) => break Ok(action),
                        None => {}
                    }
                }
                if let Some(action) = self.fast_lines(scan, pos, &mut data, &mut event_type) {
                    break action;
                }
            }
            try_block = true;
            let action = match self.lines.next(scan, pos, self.keep()) {
                Next::NeedInput => break Ok(Action::NeedInput),
                Next::TooLong(err) => break Err(err),
                Next::Line(LineAt::Input { start, end, ascii }) => self.interpret(
                    &input[start..end],
                    ascii,
                    Some((&mut data, &mut event_type)),
                ),
                Next::Line(LineAt::Carry { ascii }) => {
                    // A carried line starts a call, before anything was borrowed; the carry is
                    // moved out and back so the block can be updated while reading it.
                    self.spill(data, event_type);
                    let carry = mem::take(&mut self.lines.carry);
                    let (action, carry) = self.interpret_carried(carry, ascii);
                    self.lines.carry = carry;
                    action
                }
            };
            match action {
                Action::Continue => continue,
                other => break Ok(other),
            }
        };
        if advance {
            self.lines.advance(*pos);
        }
        let step = match action {
            Ok(Action::Dispatch) => {
                self.dispatched = true;
                return Ok(Step::Event(self.event(data, event_type)));
            }
            Ok(Action::NeedInput | Action::Continue) => Ok(Step::NeedInput),
            Ok(Action::Retry(millis)) => Ok(Step::Retry(millis)),
            Ok(Action::TooMuchData(err)) | Err(err) => {
                self.abandon_block();
                Err(err)
            }
        };
        self.spill(data, event_type);
        step
    }

    /// The body of [`Parser::feed_each_scanned`], for each kernel.
    #[inline(always)]
    pub(super) fn feed_each_with<K: Kernel>(
        &mut self,
        mut scan: Scan<'_, K>,
        mut each: impl FnMut(Result<Step<'_>, LimitExceeded>),
    ) {
        let chunk = scan.input();
        let mut pos = 0;
        // The last event ID while it is a borrow of `chunk`, not yet copied into the parser.
        let mut chunk_id: Option<&str> = None;
        loop {
            if mem::take(&mut self.dispatched) {
                self.block.clear();
            }
            // Whole blocks straight from the chunk to `each`, without the way through `step`
            // and `Step` per event; anything unusual ends this loop and `step` takes it, not
            // trying `fast_block` on the same lines a second time.
            while self.lines.is_clean()
                && !self.block.discarding
                && self.block.data == Held::Empty
                && self.block.event_type == Held::Empty
            {
                let (mut data, mut event_type) = ("", "");
                match self.fast_block::<_, true>(
                    &mut scan,
                    &mut pos,
                    &mut data,
                    &mut event_type,
                    &mut chunk_id,
                ) {
                    Some(Action::Continue) => {}
                    Some(Action::Dispatch) => {
                        let id = chunk_id.unwrap_or(&self.last_event_id);
                        each(Ok(Step::Event(self.event_with_id(data, event_type, id))));
                        self.block.clear();
                    }
                    _ => break,
                }
            }
            // The general path reads and sets the parser's own last event ID.
            if let Some(id) = chunk_id.take() {
                self.copy_last_event_id(id);
            }
            // The chunk ended exactly at a block's end (what a model-token stream sends):
            // nothing is left for the general path to read or carry.
            if pos == chunk.len() && self.lines.is_clean() {
                break;
            }
            #[cfg(test)]
            super::fast::taken::add(&super::fast::taken::GENERAL);
            match self.step(&mut scan, &mut pos, false, false) {
                Ok(Step::NeedInput) => break,
                step => each(step),
            }
        }
        self.lines.advance(chunk.len());
    }
}
