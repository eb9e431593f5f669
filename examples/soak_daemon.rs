//! Soak benchmark: `centinela daemon` over the sample sites with short schedules for a
//! while (10 minutes by default), sampling its resident memory and open file descriptors
//! every 10 s. Prints every sample, then the growth between minute 2 and the end and the
//! trend (least-squares slope) over that span: a leak shows as steady growth.
//!
//! ```sh
//! cargo build --release --bin centinela --example soak_daemon
//! /var/cache/centinela-target/release/examples/soak_daemon [--minutes 10] [--every 20s]
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

struct Args {
    minutes: u64,
    every: String,
    sample_secs: u64,
    centinela: PathBuf,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        minutes: 10,
        every: "20s".into(),
        sample_secs: 10,
        centinela: sibling_binary()
            .ok_or("no centinela binary beside this one: pass --centinela PATH")?,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--minutes" => a.minutes = value()?.parse().map_err(|e| format!("--minutes: {e}"))?,
            "--every" => a.every = value()?,
            "--sample-secs" => {
                a.sample_secs = value()?
                    .parse()
                    .map_err(|e| format!("--sample-secs: {e}"))?
            }
            "--centinela" => a.centinela = PathBuf::from(value()?),
            other => {
                return Err(format!(
                    "unknown option {other} (see the file's doc comment)"
                ))
            }
        }
    }
    Ok(a)
}

/// `target/<profile>/centinela`, beside `target/<profile>/examples/soak_daemon`.
fn sibling_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let bin = profile_dir.join("centinela");
    bin.is_file().then_some(bin)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[allow(clippy::disallowed_methods)] // the benchmark reads the daemon's /status on loopback
fn status(port: u16) -> Option<serde_json::Value> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        s,
        "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    serde_json::from_str(raw.split_once("\r\n\r\n")?.1).ok()
}

fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn fds(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// Least-squares slope of `ys` over `xs`.
fn slope(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let num: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let den: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

fn run(a: &Args) -> Result<(), String> {
    let work = std::env::temp_dir().join(format!("centinela-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let mut server = Command::new(&a.centinela)
        .args(["demo", "--serve", "--dir"])
        .arg(work.join("demo"))
        .arg("--samples")
        .arg(Path::new(ROOT).join("samples"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{}: {e}", a.centinela.display()))?;
    let mut lines = BufReader::new(server.stdout.take().ok_or("no stdout")?).lines();
    let config = loop {
        let line = lines
            .next()
            .ok_or("the sample server said nothing")?
            .map_err(|e| e.to_string())?;
        if let Some(p) = line.strip_prefix("config=") {
            break PathBuf::from(p);
        }
    };
    let _server = Killed(server);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let sites = config.parent().ok_or("config has no folder")?.join("sites");
    for e in std::fs::read_dir(&sites).map_err(|e| e.to_string())? {
        let p = e.map_err(|e| e.to_string())?.path();
        let mut text = std::fs::read_to_string(&p).map_err(|e| e.to_string())?;
        text.push_str(&format!("\n[schedule]\nevery = \"{}\"\n", a.every));
        std::fs::write(&p, text).map_err(|e| e.to_string())?;
    }
    let mut main = std::fs::read_to_string(&config).map_err(|e| e.to_string())?;
    main.push_str(&format!("\n[daemon]\nlisten = \"127.0.0.1:{port}\"\n"));
    std::fs::write(&config, main).map_err(|e| e.to_string())?;
    let log = std::fs::File::create(work.join("daemon.log")).map_err(|e| e.to_string())?;
    let daemon = Command::new(&a.centinela)
        .arg("--config")
        .arg(&config)
        .arg("daemon")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = daemon.id();
    let mut daemon = Killed(daemon);
    println!(
        "soak: {} min, sites every {}, sampling every {} s; daemon pid {pid}, log {}",
        a.minutes,
        a.every,
        a.sample_secs,
        work.join("daemon.log").display()
    );
    println!(
        "{:>6} {:>9} {:>5} {:>7} {:>9}",
        "t_s", "rss_MiB", "fds", "passes", "fetched"
    );
    let start = Instant::now();
    let total = Duration::from_secs(a.minutes * 60);
    let mut samples: Vec<(f64, f64, usize)> = Vec::new();
    while start.elapsed() <= total {
        let t = start.elapsed().as_secs_f64();
        let (Some(rss), Some(fd)) = (rss_kib(pid), fds(pid)) else {
            return Err("the daemon exited; see its log".into());
        };
        let (passes, fetched) = status(port).map_or((0, 0), |s| {
            let sites = s["sites"].as_array().cloned().unwrap_or_default();
            let passes: u64 = sites
                .iter()
                .filter_map(|x| x["passes"].as_object())
                .flat_map(|p| p.values().filter_map(|v| v.as_u64()))
                .sum();
            let fetched: u64 = sites.iter().filter_map(|x| x["fetched"].as_u64()).sum();
            (passes, fetched)
        });
        let mib = rss as f64 / 1024.0;
        println!("{t:>6.0} {mib:>9.1} {fd:>5} {passes:>7} {fetched:>9}");
        samples.push((t, mib, fd));
        std::thread::sleep(Duration::from_secs(a.sample_secs));
    }
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    let stopped = Instant::now();
    let exit = daemon.0.wait().map_err(|e| e.to_string())?;
    println!(
        "stopped by SIGTERM in {:.1} s ({exit})",
        stopped.elapsed().as_secs_f64()
    );
    let steady: Vec<&(f64, f64, usize)> = samples.iter().filter(|s| s.0 >= 120.0).collect();
    if steady.len() < 2 {
        return Err("run longer than 2 minutes to judge growth".into());
    }
    // Memory rises while a pass runs and falls after it, so single samples depend on
    // where in that cycle they fall: compare the mean (and peak) of the minute after
    // minute 2 with those of the last minute, and fit a line through everything from
    // minute 2 on.
    let window = |from: f64, to: f64| -> Vec<f64> {
        steady
            .iter()
            .filter(|s| s.0 >= from && s.0 < to)
            .map(|s| s.1)
            .collect()
    };
    let end = steady[steady.len() - 1].0;
    let (early, late) = (window(120.0, 180.0), window(end - 60.0, end + 1.0));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let max = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
    let xs: Vec<f64> = steady.iter().map(|s| s.0 / 60.0).collect();
    let ys: Vec<f64> = steady.iter().map(|s| s.1).collect();
    let fd_min = steady.iter().map(|s| s.2).min().unwrap_or(0);
    let fd_max = steady.iter().map(|s| s.2).max().unwrap_or(0);
    println!(
        "rss minute 2-3: mean {:.1} MiB, peak {:.1}; last minute: mean {:.1} MiB, peak {:.1}; \
         growth of the mean {:+.1}% (target < 10%), of the peak {:+.1}%; trend {:+.2} MiB/min",
        mean(&early),
        max(&early),
        mean(&late),
        max(&late),
        (mean(&late) - mean(&early)) / mean(&early) * 100.0,
        (max(&late) - max(&early)) / max(&early) * 100.0,
        slope(&xs, &ys)
    );
    println!("fds after minute 2: min {fd_min}, max {fd_max} (target: constant)");
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

fn main() -> std::process::ExitCode {
    match args().and_then(|a| run(&a)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("soak_daemon: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
