//! `centinela serve` over the demo's crawl, and a small HTTP client that keeps cookies,
//! for the web UI's tests.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_centinela");
pub const ADMIN: &str = "jefa";
pub const ADMIN_PASSWORD: &str = "Condor-azul 7 tejados";
pub const INVESTIGATOR: &str = "agente.rios";
pub const INVESTIGATOR_PASSWORD: &str = "lluvia en Miraflores 42";

/// Runs `centinela --config CONFIG ARGS`, with `input` on standard input.
pub fn cli(config: &Path, args: &[&str], input: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = input {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The demo's data, two users (the admin's password from a file, the investigator's on
/// standard input), an API token each, and the UI serving it on a free loopback port.
pub struct Ui {
    dir: tempfile::TempDir,
    pub root: PathBuf,
    pub config: PathBuf,
    /// `http://127.0.0.1:PORT/`, as `serve` said.
    pub url: String,
    pub port: u16,
    /// API tokens made with `centinela user token` before the server started.
    pub admin_token: String,
    pub investigator_token: String,
    server: Option<Child>,
}

impl Ui {
    pub fn start() -> Ui {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("demo");
        let out = Command::new(BIN)
            .arg("demo")
            .arg("--dir")
            .arg(&root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "demo failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let config = root.join("centinela.toml");
        let password_file = dir.path().join("admin.password");
        std::fs::write(&password_file, format!("{ADMIN_PASSWORD}\n")).unwrap();
        let file = password_file.to_str().unwrap();
        let (code, _, err) = cli(
            &config,
            &[
                "user",
                "add",
                ADMIN,
                "--role",
                "admin",
                "--password-file",
                file,
            ],
            None,
        );
        assert_eq!(code, 0, "user add {ADMIN} failed: {err}");
        let (code, _, err) = cli(
            &config,
            &["user", "add", INVESTIGATOR, "--role", "investigator"],
            Some(&format!("{INVESTIGATOR_PASSWORD}\n")),
        );
        assert_eq!(
            code, 0,
            "user add {INVESTIGATOR} (password on stdin) failed: {err}"
        );
        let token = |user: &str| {
            let (code, out, err) = cli(&config, &["user", "token", user], None);
            assert_eq!(code, 0, "user token failed: {err}");
            let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
            assert_eq!(lines.len(), 1, "user token printed {out:?}");
            lines[0].trim().to_string()
        };
        let admin_token = token(ADMIN);
        let investigator_token = token(INVESTIGATOR);

        let log = dir.path().join("serve.log");
        let child = Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut ui = Ui {
            dir,
            root,
            config,
            url: String::new(),
            port: 0,
            admin_token,
            investigator_token,
            server: Some(child),
        };
        let start = Instant::now();
        ui.url = loop {
            let text = ui.log_text();
            if let Some(url) = text
                .lines()
                .find_map(|l| l.strip_prefix("centinela: serving on "))
            {
                break url.trim().to_string();
            }
            if let Some(status) = ui.server.as_mut().unwrap().try_wait().unwrap() {
                panic!("serve exited ({status}) before listening:\n{text}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "serve did not say where it listens within 60 s:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let port = ui
            .url
            .strip_prefix("http://127.0.0.1:")
            .and_then(|r| r.strip_suffix('/'))
            .unwrap_or_else(|| panic!("serve listens on {}", ui.url));
        ui.port = port.parse().unwrap();
        ui
    }

    /// What `serve` wrote on standard error.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }

    /// SIGTERM; the exit status once the server is gone (it must be within 10 s).
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.server.take().unwrap();
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM failed");
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "serve did not stop within 10 s of SIGTERM:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn client(&self) -> Client {
        Client::new(self.port)
    }

    /// A logged-in client.
    pub fn logged_in(&self, user: &str, password: &str) -> Client {
        let mut c = self.client();
        let r = c.log_in(user, password);
        assert_eq!(r.status, 303, "login of {user} failed: {}", r.body);
        c
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        if let Some(mut c) = self.server.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of the first hidden `csrf` field of the page.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("no csrf field")
            + 19;
        self.body[at..].split('"').next().unwrap().to_string()
    }
}

/// HTTP/1.1 over a fresh connection per request, with a cookie jar.
pub struct Client {
    port: u16,
    pub cookies: BTreeMap<String, String>,
}

pub fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", k, url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn url_encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Client {
    /// A client of a UI served elsewhere (the daemon's).
    pub fn new(port: u16) -> Client {
        Client {
            port,
            cookies: BTreeMap::new(),
        }
    }

    pub fn get(&mut self, path: &str) -> Reply {
        self.request("GET", path, &[], None)
    }

    pub fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = form(fields);
        self.request(
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(body.as_bytes()),
        )
    }

    pub fn log_in(&mut self, user: &str, password: &str) -> Reply {
        let page = self.get("/login");
        assert_eq!(page.status, 200);
        let csrf = page.csrf();
        self.post_form(
            "/login",
            &[
                ("user", user),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/"),
            ],
        )
    }

    // The test's own client, to the UI on loopback.
    #[allow(clippy::disallowed_methods)]
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut head =
            format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            head.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let body = body.unwrap_or_default();
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let body = &raw[split + 4..];
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        for (k, v) in &headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let pair = v.split(';').next().unwrap();
                if let Some((name, value)) = pair.split_once('=') {
                    if value.is_empty() || v.contains("Max-Age=0") {
                        self.cookies.remove(name);
                    } else {
                        self.cookies.insert(name.to_string(), value.to_string());
                    }
                }
            }
        }
        let body = if headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
        {
            String::from_utf8_lossy(&dechunk(body)).into_owned()
        } else {
            String::from_utf8_lossy(body).into_owned()
        };
        Reply {
            status,
            headers,
            body,
        }
    }
}

fn dechunk(mut s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = s.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&s[..eol]);
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        let rest = &s[eol + 2..];
        if n == 0 || rest.len() < n {
            break;
        }
        out.extend_from_slice(&rest[..n]);
        s = rest[n..].strip_prefix(b"\r\n").unwrap_or(&rest[n..]);
    }
    out
}
