//! The search page: the query box, filters, facets, highlighted hits, pages.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use centinela_index::search::{RecordType, SearchError, SearchHit, SearchRequest, Sort};
use centinela_index::time::Timestamp;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;

use crate::web::auth::Session;
use crate::web::i18n::Lang;
use crate::web::layout::{self, enc, listing_href, marked, post_href, vendor_href};
use crate::web::Shared;

pub const PER_PAGE: usize = 20;

#[derive(Deserialize, Default, Clone)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default, rename = "type")]
    pub record_type: String,
    #[serde(default)]
    pub site: String,
    #[serde(default)]
    pub peru: String,
    #[serde(default)]
    pub since: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: Option<usize>,
}

impl SearchQuery {
    /// The index request, or what is wrong with a filter (in the page's language).
    pub fn request(&self, l: Lang, limit: usize) -> Result<SearchRequest, String> {
        let record_type =
            match self.record_type.as_str() {
                "" => None,
                t => Some(RecordType::parse(t).ok_or_else(|| {
                    format!("{} {t:?}", l.t("Tipo desconocido:", "Unknown type:"))
                })?),
            };
        let since = match self.since.trim() {
            "" => None,
            s => Some(
                crate::commands::search::parse_when(s, Timestamp::now()).ok_or_else(|| {
                    format!(
                        "{} {s:?} (2026-11-01, 24h, 7d, 4w)",
                        l.t("Fecha no válida:", "Not a date:")
                    )
                })?,
            ),
        };
        let page = self.page.unwrap_or(1).max(1);
        Ok(SearchRequest {
            query: self.q.clone(),
            site: (!self.site.is_empty()).then(|| self.site.clone()),
            record_type,
            peru: !self.peru.is_empty(),
            since,
            sort: if self.sort == "recent" {
                Sort::Recency
            } else {
                Sort::Relevance
            },
            limit,
            offset: (page - 1) * limit,
            facets: true,
            // What the sidebar shows; coin and category are left out, each facet costs
            // a read per hit (BENCHMARKS.md, "Web UI search page under load").
            facet_names: vec!["site".into(), "type".into(), "ships_to".into()],
            ..SearchRequest::default()
        })
    }

    fn href_with(&self, page: usize, site: Option<&str>, record_type: Option<&str>) -> String {
        format!(
            "/search?q={}&type={}&site={}&peru={}&since={}&sort={}&page={page}",
            enc(&self.q),
            enc(record_type.unwrap_or(&self.record_type)),
            enc(site.unwrap_or(&self.site)),
            enc(&self.peru),
            enc(&self.since),
            enc(&self.sort),
        )
    }
}

pub async fn page(State(web): State<Shared>, s: Session, Query(q): Query<SearchQuery>) -> Response {
    let l = s.lang;
    let asked = !q.q.trim().is_empty()
        || !q.site.is_empty()
        || !q.record_type.is_empty()
        || !q.peru.is_empty();
    let mut error = None;
    let mut results = None;
    if asked {
        match q.request(l, PER_PAGE) {
            Err(e) => error = Some(e),
            Ok(req) => {
                if let Some(r) = super::audit_refusal(&web, &s, "search", &q.q) {
                    return r;
                }
                match web.index.search(&req) {
                    Ok(r) => results = Some(r),
                    Err(e @ SearchError::Syntax { .. })
                    | Err(e @ SearchError::UnknownField { .. })
                    | Err(e @ SearchError::Query(_))
                    | Err(e @ SearchError::Request(_)) => error = Some(e.to_string()),
                    Err(e) => return layout::failure(&s, &format!("search failed: {e}")),
                }
            }
        }
    }
    let page_no = q.page.unwrap_or(1).max(1);
    let body = html! {
        h1 { (l.t("Buscar en lo capturado", "Search what was captured")) }
        form.search id="search" method="get" action="/search" {
            input name="q" value=(q.q) placeholder=(l.t("p. ej. cocaina envio lima, una billetera, @usuario", "e.g. cocaine lima, a wallet, @handle")) autofocus;
            select name="type" {
                option value="" { (l.t("Todo", "Everything")) }
                @for (v, es, en) in [("listing", "Anuncios", "Listings"), ("vendor", "Vendedores", "Vendors"), ("post", "Publicaciones", "Posts")] {
                    option value=(v) selected[q.record_type == v] { (l.t(es, en)) }
                }
            }
            input name="site" value=(q.site) placeholder=(l.t("sitio", "site")) size="12";
            input name="since" value=(q.since) placeholder=(l.t("desde (7d)", "since (7d)")) size="9";
            label { input type="checkbox" name="peru" value="1" checked[!q.peru.is_empty()]; " Perú" }
            select name="sort" {
                option value="relevance" { (l.t("Relevancia", "Relevance")) }
                option value="recent" selected[q.sort == "recent"] { (l.t("Más recientes", "Most recent")) }
            }
            button type="submit" { (l.t("Buscar", "Search")) }
        }
        @if let Some(e) = &error {
            p.error id="search-error" { (e) }
        }
        @if let Some(r) = &results {
            div.layout {
                div {
                    p id="result-count" {
                        (r.total) " " (l.t("resultados", "results"))
                    }
                    ol id="results" {
                        @for hit in &r.hits { (hit_item(l, hit)) }
                    }
                    div.pager {
                        @if page_no > 1 {
                            a id="prev-page" href=(q.href_with(page_no - 1, None, None)) { "← " (l.t("Anterior", "Previous")) }
                        }
                        @if page_no * PER_PAGE < r.total {
                            a id="next-page" href=(q.href_with(page_no + 1, None, None)) { (l.t("Siguiente", "Next")) " →" }
                        }
                    }
                }
                aside id="facets" {
                    @for (facet, es, en) in [("site", "Sitio", "Site"), ("type", "Tipo", "Type"), ("ships_to", "Envía a", "Ships to")] {
                        @let counts: Vec<_> = r.facets.iter().filter(|f| f.facet == facet).collect();
                        @if !counts.is_empty() {
                            h3 { (l.t(es, en)) }
                            ul {
                                @for f in counts {
                                    li {
                                        @if facet == "site" {
                                            a href=(q.href_with(1, Some(&f.value), None)) { (f.value) }
                                        } @else if facet == "type" {
                                            a href=(q.href_with(1, None, Some(&f.value))) { (f.value) }
                                        } @else {
                                            (f.value)
                                        }
                                        " (" (f.count) ")"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } @else if error.is_none() {
            p.note {
                (l.t("Escriba palabras en español o inglés (las tildes son opcionales), una billetera, un teléfono, una huella PGP o un @usuario. Campos: titulo:, vendedor:, sitio:, envia_a:…",
                     "Type words in Spanish or English (accents optional), a wallet, a phone number, a PGP fingerprint or a @handle. Fields: title:, vendor:, site:, ships_to:…"))
            }
        }
    };
    let title = if q.q.is_empty() {
        l.t("Buscar", "Search").to_string()
    } else {
        q.q.clone()
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    layout::page_with_status(&s, status, &title, body)
}

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// The page of a hit's record (a post is found by its document id's last part).
pub fn record_href(record: &Value, doc_id: &str) -> String {
    let site = str_of(record, "site");
    match str_of(record, "type") {
        "vendor" => vendor_href(site, str_of(record, "handle")),
        "post" => post_href(
            site,
            str_of(record, "url"),
            doc_id.rsplit('\0').next().unwrap_or(""),
        ),
        _ => listing_href(site, str_of(record, "url")),
    }
}

/// `2026-11-28T18:22:32Z` as `2026-11-28 18:22 UTC`.
pub fn readable_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(d), Some(h)) => format!("{d} {h} UTC"),
        _ => rfc3339.to_string(),
    }
}

pub fn price_text(record: &Value) -> Option<String> {
    let p = record.get("price")?;
    let amount = p.get("amount")?.as_f64()?;
    let currency = p.get("currency").and_then(Value::as_str).unwrap_or("");
    Some(format!("{amount} {currency}").trim().to_string())
}

fn hit_item(l: Lang, hit: &SearchHit) -> Markup {
    let r = &hit.record;
    let kind = hit.record_type.as_str();
    let fallback = match kind {
        "vendor" => str_of(r, "handle"),
        "post" => str_of(r, "thread_title"),
        _ => str_of(r, "title"),
    };
    let peru = r
        .pointer("/peru/targets_peru")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let by = match kind {
        "post" => str_of(r, "author"),
        "listing" => str_of(r, "vendor"),
        _ => "",
    };
    html! {
        li class=(format!("hit hit-{kind}")) {
            a.hit-title href=(record_href(r, &hit.id)) {
                @match &hit.title {
                    Some(t) => (marked(&t.segments())),
                    None => (fallback),
                }
            }
            " "
            span.badge { (kind) }
            @if peru { " " span.badge.peru { "Perú" } }
            div.meta {
                (str_of(r, "site"))
                @if !by.is_empty() { " · " (l.t("por", "by")) " " (by) }
                @if let Some(p) = price_text(r) { " · " (p) }
                @if let Some(seen) = r.get("last_seen").and_then(Value::as_str) {
                    " · " (l.t("visto", "seen")) " " (readable_time(seen))
                }
            }
            @if let Some(b) = &hit.body {
                p.snippet { (marked(&b.segments())) }
            }
        }
    }
}
