//! Email addresses, plain (`pepe@proton.me`) and obfuscated (`pepe [at]
//! proton [dot] me`, `pepe arroba gmail punto com`, `pepe @ gmail . com`),
//! and the XMPP addresses (JIDs) that look exactly like them.
//!
//! Obfuscated forms come from prose, so they are held to a stricter test:
//! the last label must be a known TLD and, for word forms, no part may be a
//! common word. A JID is told from an email by its server (a list of public
//! XMPP servers) or by a jabber/xmpp context word nearby; it is reported as
//! `Contact(Xmpp)` and not also as an email.

use super::context;
use super::keywords::{self, Ctx};
use super::platforms::Platform;
use super::text::{self, has_at, has_before};
use super::{ContactKind, Sink};

/// How a separator was written; decides how strict validation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Style {
    /// `@`, `.`
    Plain,
    /// `[at]`, `(@)`, `[dot]`, `(.)`
    Bracket,
    /// `arroba`, ` @ `, ` dot `, ` punto `, ` . `
    Word,
}

const DOT_MARKERS: &[(&[u8], Style)] = &[
    (b"[.]", Style::Bracket),
    (b"(.)", Style::Bracket),
    (b"{.}", Style::Bracket),
    (b"[dot]", Style::Bracket),
    (b"(dot)", Style::Bracket),
    (b"{dot}", Style::Bracket),
    (b"<dot>", Style::Bracket),
    (b"[punto]", Style::Bracket),
    (b"(punto)", Style::Bracket),
    (b" dot ", Style::Word),
    (b" punto ", Style::Word),
    (b" . ", Style::Word),
];

/// Public XMPP servers: an address on one of these (or a subdomain) is a
/// JID even without a "jabber" context word.
const XMPP_SERVERS: &[&[u8]] = &[
    b"exploit.im",
    b"404.city",
    b"xmpp.jp",
    b"dukgo.com",
    b"thesecure.biz",
    b"jabb.im",
    b"creep.im",
    b"blabber.im",
    b"conversations.im",
    b"omemo.im",
    b"jabbim.cz",
    b"jabbim.com",
    b"yax.im",
    b"01337.io",
    b"draugr.de",
    b"trashserver.net",
    b"securejabber.me",
    b"otr.im",
    b"anonym.im",
    b"jix.im",
    b"sure.im",
    b"xabber.org",
    b"xabber.de",
    b"lightwitch.org",
    b"jabber.ru",
    b"jabber.cz",
    b"jabber.de",
    b"jabber.org",
    b"jabber.at",
    b"jabber.fr",
    b"jabber.sk",
    b"jabber.ccc.de",
    b"suchat.org",
    b"jabber.calyxinstitute.org",
    b"xmpp.is",
    b"xmpp.su",
    b"hot-chilli.net",
    b"chatterboxtown.us",
    b"jabster.pl",
    b"wiuwiu.de",
];

/// Most labels in a domain we accept; longer ones are not mail servers.
const MAX_LABELS: usize = 8;

fn is_local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// The dot marker at `i`, with an optional space either side of brackets.
fn dot_at(bytes: &[u8], i: usize) -> Option<(usize, Style)> {
    if bytes.get(i) == Some(&b'.') && bytes.get(i + 1) != Some(&b' ') {
        return Some((1, Style::Plain));
    }
    let sp = usize::from(bytes.get(i) == Some(&b' '));
    for &(m, style) in DOT_MARKERS {
        let at = if style == Style::Bracket { i + sp } else { i };
        if has_at(bytes, at, m) {
            let end = at + m.len();
            let tail = usize::from(style == Style::Bracket && bytes.get(end) == Some(&b' '));
            return Some((end + tail - i, style));
        }
    }
    None
}

/// The dot marker ending at `i` (mirror of [`dot_at`]).
fn dot_before(bytes: &[u8], i: usize) -> Option<(usize, Style)> {
    if i > 0 && bytes[i - 1] == b'.' {
        return Some((1, Style::Plain));
    }
    let sp = usize::from(i > 0 && bytes[i - 1] == b' ');
    for &(m, style) in DOT_MARKERS {
        let at = if style == Style::Bracket { i - sp } else { i };
        if has_before(bytes, at, m) {
            let start = at - m.len();
            let head =
                usize::from(style == Style::Bracket && start > 0 && bytes[start - 1] == b' ');
            return Some((i - start + head, style));
        }
    }
    None
}

/// File extensions that end `logo@2x.png`-style names (retina images in
/// page text), which are not addresses.
fn is_file_extension(tld: &[u8]) -> bool {
    let ext = text::lower(tld);
    " png jpg jpeg gif svg webp ico css js html htm php txt pdf ".contains(&format!(" {ext} "))
}

/// A domain parsed forward from `i`: its end, its lower-cased value and
/// the strictest separator style used.
fn domain_after(bytes: &[u8], i: usize) -> Option<(usize, String, Style)> {
    let mut labels = [(0, 0); MAX_LABELS];
    // styles[k] is the separator before label k.
    let mut styles = [Style::Plain; MAX_LABELS + 1];
    let mut n = 0;
    let mut pos = i;
    loop {
        let e = text::run_end(bytes, pos, 63, is_label_byte);
        if e == pos || bytes[pos] == b'-' || bytes[e - 1] == b'-' {
            break;
        }
        if n == MAX_LABELS {
            return None;
        }
        labels[n] = (pos, e);
        n += 1;
        match dot_at(bytes, e) {
            Some((len, style)) if bytes.get(e + len).is_some_and(|&b| is_label_byte(b)) => {
                styles[n] = style;
                pos = e + len;
            }
            _ => break,
        }
    }
    // The longest prefix of labels that ends in an acceptable TLD.
    for k in (2..=n).rev() {
        let (ts, te) = labels[k - 1];
        if k == n && text::glued_after(bytes, te) {
            continue;
        }
        let style = styles[1..k].iter().copied().max().unwrap_or(Style::Plain);
        let tld = &bytes[ts..te];
        let alpha = (2..=24).contains(&tld.len()) && tld.iter().all(u8::is_ascii_alphabetic);
        let ok = if style == Style::Plain {
            (alpha && !is_file_extension(tld)) || (tld.len() > 4 && has_at(tld, 0, b"xn--"))
        } else {
            alpha && keywords::is_known_tld(&text::lower(tld).into_bytes())
        };
        if ok {
            let value: Vec<String> = labels[..k]
                .iter()
                .map(|&(s, e)| text::lower(&bytes[s..e]))
                .collect();
            return Some((te, value.join("."), style));
        }
    }
    None
}

/// A local part parsed backward from `i`: its start and lower-cased value.
fn local_before(bytes: &[u8], i: usize, obfuscated: bool) -> Option<(usize, String, Style)> {
    let mut parts: Vec<(usize, usize)> = Vec::new();
    let mut style = Style::Plain;
    let mut end = i;
    loop {
        let s = text::run_start(bytes, end, 64, is_local_byte);
        if s == end || parts.len() == 8 {
            break;
        }
        parts.push((s, end));
        match dot_before(bytes, s) {
            Some((len, st)) if obfuscated && st == Style::Bracket && s > len => {
                if !is_local_byte(bytes[s - len - 1]) {
                    break;
                }
                style = style.max(st);
                end = s - len;
            }
            _ => break,
        }
    }
    let &(mut start, _) = parts.last()?;
    while start < i && matches!(bytes[start], b'.' | b'-' | b'+' | b'%') {
        start += 1;
    }
    if text::glued_before(bytes, start) || start == i {
        return None;
    }
    let mut value = String::new();
    for (k, &(s, e)) in parts.iter().rev().enumerate() {
        if k > 0 {
            value.push('.');
        }
        value.push_str(&text::lower(&bytes[s.max(start)..e]));
    }
    let v = value.as_bytes();
    if v.len() > 64 || v.first() == Some(&b'.') || v.last() == Some(&b'.') || value.contains("..") {
        return None;
    }
    Some((start, value, style))
}

/// Whether an address sits inside a URL (`https://x.com/?to=pepe@y.com`,
/// `ftp://user:pw@host`): those are not contacts the vendor gave.
fn inside_url(bytes: &[u8], start: usize) -> bool {
    if start > 0 && bytes[start - 1] == b'/' {
        return true;
    }
    let run = text::run_start(bytes, start, 256, |b| !b.is_ascii_whitespace());
    memchr::memmem::find(&bytes[run..start], b"://").is_some()
}

/// Email or JID, by server and context.
fn kind_of(bytes: &[u8], start: usize, end: usize, domain: &str) -> ContactKind {
    let d = domain.as_bytes();
    let known = d.starts_with(b"jabber.")
        || d.starts_with(b"xmpp.")
        || XMPP_SERVERS
            .iter()
            .any(|s| d == *s || (d.ends_with(s) && d[d.len() - s.len() - 1] == b'.'));
    if known || context::near_context(bytes, start, end, false) == Some(Ctx::On(Platform::Xmpp)) {
        ContactKind::Contact(Platform::Xmpp)
    } else {
        ContactKind::Email
    }
}

fn is_wordy_common(s: &str) -> bool {
    s.split('.')
        .any(|part| keywords::fold(part.as_bytes()).is_some_and(|w| keywords::is_common(w.bytes())))
}

/// Handles an `@` byte. Returns whether it belonged to an email-like
/// form, so the caller does not also read it as a mention.
pub(super) fn at_sign(text: &str, at: usize, sink: &mut Sink) -> bool {
    let bytes = text.as_bytes();
    let prev = if at > 0 { bytes[at - 1] } else { b' ' };
    let next = bytes.get(at + 1).copied().unwrap_or(b' ');
    match (prev, next) {
        (b'[', b']') | (b'(', b')') | (b'{', b'}') | (b'<', b'>') => {
            return obfuscated(text, (at - 1, at + 2), Style::Bracket, false, sink);
        }
        (b' ', b' ') => return obfuscated(text, (at, at + 1), Style::Word, false, sink),
        _ => {}
    }
    if !is_local_byte(prev) {
        return false;
    }
    let Some((start, local, _)) = local_before(bytes, at, false) else {
        return true;
    };
    let Some((end, domain, _)) = domain_after(bytes, at + 1) else {
        return true;
    };
    let after = bytes.get(end).copied().unwrap_or(b' ');
    let port = after == b':' && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
    if inside_url(bytes, start) || matches!(after, b'/' | b'@') || port {
        return true;
    }
    let kind = kind_of(bytes, start, end, &domain);
    sink.push(kind, format!("{local}@{domain}"), start, end);
    true
}

/// An obfuscated address around the at-marker `[ms, me)`: `[at]`, `(at)`,
/// `arroba`, `[@]`, ` @ `, ` at `. Returns whether one was found.
/// `needs_ctx` asks for an email or XMPP context word before the address
/// (for the plain word " at ").
fn obfuscated(
    text: &str,
    (ms, me): (usize, usize),
    style: Style,
    needs_ctx: bool,
    sink: &mut Sink,
) -> bool {
    let bytes = text.as_bytes();
    let (mut ms, mut me, mut style) = (ms, me, style);
    if has_at(bytes, ms, b"arroba") {
        if text::glued_before(bytes, ms) || text::glued_after(bytes, me) {
            return false;
        }
        if ms > 0
            && me < bytes.len()
            && matches!((bytes[ms - 1], bytes[me]), (b'[', b']') | (b'(', b')'))
        {
            ms -= 1;
            me += 1;
        } else {
            style = Style::Word;
        }
    }
    if ms > 0 && bytes[ms - 1] == b' ' {
        ms -= 1;
    } else if style == Style::Word {
        return false;
    }
    if bytes.get(me) == Some(&b' ') {
        me += 1;
    } else if style == Style::Word {
        return false;
    }
    let Some((start, local, lstyle)) = local_before(bytes, ms, true) else {
        return false;
    };
    let Some((end, domain, dstyle)) = domain_after(bytes, me) else {
        return false;
    };
    let tld = domain.rsplit('.').next().unwrap_or_default();
    if !keywords::is_known_tld(tld.as_bytes()) || inside_url(bytes, start) {
        return false;
    }
    let wordy = style.max(lstyle).max(dstyle) == Style::Word;
    if wordy
        && (is_wordy_common(&local)
            || is_wordy_common(domain.split('.').next().unwrap_or_default()))
    {
        return false;
    }
    if needs_ctx
        && !matches!(
            context::near_context(bytes, start, end, false),
            Some(Ctx::Email | Ctx::On(Platform::Xmpp))
        )
    {
        return false;
    }
    let kind = kind_of(bytes, start, end, &domain);
    sink.push(kind, format!("{local}@{domain}"), start, end);
    true
}

/// Entry point for the prefilter's " at " (`hit` is the leading space):
/// `darkdotfail at jabber.calyxinstitute.org` after "Jabber:". "at" is so
/// common in English that it needs an email/XMPP context word before it
/// and a domain right after it.
pub(super) fn on_at_word(text: &str, hit: usize, sink: &mut Sink) {
    let bytes = text.as_bytes();
    let ds = hit + 4;
    let le = text::run_end(bytes, ds, 63, is_label_byte);
    if le == ds || !matches!(bytes.get(le), Some(b'.' | b'[' | b'(' | b'{')) {
        return;
    }
    obfuscated(text, (hit + 1, hit + 3), Style::Word, true, sink);
}

/// Entry point for the prefilter's at-markers (`[at]`, `(at)`, `arroba`…).
pub(super) fn on_marker(text: &str, ms: usize, me: usize, sink: &mut Sink) {
    obfuscated(text, (ms, me), Style::Bracket, false, sink);
}
