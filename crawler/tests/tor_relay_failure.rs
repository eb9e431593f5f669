//! Stopping a relay that a circuit uses, in the middle of a transfer through arti: the fetch
//! fails on that circuit, is classified as a circuit failure, retried on a new circuit, and
//! succeeds with the whole body.
//!
//! Which relay: the bridge records the relays of each stream's circuit (RSA identities); the
//! test maps them to nicknames through network.json and kills (SIGKILL, via `testnet.sh
//! stop-relay --kill`) the first one that is an exit relay — the only kind the script stops;
//! the authorities keep the consensus alive.
//!
//! Two phases:
//! 1. Onion service (opportunistic). On this 8-relay network the consensus bandwidth weights
//!    keep Exit-flagged relays out of non-exit positions most of the time, so onion circuits
//!    (guard, middle, rendezvous point) usually run through the three authorities only; the
//!    test asks for a fresh circuit up to 4 times and runs this phase only if one of them
//!    goes through an exit relay (reported either way; also skipped, with a message, if arti
//!    cannot reach the onion service within 90 s).
//! 2. Exit circuit (always): the same slow body fetched from `http://127.0.0.1:<port>` through
//!    Tor; the circuit's last hop is an exit relay, which is killed mid-transfer.
//!
//! It has a network of its own (stopping relays would disturb other tests).

mod support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use centinela_crawler::transport::{
    ArtiTransport, CircuitInfo, FetchRequest, Fetcher, IsolationKey, Url,
};
use libtest_mimic::{Arguments, Failed, Trial};
use support::site::{pattern, Site};
use support::testnet::{self, TestNet};
use support::tor_settings;

const KIB: u64 = 4096;
const KIB_PER_SEC: u64 = 256;

/// Warm `key` up on `base` until its circuit goes through an exit relay; `None` after `rounds`
/// (or when `base` cannot be reached within `reach`).
async fn circuit_with_exit_relay(
    fetcher: &Fetcher,
    net: &TestNet,
    key: &IsolationKey,
    base: &str,
    rounds: usize,
    reach: Duration,
) -> Option<(String, CircuitInfo)> {
    let small: Url = format!("{base}/blob/100").parse().expect("url");
    for round in 0..rounds {
        let req = FetchRequest::new(small.clone(), key.clone());
        if let Err(e) = fetch_within(fetcher, req, reach).await {
            eprintln!("  not reachable within {reach:?}: {} ({e})", e.kind());
            return None;
        }
        let circuit = fetcher.circuit(key).expect("circuit recorded");
        let names: Vec<String> = circuit
            .relays
            .iter()
            .map(|r| net.any_nick(r).unwrap_or_else(|| "?".into()))
            .collect();
        eprintln!("  round {round}: circuit {} through {names:?}", circuit.id);
        if let Some(nick) = circuit.relays.iter().rev().find_map(|r| net.relay_nick(r)) {
            return Some((nick, circuit));
        }
        fetcher.fresh_circuit(key);
    }
    None
}

/// Fetch the slow body on `key`'s circuit, kill `nick` once 512 KiB are through, check the
/// fetch recovers on another circuit.
async fn kill_mid_transfer(
    fetcher: Fetcher,
    site: &Site,
    net: &TestNet,
    key: IsolationKey,
    base: &str,
    nick: String,
    before: CircuitInfo,
) {
    let large: Url = format!("{base}/large-slow/{KIB}/{KIB_PER_SEC}")
        .parse()
        .expect("url");
    let sent_before = site.slow_sent.load(Ordering::Relaxed);
    let started = Instant::now();
    let fetch = tokio::spawn({
        let req = FetchRequest::new(large, key.clone());
        async move { fetcher.fetch(req).await.map(|r| (r, fetcher)) }
    });
    while site.slow_sent.load(Ordering::Relaxed) - sent_before < 512 * 1024 {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the transfer did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "  {} KiB sent after {:.1?}; killing relay {nick}",
        (site.slow_sent.load(Ordering::Relaxed) - sent_before) / 1024,
        started.elapsed()
    );
    // Blocks this (non-worker) thread only; the transfer runs on the runtime's workers.
    net.stop_relay(&nick);

    let (response, fetcher) = match fetch.await.expect("task") {
        Ok(done) => done,
        Err(e) => {
            net.dump_logs(12);
            panic!("the fetch did not recover: {} ({e})", e.kind());
        }
    };
    let after = fetcher.circuit(&key).expect("circuit recorded");
    eprintln!(
        "  fetched {} KiB in {:.1?} with {} attempts; new circuit {} through {:?}",
        response.body.len() / 1024,
        started.elapsed(),
        response.attempts,
        after.id,
        after
            .relays
            .iter()
            .map(|r| net.any_nick(r).unwrap_or_else(|| "?".into()))
            .collect::<Vec<_>>(),
    );
    assert!(
        response.attempts >= 2,
        "the stop did not break the first attempt"
    );
    assert_eq!(response.body.len() as u64, KIB * 1024);
    assert!(
        response
            .body
            .iter()
            .enumerate()
            .all(|(i, &b)| b == pattern(i as u64)),
        "body corrupted"
    );
    assert_ne!(after.id, before.id, "the retry used the old circuit");
    assert!(
        !after
            .relays
            .iter()
            .any(|r| net.relay_nick(r).as_deref() == Some(nick.as_str())),
        "the new circuit goes through the stopped relay"
    );
}

/// Fetch until it works or `limit` has passed (the onion descriptor may take a while).
async fn fetch_within(
    fetcher: &Fetcher,
    req: FetchRequest,
    limit: Duration,
) -> Result<(), centinela_crawler::transport::FetchError> {
    let start = Instant::now();
    loop {
        match fetcher.fetch(req.clone()).await {
            Ok(_) => return Ok(()),
            Err(e) if e.is_retryable() && start.elapsed() < limit => {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Retry generously: a killed relay may be picked again until the consensus drops it.
fn settings() -> centinela_crawler::transport::FetchSettings {
    let mut s = tor_settings();
    s.retry.max_attempts = 6;
    s
}

fn stopping_a_relay_mid_transfer(rt: &tokio::runtime::Handle) -> Result<(), Failed> {
    let site = rt.block_on(Site::start());
    // With the C tor client, the script returns only once the onion service is reachable.
    let net = TestNet::start("relay", site.port, true);
    eprintln!("network ready in {:.1?}", net.start_time);
    rt.block_on(async {
        let data = tempfile::tempdir().expect("tempdir");
        let transport = std::sync::Arc::new(
            ArtiTransport::bootstrap(
                data.path(),
                Some(&net.private_network()),
                Duration::from_secs(120),
                |_| {},
            )
            .await
            .expect("bootstrap"),
        );
        let onion_base = format!("http://{}", net.onion);
        eprintln!("phase 1: onion service");
        let fetcher = Fetcher::with_shared(transport.clone(), settings());
        let key = IsolationKey::site("relay-test-onion");
        let reach = Duration::from_secs(90);
        match circuit_with_exit_relay(&fetcher, &net, &key, &onion_base, 4, reach).await {
            Some((nick, before)) => {
                kill_mid_transfer(fetcher, &site, &net, key, &onion_base, nick, before).await
            }
            None => eprintln!("  phase 1 not run: no usable onion circuit through an exit relay"),
        }

        eprintln!("phase 2: exit circuit to 127.0.0.1:{}", site.port);
        let exit_base = format!("http://127.0.0.1:{}", site.port);
        let fetcher = Fetcher::with_shared(transport, settings());
        let key = IsolationKey::site("relay-test-exit");
        let reach = Duration::from_secs(60);
        let (nick, before) = circuit_with_exit_relay(&fetcher, &net, &key, &exit_base, 4, reach)
            .await
            .expect("an exit circuit ends at an exit relay");
        kill_mid_transfer(fetcher, &site, &net, key, &exit_base, nick, before).await;
    });
    drop(net);
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let handle = rt.handle().clone();
    let skip = testnet::unavailable();
    if let Some(why) = &skip {
        if testnet::required() {
            eprintln!("CENTINELA_REQUIRE_TOR=1 but {why}: the Tor tests fail");
        } else {
            eprintln!(
                "SKIPPING the Tor tests: {why} (set CENTINELA_REQUIRE_TOR=1 to fail instead)"
            );
        }
    }
    let ignored = skip.is_some() && !testnet::required();
    let trial = Trial::test(
        "stopping_a_relay_mid_transfer_retries_on_a_new_circuit",
        move || match &skip {
            Some(why) => Err(format!("Tor required: {why}").into()),
            None => stopping_a_relay_mid_transfer(&handle),
        },
    )
    .with_ignored_flag(ignored);
    let conclusion = libtest_mimic::run(&args, vec![trial]);
    drop(rt);
    conclusion.exit();
}
