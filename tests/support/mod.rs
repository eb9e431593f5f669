//! Helpers shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_centinela");

/// The warcio executable: `CENTINELA_WARCIO`, else the venv `scripts/test` makes, else
/// `PATH`. Without it the check is skipped with a message — unless
/// `CENTINELA_REQUIRE_WARCIO=1` (CI), which makes its absence a failure.
pub fn warcio() -> Option<PathBuf> {
    let found = std::env::var_os("CENTINELA_WARCIO")
        .map(PathBuf::from)
        .or_else(|| {
            Some(PathBuf::from("/var/cache/centinela-venv/bin/warcio")).filter(|p| p.is_file())
        })
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join("warcio"))
                    .find(|p| p.is_file())
            })
        });
    if found.is_none() {
        assert_ne!(
            std::env::var("CENTINELA_REQUIRE_WARCIO").as_deref(),
            Ok("1"),
            "warcio is required (CENTINELA_REQUIRE_WARCIO=1) but was not found"
        );
        eprintln!("warcio not found: skipping the independent WARC check (pip install warcio)");
    }
    found
}

/// Copies a folder tree (the sample sites, to change them in a test).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub fn chmod_600(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// `centinela demo --serve`: the sample sites on a loopback port, and the configuration
/// that crawls them. Stopped when dropped.
pub struct Served {
    child: Child,
    /// Kept open: the server must be able to go on writing to its standard output.
    _stdout: std::io::Lines<BufReader<std::process::ChildStdout>>,
    pub config: PathBuf,
    pub dir: PathBuf,
}

impl Served {
    pub fn start(dir: &Path, samples: &Path, delay_ms: u32) -> Served {
        std::fs::create_dir_all(dir).unwrap();
        let mut child = Command::new(BIN)
            .args(["demo", "--serve", "--delay-ms", &delay_ms.to_string()])
            .arg("--dir")
            .arg(dir)
            .arg("--samples")
            .arg(samples)
            .arg("--access-log")
            .arg(dir.join("access.log"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let config = loop {
            let line = lines.next().expect("server said nothing").unwrap();
            if let Some(path) = line.strip_prefix("config=") {
                break PathBuf::from(path);
            }
        };
        Served {
            child,
            _stdout: lines,
            config,
            dir: dir.to_path_buf(),
        }
    }

    /// Requests the server has seen: `host path` → count.
    pub fn requests(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        let log = std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default();
        for line in log.lines() {
            let key: Vec<&str> = line.split(' ').take(2).collect();
            *out.entry(key.join(" ")).or_default() += 1;
        }
        out
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The sample sites in the source tree.
pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// `centinela --config CONFIG ARGS…`: exit code, stdout, stderr.
pub fn run(config: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Mercado Andino's onion host in the samples.
pub const ANDINO: &str = "fmy3lmrog4mkokadnrmidlpzz72tg5xgmlly2ruvlrgv25jsnqbwbkqd.onion";
/// The session cookie value the tests export; it must never reach a log.
pub const COOKIE_VALUE: &str = "c2VjcmV0LXZhbHVl";

/// A copy of the samples under `dir/samples` where Mercado Andino's session has expired:
/// one product page answers with the login form. Returns the copy and the page's real
/// content (to put back once "a person has logged in").
pub fn samples_behind_a_login_wall(dir: &Path) -> (PathBuf, Vec<u8>) {
    let site = dir.join("samples");
    copy_dir(&samples(), &site);
    let product = site.join("mercado-andino/producto/mdma-cristal.html");
    let real = std::fs::read(&product).unwrap();
    std::fs::copy(site.join("mercado-andino/login.html"), &product).unwrap();
    (site, real)
}

/// What a person does at the login wall: logs in with Tor Browser (the page is served
/// again), exports the cookies next to the site file, and points the site at them.
pub fn log_in_with_fresh_cookies(served_dir: &Path, samples_copy: &Path, real: &[u8]) {
    std::fs::write(
        samples_copy.join("mercado-andino/producto/mdma-cristal.html"),
        real,
    )
    .unwrap();
    let cookies = served_dir.join("sites/mercado-andino.cookies.txt");
    std::fs::write(
        &cookies,
        format!("# Netscape HTTP Cookie File\n#HttpOnly_{ANDINO}\tFALSE\t/\tFALSE\t0\tsesion_ma\t{COOKIE_VALUE}\n"),
    )
    .unwrap();
    chmod_600(&cookies);
    let site_toml = served_dir.join("sites/mercado-andino.toml");
    let text = std::fs::read_to_string(&site_toml).unwrap();
    std::fs::write(
        &site_toml,
        format!("cookies_file = \"mercado-andino.cookies.txt\"\n{text}"),
    )
    .unwrap();
}
