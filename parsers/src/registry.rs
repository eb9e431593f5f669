//! Choosing the parser for a page, running it, and scoring what it found for Peru.
//!
//! Three kinds of parser produce the same records: a site's own selector configuration
//! (its `[parser]` section), a built-in template for a known site family, and the
//! generic parser for everything else. `auto` lets the page decide: a template whose
//! `detect` selector matches, or the generic parser. A gate (login, captcha, DDoS queue)
//! recognised by the classifier on a page that does not show the parser's own layout
//! wins, because the crawler must stop and ask a human rather than hammer it.

use crate::classify;
use crate::generic;
use crate::page::Page;
use crate::peru::score;
use crate::records::{PageType, ParsedPage};
use crate::selector::SelectorConfig;
use crate::templates::{self, Template};
use crate::{Entity, Extractor};

/// Which parser a site asked for (`parser = ...` in its TOML).
#[derive(Clone, Debug)]
pub enum ParserChoice {
    /// A template if one recognises the page, else the generic parser.
    Auto,
    Generic,
    /// A built-in template, by name.
    Template(String),
    /// The site's own `[parser]` section.
    Site(Box<SelectorConfig>),
}

impl ParserChoice {
    /// Reads the string form of `parser`: `auto`, `generic` or `template:NAME`.
    pub fn from_name(name: &str, templates: &[Template]) -> Result<ParserChoice, String> {
        match name {
            "auto" => Ok(ParserChoice::Auto),
            "generic" => Ok(ParserChoice::Generic),
            _ => match name.strip_prefix("template:") {
                Some(t) if templates::by_name(templates, t).is_some() => {
                    Ok(ParserChoice::Template(t.to_string()))
                }
                _ => Err(format!(
                    "unknown parser {name:?}; use \"auto\", \"generic\", a [parser] section, or one of: {}",
                    templates
                        .iter()
                        .map(|t| format!("\"template:{}\"", t.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
        }
    }
}

/// The parsers, built once.
pub struct Registry {
    templates: &'static [Template],
    extractor: Extractor,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field(
                "templates",
                &self.templates.iter().map(|t| &t.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Registry {
    pub fn new(extractor: Extractor) -> Self {
        Registry {
            templates: templates::builtin(),
            extractor,
        }
    }

    pub fn templates(&self) -> &[Template] {
        self.templates
    }

    pub fn extractor(&self) -> &Extractor {
        &self.extractor
    }

    /// Parses one page with the chosen parser and scores its records for Peru.
    pub fn parse(&self, choice: &ParserChoice, url: &str, html: &[u8]) -> ParsedPage {
        let page = Page::parse(url, html);
        // The generic parser classifies the page itself; a page read by a template or
        // site selectors is classified only when it lacks their layout (a possible gate).
        let generic = || generic::parse_classified(&page, &self.extractor);
        let by_template =
            |t: &Template| (t.parse(url, html, &self.extractor), t.matches(page.html()));
        // Whether the page shows the layout of the parser that read it: a template's
        // `detect` selector, or, for a site's own selectors, that they found records.
        let (mut parsed, own_layout, gate) = match choice {
            ParserChoice::Site(config) => {
                let p = crate::selector::parse(config, url, html, &self.extractor);
                let found = !(p.listings.is_empty() && p.posts.is_empty() && p.vendors.is_empty());
                (p, found, None)
            }
            ParserChoice::Template(name) => match templates::by_name(self.templates, name) {
                Some(t) => {
                    let (p, own) = by_template(t);
                    (p, own, None)
                }
                None => {
                    let (p, c) = generic();
                    (p, false, Some(c))
                }
            },
            ParserChoice::Auto => match templates::detect_in(self.templates, page.html()) {
                Some(t) => (t.parse(url, html, &self.extractor), true, None),
                None => {
                    let (p, c) = generic();
                    (p, false, Some(c))
                }
            },
            ParserChoice::Generic => {
                let (p, c) = generic();
                (p, false, Some(c))
            }
        };
        // Markets serve their queue and login pages at any URL, without their usual
        // layout; a page in the site's own layout that merely talks about queues or
        // logins (a forum PSA) is content.
        if !own_layout {
            let gate = gate.unwrap_or_else(|| classify::classify(&page));
            if gate.page_type.needs_human() {
                parsed.page_type = gate.page_type;
            }
        }
        self.score(&mut parsed);
        parsed
    }

    /// Fills the `peru` of every record: listings from their fields and text, posts from
    /// their body, vendors from the page's signals and the listings shown with them.
    fn score(&self, parsed: &mut ParsedPage) {
        let lexicon = self.extractor.lexicon();
        for l in &mut parsed.listings {
            l.peru = score::score_listing(lexicon, l);
        }
        for p in &mut parsed.posts {
            p.peru = score::combine(score::text_evidence(lexicon, "body", &p.body, None));
        }
        if parsed.vendors.is_empty() {
            return;
        }
        let page_signals: Vec<_> = parsed
            .entities
            .iter()
            .filter_map(|e| match e {
                Entity::PeruSignal {
                    signal,
                    weight,
                    value,
                    start,
                    end,
                } => Some(crate::records::PeruEvidence {
                    signal: signal.clone(),
                    weight: *weight,
                    matched: value.clone(),
                    field: "page".to_string(),
                    start: Some(*start),
                    end: Some(*end),
                }),
                _ => None,
            })
            .collect();
        let vendor_page = matches!(parsed.page_type, PageType::Vendor | PageType::UserProfile);
        let listings = parsed.listings.clone();
        for v in &mut parsed.vendors {
            let own = if vendor_page {
                page_signals.clone()
            } else {
                Vec::new()
            };
            let theirs: Vec<_> = listings
                .iter()
                .filter(|l| {
                    l.vendor
                        .as_deref()
                        .is_none_or(|h| h.eq_ignore_ascii_case(&v.handle))
                })
                .cloned()
                .collect();
            v.peru = score::score_vendor(own, &theirs);
        }
    }
}
