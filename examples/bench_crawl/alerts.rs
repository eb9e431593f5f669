//! `--alerts`: the alert-latency benchmark of issue 7, over a real crawl. A watchlist
//! rule matches thousands of the synthetic market's listings; `centinela crawl` runs with
//! `[smtp]` pointing at aiosmtpd on loopback (the tests' server script); afterwards each
//! accepted mail is matched to its alert through the Message-ID (which carries the alert
//! id) and timed from the alert's creation — right after the page that raised it was
//! durably stored — to the server's acceptance.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::Value;

#[path = "../../index/tests/support/smtpd.rs"]
mod smtpd;
pub use smtpd::Smtpd;

/// The watchlist: every listing sold "sin cortar" (about one in eight).
pub const WATCHLIST: &str = "\
[[rule]]
name = \"sin-cortar\"
query = \"sin cortar\"
recipients = [\"supervisor@unidad.example\"]
severity = \"info\"
";

/// aiosmtpd on a free loopback port (the tests' server: `$CENTINELA_SMTPD_PYTHON`, by
/// default the venv `scripts/test` makes), saving each accepted message under `work`.
pub fn start_server(work: &Path) -> anyhow::Result<(Smtpd, u16)> {
    let port = smtpd::free_port();
    match smtpd::start(port, &work.join("smtpd"), None) {
        Some(server) => Ok((server, port)),
        None => bail!("aiosmtpd did not start (pip install aiosmtpd; see above)"),
    }
}

/// The `[smtp]` and `[alerts]` sections, and the watchlist file.
pub fn configure(config: &Path, port: u16) -> anyhow::Result<()> {
    let dir = config.parent().context("config folder")?;
    std::fs::create_dir_all(dir.join("watchlists"))?;
    std::fs::write(dir.join("watchlists/bench.toml"), WATCHLIST)?;
    let mut text = std::fs::read_to_string(config)?;
    text.push_str(&format!(
        "\n[alerts]\nwatchlists = \"watchlists\"\n\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\n\
         security = \"plain\"\nfrom = \"Centinela <centinela@unidad.example>\"\n"
    ));
    std::fs::write(config, text)?;
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Waits (up to a minute) for every delivery the outbox holds to reach the server, then
/// prints latency, lost and duplicate counts.
pub fn report(bin: &Path, config: &Path, server: &Smtpd) -> anyhow::Result<()> {
    let out = Command::new(bin)
        .arg("--config")
        .arg(config)
        .args(["alerts", "list", "--json", "--limit", "1000000"])
        .output()
        .context("centinela alerts list")?;
    if !out.status.success() {
        bail!(
            "alerts list failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut created: BTreeMap<u64, f64> = BTreeMap::new();
    let mut deliveries = 0usize;
    let mut sent = 0usize;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line)?;
        let id = v["id"].as_u64().context("alert id")?;
        created.insert(id, v["created_ms"].as_f64().unwrap_or(f64::NAN));
        for d in v["deliveries"].as_array().into_iter().flatten() {
            deliveries += 1;
            if d["status"]["state"] == "sent" {
                sent += 1;
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let received = loop {
        let got = server.received();
        if got.len() >= deliveries || Instant::now() > deadline {
            break got;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut seen = BTreeSet::new();
    let mut duplicates = 0;
    let mut latencies = Vec::new();
    for m in &received {
        let mid = m.message_id.as_str();
        if !seen.insert((mid.to_string(), m.rcpt_tos.clone())) {
            duplicates += 1;
        }
        // <centinela.{alert id}.{hash}@centinela.invalid>
        let id = mid
            .trim_start_matches("<centinela.")
            .split('.')
            .next()
            .and_then(|s| s.parse::<u64>().ok());
        if let Some(c) = id.and_then(|id| created.get(&id)) {
            latencies.push(m.received_ms - c);
        }
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    println!(
        "alerts: {} raised, {deliveries} mails in the outbox ({sent} marked sent), {} received by \
         the server, {} lost, {duplicates} duplicates",
        created.len(),
        received.len(),
        deliveries.saturating_sub(seen.len())
    );
    println!(
        "alert latency (alert created after its page was stored -> SMTP accepted), {} mails: \
         median {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}
