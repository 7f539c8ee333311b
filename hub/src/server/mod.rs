//! The HTTP server: the accept loop with its limits and timeouts, and the drain.
//!
//! One file per concern: `connection` (the first request head, event streams written on the
//! socket, hyper for the rest), `routes` (which handler, shared responses, CORS, discovery),
//! `publish` and `subscribe` (the two halves of the protocol), `subscriptions` (the web
//! API), `page` (the browser page and demo), `state` (what requests share, and dispatch),
//! `metrics`.

mod cluster;
mod connection;
mod fanout;
mod metrics;
mod page;
mod publish;
mod routes;
mod state;
mod subscribe;
mod subscriptions;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::auth::Verifier;
use crate::config::{HistoryChoice, HubConfig};
use crate::store::{History, MemoryHistory, RedbHistory, RedisHistory, StoreError};

pub use page::{notifications_topic, DASHBOARD_TOPIC};
use state::State;

/// Why a hub could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The history could not be opened.
    History(StoreError),
    /// The configuration is inconsistent.
    Config(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::History(e) => write!(f, "cannot open the history: {e}"),
            StartError::Config(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::History(e) => Some(e),
            StartError::Config(_) => None,
        }
    }
}

/// A configured hub, ready to serve.
pub struct Hub {
    state: Arc<State>,
    drain: watch::Sender<bool>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("hub_url", &self.state.config.hub_url().as_str())
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// Opens the history and checks the configuration.
    ///
    /// # Errors
    /// [`StartError`]: the history file cannot be opened, or the configuration contradicts
    /// itself (a CORS origin `*`).
    pub fn new(config: HubConfig) -> Result<Hub, StartError> {
        if config.cors_origins.iter().any(|o| o == "*") {
            return Err(StartError::Config(
                "a CORS origin of * cannot go with cookies: list the origins".into(),
            ));
        }
        let shared_log = match &config.transport {
            Some(transport) => Some(Arc::new(
                RedisHistory::open(
                    &transport.url,
                    &transport.prefix,
                    config.history_limits,
                    transport.timeout,
                )
                .map_err(StartError::History)?,
            )),
            None => None,
        };
        let history: Arc<dyn History> = match (&shared_log, &config.history) {
            (Some(log), _) => log.clone(),
            (None, HistoryChoice::Memory) => Arc::new(MemoryHistory::new(config.history_limits)),
            (None, HistoryChoice::File(path)) => Arc::new(
                RedbHistory::open(path, config.history_limits).map_err(StartError::History)?,
            ),
        };
        let (drain, draining) = watch::channel(false);
        let verifier = Verifier::new(config.verifier.clone());
        let state = Arc::new(State {
            config,
            verifier,
            history,
            fanout: fanout::Fanout::default(),
            publish_order: tokio::sync::Mutex::new(()),
            metrics: metrics::Metrics::default(),
            streams_per_token: Mutex::new(HashMap::new()),
            shared_log,
            subscriptions: Mutex::new(HashMap::new()),
            draining,
        });
        Ok(Hub { state, drain })
    }

    /// The configuration.
    pub fn config(&self) -> &HubConfig {
        &self.state.config
    }

    /// Serves `listener` until `shutdown` completes, then drains: stops accepting, ends every
    /// event stream (clients resume elsewhere with `Last-Event-ID`), lets requests in flight
    /// finish, and returns within `limits.drain_deadline` whatever the clients do.
    ///
    /// Limits applied to every connection: at most `limits.max_connections` open (one more
    /// is answered 503 and closed), the request head within `limits.header_read_timeout`,
    /// and every write within `limits.write_timeout`. Accept errors (out of file
    /// descriptors, most often) are logged and retried with back-off, never fatal.
    ///
    /// # Errors
    /// None today: the loop survives accept errors.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        let state = self.state.clone();
        let limits = state.config.limits.clone();
        let permits = Arc::new(Semaphore::new(limits.max_connections));
        let graceful = GracefulShutdown::new();
        let mut background = Vec::new();
        background.push(tokio::spawn(trim_periodically(state.clone())));
        if state.config.demo.is_some() {
            background.push(tokio::spawn(page::dashboard(
                state.clone(),
                Duration::from_secs(2),
            )));
        }
        let reader = state
            .shared_log
            .clone()
            .map(|log| cluster::Reader::start(state.clone(), log));
        tokio::pin!(shutdown);
        let mut backoff = Duration::from_millis(10);
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = &mut shutdown => break,
            };
            let (tcp, _) = match accepted {
                Ok(accepted) => {
                    backoff = Duration::from_millis(10);
                    accepted
                }
                Err(e) => {
                    tracing::warn!("accept failed ({e}); retrying in {backoff:?}");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            };
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                state
                    .metrics
                    .refused_connections
                    .fetch_add(1, Ordering::Relaxed);
                tokio::spawn(refuse(tcp));
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let watcher = graceful.watcher();
            let connection_state = state.clone();
            state.metrics.connections.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                connection::serve(connection_state.clone(), tcp, watcher).await;
                connection_state
                    .metrics
                    .connections
                    .fetch_sub(1, Ordering::Relaxed);
                drop(permit);
            });
        }
        drop(listener);
        tracing::info!("draining: no new connections, closing event streams");
        let _ = self.drain.send(true);
        state.fanout.close();
        // Hyper's connections finish their requests; event streams answered by the hub's own
        // connection code end with the fan-out, and every connection holds a permit until it
        // closes, so having them all back means every connection is done.
        let all_closed = async {
            graceful.shutdown().await;
            let every = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
            let _ = permits.acquire_many(every).await;
        };
        if tokio::time::timeout(limits.drain_deadline, all_closed)
            .await
            .is_err()
        {
            tracing::warn!(
                "connections still open after the {:?} drain deadline: closing them",
                limits.drain_deadline
            );
        }
        for task in background {
            task.abort();
        }
        if let Some(reader) = reader {
            let _ = tokio::task::spawn_blocking(move || reader.stop()).await;
        }
        Ok(())
    }
}

/// A connection over the limit gets a short 503 and is closed.
async fn refuse(mut tcp: tokio::net::TcpStream) {
    let body = "too many connections; try again later\n";
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), tcp.write_all(response.as_bytes())).await;
}

/// Trims the history by age while nothing is published (appends trim as they go).
async fn trim_periodically(state: Arc<State>) {
    let mut ticks = tokio::time::interval(Duration::from_secs(60));
    loop {
        ticks.tick().await;
        let history = state.history.clone();
        let _ = tokio::task::spawn_blocking(move || history.trim(SystemTime::now())).await;
    }
}
