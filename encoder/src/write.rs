//! Events and comments, and the bytes they become.

use crate::field::{EncodeError, EventId, EventType};
use crate::scan;
use alloc::vec::Vec;

/// A reconnection time, formatted once so its digits can be lent like the other pieces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Digits {
    buf: [u8; 20],
    start: u8,
}

impl Digits {
    #[inline]
    fn new(mut value: u64) -> Self {
        let mut buf = [0u8; 20];
        let mut start = buf.len();
        loop {
            start -= 1;
            buf[start] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        Digits {
            buf,
            start: start as u8,
        }
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        &self.buf[usize::from(self.start)..]
    }
}

/// One event block to write: optional type, id and reconnection time, and data.
///
/// An event with data (even empty data) is dispatched by the client; one made with
/// [`Event::without_data`] only updates the last event ID or the reconnection time.
///
/// Data may hold any text. A client receives each CRLF, lone CR and lone LF in it as LF: the
/// format has one line end inside data, so `"a\r\nb"` arrives as `"a\nb"`.
///
/// ```
/// use ssewire_encoder::Event;
/// let mut out = Vec::new();
/// Event::new("{\"price\":1}").event_type("tick")?.id("7")?.encode(&mut out);
/// assert_eq!(out, b"event: tick\nid: 7\ndata: {\"price\":1}\n\n");
/// # Ok::<(), ssewire_encoder::EncodeError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Event<'a> {
    data: Option<&'a str>,
    event_type: Option<EventType<'a>>,
    id: Option<EventId<'a>>,
    retry: Option<Digits>,
}

impl<'a> Event<'a> {
    /// An event carrying `data` (which may be empty: the client still gets an event).
    ///
    /// ```
    /// let mut out = Vec::new();
    /// ssewire_encoder::Event::new("").encode(&mut out);
    /// assert_eq!(out, b"data:\n\n");
    /// ```
    #[inline]
    pub fn new(data: &'a str) -> Self {
        Event {
            data: Some(data),
            ..Self::without_data()
        }
    }

    /// A block with no data: the client dispatches nothing, but takes its `id` and `retry`.
    ///
    /// ```
    /// let mut out = Vec::new();
    /// ssewire_encoder::Event::without_data().retry(5000).encode(&mut out);
    /// assert_eq!(out, b"retry: 5000\n\n");
    /// ```
    #[inline]
    pub fn without_data() -> Self {
        Event {
            data: None,
            event_type: None,
            id: None,
            retry: None,
        }
    }

    /// Sets the event type after checking it (see [`EventType::new`]).
    ///
    /// # Errors
    /// [`EncodeError`] when `event_type` holds CR or LF.
    ///
    /// ```
    /// assert!(ssewire_encoder::Event::new("x").event_type("a\nb").is_err());
    /// ```
    #[inline]
    pub fn event_type(self, event_type: &'a str) -> Result<Self, EncodeError> {
        Ok(self.with_event_type(EventType::new(event_type)?))
    }

    /// Sets an already checked event type.
    ///
    /// ```
    /// use ssewire_encoder::{Event, EventType};
    /// let tick = EventType::new("tick")?;
    /// let _ = Event::new("1").with_event_type(tick);
    /// # Ok::<(), ssewire_encoder::EncodeError>(())
    /// ```
    #[inline]
    pub fn with_event_type(mut self, event_type: EventType<'a>) -> Self {
        self.event_type = Some(event_type);
        self
    }

    /// Sets the event ID after checking it (see [`EventId::new`]). An empty ID resets the
    /// client's last event ID.
    ///
    /// # Errors
    /// [`EncodeError`] when `id` holds CR, LF or NUL.
    ///
    /// ```
    /// assert!(ssewire_encoder::Event::new("x").id("1\r").is_err());
    /// ```
    #[inline]
    pub fn id(self, id: &'a str) -> Result<Self, EncodeError> {
        Ok(self.with_id(EventId::new(id)?))
    }

    /// Sets an already checked event ID.
    ///
    /// ```
    /// use ssewire_encoder::{Event, EventId};
    /// let _ = Event::new("1").with_id(EventId::new("1")?);
    /// # Ok::<(), ssewire_encoder::EncodeError>(())
    /// ```
    #[inline]
    pub fn with_id(mut self, id: EventId<'a>) -> Self {
        self.id = Some(id);
        self
    }

    /// Sets the client's reconnection time, in milliseconds.
    ///
    /// ```
    /// let mut out = Vec::new();
    /// ssewire_encoder::Event::new("x").retry(0).encode(&mut out);
    /// assert_eq!(out, b"retry: 0\ndata: x\n\n");
    /// ```
    #[inline]
    pub fn retry(mut self, millis: u64) -> Self {
        self.retry = Some(Digits::new(millis));
        self
    }

    /// Appends the encoded block to `out`.
    ///
    /// # Panics
    /// Never (beyond allocation failure).
    ///
    /// ```
    /// let mut out = Vec::new();
    /// ssewire_encoder::Event::new("line 1\r\nline 2").encode(&mut out);
    /// assert_eq!(out, b"data: line 1\ndata: line 2\n\n");
    /// ```
    pub fn encode(&self, out: &mut Vec<u8>) {
        let line = |name: &Name, value: usize| match value {
            0 => name.empty_line.len(),
            _ => name.before_value.len() + value + 1,
        };
        let head = self
            .event_type
            .map_or(0, |t| line(&EVENT, t.as_str().len()))
            + self.id.map_or(0, |id| line(&ID, id.as_str().len()))
            + self.retry.map_or(0, |r| line(&RETRY, r.as_bytes().len()));
        // Exact for single-line data, a lower bound otherwise: one reservation, so the copies
        // below do not reallocate midway.
        out.reserve(head + self.data.map_or(0, |d| line(&DATA, d.len())) + 1);
        self.pieces::<true>(|piece| out.extend_from_slice(piece));
    }

    /// Appends the encoded block to any [`bytes::BufMut`], e.g. a `BytesMut`.
    ///
    /// ```
    /// let mut out = bytes::BytesMut::new();
    /// ssewire_encoder::Event::new("hi").encode_to_buf(&mut out);
    /// assert_eq!(&out[..], b"data: hi\n\n");
    /// ```
    #[cfg(feature = "bytes")]
    pub fn encode_to_buf<B: bytes::BufMut>(&self, out: &mut B) {
        self.pieces::<true>(|piece| out.put_slice(piece));
    }

    /// Calls `piece` with each slice of the encoded block in order. Data is never copied: its
    /// slices borrow the event's own text, so a large payload can go out with one vectored
    /// write (`IoSlice`s) without being copied first.
    ///
    /// ```
    /// let event = ssewire_encoder::Event::new("big payload");
    /// let mut pieces: Vec<&[u8]> = Vec::new();
    /// event.for_each_piece(|piece| pieces.push(piece));
    /// assert_eq!(pieces, [&b"data: "[..], b"big payload", b"\n", b"\n"]);
    /// ```
    pub fn for_each_piece<'e>(&'e self, piece: impl FnMut(&'e [u8])) {
        self.pieces::<false>(piece);
    }

    /// [`Event::for_each_piece`]; with `COPIED`, a long data line may come in several pieces
    /// (see `scan::Part`), which the copying callers want and a vectored write would not.
    #[inline(always)]
    fn pieces<'e, const COPIED: bool>(&'e self, mut piece: impl FnMut(&'e [u8])) {
        self.for_each_head_piece(&mut piece);
        if let Some(data) = self.data {
            write_lines::<COPIED>(&mut piece, &DATA, data.as_bytes());
        }
        piece(b"\n");
    }

    /// The pieces of the lines before the data: type, id, retry.
    #[inline(always)]
    fn for_each_head_piece<'e>(&'e self, piece: &mut impl FnMut(&'e [u8])) {
        if let Some(event_type) = &self.event_type {
            write_line(piece, &EVENT, event_type.as_str().as_bytes());
        }
        if let Some(id) = &self.id {
            write_line(piece, &ID, id.as_str().as_bytes());
        }
        if let Some(retry) = &self.retry {
            write_line(piece, &RETRY, retry.as_bytes());
        }
    }
}

/// A comment: a line (or lines) starting with `:`, which clients ignore. Servers send them as
/// keep-alives so proxies do not close an idle connection.
///
/// ```
/// let mut out = Vec::new();
/// ssewire_encoder::Comment::new("keep-alive").encode(&mut out);
/// assert_eq!(out, b": keep-alive\n");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Comment<'a>(&'a str);

impl<'a> Comment<'a> {
    /// A comment of any text; line ends in it start further comment lines.
    ///
    /// ```
    /// let mut out = Vec::new();
    /// ssewire_encoder::Comment::new("a\nb").encode(&mut out);
    /// assert_eq!(out, b": a\n: b\n");
    /// ```
    #[inline]
    pub fn new(text: &'a str) -> Self {
        Comment(text)
    }

    /// Appends the encoded comment to `out`.
    ///
    /// ```
    /// let mut out = Vec::new();
    /// ssewire_encoder::Comment::new("").encode(&mut out);
    /// assert_eq!(out, b":\n");
    /// ```
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.pieces::<true>(|piece| out.extend_from_slice(piece));
    }

    /// Appends the encoded comment to any [`bytes::BufMut`].
    ///
    /// ```
    /// let mut out = bytes::BytesMut::new();
    /// ssewire_encoder::Comment::new("ping").encode_to_buf(&mut out);
    /// assert_eq!(&out[..], b": ping\n");
    /// ```
    #[cfg(feature = "bytes")]
    pub fn encode_to_buf<B: bytes::BufMut>(&self, out: &mut B) {
        self.pieces::<true>(|piece| out.put_slice(piece));
    }

    /// Calls `piece` with each slice of the encoded comment in order.
    ///
    /// ```
    /// let mut n = 0;
    /// ssewire_encoder::Comment::new("x").for_each_piece(|_| n += 1);
    /// assert_eq!(n, 3);
    /// ```
    pub fn for_each_piece<'e>(&'e self, piece: impl FnMut(&'e [u8])) {
        self.pieces::<false>(piece);
    }

    /// [`Comment::for_each_piece`]; with `COPIED`, as [`Event`]'s.
    #[inline(always)]
    fn pieces<'e, const COPIED: bool>(&'e self, mut piece: impl FnMut(&'e [u8])) {
        write_lines::<COPIED>(&mut piece, &COMMENT, self.0.as_bytes());
    }
}

/// How one field's lines start: `name: ` before a value, `name:` LF alone for an empty one.
/// The space keeps a value that starts with a space intact: the parser removes exactly one.
struct Name {
    before_value: &'static [u8],
    empty_line: &'static [u8],
}

const EVENT: Name = Name {
    before_value: b"event: ",
    empty_line: b"event:\n",
};
const ID: Name = Name {
    before_value: b"id: ",
    empty_line: b"id:\n",
};
const RETRY: Name = Name {
    before_value: b"retry: ",
    empty_line: b"retry:\n",
};
const DATA: Name = Name {
    before_value: b"data: ",
    empty_line: b"data:\n",
};
const COMMENT: Name = Name {
    before_value: b": ",
    empty_line: b":\n",
};

#[inline(always)]
fn write_line<'e>(piece: &mut impl FnMut(&'e [u8]), name: &Name, value: &'e [u8]) {
    if value.is_empty() {
        piece(name.empty_line);
    } else {
        piece(name.before_value);
        piece(value);
        piece(b"\n");
    }
}

/// One `name` line per line of `text`, split at CRLF, CR and LF. `COPIED`: the pieces are
/// copied, so a long line may be handed on in parts (see `scan::Part`).
#[inline(always)]
fn write_lines<'e, const COPIED: bool>(
    piece: &mut impl FnMut(&'e [u8]),
    name: &Name,
    text: &'e [u8],
) {
    // Checked here rather than inside the split so that the common one-line value writes its
    // line inline: the split's several call sites keep this closure out of line (measured:
    // docs/performance.md, design notes).
    if scan::is_short_line(text) {
        return write_line(piece, name, text);
    }
    scan::for_each_line::<COPIED>(text, |line, part| match part {
        scan::Part::WHOLE => write_line(piece, name, line),
        // A long line in parts: never empty as a whole, so always `name: value`.
        scan::Part { starts, ends } => {
            if starts {
                piece(name.before_value);
            }
            piece(line);
            if ends {
                piece(b"\n");
            }
        }
    });
}
