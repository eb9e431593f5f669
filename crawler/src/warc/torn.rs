//! Cutting the torn tail a crash leaves in a WARC file.
//!
//! The writer appends whole gzip members with one write each, so a crash (kill -9, power
//! loss) can only leave a *prefix* of the last member at the end, possibly followed by zeros
//! on file systems that extend the size before the data lands. Exactly that — and nothing
//! else — is removed. Damage of any other shape (a flipped bit, a foreign file) is reported
//! and the file is left alone: silently cutting evidence is worse than refusing to start.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::gzip::{self, Member};
use super::{parse, Repair, WarcError};

/// How far back from the end the quick check looks for the start of the last member before
/// giving up and walking the whole file. Larger records are rare; they only cost time.
const TAIL_WINDOW: u64 = 256 * 1024 * 1024;

/// Truncates a file after its last complete gzip member (a crash mid-append leaves a torn
/// member); returns how many bytes were kept and dropped. Never drops a complete record.
///
/// An intact file costs about one record's decompression (its last member is found from the
/// end); only a torn file is walked member by member from the start.
///
/// Errors with [`WarcError::Unrepairable`] (file untouched) when what follows the last
/// complete member is not a torn member: dropping it could lose evidence.
pub fn repair(path: &Path) -> Result<Repair, WarcError> {
    let io = |action: &'static str| {
        move |source: io::Error| WarcError::Io {
            action,
            file: path.to_path_buf(),
            source,
        }
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io("open for repair"))?;
    let len = file.metadata().map_err(io("stat"))?.len();
    if len == 0 || tail_is_complete(&mut file, len).map_err(io("check the tail of"))? {
        return Ok(Repair {
            kept: len,
            dropped: 0,
        });
    }

    let (good_end, failure) = walk(&mut file, len).map_err(io("scan"))?;
    let Some(failure) = failure else {
        return Ok(Repair {
            kept: len,
            dropped: 0,
        });
    };
    if let Member::Corrupt(reason) = failure {
        if !torn_then_zeros(&mut file, good_end, len).map_err(io("scan"))? {
            return Err(WarcError::Unrepairable {
                file: path.to_path_buf(),
                offset: good_end,
                reason,
            });
        }
    }
    file.set_len(good_end).map_err(io("truncate"))?;
    file.sync_all().map_err(io("fsync"))?;
    Ok(Repair {
        kept: good_end,
        dropped: len - good_end,
    })
}

/// Decodes the member at `at`, reading at most `limit` bytes. With `want_record`, also
/// reports whether its content is one well-formed WARC record (and stops early when it
/// visibly is not).
fn member_at(
    file: &mut File,
    at: u64,
    limit: u64,
    want_record: bool,
) -> io::Result<(Member, bool)> {
    file.seek(SeekFrom::Start(at))?;
    let mut src = BufReader::with_capacity(256 * 1024, Read::by_ref(file).take(limit));
    let mut head = Vec::new();
    let mut total = 0u64;
    let mut last4 = [0u8; 4];
    let mut not_a_record = false;
    let result = gzip::decode_member(&mut src, &mut |chunk| {
        if !want_record {
            return Ok(());
        }
        if head.len() < 64 * 1024 {
            let room = 64 * 1024 - head.len();
            head.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
            let probe = head.len().min(7);
            if head.get(..probe) != b"WARC/1.".get(..probe) {
                not_a_record = true;
                return Err(io::Error::other("not a WARC record"));
            }
        }
        total += chunk.len() as u64;
        for &b in chunk.iter().rev().take(4).rev() {
            last4.rotate_left(1);
            last4[3] = b;
        }
        Ok(())
    });
    let member = match result {
        Ok(member) => member,
        Err(_) if not_a_record => return Ok((Member::Corrupt("not a WARC record".into()), false)),
        Err(e) => return Err(e),
    };
    let is_record = want_record
        && matches!(member, Member::Complete { .. })
        && parse::warc_head(&head)
            .is_ok_and(|h| total == h.len as u64 + h.content_length + 4 && &last4 == b"\r\n\r\n");
    Ok((member, is_record))
}

/// The quick check: is the last gzip member (found by searching back for its magic) a
/// complete WARC record that ends exactly at the end of the file?
///
/// Bytes that merely look like a gzip header inside compressed data are skipped because they
/// do not decode to a complete WARC record. Only a complete record, *not* at the end, stops
/// the search early: the file then has something after its last record and gets the full walk.
fn tail_is_complete(file: &mut File, len: u64) -> io::Result<bool> {
    const CHUNK: u64 = 1024 * 1024;
    let floor = len.saturating_sub(TAIL_WINDOW);
    let mut end = len;
    while end > floor {
        let start = end.saturating_sub(CHUNK).max(floor);
        // Read two bytes past the chunk so a magic straddling the boundary is seen.
        let read_end = (end + 2).min(len);
        let mut buf = vec![0u8; usize::try_from(read_end - start).map_err(io::Error::other)?];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf)?;
        let candidates = buf
            .windows(3)
            .enumerate()
            .filter(|(i, w)| *w == [0x1f, 0x8b, 0x08] && start + (*i as u64) < end)
            .map(|(i, _)| start + i as u64)
            .collect::<Vec<_>>();
        for &c in candidates.iter().rev() {
            let (member, is_record) = member_at(file, c, len - c, true)?;
            if let (Member::Complete { compressed_len, .. }, true) = (member, is_record) {
                return Ok(c + compressed_len == len);
            }
        }
        end = start;
    }
    Ok(false)
}

/// Walks the members from the start; returns where the last complete one ends and, if the
/// walk stopped before the end of the file, why.
fn walk(file: &mut File, len: u64) -> io::Result<(u64, Option<Member>)> {
    file.seek(SeekFrom::Start(0))?;
    let mut src = BufReader::with_capacity(1024 * 1024, Read::by_ref(file).take(len));
    let mut pos = 0;
    while pos < len {
        match gzip::decode_member(&mut src, &mut |_| Ok(()))? {
            Member::Complete { compressed_len, .. } => pos += compressed_len,
            other => return Ok((pos, Some(other))),
        }
    }
    Ok((pos, None))
}

/// Is `[from, len)` a valid prefix of one gzip member followed only by zero bytes (or only
/// zeros)? That is what an append torn by power loss can look like.
fn torn_then_zeros(file: &mut File, from: u64, len: u64) -> io::Result<bool> {
    const CHUNK: u64 = 1024 * 1024;
    let mut end = len;
    let mut last_nonzero = None;
    while end > from && last_nonzero.is_none() {
        let start = end.saturating_sub(CHUNK).max(from);
        let mut buf = vec![0u8; usize::try_from(end - start).map_err(io::Error::other)?];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf)?;
        last_nonzero = buf.iter().rposition(|&b| b != 0).map(|i| start + i as u64);
        end = start;
    }
    let Some(last) = last_nonzero else {
        return Ok(true);
    };
    let (member, _) = member_at(file, from, last + 1 - from, false)?;
    Ok(member == Member::Truncated)
}
