//! Which of a page's links the crawl follows, and in what order.

use std::collections::HashMap;

use centinela_parsers::records::{LinkKind, ParsedPage};

use super::plan::SitePlan;
use crate::frontier::{LinkPriority, NewLink};
use crate::transport::Url;

/// Why links were left out, counted for the summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Skipped {
    pub out_of_scope: u32,
    pub traps: u32,
    pub session_ending: u32,
}

/// The page's links the frontier should see: inside the site, canonical, not traps, not
/// logout or cart actions, each with its priority. The parser's link kinds decide the
/// priority where it knows them; otherwise the URL's words do.
pub fn follow(plan: &SitePlan, page: &ParsedPage, skipped: &mut Skipped) -> Vec<NewLink> {
    let kinds: HashMap<&str, LinkKind> = page
        .link_kinds
        .iter()
        .map(|(u, k)| (u.as_str(), *k))
        .collect();
    let mut out: Vec<NewLink> = Vec::new();
    for link in &page.links {
        let Ok(url) = Url::parse(link) else {
            continue;
        };
        let Some(canonical) = plan.frontier_url(&url) else {
            skipped.out_of_scope += 1;
            continue;
        };
        if crate::traps::is_session_ending(&canonical) {
            skipped.session_ending += 1;
            continue;
        }
        if crate::traps::check(&canonical, &plan.traps).is_err() {
            skipped.traps += 1;
            continue;
        }
        let priority = match kinds.get(link.as_str()) {
            Some(LinkKind::Listing | LinkKind::Vendor) => LinkPriority::Record,
            Some(LinkKind::NextPage) => LinkPriority::NextPage,
            _ => guess_priority(&canonical),
        };
        let url = canonical.to_string();
        match out.iter_mut().find(|l| l.url == url) {
            Some(l) => l.priority = l.priority.min(priority),
            None => out.push(NewLink { url, priority }),
        }
    }
    out
}

/// Words market URLs use for listings, vendors and page numbers, in English and Spanish.
fn guess_priority(url: &Url) -> LinkPriority {
    let path = url.path().to_ascii_lowercase();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    const RECORD: &[&str] = &[
        "listing",
        "listings",
        "product",
        "products",
        "producto",
        "productos",
        "item",
        "items",
        "offer",
        "oferta",
        "anuncio",
        "vendor",
        "vendors",
        "vendedor",
        "vendedores",
        "seller",
        "store",
        "tienda",
        "shop",
        "p",
        "l",
        "v",
        "u",
    ];
    const PAGES: &[&str] = &[
        "page",
        "pagina",
        "página",
        "category",
        "categoria",
        "categories",
    ];
    if segments
        .iter()
        .take(segments.len().saturating_sub(1))
        .any(|s| RECORD.contains(s))
    {
        return LinkPriority::Record;
    }
    let query = url.query().unwrap_or("").to_ascii_lowercase();
    if segments.iter().any(|s| PAGES.contains(s))
        || query.split('&').any(|kv| {
            let name = kv.split('=').next().unwrap_or("");
            matches!(name, "page" | "p" | "pagina" | "start" | "offset")
        })
    {
        return LinkPriority::NextPage;
    }
    LinkPriority::Other
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn record_pages_first_by_url_words() {
        let p = |u: &str| guess_priority(&Url::parse(u).unwrap());
        assert_eq!(
            p("http://x.onion/producto/cocaina-lima.html"),
            LinkPriority::Record
        );
        assert_eq!(
            p("http://x.onion/vendor/harborking.html"),
            LinkPriority::Record
        );
        assert_eq!(
            p("http://x.onion/categoria/cannabis/pagina/3.html"),
            LinkPriority::NextPage
        );
        assert_eq!(
            p("http://x.onion/viewforum.php?f=2&start=20"),
            LinkPriority::NextPage
        );
        assert_eq!(p("http://x.onion/reglas.html"), LinkPriority::Other);
        assert_eq!(
            p("http://x.onion/producto"),
            LinkPriority::Other,
            "a bare folder is not a record"
        );
    }
}
