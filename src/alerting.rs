//! Alerts, from the configuration to the outbox's deliverer: where mail goes (the SMTP
//! server of `[smtp]`, or a mailbox folder of `.eml` files when there is none), how it
//! is rendered, and one delivery round with a summary people can read.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use centinela_index::mail::{
    render, Deliverer, DeliveryConfig, PasswordSource, RenderOptions, Security, SmtpConfig,
    SmtpSender, Transport,
};
use centinela_index::outbox::{Outbox, Status};

use crate::config::model::SmtpSecurity;
use crate::config::Config;
use crate::pipeline::{AlertSummary, DataDir};

/// The sender of mailbox-folder mails (no SMTP server: nothing leaves the machine).
const MAILBOX_FROM: &str = "Centinela <centinela@localhost>";

/// Where alert mails are written when no SMTP server is configured.
pub fn mailbox_dir(cfg: &Config, data: &DataDir) -> PathBuf {
    match &cfg.main.alerts.mailbox {
        Some(m) => cfg
            .path
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join(m),
        None => data.root.join("mailbox"),
    }
}

/// Where mail goes, from the configuration.
pub fn transport(cfg: &Config, data: &DataDir) -> anyhow::Result<Transport> {
    let Some(smtp) = &cfg.main.smtp else {
        let dir = mailbox_dir(cfg, data);
        return Transport::folder(&dir, MAILBOX_FROM)
            .with_context(|| format!("cannot use the mailbox folder {}", dir.display()));
    };
    let base = cfg.path.parent().unwrap_or(std::path::Path::new("."));
    let password = match (&smtp.password_file, &smtp.password_env) {
        (Some(f), _) => Some(PasswordSource::File(base.join(f.get_ref()))),
        (None, Some(v)) => Some(PasswordSource::Env(v.get_ref().clone())),
        (None, None) => None,
    };
    let sender = SmtpSender::new(&SmtpConfig {
        host: smtp.host.get_ref().clone(),
        port: smtp.port,
        security: match smtp.security {
            SmtpSecurity::Starttls => Security::StartTls,
            SmtpSecurity::Tls => Security::Tls,
            SmtpSecurity::Plain => Security::Plain,
        },
        username: smtp.username.clone(),
        password,
        from: smtp.from.get_ref().clone(),
        hello_name: "centinela.invalid".to_string(),
        timeout: Duration::from_secs(30),
    })
    .with_context(|| format!("cannot set up mail to {}", smtp.host.get_ref()))?;
    Ok(Transport::Smtp(sender))
}

pub fn delivery_config(cfg: &Config) -> DeliveryConfig {
    DeliveryConfig {
        digest: match cfg.main.alerts.digest_minutes {
            0 => None,
            m => Some(Duration::from_secs(u64::from(m) * 60)),
        },
        render: RenderOptions {
            web_base_url: cfg.main.web.public_url.clone(),
        },
        ..DeliveryConfig::default()
    }
}

pub fn deliverer(cfg: &Config, data: &DataDir, outbox: &Outbox) -> anyhow::Result<Deliverer> {
    Ok(Deliverer::new(
        outbox,
        transport(cfg, data)?,
        delivery_config(cfg),
    ))
}

/// Where the mails went, for messages: the SMTP host or the mailbox folder.
pub fn destination(cfg: &Config, data: &DataDir) -> String {
    match &cfg.main.smtp {
        Some(s) => format!("the mail server {}", s.host.get_ref()),
        None => format!("the mailbox folder {}", mailbox_dir(cfg, data).display()),
    }
}

/// Where the mails of alerts `ids` stand.
pub fn summarize(outbox: &Outbox, ids: &[u64]) -> anyhow::Result<AlertSummary> {
    let mut s = AlertSummary::default();
    for &id in ids {
        let Some(alert) = outbox.alert(id)? else {
            continue;
        };
        let deliveries = outbox.deliveries_of(id)?;
        for d in &deliveries {
            match &d.status {
                Status::Sent { .. } => s.sent += 1,
                Status::Queued => {
                    s.waiting += 1;
                    if d.last_error.is_some() {
                        s.last_error = d.last_error.clone();
                    }
                }
                Status::Failed { reason, .. } => {
                    s.failed += 1;
                    s.last_error = Some(reason.clone());
                }
            }
        }
        let subject = render(&alert, &RenderOptions::default()).subject;
        s.raised.push((
            subject,
            deliveries.into_iter().map(|d| d.recipient).collect(),
        ));
    }
    Ok(s)
}
