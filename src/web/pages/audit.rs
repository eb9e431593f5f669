//! The audit log, for admins: who logged in, searched, viewed and changed what; and the
//! evidence custody log beside it (every export, verification and capture view, from the
//! CLI or this UI), with the state of its hash chain.

use axum::extract::{Query, State};
use axum::response::Response;
use centinela_evidence::custody::ChainCheck;
use centinela_index::time::Timestamp;
use maud::html;
use serde::Deserialize;

use super::search::readable_time;
use crate::web::auth::Session;
use crate::web::layout;
use crate::web::Shared;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    action: String,
}

pub async fn list(State(web): State<Shared>, s: Session, Query(q): Query<AuditQuery>) -> Response {
    let l = s.lang;
    if !s.is_admin() {
        return layout::forbidden(&s);
    }
    let user = (!q.user.is_empty()).then_some(q.user.as_str());
    let action = (!q.action.is_empty()).then_some(q.action.as_str());
    let entries = match web.audit.recent(1000, user, action) {
        Ok(e) => e,
        Err(e) => return layout::failure(&s, &e.to_string()),
    };
    let (chain, custody) = match web.custody.lock() {
        Ok(log) => (log.verify(), log.entries()),
        Err(_) => return layout::failure(&s, "the custody log is unavailable"),
    };
    let custody = match custody {
        Ok(mut e) => {
            e.reverse();
            e.truncate(200);
            e
        }
        Err(e) => return layout::failure(&s, &e.to_string()),
    };
    let body = html! {
        h1 { (l.t("Registro de auditoría", "Audit log")) }
        form.search method="get" action="/audit" {
            input name="user" value=(q.user) placeholder=(l.t("usuario", "user"));
            input name="action" value=(q.action) placeholder=(l.t("acción (search, view_capture…)", "action (search, view_capture…)"));
            button type="submit" { (l.t("Filtrar", "Filter")) }
        }
        table id="audit" {
            tr { th { (l.t("Cuándo", "When")) } th { (l.t("Quién", "Who")) } th { (l.t("Acción", "Action")) } th { (l.t("Detalle", "Detail")) } th { (l.t("Desde", "From")) } }
            @for e in &entries {
                tr.entry {
                    td { (readable_time(&Timestamp(e.at).rfc3339())) }
                    td { (e.user) }
                    td { code { (e.action) } }
                    td { (e.detail) }
                    td { (e.from) }
                }
            }
        }
        h2 id="custody" { (l.t("Registro de custodia de la evidencia", "Evidence custody log")) }
        @match &chain {
            Ok(ChainCheck::Intact { entries }) => p id="custody-state" {
                span.badge.sent { (l.t("íntegro", "intact")) } " "
                (entries) " " (l.t("entradas, cada una encadenada a la anterior", "entries, each chained to the one before"))
            },
            Ok(ChainCheck::Broken { seq, reason }) => p.error id="custody-state" {
                (l.t("ROTO en la entrada", "BROKEN at entry")) " " (seq) ": " (reason)
            },
            Err(e) => p.error id="custody-state" { (e.to_string()) },
        }
        table id="custody-log" {
            tr { th { "#" } th { (l.t("Cuándo", "When")) } th { (l.t("Quién", "Who")) } th { (l.t("Acción", "Action")) } th { (l.t("Sobre", "Subject")) } th { (l.t("Detalle", "Detail")) } }
            @for e in &custody {
                tr.custody-entry {
                    td { (e.seq) }
                    td { (e.at) }
                    td { (e.operator) }
                    td { code { (e.action) } }
                    td { (e.subject) }
                    td { (e.detail) }
                }
            }
        }
    };
    layout::page(&s, l.t("Auditoría", "Audit log"), body)
}
