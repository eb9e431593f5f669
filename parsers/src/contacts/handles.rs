//! Handles announced by a context word, written either as `@name` ("tg:
//! @pepe_peru", "escríbeme al tele @pepe_peru") or bare ("mi wickr:
//! narcolima", "wickr me at xyz", "contacto zangi 1234567890"), and Matrix
//! IDs (`@user:server.tld`).
//!
//! An `@name` alone is never reported: on a forum it is a mention, on a
//! market it may be a Twitter account or the tail of an email. It needs a
//! chain back to a context word (see [`super::context`]). A bare name needs
//! more still (see [`platforms::Via`]): when introduced by a label, copula
//! or possessive it must not be a common word and, unless it looks like a
//! username, must end its phrase ("Telegram: disponible 24/7", "a Wickr
//! handle is embedded in…" are prose); after a context word alone it must
//! look like a username.

use super::context;
use super::email;
use super::keywords::{self, Ctx};
use super::platforms::{self, Platform, Via};
use super::text::{self, is_ascii_word};
use super::{ContactKind, Sink};

fn is_token_byte(b: u8) -> bool {
    is_ascii_word(b) || matches!(b, b'.' | b'-')
}

/// End of a token once trailing sentence punctuation is dropped.
fn trim_end(bytes: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && matches!(bytes[end - 1], b'.' | b'-') {
        end -= 1;
    }
    end
}

/// Whether the phrase ends at `i`: end of line, punctuation, a number, or a
/// word that continues a contact list ("y", "or", "wickr", "para"…). After
/// a `:` label (`lenient`) a filler word may follow too ("Wickr: x en
/// Lima"); after a copula it may not ("a Wickr handle is embedded in…").
/// A bare handle in the middle of a sentence is more likely a word.
fn phrase_ends(bytes: &[u8], i: usize, lenient: bool) -> bool {
    let j = text::run_end(bytes, i, 8, |b| b == b' ' || b == b'\t');
    match bytes.get(j) {
        None => true,
        Some(&b) if !(b.is_ascii_alphabetic() || b >= 0x80) => true,
        Some(_) => {
            let we = text::word_end(bytes, j);
            keywords::fold(&bytes[j..we]).is_some_and(|w| {
                let w = w.bytes();
                keywords::context(w).is_some()
                    || keywords::is_conjunction(w)
                    || keywords::is_phrase_tail(w)
                    || (lenient && keywords::filler(w).is_some())
            })
        }
    }
}

/// End of a Matrix server name (`matrix.org`, `chat.example.com:8448`)
/// starting at `i`.
fn server_end(bytes: &[u8], mut i: usize) -> Option<usize> {
    let mut labels = 0;
    let mut last = (i, i);
    loop {
        let e = text::run_end(bytes, i, 63, |b| b.is_ascii_alphanumeric() || b == b'-');
        if e == i {
            break;
        }
        labels += 1;
        last = (i, e);
        if bytes.get(e) == Some(&b'.') && bytes.get(e + 1).is_some_and(u8::is_ascii_alphanumeric) {
            i = e + 1;
        } else {
            break;
        }
    }
    let tld = &bytes[last.0..last.1];
    if labels < 2 || !(2..=24).contains(&tld.len()) || !tld.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let mut end = last.1;
    if bytes.get(end) == Some(&b':') {
        let pe = text::run_end(bytes, end + 1, 5, |b| b.is_ascii_digit());
        if pe > end + 1 {
            end = pe;
        }
    }
    (!text::glued_after(bytes, end)).then_some(end)
}

/// A Matrix ID `@local:server` whose `:` is at `colon`. Returns whether
/// one was found.
fn matrix(text: &str, at: usize, colon: usize, sink: &mut Sink) -> bool {
    let bytes = text.as_bytes();
    let Some(end) = server_end(bytes, colon + 1) else {
        return false;
    };
    let value = format!(
        "@{}:{}",
        text::lower(&bytes[at + 1..colon]),
        text::lower(&bytes[colon + 1..end])
    );
    let p = match context::near_context(bytes, at, end, false) {
        Some(Ctx::On(Platform::Element)) => Platform::Element,
        _ => Platform::Matrix,
    };
    sink.push(ContactKind::Contact(p), value, at, end);
    true
}

/// Handles an `@` at `at`: an email-like form, a Matrix ID, or a handle
/// after a chain of context words.
pub(super) fn on_at(text: &str, at: usize, sink: &mut Sink) {
    if email::at_sign(text, at, sink) {
        return;
    }
    let bytes = text.as_bytes();
    if text::glued_before(bytes, at)
        || (at > 0 && matches!(bytes[at - 1], b'.' | b'-' | b'@' | b'+' | b'%'))
    {
        return;
    }
    let ts = at + 1;
    let raw_end = text::run_end(bytes, ts, 65, is_token_byte);
    if raw_end == ts || text::glued_after(bytes, raw_end) {
        return;
    }
    if bytes.get(raw_end) == Some(&b':') && matrix(text, at, raw_end, sink) {
        return;
    }
    if bytes.get(raw_end) == Some(&b'@') {
        return;
    }
    let te = trim_end(bytes, ts, raw_end);
    let tok = &bytes[ts..te];
    let chain = context::chain_before(bytes, at);
    for p in chain.platforms() {
        if let Some(v) = platforms::handle_value(p, tok, Via::At) {
            sink.push(ContactKind::Contact(p), v, at, te);
        }
    }
}

/// Handles a context word for platform `p` at `[kw_start, kw_end)`: reads
/// the bare handle it announces, if any. `@handles`, numbers and links are
/// left to their own scanners. An `ambiguous` context word ("tele", also
/// Spanish for TV) needs a username-like value: "la tele: Samsung".
pub(super) fn after_keyword(
    text: &str,
    (kw_start, kw_end): (usize, usize),
    p: Platform,
    ambiguous: bool,
    sink: &mut Sink,
) {
    let bytes = text.as_bytes();
    let Some(path) = context::skip_forward(bytes, kw_end) else {
        return;
    };
    let ts = path.start;
    let raw_end = text::run_end(bytes, ts, 65, |b| is_token_byte(b) || b == b'*');
    if raw_end == ts || text::glued_after(bytes, raw_end) {
        return;
    }
    let next = bytes.get(raw_end).copied();
    let next2 = bytes.get(raw_end + 1).copied();
    if matches!(next, Some(b'@' | b'/'))
        || (next == Some(b':') && next2.is_some_and(|b| !b.is_ascii_whitespace()))
    {
        return;
    }
    let te = trim_end(bytes, ts, raw_end);
    let tok = &bytes[ts..te];
    let intro = path.label || path.copula || context::possessive_before(bytes, kw_start);
    let via = if intro && !ambiguous {
        Via::Strong
    } else {
        Via::Weak
    };
    if via == Via::Strong && !platforms::username_like(tok) && !phrase_ends(bytes, te, path.label) {
        return;
    }
    if let Some(v) = platforms::handle_value(p, tok, via) {
        sink.push(ContactKind::Contact(p), v, ts, te);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str) -> Vec<(String, usize, usize)> {
        let mut sink = Sink::default();
        for (i, _) in s.match_indices('@') {
            on_at(s, i, &mut sink);
        }
        sink.0
            .into_iter()
            .map(|m| (m.value, m.start, m.end))
            .collect()
    }

    #[test]
    fn mentions_need_a_chain() {
        assert_eq!(run("tg: @pepe_peru."), vec![("@pepe_peru".into(), 4, 14)]);
        assert!(run("gracias @pepe_peru por el envío").is_empty());
        assert!(run("telegram es lento, pregunta a @pepe_peru").is_empty());
    }

    #[test]
    fn matrix_ids() {
        assert_eq!(
            run("@pepe:matrix.org"),
            vec![("@pepe:matrix.org".into(), 0, 16)]
        );
        assert!(run("@pepe: hola").is_empty());
    }

    #[test]
    fn bare_handles_end_their_phrase() {
        assert!(phrase_ends(b"x", 1, false));
        assert!(phrase_ends(b"x y wickr", 1, false));
        assert!(phrase_ends(b"x (24/7)", 1, false));
        assert!(!phrase_ends(b"x available now", 1, true));
        assert!(phrase_ends(b"x para pedidos", 1, false));
        assert!(!phrase_ends(b"x in listing titles", 1, false));
        assert!(phrase_ends(b"x en Lima", 1, true));
    }
}
