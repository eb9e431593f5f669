//! The embedded Tor client: arti, configured, its state kept under the data dir, bootstrapped
//! with progress reports.
//!
//! Production: arti's defaults, i.e. the public Tor network's authorities and fallbacks.
//! Tests: a [`PrivateNetwork`] replaces them (and turns on the test-only knobs it documents).
//! State and cache live in `<data dir>/tor/state` and `<data dir>/tor/cache`, created with mode
//! 0700; arti refuses directories that others can write to.

use std::fs::DirBuilder;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arti_client::config::TorClientConfigBuilder;
use arti_client::{HasKind, TorClient, TorClientConfig};
use futures::StreamExt;
use tor_rtcompat::PreferredRuntime;

use super::error::{redact, TransportError};
use super::private_network::PrivateNetwork;

/// A progress report while Tor bootstraps (for `centinela tor check`).
#[derive(Clone, Debug, PartialEq)]
pub struct BootstrapProgress {
    /// 0.0 – 1.0.
    pub fraction: f32,
    /// arti's description of the current step.
    pub message: String,
    /// Whether Tor is usable for traffic.
    pub ready: bool,
}

/// A bootstrapped embedded Tor client.
#[derive(Clone)]
pub struct ArtiTor {
    client: Arc<TorClient<PreferredRuntime>>,
    bootstrap_time: Duration,
}

impl std::fmt::Debug for ArtiTor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArtiTor")
            .field("bootstrap_time", &self.bootstrap_time)
            .finish_non_exhaustive()
    }
}

/// `dir` and its parents up to `data_dir` exist, `dir` with mode 0700.
fn private_dir(dir: &Path) -> Result<(), TransportError> {
    let err = |source| TransportError::DataDir {
        path: dir.to_path_buf(),
        source,
    };
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(err)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(err)
}

impl ArtiTor {
    /// The state and cache directories arti uses under `data_dir`.
    pub fn storage_dirs(data_dir: &Path) -> (PathBuf, PathBuf) {
        let tor = data_dir.join("tor");
        (tor.join("state"), tor.join("cache"))
    }

    /// arti's configuration: public Tor network, or `private` (test networks only).
    /// Creates the storage directories (mode 0700).
    pub fn tor_config(
        data_dir: &Path,
        private: Option<&PrivateNetwork>,
    ) -> Result<TorClientConfig, TransportError> {
        let (state, cache) = Self::storage_dirs(data_dir);
        private_dir(&data_dir.join("tor"))?;
        private_dir(&state)?;
        private_dir(&cache)?;
        let mut builder = match private {
            None => TorClientConfigBuilder::default(),
            Some(net) => {
                net.validate()?;
                toml::Value::Table(net.arti_config_table())
                    .try_into::<TorClientConfigBuilder>()
                    .map_err(|e| TransportError::ArtiConfig(e.to_string()))?
            }
        };
        builder
            .storage()
            .state_dir(arti_client::config::CfgPath::new_literal(&state))
            .cache_dir(arti_client::config::CfgPath::new_literal(&cache));
        builder
            .build()
            .map_err(|e| TransportError::ArtiConfig(e.to_string()))
    }

    /// Create the client and bootstrap it, reporting progress to `on_progress`, within
    /// `timeout`. Must be called inside a tokio runtime, which then runs arti's tasks.
    pub async fn bootstrap(
        data_dir: &Path,
        private: Option<&PrivateNetwork>,
        timeout: Duration,
        mut on_progress: impl FnMut(BootstrapProgress) + Send + 'static,
    ) -> Result<ArtiTor, TransportError> {
        let config = Self::tor_config(data_dir, private)?;
        let started = tokio::time::Instant::now();
        let client = TorClient::builder()
            .config(config)
            .create_unbootstrapped()
            .map_err(|e| TransportError::Bootstrap {
                kind: e.kind().to_string(),
                detail: redact(&e),
            })?;
        let mut events = client.bootstrap_events();
        let reporter = tokio::spawn(async move {
            while let Some(status) = events.next().await {
                let ready = status.ready_for_traffic();
                on_progress(BootstrapProgress {
                    fraction: status.as_frac(),
                    message: status.to_string(),
                    ready,
                });
                if ready {
                    break;
                }
            }
        });
        let outcome = tokio::time::timeout(timeout, client.bootstrap()).await;
        // Let the last "ready" event through before stopping the reporter.
        if matches!(outcome, Ok(Ok(()))) {
            let _ = tokio::time::timeout(Duration::from_millis(200), reporter).await;
        } else {
            reporter.abort();
        }
        match outcome {
            Err(_) => Err(TransportError::BootstrapTimeout(timeout)),
            Ok(Err(e)) => Err(TransportError::Bootstrap {
                kind: e.kind().to_string(),
                detail: redact(&e),
            }),
            Ok(Ok(())) => {
                let bootstrap_time = started.elapsed();
                tracing::info!(
                    ?bootstrap_time,
                    private = private.is_some(),
                    "Tor bootstrapped"
                );
                Ok(ArtiTor {
                    client,
                    bootstrap_time,
                })
            }
        }
    }

    /// How long bootstrapping took.
    pub fn bootstrap_time(&self) -> Duration {
        self.bootstrap_time
    }

    /// The arti client (for the SOCKS bridge).
    pub(crate) fn client(&self) -> &Arc<TorClient<PreferredRuntime>> {
        &self.client
    }
}
