//! The subscriptions web API (Mercure-08 §Subscription API): every active subscription, those
//! of one matcher, or one, as JSON; authorized like a subscription to the request's path.

use super::routes::RequestBody;
use http::header::{HeaderValue, CONTENT_TYPE, LINK};
use http::{Request, Response};
use percent_encoding::percent_decode_str;

use crate::auth::{AuthError, Role};
use crate::matcher::MatchType;
use crate::topic::Topic;

use super::publish::query_pairs;
use super::routes::{auth_failure, full, text, HubBody};
use super::state::{lock, subscription_document, subscription_topic, State};

pub(crate) fn handle(state: &State, request: &Request<RequestBody>) -> Response<HubBody> {
    if !state.config.subscriptions {
        return text(404, "active subscriptions are turned off on this hub");
    }
    let query = query_pairs(request.uri().query());
    let presented = state.verifier.presented(request.headers(), &query);
    let token = match state.verifier.authenticate(Role::Subscriber, &presented) {
        Ok(Some(token)) => token,
        Ok(None) => return auth_failure(state, &AuthError::MissingToken),
        Err(e) => return auth_failure(state, &e),
    };
    // SA-3: the path, without the query, is the topic the token must grant `subscribe` on.
    let path = request.uri().path();
    if !token
        .grants
        .may_receive(&[Topic::new(path, state.config.hub_url())])
    {
        return auth_failure(state, &AuthError::InsufficientScope);
    }
    let hub_path = state.config.hub_url().path();
    let rest = path[hub_path.len() + "/subscriptions".len()..].trim_start_matches('/');
    let mut segments = Vec::new();
    for raw in rest.split('/').filter(|s| !s.is_empty()) {
        match percent_decode_str(raw).decode_utf8() {
            Ok(segment) => segments.push(segment.into_owned()),
            Err(_) => return text(400, "a path segment is not UTF-8 once decoded"),
        }
    }
    if let Some(match_type) = segments.first() {
        if MatchType::from_name(match_type).is_none() {
            return text(400, format!("unknown matcher type {match_type:?}"));
        }
    }
    if segments.len() > 3 {
        return text(404, "not found");
    }
    let registry = lock(&state.subscriptions);
    let mut documents = Vec::new();
    for (subscriber, filter) in registry.iter() {
        for subscription in &filter.active(subscriber) {
            let selected = match segments.as_slice() {
                [] => true,
                [t, m] => subscription.match_type == t && subscription.matcher == **m,
                [t, m, s] => {
                    subscription.match_type == t
                        && subscription.matcher == **m
                        && *subscription.subscriber == **s
                }
                _ => false,
            };
            if selected {
                let topic = subscription_topic(
                    hub_path,
                    subscription.match_type,
                    &subscription.matcher,
                    &subscription.subscriber,
                );
                documents.push(subscription_document(&topic, subscription, true));
            }
        }
    }
    drop(registry);
    let body = match segments.len() {
        3 => match documents.pop() {
            Some(document) => document,
            None => return text(404, "no such subscription"),
        },
        1 => return text(404, "not found: name a matcher after its type"),
        _ => serde_json::json!({
            "id": path,
            "type": "subscriptions",
            "subscriptions": documents,
        }),
    };
    let cursor = state
        .history
        .last_id()
        .ok()
        .flatten()
        .unwrap_or_else(|| crate::store::EARLIEST.to_owned());
    let mut response = Response::new(full(body.to_string()));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // SA-7: the cursor to subscribe from, on the `rel="mercure"` link.
    let link = format!(
        "<{}>; rel=\"mercure\"; last-event-id=\"{}\"; type=\"mercure\"; content-type=\"application/json\"",
        state.config.hub_url(),
        cursor.replace('"', "%22")
    );
    if let Ok(value) = HeaderValue::from_str(&link) {
        headers.append(LINK, value);
    }
    response
}
