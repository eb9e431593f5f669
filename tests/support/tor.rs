//! The private Tor network of `tests/tor-testnet/testnet.sh` (Debian's tor, all on
//! 127.0.0.1) with the sample market behind an onion service, and the `[transport]`
//! section an operator would write for it.

#![allow(dead_code)]

use centinela_crawler::transport::PrivateNetwork;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A running network; stopped however the test ends.
pub struct Network {
    pub dir: PathBuf,
    /// The onion service's host name (`<56 chars>.onion`).
    pub onion: String,
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

/// Whether Debian's tor is here; with `CENTINELA_REQUIRE_TOR` set, it must be.
pub fn tor_available() -> bool {
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

/// Starts a network in `dir` serving `site_dir` behind its onion service. A network
/// that does not converge on a loaded machine is started afresh once.
pub fn start(dir: &Path, site_dir: &Path) -> Network {
    let mut net = Network {
        dir: dir.to_path_buf(),
        onion: String::new(),
    };
    let start = || {
        Command::new("bash")
            .arg(Path::new(ROOT).join("tests/tor-testnet/testnet.sh"))
            .args(["start", "--dir"])
            .arg(dir)
            .arg("--site-dir")
            .arg(site_dir)
            .output()
            .unwrap()
    };
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
    net.onion = String::from_utf8_lossy(&started.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("onion="))
        .unwrap()
        .to_string();
    net
}

impl Network {
    /// `[transport]` for arti on this network, as `centinela.toml` text.
    pub fn transport_section(&self) -> String {
        let arti = std::fs::read_to_string(self.dir.join("arti.toml")).unwrap();
        let private = PrivateNetwork::from_arti_toml(&arti).unwrap();
        let quoted = |v: &[String]| {
            v.iter()
                .map(|x| format!("{x:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut config = format!(
            "[transport]\nkind = \"arti\"\n\n\
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
        config
    }
}
