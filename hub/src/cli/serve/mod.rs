//! `ssewire-hub serve`: binds the listener, builds a [`HubConfig`] from the options and the
//! bound address, prints `listening on http://HOST:PORT`, serves until SIGINT or SIGTERM,
//! then drains.
//!
//! The one line on stdout is the stable interface for scripts: it is printed (and flushed)
//! once the socket is listening, the hub is built and the signal handlers are installed, so
//! a client may connect and a script may send SIGTERM as soon as it reads it. Everything
//! else goes to stderr through `tracing`.

mod args;
mod prepare;

pub use args::{LimitArgs, ServeArgs, DEFAULT_HISTORY_FILE};
pub use prepare::Prepared;

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::time::Duration;

use tracing::{info, warn};

use super::duration::{self};
use super::keys;
use super::{Failure, EXIT_INTERRUPTED};
use crate::config::{HistoryChoice, HubConfig, HUB_PATH};
use crate::server::Hub;

/// Runs `serve`.
///
/// # Errors
/// A usage error (exit status 2) for bad options, key files, an address that cannot be
/// bound or a hub that cannot start; a runtime failure (1) if the listener fails later.
pub fn execute(args: ServeArgs) -> Result<(), Failure> {
    init_logging(&args.log)?;
    let prepared = args.prepare()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ssewire-hub")
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the runtime: {e}")))?;
    let result = runtime.block_on(serve(args, prepared));
    // Blocking tasks (history writes) get a moment; the drain already had its deadline.
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

async fn serve(args: ServeArgs, prepared: Prepared) -> Result<(), Failure> {
    let listener = std::net::TcpListener::bind(&args.listen)
        .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.listen)))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.listen)))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Failure::usage(format!("cannot listen on {bound}: {e}")))?;
    let listener = tokio::net::TcpListener::from_std(listener)
        .map_err(|e| Failure::usage(format!("cannot listen on {bound}: {e}")))?;

    let config = args.config(&prepared, bound);
    let mut notes = prepared.notes;
    if args.public_url.is_none() && bound.ip().is_unspecified() {
        notes.push(format!(
            "listening on all interfaces: the advertised hub URL is {}; set --public-url",
            config.hub_url()
        ));
    }
    if config.hub_url().path() != HUB_PATH {
        notes.push(format!(
            "the public URL's path is {}; the hub serves {HUB_PATH}, so a proxy must map one \
             to the other",
            config.hub_url().path()
        ));
    }
    if args.legacy {
        notes.push(
            "--legacy: tokens are not bound to this hub's audience, exp is optional, tokens \
             are accepted in URLs"
                .into(),
        );
    }
    let summary = Summary::of(&config);
    let drain = config.limits.drain_deadline;
    let hub = Hub::new(config).map_err(|e| Failure::usage(e.to_string()))?;
    let signals = Signals::install()
        .map_err(|e| Failure::runtime(format!("cannot install signal handlers: {e}")))?;

    announce(bound);
    info!(
        hub_url = %summary.hub_url,
        audience = %summary.audience,
        history = %summary.history,
        anonymous = summary.anonymous,
        publisher_keys = summary.publishers,
        subscriber_keys = summary.subscribers,
        "listening on http://{bound}"
    );
    for note in notes {
        warn!("{note}");
    }

    let (started, drain_started) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(signals.watch(started, drain));
    let shutdown = async move {
        // An error means the watcher is gone, which only happens on a signal error; drain.
        let _ = drain_started.await;
    };
    hub.serve(listener, shutdown)
        .await
        .map_err(|e| Failure::runtime(format!("the listener failed: {e}")))?;
    info!("stopped");
    Ok(())
}

/// The line scripts wait for, flushed at once.
fn announce(bound: SocketAddr) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "listening on http://{bound}").and_then(|()| out.flush()) {
        warn!("cannot write the listening line to stdout: {e}");
    }
}

/// What is logged at start.
struct Summary {
    hub_url: String,
    audience: String,
    history: String,
    anonymous: bool,
    publishers: usize,
    subscribers: usize,
}

impl Summary {
    fn of(config: &HubConfig) -> Summary {
        Summary {
            hub_url: config.hub_url().to_string(),
            audience: config.verifier.resource.clone(),
            history: match &config.history {
                HistoryChoice::Memory => "memory".into(),
                HistoryChoice::File(path) => path.display().to_string(),
            },
            anonymous: config.anonymous,
            publishers: config.verifier.publishers.len(),
            subscribers: config.verifier.subscribers.len(),
        }
    }
}

/// Logs to stderr with `filter` (RUST_LOG syntax).
fn init_logging(filter: &str) -> Result<(), Failure> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .map_err(|e| Failure::usage(format!("--log {filter:?}: {e}")))?;
    // A second initialisation (tests calling `execute` twice) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    Ok(())
}

/// SIGINT and SIGTERM, installed before the listening line so a signal sent right after it
/// is handled, not fatal.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> std::io::Result<Signals> {
        Ok(Signals {})
    }

    /// The next signal's name; `None` when signals can no longer be received.
    #[cfg(unix)]
    async fn next(&mut self) -> Option<&'static str> {
        tokio::select! {
            got = self.interrupt.recv() => got.map(|()| "SIGINT"),
            got = self.terminate.recv() => got.map(|()| "SIGTERM"),
        }
    }

    #[cfg(not(unix))]
    async fn next(&mut self) -> Option<&'static str> {
        tokio::signal::ctrl_c().await.ok().map(|()| "Ctrl-C")
    }

    /// The first signal starts the drain (completes `started`); a second exits at once with
    /// status 130.
    async fn watch(mut self, started: tokio::sync::oneshot::Sender<()>, drain: Duration) {
        let Some(first) = self.next().await else {
            warn!("cannot receive signals any more; draining");
            let _ = started.send(());
            return;
        };
        info!(
            signal = first,
            "draining: no new connections, open streams get {}s; send the signal again to exit \
             at once",
            drain.as_secs_f64()
        );
        let _ = started.send(());
        if let Some(second) = self.next().await {
            warn!(signal = second, "second signal: exiting at once");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::auth::DEFAULT_COOKIE_NAME;
    use crate::cli::{Cli, Command};
    use crate::limits::Limits;
    use crate::store::HistoryLimits;
    use std::path::PathBuf;

    fn parse(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        let mut argv = vec!["ssewire-hub", "serve"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).map(|cli| match cli.command {
            Command::Serve(args) => *args,
            other => panic!("{other:?}"),
        })
    }

    #[test]
    fn defaults_are_the_structs_defaults() {
        let args = parse(&["--anonymous"]).unwrap();
        assert_eq!(args.limits.limits(), Limits::default());
        assert_eq!(args.listen, "127.0.0.1:3000");
        assert_eq!(
            args.history,
            HistoryChoice::File(PathBuf::from(DEFAULT_HISTORY_FILE))
        );
        let prepared = args.prepare().unwrap();
        let config = args.config(&prepared, "127.0.0.1:4321".parse().unwrap());
        assert_eq!(
            config.hub_url().as_str(),
            "http://127.0.0.1:4321/.well-known/mercure"
        );
        assert_eq!(
            config.verifier.resource,
            "http://127.0.0.1:4321/.well-known/mercure"
        );
        assert_eq!(config.verifier.cookie_name, DEFAULT_COOKIE_NAME);
        assert_eq!(config.history_limits, HistoryLimits::default());
        assert_eq!(config.heartbeat, Some(Duration::from_secs(15)));
        assert!(
            config.subscriptions
                && config.anonymous
                && config.demo.is_none()
                && !config.verifier.legacy
        );
    }

    #[test]
    fn options_map_into_the_config() {
        let args = parse(&[
            "--anonymous",
            "--public-url",
            "https://hub.example/.well-known/mercure",
            "--history",
            "memory",
            "--heartbeat",
            "0",
            "--cors-origin",
            "https://a.example,https://B.example:8443/",
            "--no-subscriptions",
            "--legacy",
            "--cookie-name",
            "hub_token",
            "--drain-deadline",
            "2.5",
            "--max-connections",
            "7",
            "--history-max-age",
            "60",
        ])
        .unwrap();
        let config = args.config(&args.prepare().unwrap(), "0.0.0.0:1".parse().unwrap());
        assert_eq!(
            config.hub_url().as_str(),
            "https://hub.example/.well-known/mercure"
        );
        assert_eq!(
            config.verifier.resource,
            "https://hub.example/.well-known/mercure"
        );
        assert_eq!(config.history, HistoryChoice::Memory);
        assert_eq!(config.heartbeat, None);
        assert_eq!(
            config.cors_origins,
            ["https://a.example", "https://b.example:8443"]
        );
        assert!(!config.subscriptions && config.verifier.legacy);
        assert_eq!(config.verifier.cookie_name, "hub_token");
        assert_eq!(config.limits.drain_deadline, Duration::from_millis(2500));
        assert_eq!(config.limits.max_connections, 7);
        assert_eq!(config.history_limits.max_age, Duration::from_secs(60));
    }

    #[test]
    fn bad_values_are_refused_by_the_parser() {
        for bad in [
            &["--cors-origin", "*"][..],
            &["--cors-origin", "https://a.example/path"],
            &["--cors-origin", "null"],
            &["--public-url", "ftp://hub.example/"],
            &["--public-url", "https://hub.example/.well-known/mercure?x"],
            &["--public-url", "/.well-known/mercure"],
            &["--cookie-name", "a b"],
            &["--cookie-name", ""],
            &["--alg", "none"],
            &["--alg", "HS512"],
            &["--max-body-bytes", "0"],
            &["--header-read-timeout", "0"],
            &["--heartbeat", "-1"],
            &["--history", ""],
            &["--legacy=maybe"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn key_options_must_come_together() {
        let prepare = |args: &[&str]| parse(args).unwrap().prepare().map(|_| ()).unwrap_err();
        assert!(prepare(&[]).message.contains("--anonymous"));
        assert!(prepare(&["--alg", "HS256", "--anonymous"])
            .message
            .contains("needs a key"));
        assert!(prepare(&["--publisher-key", "k", "--alg", "HS256"])
            .message
            .contains("--issuer is required"));
        assert!(prepare(&["--publisher-key", "k", "--issuer", "i"])
            .message
            .contains("--alg is required"));
        let transport = prepare(&["--anonymous", "--transport", "nats://x"]);
        assert_eq!(transport.status, 2);
        assert!(transport
            .message
            .contains("only redis://HOST:PORT[/DB] (or rediss://) is supported"));
    }
}
