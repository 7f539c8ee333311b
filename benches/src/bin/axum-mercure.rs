//! The comparison server for `ssewire-loadtest mercure --compare-bin`: what a Rust developer
//! writes by hand for topic-filtered Server-Sent Events with axum's `Sse` and one tokio
//! `broadcast` channel, with the same JWT authorization as ssewire-hub (HS256 via
//! jsonwebtoken, `authorization_details` subscribe topics for private updates).
//!
//! It takes the command line the driver gives `ssewire-hub` (`keygen`; `serve --listen …
//! --publisher-key FILE --issuer … --audience …`, other options ignored), prints
//! `listening on http://ADDR`, and serves:
//! - `GET /.well-known/mercure?match=T…` with `Authorization: Bearer` (required): every
//!   update whose topic equals one of the `match` values, private ones only when the token's
//!   subscribe topics hold that topic; a lagging subscriber's stream ends.
//! - `POST /.well-known/mercure` (form: `topic`, `data`, `private`) with a publisher token.
//! - `GET /metrics`: `ssewire_hub_subscribers`, `ssewire_hub_lag_disconnects_total`.
//!
//! Exact matching only (no URL patterns, history, reconnection or Last-Event-ID): the
//! hand-written baseline, not a hub.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use futures::stream::{self, Stream};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::broadcast;

struct Update {
    id: u64,
    topic: String,
    data: String,
    private: bool,
}

struct App {
    bus: broadcast::Sender<Arc<Update>>,
    key: DecodingKey,
    validation: Validation,
    next_id: AtomicU64,
    subscribers: AtomicUsize,
    lagged: AtomicU64,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    authorization_details: Vec<Detail>,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    topics: Vec<TopicGrant>,
}

#[derive(Deserialize)]
struct TopicGrant {
    #[serde(rename = "match")]
    pattern: String,
}

impl App {
    /// The token's topics for `action`, or `None` when it does not verify.
    fn grants(&self, headers: &HeaderMap, action: &str) -> Option<(HashSet<String>, bool)> {
        let token = headers
            .get("authorization")?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")?;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).ok()?;
        let mut topics = HashSet::new();
        let mut any = false;
        for detail in claims.claims.authorization_details {
            if detail.actions.iter().any(|a| a == action) {
                any = true;
                topics.extend(detail.topics.into_iter().map(|t| t.pattern));
            }
        }
        Some((topics, any))
    }
}

/// Decrements the subscriber count when the stream is dropped.
struct Counted(Arc<App>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.subscribers.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn subscribe(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, StatusCode> {
    let (allowed, _) = app
        .grants(&headers, "subscribe")
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let matches: Vec<String> = query
        .into_iter()
        .filter(|(k, _)| k == "match")
        .map(|(_, v)| v)
        .collect();
    let receiver = app.bus.subscribe();
    app.subscribers.fetch_add(1, Ordering::Relaxed);
    let counted = Counted(Arc::clone(&app));
    let state = (receiver, matches, allowed, counted);
    let events = stream::unfold(
        state,
        |(mut receiver, matches, allowed, counted)| async move {
            loop {
                match receiver.recv().await {
                    Ok(update) => {
                        let wanted = matches.iter().any(|m| *m == update.topic)
                            && (!update.private || allowed.contains(&update.topic));
                        if wanted {
                            let event = Event::default()
                                .id(update.id.to_string())
                                .data(update.data.as_str());
                            return Some((Ok(event), (receiver, matches, allowed, counted)));
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        counted.0.lagged.fetch_add(1, Ordering::Relaxed);
                        return None;
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

#[derive(Deserialize)]
struct Publish {
    topic: String,
    data: String,
    private: Option<String>,
}

async fn publish(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(form): Form<Publish>,
) -> impl IntoResponse {
    match app.grants(&headers, "publish") {
        Some((_, true)) => {}
        _ => return (StatusCode::UNAUTHORIZED, String::new()),
    }
    let id = app.next_id.fetch_add(1, Ordering::Relaxed);
    let _ = app.bus.send(Arc::new(Update {
        id,
        topic: form.topic,
        data: form.data,
        private: form.private.is_some(),
    }));
    (StatusCode::OK, id.to_string())
}

async fn metrics(State(app): State<Arc<App>>) -> String {
    format!(
        "ssewire_hub_subscribers {}\nssewire_hub_lag_disconnects_total {}\n",
        app.subscribers.load(Ordering::Relaxed),
        app.lagged.load(Ordering::Relaxed)
    )
}

fn option(args: &[String], name: &str) -> Option<String> {
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1).cloned()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("keygen") {
        // 32 bytes from the clock and the address space: a load-test key, not a secret.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        println!("{seed:064x}");
        return;
    }
    let listen = option(&args, "--listen").unwrap_or_else(|| "127.0.0.1:0".into());
    let key_file = option(&args, "--publisher-key").expect("--publisher-key");
    let secret = std::fs::read_to_string(&key_file).expect("the key file");
    let mut validation = Validation::new(Algorithm::HS256);
    if let Some(issuer) = option(&args, "--issuer") {
        validation.set_issuer(&[issuer]);
    }
    if let Some(audience) = option(&args, "--audience") {
        validation.set_audience(&[audience]);
    }
    let (bus, _) = broadcast::channel(1024);
    let app = Arc::new(App {
        bus,
        key: DecodingKey::from_secret(secret.trim_end_matches('\n').as_bytes())
            .expect("an HS256 key"),
        validation,
        next_id: AtomicU64::new(1),
        subscribers: AtomicUsize::new(0),
        lagged: AtomicU64::new(0),
    });
    let router = Router::new()
        .route("/.well-known/mercure", get(subscribe).post(publish))
        .route("/metrics", get(metrics))
        .with_state(app);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(&listen).await.expect("bind");
            println!("listening on http://{}", listener.local_addr().unwrap());
            axum::serve(listener, router).await.expect("serve");
        });
}
