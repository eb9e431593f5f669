//! The end-to-end crawl benchmark: Centinela and the Scrapy baseline crawl the same
//! synthetic market, served in-process on loopback, one after the other.
//!
//! Why in-process and on one runtime worker: the machine the figures come from has two
//! cores; the server gets one worker thread, the crawler under test the rest, and both
//! crawlers meet the very same server, so the ratio of their pages/s is fair even though
//! the absolute numbers depend on the machine.
//!
//! Why the driver measures from outside: wall time and peak RSS are taken of the child
//! process (started, polled every 20 ms in `/proc/<pid>/status`, reaped), so both crawlers
//! are measured the same way, start-up included, whatever they print. The server's own
//! per-page counters check that both fetched the same pages once each.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};

use crate::server::{serve_counting, HitReport, Hits};
use crate::site::{SyntheticMarket, BENCH_ONION};

/// The site name in the generated configuration, and in `crawl --json` output.
pub const SITE: &str = "bench-market";

const POLL: Duration = Duration::from_millis(20);
const STDERR_TAIL_LINES: usize = 25;

/// Environment variables that would send the crawlers' loopback requests through a proxy
/// (Scrapy honours them): removed from the children's environment.
const PROXY_VARS: &[&str] = &[
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
];

pub const USAGE: &str = "\
bench_crawl: Centinela against the Scrapy baseline on a synthetic onion market (loopback)

USAGE: bench_crawl [OPTIONS]

  --listings N        listings in the synthetic market (default 20000: 20,907 pages)
  --concurrency C     concurrent requests for both crawlers, 1..=16 (default 16)
  --centinela PATH    the centinela binary (default: $CENTINELA_BIN, else the release
                      `centinela` next to this program's target dir, else
                      $CARGO_TARGET_DIR/release, /var/cache/centinela-target/release,
                      <repo>/target/release)
  --scrapy PATH       the baseline script (default: $CENTINELA_BENCH_DIR/scrapy_baseline.py,
                      else <repo>/../shared/bench/, else /work/shared/bench/)
  --python PATH       the Python with Scrapy installed (default: $CENTINELA_SCRAPY_PYTHON,
                      else /var/cache/centinela-venv/bin/python3)
  --repo DIR          the Centinela repository, for config/peru.toml (default:
                      $CENTINELA_REPO, else the current directory)
  --skip-centinela    only run the Scrapy baseline
  --skip-scrapy       only run Centinela
  --timeout-secs S    kill a crawler still running after S seconds (default 1800)
  --alerts            issue 7's latency figure: crawl (Centinela only) with a watchlist
                      that matches ~1 listing in 8 and [smtp] at aiosmtpd on loopback
                      ($CENTINELA_SMTPD_PYTHON, default the scripts/test venv, needs
                      `pip install aiosmtpd`); prints the time
                      from each alert's creation to the server accepting its mail
  --keep              keep the temporary folder (configs, data, scrapy.jsonl)
  -h, --help          this text
";

/// Command-line options.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub listings: usize,
    pub concurrency: u32,
    pub centinela: Option<PathBuf>,
    pub scrapy: Option<PathBuf>,
    pub python: Option<PathBuf>,
    pub repo: Option<PathBuf>,
    pub skip_centinela: bool,
    pub skip_scrapy: bool,
    pub timeout: Duration,
    pub keep: bool,
    pub alerts: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            listings: 20_000,
            concurrency: 16,
            centinela: None,
            scrapy: None,
            python: None,
            repo: None,
            skip_centinela: false,
            skip_scrapy: false,
            timeout: Duration::from_secs(1800),
            keep: false,
            alerts: false,
        }
    }
}

/// What the command line asked for.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    Run(Options),
    Help,
}

/// Parses the arguments after the program name (`--flag value` or `--flag=value`).
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> anyhow::Result<Parsed> {
    let mut o = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> anyhow::Result<String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args.next().ok_or_else(|| anyhow!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--listings" => {
                o.listings = value("--listings")?
                    .parse()
                    .context("--listings wants a number")?;
                if o.listings == 0 {
                    bail!("--listings must be at least 1");
                }
            }
            "--concurrency" => {
                o.concurrency = value("--concurrency")?
                    .parse()
                    .context("--concurrency wants a number")?;
                // Centinela's site files accept 1..=16 (onion services fall over beyond).
                if !(1..=16).contains(&o.concurrency) {
                    bail!("--concurrency must be 1..=16 (the range site files accept)");
                }
            }
            "--centinela" => o.centinela = Some(value("--centinela")?.into()),
            "--scrapy" => o.scrapy = Some(value("--scrapy")?.into()),
            "--python" => o.python = Some(value("--python")?.into()),
            "--repo" => o.repo = Some(value("--repo")?.into()),
            "--timeout-secs" => {
                o.timeout = Duration::from_secs(
                    value("--timeout-secs")?
                        .parse()
                        .context("--timeout-secs wants a number")?,
                )
            }
            "--skip-centinela" => o.skip_centinela = true,
            "--skip-scrapy" => o.skip_scrapy = true,
            "--keep" => o.keep = true,
            "--alerts" => {
                o.alerts = true;
                o.skip_scrapy = true;
            }
            other => bail!("unknown argument {other:?}"),
        }
    }
    if o.skip_centinela && o.skip_scrapy {
        bail!("--skip-centinela and --skip-scrapy together leave nothing to run");
    }
    Ok(Parsed::Run(o))
}

/// A child process's exit, wall time and peak resident memory.
#[derive(Debug)]
pub struct Measured {
    pub status: ExitStatus,
    pub wall: Duration,
    /// Max of VmHWM and VmRSS seen while polling, in KiB (0 if never read).
    pub peak_rss_kb: u64,
    /// The child's user + system CPU time (all threads) at the last poll.
    pub cpu_secs: f64,
    /// This process's CPU time meanwhile: the in-process server (and the polling).
    pub server_cpu_secs: f64,
    /// CPU time of every other process on the machine meanwhile: on a shared machine,
    /// how much the figures were disturbed.
    pub other_cpu_secs: f64,
    pub stdout: String,
    pub stderr: String,
}

impl Measured {
    /// The last lines of stderr, for error messages.
    pub fn stderr_tail(&self) -> String {
        tail(&self.stderr, STDERR_TAIL_LINES)
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Runs `cmd` to completion with stdin closed and stdout/stderr captured, polling its
/// `/proc/<pid>/status` every 20 ms for peak RSS. The wall time ends when the process is
/// reaped (a dedicated thread waits on it), not at the next poll. Killed after `timeout`.
pub fn run_measured(cmd: &mut Command, timeout: Duration) -> anyhow::Result<Measured> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let busy_before = machine_busy_ticks();
    let self_before = process_ticks("self");
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {program}"))?;
    let pid = child.id();
    let mut out = child.stdout.take().context("the child's stdout pipe")?;
    let mut err = child.stderr.take().context("the child's stderr pipe")?;
    // Pipes are drained concurrently so a chatty child never blocks on a full pipe.
    let out_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        out.read_to_end(&mut buf).map(|_| buf)
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        err.read_to_end(&mut buf).map(|_| buf)
    });
    let (tx, rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let status = child.wait();
        // The receiver only goes away on the error path below, which reports it.
        let _ = tx.send((status, Instant::now()));
    });

    let mut peak = 0;
    let mut child_ticks = 0;
    let mut killed = false;
    let pid_dir = pid.to_string();
    let (status, end) = loop {
        if let Some(kb) = rss_kb(pid) {
            peak = peak.max(kb);
        }
        if let Some(t) = process_ticks(&pid_dir) {
            child_ticks = t;
        }
        match rx.recv_timeout(POLL) {
            Ok((status, end)) => break (status.context("waiting for the child")?, end),
            Err(RecvTimeoutError::Timeout) => {
                if !killed && start.elapsed() > timeout {
                    // Our own child, by its pid.
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                    killed = true;
                }
            }
            Err(RecvTimeoutError::Disconnected) => bail!("lost the waiter thread of {program}"),
        }
    };
    let joined = |h: thread::JoinHandle<std::io::Result<Vec<u8>>>, what: &str| {
        h.join()
            .map_err(|_| anyhow!("the {what} reader thread panicked"))?
            .with_context(|| format!("reading the child's {what}"))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let self_ticks = process_ticks("self")
        .zip(self_before)
        .map_or(0, |(after, before)| after.saturating_sub(before));
    let busy_ticks = machine_busy_ticks()
        .zip(busy_before)
        .map_or(0, |(after, before)| after.saturating_sub(before));
    let stdout = joined(out_reader, "stdout")?;
    let stderr = joined(err_reader, "stderr")?;
    waiter
        .join()
        .map_err(|_| anyhow!("the waiter thread panicked"))?;
    let m = Measured {
        status,
        wall: end.duration_since(start),
        peak_rss_kb: peak,
        cpu_secs: ticks_to_secs(child_ticks),
        server_cpu_secs: ticks_to_secs(self_ticks),
        other_cpu_secs: ticks_to_secs(busy_ticks.saturating_sub(child_ticks + self_ticks)),
        stdout,
        stderr,
    };
    if killed {
        bail!(
            "{program} was still running after {} s and was killed; last stderr lines:\n{}",
            timeout.as_secs(),
            m.stderr_tail()
        );
    }
    Ok(m)
}

/// The larger of VmHWM (peak since exec) and VmRSS, in KiB; `None` once the process is
/// gone or a zombie.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .filter(|l| l.starts_with("VmHWM:") || l.starts_with("VmRSS:"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .max()
}

/// Linux reports CPU times in USER_HZ ticks, 100 per second on every architecture it
/// exposes to user space (`getconf CLK_TCK`); reading sysconf would need libc.
const TICKS_PER_SEC: f64 = 100.0;

fn ticks_to_secs(ticks: u64) -> f64 {
    ticks as f64 / TICKS_PER_SEC
}

/// utime + stime of `/proc/<which>/stat` (`which` is a pid or `self`), in ticks.
fn process_ticks(which: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{which}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields restart after
    // the last ')'. utime and stime are fields 14 and 15, i.e. 12th and 13th after it.
    let mut rest = stat[stat.rfind(')')? + 1..].split_whitespace().skip(11);
    let utime: u64 = rest.next()?.parse().ok()?;
    let stime: u64 = rest.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Non-idle CPU ticks of the whole machine since boot (`/proc/stat`, all cores).
fn machine_busy_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().next()?.strip_prefix("cpu ")?;
    let f: Vec<u64> = cpu
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    Some(
        f.iter()
            .take(8)
            .enumerate()
            .filter(|(i, _)| *i != 3 && *i != 4)
            .map(|(_, v)| v)
            .sum(),
    )
}

/// `pages` of the bench site's object in `crawl --json` output (one JSON object per site
/// and line; other lines are ignored, the shape is not final).
pub fn centinela_pages(stdout: &str) -> Option<u64> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
        .filter(|v| {
            v.get("site")
                .and_then(serde_json::Value::as_str)
                .is_none_or(|s| s == SITE)
        })
        .find_map(|v| v.get("pages")?.as_u64())
}

/// A TOML basic string: JSON's string syntax is a subset TOML accepts.
fn toml_string(s: &str) -> anyhow::Result<String> {
    serde_json::to_string(s).context("quoting a TOML string")
}

/// Writes `centinela.toml` and `sites/bench-market.toml` into `dir`; returns the main
/// file. The lexicon is referred to by absolute path (the loader joins it to the config
/// folder, and joining an absolute path yields it unchanged).
pub fn write_config(
    dir: &Path,
    lexicon: &Path,
    port: u16,
    max_pages: usize,
    concurrency: u32,
) -> anyhow::Result<PathBuf> {
    let sites = dir.join("sites");
    std::fs::create_dir_all(&sites).with_context(|| format!("creating {}", sites.display()))?;
    let lexicon = lexicon
        .to_str()
        .with_context(|| format!("{} is not UTF-8", lexicon.display()))?;
    let main = format!(
        "# Written by bench_crawl: the synthetic market on loopback, TEST ONLY.\n\
         [storage]\ndata_dir = \"data\"\n\n\
         [sites]\ndir = \"sites\"\nperu_lexicon = {}\n\n\
         [transport]\nkind = \"direct\"\n\n\
         [transport.loopback_hosts]\n\"{BENCH_ONION}\" = {port}\n",
        toml_string(lexicon)?
    );
    let site = format!(
        "name = \"{SITE}\"\n\
         onion_hosts = [\"{BENCH_ONION}\"]\n\
         start_urls = [\"http://{BENCH_ONION}/\"]\n\
         parser = \"generic\"\n\n\
         [limits]\nmax_pages = {max_pages}\nmax_depth = 50\nconcurrency = {concurrency}\ndelay_ms = 0\n"
    );
    let main_path = dir.join("centinela.toml");
    std::fs::write(&main_path, main).with_context(|| format!("writing {}", main_path.display()))?;
    let site_path = sites.join(format!("{SITE}.toml"));
    std::fs::write(&site_path, site).with_context(|| format!("writing {}", site_path.display()))?;
    Ok(main_path)
}

/// The Centinela repository: `--repo`, `$CENTINELA_REPO`, the current directory, or the
/// folder this was compiled in — the first holding `config/peru.toml`.
fn locate_repo(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let mut tried = Vec::new();
    let candidates = [
        std::env::var_os("CENTINELA_REPO").map(PathBuf::from),
        std::env::current_dir().ok(),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
    ];
    for dir in candidates.into_iter().flatten() {
        if dir.join("config/peru.toml").is_file() {
            return Ok(dir);
        }
        tried.push(dir.display().to_string());
    }
    bail!(
        "cannot find the Centinela repository (config/peru.toml) in {}; \
         run from the repository or set CENTINELA_REPO / --repo",
        tried.join(", ")
    )
}

/// The centinela binary (see USAGE for the order). Prefers the release build that sits
/// next to this program when it runs as `target/release/examples/bench_crawl`.
fn locate_centinela(explicit: Option<&Path>, repo: &Path) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        if !p.is_file() {
            bail!("--centinela {}: no such file", p.display());
        }
        return Ok(p.to_path_buf());
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = std::env::var_os("CENTINELA_BIN") {
        candidates.push(p.into());
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        let dir = match dir.file_name().and_then(|n| n.to_str()) {
            Some("examples" | "deps") => dir.parent().map(Path::to_path_buf).unwrap_or(dir),
            _ => dir,
        };
        candidates.push(dir.join("centinela"));
    }
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(t).join("release/centinela"));
    }
    candidates.push("/var/cache/centinela-target/release/centinela".into());
    candidates.push(repo.join("target/release/centinela"));
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    bail!(
        "no centinela binary found (tried {}); build it with `cargo build --release` in the \
         repository, or pass --centinela PATH / set CENTINELA_BIN",
        tried.join(", ")
    )
}

/// The Python interpreter and baseline script (see USAGE for the order).
fn locate_scrapy(o: &Options, repo: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let python = o
        .python
        .clone()
        .or_else(|| std::env::var_os("CENTINELA_SCRAPY_PYTHON").map(PathBuf::from))
        .unwrap_or_else(|| "/var/cache/centinela-venv/bin/python3".into());
    if !python.is_file() {
        bail!(
            "no Python at {} for the Scrapy baseline: create a venv with `pip install scrapy` \
             and pass --python or set CENTINELA_SCRAPY_PYTHON (or use --skip-scrapy)",
            python.display()
        );
    }
    let script = match &o.scrapy {
        Some(s) => s.clone(),
        None => {
            let mut dirs: Vec<PathBuf> = Vec::new();
            if let Some(d) = std::env::var_os("CENTINELA_BENCH_DIR") {
                dirs.push(d.into());
            }
            dirs.push(repo.join("../shared/bench"));
            dirs.push("/work/shared/bench".into());
            let scripts: Vec<PathBuf> = dirs.iter().map(|d| d.join("scrapy_baseline.py")).collect();
            match scripts.iter().find(|s| s.is_file()) {
                Some(s) => s.clone(),
                None => bail!(
                    "scrapy_baseline.py not found (tried {}); pass --scrapy or set \
                     CENTINELA_BENCH_DIR",
                    scripts
                        .iter()
                        .map(|s| s.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    };
    if !script.is_file() {
        bail!("--scrapy {}: no such file", script.display());
    }
    Ok((python, script))
}

fn without_proxies(cmd: &mut Command) -> &mut Command {
    for v in PROXY_VARS {
        cmd.env_remove(v);
    }
    cmd
}

/// One crawler's figures.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: &'static str,
    pub pages: u64,
    /// Where `pages` came from: the crawler's own report or the server's count.
    pub pages_source: &'static str,
    pub seconds: f64,
    pub peak_rss_kb: u64,
    pub cpu_secs: f64,
    pub server_cpu_secs: f64,
    pub other_cpu_secs: f64,
    pub hits: HitReport,
}

impl Outcome {
    pub fn pages_per_sec(&self) -> f64 {
        if self.seconds > 0.0 {
            self.pages as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Runs `centinela --config <cfg> crawl --json`, after `config check` on the same file so
/// that a configuration the crawler rejects is reported as such.
fn run_centinela(
    bin: &Path,
    config: &Path,
    work: &Path,
    hits: &Hits,
    timeout: Duration,
) -> anyhow::Result<Outcome> {
    let mut check = Command::new(bin);
    check
        .arg("--config")
        .arg(config)
        .args(["config", "check"])
        .current_dir(work)
        .env_remove("CENTINELA_CONFIG");
    let checked = run_measured(without_proxies(&mut check), timeout)?;
    if !checked.status.success() {
        bail!(
            "`{} --config {} config check` failed ({}):\n{}\n{}",
            bin.display(),
            config.display(),
            checked.status,
            tail(&checked.stdout, STDERR_TAIL_LINES),
            checked.stderr_tail()
        );
    }

    hits.reset();
    let mut crawl = Command::new(bin);
    crawl
        .arg("--config")
        .arg(config)
        .args(["crawl", "--json"])
        .current_dir(work)
        .env_remove("CENTINELA_CONFIG");
    let m = run_measured(without_proxies(&mut crawl), timeout)?;
    if !m.status.success() {
        bail!(
            "`{} --config {} crawl --json` failed ({}) after {:.1} s; last stderr lines:\n{}",
            bin.display(),
            config.display(),
            m.status,
            m.wall.as_secs_f64(),
            m.stderr_tail()
        );
    }
    for line in m.stdout.lines().filter(|l| !l.trim().is_empty()).take(5) {
        println!("  centinela says: {line}");
    }
    let report = hits.report();
    let (pages, pages_source) = match centinela_pages(&m.stdout) {
        Some(p) => (p, "crawl --json"),
        None => (report.distinct, "server count"),
    };
    Ok(Outcome {
        name: "centinela",
        pages,
        pages_source,
        seconds: m.wall.as_secs_f64(),
        peak_rss_kb: m.peak_rss_kb,
        cpu_secs: m.cpu_secs,
        server_cpu_secs: m.server_cpu_secs,
        other_cpu_secs: m.other_cpu_secs,
        hits: report,
    })
}

/// Runs the Scrapy baseline; pages are the lines of its JSONL output.
#[allow(clippy::too_many_arguments)]
fn run_scrapy(
    python: &Path,
    script: &Path,
    port: u16,
    max_pages: usize,
    concurrency: u32,
    work: &Path,
    hits: &Hits,
    timeout: Duration,
) -> anyhow::Result<Outcome> {
    let out = work.join("scrapy.jsonl");
    hits.reset();
    let mut cmd = Command::new(python);
    cmd.arg(script)
        .arg(format!("http://127.0.0.1:{port}/"))
        .arg("--concurrency")
        .arg(concurrency.to_string())
        .arg("--max-pages")
        .arg(max_pages.to_string())
        .arg("--out")
        .arg(&out)
        .current_dir(work);
    let m = run_measured(without_proxies(&mut cmd), timeout)?;
    if !m.status.success() {
        bail!(
            "the Scrapy baseline failed ({}) after {:.1} s; last stderr lines:\n{}",
            m.status,
            m.wall.as_secs_f64(),
            m.stderr_tail()
        );
    }
    let jsonl = std::fs::read_to_string(&out)
        .with_context(|| format!("reading the baseline's output {}", out.display()))?;
    let pages = jsonl.lines().filter(|l| !l.trim().is_empty()).count() as u64;
    if !m.stdout.trim().is_empty() {
        println!("  scrapy says: {}", m.stdout.trim());
    }
    Ok(Outcome {
        name: "scrapy",
        pages,
        pages_source: "jsonl lines",
        seconds: m.wall.as_secs_f64(),
        peak_rss_kb: m.peak_rss_kb,
        cpu_secs: m.cpu_secs,
        server_cpu_secs: m.server_cpu_secs,
        other_cpu_secs: m.other_cpu_secs,
        hits: hits.report(),
    })
}

/// The results table, the ratio, the server's counts and warnings.
pub fn render_report(
    market: &SyntheticMarket,
    results: &[(&'static str, Result<Outcome, String>)],
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n{:<10} {:>8} {:>9} {:>9} {:>13} {:>7} {:>10} {:>9}  pages from",
        "crawler", "pages", "seconds", "pages/s", "peak RSS MB", "CPU s", "server CPU", "other CPU"
    );
    for (name, r) in results {
        let _ = match r {
            Ok(o) => writeln!(
                s,
                "{:<10} {:>8} {:>9.2} {:>9.1} {:>13.1} {:>7.1} {:>10.1} {:>9.1}  {}",
                o.name,
                o.pages,
                o.seconds,
                o.pages_per_sec(),
                o.peak_rss_kb as f64 / 1024.0,
                o.cpu_secs,
                o.server_cpu_secs,
                o.other_cpu_secs,
                o.pages_source
            ),
            Err(_) => writeln!(s, "{name:<10} FAILED (see the error below)"),
        };
    }
    let ok = |n: &str| {
        results
            .iter()
            .find(|(name, _)| *name == n)
            .and_then(|(_, r)| r.as_ref().ok())
    };
    if let (Some(c), Some(p)) = (ok("centinela"), ok("scrapy")) {
        if p.pages_per_sec() > 0.0 {
            let _ = writeln!(
                s,
                "ratio (centinela / scrapy pages/s): {:.2}×",
                c.pages_per_sec() / p.pages_per_sec()
            );
        }
    }
    let _ = writeln!(
        s,
        "\nserver hits ({} pages) {:>9} {:>9} {:>9} {:>7} {:>6} {:>6}",
        market.page_count(),
        "GET 200",
        "distinct",
        "repeated",
        "missed",
        "404",
        "HEAD"
    );
    let mut warnings = Vec::new();
    for (_, r) in results {
        let Ok(o) = r else { continue };
        let h = &o.hits;
        let _ = writeln!(
            s,
            "{:<22} {:>9} {:>9} {:>9} {:>7} {:>6} {:>6}",
            o.name, h.get, h.distinct, h.repeated, h.missed, h.not_found, h.head
        );
        if h.repeated > 0 {
            let first = h
                .first_repeated
                .and_then(|i| market.path_of(i))
                .unwrap_or_default();
            warnings.push(format!(
                "{} fetched {} page(s) more than once ({} GETs for {} distinct pages; first: {first})",
                o.name, h.repeated, h.get, h.distinct
            ));
        }
        if h.missed > 0 {
            let first = h
                .first_missed
                .and_then(|i| market.path_of(i))
                .unwrap_or_default();
            warnings.push(format!(
                "{} missed {} of {} pages (first: {first})",
                o.name,
                h.missed,
                market.page_count()
            ));
        }
        if h.not_found > 0 || h.bad_method > 0 {
            warnings.push(format!(
                "{} asked for {} path(s) that are not pages and made {} non-GET/HEAD requests",
                o.name, h.not_found, h.bad_method
            ));
        }
        if o.pages != h.distinct {
            warnings.push(format!(
                "{} reports {} pages ({}) but the server served {} distinct pages",
                o.name, o.pages, o.pages_source, h.distinct
            ));
        }
    }
    let seconds: f64 = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .map(|o| o.seconds)
        .sum();
    let other: f64 = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .map(|o| o.other_cpu_secs)
        .sum();
    // More than a tenth of a core taken by other work means the machine was not quiet.
    if seconds > 0.0 && other / seconds > 0.1 {
        warnings.push(format!(
            "other processes used {other:.1} CPU-seconds during {seconds:.1} s of crawling \
             ({:.0}% of a core): the machine was not idle, rerun for clean figures",
            100.0 * other / seconds
        ));
    }
    for w in warnings {
        let _ = writeln!(s, "WARNING: {w}");
    }
    s
}

/// Mean page size in bytes over the whole site (rendered once, before the crawls).
fn mean_page_bytes(market: &SyntheticMarket) -> usize {
    let n = market.page_count();
    let total: usize = (0..n)
        .filter_map(|i| market.path_of(i))
        .filter_map(|p| market.page(&p))
        .map(|h| h.len())
        .sum();
    total / n.max(1)
}

/// Runs the whole benchmark and prints the report. Fails if a crawler failed (after
/// printing whatever did run).
pub fn run(o: &Options) -> anyhow::Result<()> {
    let repo = locate_repo(o.repo.as_deref())?;
    let lexicon = repo
        .join("config/peru.toml")
        .canonicalize()
        .context("resolving config/peru.toml")?;
    // Resolve both crawlers before anything runs, so a missing one fails fast.
    let centinela = if o.skip_centinela {
        None
    } else {
        Some(locate_centinela(o.centinela.as_deref(), &repo)?)
    };
    let scrapy = if o.skip_scrapy {
        None
    } else {
        Some(locate_scrapy(o, &repo)?)
    };

    let market = Arc::new(SyntheticMarket::new(o.listings));
    let pages = market.page_count();
    let max_pages = pages + 10;
    let hits = Arc::new(Hits::new(pages));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("bench-site")
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    let (addr, _server) = runtime.block_on(serve_counting(market.clone(), hits.clone()))?;

    let tmp = tempfile::Builder::new()
        .prefix("bench-crawl-")
        .tempdir()
        .context("creating a temporary folder")?;
    let work = tmp.path().to_path_buf();
    let config = write_config(&work, &lexicon, addr.port(), max_pages, o.concurrency)?;
    let smtpd = if o.alerts {
        let (server, port) = crate::alerts::start_server(&work)?;
        crate::alerts::configure(&config, port)?;
        Some(server)
    } else {
        None
    };

    println!(
        "synthetic market: {} listings, {pages} pages, mean {:.1} KiB/page; server http://{addr}/ \
         (1 worker thread, also {BENCH_ONION}); concurrency {}; work folder {}",
        o.listings,
        mean_page_bytes(&market) as f64 / 1024.0,
        o.concurrency,
        work.display()
    );

    let mut results: Vec<(&'static str, Result<Outcome, String>)> = Vec::new();
    if let Some(bin) = &centinela {
        // `cargo run --example` does not rebuild the centinela binary: show its age so a
        // stale build is noticed.
        let age = std::fs::metadata(bin)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .map_or_else(
                || "unknown age".to_string(),
                |d| format!("built {} min ago", d.as_secs() / 60),
            );
        println!("centinela binary: {} ({age})", bin.display());
        if bin.components().any(|c| c.as_os_str() == "debug") {
            println!(
                "WARNING: {} looks like a debug build; figures will be meaningless",
                bin.display()
            );
        }
        println!("running {} crawl ...", bin.display());
        let r = run_centinela(bin, &config, &work, &hits, o.timeout).map_err(|e| format!("{e:#}"));
        results.push(("centinela", r));
    }
    if let Some((python, script)) = &scrapy {
        println!("running {} {} ...", python.display(), script.display());
        let r = run_scrapy(
            python,
            script,
            addr.port(),
            max_pages,
            o.concurrency,
            &work,
            &hits,
            o.timeout,
        )
        .map_err(|e| format!("{e:#}"));
        results.push(("scrapy", r));
    }
    print!("{}", render_report(&market, &results));
    if let (Some(server), Some(bin)) = (&smtpd, &centinela) {
        crate::alerts::report(bin, &config, server)?;
    }

    if o.keep {
        let kept = tmp.keep();
        println!("kept {}", kept.display());
    }
    runtime.shutdown_timeout(Duration::from_secs(1));

    let failures: Vec<String> = results
        .iter()
        .filter_map(|(name, r)| r.as_ref().err().map(|e| format!("{name}: {e}")))
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(anyhow!(failures.join("\n\n")))
    }
}

/// Keeps `OsString` arguments that are not UTF-8 from panicking: they are reported.
pub fn utf8_args<I: IntoIterator<Item = OsString>>(args: I) -> anyhow::Result<Vec<String>> {
    args.into_iter()
        .map(|a| {
            a.into_string()
                .map_err(|a| anyhow!("argument {a:?} is not UTF-8"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_arguments() {
        assert_eq!(
            parse_args(args("")).expect("ok"),
            Parsed::Run(Options::default())
        );
        let Parsed::Run(o) = parse_args(args(
            "--listings 500 --concurrency=4 --centinela /x/c --skip-scrapy --timeout-secs 9",
        ))
        .expect("ok") else {
            panic!("not a run")
        };
        assert_eq!(o.listings, 500);
        assert_eq!(o.concurrency, 4);
        assert_eq!(o.centinela.as_deref(), Some(Path::new("/x/c")));
        assert!(o.skip_scrapy && !o.skip_centinela);
        assert_eq!(o.timeout, Duration::from_secs(9));
        assert_eq!(parse_args(args("-h")).expect("ok"), Parsed::Help);
        for bad in [
            "--concurrency 17",
            "--listings",
            "--listings x",
            "--frobnicate",
            "--skip-scrapy --skip-centinela",
        ] {
            assert!(parse_args(args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_pages_from_crawl_json() {
        let out = "starting\n{\"site\":\"other\",\"pages\":3}\n{\"site\":\"bench-market\",\"pages\":20907,\"new\":20907,\"errors\":{}}\n";
        assert_eq!(centinela_pages(out), Some(20907));
        assert_eq!(centinela_pages("{\"pages\":12}"), Some(12));
        assert_eq!(centinela_pages("done\n"), None);
    }

    #[test]
    fn writes_a_config_with_the_loopback_host_and_limits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let main = write_config(
            dir.path(),
            Path::new("/repo/config/peru.toml"),
            4321,
            20917,
            16,
        )
        .expect("config");
        let text = std::fs::read_to_string(main).expect("main");
        assert!(text.contains("peru_lexicon = \"/repo/config/peru.toml\""));
        assert!(text.contains(&format!("\"{BENCH_ONION}\" = 4321")));
        assert!(text.contains("kind = \"direct\""));
        let site =
            std::fs::read_to_string(dir.path().join("sites/bench-market.toml")).expect("site");
        assert!(site.contains("max_pages = 20917") && site.contains("concurrency = 16"));
        assert!(site.contains(&format!("start_urls = [\"http://{BENCH_ONION}/\"]")));
    }

    #[test]
    fn measures_a_child_and_reports_its_failure() {
        let m = run_measured(
            Command::new("sh").args(["-c", "head -c 30000000 /dev/zero | tail -c 1 >/dev/null; echo out; echo err >&2; sleep 0.1"]),
            Duration::from_secs(30),
        )
        .expect("run");
        assert!(m.status.success());
        assert_eq!(m.stdout, "out\n");
        assert_eq!(m.stderr_tail(), "err");
        assert!(m.wall >= Duration::from_millis(100));
        assert!(m.peak_rss_kb > 0);
        assert!(m.cpu_secs >= 0.0 && m.other_cpu_secs >= 0.0);
        let spin = run_measured(
            Command::new("sh").args(["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"]),
            Duration::from_secs(60),
        )
        .expect("run");
        assert!(spin.cpu_secs > 0.0, "a busy child uses CPU: {spin:?}");

        let m = run_measured(
            Command::new("sh").args(["-c", "for i in $(seq 40); do echo line$i >&2; done; exit 3"]),
            Duration::from_secs(30),
        )
        .expect("run");
        assert_eq!(m.status.code(), Some(3));
        assert!(m.stderr_tail().starts_with("line16\n") && m.stderr_tail().ends_with("line40"));

        let e = run_measured(Command::new("sleep").arg("5"), Duration::from_millis(100))
            .expect_err("timeout");
        assert!(format!("{e}").contains("killed"), "{e}");
        let e = run_measured(
            &mut Command::new("/nonexistent/centinela"),
            Duration::from_secs(1),
        )
        .expect_err("missing");
        assert!(format!("{e:#}").contains("/nonexistent/centinela"), "{e:#}");
    }

    #[test]
    fn a_missing_centinela_is_a_clear_error() {
        let e = locate_centinela(
            Some(Path::new("/nonexistent/centinela")),
            Path::new("/nonexistent"),
        )
        .expect_err("missing");
        assert!(format!("{e}").contains("no such file"));
    }

    #[test]
    fn the_report_shows_the_ratio_and_warns_about_repeats_and_misses() {
        let market = SyntheticMarket::new(100);
        let n = market.page_count() as u64;
        let clean = HitReport {
            get: n,
            distinct: n,
            ..HitReport::default()
        };
        let sloppy = HitReport {
            get: n,
            distinct: n - 2,
            repeated: 2,
            first_repeated: Some(0),
            missed: 2,
            first_missed: market.page_indexed("/producto/9.html").map(|(i, _)| i),
            not_found: 1,
            ..HitReport::default()
        };
        let outcome = |name, pages, seconds, hits| Outcome {
            name,
            pages,
            pages_source: "test",
            seconds,
            peak_rss_kb: 2048,
            cpu_secs: 0.5,
            server_cpu_secs: 0.1,
            other_cpu_secs: 0.0,
            hits,
        };
        let report = render_report(
            &market,
            &[
                ("centinela", Ok(outcome("centinela", n, 1.0, clean))),
                ("scrapy", Ok(outcome("scrapy", n, 4.0, sloppy))),
            ],
        );
        assert!(
            report.contains("ratio (centinela / scrapy pages/s): 4.00×"),
            "{report}"
        );
        assert!(
            report.contains("scrapy fetched 2 page(s) more than once"),
            "{report}"
        );
        assert!(report.contains("first: /)"), "{report}");
        assert!(report.contains("scrapy missed 2 of"), "{report}");
        assert!(report.contains("(first: /producto/9.html)"), "{report}");
        assert!(
            report.contains("scrapy asked for 1 path(s) that are not pages"),
            "{report}"
        );
        assert!(!report.contains("WARNING: centinela"), "{report}");
        assert!(report.contains("2.0"), "peak RSS in MB: {report}");

        let failed = render_report(&market, &[("centinela", Err("boom".into()))]);
        assert!(
            failed.contains("centinela  FAILED") && !failed.contains("ratio"),
            "{failed}"
        );
    }
}
