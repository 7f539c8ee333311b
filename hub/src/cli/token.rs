//! `ssewire-hub token`: mints an access token with [`TokenBuilder`] and prints it.
//!
//! # Topics: `--publish` and `--subscribe`
//!
//! Each value is a matcher, by default compared exactly with topics. A prefix chooses the
//! type, so one option can mix both:
//!
//! - `urlpattern:PATTERN`: a WHATWG URL Pattern, e.g.
//!   `urlpattern:https://example.com/users/alice/*` (relative patterns are resolved by the
//!   hub against its URL);
//! - `exact:TOPIC`: exact, written out (for a topic that itself starts with `exact:` or
//!   `urlpattern:`);
//! - anything else: exact. With `--legacy`, a bare value is a pre-standard topic selector
//!   instead (exact, or an RFC 6570 URI template when it holds `{`), as Mercure 0.x hubs
//!   read the `mercure` claim.
//!
//! `*` matches every topic whatever the type.

use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::Args;
use serde_json::Value;
use url::Url;

use super::keys;
use super::Failure;
use crate::auth::{Algorithm, TokenBuilder, DEFAULT_LIFETIME_SECS};
use crate::matcher::{MatchType, Matcher};

/// The prefix selecting URL Pattern matching.
pub const URLPATTERN_PREFIX: &str = "urlpattern:";
/// The prefix selecting exact matching explicitly.
pub const EXACT_PREFIX: &str = "exact:";

/// `token`'s options.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Signing key: a PEM private key (PKCS#8; PKCS#1 too for RS256) for EdDSA, ES256 and
    /// RS256, or for HS256 a file holding the shared secret (one trailing newline is ignored).
    #[arg(long, value_name = "FILE", env = "SSEWIRE_HUB_TOKEN_KEY")]
    pub key: PathBuf,

    /// Signature algorithm.
    #[arg(long, value_name = "ALG", env = "SSEWIRE_HUB_TOKEN_ALG", value_parser = keys::alg_parser())]
    pub alg: Algorithm,

    /// The hub's resource identifier (`aud`), as the hub's `--audience` (by default its
    /// public URL, e.g. http://127.0.0.1:3000/.well-known/mercure).
    #[arg(long, value_name = "URI", env = "SSEWIRE_HUB_TOKEN_AUDIENCE", value_parser = super::non_empty)]
    pub audience: String,

    /// The issuer (`iss`), as the hub's `--issuer`; also the `client_id`.
    #[arg(long, value_name = "URI", env = "SSEWIRE_HUB_TOKEN_ISSUER", value_parser = super::non_empty)]
    pub issuer: String,

    /// Grant publishing on topics matching MATCH (repeatable): exact, or `urlpattern:PATTERN`.
    #[arg(long, value_name = "MATCH", env = "SSEWIRE_HUB_TOKEN_PUBLISH")]
    pub publish: Vec<String>,

    /// Grant receiving updates on topics matching MATCH (repeatable): exact, or
    /// `urlpattern:PATTERN`.
    #[arg(long, value_name = "MATCH", env = "SSEWIRE_HUB_TOKEN_SUBSCRIBE")]
    pub subscribe: Vec<String>,

    /// The subject (`sub`), e.g. the user's id [default: the issuer].
    #[arg(long, value_name = "ID", env = "SSEWIRE_HUB_TOKEN_SUB", value_parser = super::non_empty)]
    pub sub: Option<String>,

    /// Seconds from now until the token expires (`exp`).
    #[arg(long, value_name = "SECS", env = "SSEWIRE_HUB_TOKEN_EXP",
          default_value_t = DEFAULT_LIFETIME_SECS,
          value_parser = clap::value_parser!(u64).range(1..=MAX_LIFETIME_SECS))]
    pub exp: u64,

    /// JSON attached to the subscribe grant (`payload`), shown to other subscribers in
    /// subscription events.
    #[arg(long, value_name = "JSON", env = "SSEWIRE_HUB_TOKEN_PAYLOAD", value_parser = json)]
    pub payload: Option<Value>,

    /// Mint the pre-standard (Mercure 0.x) form, for hubs run with --legacy: `typ: JWT` and
    /// the `mercure` claim; bare topics are URI templates.
    #[arg(long, env = "SSEWIRE_HUB_TOKEN_LEGACY", value_parser = BoolishValueParser::new())]
    pub legacy: bool,
}

/// The longest `--exp`: one year. Tokens SHOULD be short-lived; this only stops typos.
pub const MAX_LIFETIME_SECS: u64 = 366 * 24 * 3600;

/// The matcher a `--publish`/`--subscribe` value names: its type and pattern.
pub fn parse_match(value: &str, legacy: bool) -> (MatchType, &str) {
    if let Some(pattern) = value.strip_prefix(URLPATTERN_PREFIX) {
        (MatchType::UrlPattern, pattern)
    } else if let Some(topic) = value.strip_prefix(EXACT_PREFIX) {
        (MatchType::Exact, topic)
    } else if legacy {
        (MatchType::LegacyTopic, value)
    } else {
        (MatchType::Exact, value)
    }
}

impl TokenArgs {
    /// The builder these options describe, each matcher checked as the hub will parse it
    /// (relative to the audience when it is a URL).
    ///
    /// # Errors
    /// No grant at all, or a matcher the hub would refuse.
    pub fn builder(&self) -> Result<TokenBuilder, Failure> {
        if self.publish.is_empty() && self.subscribe.is_empty() {
            return Err(Failure::usage(
                "the token would grant nothing: give --publish or --subscribe",
            ));
        }
        let base = Url::parse(&self.audience).unwrap_or_else(|_| {
            Url::parse("https://hub.invalid/.well-known/mercure").expect("a valid URL")
        });
        let check = |option: &str, value: &str| -> Result<(MatchType, String), Failure> {
            let (match_type, pattern) = parse_match(value, self.legacy);
            let max = crate::auth::Limits::default().max_pattern_len;
            Matcher::parse(match_type, pattern, &base, max)
                .map_err(|e| Failure::usage(format!("--{option} {value:?}: {e}")))?;
            Ok((match_type, pattern.to_owned()))
        };
        let mut builder = TokenBuilder::new(&self.issuer, &self.audience)
            .expires_in(self.exp)
            .legacy(self.legacy);
        for value in &self.publish {
            let (match_type, pattern) = check("publish", value)?;
            builder = builder.publish(pattern, match_type);
        }
        for value in &self.subscribe {
            let (match_type, pattern) = check("subscribe", value)?;
            builder = builder.subscribe(pattern, match_type);
        }
        if let Some(sub) = &self.sub {
            builder = builder.subject(sub);
        }
        if let Some(payload) = &self.payload {
            builder = builder.payload(payload.clone());
        }
        Ok(builder)
    }
}

/// Runs `token`: prints the token and a newline.
///
/// # Errors
/// A usage error (exit status 2) for a bad key file, a key that does not fit `--alg`, or bad
/// grants.
pub fn execute(args: TokenArgs) -> Result<(), Failure> {
    let key = keys::signing(&args.key, args.alg)?;
    let builder = args.builder()?;
    let token = builder
        .sign(&key)
        .map_err(|e| Failure::usage(e.to_string()))?;
    println!("{token}");
    Ok(())
}

fn json(value: &str) -> Result<Value, String> {
    serde_json::from_str(value).map_err(|e| format!("not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_choose_the_match_type() {
        assert_eq!(
            parse_match("urlpattern:https://e.example/*", false),
            (MatchType::UrlPattern, "https://e.example/*")
        );
        assert_eq!(
            parse_match("exact:urlpattern:x", false),
            (MatchType::Exact, "urlpattern:x")
        );
        assert_eq!(
            parse_match("https://e.example/a", false),
            (MatchType::Exact, "https://e.example/a")
        );
        assert_eq!(
            parse_match("https://e.example/{id}", true),
            (MatchType::LegacyTopic, "https://e.example/{id}")
        );
        assert_eq!(
            parse_match("exact:https://e.example/{id}", true),
            (MatchType::Exact, "https://e.example/{id}")
        );
        assert_eq!(parse_match("*", false), (MatchType::Exact, "*"));
    }
}
