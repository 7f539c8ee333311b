//! What a hub is configured with, as plain data: the command line (`ssewire-hub serve`) fills
//! it, tests build it directly.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::auth::VerifierConfig;
use crate::limits::Limits;
use crate::store::HistoryLimits;

/// The hub URL's path (Mercure-08 §Discovery DI-1: the well-known URI). The reserved
/// namespace, the subscription topics and the metadata path derive from it.
pub const HUB_PATH: &str = "/.well-known/mercure";

/// Where the history lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryChoice {
    /// In memory: lost on restart.
    Memory,
    /// A redb file: survives restarts and `kill -9` (every append is fsynced).
    File(PathBuf),
}

/// Several hub nodes behind one address, sharing one Redis (`--transport redis://…`): the
/// history is a Redis Stream every node appends to and reads from, and each node hands what it
/// reads to its own subscribers, so a publish on any node reaches subscribers on all of them,
/// with the same ids everywhere (docs/cluster.md).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisTransport {
    /// `redis://HOST:PORT[/DB]` (or `rediss://` for TLS, with a password in the URL if any).
    pub url: String,
    /// The prefix of every key the hubs use, so several clusters can share one Redis.
    pub prefix: String,
    /// The longest any Redis call may take; past it a publish is answered 503 (never a 200
    /// for an update Redis did not take).
    pub timeout: Duration,
}

impl RedisTransport {
    /// Redis at `url`, keys under `ssewire-hub`, calls bounded to 2 s.
    pub fn new(url: impl Into<String>) -> RedisTransport {
        RedisTransport {
            url: url.into(),
            prefix: "ssewire-hub".into(),
            timeout: Duration::from_secs(2),
        }
    }
}

/// A hub's whole configuration.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct HubConfig {
    /// Keys, issuers, the resource identifier (`aud`), the cookie name and `legacy`.
    /// `verifier.hub_url` is the advertised hub URL: the base of relative topics and URL
    /// patterns, and the target of the `Link: rel="mercure"` header.
    pub verifier: VerifierConfig,
    /// Subscribers without a token are accepted, and get public updates only.
    pub anonymous: bool,
    /// Where the history lives, for a hub on its own (the embedded store).
    pub history: HistoryChoice,
    /// Share a Redis with other hub nodes instead of the embedded store; `history` is then
    /// not used (the history is the Redis Stream).
    pub transport: Option<RedisTransport>,
    /// The history's bounds.
    pub history_limits: HistoryLimits,
    /// Request, connection and stream limits.
    pub limits: Limits,
    /// A `:` comment on idle streams this often (Mercure-08 §Subscription SUB-17); `None`
    /// turns keep-alives off.
    pub heartbeat: Option<Duration>,
    /// Origins allowed to call the hub from a browser, with credentials (cookies). Never `*`
    /// (Mercure-08 §Subscription SUB-14).
    pub cors_origins: Vec<String>,
    /// Publish subscription events and serve the subscriptions API (Mercure-08 §Active
    /// Subscriptions).
    pub subscriptions: bool,
    /// Serve the demo: the page's session endpoint, which signs tokens with this HS256
    /// secret, and a public dashboard update every few seconds. For development only.
    pub demo: Option<Demo>,
}

/// What the demo signs its tokens with: an HS256 secret the hub also trusts (for both roles)
/// and the issuer it is bound to.
#[derive(Clone, PartialEq, Eq)]
pub struct Demo {
    /// The shared secret.
    pub secret: Vec<u8>,
    /// The issuer the secret is trusted for.
    pub issuer: String,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demo")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl HubConfig {
    /// A configuration with the given verifier and every other setting at its default:
    /// no anonymous subscribers, history in memory, heartbeat every 15 s, no CORS origins,
    /// active subscriptions on, no demo.
    pub fn new(verifier: VerifierConfig) -> HubConfig {
        HubConfig {
            verifier,
            anonymous: false,
            history: HistoryChoice::Memory,
            transport: None,
            history_limits: HistoryLimits::default(),
            limits: Limits::default(),
            heartbeat: Some(Duration::from_secs(15)),
            cors_origins: Vec::new(),
            subscriptions: true,
            demo: None,
        }
    }

    /// The advertised hub URL.
    pub fn hub_url(&self) -> &Url {
        &self.verifier.hub_url
    }

    /// The RFC 9728 metadata document's URL (Mercure-08 §Protected Resource Metadata PRM-1),
    /// which every `WWW-Authenticate` challenge names.
    pub fn metadata_url(&self) -> String {
        let mut url = self.hub_url().clone();
        url.set_path(&format!(
            "/.well-known/oauth-protected-resource{}",
            self.hub_url().path()
        ));
        url.set_query(None);
        url.to_string()
    }
}
