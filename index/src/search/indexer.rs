//! Keeping the search index in step with the store.
//!
//! The store notes every record it writes as "not yet indexed", in the same transaction
//! as the record itself. The indexer collects the changed records' keys as they come and,
//! every few seconds, reads each record once (a vendor named by fifty listings crawled in
//! that window is indexed once, not fifty times), upserts and commits (a commit is
//! costly; investigators can wait a few seconds for a new listing), and only then clears
//! their notes. So whatever kills the process, the next open finds
//! exactly the records the index missed and indexes them; and an index that is missing
//! or unusable is rebuilt from the store rather than being fatal.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use super::{IndexOptions, SearchError, SearchIndex};
use crate::store::Store;

/// When the indexer commits: after `every` has passed since the first uncommitted
/// change, or once `max_pending` records wait, whichever comes first.
#[derive(Clone, Copy, Debug)]
pub struct CommitPolicy {
    pub every: Duration,
    pub max_pending: usize,
}

impl Default for CommitPolicy {
    fn default() -> Self {
        CommitPolicy {
            every: Duration::from_secs(5),
            max_pending: 5_000,
        }
    }
}

/// What opening the index took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opened {
    /// The index was usable; `caught_up` records changed after its last commit (by a
    /// process that stopped before committing) were indexed.
    Ready { caught_up: usize },
    /// The index was missing or unusable and was rebuilt from the store's `records`.
    Rebuilt {
        records: usize,
        /// Why it was rebuilt, for the operator's log.
        why: String,
    },
}

/// The search index, following the store.
pub struct Indexer {
    index: SearchIndex,
    store: Store,
    /// Queue keys of records changed but not yet indexed and committed.
    pending: BTreeSet<Vec<u8>>,
    /// When the oldest pending change was noted.
    oldest: Option<Instant>,
    policy: CommitPolicy,
}

impl std::fmt::Debug for Indexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexer")
            .field("index", &self.index)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl Indexer {
    /// Opens the index in `dir` for `store`: rebuilds it when it is missing (an empty index
    /// beside a store with records) or unusable, otherwise catches up on what the last
    /// process left unindexed.
    pub fn open(
        store: Store,
        dir: &Path,
        options: IndexOptions,
        policy: CommitPolicy,
    ) -> Result<(Indexer, Opened), SearchError> {
        let (index, why) = match SearchIndex::open_with(dir, options.clone()) {
            Ok(index) if index.num_docs() == 0 && !store.is_empty() => (
                index,
                Some("the index was empty or missing while the store has records".to_string()),
            ),
            Ok(index) => (index, None),
            Err(SearchError::Corrupt { reason, .. }) => (
                SearchIndex::recreate(dir, options)?,
                Some(format!("the index could not be used: {reason}")),
            ),
            Err(e) => return Err(e),
        };
        let mut indexer = Indexer {
            index,
            store,
            pending: BTreeSet::new(),
            oldest: None,
            policy,
        };
        let opened = match why {
            Some(why) => Opened::Rebuilt {
                records: indexer.rebuild()?,
                why,
            },
            None => {
                let left = indexer.store.unindexed_keys()?;
                let caught_up = left.len();
                indexer.pending.extend(left);
                if caught_up > 0 {
                    indexer.commit()?;
                }
                Opened::Ready { caught_up }
            }
        };
        Ok((indexer, opened))
    }

    /// Notes the records the store changed since the last call; they are indexed at the
    /// next commit. Returns how many records are pending.
    pub fn index_changes(&mut self) -> Result<usize, SearchError> {
        let changed = self.store.take_changed();
        if !changed.is_empty() && self.oldest.is_none() {
            self.oldest = Some(Instant::now());
        }
        self.pending.extend(changed);
        Ok(self.pending.len())
    }

    /// How long until a commit is due: `None` with nothing uncommitted, zero when due now.
    pub fn commit_due_in(&self) -> Option<Duration> {
        let oldest = self.oldest?;
        if self.pending.len() >= self.policy.max_pending {
            return Some(Duration::ZERO);
        }
        Some(self.policy.every.saturating_sub(oldest.elapsed()))
    }

    /// Commits if the policy says so. Returns whether it did.
    pub fn commit_if_due(&mut self) -> Result<bool, SearchError> {
        if self.commit_due_in() == Some(Duration::ZERO) {
            self.commit()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Indexes every pending record as it is now, makes it searchable and durable, then
    /// clears the store's notes for them.
    pub fn commit(&mut self) -> Result<(), SearchError> {
        self.index_changes()?;
        let keys: Vec<Vec<u8>> = std::mem::take(&mut self.pending).into_iter().collect();
        let result = self.upsert_and_commit(&keys);
        if result.is_err() {
            // Nothing is lost: the store still lists them as unindexed.
            self.pending.extend(keys);
            return result;
        }
        self.store.mark_indexed(&keys)?;
        self.oldest = None;
        Ok(())
    }

    fn upsert_and_commit(&mut self, keys: &[Vec<u8>]) -> Result<(), SearchError> {
        for (_, record) in self.store.records_for(keys.iter().cloned())? {
            self.index.upsert_record(&record)?;
        }
        self.index.commit()
    }

    /// Recreates the index's content from every record in the store.
    pub fn rebuild(&mut self) -> Result<usize, SearchError> {
        let n = self.index.rebuild_from(&self.store)?;
        self.store.mark_all_indexed()?;
        self.pending.clear();
        self.oldest = None;
        Ok(n)
    }

    /// Commits what is pending and waits for background merges, leaving the index
    /// compact and its writer lock released.
    pub fn close(mut self) -> Result<(), SearchError> {
        self.commit()?;
        self.index.finish_merges()
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }
}
