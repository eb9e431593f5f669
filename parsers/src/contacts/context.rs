//! Finding the context word that announces a value.
//!
//! Two notions of "context", for two kinds of evidence:
//!
//! * A **chain** ([`chain_before`], [`skip_forward`]) joins a context word to
//!   its value through separators and filler words only: "mi usuario de
//!   telegram es @x", "wickr me at x", "Telegram/Wickr: x". Any other word
//!   breaks it. Handles need this: an `@name` three words after "telegram"
//!   in a sentence may well be a forum mention.
//! * **Near** ([`near_context`]) is the closest context word within a short
//!   window on the same line, whatever stands between. Phone numbers and
//!   email addresses are contacts by their shape; the context only says
//!   which platform they are for ("WhatsApp 24/7 al 987654321").

use super::keywords::{self, Ctx, Filler};
use super::platforms::Platform;
use super::text::{self, BACK_WINDOW, FWD_WINDOW};

/// Longest stretch a chain may span, in bytes.
const CHAIN_BYTES: usize = 64;
/// Most words a chain may cross.
const CHAIN_WORDS: usize = 6;

/// The platforms a chain names, nearest first.
#[derive(Debug, Default)]
pub(super) struct Chain {
    platforms: [Option<Platform>; 4],
}

impl Chain {
    fn add(&mut self, p: Platform) {
        if self.platforms.contains(&Some(p)) {
            return;
        }
        if let Some(slot) = self.platforms.iter_mut().find(|s| s.is_none()) {
            *slot = Some(p);
        }
    }

    /// The platforms named, nearest first.
    pub(super) fn platforms(&self) -> impl Iterator<Item = Platform> + '_ {
        self.platforms.iter().flatten().copied()
    }
}

/// What a word means inside a chain.
enum Link {
    Platform(Platform),
    Filler(Filler),
    Break,
}

fn link(word: &[u8]) -> Link {
    let Some(w) = keywords::fold(word) else {
        return Link::Break;
    };
    let w = w.bytes();
    if let Some(Ctx::On(p)) = keywords::context(w) {
        return Link::Platform(p);
    }
    if let Some(f) = keywords::filler(w) {
        return Link::Filler(f);
    }
    if keywords::is_conjunction(w) {
        return Link::Filler(Filler::Weak);
    }
    Link::Break
}

/// The chain of context words that ends right before `pos`.
pub(super) fn chain_before(bytes: &[u8], pos: usize) -> Chain {
    let mut chain = Chain::default();
    let limit = pos.saturating_sub(CHAIN_BYTES);
    let mut i = pos;
    for _ in 0..CHAIN_WORDS {
        while let Some((len, _)) = text::sep_before(bytes, i) {
            if i - len < limit {
                return chain;
            }
            i -= len;
        }
        let ws = text::word_start(bytes, i);
        if ws == i || ws < limit {
            break;
        }
        match link(&bytes[ws..i]) {
            Link::Platform(p) => chain.add(p),
            Link::Filler(_) => {}
            Link::Break => break,
        }
        i = ws;
    }
    chain
}

/// Where a forward chain from a context word led.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Path {
    /// Start of the value.
    pub(super) start: usize,
    /// A label was crossed: `:`, `=`, `>`, `→`, `»`.
    pub(super) label: bool,
    /// A copula was crossed: "is", "es", or "at" right after the context
    /// word ("wickr me at x").
    pub(super) copula: bool,
}

/// Steps from the end of a context word over separators, fillers and other
/// context words to the value it announces, or `None` if the chain breaks
/// (newline, sentence punctuation, too far).
pub(super) fn skip_forward(bytes: &[u8], from: usize) -> Option<Path> {
    let limit = (from + CHAIN_BYTES).min(bytes.len());
    let mut path = Path {
        start: from,
        label: false,
        copula: false,
    };
    let mut only_me = true;
    let mut i = from;
    for _ in 0..=CHAIN_WORDS {
        while let Some((len, strong)) = text::sep_at(bytes, i) {
            path.label |= strong;
            i += len;
        }
        if i >= limit {
            return None;
        }
        let we = text::word_end(bytes, i);
        if we == i {
            return Some(Path { start: i, ..path });
        }
        match link(&bytes[i..we]) {
            Link::Platform(_) => only_me = false,
            Link::Filler(Filler::Copula) => path.copula = true,
            Link::Filler(Filler::At) => path.copula |= only_me,
            Link::Filler(Filler::Weak) => only_me &= bytes[i..we].eq_ignore_ascii_case(b"me"),
            Link::Break => return Some(Path { start: i, ..path }),
        }
        i = we;
    }
    None
}

/// Whether one of the three words before `pos` is possessive ("mi", "our",
/// "add"), making the next bare word after the context its owner's name.
pub(super) fn possessive_before(bytes: &[u8], pos: usize) -> bool {
    let mut at = pos;
    for _ in 0..3 {
        match word_before(bytes, at, 3) {
            Some((ws, w)) => {
                if keywords::is_possessive(w.bytes()) {
                    return true;
                }
                at = ws;
            }
            None => return false,
        }
    }
    false
}

/// The nearest context word within [`BACK_WINDOW`] bytes before `start`,
/// else (if `forward`) within [`FWD_WINDOW`] bytes after `end`, on the
/// same line. Looking forward stops at the next number or `@`, and at a
/// context word that labels what follows it ("… Signal: +44…").
pub(super) fn near_context(bytes: &[u8], start: usize, end: usize, forward: bool) -> Option<Ctx> {
    let lo = start.saturating_sub(BACK_WINDOW);
    let mut i = start;
    while i > lo {
        if bytes[i - 1] == b'\n' {
            break;
        }
        let ws = text::word_start(bytes, i);
        if ws == i {
            i -= 1;
            continue;
        }
        if ws < lo {
            break;
        }
        if let Some(c) = word_context(&bytes[ws..i]) {
            return Some(c);
        }
        i = ws;
    }
    let hi = if forward {
        (end + FWD_WINDOW).min(bytes.len())
    } else {
        end
    };
    let mut i = end;
    while i < hi {
        let b = bytes[i];
        if b == b'\n' || b == b'@' || b.is_ascii_digit() {
            break;
        }
        let we = text::word_end(bytes, i);
        if we == i {
            i += 1;
            continue;
        }
        if we > hi {
            break;
        }
        if let Some(c) = word_context(&bytes[i..we]) {
            let next = text::run_end(bytes, we, 3, |b| b == b' ');
            return (!matches!(bytes.get(next), Some(b':' | b'='))).then_some(c);
        }
        i = we;
    }
    None
}

fn word_context(word: &[u8]) -> Option<Ctx> {
    keywords::fold(word).and_then(|w| keywords::context(w.bytes()))
}

/// The folded word that ends at `i` after skipping up to `max` spaces or
/// colons, with its start; used to look at a number's left neighbours.
pub(super) fn word_before(bytes: &[u8], i: usize, max: usize) -> Option<(usize, keywords::Folded)> {
    let j = text::run_start(bytes, i, max, |b| b == b' ' || b == b':');
    let ws = text::word_start(bytes, j);
    if ws == j {
        return None;
    }
    keywords::fold(&bytes[ws..j]).map(|w| (ws, w))
}

/// The folded word that starts at `i` after skipping up to `max` spaces.
pub(super) fn word_after(bytes: &[u8], i: usize, max: usize) -> Option<keywords::Folded> {
    let j = text::run_end(bytes, i, max, |b| b == b' ');
    let we = text::word_end(bytes, j);
    if we == j {
        return None;
    }
    keywords::fold(&bytes[j..we])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(s: &str) -> Vec<Platform> {
        let pos = s.find('@').unwrap_or(s.len());
        chain_before(s.as_bytes(), pos).platforms().collect()
    }

    #[test]
    fn chains_cross_fillers_and_labels() {
        assert_eq!(
            chain("mi usuario de telegram es @x"),
            vec![Platform::Telegram]
        );
        assert_eq!(chain("escríbeme al tele @x"), vec![Platform::Telegram]);
        assert_eq!(
            chain("Telegram/Wickr: @x"),
            vec![Platform::Wickr, Platform::Telegram]
        );
        assert_eq!(chain("telegram es muy bueno, sígueme en @x"), vec![]);
        assert_eq!(chain("telegram\n@x"), vec![]);
    }

    fn path(start: usize, label: bool, copula: bool) -> Option<Path> {
        Some(Path {
            start,
            label,
            copula,
        })
    }

    #[test]
    fn forward_skip_stops_at_the_value() {
        assert_eq!(skip_forward(b"wickr me at xyz", 5), path(12, false, true));
        assert_eq!(
            skip_forward(b"wickr for orders at xyz", 5),
            path(6, false, false)
        );
        assert_eq!(
            skip_forward(b"telegram/wickr: pepe_1", 8),
            path(16, true, false)
        );
        assert_eq!(skip_forward(b"my wickr is x", 8), path(12, false, true));
        assert_eq!(skip_forward(b"tg\npepe", 2), path(2, false, false));
        assert!(possessive_before(b"ADD OUR NEW WICKR", 13));
        assert!(!possessive_before(b"the wickr", 4));
    }

    #[test]
    fn near_context_is_nearest_on_the_line() {
        let s = "WhatsApp 24/7 al 987654321";
        let st = s.find("987").unwrap_or(0);
        assert_eq!(
            near_context(s.as_bytes(), st, s.len(), true),
            Some(Ctx::On(Platform::Whatsapp))
        );
        let s = "correo x\n987654321 llámame";
        let st = s.find("987").unwrap_or(0);
        assert_eq!(
            near_context(s.as_bytes(), st, st + 9, true),
            Some(Ctx::Phone)
        );
        assert_eq!(near_context(s.as_bytes(), st, st + 9, false), None);
        let s = "987654321 Signal: +44";
        assert_eq!(near_context(s.as_bytes(), 0, 9, true), None);
    }
}
