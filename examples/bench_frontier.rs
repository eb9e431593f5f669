//! Frontier at scale: queue 1,000,000 URLs the way a crawl does (pages completing with
//! 100 new links each), then keep popping, and print the rates, the database size on disk
//! and the process's peak RSS. The frontier lives on disk: the figure to watch is that
//! peak RSS stays far below the 300 MB budget however large the frontier grows.
//!
//! ```text
//! cargo run --release --example bench_frontier [-- URLS]
//! ```

use std::time::Instant;

use centinela_crawler::frontier::{Completion, Frontier, LinkPriority, NewLink, PageMemo};

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// The allocator of the shipped binary (`src/main.rs`), so the peak RSS is the crawl's.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let total: usize = std::env::args()
        .nth(1)
        .map_or(Ok(1_000_000), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let db = centinela_index::store::open_db(&dir.path().join("db"))?;
    let frontier = Frontier::open(&db)?;
    let host = "kdzap6a2aelincprp5g4otdgtdpz3546kr67bgowxjlv3fukxylvddqd.onion";
    frontier.begin("bench", &[format!("http://{host}/")], 1)?;
    let links_per_page = 100;
    let started = Instant::now();
    let mut queued = 0usize;
    let mut page = 0usize;
    while queued < total {
        let job = frontier.pop("bench")?.ok_or("queue ran dry")?;
        let links = (0..links_per_page)
            .map(|i| NewLink {
                url: format!("http://{host}/producto/{}-{}.html?cat={}", page, i, i % 12),
                priority: if i % 3 == 0 {
                    LinkPriority::Record
                } else {
                    LinkPriority::Other
                },
            })
            .collect();
        let memo = PageMemo {
            status: 200,
            ..Default::default()
        };
        queued += frontier.complete("bench", &job, Completion::Fetched { memo, links }, 50)?;
        page += 1;
        if page % 2000 == 0 {
            eprintln!("  {queued} queued, peak RSS {:.0} MiB", peak_rss_mib());
        }
    }
    db.flush()?;
    let fill = started.elapsed();
    let popped_at = Instant::now();
    let pops = 20_000;
    for _ in 0..pops {
        let job = frontier.pop("bench")?.ok_or("queue ran dry")?;
        let memo = PageMemo {
            status: 200,
            ..Default::default()
        };
        frontier.complete(
            "bench",
            &job,
            Completion::Fetched {
                memo,
                links: Vec::new(),
            },
            50,
        )?;
    }
    let pop = popped_at.elapsed();
    db.flush()?;
    println!("frontier of {queued} URLs ({page} pages completed with {links_per_page} links each)");
    println!(
        "  fill:     {:.1} s, {:.0} URLs/s queued",
        fill.as_secs_f64(),
        queued as f64 / fill.as_secs_f64()
    );
    println!(
        "  pop+done: {pops} in {:.2} s, {:.0} per second",
        pop.as_secs_f64(),
        pops as f64 / pop.as_secs_f64()
    );
    println!(
        "  on disk:  {:.0} MiB",
        dir_size(dir.path()) as f64 / (1024.0 * 1024.0)
    );
    println!("  peak RSS: {:.0} MiB", peak_rss_mib());
    Ok(())
}
