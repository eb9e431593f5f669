//! The real SMTP server of the alert tests: aiosmtpd (PyPI) running `tests/support/smtpd.py` on
//! 127.0.0.1, saving every accepted message as JSON.
//!
//! Its Python is `$CENTINELA_SMTPD_PYTHON` (default `/var/cache/centinela-venv/bin/python`,
//! with `pip install aiosmtpd`). When it cannot be started the tests print `SKIPPED:` and
//! return; with `CENTINELA_REQUIRE_SMTPD=1` (CI) they fail instead.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use centinela_index::mail::{Security, SmtpConfig};

/// One aiosmtpd process; killed when dropped.
pub struct Smtpd {
    child: Child,
    dir: PathBuf,
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct Received {
    pub rcpt_tos: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub content_type: String,
    pub text: Option<String>,
    pub html: Option<String>,
    /// When the server accepted it, ms since the Unix epoch.
    #[serde(default)]
    pub received_ms: f64,
}

fn python() -> String {
    std::env::var("CENTINELA_SMTPD_PYTHON")
        .unwrap_or_else(|_| "/var/cache/centinela-venv/bin/python".to_string())
}

/// Plain SMTP without login to the server on `port` (loopback, so plain is allowed).
pub fn plain_config(port: u16, timeout: Duration) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: Security::Plain,
        username: None,
        password: None,
        from: "Centinela <alertas@unidad.example>".into(),
        hello_name: "centinela.invalid".into(),
        timeout,
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Starts the server on `port`, saving messages under `dir`; `None` when it cannot run.
fn try_start(port: u16, dir: &Path, auth: Option<(&str, &str)>) -> Result<Smtpd, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    // This file serves the index crate's tests and the workspace's (tests/alerts.rs).
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = [
        manifest.join("tests/support/smtpd.py"),
        manifest.join("index/tests/support/smtpd.py"),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .ok_or("tests/support/smtpd.py not found")?;
    let mut cmd = Command::new(python());
    cmd.arg(&script)
        .arg(port.to_string())
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some((user, password)) = auth {
        cmd.env("SMTPD_USER", user).env("SMTPD_PASSWORD", password);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("{} cannot start: {e}", python()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(line) if line.trim() == "READY" => Ok(Smtpd {
            child,
            dir: dir.to_path_buf(),
        }),
        _ => {
            let _ = child.kill();
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            let _ = child.wait();
            Err(format!(
                "aiosmtpd did not start (pip install aiosmtpd into {}): {}",
                python(),
                err.lines().last().unwrap_or("")
            ))
        }
    }
}

/// The server, or `None` (with a notice) when it cannot run here and CI does not insist.
pub fn start(port: u16, dir: &Path, auth: Option<(&str, &str)>) -> Option<Smtpd> {
    match try_start(port, dir, auth) {
        Ok(s) => Some(s),
        Err(e) if std::env::var("CENTINELA_REQUIRE_SMTPD").as_deref() == Ok("1") => {
            panic!("CENTINELA_REQUIRE_SMTPD=1 but {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: {e}");
            None
        }
    }
}

impl Smtpd {
    pub fn received(&self) -> Vec<Received> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir).expect("read server folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|x| x == "json") {
                let text = std::fs::read_to_string(&path).expect("read message");
                out.push(serde_json::from_str(&text).expect("message json"));
            }
        }
        out
    }
}
