//! Turning what went wrong under reqwest into a [`FetchError`].
//!
//! In order of trust: the arti bridge's own record of the stream (exact arti error kind);
//! reqwest's and hyper's typed flags (timeout, connect, parse); and, for a C tor SOCKS port
//! only, the SOCKS reply code — which hyper-util reports as text alone, since its error type
//! is not exported: this is the one place where text is read, and only to choose between
//! kinds that are all retryable.

use std::time::Duration;

use tokio::time::Instant;

use super::client::Transport;
use super::error::{redact, FailureKind, FetchError, TimeoutPhase};
use super::isolation::CircuitTag;
use super::socks_bridge::StreamFailure;

/// Where in the exchange an error happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Sending the request and waiting for the response head.
    Send,
    /// Reading the body.
    Body,
}

/// Classify a reqwest error of one attempt that started at `since`.
pub(crate) fn classify(
    err: reqwest::Error,
    phase: Phase,
    transport: &dyn Transport,
    tag: &CircuitTag,
    since: Instant,
    is_onion: bool,
) -> FetchError {
    if let Some(record) = transport.failure_since(tag, since) {
        return from_record(&record, since.elapsed());
    }
    let err = err.without_url();
    let detail = redact(&err);
    if err.is_timeout() {
        let phase = if err.is_connect() {
            TimeoutPhase::Connect
        } else {
            TimeoutPhase::FirstByte
        };
        return FetchError::Timeout {
            phase,
            after: since.elapsed(),
        };
    }
    if let Some(h) = hyper_error(&err) {
        if h.is_parse() || h.is_parse_status() {
            return FetchError::Protocol { detail };
        }
    }
    let tor = transport.kind().is_tor();
    if err.is_connect() {
        if tor {
            let kind = socks_reply_kind(&detail, is_onion);
            if kind == FailureKind::Timeout {
                return FetchError::Timeout {
                    phase: TimeoutPhase::Connect,
                    after: since.elapsed(),
                };
            }
            return FetchError::connection_failure(kind, detail);
        }
        return FetchError::Connect { detail };
    }
    // The connection broke after it was open: on Tor that is the circuit (or stream) dying.
    let kind = if tor {
        FailureKind::Circuit
    } else {
        FailureKind::Connect
    };
    let detail = match phase {
        Phase::Send => detail,
        Phase::Body => format!("connection lost while reading the body: {detail}"),
    };
    FetchError::connection_failure(kind, detail)
}

/// A failure recorded by the arti bridge.
pub(crate) fn from_record(record: &StreamFailure, after: Duration) -> FetchError {
    let detail = format!(
        "arti {} ({:?}): {}",
        record.arti_kind, record.stage, record.detail
    );
    match record.kind {
        FailureKind::Timeout => FetchError::Timeout {
            phase: TimeoutPhase::Connect,
            after,
        },
        kind => FetchError::connection_failure(kind, detail),
    }
}

fn hyper_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a hyper::Error> {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            return Some(h);
        }
        source = e.source();
    }
    None
}

/// The kind behind a SOCKS5 failure reply from a C tor client, from hyper-util's text of the
/// reply code (`Status` in hyper-util). Without `ExtendedErrors`, C tor answers a missing
/// onion descriptor with "host unreachable".
fn socks_reply_kind(detail: &str, is_onion: bool) -> FailureKind {
    let d = detail.to_ascii_lowercase();
    if d.contains("ttl expired") {
        FailureKind::Timeout
    } else if d.contains("host unreachable") && is_onion {
        FailureKind::OnionNotFound
    } else if d.contains("connection refused") && !d.contains("tcp connect") {
        // Refused by the destination (the exit's connection); a refused connection to the
        // SOCKS port itself ("tcp connect error") means our Tor client is down: Connect too.
        FailureKind::Connect
    } else if d.contains("tcp connect") {
        FailureKind::Connect
    } else {
        FailureKind::Circuit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socks_texts() {
        assert_eq!(
            socks_reply_kind("error connecting to socks proxy: TTL expired", false),
            FailureKind::Timeout
        );
        assert_eq!(
            socks_reply_kind("x: host unreachable", true),
            FailureKind::OnionNotFound
        );
        assert_eq!(
            socks_reply_kind("x: host unreachable", false),
            FailureKind::Circuit
        );
        assert_eq!(
            socks_reply_kind("x: general server failure", true),
            FailureKind::Circuit
        );
        assert_eq!(
            socks_reply_kind(
                "tcp connect error: Connection refused (os error 111)",
                false
            ),
            FailureKind::Connect
        );
    }
}
