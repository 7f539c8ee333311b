//! An update (Mercure-08 §Terminology): what a publisher sends and subscribers receive, and
//! its bytes on the event stream.

use crate::topic::Topic;

/// One update, validated: every field already obeys the draft's rules, so encoding it cannot
/// fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    /// The canonical topic first, then the alternates (Mercure-08 §Publication PUB-3).
    pub topics: Vec<Topic>,
    /// The content; any line ends become separate `data:` lines.
    pub data: String,
    /// Only subscribers allowed to receive one of its topics get it (§Subscribers SB-1).
    pub private: bool,
    /// The SSE `id`: the publisher's, or one the hub made.
    pub id: String,
    /// The SSE `event` (the form's `type`).
    pub event_type: Option<String>,
    /// The SSE `retry`, in milliseconds.
    pub retry: Option<u64>,
}

impl Update {
    /// The update as SSE bytes: `event`, `id`, `retry`, then one `data:` line per line of the
    /// data, split on CR, LF and CRLF, so no value can inject a field (Mercure-08 §Security
    /// Considerations, Server-Sent Events Field Injection). Always at least one `data:` line,
    /// so every update dispatches an event, even with empty data.
    ///
    /// ```
    /// use ssewire_hub::{topic::Topic, update::Update};
    /// let hub = url::Url::parse("https://hub.example/.well-known/mercure").unwrap();
    /// let update = Update {
    ///     topics: vec![Topic::new("https://example.com/books/1", &hub)],
    ///     data: "a\nid: forged\r\nb".into(),
    ///     private: false,
    ///     id: "urn:uuid:1".into(),
    ///     event_type: Some("book".into()),
    ///     retry: None,
    /// };
    /// assert_eq!(update.to_sse(), b"event: book\nid: urn:uuid:1\ndata: a\ndata: id: forged\ndata: b\n\n");
    /// ```
    pub fn to_sse(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + self.id.len() + 32);
        self.encode(&mut out);
        out
    }

    /// Appends [`Update::to_sse`]'s bytes to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.encoder_event().encode(out);
    }

    /// The update as one [`ssewire_http::SseFrame`], encoded once and shared by every
    /// subscriber it reaches.
    pub fn to_frame(&self) -> ssewire_http::SseFrame {
        ssewire_http::SseFrame::event(&self.encoder_event())
    }

    fn encoder_event(&self) -> ssewire_encoder::Event<'_> {
        let mut event = ssewire_encoder::Event::new(&self.data);
        // The publish rules (no control characters in `id` or `type`) are stricter than the
        // encoder's (no CR, LF or NUL), so these never fail for a validated update; if one
        // ever did, the field is left out rather than the update lost.
        if let Some(event_type) = &self.event_type {
            event = event.event_type(event_type).unwrap_or(event);
        }
        event = event.id(&self.id).unwrap_or(event);
        if let Some(millis) = self.retry {
            event = event.retry(millis);
        }
        event
    }
}
