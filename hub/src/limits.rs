//! Every limit and timeout of the hub, in one place with its default: the server reads it,
//! tests shrink it. (Limits on tokens live with the token rules in `auth`, and limits on
//! history in `store`.)

use std::time::Duration;

/// The hub's limits on requests and connections.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest publish (or `QUERY` subscribe) body read, in bytes; more is 413.
    /// Default 1 MiB, as the reference hub.
    pub max_body_bytes: usize,
    /// The longest value of one publish field, in bytes; longer is 413. Default 1 MiB (so the
    /// body limit decides for `data`), which still bounds `id`, `type` and topics below.
    pub max_field_bytes: usize,
    /// The most `topic` fields in one publish; more is 413 (Mercure-08 §Publication PUB-18).
    /// Default 1,000, as the reference hub.
    pub max_topics: usize,
    /// The most matcher parameters in one subscribe request; more is 400 (Mercure-08
    /// §Subscription SUB-11). Default 100.
    pub max_matchers: usize,
    /// The longest matcher or topic, in bytes; longer is 400 on subscribe and 413 on publish.
    /// Default 4,096.
    pub max_pattern_bytes: usize,
    /// The most open connections; one more is answered 503. Default 20,000.
    pub max_connections: usize,
    /// The most concurrent subscriptions (event streams) per token subject; one more is 429
    /// (Mercure-08 §Authorization Details AD-8). Default 64.
    pub max_streams_per_token: usize,
    /// How long a client has to send a request's head; then the connection is closed (a
    /// defence against slowloris). Default 10 s.
    pub header_read_timeout: Duration,
    /// How long reading a request body may take. Default 30 s.
    pub body_read_timeout: Duration,
    /// How far a subscriber may fall behind, in bytes queued for it; past this it is
    /// disconnected (it resumes with `Last-Event-ID`). Default 4 MiB.
    pub max_queued_bytes: usize,
    /// How long one write to a subscriber may block; past this it is disconnected.
    /// Default 30 s.
    pub write_timeout: Duration,
    /// The longest an event stream stays open before the hub closes it, forcing
    /// re-authentication (Mercure-08 §Subscribers SB-2); also never past the token's `exp`.
    /// Default 10 minutes, as the reference hub.
    pub max_stream_lifetime: Duration,
    /// How long open streams get to finish on SIGINT/SIGTERM before they are closed.
    /// Default 10 s.
    pub drain_deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
            max_field_bytes: 1 << 20,
            max_topics: 1_000,
            max_matchers: 100,
            max_pattern_bytes: 4_096,
            max_connections: 20_000,
            max_streams_per_token: 64,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_queued_bytes: 4 << 20,
            write_timeout: Duration::from_secs(30),
            max_stream_lifetime: Duration::from_secs(600),
            drain_deadline: Duration::from_secs(10),
        }
    }
}
