//! Checking a bundle, item by item: every file against the manifest, the manifest against
//! its signature and its RFC 3161 timestamp (when it has one), and every capture's WARC
//! record against its digests. A verdict names the exact item that does not hold.
//!
//! A zipped bundle ([`verify_path`]) is unpacked into a temporary folder first, refusing
//! any entry whose path would leave it (absolute, `..`, a symbolic link) before anything
//! is written; a damaged zip entry is named like a changed file.

use std::collections::BTreeSet;
use std::path::Path;

use centinela_crawler::warc::{check_request, read_capture, CaptureRef};
use data_encoding::HEXLOWER;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};

use crate::keys::fingerprint;
use crate::manifest::*;
use crate::sha256_hex;

/// One checked item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// `file records.json`, `signature`, `capture <urn:uuid:…>`…
    pub what: String,
    pub ok: bool,
    /// Neither holds nor fails: worth saying, not a defect (a bundle without a timestamp).
    pub note: bool,
    pub detail: String,
}

#[derive(Clone, Debug, Default)]
pub struct Verdict {
    pub items: Vec<Item>,
    /// The signer's fingerprint, when the public key could be read.
    pub signer: Option<String>,
    pub manifest_sha256: Option<String>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        !self.items.is_empty() && self.items.iter().all(|i| i.ok)
    }

    fn push(&mut self, what: impl Into<String>, ok: bool, detail: impl Into<String>) {
        self.items.push(Item {
            what: what.into(),
            ok,
            note: false,
            detail: detail.into(),
        });
    }

    fn note(&mut self, what: impl Into<String>, detail: impl Into<String>) {
        self.items.push(Item {
            what: what.into(),
            ok: true,
            note: true,
            detail: detail.into(),
        });
    }
}

/// Verifies a bundle folder, or a bundle zipped by `evidence export --out X.zip` (any
/// file that is not a folder is read as a zip).
pub fn verify_path(path: &Path) -> Verdict {
    if path.is_dir() {
        return verify(path);
    }
    let mut v = Verdict::default();
    let tmp = match tempfile::Builder::new()
        .prefix("centinela-bundle-")
        .tempdir()
    {
        Ok(t) => t,
        Err(e) => {
            v.push(
                "zip",
                false,
                format!("no temporary folder to unpack into: {e}"),
            );
            return v;
        }
    };
    if let Some(top) = unzip(path, tmp.path(), &mut v) {
        let inner = verify(&top);
        v.items.extend(inner.items);
        v.signer = inner.signer;
        v.manifest_sha256 = inner.manifest_sha256;
    }
    v
}

/// Why a zip entry name cannot be unpacked safely, if it cannot: absolute paths, `..`,
/// `.`, empty parts, backslashes, drive letters and NUL bytes are all refused (rather
/// than rewritten, which could make one entry stand in for another).
fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.starts_with('/') {
        return Some("an absolute path");
    }
    if name.contains('\\') || name.contains(':') || name.contains('\0') {
        return Some("a backslash, colon or NUL byte in the path");
    }
    let parts: Vec<&str> = name.trim_end_matches('/').split('/').collect();
    if parts.contains(&"..") {
        return Some("a `..` in the path: it leaves the bundle");
    }
    if parts.iter().any(|p| p.is_empty() || *p == ".") {
        return Some("an empty or `.` part in the path");
    }
    None
}

/// Unpacks the zip `path` into `dest` and returns its one top folder, or `None` (with
/// the reason in `v`) when it cannot be unpacked safely.
fn unzip(path: &Path, dest: &Path, v: &mut Verdict) -> Option<std::path::PathBuf> {
    use std::io::Read;

    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            v.push(
                "zip",
                false,
                format!("{} cannot be read: {e}", path.display()),
            );
            return None;
        }
    };
    let mut zip = match zip::ZipArchive::new(file) {
        Ok(z) => z,
        Err(e) => {
            v.push(
                "zip",
                false,
                format!(
                    "{} is neither a bundle folder nor a readable zip: {e}",
                    path.display()
                ),
            );
            return None;
        }
    };
    // Every name is checked before anything is written.
    let mut tops = BTreeSet::new();
    let mut safe = true;
    for i in 0..zip.len() {
        let name = zip.name_for_index(i).unwrap_or("").to_string();
        if let Some(why) = unsafe_name(&name) {
            v.push(
                format!("zip entry {name:?}"),
                false,
                format!("refused: {why}"),
            );
            safe = false;
        } else if let Some(top) = name.split('/').next() {
            tops.insert(top.to_string());
        }
    }
    if !safe {
        return None;
    }
    let top = match tops.len() {
        1 => tops.into_iter().next().unwrap_or_default(),
        n => {
            v.push(
                "zip",
                false,
                format!("a bundle zip holds one top folder, this one has {n}"),
            );
            return None;
        }
    };
    for i in 0..zip.len() {
        let name = zip.name_for_index(i).unwrap_or("").to_string();
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                v.push(
                    format!("zip entry {name:?}"),
                    false,
                    format!("cannot be read: {e}"),
                );
                continue;
            }
        };
        let rel = name
            .strip_prefix(&top)
            .unwrap_or("")
            .trim_start_matches('/')
            .trim_end_matches('/')
            .to_string();
        let out = dest.join(&name);
        if entry.is_dir() {
            if let Err(e) = std::fs::create_dir_all(&out) {
                v.push(
                    format!("zip entry {name:?}"),
                    false,
                    format!("cannot be unpacked: {e}"),
                );
            }
            continue;
        }
        let what = format!("file {rel}");
        if entry.is_symlink() {
            v.push(what, false, "is a symbolic link in the zip: refused");
            continue;
        }
        if let Some(dir) = out.parent() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                v.push(what, false, format!("cannot be unpacked: {e}"));
                continue;
            }
        }
        // No more than the entry declares: a zip cannot make us fill the disk.
        let declared = entry.size();
        let mut bytes = Vec::new();
        let read = (&mut entry).take(declared + 1).read_to_end(&mut bytes);
        if let Err(e) = read {
            // Kept and written all the same, so the manifest's check names the change too.
            v.push(
                what.clone(),
                false,
                format!("the zip entry is damaged (changed inside the zip): {e}"),
            );
        } else if bytes.len() as u64 > declared {
            v.push(what, false, "the zip entry is larger than it declares");
            continue;
        }
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&out)
            .and_then(|mut f| std::io::Write::write_all(&mut f, &bytes));
        if let Err(e) = written {
            v.push(
                format!("zip entry {name:?}"),
                false,
                format!("cannot be unpacked (twice in the zip?): {e}"),
            );
        }
    }
    Some(dest.join(top))
}

pub fn verify(bundle: &Path) -> Verdict {
    let mut v = Verdict::default();
    let manifest_bytes = match std::fs::read(bundle.join(MANIFEST)) {
        Ok(b) => b,
        Err(e) => {
            v.push(MANIFEST, false, format!("cannot be read: {e}"));
            return v;
        }
    };
    v.manifest_sha256 = Some(sha256_hex(&manifest_bytes));
    check_signature(bundle, &manifest_bytes, &mut v);
    check_timestamp(bundle, &manifest_bytes, &mut v);
    let manifest: Manifest = match serde_json::from_slice(&manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            v.push(MANIFEST, false, format!("is not a bundle manifest: {e}"));
            return v;
        }
    };
    if manifest.format != FORMAT {
        v.push(
            MANIFEST,
            false,
            format!("unknown format {:?}", manifest.format),
        );
        return v;
    }
    let mut listed = BTreeSet::new();
    for f in &manifest.files {
        listed.insert(f.path.clone());
        let what = format!("file {}", f.path);
        if f.path.contains("..") || f.path.starts_with('/') {
            v.push(what, false, "the path leaves the bundle");
            continue;
        }
        match std::fs::read(bundle.join(&f.path)) {
            Err(e) => v.push(what, false, format!("cannot be read: {e}")),
            Ok(bytes) => {
                let sha = sha256_hex(&bytes);
                if sha != f.sha256 {
                    v.push(
                        what,
                        false,
                        format!("SHA-256 is {sha}, the manifest says {}", f.sha256),
                    );
                } else if bytes.len() as u64 != f.size {
                    v.push(
                        what,
                        false,
                        format!("{} bytes, the manifest says {}", bytes.len(), f.size),
                    );
                } else {
                    v.push(what, true, format!("SHA-256 {sha}"));
                }
            }
        }
    }
    for extra in files_in(bundle) {
        if !listed.contains(&extra)
            && ![
                MANIFEST,
                SIGNATURE,
                PUBLIC_KEY,
                TIMESTAMP,
                TIMESTAMP_SIGNATURE,
            ]
            .contains(&extra.as_str())
        {
            v.push(
                format!("file {extra}"),
                false,
                "is not listed in the manifest",
            );
        }
    }
    let warc_dir = bundle.join(Path::new(WARC).parent().unwrap_or(Path::new("")));
    let warc_name = Path::new(WARC)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for c in &manifest.captures {
        let what = format!("capture {} ({})", c.record_id, c.url);
        let reference = CaptureRef {
            file: warc_name.clone(),
            offset: c.offset,
            length: c.length,
            record_id: c.record_id.clone(),
            payload_sha256: c.payload_sha256.clone(),
            date: c.fetched_at.clone(),
        };
        match read_capture(&warc_dir, &reference) {
            Ok(r) if r.target_uri != c.url => v.push(
                what,
                false,
                format!(
                    "the record is for {}, not the URL in the manifest",
                    r.target_uri
                ),
            ),
            Ok(_) => v.push(what, true, format!("payload SHA-256 {}", c.payload_sha256)),
            Err(e) => v.push(what, false, e.to_string()),
        }
        if let Some(r) = &c.request {
            let what = format!("request {} ({})", r.record_id, c.url);
            match read_range(&warc_dir.join(&warc_name), r.offset, r.length)
                .and_then(|bytes| check_request(&bytes, &c.record_id))
            {
                Ok(id) if id == r.record_id => {
                    v.push(what, true, "the request record of this capture".to_string())
                }
                Ok(id) => v.push(
                    what,
                    false,
                    format!("the record there is {id}, not the one in the manifest"),
                ),
                Err(e) => v.push(what, false, e),
            }
        }
    }
    v
}

/// `length` bytes of `file` from `offset`.
fn read_range(file: &Path, offset: u64, length: u64) -> Result<Vec<u8>, String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    f.seek(SeekFrom::Start(offset))
        .map_err(|e| format!("{} at {offset}: {e}", file.display()))?;
    let len = usize::try_from(length).map_err(|e| e.to_string())?;
    if len > 16 * 1024 * 1024 {
        return Err(format!(
            "a request record of {length} bytes is not plausible"
        ));
    }
    let mut buf = vec![0u8; len];
    f.read_exact(&mut buf)
        .map_err(|e| format!("{} at {offset}: {e}", file.display()))?;
    Ok(buf)
}

fn check_signature(bundle: &Path, manifest: &[u8], v: &mut Verdict) {
    let read_hex = |name: &str| -> Result<Vec<u8>, String> {
        let text = std::fs::read_to_string(bundle.join(name))
            .map_err(|e| format!("{name} cannot be read: {e}"))?;
        HEXLOWER
            .decode(text.trim().as_bytes())
            .map_err(|e| format!("{name} is not hex: {e}"))
    };
    let key = read_hex(PUBLIC_KEY).and_then(|b| {
        let bytes: [u8; 32] = b
            .try_into()
            .map_err(|_| format!("{PUBLIC_KEY} is not an Ed25519 public key"))?;
        VerifyingKey::from_bytes(&bytes).map_err(|e| format!("{PUBLIC_KEY}: {e}"))
    });
    let sig = read_hex(SIGNATURE).and_then(|b| {
        let bytes: [u8; 64] = b
            .try_into()
            .map_err(|_| format!("{SIGNATURE} is not an Ed25519 signature"))?;
        Ok(Signature::from_bytes(&bytes))
    });
    match (key, sig) {
        (Ok(key), Ok(sig)) => {
            let fp = fingerprint(&key);
            v.signer = Some(fp.clone());
            let named: Option<String> = serde_json::from_slice::<serde_json::Value>(manifest)
                .ok()
                .and_then(|m| m["signer"]["public_key"].as_str().map(str::to_string));
            if named.as_deref() != Some(HEXLOWER.encode(key.as_bytes()).as_str()) {
                v.push(
                    "signature",
                    false,
                    format!("{PUBLIC_KEY} is not the key the manifest names"),
                );
            } else if key.verify(manifest, &sig).is_ok() {
                v.push(
                    "signature",
                    true,
                    format!("manifest.json signed by key {fp}"),
                );
            } else {
                v.push(
                    "signature",
                    false,
                    "does not match manifest.json: the manifest or the signature was changed",
                );
            }
        }
        (Err(e), _) | (_, Err(e)) => v.push("signature", false, e),
    }
}

/// The RFC 3161 token beside the manifest, if there is one. Its absence is no defect
/// (timestamps are optional), but is said, since the export time is then the unit's word.
fn check_timestamp(bundle: &Path, manifest: &[u8], v: &mut Verdict) {
    let token = match std::fs::read(bundle.join(TIMESTAMP)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            v.note(
                "timestamp",
                format!("none ({TIMESTAMP} is absent): when the bundle was made rests on the exporting unit's own clock"),
            );
            return;
        }
        Err(e) => {
            v.push(
                "timestamp",
                false,
                format!("{TIMESTAMP} cannot be read: {e}"),
            );
            return;
        }
    };
    match crate::timestamp::check(&token, manifest) {
        // The TSA's signature leaves the certificates it added unprotected; the unit's
        // covers every byte of the token as it was received.
        Ok(s) => match unit_signature(bundle, &token) {
            Err(why) => v.push("timestamp", false, why),
            Ok(()) => v.push(
                "timestamp",
                true,
                format!(
                    "manifest.json existed at {} (RFC 3161 token from TSA {}, certificate SHA-256 {})",
                    s.gen_time, s.tsa_subject, s.tsa_fingerprint
                ),
            ),
        },
        Err(crate::EvidenceError::Timestamp(
            e @ centinela_timestamp::TimestampError::ImprintMismatch { .. },
        )) => v.push(
            "timestamp",
            false,
            format!("{TIMESTAMP} does not cover this manifest.json (changed after it was timestamped): {e}"),
        ),
        Err(crate::EvidenceError::Timestamp(e)) => {
            v.push("timestamp", false, format!("{TIMESTAMP}: {e}"))
        }
        Err(e) => v.push("timestamp", false, format!("{TIMESTAMP}: {e}")),
    }
}

/// Whether `manifest.tsr.sig` is the bundle's signer's signature over `token`.
fn unit_signature(bundle: &Path, token: &[u8]) -> Result<(), String> {
    let read = |name: &str| -> Result<Vec<u8>, String> {
        let text = std::fs::read_to_string(bundle.join(name))
            .map_err(|e| format!("{name} cannot be read: {e}"))?;
        HEXLOWER
            .decode(text.trim().as_bytes())
            .map_err(|e| format!("{name} is not hex: {e}"))
    };
    let key: [u8; 32] = read(PUBLIC_KEY)?
        .try_into()
        .map_err(|_| format!("{PUBLIC_KEY} is not an Ed25519 public key"))?;
    let key = VerifyingKey::from_bytes(&key).map_err(|e| format!("{PUBLIC_KEY}: {e}"))?;
    let sig: [u8; 64] = read(TIMESTAMP_SIGNATURE)?
        .try_into()
        .map_err(|_| format!("{TIMESTAMP_SIGNATURE} is not an Ed25519 signature"))?;
    key.verify(token, &Signature::from_bytes(&sig)).map_err(|_| {
        format!("{TIMESTAMP} was changed after export: its bytes no longer match {TIMESTAMP_SIGNATURE}, the unit's signature over them")
    })
}

/// Every file under `dir`, as bundle-relative paths with `/`.
pub(crate) fn files_in(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(path: &Path, names: &[&str]) {
        let f = std::fs::File::create(path).expect("create");
        let mut z = zip::ZipWriter::new(f);
        for name in names {
            z.start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("entry");
            z.write_all(b"x").expect("write");
        }
        z.finish().expect("finish");
    }

    #[test]
    fn a_zip_entry_leaving_the_folder_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().expect("tmp");
        for bad in [
            "../escaped",
            "/tmp/escaped-abs",
            "b/../../escaped",
            "b\\..\\x",
        ] {
            let path = dir.path().join("evil.zip");
            zip_with(&path, &["b/manifest.json", bad]);
            let v = verify_path(&path);
            assert!(!v.ok());
            let item = v
                .items
                .iter()
                .find(|i| i.what == format!("zip entry {bad:?}"))
                .unwrap_or_else(|| panic!("{bad} named: {:?}", v.items));
            assert!(item.detail.starts_with("refused"), "{item:?}");
            assert!(!dir.path().join("escaped").exists());
            assert!(!Path::new("/tmp/escaped-abs").exists());
            assert_eq!(v.items.len(), 1, "nothing else was unpacked: {:?}", v.items);
        }
    }

    #[test]
    fn a_zip_must_hold_one_folder_and_a_non_zip_is_named() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("two.zip");
        zip_with(&path, &["a/manifest.json", "b/manifest.json"]);
        let v = verify_path(&path);
        assert!(
            !v.ok() && v.items[0].detail.contains("one top folder"),
            "{:?}",
            v.items
        );
        let path = dir.path().join("not.zip");
        std::fs::write(&path, b"hello").expect("write");
        let v = verify_path(&path);
        assert!(!v.ok() && v.items[0].what == "zip", "{:?}", v.items);
    }
}
