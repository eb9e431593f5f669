//! Platform links: `t.me/x`, `wa.me/51…`, `api.whatsapp.com/send?phone=…`,
//! `signal.me/#p/+51…`, `threema.id/ABCD1234`, `simplex:/contact#…`,
//! `briar://…`, `tg://resolve?domain=x`.
//!
//! A link names its platform, so it needs no context word; it only has to
//! stand on its own (not `chat.me/…`, not glued to letters) and carry a
//! well-formed account. Spans cover the whole link from its scheme, values
//! are the searchable account: `@handle`, an E.164 number (with a separate
//! `Phone` match over the digits), or the normalised invite link.

use super::phone::plus_number;
use super::platforms::{self, Platform};
use super::text::{self, has_at, has_before, is_ascii_word};
use super::{ContactKind, Sink};

/// Telegram paths that are not usernames.
const TELEGRAM_RESERVED: &[&[u8]] = &[
    b"joinchat",
    b"addstickers",
    b"addemoji",
    b"addtheme",
    b"addlist",
    b"share",
    b"proxy",
    b"socks",
    b"setlanguage",
    b"login",
    b"confirmphone",
    b"boost",
    b"invoice",
    b"contact",
];

/// Longest SimpleX link path read; real ones are 200–900 bytes. Bounds the
/// work on hostile text that repeats `simplex:/` without spaces.
const SIMPLEX_MAX: usize = 1500;

/// Start of the URL whose host starts at `host`, including `www.` and an
/// `http(s)://` scheme; `None` if the host is glued to a longer name
/// (`chat.me/`, `xwa.me/`).
fn url_start(bytes: &[u8], host: usize) -> Option<usize> {
    let mut s = host;
    if has_before(bytes, s, b"www.") {
        s -= 4;
    }
    if text::glued_before(bytes, s) || (s > 0 && matches!(bytes[s - 1], b'.' | b'-')) {
        return None;
    }
    for scheme in [&b"https://"[..], b"http://"] {
        if has_before(bytes, s, scheme) {
            return Some(s - scheme.len());
        }
    }
    Some(s)
}

/// End of an invite code, base64url, starting at `i`.
fn code_end(bytes: &[u8], i: usize) -> usize {
    text::run_end(bytes, i, 256, |b| is_ascii_word(b) || b == b'-')
}

/// Pushes the number `bytes[ds..de]` found in a link starting at `start`:
/// a contact over the link and a phone over `[phone_start, de)`.
fn push_number(
    sink: &mut Sink,
    p: Platform,
    bytes: &[u8],
    start: usize,
    phone_start: usize,
    ds: usize,
    de: usize,
) {
    if text::glued_after(bytes, de) {
        return;
    }
    if let Some(v) = plus_number(&bytes[ds..de]) {
        sink.push(ContactKind::Contact(p), v.clone(), start, de);
        sink.push(ContactKind::Phone, v, phone_start, de);
    }
}

/// A Telegram link whose path starts at `path`.
fn telegram_path(bytes: &[u8], start: usize, path: usize, sink: &mut Sink) {
    let invite = if bytes.get(path) == Some(&b'+') {
        Some(path + 1)
    } else if has_at(bytes, path, b"joinchat/") {
        Some(path + 9)
    } else {
        None
    };
    if let Some(hs) = invite {
        let he = code_end(bytes, hs);
        if he - hs >= 8 && !text::glued_after(bytes, he) {
            let v = format!("t.me/+{}", text::ascii(&bytes[hs..he]));
            sink.push(ContactKind::Contact(Platform::Telegram), v, start, he);
        }
        return;
    }
    let hs = if has_at(bytes, path, b"s/") {
        path + 2
    } else {
        path
    };
    let he = text::run_end(bytes, hs, 33, is_ascii_word);
    let h = &bytes[hs..he];
    let dotted =
        bytes.get(he) == Some(&b'.') && bytes.get(he + 1).is_some_and(u8::is_ascii_alphanumeric);
    if text::glued_after(bytes, he) || dotted || bytes.get(he) == Some(&b'-') {
        return;
    }
    let reserved = TELEGRAM_RESERVED.iter().any(|r| h.eq_ignore_ascii_case(r));
    if platforms::is_telegram(h) && !reserved {
        let v = format!("@{}", text::lower(h));
        sink.push(ContactKind::Contact(Platform::Telegram), v, start, he);
    }
}

/// `t.me/…` at `hit`.
pub(super) fn t_me(text: &str, hit: usize, sink: &mut Sink) {
    let bytes = text.as_bytes();
    if let Some(start) = url_start(bytes, hit) {
        telegram_path(bytes, start, hit + 5, sink);
    }
}

/// `tg://resolve?domain=x` and `tg://join?invite=x` at `hit`.
pub(super) fn tg_uri(text: &str, hit: usize, sink: &mut Sink) -> bool {
    let bytes = text.as_bytes();
    if !has_at(bytes, hit, b"tg://") {
        return false;
    }
    if has_at(bytes, hit + 5, b"resolve?domain=") {
        let hs = hit + 20;
        let he = text::run_end(bytes, hs, 33, is_ascii_word);
        if platforms::is_telegram(&bytes[hs..he]) && !text::glued_after(bytes, he) {
            let v = format!("@{}", text::lower(&bytes[hs..he]));
            sink.push(ContactKind::Contact(Platform::Telegram), v, hit, he);
        }
    } else if has_at(bytes, hit + 5, b"join?invite=") {
        let hs = hit + 17;
        let he = code_end(bytes, hs);
        if he - hs >= 8 && !text::glued_after(bytes, he) {
            let v = format!("t.me/+{}", text::ascii(&bytes[hs..he]));
            sink.push(ContactKind::Contact(Platform::Telegram), v, hit, he);
        }
    }
    true
}

/// `wa.me/…` at `hit`.
pub(super) fn wa_me(text: &str, hit: usize, sink: &mut Sink) {
    let bytes = text.as_bytes();
    let Some(start) = url_start(bytes, hit) else {
        return;
    };
    let path = hit + 6;
    if has_at(bytes, path, b"message/") {
        let ce = text::run_end(bytes, path + 8, 64, |b| b.is_ascii_alphanumeric());
        if ce - path - 8 >= 6 && !text::glued_after(bytes, ce) {
            let v = format!("wa.me/message/{}", text::ascii(&bytes[path + 8..ce]));
            sink.push(ContactKind::Contact(Platform::Whatsapp), v, start, ce);
        }
        return;
    }
    let mut ds = if has_at(bytes, path, b"c/") {
        path + 2
    } else {
        path
    };
    ds += usize::from(bytes.get(ds) == Some(&b'+'));
    let de = text::run_end(bytes, ds, 16, |b| b.is_ascii_digit());
    push_number(sink, Platform::Whatsapp, bytes, start, ds, ds, de);
}

/// `[api.|web.|chat.]whatsapp.com/…` at `hit`.
pub(super) fn whatsapp_com(text: &str, hit: usize, sink: &mut Sink) {
    let bytes = text.as_bytes();
    let sub = [&b"chat."[..], b"api.", b"web."]
        .into_iter()
        .find(|s| has_before(bytes, hit, s));
    let host = hit - sub.map_or(0, <[u8]>::len);
    let Some(start) = url_start(bytes, host) else {
        return;
    };
    let path = hit + 13;
    if sub == Some(b"chat.") {
        let ce = text::run_end(bytes, path, 64, |b| b.is_ascii_alphanumeric());
        if ce - path >= 10 && !text::glued_after(bytes, ce) {
            let v = format!("chat.whatsapp.com/{}", text::ascii(&bytes[path..ce]));
            sink.push(ContactKind::Contact(Platform::Whatsapp), v, start, ce);
        }
        return;
    }
    if !has_at(bytes, path, b"send") {
        return;
    }
    let url_end = text::run_end(bytes, path, 512, |b| {
        b > b' ' && b < 0x80 && !b"\"'<>".contains(&b)
    });
    let Some(rel) = memchr::memmem::find(&bytes[path..url_end], b"phone=") else {
        return;
    };
    let mut ds = path + rel + 6;
    if has_at(bytes, ds, b"%2b") {
        ds += 3;
    } else if bytes.get(ds) == Some(&b'+') {
        ds += 1;
    }
    let de = text::run_end(bytes, ds, 16, |b| b.is_ascii_digit());
    push_number(sink, Platform::Whatsapp, bytes, start, ds, ds, de);
}

/// Links that start with a platform's name (`signal.me/…`, `threema.id/…`,
/// `simplex:/…`, `briar://…`, `telegram.me/…`, `jami:…`), where the word
/// `[ws, we)` is that name. Returns whether a link form was present, in
/// which case the word is not also a context word.
pub(super) fn after_word(text: &str, ws: usize, we: usize, p: Platform, sink: &mut Sink) -> bool {
    let bytes = text.as_bytes();
    let at = |pat: &[u8]| has_at(bytes, we, pat);
    match p {
        Platform::Telegram if at(b".me/") || at(b".dog/") => {
            let path = we + if at(b".me/") { 4 } else { 5 };
            if let Some(start) = url_start(bytes, ws) {
                telegram_path(bytes, start, path, sink);
            }
            true
        }
        Platform::Telegram => at(b".org") || at(b".com"),
        Platform::Signal if at(b".me/#p/") => {
            let Some(start) = url_start(bytes, ws) else {
                return true;
            };
            let ps = we + 7;
            let (ds, phone_start) = if bytes.get(ps) == Some(&b'+') {
                (ps + 1, ps)
            } else if has_at(bytes, ps, b"%2b") {
                (ps + 3, ps + 3)
            } else {
                (ps, ps)
            };
            let de = text::run_end(bytes, ds, 16, |b| b.is_ascii_digit());
            push_number(sink, Platform::Signal, bytes, start, phone_start, ds, de);
            true
        }
        Platform::Signal if at(b".me/#eu/") || at(b".me/#u/") || at(b".group/#") => {
            let Some(start) = url_start(bytes, ws) else {
                return true;
            };
            let cs = we + if at(b".me/#u/") { 7 } else { 8 };
            let ce = code_end(bytes, cs);
            if ce - cs >= 10 && !text::glued_after(bytes, ce) {
                let v = format!(
                    "signal{}{}",
                    text::lower(&bytes[we..cs]),
                    text::ascii(&bytes[cs..ce])
                );
                sink.push(ContactKind::Contact(Platform::Signal), v, start, ce);
            }
            true
        }
        Platform::Signal => at(b".me/") || at(b".group/") || at(b".org"),
        Platform::Threema if at(b".id/") => {
            let Some(start) = url_start(bytes, ws) else {
                return true;
            };
            let ie = text::run_end(bytes, we + 4, 9, |b| b.is_ascii_alphanumeric() || b == b'*');
            if ie - we - 4 == 8 && !text::glued_after(bytes, ie) {
                let v = text::upper(&bytes[we + 4..ie]);
                sink.push(ContactKind::Contact(Platform::Threema), v, start, ie);
            }
            true
        }
        Platform::Threema => at(b".ch"),
        Platform::Simplex if at(b":/") || at(b".chat/") => {
            let (start, path) = if at(b":/") {
                (Some(ws), we + 2)
            } else {
                (url_start(bytes, ws), we + 6)
            };
            let Some(start) = start else { return true };
            let kind_ok = has_at(bytes, path, b"contact#") || has_at(bytes, path, b"invitation#");
            let mut end = text::run_end(bytes, path, SIMPLEX_MAX, |b| {
                b > b' ' && b < 0x80 && !b"\"'<>)]}".contains(&b)
            });
            end = text::run_start(bytes, end, end - path, |b| b".,;:!?".contains(&b));
            if kind_ok && end - start >= 40 {
                let v = format!("simplex:/{}", text::ascii(&bytes[path..end]));
                sink.push(ContactKind::Contact(Platform::Simplex), v, start, end);
            }
            true
        }
        Platform::Briar if at(b"://") => {
            let ce = text::run_end(
                bytes,
                we + 3,
                53,
                |b| matches!(b.to_ascii_lowercase(), b'a'..=b'z' | b'2'..=b'7'),
            );
            if ce - we - 3 == 52 && !text::glued_after(bytes, ce) {
                let v = format!("briar://{}", text::lower(&bytes[we + 3..ce]));
                sink.push(ContactKind::Contact(Platform::Briar), v, ws, ce);
            }
            true
        }
        Platform::Jami => at(b":") && bytes.get(we + 1).is_some_and(u8::is_ascii_hexdigit),
        _ => false,
    }
}
