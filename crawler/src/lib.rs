//! Centinela's crawler crate: how pages are fetched ([`transport`]), which to fetch next
//! ([`frontier`]), and the crawl engine that ties them to capture and parsing
//! ([`engine`]). It produces self-contained [`message::CrawlMessage`]s; keeping them (the
//! entity store, index, alerts) is the `index` crate's job, on the other side of a
//! channel.
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

pub mod canon;
mod commit;
pub mod cookies;
pub mod engine;
pub mod frontier;
pub mod message;
pub mod schedule;
pub mod transport;
pub mod traps;
pub mod warc;
