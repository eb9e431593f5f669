//! `centinela demo`: serve the sample sites on loopback, crawl them into a fresh folder
//! with the direct transport, and show what was found and what to try next. Needs nothing
//! but this binary and the `samples/` folder.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use centinela_index::search::SearchRequest;
use centinela_index::store::{IdentifierKind, RecordRef, Store};

use crate::cli::DemoArgs;
use crate::commands::crawl;
use crate::commands::text::{clean, truncate};
use crate::config;
use crate::demo::manifest;
use crate::demo::server::SampleServer;
use crate::pipeline::DataDir;

/// Marks a folder as the demo's own, so a rerun may wipe it and nothing else.
const MARKER: &str = ".centinela-demo";

pub fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let samples = manifest::locate(args.samples.as_deref())?;
    let sites = manifest::load(&samples)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let server = SampleServer::start(
            &samples,
            &sites,
            args.port.unwrap_or(0),
            args.access_log.as_deref(),
        )
        .await?;
        if args.serve {
            std::fs::create_dir_all(&args.dir)?;
            let config =
                manifest::write_config(&args.dir, &samples, &sites, server.port(), args.delay_ms)?;
            // Whoever started us may stop reading; serving goes on regardless.
            let mut out = std::io::stdout();
            let _ = writeln!(
                out,
                "serving {} sample sites on 127.0.0.1:{}",
                sites.len(),
                server.port()
            );
            let _ = writeln!(
                out,
                "crawl them with: centinela --config {} crawl",
                config.display()
            );
            let _ = writeln!(out, "config={}", config.display());
            let _ = out.flush();
            server.run_forever().await;
            return Ok(ExitCode::SUCCESS);
        }
        if let Err(msg) = fresh_dir(&args.dir) {
            eprintln!("centinela: {msg}");
            return Ok(ExitCode::from(2));
        }
        let config_path = manifest::write_config(&args.dir, &samples, &sites, server.port(), 0)?;
        let cfg = match config::load(&config_path) {
            Ok(c) => c,
            Err(problems) => {
                for p in &problems {
                    eprintln!("{p}");
                }
                anyhow::bail!("the demo's configuration did not pass its checks");
            }
        };
        println!(
            "Centinela demo: {} sample sites served on 127.0.0.1:{} under their onion names",
            sites.len(),
            server.port()
        );
        println!("(direct transport: loopback only — nothing leaves this machine)\n");
        let names: Vec<String> = cfg.sites.iter().map(|s| s.name().to_string()).collect();
        let data = DataDir::new(cfg.data_dir.clone());
        let (summaries, alerts) =
            crawl::crawl(&cfg, &data, &names, false, std::io::stderr().is_terminal()).await?;
        crawl::print_table(&summaries);
        drop(server);
        let db = reopen(&data).await?;
        let store = Store::open(&db)?;
        findings(&store, &data)?;
        searched(&data);
        mailed(alerts.as_ref(), &cfg.watchlists_dir);
        next_steps(&config_path, &samples);
        Ok(if summaries.iter().any(|s| s.failed.is_some()) {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    })
}

/// Empties `dir` if it is a previous demo's folder; refuses any other non-empty folder.
fn fresh_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty && !dir.join(MARKER).exists() {
            return Err(format!(
                "{} exists and is not a demo folder; choose another with --dir",
                dir.display()
            ));
        }
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::write(
        dir.join(MARKER),
        "made by `centinela demo`; safe to delete\n",
    )
    .map_err(|e| format!("cannot write in {}: {e}", dir.display()))
}

fn findings(store: &Store, data: &DataDir) -> anyhow::Result<()> {
    let mut peru: Vec<_> = store
        .listings(None)?
        .into_iter()
        .filter(|s| s.listing.peru.targets_peru)
        .map(|s| (s.site, s.listing))
        .collect();
    peru.sort_by(|(_, a), (_, b)| {
        b.peru
            .score
            .total_cmp(&a.peru.score)
            .then(a.title.cmp(&b.title))
    });
    println!("\nListings that target Peru: {}", peru.len());
    for (site, l) in peru.iter().take(6) {
        let price = l
            .price
            .as_ref()
            .map(|p| p.shown.clone())
            .unwrap_or_default();
        println!(
            "  {:.2}  {:<40} {:<14} {:<16} [{site}]",
            l.peru.score,
            truncate(&l.title, 40),
            truncate(&price, 14),
            l.vendor.as_deref().unwrap_or("-"),
        );
    }
    let shared = store.shared_identifiers()?;
    println!(
        "\nThe same identifier on more than one site: {}",
        shared.len()
    );
    for (kind, value, records) in shared.iter().take(8) {
        let who: Vec<String> = records.iter().map(describe).collect();
        let what = match kind {
            IdentifierKind::Address => "address",
            IdentifierKind::Contact => "contact",
            IdentifierKind::PgpFingerprint => "PGP key",
        };
        println!("  {what} {value}\n      {}", who.join("\n      "));
    }
    let (files, bytes) = warc_size(&data.warc());
    println!(
        "\nEvidence: {files} WARC file(s), {:.1} KiB, in {}",
        bytes as f64 / 1024.0,
        data.warc().display()
    );
    Ok(())
}

fn describe(r: &RecordRef) -> String {
    match r {
        RecordRef::Vendor { site, handle } => format!("vendor {handle} on {site}"),
        RecordRef::Listing { site, url } => format!("listing {url} on {site}"),
        RecordRef::Post { site, url, .. } => format!("post in {url} on {site}"),
    }
}

/// One investigator's question, asked of the index the crawl just built.
fn searched(data: &DataDir) {
    const QUESTION: &str = "cocaina envio lima";
    let index = match crate::commands::search::open_for_reading(data) {
        Ok(i) => i,
        Err(msg) => {
            println!("\nSearch index: {msg}");
            return;
        }
    };
    let req = SearchRequest {
        limit: 3,
        snippets: false,
        ..SearchRequest::new(QUESTION)
    };
    match index.search(&req) {
        Ok(r) => {
            println!(
                "\nSearch index: {} records; `search '{QUESTION}'` finds {}:",
                index.num_docs(),
                r.total
            );
            for hit in &r.hits {
                let title = hit.record["title"]
                    .as_str()
                    .or(hit.record["thread_title"].as_str())
                    .or(hit.record["handle"].as_str())
                    .unwrap_or("");
                println!(
                    "  {:<8} {:<44} [{}]",
                    hit.record_type.as_str(),
                    truncate(&clean(title), 44),
                    clean(hit.record["site"].as_str().unwrap_or(""))
                );
            }
        }
        Err(e) => println!("\nSearch index: {e}"),
    }
}

/// What the example watchlist raised, and where its mails are.
fn mailed(alerts: Option<&crate::pipeline::AlertSummary>, watchlists: &Path) {
    let Some(alerts) = alerts else {
        println!(
            "\nNo watchlist rules in {}: no alerts.",
            watchlists.display()
        );
        return;
    };
    println!(
        "\nWatchlist alerts (the example rules in {}): {}",
        watchlists.display(),
        alerts.line()
    );
    for (subject, to) in alerts.raised.iter().take(8) {
        println!(
            "  {:<70} → {}",
            truncate(&clean(subject), 70),
            clean(&to.join(", "))
        );
    }
    if alerts.raised.len() > 8 {
        println!("  … and {} more", alerts.raised.len() - 8);
    }
}

fn warc_size(dir: &Path) -> (usize, u64) {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .fold((0, 0), |(n, b), m| (n + 1, b + m.len()))
        })
        .unwrap_or((0, 0))
}

fn next_steps(config: &Path, samples: &Path) {
    let c = config.display();
    println!("\nNext, try:");
    println!("  centinela --config {c} sites                 # each site's crawl state");
    println!("  centinela --config {c} search 'cocaina envio lima'   # accents and word endings do not matter");
    println!("  centinela --config {c} search 'envia_a:peru' --type listing --sort recent");
    println!("  centinela --config {c} vendor condor-blanco  # one vendor across markets, and who shares its PGP key");
    println!("  centinela --config {c} crawl                 # crawl again: unchanged pages are not re-parsed");
    println!(
        "  centinela parse {}    # what the parser reads in one saved page",
        samples
            .join("mercado-andino/producto/cocaina-lima.html")
            .display()
    );
    println!(
        "  centinela extract {}          # wallets, contacts and Peru signals in a page",
        samples.join("silk-lane/listing/1005.html").display()
    );
}

/// The store again, after the crawl closed it. The crawl's last handles (tasks of its
/// runtime winding down) may let go of sled's file lock a moment after `crawl` returned:
/// wait for them for a few seconds rather than fail the demo (seen once under load).
async fn reopen(data: &DataDir) -> anyhow::Result<centinela_index::store::Db> {
    let mut tries = 0;
    loop {
        match centinela_index::store::open_db(&data.db()) {
            Ok(db) => return Ok(db),
            Err(e) if tries < 50 => {
                tracing::debug!("store still held by the crawl's last tasks: {e}");
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}
