//! An owned event whose text shares the received chunk's memory.

use bytes::Bytes;
use bytestring::ByteString;

/// A dispatched event that owns its text without having copied it: when the parser could
/// borrow a value from the received chunk, the value is a slice of that chunk's [`Bytes`].
///
/// It is `'static`, `Send` and cheap to clone, so it can cross tasks and channels.
///
/// ```
/// use futures_util::StreamExt;
/// use ssewire_http::EventStream;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(
///     b"event: add\nid: 7\ndata: 1\n\n",
/// ))]);
/// let event = EventStream::new(chunks).next().await.unwrap().unwrap();
/// assert_eq!((event.event_type(), event.data(), event.last_event_id()), ("add", "1", "7"));
/// # });
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    event_type: ByteString,
    data: ByteString,
    last_event_id: ByteString,
}

impl Event {
    /// An event built from its three parts, e.g. to compare with a received one.
    ///
    /// ```
    /// let event = ssewire_http::Event::new("message", "hi", "");
    /// assert_eq!(event.data(), "hi");
    /// ```
    pub fn new(
        event_type: impl Into<ByteString>,
        data: impl Into<ByteString>,
        last_event_id: impl Into<ByteString>,
    ) -> Self {
        Event {
            event_type: event_type.into(),
            data: data.into(),
            last_event_id: last_event_id.into(),
        }
    }

    /// The event type: `"message"` unless an `event` field set another.
    ///
    /// ```
    /// assert_eq!(ssewire_http::Event::new("tick", "", "").event_type(), "tick");
    /// ```
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// The data: its lines joined by LF, without a final LF.
    ///
    /// ```
    /// assert_eq!(ssewire_http::Event::new("message", "a\nb", "").data(), "a\nb");
    /// ```
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The last event ID string when the event was dispatched.
    ///
    /// ```
    /// assert_eq!(ssewire_http::Event::new("message", "", "42").last_event_id(), "42");
    /// ```
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The data as [`Bytes`], sharing memory with the event (and with the chunk it came in).
    ///
    /// ```
    /// let event = ssewire_http::Event::new("message", "hi", "");
    /// assert_eq!(&event.data_bytes()[..], b"hi");
    /// ```
    pub fn data_bytes(&self) -> Bytes {
        self.data.as_bytes().clone()
    }
}

/// Turns the parser's events into [`Event`]s, slicing the chunk when a value lies in it.
#[derive(Debug, Default)]
pub(crate) struct Detach {
    /// The last ID handed out: most events repeat it, so it is shared rather than copied.
    last_id: ByteString,
}

impl Detach {
    pub(crate) fn event(&mut self, chunk: &Bytes, event: &ssewire_parser::Event<'_>) -> Event {
        let event_type = match event.event_type() {
            "message" => ByteString::from_static("message"),
            other => text(chunk, other),
        };
        let id = event.last_event_id();
        if id != &*self.last_id {
            self.last_id = text(chunk, id);
        }
        Event {
            event_type,
            data: text(chunk, event.data()),
            last_event_id: self.last_id.clone(),
        }
    }
}

/// `value` as a [`ByteString`]: a slice of `chunk` when it lies inside it, else a copy.
fn text(chunk: &Bytes, value: &str) -> ByteString {
    if value.is_empty() {
        return ByteString::new();
    }
    let range = chunk.as_ptr_range();
    let inside = range.start <= value.as_ptr() && value.as_bytes().as_ptr_range().end <= range.end;
    if inside {
        // Re-checking UTF-8 here keeps the crate free of `unsafe`; the parser's own check
        // already passed, so this never fails, and on the common ASCII text it is a fast scan.
        if let Ok(text) = ByteString::try_from(chunk.slice_ref(value.as_bytes())) {
            return text;
        }
    }
    ByteString::from(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_inside_the_chunk_share_its_memory() {
        let chunk = Bytes::from_static(b"event: add\ndata: payload\n\n");
        let mut parser = ssewire_parser::Parser::new();
        let mut detach = Detach::default();
        let mut events = Vec::new();
        parser.feed_each(&chunk, |step| {
            if let Ok(ssewire_parser::Step::Event(e)) = step {
                events.push(detach.event(&chunk, &e));
            }
        });
        let event = &events[0];
        assert_eq!((event.event_type(), event.data()), ("add", "payload"));
        let inside = chunk.as_ptr_range().contains(&event.data().as_ptr());
        assert!(inside, "data was copied out of the chunk");
    }

    #[test]
    fn values_from_the_parsers_buffers_are_copied() {
        let chunk = Bytes::from_static(b"data: a\ndata: b\n\n");
        let mut parser = ssewire_parser::Parser::new();
        let mut detach = Detach::default();
        let mut data = Vec::new();
        parser.feed_each(&chunk, |step| {
            if let Ok(ssewire_parser::Step::Event(e)) = step {
                data.push(detach.event(&chunk, &e).data().to_owned());
            }
        });
        assert_eq!(data, ["a\nb"]);
    }
}
