//! `centinela watch list|add|remove`: the watchlist rules.

use std::process::ExitCode;

use centinela_index::watch::{add_rule, remove_rule, Language, Rule, RuleKind, Severity};
use serde_json::json;

use crate::cli::{Global, WatchAddArgs, WatchCommand};
use crate::commands::text::{cell, clean};
use crate::config;

pub fn run(global: &Global, cmd: &WatchCommand) -> anyhow::Result<ExitCode> {
    let cfg = match config::load_or_report(&global.config) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let dir = &cfg.watchlists_dir;
    match cmd {
        WatchCommand::List { json } => {
            if *json {
                for r in &cfg.rules {
                    println!("{}", rule_json(r));
                }
            } else if cfg.rules.is_empty() {
                println!(
                    "No watchlist rules in {} (add one with `centinela watch add`).",
                    dir.display()
                );
            } else {
                println!(
                    "{} {} {} severity lang recipients",
                    cell("rule", 20),
                    cell("watches", 10),
                    cell("value", 44),
                );
                for r in &cfg.rules {
                    let sites = if r.sites.is_empty() {
                        String::new()
                    } else {
                        format!(" (only {})", r.sites.join(", "))
                    };
                    println!(
                        "{} {} {} {:<8} {:<4} {}{sites}",
                        cell(&r.name, 20),
                        cell(r.kind.name(), 10),
                        cell(&r.kind.value(), 44),
                        r.severity.as_str(),
                        lang(r.language),
                        clean(&r.recipients.join(", ")),
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        WatchCommand::Add(args) => {
            let rule = rule_of(args)?;
            match add_rule(dir, &rule) {
                Ok(()) => {
                    println!(
                        "rule {} added to {}; it applies from the next crawl",
                        rule.name,
                        dir.join(centinela_index::watch::CLI_FILE).display()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("centinela: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        WatchCommand::Remove { name } => match remove_rule(dir, name) {
            Ok(r) => {
                println!(
                    "rule {} removed (its past alerts stay in the outbox)",
                    r.name
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("centinela: {e}");
                Ok(ExitCode::from(2))
            }
        },
    }
}

fn lang(l: Language) -> &'static str {
    match l {
        Language::Es => "es",
        Language::En => "en",
    }
}

/// A rule as `watch list --json` and the API show it.
pub(crate) fn rule_json(r: &Rule) -> serde_json::Value {
    json!({
        "name": r.name,
        "kind": r.kind.name(),
        "value": r.kind.value(),
        "sites": r.sites,
        "recipients": r.recipients,
        "language": lang(r.language),
        "severity": r.severity.as_str(),
        "file": r.source.as_ref().map(|p| p.display().to_string()),
    })
}

fn rule_of(a: &WatchAddArgs) -> anyhow::Result<Rule> {
    let kind = if let Some(v) = &a.vendor {
        RuleKind::Vendor(v.clone())
    } else if let Some(v) = &a.address {
        RuleKind::Address(v.clone())
    } else if let Some(v) = &a.contact {
        RuleKind::Contact(v.clone())
    } else if let Some(v) = &a.pgp {
        RuleKind::Pgp(v.clone())
    } else if let Some(v) = &a.query {
        RuleKind::Query(v.clone())
    } else if let Some(v) = a.peru_score {
        RuleKind::PeruScore(v)
    } else {
        anyhow::bail!("say what the rule watches (--vendor, --address, --contact, --pgp, --query or --peru-score)");
    };
    Ok(Rule {
        name: a.name.clone(),
        kind,
        sites: a.site.clone(),
        recipients: a.recipients.clone(),
        language: if a.language == "en" {
            Language::En
        } else {
            Language::Es
        },
        severity: match a.severity.as_str() {
            "info" => Severity::Info,
            "critical" => Severity::Critical,
            _ => Severity::Warning,
        },
        source: None,
    })
}
