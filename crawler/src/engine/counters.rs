//! Counters that outlive a pass: what each site's crawls fetched since the process
//! started, for the daemon's `/metrics`. Written by the workers with atomics (a map
//! lock only for an error kind not seen before).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
pub struct SiteCounters {
    responses: AtomicU64,
    bytes: AtomicU64,
    /// Unix seconds of the last response that was not an error.
    last_success: AtomicI64,
    errors: Mutex<BTreeMap<String, u64>>,
}

/// A copy of one site's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteCount {
    pub responses: u64,
    pub bytes: u64,
    pub last_success: Option<i64>,
    pub errors: BTreeMap<String, u64>,
}

impl SiteCounters {
    pub(crate) fn response(&self, bytes: usize, ok: bool, at: i64) {
        self.responses.fetch_add(1, Relaxed);
        self.bytes.fetch_add(bytes as u64, Relaxed);
        if ok {
            self.last_success.fetch_max(at, Relaxed);
        }
    }

    pub(crate) fn error(&self, kind: &str) {
        let mut e = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        *e.entry(kind.to_string()).or_default() += 1;
    }

    pub fn snapshot(&self) -> SiteCount {
        let last = self.last_success.load(Relaxed);
        SiteCount {
            responses: self.responses.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
            last_success: (last > 0).then_some(last),
            errors: self
                .errors
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }
}

/// Every site's counters.
#[derive(Debug, Default)]
pub struct Counters {
    sites: Mutex<BTreeMap<String, Arc<SiteCounters>>>,
}

impl Counters {
    pub fn site(&self, name: &str) -> Arc<SiteCounters> {
        let mut s = self.sites.lock().unwrap_or_else(|p| p.into_inner());
        s.entry(name.to_string()).or_default().clone()
    }

    /// Every site's counters, by name.
    pub fn snapshot(&self) -> BTreeMap<String, SiteCount> {
        let s = self.sites.lock().unwrap_or_else(|p| p.into_inner());
        s.iter().map(|(k, v)| (k.clone(), v.snapshot())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_site() {
        let c = Counters::default();
        c.site("a").response(100, true, 50);
        c.site("a").response(20, false, 60);
        c.site("a").error("http_503");
        c.site("a").error("http_503");
        c.site("b").error("timeout");
        let s = c.snapshot();
        assert_eq!(s["a"].responses, 2);
        assert_eq!(s["a"].bytes, 120);
        assert_eq!(s["a"].last_success, Some(50));
        assert_eq!(s["a"].errors["http_503"], 2);
        assert_eq!(s["b"].responses, 0);
        assert_eq!(s["b"].last_success, None);
        assert_eq!(s["b"].errors["timeout"], 1);
    }
}
