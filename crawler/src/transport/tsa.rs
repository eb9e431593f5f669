//! Posting an RFC 3161 timestamp query to a Time-Stamping Authority (RFC 3161 §3.4:
//! `POST`, `Content-Type: application/timestamp-query`, answered with
//! `application/timestamp-reply`).
//!
//! It lives here because this module is the only place allowed to open sockets, and
//! because a TSA request is traffic like any other: it reveals that the unit is sealing
//! evidence, and when. So the same rule as for crawling holds:
//!
//! - a **loopback** TSA (`127.0.0.0/8`, `::1`, `localhost`: a test TSA, or one the unit
//!   runs on the same machine) is reached directly — that is all the direct transport
//!   ever does;
//! - **any other** TSA is reached only through Tor: the configured SOCKS5 upstream or
//!   embedded arti ([`Transport`] of kind `socks5` or `arti`), on a circuit of its own.
//!   Without one it is refused with [`TsaError::NeedsTor`] before anything is opened.
//!   There is no fallback to a direct connection, and no DNS lookup outside Tor.
//!
//! The reply's bytes are returned as they came; reading and checking the token is the
//! `centinela-timestamp` crate's job.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use super::client::Transport;
use super::direct::{DirectTransport, LoopbackResolver};
use super::error::redact;
use super::isolation::CircuitTag;
use super::policy::is_loopback_ip;

/// The media type of a request body (RFC 3161 §3.4).
pub const QUERY_CONTENT_TYPE: &str = "application/timestamp-query";
/// The media type of a reply body.
pub const REPLY_CONTENT_TYPE: &str = "application/timestamp-reply";
/// A TimeStampResp with its certificates is a few KiB; anything far larger is not one,
/// and is not read into memory.
pub const MAX_REPLY_BYTES: usize = 1024 * 1024;

/// The isolation slot of TSA requests: far from the fetcher's slots (counted from 0), so
/// a TSA request never shares a circuit with a crawl of a site.
const TSA_SLOT: u64 = u64::MAX;

/// How the TSA at a URL may be reached, decided from the URL alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsaRoute {
    /// A loopback address or `localhost`: connected to directly.
    Loopback,
    /// Anywhere else: only through Tor.
    Tor,
}

/// Why a timestamp query got no usable reply. Texts name no URL (the caller does, since
/// it knows whether the URL may be shown) and carry lower-layer details through
/// [`redact`].
#[derive(Debug, thiserror::Error)]
pub enum TsaError {
    /// Not an http(s) URL with a host.
    #[error("not an http:// or https:// URL with a host")]
    BadUrl,
    /// A non-loopback TSA, and no Tor transport to reach it through.
    #[error("a TSA that is not on this machine must be reached through Tor; {0}")]
    NeedsTor(&'static str),
    /// The HTTP client could not be built (TLS setup).
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// No answer within the time limit.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The connection failed or broke (through Tor: the circuit or the exit).
    #[error("the request failed: {0}")]
    Request(String),
    /// The TSA answered with another status than 200.
    #[error("the TSA answered HTTP {status}{}", if .detail.is_empty() { String::new() } else { format!(": {}", .detail) })]
    Status { status: u16, detail: String },
    /// The body is not declared a timestamp reply.
    #[error("the reply's Content-Type is {0:?}, not application/timestamp-reply")]
    ContentType(String),
    /// The body is larger than [`MAX_REPLY_BYTES`].
    #[error("the reply is larger than {MAX_REPLY_BYTES} bytes: not a timestamp reply")]
    TooLarge,
}

/// Whether `url` names a loopback TSA (direct) or one that needs Tor.
pub fn tsa_route(url: &Url) -> Result<TsaRoute, TsaError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TsaError::BadUrl);
    }
    let loopback = match url.host().ok_or(TsaError::BadUrl)? {
        url::Host::Ipv4(a) => is_loopback_ip(a.into()),
        url::Host::Ipv6(a) => is_loopback_ip(a.into()),
        url::Host::Domain(d) => d.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
    };
    Ok(if loopback {
        TsaRoute::Loopback
    } else {
        TsaRoute::Tor
    })
}

/// POSTs `query_der` (a DER `TimeStampReq`) to the TSA at `url` and returns the reply
/// body (a DER `TimeStampResp`, unchecked). A loopback TSA is reached directly; any other
/// only through `tor`, which must be a `socks5` or `arti` transport — otherwise
/// [`TsaError::NeedsTor`], with no connection attempted. `timeout` bounds the whole
/// exchange. Redirects are not followed (a TSA has no reason to send one, and following
/// it could leave the route checked here).
pub async fn post_timestamp_query(
    url: &Url,
    query_der: &[u8],
    timeout: Duration,
    tor: Option<&Arc<dyn Transport>>,
) -> Result<Vec<u8>, TsaError> {
    let base = reqwest::Client::builder()
        .no_proxy()
        .dns_resolver(LoopbackResolver::new(Arc::default()))
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .connect_timeout(timeout)
        .timeout(timeout)
        .http1_only();
    let client = match tsa_route(url)? {
        TsaRoute::Loopback => DirectTransport::new(Default::default())
            .build_client(&CircuitTag::new(TSA_SLOT, 0), base)
            .map_err(|e| TsaError::Client(e.to_string()))?,
        TsaRoute::Tor => {
            let tor = tor.ok_or(TsaError::NeedsTor(
                "no Tor transport was given (set [transport] kind = \"arti\" or \"socks5\")",
            ))?;
            if !tor.kind().is_tor() {
                return Err(TsaError::NeedsTor(
                    "the configured transport is `direct` (loopback only); set [transport] kind = \"arti\" or \"socks5\"",
                ));
            }
            // Same URL rules as a crawl through Tor (http(s), a host).
            tor.policy()
                .check(url)
                .map_err(|e| TsaError::Request(e.to_string()))?;
            tor.build_client(&CircuitTag::new(TSA_SLOT, 0), base)
                .map_err(|e| TsaError::Client(e.to_string()))?
        }
    };
    let sent = client
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, QUERY_CONTENT_TYPE)
        .header(reqwest::header::ACCEPT, REPLY_CONTENT_TYPE)
        .body(query_der.to_vec())
        .send()
        .await;
    let mut response = sent.map_err(|e| request_error(e, timeout))?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| request_error(e, timeout))?
    {
        if body.len() + chunk.len() > MAX_REPLY_BYTES {
            return Err(TsaError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    if status != 200 {
        let text = String::from_utf8_lossy(&body);
        let detail: String = if content_type.starts_with("text/") {
            text.trim().chars().take(200).collect()
        } else {
            String::new()
        };
        return Err(TsaError::Status {
            status,
            detail: super::error::redact_text(&detail),
        });
    }
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media != REPLY_CONTENT_TYPE {
        return Err(TsaError::ContentType(content_type));
    }
    Ok(body)
}

fn request_error(e: reqwest::Error, timeout: Duration) -> TsaError {
    if e.is_timeout() {
        TsaError::Timeout(timeout)
    } else {
        TsaError::Request(redact(&e.without_url()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Socks5Transport;
    use std::net::SocketAddr;
    use std::sync::Mutex;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// A one-shot HTTP server on 127.0.0.1 answering every request with `reply`; returns
    /// its address and the requests it saw (head and body).
    async fn tsa_server(
        status: &'static str,
        content_type: &'static str,
        reply: Vec<u8>,
    ) -> (SocketAddr, Arc<Mutex<Vec<(String, Vec<u8>)>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                let (head, body) = loop {
                    let n = s.read(&mut buf).await.expect("read");
                    data.extend_from_slice(&buf[..n]);
                    if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&data[..end]).into_owned();
                        let len: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().expect("length"))
                            })
                            .unwrap_or(0);
                        while data.len() < end + 4 + len {
                            let n = s.read(&mut buf).await.expect("read");
                            data.extend_from_slice(&buf[..n]);
                        }
                        break (head, data[end + 4..end + 4 + len].to_vec());
                    }
                };
                log.lock().expect("lock").push((head, body));
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    reply.len()
                );
                s.write_all(head.as_bytes()).await.expect("write");
                s.write_all(&reply).await.expect("write");
            }
        });
        (addr, seen)
    }

    #[test]
    fn routes_are_decided_from_the_url() {
        let route = |u: &str| tsa_route(&u.parse().expect("url"));
        assert_eq!(
            route("http://127.0.0.1:318/").ok(),
            Some(TsaRoute::Loopback)
        );
        assert_eq!(route("http://[::1]:318/tsa").ok(), Some(TsaRoute::Loopback));
        assert_eq!(route("http://LOCALHOST/").ok(), Some(TsaRoute::Loopback));
        assert_eq!(route("https://freetsa.org/tsr").ok(), Some(TsaRoute::Tor));
        assert_eq!(route("http://10.0.0.1/").ok(), Some(TsaRoute::Tor));
        assert_eq!(route("http://0.0.0.0/").ok(), Some(TsaRoute::Tor));
        assert!(matches!(route("ftp://127.0.0.1/"), Err(TsaError::BadUrl)));
    }

    #[tokio::test]
    async fn a_loopback_tsa_gets_the_query_and_its_reply_comes_back() {
        let (addr, seen) = tsa_server("200 OK", REPLY_CONTENT_TYPE, b"reply-der".to_vec()).await;
        let url: Url = format!("http://{addr}/tsa").parse().expect("url");
        let body = post_timestamp_query(&url, b"query-der", Duration::from_secs(5), None)
            .await
            .expect("reply");
        assert_eq!(body, b"reply-der");
        let seen = seen.lock().expect("lock");
        let (head, query) = &seen[0];
        assert!(head.starts_with("POST /tsa HTTP/1.1"), "{head}");
        assert!(head
            .to_ascii_lowercase()
            .contains("content-type: application/timestamp-query"));
        assert_eq!(query, b"query-der");
    }

    #[tokio::test]
    async fn a_wrong_status_or_content_type_is_an_error() {
        let (addr, _) = tsa_server(
            "500 Internal Server Error",
            "text/plain",
            b"no key".to_vec(),
        )
        .await;
        let url: Url = format!("http://{addr}/").parse().expect("url");
        let e = post_timestamp_query(&url, b"q", Duration::from_secs(5), None)
            .await
            .expect_err("500");
        assert!(e.to_string().contains("HTTP 500: no key"), "{e}");
        let (addr, _) = tsa_server("200 OK", "text/html", b"<html>".to_vec()).await;
        let url: Url = format!("http://{addr}/").parse().expect("url");
        let e = post_timestamp_query(&url, b"q", Duration::from_secs(5), None)
            .await
            .expect_err("html");
        assert!(matches!(e, TsaError::ContentType(_)), "{e}");
    }

    #[tokio::test]
    async fn a_clearnet_tsa_without_tor_is_refused_before_any_connection() {
        let url: Url = "http://tsa.example/tsr".parse().expect("url");
        let e = post_timestamp_query(&url, b"q", Duration::from_secs(5), None)
            .await
            .expect_err("refused");
        assert!(matches!(e, TsaError::NeedsTor(_)), "{e}");
        let direct: Arc<dyn Transport> = Arc::new(DirectTransport::new(Default::default()));
        let e = post_timestamp_query(&url, b"q", Duration::from_secs(5), Some(&direct))
            .await
            .expect_err("refused");
        assert!(e.to_string().contains("`direct`"), "{e}");
    }

    /// A SOCKS5 upstream on loopback (standing in for a Tor client's SocksPort) that
    /// accepts any username/password and connects every CONNECT to `target`; records the
    /// requested host and port.
    async fn socks_upstream(target: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<(String, u16)>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let mut head = [0u8; 2];
                    s.read_exact(&mut head).await.expect("greeting");
                    let mut methods = vec![0u8; head[1].into()];
                    s.read_exact(&mut methods).await.expect("methods");
                    assert!(methods.contains(&2), "username/password offered");
                    s.write_all(&[5, 2]).await.expect("choose");
                    let mut v = [0u8; 2];
                    s.read_exact(&mut v).await.expect("auth");
                    let mut user = vec![0u8; v[1].into()];
                    s.read_exact(&mut user).await.expect("user");
                    let plen = s.read_u8().await.expect("plen");
                    let mut pass = vec![0u8; plen.into()];
                    s.read_exact(&mut pass).await.expect("pass");
                    s.write_all(&[1, 0]).await.expect("auth ok");
                    let mut req = [0u8; 4];
                    s.read_exact(&mut req).await.expect("request");
                    assert_eq!(req[3], 3, "socks5h: the name goes to Tor, not to DNS");
                    let len = s.read_u8().await.expect("len");
                    let mut host = vec![0u8; len.into()];
                    s.read_exact(&mut host).await.expect("host");
                    let port = s.read_u16().await.expect("port");
                    log.lock()
                        .expect("lock")
                        .push((String::from_utf8_lossy(&host).into_owned(), port));
                    let mut up = TcpStream::connect(target).await.expect("target");
                    s.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0])
                        .await
                        .expect("reply");
                    let _ = tokio::io::copy_bidirectional(&mut s, &mut up).await;
                });
            }
        });
        (addr, seen)
    }

    #[tokio::test]
    async fn a_clearnet_tsa_goes_through_the_socks5_upstream_with_its_name() {
        let (tsa, seen) = tsa_server("200 OK", REPLY_CONTENT_TYPE, b"through tor".to_vec()).await;
        let (socks, asked) = socks_upstream(tsa).await;
        let tor: Arc<dyn Transport> = Arc::new(Socks5Transport::new(socks).expect("loopback"));
        let url: Url = "http://tsa.example:3180/tsr".parse().expect("url");
        let body = post_timestamp_query(&url, b"query", Duration::from_secs(5), Some(&tor))
            .await
            .expect("reply");
        assert_eq!(body, b"through tor");
        assert_eq!(
            asked.lock().expect("lock").as_slice(),
            &[("tsa.example".to_string(), 3180)]
        );
        assert_eq!(seen.lock().expect("lock")[0].1, b"query");
    }
}
