//! Wiring a crawl: the data dir's database (frontier and store share one sled database,
//! in separate trees), the WARC folder, the transport, the engine, and the keeper task
//! on the other end of the results channel.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use centinela_crawler::canon::CanonRules;
use centinela_crawler::engine::{Engine, SiteLimits, SitePlan, WarcLog};
use centinela_crawler::frontier::Frontier;
use centinela_crawler::message::{CrawlMessage, Envelope, PageOutcome};
use centinela_crawler::transport::{self, FetchSettings, Fetcher, Url};
use centinela_crawler::traps::TrapRules;
use centinela_index::mail::Deliverer;
use centinela_index::outbox::Outbox;
use centinela_index::search::{CommitPolicy, IndexOptions, Indexer, Opened};
use centinela_index::store::{Applied, Capture, Observation, Store};
use centinela_index::time::Timestamp;
use centinela_index::watch::{Rule, Watcher};
use centinela_parsers::registry::Registry;
use centinela_parsers::Extractor;
use tokio::sync::mpsc;

use crate::alerting;
use crate::config::{Config, Site};

/// The data dir's layout.
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: PathBuf) -> DataDir {
        DataDir { root }
    }

    /// The data dir a command works on: `--data-dir`, else the configuration's.
    pub fn of(global: &crate::cli::Global, cfg: &Config) -> DataDir {
        DataDir::new(global.data_dir.clone().unwrap_or(cfg.data_dir.clone()))
    }
    pub fn db(&self) -> PathBuf {
        self.root.join("db")
    }
    pub fn warc(&self) -> PathBuf {
        self.root.join("warc")
    }
    pub fn tor(&self) -> PathBuf {
        self.root.join("tor")
    }
    pub fn index(&self) -> PathBuf {
        self.root.join("index")
    }
}

/// Opens the data dir's existing database for a command that reads or maintains what
/// crawls kept, and needs the store to itself (sled allows one process at a time).
pub fn open_db(data: &DataDir) -> anyhow::Result<centinela_index::store::Db> {
    if !data.db().exists() {
        anyhow::bail!(
            "there is no store in {} yet: crawl first",
            data.db().display()
        );
    }
    centinela_index::store::open_db(&data.db()).with_context(|| {
        "the store is in use by another centinela process (a crawl or the daemon); \
         stop it first"
    })
}

/// The index settings of a crawl: one writer thread and a modest buffer, because the
/// keeper commits every few seconds and the cores belong to the crawl.
pub fn keeper_index_options() -> IndexOptions {
    IndexOptions {
        writer_threads: 1,
        writer_memory_bytes: 64 * 1024 * 1024,
        ..IndexOptions::default()
    }
}

/// Opens the search index beside the store, rebuilding or catching it up as needed, and
/// says so on stderr when that took work.
pub fn open_indexer(
    store: &Store,
    data: &DataDir,
    options: IndexOptions,
) -> anyhow::Result<Indexer> {
    let started = std::time::Instant::now();
    let (indexer, opened) = Indexer::open(
        store.clone(),
        &data.index(),
        options,
        CommitPolicy::default(),
    )
    .with_context(|| format!("cannot open the search index in {}", data.index().display()))?;
    match opened {
        Opened::Rebuilt { records, why } if records > 0 => tracing::info!(
            "search index rebuilt from the store ({why}): {records} records in {:.1} s",
            started.elapsed().as_secs_f64()
        ),
        Opened::Ready { caught_up } if caught_up > 0 => tracing::info!(
            "search index caught up on {caught_up} records the last run kept but had not indexed"
        ),
        _ => {}
    }
    Ok(indexer)
}

/// The site's crawl plan, from its configuration file.
pub fn site_plan(site: &Site) -> anyhow::Result<SitePlan> {
    let def = &site.def;
    let hosts: Vec<String> = def
        .onion_hosts
        .iter()
        .map(|h| h.get_ref().to_ascii_lowercase())
        .collect();
    let mirrors: Vec<String> = def
        .mirrors
        .iter()
        .map(|h| h.get_ref().to_ascii_lowercase())
        .collect();
    let start_urls = if def.start_urls.is_empty() {
        hosts
            .first()
            .map(|h| format!("http://{h}/"))
            .into_iter()
            .collect::<Vec<_>>()
    } else {
        def.start_urls.iter().map(|u| u.get_ref().clone()).collect()
    };
    let start_urls = start_urls
        .iter()
        .map(|u| {
            Url::parse(u)
                .with_context(|| format!("{}: start URL {u:?} is not a URL", site.file.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut canon = CanonRules::default();
    canon
        .session_params
        .extend(def.session_params.iter().map(|p| p.to_ascii_lowercase()));
    let cookies = match &def.cookies_file {
        Some(f) => {
            let path = site
                .file
                .parent()
                .unwrap_or(Path::new("."))
                .join(f.get_ref());
            centinela_crawler::cookies::parse_file(&path)?
        }
        None => Vec::new(),
    };
    Ok(SitePlan {
        name: site.name().to_string(),
        hosts,
        mirrors,
        start_urls,
        parser: site.parser.clone(),
        limits: SiteLimits {
            max_pages: def.limits.max_pages,
            max_depth: def.limits.max_depth,
            concurrency: *def.limits.concurrency.get_ref(),
            delay: Duration::from_millis(u64::from(def.limits.delay_ms)),
        },
        canon,
        traps: TrapRules::default(),
        persona: "default".to_string(),
        cookies,
    })
}

/// What the keeper counted per site.
#[derive(Clone, Copy, Debug, Default)]
pub struct Kept {
    pub applied: Applied,
    pub disappeared: u32,
}

pub type KeptBySite = Arc<Mutex<BTreeMap<String, Kept>>>;

/// Everything a crawl needs, opened.
pub struct Pipeline {
    pub store: Store,
    pub engine: Arc<Engine>,
    pub kept: KeptBySite,
    keeper: tokio::task::JoinHandle<()>,
    alerts: Option<Alerting>,
    /// The watchlist rules the keeper matches with (replaced on a reload).
    rules: Option<tokio::sync::watch::Sender<Vec<Rule>>>,
    /// Documents searchable in the index, as of its last commit.
    documents: Arc<AtomicU64>,
}

/// How a long-running process wants the pipeline, beyond what a crawl needs.
#[derive(Clone, Copy, Debug, Default)]
pub struct PipelineOptions {
    /// Watch and deliver alerts even with no rules yet (a reload may bring some).
    pub always_alert: bool,
    /// At most this many fetches under way across all sites.
    pub connection_cap: Option<usize>,
}

/// The alerting side of a crawl: the watchlist matcher runs in the keeper; the deliverer
/// sends from the outbox while the crawl goes on.
struct Alerting {
    outbox: Outbox,
    deliverer: Deliverer,
    destination: String,
    stop: tokio::sync::oneshot::Sender<()>,
    running: tokio::sync::oneshot::Receiver<Result<(), String>>,
    enqueued: Enqueued,
}

/// The ids of the alerts this crawl raised.
type Enqueued = Arc<Mutex<Vec<u64>>>;

/// What a crawl's alerting did, for the summary.
#[derive(Clone, Debug, Default)]
pub struct AlertSummary {
    /// The alerts the watchlists raised during this crawl: (subject, recipients).
    pub raised: Vec<(String, Vec<String>)>,
    /// Their mails, by where they stand.
    pub sent: usize,
    pub waiting: usize,
    pub failed: usize,
    /// Why the latest waiting or failed mail did not go.
    pub last_error: Option<String>,
    /// The SMTP server or mailbox folder.
    pub destination: String,
    /// Why delivery could not run at all.
    pub delivery_error: Option<String>,
}

impl AlertSummary {
    /// One line: what was raised and what became of its mails.
    pub fn line(&self) -> String {
        let mut s = format!(
            "{} alert(s) raised; {} mail(s) delivered to {}",
            self.raised.len(),
            self.sent,
            self.destination
        );
        if self.waiting > 0 {
            s.push_str(&format!(
                "; {} waiting to be retried (`centinela alerts send`)",
                self.waiting
            ));
        }
        if self.failed > 0 {
            s.push_str(&format!(
                "; {} refused for good (`centinela alerts list --failed`)",
                self.failed
            ));
        }
        if let Some(e) = self
            .last_error
            .as_ref()
            .filter(|_| self.waiting + self.failed > 0)
        {
            s.push_str(&format!("; last error: {e}"));
        }
        if let Some(e) = &self.delivery_error {
            s.push_str(&format!("; {e}"));
        }
        s
    }
}

/// Creates the data dir if needed and opens its database (sled: one process at a time).
pub fn create_db(data: &DataDir) -> anyhow::Result<centinela_index::store::Db> {
    std::fs::create_dir_all(&data.root)
        .with_context(|| format!("cannot create the data dir {}", data.root.display()))?;
    centinela_index::store::open_db(&data.db()).with_context(|| {
        format!(
            "cannot open the store in {} (is another centinela crawl or the daemon using it?)",
            data.db().display()
        )
    })
}

/// Brings the configured transport up (arti bootstraps here, within 3 minutes).
pub async fn bootstrap(
    cfg: &Config,
    data: &DataDir,
    on_progress: impl FnMut(transport::BootstrapProgress) + Send + 'static,
) -> anyhow::Result<Arc<dyn transport::Transport>> {
    let t = &cfg.main.transport;
    transport::from_config(t, &data.tor(), Duration::from_secs(180), on_progress)
        .await
        .with_context(|| format!("the {} transport did not come up", t.kind.label()))
}

impl Pipeline {
    /// Opens the data dir and brings the transport up (arti bootstraps here).
    pub async fn open(
        cfg: &Config,
        data: &DataDir,
        on_progress: impl FnMut(transport::BootstrapProgress) + Send + 'static,
    ) -> anyhow::Result<Pipeline> {
        let db = create_db(data)?;
        let transport = bootstrap(cfg, data, on_progress).await?;
        Pipeline::assemble(cfg, data, &db, transport, PipelineOptions::default())
    }

    /// Opens the store, index, frontier and evidence folder in `db` and `data`, and
    /// starts the keeper (and alert delivery) over `transport`. Call within the runtime.
    pub fn assemble(
        cfg: &Config,
        data: &DataDir,
        db: &centinela_index::store::Db,
        transport: Arc<dyn transport::Transport>,
        options: PipelineOptions,
    ) -> anyhow::Result<Pipeline> {
        let db = db.clone();
        let store = Store::open(&db)?;
        let indexer = open_indexer(&store, data, keeper_index_options())?;
        let frontier = Arc::new(Frontier::open(&db)?);
        let warc = Arc::new(
            WarcLog::open(
                &data.warc(),
                cfg.main.storage.warc_file_mib.saturating_mul(1024 * 1024),
            )
            .with_context(|| {
                format!("cannot open the evidence folder {}", data.warc().display())
            })?,
        );
        let fetcher = Arc::new(Fetcher::with_shared(
            transport,
            FetchSettings::from_config(&cfg.main.transport),
        ));
        let registry = Arc::new(Registry::new(Extractor::new(cfg.lexicon.clone())));
        let (tx, rx) = mpsc::channel(256);
        let kept: KeptBySite = Arc::default();
        let documents = Arc::new(AtomicU64::new(indexer.index().num_docs()));
        let (watcher, alerts, rules) = if cfg.rules.is_empty() && !options.always_alert {
            (None, None, None)
        } else {
            let outbox = Outbox::open(&db)?;
            let watcher = Watcher::open(&db, cfg.rules.clone(), &outbox)?;
            let deliverer = alerting::deliverer(cfg, data, &outbox)?;
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            // Mail goes out on a thread of its own: on the crawl's runtime the deliverer
            // would be one task among dozens of busy crawl workers, and alerts would wait
            // behind them for as long as the crawl saturates the cores.
            let runner = deliverer.clone();
            let (done, running) = tokio::sync::oneshot::channel();
            std::thread::Builder::new()
                .name("alert-delivery".into())
                .spawn(move || {
                    let result = match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(rt) => rt
                            .block_on(runner.run(async {
                                let _ = stopped.await;
                            }))
                            .map_err(|e| e.to_string()),
                        Err(e) => Err(format!("cannot start its runtime: {e}")),
                    };
                    let _ = done.send(result);
                })
                .context("cannot start the alert delivery thread")?;
            let enqueued: Enqueued = Arc::default();
            let (rules, rules_rx) = tokio::sync::watch::channel(cfg.rules.clone());
            (
                Some(Watching {
                    watcher,
                    enqueued: enqueued.clone(),
                    rules: rules_rx,
                }),
                Some(Alerting {
                    outbox,
                    deliverer,
                    destination: alerting::destination(cfg, data),
                    stop,
                    running,
                    enqueued,
                }),
                Some(rules),
            )
        };
        let keeper = tokio::spawn(keep(
            store.clone(),
            warc.clone(),
            rx,
            kept.clone(),
            indexer,
            watcher,
            documents.clone(),
        ));
        let mut engine = Engine::new(fetcher, frontier.clone(), warc, registry, tx);
        if let Some(n) = options.connection_cap {
            engine = engine.with_connection_cap(n);
        }
        Ok(Pipeline {
            store,
            engine: Arc::new(engine),
            kept,
            keeper,
            alerts,
            rules,
            documents,
        })
    }

    /// Matches with `rules` from the next batch on. False when this pipeline does not
    /// watch (opened without rules and without `always_alert`).
    pub fn set_rules(&self, rules: Vec<Rule>) -> bool {
        match &self.rules {
            Some(tx) => {
                tx.send_replace(rules);
                true
            }
            None => false,
        }
    }

    /// Documents searchable in the index (as of its last commit).
    pub fn documents(&self) -> u64 {
        self.documents.load(Ordering::Relaxed)
    }

    /// The alert outbox, when this pipeline watches.
    pub fn outbox(&self) -> Option<&Outbox> {
        self.alerts.as_ref().map(|a| &a.outbox)
    }

    /// Stops the keeper once every result has been kept, then delivers the alerts that
    /// are due (one last round: a mail server that is down does not hold the crawl up;
    /// its alerts wait in the outbox for `centinela alerts send` or the daemon).
    /// Returns what the watchlists raised (`None` without watchlists).
    pub async fn close(self) -> anyhow::Result<Option<AlertSummary>> {
        self.close_with(true).await
    }

    /// [`close`](Self::close); without `last_round`, alerts not yet sent stay in the
    /// outbox for the next start (a stopping daemon must not wait on a mail server).
    pub async fn close_with(self, last_round: bool) -> anyhow::Result<Option<AlertSummary>> {
        let Pipeline {
            engine,
            keeper,
            store,
            alerts,
            ..
        } = self;
        drop(engine);
        keeper.await.context("the keeper task failed")?;
        store.flush().await?;
        let Some(a) = alerts else {
            return Ok(None);
        };
        let _ = a.stop.send(());
        let delivery_error = match a.running.await {
            Ok(Err(e)) => Some(format!("alert delivery stopped: {e}")),
            Err(e) => Some(format!("alert delivery stopped: {e}")),
            Ok(Ok(())) if !last_round => None,
            Ok(Ok(())) => match a.deliverer.deliver_due().await {
                Ok(_) => None,
                Err(e) => Some(format!("alert delivery failed: {e}")),
            },
        };
        a.outbox.flush().await?;
        let ids = std::mem::take(&mut *a.enqueued.lock().unwrap_or_else(|p| p.into_inner()));
        let mut summary = alerting::summarize(&a.outbox, &ids)?;
        summary.destination = a.destination;
        summary.delivery_error = delivery_error;
        Ok(Some(summary))
    }
}

fn capture_of(c: &centinela_crawler::warc::CaptureRef, at: i64) -> Capture {
    Capture {
        file: c.file.clone(),
        offset: c.offset,
        length: c.length,
        record_id: c.record_id.clone(),
        sha256: c.payload_sha256.clone(),
        warc_date: c.date.clone(),
        at: Timestamp(at),
    }
}

/// The keeping side: for each batch of results, makes their WARC records durable, applies
/// them to the store, flushes it once, then tells the crawl. The order means a stored
/// capture reference never points at evidence a crash could lose. Then the records the
/// batch changed go to the search index, which commits every few seconds (and whatever
/// a crash leaves uncommitted, the store still lists as unindexed).
/// The keeper's watchlist side: the matcher, the ids of the alerts it raised, and the
/// rules it should match with.
struct Watching {
    watcher: Watcher,
    enqueued: Enqueued,
    rules: tokio::sync::watch::Receiver<Vec<Rule>>,
}

async fn keep(
    store: Store,
    warc: Arc<WarcLog>,
    mut rx: mpsc::Receiver<Envelope>,
    kept: KeptBySite,
    indexer: Indexer,
    mut watcher: Option<Watching>,
    documents: Arc<AtomicU64>,
) {
    let journal = watcher.is_some();
    let mut indexer = Some(indexer);
    let mut batch: Vec<Envelope> = Vec::with_capacity(64);
    loop {
        let due = indexer.as_ref().and_then(Indexer::commit_due_in);
        let received = match due {
            Some(wait) => match tokio::time::timeout(wait, rx.recv_many(&mut batch, 64)).await {
                Ok(n) => n,
                Err(_) => {
                    index_step(&mut indexer, Indexer::commit_if_due);
                    count_documents(&indexer, &documents);
                    continue;
                }
            },
            None => rx.recv_many(&mut batch, 64).await,
        };
        if received == 0 {
            break;
        }
        let evidence = warc
            .sync()
            .await
            .map_err(|e| format!("evidence not on disk: {e}"));
        let mut results = Vec::with_capacity(batch.len());
        for env in &batch {
            results.push(match &evidence {
                Ok(()) => apply(&store, &env.message, &kept, journal),
                Err(e) => Err(e.clone()),
            });
        }
        let flushed = store.flush().await.map_err(|e| e.to_string());
        for (env, r) in batch.drain(..).zip(results) {
            let answer = match (&flushed, r) {
                (Err(e), _) => Err(e.clone()),
                (Ok(()), r) => r,
            };
            let _ = env.kept.send(answer);
        }
        if let Some(w) = &mut watcher {
            if w.rules.has_changed().unwrap_or(false) {
                let rules = w.rules.borrow_and_update().clone();
                w.watcher.set_rules(rules);
            }
            // Matched after the batch is durable; what a crash interrupts here is still in
            // the store's journal and is matched on the next run.
            match w.watcher.process_pending() {
                Ok(ids) => w
                    .enqueued
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(ids),
                Err(e) => tracing::error!(
                    "watchlist matching failed: {e}; the changes stay journaled \
                     and are matched on the next run"
                ),
            }
        }
        index_step(&mut indexer, |i| i.index_changes().map(|_| ()));
        index_step(&mut indexer, |i| i.commit_if_due().map(|_| ()));
        count_documents(&indexer, &documents);
    }
    if let Some(i) = indexer {
        if let Err(e) = i.close() {
            index_failed(&e);
        }
    }
}

/// Runs one index operation. A failing index never stops the crawl: it is set aside for
/// the rest of the run, and the next run catches up from the store.
fn index_step<T>(
    indexer: &mut Option<Indexer>,
    op: impl FnOnce(&mut Indexer) -> Result<T, centinela_index::search::SearchError>,
) {
    if let Some(i) = indexer.as_mut() {
        if let Err(e) = op(i) {
            index_failed(&e);
            *indexer = None;
        }
    }
}

fn index_failed(e: &centinela_index::search::SearchError) {
    tracing::error!(
        "the search index stopped following the crawl: {e}; the store keeps \
         everything, and the next run (or `centinela index rebuild`) brings the index up to date"
    );
}

fn count_documents(indexer: &Option<Indexer>, documents: &AtomicU64) {
    if let Some(i) = indexer {
        documents.store(i.index().num_docs(), Ordering::Relaxed);
    }
}

/// Applies one result to the store; with `journal`, changed records are also journaled
/// for the watchlist matcher (in the same transaction).
fn apply(
    store: &Store,
    message: &CrawlMessage,
    kept: &KeptBySite,
    journal: bool,
) -> Result<(), String> {
    let add = |site: &str, applied: Applied, disappeared: u32| {
        let mut k = kept.lock().unwrap_or_else(|p| p.into_inner());
        let e = k.entry(site.to_string()).or_default();
        e.applied += applied;
        e.disappeared += disappeared;
    };
    match message {
        CrawlMessage::Page(p) => {
            let at = Timestamp(p.at);
            match &p.outcome {
                PageOutcome::Parsed { page } => {
                    let capture = capture_of(&p.capture, p.at);
                    let obs = Observation {
                        site: &p.site,
                        at,
                        capture: &capture,
                        page,
                    };
                    let applied = if journal {
                        store.apply_page_changes(&obs).map(|(a, _)| a)
                    } else {
                        store.apply_page(&obs)
                    }
                    .map_err(|e| e.to_string())?;
                    add(&p.site, applied, 0);
                }
                PageOutcome::Unchanged => store
                    .touch_page(&p.site, &p.url, at)
                    .map_err(|e| e.to_string())?,
                PageOutcome::Gone => {
                    let gone = store
                        .listing_gone(&p.site, &p.url, at, Some(&p.capture.payload_sha256))
                        .map_err(|e| e.to_string())?;
                    add(&p.site, Applied::default(), u32::from(gone));
                }
                PageOutcome::Gate { .. } | PageOutcome::NotParsed => {}
            }
        }
        CrawlMessage::PassFinished {
            site,
            started,
            complete,
            at,
            ..
        } => {
            if *complete {
                let n = store
                    .finish_pass(site, Timestamp(*started), Timestamp(*at))
                    .map_err(|e| e.to_string())?;
                add(site, Applied::default(), n);
            }
        }
    }
    Ok(())
}
