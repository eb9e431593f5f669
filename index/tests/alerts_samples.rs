//! The sample sites (samples/), parsed by their templates and kept page by page as the
//! crawl's keeper does, with the example watchlist: exactly the expected mails reach a
//! real SMTP server (aiosmtpd on loopback, as in alerts_smtp.rs; skipped with a notice
//! when it cannot run, unless CENTINELA_REQUIRE_SMTPD=1).

use std::path::{Path, PathBuf};
use std::time::Duration;

use centinela_index::mail::{Deliverer, DeliveryConfig, RenderOptions, SmtpSender, Transport};
use centinela_index::outbox::{Outbox, Status};
use centinela_index::store::{open_db, Capture, Observation, Store};
use centinela_index::time::Timestamp;
use centinela_index::watch::{load_dir, Watcher};
use centinela_parsers::registry::{ParserChoice, Registry};
use centinela_parsers::Extractor;

#[path = "support/smtpd.rs"]
mod smtpd;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

#[derive(serde::Deserialize)]
struct Manifest {
    site: Vec<SiteEntry>,
}

#[derive(serde::Deserialize)]
struct SiteEntry {
    dir: String,
    host: String,
    template: Option<String>,
}

/// Every HTML page of a sample site as (URL, path), in path order.
fn pages(dir: &Path, host: &str) -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read samples") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "html") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(dir)
                .expect("inside")
                .to_string_lossy()
                .replace('\\', "/");
            let rel = rel.strip_suffix("index.html").unwrap_or(&rel).to_string();
            (format!("http://{host}/{rel}"), p)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_sites_with_the_example_watchlist_make_exactly_the_expected_mails() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let port = smtpd::free_port();
    let Some(server) = smtpd::start(port, &tmp.path().join("server"), None) else {
        return;
    };
    let rules =
        load_dir(&repo().join("samples/watchlists")).expect("the example watchlist reads cleanly");
    let db = open_db(&tmp.path().join("db")).expect("db");
    let store = Store::open(&db).expect("store");
    let outbox = Outbox::open(&db).expect("outbox");
    let watcher = Watcher::open(&db, rules, &outbox).expect("watcher");

    let manifest: Manifest = toml::from_str(
        &std::fs::read_to_string(repo().join("samples/manifest.toml")).expect("manifest"),
    )
    .expect("manifest reads");
    let registry = Registry::new(Extractor::with_default_lexicon());
    let mut at = 1_795_890_000;
    // Twice: the second pass is a re-crawl of unchanged pages and must add nothing.
    for pass in 0..2 {
        for site in &manifest.site {
            let Some(template) = &site.template else {
                continue;
            };
            let choice = ParserChoice::Template(template.clone());
            for (url, path) in pages(&repo().join("samples").join(&site.dir), &site.host) {
                let html = std::fs::read(&path).expect("page");
                let parsed = registry.parse(&choice, &url, &html);
                at += 1;
                let capture = Capture {
                    file: "centinela-00001.warc.gz".into(),
                    offset: at as u64,
                    length: html.len() as u64,
                    record_id: format!("<urn:uuid:{at}>"),
                    sha256: format!("{at:064x}"),
                    warc_date: String::new(),
                    at: Timestamp(at),
                };
                store
                    .apply_page_changes(&Observation {
                        site: &site.dir,
                        at: Timestamp(at),
                        capture: &capture,
                        page: &parsed,
                    })
                    .expect("apply");
                let new = watcher.process_pending().expect("match");
                assert!(pass == 0 || new.is_empty(), "re-crawl of {url} alerted");
            }
        }
    }
    db.flush().expect("flush");

    let sender =
        SmtpSender::new(&smtpd::plain_config(port, Duration::from_secs(5))).expect("sender");
    let d = Deliverer::new(
        &outbox,
        Transport::Smtp(sender),
        DeliveryConfig {
            render: RenderOptions::default(),
            ..DeliveryConfig::default()
        },
    );
    d.deliver_due().await.expect("round");
    for (a, ds) in outbox.list().expect("list") {
        for del in ds {
            assert!(matches!(del.status, Status::Sent { .. }), "{a:?} {del:?}");
        }
    }
    let mut got: Vec<String> = server
        .received()
        .iter()
        .map(|m| format!("{} | {}", m.rcpt_tos.join(","), m.subject))
        .collect();
    got.sort();
    let expected: Vec<String> = EXPECTED.iter().map(|s| s.to_string()).collect();
    assert_eq!(got, expected, "got:\n{}", got.join("\n"));
    // The vendor followed to a forum under another name says why it is the same one.
    let kondor = server
        .received()
        .into_iter()
        .find(|m| m.subject.contains("Kondor_Lima"))
        .expect("the foro-sur mail");
    let text = kondor.text.unwrap_or_default();
    for fact in [
        "antes: mercado-andino",
        "ahora: foro-sur",
        "vinculado por: clave PGP CAA4C776D9AA8FC78F76C02E8630AF8F5D8A978A",
        "Tipo: vendedor",
        "/usuario/kondor-lima-u48.html",
        "Registro WARC: centinela-00001.warc.gz @ ",
    ] {
        assert!(text.contains(fact), "{fact} missing:\n{text}");
    }
}

/// (recipients | subject), sorted. How the sample sites tie together (samples/README.md):
/// CondorBlanco's key is Kondor_Lima's on foro-sur; PuertoCallao's wallet is on a
/// HarborKing listing on silk-lane; its WhatsApp number is in opsec_llama's post on
/// dread-board.
const EXPECTED: &[&str] = &[
    "analista@unidad.example | [AVISO] Centinela: billetera-callao: dirección cripto bajo vigilancia en mercado-andino: 185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk",
    "analista@unidad.example | [AVISO] Centinela: billetera-callao: dirección cripto bajo vigilancia en mercado-andino: 185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk (+2)",
    "analista@unidad.example | [AVISO] Centinela: billetera-callao: dirección cripto bajo vigilancia en silk-lane: 185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk",
    "analista@unidad.example | [AVISO] Centinela: billetera-callao: dirección cripto bajo vigilancia en silk-lane: 185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk (+1)",
    "analista@unidad.example | [AVISO] Centinela: billetera-callao: opsec_llama aparece en un mercado nuevo: dread-board",
    "analista@unidad.example | [INFO] Centinela: pasta-basica: la búsqueda «pasta básica» coincide en mercado-andino",
    "liaison@partner.example | [INFO] Centinela: silk-lane-peru: Peru score 0.85 (threshold 0.85) on silk-lane",
    "liaison@partner.example | [INFO] Centinela: silk-lane-peru: Peru score 0.86 (threshold 0.85) on silk-lane",
    "liaison@partner.example | [INFO] Centinela: silk-lane-peru: Peru score 0.97 (threshold 0.85) on silk-lane",
    "supervisor@unidad.example | [AVISO] Centinela: billetera-callao: dirección cripto bajo vigilancia en mercado-andino: 185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk",
    "supervisor@unidad.example | [AVISO] Centinela: billetera-callao: dirección cripto bajo vigilancia en mercado-andino: 185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk (+2)",
    "supervisor@unidad.example | [AVISO] Centinela: billetera-callao: dirección cripto bajo vigilancia en silk-lane: 185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk",
    "supervisor@unidad.example | [AVISO] Centinela: billetera-callao: dirección cripto bajo vigilancia en silk-lane: 185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk (+1)",
    "supervisor@unidad.example | [AVISO] Centinela: billetera-callao: opsec_llama aparece en un mercado nuevo: dread-board",
    "supervisor@unidad.example | [CRÍTICO] Centinela: condor-blanco: Kondor_Lima aparece en un mercado nuevo: foro-sur",
    "supervisor@unidad.example | [CRÍTICO] Centinela: condor-blanco: vendedor vigilado CondorBlanco visto en mercado-andino (+1)",
];
