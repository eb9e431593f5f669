//! The audit log: who logged in (or failed to), searched what, viewed which capture,
//! changed which watchlist. Admins read it in the UI. Kept in the store, in order, so
//! that it survives restarts; entries are only ever appended.

use serde::{Deserialize, Serialize};

const TREE: &str = "web/audit";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    /// Unix seconds.
    pub at: i64,
    pub user: String,
    /// `login`, `login_failed`, `logout`, `search`, `view_listing`, `view_vendor`,
    /// `view_address`, `view_capture`, `watchlist_add`, `watchlist_remove`, `alert_retry`…
    pub action: String,
    pub detail: String,
    /// The client address (loopback for a local UI; the proxy's otherwise).
    pub from: String,
}

#[derive(Clone)]
pub struct AuditLog {
    tree: sled::Tree,
    db: sled::Db,
}

impl AuditLog {
    pub fn open(db: &sled::Db) -> Result<AuditLog, sled::Error> {
        Ok(AuditLog {
            tree: db.open_tree(TREE)?,
            db: db.clone(),
        })
    }

    /// Appends an entry. A failure to write is returned: the caller refuses the action
    /// rather than doing it unrecorded.
    pub fn record(
        &self,
        user: &str,
        action: &str,
        detail: &str,
        from: &str,
    ) -> Result<AuditEntry, sled::Error> {
        let seq = self.db.generate_id()?;
        let e = AuditEntry {
            seq,
            at: centinela_index::time::Timestamp::now().0,
            user: user.to_string(),
            action: action.to_string(),
            detail: detail.to_string(),
            from: from.to_string(),
        };
        // Serialising plain strings and numbers cannot fail.
        let bytes = serde_json::to_vec(&e).unwrap_or_default();
        self.tree.insert(seq.to_be_bytes(), bytes)?;
        Ok(e)
    }

    /// The newest entries first, at most `limit`, optionally only of one user or action.
    pub fn recent(
        &self,
        limit: usize,
        user: Option<&str>,
        action: Option<&str>,
    ) -> Result<Vec<AuditEntry>, sled::Error> {
        let mut out = Vec::new();
        for item in self.tree.iter().rev() {
            let (_, v) = item?;
            let Ok(e) = serde_json::from_slice::<AuditEntry>(&v) else {
                continue;
            };
            if user.is_some_and(|u| u != e.user) || action.is_some_and(|a| a != e.action) {
                continue;
            }
            out.push(e);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn entries_come_back_newest_first_and_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        let log = AuditLog::open(&db).unwrap();
        log.record("ana", "login", "", "127.0.0.1").unwrap();
        log.record("ana", "search", "cocaina lima", "127.0.0.1")
            .unwrap();
        log.record("luis", "search", "bc1q", "127.0.0.1").unwrap();
        let all = log.recent(10, None, None).unwrap();
        assert_eq!(
            all.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(),
            ["bc1q", "cocaina lima", ""]
        );
        let ana = log.recent(10, Some("ana"), Some("search")).unwrap();
        assert_eq!(ana.len(), 1);
        assert_eq!(ana[0].detail, "cocaina lima");
    }
}
