//! A loopback HTTP site for the Tor tests and the benchmark (axum, keep-alive):
//! - `/files/{path}`: a file under the samples folder;
//! - `/delay/{ms}/{path}`: the same, answered after `ms` milliseconds (a slow onion service);
//! - `/blob/{n}`: `n` deterministic pseudo-random bytes (binary, not UTF-8);
//! - `/large-slow/{kib}/{kib_per_sec}`: `kib` KiB of [`pattern`] bytes, streamed at a rate.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The samples folder (`<crate>/../samples`, or `$CENTINELA_SAMPLES`).
pub fn samples_dir() -> PathBuf {
    std::env::var_os("CENTINELA_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples"))
}

/// The HTML pages of the sample sites, as paths relative to the samples folder.
pub fn sample_pages() -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|x| x == "html") {
                if let Ok(rel) = p.strip_prefix(root) {
                    out.push(rel.to_string_lossy().into_owned());
                }
            }
        }
    }
    let root = samples_dir();
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}

/// Byte `i` of the `/large-slow` and `/blob` bodies.
pub fn pattern(i: u64) -> u8 {
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ (i >> 3);
    (x % 251) as u8
}

#[derive(Clone)]
struct AppState {
    root: Arc<PathBuf>,
    slow_sent: Arc<AtomicU64>,
    requests: Arc<AtomicU64>,
}

/// The running site.
pub struct Site {
    pub port: u16,
    /// Bytes of `/large-slow` bodies handed to the connection so far.
    pub slow_sent: Arc<AtomicU64>,
    /// Requests served.
    pub requests: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Site {
    /// Start on 127.0.0.1:0 (inside a tokio runtime).
    pub async fn start() -> Site {
        let state = AppState {
            root: Arc::new(samples_dir()),
            slow_sent: Arc::default(),
            requests: Arc::default(),
        };
        let (slow_sent, requests) = (state.slow_sent.clone(), state.requests.clone());
        let app = Router::new()
            .route("/files/{*path}", get(file))
            .route("/delay/{ms}/{*path}", get(delayed))
            .route("/blob/{n}", get(blob))
            .route("/large-slow/{kib}/{rate}", get(large_slow))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind site");
        let port = listener.local_addr().expect("addr").port();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Site {
            port,
            slow_sent,
            requests,
            task,
        }
    }
}

fn content_type(path: &str) -> &'static str {
    if path.ends_with(".html") {
        "text/html; charset=utf-8"
    } else if path.ends_with(".json") {
        "application/json"
    } else {
        "application/octet-stream"
    }
}

async fn serve_file(state: &AppState, path: &str) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    if path.split('/').any(|part| part == ".." || part.is_empty()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match tokio::fs::read(state.root.join(path)).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, content_type(path))], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn file(State(state): State<AppState>, UrlPath(path): UrlPath<String>) -> Response {
    serve_file(&state, &path).await
}

async fn delayed(
    State(state): State<AppState>,
    UrlPath((ms, path)): UrlPath<(u64, String)>,
) -> Response {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    serve_file(&state, &path).await
}

async fn blob(State(state): State<AppState>, UrlPath(n): UrlPath<u64>) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let bytes: Vec<u8> = (0..n.min(64 << 20)).map(pattern).collect();
    ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
}

async fn large_slow(
    State(state): State<AppState>,
    UrlPath((kib, rate)): UrlPath<(u64, u64)>,
) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    const CHUNK: u64 = 16 * 1024;
    let total = kib * 1024;
    let pause = Duration::from_secs_f64(CHUNK as f64 / (rate.max(1) * 1024) as f64);
    let sent = state.slow_sent.clone();
    let stream = futures::stream::unfold(0u64, move |offset| {
        let sent = sent.clone();
        async move {
            if offset >= total {
                return None;
            }
            if offset > 0 {
                tokio::time::sleep(pause).await;
            }
            let end = (offset + CHUNK).min(total);
            let chunk: Vec<u8> = (offset..end).map(pattern).collect();
            sent.fetch_add(end - offset, Ordering::Relaxed);
            Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), end))
        }
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, total)
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
