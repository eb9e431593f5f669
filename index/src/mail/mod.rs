//! Sending the outbox: alert mails over SMTP (lettre, tokio), or into a mailbox folder of
//! `.eml` files when no server is configured (`centinela demo`).
//!
//! Delivery, per queued (alert, recipient), oldest first:
//! - accepted by the server → marked `sent` with the time, and the database flushed at
//!   once;
//! - refused temporarily (4xx, connection refused, timeout, TLS trouble) → retried with
//!   exponential back-off (`backoff_initial`, doubling, at most `backoff_max`), for as
//!   long as it takes: an alert is never dropped because the server was down;
//! - refused permanently (5xx: unknown recipient, authentication rejected) → marked
//!   `failed` with the server's answer, until `centinela alerts retry`.
//!
//! Exactly once, and its one limit: the outbox is flushed before a round starts, so
//! nothing is sent that a crash could forget was enqueued; each mail is marked sent and
//! flushed right after the server accepts it. A crash between the server's acceptance and
//! that flush (a few milliseconds) would send that one mail again after restart: SMTP has
//! no two-phase commit, so this window cannot be closed, only kept small. To let mail
//! systems drop such a duplicate, the `Message-ID` is derived from the alert and the
//! recipient: the second copy carries the same id.

pub mod render;
mod smtp;

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::TlsParameters;
use lettre::transport::smtp::extension::ClientId;
use lettre::Message;

use smtp::{Conversation, SendError, Wire};

use crate::outbox::{now_ms, Alert, Delivery, Outbox, OutboxError};
use crate::time::Timestamp;
use crate::watch::Language;

pub use render::{render, render_digest, RenderOptions, Rendered};

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587 by default); the upgrade is
    /// required, never optional.
    StartTls,
    /// TLS from the first byte (port 465 by default).
    Tls,
    /// No encryption (port 25 by default). Only to a loopback address: a local relay or a
    /// test server. Anything else is refused.
    Plain,
}

/// Where the SMTP password comes from. Never from the configuration file itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordSource {
    /// A file holding the password (trailing newline ignored); it must not be readable
    /// by group or others.
    File(PathBuf),
    /// An environment variable holding it.
    Env(String),
}

/// The SMTP server and the account alerts are sent from.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    /// `None`: the usual port of `security`.
    pub port: Option<u16>,
    pub security: Security,
    /// Login name; with it, `password` is required.
    pub username: Option<String>,
    pub password: Option<PasswordSource>,
    /// The sender, `Centinela <alertas@unidad.example>`.
    pub from: String,
    /// The name given in EHLO. Configured rather than the machine's name, which is
    /// nobody's business outside the unit.
    pub hello_name: String,
    /// Connection and command timeout.
    pub timeout: Duration,
}

/// A secret that never shows in `Debug` output, logs or error messages.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }
    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Why mail cannot be sent at all (configuration), or why a round stopped.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("SMTP host {0:?}: plain (unencrypted) SMTP is only allowed to a loopback address (127.0.0.1, ::1, localhost); use starttls or tls")]
    PlainNotLoopback(String),
    #[error("SMTP: a username needs a password (from a file or an environment variable)")]
    NoPassword,
    #[error("SMTP password file {}: {reason}", path.display())]
    PasswordFile { path: PathBuf, reason: String },
    #[error("SMTP password: environment variable {0} is not set")]
    PasswordEnv(String),
    #[error("sender address {address:?}: {reason}")]
    BadFrom { address: String, reason: String },
    #[error("SMTP TLS setup for {host}: {reason}")]
    Tls { host: String, reason: String },
    #[error("mailbox folder {}: {source}", path.display())]
    Mailbox {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Outbox(#[from] OutboxError),
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn read_password(src: &PasswordSource) -> Result<Secret, MailError> {
    match src {
        PasswordSource::Env(var) => std::env::var(var)
            .map(Secret)
            .map_err(|_| MailError::PasswordEnv(var.clone())),
        PasswordSource::File(path) => {
            let err = |reason: String| MailError::PasswordFile {
                path: path.clone(),
                reason,
            };
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
                let mode = meta.permissions().mode();
                if mode & 0o077 != 0 {
                    return Err(err(format!(
                        "is readable by others (mode {:o}); chmod 600 it",
                        mode & 0o777
                    )));
                }
            }
            let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
            let pw = text.trim_end_matches(['\n', '\r']).to_string();
            if pw.is_empty() {
                return Err(err("is empty".into()));
            }
            Ok(Secret(pw))
        }
    }
}

/// A configured SMTP connection (checked: plain only to loopback, password readable).
/// Each mail is one connection: alerts are rare enough, and a connection kept open
/// would go stale exactly when the server restarts.
#[derive(Clone)]
pub struct SmtpSender {
    conversation: Conversation,
    from: Mailbox,
    host: String,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender")
            .field("host", &self.host)
            .finish()
    }
}

impl SmtpSender {
    pub fn new(cfg: &SmtpConfig) -> Result<SmtpSender, MailError> {
        let from = Mailbox::from_str(&cfg.from).map_err(|e| MailError::BadFrom {
            address: cfg.from.clone(),
            reason: e.to_string(),
        })?;
        let tls_error = |reason: String| MailError::Tls {
            host: cfg.host.clone(),
            reason,
        };
        let (wire, port) = match cfg.security {
            Security::Plain => {
                if !is_loopback(&cfg.host) {
                    return Err(MailError::PlainNotLoopback(cfg.host.clone()));
                }
                (Wire::Plain, 25)
            }
            Security::StartTls => (
                Wire::StartTls(
                    TlsParameters::new(cfg.host.clone()).map_err(|e| tls_error(e.to_string()))?,
                ),
                587,
            ),
            Security::Tls => {
                // Certificates and host names verified, TLS 1.2 at least.
                let connector = native_tls::TlsConnector::builder()
                    .min_protocol_version(Some(native_tls::Protocol::Tlsv12))
                    .build()
                    .map_err(|e| tls_error(e.to_string()))?;
                (Wire::Tls(connector.into()), 465)
            }
        };
        let credentials = match &cfg.username {
            Some(user) => {
                let pw = cfg
                    .password
                    .as_ref()
                    .ok_or(MailError::NoPassword)
                    .and_then(read_password)?;
                Some(Credentials::new(user.clone(), pw.expose().to_string()))
            }
            None => None,
        };
        Ok(SmtpSender {
            conversation: Conversation {
                host: cfg.host.clone(),
                port: cfg.port.unwrap_or(port),
                wire,
                hello: ClientId::Domain(cfg.hello_name.clone()),
                credentials,
                timeout: cfg.timeout,
            },
            from,
            host: cfg.host.clone(),
        })
    }
}

/// Where mails go.
#[derive(Clone, Debug)]
pub enum Transport {
    Smtp(SmtpSender),
    /// A folder of `.eml` files (mode 0600), one per mail: the demo's mailbox.
    Folder {
        path: PathBuf,
        from: Mailbox,
    },
}

impl Transport {
    /// The mailbox folder, created (mode 0700) if missing.
    pub fn folder(path: &Path, from: &str) -> Result<Transport, MailError> {
        let io = |source| MailError::Mailbox {
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(path).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        let from = Mailbox::from_str(from).map_err(|e| MailError::BadFrom {
            address: from.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Transport::Folder {
            path: path.to_path_buf(),
            from,
        })
    }

    /// Whether mail can go out now: the SMTP relay answers, or the mailbox folder takes
    /// a file. The error says what failed, without secrets.
    pub async fn probe(&self) -> Result<(), String> {
        match self {
            Transport::Smtp(s) => s.conversation.probe().await.map_err(|e| e.to_string()),
            Transport::Folder { path, .. } => {
                let probe = path.join(".centinela-probe");
                std::fs::write(&probe, b"")
                    .and_then(|()| std::fs::remove_file(&probe))
                    .map_err(|e| format!("mailbox {}: {e}", path.display()))
            }
        }
    }

    fn from(&self) -> &Mailbox {
        match self {
            Transport::Smtp(s) => &s.from,
            Transport::Folder { from, .. } => from,
        }
    }
}

/// How the deliverer behaves.
#[derive(Clone, Debug)]
pub struct DeliveryConfig {
    /// First wait after a temporary failure; doubles each time.
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// Digest mode: one mail per recipient per interval, holding alerts until the oldest
    /// waiting one is this old. `None`: one mail per alert, at once.
    pub digest: Option<Duration>,
    pub render: RenderOptions,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            backoff_initial: Duration::from_secs(2),
            backoff_max: Duration::from_secs(600),
            digest: None,
            render: RenderOptions::default(),
        }
    }
}

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Mails accepted (a digest counts once) and the deliveries they carried.
    pub mails_sent: usize,
    pub deliveries_sent: usize,
    /// Deliveries that will be retried, and those that failed for good.
    pub retrying: usize,
    pub failed: usize,
    /// Deliveries still queued, and when the next one is due (ms since the epoch).
    pub still_queued: usize,
    pub next_due_ms: Option<u64>,
}

enum Outcome {
    Sent,
    Retry(String),
    Failed(String),
}

/// Sends what the outbox holds.
#[derive(Clone, Debug)]
pub struct Deliverer {
    outbox: Outbox,
    transport: Transport,
    config: DeliveryConfig,
}

/// A stable Message-ID for a mail: the same alerts to the same recipient always get the
/// same one, so a duplicate from the crash window can be recognised.
fn message_id(ids: &[u64], recipient: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for id in ids {
        h.update(id.to_be_bytes());
    }
    h.update(recipient.as_bytes());
    let hex: String = h.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "<centinela.{}.{hex}@centinela.invalid>",
        ids.first().copied().unwrap_or(0)
    )
}

fn language_of(alerts: &[Alert]) -> Language {
    let es = alerts.iter().filter(|a| a.language == Language::Es).count();
    if es * 2 >= alerts.len() {
        Language::Es
    } else {
        Language::En
    }
}

impl Deliverer {
    pub fn new(outbox: &Outbox, transport: Transport, config: DeliveryConfig) -> Deliverer {
        Deliverer {
            outbox: outbox.clone(),
            transport,
            config,
        }
    }

    fn backoff(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.min(20));
        self.config
            .backoff_initial
            .saturating_mul(factor)
            .min(self.config.backoff_max)
    }

    /// One round: sends every delivery that is due now (in digest mode, every recipient's
    /// waiting alerts whose interval is up), recording each outcome.
    pub async fn deliver_due(&self) -> Result<RoundReport, MailError> {
        // Nothing is sent that a crash could forget was enqueued.
        self.outbox.flush().await?;
        let now = now_ms();
        let mut report = RoundReport::default();
        let mut by_recipient: BTreeMap<String, Vec<(Delivery, Alert)>> = BTreeMap::new();
        for d in self.outbox.queued()? {
            let Some(alert) = self.outbox.alert(d.alert_id)? else {
                continue;
            };
            by_recipient
                .entry(d.recipient.clone())
                .or_default()
                .push((d, alert));
        }
        let later = |report: &mut RoundReport, at: u64, n: usize| {
            report.still_queued += n;
            report.next_due_ms = Some(report.next_due_ms.map_or(at, |x| x.min(at)));
        };
        for (recipient, items) in by_recipient {
            let (due, waiting): (Vec<_>, Vec<_>) = items
                .into_iter()
                .partition(|(d, _)| d.next_attempt_ms <= now);
            for (d, _) in &waiting {
                later(&mut report, d.next_attempt_ms, 1);
            }
            if due.is_empty() {
                continue;
            }
            let batches: Vec<Vec<(Delivery, Alert)>> = match self.config.digest {
                None => due.into_iter().map(|x| vec![x]).collect(),
                Some(every) => {
                    let oldest = due.iter().map(|(_, a)| a.created_ms).min().unwrap_or(now);
                    let ready_at = oldest.saturating_add(every.as_millis() as u64);
                    if ready_at > now {
                        later(&mut report, ready_at, due.len());
                        continue;
                    }
                    vec![due]
                }
            };
            for batch in batches {
                let alerts: Vec<Alert> = batch.iter().map(|(_, a)| a.clone()).collect();
                let outcome = self.send(&recipient, &alerts).await;
                let attempts = batch.iter().map(|(d, _)| d.attempts).max().unwrap_or(0);
                match outcome {
                    Outcome::Sent => {
                        let at = Timestamp::now();
                        for (d, _) in &batch {
                            self.outbox.mark_sent(d.alert_id, &recipient, at)?;
                        }
                        // Marked and durable right after the server's acceptance: the
                        // duplicate window is this flush.
                        self.outbox.flush().await?;
                        report.mails_sent += 1;
                        report.deliveries_sent += batch.len();
                    }
                    Outcome::Retry(why) => {
                        let next = now_ms() + self.backoff(attempts).as_millis() as u64;
                        for (d, _) in &batch {
                            self.outbox.mark_retry(d.alert_id, &recipient, next, &why)?;
                        }
                        report.retrying += batch.len();
                        later(&mut report, next, batch.len());
                    }
                    Outcome::Failed(why) => {
                        let at = Timestamp::now();
                        for (d, _) in &batch {
                            self.outbox.mark_failed(d.alert_id, &recipient, at, &why)?;
                        }
                        report.failed += batch.len();
                    }
                }
            }
        }
        self.outbox.flush().await?;
        Ok(report)
    }

    async fn send(&self, recipient: &str, alerts: &[Alert]) -> Outcome {
        let rendered = match alerts {
            [one] => render(one, &self.config.render),
            many => render_digest(many, language_of(many), &self.config.render),
        };
        let to = match Mailbox::from_str(recipient) {
            Ok(m) => m,
            Err(e) => {
                return Outcome::Failed(format!("recipient {recipient:?} is not an address: {e}"))
            }
        };
        let ids: Vec<u64> = alerts.iter().map(|a| a.id).collect();
        let message = Message::builder()
            .from(self.transport.from().clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(message_id(&ids, recipient)))
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ));
        let message = match message {
            Ok(m) => m,
            Err(e) => return Outcome::Failed(format!("the mail cannot be built: {e}")),
        };
        match &self.transport {
            Transport::Smtp(s) => {
                match s
                    .conversation
                    .send(message.envelope(), &message.formatted())
                    .await
                {
                    Ok(()) => Outcome::Sent,
                    Err(e) => classify(&s.host, &e),
                }
            }
            Transport::Folder { path, .. } => {
                match write_eml(path, &ids, recipient, &message.formatted()) {
                    Ok(()) => Outcome::Sent,
                    Err(e) => Outcome::Retry(format!("mailbox folder {}: {e}", path.display())),
                }
            }
        }
    }

    /// Delivers until `stop` completes: a round, then sleep until the next delivery is
    /// due or the outbox is woken (new alerts, `retry`). Errors of a round (the database)
    /// end the loop; temporary SMTP trouble never does.
    pub async fn run(&self, stop: impl Future<Output = ()>) -> Result<(), MailError> {
        let wake = self.outbox.woken();
        tokio::pin!(stop);
        loop {
            let report = self.deliver_due().await?;
            let wait = report
                .next_due_ms
                .map(|at| Duration::from_millis(at.saturating_sub(now_ms()).max(10)))
                .unwrap_or(Duration::from_secs(3600));
            tokio::select! {
                _ = &mut stop => return Ok(()),
                _ = wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// A temporary or a permanent failure, with a reason a person can act on. The reason
/// holds the server's answer, never the credentials (lettre does not echo them).
///
/// Permanent: a 5xx answer (unknown recipient, authentication rejected), and what only a
/// configuration change can fix (no STARTTLS offered, no common AUTH mechanism). Those
/// are kept failed until `alerts retry`. Everything else (no connection, 4xx, timeouts,
/// TLS handshakes) is retried with back-off, for as long as it takes.
fn classify(host: &str, e: &SendError) -> Outcome {
    let e = match e {
        SendError::Connect(why) => return Outcome::Retry(why.clone()),
        SendError::Smtp(e) => e,
    };
    let reason = format!("SMTP {host}: {e}");
    if e.is_client() {
        return Outcome::Failed(format!(
            "{reason} (fix the [smtp] configuration, then retry)"
        ));
    }
    if e.is_permanent() {
        let auth = e
            .status()
            .is_some_and(|c| c.to_string().starts_with("535") || c.to_string().starts_with("530"));
        if auth {
            Outcome::Failed(format!(
                "{reason} (authentication rejected: check the username and password)"
            ))
        } else {
            Outcome::Failed(reason)
        }
    } else {
        Outcome::Retry(reason)
    }
}

/// Writes one mail as `<folder>/alert-<first id>-<recipient>.eml`, mode 0600, whole or
/// not at all (a temporary file renamed into place, then synced).
fn write_eml(folder: &Path, ids: &[u64], recipient: &str, bytes: &[u8]) -> std::io::Result<()> {
    let safe: String = recipient
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let first = ids.first().copied().unwrap_or(0);
    let name = if ids.len() > 1 {
        format!("digest-{first:08}-{}-{safe}.eml", ids.len())
    } else {
        format!("alert-{first:08}-{safe}.eml")
    };
    let tmp = folder.join(format!(".{name}.tmp"));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, folder.join(&name))?;
    std::fs::File::open(folder)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(host: &str, security: Security) -> SmtpConfig {
        SmtpConfig {
            host: host.into(),
            port: Some(2525),
            security,
            username: None,
            password: None,
            from: "Centinela <alertas@unidad.example>".into(),
            hello_name: "centinela.invalid".into(),
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn plain_smtp_only_to_loopback() {
        assert!(SmtpSender::new(&cfg("127.0.0.1", Security::Plain)).is_ok());
        assert!(SmtpSender::new(&cfg("::1", Security::Plain)).is_ok());
        assert!(SmtpSender::new(&cfg("localhost", Security::Plain)).is_ok());
        let e = SmtpSender::new(&cfg("mail.unidad.example", Security::Plain)).expect_err("refused");
        assert!(matches!(e, MailError::PlainNotLoopback(_)));
        assert!(e.to_string().contains("loopback"));
        assert!(SmtpSender::new(&cfg("mail.unidad.example", Security::StartTls)).is_ok());
    }

    #[test]
    fn passwords_come_from_safe_files_or_the_environment_and_never_show() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cr3t-Passw0rd\n").expect("write");
        let mut c = cfg("127.0.0.1", Security::Plain);
        c.username = Some("centinela".into());
        assert!(matches!(SmtpSender::new(&c), Err(MailError::NoPassword)));
        c.password = Some(PasswordSource::File(file.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            let e = SmtpSender::new(&c).expect_err("world-readable");
            assert!(e.to_string().contains("chmod 600"), "{e}");
            assert!(!e.to_string().contains("s3cr3t"));
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        let s = SmtpSender::new(&c).expect("ok");
        assert!(!format!("{s:?}").contains("s3cr3t"));
        assert_eq!(format!("{:?}", Secret::new("s3cr3t".into())), "Secret(***)");
        c.password = Some(PasswordSource::Env(
            "CENTINELA_TEST_UNSET_VARIABLE_X".into(),
        ));
        let e = SmtpSender::new(&c).expect_err("unset");
        assert!(e.to_string().contains("CENTINELA_TEST_UNSET_VARIABLE_X"));
    }

    #[test]
    fn message_ids_are_stable() {
        assert_eq!(message_id(&[1], "a@x"), message_id(&[1], "a@x"));
        assert_ne!(message_id(&[1], "a@x"), message_id(&[1], "b@x"));
        assert_ne!(message_id(&[1], "a@x"), message_id(&[1, 2], "a@x"));
    }
}
