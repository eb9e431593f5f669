//! `centinela alerts list|send|retry`: what the watchlists raised and where its mail is.

use std::process::ExitCode;

use anyhow::Context;
use centinela_index::mail::{render, RenderOptions};
use centinela_index::outbox::{Outbox, Status};
use serde_json::json;

use crate::alerting;
use crate::cli::{AlertsCommand, Global};
use crate::commands::text::{cell, clean};
use crate::config::{self, Config};
use crate::pipeline::DataDir;

pub fn run(global: &Global, cmd: &AlertsCommand) -> anyhow::Result<ExitCode> {
    let cfg = match config::load_or_report(&global.config) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let data = DataDir::of(global, &cfg);
    let db = crate::pipeline::open_db(&data)?;
    let outbox = Outbox::open(&db)?;
    match cmd {
        AlertsCommand::List {
            failed,
            waiting,
            limit,
            json,
        } => list(&outbox, *failed, *waiting, *limit, *json),
        AlertsCommand::Send => send(&cfg, &data, &outbox, None),
        AlertsCommand::Retry { id } => send(&cfg, &data, &outbox, Some(*id)),
    }
}

fn status_label(s: &Status) -> String {
    match s {
        Status::Queued => "waiting".into(),
        Status::Sent { at } => format!("sent {}", at.rfc3339()),
        Status::Failed { at, .. } => format!("FAILED {}", at.rfc3339()),
    }
}

fn list(
    outbox: &Outbox,
    failed: bool,
    waiting: bool,
    limit: usize,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    let mut all = outbox.list()?;
    all.sort_by_key(|a| std::cmp::Reverse(a.0.id));
    let wanted = |s: &Status| match (failed, waiting) {
        (true, _) => matches!(s, Status::Failed { .. }),
        (_, true) => matches!(s, Status::Queued),
        _ => true,
    };
    let mut shown = 0;
    for (alert, deliveries) in &all {
        let deliveries: Vec<_> = deliveries.iter().filter(|d| wanted(&d.status)).collect();
        if deliveries.is_empty() {
            continue;
        }
        if shown == limit {
            break;
        }
        shown += 1;
        let subject = render(alert, &RenderOptions::default()).subject;
        if as_json {
            println!(
                "{}",
                json!({
                    "id": alert.id,
                    "rule": alert.rule,
                    "severity": alert.severity.as_str(),
                    "subject": subject,
                    "site": alert.record.site,
                    "created_ms": alert.created_ms,
                    "deliveries": deliveries,
                })
            );
            continue;
        }
        println!("#{:<6} {}", alert.id, clean(&subject));
        for d in deliveries {
            let why = match &d.status {
                Status::Failed { reason, .. } => format!("  {}", clean(reason)),
                Status::Queued => d
                    .last_error
                    .as_deref()
                    .map(|e| format!("  (attempt {}: {})", d.attempts, clean(e)))
                    .unwrap_or_default(),
                Status::Sent { .. } => String::new(),
            };
            println!(
                "        {} {}{why}",
                cell(&clean(&d.recipient), 32),
                status_label(&d.status)
            );
        }
    }
    if shown == 0 && !as_json {
        println!(
            "No alerts{}.",
            if failed {
                " refused"
            } else if waiting {
                " waiting"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One delivery round (after queueing refused mail again when retrying).
fn send(
    cfg: &Config,
    data: &DataDir,
    outbox: &Outbox,
    retry: Option<Option<u64>>,
) -> anyhow::Result<ExitCode> {
    if let Some(only) = retry {
        let n = outbox.retry_failed(only)?;
        println!("{n} refused mail(s) queued again");
    }
    // A person asked: what waits for its back-off goes now.
    outbox.due_now()?;
    let deliverer = alerting::deliverer(cfg, data, outbox)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(async {
        let r = deliverer.deliver_due().await;
        outbox.flush().await?;
        anyhow::Ok(r?)
    })?;
    let to = alerting::destination(cfg, data);
    println!("{} mail(s) delivered to {to}", report.mails_sent);
    if report.still_queued > 0 {
        let reason = outbox
            .queued()?
            .into_iter()
            .find_map(|d| d.last_error)
            .unwrap_or_default();
        println!(
            "{} still waiting (next attempt after a back-off){}",
            report.still_queued,
            if reason.is_empty() {
                String::new()
            } else {
                format!(": {}", clean(&reason))
            }
        );
    }
    if report.failed > 0 {
        println!(
            "{} refused for good: see `centinela alerts list --failed`",
            report.failed
        );
    }
    Ok(if report.still_queued > 0 || report.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
