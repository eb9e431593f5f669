//! Property tests: a random valid contact inserted into random prose after
//! its context word is found exactly once, with the right value and span;
//! prose with prices, dates and hashes yields nothing; and no input makes
//! the extractor panic or return a span off a character boundary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use centinela_parsers::contacts::{find_contacts, ContactKind, ContactMatch, Platform};
use proptest::prelude::*;

/// Neutral prose: no context word, no digit, no unit or reference word.
const PROSE: &[&str] = &[
    "el",
    "producto",
    "llegó",
    "en",
    "tres",
    "días",
    "muy",
    "buena",
    "calidad",
    "envío",
    "discreto",
    "recomendado",
    "gracias",
    "por",
    "todo",
    "the",
    "package",
    "arrived",
    "quickly",
    "great",
    "stealth",
    "vendor",
    "honest",
    "review",
    "sellado",
    "al",
    "vacío",
    "Lima",
    "Perú",
    "excelente",
    "atención",
    "fast",
    "shipping",
    "five",
    "stars",
    "y",
    "and",
];

fn prose() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PROSE), 0..12).prop_map(|w| w.join(" "))
}

/// Inserts `ctx` and `value` between two pieces of prose; returns the text
/// and the byte span of `value`.
fn insert(before: &str, ctx: &str, value: &str, after: &str) -> (String, usize, usize) {
    let mut s = String::new();
    if !before.is_empty() {
        s.push_str(before);
        s.push_str(". ");
    }
    s.push_str(ctx);
    s.push(' ');
    let start = s.len();
    s.push_str(value);
    let end = s.len();
    if !after.is_empty() {
        s.push_str(", ");
        s.push_str(after);
    }
    (s, start, end)
}

fn m(kind: ContactKind, value: &str, start: usize, end: usize) -> ContactMatch {
    ContactMatch {
        kind,
        value: value.to_string(),
        start,
        end,
    }
}

/// Repeated structures that push every parser to its limits: no panic, and
/// no quadratic blow-up (each text is about a megabyte).
#[test]
fn hostile_repetitions() {
    let pieces = [
        "x@",
        "a.",
        "[dot]",
        "(at)",
        "t.me/",
        "wa.me/",
        "+51 ",
        "9 ",
        "@a:",
        "b.",
        "simplex:/contact#",
        "@@",
        "tg: ",
        "wickr: ",
        "arroba ",
        " at ",
        "05",
        "ab",
        "987-",
        "jami:",
        "signal.me/#p/+",
        "telegram ",
        "me ",
        "is ",
        "0",
        "1.",
        "é",
        "→",
        "\n",
    ];
    for (k, a) in pieces.iter().enumerate() {
        let b = pieces[(k * 7 + 3) % pieces.len()];
        let unit = format!("{a}{b}");
        let text = unit.repeat((1 << 20) / unit.len().max(1));
        let t = std::time::Instant::now();
        let found = find_contacts(&text);
        assert!(
            t.elapsed().as_secs_f64() < 5.0,
            "{unit:?} took {:?}",
            t.elapsed()
        );
        for c in &found {
            assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
        }
    }
    let deep = format!("x@{}com", "a.".repeat(20));
    assert!(find_contacts(&deep).is_empty());
    let ok = format!("x@{}com", "a.".repeat(6));
    assert_eq!(find_contacts(&ok).len(), 1);
    let join = "tg://join?invite=AbCdEfGh123";
    assert_eq!(find_contacts(join)[0].value, "t.me/+AbCdEfGh123");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn telegram_at_handle(
        before in prose(), after in prose(),
        ctx in prop::sample::select(&["telegram", "Telegram:", "tg:", "TG", "escríbeme al tele",
            "mi telegram es", "contacto tg:", "my telegram is", "Telegram ->"][..]),
        handle in "[a-zA-Z][a-zA-Z0-9_]{3,30}[a-zA-Z0-9]",
    ) {
        let (text, s, e) = insert(&before, ctx, &format!("@{handle}"), &after);
        let want = format!("@{}", handle.to_ascii_lowercase());
        prop_assert_eq!(find_contacts(&text), vec![m(ContactKind::Contact(Platform::Telegram), &want, s, e)]);
    }

    #[test]
    fn telegram_bare_handle(
        before in prose(), after in prose(),
        ctx in prop::sample::select(&["telegram:", "Telegram", "tg:", "mi usuario de telegram es"][..]),
        handle in "[a-z][a-z0-9]{2,10}_[a-z0-9]{1,10}",
    ) {
        let (text, s, e) = insert(&before, ctx, &handle, &after);
        let want = format!("@{handle}");
        prop_assert_eq!(find_contacts(&text), vec![m(ContactKind::Contact(Platform::Telegram), &want, s, e)]);
    }

    #[test]
    fn peruvian_mobile(
        before in prose(), after in prose(),
        ctx in prop::sample::select(&["wasap", "WhatsApp:", "wsp", "cel", "llámame al", "Teléfono:",
            "call me at", "Signal"][..]),
        digits in "9[0-9]{8}",
        fmt in 0..4usize,
    ) {
        let d = digits.as_str();
        let written = match fmt {
            0 => format!("{} {} {}", &d[..3], &d[3..6], &d[6..]),
            1 => format!("{}-{}-{}", &d[..3], &d[3..6], &d[6..]),
            2 => format!("+51 {} {} {}", &d[..3], &d[3..6], &d[6..]),
            _ => d.to_string(),
        };
        let (text, s, e) = insert(&before, ctx, &written, &after);
        let value = format!("+51{d}");
        let mut want = vec![m(ContactKind::Phone, &value, s, e)];
        let lower = ctx.to_lowercase();
        if ["wasap", "whatsapp:", "wsp"].contains(&lower.as_str()) {
            want.push(m(ContactKind::Contact(Platform::Whatsapp), &value, s, e));
        } else if lower == "signal" {
            want.push(m(ContactKind::Contact(Platform::Signal), &value, s, e));
        }
        prop_assert_eq!(find_contacts(&text), want);
    }

    #[test]
    fn email_plain_and_obfuscated(
        before in prose(), after in prose(),
        local in "[a-z][a-z0-9_]{0,12}(\\.[a-z0-9]{1,8})?",
        domain in "[a-z]{3,12}",
        tld in prop::sample::select(&["com", "pe", "net", "org", "me"][..]),
        style in 0..4usize,
    ) {
        prop_assume!(!domain.starts_with("jabber") && !domain.starts_with("xmpp"));
        let written = match style {
            0 => format!("{local}@{domain}.{tld}"),
            1 => format!("{local} [at] {domain} [dot] {tld}"),
            2 => format!("{local}(at){domain}(dot){tld}"),
            _ => format!("{local}@{domain}[.]{tld}"),
        };
        let (text, s, e) = insert(&before, "correo:", &written, &after);
        let want = format!("{local}@{domain}.{tld}");
        prop_assert_eq!(find_contacts(&text), vec![m(ContactKind::Email, &want, s, e)]);
    }

    #[test]
    fn wickr_and_friends(
        before in prose(), after in prose(),
        which in 0..3usize,
        name in "[a-z]{3,8}[0-9]{1,3}",
    ) {
        let (ctx, p) = [("mi wickr:", Platform::Wickr), ("Armadillo:", Platform::Armadillo),
            ("wickr me at", Platform::Wickr)][which];
        let (text, s, e) = insert(&before, ctx, &name, &after);
        prop_assert_eq!(find_contacts(&text), vec![m(ContactKind::Contact(p), &name, s, e)]);
    }

    #[test]
    fn session_and_threema_ids(
        before in prose(), after in prose(),
        hex in "[0-9a-f]{64}",
        id in "[A-Z]{4}[0-9]{4}",
        with_ctx in any::<bool>(),
    ) {
        let session = format!("05{hex}");
        let ctx = if with_ctx { "Session ID:" } else { "mi" };
        let (text, s, e) = insert(&before, ctx, &session, &after);
        prop_assert_eq!(find_contacts(&text), vec![m(ContactKind::Contact(Platform::Session), &session, s, e)]);
        let (text, s, e) = insert(&before, "agrégame en threema", &id, &after);
        prop_assert_eq!(find_contacts(&text), vec![m(ContactKind::Contact(Platform::Threema), &id, s, e)]);
    }

    #[test]
    fn prices_dates_and_hashes_are_not_contacts(
        words in prop::collection::vec(prop::sample::select(PROSE), 1..30),
        numbers in prop::collection::vec((0..9usize, 0..100_000_000u64, 0..100u64), 1..8),
    ) {
        let mut text = words.join(" ");
        for (kind, n, c) in numbers {
            let piece = match kind {
                0 => format!("S/ {}.{c:02}", n % 10_000),
                1 => format!("${},{:03}", n % 1000 + 1, n % 1000),
                2 => format!("{:02}/{:02}/20{:02}", c % 28 + 1, c % 12 + 1, c),
                3 => format!("pedido #{n}"),
                4 => format!("0.{n:08} BTC"),
                5 => format!("{:064x}", u128::from(n) * 0x9e37_79b9_7f4a_7c15_u128),
                6 => format!("{} g", n % 1000),
                7 => format!("S/ {}.{:03},{c:02}", n % 1000 + 1, n % 1000),
                _ => format!("order {n}"),
            };
            text.push(' ');
            text.push_str(&piece);
            text.push(' ');
            text.push_str(words[n as usize % words.len()]);
        }
        prop_assert_eq!(find_contacts(&text), vec![]);
    }

    #[test]
    fn never_panics_and_spans_are_valid(
        parts in prop::collection::vec(prop::sample::select(&[
            "@", "a", "é", "9", "0", "5", " ", ".", "-", "+", "(", ")", ":", "/", "[at]", "arroba",
            "telegram", "tg:", "wickr", "t.me/", "wa.me/", "signal.me/#p/", "threema.id/",
            "simplex:/", "briar://", "jami:", "wsp", "\n", "»", "→", "ñ", "ab", "f", "_", "punto",
            "[dot]", "05", "987", "654", "321", "51", "00", "S/", "$", "#", "%", "x", "com",
        ][..]), 0..60),
        junk in "\\PC{0,40}",
    ) {
        let mut text = parts.concat();
        text.push_str(&junk);
        let found = find_contacts(&text);
        for w in found.windows(2) {
            prop_assert!(w[0].start <= w[1].start);
        }
        for c in &found {
            prop_assert!(c.start < c.end && c.end <= text.len());
            prop_assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
            prop_assert!(!c.value.is_empty());
        }
    }
}
