//! Chooses between coins that share an address encoding, from nearby words.
//!
//! A Bitcoin Cash legacy address is byte-for-byte a Bitcoin address, and the
//! same holds for Litecoin `3…` and several testnet bytes. Sellers nearly
//! always name the coin next to the address ("pago en LTC: 3…"), so the
//! nearest coin name wins. Only coins that actually share encodings are
//! listed: a word such as "dash" is too common in prose to be worth matching
//! when it could never change the answer.

use super::Coin;

/// Bytes searched before the address (labels usually precede it).
pub const BEFORE: usize = 80;
/// Bytes searched after the address ("…VN2 (BTC)").
pub const AFTER: usize = 40;

/// Coin names, lower case. Longer names precede their own prefixes so that
/// "bitcoin cash" is read as Bitcoin Cash, not as Bitcoin.
const KEYWORDS: [(&[u8], Coin); 12] = [
    (b"bitcoin cash", Coin::Bch),
    (b"bitcoin-cash", Coin::Bch),
    (b"bitcoincash", Coin::Bch),
    (b"bcash", Coin::Bch),
    (b"bch", Coin::Bch),
    (b"bitcoin", Coin::Btc),
    (b"btc", Coin::Btc),
    (b"xbt", Coin::Btc),
    (b"litecoin", Coin::Ltc),
    (b"ltc", Coin::Ltc),
    (b"dogecoin", Coin::Doge),
    (b"doge", Coin::Doge),
];

/// Matches a keyword at `pos`: case-insensitive, not preceded by a letter,
/// not followed by a letter except a plural `s` ("bitcoins", "litecoins").
/// Digits may touch it ("0.5BTC"). Returns the keyword's length.
fn keyword_at(text: &[u8], pos: usize, limit: usize) -> Option<(usize, Coin)> {
    if pos > 0 && text[pos - 1].is_ascii_alphabetic() {
        return None;
    }
    KEYWORDS.iter().find_map(|&(word, coin)| {
        let end = pos + word.len();
        if end > limit || !text[pos..end].eq_ignore_ascii_case(word) {
            return None;
        }
        let mut after = end;
        if text
            .get(after)
            .is_some_and(|b| b.eq_ignore_ascii_case(&b's'))
        {
            after += 1;
        }
        let bounded = !text.get(after).is_some_and(u8::is_ascii_alphabetic);
        bounded.then_some((word.len(), coin))
    })
}

/// Returns the coin among `candidates` named nearest to `text[start..end]`,
/// or `None` when no candidate is named within the window.
pub fn nearest_named(text: &[u8], start: usize, end: usize, candidates: &[Coin]) -> Option<Coin> {
    let mut best: Option<(usize, Coin)> = None;
    let mut consider = |distance: usize, coin: Coin| {
        if candidates.contains(&coin) && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, coin));
        }
    };
    let lo = start.saturating_sub(BEFORE);
    let mut pos = lo;
    while pos < start {
        match keyword_at(text, pos, start) {
            Some((len, coin)) => {
                consider(start - (pos + len), coin);
                pos += len;
            }
            None => pos += 1,
        }
    }
    let hi = (end + AFTER).min(text.len());
    let mut pos = end;
    while pos < hi {
        match keyword_at(text, pos, text.len()) {
            Some((len, coin)) => {
                consider(pos - end, coin);
                pos += len;
            }
            None => pos += 1,
        }
    }
    best.map(|(_, coin)| coin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(text: &str, addr: &str) -> Option<Coin> {
        let start = text.find(addr).unwrap_or(0);
        let all = [Coin::Btc, Coin::Bch, Coin::Ltc, Coin::Doge];
        nearest_named(text.as_bytes(), start, start + addr.len(), &all)
    }

    #[test]
    fn nearest_and_longest_name_wins() {
        assert_eq!(pick("Bitcoin Cash address: ADDR", "ADDR"), Some(Coin::Bch));
        assert_eq!(pick("bitcoin or LTC: ADDR", "ADDR"), Some(Coin::Ltc));
        assert_eq!(pick("send ADDR (litecoins only)", "ADDR"), Some(Coin::Ltc));
        assert_eq!(pick("pago 0.5BTC a ADDR", "ADDR"), Some(Coin::Btc));
        assert_eq!(pick("bitcoiners ADDR", "ADDR"), None);
        assert_eq!(pick("bchtest ADDR", "ADDR"), None);
    }
}
