//! The HTML pages, one module per area.

pub mod alerts;
pub mod audit;
pub mod capture;
pub mod login;
pub mod records;
pub mod search;
pub mod sites;
pub mod watchlists;

use axum::http::StatusCode;
use axum::response::Response;

use super::auth::{same_secret, Session};
use super::layout;
use super::Shared;

/// Every form carries the session's CSRF token; a post without it (or with another
/// session's) is refused before anything is done (the refusal is returned).
pub fn csrf_refusal(s: &Session, sent: Option<&str>) -> Option<Response> {
    match sent {
        Some(t) if same_secret(t, &s.csrf) => None,
        _ => Some(layout::message(
            s,
            StatusCode::FORBIDDEN,
            s.lang.t("Formulario rechazado", "Form refused"),
            s.lang.t(
                "El formulario no trae un token CSRF válido. Vuelva a la página y envíelo de nuevo.",
                "The form has no valid CSRF token. Go back to the page and send it again.",
            ),
        )),
    }
}

/// Records what a person did; a failure to record refuses the page (the refusal is
/// returned).
pub fn audit_refusal(web: &Shared, s: &Session, action: &str, detail: &str) -> Option<Response> {
    web.audit
        .record(&s.user, action, detail, &s.ip)
        .err()
        .map(|e| layout::failure(s, &format!("cannot write the audit log: {e}")))
}

pub async fn not_found(s: Session) -> Response {
    layout::message(
        &s,
        StatusCode::NOT_FOUND,
        s.lang.t("No encontrado", "Not found"),
        s.lang.t("Esa página no existe.", "There is no such page."),
    )
}
