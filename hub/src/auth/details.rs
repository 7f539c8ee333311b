//! What a valid token allows: its Mercure authorization details parsed into [`Grants`]
//! (Mercure-08 §Authorization Details, §Topic Matcher List, §Payloads), and, with `legacy`
//! only, the pre-standard `mercure` claim.

use std::fmt;

use serde_json::{Map, Value};
use url::Url;

use crate::matcher::{MatchType, Matcher, MatcherError};
use crate::topic::Topic;

/// The RFC 9396 detail type of Mercure grants, compared byte for byte
/// (Mercure-08 §Authorization Details AD-1).
pub const MERCURE_DETAIL_TYPE: &str = "https://mercure.rocks/authorization-detail";

/// Caps on what one token may carry (Mercure-08 §Authorization Details AD-6, §Security
/// Considerations, Resource Limits). Exceeding any of them makes the token invalid (401
/// `invalid_token`). The defaults are the reference hub's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most Mercure authorization details one token may carry (other RAR types do not
    /// count). Default 100.
    pub max_details: usize,
    /// The most topic matchers summed over all Mercure details of a token, checked before any
    /// pattern is compiled. Default 100.
    pub max_topic_matchers: usize,
    /// The longest matcher pattern, in bytes. Default 4096.
    pub max_pattern_len: usize,
    /// Legacy `mercure` claim only: the most entries in each of its `publish` and `subscribe`
    /// arrays (the reference hub's `maxClaimMatchers`). Default 1000.
    pub max_legacy_claim_entries: usize,
    /// The longest token accepted, in bytes, checked before any decoding. Not in the draft;
    /// it bounds base64 and JSON work on hostile input. Default 64 KiB, far above real
    /// tokens and above common header limits.
    pub max_token_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_details: 100,
            max_topic_matchers: 100,
            max_pattern_len: 4096,
            max_legacy_claim_entries: 1000,
            max_token_len: 64 * 1024,
        }
    }
}

/// Why the authorization claims were refused; one of the reasons behind
/// [`crate::auth::Rejection::Details`]. For logs only: clients always get the same answer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DetailError {
    /// `authorization_details` is not an array.
    NotAnArray,
    /// An `authorization_details` entry is not an object, or its `type` is not a string.
    EntryNotObject(usize),
    /// More Mercure details than [`Limits::max_details`].
    TooManyDetails,
    /// More topic matchers than [`Limits::max_topic_matchers`] (or, legacy, than
    /// [`Limits::max_legacy_claim_entries`] in one array).
    TooManyTopics,
    /// `actions` missing, not an array, or empty (AD-2).
    ActionsMissing(usize),
    /// An `actions` entry that is not a string (AD-2).
    ActionNotString(usize),
    /// `topics` missing, not an array, or empty (AD-3).
    TopicsMissing(usize),
    /// A `topics` entry that is not an object with a string `match` (TML-1, TML-4).
    TopicNotObject(usize),
    /// An empty `match`.
    EmptyMatch(usize),
    /// A `match_type` that is not a string naming a supported type (TML-2).
    UnknownMatchType(usize),
    /// A `match` that is not a valid matcher of its type (TML-4).
    BadMatcher(usize, MatcherError),
    /// A `payload` that is neither an object nor null (AD-4).
    PayloadNotObject(usize),
    /// The legacy `mercure` claim is not an object of arrays.
    BadLegacyClaim,
}

impl fmt::Display for DetailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DetailError::NotAnArray => f.write_str("authorization_details is not an array"),
            DetailError::EntryNotObject(i) => {
                write!(
                    f,
                    "authorization detail {i} is not an object with a string type"
                )
            }
            DetailError::TooManyDetails => f.write_str("too many Mercure authorization details"),
            DetailError::TooManyTopics => f.write_str("too many topic matchers"),
            DetailError::ActionsMissing(i) => {
                write!(
                    f,
                    "Mercure detail {i}: actions missing, not an array, or empty"
                )
            }
            DetailError::ActionNotString(i) => {
                write!(f, "Mercure detail {i}: an action is not a string")
            }
            DetailError::TopicsMissing(i) => {
                write!(
                    f,
                    "Mercure detail {i}: topics missing, not an array, or empty"
                )
            }
            DetailError::TopicNotObject(i) => write!(
                f,
                "Mercure detail {i}: a topic entry is not an object with a string match"
            ),
            DetailError::EmptyMatch(i) => write!(f, "Mercure detail {i}: an empty match"),
            DetailError::UnknownMatchType(i) => {
                write!(f, "Mercure detail {i}: unsupported match_type")
            }
            DetailError::BadMatcher(i, e) => write!(f, "Mercure detail {i}: {e}"),
            DetailError::PayloadNotObject(i) => {
                write!(f, "Mercure detail {i}: payload is not an object")
            }
            DetailError::BadLegacyClaim => f.write_str("malformed legacy mercure claim"),
        }
    }
}

impl std::error::Error for DetailError {}

/// One `subscribe` grant: a matcher and the payload of the detail it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct SubscribeGrant {
    /// What the grant covers.
    pub matcher: Matcher,
    /// The payload of its detail (Mercure-08 §Payloads), if any.
    pub payload: Option<Value>,
}

/// What a token allows (Mercure-08 §Authorization Details AD-5): matchers granting
/// `publish`, and matchers granting `subscribe` with their detail's payload, in token order.
/// A token without Mercure details has empty grants: it allows nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Grants {
    hub: Url,
    publish: Vec<Matcher>,
    subscribe: Vec<SubscribeGrant>,
    legacy_payload: Option<Value>,
}

impl Grants {
    /// No grant at all, topics resolved against `hub`.
    pub fn none(hub: &Url) -> Grants {
        Grants {
            hub: hub.clone(),
            publish: Vec::new(),
            subscribe: Vec::new(),
            legacy_payload: None,
        }
    }

    /// The `publish` matchers.
    pub fn publish(&self) -> &[Matcher] {
        &self.publish
    }

    /// The `subscribe` grants in token order.
    pub fn subscribe(&self) -> &[SubscribeGrant] {
        &self.subscribe
    }

    /// Whether these grants allow publishing an update with these topics: every one of
    /// them, canonical and alternate, must be granted `publish` (Mercure-08 §Publishers
    /// PB-1). An empty list is never allowed (an update has at least one topic).
    pub fn may_publish(&self, topics: &[Topic]) -> bool {
        !topics.is_empty()
            && topics
                .iter()
                .all(|topic| self.publish.iter().any(|m| m.matches(topic)))
    }

    /// Whether these grants allow receiving a private update with these topics: at least
    /// one of them must be granted `subscribe` (Mercure-08 §Subscribers SB-1). Also the check
    /// for the subscription API, with the request path as the one topic (SA-3).
    pub fn may_receive(&self, topics: &[Topic]) -> bool {
        self.subscribe
            .iter()
            .any(|grant| grant.matcher.matches_any(topics))
    }

    /// The payload for a subscription whose matcher string is `subscription` (Mercure-08
    /// §Payloads PL-1..PL-3): that of the first `subscribe` grant, in token order, matching
    /// the string treated as a topic. When that grant has no payload, or none matches,
    /// a legacy token's top-level `mercure.payload` (reference hub behaviour); `None`
    /// otherwise.
    pub fn payload_for(&self, subscription: &str) -> Option<&Value> {
        let as_topic = Topic::new(subscription, &self.hub);
        self.subscribe
            .iter()
            .find(|grant| grant.matcher.matches(&as_topic))
            .and_then(|grant| grant.payload.as_ref())
            .or(self.legacy_payload.as_ref())
    }
}

/// Parses an `authorization_details` claim value (Mercure-08 §Authorization Details).
/// Entries of other types are ignored (AD-1); one malformed Mercure entry fails the whole
/// claim (AD-7).
pub(crate) fn parse_authorization_details(
    value: &Value,
    hub: &Url,
    limits: &Limits,
) -> Result<Grants, DetailError> {
    let entries = value.as_array().ok_or(DetailError::NotAnArray)?;
    let mut grants = Grants::none(hub);
    let (mut details, mut topics_total) = (0usize, 0usize);
    for (index, entry) in entries.iter().enumerate() {
        let object = entry
            .as_object()
            .ok_or(DetailError::EntryNotObject(index))?;
        match object.get("type") {
            // Mercure-08 §Authorization Details AD-1: byte comparison; other types belong to other
            // resources.
            Some(Value::String(t)) if t == MERCURE_DETAIL_TYPE => {}
            Some(Value::String(_)) | None => continue,
            Some(_) => return Err(DetailError::EntryNotObject(index)),
        }
        details += 1;
        if details > limits.max_details {
            return Err(DetailError::TooManyDetails);
        }
        // Mercure-08 §Authorization Details AD-6: bound the matcher count before compiling any
        // pattern.
        topics_total += object
            .get("topics")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if topics_total > limits.max_topic_matchers {
            return Err(DetailError::TooManyTopics);
        }
        parse_detail(index, object, hub, limits, &mut grants)?;
    }
    // Every open stream keeps its token's grants: no spare room (a Vec grown from empty
    // holds four, 550 bytes unused for the usual single grant).
    grants.publish.shrink_to_fit();
    grants.subscribe.shrink_to_fit();
    Ok(grants)
}

fn parse_detail(
    index: usize,
    object: &Map<String, Value>,
    hub: &Url,
    limits: &Limits,
    grants: &mut Grants,
) -> Result<(), DetailError> {
    // Mercure-08 §Authorization Details AD-2: a non-empty array of strings; unknown strings
    // grant nothing and are not an error.
    let actions = object
        .get("actions")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or(DetailError::ActionsMissing(index))?;
    let (mut publish, mut subscribe) = (false, false);
    for action in actions {
        match action.as_str() {
            Some("publish") => publish = true,
            Some("subscribe") => subscribe = true,
            Some(_) => {}
            None => return Err(DetailError::ActionNotString(index)),
        }
    }
    // Mercure-08 §Authorization Details AD-3: a non-empty array of topic-matcher objects.
    let topics = object
        .get("topics")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty())
        .ok_or(DetailError::TopicsMissing(index))?;
    // Mercure-08 §Authorization Details AD-4: an optional object; null counts as absent.
    let payload = match object.get("payload") {
        None | Some(Value::Null) => None,
        Some(p @ Value::Object(_)) => Some(p.clone()),
        Some(_) => return Err(DetailError::PayloadNotObject(index)),
    };
    let mut matchers = Vec::with_capacity(topics.len());
    for topic in topics {
        matchers.push(parse_topic_object(index, topic, hub, limits)?);
    }
    if publish {
        grants.publish.extend(matchers.iter().cloned());
    }
    if subscribe {
        grants
            .subscribe
            .extend(matchers.into_iter().map(|matcher| SubscribeGrant {
                matcher,
                payload: payload.clone(),
            }));
    }
    Ok(())
}

/// One `{match, match_type?}` object (Mercure-08 §Topic Matcher List TML-1..TML-4).
fn parse_topic_object(
    index: usize,
    topic: &Value,
    hub: &Url,
    limits: &Limits,
) -> Result<Matcher, DetailError> {
    // Mercure-08 §Topic Matcher List TML-4: a bare string, null, a number... is not an entry.
    let object = topic
        .as_object()
        .ok_or(DetailError::TopicNotObject(index))?;
    let pattern = object
        .get("match")
        .and_then(Value::as_str)
        .ok_or(DetailError::TopicNotObject(index))?;
    // Mercure-08 §Topic Matcher List TML-1: `exact` when absent; TML-2: the name is case-sensitive
    // and must be supported.
    let match_type = match object.get("match_type") {
        None => MatchType::Exact,
        Some(Value::String(name)) => {
            MatchType::from_name(name).ok_or(DetailError::UnknownMatchType(index))?
        }
        Some(_) => return Err(DetailError::UnknownMatchType(index)),
    };
    matcher(index, match_type, pattern, hub, limits)
}

fn matcher(
    index: usize,
    match_type: MatchType,
    pattern: &str,
    hub: &Url,
    limits: &Limits,
) -> Result<Matcher, DetailError> {
    // The reference hub refuses empty token patterns: an empty exact grant is meaningless.
    if pattern.is_empty() {
        return Err(DetailError::EmptyMatch(index));
    }
    // Mercure-08 §Topic Matcher List TML-3: `*` is the wildcard whatever the type; Matcher::parse
    // checks it first.
    Matcher::parse(match_type, pattern, hub, limits.max_pattern_len)
        .map_err(|e| DetailError::BadMatcher(index, e))
}

/// Parses the pre-standard `mercure` claim, `{publish: [...], subscribe: [...], payload}`
/// (legacy mode only; notes §A5 item 2). Entries are strings (exact, or an RFC 6570 URI
/// template when they hold `{`) or `{match, match_type?, payload?}` objects. `publish`
/// entries form one publish grant; each `subscribe` entry is its own grant with its own
/// payload; the top-level `payload` is the fallback of [`Grants::payload_for`].
pub(crate) fn parse_legacy_claim(
    value: &Value,
    hub: &Url,
    limits: &Limits,
) -> Result<Grants, DetailError> {
    let object = value.as_object().ok_or(DetailError::BadLegacyClaim)?;
    let list = |key: &str| -> Result<&[Value], DetailError> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(entries)) if entries.len() > limits.max_legacy_claim_entries => {
                Err(DetailError::TooManyTopics)
            }
            Some(Value::Array(entries)) => Ok(entries),
            Some(_) => Err(DetailError::BadLegacyClaim),
        }
    };
    let mut grants = Grants::none(hub);
    for (index, entry) in list("publish")?.iter().enumerate() {
        grants
            .publish
            .push(legacy_entry(index, entry, hub, limits)?.0);
    }
    for (index, entry) in list("subscribe")?.iter().enumerate() {
        let (matcher, payload) = legacy_entry(index, entry, hub, limits)?;
        grants.subscribe.push(SubscribeGrant { matcher, payload });
    }
    grants.legacy_payload = match object.get("payload") {
        None | Some(Value::Null) => None,
        Some(p) => Some(p.clone()),
    };
    Ok(grants)
}

fn legacy_entry(
    index: usize,
    entry: &Value,
    hub: &Url,
    limits: &Limits,
) -> Result<(Matcher, Option<Value>), DetailError> {
    match entry {
        // The reference hub accepts the empty string here; it matches only the empty topic.
        Value::String(s) => Matcher::parse(MatchType::LegacyTopic, s, hub, limits.max_pattern_len)
            .map(|m| (m, None))
            .map_err(|e| DetailError::BadMatcher(index, e)),
        Value::Object(object) => {
            let matcher = parse_topic_object(index, entry, hub, limits)?;
            // Pre-standard payloads were any JSON value; keep them as they are.
            let payload = object.get("payload").filter(|p| !p.is_null()).cloned();
            Ok((matcher, payload))
        }
        _ => Err(DetailError::TopicNotObject(index)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn hub() -> Url {
        Url::parse("https://hub.example/.well-known/mercure").unwrap()
    }

    #[test]
    fn default_limits_are_the_reference_hubs() {
        let l = Limits::default();
        assert_eq!(
            (l.max_details, l.max_topic_matchers, l.max_pattern_len),
            (100, 100, 4096)
        );
        assert_eq!(l.max_legacy_claim_entries, 1000);
    }

    #[test]
    fn limits_come_from_the_configuration() {
        let limits = Limits {
            max_details: 1,
            max_topic_matchers: 2,
            max_pattern_len: 3,
            ..Limits::default()
        };
        let d = |topics: serde_json::Value| json!({"type": MERCURE_DETAIL_TYPE, "actions": ["subscribe"], "topics": topics});
        let parse = |v: serde_json::Value| parse_authorization_details(&v, &hub(), &limits);
        assert!(parse(json!([d(json!([{"match": "abc"}, {"match": "d"}]))])).is_ok());
        assert_eq!(
            parse(json!([
                d(json!([{"match": "a"}])),
                d(json!([{"match": "b"}]))
            ])),
            Err(DetailError::TooManyDetails)
        );
        assert_eq!(
            parse(json!([d(
                json!([{"match": "a"}, {"match": "b"}, {"match": "c"}])
            )])),
            Err(DetailError::TooManyTopics)
        );
        assert!(matches!(
            parse(json!([d(json!([{"match": "abcd"}]))])),
            Err(DetailError::BadMatcher(0, MatcherError::TooLong { max: 3 }))
        ));
    }

    #[test]
    fn legacy_claim_shape_and_limit() {
        let limits = Limits {
            max_legacy_claim_entries: 2,
            ..Limits::default()
        };
        let parse = |v: serde_json::Value| parse_legacy_claim(&v, &hub(), &limits);
        assert!(parse(json!({"subscribe": ["a", "b"], "publish": null})).is_ok());
        assert_eq!(
            parse(json!({"subscribe": ["a", "b", "c"]})),
            Err(DetailError::TooManyTopics)
        );
        assert_eq!(
            parse(json!({"publish": "a"})),
            Err(DetailError::BadLegacyClaim)
        );
        assert_eq!(parse(json!(["a"])), Err(DetailError::BadLegacyClaim));
        assert_eq!(
            parse(json!({"publish": [null]})),
            Err(DetailError::TopicNotObject(0))
        );
        assert_eq!(
            parse(json!({"subscribe": [{"match_type": "exact"}]})),
            Err(DetailError::TopicNotObject(0))
        );
    }
}
