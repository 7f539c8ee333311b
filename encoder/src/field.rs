//! Values that only some strings can be: an event type and an event ID, checked once.

use core::fmt;

/// Which value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldKind {
    /// An [`EventType`]: no line end may be in it.
    EventType,
    /// An [`EventId`]: no line end and no NUL may be in it.
    EventId,
}

/// A value the event stream format cannot carry.
///
/// The spec gives a field no way to hold a line end (CR or LF end the line), and a parser
/// ignores an `id` holding U+0000 NULL. Rather than write a stream that parses to something
/// else, the encoder refuses these values when they are made.
///
/// ```
/// use ssewire_encoder::EventId;
/// let err = EventId::new("ab\ncd").unwrap_err();
/// assert_eq!(err.to_string(), "event id contains U+000A LINE FEED at byte 2");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EncodeError {
    field: FieldKind,
    character: char,
    index: usize,
}

impl EncodeError {
    /// Which value was refused.
    ///
    /// ```
    /// # use ssewire_encoder::{EventType, FieldKind};
    /// assert_eq!(EventType::new("a\rb").unwrap_err().field(), FieldKind::EventType);
    /// ```
    pub fn field(&self) -> FieldKind {
        self.field
    }

    /// The character that cannot be carried.
    ///
    /// ```
    /// # use ssewire_encoder::EventType;
    /// assert_eq!(EventType::new("a\rb").unwrap_err().character(), '\r');
    /// ```
    pub fn character(&self) -> char {
        self.character
    }

    /// Its byte index in the value.
    ///
    /// ```
    /// # use ssewire_encoder::EventType;
    /// assert_eq!(EventType::new("a\rb").unwrap_err().index(), 1);
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = match self.field {
            FieldKind::EventType => "event type",
            FieldKind::EventId => "event id",
        };
        let name = match self.character {
            '\n' => "LINE FEED",
            '\r' => "CARRIAGE RETURN",
            _ => "NULL",
        };
        write!(
            f,
            "{field} contains U+{:04X} {name} at byte {}",
            u32::from(self.character),
            self.index
        )
    }
}

impl core::error::Error for EncodeError {}

/// Every refused byte is a control byte below 0x0E, so a word-at-a-time test for those clears
/// nearly every value; only a value it flags is searched byte by byte for the refused one.
#[inline]
fn refuse(value: &str, field: FieldKind, bad: impl Fn(u8) -> bool) -> Result<(), EncodeError> {
    if !crate::scan::has_control(value.as_bytes()) {
        return Ok(());
    }
    match value.bytes().position(bad) {
        None => Ok(()),
        Some(index) => Err(EncodeError {
            field,
            character: char::from(value.as_bytes()[index]),
            index,
        }),
    }
}

/// An event type the stream can carry: any text without CR or LF.
///
/// An empty type is allowed; a parser turns it into `"message"`, as it does a missing one.
///
/// ```
/// use ssewire_encoder::EventType;
/// assert_eq!(EventType::new("price update")?.as_str(), "price update");
/// assert!(EventType::new("two\nlines").is_err());
/// # Ok::<(), ssewire_encoder::EncodeError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventType<'a>(&'a str);

impl<'a> EventType<'a> {
    /// Checks `value`.
    ///
    /// # Errors
    /// [`EncodeError`] naming the first CR or LF in it.
    ///
    /// ```
    /// assert!(ssewire_encoder::EventType::new("ok").is_ok());
    /// ```
    #[inline]
    pub fn new(value: &'a str) -> Result<Self, EncodeError> {
        refuse(value, FieldKind::EventType, |b| b == b'\n' || b == b'\r')?;
        Ok(EventType(value))
    }

    /// The text.
    ///
    /// ```
    /// assert_eq!(ssewire_encoder::EventType::new("ok").unwrap().as_str(), "ok");
    /// ```
    #[inline]
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

/// An event ID the stream can carry: any text without CR, LF or NUL.
///
/// An empty ID is allowed: it resets the client's last event ID.
///
/// ```
/// use ssewire_encoder::EventId;
/// assert_eq!(EventId::new("42")?.as_str(), "42");
/// assert!(EventId::new("4\u{0}2").is_err());
/// # Ok::<(), ssewire_encoder::EncodeError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventId<'a>(&'a str);

impl<'a> EventId<'a> {
    /// Checks `value`.
    ///
    /// # Errors
    /// [`EncodeError`] naming the first CR, LF or NUL in it.
    ///
    /// ```
    /// assert!(ssewire_encoder::EventId::new("a-1").is_ok());
    /// ```
    #[inline]
    pub fn new(value: &'a str) -> Result<Self, EncodeError> {
        refuse(value, FieldKind::EventId, |b| {
            b == b'\n' || b == b'\r' || b == 0
        })?;
        Ok(EventId(value))
    }

    /// The text.
    ///
    /// ```
    /// assert_eq!(ssewire_encoder::EventId::new("7").unwrap().as_str(), "7");
    /// ```
    #[inline]
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}
