//! Field level: [`FieldParser`] and the [`Field`]s it yields, every line of the stream as the
//! spec's "parsing an event stream" splits it, on top of the line reader; and [`parse_retry`],
//! the `retry` rule both levels apply.

use alloc::string::String;

use crate::limits::{LimitExceeded, Limits};
use crate::line::{Keep, LineAt, LineReader, Next};
use crate::scan::Scan;
use crate::utf8;

/// One line of an event stream, as the spec's "parsing an event stream" step splits it.
///
/// Values are borrowed from the chunk when the line lies inside it, otherwise from the
/// parser's buffer; invalid UTF-8 is replaced by U+FFFD. One leading space after the colon has
/// been removed from the value. This level reports lines as they are: it does not apply the
/// rules of [`crate::Parser`] (an `id` with NUL, a non-digit `retry`).
///
/// ```
/// use ssewire_parser::{Field, FieldParser, FieldStep};
/// let mut fields = FieldParser::new();
/// let (step, used) = fields.feed(b"data:  two spaces\n");
/// assert_eq!(step, Ok(FieldStep::Field(Field::Data(" two spaces"))));
/// assert_eq!(used, 18);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field<'a> {
    /// `data`: its value is appended to the event's data.
    Data(&'a str),
    /// `event`: sets the event type.
    EventType(&'a str),
    /// `id`: sets the last event ID, unless the value contains U+0000 (then the field is ignored).
    Id(&'a str),
    /// `retry`: sets the reconnection time if the value is all ASCII digits; see [`parse_retry`].
    Retry(&'a str),
    /// A line starting with `:`; the text after the colon (one leading space removed). The spec
    /// ignores comments; servers use them as keep-alives.
    Comment(&'a str),
    /// Any other field name (names are case-sensitive). The spec ignores these.
    Unknown {
        /// The text before the first colon (the whole line if it has none).
        name: &'a str,
        /// The text after the first colon, one leading space removed.
        value: &'a str,
    },
    /// An empty line: the spec's "dispatch the event".
    BlankLine,
}

impl<'a> Field<'a> {
    /// Splits one decoded line (without its line end) into a field.
    ///
    /// ```
    /// use ssewire_parser::Field;
    /// assert_eq!(Field::from_line("id"), Field::Id(""));
    /// assert_eq!(Field::from_line("Data: x"), Field::Unknown { name: "Data", value: "x" });
    /// assert_eq!(Field::from_line(": ping"), Field::Comment("ping"));
    /// ```
    pub fn from_line(line: &'a str) -> Field<'a> {
        fn strip_space(value: &str) -> &str {
            value.strip_prefix(' ').unwrap_or(value)
        }
        if line.is_empty() {
            return Field::BlankLine;
        }
        if let Some(comment) = line.strip_prefix(':') {
            return Field::Comment(strip_space(comment));
        }
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, strip_space(value)),
            None => (line, ""),
        };
        match name {
            "data" => Field::Data(value),
            "event" => Field::EventType(value),
            "id" => Field::Id(value),
            "retry" => Field::Retry(value),
            _ => Field::Unknown { name, value },
        }
    }
}

/// The reconnection time a `retry` value sets, if it sets one.
///
/// The spec acts on a value that "consists of only ASCII digits". An empty value is ignored
/// (there is no integer to read), and so is anything with another character, a sign, a space or a
/// dot. A value too large for `u64` saturates to `u64::MAX` milliseconds, the closest the type
/// comes to the spec's unbounded integer (in effect: never reconnect).
///
/// ```
/// use ssewire_parser::parse_retry;
/// assert_eq!(parse_retry("3000"), Some(3000));
/// assert_eq!(parse_retry("007"), Some(7));
/// assert_eq!(parse_retry(""), None);
/// assert_eq!(parse_retry("1.5"), None);
/// assert_eq!(parse_retry("99999999999999999999999"), Some(u64::MAX));
/// ```
pub fn parse_retry(value: &str) -> Option<u64> {
    parse_retry_bytes(value.as_bytes())
}

pub(crate) fn parse_retry_bytes(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(value.iter().fold(0u64, |millis, &digit| {
        millis
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    }))
}

/// What one [`FieldParser::feed`] found: a field, or the end of the chunk. The field level's
/// counterpart of [`Step`](crate::Step), with the same "need more input" signal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldStep<'a> {
    /// One complete line, as a field.
    Field(Field<'a>),
    /// All of the chunk is used and no line completed: feed the next chunk.
    NeedInput,
}

/// The field-level parser: pushes chunks in, pulls [`Field`]s out.
///
/// Use this level to see every line, comments and unknown fields included (a linter, a proxy
/// that rewrites streams); use [`crate::Parser`] for events. It shares the event level's line
/// machinery, BOM and line-end handling; every line it reports is subject to [`Limits::line`].
///
/// ```
/// use ssewire_parser::{FieldParser, FieldStep};
/// let mut fields = FieldParser::new();
/// let mut input: &[u8] = b"\xEF\xBB\xBF: hi\r\nevent: tick\rdata\n\n";
/// let mut seen = Vec::new();
/// loop {
///     let (step, used) = fields.feed(input);
///     input = &input[used..];
///     match step.unwrap() {
///         FieldStep::Field(field) => seen.push(format!("{field:?}")),
///         FieldStep::NeedInput => break,
///     }
/// }
/// assert_eq!(seen, ["Comment(\"hi\")", "EventType(\"tick\")", "Data(\"\")", "BlankLine"]);
/// ```
#[derive(Clone, Debug)]
pub struct FieldParser {
    lines: LineReader,
    scratch: String,
}

impl Default for FieldParser {
    fn default() -> Self {
        Self::new()
    }
}

impl FieldParser {
    /// A field parser with [`Limits::default`].
    ///
    /// ```
    /// let _ = ssewire_parser::FieldParser::new();
    /// ```
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// A field parser with the given limits (only [`Limits::line`] applies at this level).
    ///
    /// ```
    /// use ssewire_parser::{FieldParser, Limits};
    /// let mut fields = FieldParser::with_limits(Limits::default().max_line_bytes(4));
    /// assert!(fields.feed(b": long comment\n").0.is_err());
    /// ```
    pub fn with_limits(limits: Limits) -> Self {
        FieldParser {
            lines: LineReader::new(&limits),
            scratch: String::new(),
        }
    }

    /// Parses from the start of `input` up to and including the next complete line.
    ///
    /// Returns the step and how many bytes of `input` it used: pass `&input[used..]` next
    /// time, and a new chunk after [`FieldStep::NeedInput`] (then `used == input.len()`), which
    /// says "need more input" exactly as [`Step::NeedInput`](crate::Step::NeedInput) does at
    /// the event level. A chunk may end anywhere, inside a line, a CRLF or a UTF-8 sequence.
    ///
    /// # Errors
    /// [`LimitExceeded`] when a line is longer than [`Limits::line`]; the line is dropped and the
    /// next call carries on after it.
    ///
    /// # Panics
    /// Never.
    ///
    /// ```
    /// use ssewire_parser::{Field, FieldParser, FieldStep};
    /// let mut fields = FieldParser::new();
    /// assert_eq!(fields.feed(b"retry: 10"), (Ok(FieldStep::NeedInput), 9));
    /// assert_eq!(fields.feed(b"00\r"), (Ok(FieldStep::Field(Field::Retry("1000"))), 3));
    /// ```
    pub fn feed<'a>(
        &'a mut self,
        input: &'a [u8],
    ) -> (Result<FieldStep<'a>, LimitExceeded>, usize) {
        if self.lines.take_short(input, Keep::All) {
            self.lines.advance(input.len());
            return (Ok(FieldStep::NeedInput), input.len());
        }
        let mut pos = 0;
        let next = self.lines.next(&mut Scan::new(input), &mut pos, Keep::All);
        self.lines.advance(pos);
        let at = match next {
            Next::NeedInput => return (Ok(FieldStep::NeedInput), pos),
            Next::TooLong(err) => return (Err(err), pos),
            Next::Line(at) => at,
        };
        let line = match at {
            LineAt::Input { start, end, ascii } => {
                utf8::decode(&input[start..end], ascii, &mut self.scratch)
            }
            LineAt::Carry { ascii } => utf8::decode(&self.lines.carry, ascii, &mut self.scratch),
        };
        (Ok(FieldStep::Field(Field::from_line(line))), pos)
    }

    /// Ends the stream: a line still incomplete is dropped (the spec processes only lines that
    /// end), and the parser is ready for a new stream (its BOM included).
    ///
    /// ```
    /// use ssewire_parser::{Field, FieldParser, FieldStep};
    /// let mut fields = FieldParser::new();
    /// assert_eq!(fields.feed(b"data: never ended"), (Ok(FieldStep::NeedInput), 17));
    /// fields.finish();
    /// assert_eq!(fields.feed(b"\n").0, Ok(FieldStep::Field(Field::BlankLine)));
    /// ```
    pub fn finish(&mut self) {
        self.lines.reset();
    }
}
