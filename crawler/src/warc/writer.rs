//! Appending exchanges to WARC files.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use data_encoding::HEXLOWER;
use flate2::Compression;

use super::gzip::Deflater;
use super::record::{self, WarcHead};
use super::time::Utc;
use super::{repair, uri, CaptureRef, Exchange, Repair, WarcError};

/// Writes exchanges into `<prefix>-<UTC time>-<seq>.warc.gz` files in one folder.
///
/// Files are never appended to after the writer that created them is gone: each `open`
/// starts a new file, so a file's bytes, once rotated away from, are final.
pub struct WarcWriter {
    dir: PathBuf,
    prefix: String,
    max_file_bytes: u64,
    software: String,
    /// One compressor for all records (see [`Deflater`] for why).
    deflater: Deflater,
    /// Sequence number of the current file.
    seq: u64,
    current: Current,
    repaired: Vec<(PathBuf, Repair)>,
}

struct Current {
    name: String,
    path: PathBuf,
    file: File,
    /// Bytes written and kept; the file's cursor is always here.
    len: u64,
    warcinfo_id: String,
    exchanges: u64,
    /// Bytes written since the last fsync.
    dirty: bool,
    /// Set when a failed append could not be undone: the tail is torn, so writing more after
    /// it would bury complete records behind garbage.
    poisoned: bool,
}

impl WarcWriter {
    /// Opens the folder (creating it), repairs a torn tail of every existing `*.warc.gz` file
    /// (see [`repair()`]), and starts a NEW file
    /// `<prefix>-<UTC yyyymmddThhmmssZ>-<5-digit seq>.warc.gz` (seq continues after the highest
    /// existing one, so names never collide) beginning with a `warcinfo` record.
    ///
    /// `software` is Centinela's version (`"0.3.1"`, or already `"centinela/0.3.1"`); it goes
    /// into the warcinfo record so that every file says which code wrote it.
    ///
    /// Files are compressed with [`Compression::fast`]: at the crawler's rate the default level
    /// costs about twice the CPU for files only ~10% smaller (see `examples/warc_bench.rs`).
    pub fn open(
        dir: &Path,
        prefix: &str,
        max_file_bytes: u64,
        software: &str,
    ) -> Result<WarcWriter, WarcError> {
        let prefix_ok = !prefix.is_empty()
            && prefix != "."
            && prefix != ".."
            && prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !prefix_ok {
            return Err(WarcError::InvalidPrefix {
                dir: dir.to_path_buf(),
                prefix: prefix.to_string(),
            });
        }
        fs::create_dir_all(dir).map_err(|source| WarcError::Io {
            action: "create WARC folder",
            file: dir.to_path_buf(),
            source,
        })?;

        let mut names = Vec::new();
        let entries = fs::read_dir(dir).map_err(|source| WarcError::Io {
            action: "list WARC folder",
            file: dir.to_path_buf(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| WarcError::Io {
                action: "list WARC folder",
                file: dir.to_path_buf(),
                source,
            })?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
            if is_file && name.ends_with(".warc.gz") {
                names.push(name);
            }
        }
        names.sort();

        let mut repaired = Vec::new();
        let mut max_seq = 0;
        for name in &names {
            let path = dir.join(name);
            let outcome = repair(&path)?;
            if outcome.dropped > 0 {
                repaired.push((path, outcome));
            }
            if let Some(seq) = sequence_of(name, prefix) {
                max_seq = max_seq.max(seq);
            }
        }

        let mut deflater = Deflater::new(Compression::fast());
        let software = software.to_string();
        let (seq, current) = start_file(dir, prefix, max_seq + 1, &software, &mut deflater)?;
        Ok(WarcWriter {
            dir: dir.to_path_buf(),
            prefix: prefix.to_string(),
            max_file_bytes,
            software,
            deflater,
            seq,
            current,
            repaired,
        })
    }

    /// Appends a `request` record and a `response` record, each its own gzip member, linked
    /// with WARC-Concurrent-To; rotates to a new file first when the current one is over
    /// `max_file_bytes`.
    ///
    /// Both members go to the file in one write; if it fails, the file is cut back to where it
    /// was, so an error never leaves half an exchange behind.
    pub fn write_exchange(&mut self, ex: &Exchange<'_>) -> Result<CaptureRef, WarcError> {
        if self.current.poisoned {
            return Err(WarcError::Poisoned {
                file: self.current.path.clone(),
                offset: self.current.len,
            });
        }
        if self.current.len >= self.max_file_bytes && self.current.exchanges > 0 {
            self.rotate()?;
        }

        let cur = &mut self.current;
        let random_err = |e: getrandom::Error| WarcError::Random {
            file: cur.path.clone(),
            reason: e.to_string(),
        };
        let request_id = record::new_record_id().map_err(random_err)?;
        let response_id = record::new_record_id().map_err(random_err)?;
        let date = Utc::from_system_time(ex.date).warc_date();
        let target = uri::to_uri(ex.target_uri);
        let original_iri = (target != ex.target_uri).then_some(ex.target_uri);

        let request_block = record::request_head(ex.method, &target, ex.request_headers);
        let mut req = WarcHead::new("request");
        req.field("WARC-Record-ID", &request_id)
            .field("WARC-Date", &date)
            .field("WARC-Target-URI", &target);
        if let Some(iri) = original_iri {
            req.field("X-Centinela-Target-IRI", iri);
        }
        req.field("WARC-Warcinfo-ID", &cur.warcinfo_id)
            .field("WARC-Concurrent-To", &response_id)
            .field("Content-Type", "application/http; msgtype=request")
            .field("Content-Length", &request_block.len().to_string())
            .field(
                "WARC-Block-Digest",
                &record::warc_digest(&record::sha256(&[&request_block])),
            );

        let http_head =
            record::response_head(ex.status, ex.reason, ex.response_headers, ex.body.len());
        let payload = record::sha256(&[ex.body]);
        let payload_hex = HEXLOWER.encode(&payload);
        let block_len = http_head.len() + ex.body.len();
        let mut resp = WarcHead::new("response");
        resp.field("WARC-Record-ID", &response_id)
            .field("WARC-Date", &date)
            .field("WARC-Target-URI", &target);
        if let Some(iri) = original_iri {
            resp.field("X-Centinela-Target-IRI", iri);
        }
        resp.field("WARC-Warcinfo-ID", &cur.warcinfo_id)
            .field("Content-Type", "application/http; msgtype=response")
            .field("Content-Length", &block_len.to_string())
            .field(
                "WARC-Block-Digest",
                &record::warc_digest(&record::sha256(&[&http_head, ex.body])),
            )
            .field("WARC-Payload-Digest", &record::warc_digest(&payload))
            .field("WARC-Payload-SHA256", &payload_hex);

        let encode_err = |source| WarcError::Io {
            action: "compress a record for",
            file: cur.path.clone(),
            source,
        };
        let mut buf = Vec::with_capacity(ex.body.len() / 3 + 4096);
        record::append_member(&mut buf, &mut self.deflater, req, &[&request_block])
            .map_err(encode_err)?;
        let request_len = buf.len() as u64;
        record::append_member(&mut buf, &mut self.deflater, resp, &[&http_head, ex.body])
            .map_err(encode_err)?;

        let offset = cur.len;
        cur.append(&buf)?;
        cur.exchanges += 1;
        Ok(CaptureRef {
            file: cur.name.clone(),
            offset: offset + request_len,
            length: buf.len() as u64 - request_len,
            record_id: response_id,
            payload_sha256: payload_hex,
            date,
        })
    }

    /// fsync the current file: the crawler calls this before it records a CaptureRef in its
    /// store, so a stored reference never points at bytes lost in a crash.
    ///
    /// Files rotated away from were synced at rotation, so syncing the current one covers
    /// every reference handed out so far.
    pub fn sync(&mut self) -> Result<(), WarcError> {
        self.current.sync()
    }

    /// Sets the gzip level (0–9) for the records written from now on. The default is 1
    /// ([`Compression::fast`]); higher levels save little on HTML and cost much CPU.
    pub fn set_compression_level(&mut self, level: u32) {
        self.deflater = Deflater::new(Compression::new(level.min(9)));
    }

    /// The folder this writer writes to; [`read_capture`](super::read_capture) takes it.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Name of the file now being written.
    pub fn current_file(&self) -> &str {
        &self.current.name
    }

    /// Files whose torn tail `open` cut off, with what was kept and dropped; the crawler
    /// should log these, since they mark an earlier crash.
    pub fn repaired(&self) -> &[(PathBuf, Repair)] {
        &self.repaired
    }

    /// Syncs the full file before leaving it, so references into it are durable even if the
    /// caller only ever syncs the newest file.
    fn rotate(&mut self) -> Result<(), WarcError> {
        self.current.sync()?;
        let (seq, next) = start_file(
            &self.dir,
            &self.prefix,
            self.seq + 1,
            &self.software,
            &mut self.deflater,
        )?;
        self.seq = seq;
        self.current = next;
        Ok(())
    }
}

impl Current {
    fn append(&mut self, bytes: &[u8]) -> Result<(), WarcError> {
        if let Err(source) = self.file.write_all(bytes) {
            let undone = self
                .file
                .set_len(self.len)
                .and_then(|()| self.file.seek(SeekFrom::Start(self.len)).map(drop));
            if undone.is_err() {
                self.poisoned = true;
            }
            return Err(WarcError::IoAt {
                action: "append a record to",
                file: self.path.clone(),
                offset: self.len,
                source,
            });
        }
        self.len += bytes.len() as u64;
        self.dirty = true;
        Ok(())
    }

    fn sync(&mut self) -> Result<(), WarcError> {
        if self.dirty {
            self.file.sync_data().map_err(|source| WarcError::Io {
                action: "fsync",
                file: self.path.clone(),
                source,
            })?;
            self.dirty = false;
        }
        Ok(())
    }
}

/// Parses the sequence number out of `<prefix>-<time>-<seq>.warc.gz`.
fn sequence_of(name: &str, prefix: &str) -> Option<u64> {
    let rest = name.strip_prefix(prefix)?.strip_prefix('-')?;
    let stem = rest.strip_suffix(".warc.gz")?;
    let (time, seq) = stem.rsplit_once('-')?;
    let time_ok = time.len() == 16 && time.ends_with('Z') && time.get(8..9) == Some("T");
    if !time_ok || seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    seq.parse().ok()
}

/// Creates the next file (never overwriting one: `create_new`) and writes its warcinfo record.
fn start_file(
    dir: &Path,
    prefix: &str,
    mut seq: u64,
    software: &str,
    deflater: &mut Deflater,
) -> Result<(u64, Current), WarcError> {
    let now = SystemTime::now();
    let utc = Utc::from_system_time(now);
    let stamp = utc.compact();
    let (name, path, file) = loop {
        let name = format!("{prefix}-{stamp}-{seq:05}.warc.gz");
        let path = dir.join(&name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => break (name, path, file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => seq += 1,
            Err(source) => {
                return Err(WarcError::Io {
                    action: "create",
                    file: path,
                    source,
                })
            }
        }
    };
    // The new directory entry must survive a crash too, or synced records could vanish
    // with their file.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| WarcError::Io {
            action: "fsync folder of",
            file: path.clone(),
            source,
        })?;

    let warcinfo_id = record::new_record_id().map_err(|e| WarcError::Random {
        file: path.clone(),
        reason: e.to_string(),
    })?;
    let block = record::warcinfo_block(software);
    let mut head = WarcHead::new("warcinfo");
    head.field("WARC-Record-ID", &warcinfo_id)
        .field("WARC-Date", &utc.warc_date())
        .field("WARC-Filename", &name)
        .field("Content-Type", "application/warc-fields")
        .field("Content-Length", &block.len().to_string())
        .field(
            "WARC-Block-Digest",
            &record::warc_digest(&record::sha256(&[&block])),
        );
    let mut bytes = Vec::new();
    record::append_member(&mut bytes, deflater, head, &[&block]).map_err(|source| {
        WarcError::Io {
            action: "compress warcinfo for",
            file: path.clone(),
            source,
        }
    })?;
    let mut current = Current {
        name,
        path,
        file,
        len: 0,
        warcinfo_id,
        exchanges: 0,
        dirty: false,
        poisoned: false,
    };
    current.append(&bytes)?;
    Ok((seq, current))
}

impl WarcWriter {
    /// A second handle on the current file and its path, so a caller can fsync without
    /// holding the writer (other workers keep appending meanwhile). Files rotated away from
    /// were synced at rotation, so syncing this one covers every reference handed out.
    pub fn sync_handle(&self) -> Result<(File, PathBuf), WarcError> {
        let file = self
            .current
            .file
            .try_clone()
            .map_err(|source| WarcError::Io {
                action: "open a second handle on",
                file: self.current.path.clone(),
                source,
            })?;
        Ok((file, self.current.path.clone()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_are_recognised() {
        let p = "centinela";
        assert_eq!(
            sequence_of("centinela-20261128T182232Z-00001.warc.gz", p),
            Some(1)
        );
        assert_eq!(
            sequence_of("centinela-20261128T182232Z-123456.warc.gz", p),
            Some(123_456)
        );
        assert_eq!(sequence_of("other-20261128T182232Z-00009.warc.gz", p), None);
        assert_eq!(
            sequence_of("centinela-x-20261128T182232Z-00009.warc.gz", p),
            None
        );
        assert_eq!(sequence_of("centinela-20261128T182232Z-.warc.gz", p), None);
    }
}
