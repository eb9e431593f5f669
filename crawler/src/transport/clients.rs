//! One reqwest client per (site, persona): its own cookie jar, its own connection pool, its
//! own circuits. A client is rebuilt when its isolation generation changes (fresh circuit);
//! the cookie jar survives, since the persona's session does.
//!
//! The lock is a plain mutex held only for map look-ups, never across an `.await`; clients
//! are built outside it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use reqwest::cookie::Jar;

use super::error::FetchError;
use super::isolation::{CircuitTag, IsolationKey};

struct Slot {
    slot: u64,
    generation: u32,
    failures_in_row: u32,
    jar: Arc<Jar>,
    client: Option<(u32, reqwest::Client)>,
}

#[derive(Default)]
struct Slots {
    next_slot: u64,
    by_key: HashMap<IsolationKey, Slot>,
}

/// A client ready for one attempt, and the tag it isolates with.
#[derive(Clone)]
pub(crate) struct Lease {
    pub tag: CircuitTag,
    pub client: reqwest::Client,
}

#[derive(Default)]
pub(crate) struct ClientPool {
    slots: Mutex<Slots>,
}

impl ClientPool {
    fn lock(&self) -> MutexGuard<'_, Slots> {
        // The map stays consistent even if a holder panicked: every update is one assignment.
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn slot<'a>(slots: &'a mut Slots, key: &IsolationKey) -> &'a mut Slot {
        let Slots { next_slot, by_key } = slots;
        by_key.entry(key.clone()).or_insert_with(|| {
            *next_slot += 1;
            Slot {
                slot: *next_slot,
                generation: 0,
                failures_in_row: 0,
                jar: Arc::new(Jar::default()),
                client: None,
            }
        })
    }

    /// The client of `key`'s current generation, built with `build` if needed.
    pub fn lease(
        &self,
        key: &IsolationKey,
        build: impl FnOnce(&CircuitTag, Arc<Jar>) -> Result<reqwest::Client, FetchError>,
    ) -> Result<Lease, FetchError> {
        let (tag, jar) = {
            let mut slots = self.lock();
            let slot = Self::slot(&mut slots, key);
            let tag = CircuitTag::new(slot.slot, slot.generation);
            if let Some((generation, client)) = &slot.client {
                if *generation == slot.generation {
                    return Ok(Lease {
                        tag,
                        client: client.clone(),
                    });
                }
            }
            (tag, Arc::clone(&slot.jar))
        };
        let client = build(&tag, jar)?;
        let mut slots = self.lock();
        let slot = Self::slot(&mut slots, key);
        if slot.generation == tag.generation() {
            slot.client = Some((tag.generation(), client.clone()));
        }
        Ok(Lease { tag, client })
    }

    /// `key`'s cookie jar (shared with its clients, present and future).
    pub fn jar(&self, key: &IsolationKey) -> Arc<Jar> {
        Arc::clone(&Self::slot(&mut self.lock(), key).jar)
    }

    /// The tag `key` would use now.
    pub fn current_tag(&self, key: &IsolationKey) -> CircuitTag {
        let mut slots = self.lock();
        let slot = Self::slot(&mut slots, key);
        CircuitTag::new(slot.slot, slot.generation)
    }

    /// A success: the failure streak ends.
    pub fn record_success(&self, key: &IsolationKey) {
        Self::slot(&mut self.lock(), key).failures_in_row = 0;
    }

    /// A retryable failure. After `fresh_after` in a row the generation moves on (fresh
    /// circuits); the retired tag is returned so the transport can forget it.
    pub fn record_failure(&self, key: &IsolationKey, fresh_after: u32) -> Option<CircuitTag> {
        let mut slots = self.lock();
        let slot = Self::slot(&mut slots, key);
        slot.failures_in_row += 1;
        if fresh_after > 0 && slot.failures_in_row >= fresh_after {
            slot.failures_in_row = 0;
            return Some(Self::advance(slot));
        }
        None
    }

    /// Move `key` to a new generation now; returns the retired tag.
    pub fn new_generation(&self, key: &IsolationKey) -> CircuitTag {
        Self::advance(Self::slot(&mut self.lock(), key))
    }

    fn advance(slot: &mut Slot) -> CircuitTag {
        let old = CircuitTag::new(slot.slot, slot.generation);
        slot.generation = slot.generation.wrapping_add(1);
        slot.client = None;
        old
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(_: &CircuitTag, _: Arc<Jar>) -> Result<reqwest::Client, FetchError> {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(super::super::client::build_error)
    }

    #[test]
    fn generations_advance_after_failures_in_a_row() {
        let pool = ClientPool::default();
        let a = IsolationKey::site("a");
        let b = IsolationKey::new("a", "persona2");
        let t0 = pool.lease(&a, build).expect("lease").tag;
        let tb = pool.lease(&b, build).expect("lease").tag;
        assert_ne!(
            t0.slot(),
            tb.slot(),
            "personas are isolated from each other"
        );
        assert_eq!(pool.record_failure(&a, 2), None);
        pool.record_success(&a);
        assert_eq!(pool.record_failure(&a, 2), None);
        let retired = pool.record_failure(&a, 2).expect("second failure in a row");
        assert_eq!(retired, t0);
        let t1 = pool.lease(&a, build).expect("lease").tag;
        assert_eq!((t1.slot(), t1.generation()), (t0.slot(), 1));
        assert_ne!(t1.username(), t0.username());
        assert_eq!(pool.current_tag(&b), tb, "other keys are untouched");
        assert_eq!(pool.new_generation(&a), t1);
    }
}
