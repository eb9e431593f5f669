//! The human half of a bundle: who exported what, when, and what each capture shows, in
//! Spanish and English, as plain text and as HTML (every crawled string escaped).

use centinela_index::mail::render::escape_html as escape;

use crate::manifest::Manifest;

pub fn text(m: &Manifest, titles: &[(String, String)]) -> String {
    let mut s = String::new();
    for (lang, lines) in [("es", es(m)), ("en", en(m))] {
        s.push_str(&format!("== {lang} ==\n"));
        for l in lines {
            s.push_str(&l);
            s.push('\n');
        }
        for c in &m.captures {
            s.push_str(&format!(
                "- {} | {} | HTTP {} | SHA-256 {} | {} | {}\n",
                c.fetched_at, c.url, c.http_status, c.payload_sha256, c.transport, c.isolation
            ));
        }
        s.push_str(if lang == "es" {
            "Registros:\n"
        } else {
            "Records:\n"
        });
        for (kind, title) in titles {
            s.push_str(&format!("- {kind}: {title}\n"));
        }
        s.push('\n');
    }
    s
}

pub fn html(m: &Manifest, titles: &[(String, String)]) -> String {
    let e = escape;
    let mut s = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>Centinela — evidencia / evidence</title></head><body>\n",
    );
    for (lang, lines) in [("es", es(m)), ("en", en(m))] {
        s.push_str(&format!("<section lang=\"{lang}\">\n"));
        for l in lines {
            s.push_str(&format!("<p>{}</p>\n", e(&l)));
        }
        s.push_str("<table border=\"1\"><tr><th>");
        let heads: [&str; 6] = if lang == "es" {
            [
                "Fecha",
                "URL",
                "HTTP",
                "SHA-256",
                "Transporte",
                "Aislamiento",
            ]
        } else {
            ["Date", "URL", "HTTP", "SHA-256", "Transport", "Isolation"]
        };
        s.push_str(&heads.join("</th><th>"));
        s.push_str("</th></tr>\n");
        for c in &m.captures {
            s.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                e(&c.fetched_at),
                e(&c.url),
                c.http_status,
                e(&c.payload_sha256),
                e(&c.transport),
                e(&c.isolation)
            ));
        }
        s.push_str("</table>\n<ul>\n");
        for (kind, title) in titles {
            s.push_str(&format!("<li>{}: {}</li>\n", e(kind), e(title)));
        }
        s.push_str("</ul>\n</section>\n");
    }
    s.push_str("</body></html>\n");
    s
}

fn es(m: &Manifest) -> Vec<String> {
    vec![
        format!(
            "Paquete de evidencia de Centinela: {} \"{}\".",
            subject_es(&m.subject.kind),
            m.subject.value
        ),
        format!(
            "Exportado el {} por {} con {}.",
            m.exported_at, m.operator, m.tool
        ),
        format!(
            "{} capturas (registros WARC copiados sin cambios) y {} registros. Cada archivo \
             figura en manifest.json con su SHA-256; manifest.json está firmado con la clave \
             Ed25519 de la unidad (huella {}). Verificar: centinela evidence verify <paquete>.",
            m.captures.len(),
            m.records,
            m.signer.fingerprint
        ),
    ]
}

fn en(m: &Manifest) -> Vec<String> {
    vec![
        format!(
            "Centinela evidence bundle: {} \"{}\".",
            m.subject.kind, m.subject.value
        ),
        format!(
            "Exported on {} by {} with {}.",
            m.exported_at, m.operator, m.tool
        ),
        format!(
            "{} captures (WARC records copied unchanged) and {} records. Every file is listed \
             in manifest.json with its SHA-256; manifest.json is signed with the unit's \
             Ed25519 key (fingerprint {}). To verify: centinela evidence verify <bundle>.",
            m.captures.len(),
            m.records,
            m.signer.fingerprint
        ),
    ]
}

fn subject_es(kind: &str) -> &str {
    match kind {
        "vendor" => "vendedor",
        "listing" => "anuncio",
        "address" => "dirección",
        "query" => "búsqueda",
        other => other,
    }
}
