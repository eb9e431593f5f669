//! An operator crawls the sample markets (served on loopback under their onion names):
//! the crawl keeps evidence standard tools can read, survives being killed at any moment,
//! recrawls without re-reading unchanged pages, and stops to ask a person when a market
//! puts up a login wall.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{run, samples, Served, ANDINO, COOKIE_VALUE};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_centinela");

/// `crawl --json`: one summary per site, by name.
fn crawl(config: &Path) -> BTreeMap<String, Value> {
    let (code, out, err) = run(config, &["crawl", "--json"]);
    assert_eq!(code, 0, "crawl failed: {err}\n{out}");
    out.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| (v["site"].as_str().unwrap().to_string(), v))
        .collect()
}

fn sites(config: &Path) -> BTreeMap<String, Value> {
    let (code, out, err) = run(config, &["sites", "--json"]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| (v["site"].as_str().unwrap().to_string(), v))
        .collect()
}

/// Every record in the search index (`search '' --json`), without scores, sorted.
fn every_record(config: &Path) -> Vec<String> {
    let (code, out, err) = run(config, &["search", "", "--json", "--limit", "10000"]);
    assert_eq!(code, 0, "search failed: {err}");
    let mut records: Vec<String> = out
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("score");
            v.to_string()
        })
        .collect();
    records.sort();
    records
}

fn snapshot(data: &Path) -> Value {
    let db = centinela_index::store::open_db(&data.join("db")).unwrap();
    centinela_index::store::Store::open(&db)
        .unwrap()
        .snapshot()
        .unwrap()
}

#[test]
fn demo_crawls_the_samples_and_links_vendors_across_sites() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("demo")
        .arg("--dir")
        .arg(dir.path().join("demo"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The shared PGP key ties CondorBlanco (market) to Kondor_Lima (forum), and the
    // shared wallet ties HarborKing to PuertoCallao: the README's stories.
    let pgp = stdout
        .split("PGP key CAA4C776D9AA8FC78F76C02E8630AF8F5D8A978A")
        .nth(1)
        .expect("the shared PGP key is reported");
    assert!(
        pgp.contains("vendor Kondor_Lima on foro-sur")
            && pgp.contains("vendor CondorBlanco on mercado-andino")
    );
    let btc = stdout
        .split("address 185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk")
        .nth(1)
        .expect("the shared wallet is reported");
    assert!(
        btc.contains("vendor PuertoCallao on mercado-andino")
            && btc.contains("vendor HarborKing on silk-lane")
    );
    assert!(stdout.contains("Cocaína — envío a Lima"), "{stdout}");
    // Running it again starts afresh in its own folder.
    let again = Command::new(BIN)
        .arg("demo")
        .arg("--dir")
        .arg(dir.path().join("demo"))
        .output()
        .unwrap();
    assert!(again.status.success());
    // It never wipes a folder that is not its own.
    std::fs::write(dir.path().join("notes.txt"), "case 2291").unwrap();
    let refused = Command::new(BIN)
        .arg("demo")
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(dir.path().join("notes.txt").exists());
}

#[test]
fn evidence_is_readable_by_warcio_and_points_back_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path(), &samples(), 0);
    let first = crawl(&served.config);
    let pages: u64 = first.values().map(|s| s["pages"].as_u64().unwrap()).sum();
    assert!(pages >= 50, "{first:?}");
    let warc_dir = dir.path().join("data/warc");
    // Every listing's capture can be read back, and its digest holds.
    let db = centinela_index::store::open_db(&dir.path().join("data/db")).unwrap();
    let store = centinela_index::store::Store::open(&db).unwrap();
    let listings = store.listings(None).unwrap();
    assert_eq!(listings.len(), 14);
    for l in &listings {
        let c = &l.capture;
        let r = centinela_crawler::warc::CaptureRef {
            file: c.file.clone(),
            offset: c.offset,
            length: c.length,
            record_id: c.record_id.clone(),
            payload_sha256: c.sha256.clone(),
            date: c.warc_date.clone(),
        };
        let stored = centinela_crawler::warc::read_capture(&warc_dir, &r).unwrap();
        assert_eq!(stored.target_uri, l.capture_page);
        assert!(String::from_utf8_lossy(&stored.body)
            .contains(l.listing.title.split(' ').next().unwrap()));
    }
    drop(store);
    drop(db);
    let Some(warcio) = support::warcio() else {
        return;
    };
    let files: Vec<PathBuf> = std::fs::read_dir(&warc_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for f in &files {
        let check = Command::new(&warcio)
            .arg("check")
            .arg("-v")
            .arg(f)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "warcio check {}: {}",
            f.display(),
            String::from_utf8_lossy(&check.stdout)
        );
    }
    let mut responses = 0;
    for f in &files {
        let index = Command::new(&warcio)
            .args(["index", "-f", "warc-type,warc-target-uri"])
            .arg(f)
            .output()
            .unwrap();
        assert!(index.status.success());
        responses += String::from_utf8_lossy(&index.stdout)
            .matches("\"response\"")
            .count();
    }
    assert_eq!(responses as u64, pages, "warcio lists every capture");
}

#[test]
fn a_recrawl_finds_nothing_changed_and_a_vanished_listing_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("samples");
    support::copy_dir(&samples(), &site);
    let served = Served::start(dir.path(), &site, 0);
    let first = crawl(&served.config);
    assert_eq!(first["mercado-andino"]["listings_new"], 8);
    let second = crawl(&served.config);
    for (name, s) in &second {
        assert_eq!(s["pass"], 2, "{name}");
        assert_eq!(s["new"], 0, "{name}: {s}");
        assert_eq!(s["changed"], 0, "{name}: {s}");
        assert_eq!(
            s["unchanged"], first[name]["new"],
            "{name}: every page read before is unchanged"
        );
    }
    // The market raises a price and takes a listing down.
    let page = site.join("mercado-andino/producto/cocaina-lima.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("1.250,00"));
    std::fs::write(&page, html.replace("1.250,00", "1.400,00")).unwrap();
    std::fs::remove_file(site.join("mercado-andino/producto/aceite-thc.html")).unwrap();
    let third = crawl(&served.config);
    assert_eq!(
        third["mercado-andino"]["listings_changed"], 1,
        "{}",
        third["mercado-andino"]
    );
    assert_eq!(third["mercado-andino"]["listings_disappeared"], 1);
    let db = centinela_index::store::open_db(&dir.path().join("data/db")).unwrap();
    let store = centinela_index::store::Store::open(&db).unwrap();
    let url = format!("http://{ANDINO}/producto/cocaina-lima.html");
    let history: Vec<String> = store
        .history("mercado-andino", &url)
        .unwrap()
        .iter()
        .map(|e| {
            serde_json::to_value(&e.change).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(history, ["listing_first_seen", "price_changed"]);
    let listing = store.listing("mercado-andino", &url).unwrap().unwrap();
    assert_eq!(listing.listing.price.unwrap().amount, Some(1400.0));
    let gone = store
        .listing(
            "mercado-andino",
            &format!("http://{ANDINO}/producto/aceite-thc.html"),
        )
        .unwrap()
        .unwrap();
    assert!(matches!(
        gone.availability,
        centinela_index::store::Availability::Disappeared { .. }
    ));
}

#[test]
fn a_login_wall_pauses_the_site_until_a_person_brings_cookies() {
    let dir = tempfile::tempdir().unwrap();
    let (site, real) = support::samples_behind_a_login_wall(dir.path());
    let served = Served::start(dir.path(), &site, 0);
    let first = crawl(&served.config);
    let andino = &first["mercado-andino"];
    assert_eq!(andino["end"], "needs_human", "{andino}");
    let gate_url = format!("http://{ANDINO}/producto/mdma-cristal.html");
    assert_eq!(andino["needs_human"]["url"], gate_url.as_str());
    assert_eq!(andino["needs_human"]["page_type"], "login");
    assert_eq!(first["silk-lane"]["end"], "complete", "other sites go on");
    let state = sites(&served.config);
    assert_eq!(state["mercado-andino"]["status"], "needs_human");
    assert_eq!(
        state["mercado-andino"]["needs_human"]["url"],
        gate_url.as_str()
    );
    let hits = |s: &Served| {
        s.requests()
            .get(&format!("{ANDINO} /producto/mdma-cristal.html"))
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(hits(&served), 1, "a gate is not retried");
    // Until a person acts, crawling does not touch the site.
    let andino_log = |s: &Served| s.log().lines().filter(|l| l.starts_with(ANDINO)).count();
    let andino_requests = andino_log(&served);
    let waiting = crawl(&served.config);
    assert_eq!(waiting["mercado-andino"]["end"], "still_waiting");
    assert_eq!(waiting["mercado-andino"]["pages"], 0);
    assert_eq!(
        andino_log(&served),
        andino_requests,
        "no request reached the waiting site"
    );
    // The investigator logs in with Tor Browser and exports the cookies.
    support::log_in_with_fresh_cookies(dir.path(), &site, &real);
    let (code, out, _) = run(&served.config, &["sites", "resume", "mercado-andino"]);
    assert_eq!(code, 0);
    assert!(out.contains("resumed"));
    let resumed = crawl(&served.config);
    assert_eq!(
        resumed["mercado-andino"]["end"], "complete",
        "{}",
        resumed["mercado-andino"]
    );
    assert_eq!(
        hits(&served),
        2,
        "the paused page is fetched once more, then done"
    );
    let after: Vec<String> = served
        .log()
        .lines()
        .filter(|l| l.starts_with(ANDINO))
        .skip(andino_requests)
        .map(str::to_string)
        .collect();
    assert!(!after.is_empty());
    assert!(
        after.iter().all(|l| l.ends_with("cookies=sesion_ma")),
        "the session is carried: {after:?}"
    );
    assert!(
        !served.log().contains(COOKIE_VALUE),
        "cookie values are never logged"
    );
}

/// Kills the crawl with SIGKILL again and again at arbitrary moments, restarts it each
/// time, and checks that the result equals an uninterrupted crawl: nothing lost, nothing
/// fetched twice except what was in flight, evidence intact.
#[test]
fn a_crawl_killed_at_any_moment_resumes_and_ends_like_an_uninterrupted_one() {
    const DELAY_MS: u32 = 150;
    let calm_dir = tempfile::tempdir().unwrap();
    let calm = Served::start(calm_dir.path(), &samples(), DELAY_MS);
    crawl(&calm.config);
    let expected = snapshot(&calm_dir.path().join("data"));
    let expected_requests = calm.requests();

    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path(), &samples(), DELAY_MS);
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        | 1;
    let mut kills = 0;
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the crawl never finished after {kills} kills"
        );
        // The first run starts the crawl; each later one finishes what the kill left.
        let resume = if kills == 0 { None } else { Some("--resume") };
        let err_log = dir.path().join(format!("crawl-{kills}.err"));
        let mut child = Command::new(BIN)
            .arg("--config")
            .arg(&served.config)
            .args(["crawl", "--json"])
            .args(resume)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&err_log).unwrap())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let wait = Duration::from_millis(300 + seed % 900);
        let deadline = Instant::now() + wait;
        let mut finished = None;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                finished = Some(status);
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        match finished {
            Some(status) => {
                assert!(
                    status.success(),
                    "a resumed crawl failed ({status}): {}",
                    std::fs::read_to_string(&err_log).unwrap_or_default()
                );
                break;
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
            }
        }
    }
    assert!(kills >= 3, "the crawl was interrupted only {kills} times");
    let got = snapshot(&dir.path().join("data"));
    assert_eq!(
        got, expected,
        "after {kills} kills the store differs from an uninterrupted crawl"
    );
    let requests = served.requests();
    let mut extra = 0;
    for url in expected_requests.keys() {
        let n = requests.get(url).copied().unwrap_or(0);
        assert!(n >= 1, "{url} was never fetched");
        extra += n - 1;
    }
    assert_eq!(
        requests.len(),
        expected_requests.len(),
        "no URL outside the uninterrupted crawl's"
    );
    eprintln!("{kills} kills, {extra} pages fetched again");
    // At each kill, every site had at most `concurrency` (2) pages being fetched and as
    // many fetched but not yet durably kept: those are the pages in flight.
    let in_flight_max = 4 * 2 * 2;
    assert!(
        extra <= kills * in_flight_max,
        "{extra} repeated fetches after {kills} kills"
    );
    // The search index, killed along with the crawl between commits, caught up: it
    // answers exactly as one rebuilt from the store.
    let indexed = every_record(&served.config);
    assert_eq!(indexed.len(), every_record(&calm.config).len());
    std::fs::remove_dir_all(dir.path().join("data/index")).unwrap();
    let (code, _, err) = run(&served.config, &["index", "rebuild"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(every_record(&served.config), indexed);
    // The torn WARC tails were repaired: an independent reader accepts every file.
    if let Some(warcio) = support::warcio() {
        for f in std::fs::read_dir(dir.path().join("data/warc")).unwrap() {
            let f = f.unwrap().path();
            let check = Command::new(&warcio).arg("check").arg(&f).output().unwrap();
            assert!(
                check.status.success(),
                "warcio check {}: {}",
                f.display(),
                String::from_utf8_lossy(&check.stdout)
            );
        }
    }
}

/// The operator presses Ctrl-C in the middle of a crawl: it stops within seconds, keeps
/// what it fetched, says how to go on, and `crawl --resume` ends like an uninterrupted
/// crawl.
#[test]
fn ctrl_c_stops_a_crawl_cleanly_and_resume_finishes_it() {
    const DELAY_MS: u32 = 150;
    let calm_dir = tempfile::tempdir().unwrap();
    let calm = Served::start(calm_dir.path(), &samples(), DELAY_MS);
    crawl(&calm.config);
    let expected = snapshot(&calm_dir.path().join("data"));

    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path(), &samples(), DELAY_MS);
    let child = Command::new(BIN)
        .arg("--config")
        .arg(&served.config)
        .args(["crawl", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let pid = child.id().to_string();
    let signalled = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(signalled.success());
    let asked = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "took {:?} to stop",
        asked.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("crawl --resume"), "{stderr}");
    let ends: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["end"].to_string())
        .collect();
    assert!(ends.iter().any(|e| e == "\"interrupted\""), "{ends:?}");
    let before = served.requests();

    let (code, out, err) = run(&served.config, &["crawl", "--json", "--resume"]);
    assert_eq!(code, 0, "{err}");
    for line in out.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["end"], "complete", "{line}");
    }
    assert_eq!(snapshot(&dir.path().join("data")), expected);
    // Only the pages being fetched at the stop were fetched again: at most two per site.
    let after = served.requests();
    let again: usize = before
        .iter()
        .map(|(url, n)| after.get(url).copied().unwrap_or(0) - n)
        .sum();
    assert!(again <= 4 * 2, "{again} pages fetched again");
}
