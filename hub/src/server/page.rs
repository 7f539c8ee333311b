//! The browser page (plain `EventSource`, no build step) and, with `--demo`, its session
//! endpoint and the dashboard's periodic public update.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::routes::RequestBody;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use http::{Request, Response};
use http_body_util::{BodyExt, Limited};

use crate::auth::{SigningKey, TokenBuilder};
use crate::matcher::MatchType;
use crate::topic::Topic;
use crate::update::Update;

use super::routes::{full, text, HubBody};
use super::state::State;

/// Where the page posts `user=NAME` to get a session (demo only).
pub(crate) const SESSION_PATH: &str = "/demo/session";

/// The topic of the dashboard's periodic public update.
pub const DASHBOARD_TOPIC: &str = "https://example.com/dashboard";

/// A user's private notifications topic in the demo.
pub fn notifications_topic(user: &str) -> String {
    format!("https://example.com/users/{user}/notifications")
}

const FILES: [(&str, &str, &str); 3] = [
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("../page/index.html"),
    ),
    (
        "/page/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../page/app.js"),
    ),
    (
        "/page/style.css",
        "text/css; charset=utf-8",
        include_str!("../page/style.css"),
    ),
];

pub(crate) fn serves(path: &str) -> bool {
    FILES.iter().any(|(p, _, _)| *p == path)
}

pub(crate) fn handle(_state: &State, path: &str) -> Response<HubBody> {
    let Some((_, content_type, body)) = FILES.iter().find(|(p, _, _)| *p == path) else {
        return text(404, "not found");
    };
    let mut response = Response::new(full(*body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `POST /demo/session` with `user=NAME`: a cookie holding a subscriber token that may read
/// only that user's notifications, and (in the JSON answer) a publisher token for the page's
/// publish form. Development only: it signs with the hub's own HS256 secret.
pub(crate) async fn session(state: &State, request: Request<RequestBody>) -> Response<HubBody> {
    let Some(demo) = &state.config.demo else {
        return text(404, "not found");
    };
    let body = match Limited::new(request.into_body(), 1024).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return text(413, "a session form is at most 1024 bytes"),
    };
    let user = crate::form::parse(&body)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(n, _)| n == "user").map(|(_, v)| v))
        .unwrap_or_default();
    let valid = !user.is_empty()
        && user.len() <= 32
        && user
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return text(400, "user must be 1 to 32 characters of a-z, 0-9 and -");
    }
    let Ok(key) = SigningKey::from_secret(&demo.secret) else {
        return text(500, "the demo secret cannot sign");
    };
    let audience = state.config.verifier.resource.clone();
    let subscriber = TokenBuilder::new(&demo.issuer, &audience)
        .subject(&user)
        .subscribe(notifications_topic(&user), MatchType::Exact)
        .expires_in(3600)
        .sign(&key);
    let publisher = TokenBuilder::new(&demo.issuer, &audience)
        .subject(format!("{user}-publisher"))
        .publish("*", MatchType::Exact)
        .expires_in(3600)
        .sign(&key);
    let (Ok(subscriber), Ok(publisher)) = (subscriber, publisher) else {
        return text(500, "the demo could not sign its tokens");
    };
    let secure = if state.config.hub_url().scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={subscriber}; Path={}; HttpOnly; SameSite=Strict{secure}",
        state.config.verifier.cookie_name,
        state.config.hub_url().path()
    );
    let document = serde_json::json!({
        "user": user,
        "notifications": notifications_topic(&user),
        "publisher_token": publisher,
    });
    let mut response = Response::new(full(document.to_string()));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

/// With `--demo`: a public update on [`DASHBOARD_TOPIC`] every `every`, with the hub's
/// live figures, until the hub drains.
pub(crate) async fn dashboard(state: Arc<State>, every: Duration) {
    let mut draining = state.draining.clone();
    let mut ticks = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = draining.changed() => return,
        }
        let data = serde_json::json!({
            "subscribers": state.metrics.subscribers.load(Ordering::Relaxed),
            "published": state.metrics.published.load(Ordering::Relaxed),
            "delivered": state.metrics.delivered.load(Ordering::Relaxed),
        });
        let update = Update {
            topics: vec![Topic::new(DASHBOARD_TOPIC, state.config.hub_url())],
            data: data.to_string(),
            private: false,
            id: String::new(),
            event_type: Some("dashboard".into()),
            retry: None,
        };
        if let Err(e) = state.dispatch(update).await {
            tracing::warn!("dashboard update not stored: {e}");
        }
    }
}
