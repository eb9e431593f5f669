//! Skips boring stretches of prose 64 bytes at a time.
//!
//! A byte-by-byte tokenizer spends most of its time mispredicting the branch
//! at every word boundary. Here eight bytes are classified at once with
//! SWAR arithmetic on a `u64` (portable, no `unsafe`), giving one bit per byte
//! for "word character", "digit", "upper case" and "colon". A block needs a
//! closer look only if it holds a digit, an upper-case letter inside a word,
//! a word glued to a preceding colon (a CashAddr prefix), or a run of at least
//! 14 word characters; ordinary prose rarely does.

/// Bytes examined per block.
pub const BLOCK: usize = 64;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit of each byte set where that byte (known to be < 0x80) is >= `c`.
/// Adding `0x80 - c` cannot carry into the next byte because both terms are
/// at most 0x80 and 0x7f.
#[inline(always)]
fn at_least(y: u64, c: u8) -> u64 {
    y.wrapping_add(ONES * u64::from(0x80 - c)) & HIGHS
}

/// Gathers the high bit of each byte into an 8-bit mask (byte 0 → bit 0).
#[inline(always)]
fn gather(flags: u64) -> u64 {
    ((flags >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// Word/digit/upper/colon masks for eight bytes. Non-ASCII bytes are in no
/// class.
#[inline(always)]
fn classify8(chunk: u64) -> [u64; 4] {
    let ascii = !chunk & HIGHS;
    let y = chunk & !HIGHS;
    let folded = y | (ONES * 0x20);
    let letter = at_least(folded, b'a') & !at_least(folded, b'z' + 1);
    let upper = letter & !((y & (ONES * 0x20)) << 2);
    let digit = at_least(y, b'0') & !at_least(y, b'9' + 1);
    let underscore = at_least(y, b'_') & !at_least(y, b'_' + 1);
    let colon = at_least(y, b':') & !at_least(y, b':' + 1);
    let word = (letter | digit | underscore) & ascii;
    [
        gather(word),
        gather(digit & ascii),
        gather(upper & ascii),
        gather(colon & ascii),
    ]
}

/// What one block holds, one bit per byte (bit 0 is the block's first byte).
#[derive(Clone, Copy, Debug)]
pub struct Masks {
    /// Word characters (ASCII letters, digits, `_`).
    pub word: u64,
    /// Bytes that make their token worth examining.
    pub interesting: u64,
}

impl Masks {
    /// Offset where the token holding byte `bit` starts. The block must begin
    /// at a token start or a non-word byte, so a run reaching bit 0 starts there.
    pub fn token_start(&self, bit: usize) -> usize {
        let non_word_below = !self.word & ((1u64 << bit) - 1);
        if non_word_below == 0 {
            0
        } else {
            (64 - non_word_below.leading_zeros()) as usize
        }
    }

    /// Offset of the word cut off by the block's end (64 if none): the next
    /// block starts there so that it sees the word whole. A block made only of
    /// word bytes always has `run14` bits, so it is never skipped this way.
    pub fn resume_offset(&self) -> usize {
        BLOCK - (!self.word).leading_zeros() as usize
    }
}

/// Classifies `block`, which must start at a token start or a non-word byte.
pub fn classify(block: &[u8; BLOCK]) -> Masks {
    let [mut word, mut digit, mut upper, mut colon] = [0u64; 4];
    for (k, chunk) in block.chunks_exact(8).enumerate() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let [w, d, u, c] = classify8(u64::from_le_bytes(bytes));
        word |= w << (8 * k);
        digit |= d << (8 * k);
        upper |= u << (8 * k);
        colon |= c << (8 * k);
    }
    let inner_upper = upper & (word << 1);
    // `bitcoincash:q…` may be split right after a short first fragment.
    let after_colon = word & (colon << 1);
    let run2 = word & (word << 1);
    let run4 = run2 & (run2 << 2);
    let run8 = run4 & (run4 << 4);
    let run14 = run8 & (run8 << 6);
    Masks {
        word,
        interesting: digit | inner_upper | run14 | after_colon,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_of(text: &str) -> [u8; BLOCK] {
        let mut b = [b' '; BLOCK];
        b[..text.len()].copy_from_slice(text.as_bytes());
        b
    }

    #[test]
    fn plain_prose_is_skipped_up_to_a_cut_word() {
        let m = classify(&block_of(
            "the quick brown fox jumps over the lazy dog and then some more t",
        ));
        assert_eq!((m.interesting, m.resume_offset()), (0, 63));
    }

    #[test]
    fn digits_inner_capitals_colons_and_long_runs_are_flagged() {
        for (text, at) in [
            ("plain words then x1y and more", 17),
            ("plain words then McDonald and", 17),
            ("a bb ccccccccccccccccccc", 5),
            ("Title Case Is Fine but 7", 23),
            ("Nota: bitcoincash:qq and", 18),
        ] {
            let m = classify(&block_of(text));
            assert_ne!(m.interesting, 0, "missed {text}");
            let first = m.interesting.trailing_zeros() as usize;
            assert_eq!(m.token_start(first), at, "{text}");
        }
    }

    #[test]
    fn non_ascii_is_not_a_word_byte() {
        let m = classify(&block_of("dirección envío ñandú"));
        assert_eq!(m.interesting, 0);
    }
}
