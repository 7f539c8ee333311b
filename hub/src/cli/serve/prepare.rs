//! From the options to a [`HubConfig`]: the keys loaded and checked first, the
//! configuration once the listener is bound.

use std::net::SocketAddr;

use url::Url;

use super::args::ServeArgs;
use super::keys;
use super::Failure;
use crate::auth::{Algorithm, TrustedKey, VerifierConfig};
use crate::config::{Demo, HubConfig, RedisTransport, HUB_PATH};
use crate::store::HistoryLimits;

/// What the options say before the listener is bound: everything but the hub URL and the
/// audience, which may follow from the bound address.
#[derive(Debug)]
pub struct Prepared {
    pub(super) publishers: Vec<TrustedKey>,
    pub(super) subscribers: Vec<TrustedKey>,
    /// With `--demo`: the HS256 secret and issuer the demo signs its tokens with.
    pub(super) demo: Option<Demo>,
    /// Remarks to log once the hub is up (logging them earlier would add lines before an
    /// error that stops the start).
    pub(super) notes: Vec<String>,
}

impl ServeArgs {
    /// Checks the options that do not depend on the bound address and loads the keys.
    ///
    /// # Errors
    /// A usage error: an unsupported transport, a key without `--alg` or `--issuer`, an
    /// unreadable or unsuitable key file, or a hub nobody could use.
    pub fn prepare(&self) -> Result<Prepared, Failure> {
        if let Some(transport) = &self.transport {
            if !(transport.starts_with("redis://") || transport.starts_with("rediss://")) {
                return Err(Failure::usage(format!(
                    "--transport {transport}: only redis://HOST:PORT[/DB] (or rediss://) is \
                     supported; leave --transport out for the embedded store"
                )));
            }
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
        config.transport = self.transport.as_ref().map(|url| {
            let mut transport = RedisTransport::new(url.clone());
            transport.prefix = self.transport_prefix.clone();
            transport.timeout = self.transport_timeout.0;
            transport
        });
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
