//! The pages of one record: a listing with its evidence and history, a vendor across
//! markets, a forum post, and a crypto address with every sighting.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use centinela_index::search::coin_of;
use centinela_index::store::{Change, HistoryEvent, IdentifierKind, RecordRef, StoredRecord};
use centinela_parsers::crypto::Coin;
use centinela_parsers::records::{PeruScore, Price};
use maud::{html, Markup};
use serde::Deserialize;

use super::search::readable_time;
use crate::web::auth::Session;
use crate::web::i18n::Lang;
use crate::web::layout::{
    self, address_href, enc, list_or_dash, listing_href, post_href, vendor_href,
};
use crate::web::Shared;

#[derive(Deserialize)]
pub struct ListingQuery {
    site: String,
    url: String,
}

fn not_found(s: &Session) -> Response {
    layout::message(
        s,
        StatusCode::NOT_FOUND,
        s.lang.t("No encontrado", "Not found"),
        s.lang.t(
            "Ese registro no está en el almacén.",
            "That record is not in the store.",
        ),
    )
}

fn price(p: &Option<Price>) -> String {
    match p {
        Some(p) if !p.shown.is_empty() => p.shown.clone(),
        Some(p) => match (p.amount, &p.currency) {
            (Some(a), Some(c)) => format!("{a} {c}"),
            (Some(a), None) => a.to_string(),
            _ => "—".into(),
        },
        None => "—".into(),
    }
}

/// The Peru score with every signal: what matched, where, and its weight.
pub fn peru_block(l: Lang, p: &PeruScore) -> Markup {
    html! {
        section id="peru" {
            h2 { (l.t("Orientación a Perú", "Peru targeting")) }
            p {
                @if p.targets_peru { span.badge.peru { (l.t("Apunta a Perú", "Targets Peru")) } " " }
                (l.t("Puntaje", "Score")) " " (format!("{:.2}", p.score))
            }
            @if p.signals.is_empty() {
                p.note { (l.t("Ninguna señal.", "No signal.")) }
            } @else {
                table {
                    tr { th { (l.t("Señal", "Signal")) } th { (l.t("Coincidencia", "Matched")) } th { (l.t("Dónde", "Where")) } th { (l.t("Peso", "Weight")) } }
                    @for sig in &p.signals {
                        tr.signal {
                            td { (sig.signal) }
                            td { "«" (sig.matched) "»" }
                            td { (sig.field) }
                            td { (format!("{:.2}", sig.weight)) }
                        }
                    }
                }
            }
        }
    }
}

fn identifiers(l: Lang, addresses: &[String], contacts: &[String], pgp: &[String]) -> Markup {
    html! {
        dt { (l.t("Direcciones cripto", "Crypto addresses")) }
        dd.addresses {
            @if addresses.is_empty() { "—" }
            @for (i, a) in addresses.iter().enumerate() {
                @if i > 0 { ", " }
                a.address href=(address_href(a)) { code { (a) } }
            }
        }
        dt { (l.t("Contactos", "Contacts")) }
        dd { (list_or_dash(contacts)) }
        @if !pgp.is_empty() {
            dt { (l.t("Huellas PGP", "PGP fingerprints")) }
            dd { @for f in pgp { code { (f) } br; } }
        }
    }
}

fn change_text(l: Lang, c: &Change) -> String {
    match c {
        Change::ListingFirstSeen => l.t("Visto por primera vez", "First seen").into(),
        Change::PriceChanged { old, new } => format!(
            "{}: {} → {}",
            l.t("Precio", "Price"),
            price(old),
            price(new)
        ),
        Change::ShippingChanged {
            old_from,
            new_from,
            old_to,
            new_to,
        } => format!(
            "{}: {} → {} / {} → {}",
            l.t("Envío", "Shipping"),
            old_from.as_deref().unwrap_or("—"),
            new_from.as_deref().unwrap_or("—"),
            old_to.join(", "),
            new_to.join(", "),
        ),
        Change::ListingDisappeared => l.t("Desapareció", "Disappeared").into(),
        Change::ListingReappeared => l.t("Reapareció", "Reappeared").into(),
        Change::VendorFirstSeen { handle } => {
            format!(
                "{} {handle}",
                l.t("Vendedor visto por primera vez:", "Vendor first seen:")
            )
        }
    }
}

fn history_block(l: Lang, events: &[HistoryEvent]) -> Markup {
    html! {
        section id="history" {
            h2 { (l.t("Historial de precio y envío", "Price and shipping history")) }
            @if events.is_empty() {
                p.note { "—" }
            } @else {
                table {
                    tr { th { (l.t("Cuándo", "When")) } th { (l.t("Cambio", "Change")) } th { "SHA-256" } }
                    @for e in events {
                        tr {
                            td { (readable_time(&e.at.rfc3339())) }
                            td { (change_text(l, &e.change)) }
                            td { code { (e.capture_sha256.as_deref().unwrap_or("—")) } }
                        }
                    }
                }
            }
        }
    }
}

/// The capture a record's values come from: when, its digest, and the way to view it.
fn capture_block(l: Lang, c: &centinela_index::store::Capture, view: &str) -> Markup {
    html! {
        section id="capture" {
            h2 { (l.t("Evidencia", "Evidence")) }
            dl.fields {
                dt { (l.t("Capturado", "Captured")) }
                dd { (readable_time(&c.warc_date)) }
                dt { "SHA-256" }
                dd { code id="capture-sha256" { (c.sha256) } }
                dt { (l.t("Registro WARC", "WARC record")) }
                dd { code { (c.file) " @ " (c.offset) } " " (c.record_id) }
            }
            p {
                a id="capture-link" href=(view) { (l.t("Ver la captura (texto y vista aislada)", "View the capture (text and isolated rendering)")) }
            }
        }
    }
}

pub async fn listing(
    State(web): State<Shared>,
    s: Session,
    Query(q): Query<ListingQuery>,
) -> Response {
    let l = s.lang;
    let item = match web.store.listing(&q.site, &q.url) {
        Ok(Some(item)) => item,
        Ok(None) => return not_found(&s),
        Err(e) => return layout::failure(&s, &e.to_string()),
    };
    if let Some(r) =
        super::audit_refusal(&web, &s, "view_listing", &format!("{} {}", q.site, q.url))
    {
        return r;
    }
    let history = web.store.history(&q.site, &q.url).unwrap_or_default();
    let x = &item.listing;
    let active = matches!(
        item.availability,
        centinela_index::store::Availability::Active
    );
    let view = format!(
        "/capture?kind=listing&site={}&url={}",
        enc(&q.site),
        enc(&q.url)
    );
    let body = html! {
        p.note { a href="/" { (l.t("Buscar", "Search")) } " › " (item.site) }
        h1 id="title" { (x.title) }
        @if !active { p.error { (l.t("Este anuncio ya no se ofrece.", "This listing is no longer offered.")) } }
        dl.fields {
            dt { (l.t("Sitio", "Site")) } dd { (item.site) }
            dt { "URL" } dd { code { (x.url) } }
            dt { (l.t("Precio", "Price")) } dd id="price" { (price(&x.price)) }
            dt { (l.t("Vendedor", "Vendor")) }
            dd {
                @match &x.vendor {
                    Some(v) => a id="vendor-link" href=(vendor_href(&item.site, v)) { (v) },
                    None => "—",
                }
            }
            dt { (l.t("Envía desde", "Ships from")) } dd id="ships-from" { (x.ships_from.as_deref().unwrap_or("—")) }
            dt { (l.t("Envía a", "Ships to")) } dd id="ships-to" { (list_or_dash(&x.ships_to)) }
            dt { (l.t("Categoría", "Category")) } dd { (x.category.as_deref().unwrap_or("—")) }
            (identifiers(l, &x.addresses, &x.contacts, &[]))
            dt { (l.t("Primera vez visto", "First seen")) } dd { (readable_time(&item.first_seen.rfc3339())) }
            dt { (l.t("Última vez visto", "Last seen")) } dd { (readable_time(&item.last_seen.rfc3339())) }
        }
        @if let Some(d) = &x.description {
            h2 { (l.t("Descripción", "Description")) }
            p.description { (d) }
        }
        (peru_block(l, &x.peru))
        (history_block(l, &history))
        (capture_block(l, &item.capture, &view))
    };
    layout::page(&s, &x.title, body)
}

#[derive(Deserialize)]
pub struct VendorQuery {
    site: String,
    handle: String,
}

pub async fn vendor(
    State(web): State<Shared>,
    s: Session,
    Query(q): Query<VendorQuery>,
) -> Response {
    let l = s.lang;
    let v = match web.store.vendor(&q.site, &q.handle) {
        Ok(Some(v)) => v,
        Ok(None) => return not_found(&s),
        Err(e) => return layout::failure(&s, &e.to_string()),
    };
    if let Some(r) =
        super::audit_refusal(&web, &s, "view_vendor", &format!("{} {}", q.site, q.handle))
    {
        return r;
    }
    let profile = match web.index.vendor_profile(&v.handle) {
        Ok(p) => p.unwrap_or_else(|| centinela_index::search::VendorProfile {
            query: v.handle.clone(),
            appearances: Vec::new(),
            similar: Vec::new(),
            linked: Vec::new(),
        }),
        Err(e) => return layout::failure(&s, &format!("vendor profile: {e}")),
    };
    let mut listings: Vec<_> = web
        .store
        .vendor_listings(&v.site, &v.handle)
        .unwrap_or_default()
        .iter()
        .filter_map(|url| web.store.listing(&v.site, url).ok().flatten())
        .collect();
    listings.sort_by_key(|x| std::cmp::Reverse(x.first_seen));
    let other_sites: Vec<(String, String)> = profile
        .appearances
        .iter()
        .filter_map(|a| {
            let site = a.get("site")?.as_str()?.to_string();
            let handle = a.get("handle")?.as_str()?.to_string();
            (site != v.site).then_some((site, handle))
        })
        .collect();
    let view = format!(
        "/capture?kind=vendor&site={}&handle={}",
        enc(&v.site),
        enc(&v.handle)
    );
    let body = html! {
        p.note { a href="/" { (l.t("Buscar", "Search")) } " › " (v.site) }
        h1 id="handle" { (v.handle) }
        dl.fields {
            dt { (l.t("Sitio", "Site")) } dd { (v.site) }
            dt { (l.t("Perfil", "Profile")) } dd { code { (v.url.as_deref().unwrap_or("—")) } }
            dt { (l.t("Anuncios", "Listings")) } dd { (v.listings_count()) }
            (identifiers(l, &v.addresses, &v.contacts, &v.pgp_fingerprints))
            dt { (l.t("Primera vez visto", "First seen")) } dd { (readable_time(&v.first_seen.rfc3339())) }
            dt { (l.t("Última vez visto", "Last seen")) } dd { (readable_time(&v.last_seen.rfc3339())) }
        }
        section id="sites" {
            h2 { (l.t("El mismo alias en otros sitios", "The same handle on other sites")) }
            @if other_sites.is_empty() { p.note { "—" } }
            ul {
                @for (site, handle) in &other_sites {
                    li.appearance { a href=(vendor_href(site, handle)) { (handle) } " — " (site) }
                }
            }
        }
        section {
            h2 { (l.t("Vendedores vinculados", "Linked vendors")) }
            p.note { (l.t("Otras identidades que comparten una clave PGP, una billetera o un contacto; el vínculo más fuerte primero.",
                          "Other personas sharing a PGP key, a wallet or a contact; strongest link first.")) }
            @if profile.linked.is_empty() { p.note { "—" } }
            ul id="linked" {
                @for lv in &profile.linked {
                    li.linked-vendor {
                        a href=(vendor_href(&lv.site, &lv.handle)) { (lv.handle) }
                        " — " (lv.site) " · "
                        @for (i, via) in lv.via.iter().enumerate() {
                            @if i > 0 { ", " }
                            (via.kind) " " code { (via.value) }
                        }
                        " · " (lv.records) " " (l.t("registros", "records"))
                        @if let (Some(a), Some(b)) = (&lv.first_seen, &lv.last_seen) {
                            " · " (readable_time(a)) " – " (readable_time(b))
                        }
                    }
                }
            }
        }
        section id="listings" {
            h2 { (l.t("Anuncios (los más nuevos primero)", "Listings (newest first)")) }
            @if listings.is_empty() { p.note { "—" } }
            table {
                @for x in &listings {
                    tr {
                        td { (readable_time(&x.first_seen.rfc3339())) }
                        td { a href=(listing_href(&x.site, &x.listing.url)) { (x.listing.title) } }
                        td { (price(&x.listing.price)) }
                        td { @if x.listing.peru.targets_peru { span.badge.peru { "Perú" } } }
                    }
                }
            }
        }
        (peru_block(l, &v.peru))
        @let to_peru = listings.iter().filter(|x| x.listing.peru.targets_peru).count();
        @if !listings.is_empty() {
            p.note id="listings-peru" {
                (to_peru) " / " (listings.len()) " "
                (l.t("de sus anuncios apuntan a Perú.", "of its listings target Peru."))
            }
        }
        @if let Some(c) = &v.capture { (capture_block(l, c, &view)) }
    };
    layout::page(&s, &v.handle, body)
}

#[derive(Deserialize)]
pub struct PostQuery {
    site: String,
    url: String,
    id: String,
}

pub async fn post(State(web): State<Shared>, s: Session, Query(q): Query<PostQuery>) -> Response {
    let l = s.lang;
    let r = RecordRef::Post {
        site: q.site.clone(),
        url: q.url.clone(),
        id: q.id.clone(),
    };
    let p = match web.store.record(&r) {
        Ok(Some(StoredRecord::Post(p))) => p,
        Ok(_) => return not_found(&s),
        Err(e) => return layout::failure(&s, &e.to_string()),
    };
    if let Some(r) = super::audit_refusal(&web, &s, "view_post", &format!("{} {}", q.site, q.url)) {
        return r;
    }
    let x = &p.post;
    let title = x.thread_title.clone().unwrap_or_else(|| x.url.clone());
    let view = format!(
        "/capture?kind=post&site={}&url={}&id={}",
        enc(&q.site),
        enc(&q.url),
        enc(&q.id)
    );
    let body = html! {
        p.note { a href="/" { (l.t("Buscar", "Search")) } " › " (p.site) }
        h1 id="title" { (title) }
        dl.fields {
            dt { (l.t("Sitio", "Site")) } dd { (p.site) }
            dt { "URL" } dd { code { (x.url) } }
            dt { (l.t("Autor", "Author")) }
            dd { @match &x.author { Some(a) => a href=(vendor_href(&p.site, a)) { (a) }, None => "—" } }
            dt { (l.t("Publicado", "Posted")) } dd { (x.posted_at.as_deref().unwrap_or("—")) }
            (identifiers(l, &x.addresses, &x.contacts, &[]))
        }
        h2 { (l.t("Texto", "Text")) }
        p.description { (x.body) }
        (peru_block(l, &x.peru))
        (capture_block(l, &p.capture, &view))
    };
    layout::page(&s, &title, body)
}

/// Public block explorers for an address. Opening one tells that site what we look at,
/// so they are plain links the officer chooses to follow (never fetched by us).
pub fn explorers(coin: Coin, address: &str) -> Vec<(&'static str, String)> {
    let a = enc(address);
    let chair = |chain: &str| format!("https://blockchair.com/{chain}/address/{a}");
    match coin {
        Coin::Btc => vec![
            (
                "mempool.space",
                format!("https://mempool.space/address/{a}"),
            ),
            ("blockchair", chair("bitcoin")),
        ],
        Coin::Ltc => vec![("blockchair", chair("litecoin"))],
        Coin::Doge => vec![("blockchair", chair("dogecoin"))],
        Coin::Dash => vec![("blockchair", chair("dash"))],
        Coin::Zec => vec![("blockchair", chair("zcash"))],
        Coin::Bch => vec![("blockchair", chair("bitcoin-cash"))],
        Coin::Eth => vec![
            ("etherscan", format!("https://etherscan.io/address/{a}")),
            ("blockchair", chair("ethereum")),
        ],
        Coin::Trx => vec![("tronscan", format!("https://tronscan.org/#/address/{a}"))],
        // Monero addresses are not visible on chain.
        Coin::Xmr => Vec::new(),
    }
}

pub async fn address(
    State(web): State<Shared>,
    s: Session,
    Path(address): Path<String>,
) -> Response {
    let l = s.lang;
    let address = address.trim().to_string();
    let coin = coin_of(&address);
    if let Some(r) = super::audit_refusal(&web, &s, "view_address", &address) {
        return r;
    }
    let refs = match web.store.records_with(IdentifierKind::Address, &address) {
        Ok(r) => r,
        Err(e) => return layout::failure(&s, &e.to_string()),
    };
    let records: Vec<StoredRecord> = refs
        .iter()
        .filter_map(|r| web.store.record(r).ok().flatten())
        .collect();
    let body = html! {
        h1 id="address" { code { (address) } }
        p {
            (l.t("Moneda", "Coin")) ": "
            strong id="coin" { (coin.map_or("?", |c| c.ticker())) }
            @if coin.is_none() { " " span.note { (l.t("(no pasa la suma de verificación de ninguna moneda conocida)", "(passes no known coin's checksum)")) } }
        }
        section id="sightings" {
            h2 { (l.t("Dónde se vio", "Where it was seen")) " (" (records.len()) ")" }
            table {
                tr { th { (l.t("Sitio", "Site")) } th { (l.t("Registro", "Record")) } th { (l.t("Primera vez", "First seen")) } th { (l.t("Última vez", "Last seen")) } }
                @for r in &records { (sighting(l, r)) }
            }
        }
        @if let Some(c) = coin {
            section id="explorers" {
                h2 { (l.t("Exploradores públicos", "Public block explorers")) }
                p.note { (l.t("Abrir un explorador revela su consulta a ese sitio. Solo se abre si usted hace clic.",
                              "Opening an explorer tells that site what you look up. It opens only when you click.")) }
                @let links = explorers(c, &address);
                @if links.is_empty() { p.note { (l.t("Las direcciones Monero no son visibles en la cadena.", "Monero addresses are not visible on chain.")) } }
                ul {
                    @for (name, href) in links {
                        li { a.explorer href=(href) rel="noopener noreferrer" target="_blank" { (name) } }
                    }
                }
            }
        }
    };
    layout::page(&s, &address, body)
}

fn sighting(l: Lang, r: &StoredRecord) -> Markup {
    let (href, label, kind, first, last) = match r {
        StoredRecord::Listing(x) => (
            listing_href(&x.site, &x.listing.url),
            x.listing.title.clone(),
            l.t("anuncio", "listing"),
            x.first_seen,
            x.last_seen,
        ),
        StoredRecord::Vendor(v) => (
            vendor_href(&v.site, &v.handle),
            v.handle.clone(),
            l.t("vendedor", "vendor"),
            v.first_seen,
            v.last_seen,
        ),
        StoredRecord::Post(p) => (
            post_href(
                &p.site,
                &p.post.url,
                &centinela_index::store::post_id(&p.post),
            ),
            p.post
                .thread_title
                .clone()
                .unwrap_or_else(|| p.post.url.clone()),
            l.t("publicación", "post"),
            p.first_seen,
            p.last_seen,
        ),
    };
    html! {
        tr.sighting {
            td { (r.site()) }
            td { span.badge { (kind) } " " a href=(href) { (label) } }
            td { (readable_time(&first.rfc3339())) }
            td { (readable_time(&last.rfc3339())) }
        }
    }
}
