//! How each site's last crawl went, kept in the store's database (tree `crawl/runs`) so
//! that `centinela status` can tell an operator when a site was last crawled, how it
//! ended and when it last succeeded, whether the daemon or `centinela crawl` ran it.

use std::collections::BTreeMap;

use centinela_crawler::engine::{PassEnd, SiteReport};
use serde::{Deserialize, Serialize};

const TREE: &str = "crawl/runs";

/// One site's last run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub pass: u32,
    /// Unix seconds.
    pub started: i64,
    pub ended: i64,
    /// `complete`, `budget`, `needs_human`, `still_waiting`, `unreachable`,
    /// `interrupted` or `failed`.
    pub end: String,
    /// The gate's page type and URL, the last network error, or why the run failed.
    pub detail: Option<String>,
    pub pages: u32,
    pub new: u32,
    pub changed: u32,
    pub errors: u32,
    pub error_kinds: BTreeMap<String, u32>,
    /// When a run of this site last ended complete (or at its page budget).
    pub last_success: Option<i64>,
}

impl RunRecord {
    /// What `report` says, for a run that ended at `ended`.
    pub fn of(report: &SiteReport, ended: i64) -> RunRecord {
        let detail = match &report.end {
            PassEnd::NeedsHuman { url, page_type } | PassEnd::StillWaiting { url, page_type } => {
                Some(format!("{page_type} at {url}"))
            }
            PassEnd::Unreachable { last_error } => Some(last_error.clone()),
            _ => None,
        };
        RunRecord {
            pass: report.pass,
            started: ended - report.elapsed.as_secs() as i64,
            ended,
            end: end_code(&report.end).to_string(),
            detail,
            pages: report.pages,
            new: report.new,
            changed: report.changed,
            errors: report.errors.values().sum(),
            error_kinds: report.errors.clone(),
            last_success: None,
        }
    }

    /// A run that could not be carried out (`crawl_site` returned an error).
    pub fn failed(started: i64, ended: i64, why: &str) -> RunRecord {
        RunRecord {
            started,
            ended,
            end: "failed".into(),
            detail: Some(why.to_string()),
            ..RunRecord::default()
        }
    }

    pub fn succeeded(&self) -> bool {
        self.end == "complete" || self.end == "budget"
    }
}

/// The machine-readable name of how a pass ended (also in `crawl --json`).
pub fn end_code(end: &PassEnd) -> &'static str {
    match end {
        PassEnd::Complete => "complete",
        PassEnd::Budget => "budget",
        PassEnd::NeedsHuman { .. } => "needs_human",
        PassEnd::StillWaiting { .. } => "still_waiting",
        PassEnd::Unreachable { .. } => "unreachable",
        PassEnd::Interrupted => "interrupted",
    }
}

#[derive(Clone)]
pub struct RunLog {
    tree: sled::Tree,
}

impl RunLog {
    pub fn open(db: &sled::Db) -> anyhow::Result<RunLog> {
        Ok(RunLog {
            tree: db.open_tree(TREE)?,
        })
    }

    /// Keeps `run` as the site's last, carrying over when it last succeeded.
    pub fn record(&self, site: &str, mut run: RunRecord) -> anyhow::Result<RunRecord> {
        let previous = self.get(site)?;
        run.last_success = if run.succeeded() {
            Some(run.ended)
        } else {
            previous.and_then(|p| p.last_success)
        };
        self.tree
            .insert(site.as_bytes(), serde_json::to_vec(&run)?)?;
        Ok(run)
    }

    pub fn get(&self, site: &str) -> anyhow::Result<Option<RunRecord>> {
        match self.tree.get(site.as_bytes())? {
            Some(v) => Ok(Some(serde_json::from_slice(&v).map_err(|e| {
                anyhow::anyhow!("the last run of {site} in the store is unreadable: {e}")
            })?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_success_survives_a_failed_run() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = sled::Config::new()
            .path(dir.path().join("db"))
            .open()
            .unwrap_or_else(|e| panic!("{e}"));
        let log = RunLog::open(&db).unwrap_or_else(|e| panic!("{e}"));
        let ok = RunRecord {
            end: "complete".into(),
            ended: 100,
            ..RunRecord::default()
        };
        log.record("m", ok).unwrap_or_else(|e| panic!("{e}"));
        let down = log
            .record("m", RunRecord::failed(150, 160, "connection refused"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(down.last_success, Some(100));
        let got = log.get("m").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            got.map(|r| (r.end, r.last_success)),
            Some(("failed".into(), Some(100)))
        );
        assert!(log.get("other").unwrap_or_else(|e| panic!("{e}")).is_none());
    }
}
