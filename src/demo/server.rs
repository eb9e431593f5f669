//! A loopback web server for the sample sites: the Host header picks the site (each
//! sample folder is served as its onion host, reached through the direct transport's
//! host map), the path picks the file. Golden files and manifests are not served.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, Response, StatusCode};

use super::manifest::SampleSite;

struct Sites {
    by_host: HashMap<String, PathBuf>,
    log: Option<Mutex<std::fs::File>>,
}

/// A running sample server.
pub struct SampleServer {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl SampleServer {
    /// Serves `sites` (folders under `samples`) on 127.0.0.1:`port` (0: any free port).
    pub async fn start(
        samples: &Path,
        sites: &[SampleSite],
        port: u16,
        access_log: Option<&Path>,
    ) -> anyhow::Result<SampleServer> {
        let mut by_host = HashMap::new();
        for s in sites {
            for h in std::iter::once(&s.host).chain(&s.mirrors) {
                by_host.insert(h.to_ascii_lowercase(), samples.join(&s.dir));
            }
        }
        let log = match access_log {
            Some(p) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .with_context(|| format!("cannot open the access log {}", p.display()))?,
            )),
            None => None,
        };
        let state = Arc::new(Sites { by_host, log });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let state = state.clone();
            async move { serve(&state, req.headers(), req.uri().path()) }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(SampleServer { addr, task })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Serves until the process is stopped.
    pub async fn run_forever(mut self) {
        let _ = (&mut self.task).await;
    }
}

impl Drop for SampleServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn serve(sites: &Sites, headers: &HeaderMap, path: &str) -> Response<Body> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| {
            h.rsplit_once(':')
                .map_or(h, |(name, _)| name)
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if let Some(log) = &sites.log {
        // Cookie names only, never values: enough to see a session was carried.
        let cookies: Vec<&str> = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.split('=').next())
            .map(str::trim)
            .collect();
        let mut f = log.lock().unwrap_or_else(|p| p.into_inner());
        let _ = if cookies.is_empty() {
            writeln!(f, "{host} {path}")
        } else {
            writeln!(f, "{host} {path} cookies={}", cookies.join(","))
        };
    }
    let Some(root) = sites.by_host.get(&host) else {
        return respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            b"unknown host".to_vec(),
        );
    };
    match file_for(root, path) {
        Some(file) => match std::fs::read(&file) {
            Ok(bytes) => respond(StatusCode::OK, content_type(&file), bytes),
            Err(_) => not_found(root),
        },
        None => not_found(root),
    }
}

/// The file a URL path names inside `root`: percent-decoded, no way out of the folder,
/// `index.html` for folders; never a golden file or a configuration.
fn file_for(root: &Path, path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(path)?;
    let mut file = root.to_path_buf();
    for c in Path::new(decoded.trim_start_matches('/')).components() {
        match c {
            Component::Normal(part) => file.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    let name = file.file_name()?.to_str()?;
    if name.ends_with(".expected.json") || name.ends_with(".toml") || !file.is_file() {
        return None;
    }
    Some(file)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn not_found(root: &Path) -> Response<Body> {
    let page = ["404.html", "error.html"]
        .iter()
        .find_map(|n| std::fs::read(root.join(n)).ok())
        .unwrap_or_else(|| b"<html><body><h1>404 Not Found</h1></body></html>".to_vec());
    respond(StatusCode::NOT_FOUND, "text/html; charset=utf-8", page)
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html" | "htm") => "text/html",
        Some("css") => "text/css",
        Some("txt" | "asc") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn respond(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_site() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/mercado-andino");
        assert_eq!(file_for(&root, "/"), Some(root.join("index.html")));
        assert_eq!(
            file_for(&root, "/login.html"),
            Some(root.join("login.html"))
        );
        assert_eq!(file_for(&root, "/../manifest.toml"), None);
        assert_eq!(file_for(&root, "/%2e%2e/manifest.toml"), None);
        assert_eq!(file_for(&root, "/index.expected.json"), None);
        assert_eq!(file_for(&root, "/no-such-page.html"), None);
    }
}
