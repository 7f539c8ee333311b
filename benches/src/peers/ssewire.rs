//! This project's parser and encoder, wrapped like the peers so they run in the same harness.

use bytes::Bytes;
use ssewire_parser::{Field, FieldParser, FieldStep, Limits, Parser, Step};

use crate::{EncodeItem, Sink, SseEncoder, SseParser};

/// `ssewire_parser::Parser`: the event level, borrowing from each chunk.
pub struct Events;

impl SseParser for Events {
    const NAME: &'static str = "ssewire";
    const CRATE: &'static str = "ssewire-parser";
    const VERSION: &'static str = env!("SSEWIRE_VERSION");
    const HOW: &'static str = "Parser::feed over each chunk (events borrow the chunk)";

    fn parse<S: Sink>(chunks: &[Bytes], sink: &mut S) {
        let mut parser = Parser::with_limits(Limits::UNLIMITED);
        for chunk in chunks {
            let mut input: &[u8] = chunk;
            loop {
                let (step, used) = parser.feed(input);
                input = &input[used..];
                match step {
                    Ok(Step::Event(e)) => sink.event(e.event_type(), e.data(), e.last_event_id()),
                    Ok(Step::Retry(millis)) => sink.retry(millis),
                    Ok(Step::NeedInput) => break,
                    Err(err) => sink.error(&err.to_string()),
                }
            }
        }
        parser.finish();
    }
}

/// `ssewire_parser::Parser::feed_each`: the event level, one call per chunk, for callers that
/// need no early exit (one scan of each chunk, instead of one per `feed` call).
pub struct EachEvents;

impl SseParser for EachEvents {
    const NAME: &'static str = "ssewire-each";
    const CRATE: &'static str = "ssewire-parser";
    const VERSION: &'static str = env!("SSEWIRE_VERSION");
    const HOW: &'static str = "Parser::feed_each over each chunk (events borrow the chunk)";

    fn parse<S: Sink>(chunks: &[Bytes], sink: &mut S) {
        let mut parser = Parser::with_limits(Limits::UNLIMITED);
        for chunk in chunks {
            parser.feed_each(chunk, |step| match step {
                Ok(Step::Event(e)) => sink.event(e.event_type(), e.data(), e.last_event_id()),
                Ok(Step::Retry(millis)) => sink.retry(millis),
                Ok(Step::NeedInput) => {}
                Err(err) => sink.error(&err.to_string()),
            });
        }
        parser.finish();
    }
}

/// `ssewire_parser::FieldParser`: the field level. The wrapper does the event level's
/// bookkeeping (data joined by LF, type, last event ID) itself, as a field-level user would.
pub struct Fields;

impl SseParser for Fields {
    const NAME: &'static str = "ssewire-fields";
    const CRATE: &'static str = "ssewire-parser";
    const VERSION: &'static str = env!("SSEWIRE_VERSION");
    const HOW: &'static str = "FieldParser::feed over each chunk; the wrapper joins data lines";

    fn parse<S: Sink>(chunks: &[Bytes], sink: &mut S) {
        let mut fields = FieldParser::with_limits(Limits::UNLIMITED);
        let mut data = String::new();
        let mut has_data = false;
        let mut event_type = String::new();
        let mut id_buffer = String::new();
        for chunk in chunks {
            let mut input: &[u8] = chunk;
            loop {
                let (field, used) = fields.feed(input);
                input = &input[used..];
                match field {
                    Ok(FieldStep::Field(Field::Data(value))) => {
                        if has_data {
                            data.push('\n');
                        }
                        data.push_str(value);
                        has_data = true;
                    }
                    Ok(FieldStep::Field(Field::EventType(value))) => {
                        event_type.clear();
                        event_type.push_str(value);
                    }
                    Ok(FieldStep::Field(Field::Id(value))) if !value.contains('\0') => {
                        id_buffer.clear();
                        id_buffer.push_str(value);
                    }
                    Ok(FieldStep::Field(Field::Retry(value))) => {
                        if let Some(millis) = ssewire_parser::parse_retry(value) {
                            sink.retry(millis);
                        }
                    }
                    Ok(FieldStep::Field(Field::BlankLine)) => {
                        if has_data {
                            let kind = if event_type.is_empty() {
                                "message"
                            } else {
                                &event_type
                            };
                            sink.event(kind, &data, &id_buffer);
                        }
                        data.clear();
                        has_data = false;
                        event_type.clear();
                    }
                    Ok(FieldStep::Field(_)) => {}
                    Ok(FieldStep::NeedInput) => break,
                    Err(err) => sink.error(&err.to_string()),
                }
            }
        }
        fields.finish();
    }
}

/// `ssewire_encoder::Event::encode` into one `Vec<u8>`.
pub struct Encoder;

impl SseEncoder for Encoder {
    const NAME: &'static str = "ssewire";
    const CRATE: &'static str = "ssewire-encoder";
    const VERSION: &'static str = env!("SSEWIRE_VERSION");
    const HOW: &'static str = "Event::encode into a reused Vec<u8>";

    fn encode(items: &[EncodeItem], out: &mut Vec<u8>) -> Result<(), String> {
        use ssewire_encoder::{Comment, Event};
        for item in items {
            if let Some(text) = &item.comment {
                Comment::new(text).encode(out);
                continue;
            }
            let mut event = match &item.data {
                Some(data) => Event::new(data),
                None => Event::without_data(),
            };
            if let Some(kind) = &item.event {
                event = event.event_type(kind).map_err(|e| e.to_string())?;
            }
            if let Some(id) = &item.id {
                event = event.id(id).map_err(|e| e.to_string())?;
            }
            if let Some(millis) = item.retry {
                event = event.retry(millis);
            }
            event.encode(out);
        }
        Ok(())
    }
}
