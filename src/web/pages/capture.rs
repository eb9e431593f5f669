//! Viewing a capture: the page as fetched, read back from its WARC record (digests
//! checked), shown as escaped source text, and rendered in a frame that can do nothing.
//!
//! The rendering is served from its own path with `Content-Security-Policy: sandbox;
//! default-src 'none'; img-src data:` — no script, no form, no plugin, and no request to
//! anywhere, not even to us — and the `<iframe>` is sandboxed as well. Navigation is not
//! covered by `default-src`, so before serving we also disarm what navigates without a
//! click (`<meta http-equiv=refresh>`) and what navigates on one (`href`, `action`,
//! `formaction`, `ping`): they are renamed to `data-disarmed-…` attributes, keeping the
//! markup readable. The WARC record itself is never changed.

use std::borrow::Cow;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use centinela_crawler::warc::{read_capture, CaptureRef, StoredResponse};
use centinela_index::store::{Capture, RecordRef, StoredRecord};
use maud::html;
use regex::bytes::Regex;
use serde::Deserialize;

use super::search::readable_time;
use crate::web::auth::Session;
use crate::web::layout::{self, enc};
use crate::web::Shared;

pub const FRAME_POLICY: &str = "sandbox; default-src 'none'; img-src data:";

#[derive(Deserialize)]
pub struct CaptureQuery {
    kind: String,
    site: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    id: String,
}

impl CaptureQuery {
    fn record(&self) -> Option<RecordRef> {
        let site = self.site.clone();
        Some(match self.kind.as_str() {
            "listing" => RecordRef::Listing {
                site,
                url: self.url.clone(),
            },
            "vendor" => RecordRef::Vendor {
                site,
                handle: self.handle.clone(),
            },
            "post" => RecordRef::Post {
                site,
                url: self.url.clone(),
                id: self.id.clone(),
            },
            _ => return None,
        })
    }

    fn query_string(&self) -> String {
        format!(
            "kind={}&site={}&url={}&handle={}&id={}",
            enc(&self.kind),
            enc(&self.site),
            enc(&self.url),
            enc(&self.handle),
            enc(&self.id)
        )
    }

    fn subject(&self) -> String {
        match self.kind.as_str() {
            "vendor" => format!("vendor {} {}", self.site, self.handle),
            k => format!("{k} {} {}", self.site, self.url),
        }
    }
}

/// The capture of a record and what it read back as.
fn load(web: &Shared, q: &CaptureQuery) -> Result<Option<(Capture, StoredResponse)>, String> {
    let Some(r) = q.record() else {
        return Ok(None);
    };
    let capture = match web.store.record(&r).map_err(|e| e.to_string())? {
        Some(StoredRecord::Listing(l)) => l.capture,
        Some(StoredRecord::Post(p)) => p.capture,
        Some(StoredRecord::Vendor(v)) => match v.capture {
            Some(c) => c,
            None => return Ok(None),
        },
        None => return Ok(None),
    };
    let reference = CaptureRef {
        file: capture.file.clone(),
        offset: capture.offset,
        length: capture.length,
        record_id: capture.record_id.clone(),
        payload_sha256: capture.sha256.clone(),
        date: capture.warc_date.clone(),
    };
    let stored = read_capture(&web.warc_dir, &reference).map_err(|e| e.to_string())?;
    Ok(Some((capture, stored)))
}

pub async fn view(
    State(web): State<Shared>,
    s: Session,
    Query(q): Query<CaptureQuery>,
) -> Response {
    let l = s.lang;
    let (capture, stored) = match load(&web, &q) {
        Ok(Some(found)) => found,
        Ok(None) => {
            return layout::message(
                &s,
                StatusCode::NOT_FOUND,
                l.t("Sin captura", "No capture"),
                l.t(
                    "Ese registro no tiene captura guardada.",
                    "That record has no stored capture.",
                ),
            )
        }
        Err(e) => {
            return layout::failure(&s, &format!("the capture cannot be read back intact: {e}"))
        }
    };
    if let Some(r) = super::audit_refusal(&web, &s, "view_capture", &q.subject()) {
        return r;
    }
    // The custody log of the evidence: who looked at which capture, chained.
    let custody = web.custody.lock().map_err(|_| ()).and_then(|log| {
        log.append(
            &centinela_index::time::Timestamp::now().rfc3339(),
            &s.user,
            "view",
            &q.subject(),
            &format!("capture sha256 {} via web UI", capture.sha256),
        )
        .map_err(|_| ())
    });
    if custody.is_err() {
        return layout::failure(&s, "cannot append to the custody log");
    }
    let (text, _, encoding) = centinela_parsers::text::html::decode_bytes(&stored.body);
    let raw = format!("/capture/raw?{}", q.query_string());
    let body = html! {
        h1 { (l.t("Captura", "Capture")) }
        dl.fields {
            dt { "URL" } dd { code id="capture-url" { (stored.target_uri) } }
            dt { (l.t("Capturado", "Captured")) } dd { (readable_time(&stored.date)) }
            dt { (l.t("Estado HTTP", "HTTP status")) } dd { (stored.status) }
            dt { "SHA-256" } dd { code { (capture.sha256) } }
            dt { (l.t("Codificación", "Encoding")) } dd { (encoding.name()) }
        }
        p.note { (l.t("Verificada contra su registro WARC al abrirla. Esta consulta queda en el registro de custodia.",
                      "Checked against its WARC record when opened. This view is recorded in the custody log.")) }
        h2 { (l.t("Vista aislada", "Isolated rendering")) }
        p.note { (l.t("Sin scripts, sin formularios, sin conexiones: las imágenes remotas y los enlaces están desactivados.",
                      "No scripts, no forms, no connections: remote images and links are disabled.")) }
        iframe id="capture-frame" src=(raw) sandbox="" referrerpolicy="no-referrer" title=(l.t("captura", "capture")) {}
        h2 { (l.t("Código fuente (texto)", "Source (as text)")) }
        pre id="capture-text" { (text) }
    };
    layout::page(&s, l.t("Captura", "Capture"), body)
}

pub async fn raw(State(web): State<Shared>, s: Session, Query(q): Query<CaptureQuery>) -> Response {
    let stored = match load(&web, &q) {
        Ok(Some((_, stored))) => stored,
        Ok(None) => return (StatusCode::NOT_FOUND, "no capture").into_response(),
        Err(e) => return layout::failure(&s, &format!("capture: {e}")),
    };
    let html_like = stored
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.clone())
        .filter(|v| v.to_ascii_lowercase().starts_with("text/html"));
    let (content_type, body) = match html_like {
        Some(ct) => (ct, disarm(&stored.body).into_owned()),
        None => ("text/plain".to_string(), stored.body),
    };
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("text/plain")),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FRAME_POLICY),
    );
    // Only our own capture page may frame it.
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    res
}

/// Renames the attributes that navigate (`href`, `action`, `formaction`, `ping`) or
/// refresh (`http-equiv`) so that the rendering cannot leave the page, even on a click.
pub fn disarm(body: &[u8]) -> Cow<'_, [u8]> {
    static ATTR: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    let re = ATTR.get_or_init(|| {
        Regex::new(
            r"(?i)([\s/'\x22])(href|action|formaction|ping|http-equiv|srcset|background)(\s*=)",
        )
        .ok()
    });
    match re {
        Some(re) => re.replace_all(body, &b"${1}data-disarmed-${2}${3}"[..]),
        // The pattern is a constant that compiles; without it nothing is shown.
        None => Cow::Owned(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::disarm;

    #[test]
    fn what_navigates_or_refreshes_is_renamed() {
        let page = br#"<meta http-equiv="refresh" content="0;url=http://x"><a HREF='http://x'>a</a><form action=/p><button formaction=/q></form><a ping="http://x" href = "y">"#;
        let out = String::from_utf8(disarm(page).into_owned()).unwrap_or_default();
        assert!(!out.contains(" http-equiv="), "{out}");
        assert!(
            out.contains("data-disarmed-http-equiv=\"refresh\""),
            "{out}"
        );
        assert!(out.contains("data-disarmed-HREF='http://x'"), "{out}");
        assert!(out.contains("data-disarmed-action=/p"), "{out}");
        assert!(out.contains("data-disarmed-formaction=/q"), "{out}");
        assert!(out.contains("data-disarmed-ping="), "{out}");
        assert!(out.contains("data-disarmed-href = \"y\""), "{out}");
        // Text that merely mentions the word is left alone.
        assert_eq!(
            &*disarm(b"<p>href is an attribute</p>"),
            b"<p>href is an attribute</p>"
        );
    }
}
