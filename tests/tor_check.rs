//! An operator sets Centinela up on a new server and runs `centinela tor check --url` to
//! see that Tor comes up and an onion service answers. Here the Tor network is the private
//! one of `tests/tor-testnet/testnet.sh`, on 127.0.0.1, with the sample market behind an
//! onion service.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use centinela_crawler::transport::PrivateNetwork;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Stops the network however the test ends.
struct Network {
    dir: PathBuf,
}

impl Drop for Network {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(Path::new(ROOT).join("tests/tor-testnet/testnet.sh"))
            .args(["stop", "--dir"])
            .arg(&self.dir)
            .status();
    }
}

fn tor_available() -> bool {
    let found = Command::new("tor")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CENTINELA_REQUIRE_TOR").is_err(),
            "CENTINELA_REQUIRE_TOR is set but Debian's tor is not installed"
        );
        eprintln!("skipped: tor is not installed (apt-get install tor)");
    }
    found
}

#[test]
fn tor_check_bootstraps_on_the_private_network_and_fetches_the_onion() {
    if !tor_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let net = Network {
        dir: work.path().join("net"),
    };
    let start = || {
        Command::new("bash")
            .arg(Path::new(ROOT).join("tests/tor-testnet/testnet.sh"))
            .args(["start", "--dir"])
            .arg(&net.dir)
            .arg("--site-dir")
            .arg(Path::new(ROOT).join("samples/mercado-andino"))
            .output()
            .unwrap()
    };
    // A network that does not converge on a loaded machine is started afresh once.
    let mut started = start();
    if !started.status.success() {
        eprintln!("first network did not come up; starting a fresh one");
        started = start();
    }
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let stdout = String::from_utf8_lossy(&started.stdout);
    let onion = stdout
        .lines()
        .find_map(|l| l.strip_prefix("onion="))
        .unwrap()
        .to_string();

    // The configuration an operator would write for this network.
    let arti = std::fs::read_to_string(net.dir.join("arti.toml")).unwrap();
    let private = PrivateNetwork::from_arti_toml(&arti).unwrap();
    let quoted = |v: &[String]| {
        v.iter()
            .map(|x| format!("{x:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut config = format!(
        "[storage]\ndata_dir = \"../data\"\n\n[transport]\nkind = \"arti\"\n\n\
         [transport.private_network]\nauthority_v3idents = [{}]\nipv4_subnet_family_prefix = {}\n\
         ipv6_subnet_family_prefix = {}\nallow_local_addrs = {}\n",
        quoted(&private.authority_v3idents),
        private.ipv4_subnet_family_prefix,
        private.ipv6_subnet_family_prefix,
        private.allow_local_addrs
    );
    if let Some(minutes) = private.hsdir_interval {
        config.push_str(&format!("hsdir_interval = {minutes}\n"));
    }
    for cache in &private.fallback_caches {
        config.push_str(&format!(
            "\n[[transport.private_network.fallback_caches]]\nrsa_identity = {:?}\ned_identity = {:?}\norports = [{}]\n",
            cache.rsa_identity,
            cache.ed_identity,
            quoted(&cache.orports)
        ));
    }
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
