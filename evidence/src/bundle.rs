//! Writing a bundle. Each capture is read back and checked in the unit's WARC files
//! first (digests, record id, length), then its gzip member is copied byte for byte, so
//! the bundle's WARC file is a sequence of the original records, readable by any WARC
//! tool and comparable bit for bit with the originals.

use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use centinela_crawler::warc::{find_request, read_capture, CaptureRef};
use centinela_index::store::{Capture, StoredRecord};
use data_encoding::HEXLOWER;
use ed25519_dalek::{Signer as _, SigningKey};

use crate::keys::fingerprint;
use crate::manifest::*;
use crate::{io, sha256_hex, summary, EvidenceError};

pub struct ExportInput<'a> {
    pub subject: Subject,
    pub records: &'a [StoredRecord],
    /// The unit's evidence folder (`<data dir>/warc`).
    pub warc_dir: &'a Path,
    /// A folder that does not exist yet (or is empty).
    pub out: &'a Path,
    pub operator: &'a str,
    pub tool: &'a str,
    pub transport: &'a str,
    pub exported_at: &'a str,
    pub key: &'a SigningKey,
}

/// What was written.
#[derive(Debug)]
pub struct Exported {
    pub manifest: Manifest,
    /// SHA-256 of `manifest.json` (what the custody log records).
    pub manifest_sha256: String,
    pub dir: PathBuf,
}

fn captures_of(record: &StoredRecord) -> Option<(&str, &Capture)> {
    match record {
        StoredRecord::Listing(l) => Some((l.site.as_str(), &l.capture)),
        StoredRecord::Vendor(v) => v.capture.as_ref().map(|c| (v.site.as_str(), c)),
        StoredRecord::Post(p) => Some((p.site.as_str(), &p.capture)),
    }
}

/// A record's kind and a one-line title, for the summary.
fn title(record: &StoredRecord) -> (String, String) {
    match record {
        StoredRecord::Listing(l) => (
            "listing".into(),
            format!("{} — {} ({})", l.listing.title, l.listing.url, l.site),
        ),
        StoredRecord::Vendor(v) => ("vendor".into(), format!("{} ({})", v.handle, v.site)),
        StoredRecord::Post(p) => (
            "post".into(),
            format!(
                "{} — {} ({})",
                p.post
                    .thread_title
                    .as_deref()
                    .unwrap_or("(sin título / untitled)"),
                p.post.url,
                p.site
            ),
        ),
    }
}

pub fn export(input: &ExportInput<'_>) -> Result<Exported, EvidenceError> {
    let out = input.out;
    if out.exists() && std::fs::read_dir(out).map_err(io(out))?.next().is_some() {
        return Err(EvidenceError::Bundle(format!(
            "{} is not empty: a bundle goes into a new folder",
            out.display()
        )));
    }
    if input.records.is_empty() {
        return Err(EvidenceError::Bundle(
            "nothing matched: no records to export".into(),
        ));
    }
    let warc_path = out.join(WARC);
    if let Some(dir) = warc_path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut warc = std::fs::File::create(&warc_path).map_err(io(&warc_path))?;
    let mut offset = 0u64;
    let mut seen = BTreeSet::new();
    let mut captures = Vec::new();
    for record in input.records {
        let Some((site, c)) = captures_of(record) else {
            continue;
        };
        if !seen.insert(c.record_id.clone()) {
            continue;
        }
        let reference = CaptureRef {
            file: c.file.clone(),
            offset: c.offset,
            length: c.length,
            record_id: c.record_id.clone(),
            payload_sha256: c.sha256.clone(),
            date: c.warc_date.clone(),
        };
        let fail = |reason: String| EvidenceError::Capture {
            record_id: c.record_id.clone(),
            file: c.file.clone(),
            reason,
        };
        // The original must read back intact before it is copied as evidence.
        let response = read_capture(input.warc_dir, &reference).map_err(|e| fail(e.to_string()))?;
        // Its request record goes first, as in the source file (found and checked there).
        let request = find_request(input.warc_dir, &reference).map_err(|e| fail(e.to_string()))?;
        let request = match request {
            Some(r) => {
                warc.write_all(&r.bytes).map_err(io(&warc_path))?;
                let entry = RequestEntry {
                    record_id: r.record_id,
                    offset,
                    length: r.length,
                };
                offset += r.length;
                Some(entry)
            }
            None => None,
        };
        let source = input.warc_dir.join(&c.file);
        let mut f = std::fs::File::open(&source).map_err(io(&source))?;
        f.seek(SeekFrom::Start(c.offset)).map_err(io(&source))?;
        let mut member = vec![0u8; usize::try_from(c.length).map_err(|e| fail(e.to_string()))?];
        f.read_exact(&mut member).map_err(io(&source))?;
        warc.write_all(&member).map_err(io(&warc_path))?;
        captures.push(CaptureEntry {
            record_id: c.record_id.clone(),
            url: response.target_uri,
            site: site.to_string(),
            fetched_at: c.warc_date.clone(),
            http_status: response.status,
            payload_sha256: c.sha256.clone(),
            transport: input.transport.to_string(),
            isolation: format!("site:{site}/persona:default"),
            offset,
            length: c.length,
            source_file: c.file.clone(),
            source_offset: c.offset,
            request,
        });
        offset += c.length;
    }
    warc.sync_all().map_err(io(&warc_path))?;
    drop(warc);

    let records_json = serde_json::to_vec_pretty(input.records)
        .map_err(|e| EvidenceError::Bundle(e.to_string()))?;
    write(out, RECORDS, &records_json)?;
    let public = input.key.verifying_key();
    let mut manifest = Manifest {
        format: FORMAT.into(),
        tool: input.tool.into(),
        exported_at: input.exported_at.into(),
        operator: input.operator.into(),
        subject: input.subject.clone(),
        signer: Signer {
            algorithm: "ed25519".into(),
            public_key: HEXLOWER.encode(public.as_bytes()),
            fingerprint: fingerprint(&public),
        },
        files: Vec::new(),
        captures,
        records: input.records.len(),
    };
    let titles: Vec<(String, String)> = input.records.iter().map(title).collect();
    write(
        out,
        SUMMARY_TEXT,
        summary::text(&manifest, &titles).as_bytes(),
    )?;
    write(
        out,
        SUMMARY_HTML,
        summary::html(&manifest, &titles).as_bytes(),
    )?;
    for path in [WARC, RECORDS, SUMMARY_TEXT, SUMMARY_HTML] {
        let bytes = std::fs::read(out.join(path)).map_err(io(&out.join(path)))?;
        manifest.files.push(FileEntry {
            path: path.into(),
            sha256: sha256_hex(&bytes),
            size: bytes.len() as u64,
        });
    }
    let manifest_bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|e| EvidenceError::Bundle(e.to_string()))?;
    write(out, MANIFEST, &manifest_bytes)?;
    let signature = input.key.sign(&manifest_bytes);
    write(
        out,
        SIGNATURE,
        format!("{}\n", HEXLOWER.encode(&signature.to_bytes())).as_bytes(),
    )?;
    write(
        out,
        PUBLIC_KEY,
        format!("{}\n", HEXLOWER.encode(public.as_bytes())).as_bytes(),
    )?;
    Ok(Exported {
        manifest_sha256: sha256_hex(&manifest_bytes),
        manifest,
        dir: out.to_path_buf(),
    })
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), EvidenceError> {
    write_file(&dir.join(name), bytes)
}

/// Writes and syncs a file: a bundle is evidence, it must be on disk when we say so.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), EvidenceError> {
    let mut f = std::fs::File::create(path).map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// Packs the finished bundle in `dir` into the new zip file `zip_path`, every file under
/// the top folder `top` (so unpacking it gives one folder, as exported).
///
/// The WARC file (and any other `.gz`) is *stored*, not deflated: it is gzip already, and
/// stored its records sit in the zip byte for byte as they are in the unit's WARC files,
/// so the byte-identity of the evidence holds inside the zip too. The other files are
/// deflated. Entry times are fixed (1980-01-01, the zip epoch): the manifest carries the
/// export time, and the same bundle always packs to the same bytes.
pub fn zip_bundle(dir: &Path, zip_path: &Path, top: &str) -> Result<(), EvidenceError> {
    use zip::write::SimpleFileOptions;
    use zip::CompressionMethod;

    let fail = |reason: String| EvidenceError::Zip {
        path: zip_path.to_path_buf(),
        reason,
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(zip_path)
        .map_err(io(zip_path))?;
    let mut zip = zip::ZipWriter::new(file);
    let base = SimpleFileOptions::default()
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut folders = BTreeSet::new();
    for rel in crate::verify::files_in(dir) {
        // The folders leading to the file, each once, before it (as `zip -r` writes them).
        let parts: Vec<&str> = rel.split('/').collect();
        let mut folder = top.to_string();
        for i in 0..parts.len() {
            if i > 0 {
                folder = format!("{folder}/{}", parts[i - 1]);
            }
            if folders.insert(folder.clone()) {
                zip.add_directory(format!("{folder}/"), base.unix_permissions(0o755))
                    .map_err(|e| fail(e.to_string()))?;
            }
        }
        let method = if rel.ends_with(".gz") {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        zip.start_file(format!("{top}/{rel}"), base.compression_method(method))
            .map_err(|e| fail(e.to_string()))?;
        let path = dir.join(&rel);
        let mut f = std::fs::File::open(&path).map_err(io(&path))?;
        std::io::copy(&mut f, &mut zip).map_err(io(&path))?;
    }
    let file = zip.finish().map_err(|e| fail(e.to_string()))?;
    file.sync_all().map_err(io(zip_path))
}
