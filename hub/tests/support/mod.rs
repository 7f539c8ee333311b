//! A hub in process on 127.0.0.1:0 with an HS256 development key, and small HTTP helpers:
//! publish, subscribe (with the response's headers and its events), raw requests.
#![allow(dead_code)] // each test file uses part of it

pub mod redis;

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use ssewire_http::{Event, EventStream};
use ssewire_hub::auth::{KeyMaterial, SigningKey, TokenBuilder, TrustedKey, VerifierConfig};
use ssewire_hub::config::{HubConfig, HUB_PATH};
use ssewire_hub::matcher::MatchType;
use ssewire_hub::server::Hub;
use tokio::sync::oneshot;

pub const SECRET: &[u8] = b"a development secret of at least thirty-two bytes";
pub const ISSUER: &str = "https://issuer.example";

/// A running hub; dropping it stops it.
pub struct TestHub {
    pub addr: std::net::SocketAddr,
    pub hub_url: String,
    stop: Option<oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestHub {
    /// A hub with keys for both roles, anonymous subscribers allowed, history in memory,
    /// `tweak` applied to the configuration last.
    pub async fn start(tweak: impl FnOnce(&mut HubConfig)) -> TestHub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hub_url = format!("http://{addr}{HUB_PATH}");
        let mut verifier = VerifierConfig::new(hub_url.clone(), url::Url::parse(&hub_url).unwrap());
        for keys in [&mut verifier.publishers, &mut verifier.subscribers] {
            keys.push(
                TrustedKey::from_names(ISSUER, KeyMaterial::Secret(SECRET.to_vec()), &["HS256"])
                    .unwrap(),
            );
        }
        let mut config = HubConfig::new(verifier);
        config.anonymous = true;
        tweak(&mut config);
        let hub = Hub::new(config).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(hub.serve(listener, async move {
            let _ = stopped.await;
        }));
        TestHub {
            addr,
            hub_url,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Starts the drain and waits for `serve` to return.
    pub async fn stop(mut self) -> std::io::Result<()> {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap()
    }

    /// A token granting `publish` on `topics` (exact, `*` for all).
    pub fn publisher(&self, topics: &[&str]) -> String {
        let mut builder = TokenBuilder::new(ISSUER, &self.hub_url).subject("publisher");
        for topic in topics {
            builder = builder.publish(*topic, MatchType::Exact);
        }
        builder
            .sign(&SigningKey::from_secret(SECRET).unwrap())
            .unwrap()
    }

    /// A token for `subject` granting `subscribe` on `topics`.
    pub fn subscriber(&self, subject: &str, topics: &[&str]) -> String {
        let mut builder = TokenBuilder::new(ISSUER, &self.hub_url).subject(subject);
        for topic in topics {
            builder = builder.subscribe(*topic, MatchType::Exact);
        }
        builder
            .sign(&SigningKey::from_secret(SECRET).unwrap())
            .unwrap()
    }

    /// Sends one request on a new connection; returns the status, headers and body.
    pub async fn request(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (StatusCode, HeaderMap, String) {
        let response = self.send(method, path_and_query, headers, body).await;
        let (parts, body) = response.into_parts();
        let bytes = tokio::time::timeout(Duration::from_secs(10), body.collect())
            .await
            .expect("body within 10 s")
            .unwrap()
            .to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> http::Response<hyper::body::Incoming> {
        let tcp = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .unwrap();
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path_and_query)
            .header("host", self.addr.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if method == "POST" {
            request = request.header("content-type", "application/x-www-form-urlencoded");
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_owned())))
            .unwrap();
        tokio::time::timeout(Duration::from_secs(10), sender.send_request(request))
            .await
            .expect("response within 10 s")
            .unwrap()
    }

    /// Publishes `form` with `token`; returns the status and body (the id on success).
    pub async fn publish(&self, token: &str, form: &str) -> (StatusCode, String) {
        let auth = format!("Bearer {token}");
        let (status, _, body) = self
            .request("POST", HUB_PATH, &[("authorization", &auth)], form)
            .await;
        (status, body.trim_end().to_owned())
    }

    /// Opens an event stream; returns its status, headers and events.
    pub async fn subscribe(&self, query: &str, headers: &[(&str, &str)]) -> Subscription {
        let response = self
            .send("GET", &format!("{HUB_PATH}?{query}"), headers, "")
            .await;
        let (parts, body) = response.into_parts();
        let events = EventStream::from_body(body).boxed();
        Subscription {
            status: parts.status,
            headers: parts.headers,
            events,
        }
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// An open event stream.
pub struct Subscription {
    pub status: StatusCode,
    pub headers: HeaderMap,
    events: futures_util::stream::BoxStream<
        'static,
        Result<Event, ssewire_http::StreamError<hyper::Error>>,
    >,
}

impl Subscription {
    /// The next event, within `wait`; `None` when none came or the stream ended.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Event> {
        match tokio::time::timeout(wait, self.events.next()).await {
            Ok(Some(Ok(event))) => Some(event),
            _ => None,
        }
    }

    /// The next event, which must come within 5 s.
    pub async fn next(&mut self) -> Event {
        self.next_within(Duration::from_secs(5))
            .await
            .expect("an event within 5 s")
    }

    /// Whether the stream ended (rather than waiting), within `wait`.
    pub async fn ended_within(&mut self, wait: Duration) -> bool {
        loop {
            match tokio::time::timeout(wait, self.events.next()).await {
                Ok(None) | Ok(Some(Err(_))) => return true,
                Ok(Some(Ok(_))) => continue,
                Err(_) => return false,
            }
        }
    }
}

/// Publishes and waits until subscribers had a moment to join: streams register when their
/// response headers are sent, so a short pause after subscribing keeps tests deterministic.
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(100)).await;
}
