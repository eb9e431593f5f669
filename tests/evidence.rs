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
        // The request record comes just before its response.
        let req = &c["request"];
        assert_eq!(
            req["offset"].as_u64().unwrap() + req["length"].as_u64().unwrap(),
            c["offset"].as_u64().unwrap(),
            "{c}"
        );
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
    // No TSA configured: said, and not a failure.
    assert!(out.contains("--    timestamp: none"), "{out}");

    // A changed byte inside a request record names that record.
    let copy = dir.path().join("tampered-request");
    copy_tree(&bundle, &copy);
    let r = &captures[0]["request"];
    let middle = r["offset"].as_u64().unwrap() + r["length"].as_u64().unwrap() / 2;
    flip(&copy.join("warc/captures.warc.gz"), middle as usize);
    let (code, out) = verify(&copy);
    assert_eq!(code, 1, "{out}");
    let named = format!("FAIL  request {}", r["record_id"].as_str().unwrap());
    assert!(out.contains(&named), "{named} in\n{out}");

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
        // Each with the request record that asked for it (no cookies in it: they are the
        // session's secrets and never stored).
        let index = String::from_utf8_lossy(&index.stdout).into_owned();
        assert_eq!(
            index.matches("\"request\"").count(),
            captures.len(),
            "{index}"
        );
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
                out.contains("FAIL  capture <urn:uuid:")
                    || out.contains("FAIL  request <urn:uuid:"),
                "the damaged record is named: {out}"
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

/// Runs `centinela --config CONFIG evidence export --vendor condorblanco --out OUT`.
fn export_vendor(config: &Path, out: &Path) -> (i32, String, String) {
    run(
        config,
        &[
            "evidence",
            "export",
            "--vendor",
            "condorblanco",
            "--out",
            out.to_str().unwrap(),
            "--operator",
            "inv.quispe",
        ],
    )
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Files in `dir` whose name starts with `prefix` (a half-written bundle would be one).
fn leftovers(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect()
}

/// The unit configures a Time-Stamping Authority: each bundle then carries the TSA's RFC
/// 3161 token over its manifest, which our verifier and OpenSSL's both accept, and which
/// betrays an edited manifest or token. A clearnet TSA is refused while the transport
/// cannot reach it through Tor; a TSA that fails leaves no bundle behind. The same
/// bundle as one zip file travels with its WARC records byte for byte, and a changed byte
/// in the zip is named.
#[test]
fn a_timestamped_bundle_verifies_with_openssl_too_and_a_zip_travels_intact() {
    use centinela_timestamp::testing::{openssl_or_skip, KeyKind, OpensslTsa};
    if !openssl_or_skip("a_timestamped_bundle_verifies_with_openssl_too_and_a_zip_travels_intact") {
        return;
    }
    let tsa = std::sync::Arc::new(OpensslTsa::new(KeyKind::Rsa).unwrap());
    let server = tsa.serve().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path(), &samples(), 0);
    let (code, _, err) = run(&served.config, &["crawl", "--json"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&served.config, &["evidence", "keygen"]);
    assert_eq!(code, 0, "{err}");
    let plain = std::fs::read_to_string(&served.config).unwrap();
    let with_tsa = |url: &str| {
        std::fs::write(
            &served.config,
            format!("{plain}\n[evidence]\ntsa_url = \"{url}\"\ntsa_timeout_secs = 20\n"),
        )
        .unwrap();
    };

    // A TSA on the Internet, with the loopback-only transport: refused at the
    // configuration, located, before anything is exported or any connection made.
    with_tsa("https://tsa.example.org/tsr");
    let refused = dir.path().join("refused");
    let (code, out, err) = export_vendor(&served.config, &refused);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("centinela.toml:")
            && err.contains("evidence.tsa_url")
            && err.contains("reached only through Tor"),
        "{err}"
    );
    assert!(!refused.exists());
    assert_eq!(server.requests_served(), 0);

    // The test TSA on 127.0.0.1.
    with_tsa(&server.url());
    let (code, out, err) = run(&served.config, &["config", "check"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("RFC 3161 timestamps from {}", server.url())),
        "{out}"
    );
    let bundle = dir.path().join("caso-2026-115");
    let (code, out, err) = export_vendor(&served.config, &bundle);
    assert_eq!(code, 0, "{err}\n{out}");
    assert_eq!(server.requests_served(), 1);
    assert!(bundle.join("manifest.tsr").is_file());
    assert!(out.contains("timestamp: 20"), "{out}");
    assert!(out.contains("TSA: CN=Centinela Test TSA"), "{out}");
    // The fingerprint printed is the TSA certificate's, as OpenSSL computes it.
    let fp = tsa
        .openssl_ok(&[
            "x509",
            "-in",
            "tsa.pem",
            "-noout",
            "-fingerprint",
            "-sha256",
        ])
        .unwrap();
    let fp = String::from_utf8_lossy(&fp.stdout);
    let fp = fp.trim().rsplit('=').next().unwrap();
    assert!(
        out.contains(&format!("TSA certificate SHA-256: {fp}")),
        "{fp}\n{out}"
    );
    assert!(leftovers(dir.path(), ".caso").is_empty());

    let (code, out) = verify(&bundle);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("OK    timestamp: manifest.json existed at 20")
            && out.contains(fp)
            && out.contains("VERIFIED"),
        "{out}"
    );
    // OpenSSL's own check of the stored token against the manifest, chain included.
    let check = tsa
        .openssl(&[
            "ts",
            "-verify",
            "-data",
            bundle.join("manifest.json").to_str().unwrap(),
            "-in",
            bundle.join("manifest.tsr").to_str().unwrap(),
            "-token_in",
            "-CAfile",
            "ca.pem",
            "-untrusted",
            "tsa.pem",
        ])
        .unwrap();
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("Verification: OK"),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    // A changed byte in the token, at the start (structure), middle and end (signature).
    let token_len = std::fs::metadata(bundle.join("manifest.tsr"))
        .unwrap()
        .len() as usize;
    for (i, at) in [6, token_len / 2, token_len - 8].into_iter().enumerate() {
        let copy = dir.path().join(format!("tsr-tampered-{i}"));
        copy_tree(&bundle, &copy);
        flip(&copy.join("manifest.tsr"), at);
        let (code, out) = verify(&copy);
        assert_eq!(code, 1, "byte {at}: {out}");
        assert!(
            out.contains("FAIL  timestamp: manifest.tsr"),
            "byte {at}: {out}"
        );
        assert!(
            out.contains("OK    signature"),
            "only the token fails: {out}"
        );
    }
    // An edited manifest: the signature fails, and the token no longer covers it (and
    // cannot be made to: the TSA's key is not the unit's).
    let copy = dir.path().join("manifest-edited");
    copy_tree(&bundle, &copy);
    let text = std::fs::read_to_string(copy.join("manifest.json")).unwrap();
    flip(
        &copy.join("manifest.json"),
        text.find("\"sha256\": \"").unwrap() + 12,
    );
    let (code, out) = verify(&copy);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  signature")
            && out.contains("FAIL  timestamp: manifest.tsr does not cover this manifest.json"),
        "{out}"
    );

    // The same evidence as one zip file.
    let zipped = dir.path().join("caso-2026-115.zip");
    let (code, out, err) = export_vendor(&served.config, &zipped);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(zipped.is_file() && out.contains("timestamp: "), "{out}");
    assert!(leftovers(dir.path(), ".caso").is_empty());
    let (code, out) = verify(&zipped);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("OK    file warc/captures.warc.gz")
            && out.contains("OK    timestamp")
            && out.contains("VERIFIED"),
        "{out}"
    );
    // The WARC records sit in the zip byte for byte as in the unit's WARC files.
    let warc = std::fs::read(bundle.join("warc/captures.warc.gz")).unwrap();
    let zip_bytes = std::fs::read(&zipped).unwrap();
    let at = find(&zip_bytes, &warc).expect("the bundle's WARC file, verbatim, in the zip");
    assert!(find(&zip_bytes, b"caso-2026-115/manifest.json").is_some());
    let copy = dir.path().join("tampered.zip");
    std::fs::write(&copy, &zip_bytes).unwrap();
    flip(&copy, at + warc.len() / 2);
    let (code, out) = verify(&copy);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  file warc/captures.warc.gz")
            && (out.contains("FAIL  capture <urn:uuid:")
                || out.contains("FAIL  request <urn:uuid:"))
            && out.contains("NOT VERIFIED"),
        "{out}"
    );

    // The TSA stops answering: the export fails naming it, and leaves nothing behind.
    let url = server.url();
    drop(server);
    let lost = dir.path().join("caso-2026-116.zip");
    let (code, out, err) = export_vendor(&served.config, &lost);
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains(&format!("no trusted timestamp from the TSA at {url}")),
        "{err}"
    );
    assert!(!lost.exists());
    assert!(leftovers(dir.path(), ".caso-2026-116").is_empty());
    let lost = dir.path().join("caso-2026-116");
    let (code, _, err) = export_vendor(&served.config, &lost);
    assert_eq!(code, 1, "{err}");
    assert!(!lost.exists());
    assert!(leftovers(dir.path(), ".caso-2026-116").is_empty());
}
