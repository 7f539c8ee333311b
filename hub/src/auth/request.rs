//! Where a request carries its access token (Mercure-08 §Presenting the Access Token,
//! §Authorization HTTP Header, §Cookie). See the precedence in [`crate::auth`].

use http::header::{AUTHORIZATION, COOKIE};
use http::HeaderMap;

/// The pre-standard cookie, read in legacy mode when the configured one is absent.
pub const LEGACY_COOKIE_NAME: &str = "mercureAuthorization";

/// The pre-standard query parameter carrying a token, read in legacy mode only.
pub const LEGACY_QUERY_PARAM: &str = "authorization";

/// Where a presented token came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `Authorization: Bearer …`.
    Header,
    /// The legacy `authorization` query parameter.
    LegacyQuery,
    /// The configured cookie. A `POST` presenting it needs the CSRF origin check
    /// (Mercure-08 §Security Considerations SEC-2).
    Cookie,
    /// The legacy `mercureAuthorization` cookie; the same CSRF rule applies.
    LegacyCookie,
}

impl Source {
    /// Whether the token came from a cookie, which browsers send on their own (so a `POST`
    /// needs the `Origin`/`Referer` check).
    pub fn is_cookie(self) -> bool {
        matches!(self, Source::Cookie | Source::LegacyCookie)
    }
}

/// What a request presents.
#[derive(Clone, PartialEq, Eq)]
pub enum Presented {
    /// No token: an anonymous request.
    None,
    /// A token, not yet validated.
    Token {
        /// The compact JWS.
        token: String,
        /// Where it came from.
        source: Source,
    },
    /// A malformed `Authorization` header: 400 with `Bearer error="invalid_request"`
    /// (Mercure-08 §Error Responses ERR-5).
    Malformed,
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Presented::None => f.write_str("None"),
            // Tokens are credentials: keep them out of logs.
            Presented::Token { source, .. } => f
                .debug_struct("Token")
                .field("token", &"[redacted]")
                .field("source", source)
                .finish(),
            Presented::Malformed => f.write_str("Malformed"),
        }
    }
}

/// The token a request presents, from its headers and its decoded query pairs (pass the
/// pairs of the URL query only: a body never carries a token).
///
/// Draft mode: the `Authorization` header, else the `cookie_name` cookie. Legacy mode adds
/// the `authorization` query parameter between the two, and the `mercureAuthorization`
/// cookie after the configured one.
///
/// ```
/// use http::HeaderMap;
/// use ssewire_hub::auth::{presented_token, Presented, Source};
/// let mut headers = HeaderMap::new();
/// headers.insert("authorization", "bearer abc.def.ghi".parse().unwrap());
/// headers.insert("cookie", "__Secure-mercure_access_token=jkl.mno.pqr".parse().unwrap());
/// let query = [("authorization", "from.the.url")]; // never read in draft mode
/// let got = presented_token(&headers, &query, "__Secure-mercure_access_token", false);
/// assert_eq!(got, Presented::Token { token: "abc.def.ghi".into(), source: Source::Header });
/// headers.remove("authorization");
/// let got = presented_token(&headers, &query, "__Secure-mercure_access_token", false);
/// assert_eq!(got, Presented::Token { token: "jkl.mno.pqr".into(), source: Source::Cookie });
/// ```
pub fn presented_token<K, V>(
    headers: &HeaderMap,
    query: &[(K, V)],
    cookie_name: &str,
    legacy: bool,
) -> Presented
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    // Mercure-08 §Presenting the Access Token PAT-4: a present header is always used and
    // any cookie ignored; a broken header is an error, never a reason to try the cookie.
    let mut values = headers.get_all(AUTHORIZATION).iter();
    if let Some(first) = values.next() {
        if values.next().is_some() {
            return Presented::Malformed;
        }
        return match first.to_str().ok().and_then(bearer_token) {
            Some(token) => Presented::Token {
                token: token.to_owned(),
                source: Source::Header,
            },
            None => Presented::Malformed,
        };
    }
    if legacy {
        // Reference hub precedence: after the header, before the cookie; used only when it
        // appears exactly once with a value, otherwise silently ignored.
        let mut found = query
            .iter()
            .filter(|(k, _)| k.as_ref() == LEGACY_QUERY_PARAM);
        if let (Some((_, value)), None) = (found.next(), found.next()) {
            if !value.as_ref().is_empty() {
                return Presented::Token {
                    token: value.as_ref().to_owned(),
                    source: Source::LegacyQuery,
                };
            }
        }
    }
    if let Some(token) = cookie(headers, cookie_name) {
        return Presented::Token {
            token,
            source: Source::Cookie,
        };
    }
    if legacy {
        if let Some(token) = cookie(headers, LEGACY_COOKIE_NAME) {
            return Presented::Token {
                token,
                source: Source::LegacyCookie,
            };
        }
    }
    Presented::None
}

/// The token of `Bearer <token>` (Mercure-08 §Authorization HTTP Header AH-1): the scheme
/// compared case-insensitively, one space, then a non-empty token without spaces.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("Bearer") || token.is_empty() || token.contains([' ', '\t']) {
        return None;
    }
    Some(token)
}

/// The first non-empty value of cookie `name` across all `Cookie` headers (HTTP/2 may split
/// them), without the optional surrounding double quotes of RFC 6265. An empty value counts
/// as absent, so a cleared cookie leaves the request anonymous.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| {
            let v = v.trim();
            v.strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v)
                .to_owned()
        })
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const COOKIE_NAME: &str = "__Secure-mercure_access_token";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn token(t: &str, source: Source) -> Presented {
        Presented::Token {
            token: t.into(),
            source,
        }
    }

    fn get(h: &[(&'static str, &str)], q: &[(&str, &str)], legacy: bool) -> Presented {
        presented_token(&headers(h), q, COOKIE_NAME, legacy)
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let value = format!("{scheme} a.b.c");
            assert_eq!(
                get(&[("authorization", &value)], &[], false),
                token("a.b.c", Source::Header)
            );
        }
    }

    #[test]
    fn malformed_headers() {
        for value in [
            "Basic dXNlcjpwYXNz",
            "Bearer",
            "Bearer ",
            "Bearer  a.b.c",
            "Bearer a b",
            "a.b.c",
            "Bearera.b.c",
        ] {
            assert_eq!(
                get(&[("authorization", value)], &[], false),
                Presented::Malformed,
                "{value:?}"
            );
        }
        let two = [
            ("authorization", "Bearer a.b.c"),
            ("authorization", "Bearer d.e.f"),
        ];
        assert_eq!(get(&two, &[], false), Presented::Malformed);
    }

    #[test]
    fn header_wins_and_a_broken_header_does_not_fall_back_to_the_cookie() {
        let cookie = ("cookie", "__Secure-mercure_access_token=c.c.c");
        assert_eq!(
            get(&[("authorization", "Bearer h.h.h"), cookie], &[], false),
            token("h.h.h", Source::Header)
        );
        assert_eq!(
            get(&[("authorization", "Basic x"), cookie], &[], false),
            Presented::Malformed
        );
        assert_eq!(get(&[cookie], &[], false), token("c.c.c", Source::Cookie));
    }

    #[test]
    fn cookie_parsing() {
        let h = [(
            "cookie",
            "a=1; __Secure-mercure_access_token=\"q.q.q\"; b=2",
        )];
        assert_eq!(get(&h, &[], false), token("q.q.q", Source::Cookie));
        let split = [
            ("cookie", "a=1"),
            ("cookie", "__Secure-mercure_access_token=s.s.s"),
        ];
        assert_eq!(get(&split, &[], false), token("s.s.s", Source::Cookie));
        let other = [(
            "cookie",
            "mercure_access_token=x.x.x; __Secure-mercure_access_token2=y",
        )];
        assert_eq!(get(&other, &[], false), Presented::None);
        let empty = [("cookie", "__Secure-mercure_access_token=")];
        assert_eq!(get(&empty, &[], false), Presented::None);
        assert_eq!(get(&[], &[], false), Presented::None);
    }

    #[test]
    fn no_query_parameter_carries_a_token_in_draft_mode() {
        let q = [("authorization", "q.q.q"), ("access_token", "a.a.a")];
        assert_eq!(get(&[], &q, false), Presented::None);
        let legacy_cookie = [("cookie", "mercureAuthorization=l.l.l")];
        assert_eq!(get(&legacy_cookie, &q, false), Presented::None);
    }

    #[test]
    fn legacy_precedence_header_then_query_then_cookie_then_legacy_cookie() {
        let both_cookies = (
            "cookie",
            "mercureAuthorization=l.l.l; __Secure-mercure_access_token=c.c.c",
        );
        let q = [("authorization", "q.q.q")];
        assert_eq!(
            get(&[("authorization", "Bearer h.h.h"), both_cookies], &q, true),
            token("h.h.h", Source::Header)
        );
        assert_eq!(
            get(&[both_cookies], &q, true),
            token("q.q.q", Source::LegacyQuery)
        );
        assert_eq!(
            get(&[both_cookies], &[], true),
            token("c.c.c", Source::Cookie)
        );
        let legacy_only = ("cookie", "mercureAuthorization=l.l.l");
        assert_eq!(
            get(&[legacy_only], &[], true),
            token("l.l.l", Source::LegacyCookie)
        );
        // Twice, or empty: ignored, and the cookie is next.
        let twice = [("authorization", "q.q.q"), ("authorization", "r.r.r")];
        assert_eq!(
            get(&[legacy_only], &twice, true),
            token("l.l.l", Source::LegacyCookie)
        );
        assert_eq!(get(&[], &[("authorization", "")], true), Presented::None);
        // `access_token` is never honoured.
        assert_eq!(
            get(&[], &[("access_token", "a.a.a")], true),
            Presented::None
        );
    }

    #[test]
    fn source_is_cookie() {
        assert!(Source::Cookie.is_cookie() && Source::LegacyCookie.is_cookie());
        assert!(!Source::Header.is_cookie() && !Source::LegacyQuery.is_cookie());
    }
}
