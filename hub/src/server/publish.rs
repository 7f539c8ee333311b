//! `POST` on the hub URL (Mercure-08 §Publication): authenticate, read the form within its
//! limits, check it, check the grants, store, fan out, answer with the id.
//!
//! The order decides which answer a bad request gets: no or bad token (401/400) first, then
//! the body's limits (413) and content (400) whatever the token grants (PUB-5, PUB-6), then
//! the grants (403, §Publishers PB-1).

use super::routes::RequestBody;
use http::header::{HeaderValue, CONTENT_TYPE, ORIGIN, REFERER};
use http::{Request, Response};
use http_body_util::{BodyExt, Limited};

use crate::auth::{AuthError, Presented, Role};
use crate::publish::{self, PublishError};

use super::routes::{auth_failure, full, text, HubBody};
use super::state::{DispatchError, State};

pub(crate) async fn handle(state: &State, request: Request<RequestBody>) -> Response<HubBody> {
    let (parts, body) = request.into_parts();
    let query = query_pairs(parts.uri.query());
    let presented = state.verifier.presented(&parts.headers, &query);
    let token = match state.verifier.authenticate(Role::Publisher, &presented) {
        Ok(Some(token)) => token,
        Ok(None) => return auth_failure(state, &AuthError::MissingToken),
        Err(e) => return auth_failure(state, &e),
    };
    // A cookie rides along with any request the browser makes: a publish authorized by one
    // must come from an allowed origin (Mercure-08 §Security Considerations SEC-2).
    if let Presented::Token { source, .. } = &presented {
        if source.is_cookie() && !allowed_origin(state, &parts.headers) {
            return auth_failure(state, &AuthError::InvalidRequest);
        }
    }
    let limits = &state.config.limits;
    let read = Limited::new(body, limits.max_body_bytes).collect();
    let body = match tokio::time::timeout(limits.body_read_timeout, read).await {
        Err(_) => return text(408, "the request body did not arrive in time"),
        Ok(Err(_)) => {
            let too_large = PublishError::BodyTooLarge {
                max: limits.max_body_bytes,
            };
            return text(too_large.status(), too_large.to_string());
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let publication = match publish::parse(&body, state.config.hub_url(), limits) {
        Ok(publication) => publication,
        Err(e) => return text(e.status(), e.to_string()),
    };
    let update = publication.update;
    if !token.grants.may_publish(&update.topics) {
        return auth_failure(state, &AuthError::InsufficientScope);
    }
    match state.dispatch(update).await {
        Ok(id) => {
            let mut response = Response::new(full(id));
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            response
        }
        Err(DispatchError::TooLarge) => text(413, "the update is larger than the history holds"),
        Err(e) => {
            tracing::error!("publish not stored: {e}");
            text(503, "the update could not be stored; it was not published")
        }
    }
}

/// The request's `Origin` (else the origin of its `Referer`) is one the hub allows.
fn allowed_origin(state: &State, headers: &http::HeaderMap) -> bool {
    let origin = match headers.get(ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => origin.to_owned(),
        None => match headers
            .get(REFERER)
            .and_then(|v| v.to_str().ok())
            .and_then(|r| url::Url::parse(r).ok())
        {
            Some(referer) => referer.origin().ascii_serialization(),
            None => return false,
        },
    };
    state.config.cors_origins.contains(&origin)
}

/// The query's name/value pairs, decoded (lossily: only token lookup reads them here).
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
