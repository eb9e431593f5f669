//! What the daemon is doing, as one serialisable report: served at `/status`, written to
//! `<data dir>/daemon-status.json` for `centinela status`, and the source of `/healthz`
//! and `/metrics`. `centinela status` builds the same report from the store when no
//! daemon runs, so an operator reads one shape either way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use centinela_crawler::frontier::{Frontier, SiteState, SiteStatus};
use centinela_crawler::schedule::LastPass;
use chrono::{DateTime, TimeZone};
use serde::{Deserialize, Serialize};

use crate::config::Site;
use crate::runs::RunRecord;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StatusReport {
    /// Unix seconds.
    pub generated_at: i64,
    /// The running daemon; `None` in a report built by `centinela status` from the store.
    pub daemon: Option<DaemonInfo>,
    pub tor: TorInfo,
    pub sites: Vec<SiteReportLine>,
    pub alerts: AlertCounts,
    pub index: IndexInfo,
    pub mail: Option<MailInfo>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DaemonInfo {
    pub pid: u32,
    pub started_at: i64,
    /// Where `/healthz` and `/metrics` answer.
    pub listen: String,
    pub config: PathBuf,
    /// `starting`, `bootstrapping`, `running` or `stopping`.
    pub phase: String,
    pub reloads: u64,
    pub reload_failures: u64,
    /// The problems of the last configuration that was refused (the old one was kept).
    pub last_reload_error: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TorInfo {
    /// `arti`, `socks5` or `direct`.
    pub transport: String,
    /// Whether the transport is up; for arti, whether Tor is ready for traffic.
    pub ready: bool,
    pub bootstrap_failures: u64,
    pub last_bootstrap_error: Option<String>,
    pub circuit_failures: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SiteReportLine {
    pub site: String,
    pub enabled: bool,
    pub schedule: String,
    /// `idle`, `crawling`, `due`, `needs_human`, `retrying` or `disabled`.
    pub state: String,
    /// A login wall, captcha or queue that a person must clear.
    pub needs_human: Option<NeedsHuman>,
    pub pass: u32,
    /// Pages fetched in the pass under way (or left open).
    pub pass_pages: u32,
    /// URLs waiting in the site's queue.
    pub queued: u64,
    pub last_run: Option<RunRecord>,
    /// Unix seconds; `None` while crawling or waiting for a person.
    pub next_run: Option<i64>,
    /// Since the daemon started.
    pub fetched: u64,
    pub bytes: u64,
    pub errors: BTreeMap<String, u64>,
    /// Passes this daemon ran, by how they ended.
    pub passes: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NeedsHuman {
    pub url: String,
    pub page_type: String,
    pub since: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AlertCounts {
    pub alerts: u64,
    /// Mails waiting to go (including those waiting to be retried).
    pub pending: u64,
    pub sent: u64,
    pub failed: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IndexInfo {
    pub documents: u64,
    pub bytes: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MailInfo {
    /// The SMTP relay or mailbox folder.
    pub destination: String,
    pub reachable: bool,
    pub error: Option<String>,
    pub checked_at: i64,
}

/// When a site should next be crawled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    At(i64),
    /// A person must clear a gate first.
    WaitingForPerson,
    Disabled,
}

/// The scheduler's rule, also used to report the next run: a site with a pass left open
/// (a restart after a crash or a stop, or a site that was down) resumes at once, or at
/// `retry_at` when this process saw it fail; a finished site runs on its schedule.
pub fn due<Tz: TimeZone>(
    site: &Site,
    state: Option<&SiteState>,
    retry_at: Option<i64>,
    now: &DateTime<Tz>,
) -> Due {
    if !site.def.enabled {
        return Due::Disabled;
    }
    let name = site.name();
    match state {
        None => Due::At(site.schedule.next_run(name, None, now)),
        Some(s) if s.status != SiteStatus::Active => Due::WaitingForPerson,
        Some(s) => match s.finished {
            None => Due::At(retry_at.unwrap_or(now.timestamp())),
            Some(finished) => Due::At(site.schedule.next_run(
                name,
                Some(LastPass {
                    pass: s.pass,
                    finished,
                }),
                now,
            )),
        },
    }
}

/// One site's line from what the store knows (the daemon adds what it knows live);
/// without a frontier (no store yet), a site never crawled.
pub fn site_line<Tz: TimeZone>(
    site: &Site,
    frontier: Option<&Frontier>,
    last_run: Option<RunRecord>,
    retry_at: Option<i64>,
    now: &DateTime<Tz>,
) -> SiteReportLine {
    let name = site.name();
    let state = frontier.and_then(|f| f.site(name).ok().flatten());
    let due = due(site, state.as_ref(), retry_at, now);
    let needs_human = state.as_ref().and_then(|s| match &s.status {
        SiteStatus::NeedsHuman { url, page_type, at } => Some(NeedsHuman {
            url: url.clone(),
            page_type: page_type.clone(),
            since: *at,
        }),
        SiteStatus::Active => None,
    });
    let (state_label, next_run) = match due {
        Due::Disabled => ("disabled", None),
        Due::WaitingForPerson => ("needs_human", None),
        Due::At(t) if retry_at.is_some() => ("retrying", Some(t)),
        Due::At(t) if t <= now.timestamp() => ("due", Some(t)),
        Due::At(t) => ("idle", Some(t)),
    };
    SiteReportLine {
        site: name.to_string(),
        enabled: site.def.enabled,
        schedule: site.schedule.describe(),
        state: state_label.to_string(),
        needs_human,
        pass: state.as_ref().map_or(0, |s| s.pass),
        pass_pages: state
            .as_ref()
            .filter(|s| s.finished.is_none())
            .map_or(0, |s| s.fetched),
        queued: frontier.map_or(0, |f| f.queued(name) as u64),
        last_run,
        next_run,
        ..SiteReportLine::default()
    }
}

/// Bytes under `dir` (the index's files).
pub fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Where the daemon writes its report.
pub fn status_file(data_root: &Path) -> PathBuf {
    data_root.join("daemon-status.json")
}

/// Writes `report` so that a reader never sees half of it (temporary file, then rename).
pub fn write_status_file(path: &Path, report: &StatusReport) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(report).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
