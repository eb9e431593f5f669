//! Centinela's crawler crate.
//!
//! For now it holds [`transport`]: how pages are fetched — through Tor (embedded arti, or an
//! existing Tor client's SOCKS port) or, for loopback sample sites only, directly — with the
//! timeouts, size limits, isolation and failure classification the crawl relies on.
//!
//! ```no_run
//! use centinela_crawler::transport::{
//!     DirectTransport, FetchRequest, FetchSettings, Fetcher, IsolationKey, TransportConfig,
//! };
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = TransportConfig::default();
//! let fetcher = Fetcher::new(DirectTransport::new(Default::default()), FetchSettings::from_config(&config));
//! let url = "http://127.0.0.1:8080/".parse()?;
//! let page = fetcher.fetch(FetchRequest::new(url, IsolationKey::site("sample"))).await?;
//! println!("{} {} bytes ({})", page.status, page.body.len(), page.charset.label);
//! # Ok(()) }
//! ```

pub mod transport;
