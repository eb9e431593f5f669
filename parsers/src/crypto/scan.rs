//! The single pass over the text.
//!
//! Prose is overwhelmingly short words. [`super::prefilter`] skips 64-byte
//! blocks that hold nothing of interest; the tokenizer here only sees the
//! tokens that could matter: runs long enough to be an address on their own,
//! and runs that look like a fragment of one (a digit, an inner capital, or a
//! `bitcoincash:`-style prefix) and might have been split by a seller.
//! Decoding and hashing happen only after the length and prefix screens in
//! [`super::interpretations`].

use super::prefilter::{classify, BLOCK};
use super::split::Families;
use super::{cashaddr, context, interpretations, AddressMatch, Coin, Interpretation};
use super::{MAX_CANDIDATE, MIN_CANDIDATE};

const WORD: u8 = 1;
const DIGIT: u8 = 2;
const UPPER: u8 = 4;

/// Byte classes. `_` counts as a word character so that identifiers such as
/// `xrb_1111…` are never cut into address-looking pieces; bytes >= 0x80 are
/// not word characters here and get a Unicode check at token edges instead.
static CLASS: [u8; 256] = build_class();

const fn build_class() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_digit() {
            table[b] = WORD | DIGIT;
        } else if c.is_ascii_uppercase() {
            table[b] = WORD | UPPER;
        } else if c.is_ascii_lowercase() || c == b'_' {
            table[b] = WORD;
        }
        b += 1;
    }
    table
}

/// A split address is rejoined from the token and at most this many more.
const MAX_EXTRA_FRAGMENTS: usize = 4;

/// Scans `text` and returns the matches in order.
pub fn scan(text: &str) -> Vec<AddressMatch> {
    let bytes = text.as_bytes();
    let mut scanner = Scanner {
        text,
        bytes,
        buf: String::new(),
    };
    let mut out = Vec::new();
    // Invariant: `i` is 0, a token start, or a non-word byte.
    let mut i = 0;
    while i < bytes.len() {
        let Some(block) = bytes
            .get(i..i + BLOCK)
            .and_then(|b| <&[u8; BLOCK]>::try_from(b).ok())
        else {
            // Fewer than 64 bytes left: plain byte-by-byte tokenizing.
            i = if CLASS[bytes[i] as usize] & WORD == 0 {
                i + 1
            } else {
                scanner.token(i, &mut out)
            };
            continue;
        };
        let masks = classify(block);
        let mut pending = masks.interesting;
        let mut resume = i;
        // Visit every flagged token of the block without classifying it again.
        while pending != 0 {
            let start = i + masks.token_start(pending.trailing_zeros() as usize);
            resume = scanner.token(start, &mut out);
            let consumed = resume - i;
            if consumed >= BLOCK {
                break;
            }
            pending &= u64::MAX << consumed;
        }
        i = resume.max(i + masks.resume_offset());
    }
    out
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// Reused buffer for rejoined fragments, so joins do not allocate per token.
    buf: String,
}

impl Scanner<'_> {
    /// Handles the token starting at `start`; returns where scanning resumes.
    fn token(&mut self, start: usize, out: &mut Vec<AddressMatch>) -> usize {
        let mut end = start;
        let mut seen = 0u8;
        while let Some(&b) = self.bytes.get(end) {
            let class = CLASS[b as usize];
            if class & WORD == 0 {
                break;
            }
            seen |= class;
            end += 1;
        }
        let fragment_like = seen & DIGIT != 0
            || (seen & UPPER != 0
                && self.bytes[start + 1..end]
                    .iter()
                    .any(u8::is_ascii_uppercase));
        let after_colon = start > 0 && self.bytes[start - 1] == b':';
        if end - start >= MIN_CANDIDATE || fragment_like || after_colon {
            if let Some(found) = self.examine(start, end, fragment_like) {
                let resume = found.end;
                out.push(found);
                return resume;
            }
        }
        end
    }

    /// True when the character just before byte `pos` is a letter or digit
    /// outside ASCII (ASCII neighbours were already merged into the token).
    fn glued_before(&self, pos: usize) -> bool {
        pos > 0
            && self.bytes[pos - 1] >= 0x80
            && self.text[..pos]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
    }

    /// Same check for the character starting at byte `pos`.
    fn glued_after(&self, pos: usize) -> bool {
        self.bytes.get(pos).is_some_and(|&b| b >= 0x80)
            && self.text[pos..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric)
    }

    /// End of the word run starting at `pos`.
    fn run_end(&self, mut pos: usize) -> usize {
        while self
            .bytes
            .get(pos)
            .is_some_and(|&b| CLASS[b as usize] & WORD != 0)
        {
            pos += 1;
        }
        pos
    }

    /// Start of a CashAddr prefix written as `bitcoincash:` right before the
    /// token at `start`, if there is one.
    fn cash_prefix_start(&self, start: usize) -> Option<usize> {
        if start == 0 || self.bytes[start - 1] != b':' {
            return None;
        }
        let colon = start - 1;
        let mut p = colon;
        while p > 0 && CLASS[self.bytes[p - 1] as usize] & WORD != 0 {
            p -= 1;
        }
        let word = &self.bytes[p..colon];
        let known = cashaddr::PREFIXES
            .iter()
            .any(|(prefix, _)| word.eq_ignore_ascii_case(prefix.as_bytes()));
        (known && !self.glued_before(p)).then_some(p)
    }

    /// Length of an allowed split separator at `pos`: one space, tab or
    /// newline (a CRLF pair counts as one newline).
    fn separator_len(&self, pos: usize) -> Option<usize> {
        match self.bytes.get(pos)? {
            b' ' | b'\t' | b'\n' => Some(1),
            b'\r' if self.bytes.get(pos + 1) == Some(&b'\n') => Some(2),
            _ => None,
        }
    }

    /// Validates the token `start..end`, first as written and then, if it
    /// looks like a fragment, joined with up to four following tokens.
    fn examine(&mut self, start: usize, end: usize, fragment_like: bool) -> Option<AddressMatch> {
        if self.glued_before(start) || self.glued_after(end) {
            return None;
        }
        let prefix = self.cash_prefix_start(start);
        let origins = [prefix, Some(start)];
        let origins = origins.iter().flatten().copied();

        if end - start >= MIN_CANDIDATE {
            for origin in origins.clone() {
                let candidate = &self.text[origin..end];
                let found = interpretations(candidate);
                if !found.is_empty() {
                    return Some(self.build(origin, end, candidate.to_string(), found));
                }
            }
        }
        if !(fragment_like || prefix.is_some()) {
            return None;
        }

        let mut families = Families::of_first(&self.bytes[start..end], prefix.is_some());
        self.buf.clear();
        self.buf.push_str(&self.text[start..end]);
        let mut span_end = end;
        for _ in 0..MAX_EXTRA_FRAGMENTS {
            let next = span_end + self.separator_len(span_end)?;
            let next_end = self.run_end(next);
            if next_end == next || self.glued_after(next_end) {
                return None;
            }
            let joined_len = self.buf.len() + (next_end - next);
            if joined_len > MAX_CANDIDATE
                || !families.narrow(&self.bytes[next..next_end], joined_len)
            {
                return None;
            }
            self.buf.push_str(&self.text[next..next_end]);
            span_end = next_end;
            if self.buf.len() < MIN_CANDIDATE || !families.worth_decoding(self.buf.as_bytes()) {
                continue;
            }
            for origin in origins.clone() {
                let candidate = format!("{}{}", &self.text[origin..start], self.buf);
                let mut found = interpretations(&candidate);
                // Unchecksummed hex could be "validly" joined with any word.
                found.retain(|i| !matches!(i.kind, "hex-lowercase" | "hex-uppercase"));
                if !found.is_empty() {
                    return Some(self.build(origin, span_end, candidate, found));
                }
            }
        }
        None
    }

    /// Picks the reading to report and assembles the match.
    fn build(
        &self,
        start: usize,
        end: usize,
        mut value: String,
        found: Vec<Interpretation>,
    ) -> AddressMatch {
        let mut coins: Vec<Coin> = Vec::with_capacity(found.len());
        for i in &found {
            if !coins.contains(&i.coin) {
                coins.push(i.coin);
            }
        }
        let fallback = if coins.contains(&Coin::Btc) {
            Coin::Btc
        } else {
            coins[0]
        };
        let coin = if coins.len() > 1 {
            context::nearest_named(self.bytes, start, end, &coins).unwrap_or(fallback)
        } else {
            fallback
        };
        let chosen = found
            .iter()
            .find(|i| i.coin == coin)
            .copied()
            .unwrap_or(found[0]);
        let mut also_valid_as: Vec<(Coin, super::Network)> = Vec::new();
        for i in &found {
            let pair = (i.coin, i.network);
            if pair != (chosen.coin, chosen.network) && !also_valid_as.contains(&pair) {
                also_valid_as.push(pair);
            }
        }
        let case_free = chosen.kind.starts_with("cashaddr")
            || chosen.kind.starts_with("segwit-")
            || matches!(chosen.kind, "p2wpkh" | "p2wsh" | "p2tr");
        if case_free {
            value.make_ascii_lowercase();
        }
        AddressMatch {
            coin: chosen.coin,
            network: chosen.network,
            kind: chosen.kind,
            value,
            start,
            end,
            also_valid_as,
        }
    }
}
