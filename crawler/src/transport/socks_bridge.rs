//! An in-process SOCKS5 server on 127.0.0.1 that carries reqwest's connections into arti.
//!
//! **Why a bridge.** reqwest cannot take a custom connector: its `connector_layer` hook may
//! only wrap reqwest's own TCP connector and must return reqwest's private `Conn` type, so an
//! arti `DataStream` cannot be handed to it. What reqwest does support is a SOCKS5 proxy with
//! remote name resolution (`socks5h`). So reqwest talks SOCKS5 to this bridge on loopback, and
//! the bridge opens the stream with `TorClient::connect_with_prefs`: host names — onion or not
//! — are resolved inside Tor, never locally.
//!
//! **Why authentication.** A listening socket on 127.0.0.1 is reachable by every local
//! process and user. Without a password any of them could use our Tor client, and could pick
//! our isolation usernames to get onto the circuits of the sites we crawl. The bridge therefore
//! demands RFC 1929 username/password authentication with a random per-process secret that
//! only this process knows. The *username* carries the isolation: one arti
//! [`IsolationToken`] per username, so one (site, persona, generation) never shares a circuit
//! with another.
//!
//! **Failure reporting.** SOCKS reply codes are too coarse (and reqwest hides them), so the
//! bridge records, per username, the arti error kind of the last failed connection or
//! transfer ([`StreamFailure`]); the fetcher reads it to classify a failure as "onion
//! descriptor not found", "circuit failure" or "timeout". It also records the circuit each
//! username's latest stream used ([`CircuitInfo`]), for diagnostics and tests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arti_client::{DataStream, ErrorKind, HasKind, IsolationToken, StreamPrefs, TorClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tor_rtcompat::PreferredRuntime;

use super::error::{redact, FailureKind};
use super::isolation::Secret;
use super::socks_proto::{self, Reply, Request};

/// How long a local client may take over the SOCKS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Streams carried at once; further clients wait for a permit.
const MAX_STREAMS: usize = 512;
/// Usernames remembered before the records are cleared (bounds memory).
const MAX_USERNAMES: usize = 10_000;

/// Where a bridged stream failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Opening the Tor stream (circuit, descriptor, exit connection).
    Connect,
    /// After the stream was open, while bytes were flowing.
    Transfer,
}

/// The last failure seen for one username.
#[derive(Clone, Debug)]
pub struct StreamFailure {
    pub at: Instant,
    pub stage: Stage,
    pub kind: FailureKind,
    /// arti's error kind, e.g. `OnionServiceNotFound`.
    pub arti_kind: String,
    /// arti's description, redacted (arti scrubs addresses itself; [`redact`] is a second net).
    pub detail: String,
}

/// The circuit a username's latest stream went over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircuitInfo {
    /// arti's process-unique id of the circuit (tunnel).
    pub id: String,
    /// RSA identities (40 upper-case hex digits) of the relays, first hop first. Virtual
    /// hops (the onion service end) have none and are left out.
    pub relays: Vec<String>,
}

#[derive(Default)]
struct Records {
    tokens: HashMap<String, IsolationToken>,
    failures: HashMap<String, StreamFailure>,
    circuits: HashMap<String, CircuitInfo>,
}

struct Shared {
    tor: Arc<TorClient<PreferredRuntime>>,
    secret: Secret,
    records: Mutex<Records>,
    permits: Semaphore,
}

/// The running bridge; stops accepting when dropped.
pub struct SocksBridge {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_task: tokio::task::JoinHandle<()>,
}

impl Drop for SocksBridge {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

impl SocksBridge {
    /// Bind 127.0.0.1:0 and start accepting (inside a tokio runtime).
    pub async fn start(tor: Arc<TorClient<PreferredRuntime>>) -> std::io::Result<SocksBridge> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            tor,
            secret: Secret::random(),
            records: Mutex::new(Records::default()),
            permits: Semaphore::new(MAX_STREAMS),
        });
        let accept_shared = Arc::clone(&shared);
        let accept_task = tokio::spawn(async move {
            loop {
                let (tcp, _) = match listener.accept().await {
                    Ok(conn) => conn,
                    Err(e) => {
                        tracing::warn!(error = %e, "SOCKS bridge accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let shared = Arc::clone(&accept_shared);
                tokio::spawn(async move { serve(shared, tcp).await });
            }
        });
        tracing::debug!(%addr, "SOCKS bridge into arti listening");
        Ok(SocksBridge {
            addr,
            shared,
            accept_task,
        })
    }

    /// The proxy URL for reqwest: `socks5h://<username>:<secret>@127.0.0.1:<port>`.
    /// Contains the secret: never log it.
    pub fn proxy_url(&self, username: &str) -> String {
        format!(
            "socks5h://{username}:{}@{}",
            self.shared.secret.expose(),
            self.addr
        )
    }

    /// The bridge's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The last failure recorded for `username` at or after `since`.
    pub fn failure_since(&self, username: &str, since: Instant) -> Option<StreamFailure> {
        let records = self.shared.records.lock().ok()?;
        records
            .failures
            .get(username)
            .filter(|f| f.at >= since)
            .cloned()
    }

    /// The circuit of `username`'s latest stream.
    pub fn circuit(&self, username: &str) -> Option<CircuitInfo> {
        let records = self.shared.records.lock().ok()?;
        records.circuits.get(username).cloned()
    }

    /// Forget a username (its isolation token too: it must not be used again).
    pub fn forget(&self, username: &str) {
        if let Ok(mut r) = self.shared.records.lock() {
            r.tokens.remove(username);
            r.failures.remove(username);
            r.circuits.remove(username);
        }
    }
}

/// arti's error kinds, as the fetcher's failure kinds.
pub fn classify_arti(kind: ErrorKind) -> FailureKind {
    use ErrorKind as K;
    match kind {
        K::OnionServiceNotFound | K::OnionServiceNotRunning => FailureKind::OnionNotFound,
        K::TorNetworkTimeout | K::RemoteNetworkTimeout | K::ExitTimeout => FailureKind::Timeout,
        K::RemoteConnectionRefused
        | K::RemoteHostNotFound
        | K::RemoteHostResolutionFailed
        | K::RemoteNetworkFailed
        | K::ExitPolicyRejected => FailureKind::Connect,
        K::ForbiddenStreamTarget
        | K::InvalidStreamTarget
        | K::OnionServiceAddressInvalid
        | K::OnionServiceMissingClientAuth
        | K::OnionServiceWrongClientAuth => FailureKind::Protocol,
        _ => FailureKind::Circuit,
    }
}

fn reply_for(kind: FailureKind) -> Reply {
    match kind {
        FailureKind::OnionNotFound => Reply::HostUnreachable,
        FailureKind::Timeout => Reply::TtlExpired,
        FailureKind::Connect => Reply::ConnectionRefused,
        FailureKind::Protocol | FailureKind::RefusedByPolicy => Reply::NotAllowed,
        _ => Reply::GeneralFailure,
    }
}

impl Shared {
    fn token(&self, username: &str) -> IsolationToken {
        let Ok(mut r) = self.records.lock() else {
            return IsolationToken::new(); // a poisoned lock: isolate this stream alone
        };
        if r.tokens.len() >= MAX_USERNAMES && !r.tokens.contains_key(username) {
            *r = Records::default();
        }
        *r.tokens
            .entry(username.to_string())
            .or_insert_with(IsolationToken::new)
    }

    fn record_failure(
        &self,
        username: &str,
        stage: Stage,
        kind: FailureKind,
        arti_kind: String,
        detail: String,
    ) {
        if let Ok(mut r) = self.records.lock() {
            r.failures.insert(
                username.to_string(),
                StreamFailure {
                    at: Instant::now(),
                    stage,
                    kind,
                    arti_kind,
                    detail,
                },
            );
        }
    }

    fn record_circuit(&self, username: &str, stream: &DataStream) {
        use tor_linkspec::HasRelayIds;
        use tor_proto::client::stream::ClientStreamCtrl;
        let Some(tunnel) = stream.client_stream_ctrl().and_then(|c| c.tunnel()) else {
            return;
        };
        let relays = tunnel
            .all_paths()
            .iter()
            .flat_map(|path| {
                path.iter()
                    .filter_map(|hop| {
                        hop.as_chan_target()?
                            .rsa_identity()
                            .map(|id| id.as_hex_upper())
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let info = CircuitInfo {
            id: tunnel.unique_id().to_string(),
            relays,
        };
        if let Ok(mut r) = self.records.lock() {
            r.circuits.insert(username.to_string(), info);
        }
    }
}

/// One local client: handshake, open the Tor stream, pipe bytes.
async fn serve(shared: Arc<Shared>, mut tcp: TcpStream) {
    let Ok(_permit) = shared.permits.acquire().await else {
        return;
    };
    let _ = tcp.set_nodelay(true);
    let request = match tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        socks_proto::server_handshake(&mut tcp, shared.secret.expose()),
    )
    .await
    {
        Ok(Ok(Some(request))) => request,
        Ok(Ok(None)) => return, // refused; the reply was sent
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "SOCKS bridge: bad handshake");
            return;
        }
        Err(_) => return,
    };
    let Request {
        username,
        host,
        port,
    } = request;
    let mut prefs = StreamPrefs::new();
    prefs.set_isolation(shared.token(&username));
    if super::policy::is_onion_host(&host) {
        prefs.connect_to_onion_services(arti_client::config::BoolOrAuto::Explicit(true));
    }
    // Open the stream, unless the local client gives up first (its connect timeout).
    let connect = shared.tor.connect_with_prefs((host.as_str(), port), &prefs);
    let stream = tokio::select! {
        result = connect => result,
        _ = socks_proto::wait_for_eof(&tcp) => return,
    };
    let stream = match stream {
        Ok(stream) => stream,
        Err(e) => {
            let kind = classify_arti(e.kind());
            tracing::debug!(arti_kind = %e.kind(), %kind, "Tor stream failed to open");
            let detail = redact(&e);
            shared.record_failure(
                &username,
                Stage::Connect,
                kind,
                format!("{:?}", e.kind()),
                detail,
            );
            let _ = socks_proto::send_reply(&mut tcp, reply_for(kind)).await;
            return;
        }
    };
    shared.record_circuit(&username, &stream);
    if socks_proto::send_reply(&mut tcp, Reply::Succeeded)
        .await
        .is_err()
    {
        return;
    }
    if let Err((arti_kind, detail)) = pipe(tcp, stream).await {
        let kind = arti_kind.map_or(FailureKind::Circuit, classify_arti);
        let label = arti_kind.map_or_else(|| "stream error".into(), |k| format!("{k:?}"));
        tracing::debug!(arti_kind = %label, %detail, "Tor stream broke during transfer");
        shared.record_failure(&username, Stage::Transfer, kind, label, detail);
    }
}

/// Copy both ways until either side ends. `Err` only for a failure on the Tor side (with
/// arti's error kind when it can be told, and the redacted error); local errors just end
/// the stream.
async fn pipe(tcp: TcpStream, stream: DataStream) -> Result<(), (Option<ErrorKind>, String)> {
    let (mut tor_r, mut tor_w) = stream.split();
    let (mut tcp_r, mut tcp_w) = tcp.into_split();
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match tcp_r.read(&mut buf).await {
                Ok(0) | Err(_) => return Ok(()),
                Ok(n) => n,
            };
            let sent = async {
                tor_w.write_all(&buf[..n]).await?;
                tor_w.flush().await
            };
            sent.await.map_err(|e| (tor_kind(&e), redact(&e)))?;
        }
    };
    let down = async {
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            let n = match tor_r.read(&mut buf).await {
                Ok(0) => {
                    let _ = tcp_w.shutdown().await;
                    return Ok(());
                }
                Ok(n) => n,
                Err(e) => return Err((tor_kind(&e), redact(&e))),
            };
            if tcp_w.write_all(&buf[..n]).await.is_err() {
                return Ok(());
            }
        }
    };
    tokio::select! {
        r = up => r,
        r = down => r,
    }
}

/// arti's error kind inside an I/O error from a Tor stream, when it carries one.
fn tor_kind(e: &std::io::Error) -> Option<ErrorKind> {
    let inner = e.get_ref()?;
    if let Some(err) = inner.downcast_ref::<tor_proto::Error>() {
        return Some(err.kind());
    }
    inner
        .downcast_ref::<Arc<tor_proto::Error>>()
        .map(|err| err.kind())
}
