//! The custody log: every export and verification, appended to a tree of the store's
//! database. Each entry holds the previous entry's hash and its own (SHA-256 over the
//! previous hash and the entry's fields), so deleting, reordering or editing an entry
//! breaks the chain at that entry, and [`CustodyLog::verify`] names it.

use serde::{Deserialize, Serialize};

use crate::{sha256_hex, EvidenceError};

const TREE: &str = "evidence/custody";
/// The "previous hash" of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, 3…: a gap is a deleted entry.
    pub seq: u64,
    /// RFC 3339, UTC.
    pub at: String,
    pub operator: String,
    /// `export`, `verify`, `view`, `keygen`.
    pub action: String,
    /// What it was about: `vendor CondorBlanco`, a bundle's manifest hash…
    pub subject: String,
    pub detail: String,
    pub prev: String,
    pub hash: String,
}

impl Entry {
    fn compute_hash(&self) -> String {
        let fields = serde_json::json!([
            self.seq,
            self.at,
            self.operator,
            self.action,
            self.subject,
            self.detail,
            self.prev
        ]);
        sha256_hex(format!("{}\n{fields}", self.prev).as_bytes())
    }
}

/// What [`CustodyLog::verify`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainCheck {
    Intact { entries: u64 },
    Broken { seq: u64, reason: String },
}

#[derive(Clone)]
pub struct CustodyLog {
    tree: sled::Tree,
}

impl CustodyLog {
    pub fn open(db: &sled::Db) -> Result<CustodyLog, EvidenceError> {
        Ok(CustodyLog {
            tree: db.open_tree(TREE)?,
        })
    }

    /// Appends an entry after the last one and flushes it.
    pub fn append(
        &self,
        at: &str,
        operator: &str,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> Result<Entry, EvidenceError> {
        // Only the last entry is read: the log grows with every view of a capture.
        let last: Option<Entry> = match self.tree.last()? {
            Some((k, v)) => Some(serde_json::from_slice(&v).map_err(|e| {
                EvidenceError::Custody(format!("entry at key {k:?} is unreadable: {e}"))
            })?),
            None => None,
        };
        let mut e = Entry {
            seq: last.as_ref().map_or(1, |l| l.seq + 1),
            at: at.into(),
            operator: operator.into(),
            action: action.into(),
            subject: subject.into(),
            detail: detail.into(),
            prev: last.map_or(GENESIS.to_string(), |l| l.hash),
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        let bytes = serde_json::to_vec(&e).map_err(|x| EvidenceError::Custody(x.to_string()))?;
        self.tree.insert(e.seq.to_be_bytes(), bytes)?;
        self.tree.flush()?;
        Ok(e)
    }

    /// Every entry, in order.
    pub fn entries(&self) -> Result<Vec<Entry>, EvidenceError> {
        self.tree
            .iter()
            .map(|item| {
                let (k, v) = item?;
                serde_json::from_slice(&v).map_err(|e| {
                    EvidenceError::Custody(format!("entry at key {k:?} is unreadable: {e}"))
                })
            })
            .collect()
    }

    /// Walks the chain from the first entry.
    pub fn verify(&self) -> Result<ChainCheck, EvidenceError> {
        let mut prev = GENESIS.to_string();
        let mut expected = 1;
        for e in self.entries()? {
            if e.seq != expected {
                return Ok(ChainCheck::Broken {
                    seq: expected,
                    reason: format!("entry {expected} is missing (the next one is {})", e.seq),
                });
            }
            if e.prev != prev {
                return Ok(ChainCheck::Broken {
                    seq: e.seq,
                    reason: "it does not follow from the entry before it".into(),
                });
            }
            if e.compute_hash() != e.hash {
                return Ok(ChainCheck::Broken {
                    seq: e.seq,
                    reason: "its contents were changed after it was written".into(),
                });
            }
            prev = e.hash.clone();
            expected += 1;
        }
        Ok(ChainCheck::Intact {
            entries: expected - 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> (tempfile::TempDir, sled::Db, CustodyLog) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = sled::Config::new()
            .path(dir.path().join("db"))
            .open()
            .unwrap_or_else(|e| panic!("{e}"));
        let log = CustodyLog::open(&db).unwrap_or_else(|e| panic!("{e}"));
        for i in 0..4 {
            log.append(
                "2026-12-08T10:00:00Z",
                "ana",
                "export",
                &format!("vendor v{i}"),
                "",
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
        (dir, db, log)
    }

    #[test]
    fn deleting_or_editing_an_entry_is_detected_at_that_entry() {
        let (_d, db, log) = log();
        assert_eq!(log.verify().ok(), Some(ChainCheck::Intact { entries: 4 }));
        let tree = db.open_tree(TREE).unwrap_or_else(|e| panic!("{e}"));
        // Edited: the subject of entry 2 changed.
        let mut e: Entry = serde_json::from_slice(
            &tree
                .get(2u64.to_be_bytes())
                .ok()
                .flatten()
                .unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let original = e.clone();
        e.subject = "vendor otro".into();
        let _ = tree.insert(
            2u64.to_be_bytes(),
            serde_json::to_vec(&e).unwrap_or_default(),
        );
        assert!(matches!(
            log.verify(),
            Ok(ChainCheck::Broken { seq: 2, .. })
        ));
        let _ = tree.insert(
            2u64.to_be_bytes(),
            serde_json::to_vec(&original).unwrap_or_default(),
        );
        // Deleted: entry 3.
        let _ = tree.remove(3u64.to_be_bytes());
        match log.verify() {
            Ok(ChainCheck::Broken { seq, reason }) => {
                assert_eq!(seq, 3);
                assert!(reason.contains("missing"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}
