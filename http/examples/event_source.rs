//! A client: follow an event stream with `EventSource`, reconnecting with backoff, and print
//! each event until the stream fails for good or Ctrl-C closes it.
//!
//! ```text
//! cargo run -p ssewire-http --example hub_server                  # in one terminal
//! cargo run -p ssewire-http --example event_source                # in another
//! cargo run -p ssewire-http --example event_source -- http://127.0.0.1:8080/events
//! ```

use std::error::Error;
use std::time::Duration;

use futures_util::StreamExt;
use ssewire_http::{Backoff, EventSource, SourceEvent};

#[tokio::main]
async fn main() {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080/events".into());
    let mut source = EventSource::builder(url)
        .backoff(Backoff::exponential(Duration::from_secs(30)))
        .idle_timeout(Duration::from_secs(45))
        .build();
    let close = source.close_handle();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        close.close();
    });
    while let Some(item) = source.next().await {
        match item {
            Ok(SourceEvent::Message(event)) => println!(
                "{} (id {:?}): {}",
                event.event_type(),
                event.last_event_id(),
                event.data()
            ),
            Ok(SourceEvent::Reconnecting { delay, cause }) => {
                eprintln!("{}; reconnecting in {delay:?}", chain(&cause))
            }
            Ok(other) => eprintln!("{other:?}"),
            Err(failure) => eprintln!("failed for good: {}", chain(&failure)),
        }
    }
}

/// The error and its causes, as `a: b: c`: each level's message leaves its cause to `source()`.
fn chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text = format!("{text}: {cause}");
        next = cause.source();
    }
    text
}
