//! Site parsers written as configuration: CSS selectors in a site's TOML file.
//!
//! Markets change their markup often and each one differs, so an operator who adds a
//! site describes where its records are instead of waiting for a release. The section is
//! read by [`SelectorConfig::from_toml`], which reports every mistake (a selector that
//! does not parse, an unknown key, a bad regex) at its `line:column`, and run by
//! [`parse`], which yields the same [`ParsedPage`](crate::records::ParsedPage) as the
//! built-in templates (`parser` = `site:<name>`).
//!
//! # The `[parser]` section
//!
//! ```toml
//! name = "mercado-ejemplo"           # the site's name; the parser is "site:mercado-ejemplo"
//!
//! [parser]
//! number_format = "1.234,56"         # "1,234.56", "1.234,56" or "auto" (default)
//! default_page_type = "other"        # when no page_type rule matches
//!
//! # Page types: the first rule whose conditions all hold wins. `url` is a regex on the
//! # path and query, `title` a regex on <title>, `selector` must match some element.
//! [[parser.page_type]]
//! selector = "form#login"
//! type = "login"
//! [[parser.page_type]]
//! url = '^/item/'
//! type = "listing"
//!
//! # Records: a container selector, then one entry per field. `on` limits the rules to
//! # some page types; several [[parser.listing]] tables may coexist (cards on index
//! # pages, the detail block on listing pages).
//! [[parser.listing]]
//! on = ["listing_index", "search_results"]
//! container = "div.card"
//! url = { selector = "a.title", attr = "href" }
//! title = "a.title"
//! price = ".price"
//! vendor = { selector = ".seller", regex = '^\s*([\w.-]+)' }
//! ships_from = ".from"
//! ships_to = { selector = ".to", split = '\s*(?:,|/| y | and )\s*' }
//! category = { selector = ".crumbs a:last-child", scope = "page" }
//! description = ".desc"
//!
//! [[parser.vendor]]                  # handle (required), pgp, url, listings_count
//! on = ["vendor"]
//! container = "#profile"
//! handle = "h1 .name"
//! pgp = "pre.pgp"
//!
//! [[parser.post]]                    # body (required), author, date, thread_title, url
//! on = ["forum_thread"]
//! container = "div.post"
//! thread_title = { selector = "h2.topic", scope = "page" }
//! author = ".author a"
//! date = [{ selector = "time", attr = "datetime" }, ".date"]
//! body = { selector = ".content", exclude = "blockquote" }
//! url = { attr = "id", prefix = "#" }
//!
//! [parser.links]                     # all optional selectors matched against <a>
//! listing = "a.title"
//! vendor = "a.seller"
//! next_page = "a[rel=next]"
//! ignore = "a[href*=logout], form a.buy"   # never followed, never reported
//! ```
//!
//! A field is a selector string (its element's text), a table, or an array of either
//! tried in order until one yields a value (so one template can cover several markups).
//! Table keys: `selector` (absent: the container itself), `attr` (read an attribute
//! instead of the text), `regex` (keep the first capture group, or the whole match),
//! `exclude` (leave out descendants matching this selector), `split` (a regex splitting
//! list fields; `ships_to` splits on `,` `;` `|` by default), `prefix` (prepended to a
//! URL field before it is resolved), `scope` (`"container"`, the default, or `"page"`).
//!
//! Record identifiers: a listing's `addresses` and `contacts` come from its container's
//! text; a vendor's from its container (its PGP fingerprints from the `pgp` field when
//! one is configured); a post's from its container minus the body's `exclude` (quotes
//! are someone else's words). A vendor's `listings_count` is the number of listings
//! parsed on the same page unless a `listings_count` field says otherwise.

mod config;
mod field;
mod load;
mod page;
mod raw;

pub use config::{ConfigError, SelectorConfig};
pub use page::{links, parse, LinkKind, PageLink};

impl SelectorConfig {
    /// The same configuration under another `parser` label (templates use
    /// `template:<name>`).
    pub fn with_label(mut self, label: impl Into<String>) -> SelectorConfig {
        self.label = label.into();
        self
    }

    /// The page type alone, without reading records (the crawler's gate check).
    pub fn page_type(&self, url: &str, html: &[u8]) -> crate::records::PageType {
        let doc = scraper::Html::parse_document(&String::from_utf8_lossy(html));
        page::page_type(self, url, &doc)
    }
}

#[cfg(test)]
mod tests;
