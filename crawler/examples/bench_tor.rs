//! Benchmark of the arti transport on a private Tor network on 127.0.0.1.
//!
//! Measures arti's bootstrap time (fresh state, 3 runs) and the pages/s of fetching the
//! sample sites through the onion service with 1, 4 and 16 concurrent streams, the site
//! answering every request after 300 ms as slow onion services do (a loopback network has no
//! latency of its own). Target: 16 streams ≥ 8× one stream.
//!
//! ```text
//! cargo run --release --example bench_tor
//! ```
//! Needs Debian's `tor`; uses `../tests/tor-testnet/testnet.sh` (or `$CENTINELA_TESTNET_SH`).
//! Exits 1 if the 16-vs-1 ratio is below 8.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use centinela_crawler::transport::{ArtiTransport, FetchRequest, Fetcher, IsolationKey, Url};
use futures::StreamExt;
use support::site::{sample_pages, Site};
use support::testnet::{self, TestNet};
use support::{fetch_until_ok, tor_settings};

const DELAY_MS: u64 = 300;
const ROUNDS: usize = 12;

async fn bootstrap(net: &TestNet, dir: &std::path::Path) -> (ArtiTransport, Duration) {
    let t = Instant::now();
    let transport = ArtiTransport::bootstrap(
        dir,
        Some(&net.private_network()),
        Duration::from_secs(120),
        |_| {},
    )
    .await
    .expect("bootstrap");
    (transport, t.elapsed())
}

/// `streams` concurrent streams, `ROUNDS` requests each; returns (requests, seconds, mean latency).
async fn run(
    fetcher: &Fetcher,
    urls: &[Url],
    streams: usize,
    key: &IsolationKey,
) -> (usize, f64, f64) {
    let total = streams * ROUNDS;
    // Warm-up: open the streams (untimed).
    let warm: Vec<_> = futures::stream::iter(0..streams)
        .map(|i| fetcher.fetch(FetchRequest::new(urls[i % urls.len()].clone(), key.clone())))
        .buffer_unordered(streams)
        .collect()
        .await;
    assert!(warm.iter().all(Result::is_ok), "warm-up failed");
    let start = Instant::now();
    let latencies: Vec<f64> = futures::stream::iter(0..total)
        .map(|i| async move {
            let t = Instant::now();
            let r = fetcher
                .fetch(FetchRequest::new(urls[i % urls.len()].clone(), key.clone()))
                .await
                .unwrap_or_else(|e| panic!("fetch failed: {} ({e})", e.kind()));
            assert_eq!(r.status, 200);
            t.elapsed().as_secs_f64()
        })
        .buffer_unordered(streams)
        .collect()
        .await;
    let secs = start.elapsed().as_secs_f64();
    (
        total,
        secs,
        latencies.iter().sum::<f64>() / latencies.len() as f64,
    )
}

fn main() {
    if let Some(why) = testnet::unavailable() {
        eprintln!("bench_tor: cannot run: {why}");
        std::process::exit(2);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let site = rt.block_on(Site::start());
    let mut net = TestNet::start("bench", site.port, false);
    println!(
        "private network (3 authorities, 5 relays, 1 onion service) ready in {:.1} s",
        net.start_time.as_secs_f64()
    );

    let ok = rt.block_on(async {
        let mut times = Vec::new();
        let mut keep = None;
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("tempdir");
            let (transport, t) = bootstrap(&net, dir.path()).await;
            times.push(t.as_secs_f64());
            keep = Some((transport, dir));
        }
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "arti bootstrap, fresh state: {} s (median {:.3} s)",
            times.iter().map(|t| format!("{t:.3}")).collect::<Vec<_>>().join(", "),
            sorted[1]
        );
        let (transport, _dir) = keep.expect("bootstrapped");
        let fetcher = Fetcher::new(transport, tor_settings());
        let key = IsolationKey::site("bench");
        let urls: Vec<Url> = sample_pages()
            .iter()
            .map(|p| format!("http://{}/delay/{DELAY_MS}/{p}", net.onion).parse().expect("url"))
            .collect();
        let t = Instant::now();
        fetch_until_ok(&fetcher, FetchRequest::new(urls[0].clone(), key.clone()), Duration::from_secs(150)).await;
        println!("first onion fetch (descriptor + rendezvous + {DELAY_MS} ms): {:.2} s", t.elapsed().as_secs_f64());

        println!("\nsite answers after {DELAY_MS} ms; {ROUNDS} requests per stream; one site, one circuit");
        println!("{:>7} {:>9} {:>8} {:>8} {:>13}", "streams", "requests", "seconds", "pages/s", "mean latency");
        let mut rates = Vec::new();
        for streams in [1, 4, 16] {
            let (n, secs, lat) = run(&fetcher, &urls, streams, &key).await;
            let rate = n as f64 / secs;
            rates.push(rate);
            println!("{streams:>7} {n:>9} {secs:>8.2} {rate:>8.2} {:>11.0} ms", lat * 1000.0);
        }
        let ratio = rates[2] / rates[0];
        println!("\n16 streams vs 1: {ratio:.1}x (target >= 8x; ideal {:.0}x)", 16.0);
        ratio >= 8.0
    });
    net.stop();
    drop(site);
    if !ok {
        eprintln!("bench_tor: below target");
        std::process::exit(1);
    }
}
