//! The small text rules the index applies outside Tantivy's analyzers: accent folding for
//! facet labels, vendor-handle normalisation for fuzzy look-up, recognising identifiers in
//! a query, and approximate currency conversion for price filters.
//!
//! They live apart from the schema because both sides (indexing and querying) must apply
//! exactly the same rule, and because they are easy to get subtly wrong: each has tests.

use std::collections::BTreeMap;

use centinela_parsers::crypto::{self, Coin};

/// Lower-cases and removes the accents Spanish, Portuguese and French text carries, so a
/// facet shows `peru` once whether sites wrote `Perú`, `PERU` or `Peru`.
///
/// Keyword *fields* are folded by Tantivy's own `AsciiFoldingFilter`; this function is
/// for values Tantivy does not analyse (facet paths, `handle_norm`). It agrees with that
/// filter on Latin letters, which is all those values contain in practice.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars().flat_map(char::to_lowercase) {
        let mapped = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ā' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'ē' => 'e',
            'í' | 'ì' | 'î' | 'ï' | 'ī' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'ō' => 'o',
            'ú' | 'ù' | 'û' | 'ü' | 'ū' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            'ý' | 'ÿ' => 'y',
            other => other,
        };
        out.push(mapped);
    }
    out
}

/// A vendor handle reduced to what survives the ways vendors disguise a re-registered
/// name: case, accents, separators (`_ - .` and spaces), a leading `@`, and leetspeak
/// (`0→o 1→i 3→e 4→a 5→s 7→t @→a $→s`). `C0nd0r_Blanco`, `@condor.blanco` and
/// `CondorBlanco` all become `condorblanco`.
pub fn handle_norm(handle: &str) -> String {
    let folded = fold(handle);
    let trimmed = folded.trim_start_matches('@');
    let mut out = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        let mapped = match c {
            '_' | '-' | '.' | ' ' | '\t' => continue,
            '0' => 'o',
            '1' => 'i',
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            '7' => 't',
            '@' => 'a',
            '$' => 's',
            other => other,
        };
        out.push(mapped);
    }
    out
}

/// The largest edit distance the fuzzy vendor look-up accepts for a normalised name of
/// this many characters: short names have too many near neighbours to guess at.
pub fn max_handle_distance(chars: usize) -> u8 {
    match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions, each
/// costing one), the measure Tantivy's fuzzy automaton uses with `transposition_cost_one`,
/// so the distance we report is the one that made the document match.
pub fn osa_distance(a: &str, b: &str) -> u32 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let width = m + 1;
    let mut d = vec![0u32; (n + 1) * width];
    for (i, cell) in d.iter_mut().step_by(width).enumerate() {
        *cell = i as u32;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j as u32;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = u32::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[n * width + m]
}

/// The coin an address belongs to, by its format and checksum (the extractor's own
/// rules). A legacy string valid for both BTC and BCH is reported as BTC, as the
/// extractor does without context; `None` when no coin's checksum accepts it (for
/// example an address a site printed with a typo), so the coin facet stays empty
/// rather than guessed.
pub fn coin_of(address: &str) -> Option<Coin> {
    let readings = crypto::interpretations(address.trim());
    readings
        .iter()
        .find(|r| r.coin == Coin::Btc)
        .or_else(|| readings.first())
        .map(|r| r.coin)
}

/// What a bare query word looks like, so an exact identifier also searches the exact
/// fields: `centinela search 185fZzpT…` must find every record carrying that wallet,
/// including vendor profiles whose text never mentions it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identifier {
    /// A checksum-valid crypto address.
    Address(String),
    /// A 40-hex-digit OpenPGP v4 fingerprint.
    Pgp(String),
    /// `@handle`, `+51987654321`, a bare phone number, or an e-mail address.
    Contact(String),
    /// `<56 base32>.onion`.
    Onion(String),
}

/// Recognises an identifier; `None` for ordinary words (which includes numbers too short
/// to be phone numbers, so `1250` stays a price word).
pub fn identifier(word: &str) -> Option<Identifier> {
    let w = word.trim();
    if w.is_empty() || w.contains(char::is_whitespace) {
        return None;
    }
    if !crypto::interpretations(w).is_empty() {
        return Some(Identifier::Address(w.to_string()));
    }
    if w.len() == 40 && w.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(Identifier::Pgp(w.to_ascii_uppercase()));
    }
    let lower = w.to_ascii_lowercase();
    if let Some(name) = lower.strip_suffix(".onion") {
        if name.len() == 56 && centinela_parsers::onion::valid_v3(name) {
            return Some(Identifier::Onion(lower));
        }
        return None;
    }
    if w.len() > 1 && w.starts_with('@') {
        return Some(Identifier::Contact(w.to_string()));
    }
    let digits = w.strip_prefix('+').unwrap_or(w);
    if (9..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Identifier::Contact(digits.to_string()));
    }
    if let Some((user, domain)) = w.split_once('@') {
        if !user.is_empty() && domain.contains('.') && !domain.ends_with('.') {
            return Some(Identifier::Contact(lower));
        }
    }
    None
}

/// The forms of one contact value that an investigator may type: the store keeps
/// contacts as `platform:value` (`telegram:@pepe_lima`, `whatsapp:+51987654321`), and
/// people search for `@pepe_lima`, `pepe_lima`, `+51987654321` or `51987654321`.
pub fn contact_forms(contact: &str) -> Vec<String> {
    let full = contact.trim();
    let mut forms = vec![full.to_string()];
    let value = full.split_once(':').map_or(full, |(_, v)| v.trim());
    let digits = value.trim_start_matches('+');
    // A Peruvian number is also searched as investigators dial it at home: 9 digits,
    // without +51.
    let national = match digits.strip_prefix("51") {
        Some(n) if n.len() == 9 && n.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => "",
    };
    for v in [value, value.trim_start_matches('@'), digits, national] {
        if !v.is_empty() && !forms.iter().any(|f| f == v) {
            forms.push(v.to_string());
        }
    }
    forms
}

/// The host of a record's URL when it is an onion service, lower-cased.
pub fn onion_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("");
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    host.ends_with(".onion").then_some(host)
}

/// Conversion of listed prices to US dollars, so one price filter works across markets
/// that price in soles, euros and dollars.
///
/// The built-in rates are **approximate** (USD 1.0, PEN 0.27, EUR 1.08, as of late 2026)
/// and fixed: they are good enough to tell a gram from a kilo, not for accounting. Crypto
/// prices get a USD value only when the caller supplies a rate
/// ([`Rates::with_rate`]), because a built-in BTC rate would be wrong within days.
/// Prices in a currency without a rate have no USD value and are left out by price
/// filters (never silently compared as dollars).
#[derive(Clone, Debug, PartialEq)]
pub struct Rates {
    usd_per_unit: BTreeMap<String, f64>,
}

impl Default for Rates {
    fn default() -> Self {
        Rates::builtin()
    }
}

impl Rates {
    /// USD, PEN and EUR, approximately.
    pub fn builtin() -> Rates {
        let mut usd_per_unit = BTreeMap::new();
        usd_per_unit.insert("USD".to_string(), 1.0);
        usd_per_unit.insert("PEN".to_string(), 0.27);
        usd_per_unit.insert("EUR".to_string(), 1.08);
        Rates { usd_per_unit }
    }

    /// Adds or replaces the rate of one currency or coin ticker (`BTC`, `XMR`...): how
    /// many US dollars one unit is worth. Non-finite or non-positive rates are ignored.
    pub fn with_rate(mut self, code: &str, usd_per_unit: f64) -> Rates {
        if usd_per_unit.is_finite() && usd_per_unit > 0.0 {
            self.usd_per_unit
                .insert(code.trim().to_ascii_uppercase(), usd_per_unit);
        }
        self
    }

    /// The amount in US dollars, when the currency has a rate.
    pub fn to_usd(&self, amount: f64, currency: &str) -> Option<f64> {
        let rate = self
            .usd_per_unit
            .get(&currency.trim().to_ascii_uppercase())?;
        let usd = amount * rate;
        usd.is_finite().then_some(usd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_and_case() {
        assert_eq!(fold(" Perú "), "peru");
        assert_eq!(fold("COCAÍNA"), "cocaina");
        assert_eq!(fold("Envíos"), "envios");
    }

    #[test]
    fn handle_normalisation_undoes_disguises() {
        assert_eq!(handle_norm("C0nd0r_Blanco"), "condorblanco");
        assert_eq!(handle_norm("@condor.blanco"), "condorblanco");
        assert_eq!(handle_norm("Kondor Lima"), "kondorlima");
        assert_eq!(handle_norm("Kondor_Lima"), "kondorlima");
        assert_eq!(handle_norm("$n0w-Wh1t3"), "snowwhite");
        assert_eq!(handle_norm("p@bl0"), "pablo");
    }

    #[test]
    fn distance_counts_transpositions_once() {
        assert_eq!(osa_distance("condorblanco", "condorblnco"), 1);
        assert_eq!(osa_distance("condor", "cnodor"), 1);
        assert_eq!(osa_distance("abc", "abc"), 0);
        assert_eq!(osa_distance("", "abc"), 3);
        assert_eq!(osa_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn recognises_identifiers() {
        assert_eq!(
            identifier("185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk"),
            Some(Identifier::Address(
                "185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk".into()
            ))
        );
        assert_eq!(
            identifier("185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNK"),
            None,
            "a mistyped address is not an address"
        );
        assert!(matches!(
            identifier("0123456789abcdef0123456789ABCDEF01234567"),
            Some(Identifier::Pgp(_))
        ));
        assert_eq!(
            identifier("@pepe_lima"),
            Some(Identifier::Contact("@pepe_lima".into()))
        );
        assert_eq!(
            identifier("+51987654321"),
            Some(Identifier::Contact("51987654321".into()))
        );
        assert_eq!(identifier("1250"), None);
        assert_eq!(identifier("cocaina"), None);
    }

    #[test]
    fn coins_by_format() {
        assert_eq!(
            coin_of("185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk"),
            Some(Coin::Btc)
        );
        assert_eq!(coin_of("not-an-address"), None);
    }

    #[test]
    fn contact_forms_cover_what_people_type() {
        assert_eq!(
            contact_forms("telegram:@pepe_lima"),
            ["telegram:@pepe_lima", "@pepe_lima", "pepe_lima"]
        );
        assert_eq!(
            contact_forms("whatsapp:+51987654321"),
            [
                "whatsapp:+51987654321",
                "+51987654321",
                "51987654321",
                "987654321"
            ]
        );
    }

    #[test]
    fn onion_hosts() {
        assert_eq!(
            onion_host("http://abc.onion:80/x?y").as_deref(),
            Some("abc.onion")
        );
        assert_eq!(onion_host("https://example.com/"), None);
    }

    #[test]
    fn rates_are_explicit_about_what_they_know() {
        let r = Rates::builtin();
        assert_eq!(r.to_usd(100.0, "usd"), Some(100.0));
        assert!((r.to_usd(100.0, "PEN").unwrap_or(0.0) - 27.0).abs() < 1e-9);
        assert_eq!(r.to_usd(0.01, "BTC"), None);
        let r = r.with_rate("btc", 90_000.0);
        assert_eq!(r.to_usd(0.01, "BTC"), Some(900.0));
    }
}
