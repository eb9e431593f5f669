//! Single-purpose page signals that need more than a word count: which tab of a
//! profile is open, whether a form buys something, masked buyer names of feedback
//! lists, the class words a CMS puts on `<body>`, and the text that lies outside the
//! listing cards (so a grid's "Seller Level" badges do not make it a profile).

use super::words::{self, Cue, Cues};
use crate::generic::cards::CardGroup;
use crate::page::Page;
use regex::Regex;
use std::sync::OnceLock;

/// Class tokens that mark the selected tab of a tab bar.
const ACTIVE: &[&str] = &["active", "focus", "selected", "current", "is-active", "on"];

/// The cue words of the open tab(s): "Feedback", "PGP", "Profile"... A profile page
/// whose feedback tab is open is a feedback page, whatever else it shows.
pub fn active_tab_cues(page: &Page) -> Cues {
    let mut text = String::new();
    for i in 0..page.dom().nodes.len() {
        if !matches!(page.tag(i), "a" | "li" | "button" | "span") {
            continue;
        }
        let Some(class) = page.attr(i, "class") else {
            continue;
        };
        let active = class
            .split_whitespace()
            .any(|c| ACTIVE.iter().any(|a| c.eq_ignore_ascii_case(a)));
        let aria = page.attr(i, "aria-selected") == Some("true");
        if active || aria {
            let t = page.text_of(i);
            if t.len() <= 40 && t.chars().any(char::is_alphabetic) {
                text.push_str(t);
                text.push('\n');
            }
        }
    }
    words::count_text(&text)
}

/// Whether node `i` lies inside one of the cards.
fn in_cards(page: &Page, cards: Option<&CardGroup>, i: usize) -> bool {
    let Some(g) = cards else { return false };
    let k = g.cards.partition_point(|&c| c <= i);
    k > 0 && page.dom().contains(g.cards[k - 1], i)
}

/// Forms outside the listing cards that buy: with a quantity field or a buy submit.
pub fn buy_forms(page: &Page, cards: Option<&CardGroup>) -> usize {
    let dom = page.dom();
    page.elements("form")
        .filter(|&f| !in_cards(page, cards, f))
        .filter(|&f| {
            dom.subtree(f).any(|i| match page.tag(i) {
                "input" | "select" => {
                    let name = page.attr(i, "name").unwrap_or("").to_ascii_lowercase();
                    let kind = page.attr(i, "type").unwrap_or("").to_ascii_lowercase();
                    let value = page.attr(i, "value").unwrap_or("");
                    super::features::is_quantity(&name)
                        || (matches!(kind.as_str(), "submit" | "image")
                            && (words::count_text(value).has(Cue::Buy)
                                || words::count_text(&name).has(Cue::Buy)))
                }
                "button" => words::count_text(page.text_of(i)).has(Cue::Buy),
                _ => false,
            })
        })
        .count()
}

/// Short links and buttons outside the cards that say buy, order or add to cart.
pub fn buy_links(page: &Page, cards: Option<&CardGroup>) -> usize {
    (0..page.dom().nodes.len())
        .filter(|&a| matches!(page.tag(a), "a" | "button") && !in_cards(page, cards, a))
        .filter(|&a| {
            let t = page.text_of(a);
            t.len() <= 24 && words::count_text(t).has(Cue::Buy)
        })
        .count()
}

fn masked_regex() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?m)(?:^|\s)\w(?:\*{2,}|\.{3}|…)\w(?:\s|$)").ok())
        .as_ref()
}

/// Buyer names shown masked (`b***s`, `D...e`), as feedback lists print them.
pub fn masked_names(text: &str) -> usize {
    masked_regex().map_or(0, |re| re.find_iter(text).count())
}

/// The class words of `<html>` and `<body>`, which CMSs set per page kind (`home`,
/// `archive`, `search-results`, `single-product`, `tax-product_cat`).
pub fn body_classes(page: &Page) -> String {
    let mut s = String::new();
    for tag in ["html", "body"] {
        if let Some(i) = page.elements(tag).next() {
            s.push_str(&page.class_id(i));
            s.push(' ');
        }
    }
    s
}

/// How many kinds of `labels` occur.
pub fn distinct(cues: &Cues, labels: &[Cue]) -> usize {
    labels.iter().filter(|c| cues.has(**c)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_buyers() {
        assert_eq!(masked_names("b***s USD 412\nD...e 850.00\nplain words"), 2);
        assert_eq!(masked_names("a...b...c"), 0);
    }

    #[test]
    fn the_open_tab() {
        let page = Page::parse(
            "",
            b"<ul><li><a class='tab'>Profile</a></li><li class='active'><a>Feedback</a></li></ul>",
        );
        assert!(active_tab_cues(&page).has(Cue::Feedback));
        assert!(!active_tab_cues(&page).has(Cue::Profile));
    }
}
