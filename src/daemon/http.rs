//! The daemon's loopback HTTP endpoint: `/healthz` (JSON; 200 when working, 503 when
//! Tor is not up or the store cannot be written), `/metrics` (Prometheus text) and
//! `/status` (the whole report).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::metrics;
use super::Shared;

pub fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/status", get(status))
        .with_state(shared)
}

async fn metrics_text(State(shared): State<Arc<Shared>>) -> Response {
    let report = shared.report();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics::render(&report),
    )
        .into_response()
}

async fn status(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.report()).into_response()
}

/// Writes a probe key and flushes it: the store takes writes and reaches the disk.
async fn store_writable(db: &sled::Db) -> Result<(), String> {
    let write = async {
        let tree = db.open_tree("daemon/health").map_err(|e| e.to_string())?;
        let now = centinela_index::time::Timestamp::now().0;
        tree.insert("probe", &now.to_be_bytes())
            .map_err(|e| e.to_string())?;
        db.flush_async().await.map_err(|e| e.to_string())?;
        Ok::<(), String>(())
    };
    match tokio::time::timeout(Duration::from_secs(5), write).await {
        Ok(r) => r,
        Err(_) => Err("a write to the store did not reach the disk within 5 s".into()),
    }
}

async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    let report = shared.report();
    let store = store_writable(&shared.db).await;
    let tor_ready = shared.tor_ready();
    let mail_ok = report.mail.as_ref().is_none_or(|m| m.reachable);
    let sites_ok = report
        .sites
        .iter()
        .all(|s| s.state != "needs_human" && s.state != "retrying");
    let (status, code) = if !tor_ready || store.is_err() {
        ("failing", StatusCode::SERVICE_UNAVAILABLE)
    } else if !mail_ok || !sites_ok {
        ("degraded", StatusCode::OK)
    } else {
        ("ok", StatusCode::OK)
    };
    let sites: serde_json::Map<String, serde_json::Value> = report
        .sites
        .iter()
        .map(|s| {
            (
                s.site.clone(),
                json!({
                    "state": s.state,
                    "needs_human": s.needs_human,
                    "last_end": s.last_run.as_ref().map(|r| r.end.clone()),
                    "last_success": s.last_run.as_ref().and_then(|r| r.last_success),
                    "next_run": s.next_run,
                }),
            )
        })
        .collect();
    let body = json!({
        "status": status,
        "phase": report.daemon.as_ref().map(|d| d.phase.clone()),
        "tor": {
            "transport": report.tor.transport,
            "bootstrapped": tor_ready,
            "bootstrap_failures": report.tor.bootstrap_failures,
            "last_error": report.tor.last_bootstrap_error,
        },
        "store": {
            "writable": store.is_ok(),
            "error": store.err(),
        },
        "smtp": report.mail.as_ref().map(|m| json!({
            "destination": m.destination,
            "reachable": m.reachable,
            "error": m.error,
            "checked_at": m.checked_at,
        })),
        "index": {"documents": report.index.documents},
        "sites": sites,
    });
    (code, axum::Json(body)).into_response()
}
