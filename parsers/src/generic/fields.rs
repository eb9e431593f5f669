//! Reading labelled fields ("Ships from: Germany", "Vendor: x", "GB → WW") out of a
//! block of visible text, and cleaning handles of the decorations markets add to them
//! (`@name`, `name (1335)`, `name [4.9]`).
//!
//! Labels are matched at the start of a line or table cell, in the languages of our
//! markets; the value is the rest of that line, or the next line when the label stands
//! alone (`<dt>Ships from</dt><dd>Germany</dd>`).

use crate::page::collapse;

#[rustfmt::skip]
pub const SHIPS_FROM: &[&str] = &[
    "ships from", "ship from", "shipping from", "shipped from", "ships out of", "origin country",
    "country of origin", "origin", "location", "source", "sent from", "from country",
    "envío desde", "envio desde", "enviado desde", "país de origen", "отправка из",
    "страна отправки", "откуда", "versand aus", "versand von", "herkunft",
];

#[rustfmt::skip]
pub const SHIPS_TO: &[&str] = &[
    "ships to", "ship to", "shipping to", "ships worldwide to", "destination", "destinations",
    "delivers to", "deliver to", "envío a", "envio a", "envíos a", "envia a", "доставка в",
    "куда", "versand nach", "liefert nach",
];

#[rustfmt::skip]
pub const VENDOR: &[&str] = &[
    "vendor", "seller", "sold by", "posted by", "merchant", "vendedor", "vendido por",
    "продавец", "verkäufer", "händler", "anbieter",
];

#[rustfmt::skip]
pub const PRICE: &[&str] = &[
    "price", "sale price", "purchase price", "buy price", "our price", "precio", "цена",
    "стоимость", "preis",
];

#[rustfmt::skip]
pub const TITLE: &[&str] = &["title", "product name", "item name", "name"];

/// The value of the first field labelled with one of `labels` in `text`: the rest of
/// the label's cell, else the next cell of its row (an empty cell gives `""`), else the
/// next non-empty line.
pub fn labeled(text: &str, labels: &[&str]) -> Option<String> {
    let lines: Vec<&str> = text.split('\n').collect();
    for (n, line) in lines.iter().enumerate() {
        let cells: Vec<&str> = line.split('\t').collect();
        for (c, cell) in cells.iter().enumerate() {
            let cell = cell.trim();
            let Some(value) = after_label(cell, labels) else {
                continue;
            };
            if !value.is_empty() {
                return Some(collapse(value));
            }
            if let Some(next) = cells.get(c + 1) {
                return Some(collapse(next.trim().trim_start_matches(':')));
            }
            let next = lines[n + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty());
            return Some(match next {
                Some(l) if l.chars().count() <= 200 && after_label(l, ALL_LABELS).is_none() => {
                    collapse(l.split('\t').next().unwrap_or(l).trim_start_matches(':'))
                }
                _ => String::new(),
            });
        }
    }
    None
}

/// Labels of every field, to stop a value from running into the next label.
const ALL_LABELS: &[&str] = &[
    "ships from",
    "ships to",
    "ship to",
    "ship from",
    "vendor",
    "seller",
    "price",
    "origin",
    "destination",
    "category",
    "payment",
    "quantity",
    "stock",
];

/// What follows `labels`' first match at the start of `cell` (with its `:` dropped).
fn after_label<'a>(cell: &'a str, labels: &[&str]) -> Option<&'a str> {
    let lower = cell.to_lowercase();
    for label in labels {
        let Some(rest) = lower.strip_prefix(label) else {
            continue;
        };
        // The label must end there: "origin" is not "originally".
        if rest.chars().next().is_some_and(char::is_alphanumeric) {
            continue;
        }
        let cut = cell.len().saturating_sub(rest.len());
        let value = cell.get(cut..).unwrap_or("");
        return Some(
            value
                .trim_start_matches([':', ' ', '-', '–', '—', '='])
                .trim(),
        );
    }
    None
}

/// `GB → WW`, `NL⟶WW, EU`, `US -> Worldwide`: a shipping route on one line.
pub fn route(text: &str) -> Option<(String, Vec<String>)> {
    for line in text.split(['\n', '\t']) {
        for arrow in ["→", "⟶", "->", "=>", "➔", "➜", "»"] {
            let Some((from, to)) = line.split_once(arrow) else {
                continue;
            };
            let (from, to) = (from.trim(), to.trim());
            let placey = |s: &str| {
                !s.is_empty()
                    && s.chars().count() <= 400
                    && s.chars().any(char::is_alphabetic)
                    && !s.chars().any(|c| c.is_ascii_digit())
            };
            if placey(from) && placey(to) {
                let from = from.rsplit(':').next().unwrap_or(from).trim();
                return Some((collapse(from), split_places(to)));
            }
        }
    }
    None
}

/// `"United States, Worldwide"` → `["United States", "Worldwide"]`.
pub fn split_places(s: &str) -> Vec<String> {
    s.split([',', ';', '|'])
        .map(collapse)
        .filter(|p| !p.is_empty())
        .collect()
}

/// A vendor handle without decorations: `@john-doe` → `john-doe`, `Sankhara(21) (5.00)`
/// → `Sankhara`, `expresspharma ✓ (489)` → `expresspharma`.
pub fn clean_handle(s: &str) -> Option<String> {
    let first = s
        .split(['(', '[', '\n', '\t', '|', '{'])
        .next()
        .unwrap_or("")
        .trim();
    let token = first.split_whitespace().next().unwrap_or("");
    let token = token
        .trim_start_matches('@')
        .trim_end_matches([':', ',', '.', '*', '★']);
    let ok = token.chars().count() >= 2
        && token.chars().count() <= 40
        && token.chars().any(char::is_alphanumeric);
    ok.then(|| token.to_string())
}

/// Whether a link target looks like a user, vendor or store page (and not an item).
pub fn is_profile_href(href: &str) -> bool {
    let lower = href.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '@' && c != '_')
        .filter(|w| !w.is_empty())
        .collect();
    let profile = words.iter().any(|w| {
        matches!(
            *w,
            "vendor"
                | "vendors"
                | "seller"
                | "sellers"
                | "user"
                | "users"
                | "userinfo"
                | "userprofile"
                | "profile"
                | "profiles"
                | "member"
                | "members"
                | "store"
                | "shop"
                | "u"
                | "u_id"
                | "uid"
                | "account"
                | "merchant"
                | "people"
                | "contactmember"
                | "showuser"
        ) || w.starts_with('@')
    });
    let item = words.iter().any(|w| {
        matches!(
            *w,
            "item"
                | "items"
                | "listing"
                | "listings"
                | "product"
                | "products"
                | "offer"
                | "viewproduct"
                | "feedback"
                | "feedbacks"
                | "message"
                | "messages"
                | "sendmessage"
                | "pgp"
        )
    });
    profile && !item
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_same_line_and_next_line() {
        let text = "Sold by:\nCaliTerps LEVEL 2\nShips from: United States\nOrigin Country\t\nShips to\tWW";
        assert_eq!(labeled(text, VENDOR).as_deref(), Some("CaliTerps LEVEL 2"));
        assert_eq!(labeled(text, SHIPS_FROM).as_deref(), Some("United States"));
        assert_eq!(labeled(text, SHIPS_TO).as_deref(), Some("WW"));
        assert_eq!(labeled("Originally made", SHIPS_FROM), None);
    }

    #[test]
    fn routes_and_handles() {
        let (from, to) = route("x\nNL⟶WW, EU\n").unwrap_or_default();
        assert_eq!(
            (from.as_str(), to),
            ("NL", vec!["WW".to_string(), "EU".to_string()])
        );
        assert_eq!(route("1 -> 2"), None);
        assert_eq!(clean_handle("@john-doe").as_deref(), Some("john-doe"));
        assert_eq!(
            clean_handle("Sankhara(21)\n(5.00)").as_deref(),
            Some("Sankhara")
        );
        assert_eq!(
            clean_handle("Antonio777 (15) (4.6 )").as_deref(),
            Some("Antonio777")
        );
        assert!(is_profile_href("userprofile.php?login=medex"));
        assert!(is_profile_href("http://x.onion/@StReEtcUTs/7e69"));
        assert!(!is_profile_href("http://e.onion/store/john-doe/item/3b85"));
    }
}
