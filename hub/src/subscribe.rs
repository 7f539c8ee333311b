//! Subscription requests (Mercure-08 §Subscription): the matcher parameters and the
//! reconciliation cursor, parsed from the query (and, for `QUERY`, the body) into a typed
//! request, and every refusal as a typed error with its status.

use std::fmt;

use http::HeaderMap;
use url::Url;

use crate::form;
use crate::limits::Limits;
use crate::matcher::{MatchType, Matcher, MatcherError};

/// Why a subscription request was refused. All are 400 (Mercure-08 §Subscription SUB-8,
/// SUB-9, SUB-11); `Display` is the one-line reason sent in the body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscribeError {
    /// A name in the reserved `match` namespace that is not a supported matcher type.
    UnknownMatchParameter(String),
    /// The `topic` parameter of pre-standard clients, without `--legacy`.
    LegacyTopicParameter,
    /// A matcher value refused by its type.
    BadMatcher {
        /// The parameter's name.
        parameter: String,
        /// Why.
        reason: MatcherError,
    },
    /// More matcher parameters than the limit.
    TooManyMatchers {
        /// The limit.
        max: usize,
    },
    /// No matcher parameter at all.
    NoMatcher,
    /// A query or body name or value that is not UTF-8.
    NotUtf8,
}

impl SubscribeError {
    /// The HTTP status: 400 for every variant (the draft asks 400, not 413, for limits on
    /// the subscribe side).
    pub fn status(&self) -> u16 {
        400
    }
}

impl fmt::Display for SubscribeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubscribeError::UnknownMatchParameter(name) => write!(
                f,
                "unknown matcher parameter {name:?} (supported: match, match_exact, match_urlpattern)"
            ),
            SubscribeError::LegacyTopicParameter => {
                f.write_str("the topic parameter is the pre-standard form: use match (or run the hub with --legacy)")
            }
            SubscribeError::BadMatcher { parameter, reason } => write!(f, "{parameter}: {reason}"),
            SubscribeError::TooManyMatchers { max } => write!(f, "more than {max} matchers"),
            SubscribeError::NoMatcher => {
                f.write_str("at least one match, match_exact or match_urlpattern parameter is required")
            }
            SubscribeError::NotUtf8 => f.write_str("a parameter name or value is not UTF-8"),
        }
    }
}

impl std::error::Error for SubscribeError {}

/// Where a subscriber asks to resume from (Mercure-08 §Reconnection).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cursor {
    /// `earliest`: every stored update.
    Earliest,
    /// After the update with this id.
    After(String),
}

/// A parsed subscription request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscribeRequest {
    /// One per matcher parameter, in order; an update is delivered when any matches (SUB-10).
    pub matchers: Vec<Matcher>,
    /// The cursor, when the request carried one. `Some(None)` is a cursor that was sent
    /// empty: the response still carries `Mercure-Last-Event-ID`, but nothing is replayed.
    pub last_event_id: Option<Option<Cursor>>,
}

/// Parses a subscription: `query` (the raw query string), `body` (a `QUERY` request's form
/// body, or empty) and the request headers. With `legacy`, also the pre-standard `topic`
/// parameter (URI templates) and `lastEventID`.
///
/// The cursor: the `Last-Event-ID` header wins, then `last_event_id` from the query, then
/// from the body (Mercure-08 §Subscription SUB-3, §Reconnection RC-4); with `legacy`,
/// `lastEventID` after those.
///
/// ```
/// use ssewire_hub::{limits::Limits, subscribe::{parse, Cursor}};
/// let hub = url::Url::parse("https://hub.example/.well-known/mercure").unwrap();
/// let query = "match=https://example.com/books/1&match_urlpattern=/users/:id&last_event_id=urn:uuid:9";
/// let request = parse(query, b"", &http::HeaderMap::new(), &hub, &Limits::default(), false).unwrap();
/// assert_eq!(request.matchers.len(), 2);
/// assert_eq!(request.last_event_id, Some(Some(Cursor::After("urn:uuid:9".into()))));
/// ```
///
/// # Errors
/// [`SubscribeError`], all 400.
pub fn parse(
    query: &str,
    body: &[u8],
    headers: &HeaderMap,
    hub: &Url,
    limits: &Limits,
    legacy: bool,
) -> Result<SubscribeRequest, SubscribeError> {
    let from_query = form::parse(query.as_bytes()).map_err(|_| SubscribeError::NotUtf8)?;
    let from_body = form::parse(body).map_err(|_| SubscribeError::NotUtf8)?;
    let mut matchers = Vec::new();
    let mut query_cursor = None;
    let mut body_cursor = None;
    let mut legacy_cursor = None;
    let in_query = from_query.len();
    for (index, (name, value)) in from_query.into_iter().chain(from_body).enumerate() {
        let match_type = if name.len() >= 5 && name.as_bytes()[..5].eq_ignore_ascii_case(b"match") {
            Some(match name.as_str() {
                "match" | "match_exact" => MatchType::Exact,
                "match_urlpattern" => MatchType::UrlPattern,
                _ => return Err(SubscribeError::UnknownMatchParameter(name)),
            })
        } else if name == "topic" {
            if !legacy {
                return Err(SubscribeError::LegacyTopicParameter);
            }
            Some(MatchType::LegacyTopic)
        } else {
            None
        };
        if let Some(match_type) = match_type {
            if matchers.len() == limits.max_matchers {
                return Err(SubscribeError::TooManyMatchers {
                    max: limits.max_matchers,
                });
            }
            let matcher = Matcher::parse(match_type, &value, hub, limits.max_pattern_bytes)
                .map_err(|reason| SubscribeError::BadMatcher {
                    parameter: name.clone(),
                    reason,
                })?;
            matchers.push(matcher);
            continue;
        }
        let slot = match name.as_str() {
            "last_event_id" if index < in_query => &mut query_cursor,
            "last_event_id" => &mut body_cursor,
            "lastEventID" if legacy => &mut legacy_cursor,
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    if matchers.is_empty() {
        return Err(SubscribeError::NoMatcher);
    }
    let header = headers
        .get("last-event-id")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let sent = header.or(query_cursor).or(body_cursor).or(legacy_cursor);
    let last_event_id = sent.map(|text| match text.as_str() {
        "" => None,
        "earliest" => Some(Cursor::Earliest),
        _ => Some(Cursor::After(text)),
    });
    Ok(SubscribeRequest {
        matchers,
        last_event_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub() -> Url {
        Url::parse("https://hub.example/.well-known/mercure").unwrap()
    }

    fn parse_query(query: &str) -> Result<SubscribeRequest, SubscribeError> {
        let limits = Limits {
            max_matchers: 3,
            max_pattern_bytes: 32,
            ..Limits::default()
        };
        parse(query, b"", &HeaderMap::new(), &hub(), &limits, false)
    }

    #[test]
    fn every_refusal_is_400_with_its_reason() {
        let table = [
            ("Match=a", "unknown matcher parameter \"Match\" (supported: match, match_exact, match_urlpattern)"),
            ("matchType=exact", "unknown matcher parameter \"matchType\" (supported: match, match_exact, match_urlpattern)"),
            ("match_URLPattern=/a", "unknown matcher parameter \"match_URLPattern\" (supported: match, match_exact, match_urlpattern)"),
            ("match_cel=x", "unknown matcher parameter \"match_cel\" (supported: match, match_exact, match_urlpattern)"),
            ("MATCHES=1", "unknown matcher parameter \"MATCHES\" (supported: match, match_exact, match_urlpattern)"),
            ("topic=a", "the topic parameter is the pre-standard form: use match (or run the hub with --legacy)"),
            ("match=a%00", "match: matcher contains U+0000 at byte 1 (control and format characters are not allowed)"),
            ("match_urlpattern=https://x/(", "match_urlpattern: not a valid urlpattern matcher"),
            ("match=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "match: matcher longer than 32 bytes"),
            ("match=a&match=b&match=c&match=d", "more than 3 matchers"),
            ("last_event_id=x", "at least one match, match_exact or match_urlpattern parameter is required"),
            ("match=%FF", "a parameter name or value is not UTF-8"),
        ];
        for (query, reason) in table {
            let err = parse_query(query).unwrap_err();
            assert_eq!(
                (err.status(), err.to_string().as_str()),
                (400, reason),
                "{query}"
            );
        }
    }

    #[test]
    fn unrelated_parameters_are_ignored_and_a_bare_name_is_an_empty_matcher() {
        let request = parse_query("match&foo=bar&matcha=").err();
        // `matcha` is in the reserved namespace too.
        assert!(matches!(request, Some(SubscribeError::UnknownMatchParameter(n)) if n == "matcha"));
        let request = parse_query("match&foo=bar").unwrap();
        assert_eq!(request.matchers[0].as_str(), "");
        assert_eq!(request.last_event_id, None);
    }

    #[test]
    fn the_header_beats_the_query_which_beats_the_body() {
        let mut headers = HeaderMap::new();
        let limits = Limits::default();
        let body = b"match=b&last_event_id=from-body";
        let both = parse(
            "match=a&last_event_id=from-query",
            body,
            &headers,
            &hub(),
            &limits,
            false,
        )
        .unwrap();
        assert_eq!(
            both.matchers.len(),
            2,
            "query and body matchers are unioned"
        );
        assert_eq!(
            both.last_event_id,
            Some(Some(Cursor::After("from-query".into())))
        );
        let body_only = parse("match=a", body, &headers, &hub(), &limits, false).unwrap();
        assert_eq!(
            body_only.last_event_id,
            Some(Some(Cursor::After("from-body".into())))
        );
        headers.insert("last-event-id", "earliest".parse().unwrap());
        let header = parse(
            "match=a&last_event_id=q",
            b"",
            &headers,
            &hub(),
            &limits,
            false,
        )
        .unwrap();
        assert_eq!(header.last_event_id, Some(Some(Cursor::Earliest)));
        headers.insert("last-event-id", "".parse().unwrap());
        let empty = parse("match=a", b"", &headers, &hub(), &limits, false).unwrap();
        assert_eq!(empty.last_event_id, Some(None), "sent, but empty");
    }

    #[test]
    fn legacy_mode_takes_topic_templates_and_the_old_cursor_name() {
        let headers = HeaderMap::new();
        let limits = Limits::default();
        let request = parse(
            "topic=https://example.com/books/{id}&lastEventID=urn:x",
            b"",
            &headers,
            &hub(),
            &limits,
            true,
        )
        .unwrap();
        assert_eq!(request.matchers[0].match_type(), MatchType::LegacyTopic);
        assert_eq!(
            request.last_event_id,
            Some(Some(Cursor::After("urn:x".into())))
        );
        // Without --legacy, lastEventID is an unrelated parameter (and topic is refused).
        let request = parse(
            "match=a&lastEventID=urn:x",
            b"",
            &headers,
            &hub(),
            &limits,
            false,
        )
        .unwrap();
        assert_eq!(request.last_event_id, None);
    }
}
