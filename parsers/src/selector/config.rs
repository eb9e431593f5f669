//! The checked form of a `[parser]` section: compiled selectors and regexes, page types
//! resolved. Built by [`super::load`]; every problem found on the way is collected as a
//! [`ConfigError`] at its place in the file instead of stopping at the first.

use super::raw::{RawField, RawLinks, RawListing, RawPageRule, RawPost, RawVendor, Text};
use crate::price::NumberFormat;
use crate::records::PageType;
use regex::Regex;
use scraper::Selector;
use std::ops::Range;
use toml::Spanned;

/// A mistake in a site's parser configuration, at byte offsets of the TOML text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub span: Range<usize>,
    pub message: String,
}

impl ConfigError {
    /// `line:column` (both from 1) of the start of the span, for `file:line:column` messages.
    pub fn line_col(&self, text: &str) -> (usize, usize) {
        let at = self.span.start.min(text.len());
        let before = text.get(..at).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    /// `path:line:column: message`.
    pub fn render(&self, path: &str, text: &str) -> String {
        let (line, col) = self.line_col(text);
        format!("{path}:{line}:{col}: {}", self.message)
    }
}

/// A site's selector parser, ready to run with [`super::parse`].
#[derive(Clone, Debug)]
pub struct SelectorConfig {
    /// The site (or template) name.
    pub name: String,
    /// What `ParsedPage::parser` says: `site:<name>` or `template:<name>`.
    pub label: String,
    pub(super) default_page_type: PageType,
    pub(super) page_rules: Vec<PageRule>,
    pub(super) listings: Vec<ListingRules>,
    pub(super) vendors: Vec<VendorRules>,
    pub(super) posts: Vec<PostRules>,
    pub(super) links: LinkRules,
}

#[derive(Clone, Debug)]
pub(super) struct PageRule {
    pub page_type: PageType,
    pub url: Option<Regex>,
    pub selector: Option<Selector>,
    pub title: Option<Regex>,
}

/// Record rules apply on the page types in `on` (all pages when empty).
#[derive(Clone, Debug)]
pub(super) struct ListingRules {
    pub on: Vec<PageType>,
    pub container: Selector,
    pub number_format: NumberFormat,
    pub url: Option<Field>,
    pub title: Field,
    pub price: Option<Field>,
    pub vendor: Option<Field>,
    pub ships_from: Option<Field>,
    pub ships_to: Option<Field>,
    pub category: Option<Field>,
    pub description: Option<Field>,
}

#[derive(Clone, Debug)]
pub(super) struct VendorRules {
    pub on: Vec<PageType>,
    pub container: Selector,
    pub url: Option<Field>,
    pub handle: Field,
    pub pgp: Option<Field>,
    pub listings_count: Option<Field>,
}

#[derive(Clone, Debug)]
pub(super) struct PostRules {
    pub on: Vec<PageType>,
    pub container: Selector,
    pub url: Option<Field>,
    pub thread_title: Option<Field>,
    pub author: Option<Field>,
    pub date: Option<Field>,
    pub body: Field,
}

#[derive(Clone, Debug, Default)]
pub(super) struct LinkRules {
    pub listing: Option<Selector>,
    pub vendor: Option<Selector>,
    pub next_page: Option<Selector>,
    pub ignore: Option<Selector>,
}

/// Ways to read one value, tried in order until one yields something.
#[derive(Clone, Debug)]
pub(super) struct Field(pub Vec<FieldSpec>);

#[derive(Clone, Debug)]
pub(super) struct FieldSpec {
    /// `None`: the container itself.
    pub selector: Option<Selector>,
    pub attr: Option<String>,
    pub regex: Option<Regex>,
    pub exclude: Option<Selector>,
    pub split: Option<Regex>,
    pub prefix: Option<String>,
    /// Read from the whole page instead of the record's container.
    pub page_scope: bool,
}

/// scraper's message for errors from the `selectors` crate is a request to report a bug
/// followed by a debug dump; an operator needs the kind (`ClassNeedsIdent` → "class needs
/// ident") instead.
fn selector_error_text(e: &scraper::error::SelectorErrorKind<'_>) -> String {
    let shown = e.to_string();
    let Some(rest) =
        shown.strip_prefix("Unexpected error occurred. Please report this to the developer")
    else {
        return shown.lines().next().unwrap_or("").to_string();
    };
    let name: String = rest
        .trim()
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .collect();
    let mut words = String::new();
    for ch in name.chars() {
        if ch.is_uppercase() && !words.is_empty() {
            words.push(' ');
        }
        words.extend(ch.to_lowercase());
    }
    words
}

/// Collects compile errors while building the checked config.
#[derive(Default)]
pub(super) struct Compiler {
    pub errors: Vec<ConfigError>,
}

impl Compiler {
    fn error(&mut self, span: Range<usize>, message: String) {
        self.errors.push(ConfigError { span, message });
    }

    pub fn selector(&mut self, s: &Text) -> Option<Selector> {
        self.selector_at(s.get_ref(), s.span())
    }

    fn selector_at(&mut self, s: &str, span: Range<usize>) -> Option<Selector> {
        match Selector::parse(s) {
            Ok(sel) => Some(sel),
            Err(e) => {
                self.error(
                    span,
                    format!("invalid CSS selector `{s}`: {}", selector_error_text(&e)),
                );
                None
            }
        }
    }

    pub fn regex(&mut self, s: &Text) -> Option<Regex> {
        match Regex::new(s.get_ref()) {
            Ok(r) => Some(r),
            Err(e) => {
                let first = e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                self.error(
                    s.span(),
                    format!("invalid regex `{}`: {first}", s.get_ref()),
                );
                None
            }
        }
    }

    pub fn page_type(&mut self, s: &Text) -> Option<PageType> {
        let found = PageType::ALL
            .iter()
            .find(|t| t.as_str() == s.get_ref())
            .copied();
        if found.is_none() {
            let names: Vec<&str> = PageType::ALL.iter().map(|t| t.as_str()).collect();
            self.error(
                s.span(),
                format!(
                    "unknown page type `{}`, expected one of {}",
                    s.get_ref(),
                    names.join(", ")
                ),
            );
        }
        found
    }

    pub fn number_format(&mut self, s: Option<&Text>, default: NumberFormat) -> NumberFormat {
        let Some(s) = s else { return default };
        NumberFormat::from_config(s.get_ref()).unwrap_or_else(|| {
            self.error(
                s.span(),
                format!(
                    "unknown number_format `{}`, expected \"1,234.56\", \"1.234,56\" or \"auto\"",
                    s.get_ref()
                ),
            );
            default
        })
    }

    fn on(&mut self, on: &Option<Vec<Text>>) -> Vec<PageType> {
        on.iter()
            .flatten()
            .filter_map(|t| self.page_type(t))
            .collect()
    }

    pub fn field(&mut self, f: &Spanned<RawField>, default_split: bool) -> Option<Field> {
        let outer = f.span();
        let mut specs = Vec::new();
        let mut ok = true;
        let default_splitter = Regex::new(r"\s*[,;|]\s*").ok();
        for (item_span, raw) in &f.get_ref().0 {
            let sel = raw.selector.as_ref().and_then(|s| {
                let span = if s.span() == (0..0) {
                    item_span.clone().unwrap_or(outer.clone())
                } else {
                    s.span()
                };
                let c = self.selector_at(s.get_ref(), span);
                ok &= c.is_some();
                c
            });
            let regex = raw.regex.as_ref().and_then(|r| self.regex(r));
            let exclude = raw.exclude.as_ref().and_then(|s| self.selector(s));
            let split = match &raw.split {
                Some(s) => self.regex(s),
                None if default_split => default_splitter.clone(),
                None => None,
            };
            ok &= raw.regex.is_some() == regex.is_some()
                && raw.exclude.is_some() == exclude.is_some()
                && raw.split.as_ref().is_none_or(|_| split.is_some());
            let page_scope = match raw.scope.as_ref() {
                None => false,
                Some(s) if s.get_ref() == "page" => true,
                Some(s) if s.get_ref() == "container" => false,
                Some(s) => {
                    self.error(
                        s.span(),
                        format!(
                            "unknown scope `{}`, expected \"container\" or \"page\"",
                            s.get_ref()
                        ),
                    );
                    ok = false;
                    false
                }
            };
            specs.push(FieldSpec {
                selector: sel,
                attr: raw.attr.clone(),
                regex,
                exclude,
                split,
                prefix: raw.prefix.clone(),
                page_scope,
            });
        }
        if specs.is_empty() {
            self.error(outer, "a field needs at least one selector".to_string());
        }
        (ok && !specs.is_empty()).then_some(Field(specs))
    }

    fn opt(&mut self, f: &Option<Spanned<RawField>>) -> Option<Field> {
        f.as_ref().and_then(|f| self.field(f, false))
    }

    pub fn page_rule(&mut self, r: &RawPageRule) -> Option<PageRule> {
        let page_type = self.page_type(&r.page_type);
        let url = r.url.as_ref().map(|u| self.regex(u));
        let selector = r.selector.as_ref().map(|s| self.selector(s));
        let title = r.title.as_ref().map(|t| self.regex(t));
        if url.is_none() && selector.is_none() && title.is_none() {
            self.error(
                r.page_type.span(),
                "a page_type rule needs `url`, `selector` or `title`".into(),
            );
            return None;
        }
        Some(PageRule {
            page_type: page_type?,
            url: url.map_or(Ok(None), |u| u.ok_or(()).map(Some)).ok()?,
            selector: selector.map_or(Ok(None), |s| s.ok_or(()).map(Some)).ok()?,
            title: title.map_or(Ok(None), |t| t.ok_or(()).map(Some)).ok()?,
        })
    }

    /// A required key: reported at the section when absent.
    fn required<'r, T>(
        &mut self,
        v: &'r Option<T>,
        key: &str,
        section: &Range<usize>,
    ) -> Option<&'r T> {
        if v.is_none() {
            self.error(section.clone(), format!("missing field `{key}`"));
        }
        v.as_ref()
    }

    fn container(&mut self, v: &Option<Text>, section: &Range<usize>) -> Option<Selector> {
        self.required(v, "container", section)
            .and_then(|s| self.selector(s))
    }

    pub fn listing(
        &mut self,
        r: &RawListing,
        span: &Range<usize>,
        default: NumberFormat,
    ) -> Option<ListingRules> {
        let on = self.on(&r.on);
        let container = self.container(&r.container, span);
        let number_format = self.number_format(r.number_format.as_ref(), default);
        let url = self.opt(&r.url);
        let title = self
            .required(&r.title, "title", span)
            .and_then(|f| self.field(f, false));
        let price = self.opt(&r.price);
        let vendor = self.opt(&r.vendor);
        let ships_from = self.opt(&r.ships_from);
        let ships_to = r.ships_to.as_ref().and_then(|f| self.field(f, true));
        let category = self.opt(&r.category);
        let description = self.opt(&r.description);
        Some(ListingRules {
            on,
            container: container?,
            number_format,
            url,
            title: title?,
            price,
            vendor,
            ships_from,
            ships_to,
            category,
            description,
        })
    }

    pub fn vendor(&mut self, r: &RawVendor, span: &Range<usize>) -> Option<VendorRules> {
        let on = self.on(&r.on);
        let container = self.container(&r.container, span);
        let url = self.opt(&r.url);
        let handle = self
            .required(&r.handle, "handle", span)
            .and_then(|f| self.field(f, false));
        let pgp = self.opt(&r.pgp);
        let listings_count = self.opt(&r.listings_count);
        Some(VendorRules {
            on,
            container: container?,
            url,
            handle: handle?,
            pgp,
            listings_count,
        })
    }

    pub fn post(&mut self, r: &RawPost, span: &Range<usize>) -> Option<PostRules> {
        let on = self.on(&r.on);
        let container = self.container(&r.container, span);
        let url = self.opt(&r.url);
        let thread_title = self.opt(&r.thread_title);
        let author = self.opt(&r.author);
        let date = self.opt(&r.date);
        let body = self
            .required(&r.body, "body", span)
            .and_then(|f| self.field(f, false));
        Some(PostRules {
            on,
            container: container?,
            url,
            thread_title,
            author,
            date,
            body: body?,
        })
    }

    pub fn links(&mut self, r: Option<&RawLinks>) -> LinkRules {
        let Some(r) = r else {
            return LinkRules::default();
        };
        LinkRules {
            listing: r.listing.as_ref().and_then(|s| self.selector(s)),
            vendor: r.vendor.as_ref().and_then(|s| self.selector(s)),
            next_page: r.next_page.as_ref().and_then(|s| self.selector(s)),
            ignore: r.ignore.as_ref().and_then(|s| self.selector(s)),
        }
    }
}
