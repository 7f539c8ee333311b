//! Topics and the character rules that every topic, matcher, `id` and `type` obeys, and the
//! reserved hub namespace.

use url::Url;

/// A character that Mercure-08 §Terminology forbids in topics, matchers, `id` and `type`:
/// C0 controls, DEL, C1 controls, and Unicode format characters (general category `Cf`).
/// These are what would let a value inject SSE fields or hide text (Mercure-08 §Security
/// Considerations, Server-Sent Events Field Injection).
pub fn is_forbidden_char(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}') || is_format_char(c)
}

/// Unicode general category `Cf` (format characters), as of Unicode 16.
fn is_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{600}'..='\u{605}'
            | '\u{61C}'
            | '\u{6DD}'
            | '\u{70F}'
            | '\u{890}'..='\u{891}'
            | '\u{8E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Where a value breaks the character rule: the character and its byte index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForbiddenChar {
    /// The character.
    pub character: char,
    /// Its byte offset in the value.
    pub index: usize,
}

impl std::fmt::Display for ForbiddenChar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "U+{:04X} at byte {} (control and format characters are not allowed)",
            u32::from(self.character),
            self.index
        )
    }
}

/// The first forbidden character of `value`, if any.
///
/// ```
/// use ssewire_hub::topic::check_chars;
/// assert!(check_chars("https://example.com/books/1").is_ok());
/// assert_eq!(check_chars("a\nb").unwrap_err().index, 1);
/// assert!(check_chars("a\u{200B}b").is_err()); // zero-width space, a format character
/// ```
///
/// # Errors
/// The first character that [`is_forbidden_char`] refuses.
pub fn check_chars(value: &str) -> Result<(), ForbiddenChar> {
    match value.char_indices().find(|&(_, c)| is_forbidden_char(c)) {
        Some((index, character)) => Err(ForbiddenChar { character, index }),
        None => Ok(()),
    }
}

/// A topic as updates carry it: its exact text, and its URL resolved against the hub URL
/// when it parses as a URL reference (URL Pattern matchers match that; exact ones the text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    text: String,
    url: Option<Url>,
}

impl Topic {
    /// `text` resolved against `hub` (Mercure-08 §URL Pattern: relative topics use the hub URL
    /// as their base). Call [`check_chars`] first; this does not.
    pub fn new(text: impl Into<String>, hub: &Url) -> Topic {
        let text = text.into();
        let url = hub.join(&text).ok();
        Topic { text, url }
    }

    /// The topic's text, compared byte for byte by exact matchers.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The topic resolved against the hub URL; `None` when it is not a URL reference.
    pub fn url(&self) -> Option<&Url> {
        self.url.as_ref()
    }

    /// Whether the topic addresses the hub's own namespace (Mercure-08 §Publication, the
    /// reserved hub namespace): its resolved path, with percent-encoded unreserved
    /// characters decoded, is the hub URL's path or lies below it. Scheme and host do not
    /// matter, and a topic that is not a URL reference is not reserved.
    pub fn is_reserved(&self, hub: &Url) -> bool {
        let Some(url) = &self.url else { return false };
        let path = decode_unreserved(url.path());
        // The WHATWG parser already removed dot segments; decoding may expose new ones
        // (`%2E` is handled by the parser itself), so parse the decoded path once more.
        let path = match hub.join(&path) {
            Ok(again) => again.path().to_owned(),
            Err(_) => path,
        };
        let hub_path = hub.path().trim_end_matches('/');
        path == hub_path
            || path
                .strip_prefix(hub_path)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// `path` with every `%XX` that encodes an unreserved character (ALPHA, DIGIT, `-._~`)
/// decoded, and every other escape left as it is.
fn decode_unreserved(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| char::from(b).to_digit(16);
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                let byte = (high * 16 + low) as u8;
                if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                    out.push(char::from(byte));
                    i += 3;
                    continue;
                }
            }
        }
        let c = path[i..].chars().next().expect("inside the string");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub() -> Url {
        Url::parse("https://hub.example/.well-known/mercure").unwrap()
    }

    #[test]
    fn the_hub_namespace_is_reserved_after_normalisation_whatever_the_host() {
        for topic in [
            "/.well-known/mercure",
            "/.well-known/mercure/subscriptions/exact/x/y",
            "https://other.example/.well-known/mercure/x",
            "/.well-known/%6Dercure/subscriptions",
            "/.well-known/mercure/../mercure/x",
            "/a/../.well-known/mercure",
            "/.well-known/%2E/mercure",
            "../.well-known/mercure/x",
        ] {
            assert!(Topic::new(topic, &hub()).is_reserved(&hub()), "{topic}");
        }
        for topic in [
            "/.well-known/mercurey",
            "/.well-known/Mercure",
            "https://example.com/books/1",
            "urn:isbn:123",
            "/.well-known/mercure%2Fx",
        ] {
            assert!(!Topic::new(topic, &hub()).is_reserved(&hub()), "{topic}");
        }
    }

    #[test]
    fn control_and_format_characters_are_refused_wherever_they_are() {
        for bad in [
            "\u{0}",
            "\r",
            "\n",
            "\u{7F}",
            "\u{85}",
            "\u{9F}",
            "\u{202E}",
            "\u{FEFF}",
            "\u{E0041}",
        ] {
            let value = format!("ab{bad}");
            assert_eq!(check_chars(&value).unwrap_err().index, 2, "{bad:?}");
        }
        for good in ["é", "日本", "\u{A0}", "emoji 🎉", " "] {
            assert!(check_chars(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn decoding_touches_only_unreserved_escapes() {
        assert_eq!(decode_unreserved("/%61%2F%7E%25"), "/a%2F~%25");
        assert_eq!(decode_unreserved("/%6"), "/%6");
        assert_eq!(decode_unreserved("/é%"), "/é%");
        assert_eq!(decode_unreserved("/%é%41"), "/%éA");
    }
}
