//! `centinela status`: what the daemon is doing, or, when none runs, what the store says
//! of each site (the same report either way; `--json` prints it whole).

use std::process::ExitCode;

use centinela_crawler::frontier::Frontier;
use centinela_index::outbox::Outbox;
use centinela_index::search::SearchIndex;
use chrono::{Local, TimeZone};

use crate::cli::{Global, StatusArgs};
use crate::config::{self, Config};
use crate::daemon::report::{self, AlertCounts, IndexInfo, StatusReport};
use crate::pipeline::DataDir;
use crate::runs::RunLog;
use centinela_index::time::Timestamp;

/// A status file older than this is not a running daemon's (it refreshes every 3 s).
const FRESH_SECS: i64 = 30;

pub fn run(global: &Global, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let cfg = match config::load(&global.config) {
        Ok(c) => Ok(c),
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            Err(ExitCode::from(2))
        }
    };
    let data = match &cfg {
        Ok(c) => DataDir::of(global, c),
        Err(_) => DataDir::new(
            global
                .data_dir
                .clone()
                .unwrap_or_else(|| config::data_dir_hint(&global.config)),
        ),
    };
    let file = report::status_file(&data.root);
    let from_file: Option<StatusReport> = std::fs::read(&file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let running = from_file.as_ref().is_some_and(daemon_alive);
    let cfg = match cfg {
        Ok(c) => c,
        Err(code) => {
            // The daemon goes on with the configuration it loaded; say what it does.
            if let Some(r) = from_file.filter(|_| running) {
                print_or_json(&r, args.json, true, from_file_seen(&file));
                eprintln!(
                    "centinela: the configuration has the problems above; the daemon runs on \
                     the one it loaded, and a reload (SIGHUP) would refuse this one"
                );
            }
            return Ok(code);
        }
    };
    let (report, note) = if running {
        (from_file.unwrap_or_default(), None)
    } else {
        match offline(&cfg, &data) {
            Ok(r) => (r, None),
            Err(e) => match from_file {
                // The store is held by someone else (a `centinela crawl`): the daemon's
                // last report is the best there is.
                Some(mut r) => {
                    r.daemon = None;
                    (r, Some(format!("{e:#}; showing the daemon's last report")))
                }
                None => return Err(e),
            },
        }
    };
    print_or_json(&report, args.json, running, from_file_seen(&file));
    if let Some(n) = note {
        eprintln!("centinela: {n}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether the report's daemon still runs: its process exists and it wrote lately.
fn daemon_alive(r: &StatusReport) -> bool {
    let Some(d) = &r.daemon else {
        return false;
    };
    d.phase != "stopped"
        && std::path::Path::new(&format!("/proc/{}", d.pid)).exists()
        && Timestamp::now().0 - r.generated_at <= FRESH_SECS
}

fn from_file_seen(file: &std::path::Path) -> Option<i64> {
    let modified = std::fs::metadata(file).ok()?.modified().ok()?;
    Some(
        modified
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs() as i64,
    )
}

/// The report from the store, for when no daemon runs.
fn offline(cfg: &Config, data: &DataDir) -> anyhow::Result<StatusReport> {
    if !data.db().exists() {
        let now = Local::now();
        let mut r = report_header(cfg, &now);
        r.sites = cfg
            .sites
            .iter()
            .map(|s| report::site_line(s, None, None, None, &now))
            .collect();
        return Ok(r);
    }
    let db = crate::pipeline::open_db(data)?;
    report_from_store(cfg, &db, data)
}

/// A report with no daemon behind it: when it was made, and the configured transport.
fn report_header(cfg: &Config, now: &chrono::DateTime<Local>) -> StatusReport {
    let mut r = StatusReport {
        generated_at: now.timestamp(),
        ..StatusReport::default()
    };
    r.tor.transport = cfg.main.transport.kind.label().to_string();
    r
}

/// The whole report from an open store (also the web UI's sites page, which holds the
/// store while it serves).
pub fn report_from_store(
    cfg: &Config,
    db: &sled::Db,
    data: &DataDir,
) -> anyhow::Result<StatusReport> {
    let now = Local::now();
    let mut r = report_header(cfg, &now);
    fill_from_store(&mut r, cfg, db, data, &now)?;
    Ok(r)
}

/// The per-site lines, alert counts and index size of a report, from an open store.
fn fill_from_store(
    r: &mut StatusReport,
    cfg: &Config,
    db: &sled::Db,
    data: &DataDir,
    now: &chrono::DateTime<Local>,
) -> anyhow::Result<()> {
    let frontier = Frontier::open(db)?;
    let runs = RunLog::open(db)?;
    r.sites = cfg
        .sites
        .iter()
        .map(|s| {
            let last = runs.get(s.name()).ok().flatten();
            report::site_line(s, Some(&frontier), last, None, now)
        })
        .collect();
    let c = Outbox::open(db)?.counts()?;
    r.alerts = AlertCounts {
        alerts: c.alerts,
        pending: c.queued,
        sent: c.sent,
        failed: c.failed,
    };
    let documents = SearchIndex::open(&data.index())
        .map(|i| i.num_docs())
        .unwrap_or(0);
    r.index = IndexInfo {
        documents,
        bytes: report::dir_size(&data.index()),
    };
    Ok(())
}

fn print_or_json(r: &StatusReport, json: bool, running: bool, file_seen: Option<i64>) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(r).unwrap_or_else(|_| "{}".into())
        );
    } else {
        print_report(r, running, file_seen);
    }
}

fn when(t: i64) -> String {
    match Local.timestamp_opt(t, 0).single() {
        Some(d) => d.format("%Y-%m-%d %H:%M").to_string(),
        None => "?".into(),
    }
}

fn print_report(r: &StatusReport, running: bool, file_seen: Option<i64>) {
    match (&r.daemon, running) {
        (Some(d), true) => println!(
            "daemon: {} since {} (pid {}); health and metrics at http://{}/healthz",
            d.phase,
            when(d.started_at),
            d.pid,
            d.listen
        ),
        _ => match file_seen {
            Some(t) => println!("daemon: not running (last seen {})", when(t)),
            None => println!("daemon: not running"),
        },
    }
    if let Some(e) = r.daemon.as_ref().and_then(|d| d.last_reload_error.as_ref()) {
        println!("  the last configuration reload was refused:");
        for line in e.lines() {
            println!("    {line}");
        }
    }
    if running {
        let mut tor = format!(
            "transport: {} {}",
            r.tor.transport,
            if r.tor.ready { "up" } else { "NOT UP" }
        );
        if r.tor.bootstrap_failures > 0 {
            tor.push_str(&format!(
                "; {} bootstrap failure(s){}",
                r.tor.bootstrap_failures,
                r.tor
                    .last_bootstrap_error
                    .as_ref()
                    .map(|e| format!(", last: {e}"))
                    .unwrap_or_default()
            ));
        }
        println!("{tor}");
    }
    println!();
    println!(
        "{:<18} {:<26} {:<12} {:<38} {:<16} {:>6} {:>6}",
        "site", "schedule", "state", "last run", "next run", "queued", "errors"
    );
    for s in &r.sites {
        let last = match &s.last_run {
            Some(l) => format!("{} {}, {} pages", when(l.ended), l.end, l.pages),
            None => "never".into(),
        };
        let next = match s.next_run {
            Some(t) if t <= r.generated_at => "now".into(),
            Some(t) => when(t),
            None => "-".into(),
        };
        let errors = s.last_run.as_ref().map_or(0, |l| l.errors);
        println!(
            "{:<18} {:<26} {:<12} {:<38} {:<16} {:>6} {:>6}",
            s.site, s.schedule, s.state, last, next, s.queued, errors
        );
        if let Some(h) = &s.needs_human {
            println!(
                "{:<18} NEEDS A PERSON since {}: {} at {}",
                "",
                when(h.since),
                h.page_type,
                h.url
            );
        } else if let Some(d) = s.last_run.as_ref().and_then(|l| l.detail.as_ref()) {
            println!("{:<18} last run: {d}", "");
        }
    }
    println!();
    println!(
        "alerts: {} mail(s) waiting, {} sent, {} refused for good{}",
        r.alerts.pending,
        r.alerts.sent,
        r.alerts.failed,
        r.mail
            .as_ref()
            .filter(|m| !m.reachable)
            .map(|m| format!(
                "; mail cannot go out: {}",
                m.error.as_deref().unwrap_or("unknown")
            ))
            .unwrap_or_default()
    );
    println!(
        "index: {} documents, {:.1} MB",
        r.index.documents,
        r.index.bytes as f64 / 1_048_576.0
    );
}
