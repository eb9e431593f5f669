//! `centinela tor check`: bootstrap the configured transport, show progress, say how long
//! it took, and optionally fetch one URL through it. The first thing an operator runs on
//! a new server, and what to run when crawls start failing.

use crate::cli::{Global, TorCheckArgs};
use crate::config;
use anyhow::Context;
use centinela_crawler::transport::{
    self, BootstrapProgress, FetchRequest, FetchSettings, Fetcher, IsolationKey, Url,
};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

pub fn run(global: &Global, args: &TorCheckArgs) -> anyhow::Result<ExitCode> {
    let cfg = match config::load_or_report(&global.config) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let url = match args.url.as_deref().map(Url::parse).transpose() {
        Ok(u) => u,
        Err(e) => {
            eprintln!("centinela: --url is not a URL: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let data_dir = global.data_dir.clone().unwrap_or(cfg.data_dir.clone());
    let t = &cfg.main.transport;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        println!("transport: {}", t.kind.label());
        if !t.test_only_settings().is_empty() {
            println!("note: TEST-ONLY settings are on: {}", t.test_only_settings().join(", "));
        }
        let started = Instant::now();
        let terminal = std::io::stdout().is_terminal();
        let mut last = -1i32;
        let progress = move |p: BootstrapProgress| {
            let percent = (p.fraction * 100.0).round() as i32;
            if percent == last && !p.ready {
                return;
            }
            last = percent;
            if terminal {
                let filled = (percent / 5).clamp(0, 20) as usize;
                print!("\r[{}{}] {:<70}", "#".repeat(filled), " ".repeat(20 - filled), p.message);
                let _ = std::io::stdout().flush();
            } else {
                println!("bootstrap: {}", p.message);
            }
        };
        let transport = match transport::from_config(t, &data_dir, Duration::from_secs(args.timeout), progress).await {
            Ok(tr) => tr,
            Err(e) => {
                if terminal {
                    println!();
                }
                eprintln!("centinela: the {} transport did not come up: {e}", t.kind.label());
                return Ok(ExitCode::from(1));
            }
        };
        if terminal {
            println!();
        }
        println!("ready in {:.2} s", started.elapsed().as_secs_f64());
        let Some(url) = url else {
            return Ok(ExitCode::SUCCESS);
        };
        let fetcher = Fetcher::with_shared(transport, FetchSettings::from_config(t));
        let fetched = Instant::now();
        match fetcher.fetch(FetchRequest::new(url, IsolationKey::new("tor-check", "default"))).await {
            Ok(r) => {
                println!(
                    "fetched: HTTP {}, {} bytes ({} on the wire), charset {}, {} attempt(s), {:.2} s",
                    r.status.as_u16(),
                    r.body.len(),
                    r.wire_bytes,
                    r.charset.label,
                    r.attempts,
                    fetched.elapsed().as_secs_f64()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("centinela: fetch failed ({:?}): {e}", e.kind());
                Ok(ExitCode::from(1))
            }
        }
    })
}
