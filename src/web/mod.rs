//! `centinela serve`: the investigators' web UI and JSON API.
//!
//! Every page we show was written by people who would like to run code in an officer's
//! browser, so the rules are structural rather than remembered: HTML is produced with
//! `maud`, which escapes every interpolated string; every response carries a strict
//! Content-Security-Policy (no script at all in our own pages); captured pages are only
//! ever shown as escaped text or inside a sandboxed frame served from its own path with
//! `sandbox; default-src 'none'` (see [`pages::capture`]). Every route but the login
//! page and the stylesheet needs a session (HTML) or a token (API).

mod api;
mod audit;
mod auth;
mod i18n;
mod layout;
mod pages;
pub mod users;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use centinela_evidence::custody::CustodyLog;
use centinela_index::outbox::Outbox;
use centinela_index::search::SearchIndex;
use centinela_index::store::Store;

pub use audit::AuditLog;
pub use auth::Sessions;
pub use users::Users;

/// What the web UI reads and writes, shared by every request.
pub struct Web {
    pub db: sled::Db,
    pub store: Store,
    pub index: SearchIndex,
    pub outbox: Outbox,
    pub users: Users,
    pub sessions: Sessions,
    pub audit: AuditLog,
    /// Views of captures go into the evidence custody log; appends are serialised here
    /// because each entry chains to the one before.
    pub custody: Mutex<CustodyLog>,
    pub watchlists_dir: PathBuf,
    pub warc_dir: PathBuf,
    /// The site names of the configuration, and the sites page's report.
    pub sites: SiteReport,
    /// `Secure` on cookies: the UI is reached over TLS (a `public_url` with https).
    pub secure_cookies: bool,
    /// Called after a watchlist rule was added, changed or removed: inside the daemon it
    /// reloads the configuration, so the matcher applies the change at once.
    pub rules_changed: Option<Box<dyn Fn() + Send + Sync>>,
}

/// How the sites page learns the sites' state.
pub type SiteReport =
    Box<dyn Fn() -> anyhow::Result<crate::daemon::report::StatusReport> + Send + Sync>;

impl Web {
    /// The UI over an open store and the search index beside it.
    pub fn open(
        db: sled::Db,
        data: &crate::pipeline::DataDir,
        watchlists_dir: PathBuf,
        sites: SiteReport,
        secure_cookies: bool,
    ) -> anyhow::Result<Web> {
        let index = crate::commands::search::open_for_reading(data).map_err(anyhow::Error::msg)?;
        Ok(Web {
            store: Store::open(&db)?,
            outbox: Outbox::open(&db)?,
            users: Users::open(&db)?,
            audit: AuditLog::open(&db)?,
            custody: Mutex::new(CustodyLog::open(&db)?),
            sessions: Sessions::default(),
            index,
            watchlists_dir,
            warc_dir: data.warc(),
            sites,
            secure_cookies,
            rules_changed: None,
            db,
        })
    }

    pub fn rules_changed(&self) {
        if let Some(f) = &self.rules_changed {
            f();
        }
    }
}

/// Whether the UI may listen on `addr`: loopback always; another address only behind a
/// TLS proxy (`public_url` with https), because the session cookie must not cross a
/// network in clear.
pub fn check_listen(addr: &SocketAddr, public_url: Option<&str>) -> Result<(), String> {
    if addr.ip().is_loopback() || public_url.is_some_and(|u| u.starts_with("https://")) {
        return Ok(());
    }
    Err(format!(
        "refusing to listen on {addr}: the web UI listens on loopback (127.0.0.1) unless \
         [web] public_url is an https:// address served by a TLS proxy in front of it"
    ))
}

pub type Shared = Arc<Web>;

/// The router of the whole UI and API.
pub fn router(web: Shared) -> Router {
    let html = Router::new()
        .route("/", get(pages::search::page))
        .route("/search", get(pages::search::page))
        .route("/listing", get(pages::records::listing))
        .route("/vendor", get(pages::records::vendor))
        .route("/post", get(pages::records::post))
        .route("/address/{address}", get(pages::records::address))
        .route("/capture", get(pages::capture::view))
        .route("/capture/raw", get(pages::capture::raw))
        .route(
            "/watchlists",
            get(pages::watchlists::list).post(pages::watchlists::create),
        )
        .route("/watchlists/delete", post(pages::watchlists::delete))
        .route("/alerts", get(pages::alerts::list))
        .route("/alerts/retry", post(pages::alerts::retry))
        .route("/sites", get(pages::sites::list))
        .route("/audit", get(pages::audit::list))
        .route("/login", get(pages::login::form).post(pages::login::submit))
        .route("/logout", post(pages::login::logout))
        .route("/lang", get(pages::login::language))
        .route("/static/app.css", get(layout::stylesheet));
    Router::new()
        .merge(html)
        .nest("/api/v1", api::router())
        .fallback(pages::not_found)
        .layer(middleware::from_fn(security_headers))
        .with_state(web)
}

/// Headers every response carries. Our own pages need no script, so none may run; the
/// capture frame sets its own, stricter policy (and keeps it: we only add ours when the
/// handler set none).
async fn security_headers(req: Request, next: Next) -> Response {
    // `?lang=en` on any page also keeps the choice for the next pages.
    let lang = auth::lang_in_query(req.uri().query());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if let Some(l) = lang {
        let c = auth::set_cookie(auth::LANG_COOKIE, l.code(), false, Some(365 * 86400));
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.append(header::SET_COOKIE, v);
        }
    }
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ));
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    // Following a link (a block explorer) must not tell the other side where from.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

/// Serves the UI on `listener` until `shutdown` resolves.
pub async fn serve(
    web: Shared,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(web).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
