//! Runs every extractor over one input and reports entities at input offsets.

use crate::contacts::{self, ContactKind};
use crate::entity::Entity;
use crate::onion::{self, OnionVersion};
use crate::peru::Lexicon;
use crate::text::{html, normalize::normalize, OffsetMap};
use crate::{crypto, pgp};

/// All extractors, configured once (the Peru lexicon is compiled at construction).
#[derive(Debug)]
pub struct Extractor {
    lexicon: Lexicon,
}

impl Extractor {
    pub fn new(lexicon: Lexicon) -> Self {
        Extractor { lexicon }
    }

    /// With the lexicon shipped in `config/peru.toml`.
    pub fn with_default_lexicon() -> Self {
        Extractor::new(Lexicon::builtin())
    }

    /// The Peru lexicon in use (for scoring records).
    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// Entities in plain text; offsets are byte offsets into `text`.
    pub fn extract_text(&self, text: &str) -> Vec<Entity> {
        let (clean, map) = normalize(text);
        let mut found = self.scan(&clean);
        for e in &mut found {
            e.map_span(&map);
        }
        sort(&mut found);
        found
    }

    /// Entities in a text file's bytes (UTF-8, or a legacy encoding that is detected);
    /// offsets are byte offsets into `bytes`.
    pub fn extract_text_bytes(&self, bytes: &[u8]) -> Vec<Entity> {
        let (text, decode_map, _) = html::decode_bytes(bytes);
        self.rebased(self.extract_text(&text), &decode_map)
    }

    /// Entities in the visible text of an HTML page; offsets are byte offsets into the
    /// page's bytes, so a match can be shown in, or cut out of, the capture itself.
    pub fn extract_html(&self, bytes: &[u8]) -> Vec<Entity> {
        let (page, decode_map, _) = html::decode_bytes(bytes);
        let (visible, visible_map) = html::visible_text(&page);
        let found = self.extract_text(&visible);
        self.rebased(self.rebased(found, &visible_map), &decode_map)
    }

    fn rebased(&self, mut found: Vec<Entity>, map: &OffsetMap) -> Vec<Entity> {
        if !matches!(map, OffsetMap::Identity) {
            for e in &mut found {
                e.map_span(map);
            }
        }
        found
    }

    /// Every extractor over de-obfuscated text; offsets into `text`.
    fn scan(&self, text: &str) -> Vec<Entity> {
        let mut found = find_identifiers(text);
        for s in self.lexicon.find(text) {
            found.push(Entity::PeruSignal {
                signal: s.signal,
                weight: s.weight,
                value: s.matched,
                start: s.start,
                end: s.end,
            });
        }
        found
    }
}

/// The identifier extractors (addresses, onion names, PGP keys, contacts) over text that
/// is already de-obfuscated; offsets into `text`, in no particular order. This is the hot
/// path whose throughput the `extract` benchmark reports.
pub fn find_identifiers(text: &str) -> Vec<Entity> {
    let mut found = Vec::new();
    for a in crypto::find_addresses(text) {
        found.push(Entity::CryptoAddress {
            coin: a.coin.ticker().to_string(),
            network: a.network.as_str().to_string(),
            value: a.value,
            start: a.start,
            end: a.end,
        });
    }
    for o in onion::find_onions(text) {
        found.push(match o.version {
            OnionVersion::V3 => Entity::Onion {
                value: o.value,
                start: o.start,
                end: o.end,
            },
            OnionVersion::V2 => Entity::OnionV2 {
                value: o.value,
                start: o.start,
                end: o.end,
            },
        });
    }
    for k in pgp::find_pgp_keys(text) {
        found.push(Entity::PgpKey {
            fingerprint: k.fingerprint,
            start: k.start,
            end: k.end,
        });
    }
    for c in contacts::find_contacts(text) {
        let (value, start, end) = (c.value, c.start, c.end);
        found.push(match c.kind {
            ContactKind::Email => Entity::Email { value, start, end },
            ContactKind::Phone => Entity::Phone { value, start, end },
            ContactKind::Contact(platform) => Entity::Contact {
                platform: platform.as_str().to_string(),
                value,
                start,
                end,
            },
        });
    }
    found
}

/// Document order; at one offset, the longer span first, then by kind for a stable output.
fn sort(found: &mut [Entity]) {
    found.sort_by(|a, b| {
        let (sa, ea) = a.span();
        let (sb, eb) = b.span();
        sa.cmp(&sb)
            .then(eb.cmp(&ea))
            .then(a.kind().cmp(b.kind()))
            .then(a.value().cmp(b.value()))
    });
}
