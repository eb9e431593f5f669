//! An operator sets Centinela up on a new server and runs `centinela tor check --url` to
//! see that Tor comes up and an onion service answers. Here the Tor network is the private
//! one of `tests/tor-testnet/testnet.sh`, on 127.0.0.1, with the sample market behind an
//! onion service.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/tor.rs"]
mod tor;

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn tor_check_bootstraps_on_the_private_network_and_fetches_the_onion() {
    if !tor::tor_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let net = tor::start(
        &work.path().join("net"),
        &Path::new(ROOT).join("samples/mercado-andino"),
    );
    let onion = net.onion.clone();
    // The configuration an operator would write for this network.
    let config = format!(
        "[storage]\ndata_dir = \"../data\"\n\n{}",
        net.transport_section()
    );
    let config_dir = work.path().join("config");
    std::fs::create_dir_all(config_dir.join("sites")).unwrap();
    std::fs::copy(
        Path::new(ROOT).join("config/peru.toml"),
        config_dir.join("peru.toml"),
    )
    .unwrap();
    std::fs::write(config_dir.join("centinela.toml"), config).unwrap();

    let mut last = String::new();
    // The onion service's descriptor can lag the network by a few seconds.
    for _ in 0..20 {
        let out = Command::new(env!("CARGO_BIN_EXE_centinela"))
            .arg("--config")
            .arg(config_dir.join("centinela.toml"))
            .args([
                "tor",
                "check",
                "--timeout",
                "120",
                "--url",
                &format!("http://{onion}/"),
            ])
            .output()
            .unwrap();
        last = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            break;
        }
        assert_ne!(out.status.code(), Some(2), "configuration refused: {last}");
        std::thread::sleep(std::time::Duration::from_secs(3));
    }
    assert!(last.contains("note: TEST-ONLY settings are on"), "{last}");
    assert!(
        last.contains("bootstrap:") && last.contains("ready in"),
        "{last}"
    );
    let page = std::fs::read(Path::new(ROOT).join("samples/mercado-andino/index.html")).unwrap();
    assert!(
        last.contains(&format!("fetched: HTTP 200, {} bytes", page.len())),
        "{last}"
    );
    assert!(
        !last.contains(&onion),
        "the onion host is not echoed in the report: {last}"
    );
}
