//! Write throughput of the WARC writer: 20,000 exchanges with 12 KB HTML bodies.
//!
//! `cargo run --release --example warc_bench [gzip level …]` (default: levels 1 and 6).

use std::path::Path;
use std::time::{Duration, Instant, UNIX_EPOCH};

use centinela_crawler::warc::{Exchange, WarcWriter};

const EXCHANGES: usize = 20_000;
const BODY_BYTES: usize = 12 * 1024;

/// HTML-like pages with varied text, so compression sees something like real pages.
fn pages(count: usize) -> Vec<Vec<u8>> {
    const WORDS: &[&str] = &[
        "venta",
        "armas",
        "documentos",
        "pasaporte",
        "envío",
        "discreto",
        "bitcoin",
        "precio",
        "contacto",
        "foro",
        "usuario",
        "mensaje",
        "privado",
        "oferta",
        "garantía",
        "calidad",
        "the",
        "and",
        "market",
        "vendor",
        "escrow",
        "listing",
        "shipping",
        "worldwide",
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..count)
        .map(|i| {
            let mut html = format!(
                "<!doctype html><html lang=\"es\"><head><meta charset=\"utf-8\"><title>Listado {i}</title>\
                 <link rel=\"stylesheet\" href=\"/static/site.css\"></head><body><div class=\"wrap\">"
            );
            while html.len() < BODY_BYTES - 64 {
                let n = next();
                html.push_str(&format!(
                    "<div class=\"item\" id=\"i{}\"><a href=\"/item/{}\">",
                    n % 100_000,
                    n % 9_973
                ));
                for k in 0..8 {
                    html.push_str(WORDS[((n >> (k * 5)) % WORDS.len() as u64) as usize]);
                    html.push(' ');
                }
                html.push_str(&format!("</a><span class=\"price\">{}.{:02} USD</span></div>\n", n % 900, n % 100));
            }
            html.push_str("</div></body></html>");
            let mut bytes = html.into_bytes();
            bytes.resize(BODY_BYTES, b' ');
            bytes
        })
        .collect()
}

fn run(
    dir: &Path,
    level: u32,
    bodies: &[Vec<u8>],
    quiet: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let request_headers = vec![
        ("User-Agent".to_string(), "centinela/0.1".to_string()),
        ("Accept".to_string(), "text/html,*/*;q=0.8".to_string()),
    ];
    let response_headers = vec![
        (
            "Content-Type".to_string(),
            "text/html; charset=utf-8".to_string(),
        ),
        ("Content-Encoding".to_string(), "gzip".to_string()),
        ("Server".to_string(), "nginx".to_string()),
    ];
    let mut writer = WarcWriter::open(dir, "bench", 1 << 30, "bench")?;
    writer.set_compression_level(level);
    let uris: Vec<String> = (0..bodies.len())
        .map(|i| format!("http://marketxyzabcdefghij.onion/item/{i}?page=2"))
        .collect();
    let start = Instant::now();
    for (i, body) in bodies.iter().enumerate() {
        writer.write_exchange(&Exchange {
            target_uri: &uris[i],
            date: UNIX_EPOCH + Duration::from_secs(1_795_890_152 + i as u64),
            method: "GET",
            request_headers: &request_headers,
            status: 200,
            reason: "OK",
            response_headers: &response_headers,
            body,
        })?;
    }
    let secs = start.elapsed().as_secs_f64();
    let synced = Instant::now();
    writer.sync()?;
    let sync_secs = synced.elapsed().as_secs_f64();
    let written: u64 = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    if quiet {
        return Ok(());
    }
    let body_mb = (bodies.len() * BODY_BYTES) as f64 / 1e6;
    println!(
        "level {level}: {} exchanges ({} records) in {secs:.2} s = {:.0} exchanges/s, {:.0} records/s, \
         {:.1} MB/s of bodies; {:.1} MB on disk ({:.1}% of body bytes); final fsync {sync_secs:.2} s",
        bodies.len(),
        bodies.len() * 2,
        bodies.len() as f64 / secs,
        (bodies.len() * 2) as f64 / secs,
        body_mb / secs,
        written as f64 / 1e6,
        written as f64 / 1e6 / body_mb * 100.0
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let levels: Vec<u32> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let levels = if levels.is_empty() {
        vec![1, 6]
    } else {
        levels
    };
    let bodies = pages(EXCHANGES);
    // Warm-up (allocator, page cache, CPU clocks): the first run in a process is much slower.
    run(
        tempfile::tempdir()?.path(),
        1,
        &bodies[..EXCHANGES / 4],
        true,
    )?;
    for level in levels {
        let tmp = match std::env::var_os("WARC_BENCH_DIR") {
            Some(base) => tempfile::tempdir_in(base)?,
            None => tempfile::tempdir()?,
        };
        run(tmp.path(), level, &bodies, false)?;
    }
    Ok(())
}
