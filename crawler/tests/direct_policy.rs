//! The direct transport refuses onion URLs and non-loopback addresses before any socket is
//! opened: no HTTP client is built (every socket comes from one), the loopback resolver is
//! never asked, and a listener that would accept sees nothing.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use centinela_crawler::transport::{
    CircuitTag, DirectTransport, FailureKind, FetchError, FetchRequest, FetchSettings, Fetcher,
    IsolationKey, PolicyViolation, Scope, Transport, TransportKind, UrlPolicy,
};
use support::raw_http;
use tokio::io::AsyncWriteExt;

const MAPPED: &str = "fmy3lmrog4mkokadnrmidlpzz72tg5xgmlly2ruvlrgv25jsnqbwbkqd.onion";
const UNMAPPED: &str = "e5aumhzweooxjgaagvgdsiajzvvxnx5jvr254q3jfwxchqam2crca4id.onion";

/// The direct transport, counting the HTTP clients it builds.
struct Counting {
    inner: Arc<DirectTransport>,
    builds: Arc<AtomicUsize>,
}

impl Transport for Counting {
    fn kind(&self) -> TransportKind {
        self.inner.kind()
    }
    fn policy(&self) -> &UrlPolicy {
        self.inner.policy()
    }
    fn build_client(
        &self,
        tag: &CircuitTag,
        base: reqwest::ClientBuilder,
    ) -> Result<reqwest::Client, FetchError> {
        self.builds.fetch_add(1, Ordering::SeqCst);
        self.inner.build_client(tag, base)
    }
}

fn refusal(
    result: Result<centinela_crawler::transport::FetchResponse, FetchError>,
) -> PolicyViolation {
    match result {
        Err(FetchError::RefusedByPolicy(why)) => why,
        Err(e) => panic!("expected a policy refusal, got {} ({e})", e.kind()),
        Ok(r) => panic!("expected a policy refusal, got status {}", r.status),
    }
}

#[tokio::test]
async fn refused_urls_open_no_socket() {
    let server = raw_http::serve(|head, mut s| async move {
        let reply = if head.path == "/to-onion" {
            format!("HTTP/1.1 302 Found\r\nLocation: http://{UNMAPPED}/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        } else {
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_string()
        };
        let _ = s.write_all(reply.as_bytes()).await;
    })
    .await;
    let mut map = BTreeMap::new();
    map.insert(MAPPED.to_string(), server.port);
    let direct = Arc::new(DirectTransport::new(map));
    let builds = Arc::new(AtomicUsize::new(0));
    let fetcher = Fetcher::new(
        Counting {
            inner: direct.clone(),
            builds: builds.clone(),
        },
        FetchSettings::default(),
    );
    let key = IsolationKey::site("policy");
    let get = |url: String| {
        let req = FetchRequest::new(url.parse().expect("url"), key.clone());
        fetcher.fetch(req)
    };

    // An onion URL with the direct transport.
    let why = refusal(get(format!("http://{UNMAPPED}/index.html")).await);
    assert_eq!(why, PolicyViolation::OnionWithoutTor);
    let err = get(format!("https://{UNMAPPED}:8443/"))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), FailureKind::RefusedByPolicy);
    assert!(!err.is_retryable());
    assert!(
        !err.to_string().contains("e5aumhzw"),
        "onion host in the error: {err}"
    );

    // Non-loopback IP literals, and a name with no loopback mapping.
    for url in [
        "http://203.0.113.9/",
        "http://203.0.113.9:8080/x",
        "http://[2001:db8::9]/",
        "http://[::ffff:203.0.113.9]/",
        "http://0.0.0.0/",
        "http://10.1.2.3/",
    ] {
        assert_eq!(
            refusal(get(url.into()).await),
            PolicyViolation::NonLoopbackAddress,
            "{url}"
        );
    }
    assert_eq!(
        refusal(get("http://example.com/".into()).await),
        PolicyViolation::UnmappedHostName
    );

    assert_eq!(
        builds.load(Ordering::SeqCst),
        0,
        "an HTTP client was built for a refused URL"
    );
    assert_eq!(
        direct.resolver_lookups(),
        0,
        "the resolver was asked for a refused URL"
    );
    assert_eq!(
        server.accepts(),
        0,
        "a connection was made for a refused URL"
    );

    // Control: the counters do move for URLs that are allowed.
    let ok = get(format!("http://{MAPPED}/"))
        .await
        .expect("the mapped onion is served");
    assert_eq!(ok.body, b"ok");
    assert_eq!(ok.transport, "direct");
    assert_eq!(
        (
            builds.load(Ordering::SeqCst),
            direct.resolver_lookups(),
            server.accepts()
        ),
        (1, 1, 1)
    );

    // A redirect to an onion inside the scope is checked again and refused.
    let req = FetchRequest::new(server.url("/to-onion"), key.clone())
        .with_scope(Scope::new(["127.0.0.1", UNMAPPED]));
    assert_eq!(
        refusal(fetcher.fetch(req).await),
        PolicyViolation::OnionWithoutTor
    );
    assert_eq!(
        server.accepts(),
        2,
        "only the redirecting server was contacted"
    );
    assert_eq!(direct.resolver_lookups(), 1);
}

#[test]
fn socks5_transport_requires_loopback() {
    use centinela_crawler::transport::Socks5Transport;
    assert!(Socks5Transport::new(([203, 0, 113, 9], 9050).into()).is_err());
    assert!(Socks5Transport::new(([127, 0, 0, 1], 9050).into()).is_ok());
}
