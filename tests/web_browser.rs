//! The web UI in a real browser. The demo crawls the sample markets; an admin and an
//! investigator are made with the CLI; `centinela serve` runs on a loopback port; Debian's
//! headless Chromium, driven by playwright-core from node, then
//! - walks an investigator's story (tests/browser/story.cjs): log in, search, open a
//!   listing, its vendor and the same vendor on a forum, add a watchlist rule, switch to
//!   English, log out — a screenshot at each step;
//! - opens Silk Lane's hostile listing every way the UI shows it
//!   (tests/browser/security.cjs) and checks that none of its script, refresh or remote
//!   images act, that the browser asks nothing of any host but the server, and that forms
//!   without the CSRF token are refused.
//!
//! Needs node, chromium (`CENTINELA_CHROMIUM`, default /usr/bin/chromium) and
//! playwright-core (found through `NODE_PATH`, default /var/cache/centinela-node/node_modules);
//! `scripts/test` installs them. Without them the test is skipped with a message, unless
//! `CENTINELA_REQUIRE_BROWSER=1` (CI). Screenshots go to `$CENTINELA_ARTIFACTS/web_browser`,
//! else to `centinela-web-browser` in the system's temporary folder.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/web.rs"]
mod web;

use web::{Ui, ADMIN, ADMIN_PASSWORD, INVESTIGATOR, INVESTIGATOR_PASSWORD};

/// How long one browser script may take (each waits 6.5 s on five hostile views).
const SCRIPT_LIMIT: Duration = Duration::from_secs(300);

/// What drives the browser.
struct Browser {
    chromium: PathBuf,
    node_path: String,
}

/// Node, Chromium and playwright-core, or why not. Their absence skips the test with a
/// message, or fails it under `CENTINELA_REQUIRE_BROWSER=1`.
fn browser() -> Option<Browser> {
    let found = find_browser();
    match found {
        Ok(b) => Some(b),
        Err(why) => {
            assert_ne!(
                std::env::var("CENTINELA_REQUIRE_BROWSER").as_deref(),
                Ok("1"),
                "the browser tests are required (CENTINELA_REQUIRE_BROWSER=1) but {why}"
            );
            // Past the test harness's capture: a skip must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "web_browser: skipped: {why} (scripts/test installs them)"
            );
            None
        }
    }
}

fn find_browser() -> Result<Browser, String> {
    let chromium = std::env::var_os("CENTINELA_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.is_file() {
        return Err(format!("chromium is not at {}", chromium.display()));
    }
    let node_path = std::env::var("NODE_PATH")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "/var/cache/centinela-node/node_modules".to_string());
    let resolved = Command::new("node")
        .args(["-e", "require.resolve('playwright-core')"])
        .env("NODE_PATH", &node_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match resolved {
        Err(e) => Err(format!("node cannot be run ({e})")),
        Ok(s) if !s.success() => Err(format!(
            "node finds no playwright-core in NODE_PATH={node_path}"
        )),
        Ok(_) => Ok(Browser {
            chromium,
            node_path,
        }),
    }
}

/// Where the screenshots go: kept after the test, and said where (past the test
/// harness's capture, so that a passing run says it too).
fn screenshot_dir() -> PathBuf {
    let base = std::env::var_os("CENTINELA_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = if std::env::var_os("CENTINELA_ARTIFACTS").is_some() {
        base.join("web_browser")
    } else {
        base.join("centinela-web-browser")
    };
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let _ = writeln!(
        std::io::stderr(),
        "web_browser: screenshots in {}",
        dir.display()
    );
    dir
}

/// `centinela --config CONFIG ARGS…` with `input` on standard input: exit code and output.
/// What a browser script did: whether it passed, and everything it printed.
struct Run {
    passed: bool,
    output: String,
}

/// `node tests/browser/SCRIPT` against the server, at most [`SCRIPT_LIMIT`].
fn run_script(script: &str, browser: &Browser, env: &[(&str, &str)], work: &Path) -> Run {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser")
        .join(script);
    let out_path = work.join(format!("{script}.out"));
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = Command::new("node")
        .arg(&path)
        .envs(env.iter().copied())
        .env("NODE_PATH", &browser.node_path)
        .env("CENTINELA_CHROMIUM", &browser.chromium)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > SCRIPT_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut output = std::fs::read_to_string(&out_path).unwrap_or_default();
    if status.is_none() {
        output.push_str(&format!("\n(killed after {SCRIPT_LIMIT:?})\n"));
    }
    Run {
        passed: status.is_some_and(|s| s.success()),
        output,
    }
}

/// The hostile page's address, as the demo crawled it.
fn hostile_url() -> String {
    let expected =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/silk-lane/listing/1005.expected.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(expected).unwrap()).unwrap();
    json["url"].as_str().unwrap().to_string()
}

#[test]
fn an_investigator_works_in_the_web_ui_and_a_hostile_page_cannot_act_in_the_browser() {
    let Some(browser) = browser() else {
        return;
    };
    let mut ui = Ui::start();
    let work = tempfile::tempdir().unwrap();
    let shots = screenshot_dir();
    let hostile = hostile_url();
    let env = [
        ("BASE_URL", ui.url.as_str()),
        ("CENTINELA_USER", ADMIN),
        ("CENTINELA_PASSWORD", ADMIN_PASSWORD),
        ("CENTINELA_INVESTIGATOR", INVESTIGATOR),
        ("CENTINELA_INVESTIGATOR_PASSWORD", INVESTIGATOR_PASSWORD),
        ("HOSTILE_URL", hostile.as_str()),
        ("SCREENSHOT_DIR", shots.to_str().unwrap()),
    ];
    let story = run_script("story.cjs", &browser, &env, work.path());
    let security = run_script("security.cjs", &browser, &env, work.path());
    let stopped = ui.stop();
    let report = format!(
        "== story.cjs\n{}\n== security.cjs\n{}\n== serve's log\n{}\nscreenshots in {}",
        story.output,
        security.output,
        ui.log_text(),
        shots.display()
    );
    assert!(
        story.passed && security.passed,
        "the browser found problems:\n{report}"
    );
    assert!(
        stopped.success(),
        "serve exited with {stopped} on SIGTERM:\n{report}"
    );
    println!("{report}");
}
