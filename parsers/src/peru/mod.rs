//! Peru signals: words in a page that say a vendor sells into, out of or inside Peru.
//!
//! The phrases live in a lexicon (`config/peru.toml`) that investigators extend without a
//! release. Matching ignores case and accents, because vendors write "envio a peru",
//! "ENVÍO A PERÚ" and "Envio a Perú" interchangeably, and happens on word boundaries so
//! "lima" does not fire inside "limado".

mod fold;
mod lexicon;
pub mod score;

pub use lexicon::{Lexicon, LexiconError, LexiconFile, SignalDef, DEFAULT_LEXICON};

/// One lexicon phrase found in a text.
#[derive(Clone, Debug, PartialEq)]
pub struct PeruSignal {
    /// The lexicon signal it belongs to (`ships_to_peru`, `peru_city`...).
    pub signal: String,
    pub weight: f64,
    /// The text as written in the input.
    pub matched: String,
    pub start: usize,
    pub end: usize,
}
