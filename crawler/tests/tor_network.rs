//! Fetching through a private Tor network on 127.0.0.1 (tests/tor-testnet/testnet.sh):
//! arti and a C tor SOCKS port give the same bytes as loopback-direct; isolation keys get
//! their own circuits; a missing onion service is classified.
//!
//! One network (with a C tor client) serves every test in this binary; it is started by the
//! first test that needs it and stopped when the binary ends (harness = false, libtest-mimic).

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use centinela_crawler::transport::{
    ArtiTransport, DirectTransport, FailureKind, FetchRequest, FetchSettings, Fetcher,
    IsolationKey, RetryPolicy, Socks5Transport, Transport, Url,
};
use futures::StreamExt;
use libtest_mimic::{Arguments, Failed, Trial};
use support::site::{sample_pages, Site};
use support::testnet::{self, TestNet};
use support::{assert_kind, fetch_until_ok, tor_settings};

struct Env {
    site: Site,
    net: TestNet,
}

static ENV: Mutex<Option<Arc<Env>>> = Mutex::new(None);

fn env(rt: &tokio::runtime::Handle) -> Arc<Env> {
    let mut slot = ENV.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(env) = slot.as_ref() {
        return env.clone();
    }
    let site = rt.block_on(Site::start());
    let net = TestNet::start("net", site.port, true);
    eprintln!(
        "private Tor network ready in {:.1?}; onion service in front of 127.0.0.1:{}",
        net.start_time, site.port
    );
    let env = Arc::new(Env { site, net });
    *slot = Some(env.clone());
    env
}

async fn arti(env: &Env, data: &tempfile::TempDir) -> ArtiTransport {
    let t = Instant::now();
    let transport = ArtiTransport::bootstrap(
        data.path(),
        Some(&env.net.private_network()),
        Duration::from_secs(120),
        |_| {},
    )
    .await
    .expect("arti bootstraps on the private network");
    eprintln!("arti bootstrapped in {:.2?}", t.elapsed());
    transport
}

/// Every sample page plus a binary blob, by URL path.
fn paths() -> Vec<String> {
    let mut paths: Vec<String> = sample_pages()
        .iter()
        .map(|p| format!("/files/{p}"))
        .collect();
    assert!(
        paths.len() >= 20,
        "sample pages not found ({} pages)",
        paths.len()
    );
    paths.push("/blob/300000".into());
    paths
}

/// Fetch `paths` from `base` with `fetcher`, 4 at a time, in order.
async fn fetch_all(fetcher: &Fetcher, base: &str, key: &IsolationKey) -> Vec<Vec<u8>> {
    let results: Vec<(usize, Vec<u8>)> = futures::stream::iter(paths().into_iter().enumerate())
        .map(|(i, path)| async move {
            let url: Url = format!("{base}{path}").parse().expect("url");
            let r = fetcher
                .fetch(FetchRequest::new(url, key.clone()))
                .await
                .unwrap_or_else(|e| panic!("{path}: {} ({e})", e.kind()));
            assert_eq!(r.status, 200, "{path}");
            (i, r.body)
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let mut results = results;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, b)| b).collect()
}

/// Compare what `transport` fetches from the onion with loopback-direct, byte for byte.
async fn compare_with_direct(env: &Env, transport: impl Transport) {
    let onion_base = format!("http://{}", env.net.onion);
    let key = IsolationKey::site("samples");
    let tor = Fetcher::new(transport, tor_settings());
    let first = format!("{onion_base}/files/{}", sample_pages()[0])
        .parse()
        .expect("url");
    fetch_until_ok(
        &tor,
        FetchRequest::new(first, key.clone()),
        Duration::from_secs(150),
    )
    .await;
    let t = Instant::now();
    let via_tor = fetch_all(&tor, &onion_base, &key).await;
    eprintln!(
        "{} pages through {} in {:.2?}",
        via_tor.len(),
        tor.transport().kind().label(),
        t.elapsed()
    );

    let mut map = BTreeMap::new();
    map.insert(env.net.onion.clone(), env.site.port);
    let direct = Fetcher::new(DirectTransport::new(map), FetchSettings::default());
    let via_loopback = fetch_all(
        &direct,
        &format!("http://127.0.0.1:{}", env.site.port),
        &key,
    )
    .await;
    let via_mapped_onion = fetch_all(&direct, &onion_base, &key).await;
    for (i, path) in paths().iter().enumerate() {
        assert!(!via_loopback[i].is_empty(), "{path} is empty");
        assert!(
            via_tor[i] == via_loopback[i],
            "{path}: body through Tor differs from direct"
        );
        assert!(
            via_mapped_onion[i] == via_loopback[i],
            "{path}: mapped onion differs"
        );
    }
}

fn arti_pages_match_direct(rt: &tokio::runtime::Handle) -> Result<(), Failed> {
    let env = env(rt);
    rt.block_on(async {
        let data = tempfile::tempdir().expect("tempdir");
        compare_with_direct(&env, arti(&env, &data).await).await;
    });
    Ok(())
}

fn socks5_pages_match_direct(rt: &tokio::runtime::Handle) -> Result<(), Failed> {
    let env = env(rt);
    let port = env
        .net
        .socks_port
        .ok_or("the network has no C tor client")?;
    rt.block_on(async {
        let transport = Socks5Transport::new(([127, 0, 0, 1], port).into()).expect("loopback");
        compare_with_direct(&env, transport).await;
    });
    Ok(())
}

fn arti_isolation_keys_get_their_own_circuits(rt: &tokio::runtime::Handle) -> Result<(), Failed> {
    let env = env(rt);
    rt.block_on(async {
        let data = tempfile::tempdir().expect("tempdir");
        let fetcher = Fetcher::new(arti(&env, &data).await, tor_settings());
        let url: Url = format!("http://{}/blob/1000", env.net.onion)
            .parse()
            .expect("url");
        let (a, b) = (
            IsolationKey::site("site-a"),
            IsolationKey::new("site-a", "persona-2"),
        );
        let c = IsolationKey::site("site-c");
        for key in [&a, &b, &c] {
            fetch_until_ok(
                &fetcher,
                FetchRequest::new(url.clone(), key.clone()),
                Duration::from_secs(150),
            )
            .await;
        }
        let circ = |k: &IsolationKey| fetcher.circuit(k).expect("circuit recorded");
        let (ca, cb, cc) = (circ(&a), circ(&b), circ(&c));
        eprintln!(
            "circuits: {} {:?} / {} / {}",
            ca.id,
            ca.relays.len(),
            cb.id,
            cc.id
        );
        assert!(!ca.relays.is_empty(), "the circuit's relays are known");
        assert_ne!(ca.id, cb.id, "two personas of a site share a circuit");
        assert_ne!(ca.id, cc.id, "two sites share a circuit");
        fetcher.fresh_circuit(&a);
        fetch_until_ok(
            &fetcher,
            FetchRequest::new(url.clone(), a.clone()),
            Duration::from_secs(60),
        )
        .await;
        assert_ne!(circ(&a).id, ca.id, "fresh_circuit gave the same circuit");
    });
    Ok(())
}

fn arti_missing_onion_is_onion_not_found(rt: &tokio::runtime::Handle) -> Result<(), Failed> {
    let env = env(rt);
    rt.block_on(async {
        let data = tempfile::tempdir().expect("tempdir");
        let transport: Arc<dyn Transport> = Arc::new(arti(&env, &data).await);
        // Make sure the network's HSDirs answer at all, then ask for a service that is not there.
        let fetcher = Fetcher::with_shared(transport.clone(), tor_settings());
        let url: Url = format!("http://{}/blob/10", env.net.onion)
            .parse()
            .expect("url");
        fetch_until_ok(
            &fetcher,
            FetchRequest::new(url, IsolationKey::site("x")),
            Duration::from_secs(150),
        )
        .await;
        let settings = FetchSettings {
            retry: RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            },
            ..tor_settings()
        };
        let fetcher = Fetcher::with_shared(transport, settings);
        let absent: Url = "http://e5aumhzweooxjgaagvgdsiajzvvxnx5jvr254q3jfwxchqam2crca4id.onion/"
            .parse()
            .expect("url");
        let t = Instant::now();
        let err = assert_kind(
            fetcher
                .fetch(FetchRequest::new(absent, IsolationKey::site("absent")))
                .await,
            FailureKind::OnionNotFound,
        );
        eprintln!("missing onion classified in {:.2?}: {err}", t.elapsed());
        assert!(
            !err.to_string().contains("e5aumhzw"),
            "onion host in the error text: {err}"
        );
    });
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
    type Test = fn(&tokio::runtime::Handle) -> Result<(), Failed>;
    let tests: [(&str, Test); 4] = [
        ("arti_pages_match_direct", arti_pages_match_direct),
        ("socks5_pages_match_direct", socks5_pages_match_direct),
        (
            "arti_isolation_keys_get_their_own_circuits",
            arti_isolation_keys_get_their_own_circuits,
        ),
        (
            "arti_missing_onion_is_onion_not_found",
            arti_missing_onion_is_onion_not_found,
        ),
    ];
    let trials = tests
        .into_iter()
        .map(|(name, test)| {
            let handle = handle.clone();
            let ignored = skip.is_some() && !testnet::required();
            let skip = skip.clone();
            Trial::test(name, move || match &skip {
                Some(why) => Err(format!("Tor required: {why}").into()),
                None => test(&handle),
            })
            .with_ignored_flag(ignored)
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    // Stop the network before exiting (exit() skips destructors).
    let env = ENV.lock().unwrap_or_else(|p| p.into_inner()).take();
    drop(env);
    drop(rt);
    conclusion.exit();
}
