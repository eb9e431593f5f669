//! Throughput of the whole page pipeline (parse + classify + generic parse + extractors)
//! against html5ever parsing alone (`scraper::Html::parse_document`), over the
//! real-pages corpus read in place.
//!
//! `cargo bench -p centinela-parsers --bench parse [-- DIR ROUNDS]`

use centinela_parsers::{generic, page::Page, Extractor};
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let dir = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(centinela_parsers::eval::default_dir);
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    let truth = match centinela_parsers::eval::truth::load(&dir) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(1);
        }
    };
    let corpus: Vec<Vec<u8>> = truth
        .iter()
        .filter_map(|t| std::fs::read(dir.join(&t.file)).ok())
        .collect();
    let texts: Vec<String> = corpus
        .iter()
        .map(|b| {
            centinela_parsers::text::html::decode_bytes(b)
                .0
                .into_owned()
        })
        .collect();
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    let extractor = Extractor::with_default_lexicon();

    let mut parse_only = Duration::MAX;
    let mut pipeline = Duration::MAX;
    // Where the pipeline's time goes, stage by stage, for whoever optimises it next.
    let mut page_only = Duration::MAX;
    let mut classify_only = Duration::MAX;
    let mut extract_only = Duration::MAX;
    let mut found = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        for text in &texts {
            let html = scraper::Html::parse_document(text);
            std::hint::black_box(&html);
        }
        parse_only = parse_only.min(t.elapsed());

        let t = Instant::now();
        found = 0;
        for b in &corpus {
            let page = Page::parse(centinela_parsers::eval::EVAL_URL, b);
            let parsed = generic::parse(&page, &extractor);
            found += parsed.listings.len() + parsed.entities.len();
            std::hint::black_box(&parsed);
        }
        pipeline = pipeline.min(t.elapsed());

        let t = Instant::now();
        let pages: Vec<Page> = corpus
            .iter()
            .map(|b| Page::parse(centinela_parsers::eval::EVAL_URL, b))
            .collect();
        page_only = page_only.min(t.elapsed());
        let t = Instant::now();
        for page in &pages {
            std::hint::black_box(centinela_parsers::classify::classify(page));
        }
        classify_only = classify_only.min(t.elapsed());
        let t = Instant::now();
        for b in &corpus {
            std::hint::black_box(extractor.extract_html(b));
        }
        extract_only = extract_only.min(t.elapsed());
    }
    let report = |name: &str, d: Duration| {
        let s = d.as_secs_f64();
        println!(
            "{name:<42} {:>8.1} pages/s {:>7.1} MB/s  ({:.3} s for {} pages)",
            corpus.len() as f64 / s,
            bytes as f64 / s / 1e6,
            s,
            corpus.len()
        );
    };
    println!(
        "corpus: {} pages, {:.1} MB, best of {rounds} rounds",
        corpus.len(),
        bytes as f64 / 1e6
    );
    report("html5ever parse alone (Html::parse_document)", parse_only);
    report("classify + generic parse + extract", pipeline);
    report("  of which: Page::parse (decode + DOM)", page_only);
    report("  of which: classify", classify_only);
    report("  of which: extract_html (all extractors)", extract_only);
    println!(
        "ratio: {:.2}x the time of parsing alone ({found} records and entities)",
        pipeline.as_secs_f64() / parse_only.as_secs_f64()
    );
}
