//! Hand-written loopback HTTP/1.1 servers for misbehaviour tests: each connection's request
//! head is read, then a handler writes whatever it likes.

#![allow(dead_code)]

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// A request as received.
#[derive(Clone, Debug)]
pub struct Head {
    pub path: String,
    /// The whole head, lower-cased header names included as sent.
    pub text: String,
}

impl Head {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        self.text.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

pub struct RawServer {
    pub port: u16,
    pub accepts: Arc<AtomicUsize>,
    pub heads: Arc<Mutex<Vec<Head>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RawServer {
    pub fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }

    pub fn url(&self, path: &str) -> centinela_crawler::transport::Url {
        format!("http://127.0.0.1:{}{path}", self.port)
            .parse()
            .expect("url")
    }
}

async fn read_head(s: &mut TcpStream) -> Option<Head> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut byte).await.ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&byte[..n]);
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let path = text.split_whitespace().nth(1)?.to_string();
    Some(Head { path, text })
}

/// Serve on 127.0.0.1:0; `handler` gets each request head and the connection.
pub async fn serve<F, Fut>(handler: F) -> RawServer
where
    F: Fn(Head, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let accepts = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (a, h) = (accepts.clone(), heads.clone());
    let handler = Arc::new(handler);
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            a.fetch_add(1, Ordering::SeqCst);
            let (h, handler) = (h.clone(), handler.clone());
            tokio::spawn(async move {
                if let Some(head) = read_head(&mut stream).await {
                    h.lock().expect("heads").push(head.clone());
                    handler(head, stream).await;
                }
            });
        }
    });
    RawServer {
        port,
        accepts,
        heads,
        task,
    }
}
