//! `ssewire-hub serve`: binds the listener, builds a [`HubConfig`] from the options and the
//! bound address, prints `listening on http://HOST:PORT`, serves until SIGINT or SIGTERM,
//! then drains.
//!
//! The one line on stdout is the stable interface for scripts: it is printed (and flushed)
//! once the socket is listening, the hub is built and the signal handlers are installed, so
//! a client may connect and a script may send SIGTERM as soon as it reads it. Everything
//! else goes to stderr through `tracing`.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::Args;
use tracing::{info, warn};
use url::Url;

use super::duration::{self, Seconds};
use super::keys;
use super::{Failure, EXIT_INTERRUPTED};
use crate::auth::{Algorithm, TrustedKey, VerifierConfig, DEFAULT_COOKIE_NAME};
use crate::config::{Demo, HistoryChoice, HubConfig, HUB_PATH};
use crate::limits::Limits;
use crate::server::Hub;
use crate::store::HistoryLimits;

/// The default `--history`: a redb file in the current directory (durable by default).
pub const DEFAULT_HISTORY_FILE: &str = "ssewire-hub.redb";

/// `serve`'s options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT (port 0 picks a free port). Once listening, the one
    /// line `listening on http://HOST:PORT` is printed on stdout.
    #[arg(
        long,
        value_name = "ADDR",
        env = "SSEWIRE_HUB_LISTEN",
        default_value = "127.0.0.1:3000"
    )]
    pub listen: String,

    /// The advertised hub URL: base of relative topics and URL patterns, target of the
    /// `Link: rel="mercure"` header, default audience [default:
    /// http://{bound address}/.well-known/mercure]
    #[arg(long, value_name = "URL", env = "SSEWIRE_HUB_PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<Url>,

    /// Key verifying publisher tokens: a PEM public key (EdDSA, ES256, RS256), or with
    /// `--alg HS256` a file holding the shared secret (one trailing newline is ignored).
    #[arg(
        long,
        value_name = "FILE",
        env = "SSEWIRE_HUB_PUBLISHER_KEY",
        help_heading = "Authorization"
    )]
    pub publisher_key: Option<PathBuf>,

    /// Key verifying subscriber tokens, as `--publisher-key` [default: the publisher key].
    /// A separate key is recommended (Mercure-08 §Authorization).
    #[arg(
        long,
        value_name = "FILE",
        env = "SSEWIRE_HUB_SUBSCRIBER_KEY",
        help_heading = "Authorization"
    )]
    pub subscriber_key: Option<PathBuf>,

    /// Algorithm the keys accept (repeatable, or comma-separated); required with a key.
    /// HS256 means the key file is a shared secret and cannot be combined with the others.
    #[arg(
        long = "alg",
        value_name = "ALG",
        env = "SSEWIRE_HUB_ALG",
        value_delimiter = ',',
        value_parser = keys::alg_parser(),
        help_heading = "Authorization"
    )]
    pub algs: Vec<Algorithm>,

    /// Algorithm the subscriber key accepts, when it differs from the publisher key's
    /// (repeatable, or comma-separated) [default: the values of --alg]
    #[arg(
        long = "subscriber-alg",
        value_name = "ALG",
        env = "SSEWIRE_HUB_SUBSCRIBER_ALG",
        value_delimiter = ',',
        value_parser = keys::alg_parser(),
        help_heading = "Authorization"
    )]
    pub subscriber_algs: Vec<Algorithm>,

    /// The hub's resource identifier, which every token's `aud` must contain [default: the
    /// public URL]
    #[arg(
        long,
        value_name = "URI",
        env = "SSEWIRE_HUB_AUDIENCE",
        value_parser = super::non_empty,
        help_heading = "Authorization"
    )]
    pub audience: Option<String>,

    /// The issuer the keys are bound to: a token's `iss` must be exactly this. Required with
    /// a key.
    #[arg(
        long,
        value_name = "URI",
        env = "SSEWIRE_HUB_ISSUER",
        value_parser = super::non_empty,
        help_heading = "Authorization"
    )]
    pub issuer: Option<String>,

    /// Name of the cookie carrying the access token.
    #[arg(
        long,
        value_name = "NAME",
        env = "SSEWIRE_HUB_COOKIE_NAME",
        default_value = DEFAULT_COOKIE_NAME,
        value_parser = cookie_name,
        help_heading = "Authorization"
    )]
    pub cookie_name: String,

    /// Accept pre-standard (Mercure 0.x) tokens and the `authorization` query parameter.
    /// Weakens the hub: no audience binding, `exp` optional, tokens in URLs.
    #[arg(
        long,
        env = "SSEWIRE_HUB_LEGACY",
        value_parser = BoolishValueParser::new(),
        help_heading = "Authorization"
    )]
    pub legacy: bool,

    /// Accept subscribers without a token; they receive public updates only.
    #[arg(
        long,
        env = "SSEWIRE_HUB_ANONYMOUS",
        value_parser = BoolishValueParser::new(),
        help_heading = "Authorization"
    )]
    pub anonymous: bool,

    /// Where the update history lives: `memory` (lost on restart) or the path of a redb
    /// file, created if absent (durable; write `./memory` for a file named so).
    #[arg(
        long,
        value_name = "memory|PATH",
        env = "SSEWIRE_HUB_HISTORY",
        default_value = DEFAULT_HISTORY_FILE,
        value_parser = history,
        help_heading = "History"
    )]
    pub history: HistoryChoice,

    /// Most updates kept in the history (0 keeps none).
    #[arg(
        long,
        value_name = "N",
        env = "SSEWIRE_HUB_HISTORY_MAX_UPDATES",
        default_value_t = HistoryLimits::DEFAULT_MAX_UPDATES,
        help_heading = "History"
    )]
    pub history_max_updates: u64,

    /// Oldest update kept, in seconds (at most 366 days).
    #[arg(
        long,
        value_name = "SECS",
        env = "SSEWIRE_HUB_HISTORY_MAX_AGE",
        default_value_t = Seconds(HistoryLimits::DEFAULT_MAX_AGE),
        value_parser = duration::age,
        help_heading = "History"
    )]
    pub history_max_age: Seconds,

    /// Most bytes of updates kept in the history.
    #[arg(
        long,
        value_name = "BYTES",
        env = "SSEWIRE_HUB_HISTORY_MAX_BYTES",
        default_value_t = HistoryLimits::DEFAULT_MAX_BYTES,
        value_parser = positive::<u64>,
        help_heading = "History"
    )]
    pub history_max_bytes: u64,

    /// Transport for running several hubs together. Not supported yet: absent means the
    /// embedded store, the default.
    #[arg(
        long,
        value_name = "URL",
        env = "SSEWIRE_HUB_TRANSPORT",
        help_heading = "History"
    )]
    pub transport: Option<String>,

    /// Seconds between keep-alive comments on idle streams; 0 turns them off.
    #[arg(
        long,
        value_name = "SECS",
        env = "SSEWIRE_HUB_HEARTBEAT",
        default_value_t = Seconds(Duration::from_secs(15)),
        value_parser = duration::interval_or_off,
        help_heading = "Streams"
    )]
    pub heartbeat: Seconds,

    /// An origin allowed to call the hub from a browser, with cookies, e.g.
    /// `https://app.example` (repeatable, or comma-separated; `*` is refused).
    #[arg(
        long = "cors-origin",
        value_name = "ORIGIN",
        env = "SSEWIRE_HUB_CORS_ORIGIN",
        value_delimiter = ',',
        value_parser = cors_origin,
        help_heading = "Streams"
    )]
    pub cors_origins: Vec<String>,

    /// Turn active subscriptions off: no subscription events, no subscriptions API.
    #[arg(
        long,
        env = "SSEWIRE_HUB_NO_SUBSCRIPTIONS",
        value_parser = BoolishValueParser::new(),
        help_heading = "Streams"
    )]
    pub no_subscriptions: bool,

    /// Serve the demo page and its token endpoint (signs with the HS256 secrets). For
    /// development only.
    #[arg(
        long,
        env = "SSEWIRE_HUB_DEMO",
        value_parser = BoolishValueParser::new(),
        help_heading = "Streams"
    )]
    pub demo: bool,

    /// Request, connection and stream limits.
    #[command(flatten)]
    pub limits: LimitArgs,

    /// Log filter, RUST_LOG syntax (e.g. `info`, `ssewire_hub=debug`); logs go to stderr.
    #[arg(
        long,
        value_name = "FILTER",
        env = "SSEWIRE_HUB_LOG",
        default_value = "info",
        help_heading = "Logging"
    )]
    pub log: String,
}

/// Every field of [`Limits`], with the struct's defaults.
#[derive(Debug, Args)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Largest request body read (publish, QUERY subscribe), in bytes; more is 413.
    #[arg(long, value_name = "BYTES", env = "SSEWIRE_HUB_MAX_BODY_BYTES",
          default_value_t = Limits::default().max_body_bytes, value_parser = positive::<usize>)]
    pub max_body_bytes: usize,

    /// Longest value of one publish field, in bytes; longer is 413.
    #[arg(long, value_name = "BYTES", env = "SSEWIRE_HUB_MAX_FIELD_BYTES",
          default_value_t = Limits::default().max_field_bytes, value_parser = positive::<usize>)]
    pub max_field_bytes: usize,

    /// Most `topic` fields in one publish; more is 413.
    #[arg(long, value_name = "N", env = "SSEWIRE_HUB_MAX_TOPICS",
          default_value_t = Limits::default().max_topics, value_parser = positive::<usize>)]
    pub max_topics: usize,

    /// Most matchers in one subscribe request; more is 400.
    #[arg(long, value_name = "N", env = "SSEWIRE_HUB_MAX_MATCHERS",
          default_value_t = Limits::default().max_matchers, value_parser = positive::<usize>)]
    pub max_matchers: usize,

    /// Longest matcher or topic, in bytes.
    #[arg(long, value_name = "BYTES", env = "SSEWIRE_HUB_MAX_PATTERN_BYTES",
          default_value_t = Limits::default().max_pattern_bytes, value_parser = positive::<usize>)]
    pub max_pattern_bytes: usize,

    /// Most open connections; one more is answered 503.
    #[arg(long, value_name = "N", env = "SSEWIRE_HUB_MAX_CONNECTIONS",
          default_value_t = Limits::default().max_connections, value_parser = positive::<usize>)]
    pub max_connections: usize,

    /// Most concurrent event streams per token subject; one more is 429.
    #[arg(long, value_name = "N", env = "SSEWIRE_HUB_MAX_STREAMS_PER_TOKEN",
          default_value_t = Limits::default().max_streams_per_token, value_parser = positive::<usize>)]
    pub max_streams_per_token: usize,

    /// Seconds a client has to send a request's head (slowloris defence).
    #[arg(long, value_name = "SECS", env = "SSEWIRE_HUB_HEADER_READ_TIMEOUT",
          default_value_t = Seconds(Limits::default().header_read_timeout), value_parser = duration::timeout)]
    pub header_read_timeout: Seconds,

    /// Seconds reading a request body may take.
    #[arg(long, value_name = "SECS", env = "SSEWIRE_HUB_BODY_READ_TIMEOUT",
          default_value_t = Seconds(Limits::default().body_read_timeout), value_parser = duration::timeout)]
    pub body_read_timeout: Seconds,

    /// Bytes queued for a slow subscriber before it is disconnected (it resumes with
    /// Last-Event-ID).
    #[arg(long, value_name = "BYTES", env = "SSEWIRE_HUB_MAX_QUEUED_BYTES",
          default_value_t = Limits::default().max_queued_bytes, value_parser = positive::<usize>)]
    pub max_queued_bytes: usize,

    /// Seconds one write to a subscriber may block before it is disconnected.
    #[arg(long, value_name = "SECS", env = "SSEWIRE_HUB_WRITE_TIMEOUT",
          default_value_t = Seconds(Limits::default().write_timeout), value_parser = duration::timeout)]
    pub write_timeout: Seconds,

    /// Seconds an event stream stays open before the hub closes it, forcing
    /// re-authentication (never past the token's `exp`; at most a week).
    #[arg(long, value_name = "SECS", env = "SSEWIRE_HUB_MAX_STREAM_LIFETIME",
          default_value_t = Seconds(Limits::default().max_stream_lifetime), value_parser = duration::lifetime)]
    pub max_stream_lifetime: Seconds,

    /// Seconds open streams get to finish after SIGINT/SIGTERM.
    #[arg(long, value_name = "SECS", env = "SSEWIRE_HUB_DRAIN_DEADLINE",
          default_value_t = Seconds(Limits::default().drain_deadline), value_parser = duration::timeout)]
    pub drain_deadline: Seconds,
}

impl LimitArgs {
    /// The [`Limits`] these options give.
    pub fn limits(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body_bytes,
            max_field_bytes: self.max_field_bytes,
            max_topics: self.max_topics,
            max_matchers: self.max_matchers,
            max_pattern_bytes: self.max_pattern_bytes,
            max_connections: self.max_connections,
            max_streams_per_token: self.max_streams_per_token,
            header_read_timeout: self.header_read_timeout.0,
            body_read_timeout: self.body_read_timeout.0,
            max_queued_bytes: self.max_queued_bytes,
            write_timeout: self.write_timeout.0,
            max_stream_lifetime: self.max_stream_lifetime.0,
            drain_deadline: self.drain_deadline.0,
        }
    }
}

/// What the options say before the listener is bound: everything but the hub URL and the
/// audience, which may follow from the bound address.
#[derive(Debug)]
pub struct Prepared {
    publishers: Vec<TrustedKey>,
    subscribers: Vec<TrustedKey>,
    /// With `--demo`: the HS256 secret and issuer the demo signs its tokens with.
    demo: Option<Demo>,
    /// Remarks to log once the hub is up (logging them earlier would add lines before an
    /// error that stops the start).
    notes: Vec<String>,
}

impl ServeArgs {
    /// Checks the options that do not depend on the bound address and loads the keys.
    ///
    /// # Errors
    /// A usage error: an unsupported transport, a key without `--alg` or `--issuer`, an
    /// unreadable or unsuitable key file, or a hub nobody could use.
    pub fn prepare(&self) -> Result<Prepared, Failure> {
        if let Some(transport) = &self.transport {
            return Err(Failure::usage(format!(
                "transport {transport} is not supported yet; the embedded store is the \
                 default (leave --transport out)"
            )));
        }
        let mut notes = Vec::new();
        let has_key = self.publisher_key.is_some() || self.subscriber_key.is_some();
        if !has_key {
            if !self.algs.is_empty() || !self.subscriber_algs.is_empty() {
                return Err(Failure::usage(
                    "--alg needs a key: give --publisher-key (and --subscriber-key)",
                ));
            }
            if self.issuer.is_some() {
                return Err(Failure::usage(
                    "--issuer needs a key: give --publisher-key (and --subscriber-key)",
                ));
            }
            if !self.anonymous {
                return Err(Failure::usage(
                    "no key and no --anonymous: nobody could publish or subscribe; give \
                     --publisher-key with --alg and --issuer, or --anonymous",
                ));
            }
            if self.demo {
                return Err(Failure::usage(
                    "--demo signs tokens with the hub's HS256 secret: give --publisher-key \
                     with --alg HS256 and --issuer",
                ));
            }
            notes.push("no keys: every publish is refused, subscribers are anonymous".into());
            return Ok(Prepared {
                publishers: Vec::new(),
                subscribers: Vec::new(),
                demo: None,
                notes,
            });
        }
        let Some(issuer) = self.issuer.as_deref() else {
            return Err(Failure::usage(
                "--issuer is required with a key: a token's iss must name the issuer its \
                 key is bound to",
            ));
        };
        if self.algs.is_empty() {
            return Err(Failure::usage(
                "--alg is required with a key (EdDSA, ES256, RS256 or HS256)",
            ));
        }
        let subscriber_algs = if self.subscriber_algs.is_empty() {
            &self.algs
        } else {
            &self.subscriber_algs
        };
        let publishers = match &self.publisher_key {
            Some(path) => vec![keys::trusted("publisher key", path, issuer, &self.algs)?],
            None => {
                notes.push("no --publisher-key: every publish is refused".into());
                Vec::new()
            }
        };
        let subscribers = match (&self.subscriber_key, &self.publisher_key) {
            (Some(path), _) => vec![keys::trusted(
                "subscriber key",
                path,
                issuer,
                subscriber_algs,
            )?],
            (None, Some(path)) => {
                notes.push(
                    "no --subscriber-key: subscriber tokens are verified with the publisher \
                     key (a separate key is recommended)"
                        .into(),
                );
                vec![keys::trusted(
                    "publisher key (verifying subscribers)",
                    path,
                    issuer,
                    subscriber_algs,
                )?]
            }
            (None, None) => unreachable!("has_key"),
        };
        let demo =
            match (&self.publisher_key, self.demo) {
                (_, false) => None,
                (Some(path), true)
                    if self.algs == [Algorithm::HS256] && self.subscriber_key.is_none() =>
                {
                    Some(Demo {
                        secret: keys::secret(keys::read("publisher key", path)?),
                        issuer: issuer.to_owned(),
                    })
                }
                (_, true) => return Err(Failure::usage(
                    "--demo signs tokens with the hub's HS256 secret: give one --publisher-key \
                     with --alg HS256 and no --subscriber-key",
                )),
            };
        Ok(Prepared {
            publishers,
            subscribers,
            demo,
            notes,
        })
    }

    /// The hub's configuration once the listener is bound at `bound`.
    pub fn config(&self, prepared: &Prepared, bound: SocketAddr) -> HubConfig {
        let hub_url = self.public_url.clone().unwrap_or_else(|| {
            Url::parse(&format!("http://{bound}{HUB_PATH}"))
                .expect("a socket address makes a valid URL")
        });
        let audience = self.audience.clone().unwrap_or_else(|| hub_url.to_string());
        let mut verifier = VerifierConfig::new(audience, hub_url);
        verifier.publishers = prepared.publishers.clone();
        verifier.subscribers = prepared.subscribers.clone();
        verifier.legacy = self.legacy;
        verifier.cookie_name = self.cookie_name.clone();
        let mut config = HubConfig::new(verifier);
        config.anonymous = self.anonymous;
        config.history = self.history.clone();
        config.history_limits = HistoryLimits {
            max_updates: self.history_max_updates,
            max_age: self.history_max_age.0,
            max_bytes: self.history_max_bytes,
        };
        config.limits = self.limits.limits();
        config.heartbeat = Some(self.heartbeat.0).filter(|d| !d.is_zero());
        config.cors_origins = self.cors_origins.clone();
        config.subscriptions = !self.no_subscriptions;
        config.demo = prepared.demo.clone();
        config
    }
}

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

/// A count or size of at least 1.
fn positive<T>(value: &str) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + From<u8>,
{
    let n: T = value
        .trim()
        .parse()
        .map_err(|_| format!("{value:?} is not a whole number"))?;
    if n < T::from(1) {
        return Err("must be at least 1".into());
    }
    Ok(n)
}

/// `--public-url`: an absolute `http` or `https` URL with a host, no credentials, query or
/// fragment.
fn public_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|e| format!("{value:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{value}: the hub URL must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{value}: the hub URL needs a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{value}: the hub URL must not carry credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{value}: the hub URL has no query or fragment"));
    }
    Ok(url)
}

/// `--cookie-name`: an RFC 6265 cookie name (an HTTP token).
fn cookie_name(value: &str) -> Result<String, String> {
    let separator = |c: char| "()<>@,;:\\\"/[]?={}".contains(c);
    if value.is_empty() || !value.chars().all(|c| c.is_ascii_graphic() && !separator(c)) {
        return Err(format!("{value:?} is not a cookie name (RFC 6265 token)"));
    }
    Ok(value.to_owned())
}

/// `--history`: `memory` or a file path.
fn history(value: &str) -> Result<HistoryChoice, String> {
    match value {
        "" => Err("give `memory` or a file path".into()),
        "memory" => Ok(HistoryChoice::Memory),
        path => Ok(HistoryChoice::File(PathBuf::from(path))),
    }
}

/// `--cors-origin`: a serialized origin, `scheme://host[:port]`, never `*`.
fn cors_origin(value: &str) -> Result<String, String> {
    if value.trim() == "*" {
        return Err(
            "`*` is not allowed: the hub answers with credentials (cookies), which browsers \
             allow only for a named origin; list each origin"
                .into(),
        );
    }
    let url = Url::parse(value).map_err(|e| format!("{value:?} is not an origin: {e}"))?;
    let origin = url.origin();
    if !origin.is_tuple() || !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{value:?} is not an http(s) origin (scheme://host[:port])"
        ));
    }
    let serialized = origin.ascii_serialization();
    // Only a trailing slash may differ: a path, query or fragment means it is not an origin.
    if value.trim_end_matches('/') != serialized
        && value.trim_end_matches('/').to_ascii_lowercase() != serialized
    {
        return Err(format!(
            "{value:?} is not an origin: write it as {serialized} (no path, query or fragment)"
        ));
    }
    Ok(serialized)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

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
        let transport = prepare(&["--anonymous", "--transport", "redis://x"]);
        assert_eq!(transport.status, 2);
        assert!(transport
            .message
            .contains("transport redis://x is not supported yet"));
    }
}
