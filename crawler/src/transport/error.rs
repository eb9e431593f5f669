//! How a fetch fails, in words an operator can act on and kinds a program can branch on.
//!
//! Every failure is a [`FetchError`]; [`FetchError::kind`] sorts it into a [`FailureKind`] and
//! [`FetchError::is_retryable`] says whether another attempt may help. Callers branch on the
//! kind, never on the text. The `Display` text never contains the URL, the host (onion
//! addresses are sensitive), cookies or SOCKS credentials: details from lower layers go
//! through [`redact`] first.

use std::fmt;
use std::time::Duration;

/// What kind of failure, for retry decisions and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// A time limit ran out (see [`TimeoutPhase`]).
    Timeout,
    /// A Tor circuit could not be built or broke (relay gone, circuit collapse, …).
    Circuit,
    /// The onion service's descriptor could not be found (service down, or not published yet).
    OnionNotFound,
    /// The server answered with an error status (only from
    /// [`FetchResponse::error_for_status`](super::FetchResponse::error_for_status)).
    HttpStatus,
    /// The body was larger than a configured limit.
    TooLarge,
    /// Refused before any connection was opened: the URL breaks a safety rule.
    RefusedByPolicy,
    /// The connection could not be opened (refused, unreachable, reset).
    Connect,
    /// The peer spoke bad HTTP, bad compression, or redirected too often.
    Protocol,
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailureKind::Timeout => "timeout",
            FailureKind::Circuit => "circuit",
            FailureKind::OnionNotFound => "onion_not_found",
            FailureKind::HttpStatus => "http_status",
            FailureKind::TooLarge => "too_large",
            FailureKind::RefusedByPolicy => "refused_by_policy",
            FailureKind::Connect => "connect",
            FailureKind::Protocol => "protocol",
        })
    }
}

/// Which time limit ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeoutPhase {
    Connect,
    FirstByte,
    Total,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Connect => "connect",
            TimeoutPhase::FirstByte => "first byte",
            TimeoutPhase::Total => "total",
        })
    }
}

/// Which size limit was passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    /// `max_body_bytes`: the body as received.
    Body,
    /// `max_decoded_bytes`: the body after gzip/deflate/br decoding.
    Decoded,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Body => "body",
            Limit::Decoded => "decoded body",
        })
    }
}

/// Why a URL was refused before any socket was opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyViolation {
    /// An onion URL with a transport that is not Tor.
    OnionWithoutTor,
    /// The direct transport was asked for an IP address that is not loopback.
    NonLoopbackAddress,
    /// The direct transport was asked for a host name it has no loopback mapping for
    /// (it never asks DNS).
    UnmappedHostName,
    /// Only `http` and `https` are fetched.
    UnsupportedScheme,
    /// The URL has no host.
    NoHost,
}

impl fmt::Display for PolicyViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyViolation::OnionWithoutTor => {
                "onion addresses are only fetched through Tor (transport arti or socks5)"
            }
            PolicyViolation::NonLoopbackAddress => {
                "the direct transport only connects to loopback addresses"
            }
            PolicyViolation::UnmappedHostName => {
                "the direct transport only serves host names listed in loopback_hosts"
            }
            PolicyViolation::UnsupportedScheme => "only http and https URLs are fetched",
            PolicyViolation::NoHost => "the URL has no host",
        })
    }
}

/// A failed fetch. See the module documentation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    #[error("timed out ({phase}) after {after:?}")]
    Timeout {
        phase: TimeoutPhase,
        after: Duration,
    },
    #[error("Tor circuit failure: {detail}")]
    Circuit { detail: String },
    #[error("onion service not found: {detail}")]
    OnionNotFound { detail: String },
    #[error("HTTP status {status}")]
    HttpStatus { status: u16 },
    #[error("{limit} larger than the limit of {max} bytes")]
    TooLarge { limit: Limit, max: u64 },
    #[error("refused by policy: {0}")]
    RefusedByPolicy(PolicyViolation),
    #[error("connection failed: {detail}")]
    Connect { detail: String },
    #[error("protocol error: {detail}")]
    Protocol { detail: String },
    #[error("more than {max} redirects")]
    TooManyRedirects { max: usize },
}

impl FetchError {
    /// The kind of failure.
    pub fn kind(&self) -> FailureKind {
        match self {
            FetchError::Timeout { .. } => FailureKind::Timeout,
            FetchError::Circuit { .. } => FailureKind::Circuit,
            FetchError::OnionNotFound { .. } => FailureKind::OnionNotFound,
            FetchError::HttpStatus { .. } => FailureKind::HttpStatus,
            FetchError::TooLarge { .. } => FailureKind::TooLarge,
            FetchError::RefusedByPolicy(_) => FailureKind::RefusedByPolicy,
            FetchError::Connect { .. } => FailureKind::Connect,
            FetchError::Protocol { .. } | FetchError::TooManyRedirects { .. } => {
                FailureKind::Protocol
            }
        }
    }

    /// Whether another attempt (after a pause, possibly on a fresh circuit) may succeed.
    /// A total timeout is not retried: the server answers, only too slowly, and trying again
    /// would cost another full timeout. Onion descriptors are often missing for a while
    /// (service restarting, descriptor not yet on every directory), so that is retried.
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::Timeout { phase, .. } => *phase != TimeoutPhase::Total,
            FetchError::Circuit { .. }
            | FetchError::OnionNotFound { .. }
            | FetchError::Connect { .. } => true,
            FetchError::HttpStatus { .. }
            | FetchError::TooLarge { .. }
            | FetchError::RefusedByPolicy(_)
            | FetchError::Protocol { .. }
            | FetchError::TooManyRedirects { .. } => false,
        }
    }

    /// A connection-stage failure of `kind` with a (redacted) detail text.
    pub(crate) fn connection_failure(kind: FailureKind, detail: String) -> FetchError {
        match kind {
            FailureKind::Circuit => FetchError::Circuit { detail },
            FailureKind::OnionNotFound => FetchError::OnionNotFound { detail },
            FailureKind::Protocol => FetchError::Protocol { detail },
            _ => FetchError::Connect { detail },
        }
    }
}

/// A failure while setting a transport up (not while fetching).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    #[error("invalid transport configuration: {0}")]
    Config(#[from] super::config::ConfigError),
    #[error("Tor data directory {path}: {source}")]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("arti configuration: {0}")]
    ArtiConfig(String),
    #[error("Tor bootstrap failed ({kind}): {detail}")]
    Bootstrap { kind: String, detail: String },
    #[error("Tor bootstrap did not finish within {0:?}")]
    BootstrapTimeout(Duration),
    #[error("SOCKS bridge: {0}")]
    Bridge(std::io::Error),
    #[error("HTTP client: {0}")]
    Client(String),
}

/// The text of an error and its sources, with anything that looks like an onion address,
/// a URL or SOCKS credentials replaced, so it can go into errors and logs.
pub fn redact(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    redact_text(&parts.join(": "))
}

/// [`redact`] for a plain string.
pub fn redact_text(text: &str) -> String {
    text.split_inclusive(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '"')
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            if lower.contains(".onion") || lower.contains("://") || lower.contains('@') {
                let tail: String = word
                    .chars()
                    .rev()
                    .take_while(|c| c.is_whitespace() || matches!(c, '(' | ')' | '"'))
                    .collect();
                format!("[redacted]{}", tail.chars().rev().collect::<String>())
            } else {
                word.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_retry() {
        let t = FetchError::Timeout {
            phase: TimeoutPhase::Total,
            after: Duration::from_secs(1),
        };
        assert_eq!(t.kind(), FailureKind::Timeout);
        assert!(!t.is_retryable());
        let c = FetchError::Circuit { detail: "x".into() };
        assert!(c.is_retryable());
        let r = FetchError::RefusedByPolicy(PolicyViolation::OnionWithoutTor);
        assert_eq!(r.kind(), FailureKind::RefusedByPolicy);
        assert!(!r.is_retryable());
        assert!(r.to_string().contains("only fetched through Tor"));
        let m = FetchError::TooManyRedirects { max: 5 };
        assert_eq!(m.kind(), FailureKind::Protocol);
    }

    #[test]
    fn redaction_hides_hosts_urls_and_credentials() {
        let text = "error sending request for url (http://abcdefgh.onion/x): \
                    socks5h://u:p@127.0.0.1:9 refused, host abc.onion down";
        let out = redact_text(text);
        assert!(!out.contains("abcdefgh"), "{out}");
        assert!(!out.contains("abc.onion"), "{out}");
        assert!(!out.contains("u:p"), "{out}");
        assert!(out.contains("refused"), "{out}");
    }
}
