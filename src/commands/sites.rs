//! `centinela sites`: each configured site's crawl state — pass, pages, what is queued,
//! whether it waits for a person — and `centinela sites resume NAME` once a person has
//! dealt with the login wall, captcha or queue that stopped it.

use std::process::ExitCode;

use centinela_crawler::frontier::{Frontier, SiteStatus};
use centinela_index::store::Store;
use centinela_index::time::Timestamp;
use serde_json::json;

use crate::cli::{Global, SitesArgs, SitesCommand};
use crate::config;
use crate::pipeline::DataDir;

pub fn run(global: &Global, args: &SitesArgs) -> anyhow::Result<ExitCode> {
    let cfg = match config::load_or_report(&global.config) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let data = DataDir::of(global, &cfg);
    let db = match centinela_index::store::open_db(&data.db()) {
        Ok(db) => db,
        // The daemon holds the store: it has its own way to be told.
        Err(_) if data.db().exists() => anyhow::bail!(
            "the store is in use by another centinela process. If it is the daemon: \
             `centinela status` shows each site's state, and after fresh cookies a reload \
             (`systemctl reload centinela`, or SIGHUP) crawls a waiting site again"
        ),
        Err(e) => return Err(e.into()),
    };
    let frontier = Frontier::open(&db)?;
    match &args.command {
        Some(SitesCommand::Resume { site }) => {
            if !cfg.sites.iter().any(|s| s.name() == site) {
                eprintln!(
                    "centinela: no site named {site:?} in {}",
                    cfg.path.display()
                );
                return Ok(ExitCode::from(2));
            }
            if frontier.resume(site)? {
                db.flush()?;
                println!("{site}: resumed; the next crawl continues where it stopped");
            } else {
                println!("{site}: was not waiting for a person");
            }
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let store = Store::open(&db)?;
            let mut rows = Vec::new();
            for site in &cfg.sites {
                let name = site.name();
                let state = frontier.site(name)?;
                let (listings, vendors, posts) = store.counts(name);
                let queued = frontier.queued(name);
                let (status, detail) = match &state {
                    None => ("never crawled".to_string(), None),
                    Some(s) => match &s.status {
                        SiteStatus::NeedsHuman { url, page_type, at } => (
                            "needs_human".to_string(),
                            Some(
                                json!({"url": url, "page_type": page_type, "at": Timestamp(*at).rfc3339()}),
                            ),
                        ),
                        SiteStatus::Active if s.finished.is_none() => {
                            ("interrupted".to_string(), None)
                        }
                        SiteStatus::Active if !s.complete => ("budget reached".to_string(), None),
                        SiteStatus::Active => ("idle".to_string(), None),
                    },
                };
                let status = if site.def.enabled {
                    status
                } else {
                    format!("disabled ({status})")
                };
                rows.push(json!({
                    "site": name,
                    "status": status,
                    "needs_human": detail,
                    "pass": state.as_ref().map(|s| s.pass),
                    "pass_started": state.as_ref().map(|s| Timestamp(s.started).rfc3339()),
                    "pass_finished": state.as_ref().and_then(|s| s.finished).map(|t| Timestamp(t).rfc3339()),
                    "pages_this_pass": state.as_ref().map_or(0, |s| s.fetched),
                    "queued": queued,
                    "listings": listings,
                    "vendors": vendors,
                    "posts": posts,
                }));
            }
            if args.json {
                for r in &rows {
                    println!("{r}");
                }
            } else {
                println!(
                    "{:<18} {:<16} {:>4} {:>6} {:>6} {:>8} {:>7} {:>6}  last pass",
                    "site", "status", "pass", "pages", "queued", "listings", "vendors", "posts"
                );
                for r in &rows {
                    let s = |k: &str| r[k].as_str().unwrap_or("-").to_string();
                    let n = |k: &str| r[k].as_u64().map_or("-".to_string(), |v| v.to_string());
                    println!(
                        "{:<18} {:<16} {:>4} {:>6} {:>6} {:>8} {:>7} {:>6}  {}",
                        s("site"),
                        s("status"),
                        n("pass"),
                        n("pages_this_pass"),
                        n("queued"),
                        n("listings"),
                        n("vendors"),
                        n("posts"),
                        r["pass_finished"]
                            .as_str()
                            .or(r["pass_started"].as_str())
                            .unwrap_or("-")
                    );
                    if let Some(d) = r["needs_human"].as_object() {
                        println!(
                            "{:<18} {} at {} ({}): log in with Tor Browser, export cookies to the site's cookies_file, then `centinela sites resume {}`",
                            "",
                            d["page_type"].as_str().unwrap_or("gate"),
                            d["url"].as_str().unwrap_or("?"),
                            d["at"].as_str().unwrap_or("?"),
                            s("site"),
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
