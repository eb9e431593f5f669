//! Misbehaving servers are cut off by the right limit; decoding, redirects, cookies, headers
//! and charsets work. Direct transport to loopback servers written here; the clock is
//! tokio's, paused, so the timeouts are tested without waiting.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use centinela_crawler::transport::{
    ContentEncoding, DirectTransport, FailureKind, FetchError, FetchRequest, FetchSettings,
    Fetcher, IsolationKey, Limit, RetryPolicy, Scope, TimeoutPhase, Timeouts,
    TOR_BROWSER_USER_AGENT,
};
use support::raw_http::{self, RawServer};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

fn settings() -> FetchSettings {
    FetchSettings {
        timeouts: Timeouts {
            connect: Duration::from_secs(5),
            first_byte: Duration::from_secs(5),
            total: Duration::from_secs(10),
        },
        max_body_bytes: 1 << 20,
        max_decoded_bytes: 4 << 20,
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(4),
            fresh_circuit_after: 2,
        },
        ..FetchSettings::default()
    }
}

fn fetcher() -> Fetcher {
    Fetcher::new(DirectTransport::new(BTreeMap::new()), settings())
}

fn key() -> IsolationKey {
    IsolationKey::site("limits")
}

async fn get(
    f: &Fetcher,
    server: &RawServer,
    path: &str,
) -> Result<centinela_crawler::transport::FetchResponse, FetchError> {
    f.fetch(FetchRequest::new(server.url(path), key())).await
}

#[tokio::test(start_paused = true)]
async fn a_drip_feeding_server_is_cut_by_the_total_timeout() {
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let server = raw_http::serve(move |_, mut s| {
        let counter = counter.clone();
        async move {
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
                .await;
            for _ in 0..1000 {
                if s.write_all(b"x").await.is_err() {
                    return;
                }
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    })
    .await;
    let start = Instant::now();
    let err = get(&fetcher(), &server, "/").await.expect_err("cut off");
    assert!(
        matches!(
            err,
            FetchError::Timeout {
                phase: TimeoutPhase::Total,
                ..
            }
        ),
        "{err}"
    );
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_secs(10) && elapsed < Duration::from_secs(11),
        "{elapsed:?}"
    );
    assert!(
        (4..=6).contains(&sent.load(Ordering::SeqCst)),
        "the server did drip"
    );
    assert_eq!(server.accepts(), 1, "a total timeout is not retried");
}

#[tokio::test(start_paused = true)]
async fn an_endless_body_is_cut_by_max_body() {
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let server = raw_http::serve(move |_, mut s| {
        let counter = counter.clone();
        async move {
            let _ = s
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n",
                )
                .await;
            let chunk = vec![b'a'; 64 * 1024];
            for _ in 0..(1 << 14) {
                // at most 1 GiB
                if s.write_all(&chunk).await.is_err() {
                    return;
                }
                counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
        }
    })
    .await;
    let err = get(&fetcher(), &server, "/").await.expect_err("cut off");
    assert!(
        matches!(err, FetchError::TooLarge { limit: Limit::Body, max } if max == 1 << 20),
        "{err}"
    );
    assert!(!err.is_retryable());
    // Give the server a moment to notice the closed connection.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let total = sent.load(Ordering::SeqCst);
    assert!(total < 64 << 20, "the server kept sending: {total} bytes");
}

#[tokio::test(start_paused = true)]
async fn an_announced_oversize_body_is_refused_before_reading() {
    let server = raw_http::serve(|_, mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n")
            .await;
        tokio::time::sleep(Duration::from_secs(3600)).await;
    })
    .await;
    let err = get(&fetcher(), &server, "/").await.expect_err("refused");
    assert!(
        matches!(
            err,
            FetchError::TooLarge {
                limit: Limit::Body,
                ..
            }
        ),
        "{err}"
    );
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

#[tokio::test(start_paused = true)]
async fn a_gzip_bomb_is_cut_by_the_decoded_cap() {
    // 64 MiB of zeros in about 64 KiB.
    let bomb = Arc::new(gzip(&vec![0u8; 64 << 20]));
    assert!(
        bomb.len() < 1 << 20,
        "the bomb fits under max_body ({} bytes)",
        bomb.len()
    );
    let b = bomb.clone();
    let server = raw_http::serve(move |_, mut s| {
        let b = b.clone();
        async move {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
                b.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(&b).await;
        }
    })
    .await;
    let err = get(&fetcher(), &server, "/").await.expect_err("cut off");
    assert!(
        matches!(err, FetchError::TooLarge { limit: Limit::Decoded, max } if max == 4 << 20),
        "{err}"
    );
    assert_eq!(err.kind(), FailureKind::TooLarge);
}

async fn compress(encoding: &str, data: &[u8]) -> Vec<u8> {
    use async_compression::tokio::bufread::{BrotliEncoder, GzipEncoder, ZlibEncoder};
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    match encoding {
        "gzip" => GzipEncoder::new(data).read_to_end(&mut out).await,
        "deflate" => ZlibEncoder::new(data).read_to_end(&mut out).await,
        "br" => BrotliEncoder::new(data).read_to_end(&mut out).await,
        _ => unreachable!(),
    }
    .expect("compress");
    out
}

#[tokio::test(start_paused = true)]
async fn gzip_deflate_and_brotli_are_decoded_and_headers_kept() {
    let page = "<html><body>Envío a Perú — ".repeat(500).into_bytes();
    for encoding in ["gzip", "deflate", "br"] {
        let body = Arc::new(compress(encoding, &page).await);
        let b = body.clone();
        let server = raw_http::serve(move |_, mut s| {
            let b = b.clone();
            async move {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: {encoding}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    b.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(&b).await;
            }
        })
        .await;
        let r = get(&fetcher(), &server, "/").await.expect(encoding);
        assert_eq!(r.body, page, "{encoding}");
        assert_eq!(r.wire_bytes, body.len() as u64);
        assert_eq!(r.headers["content-encoding"], encoding);
        assert_ne!(r.content_encoding, ContentEncoding::Identity);
        assert_eq!(r.charset.label, "UTF-8");
    }
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_times_out_at_first_byte_and_is_retried() {
    let server = raw_http::serve(|_, s| async move {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(s);
    })
    .await;
    let start = Instant::now();
    let err = get(&fetcher(), &server, "/").await.expect_err("times out");
    assert!(
        matches!(
            err,
            FetchError::Timeout {
                phase: TimeoutPhase::FirstByte,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(server.accepts(), 3, "three attempts");
    // 3 × (5 + 5) s, plus backoff 0.5 + 1 s.
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(31_500) && elapsed < Duration::from_secs(33),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_is_a_retried_connect_failure() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}/").parse().expect("url");
    let start = Instant::now();
    let err = fetcher()
        .fetch(FetchRequest::new(url, key()))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), FailureKind::Connect, "{err}");
    assert!(err.is_retryable());
    assert!(
        start.elapsed() >= Duration::from_millis(1500),
        "backoff between attempts"
    );
}

fn redirect_server() -> impl std::future::Future<Output = RawServer> {
    raw_http::serve(|head, mut s| async move {
        let path = head.path.clone();
        let reply = if let Some(n) = path.strip_prefix("/hop/") {
            let n: u32 = n.parse().unwrap_or(0);
            if n == 0 {
                "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndone".to_string()
            } else {
                format!("HTTP/1.1 302 Found\r\nLocation: /hop/{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", n - 1)
            }
        } else if path == "/away" {
            "HTTP/1.1 301 Moved\r\nLocation: http://localhost:1/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
        } else {
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
        };
        let _ = s.write_all(reply.as_bytes()).await;
    })
}

#[tokio::test(start_paused = true)]
async fn redirects_stay_in_scope_and_stop_after_five() {
    let server = redirect_server().await;
    let f = fetcher();
    let r = get(&f, &server, "/hop/5")
        .await
        .expect("five redirects are fine");
    assert_eq!((r.status.as_u16(), r.body.as_slice()), (200, &b"done"[..]));
    assert_eq!(r.redirects.len(), 5);
    assert_eq!(r.final_url.path(), "/hop/0");
    let err = get(&f, &server, "/hop/6")
        .await
        .expect_err("six are too many");
    assert!(
        matches!(err, FetchError::TooManyRedirects { max: 5 }),
        "{err}"
    );
    assert_eq!(err.kind(), FailureKind::Protocol);
    // Out of scope (another host): not followed, the 301 is the answer.
    let r = get(&f, &server, "/away").await.expect("answered");
    assert_eq!(r.status.as_u16(), 301);
    assert!(r.redirects.is_empty());
    // With the other host in scope it is followed (and fails to connect: nothing listens).
    let req = FetchRequest::new(server.url("/away"), key())
        .with_scope(Scope::new(["127.0.0.1", "localhost"]));
    let err = f.fetch(req).await.expect_err("followed");
    assert_eq!(err.kind(), FailureKind::Connect);
    // 4xx is a response; error_for_status makes it a failure.
    let r = get(&f, &server, "/missing").await.expect("answered");
    let err = r.error_for_status().expect_err("404");
    assert!(matches!(err, FetchError::HttpStatus { status: 404 }));
}

#[tokio::test(start_paused = true)]
async fn tor_browser_headers_cookies_per_persona_and_conditional_requests() {
    let server = raw_http::serve(|head, mut s| async move {
        let reply = if head.header("if-none-match").as_deref() == Some("\"v1\"") {
            "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n".to_string()
        } else {
            "HTTP/1.1 200 OK\r\nSet-Cookie: sid=abc; Path=/\r\nContent-Type: text/html; charset=ISO-8859-1\r\nContent-Length: 4\r\nConnection: close\r\n\r\nPer\u{fa}"
                .replace('\u{fa}', "\u{1}")
        };
        let mut bytes = reply.into_bytes();
        if let Some(p) = bytes.iter().position(|&b| b == 1) {
            bytes[p] = 0xfa; // 'ú' in Latin-1
        }
        let _ = s.write_all(&bytes).await;
    })
    .await;
    let f = fetcher();
    let a = IsolationKey::new("site", "persona-a");
    let b = IsolationKey::new("site", "persona-b");
    let r = f
        .fetch(FetchRequest::new(server.url("/"), a.clone()))
        .await
        .expect("ok");
    assert_eq!(
        (r.charset.label, r.text().as_ref()),
        ("windows-1252", "Perú")
    );
    f.fetch(FetchRequest::new(server.url("/"), a.clone()))
        .await
        .expect("ok");
    f.fetch(FetchRequest::new(server.url("/"), b.clone()))
        .await
        .expect("ok");
    let heads = server.heads.lock().expect("heads").clone();
    assert_eq!(
        heads[0].header("user-agent").as_deref(),
        Some(TOR_BROWSER_USER_AGENT)
    );
    assert_eq!(
        heads[0].header("accept-language").as_deref(),
        Some("en-US,en;q=0.5")
    );
    assert!(heads[0]
        .header("accept")
        .is_some_and(|v| v.starts_with("text/html")));
    assert_eq!(heads[0].header("cookie"), None);
    assert_eq!(
        heads[1].header("cookie").as_deref(),
        Some("sid=abc"),
        "same persona: cookie sent"
    );
    assert_eq!(
        heads[2].header("cookie"),
        None,
        "another persona: separate jar"
    );

    let mut req = FetchRequest::new(server.url("/"), b);
    req.if_none_match = Some("\"v1\"".into());
    let r = f.fetch(req).await.expect("304");
    assert_eq!(r.status.as_u16(), 304);
    assert!(r.body.is_empty());
}
