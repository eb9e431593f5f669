//! `centinela crawl [--site NAME]...`: one pass over the configured sites, with a
//! progress bar per site on a terminal and a summary table at the end.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use centinela_crawler::engine::{PassEnd, SiteProgress, SiteReport};
use serde_json::json;

use crate::cli::{CrawlArgs, Global};
use crate::config::{self, Config};
use crate::pipeline::{self, AlertSummary, DataDir, Kept, Pipeline};
use crate::runs::{end_code, RunLog, RunRecord};
use centinela_index::time::Timestamp;

pub fn run(global: &Global, args: &CrawlArgs) -> anyhow::Result<ExitCode> {
    let cfg = match config::load_or_report(&global.config) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let names = match select_sites(&cfg, &args.site) {
        Ok(n) => n,
        Err(msg) => {
            eprintln!("centinela: {msg}");
            return Ok(ExitCode::from(2));
        }
    };
    let data = DataDir::of(global, &cfg);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let bars = !args.json && std::io::stderr().is_terminal();
    let (outcome, alerts) = runtime.block_on(crawl(&cfg, &data, &names, args.resume, bars))?;
    if args.json {
        for s in &outcome {
            println!("{}", summary_json(s));
        }
    } else {
        print_table(&outcome);
    }
    report_alerts(alerts.as_ref());
    Ok(if outcome.iter().any(|s| s.failed.is_some()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The sites to crawl: those named, or every enabled one.
pub fn select_sites(cfg: &Config, wanted: &[String]) -> Result<Vec<String>, String> {
    if wanted.is_empty() {
        return Ok(cfg
            .sites
            .iter()
            .filter(|s| s.def.enabled)
            .map(|s| s.name().to_string())
            .collect());
    }
    let known: Vec<&str> = cfg.sites.iter().map(|s| s.name()).collect();
    for w in wanted {
        if !known.contains(&w.as_str()) {
            return Err(format!(
                "no site named {w:?} in {} (known: {})",
                cfg.path.display(),
                known.join(", ")
            ));
        }
    }
    Ok(wanted.to_vec())
}

/// One site's result: the crawl's report and what the store kept, or why it failed.
pub struct SiteSummary {
    pub site: String,
    pub report: Option<SiteReport>,
    pub kept: Kept,
    pub listings: usize,
    pub vendors: usize,
    pub posts: usize,
    pub failed: Option<String>,
}

/// Says on stderr what the watchlists raised and where the mails went (stdout stays the
/// crawl summary that other tools read).
pub fn report_alerts(a: Option<&AlertSummary>) {
    if let Some(a) = a {
        eprintln!("alerts: {}", a.line());
    }
}

/// Crawls `names` concurrently (each site at its own pace) and returns their summaries,
/// and what the watchlists raised. With `resume_only`, sites whose last pass ended are
/// left out.
pub async fn crawl(
    cfg: &Config,
    data: &DataDir,
    names: &[String],
    resume_only: bool,
    bars: bool,
) -> anyhow::Result<(Vec<SiteSummary>, Option<AlertSummary>)> {
    let transport_bar = bars && cfg.main.transport.kind.is_tor();
    let pipeline = Pipeline::open(cfg, data, move |p| {
        if transport_bar {
            eprint!("\rtor: {:<72}", p.message);
        }
    })
    .await?;
    if transport_bar {
        eprintln!();
    }
    let multi = indicatif::MultiProgress::with_draw_target(if bars {
        indicatif::ProgressDrawTarget::stderr()
    } else {
        indicatif::ProgressDrawTarget::hidden()
    });
    let style =
        indicatif::ProgressStyle::with_template("{prefix:>18} [{bar:30}] {pos}/{len} pages  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("#>-");
    let mut tasks = Vec::new();
    for name in names {
        if resume_only {
            let state = pipeline.engine.frontier().site(name)?;
            if state.is_some_and(|s| s.finished.is_some()) {
                continue;
            }
        }
        let Some(site) = cfg.sites.iter().find(|s| s.name() == name) else {
            continue;
        };
        let plan = Arc::new(pipeline::site_plan(site)?);
        let progress = Arc::new(SiteProgress::default());
        let bar = multi.add(indicatif::ProgressBar::new(0));
        bar.set_style(style.clone());
        bar.set_prefix(name.clone());
        let engine = pipeline.engine.clone();
        let p = progress.clone();
        let crawl = tokio::spawn(async move { engine.crawl_site(plan, p).await });
        let draw = tokio::spawn(draw_bar(bar, progress));
        tasks.push((name.clone(), crawl, draw));
    }
    // Ctrl-C or SIGTERM: stop cleanly (what was fetched is kept; the pass stays open for
    // `crawl --resume`). A second one quits at once, which is safe too (see ARCHITECTURE.md).
    let engine = pipeline.engine.clone();
    let stopper = tokio::spawn(async move {
        stop_requested().await;
        eprintln!(
            "\ncentinela: stopping: keeping what was fetched; `centinela crawl --resume` \
             continues (Ctrl-C again quits at once)"
        );
        engine.stop();
        drop(engine);
        stop_requested().await;
        std::process::exit(130);
    });
    let runs = RunLog::open(pipeline.engine.frontier().db())?;
    let mut out = Vec::new();
    for (site, crawl, draw) in tasks {
        let result = crawl.await;
        draw.abort();
        let now = Timestamp::now().0;
        let run = match &result {
            Ok(Ok(r)) => RunRecord::of(r, now),
            Ok(Err(e)) => RunRecord::failed(now, now, &e.to_string()),
            Err(e) => RunRecord::failed(now, now, &e.to_string()),
        };
        if let Err(e) = runs.record(&site, run) {
            tracing::warn!("could not record how the crawl of {site} went: {e:#}");
        }
        let (report, failed) = match result {
            Ok(Ok(r)) => (Some(r), None),
            Ok(Err(e)) => (None, Some(e.to_string())),
            Err(e) => (None, Some(format!("the crawl task stopped: {e}"))),
        };
        out.push(SiteSummary {
            site,
            report,
            kept: Kept::default(),
            listings: 0,
            vendors: 0,
            posts: 0,
            failed,
        });
    }
    // The stopper holds the engine, which the keeper waits for: it goes first.
    stopper.abort();
    let _ = stopper.await;
    let store = pipeline.store.clone();
    let kept = pipeline.kept.clone();
    let alerts = pipeline.close().await?;
    let kept = kept.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for s in &mut out {
        s.kept = kept.get(&s.site).copied().unwrap_or_default();
        (s.listings, s.vendors, s.posts) = store.counts(&s.site);
    }
    Ok((out, alerts))
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
pub async fn stop_requested() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn draw_bar(bar: indicatif::ProgressBar, progress: Arc<SiteProgress>) {
    loop {
        let done = progress.done();
        bar.set_length(done + progress.queued());
        bar.set_position(done);
        if progress.errors() > 0 {
            bar.set_message(format!("{} errors", progress.errors()));
        }
        if progress.is_finished() {
            bar.finish();
            return;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

fn end_label(end: &PassEnd) -> String {
    match end {
        PassEnd::Complete => "complete".into(),
        PassEnd::Budget => "page budget reached".into(),
        PassEnd::NeedsHuman { url, page_type } => format!("NEEDS HUMAN: {page_type} at {url}"),
        PassEnd::StillWaiting { url, page_type } => {
            format!("waiting for a person ({page_type} at {url}); `centinela sites resume`")
        }
        PassEnd::Unreachable { last_error } => {
            format!("unreachable ({last_error}); resumes next run")
        }
        PassEnd::Interrupted => "interrupted; `centinela crawl --resume` continues".into(),
    }
}

pub fn summary_json(s: &SiteSummary) -> serde_json::Value {
    let r = s.report.as_ref();
    let needs_human = r.and_then(|r| match &r.end {
        PassEnd::NeedsHuman { url, page_type } | PassEnd::StillWaiting { url, page_type } => {
            Some(json!({"url": url, "page_type": page_type}))
        }
        _ => None,
    });
    json!({
        "site": s.site,
        "pass": r.map(|r| r.pass),
        "resumed": r.map(|r| r.resumed),
        "pages": r.map_or(0, |r| r.pages),
        "new": r.map_or(0, |r| r.new),
        "changed": r.map_or(0, |r| r.changed),
        "unchanged": r.map_or(0, |r| r.unchanged),
        "gone": r.map_or(0, |r| r.gone),
        "listings": s.listings,
        "vendors": s.vendors,
        "posts": s.posts,
        "listings_new": s.kept.applied.listings_new,
        "listings_changed": s.kept.applied.listings_changed,
        "listings_disappeared": s.kept.disappeared,
        "vendors_new": s.kept.applied.vendors_new,
        "posts_new": s.kept.applied.posts_new,
        "errors": r.map(|r| r.errors.clone()).unwrap_or_default(),
        "skipped": r.map(|r| json!({
            "out_of_scope": r.skipped.out_of_scope,
            "traps": r.skipped.traps,
            "session_ending": r.skipped.session_ending,
        })),
        "end": r.map_or("failed", |r| end_code(&r.end)),
        "needs_human": needs_human,
        "failed": s.failed,
        "elapsed_secs": r.map(|r| (r.elapsed.as_secs_f64() * 100.0).round() / 100.0),
    })
}

pub fn print_table(sites: &[SiteSummary]) {
    println!(
        "{:<18} {:>5} {:>6} {:>5} {:>7} {:>9} {:>8} {:>7} {:>6} {:>6}  state",
        "site",
        "pass",
        "pages",
        "new",
        "changed",
        "unchanged",
        "listings",
        "vendors",
        "posts",
        "errors"
    );
    for s in sites {
        match &s.report {
            Some(r) => {
                let errors: u32 = r.errors.values().sum();
                println!(
                    "{:<18} {:>5} {:>6} {:>5} {:>7} {:>9} {:>8} {:>7} {:>6} {:>6}  {}",
                    s.site,
                    r.pass,
                    r.pages,
                    r.new,
                    r.changed,
                    r.unchanged,
                    s.listings,
                    s.vendors,
                    s.posts,
                    errors,
                    end_label(&r.end)
                );
                if !r.errors.is_empty() {
                    let detail: Vec<String> =
                        r.errors.iter().map(|(k, n)| format!("{k}: {n}")).collect();
                    println!("{:<18} errors by kind: {}", "", detail.join(", "));
                }
                let k = &s.kept;
                if k.applied.listings_new
                    + k.applied.listings_changed
                    + k.disappeared
                    + k.applied.vendors_new
                    > 0
                {
                    println!(
                        "{:<18} listings: {} new, {} changed, {} gone; vendors: {} new",
                        "",
                        k.applied.listings_new,
                        k.applied.listings_changed,
                        k.disappeared,
                        k.applied.vendors_new
                    );
                }
            }
            None => println!(
                "{:<18} FAILED: {}",
                s.site,
                s.failed.as_deref().unwrap_or("unknown error")
            ),
        }
    }
}
