//! The prefilter: finds the few places in a text worth a closer look, and
//! hands each to its extractor.
//!
//! Most text holds no contact, so the scan must be cheap where there is
//! nothing. Three passes, each with a vectorised search:
//!
//! 1. Keywords that introduce a *bare* value or a link ("telegram", "tg:",
//!    "wickr", "threema", "t.me/", "wa.me/", "[at]", "arroba"…), with
//!    Teddy (SIMD multi-pattern search) over an ASCII-lower-cased copy of
//!    the text, taken a chunk at a time. Teddy cannot fold case itself, and
//!    lower-casing a 64 KiB chunk costs far less than the alternatives.
//!    Context words that only ever precede an `@` or a number ("wsp",
//!    "cel", "jabber", "element") are not searched for: the value's own
//!    scanner looks back for them.
//! 2. `@`, with `memchr`: emails, JIDs, Matrix IDs, `@handles`.
//! 3. ASCII digits, a 32-byte block at a time: phones, hex IDs.
//!
//! Passes are independent; results are merged and sorted by the caller.

use std::sync::OnceLock;

use aho_corasick::packed::{Config, MatchKind, Searcher};
use aho_corasick::AhoCorasick;

use super::platforms::Platform;
use super::{email, handles, keywords, links, phone, text, Sink};

#[derive(Clone, Copy, Debug)]
enum Trigger {
    /// A platform's name: a context word or the start of its link.
    Word(Platform),
    /// `tg:` / `tg ` (too short to search for without the separator).
    Tg,
    TMe,
    WaMe,
    WhatsappCom,
    /// `[at]`, `(at)`, `arroba`…
    AtMarker,
    /// ` at `, only with an email or XMPP context word.
    AtWord,
}

/// Searched for in lower-cased text; at least 3 bytes each so that Teddy
/// fingerprints on three bytes and rarely stops on ordinary prose.
const PATTERNS: &[(&str, Trigger)] = &[
    ("telegram", Trigger::Word(Platform::Telegram)),
    ("tg:", Trigger::Tg),
    ("tg ", Trigger::Tg),
    ("tele ", Trigger::Word(Platform::Telegram)),
    ("tele:", Trigger::Word(Platform::Telegram)),
    ("t.me/", Trigger::TMe),
    ("wa.me/", Trigger::WaMe),
    ("whatsapp.com/", Trigger::WhatsappCom),
    ("signal", Trigger::Word(Platform::Signal)),
    ("wickr", Trigger::Word(Platform::Wickr)),
    ("threema", Trigger::Word(Platform::Threema)),
    ("zangi", Trigger::Word(Platform::Zangi)),
    ("armadillo", Trigger::Word(Platform::Armadillo)),
    ("jami", Trigger::Word(Platform::Jami)),
    ("briar", Trigger::Word(Platform::Briar)),
    ("simplex", Trigger::Word(Platform::Simplex)),
    ("[at]", Trigger::AtMarker),
    ("(at)", Trigger::AtMarker),
    ("{at}", Trigger::AtMarker),
    ("<at>", Trigger::AtMarker),
    ("arroba", Trigger::AtMarker),
    (" at ", Trigger::AtWord),
];

/// Bytes lower-cased and searched at a time.
const CHUNK: usize = 64 * 1024;
/// Overlap between chunks: longer than any pattern.
const OVERLAP: usize = 16;

enum Finder {
    Packed(Searcher),
    Automaton(AhoCorasick),
    /// Neither could be built; keywords are then looked up one by one.
    Naive,
}

fn finder() -> &'static Finder {
    static FINDER: OnceLock<Finder> = OnceLock::new();
    FINDER.get_or_init(|| {
        let pats = PATTERNS.iter().map(|(p, _)| p);
        if let Some(s) = Config::new()
            .match_kind(MatchKind::LeftmostLongest)
            .builder()
            .extend(pats)
            .build()
        {
            return Finder::Packed(s);
        }
        let pats = PATTERNS.iter().map(|(p, _)| p);
        match AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(pats)
        {
            Ok(ac) => Finder::Automaton(ac),
            Err(_) => Finder::Naive,
        }
    })
}

/// Calls `f(start, end, pattern)` for every keyword in `hay`, in order.
fn each_keyword(hay: &[u8], mut f: impl FnMut(usize, usize, usize)) {
    match finder() {
        Finder::Packed(s) => s
            .find_iter(hay)
            .for_each(|m| f(m.start(), m.end(), m.pattern().as_usize())),
        Finder::Automaton(ac) => ac
            .find_iter(hay)
            .for_each(|m| f(m.start(), m.end(), m.pattern().as_usize())),
        Finder::Naive => {
            for (k, (p, _)) in PATTERNS.iter().enumerate() {
                for s in memchr::memmem::find_iter(hay, p.as_bytes()) {
                    f(s, s + p.len(), k);
                }
            }
        }
    }
}

fn dispatch(text: &str, start: usize, end: usize, trigger: Trigger, sink: &mut Sink) {
    let bytes = text.as_bytes();
    match trigger {
        Trigger::TMe => links::t_me(text, start, sink),
        Trigger::WaMe => links::wa_me(text, start, sink),
        Trigger::WhatsappCom => links::whatsapp_com(text, start, sink),
        Trigger::AtMarker => email::on_marker(text, start, end, sink),
        Trigger::AtWord => email::on_at_word(text, start, sink),
        Trigger::Tg => {
            if text::glued_before(bytes, start) || links::tg_uri(text, start, sink) {
                return;
            }
            handles::after_keyword(text, (start, start + 2), Platform::Telegram, false, sink);
        }
        Trigger::Word(p) => {
            if text::glued_before(bytes, start) {
                return;
            }
            let we = text::word_end(bytes, start);
            if links::after_word(text, start, we, p, sink) {
                return;
            }
            let Some(word) = keywords::fold(&bytes[start..we]) else {
                return;
            };
            if keywords::context(word.bytes()) == Some(keywords::Ctx::On(p)) {
                let ambiguous = word.bytes() == b"tele";
                handles::after_keyword(text, (start, we), p, ambiguous, sink);
            }
        }
    }
}

fn keyword_pass(text: &str, sink: &mut Sink) {
    let bytes = text.as_bytes();
    let mut buf = Vec::with_capacity(bytes.len().min(CHUNK) + OVERLAP);
    let mut pos = 0;
    while pos < bytes.len() {
        let end = (pos + CHUNK).min(bytes.len());
        let ext = (end + OVERLAP).min(bytes.len());
        buf.clear();
        buf.extend(bytes[pos..ext].iter().map(u8::to_ascii_lowercase));
        each_keyword(&buf, |s, e, k| {
            if s < end - pos {
                if let Some(&(_, trigger)) = PATTERNS.get(k) {
                    dispatch(text, pos + s, pos + e, trigger, sink);
                }
            }
        });
        pos = end;
    }
}

/// Bit `k` set where `block[k]` is an ASCII digit. Written so that the
/// compiler turns it into a compare and a move-mask on 32 bytes at once.
#[inline]
fn digit_mask(block: &[u8]) -> u32 {
    block.iter().enumerate().fold(0u32, |m, (k, &b)| {
        m | (u32::from(b.wrapping_sub(b'0') < 10) << k)
    })
}

fn digit_pass(text: &str, sink: &mut Sink) {
    let bytes = text.as_bytes();
    let mut next = 0;
    let blocks = bytes.chunks_exact(32);
    let tail = blocks.remainder();
    let tail_base = bytes.len() - tail.len();
    let mut visit = |base: usize, mut mask: u32| {
        while mask != 0 {
            let i = base + mask.trailing_zeros() as usize;
            if i >= next {
                next = phone::on_digit(text, i, sink).max(i + 1);
            }
            mask &= mask - 1;
        }
    };
    for (c, block) in blocks.enumerate() {
        let mask = digit_mask(block);
        if mask != 0 {
            visit(c * 32, mask);
        }
    }
    visit(tail_base, digit_mask(tail));
}

/// Runs every pass over `text`.
pub(super) fn run(text: &str, sink: &mut Sink) {
    keyword_pass(text, sink);
    for at in memchr::memchr_iter(b'@', text.as_bytes()) {
        handles::on_at(text, at, sink);
    }
    digit_pass(text, sink);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_lower_case_and_long_enough() {
        for (p, _) in PATTERNS {
            assert_eq!(p.to_ascii_lowercase(), *p);
            assert!(p.len() >= 3 && p.len() < OVERLAP);
        }
        assert!(!matches!(finder(), Finder::Naive));
    }

    #[test]
    fn keywords_across_chunk_boundaries_are_found() {
        let mut s = "x".repeat(CHUNK - 3);
        s.push_str(" TELEGRAM: pepe_peru");
        let mut sink = Sink::default();
        run(&s, &mut sink);
        assert_eq!(sink.0.len(), 1);
        assert_eq!(sink.0[0].value, "@pepe_peru");
    }
}
