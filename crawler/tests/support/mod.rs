//! Test support: loopback servers and the private Tor network.
#![allow(dead_code)]

pub mod raw_http;
pub mod site;
pub mod testnet;

use std::time::Duration;

use centinela_crawler::transport::{
    FailureKind, FetchError, FetchRequest, FetchResponse, FetchSettings, Fetcher, RetryPolicy,
    Timeouts,
};

/// Settings for tests over the private network: generous timeouts, quick retries.
pub fn tor_settings() -> FetchSettings {
    FetchSettings {
        timeouts: Timeouts {
            connect: Duration::from_secs(60),
            first_byte: Duration::from_secs(60),
            total: Duration::from_secs(120),
        },
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(4),
            fresh_circuit_after: 2,
        },
        ..FetchSettings::default()
    }
}

/// Fetch, retrying while the onion service's descriptor is not yet everywhere (a few seconds
/// after the network is ready), up to `deadline`.
pub async fn fetch_until_ok(
    fetcher: &Fetcher,
    req: FetchRequest,
    deadline: Duration,
) -> FetchResponse {
    let start = tokio::time::Instant::now();
    loop {
        match fetcher.fetch(req.clone()).await {
            Ok(r) => return r,
            Err(e) if e.is_retryable() && start.elapsed() < deadline => {
                eprintln!("  (waiting for the onion service: {} — {e})", e.kind());
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(e) => panic!(
                "fetch failed after {:?}: {} ({e})",
                start.elapsed(),
                e.kind()
            ),
        }
    }
}

/// Assert an error's kind, with the error in the message.
pub fn assert_kind(result: Result<FetchResponse, FetchError>, kind: FailureKind) -> FetchError {
    match result {
        Ok(r) => panic!("expected {kind}, got status {}", r.status),
        Err(e) => {
            assert_eq!(e.kind(), kind, "unexpected error: {e}");
            e
        }
    }
}
