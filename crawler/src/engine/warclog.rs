//! The WARC writer shared by a crawl's workers: one file at a time, records appended
//! under a lock (gzip of one record is short), made durable in batches by the keeping
//! side (group commit: one fsync serves every caller waiting on it).

use std::path::Path;
use std::sync::Mutex;

use crate::commit::GroupCommit;
use crate::warc::{CaptureRef, Exchange, WarcError, WarcWriter};

pub struct WarcLog {
    writer: Mutex<WarcWriter>,
    commit: GroupCommit,
}

impl std::fmt::Debug for WarcLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WarcLog").finish_non_exhaustive()
    }
}

impl WarcLog {
    /// Opens the WARC folder (repairing a torn tail left by a crash) and starts a file.
    pub fn open(dir: &Path, max_file_bytes: u64) -> Result<WarcLog, WarcError> {
        let software = concat!("centinela/", env!("CARGO_PKG_VERSION"));
        Ok(WarcLog {
            writer: Mutex::new(WarcWriter::open(
                dir,
                "centinela",
                max_file_bytes,
                software,
            )?),
            commit: GroupCommit::default(),
        })
    }

    /// Appends the exchange. It is on disk (fsynced) only after the next [`sync`]
    /// (`WarcLog::sync`): the keeping side syncs once per batch of results, before the
    /// store records any reference to them.
    pub fn write(&self, exchange: &Exchange<'_>) -> Result<CaptureRef, WarcError> {
        self.writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .write_exchange(exchange)
    }

    /// Makes every exchange written so far durable.
    pub async fn sync(&self) -> Result<(), WarcError> {
        let ticket = self.commit.ticket();
        self.commit
            .wait(ticket, || async {
                // The handle is taken when the flush starts, so it is the file every
                // covered ticket wrote to (rotation syncs the file it leaves).
                let (handle, file) = self
                    .writer
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .sync_handle()?;
                let sync_error = |file, source| WarcError::Io {
                    action: "sync",
                    file,
                    source,
                };
                match tokio::task::spawn_blocking(move || handle.sync_data()).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(sync_error(file, e)),
                    Err(e) => Err(sync_error(file, std::io::Error::other(e))),
                }
            })
            .await
    }
}
