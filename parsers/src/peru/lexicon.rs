//! The Peru lexicon: loading, validation and matching.

use super::fold::{fold, fold_for_matching};
use super::PeruSignal;
use aho_corasick::{AhoCorasick, MatchKind};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

/// The lexicon file as written (`config/peru.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LexiconFile {
    #[serde(rename = "signal", default)]
    pub signals: Vec<SignalDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalDef {
    pub name: Spanned<String>,
    pub weight: Spanned<f64>,
    pub phrases: Vec<Spanned<String>>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A problem in a lexicon file, located by its byte span in that file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct LexiconError {
    pub span: Range<usize>,
    pub message: String,
}

/// Where a phrase's `#` (a number) sits.
#[derive(Clone, Copy, Debug, PartialEq)]
enum NumberSlot {
    None,
    After,
    Before,
}

#[derive(Clone, Copy)]
struct Pattern {
    signal: usize,
    number: NumberSlot,
}

/// A compiled lexicon, ready to scan text.
#[derive(Clone)]
pub struct Lexicon {
    signals: Vec<(String, f64)>,
    /// Per distinct folded phrase, its variants: "soles" alone and "# soles" share one
    /// phrase; the number-bearing variant is tried first.
    patterns: Vec<Vec<Pattern>>,
    matcher: AhoCorasick,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("signals", &self.signals)
            .field("phrases", &self.patterns.len())
            .finish()
    }
}

/// The lexicon shipped with Centinela, used when no file is configured.
pub const DEFAULT_LEXICON: &str = include_str!("../../../config/peru.toml");

impl Lexicon {
    /// Validates and compiles a parsed lexicon file; every problem is reported.
    pub fn compile(file: &LexiconFile) -> Result<Lexicon, Vec<LexiconError>> {
        let mut errors = Vec::new();
        let mut signals = Vec::new();
        let mut patterns: Vec<Vec<Pattern>> = Vec::new();
        let mut phrases: Vec<String> = Vec::new();
        for def in &file.signals {
            let name = def.name.get_ref();
            if name.is_empty() || !name.bytes().all(|c| c.is_ascii_lowercase() || c == b'_') {
                errors.push(LexiconError {
                    span: def.name.span(),
                    message: format!("signal name {name:?} must be lower-case letters and '_'"),
                });
            }
            let weight = *def.weight.get_ref();
            if !(0.0..=1.0).contains(&weight) || weight.is_nan() {
                errors.push(LexiconError {
                    span: def.weight.span(),
                    message: format!("weight {weight} is outside 0..1"),
                });
            }
            let index = signals.len();
            signals.push((name.clone(), weight));
            for phrase in &def.phrases {
                let folded = fold(phrase.get_ref().trim());
                let (core, number) = if let Some(c) = folded.strip_suffix('#') {
                    (c.trim_end().to_string(), NumberSlot::After)
                } else if let Some(c) = folded.strip_prefix('#') {
                    (c.trim_start().to_string(), NumberSlot::Before)
                } else {
                    (folded.clone(), NumberSlot::None)
                };
                if core.is_empty() || core.contains('#') {
                    errors.push(LexiconError {
                        span: phrase.span(),
                        message: format!(
                            "phrase {:?} is empty or has '#' in the middle",
                            phrase.get_ref()
                        ),
                    });
                    continue;
                }
                let pattern = Pattern {
                    signal: index,
                    number,
                };
                match phrases.iter().position(|p| *p == core) {
                    Some(i) => patterns[i].push(pattern),
                    None => {
                        phrases.push(core);
                        patterns.push(vec![pattern]);
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let matcher = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&phrases)
            .map_err(|e| {
                vec![LexiconError {
                    span: 0..0,
                    message: format!("the phrases do not compile: {e}"),
                }]
            })?;
        Ok(Lexicon {
            signals,
            patterns,
            matcher,
        })
    }

    /// Parses and compiles lexicon TOML text.
    pub fn from_toml(text: &str) -> Result<Lexicon, Vec<LexiconError>> {
        let file: LexiconFile = toml::from_str(text).map_err(|e| {
            vec![LexiconError {
                span: e.span().unwrap_or(0..0),
                message: e.message().to_string(),
            }]
        })?;
        Lexicon::compile(&file)
    }

    /// The lexicon shipped in `config/peru.toml`.
    pub fn builtin() -> Lexicon {
        Lexicon::from_toml(DEFAULT_LEXICON)
            .unwrap_or_else(|e| panic!("the built-in Peru lexicon is invalid: {e:?}"))
    }

    /// Every lexicon phrase in `text`, leftmost-longest, on word boundaries.
    pub fn find(&self, text: &str) -> Vec<PeruSignal> {
        let folded = fold_for_matching(text);
        let (hay, map) = match &folded {
            Some((s, m)) => (s.as_str(), Some(m)),
            None => (text, None),
        };
        let b = hay.as_bytes();
        let mut out = Vec::new();
        for m in self.matcher.find_iter(hay) {
            let variants = &self.patterns[m.pattern().as_usize()];
            let Some((pattern, s, e)) = variants
                .iter()
                .filter(|p| p.number != NumberSlot::None)
                .chain(variants.iter().filter(|p| p.number == NumberSlot::None))
                .find_map(|p| {
                    bounded_span(b, m.start(), m.end(), p.number).map(|(s, e)| (p, s, e))
                })
            else {
                continue;
            };
            let (rs, re) = map.map_or((s, e), |m| m.source_span(s, e));
            let (name, weight) = &self.signals[pattern.signal];
            out.push(PeruSignal {
                signal: name.clone(),
                weight: *weight,
                matched: text[rs..re].to_string(),
                start: rs,
                end: re,
            });
        }
        out
    }
}

/// The span of a phrase match `s..e` once its number slot is filled, or `None` when the
/// number is missing or the match is glued to surrounding word characters.
fn bounded_span(b: &[u8], s: usize, e: usize, number: NumberSlot) -> Option<(usize, usize)> {
    let starts_word = b[s].is_ascii_alphanumeric();
    let ends_word = b[e - 1].is_ascii_alphanumeric();
    let (s, e) = match number {
        NumberSlot::After => (s, number_after(b, e)?),
        NumberSlot::Before => (number_before(b, s)?, e),
        NumberSlot::None => (s, e),
    };
    let check_before = starts_word || number == NumberSlot::Before;
    let check_after = ends_word || number == NumberSlot::After;
    let glued_before = check_before && s > 0 && is_word_byte(b[s - 1]);
    let glued_after = check_after && e < b.len() && is_word_byte(b[e]);
    (!glued_before && !glued_after).then_some((s, e))
}

/// Letters (any script, as UTF-8 lead or continuation bytes), digits and `_` continue a
/// word: "lima" inside the handle "@pepe_lima" is not a place.
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// The end of a number (digits with `.`/`,` separators) starting after optional spaces at `at`.
fn number_after(b: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    while i < b.len() && (b[i].is_ascii_digit() || matches!(b[i], b'.' | b',' | b' ')) {
        i += 1;
    }
    while i > at && !b[i - 1].is_ascii_digit() {
        i -= 1;
    }
    Some(i)
}

/// The start of a number ending before optional spaces at `at`.
fn number_before(b: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    while i > 0 && b[i - 1] == b' ' {
        i -= 1;
    }
    if i == 0 || !b[i - 1].is_ascii_digit() {
        return None;
    }
    while i > 0 && (b[i - 1].is_ascii_digit() || matches!(b[i - 1], b'.' | b',')) {
        i -= 1;
    }
    while !b[i].is_ascii_digit() {
        i += 1;
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals(text: &str) -> Vec<(String, String)> {
        Lexicon::builtin()
            .find(text)
            .into_iter()
            .map(|s| (s.signal, s.matched))
            .collect()
    }

    #[test]
    fn accents_and_case_do_not_matter() {
        assert_eq!(
            signals("ENVÍO A TODO EL PERÚ en 24h"),
            vec![("ships_to_peru".into(), "ENVÍO A TODO EL PERÚ".into())]
        );
        assert_eq!(
            signals("Ships to Peru and Chile"),
            vec![("ships_to_peru".into(), "Ships to Peru".into())]
        );
    }

    #[test]
    fn words_only_not_fragments() {
        assert!(signals("limado, perubian, plinto, yapeson").is_empty());
        assert_eq!(signals("pago con Yape o Plin").len(), 2);
    }

    #[test]
    fn amounts_in_soles_and_peruvian_numbers() {
        assert_eq!(
            signals("precio S/ 1.250,00 o 300 soles"),
            vec![
                ("peru_currency".into(), "S/ 1.250,00".into()),
                ("peru_currency".into(), "300 soles".into())
            ]
        );
        assert_eq!(
            signals("wsp +51 987 654 321"),
            vec![("peru_phone".into(), "+51 987 654 321".into())]
        );
        assert!(signals("S/N serie").is_empty());
    }

    #[test]
    fn offsets_are_raw_even_after_folding() {
        let text = "Envío a Perú";
        let found = Lexicon::builtin().find(text);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].start..found[0].end], "Envío a Perú");
    }

    #[test]
    fn bad_lexicon_reports_every_problem() {
        let errs = Lexicon::from_toml(
            "[[signal]]\nname = \"Bad Name\"\nweight = 2.0\nphrases = [\"ok\", \"a # b\"]\n",
        )
        .unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
    }
}
