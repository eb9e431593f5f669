//! The ground truth of the real-pages corpus: each page's type from SOURCES.md's per-site
//! file tables (or its `.expected.json`), mapped onto our [`PageType`] vocabulary.
//!
//! SOURCES.md lists files under one `### \`<site>/\` - <name>` heading per site, in a
//! table whose first columns are `file`, `page type` and `exp` (`yes` when a
//! `<file>.expected.json` exists). The mapping of its vocabulary:
//!
//! | SOURCES.md | ours | why |
//! |---|---|---|
//! | `category_page` | `listing_index` | a browse page showing listings |
//! | `home` | `listing_index` if it shows listings, else `other` | see [`HOMES_WITHOUT_LISTINGS`] |
//! | `vendor_profile` | `vendor` | |
//! | `vendor_pgp` | `vendor` | the PGP tab of a vendor's profile: the crawler files the key under the vendor |
//! | `feedback_page` | `vendor_feedback` | |
//! | `ddos_protection` | `ddos_queue` | |
//! | everything else | the same name | |

use super::EvalError;
use crate::records::PageType;
use std::path::Path;

/// Front pages that show no listing (checked by reading each page): they map to `other`.
/// A front page with a grid of priced listings maps to `listing_index`, since for the
/// crawler it is one more index to take listings from.
pub const HOMES_WITHOUT_LISTINGS: &[&str] = &[
    "apollon-market/category_index_0b.html",
    "dream-market/main_page_0.html",
    "white-house-market/page0.html",
];

/// One page of the corpus and what it is.
#[derive(Clone, Debug, PartialEq)]
pub struct TruthPage {
    /// `site/file.html`, relative to the corpus directory.
    pub file: String,
    pub site: String,
    /// The type as SOURCES.md names it.
    pub source_type: String,
    pub page_type: PageType,
    /// The parsed `.expected.json`, when the page has one.
    pub expected: Option<serde_json::Value>,
}

/// Maps SOURCES.md's vocabulary onto ours; `None` for a name it does not use.
pub fn map_type(source: &str, shows_listings: bool) -> Option<PageType> {
    Some(match source {
        "listing" => PageType::Listing,
        "search_results" => PageType::SearchResults,
        "category_page" => PageType::ListingIndex,
        "home" if shows_listings => PageType::ListingIndex,
        "home" => PageType::Other,
        "vendor_profile" | "vendor_pgp" => PageType::Vendor,
        "feedback_page" => PageType::VendorFeedback,
        "user_profile" => PageType::UserProfile,
        "forum_index" => PageType::ForumIndex,
        "forum_board" => PageType::ForumBoard,
        "forum_thread" => PageType::ForumThread,
        "link_directory" => PageType::LinkDirectory,
        "login" => PageType::Login,
        "captcha" => PageType::Captcha,
        "ddos_protection" => PageType::DdosQueue,
        "redirect" => PageType::Redirect,
        "error" => PageType::Error,
        "info" => PageType::Info,
        _ => return None,
    })
}

/// Reads SOURCES.md and the expected files under `dir`.
pub fn load(dir: &Path) -> Result<Vec<TruthPage>, EvalError> {
    let sources = dir.join("SOURCES.md");
    let text =
        std::fs::read_to_string(&sources).map_err(|e| EvalError::Read(sources.clone(), e))?;
    let mut out = Vec::new();
    let mut site: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        if let Some(rest) = line.strip_prefix("### `") {
            site = rest.split('/').next().map(str::to_string);
            continue;
        }
        if line.starts_with("## ") {
            site = None;
        }
        let (Some(site), Some(row)) = (&site, line.strip_prefix("| `")) else {
            continue;
        };
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (Some(file), Some(kind), Some(exp)) = (cells.first(), cells.get(1), cells.get(2))
        else {
            continue;
        };
        let file = file.trim_end_matches('`');
        let rel = format!("{site}/{file}");
        let expected = if *exp == "yes" {
            let path = dir.join(site).join(expected_name(file));
            let raw =
                std::fs::read_to_string(&path).map_err(|e| EvalError::Read(path.clone(), e))?;
            Some(
                serde_json::from_str::<serde_json::Value>(&raw)
                    .map_err(|e| EvalError::Json(path, e))?,
            )
        } else {
            None
        };
        let shows_listings = match &expected {
            Some(v) => v["listings"].as_array().is_some_and(|l| !l.is_empty()),
            None => !HOMES_WITHOUT_LISTINGS.contains(&rel.as_str()),
        };
        let page_type = map_type(kind, shows_listings).ok_or_else(|| EvalError::Vocabulary {
            line: n + 1,
            name: kind.to_string(),
        })?;
        out.push(TruthPage {
            file: rel,
            site: site.clone(),
            source_type: kind.to_string(),
            page_type,
            expected,
        });
    }
    Ok(out)
}

/// `listing_0.html` → `listing_0.expected.json`.
fn expected_name(file: &str) -> String {
    let stem = file.strip_suffix(".html").unwrap_or(file);
    format!("{stem}.expected.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_maps() {
        assert_eq!(
            map_type("category_page", true),
            Some(PageType::ListingIndex)
        );
        assert_eq!(map_type("home", false), Some(PageType::Other));
        assert_eq!(
            map_type("ddos_protection", false),
            Some(PageType::DdosQueue)
        );
        assert_eq!(map_type("vendor_pgp", false), Some(PageType::Vendor));
        assert_eq!(map_type("landing", false), None);
        assert_eq!(expected_name("a_b.html"), "a_b.expected.json");
    }
}
