//! Minting access tokens, for the `ssewire-hub token` subcommand and for tests. Signing is
//! jsonwebtoken's.
//!
//! Draft form (Mercure-08 §Authorization AUTH-2, AUTH-5): header `typ: at+jwt`; claims `iss`,
//! `aud`, `exp`, `iat`, `sub`, `jti`, `client_id` and `authorization_details` (one
//! `publish` detail and one `subscribe` detail, each present only when it has topics).
//! Legacy form: header `typ: JWT`; claims `iss`, `aud`, `exp`, `iat`, `sub` (which a legacy
//! hub may ignore) and the pre-standard `mercure` claim `{publish, subscribe, payload}`.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::Header;
use serde_json::{json, Map, Value};

use super::details::MERCURE_DETAIL_TYPE;
use super::keys::SigningKey;
use crate::matcher::MatchType;

/// Why a token could not be minted.
#[derive(Debug)]
#[non_exhaustive]
pub enum MintError {
    /// jsonwebtoken refused to sign (the key does not fit the algorithm).
    Sign(jsonwebtoken::errors::Error),
    /// The system clock is before 1970.
    Clock,
}

impl fmt::Display for MintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MintError::Sign(e) => write!(f, "cannot sign the token: {e}"),
            MintError::Clock => f.write_str("the system clock is before 1970"),
        }
    }
}

impl std::error::Error for MintError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MintError::Sign(e) => Some(e),
            MintError::Clock => None,
        }
    }
}

/// Builds one access token.
///
/// ```
/// use ssewire_hub::auth::{SigningKey, TokenBuilder};
/// use ssewire_hub::matcher::MatchType;
/// let key = SigningKey::from_secret(b"0123456789abcdef0123456789abcdef").unwrap();
/// let token = TokenBuilder::new("https://app.example", "https://hub.example/.well-known/mercure")
///     .subscribe("https://example.com/books/{id}", MatchType::UrlPattern)
///     .subject("user-42")
///     .expires_in(600)
///     .sign(&key)
///     .unwrap();
/// assert_eq!(token.split('.').count(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct TokenBuilder {
    issuer: String,
    audience: String,
    publish: Vec<(String, MatchType)>,
    subscribe: Vec<(String, MatchType)>,
    payload: Option<Value>,
    subject: Option<String>,
    client_id: Option<String>,
    lifetime_secs: u64,
    legacy: bool,
}

/// The default token lifetime: one hour (tokens SHOULD be short-lived, AUTH-2).
pub const DEFAULT_LIFETIME_SECS: u64 = 3600;

impl TokenBuilder {
    /// A token from `issuer` for the hub whose resource identifier is `audience`, granting
    /// nothing yet, valid for [`DEFAULT_LIFETIME_SECS`].
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> TokenBuilder {
        TokenBuilder {
            issuer: issuer.into(),
            audience: audience.into(),
            publish: Vec::new(),
            subscribe: Vec::new(),
            payload: None,
            subject: None,
            client_id: None,
            lifetime_secs: DEFAULT_LIFETIME_SECS,
            legacy: false,
        }
    }

    /// Grants `publish` on topics matching `pattern`.
    pub fn publish(mut self, pattern: impl Into<String>, match_type: MatchType) -> Self {
        self.publish.push((pattern.into(), match_type));
        self
    }

    /// Grants `subscribe` on topics matching `pattern`.
    pub fn subscribe(mut self, pattern: impl Into<String>, match_type: MatchType) -> Self {
        self.subscribe.push((pattern.into(), match_type));
        self
    }

    /// The `payload` of the subscribe detail (legacy: of the `mercure` claim).
    pub fn payload(mut self, payload: Value) -> Self {
        self.payload = Some(payload);
        self
    }

    /// `sub`, the subscriber's identity. Default: the `client_id`, as RFC 9068 §2.2 says for
    /// tokens with no resource owner (client credentials).
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// `client_id` (default: the issuer).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Seconds from now until `exp`.
    pub fn expires_in(mut self, seconds: u64) -> Self {
        self.lifetime_secs = seconds;
        self
    }

    /// The pre-standard form (for hubs and tests in `legacy` mode).
    pub fn legacy(mut self, legacy: bool) -> Self {
        self.legacy = legacy;
        self
    }

    /// The claims this builder would sign, with `iat` = `now` (seconds since the epoch).
    pub fn claims_at(&self, now: u64) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("aud".into(), json!(self.audience));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now.saturating_add(self.lifetime_secs)));
        let client_id = self.client_id.as_deref().unwrap_or(&self.issuer);
        let subject = self.subject.as_deref().unwrap_or(client_id);
        claims.insert("sub".into(), json!(subject));
        if self.legacy {
            let entries = |list: &[(String, MatchType)]| -> Vec<Value> {
                list.iter()
                    .map(|(pattern, match_type)| match match_type {
                        MatchType::LegacyTopic => json!(pattern),
                        other => json!({"match": pattern, "match_type": other.name()}),
                    })
                    .collect()
            };
            let mut mercure = Map::new();
            mercure.insert("publish".into(), Value::Array(entries(&self.publish)));
            mercure.insert("subscribe".into(), Value::Array(entries(&self.subscribe)));
            if let Some(payload) = &self.payload {
                mercure.insert("payload".into(), payload.clone());
            }
            claims.insert("mercure".into(), Value::Object(mercure));
            return claims;
        }
        claims.insert("jti".into(), json!(unique_id()));
        claims.insert("client_id".into(), json!(client_id));
        let topics = |list: &[(String, MatchType)]| -> Vec<Value> {
            list.iter()
                .map(|(pattern, match_type)| json!({"match": pattern, "match_type": match_type.name()}))
                .collect()
        };
        let mut details = Vec::new();
        if !self.publish.is_empty() {
            details.push(json!({
                "type": MERCURE_DETAIL_TYPE,
                "actions": ["publish"],
                "topics": topics(&self.publish),
            }));
        }
        if !self.subscribe.is_empty() {
            let mut detail = json!({
                "type": MERCURE_DETAIL_TYPE,
                "actions": ["subscribe"],
                "topics": topics(&self.subscribe),
            });
            if let Some(payload) = &self.payload {
                detail["payload"] = payload.clone();
            }
            details.push(detail);
        }
        claims.insert("authorization_details".into(), Value::Array(details));
        claims
    }

    /// Signs the token with `key` and its algorithm.
    ///
    /// # Errors
    /// A clock before 1970, or a key jsonwebtoken cannot sign with.
    pub fn sign(&self, key: &SigningKey) -> Result<String, MintError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| MintError::Clock)?
            .as_secs();
        let mut header = Header::new(key.algorithm().to_jwt());
        header.typ = Some(if self.legacy { "JWT" } else { "at+jwt" }.to_owned());
        jsonwebtoken::encode(&header, &self.claims_at(now), key.encoding_key())
            .map_err(MintError::Sign)
    }
}

/// A `jti`: 128 bits from std's per-process random hasher keys mixed with the time and a
/// counter. Unique, not secret (the hub does not rely on `jti`).
fn unique_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let half = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(salt);
        h.write_u64(count);
        h.write_u128(nanos);
        h.finish()
    };
    format!("{:016x}{:016x}", half(1), half(2))
}
