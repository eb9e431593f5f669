//! Page classification: what kind of page is this, on any market or forum, with no
//! configuration for the site.
//!
//! The crawler asks this of every page it fetches. Gates come first: a login form, a
//! captcha, a DDoS queue or an anti-phishing check means a human has to act, and a
//! crawler that keeps fetching would only burn the persona, so those are recognised from
//! forms and words in several languages whatever the site looks like ([`gates`]). Then
//! the content pages are told apart by structure ([`structure`]: repeated cards with
//! prices, a single product with a buy form, dated posts, thread and forum rows,
//! feedback rows, onion link lists) weighed with words ([`words`]) and address hints
//! ([`decide`]).
//!
//! ```
//! use centinela_parsers::{classify, page::Page, records::PageType};
//! let page = Page::parse("http://x.onion/", b"<form><input name=user><input type=password name=pw>\
//!     <button>Login</button></form>");
//! assert_eq!(classify::classify(&page).page_type, PageType::Login);
//! ```

mod decide;
pub mod features;
mod gates;
mod signals;
pub mod structure;
pub mod words;

pub use features::Features;

use crate::generic::layout::Layout;
use crate::page::Page;
use crate::records::PageType;
use serde::Serialize;

/// The type of a page, how sure the classifier is, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Classification {
    pub page_type: PageType,
    /// 0..1: how far the winning evidence stands above the runner-up.
    pub confidence: f32,
    /// The evidence that decided, in words an operator can check against the page.
    pub reasons: Vec<String>,
}

/// Classifies one page.
pub fn classify(page: &Page) -> Classification {
    let layout = Layout::analyze(page);
    classify_with(page, &layout)
}

/// Classifies a page whose [`Layout`] is already computed (the generic parser shares it).
pub fn classify_with(page: &Page, layout: &Layout) -> Classification {
    let features = Features::compute(page, layout);
    classify_features(&features)
}

/// The decision on features already measured.
pub fn classify_features(f: &Features) -> Classification {
    if let Some(c) = gates::gate(f) {
        return c;
    }
    decide::content(f)
}
