//! `application/x-www-form-urlencoded` as the WHATWG URL standard parses it (`+` is a space,
//! a `%` not followed by two hex digits stays as it is), except that a name or value that is
//! not UTF-8 once decoded is an error instead of being replaced: Mercure-08 asks for UTF-8
//! (§Publication PUB-2, PUB-7) and a hub must not guess.

use percent_encoding::percent_decode;

/// A decoded name or value was not UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotUtf8 {
    /// The pair's index, from 0.
    pub pair: usize,
}

/// Decodes `input` into name/value pairs, in order, skipping empty sequences (`a&&b`).
///
/// ```
/// let pairs = ssewire_hub::form::parse(b"topic=a%2Fb&data=x+y&private").unwrap();
/// assert_eq!(pairs, [("topic".into(), "a/b".into()), ("data".into(), "x y".into()), ("private".into(), String::new())]);
/// ```
///
/// # Errors
/// The first pair whose name or value does not decode to UTF-8.
pub fn parse(input: &[u8]) -> Result<Vec<(String, String)>, NotUtf8> {
    input
        .split(|&b| b == b'&')
        .filter(|sequence| !sequence.is_empty())
        .enumerate()
        .map(|(pair, sequence)| {
            let (name, value) = match sequence.iter().position(|&b| b == b'=') {
                Some(eq) => (&sequence[..eq], &sequence[eq + 1..]),
                None => (sequence, &sequence[..0]),
            };
            Ok((decode(name, pair)?, decode(value, pair)?))
        })
        .collect()
}

fn decode(raw: &[u8], pair: usize) -> Result<String, NotUtf8> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let bytes: Vec<u8> = percent_decode(&spaced).collect();
    String::from_utf8(bytes).map_err(|_| NotUtf8 { pair })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_whatwg_decoding_and_refuses_bytes_that_are_not_utf8() {
        let pairs = parse(b"a=%zz&b=%4&c=%C3%A9&=v&n=1=2").unwrap();
        assert_eq!(
            pairs,
            [
                ("a".to_owned(), "%zz".to_owned()),
                ("b".to_owned(), "%4".to_owned()),
                ("c".to_owned(), "é".to_owned()),
                (String::new(), "v".to_owned()),
                ("n".to_owned(), "1=2".to_owned()),
            ]
        );
        assert_eq!(parse(b"ok=1&bad=%FF"), Err(NotUtf8 { pair: 1 }));
        assert_eq!(parse(b"bad\xFF=1"), Err(NotUtf8 { pair: 0 }));
        assert_eq!(parse(b"").unwrap(), []);
    }
}
