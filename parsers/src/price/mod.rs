//! Prices as markets print them, read into an amount and a currency.
//!
//! Investigators compare what a gram costs in Lima with what it costs abroad, so a price
//! must become a number even when the page writes it the Peruvian way (`S/ 1.250,00`),
//! the US way (`$1,250.00`), per unit (`485.00 USD/112g`), as a tier range
//! (`50.00 - 39000.00 EUR`, the first amount is kept) or in crypto (`0.0042 BTC`,
//! `฿0.00271`). The text as shown is always kept in [`Price::shown`]; the number is
//! only filled in when it can be read without guessing wildly.
//!
//! ```
//! use centinela_parsers::price::{parse_price, NumberFormat};
//! let p = parse_price("S/ 1.250,00", NumberFormat::Auto);
//! assert_eq!((p.amount, p.currency.as_deref()), (Some(1250.0), Some("PEN")));
//! ```

use crate::records::Price;

#[cfg(test)]
mod tests;

/// How a site writes its numbers: which character separates thousands and decimals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NumberFormat {
    /// `1,234.56` (US, UK, most English markets).
    Comma,
    /// `1.234,56` (Peru, most of Latin America and Europe).
    Dot,
    /// Decide per number from the separators it carries.
    #[default]
    Auto,
}

impl NumberFormat {
    /// The names used in a site's `[parser]` section.
    pub fn from_config(s: &str) -> Option<NumberFormat> {
        match s {
            "1,234.56" => Some(NumberFormat::Comma),
            "1.234,56" => Some(NumberFormat::Dot),
            "auto" => Some(NumberFormat::Auto),
            _ => None,
        }
    }
}

/// Currency markers, longest first within a family so `US$` wins over `$` and `CAD $`
/// over `$`. Matched case-insensitively on the text around the number.
const MARKERS: &[(&str, &str)] = &[
    ("nuevos soles", "PEN"),
    ("soles", "PEN"),
    ("s/.", "PEN"),
    ("s/", "PEN"),
    ("pen", "PEN"),
    ("cad $", "CAD"),
    ("cad$", "CAD"),
    ("ca$", "CAD"),
    ("c$", "CAD"),
    ("cad", "CAD"),
    ("aud", "AUD"),
    ("a$", "AUD"),
    ("us$", "USD"),
    ("usd", "USD"),
    ("dólares", "USD"),
    ("dolares", "USD"),
    ("eur", "EUR"),
    ("€", "EUR"),
    ("gbp", "GBP"),
    ("£", "GBP"),
    ("btc", "BTC"),
    ("฿", "BTC"),
    ("₿", "BTC"),
    ("xmr", "XMR"),
    ("monero", "XMR"),
    ("ɱ", "XMR"),
    ("ltc", "LTC"),
    ("eth", "ETH"),
    ("$", "USD"),
];

/// Reads a price as shown. Never fails: what cannot be read stays `None`.
pub fn parse_price(shown: &str, format: NumberFormat) -> Price {
    let shown_clean = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    let number = first_number(&shown_clean);
    let amount = number.and_then(|(s, e)| read_number(&shown_clean[s..e], format));
    Price {
        amount,
        currency: currency(&shown_clean, number),
        shown: shown_clean,
    }
}

/// The currency named by a marker; a marker touching the first number wins over one
/// further away (`USD 45 (≈ 0.0007 BTC)` is USD).
fn currency(text: &str, number: Option<(usize, usize)>) -> Option<String> {
    let lower = text.to_lowercase();
    // to_lowercase keeps byte offsets for the characters markers use, except a few
    // exotic ones; fall back to plain search when lengths differ.
    let anchor = match number {
        Some((s, e)) if lower.len() == text.len() => (s, e),
        _ => (0, 0),
    };
    let mut best: Option<(usize, &str)> = None;
    for (marker, code) in MARKERS {
        let mut from = 0;
        while let Some(p) = lower[from..].find(marker) {
            let start = from + p;
            let end = start + marker.len();
            from = end;
            if !word_bounded(&lower, start, end, marker) {
                continue;
            }
            let distance = if end <= anchor.0 {
                anchor.0 - end
            } else {
                start.saturating_sub(anchor.1)
            };
            if best.is_none_or(|(d, _)| distance < d) {
                best = Some((distance, code));
            }
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// Letter markers (`eur`, `pen`) must not be part of a longer word ("pendiente").
fn word_bounded(text: &str, start: usize, end: usize, marker: &str) -> bool {
    if !marker.starts_with(|c: char| c.is_alphabetic()) {
        return true;
    }
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let last_alpha = marker.ends_with(|c: char| c.is_alphabetic());
    let glued_before = before.is_some_and(char::is_alphabetic);
    let glued_after = last_alpha && after.is_some_and(char::is_alphabetic);
    !(glued_before || glued_after)
}

/// Byte span of the first run of digits and separators that starts with a digit (or a
/// separator directly followed by one, as in `.5`).
fn first_number(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let start = bytes.iter().position(u8::is_ascii_digit)?;
    let mut end = start;
    while end < bytes.len() {
        let c = bytes[end];
        let sep_then_digit =
            matches!(c, b'.' | b',' | b'\'') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
        if c.is_ascii_digit() || sep_then_digit {
            end += 1;
        } else {
            break;
        }
    }
    Some((start, end))
}

/// One number in the given format; `Auto` reads the last separator followed by one or
/// two digits (or by more than three) as the decimal point, any other as grouping.
fn read_number(raw: &str, format: NumberFormat) -> Option<f64> {
    let raw = raw.replace('\'', "");
    let decimal = match format {
        NumberFormat::Comma => Some('.'),
        NumberFormat::Dot => Some(','),
        NumberFormat::Auto => auto_decimal(&raw),
    };
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_ascii_digit() {
            out.push(c);
        } else if Some(c) == decimal {
            out.push('.');
        }
    }
    if decimal.is_some_and(|d| raw.matches(d).count() > 1) {
        return None;
    }
    out.parse().ok()
}

fn auto_decimal(raw: &str) -> Option<char> {
    let last = raw.rfind(['.', ','])?;
    let sep = raw[last..].chars().next()?;
    let digits_after = raw.len() - last - 1;
    let other = if sep == '.' { ',' } else { '.' };
    if raw.contains(other) {
        // Both kinds: the last one is the decimal point.
        return Some(sep);
    }
    if raw.matches(sep).count() > 1 {
        return None;
    }
    let int_part = &raw[..last];
    // `1.250` / `1,250` are thousands; `0.250` and `12.5` are fractions.
    if digits_after == 3 && !int_part.starts_with('0') {
        None
    } else {
        Some(sep)
    }
}
