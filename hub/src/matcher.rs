//! Topic matchers (Mercure-08 §Matcher Types): `exact`, `urlpattern`, the `*` wildcard, and,
//! behind `--legacy`, the URI templates of pre-standard `topic=` parameters and `mercure`
//! claims. The same type serves subscriptions (routing) and token grants (authorization).
//!
//! Every matcher runs in time linear in the topic: exact is a comparison, URL Pattern
//! compiles to the `regex` crate (finite automata, no backtracking), and so do URI templates
//! (Mercure-08 §URL-Pattern Denial of Service).

use std::fmt;

use url::Url;
use urlpattern::{UrlPattern, UrlPatternInit, UrlPatternMatchInput, UrlPatternOptions};

use crate::topic::{check_chars, ForbiddenChar, Topic};

/// A matcher type, by its canonical name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MatchType {
    /// `exact`: byte-for-byte comparison, no resolution or normalisation.
    Exact,
    /// `urlpattern`: a WHATWG URL Pattern, relative ones resolved against the hub URL.
    UrlPattern,
    /// A pre-standard topic selector: a string compared exactly, or an RFC 6570 URI template
    /// when it holds `{`. Only reachable with `--legacy`.
    LegacyTopic,
}

impl MatchType {
    /// The types a request or token may name (the legacy one has no name on the wire).
    pub const NAMED: [MatchType; 2] = [MatchType::Exact, MatchType::UrlPattern];

    /// The canonical name: `exact`, `urlpattern` (`topic` for the legacy selector, as the
    /// pre-standard subscription topics spell it).
    pub fn name(self) -> &'static str {
        match self {
            MatchType::Exact => "exact",
            MatchType::UrlPattern => "urlpattern",
            MatchType::LegacyTopic => "topic",
        }
    }

    /// The type with this canonical name, case-sensitively (Mercure-08 §Subscription).
    ///
    /// ```
    /// use ssewire_hub::matcher::MatchType;
    /// assert_eq!(MatchType::from_name("urlpattern"), Some(MatchType::UrlPattern));
    /// assert_eq!(MatchType::from_name("URLPattern"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<MatchType> {
        MatchType::NAMED.into_iter().find(|t| t.name() == name)
    }
}

/// Why a matcher value was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MatcherError {
    /// A control or format character.
    ForbiddenChar(ForbiddenChar),
    /// Longer than the configured limit, in bytes.
    TooLong {
        /// The limit.
        max: usize,
    },
    /// Not a valid pattern for its type. The parser's own message is kept out of answers
    /// sent to clients; this names only the type.
    Invalid(MatchType),
}

impl fmt::Display for MatcherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatcherError::ForbiddenChar(at) => write!(f, "matcher contains {at}"),
            MatcherError::TooLong { max } => write!(f, "matcher longer than {max} bytes"),
            MatcherError::Invalid(t) => write!(f, "not a valid {} matcher", t.name()),
        }
    }
}

impl std::error::Error for MatcherError {}

#[derive(Clone, Debug)]
enum Kind {
    Wildcard,
    Exact,
    UrlPattern(std::sync::Arc<UrlPattern>),
    Template(regex::Regex),
}

/// A parsed matcher: its type, its source text, and what tests topics.
#[derive(Clone, Debug)]
pub struct Matcher {
    match_type: MatchType,
    source: String,
    kind: Kind,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.match_type == other.match_type && self.source == other.source
    }
}

impl Eq for Matcher {}

/// The largest compiled program a URL Pattern or template may become, in bytes: a bound on
/// memory per matcher, on top of the pattern length limit.
const MAX_COMPILED_BYTES: usize = 256 * 1024;

impl Matcher {
    /// Parses `value` as a matcher of `match_type`, relative URL patterns resolved against
    /// `hub`. The value `*` is the wildcard whatever the type (Mercure-08 §Matcher Types).
    ///
    /// ```
    /// use ssewire_hub::matcher::{Matcher, MatchType};
    /// use ssewire_hub::topic::Topic;
    /// let hub = url::Url::parse("https://hub.example/.well-known/mercure").unwrap();
    /// let books = Matcher::parse(MatchType::UrlPattern, "https://example.com/books/:id", &hub, 4096).unwrap();
    /// assert!(books.matches(&Topic::new("https://example.com/books/1", &hub)));
    /// assert!(!books.matches(&Topic::new("https://example.com/authors/1", &hub)));
    /// ```
    ///
    /// # Errors
    /// A forbidden character, a value over `max_len` bytes, or an invalid pattern.
    pub fn parse(
        match_type: MatchType,
        value: &str,
        hub: &Url,
        max_len: usize,
    ) -> Result<Matcher, MatcherError> {
        if value.len() > max_len {
            return Err(MatcherError::TooLong { max: max_len });
        }
        check_chars(value).map_err(MatcherError::ForbiddenChar)?;
        let kind = if value == "*" {
            Kind::Wildcard
        } else {
            match match_type {
                MatchType::Exact => Kind::Exact,
                MatchType::UrlPattern => Kind::UrlPattern(std::sync::Arc::new(
                    url_pattern(value, hub).ok_or(MatcherError::Invalid(match_type))?,
                )),
                MatchType::LegacyTopic if value.contains('{') => {
                    Kind::Template(template_regex(value).ok_or(MatcherError::Invalid(match_type))?)
                }
                MatchType::LegacyTopic => Kind::Exact,
            }
        };
        Ok(Matcher {
            match_type,
            source: value.to_owned(),
            kind,
        })
    }

    /// The matcher's type.
    pub fn match_type(&self) -> MatchType {
        self.match_type
    }

    /// The matcher's text as given.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether this is the `*` wildcard.
    pub fn is_wildcard(&self) -> bool {
        matches!(self.kind, Kind::Wildcard)
    }

    /// Whether `topic` matches.
    pub fn matches(&self, topic: &Topic) -> bool {
        match &self.kind {
            Kind::Wildcard => true,
            Kind::Exact => self.source == topic.as_str(),
            // Mercure-08 §URL Pattern: a topic that is not a URL reference matches no pattern.
            Kind::UrlPattern(pattern) => topic.url().is_some_and(|url| {
                pattern
                    .test(UrlPatternMatchInput::Url(url.clone()))
                    .unwrap_or(false)
            }),
            Kind::Template(regex) => {
                self.source == topic.as_str() || regex.is_match(topic.as_str())
            }
        }
    }

    /// Whether any of `topics` matches.
    pub fn matches_any(&self, topics: &[Topic]) -> bool {
        topics.iter().any(|t| self.matches(t))
    }
}

fn url_pattern(value: &str, hub: &Url) -> Option<UrlPattern> {
    let init =
        UrlPatternInit::parse_constructor_string::<regex::Regex>(value, Some(hub.clone())).ok()?;
    // Mercure-08 §URL Pattern: ignoreCase stays off.
    let options = UrlPatternOptions {
        ignore_case: false,
        ..UrlPatternOptions::default()
    };
    let pattern = UrlPattern::parse(init, options).ok()?;
    // `regex` refuses programs over its size limit at compile time, which urlpattern turns
    // into an error above; the check here keeps the pattern's own regex groups bounded too.
    let groups_ok = [
        pattern.protocol(),
        pattern.hostname(),
        pattern.pathname(),
        pattern.search(),
        pattern.hash(),
    ]
    .iter()
    .all(|part| part.len() <= MAX_COMPILED_BYTES);
    groups_ok.then_some(pattern)
}

/// An RFC 6570 template as an anchored regex: each `{…}` expression matches one value
/// without `/`, except the reserved (`{+…}`) and fragment (`{#…}`) forms, which may hold it.
fn template_regex(template: &str) -> Option<regex::Regex> {
    let mut pattern = String::from("^");
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        pattern.push_str(&regex::escape(&rest[..open]));
        let close = rest[open..].find('}')? + open;
        let expression = &rest[open + 1..close];
        let (operator, names) = match expression.chars().next()? {
            op @ ('+' | '#' | '.' | '/' | ';' | '?' | '&') => (Some(op), &expression[1..]),
            _ => (None, expression),
        };
        let valid_name = |n: &str| {
            let n = n.trim_end_matches('*');
            let n = n.split(':').next().unwrap_or("");
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.%".contains(c))
        };
        if !names.split(',').all(valid_name) {
            return None;
        }
        let value = match operator {
            Some('+' | '#') => ".*",
            _ => "[^/?#]*",
        };
        let prefix = match operator {
            Some('#') => "#",
            Some('.') => "\\.",
            Some('/') => "/",
            Some(';') => ";",
            Some('?') => "\\?",
            Some('&') => "&",
            _ => "",
        };
        pattern.push_str(&format!("(?:{prefix}{value})?"));
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return None;
    }
    pattern.push_str(&regex::escape(rest));
    pattern.push('$');
    regex::RegexBuilder::new(&pattern)
        .size_limit(MAX_COMPILED_BYTES)
        .build()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub() -> Url {
        Url::parse("https://hub.example/.well-known/mercure").unwrap()
    }

    fn matcher(t: MatchType, value: &str) -> Matcher {
        Matcher::parse(t, value, &hub(), 4096).unwrap()
    }

    fn topic(text: &str) -> Topic {
        Topic::new(text, &hub())
    }

    #[test]
    fn exact_compares_bytes_without_resolving_or_normalising() {
        let m = matcher(MatchType::Exact, "https://example.com/books/1");
        assert!(m.matches(&topic("https://example.com/books/1")));
        assert!(!m.matches(&topic("https://EXAMPLE.com/books/1")));
        assert!(!m.matches(&topic("https://example.com/books/1/")));
        let relative = matcher(MatchType::Exact, "/books/1");
        assert!(!relative.matches(&topic("https://hub.example/books/1")));
        assert!(relative.matches(&topic("/books/1")));
    }

    #[test]
    fn the_wildcard_matches_everything_in_every_type() {
        for t in [
            MatchType::Exact,
            MatchType::UrlPattern,
            MatchType::LegacyTopic,
        ] {
            let m = matcher(t, "*");
            assert!(m.is_wildcard());
            assert!(m.matches(&topic("urn:anything")));
            assert!(m.matches(&topic("not a url at all")));
        }
    }

    #[test]
    fn url_patterns_resolve_relative_patterns_and_topics_against_the_hub() {
        let m = matcher(MatchType::UrlPattern, "/users/:id/notifications");
        assert!(m.matches(&topic("https://hub.example/users/42/notifications")));
        assert!(m.matches(&topic("/users/42/notifications")));
        assert!(!m.matches(&topic("https://other.example/users/42/notifications")));
        assert!(!m.matches(&topic("/users/42/notifications/x")));
        // Case-sensitive paths, case-insensitive host.
        let books = matcher(MatchType::UrlPattern, "https://example.com/books/*");
        assert!(books.matches(&topic("https://EXAMPLE.com/books/1")));
        assert!(!books.matches(&topic("https://example.com/Books/1")));
    }

    #[test]
    fn invalid_values_are_refused_with_their_reason() {
        let parse = |t, v: &str| Matcher::parse(t, v, &hub(), 64);
        assert_eq!(
            parse(MatchType::UrlPattern, "https://example.com/(unclosed"),
            Err(MatcherError::Invalid(MatchType::UrlPattern))
        );
        // Lookaround has no finite automaton: refused, never run.
        assert!(parse(MatchType::UrlPattern, "/((?=a)a)").is_err());
        assert!(parse(MatchType::UrlPattern, "/((?!a).)").is_err());
        assert!(matches!(
            parse(MatchType::Exact, "a\u{0}"),
            Err(MatcherError::ForbiddenChar(_))
        ));
        assert_eq!(
            parse(MatchType::Exact, &"x".repeat(65)),
            Err(MatcherError::TooLong { max: 64 })
        );
        assert_eq!(
            parse(MatchType::LegacyTopic, "https://example.com/{id"),
            Err(MatcherError::Invalid(MatchType::LegacyTopic))
        );
    }

    #[test]
    fn pathological_patterns_still_match_in_linear_time() {
        // A classic catastrophic-backtracking shape; with finite automata it is just slow
        // to nobody. The assertion is the answer; the bound is that this test finishes.
        let m = matcher(MatchType::UrlPattern, "/a/(a*)*b");
        let topic = topic(&format!("/a/{}c", "a".repeat(4000)));
        assert!(!m.matches(&topic));
    }

    #[test]
    fn legacy_uri_templates_match_one_segment_per_simple_expression() {
        let m = matcher(MatchType::LegacyTopic, "https://example.com/books/{id}");
        assert!(m.matches(&topic("https://example.com/books/1")));
        assert!(!m.matches(&topic("https://example.com/books/1/reviews")));
        let reserved = matcher(MatchType::LegacyTopic, "https://example.com/{+path}");
        assert!(reserved.matches(&topic("https://example.com/books/1/reviews")));
        let plain = matcher(MatchType::LegacyTopic, "https://example.com/books/1");
        assert!(plain.matches(&topic("https://example.com/books/1")));
        assert!(!plain.matches(&topic("https://example.com/books/2")));
    }
}
