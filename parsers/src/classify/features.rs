//! What the classifier measures on a page: its forms (password fields, captcha inputs,
//! buy forms), its repeated structures (cards, posts, thread rows, feedback rows), its
//! words (in the title, the headings, the buttons, the open tab, the text outside the
//! cards), its onion links, and hints in its address and `<body>` classes.

use super::signals;
use super::structure::{self, Structure};
use super::words::{self, Cue, Cues, PRODUCT_LABELS, PROFILE_LABELS};
use crate::generic::layout::Layout;
use crate::page::{url, Page};
use std::collections::{HashMap, HashSet};

/// Everything the decision rules look at.
#[derive(Clone, Debug, Default)]
pub struct Features {
    pub title: String,
    pub title_cues: Cues,
    /// `h1`–`h4`, `legend` and `label` text.
    pub heading_cues: Cues,
    /// Buttons, submit inputs and button-styled links.
    pub button_cues: Cues,
    /// The whole visible text.
    pub text_cues: Cues,
    /// The visible text outside the listing cards.
    pub outside_cues: Cues,
    /// The open tab of a tab bar.
    pub tab_cues: Cues,
    /// Lower-case words of the address and canonical URL (`product`, `search`, `q`).
    pub url_words: Vec<String>,
    /// `<html>`/`<body>` class words.
    pub body_class: String,
    /// Words of visible text.
    pub words: usize,
    pub links: usize,
    pub password_inputs: usize,
    /// Visible text-like inputs (text, email, number, search).
    pub text_inputs: usize,
    /// Images, inputs or forms whose attributes say captcha.
    pub captcha_markers: usize,
    /// One-character inputs: a puzzle captcha.
    pub puzzle_inputs: usize,
    pub refresh: Option<u32>,
    pub script_redirect: bool,
    /// Distinct onion hosts in links and in the visible text.
    pub onion_hosts: usize,
    /// Distinct onion hosts linked to, other than the page's own and the one most
    /// linked to (mirrors link to themselves with absolute URLs).
    pub onion_link_hosts: usize,
    pub pgp_blocks: usize,
    /// Forms with a quantity field or a buy submit.
    pub buy_forms: usize,
    /// Short buy/add-to-cart links and buttons.
    pub buy_controls: usize,
    pub prices: usize,
    pub dates: usize,
    /// A search box that carries a query.
    pub filled_search: bool,
    /// Masked buyer names (`b***s`), as feedback lists show them.
    pub masked_names: usize,
    /// Kinds of profile labels outside the cards (joined, last seen, level...).
    pub profile_labels: usize,
    /// Kinds of product labels outside the cards (price, ships from/to, sold by...).
    pub product_labels: usize,
    pub structure: Structure,
}

impl Features {
    pub fn compute(page: &Page, layout: &Layout) -> Features {
        let text = page.visible_text();
        let title = page.title().unwrap_or_default();
        let structure = structure::analyze(page, layout);
        let cut: Vec<std::ops::Range<usize>> = structure
            .card_group
            .as_ref()
            .map(|g| {
                g.cards
                    .iter()
                    .map(|&c| page.dom().nodes[c].text.clone())
                    .collect()
            })
            .unwrap_or_default();
        let (text_cues, outside_cues) = words::count_split(&words::lowercase(text), &cut);
        let mut f = Features {
            title_cues: words::count_text(&title),
            title,
            text_cues,
            profile_labels: signals::distinct(&outside_cues, &PROFILE_LABELS),
            product_labels: signals::distinct(&outside_cues, &PRODUCT_LABELS),
            outside_cues,
            tab_cues: signals::active_tab_cues(page),
            body_class: signals::body_classes(page),
            words: text.split_whitespace().count(),
            refresh: page.meta_refresh().map(|(d, _)| d),
            prices: layout.prices.len(),
            dates: layout.dates.len() + layout.times.len(),
            buy_forms: signals::buy_forms(page, structure.card_group.as_ref()),
            masked_names: signals::masked_names(text),
            pgp_blocks: text.matches("BEGIN PGP PUBLIC KEY BLOCK").count(),
            url_words: url_words(page),
            structure,
            ..Features::default()
        };
        let mut headings = String::new();
        let mut buttons = String::new();
        for i in 0..page.dom().nodes.len() {
            match page.tag(i) {
                "h1" | "h2" | "h3" | "h4" | "legend" | "label" => {
                    headings.push_str(page.text_of(i));
                    headings.push('\n');
                }
                "button" => {
                    buttons.push_str(page.text_of(i));
                    buttons.push('\n');
                }
                "input" => f.input(page, i, &mut buttons),
                "img" => {
                    let a = img_attrs(page, i);
                    if a.contains("captcha") || a.contains("capcha") {
                        f.captcha_markers += 1;
                    }
                }
                "a" => {
                    let class = page.class_id(i);
                    if class.contains("btn") || class.contains("button") {
                        buttons.push_str(page.text_of(i));
                        buttons.push('\n');
                    }
                }
                "script" => f.script_redirect |= is_script_redirect(page, i),
                _ => {}
            }
        }
        f.heading_cues = words::count_text(&headings);
        f.button_cues = words::count_text(&buttons);
        f.buy_controls = signals::buy_links(page, f.structure.card_group.as_ref());
        f.links_and_onions(page, layout, text);
        f
    }

    fn input(&mut self, page: &Page, i: usize, buttons: &mut String) {
        let kind = page.attr(i, "type").unwrap_or("text").to_ascii_lowercase();
        let name = page.attr(i, "name").unwrap_or("").to_ascii_lowercase();
        let all = format!(
            "{} {} {}",
            name,
            page.attr(i, "placeholder").unwrap_or(""),
            page.class_id(i)
        )
        .to_lowercase();
        match kind.as_str() {
            "password" => self.password_inputs += 1,
            "text" | "email" | "number" | "search" | "tel" | "" => {
                self.text_inputs += 1;
                if all.contains("captcha") || all.contains("capcha") {
                    self.captcha_markers += 1;
                }
                if page.attr(i, "maxlength") == Some("1") {
                    self.puzzle_inputs += 1;
                }
                let value = page.attr(i, "value").unwrap_or("").trim();
                let searchy = [
                    "q", "query", "search", "keywords", "keyword", "term", "text",
                ]
                .contains(&name.as_str());
                if searchy && !value.is_empty() {
                    self.filled_search = true;
                }
            }
            "submit" | "button" | "image" => {
                buttons.push_str(page.attr(i, "value").unwrap_or(""));
                buttons.push('\n');
            }
            _ => {}
        }
    }

    fn links_and_onions(&mut self, page: &Page, layout: &Layout, text: &str) {
        let own = url::host(page.url()).unwrap_or_default();
        let mut hosts: HashSet<String> = HashSet::new();
        let mut linked: HashMap<String, usize> = HashMap::new();
        self.links = layout.links.len();
        for l in &layout.links {
            if let Some(h) = url::host(&l.url) {
                if h.ends_with(".onion") {
                    let name = h.rsplit('.').nth(1).unwrap_or("").to_string();
                    if h != own {
                        *linked.entry(name.clone()).or_default() += 1;
                    }
                    hosts.insert(name);
                }
            }
        }
        let top = linked.values().copied().max().unwrap_or(0);
        self.onion_link_hosts = linked.len().saturating_sub(usize::from(top > 3));
        for o in crate::onion::find_onions(text) {
            let name = o.value.trim_end_matches(".onion");
            let name = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
            hosts.insert(name);
        }
        self.onion_hosts = hosts.len();
    }

    /// Whether words of `cue` are in the title or a heading.
    pub fn headline(&self, cue: Cue) -> bool {
        self.title_cues.has(cue) || self.heading_cues.has(cue)
    }

    /// Whether the address has one of `words` as a path or query word.
    pub fn url_says(&self, words: &[&str]) -> bool {
        self.url_words.iter().any(|w| words.contains(&w.as_str()))
    }

    /// Whether the `<body>`/`<html>` classes contain one of `words`.
    pub fn body_says(&self, words: &[&str]) -> bool {
        self.body_class
            .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
            .any(|t| words.contains(&t))
    }

    /// A page with little to read: gates, errors and redirects are short.
    pub fn thin(&self) -> bool {
        self.words < 400 && self.structure.cards < 3 && self.structure.posts < 2
    }
}

/// Field names that hold a quantity to buy.
pub fn is_quantity(name: &str) -> bool {
    ["qty", "quantity", "quant", "cantidad", "menge", "amount"]
        .iter()
        .any(|q| name.contains(q))
}

fn img_attrs(page: &Page, i: usize) -> String {
    let mut s = String::new();
    for a in ["src", "alt", "title", "class", "id"] {
        if let Some(v) = page.attr(i, a) {
            if !v.starts_with("data:") {
                s.push_str(v);
                s.push(' ');
            }
        }
    }
    s.to_lowercase()
}

/// `location.href = ...` in a short inline script: a redirect without a meta tag.
fn is_script_redirect(page: &Page, i: usize) -> bool {
    let Some(node) = page.html().tree.get(page.dom().nodes[i].id) else {
        return false;
    };
    let code: String = node
        .children()
        .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
        .collect();
    code.len() < 600
        && (code.contains("location.href")
            || code.contains("location.replace")
            || code.contains("window.location="))
}

/// The words of the page's address and its canonical URL (`/login`, `/search?q=`).
fn url_words(page: &Page) -> Vec<String> {
    let mut s = url::path_and_query(page.url());
    for i in page.elements("link") {
        if page
            .attr(i, "rel")
            .is_some_and(|r| r.eq_ignore_ascii_case("canonical"))
        {
            if let Some(h) = page.attr(i, "href") {
                s.push(' ');
                s.push_str(&url::path_and_query(h));
            }
        }
    }
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}
