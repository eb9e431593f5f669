//! Every sample page parses to exactly its reviewed golden file. On a failure, run
//! `golden --check samples` for the diff, review it against the page, and regenerate.

use centinela_parsers::templates::golden::{mismatches, render_all};
use std::path::PathBuf;

fn samples() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples"))
}

#[test]
fn every_sample_page_matches_its_golden_file() {
    let goldens = match render_all(&samples()) {
        Ok(g) => g,
        Err(e) => panic!("{e}"),
    };
    assert!(goldens.len() >= 50, "only {} sample pages", goldens.len());
    let differ: Vec<String> = mismatches(&goldens)
        .iter()
        .map(|g| g.expected.display().to_string())
        .collect();
    assert!(
        differ.is_empty(),
        "golden files differ (run `golden --check`):\n{}",
        differ.join("\n")
    );
}
