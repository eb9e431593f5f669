//! An investigator exports the evidence on a vendor for the case file; the prosecutor's
//! expert verifies the bundle anywhere; a single changed byte in any file is caught and
//! the item named; the custody log shows who exported and verified, and betrays a
//! deleted entry.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{run, samples, Served};

const BIN: &str = env!("CARGO_BIN_EXE_centinela");

fn copy_tree(from: &Path, to: &Path) {
    support::copy_dir(from, to);
}

/// Flips one bit of the byte at `at` (a hex digit stays a hex digit: 0↔1, a↔b…).
fn flip(path: &Path, at: usize) {
    let mut b = std::fs::read(path).unwrap();
    b[at] ^= 0x01;
    std::fs::write(path, b).unwrap();
}

fn verify(bundle: &Path) -> (i32, String) {
    let out = Command::new(BIN)
        .args([
            "--config",
            "/nonexistent/centinela.toml",
            "evidence",
            "verify",
        ])
        .arg(bundle)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn an_exported_bundle_verifies_and_every_changed_byte_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path(), &samples(), 0);
    let (code, _, err) = run(&served.config, &["crawl", "--json"]);
    assert_eq!(code, 0, "{err}");
    let pass = dir.path().join("passphrase");
    std::fs::write(&pass, "frase de la unidad\n").unwrap();
    let pass_arg = pass.to_str().unwrap();
    let (code, out, err) = run(
        &served.config,
        &["evidence", "keygen", "--passphrase-file", pass_arg],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("fingerprint: "), "{out}");

    let bundle = dir.path().join("caso-2026-114");
    let (code, out, err) = run(
        &served.config,
        &[
            "evidence",
            "export",
            "--vendor",
            "condorblanco",
            "--out",
            bundle.to_str().unwrap(),
            "--operator",
            "inv.quispe",
            "--passphrase-file",
            pass_arg,
        ],
    );
    assert_eq!(code, 0, "{err}\n{out}");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["operator"], "inv.quispe");
    assert_eq!(manifest["subject"]["kind"], "vendor");
    let captures = manifest["captures"].as_array().unwrap();
    assert!(
        captures.len() >= 3,
        "the vendor's page and listings: {manifest}"
    );
    for c in captures {
        assert_eq!(c["transport"], "direct");
        assert_eq!(c["isolation"], "site:mercado-andino/persona:default");
        // Byte-identical to the record in the unit's WARC files.
        let len = c["length"].as_u64().unwrap() as usize;
        let at = |p: PathBuf, off: u64| {
            std::fs::read(p).unwrap()[off as usize..off as usize + len].to_vec()
        };
        assert_eq!(
            at(
                bundle.join("warc/captures.warc.gz"),
                c["offset"].as_u64().unwrap()
            ),
            at(
                dir.path()
                    .join("data/warc")
                    .join(c["source_file"].as_str().unwrap()),
                c["source_offset"].as_u64().unwrap()
            )
        );
    }
    let summary = std::fs::read_to_string(bundle.join("summary.txt")).unwrap();
    assert!(summary.contains("vendedor \"condorblanco\"") && summary.contains("Exported on"));

    let (code, out) = verify(&bundle);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("VERIFIED") && !out.contains("FAIL"), "{out}");

    // warcio (PyPI) reads the bundle's WARC file and finds every capture.
    if let Some(warcio) = support::warcio() {
        let w = bundle.join("warc/captures.warc.gz");
        let check = Command::new(&warcio)
            .args(["check", "-v"])
            .arg(&w)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
        let index = Command::new(&warcio).arg("index").arg(&w).output().unwrap();
        let responses = String::from_utf8_lossy(&index.stdout)
            .matches("\"response\"")
            .count();
        assert_eq!(responses, captures.len());
    }

    // One changed byte in each file: the verdict names that item.
    let cases: [(&str, &str); 7] = [
        ("warc/captures.warc.gz", "FAIL  file warc/captures.warc.gz"),
        ("records.json", "FAIL  file records.json"),
        ("summary.txt", "FAIL  file summary.txt"),
        ("summary.html", "FAIL  file summary.html"),
        ("manifest.json", "FAIL  signature"),
        ("manifest.sig", "FAIL  signature"),
        ("signer.pub", "FAIL  signature"),
    ];
    for (i, (file, expected)) in cases.iter().enumerate() {
        let copy = dir.path().join(format!("tampered-{i}"));
        copy_tree(&bundle, &copy);
        let path = copy.join(file);
        let len = std::fs::metadata(&path).unwrap().len() as usize;
        let at = match *file {
            // Inside a digest, so the JSON still reads.
            "manifest.json" => {
                let text = std::fs::read_to_string(&path).unwrap();
                text.find("\"sha256\": \"").unwrap() + 12
            }
            _ => len / 2,
        };
        flip(&path, at);
        let (code, out) = verify(&copy);
        assert_eq!(code, 1, "{file}: {out}");
        assert!(
            out.contains(expected),
            "{file}: expected {expected:?} in\n{out}"
        );
        assert!(out.contains("NOT VERIFIED"), "{out}");
        if *file == "warc/captures.warc.gz" {
            assert!(
                out.contains("FAIL  capture <urn:uuid:"),
                "the damaged capture is named: {out}"
            );
        }
        if *file == "records.json" {
            assert!(
                out.contains("OK    signature"),
                "only that file fails: {out}"
            );
        }
    }

    // The custody log: the export and the verification (from the unit's machine), chained.
    let (code, _) = {
        let out = Command::new(BIN)
            .arg("--config")
            .arg(&served.config)
            .args(["evidence", "verify"])
            .arg(&bundle)
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), ())
    };
    assert_eq!(code, 0);
    let (code, out, _) = run(&served.config, &["evidence", "log"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("export") && out.contains("inv.quispe") && out.contains("verify"),
        "{out}"
    );
    let (code, out, _) = run(&served.config, &["evidence", "log", "--verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact: 2 entries"), "{out}");
    // Someone deletes the export's entry from the store: the chain says where.
    {
        let db = centinela_index::store::open_db(&dir.path().join("data/db")).unwrap();
        db.open_tree("evidence/custody")
            .unwrap()
            .remove(1u64.to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let (code, out, _) = run(&served.config, &["evidence", "log", "--verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("BROKEN at entry 1"), "{out}");
}
