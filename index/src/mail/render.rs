//! Alert mails: the subject, a plain-text part and an HTML part, in Spanish or English.
//!
//! Everything shown comes from the alert as enqueued (the record as it was at the hit),
//! so a mail sent hours later, after an outage, still shows what triggered it. Text from
//! crawled pages is hostile: the HTML part escapes every value (`<`, `>`, `&`, quotes),
//! and the subject drops control characters (no header injection) and is kept short.

use std::fmt::Write as _;

use crate::outbox::{Alert, What};
use crate::watch::{Language, Severity};

/// Options the mails need from the configuration.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// Base URL of the web UI (`https://centinela.unidad.example`), when there is one:
    /// each mail then links to `<base>/records?site=<site>&url=<url>`.
    pub web_base_url: Option<String>,
}

/// A rendered mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

struct Texts {
    severity: [&'static str; 3],
    title: &'static str,
    digest_title: &'static str,
    rule: &'static str,
    changes: &'static str,
    record: &'static str,
    record_types: [(&'static str, &'static str); 3],
    fields: [&'static str; 12],
    evidence: &'static str,
    warc: &'static str,
    link: &'static str,
    before: &'static str,
    linked: &'static str,
    now: &'static str,
    none: &'static str,
    footer: &'static str,
}

const ES: Texts = Texts {
    severity: ["INFO", "AVISO", "CRÍTICO"],
    title: "Alerta de vigilancia",
    digest_title: "Resumen de alertas",
    rule: "Regla",
    changes: "Qué se detectó",
    record: "Registro",
    record_types: [
        ("listing", "anuncio"),
        ("vendor", "vendedor"),
        ("post", "mensaje de foro"),
    ],
    fields: [
        "Tipo",
        "Sitio",
        "Vendedor",
        "Título",
        "Precio",
        "Envía desde",
        "Envía a",
        "Visto por primera vez",
        "URL",
        "Claves PGP",
        "Direcciones cripto",
        "Contactos",
    ],
    evidence: "Evidencia",
    warc: "Registro WARC",
    link: "Ver en Centinela",
    before: "antes",
    linked: "vinculado por",
    now: "ahora",
    none: "(ninguno)",
    footer: "Mensaje automático de Centinela. No responda a este correo.",
};

const EN: Texts = Texts {
    severity: ["INFO", "WARNING", "CRITICAL"],
    title: "Watchlist alert",
    digest_title: "Alert digest",
    rule: "Rule",
    changes: "What was detected",
    record: "Record",
    record_types: [
        ("listing", "listing"),
        ("vendor", "vendor"),
        ("post", "forum post"),
    ],
    fields: [
        "Type",
        "Site",
        "Vendor",
        "Title",
        "Price",
        "Ships from",
        "Ships to",
        "First seen",
        "URL",
        "PGP keys",
        "Crypto addresses",
        "Contacts",
    ],
    evidence: "Evidence",
    warc: "WARC record",
    link: "Open in Centinela",
    before: "before",
    linked: "linked by",
    now: "now",
    none: "(none)",
    footer: "Automatic message from Centinela. Do not reply.",
};

fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Es => &ES,
        Language::En => &EN,
    }
}

fn severity(t: &Texts, s: Severity) -> &'static str {
    match s {
        Severity::Info => t.severity[0],
        Severity::Warning => t.severity[1],
        Severity::Critical => t.severity[2],
    }
}

fn list(t: &Texts, v: &[String]) -> String {
    if v.is_empty() {
        t.none.to_string()
    } else {
        v.join(", ")
    }
}

fn field_name(lang: Language, field: &str) -> &'static str {
    match (lang, field) {
        (Language::Es, "handle") => "alias",
        (Language::En, "handle") => "handle",
        (Language::Es, "address") => "dirección cripto",
        (Language::Es, "contact") => "contacto",
        (Language::Es, "pgp") => "clave PGP",
        (Language::En, "address") => "crypto address",
        (Language::En, "contact") => "contact",
        (Language::En, "pgp") => "PGP key",
        (Language::Es, _) => "identificador",
        (Language::En, _) => "identifier",
    }
}

/// One line saying what happened: the subject's gist, and the first line of each change
/// in the body. `record_site` is where the record was seen.
pub fn summary(lang: Language, what: &What, record_site: &str) -> String {
    let es = lang == Language::Es;
    // A record with no author (an anonymous post showing a watched wallet).
    let who = |h: &str| -> String {
        match (h.is_empty(), es) {
            (false, _) => h.to_string(),
            (true, true) => "(sin alias)".into(),
            (true, false) => "(no handle)".into(),
        }
    };
    match what {
        What::Shows { field, value } => {
            if es {
                format!(
                    "{} bajo vigilancia en {record_site}: {value}",
                    field_name(lang, field)
                )
            } else {
                format!(
                    "watched {} on {record_site}: {value}",
                    field_name(lang, field)
                )
            }
        }
        What::QueryMatched { query } => {
            if es {
                format!("la búsqueda «{query}» coincide en {record_site}")
            } else {
                format!("saved search \"{query}\" matched on {record_site}")
            }
        }
        What::PeruScore { score, threshold } => {
            if es {
                format!("puntaje Perú {score:.2} (umbral {threshold:.2}) en {record_site}")
            } else {
                format!("Peru score {score:.2} (threshold {threshold:.2}) on {record_site}")
            }
        }
        What::VendorAppeared { site, handle } => {
            let handle = who(handle);
            if es {
                format!("vendedor vigilado {handle} visto en {site}")
            } else {
                format!("watched vendor {handle} seen on {site}")
            }
        }
        What::NewSite { handle, site, .. } => {
            let handle = who(handle);
            if es {
                format!("{handle} aparece en un mercado nuevo: {site}")
            } else {
                format!("{handle} appears on a new market: {site}")
            }
        }
        What::NewMirror { site, host, .. } => {
            if es {
                format!("nuevo espejo de {site}: {host}")
            } else {
                format!("new mirror of {site}: {host}")
            }
        }
        What::HandleChanged { site, to, .. } => {
            if es {
                format!("aparece con otro alias en {site}: {to}")
            } else {
                format!("shows up under another handle on {site}: {to}")
            }
        }
        What::PgpKeyChanged { to, .. } => {
            if es {
                format!("cambia de clave PGP: {to}")
            } else {
                format!("rotates PGP key: {to}")
            }
        }
        What::PayoutAddressChanged { to, .. } => {
            if es {
                format!("nueva dirección de pago: {to}")
            } else {
                format!("new payout address: {to}")
            }
        }
        What::ContactChanged { to, .. } => {
            if es {
                format!("nuevo contacto: {to}")
            } else {
                format!("new contact: {to}")
            }
        }
        What::ShipsToPeru { site, .. } => {
            if es {
                format!("empieza a ofrecer envíos a Perú en {site}")
            } else {
                format!("starts listing with shipping to Peru on {site}")
            }
        }
    }
}

/// The "from what to what" of a change, when it has one.
fn before_after(t: &Texts, what: &What) -> Option<(String, String)> {
    match what {
        What::NewSite {
            site, known_sites, ..
        } => Some((list(t, known_sites), site.clone())),
        What::NewMirror {
            host, known_hosts, ..
        } => Some((list(t, known_hosts), host.clone())),
        What::HandleChanged { from, to, .. }
        | What::PgpKeyChanged { from, to }
        | What::PayoutAddressChanged { from, to }
        | What::ContactChanged { from, to } => Some((list(t, from), to.clone())),
        What::ShipsToPeru { ships_to, .. } => Some((t.none.to_string(), list(t, ships_to))),
        _ => None,
    }
}

/// "clave PGP CAA4…, alias Kondor_Lima".
fn links(lang: Language, h: &crate::outbox::Hit) -> String {
    h.linked_by
        .iter()
        .map(|(k, v)| format!("{} {v}", field_name(lang, k)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query-string value.
fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The web UI link of an alert's record, when a base URL is configured.
pub fn web_link(opts: &RenderOptions, alert: &Alert) -> Option<String> {
    let base = opts.web_base_url.as_deref()?.trim_end_matches('/');
    let url = alert.record.url.as_deref().unwrap_or("");
    Some(format!(
        "{base}/records?site={}&url={}",
        encode_component(&alert.record.site),
        encode_component(url)
    ))
}

/// A subject line: no control characters (a crawled title must not add headers), one
/// line, at most 200 characters.
fn clean_subject(s: &str) -> String {
    let one: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out: String = one.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.chars().count() > 200 {
        out = out.chars().take(199).collect::<String>() + "…";
    }
    out
}

/// The subject of one alert: severity, rule, and what matched.
pub fn subject(alert: &Alert) -> String {
    let t = texts(alert.language);
    let gist = alert
        .hits
        .first()
        .map(|h| summary(alert.language, &h.what, &alert.record.site))
        .unwrap_or_default();
    let more = if alert.hits.len() > 1 {
        format!(" (+{})", alert.hits.len() - 1)
    } else {
        String::new()
    };
    clean_subject(&format!(
        "[{}] Centinela: {}: {gist}{more}",
        severity(t, alert.severity),
        alert.rule
    ))
}

fn record_rows(t: &Texts, alert: &Alert) -> Vec<(&'static str, String)> {
    let r = &alert.record;
    let kind = t
        .record_types
        .iter()
        .find(|(k, _)| *k == r.record_type)
        .map_or(r.record_type.as_str(), |(_, v)| v);
    let mut rows = vec![
        (t.fields[0], kind.to_string()),
        (t.fields[1], r.site.clone()),
    ];
    let opt = |label: &'static str, v: &Option<String>, rows: &mut Vec<(&'static str, String)>| {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            rows.push((label, v.clone()));
        }
    };
    opt(t.fields[2], &r.vendor, &mut rows);
    opt(t.fields[3], &r.title, &mut rows);
    opt(t.fields[4], &r.price, &mut rows);
    opt(t.fields[5], &r.ships_from, &mut rows);
    if !r.ships_to.is_empty() {
        rows.push((t.fields[6], r.ships_to.join(", ")));
    }
    if let Some(at) = r.first_seen {
        rows.push((t.fields[7], at.rfc3339()));
    }
    opt(t.fields[8], &r.url, &mut rows);
    for (i, v) in [
        (9, &r.pgp_fingerprints),
        (10, &r.addresses),
        (11, &r.contacts),
    ] {
        if !v.is_empty() {
            rows.push((t.fields[i], v.join(", ")));
        }
    }
    rows
}

fn evidence_rows(t: &Texts, alert: &Alert) -> Vec<(&'static str, String)> {
    match &alert.record.capture {
        Some(c) => vec![
            ("SHA-256", c.sha256.clone()),
            (
                t.warc,
                format!("{} @ {} ({})", c.file, c.offset, c.record_id),
            ),
        ],
        None => Vec::new(),
    }
}

fn text_section(out: &mut String, t: &Texts, alert: &Alert, opts: &RenderOptions) {
    let _ = writeln!(
        out,
        "{}: {} ({}: {}) — {}",
        t.rule,
        alert.rule,
        alert.rule_kind,
        alert.rule_value,
        severity(t, alert.severity)
    );
    let _ = writeln!(out, "\n{}:", t.changes);
    for h in &alert.hits {
        let _ = writeln!(
            out,
            "  - {}",
            summary(alert.language, &h.what, &alert.record.site)
        );
        if let Some((from, to)) = before_after(t, &h.what) {
            let _ = writeln!(out, "    {}: {from}", t.before);
            let _ = writeln!(out, "    {}: {to}", t.now);
        }
        if !h.linked_by.is_empty() {
            let _ = writeln!(out, "    {}: {}", t.linked, links(alert.language, h));
        }
    }
    let _ = writeln!(out, "\n{}:", t.record);
    for (k, v) in record_rows(t, alert) {
        let _ = writeln!(out, "  {k}: {v}");
    }
    let ev = evidence_rows(t, alert);
    if !ev.is_empty() {
        let _ = writeln!(out, "\n{}:", t.evidence);
        for (k, v) in ev {
            let _ = writeln!(out, "  {k}: {v}");
        }
    }
    if let Some(link) = web_link(opts, alert) {
        let _ = writeln!(out, "\n{}: {link}", t.link);
    }
}

fn html_rows(out: &mut String, rows: &[(&'static str, String)]) {
    out.push_str("<table cellpadding=\"3\">");
    for (k, v) in rows {
        let _ = write!(
            out,
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
            escape_html(k),
            escape_html(v)
        );
    }
    out.push_str("</table>");
}

fn html_section(out: &mut String, t: &Texts, alert: &Alert, opts: &RenderOptions) {
    let _ = write!(
        out,
        "<p><b>{}:</b> {} ({}: <code>{}</code>) — <b>{}</b></p>",
        t.rule,
        escape_html(&alert.rule),
        escape_html(&alert.rule_kind),
        escape_html(&alert.rule_value),
        severity(t, alert.severity)
    );
    let _ = write!(out, "<h3>{}</h3><ul>", t.changes);
    for h in &alert.hits {
        let _ = write!(
            out,
            "<li>{}",
            escape_html(&summary(alert.language, &h.what, &alert.record.site))
        );
        if let Some((from, to)) = before_after(t, &h.what) {
            let _ = write!(
                out,
                "<br>{}: <code>{}</code><br>{}: <code>{}</code>",
                t.before,
                escape_html(&from),
                t.now,
                escape_html(&to)
            );
        }
        if !h.linked_by.is_empty() {
            let _ = write!(
                out,
                "<br>{}: {}",
                t.linked,
                escape_html(&links(alert.language, h))
            );
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
    let _ = write!(out, "<h3>{}</h3>", t.record);
    html_rows(out, &record_rows(t, alert));
    let ev = evidence_rows(t, alert);
    if !ev.is_empty() {
        let _ = write!(out, "<h3>{}</h3>", t.evidence);
        html_rows(out, &ev);
    }
    if let Some(link) = web_link(opts, alert) {
        let _ = write!(
            out,
            "<p><a href=\"{}\">{}</a></p>",
            escape_html(&link),
            t.link
        );
    }
}

fn html_page(lang: Language, title: &str, body: &str, footer: &str) -> String {
    let code = match lang {
        Language::Es => "es",
        Language::En => "en",
    };
    format!(
        "<!DOCTYPE html><html lang=\"{code}\"><head><meta charset=\"utf-8\"><title>{}</title></head><body><h2>{}</h2>{body}<hr><p><small>{footer}</small></p></body></html>",
        escape_html(title),
        escape_html(title)
    )
}

/// One alert's mail.
pub fn render(alert: &Alert, opts: &RenderOptions) -> Rendered {
    let t = texts(alert.language);
    let mut text = format!("Centinela — {}\n\n", t.title);
    text_section(&mut text, t, alert, opts);
    let _ = write!(text, "\n-- \n{}\n", t.footer);
    let mut body = String::new();
    html_section(&mut body, t, alert, opts);
    Rendered {
        subject: subject(alert),
        text,
        html: html_page(
            alert.language,
            &format!("Centinela — {}", t.title),
            &body,
            t.footer,
        ),
    }
}

/// One mail for several alerts (digest mode), in `lang`, the most severe first.
pub fn render_digest(alerts: &[Alert], lang: Language, opts: &RenderOptions) -> Rendered {
    let t = texts(lang);
    let mut sorted: Vec<&Alert> = alerts.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
    let top = sorted.first().map_or(Severity::Info, |a| a.severity);
    let subject = clean_subject(&match lang {
        Language::Es => format!(
            "[{}] Centinela: resumen de {} alertas",
            severity(t, top),
            alerts.len()
        ),
        Language::En => format!(
            "[{}] Centinela: digest of {} alerts",
            severity(t, top),
            alerts.len()
        ),
    });
    let mut text = format!("Centinela — {}\n", t.digest_title);
    let mut body = String::new();
    for (i, a) in sorted.iter().enumerate() {
        let _ = writeln!(text, "\n=== {} / {} ===", i + 1, alerts.len());
        text_section(&mut text, t, a, opts);
        let _ = write!(body, "<h2>{} / {}</h2>", i + 1, alerts.len());
        html_section(&mut body, t, a, opts);
        body.push_str("<hr>");
    }
    let _ = write!(text, "\n-- \n{}\n", t.footer);
    Rendered {
        subject,
        text,
        html: html_page(
            lang,
            &format!("Centinela — {}", t.digest_title),
            &body,
            t.footer,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::{DedupKey, Hit, RecordFacts};
    use crate::store::Capture;
    use crate::time::Timestamp;

    fn alert(lang: Language, title: &str) -> Alert {
        Alert {
            id: 7,
            rule: "condor".into(),
            rule_kind: "vendor".into(),
            rule_value: "CondorBlanco".into(),
            severity: Severity::Critical,
            language: lang,
            created_ms: 0,
            hits: vec![Hit {
                key: DedupKey {
                    rule: "condor".into(),
                    entity: "watched vendor".into(),
                    change: "pgp:BB".into(),
                },
                what: What::PgpKeyChanged {
                    from: vec!["AA".into()],
                    to: "BB".into(),
                },
                linked_by: vec![("pgp".into(), "AA".into())],
            }],
            record: RecordFacts {
                record_type: "listing".into(),
                site: "mercado-andino".into(),
                url: Some("http://x.onion/l/1?a=b&c".into()),
                vendor: Some("CondorBlanco".into()),
                title: Some(title.into()),
                price: Some("S/ 1.250,00".into()),
                ships_from: Some("Bolivia".into()),
                ships_to: vec!["Perú".into(), "Chile".into()],
                first_seen: Some(Timestamp(1_795_890_152)),
                peru_score: 0.9,
                addresses: vec!["bc1qexample".into()],
                pgp_fingerprints: vec![],
                contacts: vec![],
                capture: Some(Capture {
                    file: "centinela-00001.warc.gz".into(),
                    offset: 4242,
                    length: 10,
                    record_id: "<urn:uuid:1>".into(),
                    sha256: "ab".repeat(32),
                    warc_date: String::new(),
                    at: Timestamp(1),
                }),
            },
        }
    }

    #[test]
    fn spanish_mail_has_the_facts() {
        let opts = RenderOptions {
            web_base_url: Some("https://ui.example/".into()),
        };
        let r = render(&alert(Language::Es, "Cocaína pura"), &opts);
        assert_eq!(
            r.subject,
            "[CRÍTICO] Centinela: condor: cambia de clave PGP: BB"
        );
        for fact in [
            "Regla: condor (vendor: CondorBlanco)",
            "antes: AA",
            "ahora: BB",
            "vinculado por: clave PGP AA",
            "Título: Cocaína pura",
            "Precio: S/ 1.250,00",
            "Envía a: Perú, Chile",
            "Direcciones cripto: bc1qexample",
            "Visto por primera vez: 2026-11-28T18:22:32Z",
            &"ab".repeat(32),
            "centinela-00001.warc.gz @ 4242",
            "https://ui.example/records?site=mercado-andino&url=http%3A%2F%2Fx.onion%2Fl%2F1%3Fa%3Db%26c",
        ] {
            assert!(r.text.contains(fact), "{fact} missing in\n{}", r.text);
        }
        assert!(r.html.contains("lang=\"es\""));
        assert!(r.html.contains("url=http%3A%2F%2Fx.onion"));
    }

    #[test]
    fn english_mail() {
        let r = render(&alert(Language::En, "Pure"), &RenderOptions::default());
        assert_eq!(
            r.subject,
            "[CRITICAL] Centinela: condor: rotates PGP key: BB"
        );
        assert!(r.text.contains("Ships to: Perú, Chile"));
        assert!(r.text.contains("before: AA"));
        assert!(
            !r.text.contains("Open in Centinela"),
            "no link without a base URL"
        );
    }

    #[test]
    fn hostile_text_is_escaped_in_html_and_cannot_add_headers() {
        let mut a = alert(Language::Es, "<script>alert('x')</script> & \"más\"");
        a.hits[0].what = What::QueryMatched {
            query: "x\r\nBcc: evil@example.com".into(),
        };
        let r = render(&a, &RenderOptions::default());
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(r
            .html
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;más&quot;"));
        assert!(
            r.text.contains("<script>alert('x')</script>"),
            "plain text stays as seen"
        );
        assert!(!r.subject.contains('\n') && !r.subject.contains('\r'));
    }

    #[test]
    fn digest_lists_every_alert() {
        let mut b = alert(Language::Es, "Otra");
        b.id = 8;
        b.severity = Severity::Info;
        let r = render_digest(
            &[b, alert(Language::Es, "Una")],
            Language::Es,
            &RenderOptions::default(),
        );
        assert_eq!(r.subject, "[CRÍTICO] Centinela: resumen de 2 alertas");
        let (una, otra) = (r.text.find("Una"), r.text.find("Otra"));
        assert!(
            una.is_some() && otra.is_some() && una < otra,
            "most severe first"
        );
    }
}
