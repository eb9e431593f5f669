//! Phone numbers, normalised to E.164 (`+51987654321`).
//!
//! Numbers are the noisiest thing in market text: prices (`S/ 1.250,00`,
//! `$1,250`), dates, order numbers, crypto amounts, hashes. So a digit run
//! becomes a phone only in a few shapes, each with its own evidence:
//!
//! * `+<country><number>` (also `(+51) 987…`) with a plausible country
//!   code and national length: the `+` is the evidence;
//! * `0051 9xx xxx xxx`, and `00<country>…` with a context word;
//! * Peruvian mobiles `9xx xxx xxx` / `9xx-xxx-xxx`: the 3-3-3 grouping is
//!   how people write phones, not amounts;
//! * `9xxxxxxxx` in any other grouping, or `51 9xx…`, only with a context
//!   word near ("wsp", "cel", "llámame"…).
//!
//! Whatever the shape, a number glued to letters or other digits, next to a
//! currency, a unit or a reference word ("pedido", "soles", "%") is not a
//! phone. A WhatsApp or Signal context word also yields a contact on that
//! platform with the same span.

use super::context;
use super::keywords::{self, Ctx};
use super::platforms::Platform;
use super::text;
use super::{ContactKind, Sink};

/// E.164 allows at most 15 digits.
const MAX_DIGITS: usize = 15;
/// More groups than this is a table of numbers, not a phone.
const MAX_GROUPS: usize = 6;

/// Two-digit country calling codes; `1` and `7` are one digit, all other
/// valid codes three.
const TWO_DIGIT_CC: &[[u8; 2]] = &[
    *b"20", *b"27", *b"30", *b"31", *b"32", *b"33", *b"34", *b"36", *b"39", *b"40", *b"41", *b"43",
    *b"44", *b"45", *b"46", *b"47", *b"48", *b"49", *b"51", *b"52", *b"53", *b"54", *b"55", *b"56",
    *b"57", *b"58", *b"60", *b"61", *b"62", *b"63", *b"64", *b"65", *b"66", *b"81", *b"82", *b"84",
    *b"86", *b"90", *b"91", *b"92", *b"93", *b"94", *b"95", *b"98",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sep {
    Space,
    Dash,
    Dot,
    Paren,
}

/// The separator between two digit groups at `i`: one space, dash or dot,
/// or a parenthesis with an optional space (`(+51) 987`, `(01) 234-5678`).
fn group_sep(bytes: &[u8], i: usize) -> Option<(usize, Sep)> {
    match (bytes.get(i)?, bytes.get(i + 1)) {
        (b' ', Some(b'(')) | (b')', Some(b' ' | b'-')) => Some((2, Sep::Paren)),
        (b' ', _) => Some((1, Sep::Space)),
        (b'-', _) => Some((1, Sep::Dash)),
        (b'.', _) => Some((1, Sep::Dot)),
        (b'(' | b')', _) => Some((1, Sep::Paren)),
        _ => None,
    }
}

/// E.164 form of `+<d>` if the country code exists and the national number
/// has a plausible length for it.
pub(super) fn plus_number(d: &[u8]) -> Option<String> {
    if !(8..=MAX_DIGITS).contains(&d.len()) || d[0] == b'0' || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let cc = match d[0] {
        b'1' | b'7' => 1,
        _ if TWO_DIGIT_CC.contains(&[d[0], d[1]]) => 2,
        _ => 3,
    };
    let nat = &d[cc..];
    // National numbers start with 0 only in Italy, and six zeros in a row
    // are a round amount ("+30000000 de visitas"), not a line.
    if (nat.first() == Some(&b'0') && &d[..cc] != b"39")
        || memchr::memmem::find(d, b"000000").is_some()
    {
        return None;
    }
    let ok = match &d[..cc] {
        b"1" => nat.len() == 10 && nat[0] >= b'2',
        b"7" | b"52" | b"57" | b"58" => nat.len() == 10,
        // Peru: mobiles 9 + 8 digits; landlines Lima 1 + 7, provinces 4x–8x + 6.
        b"51" => {
            (nat.len() == 9 && nat[0] == b'9') || (nat.len() == 8 && b"145678".contains(&nat[0]))
        }
        b"54" | b"55" => (10..=11).contains(&nat.len()),
        b"56" | b"34" | b"595" => nat.len() == 9,
        b"591" | b"598" => nat.len() == 8,
        b"593" => (8..=9).contains(&nat.len()),
        b"44" => (9..=10).contains(&nat.len()),
        _ => (6..=12).contains(&nat.len()),
    };
    ok.then(|| format!("+{}", text::ascii(d)))
}

/// Whether the number may start at `start`: not glued to a word, another
/// number, a decimal point, a currency or a reference word.
fn start_ok(bytes: &[u8], start: usize) -> bool {
    if start == 0 {
        return true;
    }
    let p = bytes[start - 1];
    if p >= 0x80 || text::is_ascii_word(p) || b".,/\\@#$%&-+_".contains(&p) {
        return false;
    }
    if matches!(p, b' ' | b'(' | b')') && start >= 2 && bytes[start - 2].is_ascii_digit() {
        return false;
    }
    let j = text::run_start(bytes, start, 3, |b| b == b' ');
    // "$ 950", "# 912…", "S/ 950", "S/. 950", "Nº 912…"; a lone "/" is a
    // list separator ("987-654-321 / 912 345 678").
    let symbol = matches!(bytes[j.saturating_sub(1)], b'$' | b'#')
        || text::has_before(bytes, j, b"s/")
        || text::has_before(bytes, j, b"s/.")
        || text::has_before(bytes, j, "º".as_bytes())
        || text::has_before(bytes, j, "°".as_bytes());
    if j > 0 && j < start && symbol {
        return false;
    }
    // The two words before: "pedido 912…", "pedido nro 912…", "S/. 950".
    let mut at = start;
    for _ in 0..2 {
        match context::word_before(bytes, at, 3) {
            Some((_, w)) if keywords::is_before_non_phone(w.bytes()) => return false,
            Some((ws, _)) => at = ws,
            None => break,
        }
    }
    true
}

/// Whether the number may end at `end`: not glued to a word, a decimal
/// part, a percent sign, a currency or a unit.
fn end_ok(bytes: &[u8], end: usize) -> bool {
    let Some(&n) = bytes.get(end) else {
        return true;
    };
    if text::glued_after(bytes, end) || (n >= 0x80 && text::sep_at(bytes, end).is_none()) {
        return false;
    }
    if matches!(n, b'@' | b'%' | b'/' | b'+' | b'$' | b'_' | b'#') {
        return false;
    }
    // "987654321.5", "952 433 598.html", "987-654-321-1", "12:30".
    let after = bytes.get(end + 1).copied().unwrap_or(b' ');
    if (n == b'.' && after.is_ascii_alphanumeric())
        || (matches!(n, b',' | b'-' | b':') && after.is_ascii_digit())
    {
        return false;
    }
    let j = text::run_end(bytes, end, 3, |b| b == b' ');
    if matches!(bytes.get(j), Some(b'%' | b'$')) || text::has_at(bytes, j, "€".as_bytes()) {
        return false;
    }
    !context::word_after(bytes, end, 3).is_some_and(|w| keywords::is_after_non_phone(w.bytes()))
}

/// Which rule a digit sequence falls under, before context is consulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Plus,
    Peru00,
    Other00,
    Peru51,
    Mobile333,
    Mobile,
}

fn shape(d: &[u8], groups: &[(usize, usize)], seps: &[Sep], plus: bool) -> Option<Shape> {
    if plus {
        return Some(Shape::Plus);
    }
    if let Some(rest) = d.strip_prefix(b"00") {
        let peru = rest.len() == 11 && rest.starts_with(b"519");
        return Some(if peru { Shape::Peru00 } else { Shape::Other00 });
    }
    if d.len() == 11 && d.starts_with(b"519") {
        return Some(Shape::Peru51);
    }
    if d.len() == 9 && d[0] == b'9' {
        let three = groups.len() == 3
            && groups.iter().all(|&(s, e)| e - s == 3)
            && seps[1] == seps[2]
            && matches!(seps[1], Sep::Space | Sep::Dash);
        return Some(if three {
            Shape::Mobile333
        } else {
            Shape::Mobile
        });
    }
    None
}

/// Handles the digit at `i`, the first of its word not yet examined.
/// Returns where the digit scan should resume.
pub(super) fn on_digit(text: &str, i: usize, sink: &mut Sink) -> usize {
    let bytes = text.as_bytes();
    let ws = text::word_start(bytes, i);
    let we = text::word_end(bytes, i);
    if !bytes[ws..we].iter().all(u8::is_ascii_digit) {
        super::hexids::on_word(text, ws, we, sink);
        return we;
    }
    let mut groups = [(ws, we); MAX_GROUPS];
    let mut seps = [Sep::Space; MAX_GROUPS];
    let (mut n, mut digits, mut end) = (1, we - ws, we);
    while let Some((len, sep)) = group_sep(bytes, end) {
        let gs = end + len;
        if !bytes.get(gs).is_some_and(u8::is_ascii_digit) {
            break;
        }
        let ge = text::word_end(bytes, gs);
        if !bytes[gs..ge].iter().all(u8::is_ascii_digit) {
            break;
        }
        if n < MAX_GROUPS {
            groups[n] = (gs, ge);
            seps[n] = sep;
        }
        n += 1;
        digits += ge - gs;
        end = ge;
    }
    if digits > MAX_DIGITS || n > MAX_GROUPS {
        return end;
    }
    let plus = ws > 0 && bytes[ws - 1] == b'+';
    let start = if plus { ws - 1 } else { ws };
    let mut buf = [0u8; MAX_DIGITS];
    let mut len = 0;
    for &(s, e) in &groups[..n] {
        buf[len..len + (e - s)].copy_from_slice(&bytes[s..e]);
        len += e - s;
    }
    let d = &buf[..len];
    let Some(shape) = shape(d, &groups[..n], &seps[..n], plus) else {
        return end;
    };
    if !start_ok(bytes, start) || !end_ok(bytes, end) {
        return end;
    }
    let ctx = context::near_context(bytes, start, end, true);
    let phone_ctx = ctx.is_some_and(Ctx::is_phone);
    let value = match shape {
        Shape::Plus => plus_number(d),
        Shape::Peru00 => plus_number(&d[2..]),
        Shape::Other00 if phone_ctx => plus_number(&d[2..]),
        Shape::Peru51 if phone_ctx => plus_number(d),
        Shape::Mobile333 => plus_number(&[b"51", d].concat()),
        Shape::Mobile if phone_ctx => plus_number(&[b"51", d].concat()),
        _ => None,
    };
    if let Some(value) = value {
        if let Some(Ctx::On(p @ (Platform::Whatsapp | Platform::Signal))) = ctx {
            sink.push(ContactKind::Contact(p), value.clone(), start, end);
        }
        sink.push(ContactKind::Phone, value, start, end);
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_numbers_check_country_and_length() {
        assert_eq!(plus_number(b"51987654321").as_deref(), Some("+51987654321"));
        assert_eq!(plus_number(b"5112345678").as_deref(), Some("+5112345678"));
        assert_eq!(plus_number(b"5198765432"), None);
        assert_eq!(plus_number(b"12025550123").as_deref(), Some("+12025550123"));
        assert_eq!(plus_number(b"1202555012"), None);
        assert_eq!(plus_number(b"34612345678").as_deref(), Some("+34612345678"));
        assert_eq!(plus_number(b"0123456789"), None);
        assert_eq!(plus_number(b"1234567"), None);
        assert_eq!(plus_number(b"30000000"), None);
        assert_eq!(plus_number(b"3906123456").as_deref(), Some("+3906123456"));
    }

    #[test]
    fn separators() {
        assert_eq!(group_sep(b") 9", 0), Some((2, Sep::Paren)));
        assert_eq!(group_sep(b" 9", 0), Some((1, Sep::Space)));
        assert_eq!(group_sep(b",9", 0), None);
    }
}
