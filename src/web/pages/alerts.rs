//! What the watchlists raised: each alert with its mail per recipient — sent, waiting
//! (with the last temporary error) or refused (with the server's reason) — and a retry
//! for refused mail (admins). The daemon's delivery thread, or `centinela alerts send`,
//! sends what waits.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use centinela_index::mail::{render, RenderOptions};
use centinela_index::outbox::{Alert, Delivery, OutboxError, Status};
use centinela_index::time::Timestamp;
use maud::html;
use serde::Deserialize;

use super::search::readable_time;
use crate::web::auth::Session;
use crate::web::layout;
use crate::web::Shared;

#[derive(Deserialize, Default)]
pub struct AlertsQuery {
    #[serde(default)]
    status: String,
}

/// The newest alerts first, at most `limit`, each with its deliveries in `status`
/// (`waiting`, `sent`, `failed`; anything else: all), leaving out alerts with none.
pub fn newest(
    web: &Shared,
    status: &str,
    limit: usize,
) -> Result<Vec<(Alert, Vec<Delivery>)>, OutboxError> {
    let mut all = web.outbox.list()?;
    all.sort_by_key(|a| std::cmp::Reverse(a.0.id));
    let wanted = |st: &Status| match status {
        "failed" => matches!(st, Status::Failed { .. }),
        "waiting" => matches!(st, Status::Queued),
        "sent" => matches!(st, Status::Sent { .. }),
        _ => true,
    };
    Ok(all
        .into_iter()
        .map(|(a, d)| (a, d.into_iter().filter(|d| wanted(&d.status)).collect()))
        .filter(|(_, d): &(Alert, Vec<Delivery>)| !d.is_empty())
        .take(limit)
        .collect())
}

pub async fn list(State(web): State<Shared>, s: Session, Query(q): Query<AlertsQuery>) -> Response {
    let l = s.lang;
    let shown = match newest(&web, &q.status, 500) {
        Ok(a) => a,
        Err(e) => return layout::failure(&s, &e.to_string()),
    };
    let body = html! {
        h1 { (l.t("Alertas", "Alerts")) }
        p.filters {
            a href="/alerts" { (l.t("todas", "all")) } " · "
            a href="/alerts?status=waiting" { (l.t("en espera", "waiting")) } " · "
            a href="/alerts?status=failed" { (l.t("rechazadas", "refused")) } " · "
            a href="/alerts?status=sent" { (l.t("enviadas", "sent")) }
        }
        @if shown.is_empty() { p.note { (l.t("Ninguna alerta.", "No alerts.")) } }
        table id="alerts" {
            @for (alert, deliveries) in &shown {
                tr.alert data-id=(alert.id) {
                    td { "#" (alert.id) }
                    td {
                        strong { (render(alert, &RenderOptions::default()).subject) }
                        div.note {
                            (l.t("regla", "rule")) " " (alert.rule) " · " (alert.severity.as_str()) " · "
                            (readable_time(&Timestamp((alert.created_ms / 1000) as i64).rfc3339()))
                        }
                        ul {
                            @for d in deliveries {
                                li.delivery {
                                    (d.recipient) " "
                                    @match &d.status {
                                        Status::Sent { at } => { span.badge.sent { (l.t("enviada", "sent")) } " " (readable_time(&at.rfc3339())) }
                                        Status::Queued => {
                                            span.badge.waiting { (l.t("en espera", "waiting")) }
                                            @if let Some(e) = &d.last_error { " " span.note { (l.t("intento", "attempt")) " " (d.attempts) ": " (e) } }
                                        }
                                        Status::Failed { at, reason } => {
                                            span.badge.failed { (l.t("rechazada", "refused")) } " " (readable_time(&at.rfc3339())) " — " span.reason { (reason) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    td {
                        @if s.is_admin() && deliveries.iter().any(|d| matches!(d.status, Status::Failed { .. })) {
                            form.inline method="post" action="/alerts/retry" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                input type="hidden" name="id" value=(alert.id);
                                button type="submit" { (l.t("reintentar", "retry")) }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::page(&s, l.t("Alertas", "Alerts"), body)
}

#[derive(Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    csrf: String,
    id: u64,
}

pub async fn retry(State(web): State<Shared>, s: Session, Form(f): Form<RetryForm>) -> Response {
    if let Some(r) = super::csrf_refusal(&s, Some(&f.csrf)) {
        return r;
    }
    if !s.is_admin() {
        return layout::forbidden(&s);
    }
    match web.outbox.retry_failed(Some(f.id)) {
        Ok(_) => {
            web.outbox.wake();
            if let Some(r) = super::audit_refusal(&web, &s, "alert_retry", &f.id.to_string()) {
                return r;
            }
            Redirect::to("/alerts?status=waiting").into_response()
        }
        Err(e) => layout::failure(&s, &e.to_string()),
    }
}
