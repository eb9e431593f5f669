//! Whole-module tests: writing, reading back, rotation, repair after a torn append, and the
//! files checked by an independent reader (warcio).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use data_encoding::HEXLOWER;
use sha2::{Digest, Sha256};

use super::*;

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn sha_hex(data: &[u8]) -> String {
    HEXLOWER.encode(&Sha256::digest(data))
}

/// Deterministic pseudo-random bytes (xorshift), so binary bodies do not compress away.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

struct Page {
    uri: String,
    status: u16,
    reason: &'static str,
    req: Vec<(String, String)>,
    resp: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Page {
    fn html(uri: &str, n: usize) -> Page {
        let body = format!(
            "<!doctype html><html><head><title>page {n}</title></head><body>{}</body></html>",
            "<p>venta de armas y documentos falsos, contacto por mensaje privado</p>"
                .repeat(n % 7 + 1)
        );
        Page {
            uri: uri.to_string(),
            status: 200,
            reason: "OK",
            req: headers(&[("User-Agent", "centinela-test"), ("Accept", "*/*")]),
            resp: headers(&[
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Encoding", "gzip"),
                ("Content-Length", "123"),
            ]),
            body: body.into_bytes(),
        }
    }

    fn exchange(&self) -> Exchange<'_> {
        Exchange {
            target_uri: &self.uri,
            date: UNIX_EPOCH + Duration::from_secs(1_795_890_152),
            method: "GET",
            request_headers: &self.req,
            status: self.status,
            reason: self.reason,
            response_headers: &self.resp,
            body: &self.body,
        }
    }
}

/// A varied set: HTML, binary, empty, 3 MB, an IRI, hostile headers, a 404.
fn sample_pages() -> Vec<Page> {
    let mut pages: Vec<Page> = (0..5)
        .map(|i| Page::html(&format!("http://example.onion/item/{i}?sort=new"), i))
        .collect();
    pages.push(Page {
        uri: "http://example.onion/logo.png".into(),
        status: 200,
        reason: "OK",
        req: headers(&[]),
        resp: headers(&[("Content-Type", "image/png")]),
        body: noise(20_000, 7),
    });
    pages.push(Page {
        uri: "http://example.onion/empty".into(),
        status: 204,
        reason: "No Content",
        req: headers(&[]),
        resp: headers(&[]),
        body: Vec::new(),
    });
    pages.push(Page {
        uri: "http://example.onion/big.bin".into(),
        status: 200,
        reason: "OK",
        req: headers(&[]),
        resp: headers(&[
            ("Content-Type", "application/octet-stream"),
            ("Transfer-Encoding", "chunked"),
        ]),
        body: noise(3 * 1024 * 1024, 99),
    });
    pages.push(Page {
        uri: "http://bücher.example/straße?q=ñ".into(),
        status: 200,
        reason: "OK",
        req: headers(&[]),
        resp: headers(&[("Content-Type", "text/plain; charset=utf-8")]),
        body: "ñandú — «evidencia»".as_bytes().to_vec(),
    });
    pages.push(Page {
        uri: "http://example.onion/hostile".into(),
        status: 200,
        reason: "OK\r\nWARC-Type: forged",
        req: headers(&[]),
        resp: headers(&[
            ("X-Evil", "a\r\n\r\nHTTP/1.1 200 OK"),
            ("Set-Cookie", "s=1\nX-Injected: yes"),
        ]),
        body: b"WARC/1.1\r\nWARC-Type: response\r\n\r\n".to_vec(),
    });
    pages.push(Page {
        uri: "http://example.onion/missing".into(),
        status: 404,
        reason: "Not Found",
        req: headers(&[]),
        resp: headers(&[("Content-Type", "text/html")]),
        body: b"<h1>not here</h1>".to_vec(),
    });
    pages
}

fn warc_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".warc.gz"))
        .collect();
    files.sort();
    files
}

#[test]
fn round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("warc");
    let pages = sample_pages();
    let mut w = WarcWriter::open(&dir, "centinela", 1 << 30, "0.1.0-test").unwrap();
    assert_eq!(w.dir(), dir.as_path());
    let refs: Vec<CaptureRef> = pages
        .iter()
        .map(|p| w.write_exchange(&p.exchange()).unwrap())
        .collect();
    w.sync().unwrap();

    let name = w.current_file().to_string();
    assert!(
        name.starts_with("centinela-") && name.ends_with("-00001.warc.gz"),
        "{name}"
    );
    for (page, r) in pages.iter().zip(&refs) {
        assert_eq!(r.file, name);
        assert_eq!(r.payload_sha256, sha_hex(&page.body));
        assert_eq!(r.date, "2026-11-28T18:22:32Z");
        assert!(r.record_id.starts_with("<urn:uuid:") && r.record_id.ends_with('>'));
        let stored = read_capture(&dir, r).unwrap();
        assert_eq!(stored.body, page.body, "{}", page.uri);
        assert_eq!(stored.status, page.status);
        assert_eq!(stored.date, r.date);
        assert_eq!(sha_hex(&stored.body), r.payload_sha256);
        let content_length = parse::find(&stored.headers, "Content-Length").unwrap();
        assert_eq!(content_length, page.body.len().to_string());
        if page.uri.contains("item/0") {
            assert_eq!(stored.target_uri, page.uri);
            assert_eq!(
                parse::find(&stored.headers, "X-Centinela-Original-Content-Encoding"),
                Some("gzip")
            );
            assert_eq!(
                parse::find(&stored.headers, "X-Centinela-Original-Content-Length"),
                Some("123")
            );
            assert_eq!(parse::find(&stored.headers, "Content-Encoding"), None);
        }
        if page.uri.contains("big.bin") {
            assert_eq!(parse::find(&stored.headers, "Transfer-Encoding"), None);
        }
    }

    // The IRI is stored as its URI form.
    let iri = read_capture(&dir, &refs[8]).unwrap();
    assert_eq!(
        iri.target_uri,
        "http://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%B1"
    );
    // Hostile values stay inside their own header line.
    let hostile = read_capture(&dir, &refs[9]).unwrap();
    assert_eq!(
        parse::find(&hostile.headers, "X-Evil"),
        Some("a    HTTP/1.1 200 OK")
    );
    assert_eq!(parse::find(&hostile.headers, "X-Injected"), None);
    assert_eq!(hostile.body, pages[9].body);

    // The reference serialises (the crawler keeps it in its store).
    fn serde_both_ways<T: serde::Serialize + serde::de::DeserializeOwned>() {}
    serde_both_ways::<CaptureRef>();
}

#[test]
fn damage_and_bad_references_are_reported_with_file_and_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pages = sample_pages();
    let mut w = WarcWriter::open(dir, "centinela", 1 << 30, "0.1.0").unwrap();
    let refs: Vec<CaptureRef> = pages[..3]
        .iter()
        .map(|p| w.write_exchange(&p.exchange()).unwrap())
        .collect();
    w.sync().unwrap();
    drop(w);
    let path = dir.join(&refs[1].file);

    // A reference with the wrong digest, record id or offset is refused.
    let mut bad = refs[1].clone();
    bad.payload_sha256 = sha_hex(b"something else");
    let err = read_capture(dir, &bad).unwrap_err();
    assert!(matches!(err, WarcError::DigestMismatch { .. }), "{err}");
    let mut bad = refs[1].clone();
    bad.record_id = refs[0].record_id.clone();
    assert!(matches!(
        read_capture(dir, &bad).unwrap_err(),
        WarcError::WrongRecord { .. }
    ));
    let mut bad = refs[1].clone();
    bad.length -= 1;
    assert!(matches!(
        read_capture(dir, &bad).unwrap_err(),
        WarcError::Corrupt { .. }
    ));
    for name in ["../etc/passwd", "/etc/passwd", "a/b.warc.gz", "..", ""] {
        let mut bad = refs[1].clone();
        bad.file = name.to_string();
        assert!(
            matches!(
                read_capture(dir, &bad).unwrap_err(),
                WarcError::InvalidFileName { .. }
            ),
            "{name:?}"
        );
    }

    // One flipped byte in the middle of the second capture.
    let mut bytes = fs::read(&path).unwrap();
    let target = usize::try_from(refs[1].offset + refs[1].length / 2).unwrap();
    bytes[target] ^= 0x01;
    fs::write(&path, &bytes).unwrap();

    let err = read_capture(dir, &refs[1]).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            WarcError::Corrupt { .. } | WarcError::DigestMismatch { .. }
        ),
        "{msg}"
    );
    assert!(msg.contains(&refs[1].file), "{msg}");
    assert!(msg.contains(&format!("offset {}", refs[1].offset)), "{msg}");
    // The other captures are unaffected.
    assert_eq!(read_capture(dir, &refs[0]).unwrap().body, pages[0].body);
    assert_eq!(read_capture(dir, &refs[2]).unwrap().body, pages[2].body);

    // Repair only looks at the tail, and the tail is intact: nothing to do.
    assert_eq!(repair(&path).unwrap().dropped, 0);
    // Damage to the last member (its CRC-32) is not a torn tail either: repair refuses and
    // leaves the file alone rather than cut a damaged but complete record.
    let crc_byte = bytes.len() - 6;
    bytes[crc_byte] ^= 0x80;
    fs::write(&path, &bytes).unwrap();
    let err = repair(&path).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, WarcError::Unrepairable { .. }), "{msg}");
    // The walk from the start stops at the first damaged member: the flipped byte above.
    assert!(msg.contains(&format!("offset {}", refs[1].offset)), "{msg}");
    assert_eq!(fs::read(&path).unwrap(), bytes);
    assert!(WarcWriter::open(dir, "centinela", 1 << 30, "0.1.0").is_err());
}

/// A copy of the capture's file in which one body byte of the capture is changed and the
/// record recompressed, so gzip is valid and only the digests can tell. Written to `out_dir`
/// under the same name.
fn tamper_recompressed(dir: &Path, r: &CaptureRef, out_dir: &Path) -> PathBuf {
    use flate2::read::GzDecoder;
    use flate2::write::GzEncoder;
    use std::io::Read;
    let bytes = fs::read(dir.join(&r.file)).unwrap();
    let (start, end) = (r.offset as usize, (r.offset + r.length) as usize);
    let mut record = Vec::new();
    GzDecoder::new(&bytes[start..end])
        .read_to_end(&mut record)
        .unwrap();
    let last_body_byte = record.len() - 5; // before the closing CRLFCRLF
    record[last_body_byte] ^= 0x20;
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&record).unwrap();
    let member = enc.finish().unwrap();
    let mut out = bytes[..start].to_vec();
    out.extend_from_slice(&member);
    out.extend_from_slice(&bytes[end..]);
    fs::create_dir_all(out_dir).unwrap();
    let path = out_dir.join(&r.file);
    fs::write(&path, out).unwrap();
    path
}

#[test]
fn recompressed_tampering_is_caught_by_the_digests() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("warc");
    let page = Page::html("http://example.onion/", 3);
    let mut w = WarcWriter::open(&dir, "centinela", 1 << 30, "0.1.0").unwrap();
    let r = w.write_exchange(&page.exchange()).unwrap();
    drop(w);
    let forged = tmp.path().join("forged");
    tamper_recompressed(&dir, &r, &forged);
    let mut r2 = r.clone();
    r2.length = fs::metadata(forged.join(&r.file)).unwrap().len() - r.offset;
    let err = read_capture(&forged, &r2).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, WarcError::DigestMismatch { .. }), "{msg}");
    assert!(
        msg.contains(&r.file) && msg.contains(&format!("offset {}", r.offset)),
        "{msg}"
    );
}

#[test]
fn rotation_keeps_every_capture_readable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut w = WarcWriter::open(dir, "centinela", 16 * 1024, "0.1.0").unwrap();
    let pages: Vec<Page> = (0..40)
        .map(|i| {
            let mut p = Page::html(&format!("http://example.onion/p/{i}"), i);
            p.body.extend_from_slice(&noise(3000, i as u64 + 1));
            p
        })
        .collect();
    let refs: Vec<CaptureRef> = pages
        .iter()
        .map(|p| w.write_exchange(&p.exchange()).unwrap())
        .collect();
    w.sync().unwrap();

    let files = warc_files(dir);
    assert!(files.len() >= 5, "only {} files", files.len());
    for (i, f) in files.iter().enumerate() {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        assert!(name.ends_with(&format!("-{:05}.warc.gz", i + 1)), "{name}");
        // Each file stops growing soon after it passes the limit.
        assert!(fs::metadata(f).unwrap().len() < 16 * 1024 + 8 * 1024);
    }
    for (p, r) in pages.iter().zip(&refs) {
        assert_eq!(read_capture(dir, r).unwrap().body, p.body);
    }
    let used: std::collections::BTreeSet<&str> = refs.iter().map(|r| r.file.as_str()).collect();
    assert_eq!(used.len(), files.len());
}

/// The gzip member boundaries of a file, found by walking it.
fn member_ends(path: &Path) -> Vec<u64> {
    let bytes = fs::read(path).unwrap();
    let mut src = &bytes[..];
    let mut ends = vec![0];
    while !src.is_empty() {
        match gzip::decode_member(&mut src, &mut |_| Ok(())).unwrap() {
            gzip::Member::Complete { compressed_len, .. } => {
                ends.push(ends.last().unwrap() + compressed_len)
            }
            other => panic!("{other:?}"),
        }
    }
    ends
}

#[test]
fn repair_cuts_a_torn_member_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("warc");
    let pages = sample_pages();
    let mut w = WarcWriter::open(&dir, "centinela", 1 << 30, "0.1.0").unwrap();
    let refs: Vec<CaptureRef> = pages[..4]
        .iter()
        .map(|p| w.write_exchange(&p.exchange()).unwrap())
        .collect();
    w.sync().unwrap();
    drop(w);
    let path = dir.join(&refs[0].file);
    let intact_len = fs::metadata(&path).unwrap().len();
    assert_eq!(
        repair(&path).unwrap(),
        Repair {
            kept: intact_len,
            dropped: 0
        }
    );

    // A record from elsewhere, half appended: what kill -9 mid-write leaves.
    let other = tmp.path().join("other");
    let mut w2 = WarcWriter::open(&other, "centinela", 1 << 30, "0.1.0").unwrap();
    let big = w2.write_exchange(&pages[7].exchange()).unwrap(); // 3 MB, stored blocks
    drop(w2);
    let member = fs::read(other.join(&big.file)).unwrap();
    let member = &member[big.offset as usize..(big.offset + big.length) as usize];
    let half = &member[..member.len() / 2];
    OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(half)
        .unwrap();

    assert_eq!(
        repair(&path).unwrap(),
        Repair {
            kept: intact_len,
            dropped: half.len() as u64
        }
    );
    assert_eq!(fs::metadata(&path).unwrap().len(), intact_len);
    for (p, r) in pages.iter().zip(&refs) {
        assert_eq!(read_capture(&dir, r).unwrap().body, p.body);
    }

    // Power loss can also leave zeros after the torn bytes.
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(&half[..1000]).unwrap();
    f.write_all(&[0u8; 4096]).unwrap();
    drop(f);
    assert_eq!(repair(&path).unwrap().kept, intact_len);

    // `open` repairs on its own and continues in a new file.
    OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(half)
        .unwrap();
    let mut w = WarcWriter::open(&dir, "centinela", 1 << 30, "0.1.0").unwrap();
    assert_eq!(
        w.repaired(),
        &[(
            path.clone(),
            Repair {
                kept: intact_len,
                dropped: half.len() as u64
            }
        )]
    );
    assert_eq!(fs::metadata(&path).unwrap().len(), intact_len);
    assert!(
        w.current_file().ends_with("-00002.warc.gz"),
        "{}",
        w.current_file()
    );
    let next = w.write_exchange(&pages[5].exchange()).unwrap();
    w.sync().unwrap();
    assert_ne!(next.file, refs[0].file);
    assert_eq!(read_capture(&dir, &next).unwrap().body, pages[5].body);
    for (p, r) in pages.iter().zip(&refs) {
        assert_eq!(read_capture(&dir, r).unwrap().body, p.body);
    }
}

#[test]
fn repair_of_every_possible_tear_keeps_exactly_the_complete_members() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("warc");
    let page = Page::html("http://example.onion/", 1);
    let mut w = WarcWriter::open(&dir, "centinela", 1 << 30, "0.1.0").unwrap();
    let r = w.write_exchange(&page.exchange()).unwrap();
    w.write_exchange(&page.exchange()).unwrap();
    drop(w);
    let path = dir.join(&r.file);
    let ends = member_ends(&path);
    assert_eq!(ends.len(), 6, "warcinfo + 2 × (request, response)");
    let full = fs::read(&path).unwrap();
    let torn = tmp.path().join("torn.warc.gz");
    for cut in 0..=full.len() {
        fs::write(&torn, &full[..cut]).unwrap();
        let expect = *ends.iter().filter(|&&e| e <= cut as u64).max().unwrap();
        let got = repair(&torn).unwrap();
        assert_eq!(
            got,
            Repair {
                kept: expect,
                dropped: cut as u64 - expect
            },
            "cut at {cut}"
        );
        assert_eq!(fs::metadata(&torn).unwrap().len(), expect);
    }
}

#[test]
fn open_refuses_bad_prefixes_and_never_reuses_names() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in ["", "a/b", "..", "a b", "ñ"] {
        assert!(matches!(
            WarcWriter::open(tmp.path(), bad, 1000, "0.1.0"),
            Err(WarcError::InvalidPrefix { .. })
        ));
    }
    // A file with a higher sequence number (e.g. written with a clock set ahead).
    fs::write(
        tmp.path().join("centinela-20990101T000000Z-00041.warc.gz"),
        b"",
    )
    .unwrap();
    let w = WarcWriter::open(tmp.path(), "centinela", 1000, "0.1.0").unwrap();
    assert!(w.current_file().ends_with("-00042.warc.gz"));
    let w2 = WarcWriter::open(tmp.path(), "centinela", 1000, "0.1.0").unwrap();
    assert!(w2.current_file().ends_with("-00043.warc.gz"));
    // Another prefix has its own numbering.
    let w3 = WarcWriter::open(tmp.path(), "other", 1000, "0.1.0").unwrap();
    assert!(w3.current_file().ends_with("-00001.warc.gz"));
}

#[test]
fn warc_date_uses_the_exchange_time() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = WarcWriter::open(tmp.path(), "c", 1 << 20, "0.1.0").unwrap();
    let page = Page::html("http://example.onion/", 0);
    let mut ex = page.exchange();
    ex.date = UNIX_EPOCH + Duration::from_millis(951_782_400_999);
    let r = w.write_exchange(&ex).unwrap();
    assert_eq!(r.date, "2000-02-29T00:00:00Z");
    assert_eq!(read_capture(tmp.path(), &r).unwrap().date, r.date);
}

// ---------------------------------------------------------------------------------------
// warcio: an independent implementation must accept the files.

/// The warcio executable: `CENTINELA_WARCIO`, else the project venv, else `PATH`.
fn find_warcio() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CENTINELA_WARCIO") {
        return Some(PathBuf::from(p));
    }
    let venv = Path::new("/var/cache/centinela-venv/bin/warcio");
    if venv.is_file() {
        return Some(venv.to_path_buf());
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("warcio"))
            .find(|p| p.is_file())
    })
}

fn warcio_or_skip() -> Option<PathBuf> {
    let found = find_warcio();
    if found.is_none() {
        if std::env::var("CENTINELA_REQUIRE_WARCIO").as_deref() == Ok("1") {
            panic!(
                "warcio not found (CENTINELA_REQUIRE_WARCIO=1): set CENTINELA_WARCIO or install it"
            );
        }
        eprintln!("SKIPPED: warcio not found (set CENTINELA_WARCIO or install warcio)");
    }
    found
}

fn run(cmd: &mut Command) -> String {
    println!("running {cmd:?}");
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn warcio_check_and_index_accept_the_files() {
    let Some(warcio) = warcio_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pages = sample_pages();
    // Small files, so rotation is covered too.
    let mut w = WarcWriter::open(dir, "centinela", 64 * 1024, "0.1.0").unwrap();
    let refs: Vec<CaptureRef> = pages
        .iter()
        .map(|p| w.write_exchange(&p.exchange()).unwrap())
        .collect();
    w.sync().unwrap();
    drop(w);
    let files = warc_files(dir);
    assert!(files.len() > 1);
    let records = files.len() + 2 * pages.len();

    // check: exit 0, and every record's digest actually verified.
    let out = run(Command::new(&warcio).arg("check").arg("-v").args(&files));
    println!("{out}");
    let passes = out.lines().filter(|l| l.trim() == "digest pass").count();
    assert_eq!(passes, records, "warcio check -v output:\n{out}");
    assert!(!out.contains("no digest"), "{out}");
    assert!(!out.contains("failed"), "{out}");

    // index: exactly our records, response offsets and lengths equal to the references.
    let mut lines = Vec::new();
    for f in &files {
        let out = run(Command::new(&warcio)
            .args(["index", "-f", "warc-type,warc-target-uri,offset,length"])
            .arg(f));
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        lines.extend(out.lines().map(|l| (name.clone(), l.to_string())));
    }
    assert_eq!(lines.len(), records, "{lines:#?}");
    let count = |t: &str| {
        lines
            .iter()
            .filter(|(_, l)| l.contains(&format!("\"warc-type\": \"{t}\"")))
            .count()
    };
    assert_eq!(count("warcinfo"), files.len());
    assert_eq!(count("request"), pages.len());
    assert_eq!(count("response"), pages.len());
    for r in &refs {
        let stored = read_capture(dir, r).unwrap();
        let want = format!(
            "{{\"warc-type\": \"response\", \"warc-target-uri\": \"{}\", \"offset\": \"{}\", \"length\": \"{}\"}}",
            stored.target_uri, r.offset, r.length
        );
        assert!(
            lines.iter().any(|(f, l)| *f == r.file && *l == want),
            "{want} not in index:\n{lines:#?}"
        );
    }

    // Negative control: the same check fails on a record whose body was changed (and
    // recompressed, so only the digests can tell) — "digest pass" above means something.
    let last = refs.last().unwrap();
    let forged = tamper_recompressed(dir, last, &dir.join("forged"));
    let out = Command::new(&warcio)
        .args(["check", "-v"])
        .arg(&forged)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    println!(
        "warcio check -v on a tampered copy ({}):\n{text}",
        out.status
    );
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("digest failed"), "{text}");

    // extract: warcio reads the same payload bytes back.
    for i in [5, 6, 7] {
        let out = Command::new(&warcio)
            .args(["extract", "--payload"])
            .arg(dir.join(&refs[i].file))
            .arg(refs[i].offset.to_string())
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(sha_hex(&out.stdout), refs[i].payload_sha256, "page {i}");
    }
}

#[test]
fn each_response_finds_its_own_request_record_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("warc");
    let pages = sample_pages();
    let mut w = WarcWriter::open(&dir, "centinela", 1 << 30, "0.1.0-test").unwrap();
    let refs: Vec<CaptureRef> = pages
        .iter()
        .map(|p| w.write_exchange(&p.exchange()).unwrap())
        .collect();
    w.sync().unwrap();
    let mut ids = std::collections::BTreeSet::new();
    for r in &refs {
        let req = super::find_request(&dir, r)
            .unwrap()
            .expect("a request record");
        // It ends exactly where the response begins, and names that response.
        assert_eq!(req.offset + req.length, r.offset);
        assert_eq!(
            super::check_request(&req.bytes, &r.record_id).unwrap(),
            req.record_id
        );
        assert!(super::check_request(&req.bytes, "<urn:uuid:other>").is_err());
        assert!(ids.insert(req.record_id));
    }
    // A place whose preceding member is no request of it (here: the first request's own
    // offset, after the warcinfo record that heads the file) finds none.
    let mut first = refs[0].clone();
    first.offset -= super::find_request(&dir, &refs[0]).unwrap().unwrap().length;
    assert!(super::find_request(&dir, &first).unwrap().is_none());
    // A flipped byte in the request member is refused by the checks, never "found".
    let req = super::find_request(&dir, &refs[1]).unwrap().unwrap();
    let mut bytes = req.bytes.clone();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    assert!(super::check_request(&bytes, &refs[1].record_id).is_err());
}
