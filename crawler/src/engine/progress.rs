//! Live counters of one site's crawl, read by the CLI's progress bars (and later the
//! daemon's metrics) without locking the workers.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct SiteProgress {
    done: AtomicU64,
    queued: AtomicU64,
    errors: AtomicU64,
    finished: AtomicBool,
}

impl SiteProgress {
    pub fn set_queued(&self, n: u64) {
        self.queued.store(n, Ordering::Relaxed);
    }

    pub fn set_done(&self, n: u64) {
        self.done.store(n, Ordering::Relaxed);
    }

    /// A page was finished and `queued` new URLs were found on it.
    pub fn page_done(&self, queued: u64) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.queued.fetch_add(queued, Ordering::Relaxed);
        let _ = self
            .queued
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |q| {
                Some(q.saturating_sub(1))
            });
    }

    pub fn add_error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn finish(&self) {
        self.finished.store(true, Ordering::Relaxed);
    }

    /// Pages finished in this pass.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// URLs known and not yet fetched (an estimate while the crawl runs).
    pub fn queued(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }

    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    pub fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Relaxed)
    }
}
