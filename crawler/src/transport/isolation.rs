//! Circuit isolation: which requests may share a Tor circuit.
//!
//! Each site, and each investigator persona on a site, gets circuits of its own, so that a
//! site (or a relay) cannot link our visits to one site with our visits to another. An
//! [`IsolationKey`] names a (site, persona) pair; the fetcher gives each key a *slot* and a
//! *generation*, and a fresh generation means fresh circuits (after repeated failures, or on
//! request). A [`CircuitTag`] is the pair written as a SOCKS username, which is how both Tor
//! transports isolate: C tor's `IsolateSOCKSAuth` (on by default) and our arti bridge put
//! streams with different SOCKS credentials on different circuits, as Tor Browser does per
//! first-party domain.

use std::fmt;
use std::sync::OnceLock;

/// A (site, persona) pair: one cookie jar and one set of circuits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IsolationKey {
    /// The configured site name (not its onion host).
    pub site: String,
    /// The investigator persona; `default` when the site has none.
    pub persona: String,
}

impl IsolationKey {
    /// A key for a site and persona.
    pub fn new(site: impl Into<String>, persona: impl Into<String>) -> IsolationKey {
        IsolationKey {
            site: site.into(),
            persona: persona.into(),
        }
    }

    /// The default persona of a site.
    pub fn site(site: impl Into<String>) -> IsolationKey {
        IsolationKey::new(site, "default")
    }
}

impl fmt::Display for IsolationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.site, self.persona)
    }
}

/// One isolation slot in one generation, as SOCKS credentials.
///
/// The username is opaque (`cn-<process nonce>-<slot>-<generation>`): it carries no site
/// name to the Tor client, and the per-process nonce keeps a restarted crawler from reusing a
/// previous run's circuits for a different site that happens to get the same slot number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CircuitTag {
    slot: u64,
    generation: u32,
    username: String,
}

impl CircuitTag {
    pub(crate) fn new(slot: u64, generation: u32) -> CircuitTag {
        CircuitTag {
            slot,
            generation,
            username: format!("cn-{}-{slot}-{generation}", process_nonce()),
        }
    }

    /// The slot number (one per isolation key in this process).
    pub fn slot(&self) -> u64 {
        self.slot
    }

    /// The generation: incremented for a fresh circuit.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The SOCKS username that carries this tag.
    pub fn username(&self) -> &str {
        &self.username
    }
}

impl fmt::Debug for CircuitTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CircuitTag({}.{})", self.slot, self.generation)
    }
}

/// A value that must not reach logs: `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A new random secret: 32 hex digits from the OS generator.
    pub fn random() -> Secret {
        Secret(random_hex(16))
    }

    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS generator failing is not something a crawler can work around; fall back to the
    // clock and the address of a stack value only so that tags stay distinct.
    if getrandom::fill(&mut buf).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (t >> ((i % 16) * 8)) as u8 ^ (std::process::id() as u8);
        }
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random value fixed for the life of the process.
fn process_nonce() -> &'static str {
    static NONCE: OnceLock<String> = OnceLock::new();
    NONCE.get_or_init(|| random_hex(6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_opaque_and_distinct() {
        let a = CircuitTag::new(1, 0);
        let b = CircuitTag::new(1, 1);
        let c = CircuitTag::new(2, 0);
        assert_ne!(a.username(), b.username());
        assert_ne!(a.username(), c.username());
        assert!(a.username().starts_with("cn-"));
        assert_eq!(format!("{a:?}"), "CircuitTag(1.0)");
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::random();
        assert_eq!(s.expose().len(), 32);
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_ne!(Secret::random(), s);
    }
}
