//! Alerts end to end against a real SMTP server process on loopback: aiosmtpd (PyPI)
//! running `tests/support/smtpd.py`, which saves every accepted message as JSON.
//!
//! The server's Python is `$CENTINELA_SMTPD_PYTHON` (default
//! `/var/cache/centinela-venv/bin/python`, with `pip install aiosmtpd`). When it cannot be
//! started the tests say so and skip; with `CENTINELA_REQUIRE_SMTPD=1` (CI) they fail.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use centinela_index::mail::{
    Deliverer, DeliveryConfig, PasswordSource, RenderOptions, SmtpConfig, SmtpSender, Transport,
};
use centinela_index::outbox::{Outbox, Status};
use centinela_index::store::{open_db, Capture, Observation, Store};
use centinela_index::time::Timestamp;
use centinela_index::watch::{Language, Rule, RuleKind, Severity, Watcher};
use centinela_parsers::records::{Listing, PageType, ParsedPage, Price, Vendor};

#[path = "support/smtpd.rs"]
mod smtpd;
use smtpd::{free_port, Received};

const WALLET: &str = "185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk";
const FP_A: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const FP_B: &str = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

fn smtp_config(port: u16) -> SmtpConfig {
    smtpd::plain_config(port, Duration::from_secs(5))
}

fn fast() -> DeliveryConfig {
    DeliveryConfig {
        backoff_initial: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        digest: None,
        render: RenderOptions {
            web_base_url: Some("https://centinela.unidad.example".into()),
        },
    }
}

fn rule(name: &str, kind: RuleKind, to: &[&str], lang: Language, sev: Severity) -> Rule {
    Rule {
        name: name.into(),
        kind,
        sites: vec![],
        recipients: to.iter().map(|s| s.to_string()).collect(),
        language: lang,
        severity: sev,
        source: None,
    }
}

/// The store, outbox and matcher over one database.
struct Keeper {
    db: sled::Db,
    store: Store,
    outbox: Outbox,
    watcher: Watcher,
}

fn keeper(path: &Path, rules: Vec<Rule>) -> Keeper {
    let db = open_db(path).expect("db");
    let store = Store::open(&db).expect("store");
    let outbox = Outbox::open(&db).expect("outbox");
    let watcher = Watcher::open(&db, rules, &outbox).expect("watcher");
    Keeper {
        db,
        store,
        outbox,
        watcher,
    }
}

impl Keeper {
    /// What the keeper does per page: apply, match, flush.
    fn keep(&self, site: &str, page: &ParsedPage, at: i64) -> Vec<u64> {
        let capture = Capture {
            file: "centinela-20261128-00001.warc.gz".into(),
            offset: 1000 + at as u64,
            length: 500,
            record_id: format!("<urn:uuid:{at}>"),
            sha256: format!("{at:064x}"),
            warc_date: "2026-11-28T18:22:32Z".into(),
            at: Timestamp(at),
        };
        self.store
            .apply_page_changes(&Observation {
                site,
                at: Timestamp(at),
                capture: &capture,
                page,
            })
            .expect("apply");
        let ids = self.watcher.process_pending().expect("match");
        self.db.flush().expect("flush");
        ids
    }
}

fn listing_page(n: u32, vendor: &str, title: &str, addresses: &[&str]) -> ParsedPage {
    let url = format!("http://mercadoandino.onion/listing/{n}");
    ParsedPage {
        url: url.clone(),
        page_type: PageType::Listing,
        parser: "test".into(),
        listings: vec![Listing {
            url,
            title: title.into(),
            price: Some(Price {
                amount: Some(1250.0),
                currency: Some("PEN".into()),
                shown: "S/ 1.250,00".into(),
            }),
            vendor: Some(vendor.into()),
            ships_from: Some("Bolivia".into()),
            ships_to: vec!["Perú".into()],
            addresses: addresses.iter().map(|s| s.to_string()).collect(),
            ..Listing::default()
        }],
        vendors: vec![],
        posts: vec![],
        entities: vec![],
        links: vec![],
        link_kinds: vec![],
    }
}

fn vendor_page(host: &str, handle: &str, pgp: &str) -> ParsedPage {
    let url = format!("http://{host}/vendor/{handle}");
    ParsedPage {
        url: url.clone(),
        page_type: PageType::Vendor,
        parser: "test".into(),
        listings: vec![],
        vendors: vec![Vendor {
            url,
            handle: handle.into(),
            pgp_fingerprints: vec![pgp.into()],
            ..Vendor::default()
        }],
        posts: vec![],
        entities: vec![],
        links: vec![],
        link_kinds: vec![],
    }
}

fn all_sent(outbox: &Outbox) -> bool {
    outbox
        .list()
        .expect("list")
        .iter()
        .all(|(_, ds)| ds.iter().all(|d| matches!(d.status, Status::Sent { .. })))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expected_mails_reach_the_server() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let Some(server) = smtpd::start(port, &tmp.path().join("server"), None) else {
        return;
    };
    let k = keeper(
        &tmp.path().join("db"),
        vec![
            rule(
                "condor",
                RuleKind::Vendor("CondorBlanco".into()),
                &["jefe@unidad.example", "analista@unidad.example"],
                Language::Es,
                Severity::Critical,
            ),
            rule(
                "wallet",
                RuleKind::Address(WALLET.into()),
                &["liaison@partner.example"],
                Language::En,
                Severity::Info,
            ),
        ],
    );
    // The vendor appears; then a listing of another vendor shows the watched wallet,
    // with a hostile title; then a second account `C0ndor_Blanco` shows up on the same
    // market; then the watched vendor's profile rotates its key.
    assert_eq!(
        k.keep(
            "andino",
            &vendor_page("andino.onion", "CondorBlanco", FP_A),
            10
        )
        .len(),
        1
    );
    let hostile = "<script>alert('x')</script> Cocaína";
    assert_eq!(
        k.keep("andino", &listing_page(1, "Otro", hostile, &[WALLET]), 20)
            .len(),
        1
    );
    assert_eq!(
        k.keep(
            "andino",
            &vendor_page("andino.onion", "C0ndor_Blanco", FP_B),
            25
        )
        .len(),
        1
    );
    assert_eq!(
        k.keep(
            "andino",
            &vendor_page("andino.onion", "CondorBlanco", FP_B),
            30
        )
        .len(),
        1
    );
    // Re-crawls of the same pages: nothing new.
    assert!(k
        .keep("andino", &listing_page(1, "Otro", hostile, &[WALLET]), 40)
        .is_empty());

    let transport = Transport::Smtp(SmtpSender::new(&smtp_config(port)).expect("sender"));
    let d = Deliverer::new(&k.outbox, transport, fast());
    let report = d.deliver_due().await.expect("round");
    assert_eq!(report.deliveries_sent, 7, "{report:?}");
    assert!(all_sent(&k.outbox));
    assert_eq!(
        d.deliver_due().await.expect("round").mails_sent,
        0,
        "nothing twice"
    );

    let got = server.received();
    assert_eq!(got.len(), 7);
    let to = |who: &str| -> Vec<&Received> { got.iter().filter(|m| m.rcpt_tos == [who]).collect() };
    let jefe = to("jefe@unidad.example");
    assert_eq!(jefe.len(), 3);
    assert_eq!(to("analista@unidad.example").len(), 3);
    let mut subjects: Vec<&str> = jefe.iter().map(|m| m.subject.as_str()).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "[CRÍTICO] Centinela: condor: aparece con otro alias en andino: C0ndor_Blanco".into(),
            format!("[CRÍTICO] Centinela: condor: cambia de clave PGP: {FP_B}"),
            "[CRÍTICO] Centinela: condor: vendedor vigilado CondorBlanco visto en andino".into(),
        ]
    );
    let rotated = jefe
        .iter()
        .find(|m| m.subject.contains("PGP"))
        .expect("rotation mail");
    let text = rotated.text.as_deref().expect("text part");
    assert_eq!(rotated.content_type, "multipart/alternative");
    assert!(text.contains(&format!("antes: {FP_A}")), "{text}");
    assert!(text.contains(&format!("ahora: {FP_B}")), "{text}");
    assert!(
        text.contains(&format!("Claves PGP: {FP_A}, {FP_B}")),
        "{text}"
    );
    let second = jefe
        .iter()
        .find(|m| m.subject.contains("C0ndor_Blanco"))
        .and_then(|m| m.text.as_deref())
        .expect("second account mail");
    assert!(second.contains("antes: CondorBlanco"), "{second}");
    assert!(
        second.contains("vinculado por: alias C0ndor_Blanco"),
        "{second}"
    );
    assert!(text.contains(&format!("SHA-256: {:064x}", 30)), "{text}");
    assert!(
        text.contains("centinela-20261128-00001.warc.gz @ 1030"),
        "{text}"
    );

    let wallet = to("liaison@partner.example");
    assert_eq!(wallet.len(), 1);
    let m = wallet[0];
    assert_eq!(
        m.subject,
        format!("[INFO] Centinela: wallet: watched crypto address on andino: {WALLET} (+2)")
    );
    let text = m.text.as_deref().expect("text");
    for fact in [
        "Title: <script>alert('x')</script> Cocaína",
        "Price: S/ 1.250,00",
        "Ships to: Perú",
        "Vendor: Otro",
        // The wallet's user is now the vendor this rule follows.
        "watched vendor Otro seen on andino",
        "starts listing with shipping to Peru on andino",
        "First seen: 1970-01-01T00:00:20Z",
        "https://centinela.unidad.example/records?site=andino&url=http%3A%2F%2Fmercadoandino.onion%2Flisting%2F1",
    ] {
        assert!(text.contains(fact), "{fact} missing:\n{text}");
    }
    let html = m.html.as_deref().expect("html part");
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Cocaína"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_queued_while_the_server_is_down_are_delivered_once_it_is_up() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    // Check the server can run here at all before relying on it later.
    if smtpd::start(free_port(), &tmp.path().join("probe"), None).is_none() {
        return;
    }
    let k = keeper(
        &tmp.path().join("db"),
        vec![rule(
            "wallet",
            RuleKind::Address(WALLET.into()),
            &["jefe@unidad.example"],
            Language::Es,
            Severity::Warning,
        )],
    );
    let transport = Transport::Smtp(SmtpSender::new(&smtp_config(port)).expect("sender"));
    let d = Deliverer::new(&k.outbox, transport, fast());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let runner = {
        let d = d.clone();
        tokio::spawn(async move {
            d.run(async {
                let _ = stop_rx.await;
            })
            .await
        })
    };
    // The crawl goes on while the server is down.
    for n in 0..20 {
        assert_eq!(
            k.keep(
                "andino",
                &listing_page(n, "V", "t", &[WALLET]),
                100 + i64::from(n)
            )
            .len(),
            1
        );
        k.outbox.wake();
    }
    // Wait until every delivery has failed at least once, temporarily.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let queued = k.outbox.queued().expect("queued");
        if queued.len() == 20 && queued.iter().all(|d| d.attempts >= 1) {
            let why = queued[0].last_error.clone().unwrap_or_default();
            assert!(why.contains("127.0.0.1"), "{why}");
            break;
        }
        assert!(Instant::now() < deadline, "deliveries were not attempted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let server = smtpd::start(port, &tmp.path().join("server"), None).expect("server starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !all_sent(&k.outbox) {
        assert!(
            Instant::now() < deadline,
            "not delivered after the server came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a duplicate every chance to show up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop_tx.send(());
    runner.await.expect("join").expect("runner");
    let got = server.received();
    assert_eq!(got.len(), 20, "every alert exactly once");
    let mut ids: Vec<&str> = got.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "no duplicates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_and_bad_addresses_are_kept_failed_with_the_reason() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let Some(server) = smtpd::start(
        port,
        &tmp.path().join("server"),
        Some(("centinela", "right-pass")),
    ) else {
        return;
    };
    let k = keeper(
        &tmp.path().join("db"),
        vec![rule(
            "wallet",
            RuleKind::Address(WALLET.into()),
            &["jefe@unidad.example", "nobody@unidad.example"],
            Language::Es,
            Severity::Warning,
        )],
    );
    assert_eq!(
        k.keep("andino", &listing_page(1, "V", "t", &[WALLET]), 10)
            .len(),
        1
    );
    let pw = tmp.path().join("smtp-password");
    std::fs::write(&pw, "Wr0ng-S3cret\n").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let mut cfg = smtp_config(port);
    cfg.username = Some("centinela".into());
    cfg.password = Some(PasswordSource::File(pw.clone()));
    let sender = SmtpSender::new(&cfg).expect("sender");
    assert!(!format!("{sender:?}").contains("Wr0ng"));
    let d = Deliverer::new(&k.outbox, Transport::Smtp(sender), fast());
    let report = d.deliver_due().await.expect("round");
    assert_eq!(report.failed, 2, "{report:?}");
    let (_, deliveries) = k.outbox.list().expect("list").remove(0);
    for del in &deliveries {
        let Status::Failed { reason, .. } = &del.status else {
            panic!("not failed: {del:?}");
        };
        assert!(reason.contains("authentication rejected"), "{reason}");
        assert!(reason.contains("535"), "{reason}");
        assert!(!reason.contains("Wr0ng"), "the password leaked: {reason}");
    }
    assert!(server.received().is_empty());
    // Nothing happens to failed alerts until someone retries them.
    assert_eq!(d.deliver_due().await.expect("round").failed, 0);

    // The operator fixes the password and runs `alerts retry`: the good address gets
    // its mail; the unknown one is refused for good, with the server's words.
    std::fs::write(&pw, "right-pass\n").expect("write");
    let d = Deliverer::new(
        &k.outbox,
        Transport::Smtp(SmtpSender::new(&cfg).expect("sender")),
        fast(),
    );
    assert_eq!(k.outbox.retry_failed(None).expect("retry"), 2);
    let report = d.deliver_due().await.expect("round");
    assert_eq!(
        (report.deliveries_sent, report.failed),
        (1, 1),
        "{report:?}"
    );
    let (_, deliveries) = k.outbox.list().expect("list").remove(0);
    let nobody = deliveries
        .iter()
        .find(|d| d.recipient.starts_with("nobody@"))
        .expect("nobody");
    assert!(
        matches!(&nobody.status, Status::Failed { reason, .. } if reason.contains("550") && reason.contains("no such user")),
        "{nobody:?}"
    );
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_tos, ["jefe@unidad.example"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_pending_at_a_restart_are_delivered_after_it_and_none_twice() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let Some(server) = smtpd::start(port, &tmp.path().join("server"), None) else {
        return;
    };
    let rules = || {
        vec![rule(
            "wallet",
            RuleKind::Address(WALLET.into()),
            &["jefe@unidad.example"],
            Language::Es,
            Severity::Warning,
        )]
    };
    let db_path = tmp.path().join("db");
    let pages: Vec<ParsedPage> = (0..10)
        .map(|n| listing_page(n, "V", "t", &[WALLET]))
        .collect();
    {
        // First run: the crawl finds 10 hits; 4 are mailed, then the process dies.
        let k = keeper(&db_path, rules());
        for (i, p) in pages.iter().enumerate() {
            assert_eq!(k.keep("andino", p, 10 + i as i64).len(), 1);
        }
        let mut sent = 0;
        let transport = Transport::Smtp(SmtpSender::new(&smtp_config(port)).expect("sender"));
        let d = Deliverer::new(&k.outbox, transport, fast());
        // Deliver only some: a digest-free round sends all due, so cut the queue by
        // marking the rest not yet due.
        for del in k.outbox.queued().expect("queued").iter().skip(4) {
            k.outbox
                .mark_retry(
                    del.alert_id,
                    &del.recipient,
                    u64::MAX / 2,
                    "held by the test",
                )
                .expect("hold");
        }
        sent += d.deliver_due().await.expect("round").deliveries_sent;
        assert_eq!(sent, 4);
    }
    assert_eq!(server.received().len(), 4);
    {
        // Second run: the same pages are crawled again (in flight at the crash), and the
        // held alerts become due.
        let k = keeper(&db_path, rules());
        for (i, p) in pages.iter().enumerate() {
            assert!(
                k.keep("andino", p, 100 + i as i64).is_empty(),
                "re-crawl raised an alert"
            );
        }
        for del in k.outbox.queued().expect("queued") {
            k.outbox
                .mark_retry(del.alert_id, &del.recipient, 0, "released")
                .expect("release");
        }
        let transport = Transport::Smtp(SmtpSender::new(&smtp_config(port)).expect("sender"));
        let d = Deliverer::new(&k.outbox, transport, fast());
        assert_eq!(d.deliver_due().await.expect("round").deliveries_sent, 6);
        assert!(all_sent(&k.outbox));
    }
    {
        // Third run: nothing left, nothing sent again.
        let k = keeper(&db_path, rules());
        let transport = Transport::Smtp(SmtpSender::new(&smtp_config(port)).expect("sender"));
        let d = Deliverer::new(&k.outbox, transport, fast());
        assert_eq!(d.deliver_due().await.expect("round").mails_sent, 0);
        assert_eq!(k.outbox.list().expect("list").len(), 10);
    }
    let got = server.received();
    assert_eq!(got.len(), 10);
    let mut ids: Vec<&str> = got.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10, "none twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_mode_sends_one_mail_per_recipient_per_interval() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let Some(server) = smtpd::start(port, &tmp.path().join("server"), None) else {
        return;
    };
    let k = keeper(
        &tmp.path().join("db"),
        vec![rule(
            "wallet",
            RuleKind::Address(WALLET.into()),
            &["jefe@unidad.example"],
            Language::En,
            Severity::Warning,
        )],
    );
    for n in 0..3 {
        k.keep(
            "andino",
            &listing_page(n, "V", &format!("item {n}"), &[WALLET]),
            10 + i64::from(n),
        );
    }
    let mut cfg = fast();
    cfg.digest = Some(Duration::from_millis(600));
    let transport = Transport::Smtp(SmtpSender::new(&smtp_config(port)).expect("sender"));
    let d = Deliverer::new(&k.outbox, transport, cfg);
    let first = d.deliver_due().await.expect("round");
    assert_eq!(first.mails_sent, 0, "held until the interval is up");
    assert_eq!(first.still_queued, 3);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let report = d.deliver_due().await.expect("round");
    assert_eq!((report.mails_sent, report.deliveries_sent), (1, 3));
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].subject, "[WARNING] Centinela: digest of 3 alerts");
    let text = got[0].text.as_deref().expect("text");
    for n in 0..3 {
        assert!(text.contains(&format!("Title: item {n}")), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailbox_folder_holds_private_eml_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let k = keeper(
        &tmp.path().join("db"),
        vec![rule(
            "wallet",
            RuleKind::Address(WALLET.into()),
            &["jefe@unidad.example"],
            Language::Es,
            Severity::Warning,
        )],
    );
    k.keep("andino", &listing_page(1, "V", "<b>t</b>", &[WALLET]), 10);
    let folder = tmp.path().join("mailbox");
    let transport =
        Transport::folder(&folder, "Centinela <alertas@unidad.example>").expect("folder");
    let d = Deliverer::new(&k.outbox, transport, fast());
    assert_eq!(d.deliver_due().await.expect("round").deliveries_sent, 1);
    let files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect("read")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1);
    let name = files[0]
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert!(
        name.starts_with("alert-") && name.ends_with("-jefe@unidad.example.eml"),
        "{name}"
    );
    let eml = std::fs::read_to_string(&files[0]).expect("eml");
    assert!(eml.contains("To: jefe@unidad.example"), "{eml}");
    assert!(eml.contains("multipart/alternative"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0])
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(all_sent(&k.outbox));
}

/// The daemon's health check asks the relay whether it answers, without sending mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_probe_tells_a_relay_that_answers_from_one_that_does_not() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let transport = Transport::Smtp(SmtpSender::new(&smtp_config(port)).expect("sender"));
    let down = transport.probe().await.expect_err("nothing listens yet");
    assert!(down.contains(&format!("127.0.0.1:{port}")), "{down}");
    let Some(server) = smtpd::start(port, &tmp.path().join("server"), None) else {
        return;
    };
    transport.probe().await.expect("the relay answers");
    assert!(server.received().is_empty(), "a probe sends no mail");
    let folder =
        Transport::folder(&tmp.path().join("mailbox"), "c <c@unidad.example>").expect("folder");
    folder
        .probe()
        .await
        .expect("the mailbox folder takes files");
}
