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
