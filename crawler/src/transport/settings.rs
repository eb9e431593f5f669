//! The validated values the fetcher works with: timeouts, size limits, retry policy, headers.
//!
//! [`FetchSettings::from_config`] derives them from a [`TransportConfig`]; tests build them
//! directly to use sub-second timeouts.

use std::time::Duration;

use super::browser::TOR_BROWSER_USER_AGENT;
use super::config::TransportConfig;

/// Everything [`Fetcher`](super::Fetcher) needs to know besides the transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchSettings {
    pub timeouts: Timeouts,
    /// The largest body accepted as received on the wire.
    pub max_body_bytes: u64,
    /// The largest body accepted after content decoding.
    pub max_decoded_bytes: u64,
    /// The User-Agent header (Tor Browser's unless configured).
    pub user_agent: String,
    pub retry: RetryPolicy,
    /// Redirects followed inside the scope before giving up (the spec'd maximum is 5).
    pub max_redirects: usize,
}

/// Time limits of one attempt. All are measured with `tokio::time`, so tests can pause time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening a connection, SOCKS handshake and Tor circuit included.
    pub connect: Duration,
    /// From the connection being open until the response head arrives. (Enforced as a
    /// deadline of `connect + first_byte` on the request, as reqwest does not report when
    /// the connection opened; a slow connect is reported as a connect timeout first.)
    pub first_byte: Duration,
    /// One attempt from start to the last body byte, redirects included.
    pub total: Duration,
}

/// Retries with exponential backoff on failures that a new attempt may cure
/// ([`FetchError::is_retryable`](super::FetchError::is_retryable)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the first retry; doubled for each further one.
    pub base_delay: Duration,
    /// Upper bound of the delay.
    pub max_delay: Duration,
    /// After this many failures in a row for one site/persona, the next attempt uses a new
    /// isolation generation, i.e. a fresh Tor circuit.
    pub fresh_circuit_after: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            fresh_circuit_after: 2,
        }
    }
}

impl RetryPolicy {
    /// The pause before attempt number `next_attempt` (2 for the first retry).
    pub fn delay_before(&self, next_attempt: u32) -> Duration {
        let exp = next_attempt.saturating_sub(2).min(16);
        self.base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay)
    }
}

impl FetchSettings {
    /// The settings a `[transport]` section asks for (call
    /// [`TransportConfig::validate`] first; zero values are not corrected here).
    pub fn from_config(config: &TransportConfig) -> FetchSettings {
        FetchSettings {
            timeouts: Timeouts {
                connect: Duration::from_secs(config.connect_timeout_secs.into()),
                first_byte: Duration::from_secs(config.first_byte_timeout_secs.into()),
                total: Duration::from_secs(config.total_timeout_secs.into()),
            },
            max_body_bytes: config.max_body_bytes,
            max_decoded_bytes: config.max_decoded_bytes,
            user_agent: config
                .user_agent
                .clone()
                .unwrap_or_else(|| TOR_BROWSER_USER_AGENT.to_string()),
            retry: RetryPolicy::default(),
            max_redirects: 5,
        }
    }
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings::from_config(&TransportConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_before(2), Duration::from_millis(500));
        assert_eq!(p.delay_before(3), Duration::from_secs(1));
        assert_eq!(p.delay_before(4), Duration::from_secs(2));
        assert_eq!(p.delay_before(40), Duration::from_secs(8));
    }

    #[test]
    fn defaults_follow_the_config() {
        let s = FetchSettings::default();
        assert_eq!(s.timeouts.total, Duration::from_secs(180));
        assert_eq!(s.max_body_bytes, 20 * 1024 * 1024);
        assert!(s.user_agent.contains("Firefox"));
        assert_eq!(s.max_redirects, 5);
    }
}
