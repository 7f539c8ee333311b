//! Token failures as HTTP answers: statuses and `WWW-Authenticate: Bearer` challenges
//! (Mercure-08 §Error Responses ERR-1..ERR-5, RFC 6750 §3).

use std::fmt;

use http::StatusCode;

use super::token::Rejection;

/// A token problem, as the client will be told. The reason of an invalid token is kept for
/// logs, but the answer is the same for every reason (ERR-3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// A token is needed and none was presented: 401 with a bare challenge (ERR-2).
    MissingToken,
    /// The token was presented wrongly (a malformed `Authorization` header): 400
    /// `invalid_request` (ERR-5).
    InvalidRequest,
    /// The token failed validation: 401 `invalid_token` (ERR-3).
    InvalidToken(Rejection),
    /// The token is valid but does not allow this: 403 `insufficient_scope` (ERR-4).
    InsufficientScope,
}

impl AuthError {
    /// The HTTP status: 401, 400, 401 or 403.
    pub fn status(&self) -> StatusCode {
        match self {
            AuthError::MissingToken | AuthError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            AuthError::InvalidRequest => StatusCode::BAD_REQUEST,
            AuthError::InsufficientScope => StatusCode::FORBIDDEN,
        }
    }

    /// The RFC 6750 error code, none for a missing token (ERR-2).
    pub fn error_code(&self) -> Option<&'static str> {
        match self {
            AuthError::MissingToken => None,
            AuthError::InvalidRequest => Some("invalid_request"),
            AuthError::InvalidToken(_) => Some("invalid_token"),
            AuthError::InsufficientScope => Some("insufficient_scope"),
        }
    }

    /// The `WWW-Authenticate` value, with `resource_metadata` naming the RFC 9728 document
    /// when its URL is known (ERR-1, PRM-4). It never says why a token was invalid.
    ///
    /// ```
    /// use ssewire_hub::auth::AuthError;
    /// let meta = "https://hub.example/.well-known/oauth-protected-resource/.well-known/mercure";
    /// assert_eq!(
    ///     AuthError::MissingToken.www_authenticate(Some(meta)),
    ///     format!("Bearer resource_metadata=\"{meta}\""),
    /// );
    /// assert_eq!(
    ///     AuthError::InsufficientScope.www_authenticate(None),
    ///     "Bearer error=\"insufficient_scope\"",
    /// );
    /// ```
    pub fn www_authenticate(&self, resource_metadata_url: Option<&str>) -> String {
        let mut params = Vec::with_capacity(2);
        if let Some(code) = self.error_code() {
            params.push(format!("error=\"{code}\""));
        }
        if let Some(url) = resource_metadata_url {
            params.push(format!("resource_metadata=\"{}\"", quote(url)));
        }
        if params.is_empty() {
            "Bearer".to_owned()
        } else {
            format!("Bearer {}", params.join(", "))
        }
    }
}

/// The inside of an HTTP quoted-string: `"` and `\` escaped (RFC 9110 §5.6.4).
fn quote(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::MissingToken => f.write_str("no access token"),
            AuthError::InvalidRequest => f.write_str("malformed Authorization header"),
            AuthError::InvalidToken(why) => write!(f, "invalid access token: {why}"),
            AuthError::InsufficientScope => f.write_str("access token does not grant this"),
        }
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuthError::InvalidToken(why) => Some(why),
            _ => None,
        }
    }
}

impl From<Rejection> for AuthError {
    fn from(why: Rejection) -> Self {
        AuthError::InvalidToken(why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str =
        "https://hub.example/.well-known/oauth-protected-resource/.well-known/mercure";

    #[test]
    fn every_variant_maps_to_its_status_and_challenge() {
        let table: [(AuthError, u16, &str, &str); 5] = [
            (
                AuthError::MissingToken,
                401,
                "Bearer",
                "Bearer resource_metadata=\"https://hub.example/.well-known/oauth-protected-resource/.well-known/mercure\"",
            ),
            (
                AuthError::InvalidRequest,
                400,
                "Bearer error=\"invalid_request\"",
                "Bearer error=\"invalid_request\", resource_metadata=\"https://hub.example/.well-known/oauth-protected-resource/.well-known/mercure\"",
            ),
            (
                AuthError::InvalidToken(Rejection::Expired),
                401,
                "Bearer error=\"invalid_token\"",
                "Bearer error=\"invalid_token\", resource_metadata=\"https://hub.example/.well-known/oauth-protected-resource/.well-known/mercure\"",
            ),
            (
                AuthError::InvalidToken(Rejection::BadSignature),
                401,
                "Bearer error=\"invalid_token\"",
                "Bearer error=\"invalid_token\", resource_metadata=\"https://hub.example/.well-known/oauth-protected-resource/.well-known/mercure\"",
            ),
            (
                AuthError::InsufficientScope,
                403,
                "Bearer error=\"insufficient_scope\"",
                "Bearer error=\"insufficient_scope\", resource_metadata=\"https://hub.example/.well-known/oauth-protected-resource/.well-known/mercure\"",
            ),
        ];
        for (error, status, bare, with_meta) in table {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
            assert_eq!(error.www_authenticate(None), bare, "{error:?}");
            assert_eq!(error.www_authenticate(Some(META)), with_meta, "{error:?}");
        }
    }

    #[test]
    fn quotes_in_the_url_are_escaped() {
        assert_eq!(
            AuthError::MissingToken.www_authenticate(Some("https://h/\"x\\")),
            "Bearer resource_metadata=\"https://h/\\\"x\\\\\""
        );
    }
}
