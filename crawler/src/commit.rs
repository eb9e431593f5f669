//! Group commit: many workers each need "everything I wrote is durable" before they go
//! on, and one flush (fsync, sled flush) can answer all of them at once. A worker takes a
//! ticket after writing and waits; whoever flushes first covers every ticket issued
//! before the flush began.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{watch, Mutex};

#[derive(Debug)]
pub struct GroupCommit {
    issued: AtomicU64,
    done: watch::Sender<u64>,
    flushing: Mutex<()>,
}

impl Default for GroupCommit {
    fn default() -> Self {
        GroupCommit {
            issued: AtomicU64::new(0),
            done: watch::Sender::new(0),
            flushing: Mutex::new(()),
        }
    }
}

impl GroupCommit {
    /// Call after a write: the ticket to wait for.
    pub fn ticket(&self) -> u64 {
        self.issued.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Returns once a flush begun after `ticket` was issued has succeeded, running
    /// `flush` if no one else is already doing it.
    pub async fn wait<E, F, Fut>(&self, ticket: u64, flush: F) -> Result<(), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(), E>>,
    {
        if *self.done.borrow() >= ticket {
            return Ok(());
        }
        let _one_at_a_time = self.flushing.lock().await;
        if *self.done.borrow() >= ticket {
            return Ok(());
        }
        let covered = self.issued.load(Ordering::SeqCst);
        flush().await?;
        self.done.send_replace(covered);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::GroupCommit;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_flush_covers_all_earlier_tickets() {
        let gc = Arc::new(GroupCommit::default());
        let flushes = Arc::new(AtomicU32::new(0));
        let tickets: Vec<u64> = (0..50).map(|_| gc.ticket()).collect();
        let mut tasks = Vec::new();
        for t in tickets {
            let (gc, flushes) = (gc.clone(), flushes.clone());
            tasks.push(tokio::spawn(async move {
                gc.wait(t, || async {
                    flushes.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    Ok::<(), ()>(())
                })
                .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.ok(), Some(Ok(())));
        }
        assert_eq!(flushes.load(Ordering::SeqCst), 1, "50 writers, one flush");
        let later = gc.ticket();
        gc.wait(later, || async { Ok::<(), ()>(()) }).await.ok();
        assert_eq!(
            gc.wait(later, || async { Err(()) }).await,
            Ok(()),
            "already covered"
        );
    }
}
