//! Reading one capture back, with every check the evidence allows.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Component, Path};

use data_encoding::HEXLOWER;

use super::gzip::{self, Member};
use super::{parse, record, CaptureRef, StoredResponse, WarcError};

/// Reads back the response of one capture and checks its SHA-256 against the reference.
///
/// Also checks the gzip CRC-32, that the member is exactly `length` bytes, that it is the
/// record the reference names, and the record's own block and payload digests: a reference
/// that reads back at all reads back unchanged.
pub fn read_capture(dir: &Path, capture: &CaptureRef) -> Result<StoredResponse, WarcError> {
    let mut components = Path::new(&capture.file).components();
    let plain = matches!(
        (components.next(), components.next()),
        (Some(Component::Normal(_)), None)
    );
    if !plain || capture.file.contains(['/', '\\']) {
        return Err(WarcError::InvalidFileName {
            dir: dir.to_path_buf(),
            name: capture.file.clone(),
        });
    }
    let path = dir.join(&capture.file);
    let offset = capture.offset;
    let corrupt = |reason: String| WarcError::Corrupt {
        file: path.clone(),
        offset,
        reason,
    };
    let io_at = |action, source| WarcError::IoAt {
        action,
        file: path.clone(),
        offset,
        source,
    };

    let mut file = File::open(&path).map_err(|source| WarcError::Io {
        action: "open",
        file: path.clone(),
        source,
    })?;
    let file_len = file
        .metadata()
        .map_err(|source| io_at("stat", source))?
        .len();
    if offset
        .checked_add(capture.length)
        .is_none_or(|end| end > file_len)
    {
        return Err(corrupt(format!(
            "reference of {} bytes runs past the end of the file ({file_len} bytes)",
            capture.length
        )));
    }
    file.seek(SeekFrom::Start(offset))
        .map_err(|source| io_at("seek in", source))?;
    let mut src = BufReader::with_capacity(64 * 1024, file.take(capture.length));
    let mut content = Vec::new();
    let member = gzip::decode_member(&mut src, &mut |chunk| {
        content.extend_from_slice(chunk);
        Ok(())
    })
    .map_err(|source| io_at("read", source))?;
    match member {
        Member::Complete { compressed_len, .. } if compressed_len == capture.length => {}
        Member::Complete { compressed_len, .. } => {
            return Err(corrupt(format!(
                "gzip member is {compressed_len} bytes, the reference says {}",
                capture.length
            )))
        }
        Member::Truncated => {
            return Err(corrupt(format!(
                "gzip member is longer than the referenced {} bytes",
                capture.length
            )))
        }
        Member::Corrupt(reason) => return Err(corrupt(reason)),
    }

    let rec = parse::record(&content).map_err(corrupt)?;
    let wrong = |reason: String| WarcError::WrongRecord {
        file: path.clone(),
        offset,
        reason,
    };
    let rec_type = rec.header("WARC-Type").unwrap_or_default();
    if rec_type != "response" {
        return Err(wrong(format!(
            "WARC-Type is {rec_type:?}, not \"response\""
        )));
    }
    let record_id = rec.header("WARC-Record-ID").unwrap_or_default();
    if record_id != capture.record_id {
        return Err(wrong(format!(
            "WARC-Record-ID is {record_id}, the reference says {}",
            capture.record_id
        )));
    }
    let date = rec.header("WARC-Date").unwrap_or_default().to_string();
    if date != capture.date {
        return Err(wrong(format!(
            "WARC-Date is {date}, the reference says {}",
            capture.date
        )));
    }

    let mismatch = |what, expected: &str, found: String| WarcError::DigestMismatch {
        file: path.clone(),
        offset,
        what,
        expected: expected.to_string(),
        found,
    };
    if let Some(stated) = rec.header("WARC-Block-Digest") {
        let actual = record::warc_digest(&record::sha256(&[rec.block]));
        if stated != actual {
            return Err(mismatch("WARC-Block-Digest", stated, actual));
        }
    }
    let http = parse::http_response(rec.block).map_err(corrupt)?;
    let payload = record::sha256(&[http.body]);
    let hex = HEXLOWER.encode(&payload);
    if !hex.eq_ignore_ascii_case(&capture.payload_sha256) {
        return Err(mismatch(
            "payload SHA-256 of the reference",
            &capture.payload_sha256,
            hex,
        ));
    }
    if let Some(stated) = rec.header("WARC-Payload-Digest") {
        let actual = record::warc_digest(&payload);
        if stated != actual {
            return Err(mismatch("WARC-Payload-Digest", stated, actual));
        }
    }
    if let Some(stated) = rec.header("WARC-Payload-SHA256") {
        if !stated.eq_ignore_ascii_case(&hex) {
            return Err(mismatch("WARC-Payload-SHA256", stated, hex));
        }
    }

    Ok(StoredResponse {
        target_uri: rec
            .header("WARC-Target-URI")
            .unwrap_or_default()
            .to_string(),
        date,
        status: http.status,
        headers: http.headers,
        body: http.body.to_vec(),
    })
}

/// The request record of a capture, as stored: its own gzip member, which the writer puts
/// just before the response's in the same write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestMember {
    pub offset: u64,
    pub length: u64,
    /// `<urn:uuid:…>` of the request record.
    pub record_id: String,
    /// The member's bytes, exactly as in the file.
    pub bytes: Vec<u8>,
}

/// How far before a response its request may start: a request record is a few hundred
/// bytes of headers, compressed.
const REQUEST_WINDOW: u64 = 64 * 1024;

/// Finds the request record that goes with `capture`'s response: the gzip member that ends
/// exactly where the response begins, is a `request` record, names the response in
/// `WARC-Concurrent-To` and has a matching block digest. The store keeps only the
/// response's place, so the member is found by trying each gzip header in the bytes just
/// before it; every check must hold, so a false start is never taken. `None` when there is
/// no such record (a file written by another tool).
pub fn find_request(dir: &Path, capture: &CaptureRef) -> Result<Option<RequestMember>, WarcError> {
    let path = dir.join(&capture.file);
    let start = capture.offset.saturating_sub(REQUEST_WINDOW);
    let mut file = File::open(&path).map_err(|source| WarcError::Io {
        action: "open",
        file: path.clone(),
        source,
    })?;
    file.seek(SeekFrom::Start(start))
        .map_err(|source| WarcError::IoAt {
            action: "seek in",
            file: path.clone(),
            offset: start,
            source,
        })?;
    let mut window = vec![0u8; (capture.offset - start) as usize];
    file.read_exact(&mut window)
        .map_err(|source| WarcError::IoAt {
            action: "read",
            file: path.clone(),
            offset: start,
            source,
        })?;
    // Nearest first: the true start is usually the last gzip header before the response.
    for at in (0..window.len().saturating_sub(2)).rev() {
        if window[at..at + 3] != [0x1f, 0x8b, 0x08] {
            continue;
        }
        if let Ok(record_id) = check_request(&window[at..], &capture.record_id) {
            return Ok(Some(RequestMember {
                offset: start + at as u64,
                length: (window.len() - at) as u64,
                record_id,
                bytes: window[at..].to_vec(),
            }));
        }
    }
    Ok(None)
}

/// Checks that `member` is exactly one complete gzip member holding the request record of
/// the response `response_id`, with a matching block digest; returns the request's id.
pub fn check_request(member: &[u8], response_id: &str) -> Result<String, String> {
    let mut src = member;
    let mut content = Vec::new();
    let decoded = gzip::decode_member(&mut src, &mut |chunk| {
        content.extend_from_slice(chunk);
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    match decoded {
        Member::Complete { compressed_len, .. } if compressed_len == member.len() as u64 => {}
        Member::Complete { compressed_len, .. } => {
            return Err(format!(
                "gzip member is {compressed_len} bytes, not {}",
                member.len()
            ))
        }
        Member::Truncated => return Err("gzip member is truncated".into()),
        Member::Corrupt(reason) => return Err(reason),
    }
    let rec = parse::record(&content)?;
    let kind = rec.header("WARC-Type").unwrap_or_default();
    if kind != "request" {
        return Err(format!("WARC-Type is {kind:?}, not \"request\""));
    }
    let concurrent = rec.header("WARC-Concurrent-To").unwrap_or_default();
    if concurrent != response_id {
        return Err(format!(
            "WARC-Concurrent-To is {concurrent}, not the response {response_id}"
        ));
    }
    if let Some(stated) = rec.header("WARC-Block-Digest") {
        let actual = record::warc_digest(&record::sha256(&[rec.block]));
        if stated != actual {
            return Err(format!(
                "WARC-Block-Digest says {stated}, the block is {actual}"
            ));
        }
    }
    Ok(rec.header("WARC-Record-ID").unwrap_or_default().to_string())
}
