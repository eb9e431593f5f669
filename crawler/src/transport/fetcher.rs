//! [`Fetcher`]: one page, fetched the way the safety rules and the crawl need it.
//!
//! For each request: the URL is checked by the transport's policy before anything is opened;
//! the (site, persona) client is leased; the request goes out with Tor Browser's headers and
//! the conditional headers; redirects are followed inside the scope, each target checked
//! again, at most [`FetchSettings::max_redirects`]; the body is read under both size caps;
//! the charset is detected. An attempt is bounded by the connect, first-byte and total
//! timeouts (`tokio::time`, so tests can pause the clock). Retryable failures are retried
//! with exponential backoff; after repeated failures the site/persona moves to a fresh
//! circuit.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, LOCATION};
use reqwest::{StatusCode, Url};
use tokio::time::{timeout, Instant};

use super::body::{read_body, BodyError, ContentEncoding};
use super::charset::{detect, Charset};
use super::classify::{classify, Phase};
use super::client::{base_builder, Transport};
use super::clients::{ClientPool, Lease};
use super::error::{FailureKind, FetchError, TimeoutPhase};
use super::isolation::IsolationKey;
use super::policy::{is_onion_host, Scope};
use super::settings::FetchSettings;
use super::socks_bridge::CircuitInfo;

/// What to fetch.
#[derive(Clone, Debug)]
pub struct FetchRequest {
    pub url: Url,
    /// Hosts redirects may lead to; empty: the URL's host only.
    pub scope: Scope,
    /// Whose cookie jar and circuits to use.
    pub isolation: IsolationKey,
    /// `If-None-Match` for a conditional re-fetch (the `ETag` seen last time).
    pub if_none_match: Option<String>,
    /// `If-Modified-Since` (the `Last-Modified` value seen last time, as sent).
    pub if_modified_since: Option<String>,
}

impl FetchRequest {
    /// A plain GET of `url` for `isolation`, scope = the URL's host.
    pub fn new(url: Url, isolation: IsolationKey) -> FetchRequest {
        FetchRequest {
            url,
            scope: Scope::default(),
            isolation,
            if_none_match: None,
            if_modified_since: None,
        }
    }

    /// The same request with a redirect scope.
    pub fn with_scope(mut self, scope: Scope) -> FetchRequest {
        self.scope = scope;
        self
    }
}

/// A fetched page. Any HTTP status counts as fetched (error pages are evidence too); use
/// [`FetchResponse::error_for_status`] to treat 4xx/5xx as failures.
#[derive(Clone, Debug)]
pub struct FetchResponse {
    /// The URL after in-scope redirects.
    pub final_url: Url,
    pub status: StatusCode,
    /// The headers as the server sent them (`Content-Encoding` and `Content-Length` kept).
    pub headers: HeaderMap,
    /// The body, decoded from `content_encoding`.
    pub body: Vec<u8>,
    pub charset: Charset,
    pub content_encoding: ContentEncoding,
    /// Body bytes received on the wire (before decoding).
    pub wire_bytes: u64,
    /// From the first attempt's start to the last body byte, pauses between retries included.
    pub elapsed: Duration,
    /// `arti`, `socks5` or `direct`.
    pub transport: &'static str,
    /// Attempts made (1 when the first one succeeded).
    pub attempts: u32,
    /// URLs that redirected, in order.
    pub redirects: Vec<Url>,
}

impl FetchResponse {
    /// The body as text, decoded with the detected charset.
    pub fn text(&self) -> Cow<'_, str> {
        self.charset
            .encoding()
            .decode_with_bom_removal(&self.body)
            .0
    }

    /// `Err(HttpStatus)` for 4xx and 5xx.
    pub fn error_for_status(self) -> Result<FetchResponse, FetchError> {
        if self.status.is_client_error() || self.status.is_server_error() {
            Err(FetchError::HttpStatus {
                status: self.status.as_u16(),
            })
        } else {
            Ok(self)
        }
    }
}

/// Fetches pages over one transport. Cheap to share (`Arc`); fetches run concurrently.
pub struct Fetcher {
    transport: Arc<dyn Transport>,
    settings: FetchSettings,
    clients: ClientPool,
    stats: FetchStats,
}

/// What the fetcher saw of the network since it started, for the daemon's metrics.
#[derive(Debug, Default)]
pub struct FetchStats {
    /// Attempts that failed building or using a Tor circuit (including onion services
    /// whose descriptor could not be found), retried or not.
    pub circuit_failures: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("transport", &self.transport.kind())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// A fetcher over `transport`.
    pub fn new(transport: impl Transport, settings: FetchSettings) -> Fetcher {
        Fetcher::with_shared(Arc::new(transport), settings)
    }

    /// A fetcher over a transport shared with others.
    pub fn with_shared(transport: Arc<dyn Transport>, settings: FetchSettings) -> Fetcher {
        Fetcher {
            transport,
            settings,
            clients: ClientPool::default(),
            stats: FetchStats::default(),
        }
    }

    pub fn stats(&self) -> &FetchStats {
        &self.stats
    }

    fn count_failure(&self, err: &FetchError) {
        if matches!(
            err.kind(),
            FailureKind::Circuit | FailureKind::OnionNotFound
        ) {
            self.stats
                .circuit_failures
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    pub fn transport(&self) -> &dyn Transport {
        self.transport.as_ref()
    }

    pub fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    /// Move `key` to fresh circuits now (e.g. after a captcha wall or a suspicious page).
    pub fn fresh_circuit(&self, key: &IsolationKey) {
        let old = self.clients.new_generation(key);
        self.transport.retire(&old);
    }

    /// The headers a request for `url` carries, for the evidence record of the request.
    /// Cookies are left out: they are the investigator's session secrets.
    pub fn request_headers(&self, req: &FetchRequest) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(host) = req.url.host_str() {
            let host = match req.url.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_string(),
            };
            out.push(("Host".to_string(), host));
        }
        for (name, value) in super::browser::default_headers(&self.settings.user_agent).iter() {
            out.push((
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ));
        }
        if let Some(v) = &req.if_none_match {
            out.push(("If-None-Match".to_string(), v.clone()));
        }
        if let Some(v) = &req.if_modified_since {
            out.push(("If-Modified-Since".to_string(), v.clone()));
        }
        out
    }

    /// Puts cookies exported from Tor Browser into `key`'s jar, so the crawl continues the
    /// investigator's logged-in session. Returns how many were loaded (expired ones are
    /// left out).
    pub fn add_cookies(&self, key: &IsolationKey, cookies: &[crate::cookies::Cookie]) -> usize {
        let jar = self.clients.jar(key);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut loaded = 0;
        for c in cookies.iter().filter(|c| !c.is_expired(now)) {
            if let Some(url) = c.url() {
                jar.add_cookie_str(&c.set_cookie_header(), &url);
                loaded += 1;
            }
        }
        loaded
    }

    /// The circuit `key`'s latest stream used, when the transport can tell (arti).
    pub fn circuit(&self, key: &IsolationKey) -> Option<CircuitInfo> {
        self.transport.circuit(&self.clients.current_tag(key))
    }

    /// Fetch `req`, retrying as the retry policy allows.
    pub async fn fetch(&self, req: FetchRequest) -> Result<FetchResponse, FetchError> {
        self.transport
            .policy()
            .check(&req.url)
            .map_err(FetchError::RefusedByPolicy)?;
        let started = Instant::now();
        let retry = self.settings.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let lease = self.clients.lease(&req.isolation, |tag, jar| {
                self.transport
                    .build_client(tag, base_builder(&self.settings, jar))
            })?;
            let total = self.settings.timeouts.total;
            let outcome = match timeout(total, self.attempt(&lease, &req)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(FetchError::Timeout {
                    phase: TimeoutPhase::Total,
                    after: total,
                }),
            };
            match outcome {
                Ok(mut response) => {
                    self.clients.record_success(&req.isolation);
                    response.attempts = attempt;
                    response.elapsed = started.elapsed();
                    tracing::debug!(
                        site = %req.isolation, status = response.status.as_u16(),
                        bytes = response.body.len(), attempt, "fetched"
                    );
                    return Ok(response);
                }
                Err(err) if err.is_retryable() && attempt < retry.max_attempts => {
                    let fresh = self
                        .clients
                        .record_failure(&req.isolation, retry.fresh_circuit_after);
                    if let Some(old) = &fresh {
                        self.transport.retire(old);
                    }
                    self.count_failure(&err);
                    let pause = retry.delay_before(attempt + 1);
                    tracing::info!(
                        site = %req.isolation, kind = %err.kind(), error = %err, attempt,
                        fresh_circuit = fresh.is_some(), ?pause, "fetch failed; will retry"
                    );
                    tokio::time::sleep(pause).await;
                }
                Err(err) => {
                    if err.is_retryable() {
                        self.clients
                            .record_failure(&req.isolation, retry.fresh_circuit_after)
                            .inspect(|old| self.transport.retire(old));
                    }
                    self.count_failure(&err);
                    tracing::info!(
                        site = %req.isolation, kind = %err.kind(), error = %err, attempt,
                        "fetch failed"
                    );
                    return Err(err);
                }
            }
        }
    }

    /// One attempt: request, in-scope redirects, body.
    async fn attempt(
        &self,
        lease: &Lease,
        req: &FetchRequest,
    ) -> Result<FetchResponse, FetchError> {
        let since = Instant::now();
        let timeouts = self.settings.timeouts;
        let mut url = req.url.clone();
        let mut redirects = Vec::new();
        loop {
            self.transport
                .policy()
                .check(&url)
                .map_err(FetchError::RefusedByPolicy)?;
            let onion = url.host_str().is_some_and(is_onion_host);
            let mut builder = lease.client.get(url.clone());
            if redirects.is_empty() {
                for (name, value) in [
                    ("if-none-match", &req.if_none_match),
                    ("if-modified-since", &req.if_modified_since),
                ] {
                    if let Some(v) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                        builder = builder.header(name, v);
                    }
                }
            }
            let head_deadline = timeouts.connect + timeouts.first_byte;
            let response = match timeout(head_deadline, builder.send()).await {
                Err(_) => {
                    return Err(FetchError::Timeout {
                        phase: TimeoutPhase::FirstByte,
                        after: since.elapsed(),
                    })
                }
                Ok(Err(e)) => {
                    let t = self.transport.as_ref();
                    return Err(classify(e, Phase::Send, t, &lease.tag, since, onion));
                }
                Ok(Ok(r)) => r,
            };
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let next = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|loc| url.join(loc).ok());
                if let Some(next) = next.filter(|n| req.scope.allows(&url, n)) {
                    if redirects.len() >= self.settings.max_redirects {
                        return Err(FetchError::TooManyRedirects {
                            max: self.settings.max_redirects,
                        });
                    }
                    redirects.push(std::mem::replace(&mut url, next));
                    continue;
                }
            }
            return self
                .finish(lease, response, url, redirects, since, onion)
                .await;
        }
    }

    /// Read and decode the body of the final response.
    async fn finish(
        &self,
        lease: &Lease,
        response: reqwest::Response,
        final_url: Url,
        redirects: Vec<Url>,
        since: Instant,
        onion: bool,
    ) -> Result<FetchResponse, FetchError> {
        let (max_body, max_decoded) = (
            self.settings.max_body_bytes,
            self.settings.max_decoded_bytes,
        );
        if response.content_length().is_some_and(|n| n > max_body) {
            return Err(FetchError::TooLarge {
                limit: super::error::Limit::Body,
                max: max_body,
            });
        }
        let status = response.status();
        let headers = response.headers().clone();
        let header_text = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let encoding =
            ContentEncoding::from_header(header_text(CONTENT_ENCODING)).map_err(|v| {
                FetchError::Protocol {
                    detail: format!("unsupported Content-Encoding {v:?}"),
                }
            })?;
        let body = read_body(response, encoding, max_body, max_decoded)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge(limit) => FetchError::TooLarge {
                    limit,
                    max: match limit {
                        super::error::Limit::Body => max_body,
                        super::error::Limit::Decoded => max_decoded,
                    },
                },
                BodyError::Transport(err) => {
                    let t = self.transport.as_ref();
                    classify(err, Phase::Body, t, &lease.tag, since, onion)
                }
                BodyError::Decode(detail) => FetchError::Protocol { detail },
            })?;
        let charset = detect(header_text(CONTENT_TYPE), &body.bytes);
        Ok(FetchResponse {
            final_url,
            status,
            charset,
            content_encoding: encoding,
            wire_bytes: body.wire_bytes,
            body: body.bytes,
            headers,
            elapsed: since.elapsed(),
            transport: self.transport.kind().label(),
            attempts: 1,
            redirects,
        })
    }
}
