//! The frame every page shares, the links between pages, and the stylesheet.

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use super::auth::Session;
use super::i18n::Lang;

/// Percent-encodes one query value or path segment.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn listing_href(site: &str, url: &str) -> String {
    format!("/listing?site={}&url={}", enc(site), enc(url))
}

pub fn vendor_href(site: &str, handle: &str) -> String {
    format!("/vendor?site={}&handle={}", enc(site), enc(handle))
}

pub fn post_href(site: &str, url: &str, id: &str) -> String {
    format!("/post?site={}&url={}&id={}", enc(site), enc(url), enc(id))
}

pub fn address_href(address: &str) -> String {
    format!("/address/{}", enc(address))
}

/// The `<head>` every page has: no referrer, our stylesheet only.
fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="referrer" content="no-referrer";
            title { (title) " · Centinela" }
            link rel="stylesheet" href="/static/app.css";
        }
    }
}

/// A whole page for a logged-in person.
pub fn page(s: &Session, title: &str, body: Markup) -> Response {
    page_with_status(s, StatusCode::OK, title, body)
}

pub fn page_with_status(s: &Session, status: StatusCode, title: &str, body: Markup) -> Response {
    let l = s.lang;
    let other = match l {
        Lang::Es => ("en", "English", "lang-en"),
        Lang::En => ("es", "Español", "lang-es"),
    };
    let switch = format!("/lang?to={}&back={}", other.0, enc(&s.here));
    let markup = html! {
        (DOCTYPE)
        html lang=(l.code()) {
            (head(title))
            body {
                header {
                    a.brand href="/" { "Centinela" }
                    nav {
                        a href="/" { (l.t("Buscar", "Search")) }
                        a href="/watchlists" { (l.t("Vigilancia", "Watchlists")) }
                        a href="/alerts" { (l.t("Alertas", "Alerts")) }
                        a href="/sites" { (l.t("Sitios", "Sites")) }
                        @if s.is_admin() {
                            a href="/audit" { (l.t("Auditoría", "Audit log")) }
                        }
                    }
                    div.who {
                        a id=(other.2) href=(switch) { (other.1) }
                        span.user { (s.user) " (" (s.role.as_str()) ")" }
                        form id="logout" method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            button type="submit" { (l.t("Salir", "Log out")) }
                        }
                    }
                }
                main { (body) }
            }
        }
    };
    (status, Html(markup.into_string())).into_response()
}

/// A page for someone not logged in (the login form).
pub fn bare_page(l: Lang, status: StatusCode, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang=(l.code()) {
            (head(title))
            body.bare { main { (body) } }
        }
    };
    (status, Html(markup.into_string())).into_response()
}

/// A message page (not found, forbidden, a failure) inside the frame.
pub fn message(s: &Session, status: StatusCode, title: &str, text: &str) -> Response {
    page_with_status(
        s,
        status,
        title,
        html! { h1 { (title) } p.message { (text) } },
    )
}

pub fn forbidden(s: &Session) -> Response {
    let l = s.lang;
    message(
        s,
        StatusCode::FORBIDDEN,
        l.t("No permitido", "Not allowed"),
        l.t(
            "Solo un administrador puede hacer esto.",
            "Only an administrator can do this.",
        ),
    )
}

pub fn failure(s: &Session, what: &str) -> Response {
    tracing::error!("web: {what}");
    let l = s.lang;
    message(
        s,
        StatusCode::INTERNAL_SERVER_ERROR,
        l.t("Error", "Error"),
        what,
    )
}

/// A list of strings as a comma-separated line, or a dash.
pub fn list_or_dash(items: &[String]) -> Markup {
    html! {
        @if items.is_empty() { "—" } @else { (items.join(", ")) }
    }
}

/// Text with the parts marked by `segments` (text, highlighted) wrapped in `<mark>`:
/// both parts escaped.
pub fn marked(segments: &[(&str, bool)]) -> Markup {
    html! {
        @for (text, hit) in segments {
            @if *hit { mark { (text) } } @else { (text) }
        }
    }
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

const CSS: &str = r#"
:root { --ink:#1d2430; --muted:#5b6575; --line:#d9dee6; --accent:#0b5cab; --warn:#a15c00; --bad:#a4262c; --ok:#1e7a3c; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:#f6f7f9; }
header { display:flex; gap:1.5rem; align-items:center; padding:.6rem 1.2rem; background:#14233a; color:#fff; flex-wrap:wrap; }
header a { color:#dfe8f5; text-decoration:none; }
header a.brand { font-weight:700; color:#fff; letter-spacing:.02em; }
header nav { display:flex; gap:1rem; flex:1; }
header .who { display:flex; gap:.8rem; align-items:center; font-size:.9em; }
header form { margin:0; }
header button { background:none; border:1px solid #8aa0bf; color:#fff; border-radius:4px; padding:.15rem .6rem; cursor:pointer; }
main { max-width:1100px; margin:1.2rem auto; padding:0 1.2rem; }
body.bare main { max-width:420px; margin-top:10vh; background:#fff; padding:1.5rem 2rem; border:1px solid var(--line); border-radius:6px; }
h1 { font-size:1.5rem; margin:.2rem 0 1rem; word-break:break-word; }
h2 { font-size:1.15rem; margin:1.4rem 0 .5rem; }
a { color:var(--accent); }
table { border-collapse:collapse; width:100%; background:#fff; }
th, td { text-align:left; padding:.35rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; word-break:break-word; }
th { font-weight:600; color:var(--muted); font-size:.9em; }
dl.fields { display:grid; grid-template-columns: 12rem 1fr; gap:.3rem 1rem; background:#fff; padding:1rem; border:1px solid var(--line); border-radius:6px; }
dl.fields dt { color:var(--muted); }
dl.fields dd { margin:0; word-break:break-word; }
form.search { display:flex; gap:.5rem; flex-wrap:wrap; margin-bottom:1rem; }
form.search input[name=q] { flex:1; min-width:16rem; padding:.45rem .6rem; font-size:1rem; }
input, select, button { font:inherit; padding:.3rem .5rem; }
button.primary, form.search button { background:var(--accent); color:#fff; border:0; border-radius:4px; padding:.4rem 1rem; cursor:pointer; }
.layout { display:grid; grid-template-columns: 1fr 15rem; gap:1.5rem; }
#facets { font-size:.9em; }
#facets h3 { font-size:.95em; margin:.8rem 0 .2rem; color:var(--muted); }
#facets ul { list-style:none; padding:0; margin:0; }
ol#results { list-style:none; padding:0; margin:0; }
li.hit { background:#fff; border:1px solid var(--line); border-radius:6px; padding:.7rem .9rem; margin-bottom:.6rem; }
li.hit .meta { color:var(--muted); font-size:.85em; }
li.hit p { margin:.3rem 0 0; }
mark { background:#ffe58a; padding:0 .1em; }
.badge { display:inline-block; padding:0 .45em; border-radius:3px; font-size:.8em; background:#e6ebf2; color:var(--ink); }
.badge.peru { background:#fde2e1; color:var(--bad); font-weight:600; }
.badge.failed { background:#fde2e1; color:var(--bad); }
.badge.sent { background:#dff3e5; color:var(--ok); }
.badge.waiting { background:#fff1d6; color:var(--warn); }
.pager { display:flex; gap:1rem; margin:1rem 0; }
.message { background:#fff; border:1px solid var(--line); padding:1rem; border-radius:6px; }
.error { color:var(--bad); font-weight:600; }
.note { color:var(--muted); font-size:.9em; }
pre#capture-text { background:#fff; border:1px solid var(--line); padding:1rem; overflow:auto; max-height:60vh; white-space:pre-wrap; word-break:break-all; font-size:.85em; }
iframe#capture-frame { width:100%; height:70vh; border:2px dashed var(--warn); background:#fff; }
form.rule { display:grid; grid-template-columns: 10rem 1fr; gap:.4rem 1rem; background:#fff; padding:1rem; border:1px solid var(--line); border-radius:6px; max-width:40rem; }
form.inline { display:inline; margin:0; }
label { color:var(--muted); }
@media (max-width: 800px) { .layout { grid-template-columns: 1fr; } dl.fields { grid-template-columns: 1fr; } }
"#;
