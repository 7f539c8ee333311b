//! Publication (Mercure-08 §Publication): the form a publisher posts, checked field by field
//! into an [`Update`], and every refusal as a typed error that carries its status.

use std::fmt;

use url::Url;

use crate::form;
use crate::limits::Limits;
use crate::topic::{check_chars, ForbiddenChar, Topic};
use crate::update::Update;

/// Why a publish form was refused. [`PublishError::status`] is the HTTP status; `Display`
/// is the one-line reason sent in the body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublishError {
    /// The body is larger than the limit (413, PUB-18).
    BodyTooLarge {
        /// The limit, in bytes.
        max: usize,
    },
    /// A field's value is longer than the limit (413, PUB-18).
    FieldTooLarge {
        /// The field's name.
        field: &'static str,
        /// The limit, in bytes.
        max: usize,
    },
    /// More `topic` fields than the limit (413, PUB-18).
    TooManyTopics {
        /// The limit.
        max: usize,
    },
    /// A name or value is not UTF-8 (400, PUB-2).
    NotUtf8,
    /// No `topic` field (400, PUB-2).
    NoTopic,
    /// A topic in the hub's own namespace (400, PUB-5).
    ReservedTopic(String),
    /// The topic `*` (400, PUB-6).
    WildcardTopic,
    /// A control or format character in a field (400, PUB-4, PUB-9, PUB-12).
    ForbiddenChar {
        /// The field's name.
        field: &'static str,
        /// Where.
        at: ForbiddenChar,
    },
    /// An `id` starting with `#`, which the hub keeps for its own ids (400, PUB-9).
    FragmentId,
    /// The `id` `earliest`, reserved for reconciliation (400, PUB-9).
    EarliestId,
    /// The `type` `mercure`, reserved for the hub's own events (400, PUB-13).
    ReservedType,
    /// A `retry` that is not only ASCII digits, or too large for 64 bits (400, PUB-14).
    BadRetry,
}

impl PublishError {
    /// The HTTP status this refusal is answered with.
    pub fn status(&self) -> u16 {
        match self {
            PublishError::BodyTooLarge { .. }
            | PublishError::FieldTooLarge { .. }
            | PublishError::TooManyTopics { .. } => 413,
            PublishError::NotUtf8
            | PublishError::NoTopic
            | PublishError::ReservedTopic(_)
            | PublishError::WildcardTopic
            | PublishError::ForbiddenChar { .. }
            | PublishError::FragmentId
            | PublishError::EarliestId
            | PublishError::ReservedType
            | PublishError::BadRetry => 400,
        }
    }
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishError::BodyTooLarge { max } => write!(f, "body larger than {max} bytes"),
            PublishError::FieldTooLarge { field, max } => {
                write!(f, "field {field} longer than {max} bytes")
            }
            PublishError::TooManyTopics { max } => write!(f, "more than {max} topic fields"),
            PublishError::NotUtf8 => f.write_str("a field name or value is not UTF-8"),
            PublishError::NoTopic => f.write_str("at least one topic field is required"),
            PublishError::ReservedTopic(topic) => {
                write!(f, "topic {topic:?} is in the hub's reserved namespace")
            }
            PublishError::WildcardTopic => f.write_str("the topic * is reserved for matching"),
            PublishError::ForbiddenChar { field, at } => write!(f, "field {field}: {at}"),
            PublishError::FragmentId => {
                f.write_str("an id starting with # is reserved for the hub")
            }
            PublishError::EarliestId => f.write_str("the id earliest is reserved"),
            PublishError::ReservedType => f.write_str("the type mercure is reserved for the hub"),
            PublishError::BadRetry => f.write_str("retry must be ASCII digits (a 64-bit number)"),
        }
    }
}

impl std::error::Error for PublishError {}

/// A publish form, checked: the update it asks for, without an id when the publisher gave
/// none (the hub assigns one), and the topics for the authorization check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publication {
    /// The update; its `id` is empty when the publisher left it to the hub.
    pub update: Update,
}

/// Parses and checks a publish body against the draft's rules, in the order the answers
/// should come: size limits (413) before content (400). Authorization (403) comes after,
/// so a reserved topic is 400 whatever the token grants (Mercure-08 §Publication PUB-6).
///
/// Unknown fields are ignored (PUB-15); of repeated single-valued fields (`data`, `id`,
/// `type`, `retry`) the first counts; `private` counts by its presence alone (PUB-8).
///
/// ```
/// use ssewire_hub::{limits::Limits, publish::parse};
/// let hub = url::Url::parse("https://hub.example/.well-known/mercure").unwrap();
/// let form = b"topic=https://example.com/books/1&topic=/books&data=%7B%7D&private=false";
/// let publication = parse(form, &hub, &Limits::default()).unwrap();
/// assert_eq!(publication.update.topics.len(), 2);
/// assert!(publication.update.private); // presence alone
/// assert_eq!(parse(b"data=x", &hub, &Limits::default()).unwrap_err().status(), 400);
/// ```
///
/// # Errors
/// [`PublishError`], whose [`status`](PublishError::status) is 413 or 400.
pub fn parse(body: &[u8], hub: &Url, limits: &Limits) -> Result<Publication, PublishError> {
    if body.len() > limits.max_body_bytes {
        return Err(PublishError::BodyTooLarge {
            max: limits.max_body_bytes,
        });
    }
    let pairs = form::parse(body).map_err(|_| PublishError::NotUtf8)?;
    let mut topics: Vec<String> = Vec::new();
    let (mut data, mut id, mut event_type, mut retry) = (None, None, None, None);
    let mut private = false;
    for (name, value) in pairs {
        let field: &'static str = match name.as_str() {
            "topic" => "topic",
            "data" => "data",
            "id" => "id",
            "type" => "type",
            "retry" => "retry",
            "private" => "private",
            _ => continue,
        };
        let max = match field {
            "topic" => limits.max_pattern_bytes.min(limits.max_field_bytes),
            _ => limits.max_field_bytes,
        };
        if value.len() > max {
            return Err(PublishError::FieldTooLarge { field, max });
        }
        match field {
            "topic" => {
                if topics.len() == limits.max_topics {
                    return Err(PublishError::TooManyTopics {
                        max: limits.max_topics,
                    });
                }
                topics.push(value);
            }
            "data" => {
                data.get_or_insert(value);
            }
            "id" => {
                id.get_or_insert(value);
            }
            "type" => {
                event_type.get_or_insert(value);
            }
            "retry" => {
                retry.get_or_insert(value);
            }
            _ => private = true,
        }
    }
    if topics.is_empty() {
        return Err(PublishError::NoTopic);
    }
    let mut checked = Vec::with_capacity(topics.len());
    for text in topics {
        check_chars(&text).map_err(|at| PublishError::ForbiddenChar { field: "topic", at })?;
        if text == "*" {
            return Err(PublishError::WildcardTopic);
        }
        let topic = Topic::new(text, hub);
        if topic.is_reserved(hub) {
            return Err(PublishError::ReservedTopic(topic.as_str().to_owned()));
        }
        checked.push(topic);
    }
    // An empty `id=` is taken as no id, as the reference hub does: the hub assigns one.
    let id = id.filter(|id| !id.is_empty()).unwrap_or_default();
    check_chars(&id).map_err(|at| PublishError::ForbiddenChar { field: "id", at })?;
    if id.starts_with('#') {
        return Err(PublishError::FragmentId);
    }
    if id == "earliest" {
        return Err(PublishError::EarliestId);
    }
    if let Some(event_type) = &event_type {
        check_chars(event_type).map_err(|at| PublishError::ForbiddenChar { field: "type", at })?;
        if event_type == "mercure" {
            return Err(PublishError::ReservedType);
        }
    }
    let retry = match retry {
        None => None,
        Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            Some(text.parse::<u64>().map_err(|_| PublishError::BadRetry)?)
        }
        Some(_) => return Err(PublishError::BadRetry),
    };
    let data = data.unwrap_or_default();
    Ok(Publication {
        update: Update {
            topics: checked,
            data,
            private,
            id,
            event_type: event_type.filter(|t| !t.is_empty()),
            retry,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub() -> Url {
        Url::parse("https://hub.example/.well-known/mercure").unwrap()
    }

    fn refusal(body: &str) -> PublishError {
        let limits = Limits {
            max_body_bytes: 4096,
            max_field_bytes: 512,
            max_topics: 3,
            max_pattern_bytes: 64,
            ..Limits::default()
        };
        parse(body.as_bytes(), &hub(), &limits).unwrap_err()
    }

    /// Every refusal, the form that causes it, its status and its one-line reason.
    #[test]
    fn every_refusal_has_its_status_and_reason() {
        let long = "x".repeat(600);
        let long_topic = "t".repeat(65);
        let big = "y".repeat(5000);
        let table: Vec<(String, u16, &str)> = vec![
            (format!("topic=a&data={big}"), 413, "body larger than 4096 bytes"),
            (format!("topic=a&data={long}"), 413, "field data longer than 512 bytes"),
            (format!("topic={long_topic}"), 413, "field topic longer than 64 bytes"),
            ("topic=a&topic=b&topic=c&topic=d".into(), 413, "more than 3 topic fields"),
            ("topic=a&data=%FF".into(), 400, "a field name or value is not UTF-8"),
            ("data=x".into(), 400, "at least one topic field is required"),
            ("topic=%2F.well-known%2Fmercure%2Fx".into(), 400, "topic \"/.well-known/mercure/x\" is in the hub's reserved namespace"),
            ("topic=a&topic=https://x.example/.well-known/%256Dercure".into(), 400, "topic \"https://x.example/.well-known/%6Dercure\" is in the hub's reserved namespace"),
            ("topic=*".into(), 400, "the topic * is reserved for matching"),
            ("topic=a%0Ab".into(), 400, "field topic: U+000A at byte 1 (control and format characters are not allowed)"),
            ("topic=a&id=%23frag".into(), 400, "an id starting with # is reserved for the hub"),
            ("topic=a&id=earliest".into(), 400, "the id earliest is reserved"),
            ("topic=a&id=a%E2%80%8Bb".into(), 400, "field id: U+200B at byte 1 (control and format characters are not allowed)"),
            ("topic=a&type=mercure".into(), 400, "the type mercure is reserved for the hub"),
            ("topic=a&type=x%0D".into(), 400, "field type: U+000D at byte 1 (control and format characters are not allowed)"),
            ("topic=a&retry=1e3".into(), 400, "retry must be ASCII digits (a 64-bit number)"),
            ("topic=a&retry=".into(), 400, "retry must be ASCII digits (a 64-bit number)"),
            ("topic=a&retry=99999999999999999999".into(), 400, "retry must be ASCII digits (a 64-bit number)"),
        ];
        for (body, status, reason) in table {
            let err = refusal(&body);
            assert_eq!(
                (err.status(), err.to_string().as_str()),
                (status, reason),
                "{body}"
            );
        }
    }

    #[test]
    fn a_good_form_gives_the_update_it_describes() {
        let body =
            "topic=https%3A%2F%2Fexample.com%2Fbooks%2F1&topic=urn:isbn:1&data=line1%0Aline2\
                    &id=urn:uuid:7&type=book&retry=1500&unknown=ignored&data=second-ignored";
        let update = parse(body.as_bytes(), &hub(), &Limits::default())
            .unwrap()
            .update;
        let topics: Vec<&str> = update.topics.iter().map(Topic::as_str).collect();
        assert_eq!(topics, ["https://example.com/books/1", "urn:isbn:1"]);
        assert_eq!(update.data, "line1\nline2");
        assert_eq!(update.id, "urn:uuid:7");
        assert_eq!(update.event_type.as_deref(), Some("book"));
        assert_eq!(update.retry, Some(1500));
        assert!(!update.private);
        assert_eq!(
            update.to_sse(),
            b"event: book\nid: urn:uuid:7\nretry: 1500\ndata: line1\ndata: line2\n\n"
        );
    }

    #[test]
    fn private_counts_by_presence_and_an_empty_id_is_left_to_the_hub() {
        for flag in ["private", "private=", "private=false", "private=on"] {
            let body = format!("topic=a&{flag}&id=");
            let update = parse(body.as_bytes(), &hub(), &Limits::default())
                .unwrap()
                .update;
            assert!(update.private, "{flag}");
            assert_eq!(update.id, "");
        }
    }
}
