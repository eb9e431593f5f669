//! Test support (feature `testing`): a real OpenSSL Time-Stamping Authority in a
//! temporary directory, and a loopback-only HTTP front for it.
//!
//! Why OpenSSL and not a TSA of our own: a token we minted ourselves would only prove
//! that our verifier agrees with our signer. `openssl ts -reply` is an independent
//! implementation that real TSAs are built on, and `openssl ts -verify` an independent
//! checker, so tests against them catch encoding mistakes on either side.
//!
//! ```no_run
//! use centinela_timestamp::testing::{openssl_or_skip, KeyKind, OpensslTsa, post_query};
//! if !openssl_or_skip("my_test") { return; }
//! let tsa = std::sync::Arc::new(OpensslTsa::new(KeyKind::Rsa).expect("TSA"));
//! let server = tsa.serve().expect("server");           // http://127.0.0.1:PORT/tsa
//! let digest = [7u8; 32];
//! let reply = post_query(&server.url(), &centinela_timestamp::request(&digest, 1)).expect("reply");
//! let token = centinela_timestamp::parse_response(&reply).expect("granted");
//! centinela_timestamp::verify(&token.der, &digest, Some(1)).expect("valid");
//! ```
//!
//! Networking here is 127.0.0.1 only: the server binds the loopback address and
//! [`post_query`] refuses any other host.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Set to `1` (as CI does) to make a missing `openssl` a test failure instead of a skip.
pub const REQUIRE_OPENSSL_ENV: &str = "CENTINELA_REQUIRE_OPENSSL";

/// The policy OID the test TSA stamps with.
pub const TEST_POLICY: &str = "1.2.3.4.1";

/// Whether an `openssl` binary answers `openssl version`.
pub fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `true` when OpenSSL can be used. Otherwise prints why `test` is skipped and returns
/// `false` — or panics when [`REQUIRE_OPENSSL_ENV`] is `1`, so CI cannot pass by
/// silently skipping.
pub fn openssl_or_skip(test: &str) -> bool {
    if openssl_available() {
        return true;
    }
    if std::env::var(REQUIRE_OPENSSL_ENV).is_ok_and(|v| v == "1") {
        panic!("{test}: `openssl` is not installed but {REQUIRE_OPENSSL_ENV}=1 (apt-get install openssl)");
    }
    eprintln!(
        "SKIP {test}: `openssl` is not installed (set {REQUIRE_OPENSSL_ENV}=1 to fail instead)"
    );
    false
}

/// The TSA's key type. The CA is made with the same kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA 2048, signed with SHA-256, ESS signingCertificate (v1, SHA-1 cert ID).
    Rsa,
    /// ECDSA P-256 with SHA-256, ESS signingCertificateV2 (SHA-256 cert ID).
    EcP256,
    /// ECDSA P-384 with SHA-384, ESS signingCertificateV2 (SHA-256 cert ID).
    EcP384,
}

impl KeyKind {
    fn genpkey_args(self) -> &'static [&'static str] {
        match self {
            KeyKind::Rsa => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            KeyKind::EcP256 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            KeyKind::EcP384 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        }
    }

    fn label(self) -> &'static str {
        match self {
            KeyKind::Rsa => "RSA",
            KeyKind::EcP256 => "P-256",
            KeyKind::EcP384 => "P-384",
        }
    }

    fn signer_digest(self) -> &'static str {
        match self {
            KeyKind::Rsa | KeyKind::EcP256 => "sha256",
            KeyKind::EcP384 => "sha384",
        }
    }

    fn ess_cert_id_alg(self) -> &'static str {
        match self {
            KeyKind::Rsa => "sha1",
            KeyKind::EcP256 | KeyKind::EcP384 => "sha256",
        }
    }
}

/// A throw-away TSA: a test CA, a TSA certificate (extendedKeyUsage critical
/// timeStamping) issued by it, and an `openssl.cnf` with a `[tsa]` section, all in a
/// temporary directory removed on drop.
pub struct OpensslTsa {
    dir: PathBuf,
    kind: KeyKind,
    /// Serialises `openssl ts -reply` runs: they share the serial-number file.
    replies: Mutex<u64>,
}

static DIR_COUNTER: AtomicUsize = AtomicUsize::new(0);

impl OpensslTsa {
    /// Creates the CA, the TSA key and certificate. Takes well under a second with EC
    /// keys, about a second with RSA.
    pub fn new(kind: KeyKind) -> io::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "centinela-tsa-{}-{}-{nanos}",
            std::process::id(),
            DIR_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let tsa = OpensslTsa {
            dir,
            kind,
            replies: Mutex::new(0),
        };
        tsa.setup()?;
        Ok(tsa)
    }

    fn setup(&self) -> io::Result<()> {
        let dir = self
            .dir
            .to_str()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "temp dir is not UTF-8"))?;
        std::fs::write(self.dir.join("openssl.cnf"), self.config_text(dir))?;
        std::fs::write(self.dir.join("tsaserial"), "01\n")?;
        let genpkey = |out: &str| {
            let mut args = vec!["genpkey"];
            args.extend_from_slice(self.kind.genpkey_args());
            args.extend(["-out", out]);
            self.openssl_ok(&args)
        };
        genpkey("ca.key")?;
        self.openssl_ok(&[
            "req",
            "-config",
            "openssl.cnf",
            "-new",
            "-x509",
            "-key",
            "ca.key",
            "-days",
            "3650",
            "-subj",
            "/C=PE/O=Centinela Test/CN=Centinela Test CA",
            "-extensions",
            "ca_ext",
            "-out",
            "ca.pem",
        ])?;
        genpkey("tsa.key")?;
        let subject = format!(
            "/C=PE/O=Centinela Test/CN=Centinela Test TSA {}",
            self.kind.label()
        );
        self.openssl_ok(&[
            "req",
            "-config",
            "openssl.cnf",
            "-new",
            "-key",
            "tsa.key",
            "-subj",
            &subject,
            "-out",
            "tsa.csr",
        ])?;
        self.openssl_ok(&[
            "x509",
            "-req",
            "-in",
            "tsa.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "0x1001",
            "-days",
            "3650",
            "-extfile",
            "openssl.cnf",
            "-extensions",
            "tsa_ext",
            "-out",
            "tsa.pem",
        ])?;
        Ok(())
    }

    fn config_text(&self, dir: &str) -> String {
        format!(
            r#"# Written by centinela_timestamp::testing for a throw-away test TSA.
[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = unused

[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ tsa_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = {digest}
default_policy = {TEST_POLICY}
other_policies = 1.2.3.4.5.6
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500, microsecs:100
clock_precision_digits = 3
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = {ess}
"#,
            digest = self.kind.signer_digest(),
            ess = self.kind.ess_cert_id_alg(),
        )
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The temporary directory holding everything below.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The test CA certificate (PEM): the trust anchor for `openssl ts -verify -CAfile`.
    pub fn ca_cert(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// The TSA certificate (PEM).
    pub fn tsa_cert(&self) -> PathBuf {
        self.dir.join("tsa.pem")
    }

    /// The TSA private key (PEM).
    pub fn tsa_key(&self) -> PathBuf {
        self.dir.join("tsa.key")
    }

    /// The `openssl.cnf` with the `[tsa]` section.
    pub fn config(&self) -> PathBuf {
        self.dir.join("openssl.cnf")
    }

    /// Runs `openssl ARGS` in [`Self::dir`] with `OPENSSL_CONF` pointing at our config,
    /// returning its output whatever the exit status (for cross-checks that expect a
    /// failure).
    pub fn openssl(&self, args: &[&str]) -> io::Result<Output> {
        Command::new("openssl")
            .args(args)
            .current_dir(&self.dir)
            .env("OPENSSL_CONF", self.config())
            .stdin(Stdio::null())
            .output()
    }

    /// Like [`Self::openssl`], but a non-zero exit is an error carrying stderr.
    pub fn openssl_ok(&self, args: &[&str]) -> io::Result<Output> {
        let out = self.openssl(args)?;
        if out.status.success() {
            Ok(out)
        } else {
            Err(io::Error::other(format!(
                "openssl {} failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }

    /// Answers a DER TimeStampReq with
    /// `openssl ts -reply -queryfile Q -config openssl.cnf -inkey tsa.key -signer tsa.pem`.
    /// Requests OpenSSL refuses (e.g. an unsupported digest) yield a DER rejection
    /// response, just as from a real TSA.
    pub fn reply(&self, query_der: &[u8]) -> io::Result<Vec<u8>> {
        let mut n = self
            .replies
            .lock()
            .map_err(|_| io::Error::other("an earlier reply panicked"))?;
        *n += 1;
        let query = format!("query-{n}.der");
        let response = format!("response-{n}.der");
        std::fs::write(self.dir.join(&query), query_der)?;
        self.openssl_ok(&[
            "ts",
            "-reply",
            "-config",
            "openssl.cnf",
            "-section",
            "tsa_config",
            "-queryfile",
            &query,
            "-inkey",
            "tsa.key",
            "-signer",
            "tsa.pem",
            "-out",
            &response,
        ])?;
        std::fs::read(self.dir.join(&response))
    }

    /// Serves [`Self::reply`] over HTTP on 127.0.0.1 (an ephemeral port) until the
    /// returned server is dropped.
    pub fn serve(self: &Arc<Self>) -> io::Result<TsaServer> {
        let tsa = Arc::clone(self);
        TsaServer::serve_with(move |query| tsa.reply(query))
    }
}

impl Drop for OpensslTsa {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A minimal RFC 3161 §3.4 HTTP front on 127.0.0.1: `POST` with
/// `Content-Type: application/timestamp-query`, answered `200` with
/// `Content-Type: application/timestamp-reply`. One connection at a time; stops (and
/// joins its thread) on drop.
pub struct TsaServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

/// Larger than any TimeStampReq; protects the test server from runaway bodies.
const MAX_BODY: usize = 64 * 1024;

impl TsaServer {
    /// Serves any `handler` (query DER in, response DER out): lets a test return a
    /// crafted or tampered response, or an `Err` to get an HTTP 500.
    pub fn serve_with<F>(handler: F) -> io::Result<Self>
    where
        F: Fn(&[u8]) -> io::Result<Vec<u8>> + Send + 'static,
    {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicUsize::new(0));
        let thread = {
            let stop = Arc::clone(&stop);
            let served = Arc::clone(&served);
            std::thread::Builder::new()
                .name("test-tsa-http".into())
                .spawn(move || {
                    // Polling instead of a blocking accept lets drop stop the thread
                    // without connecting to ourselves.
                    while !stop.load(Ordering::Relaxed) {
                        match listener.accept() {
                            Ok((stream, _)) => {
                                if handle_connection(stream, &handler).is_ok() {
                                    served.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            Err(_) => std::thread::sleep(Duration::from_millis(10)),
                        }
                    }
                })?
        };
        Ok(TsaServer {
            addr,
            stop,
            served,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/tsa`.
    pub fn url(&self) -> String {
        format!("http://{}/tsa", self.addr)
    }

    /// How many requests got an HTTP answer (of any status).
    pub fn requests_served(&self) -> usize {
        self.served.load(Ordering::Relaxed)
    }
}

impl Drop for TsaServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn handle_connection<F>(mut stream: TcpStream, handler: &F) -> io::Result<()>
where
    F: Fn(&[u8]) -> io::Result<Vec<u8>>,
{
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let (head, mut body) = read_head(&mut stream)?;
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut content_length = None;
    let mut content_type = String::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.trim().parse::<usize>().ok(),
                "content-type" => content_type = value.trim().to_ascii_lowercase(),
                _ => {}
            }
        }
    }
    if !request_line.starts_with("POST ") {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"POST only\n",
        );
    }
    if content_type != "application/timestamp-query" {
        return respond(
            &mut stream,
            "415 Unsupported Media Type",
            "text/plain",
            b"expected application/timestamp-query\n",
        );
    }
    let Some(len) = content_length.filter(|&l| l <= MAX_BODY) else {
        return respond(
            &mut stream,
            "411 Length Required",
            "text/plain",
            b"bad length\n",
        );
    };
    while body.len() < len {
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "short body"));
        }
        body.extend_from_slice(&buf[..n]);
    }
    body.truncate(len);
    match handler(&body) {
        Ok(reply) => respond(&mut stream, "200 OK", "application/timestamp-reply", &reply),
        Err(e) => respond(
            &mut stream,
            "500 Internal Server Error",
            "text/plain",
            format!("{e}\n").as_bytes(),
        ),
    }
}

/// Reads up to the blank line; returns the head and whatever body bytes came with it.
fn read_head(stream: &mut TcpStream) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let body = data.split_off(end + 4);
            data.truncate(end);
            return Ok((data, body));
        }
        if data.len() > 16 * 1024 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "header too large",
            ));
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no request"));
        }
        data.extend_from_slice(&buf[..n]);
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// POSTs a DER TimeStampReq to a loopback `http://127.0.0.1:PORT/...` URL (as RFC 3161
/// §3.4 describes) and returns the DER reply body. Any host other than a loopback IP
/// literal is refused, any status other than 200 or another content type is an error.
pub fn post_query(url: &str, query_der: &[u8]) -> io::Result<Vec<u8>> {
    let invalid = |why: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("{url}: {why}"));
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| invalid("only http:// URLs"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr: SocketAddr = authority
        .parse()
        .map_err(|_| invalid("the host must be an IP literal with a port"))?;
    if !addr.ip().is_loopback() {
        return Err(invalid("test helper: loopback addresses only"));
    }
    // Test support only, loopback checked just above: the project's rule that sockets
    // are opened only in crawler::transport is about reaching the outside world.
    #[allow(clippy::disallowed_methods)]
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/timestamp-query\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        query_der.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(query_der)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no HTTP header end"))?;
    let head = String::from_utf8_lossy(&response[..end]).into_owned();
    let body = response.split_off(end + 4);
    let status_line = head.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) != Some("200") {
        return Err(io::Error::other(format!(
            "{url}: {status_line}: {}",
            String::from_utf8_lossy(&body).trim()
        )));
    }
    let content_type = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.trim().to_ascii_lowercase());
    if content_type.as_deref() != Some("application/timestamp-reply") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{url}: content type {content_type:?}, not application/timestamp-reply"),
        ));
    }
    Ok(body)
}
