//! Reading prices as markets print them.
//!
//! A price is an amount next to a currency marker: a symbol before (`$1,250.00`, `€20`,
//! `฿0.00271`, `S/ 1.250,00`), a code before (`USD 45`, `CAD $367.5`) or after
//! (`0.0042 BTC`, `250.00 $`, `100 soles`), optionally a range (`50.00 - 39000.00 EUR`)
//! and a unit (`485.00 USD/112g`, `2.10 USD / pill`). The marker is required: a bare
//! number is a quantity, a rating or a count, and reading it as a price is what makes
//! generic parsers see listings everywhere.

use crate::records::Price;
use regex::Regex;
use std::sync::OnceLock;

/// Currency codes and tickers read as prices when they stand next to an amount.
const CODES: &str = "USD|EUR|GBP|CAD|AUD|NZD|PEN|MXN|COP|CLP|ARS|BRL|BOB|UYU|CHF|SEK|NOK|DKK|PLN|CZK|RUB|UAH|TRY|JPY|CNY|INR|HKD|BTC|XMR|LTC|BCH|ETH|ZEC|DASH|DOGE|USDT|mBTC";

/// One price found in a text, at byte offsets of that text.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceMatch {
    pub start: usize,
    pub end: usize,
    pub price: Price,
}

/// A piece of the searched text, at offsets of that text.
struct Span<'a> {
    start: usize,
    end: usize,
    text: &'a str,
}

fn regex() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        let num = r"\d+(?:[.,]\d+)*|[.,]\d+";
        let sym = r"US\$|USD\$|CA\$|C\$|AU\$|A\$|R\$|S/\.?|\$|€|£|฿|₿|Ƀ|₽|¥";
        let words = r"soles|euros?|dollars?|dólares|dolares|руб\.?|рублей";
        let unit = r"(?:[\x20\t]*/[\x20\t]*(?:\p{L}[\p{L}\d.]{0,11}|\d+(?:\.\d+)?\p{L}[\p{L}\d.]{0,8})(?-u:\b))?";
        // ASCII word boundaries only: a Unicode `\b` sends the regex engine to its slow
        // path on every non-ASCII page.
        let pattern = format!(
            r"(?x)
            (?P<a>(?:\(?(?-u:\b)(?P<c1>{CODES})\)?[\x20\t]*)?\(?(?P<s1>{sym})\)?[\x20\t]*(?P<n1>{num})
                (?:[\x20\t]*[-–][\x20\t]*(?:{sym})?[\x20\t]*(?:{num}))?
                (?:[\x20\t]*(?-u:\b)(?P<c2>{CODES})(?-u:\b))?{unit})
            |(?P<b>(?-u:\b)(?P<c3>{CODES})[\x20\t]*(?P<n3>{num}){unit})
            |(?P<c>(?P<n4>{num})(?:[\x20\t]*[-–][\x20\t]*(?:{num}))?[\x20\t]*
                (?:(?P<s4>{sym})|(?P<c4>{CODES})(?-u:\b)|(?P<w4>{words})){unit})"
        );
        regex::RegexBuilder::new(&pattern)
            .dfa_size_limit(32 << 20)
            .build()
            .ok()
    })
    .as_ref()
}

/// Every price in `text`, in order, not overlapping.
pub fn find_prices(text: &str) -> Vec<PriceMatch> {
    let Some(re) = regex() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // Find matches with the fast engine, then read the groups of each match alone:
    // `captures_iter` over a whole page runs the slow capturing engine everywhere.
    for found in re.find_iter(text) {
        let Some(caps) = re.captures(found.as_str()) else {
            continue;
        };
        let Some(local) = caps.get(0) else { continue };
        let offset = found.start();
        let whole = Span {
            start: offset + local.start(),
            end: offset + local.end(),
            text: local.as_str(),
        };
        let shown = whole.text.trim();
        let (num, marker, code) = if caps.name("a").is_some() {
            (
                caps.name("n1"),
                caps.name("s1"),
                caps.name("c1").or(caps.name("c2")),
            )
        } else if caps.name("b").is_some() {
            (caps.name("n3"), None, caps.name("c3"))
        } else {
            (
                caps.name("n4"),
                caps.name("s4"),
                caps.name("c4").or(caps.name("w4")),
            )
        };
        // A currency word must end there ("euros", not "eurostar").
        if let Some(w) = caps.name("w4") {
            if text[offset + w.end()..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric)
            {
                continue;
            }
        }
        let Some(num) = num.map(|m| Span {
            start: offset + m.start(),
            end: offset + m.end(),
            text: m.as_str(),
        }) else {
            continue;
        };
        // "$4K", "5gram": a number glued to letters is a quantity, not an amount.
        if num.end == whole.end
            && text[whole.end..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric)
        {
            continue;
        }
        // A number glued to letters before it ("x100$" is fine, "A1 $" is not a price).
        if num.start > 0 && caps.name("b").is_none() && caps.name("a").is_none() {
            let before = text[..num.start].chars().next_back();
            if before.is_some_and(|c| c.is_alphabetic() || c == '/' || c == '-') {
                continue;
            }
        }
        let currency = currency_of(marker.map(|m| m.as_str()), code.map(|c| c.as_str()));
        let start = whole.start + (whole.text.len() - whole.text.trim_start().len());
        out.push(PriceMatch {
            start,
            end: start + shown.len(),
            price: Price {
                amount: parse_amount(num.text),
                currency,
                shown: shown.to_string(),
            },
        });
    }
    out
}

/// Whether `word` is a currency code or ticker (`USD`, `BTC`, `mBTC`): a currency
/// picker's entry, not a listing title.
pub fn is_currency_code(word: &str) -> bool {
    CODES
        .split('|')
        .any(|c| c.eq_ignore_ascii_case(word.trim()))
}

/// The first price in `text`.
pub fn parse_price(text: &str) -> Option<Price> {
    find_prices(text).into_iter().next().map(|m| m.price)
}

/// ISO code or ticker for a symbol and/or code. A code next to `$` names which dollar.
fn currency_of(symbol: Option<&str>, code: Option<&str>) -> Option<String> {
    if let Some(code) = code {
        let lower = code.to_lowercase();
        let c = match lower.as_str() {
            "soles" => "PEN",
            "euro" | "euros" => "EUR",
            "dollar" | "dollars" | "dólares" | "dolares" => "USD",
            "mbtc" => "BTC",
            l if l.starts_with("руб") => "RUB",
            _ => return Some(code.to_ascii_uppercase()),
        };
        return Some(c.to_string());
    }
    let c = match symbol? {
        "$" | "US$" | "USD$" => "USD",
        "CA$" | "C$" => "CAD",
        "AU$" | "A$" => "AUD",
        "R$" => "BRL",
        "€" => "EUR",
        "£" => "GBP",
        "฿" | "₿" | "Ƀ" => "BTC",
        "₽" => "RUB",
        "¥" => "JPY",
        s if s.starts_with("S/") => "PEN",
        _ => return None,
    };
    Some(c.to_string())
}

/// Reads `1,250.00`, `1.250,00`, `35,00`, `0.0042`. A lone separator followed by exactly
/// three digits groups thousands (`1,250`); otherwise the last separator is the decimal
/// point.
pub fn parse_amount(s: &str) -> Option<f64> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let last_dot = s.rfind('.');
    let last_comma = s.rfind(',');
    let normal = match (last_dot, last_comma) {
        (Some(d), Some(c)) => {
            let (dec, group) = if d > c { ('.', ',') } else { (',', '.') };
            s.replace(group, "").replace(dec, ".")
        }
        (None, Some(c)) => {
            let tail = s.len() - c - 1;
            let single = s.matches(',').count() == 1;
            if single && tail != 3 || s.starts_with("0,") || s.starts_with(',') {
                s.replace(',', ".")
            } else {
                s.replace(',', "")
            }
        }
        (Some(_), None) if s.matches('.').count() > 1 => s.replace('.', ""),
        _ => s,
    };
    normal.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> (Option<f64>, Option<String>, String) {
        let p = parse_price(s).unwrap_or(Price {
            amount: None,
            currency: None,
            shown: String::new(),
        });
        (p.amount, p.currency, p.shown)
    }

    #[test]
    fn the_formats_markets_use() {
        let cases: &[(&str, f64, &str, &str)] = &[
            ("$1,250.00", 1250.0, "USD", "$1,250.00"),
            ("S/ 1.250,00", 1250.0, "PEN", "S/ 1.250,00"),
            ("0.0042 BTC", 0.0042, "BTC", "0.0042 BTC"),
            ("USD 45", 45.0, "USD", "USD 45"),
            ("485.00 USD/112g", 485.0, "USD", "485.00 USD/112g"),
            ("CAD $367.5", 367.5, "CAD", "CAD $367.5"),
            ("€20", 20.0, "EUR", "€20"),
            ("฿0.00271", 0.00271, "BTC", "฿0.00271"),
            ("Price: 250.00 $ each", 250.0, "USD", "250.00 $"),
            ("£13.00 GBP", 13.0, "GBP", "£13.00 GBP"),
            ("2.10 USD / pill", 2.1, "USD", "2.10 USD / pill"),
            ("50.00 - 39000.00 EUR", 50.0, "EUR", "50.00 - 39000.00 EUR"),
            ("(EUR) € 35,00", 35.0, "EUR", "(EUR) € 35,00"),
            ("120 soles", 120.0, "PEN", "120 soles"),
            ("7281.27USD", 7281.27, "USD", "7281.27USD"),
            ("Price: $90 / 0.008702 BTC", 90.0, "USD", "$90"),
        ];
        for (text, amount, cur, shown) in cases {
            let (a, c, s) = one(text);
            assert_eq!(a, Some(*amount), "{text}");
            assert_eq!(c.as_deref(), Some(*cur), "{text}");
            assert_eq!(s, *shown, "{text}");
        }
    }

    #[test]
    fn bare_numbers_and_words_are_not_prices() {
        for text in [
            "Sales: 478",
            "Level 3 (93)",
            "100%",
            "USDT",
            "2 x 5 pills",
            "BTC/USD",
            "$4K daily",
        ] {
            assert_eq!(parse_price(text), None, "{text}");
        }
    }
}
