//! The evaluation's figures and how they print.

use super::score::{self, ListingScore, FIELDS};
use crate::records::{PageType, ParsedPage};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// One page's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct PageResult {
    pub file: String,
    pub site: String,
    pub truth: PageType,
    pub got: PageType,
    pub reasons: Vec<String>,
    pub listings: ListingScore,
}

/// Page-type accuracy of one site.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SiteTypes {
    pub site: String,
    pub pages: usize,
    pub right: usize,
    pub listings: ListingScore,
}

/// A (truth, got) pair that was confused, and where.
#[derive(Clone, Debug, Serialize)]
pub struct Confusion {
    pub truth: PageType,
    pub got: PageType,
    pub files: Vec<String>,
}

/// Everything the evaluation measured.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub pages: Vec<PageResult>,
    pub sites: Vec<SiteTypes>,
    pub right: usize,
    pub confusions: Vec<Confusion>,
    /// Login, captcha and DDoS-queue pages (by truth or by our answer), and the wrong ones.
    pub gates: usize,
    pub gates_wrong: Vec<String>,
    pub listings: ListingScore,
    /// Expected vendor handles, and how many we report.
    pub handles: (usize, usize),
    pub contacts: (usize, usize),
    pub pgp_keys: (usize, usize),
    /// Pages with an onion count, and how many we count exactly.
    pub onion_pages: (usize, usize),
    /// Expected forum posts, found, and found with author (and time) right.
    pub posts: (usize, usize, usize),
}

impl Report {
    pub(super) fn push(&mut self, r: PageResult) {
        self.right += usize::from(r.truth == r.got);
        self.listings.add(&r.listings);
        self.pages.push(r);
    }

    pub(super) fn count_entities(&mut self, exp: &Value, found: &ParsedPage) {
        if let Some(ok) = score::vendor_handle(exp, found) {
            self.handles.0 += 1;
            self.handles.1 += usize::from(ok);
        }
        let (n, hit) = score::contacts(exp, found);
        self.contacts.0 += n;
        self.contacts.1 += hit;
        let (n, hit) = score::pgp(exp, found);
        self.pgp_keys.0 += n;
        self.pgp_keys.1 += hit;
        let (n, got, right) = score::posts(exp, found);
        self.posts.0 += n;
        self.posts.1 += got;
        self.posts.2 += right;
        if let Some((want, got)) = score::onions(exp, found) {
            self.onion_pages.0 += 1;
            self.onion_pages.1 += usize::from(want == got);
        }
    }

    pub(super) fn finish(&mut self) {
        let mut sites: BTreeMap<String, SiteTypes> = BTreeMap::new();
        let mut pairs: BTreeMap<(PageType, PageType), Vec<String>> = BTreeMap::new();
        for p in &self.pages {
            let s = sites.entry(p.site.clone()).or_insert_with(|| SiteTypes {
                site: p.site.clone(),
                ..SiteTypes::default()
            });
            s.pages += 1;
            s.right += usize::from(p.truth == p.got);
            s.listings.add(&p.listings);
            if p.truth != p.got {
                pairs
                    .entry((p.truth, p.got))
                    .or_default()
                    .push(p.file.clone());
            }
            if p.truth.needs_human() || p.got.needs_human() {
                self.gates += 1;
                if p.truth != p.got {
                    self.gates_wrong.push(p.file.clone());
                }
            }
        }
        self.sites = sites.into_values().collect();
        self.confusions = pairs
            .into_iter()
            .map(|((truth, got), files)| Confusion { truth, got, files })
            .collect();
    }

    /// Page-type accuracy, 0..1.
    pub fn accuracy(&self) -> f64 {
        self.right as f64 / self.pages.len().max(1) as f64
    }

    /// Share of expected listings found with title, price and vendor right, 0..1.
    pub fn listing_accuracy(&self) -> f64 {
        self.listings.complete as f64 / self.listings.expected.max(1) as f64
    }
}

fn pct(n: usize, d: usize) -> f64 {
    100.0 * n as f64 / d.max(1) as f64
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "page type, per site:")?;
        for s in &self.sites {
            write!(
                f,
                "  {:<22} {:>3}/{:<3} {:>5.1}%",
                s.site,
                s.right,
                s.pages,
                pct(s.right, s.pages)
            )?;
            if s.listings.expected > 0 {
                write!(
                    f,
                    "   listings {:>3}/{:<3} {:>5.1}%",
                    s.listings.complete,
                    s.listings.expected,
                    pct(s.listings.complete, s.listings.expected)
                )?;
            }
            writeln!(f)?;
        }
        let n = self.pages.len();
        writeln!(
            f,
            "page type overall: {}/{} = {:.1}%",
            self.right,
            n,
            pct(self.right, n)
        )?;
        let gates_right = self.gates - self.gates_wrong.len();
        writeln!(
            f,
            "login/captcha/ddos_queue: {}/{} right{}",
            gates_right,
            self.gates,
            if self.gates_wrong.is_empty() {
                " (every one)".to_string()
            } else {
                format!(", wrong: {:?}", self.gates_wrong)
            }
        )?;
        writeln!(f, "confusions (truth -> got):")?;
        for c in &self.confusions {
            writeln!(
                f,
                "  {} -> {}: {}",
                c.truth.as_str(),
                c.got.as_str(),
                c.files.join(", ")
            )?;
        }
        let l = &self.listings;
        writeln!(
            f,
            "listings with title+price+vendor right: {}/{} = {:.1}%",
            l.complete,
            l.expected,
            pct(l.complete, l.expected)
        )?;
        writeln!(
            f,
            "  reported {} listings on those pages, {} matched an expected one ({:.1}% precision)",
            l.found,
            l.matched,
            pct(l.matched, l.found)
        )?;
        for (name, right) in FIELDS.iter().zip(l.fields) {
            writeln!(
                f,
                "  {:<10} {:>3}/{:<3} {:>5.1}%",
                name,
                right,
                l.expected,
                pct(right, l.expected)
            )?;
        }
        let (h, hr) = self.handles;
        let (c, cr) = self.contacts;
        let (k, kr) = self.pgp_keys;
        let (o, or) = self.onion_pages;
        writeln!(f, "vendor handles: {hr}/{h}; contacts: {cr}/{c}; PGP keys: {kr}/{k}; onion host counts exact: {or}/{o} pages")?;
        let (pn, pf, pr) = self.posts;
        writeln!(
            f,
            "forum posts: {pf}/{pn} found, {pr}/{pn} with author and time right"
        )
    }
}
