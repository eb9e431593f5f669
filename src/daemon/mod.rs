//! `centinela daemon`: every site crawled on its own schedule, until SIGTERM.
//!
//! # Shape
//! One scheduler loop owns the configuration and decides, from the frontier's record of
//! each site's last pass and the site's `[schedule]`, which sites are due; each due site
//! is crawled by its own task on the shared [`Engine`] (one connection cap across all
//! of them). The keeper, index, watchlists and alert delivery run as they do for
//! `centinela crawl`, for the daemon's whole life. The loop refreshes a
//! [`StatusReport`] every few seconds: `/healthz`, `/metrics` and `/status` answer from
//! it, and it is written to `daemon-status.json` for `centinela status`.
//!
//! # Failures stay with their site
//! A site that is down ends its pass `unreachable` and is retried with a growing pause;
//! one that needs a person (login wall, captcha, queue) waits until its configuration or
//! cookies change and the daemon is reloaded; a crawl that fails outright is retried the
//! same way. None of these stop the other sites.
//!
//! # Signals
//! SIGTERM or SIGINT: stop fetching, keep what was fetched, leave each pass open, exit
//! (within 10 s, a watchdog makes sure). SIGHUP: read the configuration again; a
//! configuration with problems is reported and the running one kept. After `kill -9`
//! the next start resumes each open pass (the frontier puts URLs that were in flight back
//! in the queue).

mod http;
mod metrics;
pub mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::Context;
use centinela_crawler::engine::{PassEnd, SiteProgress, SiteReport};
use centinela_crawler::frontier::SiteStatus;
use centinela_crawler::schedule::Schedule;
use centinela_crawler::transport::Transport;
use centinela_index::time::Timestamp;
use chrono::Local;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::task::JoinSet;

use crate::alerting;
use crate::cli::{DaemonArgs, Global};
use crate::config::{self, Config, Site};
use crate::logging;
use crate::pipeline::{self, DataDir, Pipeline, PipelineOptions};
use crate::runs::{end_code, RunLog, RunRecord};
use report::{DaemonInfo, Due, MailInfo, StatusReport};

/// How long a stop may take before the process leaves anyway (everything it keeps is
/// crash-safe, so leaving is safe too).
const STOP_DEADLINE: Duration = Duration::from_secs(9);
/// How often the report (and the status file) is refreshed.
const REFRESH: Duration = Duration::from_secs(3);
/// How often the mail relay is asked whether it answers.
const MAIL_CHECK: Duration = Duration::from_secs(60);

pub fn run(global: &Global, args: &DaemonArgs) -> anyhow::Result<ExitCode> {
    logging::init_daemon(args.log_format);
    let cfg = match config::load(&global.config) {
        Ok(c) => c,
        Err(problems) => {
            for p in &problems {
                tracing::error!("{p}");
            }
            tracing::error!(
                "the configuration has {} problem(s); not starting (`centinela config check` lists them)",
                problems.len()
            );
            return Ok(ExitCode::from(2));
        }
    };
    let data = DataDir::of(global, &cfg);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("centinela-daemon")
        .build()
        .context("cannot start the async runtime")?;
    let data_override = global.data_dir.clone();
    runtime.block_on(serve(cfg, data, global.config.clone(), data_override))
}

/// What the HTTP endpoint and the scheduler share.
pub struct Shared {
    db: sled::Db,
    transport: OnceLock<Arc<dyn Transport>>,
    report: Mutex<StatusReport>,
    mail: Mutex<Option<MailInfo>>,
    /// The web UI changed a watchlist rule: reload as on SIGHUP.
    reload: tokio::sync::Notify,
}

impl Shared {
    fn report(&self) -> StatusReport {
        self.report
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn tor_ready(&self) -> bool {
        self.transport
            .get()
            .is_some_and(|t| t.tor_ready().unwrap_or(true))
    }
}

/// SIGTERM/SIGINT (stop) and SIGHUP (reload), registered before anything else so that
/// an early SIGHUP does not kill the process (its default action).
struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

impl Signals {
    fn register() -> anyhow::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
            hup: signal(SignalKind::hangup()).context("cannot handle SIGHUP")?,
        })
    }

    async fn stop(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

async fn serve(
    cfg: Config,
    data: DataDir,
    config_path: PathBuf,
    data_override: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let mut signals = Signals::register()?;
    let started_at = Timestamp::now().0;
    let db = pipeline::create_db(&data)?;
    let listen: std::net::SocketAddr = cfg
        .main
        .daemon
        .listen
        .get_ref()
        .parse()
        .context("daemon.listen is not an address:port")?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {listen} for health and metrics ([daemon] listen in {})",
                cfg.path.display()
            )
        })?;
    let shared = Arc::new(Shared {
        db: db.clone(),
        transport: OnceLock::new(),
        report: Mutex::new(StatusReport::default()),
        mail: Mutex::new(None),
        reload: tokio::sync::Notify::new(),
    });
    let (http_stop, http_stopped) = tokio::sync::oneshot::channel::<()>();
    let router = http::router(shared.clone());
    let http = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = http_stopped.await;
            })
            .await
    });
    let transport_kind = cfg.main.transport.kind.label().to_string();
    let mut info = DaemonInfo {
        pid: std::process::id(),
        started_at,
        listen: listen.to_string(),
        config: config_path.clone(),
        phase: "bootstrapping".into(),
        ..DaemonInfo::default()
    };
    tracing::info!(
        sites = cfg.sites.len(),
        transport = %transport_kind,
        "daemon starting; health and metrics at http://{listen}/healthz and /metrics"
    );
    {
        let mut r = shared.report.lock().unwrap_or_else(|p| p.into_inner());
        r.daemon = Some(info.clone());
        r.tor.transport = transport_kind.clone();
        r.generated_at = started_at;
    }
    let status_path = report::status_file(&data.root);

    // Tor first, retried: at boot the network may not be up yet.
    let (transport, bootstrap_failures) = tokio::select! {
        up = bootstrap_until_up(&cfg, &data, &shared, &status_path) => up,
        _ = signals.stop() => {
            tracing::info!("stopped before Tor came up");
            let _ = http_stop.send(());
            return Ok(ExitCode::SUCCESS);
        }
    };
    let _ = shared.transport.set(transport.clone());
    tracing::info!(transport = %transport_kind, "transport up");
    let cap = *cfg.main.daemon.max_connections.get_ref() as usize;
    let pipeline = Pipeline::assemble(
        &cfg,
        &data,
        &db,
        transport,
        PipelineOptions {
            always_alert: true,
            connection_cap: Some(cap),
        },
    )?;
    let (web_stop, web_stopped) = tokio::sync::oneshot::channel::<()>();
    let web = if cfg.main.web.in_daemon {
        Some(tokio::spawn(
            serve_web(&cfg, &data, &db, shared.clone(), web_stopped).await?,
        ))
    } else {
        None
    };
    let mail_task = tokio::spawn(check_mail(
        shared.clone(),
        alerting::transport(&cfg, &data).map_err(|e| format!("{e:#}")),
        alerting::destination(&cfg, &data),
    ));
    info.phase = "running".into();
    let runs = RunLog::open(&db)?;
    let scheduler = Scheduler {
        fingerprints: cfg
            .sites
            .iter()
            .map(|s| (s.name().to_string(), fingerprint(s)))
            .collect(),
        cfg: Arc::new(cfg),
        config_path,
        data_override,
        pipeline,
        runs,
        shared: shared.clone(),
        running: JoinSet::new(),
        live: BTreeMap::new(),
        info,
        bootstrap_failures,
        data,
    };
    let code = scheduler.run(&mut signals).await;
    mail_task.abort();
    let _ = http_stop.send(());
    let _ = web_stop.send(());
    let _ = http.await;
    if let Some(web) = web {
        let _ = web.await;
    }
    code
}

/// The investigators' web UI inside the daemon (`[web] in_daemon = true`), over the
/// daemon's own store: the sites page shows the live report, and a rule changed in the
/// UI reloads the configuration at once. Returns the server's future, bound.
async fn serve_web(
    cfg: &Config,
    data: &DataDir,
    db: &sled::Db,
    shared: Arc<Shared>,
    stopped: tokio::sync::oneshot::Receiver<()>,
) -> anyhow::Result<impl std::future::Future<Output = std::io::Result<()>>> {
    let bind = cfg.main.web.bind.get_ref();
    let addr: std::net::SocketAddr = bind
        .parse()
        .with_context(|| format!("web.bind {bind:?} is not an address:port"))?;
    let public_url = cfg.main.web.public_url.as_deref();
    crate::web::check_listen(&addr, public_url).map_err(anyhow::Error::msg)?;
    if crate::web::Users::open(db)?.list()?.is_empty() {
        tracing::warn!(
            "the web UI is on but no user can log in yet: stop the daemon, run \
             `centinela user add NAME --role admin`, start it again"
        );
    }
    let report = shared.clone();
    let mut web = crate::web::Web::open(
        db.clone(),
        data,
        cfg.watchlists_dir.clone(),
        Box::new(move || Ok(report.report())),
        public_url.is_some_and(|u| u.starts_with("https://")),
    )?;
    let notify = shared.clone();
    web.rules_changed = Some(Box::new(move || notify.reload.notify_one()));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} for the web UI ([web] bind)"))?;
    tracing::info!("web UI at http://{}/", listener.local_addr()?);
    Ok(crate::web::serve(Arc::new(web), listener, async {
        let _ = stopped.await;
    }))
}

/// Brings the transport up, retrying with a growing pause (15 s, doubling to 5 min) and
/// reporting each failure; returns it and how many attempts failed.
async fn bootstrap_until_up(
    cfg: &Config,
    data: &DataDir,
    shared: &Shared,
    status_path: &std::path::Path,
) -> (Arc<dyn Transport>, u64) {
    let mut failures = 0u64;
    let mut wait = Duration::from_secs(15);
    loop {
        let attempt = pipeline::bootstrap(cfg, data, |p| {
            tracing::debug!(fraction = p.fraction, "tor: {}", p.message);
        });
        match attempt.await {
            Ok(t) => return (t, failures),
            Err(e) => {
                failures += 1;
                let why = format!("{e:#}");
                tracing::error!(
                    "{why}; trying again in {} s (attempt {failures})",
                    wait.as_secs()
                );
                {
                    let mut r = shared.report.lock().unwrap_or_else(|p| p.into_inner());
                    r.tor.bootstrap_failures = failures;
                    r.tor.last_bootstrap_error = Some(why);
                }
                let _ = report::write_status_file(status_path, &shared.report());
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(300));
            }
        }
    }
}

/// Asks the mail relay (or mailbox folder) every minute whether it takes mail.
async fn check_mail(
    shared: Arc<Shared>,
    transport: Result<centinela_index::mail::Transport, String>,
    destination: String,
) {
    loop {
        let result = match &transport {
            Ok(t) => t.probe().await,
            Err(e) => Err(e.clone()),
        };
        if let Err(e) = &result {
            tracing::warn!(
                "alert mail cannot go out now ({destination}): {e}; alerts wait in the outbox"
            );
        }
        *shared.mail.lock().unwrap_or_else(|p| p.into_inner()) = Some(MailInfo {
            destination: destination.clone(),
            reachable: result.is_ok(),
            error: result.err(),
            checked_at: Timestamp::now().0,
        });
        tokio::time::sleep(MAIL_CHECK).await;
    }
}

/// What the daemon knows of a site beyond the store.
#[derive(Default)]
struct Live {
    /// The crawl under way: when it started, and its progress.
    crawling: Option<(i64, Arc<SiteProgress>)>,
    /// After a failure: when to try again.
    retry_at: Option<i64>,
    failures_in_row: u32,
    passes: BTreeMap<String, u64>,
}

impl Live {
    /// Another failure in a row: the retry waits 1 min, doubling per failure, at most
    /// `cap` seconds. Returns the pause.
    fn failed(&mut self, now: i64, cap: i64) -> i64 {
        self.failures_in_row += 1;
        let pause = (60i64 << self.failures_in_row.saturating_sub(1).min(10)).min(cap);
        self.retry_at = Some(now + pause);
        pause
    }
}

/// A site's crawl task, ended.
struct Finished {
    site: String,
    started: i64,
    result: Result<SiteReport, String>,
}

struct Scheduler {
    cfg: Arc<Config>,
    config_path: PathBuf,
    data_override: Option<PathBuf>,
    pipeline: Pipeline,
    runs: RunLog,
    shared: Arc<Shared>,
    running: JoinSet<Finished>,
    live: BTreeMap<String, Live>,
    /// Each site's configuration and cookies as last loaded, to notice a change.
    fingerprints: BTreeMap<String, u64>,
    info: DaemonInfo,
    bootstrap_failures: u64,
    data: DataDir,
}

impl Scheduler {
    async fn run(mut self, signals: &mut Signals) -> anyhow::Result<ExitCode> {
        loop {
            let wake = self.launch_due();
            self.refresh();
            let sleep = tokio::time::sleep(wake.min(REFRESH));
            tokio::select! {
                _ = sleep => {}
                Some(done) = self.running.join_next(), if !self.running.is_empty() => {
                    match done {
                        Ok(f) => self.finished(f),
                        Err(e) => tracing::error!("a crawl task stopped: {e}"),
                    }
                }
                _ = signals.hup.recv() => self.reload(),
                _ = self.shared.reload.notified() => self.reload(),
                _ = signals.term.recv() => break,
                _ = signals.int.recv() => break,
            }
        }
        self.stop().await
    }

    /// Starts every due site that is not crawling; returns how long until the next one
    /// is due.
    fn launch_due(&mut self) -> Duration {
        let now = Local::now();
        let mut wake = i64::MAX;
        let cfg = self.cfg.clone();
        for site in &cfg.sites {
            let name = site.name();
            let live = self.live.entry(name.to_string()).or_default();
            if live.crawling.is_some() {
                continue;
            }
            let state = self.pipeline.engine.frontier().site(name).ok().flatten();
            match report::due(site, state.as_ref(), live.retry_at, &now) {
                Due::At(t) if t <= now.timestamp() => self.launch(site),
                Due::At(t) => wake = wake.min(t),
                Due::WaitingForPerson | Due::Disabled => {}
            }
        }
        let secs = wake.saturating_sub(now.timestamp()).max(1);
        Duration::from_secs(u64::try_from(secs).unwrap_or(u64::MAX))
    }

    fn launch(&mut self, site: &Site) {
        let name = site.name().to_string();
        let started = Timestamp::now().0;
        let plan = match pipeline::site_plan(site) {
            Ok(p) => Arc::new(p),
            Err(e) => {
                self.finished(Finished {
                    site: name,
                    started,
                    result: Err(format!("{e:#}")),
                });
                return;
            }
        };
        let progress = Arc::new(SiteProgress::default());
        let live = self.live.entry(name.clone()).or_default();
        live.crawling = Some((started, progress.clone()));
        live.retry_at = None;
        tracing::info!(site = %name, schedule = %site.schedule.describe(), "crawl starting");
        let engine = self.pipeline.engine.clone();
        self.running.spawn(async move {
            let result = engine
                .crawl_site(plan, progress)
                .await
                .map_err(|e| e.to_string());
            Finished {
                site: name,
                started,
                result,
            }
        });
    }

    fn finished(&mut self, f: Finished) {
        let now = Timestamp::now().0;
        let cap = self.retry_cap(&f.site);
        let live = self.live.entry(f.site.clone()).or_default();
        live.crawling = None;
        let run = match &f.result {
            Ok(report) => {
                *live
                    .passes
                    .entry(end_code(&report.end).to_string())
                    .or_default() += 1;
                match &report.end {
                    PassEnd::Complete | PassEnd::Budget => {
                        live.failures_in_row = 0;
                        tracing::info!(
                            site = %f.site, pass = report.pass, end = end_code(&report.end),
                            pages = report.pages, new = report.new, changed = report.changed,
                            unchanged = report.unchanged, gone = report.gone,
                            errors = report.errors.values().sum::<u32>(),
                            elapsed_secs = report.elapsed.as_secs(),
                            "crawl finished"
                        );
                    }
                    // The page's URL (an onion address) stays out of the log; `centinela
                    // status` shows it to the operator.
                    PassEnd::NeedsHuman { page_type, .. }
                    | PassEnd::StillWaiting { page_type, .. } => tracing::warn!(
                        site = %f.site, pass = report.pass, %page_type,
                        "the site needs a person (`centinela status` shows the page): log in \
                         with Tor Browser, export its cookies to the site's cookies_file, then \
                         reload the daemon (SIGHUP); it is not crawled until then"
                    ),
                    PassEnd::Unreachable { last_error } => {
                        let pause = live.failed(now, cap);
                        tracing::warn!(
                            site = %f.site, pass = report.pass, pages = report.pages,
                            error = %last_error, retry_in_secs = pause,
                            "the site looks down; its pass stays open and resumes on the retry"
                        );
                    }
                    PassEnd::Interrupted => tracing::info!(
                        site = %f.site, pass = report.pass, pages = report.pages,
                        "crawl interrupted; the pass resumes on the next start"
                    ),
                }
                RunRecord::of(report, now)
            }
            Err(e) => {
                *live.passes.entry("failed".into()).or_default() += 1;
                let pause = live.failed(now, cap);
                tracing::error!(
                    site = %f.site, error = %e, retry_in_secs = pause,
                    "crawl failed; the other sites go on"
                );
                RunRecord::failed(f.started, now, e)
            }
        };
        if let Err(e) = self.runs.record(&f.site, run) {
            tracing::warn!(site = %f.site, "could not record the run: {e:#}");
        }
    }

    /// The longest pause before retrying a failed site: its interval, at most an hour
    /// (an hour for cron schedules).
    fn retry_cap(&self, site: &str) -> i64 {
        self.cfg
            .sites
            .iter()
            .find(|s| s.name() == site)
            .map_or(3600, |s| match &s.schedule {
                Schedule::Every { every, .. } => every.as_secs().clamp(1, 3600) as i64,
                Schedule::Cron(_) => 3600,
            })
    }

    /// SIGHUP: the new configuration, if it has no problems; else the old one stays.
    fn reload(&mut self) {
        tracing::info!(config = %self.config_path.display(), "reloading the configuration (SIGHUP)");
        let new = match config::load(&self.config_path) {
            Ok(c) => c,
            Err(problems) => {
                self.info.reload_failures += 1;
                let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
                for p in &text {
                    tracing::error!("{p}");
                }
                tracing::error!(
                    "the new configuration has {} problem(s); the running configuration is kept",
                    problems.len()
                );
                self.info.last_reload_error = Some(text.join("\n"));
                return;
            }
        };
        let old_names: BTreeSet<&str> = self.cfg.sites.iter().map(Site::name).collect();
        let new_names: BTreeSet<&str> = new.sites.iter().map(Site::name).collect();
        let added: Vec<&str> = new_names.difference(&old_names).copied().collect();
        let removed: Vec<&str> = old_names.difference(&new_names).copied().collect();
        for r in &removed {
            if self.live.get(*r).is_some_and(|l| l.crawling.is_some()) {
                tracing::info!(site = %r, "removed from the configuration; its crawl under way finishes, and it is not crawled again");
            }
        }
        for key in restart_only_changes(&self.cfg, &new, self.data_override.is_some()) {
            tracing::warn!("{key} changed: that takes effect when the daemon is restarted");
        }
        let frontier = self.pipeline.engine.frontier();
        let mut fingerprints = BTreeMap::new();
        for site in &new.sites {
            let name = site.name();
            let fp = fingerprint(site);
            let changed = self.fingerprints.get(name).is_some_and(|old| *old != fp);
            let waiting = frontier
                .site(name)
                .ok()
                .flatten()
                .is_some_and(|s| s.status != SiteStatus::Active);
            if changed && waiting {
                match frontier.resume(name) {
                    Ok(_) => tracing::info!(
                        site = %name,
                        "its configuration or cookies changed while it waited for a person: crawling it again"
                    ),
                    Err(e) => tracing::error!(site = %name, "could not resume the site: {e}"),
                }
            }
            if changed {
                if let Some(l) = self.live.get_mut(name) {
                    l.retry_at = None;
                    l.failures_in_row = 0;
                }
            }
            fingerprints.insert(name.to_string(), fp);
        }
        let rules = new.rules.len();
        self.pipeline.set_rules(new.rules.clone());
        tracing::info!(
            sites = new.sites.len(),
            added = %added.join(","),
            removed = %removed.join(","),
            watchlist_rules = rules,
            "configuration reloaded"
        );
        self.fingerprints = fingerprints;
        self.cfg = Arc::new(new);
        self.info.reloads += 1;
        self.info.last_reload_error = None;
    }

    /// Rebuilds the report from the store and what this process knows, and writes the
    /// status file.
    fn refresh(&mut self) {
        let now = Local::now();
        let engine = &self.pipeline.engine;
        let counters = engine.counters().snapshot();
        let mut sites = Vec::new();
        for site in &self.cfg.sites {
            let name = site.name();
            let live = self.live.get(name);
            let last = self.runs.get(name).ok().flatten();
            let mut line = report::site_line(
                site,
                Some(engine.frontier()),
                last,
                live.and_then(|l| l.retry_at),
                &now,
            );
            if let Some(l) = live {
                if let Some((_, progress)) = &l.crawling {
                    line.state = "crawling".into();
                    line.next_run = None;
                    line.pass_pages = line.pass_pages.max(progress.done() as u32);
                }
                line.passes = l.passes.clone();
            }
            if let Some(c) = counters.get(name) {
                line.fetched = c.responses;
                line.bytes = c.bytes;
                line.errors = c.errors.clone();
            }
            sites.push(line);
        }
        let alerts = self
            .pipeline
            .outbox()
            .and_then(|o| o.counts().ok())
            .unwrap_or_default();
        let stats = engine.fetcher().stats();
        let mut r = self.shared.report.lock().unwrap_or_else(|p| p.into_inner());
        r.generated_at = now.timestamp();
        r.daemon = Some(self.info.clone());
        r.tor.ready = self.shared.tor_ready();
        r.tor.bootstrap_failures = self.bootstrap_failures;
        r.tor.circuit_failures = stats
            .circuit_failures
            .load(std::sync::atomic::Ordering::Relaxed);
        r.sites = sites;
        r.alerts = report::AlertCounts {
            alerts: alerts.alerts,
            pending: alerts.queued,
            sent: alerts.sent,
            failed: alerts.failed,
        };
        r.index = report::IndexInfo {
            documents: self.pipeline.documents(),
            bytes: report::dir_size(&self.data.index()),
        };
        r.mail = self
            .shared
            .mail
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let snapshot = r.clone();
        drop(r);
        let path = report::status_file(&self.data.root);
        if let Err(e) = report::write_status_file(&path, &snapshot) {
            tracing::warn!(path = %path.display(), "cannot write the status file: {e}");
        }
    }

    async fn stop(mut self) -> anyhow::Result<ExitCode> {
        tracing::info!(
            crawling = self.running.len(),
            "stopping: fetches under way are abandoned (fetched again on the next start); \
             what was fetched is kept"
        );
        self.info.phase = "stopping".into();
        self.refresh();
        std::thread::spawn(|| {
            std::thread::sleep(STOP_DEADLINE);
            tracing::warn!(
                "the stop is taking too long; leaving now (what was kept is safe, and the next start resumes)"
            );
            std::process::exit(0);
        });
        self.pipeline.engine.stop();
        while let Some(done) = self.running.join_next().await {
            match done {
                Ok(f) => self.finished(f),
                Err(e) => tracing::error!("a crawl task stopped: {e}"),
            }
        }
        self.info.phase = "stopped".into();
        self.refresh();
        self.pipeline.close_with(false).await?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    }
}

/// A site's configuration file and cookies, hashed: a change is how an operator says
/// "I dealt with the login wall" (fresh cookies) or "I fixed the site's settings".
fn fingerprint(site: &Site) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    site.text.hash(&mut h);
    if let Some(f) = &site.def.cookies_file {
        let path = site
            .file
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join(f.get_ref());
        std::fs::read(path).unwrap_or_default().hash(&mut h);
    }
    h.finish()
}

/// Settings read once at start: a reload notes their change instead of applying it.
fn restart_only_changes(old: &Config, new: &Config, data_dir_fixed: bool) -> Vec<&'static str> {
    let (a, b) = (&old.main, &new.main);
    let mut out = Vec::new();
    if !data_dir_fixed && old.data_dir != new.data_dir {
        out.push("storage.data_dir");
    }
    if a.storage.warc_file_mib != b.storage.warc_file_mib {
        out.push("storage.warc_file_mib");
    }
    if format!("{:?}", a.transport) != format!("{:?}", b.transport) {
        out.push("[transport]");
    }
    let smtp = |m: &config::model::MainFile| {
        m.smtp.as_ref().map(|s| {
            format!(
                "{} {:?} {:?} {:?} {} {:?} {:?}",
                s.host.get_ref(),
                s.port,
                s.security,
                s.username,
                s.from.get_ref(),
                s.password_file.as_ref().map(|p| p.get_ref().clone()),
                s.password_env.as_ref().map(|p| p.get_ref().clone()),
            )
        })
    };
    if smtp(a) != smtp(b)
        || a.alerts.mailbox != b.alerts.mailbox
        || a.alerts.digest_minutes != b.alerts.digest_minutes
    {
        out.push("[smtp] or the alert mailbox");
    }
    if a.daemon.listen.get_ref() != b.daemon.listen.get_ref() {
        out.push("daemon.listen");
    }
    if a.daemon.max_connections.get_ref() != b.daemon.max_connections.get_ref() {
        out.push("daemon.max_connections");
    }
    if format!("{:?}", old.lexicon) != format!("{:?}", new.lexicon) {
        out.push("the Peru lexicon");
    }
    out
}
