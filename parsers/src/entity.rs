//! What the extractors report: one value per thing found, in the JSON shape of the
//! `centinela extract --json` contract (DESIGN.md). Field names here are a public
//! interface: other tools parse them.

use serde::{Deserialize, Serialize};

/// One entity found in a text. `start..end` are byte offsets into the input as given
/// (the raw HTML for HTML input) covering the whole raw span, obfuscation included;
/// `value` is the clean, searchable form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entity {
    CryptoAddress {
        /// `BTC LTC DOGE DASH ZEC BCH ETH TRX XMR`
        coin: String,
        /// `mainnet` or `testnet`
        network: String,
        value: String,
        start: usize,
        end: usize,
    },
    Onion {
        value: String,
        start: usize,
        end: usize,
    },
    OnionV2 {
        value: String,
        start: usize,
        end: usize,
    },
    PgpKey {
        /// Upper-case hex.
        fingerprint: String,
        start: usize,
        end: usize,
    },
    Contact {
        platform: String,
        value: String,
        start: usize,
        end: usize,
    },
    Email {
        value: String,
        start: usize,
        end: usize,
    },
    Phone {
        /// E.164, e.g. `+51987654321`.
        value: String,
        start: usize,
        end: usize,
    },
    PeruSignal {
        signal: String,
        weight: f64,
        /// The words that matched, as written.
        value: String,
        start: usize,
        end: usize,
    },
}

impl Entity {
    /// The `kind` field's value.
    pub fn kind(&self) -> &'static str {
        match self {
            Entity::CryptoAddress { .. } => "crypto_address",
            Entity::Onion { .. } => "onion",
            Entity::OnionV2 { .. } => "onion_v2",
            Entity::PgpKey { .. } => "pgp_key",
            Entity::Contact { .. } => "contact",
            Entity::Email { .. } => "email",
            Entity::Phone { .. } => "phone",
            Entity::PeruSignal { .. } => "peru_signal",
        }
    }

    /// The byte span in the input.
    pub fn span(&self) -> (usize, usize) {
        match self {
            Entity::CryptoAddress { start, end, .. }
            | Entity::Onion { start, end, .. }
            | Entity::OnionV2 { start, end, .. }
            | Entity::PgpKey { start, end, .. }
            | Entity::Contact { start, end, .. }
            | Entity::Email { start, end, .. }
            | Entity::Phone { start, end, .. }
            | Entity::PeruSignal { start, end, .. } => (*start, *end),
        }
    }

    /// The searchable value (the fingerprint for a PGP key).
    pub fn value(&self) -> &str {
        match self {
            Entity::PgpKey { fingerprint, .. } => fingerprint,
            Entity::CryptoAddress { value, .. }
            | Entity::Onion { value, .. }
            | Entity::OnionV2 { value, .. }
            | Entity::Contact { value, .. }
            | Entity::Email { value, .. }
            | Entity::Phone { value, .. }
            | Entity::PeruSignal { value, .. } => value,
        }
    }

    fn set_span(&mut self, s: usize, e: usize) {
        match self {
            Entity::CryptoAddress { start, end, .. }
            | Entity::Onion { start, end, .. }
            | Entity::OnionV2 { start, end, .. }
            | Entity::PgpKey { start, end, .. }
            | Entity::Contact { start, end, .. }
            | Entity::Email { start, end, .. }
            | Entity::Phone { start, end, .. }
            | Entity::PeruSignal { start, end, .. } => {
                *start = s;
                *end = e;
            }
        }
    }

    /// Re-bases the span through `map` (rewritten text → input).
    pub(crate) fn map_span(&mut self, map: &crate::text::OffsetMap) {
        let (s, e) = self.span();
        let (s, e) = map.source_span(s, e);
        self.set_span(s, e);
    }
}
