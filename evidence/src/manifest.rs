//! `manifest.json`: what a bundle holds, with every file's SHA-256 and every capture's
//! provenance. Its exact bytes are what the unit's key signs (`manifest.sig`).

use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "centinela-evidence/1";
pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
pub const PUBLIC_KEY: &str = "signer.pub";
/// The RFC 3161 timestamp token over `manifest.json`, when a TSA is configured. Beside the
/// manifest, not in it: it covers the manifest's exact bytes.
pub const TIMESTAMP: &str = "manifest.tsr";
/// The unit's Ed25519 signature over `manifest.tsr`. The TSA's signature covers only part
/// of its token (the certificates it adds are unsigned in CMS); this one covers every
/// byte, so any change to the token file is caught.
pub const TIMESTAMP_SIGNATURE: &str = "manifest.tsr.sig";
pub const WARC: &str = "warc/captures.warc.gz";
pub const RECORDS: &str = "records.json";
pub const SUMMARY_TEXT: &str = "summary.txt";
pub const SUMMARY_HTML: &str = "summary.html";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// `centinela 0.1.0`.
    pub tool: String,
    /// RFC 3339, UTC.
    pub exported_at: String,
    pub operator: String,
    pub subject: Subject,
    pub signer: Signer,
    pub files: Vec<FileEntry>,
    pub captures: Vec<CaptureEntry>,
    /// Listings, vendors and posts in `records.json`.
    pub records: usize,
}

/// What was exported: `vendor`, `listing`, `address` or `query`, and its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub kind: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    pub algorithm: String,
    /// Hex of the Ed25519 public key (also in `signer.pub`).
    pub public_key: String,
    pub fingerprint: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// One capture: where its record sits in the bundle, and where and how it was fetched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureEntry {
    pub record_id: String,
    /// The URL fetched (the record's WARC-Target-URI).
    pub url: String,
    pub site: String,
    /// When it was fetched (the record's WARC-Date).
    pub fetched_at: String,
    pub http_status: u16,
    /// SHA-256 of the page as served (also the record's WARC-Payload-Digest).
    pub payload_sha256: String,
    /// How the crawl reached the site (`arti`, `socks5`, `direct`).
    pub transport: String,
    /// The circuit isolation label (site and persona) the fetch used; never a relay.
    pub isolation: String,
    /// The record's gzip member in the bundle's WARC file.
    pub offset: u64,
    pub length: u64,
    /// Where it was copied from in the unit's evidence folder.
    pub source_file: String,
    pub source_offset: u64,
    /// The request record of the same exchange (what was asked, without cookies), copied
    /// just before the response; absent in bundles made before it was copied, or when
    /// the source file has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestEntry>,
}

/// A request record in the bundle's WARC file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEntry {
    pub record_id: String,
    pub offset: u64,
    pub length: u64,
}
