//! `/metrics` in the Prometheus text exposition format (version 0.0.4), written by hand:
//! a few dozen series do not need a metrics library.

use std::fmt::Write;

use super::report::{SiteReportLine, StatusReport};

/// The text for one scrape.
pub fn render(r: &StatusReport) -> String {
    let mut m = Metrics::default();
    let sites = &r.sites;
    m.per_site(
        sites,
        "centinela_pages_fetched_total",
        "counter",
        "Responses received (any status) since the daemon started.",
        |s| Some(s.fetched as f64),
    );
    m.per_site(
        sites,
        "centinela_bytes_fetched_total",
        "counter",
        "Response body bytes received since the daemon started.",
        |s| Some(s.bytes as f64),
    );
    m.family(
        "centinela_fetch_errors_total",
        "counter",
        "Failed fetches and error statuses, by kind (timeout, connect, circuit, http_503...).",
    );
    for s in sites {
        for (kind, n) in &s.errors {
            m.sample(
                "centinela_fetch_errors_total",
                &[("site", &s.site), ("kind", kind)],
                *n as f64,
            );
        }
    }
    m.per_site(
        sites,
        "centinela_frontier_queued_urls",
        "gauge",
        "URLs waiting in the site's crawl queue.",
        |s| Some(s.queued as f64),
    );
    m.per_site(
        sites,
        "centinela_site_last_success_timestamp_seconds",
        "gauge",
        "When a pass over the site last ended complete (Unix time).",
        |s| {
            s.last_run
                .as_ref()
                .and_then(|l| l.last_success)
                .map(|t| t as f64)
        },
    );
    m.per_site(
        sites,
        "centinela_site_next_run_timestamp_seconds",
        "gauge",
        "When the site's next pass is due (Unix time); absent while crawling or waiting for a person.",
        |s| s.next_run.map(|t| t as f64),
    );
    m.family(
        "centinela_site_state",
        "gauge",
        "1 for the state the site is in (idle, due, crawling, retrying, needs_human, disabled).",
    );
    for s in &r.sites {
        for state in [
            "idle",
            "due",
            "crawling",
            "retrying",
            "needs_human",
            "disabled",
        ] {
            m.sample(
                "centinela_site_state",
                &[("site", &s.site), ("state", state)],
                f64::from(u8::from(s.state == state)),
            );
        }
    }
    m.family(
        "centinela_crawl_passes_total",
        "counter",
        "Passes the daemon ran, by how they ended.",
    );
    for s in &r.sites {
        for (end, n) in &s.passes {
            m.sample(
                "centinela_crawl_passes_total",
                &[("site", &s.site), ("end", end)],
                *n as f64,
            );
        }
    }
    m.family(
        "centinela_alerts_pending",
        "gauge",
        "Alert mails waiting to be sent (or retried).",
    );
    m.sample("centinela_alerts_pending", &[], r.alerts.pending as f64);
    m.family(
        "centinela_alerts_sent_total",
        "counter",
        "Alert mails accepted by the relay or written to the mailbox.",
    );
    m.sample("centinela_alerts_sent_total", &[], r.alerts.sent as f64);
    m.family(
        "centinela_alerts_failed_total",
        "counter",
        "Alert mails refused for good.",
    );
    m.sample("centinela_alerts_failed_total", &[], r.alerts.failed as f64);
    m.family(
        "centinela_mail_reachable",
        "gauge",
        "1 if the SMTP relay (or mailbox folder) answered the last check.",
    );
    if let Some(mail) = &r.mail {
        m.sample(
            "centinela_mail_reachable",
            &[],
            f64::from(u8::from(mail.reachable)),
        );
    }
    m.family(
        "centinela_tor_bootstrapped",
        "gauge",
        "1 when the transport is up (for arti: Tor ready for traffic).",
    );
    m.sample(
        "centinela_tor_bootstrapped",
        &[("transport", &r.tor.transport)],
        f64::from(u8::from(r.tor.ready)),
    );
    m.family(
        "centinela_tor_bootstrap_failures_total",
        "counter",
        "Attempts to bring the transport up that failed.",
    );
    m.sample(
        "centinela_tor_bootstrap_failures_total",
        &[],
        r.tor.bootstrap_failures as f64,
    );
    m.family(
        "centinela_tor_circuit_failures_total",
        "counter",
        "Fetch attempts that failed building or using a Tor circuit (or finding an onion service).",
    );
    m.sample(
        "centinela_tor_circuit_failures_total",
        &[],
        r.tor.circuit_failures as f64,
    );
    m.family(
        "centinela_index_documents",
        "gauge",
        "Listings, vendors and posts searchable in the index.",
    );
    m.sample("centinela_index_documents", &[], r.index.documents as f64);
    m.family(
        "centinela_index_bytes",
        "gauge",
        "Size of the search index on disk.",
    );
    m.sample("centinela_index_bytes", &[], r.index.bytes as f64);
    if let Some(d) = &r.daemon {
        m.family(
            "centinela_config_reloads_total",
            "counter",
            "Configuration reloads (SIGHUP), by result.",
        );
        m.sample(
            "centinela_config_reloads_total",
            &[("result", "ok")],
            d.reloads as f64,
        );
        m.sample(
            "centinela_config_reloads_total",
            &[("result", "refused")],
            d.reload_failures as f64,
        );
        m.family(
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
        );
        m.sample("process_start_time_seconds", &[], d.started_at as f64);
    }
    if let Some(rss) = resident_bytes() {
        m.family(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
        );
        m.sample("process_resident_memory_bytes", &[], rss as f64);
    }
    if let Some(fds) = open_fds() {
        m.family(
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
        );
        m.sample("process_open_fds", &[], fds as f64);
    }
    m.out
}

#[derive(Default)]
struct Metrics {
    out: String,
}

impl Metrics {
    /// A family with one sample per site that has a value.
    fn per_site(
        &mut self,
        sites: &[SiteReportLine],
        name: &str,
        kind: &str,
        help: &str,
        value: impl Fn(&SiteReportLine) -> Option<f64>,
    ) {
        self.family(name, kind, help);
        for s in sites {
            if let Some(v) = value(s) {
                self.sample(name, &[("site", &s.site)], v);
            }
        }
    }

    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape_label(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// This process's resident memory, from /proc (Linux).
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// This process's open file descriptors, from /proc (Linux).
pub fn open_fds() -> Option<usize> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_every_sample_has_a_family() {
        let mut r = StatusReport::default();
        r.sites.push(SiteReportLine {
            site: "a\"b".into(),
            fetched: 3,
            ..SiteReportLine::default()
        });
        r.sites[0].errors.insert("http_503".into(), 2);
        let text = render(&r);
        assert!(
            text.contains("centinela_pages_fetched_total{site=\"a\\\"b\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("centinela_fetch_errors_total{site=\"a\\\"b\",kind=\"http_503\"} 2\n")
        );
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap_or_default();
            assert!(
                text.contains(&format!("# TYPE {name} ")),
                "{name} has no TYPE line"
            );
        }
    }
}
