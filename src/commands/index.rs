//! `centinela index rebuild`: the search index is a view of the store; this recreates it.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use centinela_index::search::{CommitPolicy, IndexOptions, Indexer, Opened};
use centinela_index::store::Store;

use crate::cli::Global;
use crate::config;
use crate::pipeline::DataDir;

pub fn rebuild(global: &Global) -> anyhow::Result<ExitCode> {
    let cfg = match config::load_or_report(&global.config) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let data = DataDir::of(global, &cfg);
    let db = crate::pipeline::open_db(&data)?;
    let store = Store::open(&db)?;
    let started = Instant::now();
    // Bulk loading: every core and a large buffer (the writer budget is a ceiling).
    let (mut indexer, opened) = Indexer::open(
        store,
        &data.index(),
        IndexOptions::default(),
        CommitPolicy::default(),
    )
    .with_context(|| format!("cannot open the search index in {}", data.index().display()))?;
    let records = match opened {
        Opened::Rebuilt { records, .. } => records,
        Opened::Ready { .. } => indexer.rebuild()?,
    };
    indexer.close()?;
    db.flush()?;
    println!(
        "search index rebuilt: {records} records in {:.1} s ({})",
        started.elapsed().as_secs_f64(),
        data.index().display()
    );
    Ok(ExitCode::SUCCESS)
}
