//! Alert latency benchmark: time from a page being stored to its alert being accepted by
//! a real SMTP server (aiosmtpd on 127.0.0.1), median and p99, over N hits.
//!
//! ```sh
//! /var/cache/centinela-venv/bin/pip install aiosmtpd
//! cargo run --release -p centinela-index --example bench_alerts                # 1,000 hits, 100 pages/s
//! cargo run --release -p centinela-index --example bench_alerts -- --hits 5000 --rate 0
//! ```
//!
//! Options: `--hits N` (default 1000), `--rate N` pages per second the keeper stores
//! (default 100, about what one crawl of several markets yields; 0: as fast as possible,
//! which measures queueing behind the mail server rather than latency).
//! `$CENTINELA_SMTPD_PYTHON` picks the server's Python, as in the tests.
//!
//! Each page is one new listing showing a watched wallet: one alert, one recipient. The
//! keeper does what the crawl's keeper does per page (`apply_page_changes`,
//! `process_pending`, flush) and wakes the deliverer, which runs as in the daemon
//! (`Deliverer::run`). The clock starts before `apply_page_changes` and stops at the
//! server's acceptance (the time it wrote in the message's record).

#[path = "../tests/support/smtpd.rs"]
mod smtpd;

use std::collections::HashMap;
use std::time::Duration;

use centinela_index::mail::{Deliverer, DeliveryConfig, RenderOptions, SmtpSender, Transport};
use centinela_index::outbox::{now_ms, Outbox};
use centinela_index::store::{open_db, Capture, Observation, Store};
use centinela_index::time::Timestamp;
use centinela_index::watch::{Language, Rule, RuleKind, Severity, Watcher};
use centinela_parsers::records::{Listing, PageType, ParsedPage, Price};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

const WALLET: &str = "185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk";

fn arg(name: &str, default: u64) -> BenchResult<u64> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args
            .get(i + 1)
            .ok_or(format!("{name} needs a value"))?
            .parse()?),
        None => Ok(default),
    }
}

fn page(n: u64) -> ParsedPage {
    let url = format!("http://mercadoandino.onion/listing/{n}");
    ParsedPage {
        url: url.clone(),
        page_type: PageType::Listing,
        parser: "bench".into(),
        listings: vec![Listing {
            url,
            title: format!("Cocaína pura {n} g, envíos a Lima"),
            price: Some(Price {
                amount: Some(1250.0),
                currency: Some("PEN".into()),
                shown: "S/ 1.250,00".into(),
            }),
            vendor: Some(format!("vendedor{}", n % 50)),
            ships_to: vec!["Perú".into()],
            addresses: vec![WALLET.into()],
            ..Listing::default()
        }],
        vendors: vec![],
        posts: vec![],
        entities: vec![],
        links: vec![],
        link_kinds: vec![],
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> BenchResult<()> {
    let hits = arg("--hits", 1000)?;
    let rate = arg("--rate", 100)?;
    let tmp = tempfile::tempdir()?;
    let port = smtpd::free_port();
    let server = smtpd::start(port, &tmp.path().join("server"), None)
        .ok_or("the SMTP server (aiosmtpd) cannot start")?;

    let db = open_db(&tmp.path().join("db"))?;
    let store = Store::open(&db)?;
    let outbox = Outbox::open(&db)?;
    let rule = Rule {
        name: "wallet".into(),
        kind: RuleKind::Address(WALLET.into()),
        sites: vec![],
        recipients: vec!["jefe@unidad.example".into()],
        language: Language::Es,
        severity: Severity::Warning,
        source: None,
    };
    let watcher = Watcher::open(&db, vec![rule], &outbox)?;
    let sender = SmtpSender::new(&smtpd::plain_config(port, Duration::from_secs(10)))?;
    let deliverer = Deliverer::new(
        &outbox,
        Transport::Smtp(sender),
        DeliveryConfig {
            render: RenderOptions::default(),
            ..DeliveryConfig::default()
        },
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let runner = tokio::spawn(async move {
        deliverer
            .run(async {
                let _ = stop_rx.await;
            })
            .await
    });

    let started = now_ms();
    let mut stored_at: HashMap<u64, u64> = HashMap::new();
    let gap = (rate > 0).then(|| Duration::from_secs_f64(1.0 / rate as f64));
    let mut next = tokio::time::Instant::now();
    for n in 0..hits {
        let t0 = now_ms();
        let capture = Capture {
            file: "centinela-00001.warc.gz".into(),
            offset: n * 1000,
            length: 1000,
            record_id: format!("<urn:uuid:{n}>"),
            sha256: format!("{n:064x}"),
            warc_date: String::new(),
            at: Timestamp::now(),
        };
        let p = page(n);
        store.apply_page_changes(&Observation {
            site: "mercado-andino",
            at: Timestamp::now(),
            capture: &capture,
            page: &p,
        })?;
        for id in watcher.process_pending()? {
            stored_at.insert(id, t0);
        }
        store.flush().await?;
        if let Some(gap) = gap {
            next += gap;
            tokio::time::sleep_until(next).await;
        }
    }
    let kept_ms = now_ms() - started;

    let deadline = std::time::Instant::now() + Duration::from_secs(120 + hits / 10);
    let received = loop {
        let got = server.received();
        if got.len() as u64 >= hits || std::time::Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = stop_tx.send(());
    runner.await??;

    let mut latencies = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for m in &received {
        // <centinela.{alert id}.{hash}@centinela.invalid>
        let id: u64 = m
            .message_id
            .trim_start_matches("<centinela.")
            .split('.')
            .next()
            .unwrap_or("")
            .parse()?;
        if !ids.insert(id) {
            return Err(format!("alert {id} was delivered twice").into());
        }
        let t0 = *stored_at.get(&id).ok_or(format!("unknown alert {id}"))?;
        latencies.push(m.received_ms - t0 as f64);
    }
    latencies.sort_by(f64::total_cmp);
    let total_s =
        (received.iter().map(|m| m.received_ms).fold(0.0, f64::max) - started as f64) / 1000.0;
    println!(
        "alerts: {} hits, {} delivered, {} lost, 0 duplicates",
        hits,
        received.len(),
        hits.saturating_sub(received.len() as u64)
    );
    println!(
        "keeper: {hits} pages stored in {:.2} s (target rate {})",
        kept_ms as f64 / 1000.0,
        if rate == 0 {
            "unlimited".to_string()
        } else {
            format!("{rate}/s")
        }
    );
    println!(
        "page stored -> SMTP accepted: median {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 50.0),
        percentile(&latencies, 90.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "throughput: {:.0} mails/s over {:.2} s",
        received.len() as f64 / total_s.max(1e-9),
        total_s
    );
    if (received.len() as u64) < hits {
        return Err("not every alert was delivered in time".into());
    }
    Ok(())
}
