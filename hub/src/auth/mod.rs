//! Authorization (Mercure-08 §Authorization): getting the access token from a request,
//! validating it, turning its authorization details into [`Grants`], answering failures with
//! the right status and `WWW-Authenticate` challenge, and minting tokens.
//!
//! The hub is an OAuth 2.0 protected resource; access tokens are RFC 9068 JWTs
//! (`typ: at+jwt`). All JWS work (parsing, signature, `exp`/`nbf`/`aud`/`iss` checks) is done
//! by `jsonwebtoken` with its pure-Rust backend; this module adds what the draft requires on
//! top (`typ`, the issuer-bound key choice, the refusal of embedded keys, the grants).
//!
//! # Flow
//!
//! ```text
//! presented_token(headers, query)   -> Presented::{None, Token, Malformed}
//! Verifier::verify(role, token)     -> AccessToken { issuer, subject, expires_at, grants } | Rejection
//! Grants::may_publish / may_receive / payload_for
//! AuthError::{status, www_authenticate}
//! ```
//! [`Verifier::authenticate`] does the first two steps and maps failures to [`AuthError`].
//!
//! # Where the token is taken from (precedence)
//!
//! Draft mode (Mercure-08 §Presenting the Access Token PAT-1..PAT-4):
//! 1. the `Authorization` header, if present at all. `Bearer` (any case), one space, then
//!    the token. More than one header, another scheme, or an empty token is
//!    [`Presented::Malformed`] (400 `invalid_request`), and the cookie is **not** tried;
//! 2. else the cookie named in the configuration (default
//!    `__Secure-mercure_access_token`); an empty value counts as absent;
//! 3. else no token.
//!
//! No query parameter ever carries a token in draft mode (`access_token` and
//! `authorization` are ignored; PAT-2, SEC-3).
//!
//! With `legacy` on, the reference hub's compatibility order:
//! 1. the `Authorization` header, as above;
//! 2. the `authorization` query parameter, when it appears exactly once with a non-empty
//!    value (otherwise it is ignored);
//! 3. the configured cookie;
//! 4. the `mercureAuthorization` cookie;
//! 5. no token.
//!
//! A cookie token on `POST` needs the CSRF `Origin`/`Referer` check (SEC-2), which belongs
//! to the publish handler: [`Source::is_cookie`] tells it when.
//!
//! # Validation
//!
//! In order, every failure giving 401 `invalid_token` with no reason disclosed (ERR-3,
//! TV-10; the [`Rejection`] is for logs): length cap; compact-JWS header; no `jwk`, `jku`,
//! `x5u`, `x5c` (TV-4) and no `crit`; `typ` `at+jwt` or `application/at+jwt`, any case
//! (TV-2); `alg` among the allowlist of the token issuer's keys — `none` is not even
//! representable (TV-3); keys of the token's `iss` only (TV-5, TV-8); then jsonwebtoken
//! checks the signature with one algorithm and a key of the matching type, `exp` (required),
//! `nbf`, `aud` containing the resource identifier (TV-7) and `iss` exactly (TV-6..TV-8),
//! with no leeway ([`LEEWAY_SECS`]); finally `authorization_details` into [`Grants`],
//! all-or-nothing, within [`Limits`] (AD-1..AD-7).
//!
//! # What `legacy` gives up
//!
//! `legacy` accepts pre-standard (Mercure 0.x) tokens and transports so deployed clients
//! keep working. It is off by default, and turning it on weakens the hub:
//! - **no audience binding**: `aud` is not checked, so a token minted for one hub is
//!   accepted by every hub that shares its key (§Security Considerations, Hub Trust);
//! - **no required expiry**: `exp` is enforced only when present, so a leaked token
//!   without one is valid forever;
//! - **no `typ` check**: any JWT signed with a trusted key is an access token, OpenID
//!   Connect ID tokens included;
//! - **issuer fallback**: a missing or unknown `iss` is taken as the sole configured
//!   issuer (refused when several are configured), so `iss` no longer binds anything;
//! - **tokens in URLs**: the `authorization` query parameter puts credentials where
//!   access logs, proxies, browser history and `Referer` headers keep them (SEC-3);
//! - **shared secrets**: legacy deployments sign with HS256, so every publisher able to
//!   mint a token can also forge one for any subject or topic; and the `mercure`
//!   claim's bare-string entries are URI templates, not the draft's matchers.
//!
//! The legacy `mercure` claim (or its namespaced form `https://mercure.rocks/`, which wins)
//! is read only when the token has no `authorization_details` at all.

mod challenge;
mod details;
mod keys;
mod mint;
mod request;
mod token;

pub use challenge::AuthError;
pub use details::{DetailError, Grants, Limits, SubscribeGrant, MERCURE_DETAIL_TYPE};
pub use keys::{Algorithm, KeyError, KeyMaterial, SigningKey, TrustedKey, MIN_SECRET_BYTES};
pub use mint::{MintError, TokenBuilder, DEFAULT_LIFETIME_SECS};
pub use request::{presented_token, Presented, Source, LEGACY_COOKIE_NAME, LEGACY_QUERY_PARAM};
pub use token::{
    AccessToken, Rejection, Role, Verifier, VerifierConfig, DEFAULT_COOKIE_NAME, LEEWAY_SECS,
};

use http::HeaderMap;

impl Verifier {
    /// The token this request presents, with this hub's cookie name and `legacy` setting.
    pub fn presented<K: AsRef<str>, V: AsRef<str>>(
        &self,
        headers: &HeaderMap,
        query: &[(K, V)],
    ) -> Presented {
        let config = self.config();
        presented_token(headers, query, &config.cookie_name, config.legacy)
    }

    /// Validates what a request presents for `role`: `Ok(None)` for an anonymous request
    /// (the caller decides whether anonymity is allowed, and answers
    /// [`AuthError::MissingToken`] if not), `Ok(Some(token))` for a valid token. A presented
    /// but invalid token is always an error, even where anonymous access is allowed (notes
    /// §B item 14: no fallback to anonymous).
    ///
    /// # Errors
    /// [`AuthError::InvalidRequest`] for a malformed `Authorization` header,
    /// [`AuthError::InvalidToken`] for a token that fails validation.
    pub fn authenticate(
        &self,
        role: Role,
        presented: &Presented,
    ) -> Result<Option<AccessToken>, AuthError> {
        match presented {
            Presented::None => Ok(None),
            Presented::Malformed => Err(AuthError::InvalidRequest),
            Presented::Token { token, .. } => self
                .verify(role, token)
                .map(Some)
                .map_err(AuthError::InvalidToken),
        }
    }
}
