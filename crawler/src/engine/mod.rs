//! The crawl engine: workers take URLs from the [`Frontier`], fetch them, write every
//! response to WARC, parse what changed, and send the results to the keeping side as
//! [`CrawlMessage`]s.
//!
//! # Order of writes, and why
//! For each page: the WARC record is appended; then the message goes to the keeper,
//! which fsyncs the WARC files, applies a batch to the store, flushes it, and answers;
//! only then does the frontier mark the URL done (durably, by group commit). A crash anywhere in between
//! leaves the URL in flight, so it is fetched again — and keeping is idempotent, so the
//! second application changes nothing but `last_seen`. No URL is marked done whose
//! results were lost, and none is fetched twice unless it was in flight.

mod counters;
mod links;
mod plan;
mod progress;
mod warclog;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use centinela_parsers::registry::Registry;
use tokio::sync::{mpsc, oneshot, Notify};

pub use counters::{Counters, SiteCount, SiteCounters};
pub use links::Skipped;
pub use plan::{SiteLimits, SitePlan};
pub use progress::SiteProgress;
pub use warclog::WarcLog;

use crate::commit::GroupCommit;
use crate::frontier::{Completion, Frontier, FrontierError, Job, PageMemo, SiteStatus};
use crate::message::{CrawlMessage, Envelope, PageMessage, PageOutcome};
use crate::transport::{FetchRequest, Fetcher, IsolationKey, Scope, Url};
use crate::warc::{Exchange, WarcError};

#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    #[error(transparent)]
    Frontier(#[from] FrontierError),
    #[error("evidence could not be written: {0}")]
    Warc(#[from] WarcError),
    #[error("the store did not keep the results: {0}")]
    Keeper(String),
    #[error("site {site}: start URL {url} is not inside the site's onion hosts")]
    StartOutOfScope { site: String, url: String },
}

/// Why a pass stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PassEnd {
    /// The queue ran dry: everything reachable was fetched.
    Complete,
    /// The site's `max_pages` was reached.
    Budget,
    /// A login wall, captcha or queue page: a person must look (`centinela sites`).
    NeedsHuman { url: String, page_type: String },
    /// The site was already waiting for a person; nothing was fetched.
    StillWaiting { url: String, page_type: String },
    /// Too many fetches in a row failed: the site looks down. The pass resumes next time.
    Unreachable { last_error: String },
    /// Stopped on request ([`Engine::stop`]: Ctrl-C, SIGTERM). What was fetched is kept;
    /// the pages being fetched are fetched again when the pass resumes.
    Interrupted,
}

/// One site's crawl, for the summary table.
#[derive(Clone, Debug)]
pub struct SiteReport {
    pub site: String,
    pub pass: u32,
    pub resumed: bool,
    pub pages: u32,
    pub new: u32,
    pub changed: u32,
    pub unchanged: u32,
    pub gone: u32,
    /// Fetch failures and error statuses, by kind (`timeout`, `connect`, `http_503`…).
    pub errors: BTreeMap<String, u32>,
    pub skipped: Skipped,
    pub end: PassEnd,
    pub elapsed: Duration,
}

/// After this many failed fetches in a row the site is taken to be down.
const FAILURES_BEFORE_UNREACHABLE: u32 = 20;

pub struct Engine {
    fetcher: Arc<Fetcher>,
    frontier: Arc<Frontier>,
    warc: Arc<WarcLog>,
    registry: Arc<Registry>,
    keeper: mpsc::Sender<Envelope>,
    frontier_commit: GroupCommit,
    /// Set once, by [`Engine::stop`].
    stop: tokio::sync::watch::Sender<bool>,
    /// A cap on fetches under way across every site (the daemon's
    /// `max_connections`); each site's `concurrency` still applies within it.
    connections: Option<Arc<tokio::sync::Semaphore>>,
    counters: Arc<Counters>,
}

/// Per-site state shared by the site's workers.
struct Run {
    plan: Arc<SitePlan>,
    counters: Arc<SiteCounters>,
    isolation: IsolationKey,
    scope: Scope,
    progress: Arc<SiteProgress>,
    /// Pages already finished in this pass before this process took it up.
    already: u32,
    /// Budget claimed by workers in this process.
    claimed: AtomicU32,
    in_flight: AtomicU32,
    wake: Notify,
    stopped: AtomicBool,
    end: Mutex<Option<PassEnd>>,
    next_request: tokio::sync::Mutex<Instant>,
    failures_in_row: AtomicU32,
    /// Whether the site has answered at all in this run.
    answered: AtomicBool,
    tally: Mutex<Tally>,
    /// Pages fetched and sent to the keeper, waiting to be durably kept and completed in
    /// the frontier: at most `concurrency` of them, so the fetch slots go on fetching
    /// meanwhile without the pages in flight growing without bound.
    keeping: Arc<tokio::sync::Semaphore>,
    failure: Mutex<Option<CrawlError>>,
}

#[derive(Default)]
struct Tally {
    pages: u32,
    new: u32,
    changed: u32,
    unchanged: u32,
    gone: u32,
    errors: BTreeMap<String, u32>,
    skipped: Skipped,
}

impl Run {
    fn stop(&self, end: PassEnd) {
        let mut slot = self.end.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(end);
        }
        self.stopped.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    /// A page's keeping failed: the crawl stops and reports it.
    fn fail(&self, e: CrawlError) {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(e);
        self.stop(PassEnd::Complete);
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for the site's next request slot (`delay` apart).
    async fn pace(&self) {
        let delay = self.plan.limits.delay;
        if delay.is_zero() {
            return;
        }
        let at = {
            let mut next = self.next_request.lock().await;
            let at = (*next).max(Instant::now());
            *next = at + delay;
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Engine {
    pub fn new(
        fetcher: Arc<Fetcher>,
        frontier: Arc<Frontier>,
        warc: Arc<WarcLog>,
        registry: Arc<Registry>,
        keeper: mpsc::Sender<Envelope>,
    ) -> Engine {
        Engine {
            fetcher,
            frontier,
            warc,
            registry,
            keeper,
            frontier_commit: GroupCommit::default(),
            stop: tokio::sync::watch::Sender::new(false),
            connections: None,
            counters: Arc::default(),
        }
    }

    /// At most `n` fetches under way at once, whatever the sites' own concurrency.
    pub fn with_connection_cap(mut self, n: usize) -> Engine {
        self.connections = Some(Arc::new(tokio::sync::Semaphore::new(n.max(1))));
        self
    }

    /// What each site's crawls fetched since this engine started.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// Asks every site's crawl to stop now: no new page is fetched, fetches under way are
    /// abandoned (their URLs stay in flight and go back to the queue when the frontier is
    /// next opened), pages already fetched are kept. Each `crawl_site` then returns with
    /// [`PassEnd::Interrupted`], leaving its pass open for `crawl --resume`.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    pub fn is_stopping(&self) -> bool {
        *self.stop.borrow()
    }

    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// One pass over `plan`'s site (or the rest of an interrupted one).
    pub async fn crawl_site(
        self: &Arc<Self>,
        plan: Arc<SitePlan>,
        progress: Arc<SiteProgress>,
    ) -> Result<SiteReport, CrawlError> {
        let began = Instant::now();
        let site = plan.name.clone();
        let mut start = Vec::new();
        for url in &plan.start_urls {
            match plan.frontier_url(url) {
                Some(u) => start.push(u.to_string()),
                None => {
                    return Err(CrawlError::StartOutOfScope {
                        site,
                        url: crate::transport::redact_text(url.as_str()),
                    })
                }
            }
        }
        let isolation = IsolationKey::new(plan.name.clone(), plan.persona.clone());
        if !plan.cookies.is_empty() {
            self.fetcher.add_cookies(&isolation, &plan.cookies);
        }
        let info = self.frontier.begin(&site, &start, unix_now())?;
        let report = |end: PassEnd, tally: Tally| SiteReport {
            site: site.clone(),
            pass: info.pass,
            resumed: info.resumed,
            pages: tally.pages,
            new: tally.new,
            changed: tally.changed,
            unchanged: tally.unchanged,
            gone: tally.gone,
            errors: tally.errors,
            skipped: tally.skipped,
            end,
            elapsed: began.elapsed(),
        };
        if let SiteStatus::NeedsHuman { url, page_type, .. } = &info.status {
            progress.finish();
            return Ok(report(
                PassEnd::StillWaiting {
                    url: url.clone(),
                    page_type: page_type.clone(),
                },
                Tally::default(),
            ));
        }
        let already = self.frontier.site(&site)?.map_or(0, |s| s.fetched);
        let scope = Scope::new(plan.hosts.iter().chain(&plan.mirrors).cloned());
        let run = Arc::new(Run {
            plan: plan.clone(),
            counters: self.counters.site(&site),
            isolation,
            scope,
            progress: progress.clone(),
            already,
            claimed: AtomicU32::new(0),
            in_flight: AtomicU32::new(0),
            wake: Notify::new(),
            stopped: AtomicBool::new(false),
            end: Mutex::new(None),
            next_request: tokio::sync::Mutex::new(Instant::now()),
            failures_in_row: AtomicU32::new(0),
            answered: AtomicBool::new(false),
            tally: Mutex::new(Tally::default()),
            keeping: Arc::new(tokio::sync::Semaphore::new(
                plan.limits.concurrency.max(1) as usize
            )),
            failure: Mutex::new(None),
        });
        progress.set_queued(self.frontier.queued(&site) as u64);
        progress.set_done(u64::from(already));
        let mut workers = Vec::new();
        for _ in 0..plan.limits.concurrency.max(1) {
            let (engine, run) = (Arc::clone(self), Arc::clone(&run));
            workers.push(tokio::spawn(async move { engine.work(run).await }));
        }
        let mut failure = None;
        for w in workers {
            match w.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    failure.get_or_insert(e);
                }
                Err(join) => {
                    failure.get_or_insert(CrawlError::Keeper(format!(
                        "a crawl worker stopped: {join}"
                    )));
                }
            }
        }
        // Pages still being kept belong to this pass: wait for them.
        while run.in_flight.load(Ordering::SeqCst) > 0 {
            let woken = run.wake.notified();
            let _ = tokio::time::timeout(Duration::from_millis(20), woken).await;
        }
        progress.finish();
        if let Some(e) = run.failure.lock().unwrap_or_else(|p| p.into_inner()).take() {
            failure.get_or_insert(e);
        }
        if let Some(e) = failure {
            return Err(e);
        }
        let end = run
            .end
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or(if self.frontier.queued(&site) > 0 {
                PassEnd::Budget
            } else {
                PassEnd::Complete
            });
        if matches!(end, PassEnd::Complete | PassEnd::Budget) {
            let complete = end == PassEnd::Complete;
            self.keep(CrawlMessage::PassFinished {
                site: site.clone(),
                pass: info.pass,
                started: info.started,
                complete,
                at: unix_now(),
            })
            .await?;
            self.frontier.finish_pass(&site, complete, unix_now())?;
            self.frontier
                .db()
                .flush_async()
                .await
                .map_err(FrontierError::from)?;
        }
        let tally = std::mem::take(&mut *run.tally());
        Ok(report(end, tally))
    }

    async fn work(self: Arc<Self>, run: Arc<Run>) -> Result<(), CrawlError> {
        let site = run.plan.name.as_str();
        loop {
            if self.is_stopping() {
                run.stop(PassEnd::Interrupted);
            }
            if run.stopped.load(Ordering::SeqCst) {
                return Ok(());
            }
            let claimed = run.claimed.fetch_add(1, Ordering::SeqCst);
            if run.already.saturating_add(claimed) >= run.plan.limits.max_pages {
                // Budget spent; whether the pass was cut short is decided once every
                // worker has stopped (see `crawl_site`).
                run.claimed.fetch_sub(1, Ordering::SeqCst);
                return Ok(());
            }
            run.in_flight.fetch_add(1, Ordering::SeqCst);
            let job = match self.frontier.pop(site) {
                Ok(job) => job,
                Err(e) => {
                    run.in_flight.fetch_sub(1, Ordering::SeqCst);
                    return Err(e.into());
                }
            };
            let Some(job) = job else {
                run.claimed.fetch_sub(1, Ordering::SeqCst);
                let others = run.in_flight.fetch_sub(1, Ordering::SeqCst) - 1;
                if others == 0 {
                    // Nothing queued and nobody working who could queue more: done.
                    run.wake.notify_waiters();
                    return Ok(());
                }
                let woken = run.wake.notified();
                let _ = tokio::time::timeout(Duration::from_millis(50), woken).await;
                continue;
            };
            let step = async {
                run.pace().await;
                let slot = Arc::clone(&run.keeping)
                    .acquire_owned()
                    .await
                    .map_err(|_| CrawlError::Keeper("the crawl is closing".into()))?;
                let fetched = self.fetch_one(&run, job).await;
                Ok::<_, CrawlError>((slot, fetched))
            };
            let mut stopping = self.stop.subscribe();
            let stepped = tokio::select! {
                stepped = step => Some(stepped),
                _ = stopping.wait_for(|stop| *stop) => None,
            };
            let Some(stepped) = stepped else {
                // The page being fetched is abandoned; its URL stays in flight.
                run.stop(PassEnd::Interrupted);
                run.in_flight.fetch_sub(1, Ordering::SeqCst);
                run.wake.notify_waiters();
                return Ok(());
            };
            let (slot, fetched) = match stepped {
                Ok(s) => s,
                Err(e) => {
                    run.in_flight.fetch_sub(1, Ordering::SeqCst);
                    run.wake.notify_waiters();
                    return Err(e);
                }
            };
            match fetched {
                Ok(Some(keeping)) => {
                    // Keeping (fsync, store, frontier) goes on while this slot fetches
                    // the next page; the URL stays in flight until it is done.
                    let (engine, run) = (Arc::clone(&self), Arc::clone(&run));
                    tokio::spawn(async move {
                        if let Err(e) = engine.finish(&run, keeping).await {
                            run.fail(e);
                        }
                        drop(slot);
                        run.in_flight.fetch_sub(1, Ordering::SeqCst);
                        run.wake.notify_waiters();
                    });
                }
                Ok(None) => {
                    drop(slot);
                    run.in_flight.fetch_sub(1, Ordering::SeqCst);
                    run.wake.notify_waiters();
                }
                Err(e) => {
                    run.in_flight.fetch_sub(1, Ordering::SeqCst);
                    run.wake.notify_waiters();
                    return Err(e);
                }
            }
        }
    }

    async fn keep(&self, message: CrawlMessage) -> Result<(), CrawlError> {
        let answer = self.send(message).await?;
        Self::kept(answer).await
    }

    /// Hands a message to the keeper; the receiver answers once it is durably kept.
    async fn send(
        &self,
        message: CrawlMessage,
    ) -> Result<oneshot::Receiver<Result<(), String>>, CrawlError> {
        let (kept, answer) = oneshot::channel();
        self.keeper
            .send(Envelope { message, kept })
            .await
            .map_err(|_| CrawlError::Keeper("the keeper has stopped".into()))?;
        Ok(answer)
    }

    async fn kept(answer: oneshot::Receiver<Result<(), String>>) -> Result<(), CrawlError> {
        answer
            .await
            .map_err(|_| CrawlError::Keeper("the keeper stopped before answering".into()))?
            .map_err(CrawlError::Keeper)
    }

    async fn commit_frontier(&self) -> Result<(), CrawlError> {
        let ticket = self.frontier_commit.ticket();
        let db = self.frontier.db().clone();
        self.frontier_commit
            .wait(ticket, || async move { db.flush_async().await.map(|_| ()) })
            .await
            .map_err(FrontierError::from)?;
        Ok(())
    }

    /// Fetches one URL, records the exchange, parses what changed and hands the result to
    /// the keeper. Returns what is left to do once it is kept (`None`: nothing was
    /// fetched, and the frontier already knows).
    async fn fetch_one(&self, run: &Run, job: Job) -> Result<Option<Keeping>, CrawlError> {
        let plan = &run.plan;
        let site = plan.name.as_str();
        let Ok(url) = Url::parse(&job.url) else {
            self.frontier.complete(
                site,
                &job,
                Completion::Failed {
                    kind: "bad_url".into(),
                },
                plan.limits.max_depth,
            )?;
            return Ok(None);
        };
        let mut req = FetchRequest::new(url, run.isolation.clone()).with_scope(run.scope.clone());
        if let Some(memo) = &job.memo {
            req.if_none_match.clone_from(&memo.etag);
            req.if_modified_since.clone_from(&memo.last_modified);
        }
        let request_headers = self.fetcher.request_headers(&req);
        let target = job.url.clone();
        let permit = match &self.connections {
            Some(c) => Some(
                Arc::clone(c)
                    .acquire_owned()
                    .await
                    .map_err(|_| CrawlError::Keeper("the crawl is closing".into()))?,
            ),
            None => None,
        };
        let fetched = self.fetcher.fetch(req).await;
        drop(permit);
        let resp = match fetched {
            Ok(r) => r,
            Err(e) => {
                let kind = e.kind().to_string();
                run.counters.error(&kind);
                *run.tally().errors.entry(kind.clone()).or_default() += 1;
                run.progress.add_error();
                let in_row = run.failures_in_row.fetch_add(1, Ordering::SeqCst) + 1;
                // A site that has not answered once in this run (its start page failed
                // after the fetcher's own retries) is down: marking the URL failed would
                // end the pass "complete" with nothing fetched.
                let silent = !run.answered.load(Ordering::SeqCst);
                if e.is_retryable() && (in_row >= FAILURES_BEFORE_UNREACHABLE || silent) {
                    // Leave the URL in flight: the next crawl puts it back in the queue.
                    run.stop(PassEnd::Unreachable {
                        last_error: crate::transport::redact(&e),
                    });
                    return Ok(None);
                }
                self.frontier.complete(
                    site,
                    &job,
                    Completion::Failed { kind },
                    plan.limits.max_depth,
                )?;
                self.commit_frontier().await?;
                return Ok(None);
            }
        };
        run.failures_in_row.store(0, Ordering::SeqCst);
        run.answered.store(true, Ordering::SeqCst);
        let at = unix_now();
        let status = resp.status.as_u16();
        run.counters.response(
            resp.body.len(),
            status < 400 || status == 404 || status == 410,
            at,
        );
        let response_headers: Vec<(String, String)> = resp
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let final_url = resp.final_url.to_string();
        let capture = self.warc.write(&Exchange {
            target_uri: &final_url,
            date: SystemTime::now(),
            method: "GET",
            request_headers: &request_headers,
            status,
            reason: resp.status.canonical_reason().unwrap_or(""),
            response_headers: &response_headers,
            body: &resp.body,
        })?;
        let header = |name: &str| {
            resp.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let previous = job.memo.clone();
        let same_bytes = previous.as_ref().and_then(|m| m.sha256.as_deref())
            == Some(capture.payload_sha256.as_str());
        let mut memo = PageMemo {
            status,
            etag: header("etag"),
            last_modified: header("last-modified"),
            sha256: Some(capture.payload_sha256.clone()),
            page_type: None,
            links: Vec::new(),
            fetched_at: at,
        };
        let outcome = match status {
            304 | 200..=299 if status == 304 || same_bytes => {
                // The page is as it was: keep what we knew, parse nothing.
                if let Some(prev) = &previous {
                    memo.sha256.clone_from(&prev.sha256);
                    memo.page_type.clone_from(&prev.page_type);
                    memo.links.clone_from(&prev.links);
                    memo.etag = memo.etag.or_else(|| prev.etag.clone());
                    memo.last_modified = memo.last_modified.or_else(|| prev.last_modified.clone());
                }
                run.tally().unchanged += 1;
                PageOutcome::Unchanged
            }
            200..=299 => {
                // Parsed on the runtime's own threads (a page takes about a millisecond):
                // handing it to other threads would give each of them its own regex and
                // parser caches, hundreds of MB at 16 requests in flight.
                let parsed = self.registry.parse(&plan.parser, &final_url, &resp.body);
                if parsed.page_type.needs_human() {
                    PageOutcome::Gate {
                        page_type: parsed.page_type,
                    }
                } else {
                    let links = {
                        let mut t = run.tally();
                        if previous.is_some() {
                            t.changed += 1;
                        } else {
                            t.new += 1;
                        }
                        links::follow(plan, &parsed, &mut t.skipped)
                    };
                    memo.page_type = Some(parsed.page_type.as_str().to_string());
                    memo.links = links.iter().map(|l| (l.url.clone(), l.priority)).collect();
                    PageOutcome::Parsed { page: parsed }
                }
            }
            404 | 410 => {
                run.tally().gone += 1;
                PageOutcome::Gone
            }
            _ => {
                run.counters.error(&format!("http_{status}"));
                *run.tally()
                    .errors
                    .entry(format!("http_{status}"))
                    .or_default() += 1;
                run.progress.add_error();
                PageOutcome::NotParsed
            }
        };
        let gate = match &outcome {
            PageOutcome::Gate { page_type } => Some(page_type.as_str().to_string()),
            _ => None,
        };
        if let Some(page_type) = &gate {
            // Stop the other fetch slots now, not once the page is kept.
            run.stop(PassEnd::NeedsHuman {
                url: job.url.clone(),
                page_type: page_type.clone(),
            });
        }
        let answer = self
            .send(CrawlMessage::Page(Box::new(PageMessage {
                site: site.to_string(),
                url: target,
                final_url,
                at,
                status,
                capture,
                outcome,
            })))
            .await?;
        Ok(Some(Keeping {
            job,
            answer,
            memo,
            gate,
            at,
        }))
    }

    /// The second half of a page: once the keeper has it durably, mark it done in the
    /// frontier (or pause the site at a gate).
    async fn finish(&self, run: &Run, k: Keeping) -> Result<(), CrawlError> {
        let Keeping {
            job,
            answer,
            memo,
            gate,
            at,
        } = k;
        let plan = &run.plan;
        let site = plan.name.as_str();
        Self::kept(answer).await?;
        run.tally().pages += 1;
        if let Some(page_type) = gate {
            run.stop(PassEnd::NeedsHuman {
                url: job.url.clone(),
                page_type: page_type.clone(),
            });
            self.frontier.needs_human(site, &job, &page_type, at)?;
            self.commit_frontier().await?;
            return Ok(());
        }
        let links = memo
            .links
            .iter()
            .map(|(url, priority)| crate::frontier::NewLink {
                url: url.clone(),
                priority: *priority,
            })
            .collect();
        let queued = self.frontier.complete(
            site,
            &job,
            Completion::Fetched { memo, links },
            plan.limits.max_depth,
        )?;
        self.commit_frontier().await?;
        run.progress.page_done(queued as u64);
        Ok(())
    }
}

/// A page handed to the keeper, and what to do once it is kept.
struct Keeping {
    job: Job,
    answer: oneshot::Receiver<Result<(), String>>,
    memo: PageMemo,
    /// A login wall, captcha or queue: the site waits for a person.
    gate: Option<String>,
    at: i64,
}
