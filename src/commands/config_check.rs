//! `centinela config check`: every problem in every configuration file, or a summary.

use crate::cli::Global;
use crate::config::{self, model::SmtpSecurity};
use centinela_crawler::transport::TransportKind;
use centinela_parsers::registry::ParserChoice;
use std::process::ExitCode;

pub fn run(global: &Global) -> anyhow::Result<ExitCode> {
    match config::load(&global.config) {
        Ok(cfg) => {
            let data_dir = global.data_dir.clone().unwrap_or(cfg.data_dir.clone());
            let transport = match cfg.main.transport.kind {
                TransportKind::Arti => "arti (embedded Tor)",
                TransportKind::Socks5 => "socks5 (external Tor client)",
                TransportKind::Direct => "direct (loopback only: test sites and the demo)",
            };
            println!("{}: OK", cfg.path.display());
            println!("  data dir:   {}", data_dir.display());
            let t = &cfg.main.transport;
            println!(
                "  transport:  {transport}; timeouts {}s connect / {}s first byte / {}s total; bodies up to {} bytes",
                t.connect_timeout_secs, t.first_byte_timeout_secs, t.total_timeout_secs, t.max_body_bytes
            );
            let test_only = t.test_only_settings();
            if !test_only.is_empty() {
                let text = std::fs::read_to_string(&cfg.path).unwrap_or_default();
                let span = config::table_span(&text, "transport.private_network");
                let span = if span.is_empty() {
                    config::table_span(&text, "transport")
                } else {
                    span
                };
                let (line, column) = config::line_column(&text, span.start);
                println!(
                    "{}:{line}:{column}: warning: TEST-ONLY settings are on ({}): they are for a private test network or loopback sample sites and must never be in a production configuration",
                    cfg.path.display(),
                    test_only.join(", ")
                );
            }
            println!(
                "  smtp:       {}",
                cfg.main.smtp.as_ref().map_or(
                    "not configured (alerts go to a local mailbox)".to_string(),
                    |s| format!(
                        "{}:{} ({:?})",
                        s.host.get_ref(),
                        s.port.unwrap_or(match s.security {
                            SmtpSecurity::Tls => 465,
                            SmtpSecurity::Starttls => 587,
                            SmtpSecurity::Plain => 25,
                        }),
                        s.security
                    )
                )
            );
            println!(
                "  web:        {}{}",
                cfg.main.web.bind.get_ref(),
                cfg.main
                    .web
                    .public_url
                    .as_deref()
                    .map_or(String::new(), |u| format!(" (links in alerts: {u})"))
            );
            let ev = &cfg.main.evidence;
            println!(
                "  evidence:   {}",
                ev.tsa_url.as_ref().map_or(
                    "no trusted timestamps (set [evidence] tsa_url for RFC 3161 tokens)"
                        .to_string(),
                    |u| {
                        let route = centinela_crawler::transport::Url::parse(u.get_ref())
                            .ok()
                            .and_then(|p| centinela_crawler::transport::tsa::tsa_route(&p).ok());
                        format!(
                            "RFC 3161 timestamps from {} ({}), {}s timeout",
                            u.get_ref(),
                            match route {
                                Some(centinela_crawler::transport::tsa::TsaRoute::Loopback) => {
                                    "on this machine: direct"
                                }
                                _ => "through Tor",
                            },
                            ev.tsa_timeout_secs.get_ref()
                        )
                    }
                )
            );
            println!("  sites:      {}", cfg.sites.len());
            for site in &cfg.sites {
                let l = &site.def.limits;
                println!(
                    "    {:<20} {} host(s), {} mirror(s), parser {}, up to {} pages / depth {}, {} connection(s), {} ms apart{}",
                    site.def.name.get_ref(),
                    site.def.onion_hosts.len(),
                    site.def.mirrors.len(),
                    match &site.parser {
                        ParserChoice::Auto => "auto".to_string(),
                        ParserChoice::Generic => "generic".to_string(),
                        ParserChoice::Template(t) => format!("template:{t}"),
                        ParserChoice::Site(_) => "its own [parser] section".to_string(),
                    },
                    l.max_pages,
                    l.max_depth,
                    l.concurrency.get_ref(),
                    l.delay_ms,
                    if site.def.enabled { "" } else { " (disabled)" }
                );
                if let Some(d) = &site.def.description {
                    println!("    {:<20} {d}", "");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!(
                "centinela: {} problem{} in the configuration",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            Ok(ExitCode::from(2))
        }
    }
}
