//! The options of `ssewire-hub serve`, and how each value is checked.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::Args;
use url::Url;

use super::duration::{self, Seconds};
use super::keys;
use crate::auth::{Algorithm, DEFAULT_COOKIE_NAME};
use crate::config::HistoryChoice;
use crate::limits::Limits;
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
        value_parser = super::super::non_empty,
        help_heading = "Authorization"
    )]
    pub audience: Option<String>,

    /// The issuer the keys are bound to: a token's `iss` must be exactly this. Required with
    /// a key.
    #[arg(
        long,
        value_name = "URI",
        env = "SSEWIRE_HUB_ISSUER",
        value_parser = super::super::non_empty,
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

    /// Run as one node of several sharing this Redis (`redis://HOST:PORT[/DB]`): the history
    /// and the fan-out between nodes go through a Redis Stream, and --history is not used.
    /// Absent: the embedded store, one node.
    #[arg(
        long,
        value_name = "URL",
        env = "SSEWIRE_HUB_TRANSPORT",
        help_heading = "History"
    )]
    pub transport: Option<String>,

    /// The prefix of the keys the nodes share in Redis (one cluster per prefix).
    #[arg(
        long,
        value_name = "PREFIX",
        env = "SSEWIRE_HUB_TRANSPORT_PREFIX",
        default_value = "ssewire-hub",
        help_heading = "History"
    )]
    pub transport_prefix: String,

    /// Seconds any Redis call may take; a publish that Redis has not taken by then is
    /// answered 503.
    #[arg(
        long,
        value_name = "SECS",
        env = "SSEWIRE_HUB_TRANSPORT_TIMEOUT",
        default_value_t = Seconds(Duration::from_secs(2)),
        value_parser = duration::timeout,
        help_heading = "History"
    )]
    pub transport_timeout: Seconds,

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
