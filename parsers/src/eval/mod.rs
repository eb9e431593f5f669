//! How well the classifier and the generic parser do on real pages of sites they were
//! never configured for: the `real-pages` corpus of the shared test data (see its
//! SOURCES.md). The pages are read in place and never copied.
//!
//! Each page is parsed as fetched from `http://site.invalid/page`: the real addresses are
//! unknown, and the file names must not leak into the decision. [`run`] returns a
//! [`Report`]; its `Display` is what `eval` prints, and it serialises to JSON.
//! [`truth`] says how SOURCES.md's page types map onto ours and [`score`] what counts as
//! a right listing field.

mod report;
pub mod score;
pub mod truth;

pub use report::{Confusion, PageResult, Report, SiteTypes};

use crate::generic;
use crate::page::Page;
use crate::Extractor;
use std::path::{Path, PathBuf};

/// The address every corpus page is parsed under.
pub const EVAL_URL: &str = "http://site.invalid/page";

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, #[source] std::io::Error),
    #[error("{0}: invalid JSON: {1}")]
    Json(PathBuf, #[source] serde_json::Error),
    #[error("SOURCES.md line {line}: unknown page type {name:?}")]
    Vocabulary { line: usize, name: String },
}

/// The corpus directory: `$CENTINELA_TESTDATA/real-pages`, else `../shared/testdata/
/// real-pages` beside the checkout, else `/work/shared/testdata/real-pages`.
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CENTINELA_TESTDATA") {
        return PathBuf::from(d).join("real-pages");
    }
    let beside = PathBuf::from("../shared/testdata/real-pages");
    if beside.join("SOURCES.md").exists() {
        return beside;
    }
    PathBuf::from("/work/shared/testdata/real-pages")
}

/// Classifies and parses every page listed in `dir/SOURCES.md` and scores the result.
pub fn run(dir: &Path) -> Result<Report, EvalError> {
    let pages = truth::load(dir)?;
    let extractor = Extractor::with_default_lexicon();
    let mut report = Report::default();
    for t in &pages {
        let path = dir.join(&t.file);
        let bytes = std::fs::read(&path).map_err(|e| EvalError::Read(path.clone(), e))?;
        let page = Page::parse(EVAL_URL, &bytes);
        let (parsed, class) = generic::parse_classified(&page, &extractor);
        let mut result = PageResult {
            file: t.file.clone(),
            site: t.site.clone(),
            truth: t.page_type,
            got: class.page_type,
            reasons: class.reasons,
            listings: score::ListingScore::default(),
        };
        if let Some(exp) = &t.expected {
            result.listings = score::listings(exp, &parsed);
            report.count_entities(exp, &parsed);
        }
        report.push(result);
    }
    report.finish();
    Ok(report)
}
