//! The event block being read: the spec's data and event type buffers, where each value is
//! while the block is read (a borrow of the chunk or the parser's own copy), and the [`Event`]
//! its blank line dispatches.

use alloc::string::String;

use super::Parser;
use crate::event::Event;

/// Where the block's data (or event type) currently is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Held {
    /// Nothing yet (the spec's empty buffer).
    Empty,
    /// One value, borrowed from the current chunk (a local of `feed`).
    Borrowed,
    /// In the parser's buffer.
    Owned,
}

/// The block being read: the spec's data and event type buffers.
#[derive(Clone, Debug)]
pub(super) struct Block {
    pub(super) data: Held,
    /// The data values joined by LF (the spec's buffer minus its final LF) when `Owned`, from
    /// `data_skip` on: a data line carried across chunks becomes this buffer whole, its
    /// `data: ` included, instead of being copied a second time.
    pub(super) data_buf: String,
    pub(super) data_skip: usize,
    /// Input bytes of data so far, for [`Limits::event_data`](crate::Limits::event_data).
    pub(super) data_len: usize,
    pub(super) event_type: Held,
    pub(super) type_buf: String,
    /// A limit was hit: ignore the block's lines up to its blank line, which dispatches nothing.
    pub(super) discarding: bool,
}

impl Block {
    /// The owned data.
    pub(super) fn data_text(&self) -> &str {
        self.data_buf.get(self.data_skip..).unwrap_or_default()
    }

    /// The data buffer, emptied, for a block's data to be written from its start.
    pub(super) fn restart_data(&mut self) -> &mut String {
        self.data_skip = 0;
        self.data_buf.clear();
        &mut self.data_buf
    }

    pub(super) fn clear(&mut self) {
        self.data = Held::Empty;
        self.data_len = 0;
        self.event_type = Held::Empty;
    }
}

impl Parser {
    /// The block being dispatched as an event; `data` and `event_type` are the values `Held`
    /// as borrowed.
    #[inline(always)]
    pub(super) fn event<'a>(&'a self, data: &'a str, event_type: &'a str) -> Event<'a> {
        self.event_with_id(data, event_type, &self.last_event_id)
    }

    /// [`Parser::event`] with the last event ID string given: `feed_each` lends it from the
    /// chunk until it copies it.
    #[inline(always)]
    pub(super) fn event_with_id<'a>(
        &'a self,
        data: &'a str,
        event_type: &'a str,
        id: &'a str,
    ) -> Event<'a> {
        // Matched here rather than through a helper taking all three values: the owned data
        // is only looked up when it is the one used (the borrowed path never reads the buffer).
        let event_type = match self.block.event_type {
            Held::Empty => "message",
            Held::Borrowed => event_type,
            Held::Owned => &self.block.type_buf,
        };
        let data = match self.block.data {
            Held::Empty => "",
            Held::Borrowed => data,
            Held::Owned => self.block.data_text(),
        };
        Event::new(event_type, data, id)
    }

    /// Moves borrowed values into the parser's buffers before `feed` returns mid-block.
    pub(super) fn spill(&mut self, data: &str, event_type: &str) {
        if self.block.data == Held::Borrowed {
            self.block.restart_data().push_str(data);
            self.block.data = Held::Owned;
        }
        if self.block.event_type == Held::Borrowed {
            self.block.type_buf.clear();
            self.block.type_buf.push_str(event_type);
            self.block.event_type = Held::Owned;
        }
    }

    pub(super) fn abandon_block(&mut self) {
        self.block.clear();
        self.block.discarding = true;
    }
}
