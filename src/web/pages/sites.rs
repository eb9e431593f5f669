//! The sites: whether each is crawled, when it was and will be, what went wrong, and
//! which ones wait for a person (a login wall, a captcha, a queue page) with that page.

use axum::extract::State;
use axum::response::Response;
use centinela_index::time::Timestamp;
use maud::html;

use super::search::readable_time;
use crate::web::auth::Session;
use crate::web::layout;
use crate::web::Shared;

fn when(t: Option<i64>) -> String {
    t.map_or("—".into(), |t| readable_time(&Timestamp(t).rfc3339()))
}

pub async fn list(State(web): State<Shared>, s: Session) -> Response {
    let l = s.lang;
    let report = match (web.sites)() {
        Ok(r) => r,
        Err(e) => return layout::failure(&s, &format!("site report: {e:#}")),
    };
    let body = html! {
        h1 { (l.t("Sitios", "Sites")) }
        p.note {
            (l.t("Transporte", "Transport")) ": " (report.tor.transport) " · "
            (l.t("índice", "index")) ": " (report.index.documents) " " (l.t("documentos", "documents")) " · "
            (l.t("alertas en espera", "alerts waiting")) ": " (report.alerts.pending)
            " · " (l.t("rechazadas", "refused")) ": " (report.alerts.failed)
        }
        table id="sites" {
            tr {
                th { (l.t("Sitio", "Site")) } th { (l.t("Estado", "State")) } th { (l.t("Horario", "Schedule")) }
                th { (l.t("Último rastreo", "Last crawl")) } th { (l.t("Próximo", "Next")) } th { (l.t("En cola", "Queued")) } th { (l.t("Errores", "Errors")) }
            }
            @for site in &report.sites {
                tr.site data-site=(site.site) {
                    td { strong { (site.site) } }
                    td {
                        span.badge class=(if site.state == "needs_human" { "badge failed" } else { "badge" }) { (site.state) }
                        @if let Some(h) = &site.needs_human {
                            div.needs-human {
                                (l.t("Necesita una persona:", "Needs a person:")) " " (h.page_type) " — " code { (h.url) }
                                div.note { (l.t("Renueve las cookies del sitio y recargue el servicio (o `centinela sites resume`).",
                                               "Refresh the site's cookies and reload the daemon (or `centinela sites resume`).")) }
                            }
                        }
                    }
                    td { (site.schedule) }
                    td {
                        @match &site.last_run {
                            Some(r) => { (when(Some(r.ended))) " · " (r.end) " · " (r.pages) " " (l.t("páginas", "pages")) }
                            None => "—",
                        }
                    }
                    td { (when(site.next_run)) }
                    td { (site.queued) }
                    td {
                        @for (kind, n) in &site.errors { (kind) ": " (n) " " }
                        @if let Some(r) = &site.last_run { @if let Some(e) = &r.detail { span.reason { (e) } } }
                    }
                }
            }
        }
    };
    layout::page(&s, l.t("Sitios", "Sites"), body)
}
