//! The daemon as it runs in production, through embedded Tor: here the Tor network is the
//! private one of `tests/tor-testnet/testnet.sh` on 127.0.0.1, with the sample market
//! behind an onion service. The daemon bootstraps arti, crawls the onion on its schedule,
//! and reports Tor as up in /healthz and /metrics.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/daemon.rs"]
mod daemon;
#[path = "support/tor.rs"]
mod tor;

use std::path::Path;
use std::time::Duration;

use daemon::{free_port, http_get, passes, site, Daemon};
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn the_daemon_crawls_an_onion_service_over_the_private_tor_network() {
    if !tor::tor_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let net = tor::start(
        &work.path().join("net"),
        &Path::new(ROOT).join("samples/mercado-andino"),
    );
    let port = free_port();
    let config_dir = work.path().join("config");
    std::fs::create_dir_all(config_dir.join("sites")).unwrap();
    std::fs::create_dir_all(config_dir.join("watchlists")).unwrap();
    std::fs::copy(
        Path::new(ROOT).join("config/peru.toml"),
        config_dir.join("peru.toml"),
    )
    .unwrap();
    let main = config_dir.join("centinela.toml");
    std::fs::write(
        &main,
        format!(
            "[storage]\ndata_dir = \"../data\"\n\n[daemon]\nlisten = \"127.0.0.1:{port}\"\n\n{}",
            net.transport_section()
        ),
    )
    .unwrap();
    std::fs::write(
        config_dir.join("sites/mercado-andino.toml"),
        format!(
            "name = \"mercado-andino\"\nonion_hosts = [\"{}\"]\n\n[limits]\nmax_pages = 40\n\
             concurrency = 2\ndelay_ms = 0\n\n[schedule]\nevery = \"1h\"\n",
            net.onion
        ),
    )
    .unwrap();

    let mut d = Daemon::start(&main, port, &work.path().join("daemon.log"));
    // The onion's descriptor can lag the network: a first pass may find the site
    // unreachable, and the daemon retries it a minute later until the pass is complete.
    let s = d.wait_for(
        "a complete pass over the onion",
        Duration::from_secs(400),
        |s| passes(s, "mercado-andino", "complete") >= 1,
    );
    let andino = site(&s, "mercado-andino");
    assert!(
        andino["last_run"]["pages"].as_u64().unwrap() >= 5,
        "{andino}"
    );
    assert_eq!(s["tor"]["transport"], "arti");
    assert_eq!(s["tor"]["ready"], true);

    let (code, body) = http_get(port, "/healthz").unwrap();
    let health: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(code, 200, "{health}");
    assert_eq!(health["tor"]["bootstrapped"], true, "{health}");
    let (_, metrics) = http_get(port, "/metrics").unwrap();
    assert!(
        metrics.contains("centinela_tor_bootstrapped{transport=\"arti\"} 1\n"),
        "{metrics}"
    );
    assert!(
        !d.log_text().contains(&net.onion),
        "onion hosts stay out of the log"
    );

    d.signal("TERM");
    let (exit, took) = d.wait_exit(Duration::from_secs(15));
    assert!(exit.success(), "{exit:?}");
    assert!(took < Duration::from_secs(10), "took {took:?} to stop");
}
