//! Checking a bundle, item by item: every file against the manifest, the manifest against
//! its signature, and every capture's WARC record against its digests. A verdict names
//! the exact item that does not hold.

use std::collections::BTreeSet;
use std::path::Path;

use centinela_crawler::warc::{read_capture, CaptureRef};
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
            detail: detail.into(),
        });
    }
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
        if !listed.contains(&extra) && ![MANIFEST, SIGNATURE, PUBLIC_KEY].contains(&extra.as_str())
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
    }
    v
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

/// Every file under `dir`, as bundle-relative paths with `/`.
fn files_in(dir: &Path) -> Vec<String> {
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
