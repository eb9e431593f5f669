//! The private Tor network of `tests/tor-testnet/testnet.sh`, started for a test binary and
//! always stopped (Drop). Tor tests skip with a message when `tor` is not installed, unless
//! `CENTINELA_REQUIRE_TOR=1`, which turns the skip into a failure.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use centinela_crawler::transport::PrivateNetwork;

/// Why Tor tests cannot run here, or `None` when they can.
pub fn unavailable() -> Option<String> {
    let tor = Command::new("tor")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !matches!(tor, Ok(s) if s.success()) {
        return Some("`tor` is not installed (apt-get install tor)".into());
    }
    if !script().is_file() {
        return Some(format!("{} not found", script().display()));
    }
    None
}

/// Whether a missing Tor must fail the tests (`CENTINELA_REQUIRE_TOR=1`, as in CI).
pub fn required() -> bool {
    std::env::var("CENTINELA_REQUIRE_TOR").is_ok_and(|v| v == "1")
}

/// The network script: `$CENTINELA_TESTNET_SH`, or `<crate>/../tests/tor-testnet/testnet.sh`.
pub fn script() -> PathBuf {
    std::env::var_os("CENTINELA_TESTNET_SH")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/tor-testnet/testnet.sh")
        })
}

/// A running private network.
pub struct TestNet {
    pub dir: PathBuf,
    pub onion: String,
    pub socks_port: Option<u16>,
    pub arti_toml: PathBuf,
    pub json: serde_json::Value,
    pub start_time: std::time::Duration,
    stopped: bool,
}

impl TestNet {
    /// Start a network whose onion service fronts 127.0.0.1:`site_port`. A network that
    /// does not converge (on a loaded 2-core machine the C client sometimes gives up on the
    /// onion's directories for 15 minutes) is torn down and started afresh once; panics if
    /// the second one fails too (call [`unavailable`] first).
    pub fn start(name: &str, site_port: u16, client: bool) -> TestNet {
        match Self::try_start(name, site_port, client) {
            Ok(net) => net,
            Err(first) => {
                eprintln!("testnet: first network did not come up ({first}); starting a fresh one");
                Self::try_start(name, site_port, client)
                    .unwrap_or_else(|second| panic!("testnet.sh start failed twice: {second}"))
            }
        }
    }

    fn try_start(name: &str, site_port: u16, client: bool) -> Result<TestNet, String> {
        let dir =
            std::env::temp_dir().join(format!("centinela-tornet-{name}-{}", std::process::id()));
        let started = Instant::now();
        let mut cmd = Command::new("bash");
        cmd.arg(script())
            .args(["start", "--dir"])
            .arg(&dir)
            .args(["--site-port", &site_port.to_string()]);
        if client {
            cmd.arg("--client");
        }
        let out = cmd
            .stderr(Stdio::inherit())
            .output()
            .expect("run testnet.sh");
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(format!("exit {:?}: {stdout}", out.status.code()));
        }
        let vars: HashMap<&str, &str> = stdout.lines().filter_map(|l| l.split_once('=')).collect();
        let json_path = vars.get("json").expect("json= in output");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(json_path).expect("network.json"))
                .expect("network.json parses");
        Ok(TestNet {
            onion: vars["onion"].to_string(),
            socks_port: vars.get("socks_port").and_then(|p| p.parse().ok()),
            arti_toml: PathBuf::from(vars["arti_config"]),
            json,
            dir,
            start_time: started.elapsed(),
            stopped: false,
        })
    }

    /// The arti settings for this network.
    pub fn private_network(&self) -> PrivateNetwork {
        let text = std::fs::read_to_string(&self.arti_toml).expect("arti.toml");
        PrivateNetwork::from_arti_toml(&text).expect("arti.toml is valid")
    }

    /// Nickname of the exit relay (role `relay`, the ones `stop-relay` can stop) with this
    /// RSA identity.
    pub fn relay_nick(&self, rsa: &str) -> Option<String> {
        self.json["relays"].as_array()?.iter().find_map(|r| {
            (r["rsa_fingerprint"].as_str()?.eq_ignore_ascii_case(rsa))
                .then(|| r["nickname"].as_str().map(str::to_string))?
        })
    }

    /// Nickname of any node (authority or relay) with this RSA identity.
    pub fn any_nick(&self, rsa: &str) -> Option<String> {
        ["authorities", "relays"].iter().find_map(|role| {
            self.json[role].as_array()?.iter().find_map(|r| {
                (r["rsa_fingerprint"].as_str()?.eq_ignore_ascii_case(rsa))
                    .then(|| r["nickname"].as_str().map(str::to_string))?
            })
        })
    }

    /// `testnet.sh stop-relay --kill NICK`.
    pub fn stop_relay(&self, nick: &str) {
        let status = Command::new("bash")
            .arg(script())
            .args(["stop-relay", "--dir"])
            .arg(&self.dir)
            .args(["--kill", nick])
            .status()
            .expect("run testnet.sh stop-relay");
        assert!(status.success(), "stop-relay {nick} failed");
    }

    /// Print the last lines of every node's notice log (for diagnosing a failed test).
    pub fn dump_logs(&self, lines: usize) {
        let Ok(nodes) = std::fs::read_dir(self.dir.join("nodes")) else {
            return;
        };
        for node in nodes.flatten() {
            let log = node.path().join("notice.log");
            if let Ok(text) = std::fs::read_to_string(&log) {
                eprintln!("==> {} <==", log.display());
                let all: Vec<&str> = text.lines().collect();
                for l in &all[all.len().saturating_sub(lines)..] {
                    eprintln!("{l}");
                }
            }
        }
    }

    /// Stop everything and delete the directory (also done on drop).
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let _ = Command::new("bash")
            .arg(script())
            .args(["stop", "--dir"])
            .arg(&self.dir)
            .status();
    }
}

impl Drop for TestNet {
    fn drop(&mut self) {
        self.stop();
    }
}
