//! WARC files (ISO 28500, WARC/1.1) holding every fetched page as evidence.
//!
//! Why WARC: it is the format courts, archives and investigators already have tools for
//! (`warcio`, pywb, the Wayback Machine), so the evidence can be checked without trusting
//! Centinela's own code. The layout follows what those tools expect:
//!
//! - every record is its own gzip member, so a [`CaptureRef`] (file, offset, length) lets any
//!   tool seek straight to one capture, and a crash can only ever tear the last member;
//! - each file starts with a `warcinfo` record naming the software, and every other record
//!   points back to it with `WARC-Warcinfo-ID`;
//! - an exchange is a `request` record and a `response` record linked by `WARC-Concurrent-To`;
//! - digests are SHA-256, written as `sha256:<base32>` (the form warcio verifies) plus the hex
//!   form in `WARC-Payload-SHA256`, which is what investigators compare with search output.
//!
//! The crawler stores decoded bodies, so the stored HTTP message drops `Content-Encoding` and
//! `Transfer-Encoding` and says what they were in `X-Centinela-Original-*` headers.
//!
//! One process writes a folder at a time: [`WarcWriter::open`] repairs the tails of the files
//! it finds, which would damage a file another live writer is appending to.

mod gzip;
mod parse;
mod reader;
mod record;
mod time;
mod torn;
mod uri;
mod writer;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use reader::{check_request, find_request, read_capture, RequestMember};
pub use torn::repair;
pub use writer::WarcWriter;

/// Where one capture lives: the response record of an exchange.
///
/// This is what the crawler's store keeps for each page, so it has to be enough on its own to
/// find the record again and to prove it is unchanged: the digest is checked on every read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaptureRef {
    /// File name inside the WARC folder (never a path, so a store can move with its folder).
    pub file: String,
    /// Byte offset of the response record's gzip member.
    pub offset: u64,
    /// Bytes of that gzip member.
    pub length: u64,
    /// `<urn:uuid:…>` of the response record.
    pub record_id: String,
    /// Lower-case hex SHA-256 of the stored HTTP payload (the decoded body).
    pub payload_sha256: String,
    /// WARC-Date of the record, e.g. `2026-11-28T18:22:32Z`.
    pub date: String,
}

/// One HTTP exchange as the crawler saw it, borrowed so that writing copies nothing it does
/// not have to.
#[derive(Clone, Copy, Debug)]
pub struct Exchange<'a> {
    /// The URL fetched. IRIs are accepted and stored as their URI form (Punycode host,
    /// percent-encoded path); the original is then kept in `X-Centinela-Target-IRI`.
    pub target_uri: &'a str,
    /// When the response was received.
    pub date: std::time::SystemTime,
    /// Request method, e.g. `GET`.
    pub method: &'a str,
    pub request_headers: &'a [(String, String)],
    pub status: u16,
    /// Reason phrase, e.g. `OK`.
    pub reason: &'a str,
    pub response_headers: &'a [(String, String)],
    /// The DECODED body (already decompressed), as the crawler parsed it.
    pub body: &'a [u8],
}

/// A capture read back from its file, after its digests were verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    pub target_uri: String,
    pub date: String,
    pub status: u16,
    /// The headers as stored (with `Content-Length` of the stored body and the
    /// `X-Centinela-Original-*` headers).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What [`repair`] did to a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repair {
    /// Bytes kept: the file ends with its last complete gzip member.
    pub kept: u64,
    /// Bytes of a torn member removed from the end (0 when the file was intact).
    pub dropped: u64,
}

/// Failures of the WARC layer. Every variant names the file, and the offset where one is
/// known, because an investigator must be able to go and look at the exact bytes.
#[derive(Debug, thiserror::Error)]
pub enum WarcError {
    #[error("cannot {action} {}: {source}", file.display())]
    Io {
        action: &'static str,
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot {action} {} at offset {offset}: {source}", file.display())]
    IoAt {
        action: &'static str,
        file: PathBuf,
        offset: u64,
        #[source]
        source: std::io::Error,
    },
    #[error("corrupt WARC data in {} at offset {offset}: {reason}", file.display())]
    Corrupt {
        file: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error(
        "digest mismatch in {} at offset {offset} ({what}): expected {expected}, found {found}",
        file.display()
    )]
    DigestMismatch {
        file: PathBuf,
        offset: u64,
        what: &'static str,
        expected: String,
        found: String,
    },
    #[error(
        "record in {} at offset {offset} is not the referenced capture: {reason}",
        file.display()
    )]
    WrongRecord {
        file: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error(
        "refusing to repair {}: the damage at offset {offset} is not a torn tail ({reason}); \
         nothing was truncated",
        file.display()
    )]
    Unrepairable {
        file: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error("capture file name {name:?} is not a plain file name inside {}", dir.display())]
    InvalidFileName { dir: PathBuf, name: String },
    #[error(
        "WARC file prefix {prefix:?} for {} must be non-empty ASCII letters, digits, '-', '_' or '.'",
        dir.display()
    )]
    InvalidPrefix { dir: PathBuf, prefix: String },
    #[error(
        "writer of {} is disabled: a failed append could not be rolled back to offset {offset}; \
         reopen the folder so that the file is repaired",
        file.display()
    )]
    Poisoned { file: PathBuf, offset: u64 },
    #[error("no randomness for a WARC-Record-ID in {}: {reason}", file.display())]
    Random { file: PathBuf, reason: String },
}
