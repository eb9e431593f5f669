//! `centinela evidence keygen|export|verify|log`: the glue between the store, the search
//! index and the `centinela-evidence` crate.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use centinela_evidence::bundle::{export, ExportInput};
use centinela_evidence::custody::{ChainCheck, CustodyLog};
use centinela_evidence::keys;
use centinela_evidence::manifest::Subject;
use centinela_index::search::{SearchIndex, SearchRequest};
use centinela_index::store::{IdentifierKind, Store, StoredRecord};
use centinela_index::time::Timestamp;

use crate::cli::{EvidenceCommand, EvidenceExportArgs, Global};
use crate::config;
use crate::pipeline::{self, DataDir};

pub fn run(global: &Global, cmd: &EvidenceCommand) -> anyhow::Result<ExitCode> {
    // A bundle is verified wherever it is taken — a court expert's machine has no
    // configuration and no store; where the unit's are at hand, the custody log records it.
    if let EvidenceCommand::Verify { bundle, operator } = cmd {
        let data = config::load(&global.config)
            .ok()
            .map(|cfg| DataDir::of(global, &cfg));
        return verify_cmd(data.as_ref(), bundle, operator);
    }
    let cfg = match config::load_or_report(&global.config) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let data = DataDir::of(global, &cfg);
    match cmd {
        EvidenceCommand::Keygen { passphrase_file } => {
            let pass = passphrase(passphrase_file.as_deref())?;
            let path = key_path(&data);
            let public = keys::generate(&path, pass.as_deref())?;
            println!("signing key: {}", path.display());
            println!("fingerprint: {}", keys::fingerprint(&public));
            println!(
                "{}",
                if pass.is_some() {
                    "sealed with the passphrase; keep a copy of both somewhere safe"
                } else {
                    "not sealed (no passphrase); the file is mode 0600"
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        EvidenceCommand::Export(args) => export_cmd(&data, cfg.main.transport.kind.label(), args),
        EvidenceCommand::Verify { .. } => Ok(ExitCode::SUCCESS),
        EvidenceCommand::Log { verify } => log_cmd(&data, *verify),
    }
}

fn key_path(data: &DataDir) -> PathBuf {
    data.root.join("evidence/signing.key")
}

fn passphrase(file: Option<&Path>) -> anyhow::Result<Option<String>> {
    if let Some(f) = file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the passphrase file {}", f.display()))?;
        return Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()));
    }
    Ok(std::env::var("CENTINELA_EVIDENCE_PASSPHRASE").ok())
}

fn operator(given: &Option<String>) -> String {
    given
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into())
}

fn now() -> String {
    Timestamp::now().rfc3339()
}

fn export_cmd(
    data: &DataDir,
    transport: &str,
    args: &EvidenceExportArgs,
) -> anyhow::Result<ExitCode> {
    let key = keys::load(
        &key_path(data),
        passphrase(args.passphrase_file.as_deref())?.as_deref(),
    )?;
    let db = pipeline::open_db(data)?;
    let store = Store::open(&db)?;
    let (subject, records) = select(&store, data, args)?;
    if records.is_empty() {
        eprintln!(
            "centinela: nothing in the store matches {} {:?}",
            subject.kind, subject.value
        );
        return Ok(ExitCode::from(1));
    }
    let who = operator(&args.operator);
    let at = now();
    let tool = format!("centinela {}", env!("CARGO_PKG_VERSION"));
    let done = export(&ExportInput {
        subject: subject.clone(),
        records: &records,
        warc_dir: &data.warc(),
        out: &args.out,
        operator: &who,
        tool: &tool,
        transport,
        exported_at: &at,
        key: &key,
    })?;
    let entry = CustodyLog::open(&db)?.append(
        &at,
        &who,
        "export",
        &format!("{} {}", subject.kind, subject.value),
        &format!(
            "bundle {} manifest sha256 {}",
            args.out.display(),
            done.manifest_sha256
        ),
    )?;
    println!(
        "exported {} records and {} captures to {}",
        done.manifest.records,
        done.manifest.captures.len(),
        done.dir.display()
    );
    println!("manifest SHA-256: {}", done.manifest_sha256);
    println!("signed by: {}", done.manifest.signer.fingerprint);
    println!("custody log entry: {}", entry.seq);
    Ok(ExitCode::SUCCESS)
}

/// The records a subject names, in a stable order.
fn select(
    store: &Store,
    data: &DataDir,
    args: &EvidenceExportArgs,
) -> anyhow::Result<(Subject, Vec<StoredRecord>)> {
    let subject = |kind: &str, value: &str| Subject {
        kind: kind.into(),
        value: value.into(),
    };
    let mut out = Vec::new();
    if let Some(handle) = &args.vendor {
        for v in store.vendors(None)? {
            if v.handle.eq_ignore_ascii_case(handle) {
                for url in store.vendor_listings(&v.site, &v.handle)? {
                    if let Some(l) = store.listing(&v.site, &url)? {
                        out.push(StoredRecord::Listing(l));
                    }
                }
                out.insert(0, StoredRecord::Vendor(v));
            }
        }
        return Ok((subject("vendor", handle), out));
    }
    if let Some(url) = &args.listing {
        out.extend(
            store
                .listings(None)?
                .into_iter()
                .filter(|l| &l.listing.url == url)
                .map(StoredRecord::Listing),
        );
        return Ok((subject("listing", url), out));
    }
    if let Some(addr) = &args.address {
        for r in store.records_with(IdentifierKind::Address, addr)? {
            out.extend(store.record(&r)?);
        }
        return Ok((subject("address", addr), out));
    }
    let q = args.query.clone().unwrap_or_default();
    let index = SearchIndex::open(&data.index())
        .with_context(|| format!("cannot open the search index in {}", data.index().display()))?;
    let mut req = SearchRequest::new(q.clone());
    req.limit = 500;
    for hit in index.search(&req)?.hits {
        let r = &hit.record;
        let (site, url) = (
            r["site"].as_str().unwrap_or(""),
            r["url"].as_str().unwrap_or(""),
        );
        let found = match r["type"].as_str() {
            Some("listing") => store.listing(site, url)?.map(StoredRecord::Listing),
            Some("vendor") => store
                .vendor(site, r["handle"].as_str().unwrap_or(""))?
                .map(StoredRecord::Vendor),
            Some("post") => store
                .posts(Some(site))?
                .into_iter()
                .find(|p| p.post.url == url)
                .map(StoredRecord::Post),
            _ => None,
        };
        out.extend(found);
    }
    Ok((subject("query", &q), out))
}

fn verify_cmd(
    data: Option<&DataDir>,
    bundle: &Path,
    who: &Option<String>,
) -> anyhow::Result<ExitCode> {
    let verdict = centinela_evidence::verify::verify(bundle);
    for item in &verdict.items {
        println!(
            "{}  {}: {}",
            if item.ok { "OK  " } else { "FAIL" },
            item.what,
            item.detail
        );
    }
    let ok = verdict.ok();
    let failed = verdict.items.iter().filter(|i| !i.ok).count();
    println!(
        "{}",
        if ok {
            format!("VERIFIED: {} items hold", verdict.items.len())
        } else {
            format!(
                "NOT VERIFIED: {failed} of {} items do not hold",
                verdict.items.len()
            )
        }
    );
    // Recorded where the unit's store is at hand (not on a court expert's machine).
    if let Some(data) = data.filter(|d| d.db().exists()) {
        if let Ok(db) = pipeline::open_db(data) {
            let log = CustodyLog::open(&db)?;
            let entry = log.append(
                &now(),
                &operator(who),
                "verify",
                &format!("bundle {}", bundle.display()),
                &format!(
                    "{} manifest sha256 {}",
                    if ok { "verified" } else { "NOT verified" },
                    verdict.manifest_sha256.as_deref().unwrap_or("-")
                ),
            )?;
            println!("custody log entry: {}", entry.seq);
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn log_cmd(data: &DataDir, verify: bool) -> anyhow::Result<ExitCode> {
    let db = pipeline::open_db(data)?;
    let log = CustodyLog::open(&db)?;
    if verify {
        return Ok(match log.verify()? {
            ChainCheck::Intact { entries } => {
                println!("custody log intact: {entries} entries, each chained to the one before");
                ExitCode::SUCCESS
            }
            ChainCheck::Broken { seq, reason } => {
                println!("custody log BROKEN at entry {seq}: {reason}");
                ExitCode::from(1)
            }
        });
    }
    for e in log.entries()? {
        println!(
            "{:>4}  {}  {:<10} {:<8} {}  ({})",
            e.seq, e.at, e.operator, e.action, e.subject, e.detail
        );
    }
    Ok(ExitCode::SUCCESS)
}
