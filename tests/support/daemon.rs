//! `centinela daemon` as a child process, for the daemon's stories: its log in a file, its
//! `/status`, `/healthz` and `/metrics` read over loopback HTTP, signals sent with `kill`.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_centinela");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A GET on 127.0.0.1: (status code, body). `None` while nothing listens.
#[allow(clippy::disallowed_methods)] // a test client, to the daemon on loopback
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let code = head.split(' ').nth(1)?.parse().ok()?;
    Some((code, body.to_string()))
}

/// Gives the sample configuration a schedule for every site and the daemon a port.
pub fn schedule_all(config: &Path, every: &str, port: u16) {
    let sites = config.parent().unwrap().join("sites");
    for e in std::fs::read_dir(&sites).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            set_schedule(&path, every);
        }
    }
    let mut main = std::fs::read_to_string(config).unwrap();
    main.push_str(&format!(
        "\n[daemon]\nlisten = \"127.0.0.1:{port}\"\nmax_connections = 6\n"
    ));
    std::fs::write(config, main).unwrap();
}

/// Replaces (or adds) the site file's `[schedule]`, which the sample files keep last.
pub fn set_schedule(site_file: &Path, every: &str) {
    let text = std::fs::read_to_string(site_file).unwrap();
    let kept = text
        .split("\n[schedule]")
        .next()
        .unwrap()
        .trim_end()
        .to_string();
    std::fs::write(
        site_file,
        format!("{kept}\n\n[schedule]\nevery = \"{every}\"\n"),
    )
    .unwrap();
}

pub struct Daemon {
    child: Option<Child>,
    pub port: u16,
    pub log: PathBuf,
    pub config: PathBuf,
}

impl Daemon {
    /// Starts the daemon with JSON logs written to `log`.
    pub fn start(config: &Path, port: u16, log: &Path) -> Daemon {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = Command::new(BIN)
            .arg("--config")
            .arg(config)
            .args(["daemon", "--log-format", "json"])
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        let d = Daemon {
            child: Some(child),
            port,
            log: log.to_path_buf(),
            config: config.to_path_buf(),
        };
        d.wait_for("the daemon to answer", Duration::from_secs(60), |_| true);
        d
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// `/status`, or `None` while the daemon does not answer.
    pub fn status(&self) -> Option<Value> {
        let (code, body) = http_get(self.port, "/status")?;
        (code == 200).then(|| serde_json::from_str(&body).unwrap())
    }

    /// The status once `ready` holds; fails with the last status and the log after `limit`.
    pub fn wait_for(&self, what: &str, limit: Duration, ready: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        let mut last = None;
        loop {
            if let Some(s) = self.status() {
                if ready(&s) {
                    return s;
                }
                last = Some(s);
            }
            assert!(
                start.elapsed() < limit,
                "waited {limit:?} for {what}; last status: {}\nlog:\n{}",
                last.map(|s| s.to_string()).unwrap_or_default(),
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(ok.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit (at most `limit`): its status and how long it took.
    pub fn wait_exit(&mut self, limit: Duration) -> (ExitStatus, Duration) {
        let start = Instant::now();
        let child = self.child.as_mut().unwrap();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return (status, start.elapsed());
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                panic!(
                    "the daemon did not exit within {limit:?}\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL, and wait for it to be gone.
    pub fn kill_9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log's events (one JSON object per line).
    pub fn events(&self) -> Vec<Value> {
        self.log_text()
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}"))
            })
            .collect()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// The site's entry in a status report (null before the daemon's first report).
pub fn site<'a>(status: &'a Value, name: &str) -> &'a Value {
    static NONE: Value = Value::Null;
    status["sites"]
        .as_array()
        .and_then(|sites| sites.iter().find(|s| s["site"] == name))
        .unwrap_or(&NONE)
}

/// Passes of `name` this daemon ran that ended `end`.
pub fn passes(status: &Value, name: &str, end: &str) -> u64 {
    site(status, name)["passes"][end].as_u64().unwrap_or(0)
}

pub fn site_names(status: &Value) -> Vec<String> {
    status["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["site"].as_str().unwrap().to_string())
        .collect()
}
