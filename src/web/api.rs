//! `/api/v1`: the same answers as the pages, as the JSON records of DESIGN.md, for other
//! tools. Authenticated by `Authorization: Bearer TOKEN` (`centinela user token NAME`).
//! The contract is `openapi.json` beside this file, served at `/api/v1/openapi.json`
//! and checked against real responses in `tests/web.rs`.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use centinela_index::search::{coin_of, Doc, SearchError};
use centinela_index::store::IdentifierKind;
use centinela_index::watch::{load_dir, remove_rule};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{api_error, ApiUser};
use super::i18n::Lang;
use super::pages::search::SearchQuery;
use super::pages::watchlists::{save, RuleInput};
use super::users::Role;
use super::Shared;

pub const OPENAPI: &str = include_str!("openapi.json");

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/search", get(search))
        .route("/listing", get(listing))
        .route("/vendor", get(vendor))
        .route("/address/{address}", get(address))
        .route("/watchlists", get(watchlists).post(add_watchlist))
        .route("/watchlists/{name}", delete(remove_watchlist))
        .route("/alerts", get(alerts))
        .fallback(|_: ApiUser| async { api_error(StatusCode::NOT_FOUND, "no such API route") })
}

async fn openapi(_: ApiUser) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// Records the call; returns the refusal when the audit log cannot be written.
fn audit(web: &Shared, who: &ApiUser, action: &str, detail: &str) -> Option<Response> {
    web.audit
        .record(&who.user, action, detail, "api")
        .err()
        .map(|e| {
            api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot write the audit log: {e}"),
            )
        })
}

#[derive(Deserialize)]
struct ApiSearch {
    #[serde(flatten)]
    q: SearchQuery,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    offset: Option<usize>,
}

async fn search(State(web): State<Shared>, who: ApiUser, Query(a): Query<ApiSearch>) -> Response {
    let limit = a.limit.unwrap_or(20).clamp(1, 1000);
    let mut req = match a.q.request(Lang::En, limit) {
        Ok(r) => r,
        Err(e) => return api_error(StatusCode::BAD_REQUEST, &e),
    };
    if let Some(o) = a.offset {
        req.offset = o;
    }
    if let Some(r) = audit(&web, &who, "search", &a.q.q) {
        return r;
    }
    match web.index.search(&req) {
        Ok(r) => Json(json!({
            "total": r.total,
            "hits": r.hits.iter().map(|h| json!({
                "id": h.id,
                "score": h.score,
                "record": h.record,
                "snippets": {"title": h.title, "body": h.body},
            })).collect::<Vec<_>>(),
            "facets": r.facets,
        }))
        .into_response(),
        Err(
            e @ (SearchError::Syntax { .. }
            | SearchError::UnknownField { .. }
            | SearchError::Query(_)
            | SearchError::Request(_)),
        ) => api_error(StatusCode::BAD_REQUEST, &e.to_string()),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

#[derive(Deserialize)]
struct ListingQuery {
    site: String,
    url: String,
}

async fn listing(
    State(web): State<Shared>,
    who: ApiUser,
    Query(q): Query<ListingQuery>,
) -> Response {
    match web.store.listing(&q.site, &q.url) {
        Ok(Some(l)) => {
            if let Some(r) = audit(&web, &who, "view_listing", &format!("{} {}", q.site, q.url)) {
                return r;
            }
            Json(Doc::listing(&l).record().clone()).into_response()
        }
        Ok(None) => api_error(StatusCode::NOT_FOUND, "no such listing"),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

#[derive(Deserialize)]
struct VendorQuery {
    site: String,
    handle: String,
}

async fn vendor(State(web): State<Shared>, who: ApiUser, Query(q): Query<VendorQuery>) -> Response {
    let v = match web.store.vendor(&q.site, &q.handle) {
        Ok(Some(v)) => v,
        Ok(None) => return api_error(StatusCode::NOT_FOUND, "no such vendor"),
        Err(e) => return api_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    if let Some(r) = audit(
        &web,
        &who,
        "view_vendor",
        &format!("{} {}", q.site, q.handle),
    ) {
        return r;
    }
    let profile = match web.index.vendor_profile(&v.handle) {
        Ok(p) => p,
        Err(e) => return api_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let listings: Vec<String> = web
        .store
        .vendor_listings(&v.site, &v.handle)
        .unwrap_or_default();
    Json(json!({
        "vendor": Doc::vendor(&v).record(),
        "listings": listings,
        "appearances": profile.as_ref().map(|p| p.appearances.clone()).unwrap_or_default(),
        "linked": profile.as_ref().map(|p| json!(p.linked)).unwrap_or(json!([])),
    }))
    .into_response()
}

async fn address(State(web): State<Shared>, who: ApiUser, Path(address): Path<String>) -> Response {
    let address = address.trim().to_string();
    if let Some(r) = audit(&web, &who, "view_address", &address) {
        return r;
    }
    let refs = match web.store.records_with(IdentifierKind::Address, &address) {
        Ok(r) => r,
        Err(e) => return api_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let records: Vec<Value> = refs
        .iter()
        .filter_map(|r| web.store.record(r).ok().flatten())
        .map(|r| Doc::from_stored(&r).record().clone())
        .collect();
    Json(json!({
        "address": address,
        "coin": coin_of(&address).map(|c| c.ticker()),
        "records": records,
    }))
    .into_response()
}

async fn watchlists(State(web): State<Shared>, _: ApiUser) -> Response {
    match load_dir(&web.watchlists_dir) {
        Ok(rules) => Json(
            rules
                .iter()
                .map(crate::commands::watch::rule_json)
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

#[derive(Deserialize)]
struct RuleBody {
    name: String,
    kind: String,
    value: Value,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    recipients: Vec<String>,
    #[serde(default)]
    sites: Vec<String>,
    #[serde(default)]
    language: String,
}

async fn add_watchlist(
    State(web): State<Shared>,
    who: ApiUser,
    body: Result<Json<RuleBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if who.role != Role::Admin {
        return api_error(StatusCode::FORBIDDEN, "only an admin can change watchlists");
    }
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return api_error(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    let input = RuleInput {
        name: b.name,
        kind: b.kind,
        value: match b.value {
            Value::String(s) => s,
            v => v.to_string(),
        },
        severity: b.severity,
        recipients: b.recipients.join(","),
        sites: b.sites.join(","),
        language: b.language,
    };
    match save(&web.watchlists_dir, &input, None) {
        Ok(rule) => {
            web.rules_changed();
            if let Some(r) = audit(
                &web,
                &who,
                "watchlist_add",
                &format!("{} {} {}", rule.name, rule.kind.name(), rule.kind.value()),
            ) {
                return r;
            }
            (
                StatusCode::CREATED,
                Json(crate::commands::watch::rule_json(&rule)),
            )
                .into_response()
        }
        Err(e) => api_error(StatusCode::BAD_REQUEST, &e),
    }
}

async fn remove_watchlist(
    State(web): State<Shared>,
    who: ApiUser,
    Path(name): Path<String>,
) -> Response {
    if who.role != Role::Admin {
        return api_error(StatusCode::FORBIDDEN, "only an admin can change watchlists");
    }
    match remove_rule(&web.watchlists_dir, &name) {
        Ok(_) => {
            web.rules_changed();
            if let Some(r) = audit(&web, &who, "watchlist_remove", &name) {
                return r;
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Err(centinela_index::watch::EditError::NotFound(_)) => {
            api_error(StatusCode::NOT_FOUND, "no such rule")
        }
        Err(e) => api_error(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

#[derive(Deserialize)]
struct AlertsQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    limit: Option<usize>,
}

async fn alerts(State(web): State<Shared>, _: ApiUser, Query(q): Query<AlertsQuery>) -> Response {
    let limit = q.limit.unwrap_or(100).min(10_000);
    let all = match super::pages::alerts::newest(&web, &q.status, limit) {
        Ok(a) => a,
        Err(e) => return api_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let out: Vec<Value> = all
        .iter()
        .map(|(a, d)| {
            json!({
                "id": a.id,
                "rule": a.rule,
                "severity": a.severity.as_str(),
                "subject": centinela_index::mail::render(a, &centinela_index::mail::RenderOptions::default()).subject,
                "site": a.record.site,
                "created_ms": a.created_ms,
                "deliveries": d,
            })
        })
        .collect();
    Json(out).into_response()
}
