//! Serves the synthetic market on 127.0.0.1, and counts what each crawler fetched.
//!
//! Why it is this thin: the benchmark measures crawlers, so the server must never be the
//! bottleneck. One handler for every path, no routing table, no logging, no middleware;
//! the only allocation of ours per request is the page string, which becomes the body
//! without a copy. The Host header is ignored, so the same server answers for
//! `127.0.0.1:PORT` (Scrapy) and for the onion name mapped to it (Centinela's loopback
//! test transport).
//!
//! Why it counts per page: "pages/s" is only comparable if both crawlers fetched the same
//! pages. A lock-free counter per page index tells whether a crawler fetched a page twice,
//! missed pages, or asked for paths that are not pages, independently of what the crawler
//! itself reports.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::Context;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::site::SyntheticMarket;

/// A static header value: built without allocating.
fn html() -> HeaderValue {
    HeaderValue::from_static("text/html; charset=utf-8")
}

/// Request counters since the last [`Hits::reset`].
pub struct Hits {
    per_page: Box<[AtomicU32]>,
    get: AtomicU64,
    head: AtomicU64,
    not_found: AtomicU64,
    bad_method: AtomicU64,
}

/// What one crawl asked of the server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HitReport {
    /// GET requests answered 200.
    pub get: u64,
    /// Distinct pages fetched with GET.
    pub distinct: u64,
    /// GETs beyond the first of the same page.
    pub repeated: u64,
    /// The lowest index of a page fetched more than once, to name one in warnings.
    pub first_repeated: Option<usize>,
    /// Pages of the market never fetched.
    pub missed: u64,
    /// The lowest index of a missed page, to name one in warnings.
    pub first_missed: Option<usize>,
    pub head: u64,
    pub not_found: u64,
    pub bad_method: u64,
}

impl Hits {
    /// Counters for a market of `pages` pages.
    pub fn new(pages: usize) -> Hits {
        Hits {
            per_page: (0..pages).map(|_| AtomicU32::new(0)).collect(),
            get: AtomicU64::new(0),
            head: AtomicU64::new(0),
            not_found: AtomicU64::new(0),
            bad_method: AtomicU64::new(0),
        }
    }

    /// Zeroes every counter; call it between crawls, while no crawler is running.
    pub fn reset(&self) {
        for c in self.per_page.iter() {
            c.store(0, Ordering::Relaxed);
        }
        for c in [&self.get, &self.head, &self.not_found, &self.bad_method] {
            c.store(0, Ordering::Relaxed);
        }
    }

    /// A consistent summary once the crawler has exited.
    pub fn report(&self) -> HitReport {
        let mut r = HitReport {
            get: self.get.load(Ordering::Relaxed),
            head: self.head.load(Ordering::Relaxed),
            not_found: self.not_found.load(Ordering::Relaxed),
            bad_method: self.bad_method.load(Ordering::Relaxed),
            ..HitReport::default()
        };
        for (i, c) in self.per_page.iter().enumerate() {
            match u64::from(c.load(Ordering::Relaxed)) {
                0 => {
                    r.missed += 1;
                    r.first_missed.get_or_insert(i);
                }
                n => {
                    r.distinct += 1;
                    r.repeated += n - 1;
                    if n > 1 {
                        r.first_repeated.get_or_insert(i);
                    }
                }
            }
        }
        r
    }

    fn count_page(&self, index: usize) {
        self.get.fetch_add(1, Ordering::Relaxed);
        if let Some(c) = self.per_page.get(index) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[derive(Clone)]
struct App {
    market: Arc<SyntheticMarket>,
    hits: Arc<Hits>,
}

/// Serves `market` on an ephemeral port of 127.0.0.1 until the runtime shuts down.
///
/// The driver needs the counters and calls [`serve_counting`]; this is the entry point
/// for callers that do not (hence the allowance when built as an example binary).
#[cfg_attr(not(test), allow(dead_code))]
pub async fn serve(
    market: Arc<SyntheticMarket>,
) -> anyhow::Result<(SocketAddr, JoinHandle<std::io::Result<()>>)> {
    let hits = Arc::new(Hits::new(market.page_count()));
    serve_counting(market, hits).await
}

/// [`serve`], counting requests into `hits` (sized for `market.page_count()`).
pub async fn serve_counting(
    market: Arc<SyntheticMarket>,
    hits: Arc<Hits>,
) -> anyhow::Result<(SocketAddr, JoinHandle<std::io::Result<()>>)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .context("binding 127.0.0.1:0 for the benchmark site")?;
    let addr = listener
        .local_addr()
        .context("reading the benchmark site's address")?;
    // Small responses on keep-alive connections: do not let Nagle delay them.
    let listener = listener.tap_io(|tcp| {
        // A socket that refuses TCP_NODELAY still works; nothing to report.
        let _ = tcp.set_nodelay(true);
    });
    let app = Router::new()
        .fallback(respond)
        .with_state(App { market, hits });
    let handle = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((addr, handle))
}

/// GET and HEAD of any path on any Host; axum drops the body of HEAD responses and keeps
/// their Content-Length.
async fn respond(State(app): State<App>, method: Method, uri: Uri) -> Response {
    if method == Method::HEAD {
        app.hits.head.fetch_add(1, Ordering::Relaxed);
    } else if method != Method::GET {
        app.hits.bad_method.fetch_add(1, Ordering::Relaxed);
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    match app.market.page_indexed(uri.path()) {
        Some((index, page)) => {
            if method == Method::GET {
                app.hits.count_page(index);
            }
            ([(header::CONTENT_TYPE, html())], page).into_response()
        }
        None => {
            app.hits.not_found.fetch_add(1, Ordering::Relaxed);
            (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, html())],
                "<!DOCTYPE html><html><body><h1>404</h1><p>Página no encontrada.</p></body></html>\n",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// One HTTP/1.1 exchange over a fresh blocking connection; returns the raw response.
    #[allow(clippy::disallowed_methods)] // a test client on loopback
    fn exchange(addr: SocketAddr, request: &str) -> String {
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        s.write_all(request.as_bytes()).expect("write");
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).expect("read");
        String::from_utf8(buf).expect("utf-8 response")
    }

    #[test]
    fn serves_pages_on_any_host_and_counts_them() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let market = Arc::new(SyntheticMarket::new(200));
        let hits = Arc::new(Hits::new(market.page_count()));
        let (addr, _task) = rt
            .block_on(serve_counting(market.clone(), hits.clone()))
            .expect("serve");
        let page = market.page("/producto/7.html").expect("page");

        let r = exchange(
            addr,
            "GET /producto/7.html HTTP/1.1\r\nHost: kdzap6a2aelincprp5g4otdgtdpz3546kr67bgowxjlv3fukxylvddqd.onion\r\nConnection: close\r\n\r\n",
        );
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        assert!(r.contains("content-type: text/html; charset=utf-8"));
        assert!(r.ends_with(&page));

        let r = exchange(
            addr,
            "HEAD /producto/7.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        assert!(
            r.contains(&format!("content-length: {}", page.len())),
            "{r}"
        );
        assert!(r.ends_with("\r\n\r\n"), "HEAD has no body: {r}");

        let r = exchange(
            addr,
            "GET /nada HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert!(r.starts_with("HTTP/1.1 404"), "{r}");
        let r = exchange(
            addr,
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        assert!(r.starts_with("HTTP/1.1 405"), "{r}");
        exchange(
            addr,
            "GET /producto/7.html?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );

        let rep = hits.report();
        assert_eq!((rep.get, rep.distinct, rep.repeated), (2, 1, 1));
        assert_eq!(
            rep.first_repeated,
            market.page_indexed("/producto/7.html").map(|(i, _)| i),
            "the query string is ignored"
        );
        assert_eq!(rep.missed, market.page_count() as u64 - 1);
        assert_eq!(rep.first_missed, Some(0));
        assert_eq!((rep.head, rep.not_found, rep.bad_method), (1, 1, 1));
        hits.reset();
        assert_eq!(hits.report().get, 0);
    }

    #[test]
    fn serve_without_counters_answers_too() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let (addr, _task) = rt
            .block_on(serve(Arc::new(SyntheticMarket::new(50))))
            .expect("serve");
        let r = exchange(
            addr,
            "GET / HTTP/1.1\r\nHost: y\r\nConnection: close\r\n\r\n",
        );
        assert!(
            r.starts_with("HTTP/1.1 200") && r.contains("Destacados"),
            "{r}"
        );
    }
}
