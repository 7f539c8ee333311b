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
//! Verifier::verify(role, token)     -> AccessToken { issuer, subject, expires_at, grants } | Rejection
//! Grants::may_publish / may_receive / payload_for
//! AuthError::{status, www_authenticate}
//! ```
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
mod token;

pub use challenge::AuthError;
pub use details::{DetailError, Grants, Limits, SubscribeGrant, MERCURE_DETAIL_TYPE};
pub use keys::{Algorithm, KeyError, KeyMaterial, SigningKey, TrustedKey, MIN_SECRET_BYTES};
pub use mint::{MintError, TokenBuilder, DEFAULT_LIFETIME_SECS};
pub use token::{
    AccessToken, Rejection, Role, Verifier, VerifierConfig, DEFAULT_COOKIE_NAME, LEEWAY_SECS,
};
