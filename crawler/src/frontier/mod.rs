//! The frontier: every URL the crawl knows, what state it is in, and what to fetch next —
//! kept in sled, so a crawl killed at any moment resumes where it was.
//!
//! # States and crash safety
//! A URL is `Queued` (with a key in the queue tree), `InFlight` (popped, with a key in the
//! in-flight tree), or finished for the current pass (`Done`/`Failed`). Every move between
//! states is one sled transaction over all the trees it touches, so after a crash each URL
//! is in exactly one state. Opening the frontier puts in-flight URLs back at their old
//! place in the queue: those, and only those, are fetched again.
//!
//! # Passes
//! One `centinela crawl` over a site is a pass. A URL finished in pass *n* is queued again
//! only when a page of pass *n+1* links to it, so a recrawl revisits what is still
//! reachable and never loops.
//!
//! All writes go through one mutex: the frontier is a single writer, which keeps pops
//! and completions free of transaction conflicts and makes `pop` (a scan, which sled
//! transactions cannot do) safe.

mod state;

use std::sync::{Mutex, MutexGuard};

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::{Transactional, Tree};

pub use state::{Job, LinkPriority, PageMemo, PassInfo, SiteState, SiteStatus, UrlEntry, UrlState};

#[derive(Debug, thiserror::Error)]
pub enum FrontierError {
    #[error("crawl state database error: {0}")]
    Db(#[from] sled::Error),
    #[error("crawl state record {key} is unreadable: {detail}")]
    Corrupt { key: String, detail: String },
    #[error("crawl state record cannot be written: {0}")]
    Encode(String),
}

type TxResult<T> = Result<T, ConflictableTransactionError<FrontierError>>;

pub struct Frontier {
    db: sled::Db,
    urls: Tree,
    queue: Tree,
    inflight: Tree,
    pages: Tree,
    sites: Tree,
    writer: Mutex<()>,
}

impl std::fmt::Debug for Frontier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frontier")
            .field("urls", &self.urls.len())
            .field("queued", &self.queue.len())
            .finish()
    }
}

fn site_prefix(site: &str) -> Vec<u8> {
    let mut k = site.as_bytes().to_vec();
    k.push(0);
    k
}

/// Queue order: site, then priority, then arrival — a prefix scan yields the next job.
fn queue_key(site: &str, priority: LinkPriority, seq: u64) -> Vec<u8> {
    let mut k = site_prefix(site);
    k.push(priority as u8);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn decode<T: serde::de::DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, FrontierError> {
    serde_json::from_slice(bytes).map_err(|e| FrontierError::Corrupt {
        key: String::from_utf8_lossy(key).replace('\0', " / "),
        detail: e.to_string(),
    })
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, FrontierError> {
    serde_json::to_vec(value).map_err(|e| FrontierError::Encode(e.to_string()))
}

fn tx_get<T: serde::de::DeserializeOwned>(
    tree: &TransactionalTree,
    key: &[u8],
) -> TxResult<Option<T>> {
    match tree.get(key)? {
        Some(v) => decode(key, &v)
            .map(Some)
            .map_err(ConflictableTransactionError::Abort),
        None => Ok(None),
    }
}

fn tx_put<T: serde::Serialize>(tree: &TransactionalTree, key: &[u8], value: &T) -> TxResult<()> {
    tree.insert(
        key,
        encode(value).map_err(ConflictableTransactionError::Abort)?,
    )?;
    Ok(())
}

fn unwrap_tx<T>(r: Result<T, TransactionError<FrontierError>>) -> Result<T, FrontierError> {
    r.map_err(|e| match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => FrontierError::Db(e),
    })
}

/// A link found on a fetched page, already canonical and inside the site's scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLink {
    pub url: String,
    pub priority: LinkPriority,
}

/// How a fetched URL ended.
#[derive(Clone, Debug)]
pub enum Completion {
    /// Fetched (whatever the status); `memo` is what a recrawl needs to know of it.
    Fetched { memo: PageMemo, links: Vec<NewLink> },
    /// Not fetched: the transport gave up. `kind` says why.
    Failed { kind: String },
}

impl Frontier {
    /// Opens the frontier in `db` and puts back in the queue every URL that was in
    /// flight when the previous process stopped.
    pub fn open(db: &sled::Db) -> Result<Frontier, FrontierError> {
        let f = Frontier {
            db: db.clone(),
            urls: db.open_tree("frontier/urls")?,
            queue: db.open_tree("frontier/queue")?,
            inflight: db.open_tree("frontier/inflight")?,
            pages: db.open_tree("frontier/pages")?,
            sites: db.open_tree("frontier/sites")?,
            writer: Mutex::new(()),
        };
        f.recover()?;
        Ok(f)
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The database, for flushing.
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    fn recover(&self) -> Result<usize, FrontierError> {
        let _w = self.lock();
        self.requeue(None)
    }

    fn requeue_in_flight(&self, site: &str) -> Result<usize, FrontierError> {
        self.requeue(Some(site))
    }

    /// Puts URLs in flight (of one site, or all) back in the queue; the caller holds
    /// the writer lock.
    fn requeue(&self, site: Option<&str>) -> Result<usize, FrontierError> {
        let prefix = site.map(site_prefix);
        let mut n = 0;
        for item in self.inflight.iter() {
            let (url, qkey) = item?;
            if prefix.as_ref().is_some_and(|p| !qkey.starts_with(p)) {
                continue;
            }
            let trees = (&self.urls, &self.queue, &self.inflight);
            unwrap_tx(trees.transaction(|(urls, queue, inflight)| {
                if let Some(mut e) = tx_get::<UrlEntry>(urls, &url)? {
                    if let UrlState::InFlight { seq } = e.state {
                        e.state = UrlState::Queued { seq };
                        tx_put(urls, &url, &e)?;
                        queue.insert(&qkey, &url)?;
                    }
                }
                inflight.remove(&url)?;
                Ok(())
            }))?;
            n += 1;
        }
        Ok(n)
    }

    pub fn site(&self, site: &str) -> Result<Option<SiteState>, FrontierError> {
        self.sites
            .get(site.as_bytes())?
            .map(|v| decode(site.as_bytes(), &v))
            .transpose()
    }

    /// Every site the frontier has state for.
    pub fn sites(&self) -> Result<Vec<(String, SiteState)>, FrontierError> {
        self.sites
            .iter()
            .map(|item| {
                let (k, v) = item?;
                Ok((String::from_utf8_lossy(&k).into_owned(), decode(&k, &v)?))
            })
            .collect()
    }

    /// URLs waiting in `site`'s queue.
    pub fn queued(&self, site: &str) -> usize {
        self.queue.scan_prefix(site_prefix(site)).count()
    }

    /// Starts a pass over `site`, or resumes the one a previous process left unfinished.
    /// `start` URLs must be canonical.
    pub fn begin(&self, site: &str, start: &[String], now: i64) -> Result<PassInfo, FrontierError> {
        let _w = self.lock();
        let state = self.site(site)?;
        if let Some(s) = &state {
            if s.finished.is_none() {
                // A pass this process left open (the site went down, or a person was
                // needed): what was in flight then goes back to the queue, as a restart
                // would do. No worker of the site runs while its pass begins.
                self.requeue_in_flight(site)?;
                return Ok(PassInfo {
                    pass: s.pass,
                    started: s.started,
                    resumed: true,
                    status: s.status.clone(),
                });
            }
        }
        let mut s = state.unwrap_or_default();
        s.pass += 1;
        s.started = now;
        s.finished = None;
        s.complete = false;
        s.fetched = 0;
        let pass = s.pass;
        let trees = (&self.urls, &self.queue, &self.sites);
        unwrap_tx(trees.transaction(|(urls, queue, sites)| {
            for url in start {
                enqueue(urls, queue, site, pass, url, 0, LinkPriority::Start)?;
            }
            tx_put(sites, site.as_bytes(), &s)?;
            Ok(())
        }))?;
        Ok(PassInfo {
            pass,
            started: now,
            resumed: false,
            status: s.status,
        })
    }

    /// Takes the next URL of `site` off the queue and marks it in flight; nothing while
    /// the site waits for a person.
    pub fn pop(&self, site: &str) -> Result<Option<Job>, FrontierError> {
        let _w = self.lock();
        if self
            .site(site)?
            .is_some_and(|s| s.status != SiteStatus::Active)
        {
            return Ok(None);
        }
        let Some(item) = self.queue.scan_prefix(site_prefix(site)).next() else {
            return Ok(None);
        };
        let (qkey, url) = item?;
        let trees = (&self.urls, &self.queue, &self.inflight);
        let entry = unwrap_tx(trees.transaction(|(urls, queue, inflight)| {
            let mut e: UrlEntry = tx_get(urls, &url)?.ok_or_else(|| {
                ConflictableTransactionError::Abort(FrontierError::Corrupt {
                    key: String::from_utf8_lossy(&url).into_owned(),
                    detail: "queued URL has no entry".into(),
                })
            })?;
            let seq = match e.state {
                UrlState::Queued { seq } => seq,
                _ => 0,
            };
            e.state = UrlState::InFlight { seq };
            tx_put(urls, &url, &e)?;
            queue.remove(&qkey)?;
            inflight.insert(&url, &qkey)?;
            Ok(e)
        }))?;
        let url = String::from_utf8_lossy(&url).into_owned();
        let memo = self
            .pages
            .get(url.as_bytes())?
            .map(|v| decode::<PageMemo>(url.as_bytes(), &v))
            .transpose()?;
        Ok(Some(Job {
            url,
            depth: entry.depth,
            priority: entry.priority,
            pass: entry.pass,
            memo,
        }))
    }

    /// Records how `job` ended and queues the new links it found (those not yet seen in
    /// this pass and not deeper than `max_depth`). Returns how many were queued.
    pub fn complete(
        &self,
        site: &str,
        job: &Job,
        completion: Completion,
        max_depth: u32,
    ) -> Result<usize, FrontierError> {
        let _w = self.lock();
        // Most links of a page were seen before. With every write under the lock, plain
        // reads are consistent, and much cheaper than reads inside a transaction: only
        // the links that may be new go into it (where `enqueue` checks them again).
        let fresh: Vec<&NewLink> = match &completion {
            Completion::Fetched { links, .. } if job.depth < max_depth => {
                let mut fresh = Vec::with_capacity(links.len());
                for l in links {
                    if self.may_enqueue(&l.url, job.pass)? {
                        fresh.push(l);
                    }
                }
                fresh
            }
            _ => Vec::new(),
        };
        let trees = (
            &self.urls,
            &self.queue,
            &self.inflight,
            &self.pages,
            &self.sites,
        );
        unwrap_tx(trees.transaction(|(urls, queue, inflight, pages, sites)| {
            let key = job.url.as_bytes();
            let mut e: UrlEntry = tx_get(urls, key)?.unwrap_or_else(|| UrlEntry {
                site: site.to_string(),
                pass: job.pass,
                depth: job.depth,
                priority: job.priority,
                state: UrlState::Queued { seq: 0 },
            });
            let mut queued = 0;
            match &completion {
                Completion::Fetched { memo, .. } => {
                    e.state = UrlState::Done {
                        status: memo.status,
                    };
                    tx_put(pages, key, memo)?;
                    if job.depth < max_depth {
                        for l in &fresh {
                            if enqueue(
                                urls,
                                queue,
                                site,
                                job.pass,
                                &l.url,
                                job.depth + 1,
                                l.priority,
                            )? {
                                queued += 1;
                            }
                        }
                    }
                }
                Completion::Failed { kind } => {
                    e.state = UrlState::Failed { kind: kind.clone() };
                }
            }
            tx_put(urls, key, &e)?;
            inflight.remove(key)?;
            if let Some(mut s) = tx_get::<SiteState>(sites, site.as_bytes())? {
                s.fetched += 1;
                tx_put(sites, site.as_bytes(), &s)?;
            }
            Ok(queued)
        }))
    }

    /// `job` met a login wall, captcha or queue: it goes back to the front of the queue
    /// and the site waits for a person (`centinela sites resume`).
    pub fn needs_human(
        &self,
        site: &str,
        job: &Job,
        page_type: &str,
        now: i64,
    ) -> Result<(), FrontierError> {
        let _w = self.lock();
        let trees = (&self.urls, &self.queue, &self.inflight, &self.sites);
        unwrap_tx(trees.transaction(|(urls, queue, inflight, sites)| {
            let key = job.url.as_bytes();
            if let Some(mut e) = tx_get::<UrlEntry>(urls, key)? {
                let seq = match e.state {
                    UrlState::InFlight { seq } | UrlState::Queued { seq } => seq,
                    _ => 0,
                };
                e.state = UrlState::Queued { seq };
                tx_put(urls, key, &e)?;
                queue.insert(queue_key(site, LinkPriority::Start, seq), key)?;
            }
            inflight.remove(key)?;
            let mut s: SiteState = tx_get(sites, site.as_bytes())?.unwrap_or_default();
            s.status = SiteStatus::NeedsHuman {
                url: job.url.clone(),
                page_type: page_type.to_string(),
                at: now,
            };
            tx_put(sites, site.as_bytes(), &s)?;
            Ok(())
        }))
    }

    /// A person dealt with the gate (new cookies, solved captcha): crawl the site again.
    /// Returns false when the site was not waiting.
    pub fn resume(&self, site: &str) -> Result<bool, FrontierError> {
        let _w = self.lock();
        let Some(mut s) = self.site(site)? else {
            return Ok(false);
        };
        if s.status == SiteStatus::Active {
            return Ok(false);
        }
        s.status = SiteStatus::Active;
        self.sites.insert(site.as_bytes(), encode(&s)?)?;
        Ok(true)
    }

    /// The pass is over: the queue is empty (`complete`) or a budget stopped it.
    pub fn finish_pass(&self, site: &str, complete: bool, now: i64) -> Result<(), FrontierError> {
        let _w = self.lock();
        let mut s = self.site(site)?.unwrap_or_default();
        s.finished = Some(now);
        s.complete = complete;
        if !complete {
            // A budget-stopped pass leaves URLs queued; the next pass starts from its
            // start URLs again, so the leftovers are dropped rather than carried over.
            let keys: Vec<_> = self
                .queue
                .scan_prefix(site_prefix(site))
                .keys()
                .collect::<Result<_, _>>()?;
            for k in keys {
                self.queue.remove(k)?;
            }
        }
        self.sites.insert(site.as_bytes(), encode(&s)?)?;
        Ok(())
    }

    /// Every URL entry (for tests and `sites` detail); a full scan.
    pub fn entries(&self, site: &str) -> Result<Vec<(String, UrlEntry)>, FrontierError> {
        let mut out = Vec::new();
        for item in self.urls.iter() {
            let (k, v) = item?;
            let e: UrlEntry = decode(&k, &v)?;
            if e.site == site {
                out.push((String::from_utf8_lossy(&k).into_owned(), e));
            }
        }
        Ok(out)
    }
}

impl Frontier {
    /// Whether `url` is unknown, or known only from an earlier pass and not busy.
    fn may_enqueue(&self, url: &str, pass: u32) -> Result<bool, FrontierError> {
        Ok(match self.urls.get(url.as_bytes())? {
            None => true,
            Some(v) => {
                let e: UrlEntry = decode(url.as_bytes(), &v)?;
                let busy = matches!(e.state, UrlState::Queued { .. } | UrlState::InFlight { .. });
                e.pass < pass && !busy
            }
        })
    }
}

/// Queues `url` for `pass` unless it was already queued or fetched in this pass.
fn enqueue(
    urls: &TransactionalTree,
    queue: &TransactionalTree,
    site: &str,
    pass: u32,
    url: &str,
    depth: u32,
    priority: LinkPriority,
) -> TxResult<bool> {
    let key = url.as_bytes();
    if let Some(e) = tx_get::<UrlEntry>(urls, key)? {
        let busy = matches!(e.state, UrlState::Queued { .. } | UrlState::InFlight { .. });
        if e.pass >= pass || busy {
            return Ok(false);
        }
    }
    let seq = urls.generate_id()?;
    let entry = UrlEntry {
        site: site.to_string(),
        pass,
        depth,
        priority,
        state: UrlState::Queued { seq },
    };
    tx_put(urls, key, &entry)?;
    queue.insert(queue_key(site, priority, seq), key)?;
    Ok(true)
}

#[cfg(test)]
mod tests;
