//! Access-token validation (Mercure-08 §Token Validation TV-1..TV-10): header checks, the
//! key chosen by issuer, then jsonwebtoken's signature and claim checks, then the grants.

use std::fmt;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Header, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use super::details::{
    parse_authorization_details, parse_legacy_claim, DetailError, Grants, Limits,
};
use super::keys::{Algorithm, TrustedKey};

/// Clock-skew leeway for `exp` and `nbf`, in seconds: none. The reference hub uses none, and
/// the draft requires closing a stream no later than `exp` (Mercure-08 §Subscribers SB-2),
/// which a leeway would contradict; issuers and hubs are expected to run synchronised
/// clocks, and tokens minted here carry no `nbf`.
pub const LEEWAY_SECS: u64 = 0;

/// The default name of the access-token cookie (Mercure-08 §Cookie CK-2).
pub const DEFAULT_COOKIE_NAME: &str = "__Secure-mercure_access_token";

/// Which endpoint a token is presented to; each has its own trusted keys (Mercure-08
/// §Authorization AUTH-3: different keys SHOULD be used).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Publishing (`POST` to the hub URL).
    Publisher,
    /// Subscribing and the subscription API.
    Subscriber,
}

/// Why a presented token was refused. For logs only: every variant gives the same answer,
/// 401 `invalid_token` (Mercure-08 §Error Responses ERR-3), so the reason is not disclosed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// Longer than [`Limits::max_token_len`].
    TooLong,
    /// Not a compact JWS with a JSON header and claims, or an algorithm (`none` included)
    /// jsonwebtoken does not know; the parser's message.
    Malformed(String),
    /// `typ` is missing or not `at+jwt` / `application/at+jwt` (TV-2).
    WrongType(Option<String>),
    /// The header carries key material or a key URL: `jwk`, `jku`, `x5u` or `x5c` (TV-4).
    EmbeddedKey,
    /// The header's `crit` lists extensions the hub does not understand (RFC 7515 §4.1.11).
    CriticalHeader,
    /// `alg` is not allowed for any key of the token's issuer (TV-3).
    AlgorithmNotAllowed(String),
    /// No `iss`, or it is not a string (TV-8).
    MissingIssuer,
    /// `iss` is not a configured issuer of this role (TV-8).
    UnknownIssuer(String),
    /// Legacy mode: no usable `iss`, and several issuers are configured.
    AmbiguousIssuer,
    /// No key of the issuer verified the signature (TV-5).
    BadSignature,
    /// No `exp` (TV-6).
    MissingExpiry,
    /// `exp` is in the past (TV-6).
    Expired,
    /// `nbf` is in the future (TV-6).
    NotYetValid,
    /// `aud` is missing or does not contain the resource identifier (TV-7).
    WrongAudience,
    /// A registered claim has the wrong JSON type; its name.
    BadClaim(String),
    /// The authorization claims are malformed or over a limit (AD-6, AD-7, TML-2, TML-4).
    Details(DetailError),
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::TooLong => f.write_str("token too long"),
            Rejection::Malformed(why) => write!(f, "malformed token: {why}"),
            Rejection::WrongType(Some(typ)) => write!(f, "typ {typ:?} is not at+jwt"),
            Rejection::WrongType(None) => f.write_str("no typ header (at+jwt required)"),
            Rejection::EmbeddedKey => f.write_str("header carries jwk, jku, x5u or x5c"),
            Rejection::CriticalHeader => f.write_str("unsupported crit header"),
            Rejection::AlgorithmNotAllowed(alg) => {
                write!(f, "algorithm {alg} not allowed for this issuer")
            }
            Rejection::MissingIssuer => f.write_str("no iss claim"),
            Rejection::UnknownIssuer(iss) => write!(f, "untrusted issuer {iss:?}"),
            Rejection::AmbiguousIssuer => {
                f.write_str("no trusted iss and several issuers configured")
            }
            Rejection::BadSignature => f.write_str("signature does not verify"),
            Rejection::MissingExpiry => f.write_str("no exp claim"),
            Rejection::Expired => f.write_str("expired"),
            Rejection::NotYetValid => f.write_str("not yet valid (nbf)"),
            Rejection::WrongAudience => f.write_str("aud does not contain this hub"),
            Rejection::BadClaim(name) => write!(f, "claim {name} has the wrong type"),
            Rejection::Details(e) => write!(f, "authorization: {e}"),
        }
    }
}

impl std::error::Error for Rejection {}

/// How to build a [`Verifier`].
#[derive(Clone, Debug)]
pub struct VerifierConfig {
    /// Keys trusted for publisher tokens.
    pub publishers: Vec<TrustedKey>,
    /// Keys trusted for subscriber tokens.
    pub subscribers: Vec<TrustedKey>,
    /// The hub's resource identifier, which `aud` must contain (TV-7), e.g.
    /// `https://hub.example/.well-known/mercure`.
    pub resource: String,
    /// The hub URL: the base of relative URL patterns and topics (UP-2).
    pub hub_url: Url,
    /// Accept pre-standard tokens and transports (see the module docs of
    /// [`crate::auth`] for what this gives up).
    pub legacy: bool,
    /// The access-token cookie name (default [`DEFAULT_COOKIE_NAME`]).
    pub cookie_name: String,
    /// Caps on tokens.
    pub limits: Limits,
}

impl VerifierConfig {
    /// A configuration with no keys, the default cookie and limits, and `legacy` off.
    pub fn new(resource: impl Into<String>, hub_url: Url) -> VerifierConfig {
        VerifierConfig {
            publishers: Vec::new(),
            subscribers: Vec::new(),
            resource: resource.into(),
            hub_url,
            legacy: false,
            cookie_name: DEFAULT_COOKIE_NAME.to_owned(),
            limits: Limits::default(),
        }
    }
}

/// A token that passed validation: who issued it, for whom, until when, and what it grants.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessToken {
    /// The issuer whose key verified it.
    pub issuer: String,
    /// `sub`, when a string.
    pub subject: Option<String>,
    /// `exp` in seconds since the epoch; `None` only for legacy tokens without one. A
    /// subscription stream must end by then (SB-2).
    pub expires_at: Option<u64>,
    /// What it allows.
    pub grants: Grants,
    /// Whether the grants came from the pre-standard `mercure` claim.
    pub legacy_claim: bool,
}

/// Validates access tokens against the configured keys (Mercure-08 §Token Validation).
#[derive(Clone, Debug)]
pub struct Verifier {
    config: VerifierConfig,
}

/// The registered claims read before the signature is checked, only to pick the issuer's keys
/// (TV-5); the signature then covers them.
#[derive(Deserialize)]
struct IssuerPeek {
    #[serde(default)]
    iss: Option<Value>,
}

impl Verifier {
    /// A verifier for `config`.
    pub fn new(config: VerifierConfig) -> Verifier {
        Verifier { config }
    }

    /// The configuration.
    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// The keys trusted for `role`.
    pub fn keys(&self, role: Role) -> &[TrustedKey] {
        match role {
            Role::Publisher => &self.config.publishers,
            Role::Subscriber => &self.config.subscribers,
        }
    }

    /// Validates `token` for `role` and parses its grants.
    ///
    /// # Errors
    /// The first reason the token fails; see [`Rejection`]. Every reason maps to the same
    /// 401 `invalid_token` answer.
    pub fn verify(&self, role: Role, token: &str) -> Result<AccessToken, Rejection> {
        let legacy = self.config.legacy;
        if token.len() > self.config.limits.max_token_len {
            return Err(Rejection::TooLong);
        }
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| Rejection::Malformed(e.to_string()))?;
        check_header(&header, legacy)?;
        let alg = Algorithm::from_jwt(header.alg)
            .ok_or_else(|| Rejection::AlgorithmNotAllowed(format!("{:?}", header.alg)))?;

        // Mercure-08 §Token Validation TV-5: the keys of the token's issuer, and only those.
        let keys = self.keys(role);
        let peek: IssuerPeek = jsonwebtoken::dangerous::insecure_decode_claims(token)
            .map_err(|e| Rejection::Malformed(e.to_string()))?;
        let claimed = match peek.iss {
            Some(Value::String(iss)) => Some(iss),
            None | Some(Value::Null) => None,
            Some(_) if legacy => None,
            Some(_) => return Err(Rejection::BadClaim("iss".into())),
        };
        let trusted = |iss: &str| keys.iter().any(|k| k.issuer() == iss);
        let (issuer, issuer_checked) = match claimed {
            Some(iss) if trusted(&iss) => (iss, true),
            // Legacy: a missing or unknown iss falls back to the sole configured issuer.
            _ if legacy => (sole_issuer(keys)?, false),
            Some(iss) => return Err(Rejection::UnknownIssuer(iss)),
            None => return Err(Rejection::MissingIssuer),
        };
        let candidates: Vec<&TrustedKey> = keys
            .iter()
            .filter(|k| k.issuer() == issuer && k.allows(alg))
            .collect();
        if candidates.is_empty() {
            return Err(Rejection::AlgorithmNotAllowed(alg.name().into()));
        }

        let validation = self.validation(alg, &issuer, issuer_checked);
        let mut last = Rejection::BadSignature;
        for key in candidates {
            match jsonwebtoken::decode::<Map<String, Value>>(token, key.decoding_key(), &validation)
            {
                Ok(data) => return self.accept(issuer, data.claims),
                // Another key of the same issuer may verify it (key rotation).
                Err(e) if is_signature_error(e.kind()) => last = Rejection::BadSignature,
                Err(e) => return Err(rejection(e.kind())),
            }
        }
        Err(last)
    }

    /// jsonwebtoken's checks for one algorithm: signature, then `exp` (required unless
    /// legacy), `nbf`, `aud` (unless legacy) and `iss` (exact).
    fn validation(&self, alg: Algorithm, issuer: &str, issuer_checked: bool) -> Validation {
        let mut v = Validation::new(alg.to_jwt());
        v.leeway = LEEWAY_SECS;
        v.validate_exp = true;
        v.validate_nbf = true;
        if self.config.legacy {
            // Legacy: exp enforced when present but not required; aud not checked.
            v.required_spec_claims.clear();
            v.validate_aud = false;
        } else {
            v.set_required_spec_claims(&["exp", "iss", "aud"]);
            v.set_audience(&[self.config.resource.as_str()]);
        }
        if issuer_checked {
            v.set_issuer(&[issuer]);
        }
        v
    }

    fn accept(&self, issuer: String, claims: Map<String, Value>) -> Result<AccessToken, Rejection> {
        let (hub, limits) = (&self.config.hub_url, &self.config.limits);
        let (grants, legacy_claim) = match claims.get("authorization_details") {
            Some(details) => (
                parse_authorization_details(details, hub, limits).map_err(Rejection::Details)?,
                false,
            ),
            // Legacy: only when the token has no authorization_details at all; the namespaced
            // claim wins over the short one, as in the reference hub.
            None if self.config.legacy => {
                match claims
                    .get("https://mercure.rocks/")
                    .or_else(|| claims.get("mercure"))
                {
                    Some(claim) => (
                        parse_legacy_claim(claim, hub, limits).map_err(Rejection::Details)?,
                        true,
                    ),
                    None => (Grants::none(hub), false),
                }
            }
            // Mercure-08 §Authorization Details AD-5: a token without Mercure details grants
            // nothing.
            None => (Grants::none(hub), false),
        };
        Ok(AccessToken {
            issuer,
            subject: claims.get("sub").and_then(Value::as_str).map(str::to_owned),
            expires_at: claims
                .get("exp")
                .and_then(Value::as_f64)
                .map(|exp| exp as u64),
            grants,
            legacy_claim,
        })
    }
}

/// Mercure-08 §Token Validation TV-2 (`typ`), TV-4 (no key material from the token), and
/// RFC 7515 §4.1.11 `crit` (no extension is understood, so any is refused).
fn check_header(header: &Header, legacy: bool) -> Result<(), Rejection> {
    if header.jwk.is_some() || header.jku.is_some() || header.x5u.is_some() || header.x5c.is_some()
    {
        return Err(Rejection::EmbeddedKey);
    }
    if header.crit.is_some() {
        return Err(Rejection::CriticalHeader);
    }
    match header.typ.as_deref() {
        Some(typ) if is_at_jwt(typ) => Ok(()),
        // Legacy tokens predate RFC 9068 and carry `JWT` or nothing.
        _ if legacy => Ok(()),
        typ => Err(Rejection::WrongType(typ.map(str::to_owned))),
    }
}

/// Mercure-08 §Token Validation TV-2: `at+jwt`, with an optional `application/` prefix,
/// compared case-insensitively.
fn is_at_jwt(typ: &str) -> bool {
    let prefix = "application/";
    let bare = match typ.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &typ[prefix.len()..],
        _ => typ,
    };
    bare.eq_ignore_ascii_case("at+jwt")
}

fn sole_issuer(keys: &[TrustedKey]) -> Result<String, Rejection> {
    let first = keys.first().ok_or(Rejection::MissingIssuer)?.issuer();
    if keys.iter().all(|k| k.issuer() == first) {
        Ok(first.to_owned())
    } else {
        Err(Rejection::AmbiguousIssuer)
    }
}

fn is_signature_error(kind: &ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::InvalidSignature
            | ErrorKind::InvalidEcdsaKey
            | ErrorKind::InvalidEddsaKey
            | ErrorKind::InvalidRsaKey(_)
            | ErrorKind::InvalidKeyFormat
            | ErrorKind::Base64(_)
    )
}

fn rejection(kind: &ErrorKind) -> Rejection {
    match kind {
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "exp" => Rejection::MissingExpiry,
            "aud" => Rejection::WrongAudience,
            "iss" => Rejection::MissingIssuer,
            other => Rejection::BadClaim(other.to_owned()),
        },
        ErrorKind::InvalidClaimFormat(claim) => Rejection::BadClaim(claim.clone()),
        ErrorKind::ExpiredSignature => Rejection::Expired,
        ErrorKind::ImmatureSignature => Rejection::NotYetValid,
        ErrorKind::InvalidAudience => Rejection::WrongAudience,
        ErrorKind::InvalidIssuer => Rejection::UnknownIssuer(String::new()),
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
            Rejection::AlgorithmNotAllowed(String::new())
        }
        other => Rejection::Malformed(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typ_accepts_at_jwt_in_any_case_with_optional_application_prefix() {
        for typ in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/At+Jwt",
        ] {
            assert!(is_at_jwt(typ), "{typ}");
        }
        for typ in [
            "JWT",
            "jwt",
            "at+jwt ",
            "application/jwt",
            "x/at+jwt",
            "",
            "application/",
        ] {
            assert!(!is_at_jwt(typ), "{typ}");
        }
    }
}
