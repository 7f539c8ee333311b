//! [`Event`]: what the event level dispatches.

use alloc::borrow::Cow;

/// A dispatched event: what a browser hands to `onmessage` as a `MessageEvent`.
///
/// Its text borrows the fed chunk when the event's only `data` line (and its `event` line) lay
/// inside it, otherwise the parser's buffers; [`Event::into_owned`] detaches it.
///
/// ```
/// use ssewire_parser::{Parser, Step};
/// let mut parser = Parser::new();
/// let (step, _) = parser.feed(b"event: add\ndata: 1\ndata: 2\nid: 7\n\n");
/// let Ok(Step::Event(event)) = step else { panic!() };
/// assert_eq!((event.event_type(), event.data(), event.last_event_id()), ("add", "1\n2", "7"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Event<'a> {
    event_type: Cow<'a, str>,
    data: Cow<'a, str>,
    last_event_id: Cow<'a, str>,
}

impl<'a> Event<'a> {
    /// An event built from its three parts, e.g. to compare with a parsed one.
    ///
    /// ```
    /// let event = ssewire_parser::Event::new("message", "hi", "");
    /// assert_eq!(event.data(), "hi");
    /// ```
    pub fn new(
        event_type: impl Into<Cow<'a, str>>,
        data: impl Into<Cow<'a, str>>,
        last_event_id: impl Into<Cow<'a, str>>,
    ) -> Self {
        Event {
            event_type: event_type.into(),
            data: data.into(),
            last_event_id: last_event_id.into(),
        }
    }

    /// The event type: the last `event` field's value in the block, or `"message"` when there
    /// was none or it was empty.
    ///
    /// ```
    /// # use ssewire_parser::{Parser, Step};
    /// let mut parser = Parser::new();
    /// let Ok(Step::Event(event)) = parser.feed(b"event:\ndata\n\n").0 else { panic!() };
    /// assert_eq!(event.event_type(), "message");
    /// ```
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// The data: the block's `data` values joined by LF (the spec's data buffer without its
    /// final LF). Never absent: a block without `data` dispatches no event.
    ///
    /// ```
    /// # use ssewire_parser::{Parser, Step};
    /// let mut parser = Parser::new();
    /// let Ok(Step::Event(event)) = parser.feed(b"data: a\ndata:\n\n").0 else { panic!() };
    /// assert_eq!(event.data(), "a\n");
    /// ```
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The source's last event ID when this event was dispatched (`MessageEvent.lastEventId`):
    /// set by the latest `id` field so far, in this block or an earlier one.
    ///
    /// ```
    /// # use ssewire_parser::{Parser, Step};
    /// let mut parser = Parser::new();
    /// // The id-only block dispatches nothing, but its id persists to the next event.
    /// let Ok(Step::Event(event)) = parser.feed(b"id: 1\n\ndata: x\n\n").0 else { panic!() };
    /// assert_eq!(event.last_event_id(), "1");
    /// ```
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Whether the data is a borrow (of the chunk or the parser) rather than a fresh copy.
    /// Every event from [`Parser::feed`](crate::Parser::feed) borrows; only
    /// [`Event::into_owned`] allocates.
    ///
    /// ```
    /// # use ssewire_parser::{Parser, Step};
    /// let mut parser = Parser::new();
    /// let Ok(Step::Event(event)) = parser.feed(b"data: x\n\n").0 else { panic!() };
    /// assert!(event.is_borrowed());
    /// assert!(!event.into_owned().is_borrowed());
    /// ```
    pub fn is_borrowed(&self) -> bool {
        matches!(self.data, Cow::Borrowed(_))
    }

    /// The same event with its own copies of the text, free of the parser and the chunk.
    ///
    /// ```
    /// # use ssewire_parser::{Parser, Step};
    /// let mut parser = Parser::new();
    /// let event = match parser.feed(b"data: x\n\n").0 {
    ///     Ok(Step::Event(event)) => event.into_owned(),
    ///     _ => unreachable!(),
    /// };
    /// drop(parser);
    /// assert_eq!(event.data(), "x");
    /// ```
    pub fn into_owned(self) -> Event<'static> {
        Event {
            event_type: Cow::Owned(self.event_type.into_owned()),
            data: Cow::Owned(self.data.into_owned()),
            last_event_id: Cow::Owned(self.last_event_id.into_owned()),
        }
    }
}
