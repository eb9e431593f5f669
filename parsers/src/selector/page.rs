//! Running a [`SelectorConfig`] over one page: its type, its records, its links.

use super::config::{Field, ListingRules, PageRule, PostRules, SelectorConfig, VendorRules};
use super::field::{collapse, raw_text, Scope};
use crate::entity::Entity;
use crate::price::parse_price;
use crate::records::{Listing, PageType, ParsedPage, Post, Vendor};
use crate::Extractor;
use scraper::{ElementRef, Html, Selector};

pub use crate::records::LinkKind;

/// One outgoing link, absolute, without fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageLink {
    pub url: String,
    pub kind: LinkKind,
}

/// Parses one page with a selector configuration. `entities` come from the extractor
/// over the whole page; each record's addresses and contacts from its own text, so a
/// wallet in the sidebar is not pinned on every listing. Peru scores are left empty.
pub fn parse(config: &SelectorConfig, url: &str, html: &[u8], extractor: &Extractor) -> ParsedPage {
    let text = String::from_utf8_lossy(html);
    let doc = Html::parse_document(&text);
    let page = doc.root_element();
    let page_type = page_type(config, url, &doc);
    let applies = |on: &[PageType]| on.is_empty() || on.contains(&page_type);
    let mut listings = Vec::new();
    for rules in config.listings.iter().filter(|r| applies(&r.on)) {
        listings.extend(read_listings(rules, page, url, extractor));
    }
    let mut vendors = Vec::new();
    for rules in config.vendors.iter().filter(|r| applies(&r.on)) {
        vendors.extend(read_vendors(rules, page, url, extractor, listings.len()));
    }
    let mut posts = Vec::new();
    for rules in config.posts.iter().filter(|r| applies(&r.on)) {
        posts.extend(read_posts(rules, page, url, extractor));
    }
    let page_links = links(config, url, &doc);
    ParsedPage {
        url: url.to_string(),
        page_type,
        parser: config.label.clone(),
        listings,
        vendors,
        posts,
        entities: extractor.extract_html(html),
        link_kinds: page_links
            .iter()
            .filter(|l| l.kind != LinkKind::Other)
            .map(|l| (l.url.clone(), l.kind))
            .collect(),
        links: page_links.into_iter().map(|l| l.url).collect(),
    }
}

/// The first page-type rule whose every condition holds; the configured default if none.
pub(super) fn page_type(config: &SelectorConfig, url: &str, doc: &Html) -> PageType {
    let path = crate::page::url::path_and_query(url);
    let title = title_of(doc);
    config
        .page_rules
        .iter()
        .find(|r| rule_matches(r, &path, &title, doc))
        .map_or(config.default_page_type, |r| r.page_type)
}

fn rule_matches(rule: &PageRule, path: &str, title: &str, doc: &Html) -> bool {
    rule.url.as_ref().is_none_or(|re| re.is_match(path))
        && rule.title.as_ref().is_none_or(|re| re.is_match(title))
        && rule
            .selector
            .as_ref()
            .is_none_or(|s| doc.select(s).next().is_some())
}

fn title_of(doc: &Html) -> String {
    Selector::parse("title")
        .ok()
        .and_then(|s| {
            doc.select(&s)
                .next()
                .map(|t| collapse(&t.text().collect::<String>()))
        })
        .unwrap_or_default()
}

/// Addresses and contacts in a record's own text, deduplicated in order of appearance.
fn identifiers(extractor: &Extractor, text: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut addresses, mut contacts, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    for e in extractor.extract_text(text) {
        let (list, value) = match e {
            Entity::CryptoAddress { value, .. } => (&mut addresses, value),
            Entity::Contact {
                platform, value, ..
            } => (&mut contacts, format!("{platform}:{value}")),
            Entity::Phone { value, .. } => (&mut contacts, format!("phone:{value}")),
            Entity::Email { value, .. } => (&mut contacts, format!("email:{value}")),
            Entity::PgpKey { fingerprint, .. } => (&mut keys, fingerprint),
            _ => continue,
        };
        if !list.contains(&value) {
            list.push(value);
        }
    }
    (addresses, contacts, keys)
}

/// `2024-05-04 18:22:10 UTC` (a machine-readable `title`) as ISO 8601
/// (`2024-05-04T18:22:10Z`); any other text is kept as shown.
fn iso_date(shown: &str) -> String {
    static ISO: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = ISO.get_or_init(|| {
        regex::Regex::new(
            r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)\s*(UTC|GMT|Z|[+-]\d{2}:\d{2})?$",
        )
        .ok()
    });
    let Some(caps) = re.as_ref().and_then(|r| r.captures(shown.trim())) else {
        return shown.to_string();
    };
    let zone = match caps.get(3).map(|m| m.as_str()) {
        Some("UTC" | "GMT" | "Z") => "Z",
        Some(offset) => offset,
        None => "",
    };
    format!("{}T{}{zone}", &caps[1], &caps[2])
}

fn handle(raw: String) -> String {
    raw.trim().trim_start_matches('@').trim().to_string()
}

fn read_listings(
    rules: &ListingRules,
    page: ElementRef<'_>,
    url: &str,
    ex: &Extractor,
) -> Vec<Listing> {
    let mut out = Vec::new();
    for container in page.select(&rules.container) {
        let scope = Scope {
            container,
            page,
            url,
        };
        let Some(title) = rules.title.first(scope) else {
            continue;
        };
        let (addresses, contacts, _) = identifiers(ex, &raw_text(container, None));
        out.push(Listing {
            url: rules
                .url
                .as_ref()
                .and_then(|f| f.url(scope))
                .unwrap_or_else(|| url.to_string()),
            title,
            price: rules
                .price
                .as_ref()
                .and_then(|f| f.first(scope))
                .map(|p| parse_price(&p, rules.number_format)),
            vendor: rules
                .vendor
                .as_ref()
                .and_then(|f| f.first(scope))
                .map(handle),
            ships_from: rules.ships_from.as_ref().and_then(|f| f.first(scope)),
            ships_to: rules
                .ships_to
                .as_ref()
                .map(|f| f.all(scope))
                .unwrap_or_default(),
            category: rules.category.as_ref().and_then(|f| f.first(scope)),
            description: rules.description.as_ref().and_then(|f| f.first(scope)),
            addresses,
            contacts,
            peru: Default::default(),
        });
    }
    out
}

fn read_vendors(
    rules: &VendorRules,
    page: ElementRef<'_>,
    url: &str,
    ex: &Extractor,
    listings_on_page: usize,
) -> Vec<Vendor> {
    let mut out = Vec::new();
    for container in page.select(&rules.container) {
        let scope = Scope {
            container,
            page,
            url,
        };
        let Some(handle) = rules
            .handle
            .first(scope)
            .map(handle)
            .filter(|h| !h.is_empty())
        else {
            continue;
        };
        let (addresses, contacts, mut keys) = identifiers(ex, &raw_text(container, None));
        if let Some(pgp) = &rules.pgp {
            // Only the configured key block counts: a key quoted elsewhere on the page
            // (a buyer's, the market's) is not the vendor's.
            keys = identifiers(ex, &pgp_text(pgp, scope)).2;
        }
        out.push(Vendor {
            url: rules
                .url
                .as_ref()
                .and_then(|f| f.url(scope))
                .unwrap_or_else(|| url.to_string()),
            handle,
            pgp_fingerprints: keys,
            contacts,
            addresses,
            listings_count: rules
                .listings_count
                .as_ref()
                .and_then(|f| f.count(scope))
                .unwrap_or(listings_on_page),
            peru: Default::default(),
        });
    }
    out
}

/// The raw text (line breaks kept) of every element the first matching way of the `pgp`
/// field selects.
fn pgp_text(field: &Field, scope: Scope<'_>) -> String {
    for spec in &field.0 {
        let root = if spec.page_scope {
            scope.page
        } else {
            scope.container
        };
        let text: Vec<String> = match &spec.selector {
            Some(sel) => root
                .select(sel)
                .map(|e| raw_text(e, spec.exclude.as_ref()))
                .collect(),
            None => vec![raw_text(root, spec.exclude.as_ref())],
        };
        if !text.is_empty() {
            return text.join("\n");
        }
    }
    String::new()
}

fn read_posts(rules: &PostRules, page: ElementRef<'_>, url: &str, ex: &Extractor) -> Vec<Post> {
    let exclude = rules.body.0.iter().find_map(|s| s.exclude.clone());
    let mut out = Vec::new();
    for container in page.select(&rules.container) {
        let scope = Scope {
            container,
            page,
            url,
        };
        let body = rules.body.first(scope).unwrap_or_default();
        let author = rules
            .author
            .as_ref()
            .and_then(|f| f.first(scope))
            .map(handle);
        if body.is_empty() && author.is_none() {
            continue;
        }
        // Quoted text is someone else's: identifiers come from the post minus quotes.
        let (addresses, contacts, _) = identifiers(ex, &raw_text(container, exclude.as_ref()));
        out.push(Post {
            url: rules
                .url
                .as_ref()
                .and_then(|f| f.url(scope))
                .unwrap_or_else(|| url.to_string()),
            thread_title: rules.thread_title.as_ref().and_then(|f| f.first(scope)),
            author,
            posted_at: rules
                .date
                .as_ref()
                .and_then(|f| f.first(scope))
                .map(|d| iso_date(&d)),
            body,
            addresses,
            contacts,
            peru: Default::default(),
        });
    }
    out
}

/// Every `http(s)` link of the page, absolute, without fragment, minus those the site
/// says to ignore (logout, add-to-cart), each tagged by the `[parser.links]` rules.
pub fn links(config: &SelectorConfig, url: &str, doc: &Html) -> Vec<PageLink> {
    let Ok(anchors) = Selector::parse("a[href], area[href]") else {
        return Vec::new();
    };
    let rules = &config.links;
    let mut out: Vec<PageLink> = Vec::new();
    for a in doc.select(&anchors) {
        let Some(href) = a.value().attr("href") else {
            continue;
        };
        if href.trim_start().starts_with('#')
            || rules.ignore.as_ref().is_some_and(|s| s.matches(&a))
        {
            continue;
        }
        let Some(abs) = crate::page::url::resolve(url, href) else {
            continue;
        };
        let abs = crate::page::url::strip_fragment(&abs).to_string();
        let kind = if rules.next_page.as_ref().is_some_and(|s| s.matches(&a)) {
            LinkKind::NextPage
        } else if rules.listing.as_ref().is_some_and(|s| s.matches(&a)) {
            LinkKind::Listing
        } else if rules.vendor.as_ref().is_some_and(|s| s.matches(&a)) {
            LinkKind::Vendor
        } else {
            LinkKind::Other
        };
        match out.iter_mut().find(|l| l.url == abs) {
            Some(l) if l.kind == LinkKind::Other => l.kind = kind,
            Some(_) => {}
            None => out.push(PageLink { url: abs, kind }),
        }
    }
    out
}
