//! Tantivy's Snowball stemmer with a memo of the words it has already stemmed.
//!
//! Every text is stemmed twice (Spanish and English copies), and the Snowball algorithms
//! were a fifth of bulk-indexing CPU. Market text repeats a small vocabulary, so a word
//! is nearly always one seen before: remembering its stem makes stemming a hash look-up.
//! The stems are Tantivy's own (a miss runs Tantivy's `Stemmer`), so indexes built with
//! or without the memo are identical.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use tantivy::tokenizer::{
    Language, RawTokenizer, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// Words remembered per analyzer instance (one per indexing thread and field) before the
/// memo starts over; bounds memory at a few MB whatever the text.
const MEMO_CAPACITY: usize = 50_000;

/// Longest word worth remembering: longer tokens are identifiers and codes, seen once.
const MEMO_MAX_LEN: usize = 24;

/// FNV-1a: the memo's keys are short words from our own analyzer, not attacker-chosen
/// keys of a long-lived map, and SipHash was a visible share of the look-up time.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type Memo = HashMap<String, String, BuildHasherDefault<Fnv>>;

/// A [`TokenFilter`] giving the same stems as `Stemmer::new(language)`.
#[derive(Clone)]
pub struct MemoStemmer {
    language: Language,
}

impl MemoStemmer {
    pub fn new(language: Language) -> MemoStemmer {
        MemoStemmer { language }
    }
}

impl TokenFilter for MemoStemmer {
    type Tokenizer<T: Tokenizer> = MemoStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MemoStemmerFilter<T> {
        MemoStemmerFilter {
            inner: tokenizer,
            stemmer: TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(self.language))
                .build(),
            memo: Memo::default(),
        }
    }
}

#[derive(Clone)]
pub struct MemoStemmerFilter<T> {
    inner: T,
    /// Stems one word: the whole input is one token.
    stemmer: TextAnalyzer,
    memo: Memo,
}

impl<T: Tokenizer> Tokenizer for MemoStemmerFilter<T> {
    type TokenStream<'a> = MemoStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MemoStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: &mut self.stemmer,
            memo: &mut self.memo,
        }
    }
}

pub struct MemoStemmerStream<'a, T> {
    tail: T,
    stemmer: &'a mut TextAnalyzer,
    memo: &'a mut Memo,
}

impl<T: TokenStream> TokenStream for MemoStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(stem) = self.memo.get(&token.text) {
            token.text.clear();
            token.text.push_str(stem);
            return true;
        }
        let stem = {
            let mut s = self.stemmer.token_stream(&token.text);
            if s.advance() {
                s.token().text.clone()
            } else {
                token.text.clone()
            }
        };
        // Words with digits (amounts, lot codes, wallets) rarely repeat: stem them
        // without filling the memo.
        if token.text.len() > MEMO_MAX_LEN || token.text.bytes().any(|b| b.is_ascii_digit()) {
            token.text = stem;
            return true;
        }
        if self.memo.len() >= MEMO_CAPACITY {
            self.memo.clear();
        }
        self.memo
            .insert(std::mem::replace(&mut token.text, stem.clone()), stem);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::SimpleTokenizer;

    use super::*;

    fn tokens(mut a: TextAnalyzer, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut s = a.token_stream(text);
        while s.advance() {
            out.push(s.token().text.clone());
        }
        out
    }

    #[test]
    fn same_stems_as_tantivy() {
        let text = "envíos envio envíos shipping ships shipped cocaína cocaine shipping envíos \
                    10g 3.5g lote 7F3A-12 185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk 185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk";
        for lang in [Language::Spanish, Language::English] {
            let plain = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(Stemmer::new(lang))
                .build();
            let memo = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(MemoStemmer::new(lang))
                .build();
            assert_eq!(tokens(memo, text), tokens(plain, text));
        }
    }
}
