//! `sse-conformance serve`: a client-conformance server, as Autobahn|Testsuite is for WebSocket
//! clients. It serves every corpus case over HTTP with controlled segmentation, and scenario
//! endpoints modelled on web-platform-tests' `eventsource/` tests. It records what each client
//! did and gives a verdict per case and per scenario. `docs/client-conformance.md` is the
//! protocol a client follows.
//!
//! One file per concern: [`segmentation`] (how bytes are cut into writes), [`plan`] (what a
//! client runs and reports), `reply` (scripted responses and the body that plays them),
//! `scenarios`, `judge` (verdicts), [`results`] (the verdicts as data and their renderings),
//! `router` (the accept loop, the routes, the forward proxy and the untrusted TLS endpoint),
//! `tls` (certificates made at start) and `ours` (this project's client run in process).

mod judge;
mod ours;
pub mod plan;
mod reply;
pub mod results;
mod router;
mod scenarios;
pub mod segmentation;
mod tls;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ssewire_conformance::Case;
use tokio::net::TcpListener;
use tokio::sync::Notify;

pub use ours::{run_ours, run_ours_with};
pub use plan::{
    needs, CaseEntry, ClientReport, Plan, PlanEntry, RequestSpec, ScenarioEntry, ServeOptions, Stop,
};
pub use results::{EntryResult, Results, SeenSummary};
pub use segmentation::Segmentation;
pub use tls::TestCa;

use judge::Seen;
use scenarios::Scenario;

/// How long [`Server::shutdown`] lets open responses finish by default.
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(5);

/// The page a browser opens: it fetches the plan, runs every entry with `EventSource`, and
/// reports.
const RUNNER_HTML: &str = include_str!("runner.html");

/// What the routes share: the plan, and what clients did so far.
pub(crate) struct Shared {
    plan: Plan,
    cases: HashMap<String, (&'static Case, Segmentation)>,
    scenarios: Vec<Scenario>,
    state: Mutex<State>,
    done: Notify,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) requests: HashMap<String, Vec<Seen>>,
    pub(crate) reports: HashMap<String, ClientReport>,
    pub(crate) done: bool,
}

impl Shared {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn results(&self) -> Results {
        let state = self.state();
        judge::judge(&self.plan, &self.scenarios, &state.requests, &state.reports)
    }
}

/// A running conformance server on 127.0.0.1. Dropping it stops it at once;
/// [`Server::shutdown`] lets open responses finish first.
pub struct Server {
    addr: SocketAddr,
    /// `http` or `https`.
    scheme: &'static str,
    shared: Arc<Shared>,
    quit: Arc<Notify>,
    accept: tokio::task::JoinHandle<()>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Server {
    /// Binds 127.0.0.1:`port` (0 picks a free one) and serves until dropped or shut down.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start(port: u16, options: ServeOptions) -> std::io::Result<Server> {
        Self::start_with(port, options, None).await
    }

    /// [`Server::start`] over TLS with `config` (its certificate, and ALPN `h2` and
    /// `http/1.1` for HTTP/2 and HTTP/1.1): the same plan for `https:` clients.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start_tls(
        port: u16,
        options: ServeOptions,
        config: Arc<rustls::ServerConfig>,
    ) -> std::io::Result<Server> {
        Self::start_with(port, options, Some(config)).await
    }

    async fn start_with(
        port: u16,
        options: ServeOptions,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<Server> {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let listeners = router::Listeners {
            main: TcpListener::bind(("127.0.0.1", port)).await?,
            proxy: TcpListener::bind(("127.0.0.1", 0)).await?,
            untrusted: TcpListener::bind(("127.0.0.1", 0)).await?,
        };
        let addr = listeners.main.local_addr()?;
        let endpoints = plan::Endpoints {
            proxy: format!("http://{}", listeners.proxy.local_addr()?),
            untrusted: format!("https://{}", listeners.untrusted.local_addr()?),
        };
        let (plan, cases, scenarios) = plan::build(&options, &endpoints);
        let shared = Arc::new(Shared {
            plan,
            cases,
            scenarios,
            state: Mutex::new(State::default()),
            done: Notify::new(),
        });
        let quit = Arc::new(Notify::new());
        let accept = tokio::spawn(router::accept_loop(
            listeners,
            tls.map(tokio_rustls::TlsAcceptor::from),
            tls::self_signed(),
            shared.clone(),
            quit.clone(),
            DEFAULT_DRAIN,
        ));
        Ok(Server {
            addr,
            scheme,
            shared,
            quit,
            accept,
        })
    }

    /// The server's base URL, e.g. `http://127.0.0.1:8090` (`https:` when started with
    /// [`Server::start_tls`]).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The plan clients follow.
    pub fn plan(&self) -> &Plan {
        &self.shared.plan
    }

    /// Records a client's report, as `POST /report` does.
    pub fn submit(&self, report: ClientReport) {
        let id = report.id.clone();
        self.shared.state().reports.insert(id, report);
    }

    /// Waits until a client posts `/done`, or `timeout` passes. True if it did.
    pub async fn wait_done(&self, timeout: Duration) -> bool {
        let notified = self.shared.done.notified();
        if self.shared.state().done {
            return true;
        }
        tokio::time::timeout(timeout, notified).await.is_ok()
    }

    /// The verdicts so far: every plan entry, reported or not.
    pub fn results(&self) -> Results {
        self.shared.results()
    }

    /// Stops accepting connections, lets open responses finish for up to
    /// [`DEFAULT_DRAIN`], and returns when they have (or the time is up).
    pub async fn shutdown(mut self) {
        self.quit.notify_one();
        let _ = (&mut self.accept).await;
    }
}
