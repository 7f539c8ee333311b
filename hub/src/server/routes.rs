//! Which handler answers which request, and the small responses every handler shares: plain
//! text refusals, the `WWW-Authenticate` challenges, CORS and the discovery `Link`.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CONTENT_TYPE, LINK, ORIGIN};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};

use crate::auth::AuthError;

use super::state::State;
use super::{page, publish, subscribe, subscriptions};

/// Every request body, whoever read the head: hyper's, or an empty one for a request the
/// hub's own connection code answers (`connection.rs`).
pub(crate) type RequestBody = UnsyncBoxBody<Bytes, hyper::Error>;

/// Every response body: a complete one, or an event stream.
pub(crate) type HubBody = UnsyncBoxBody<Bytes, std::convert::Infallible>;

/// A complete body.
pub(crate) fn full(bytes: impl Into<Bytes>) -> HubBody {
    Full::new(bytes.into()).boxed_unsync()
}

/// `status` with a one-line `text/plain` reason.
pub(crate) fn text(status: u16, reason: impl Into<String>) -> Response<HubBody> {
    let mut body = reason.into();
    body.push('\n');
    let mut response = Response::new(full(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The answer to an authorization failure: its status, its challenge (naming the metadata
/// document, Mercure-08 §Error Responses ERR-1) and a one-line reason that discloses
/// nothing about why a token was refused.
pub(crate) fn auth_failure(state: &State, error: &AuthError) -> Response<HubBody> {
    if let AuthError::InvalidToken(why) = error {
        tracing::info!("token refused: {why}");
    }
    let reason = match error {
        AuthError::MissingToken => "an access token is required",
        AuthError::InvalidRequest => "the access token is not presented correctly",
        AuthError::InvalidToken(_) => "the access token is not valid",
        AuthError::InsufficientScope => "the access token does not allow this",
    };
    let mut response = text(error.status().as_u16(), reason);
    let challenge = error.www_authenticate(Some(&state.config.metadata_url()));
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(http::header::WWW_AUTHENTICATE, value);
    }
    response
}

/// 405 with the methods the path allows.
fn method_not_allowed(allow: &'static str) -> Response<HubBody> {
    let mut response = text(405, format!("method not allowed here; allowed: {allow}"));
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

/// Answers one request.
pub(crate) async fn route(state: Arc<State>, request: Request<RequestBody>) -> Response<HubBody> {
    let path = request.uri().path().to_owned();
    let origin = request.headers().get(ORIGIN).cloned();
    let hub_path = state.config.hub_url().path().to_owned();
    let subscriptions_path = format!("{hub_path}/subscriptions");
    let metadata_path = format!("/.well-known/oauth-protected-resource{hub_path}");
    let method = request.method().clone();
    let query = Method::from_bytes(b"QUERY").ok();
    let mut response = if method == Method::OPTIONS {
        preflight()
    } else if path == hub_path {
        match method {
            Method::GET | Method::HEAD => subscribe::handle(&state, request).await,
            Method::POST => publish::handle(&state, request).await,
            m if Some(&m) == query.as_ref() => subscribe::handle(&state, request).await,
            _ => method_not_allowed("GET, HEAD, POST, QUERY, OPTIONS"),
        }
    } else if path == subscriptions_path || path.starts_with(&format!("{subscriptions_path}/")) {
        match method {
            Method::GET => subscriptions::handle(&state, &request),
            _ => method_not_allowed("GET, OPTIONS"),
        }
    } else if path == metadata_path {
        match method {
            Method::GET => metadata(&state),
            _ => method_not_allowed("GET, OPTIONS"),
        }
    } else {
        match (method, path.as_str()) {
            (Method::GET, "/healthz") => text(200, "ok"),
            (Method::GET, "/metrics") => {
                let mut response = Response::new(full(state.metrics.render()));
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                );
                response
            }
            (Method::GET, _) if page::serves(&path) => page::handle(&state, &path),
            (Method::POST, page::SESSION_PATH) if state.config.demo.is_some() => {
                page::session(&state, request).await
            }
            (_, "/healthz" | "/metrics") => method_not_allowed("GET"),
            _ => text(404, "not found"),
        }
    };
    decorate(&state, origin.as_ref(), response.headers_mut());
    response
}

/// Headers on every response: the discovery link (Mercure-08 §Discovery) and, for an
/// allowed origin, CORS with credentials (§Subscription SUB-14: an explicit allowlist,
/// never `*`, never an echo of any origin).
fn decorate(state: &State, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
    let link = format!("<{}>; rel=\"mercure\"", state.config.hub_url());
    if let Ok(value) = HeaderValue::from_str(&link) {
        headers.append(LINK, value);
    }
    let Some(origin) = origin else { return };
    let allowed = origin
        .to_str()
        .is_ok_and(|o| state.config.cors_origins.iter().any(|a| a == o));
    if !allowed {
        return;
    }
    headers.insert("access-control-allow-origin", origin.clone());
    headers.insert(
        "access-control-allow-credentials",
        HeaderValue::from_static("true"),
    );
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("Link, Mercure-Last-Event-ID"),
    );
    headers.append("vary", HeaderValue::from_static("Origin"));
}

fn preflight() -> Response<HubBody> {
    let mut response = Response::new(full(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("GET, HEAD, POST, QUERY, OPTIONS"),
    );
    headers.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("authorization, cache-control, last-event-id, content-type"),
    );
    headers.insert("access-control-max-age", HeaderValue::from_static("600"));
    response
}

/// The RFC 9728 protected resource metadata (Mercure-08 §Protected Resource Metadata).
fn metadata(state: &State) -> Response<HubBody> {
    let mut document = serde_json::json!({
        "resource": state.config.verifier.resource,
        "bearer_methods_supported": ["header"],
        "authorization_details_types_supported": [crate::auth::MERCURE_DETAIL_TYPE],
        "mercure_cookie": state.config.verifier.cookie_name,
    });
    if state.config.subscriptions {
        document["mercure_subscriptions"] = serde_json::Value::Bool(true);
    }
    let mut response = Response::new(full(document.to_string()));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
