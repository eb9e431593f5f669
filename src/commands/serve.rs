//! `centinela serve`: the web UI and JSON API for investigators.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use centinela_index::search::{IndexOptions, SearchIndex};

use crate::cli::{Global, ServeArgs};
use crate::config;
use crate::pipeline::DataDir;
use crate::web::{Users, Web};

pub fn run(global: &Global, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let cfg = match config::load_or_report(&global.config) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let data = DataDir::of(global, &cfg);
    let listen = args
        .listen
        .clone()
        .unwrap_or_else(|| cfg.main.web.bind.get_ref().clone());
    let addr: SocketAddr = match listen.parse() {
        Ok(a) => a,
        Err(_) => {
            eprintln!(
                "centinela: --listen {listen:?} is not an address:port such as 127.0.0.1:8080"
            );
            return Ok(ExitCode::from(2));
        }
    };
    let public_url = cfg.main.web.public_url.clone();
    if let Err(e) = crate::web::check_listen(&addr, public_url.as_deref()) {
        eprintln!("centinela: {e}");
        return Ok(ExitCode::from(2));
    }
    let db = match crate::pipeline::open_db(&data) {
        Ok(db) => db,
        Err(e) => {
            eprintln!(
                "centinela: {e:#}. When the daemon runs, it serves the web UI itself: set \
                 `in_daemon = true` under [web] and restart it"
            );
            return Ok(ExitCode::from(1));
        }
    };
    let users = Users::open(&db)?;
    if users.list()?.is_empty() {
        eprintln!(
            "centinela: no user can log in yet: create one first with \
             `centinela user add NAME --role admin`"
        );
        return Ok(ExitCode::from(2));
    }
    if !data.index().join("meta.json").exists() {
        // A store with nothing crawled yet: an empty index, so the UI works from day one.
        drop(
            SearchIndex::recreate(&data.index(), IndexOptions::default())
                .context("cannot create an empty search index")?,
        );
    }
    let cfg = Arc::new(cfg);
    let sites = {
        let cfg = cfg.clone();
        let db = db.clone();
        let data = DataDir::new(data.root.clone());
        move || crate::commands::status::report_from_store(&cfg, &db, &data)
    };
    let secure = public_url.is_some_and(|u| u.starts_with("https://"));
    let web = match Web::open(
        db,
        &data,
        cfg.watchlists_dir.clone(),
        Box::new(sites),
        secure,
    ) {
        Ok(w) => Arc::new(w),
        Err(e) => {
            eprintln!("centinela: {e:#}");
            return Ok(ExitCode::from(1));
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let bound = listener.local_addr()?;
        eprintln!("centinela: serving on http://{bound}/");
        let shutdown = async {
            let term = async {
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = term => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            eprintln!("centinela: stopping the web UI");
        };
        let db = web.db.clone();
        crate::web::serve(web, listener, shutdown).await?;
        db.flush_async().await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use crate::web::check_listen;

    #[test]
    fn the_ui_listens_beyond_loopback_only_behind_tls() {
        let lan = "192.0.2.10:8080".parse().unwrap_or_else(|_| unreachable!());
        let local = "127.0.0.1:8080".parse().unwrap_or_else(|_| unreachable!());
        assert!(check_listen(&local, None).is_ok());
        assert!(check_listen(&lan, None).is_err());
        assert!(check_listen(&lan, Some("http://ui.unidad.example")).is_err());
        assert!(check_listen(&lan, Some("https://ui.unidad.example")).is_ok());
    }
}
