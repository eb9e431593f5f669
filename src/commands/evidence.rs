//! `centinela evidence keygen|export|verify|log`: the glue between the store, the search
//! index and the `centinela-evidence` crate.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use centinela_crawler::transport::tsa::{post_timestamp_query, tsa_route, TsaRoute};
use centinela_crawler::transport::Url;
use centinela_evidence::bundle::{export, zip_bundle, ExportInput};
use centinela_evidence::custody::{ChainCheck, CustodyLog};
use centinela_evidence::keys;
use centinela_evidence::manifest::Subject;
use centinela_evidence::timestamp::{Query, Stamped};
use centinela_index::search::{SearchIndex, SearchRequest};
use centinela_index::store::{IdentifierKind, Store, StoredRecord};
use centinela_index::time::Timestamp;

use crate::cli::{EvidenceCommand, EvidenceExportArgs, Global};
use crate::config::{self, Config};
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
        EvidenceCommand::Export(args) => export_cmd(&cfg, &data, args),
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

/// Whether `--out` asks for a zip file rather than a folder.
fn is_zip(out: &Path) -> bool {
    out.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// A new, hidden folder beside `out` where the bundle is put together: only a complete
/// bundle (signed, and timestamped when a TSA is configured) is moved to `out`, so a
/// failure half-way leaves nothing that could pass for evidence.
fn staging_dir(out: &Path) -> anyhow::Result<PathBuf> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create the folder {}", parent.display()))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    let dir = parent.join(format!(".{name}.partial-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

fn export_cmd(cfg: &Config, data: &DataDir, args: &EvidenceExportArgs) -> anyhow::Result<ExitCode> {
    let out = &args.out;
    let zipped = is_zip(out);
    // Where the bundle goes must be free before any work (or any TSA request) is done.
    let taken = if zipped {
        out.exists()
    } else {
        out.exists() && std::fs::read_dir(out).map_or(true, |mut d| d.next().is_some())
    };
    if taken {
        eprintln!(
            "centinela: {} {}: a bundle goes into a new {}",
            out.display(),
            if zipped { "exists" } else { "is not empty" },
            if zipped { "zip file" } else { "folder" }
        );
        return Ok(ExitCode::from(1));
    }
    let tsa = match &cfg.main.evidence.tsa_url {
        Some(u) => Some(
            Url::parse(u.get_ref())
                .with_context(|| format!("evidence.tsa_url {:?} is not a URL", u.get_ref()))?,
        ),
        None => None,
    };
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
    let staging = staging_dir(out)?;
    let mut zip_started = false;
    let built = (|| -> anyhow::Result<_> {
        let done = export(&ExportInput {
            subject: subject.clone(),
            records: &records,
            warc_dir: &data.warc(),
            out: &staging,
            operator: &who,
            tool: &tool,
            transport: cfg.main.transport.kind.label(),
            exported_at: &at,
            key: &key,
        })?;
        let stamped = match &tsa {
            Some(url) => Some(timestamp(cfg, data, url, &staging, &key).with_context(|| {
                format!("no trusted timestamp from the TSA at {url}, so nothing was exported")
            })?),
            None => None,
        };
        if zipped {
            let top = out
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "bundle".into());
            zip_started = true;
            zip_bundle(&staging, out, &top)?;
            std::fs::remove_dir_all(&staging)
                .with_context(|| format!("cannot remove {}", staging.display()))?;
        } else {
            std::fs::rename(&staging, out).with_context(|| {
                format!(
                    "cannot move the bundle from {} to {}",
                    staging.display(),
                    out.display()
                )
            })?;
        }
        Ok((done, stamped))
    })();
    let (done, stamped) = match built {
        Ok(b) => b,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            if zip_started {
                let _ = std::fs::remove_file(out);
            }
            return Err(e);
        }
    };
    let mut detail = format!(
        "bundle {} manifest sha256 {}",
        out.display(),
        done.manifest_sha256
    );
    if let Some(s) = &stamped {
        detail.push_str(&format!(
            " timestamped {} by TSA {}",
            s.gen_time, s.tsa_fingerprint
        ));
    }
    let entry = CustodyLog::open(&db)?.append(
        &at,
        &who,
        "export",
        &format!("{} {}", subject.kind, subject.value),
        &detail,
    )?;
    println!(
        "exported {} records and {} captures to {}",
        done.manifest.records,
        done.manifest.captures.len(),
        out.display()
    );
    println!("manifest SHA-256: {}", done.manifest_sha256);
    println!("signed by: {}", done.manifest.signer.fingerprint);
    if let Some(s) = &stamped {
        println!("timestamp: {} (RFC 3161, manifest.tsr)", s.gen_time);
        println!("TSA: {}", s.tsa_subject);
        println!("TSA certificate SHA-256: {}", s.tsa_fingerprint);
    }
    println!("custody log entry: {}", entry.seq);
    Ok(ExitCode::SUCCESS)
}

/// Gets the TSA's token over the bundle's manifest and writes it as `manifest.tsr`. A
/// loopback TSA is reached directly; any other through the configured Tor transport
/// (brought up here; arti bootstraps), never directly (`transport::tsa`).
fn timestamp(
    cfg: &Config,
    data: &DataDir,
    url: &Url,
    dir: &Path,
    key: &keys::SigningKey,
) -> anyhow::Result<Stamped> {
    let query = Query::new(dir)?;
    let timeout = Duration::from_secs(*cfg.main.evidence.tsa_timeout_secs.get_ref());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let reply = runtime.block_on(async {
        let tor = match tsa_route(url)? {
            TsaRoute::Loopback => None,
            TsaRoute::Tor => {
                eprintln!(
                    "reaching the TSA through Tor ({})…",
                    cfg.main.transport.kind.label()
                );
                Some(pipeline::bootstrap(cfg, data, |_| {}).await?)
            }
        };
        anyhow::Ok(post_timestamp_query(url, &query.der, timeout, tor.as_ref()).await?)
    })?;
    Ok(query.accept(dir, &reply, key)?)
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
    let verdict = centinela_evidence::verify::verify_path(bundle);
    for item in &verdict.items {
        println!(
            "{}  {}: {}",
            if item.note {
                "--  "
            } else if item.ok {
                "OK  "
            } else {
                "FAIL"
            },
            item.what,
            item.detail
        );
    }
    let ok = verdict.ok();
    let failed = verdict.items.iter().filter(|i| !i.ok).count();
    let checked = verdict.items.iter().filter(|i| !i.note).count();
    println!(
        "{}",
        if ok {
            format!("VERIFIED: {checked} items hold")
        } else {
            format!("NOT VERIFIED: {failed} of {checked} items do not hold")
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
