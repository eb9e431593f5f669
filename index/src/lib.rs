//! Centinela's keeping side: what the crawl found, kept.
//!
//! [`store`] holds vendors, listings and posts in sled, with their history and reverse
//! maps from every crypto address, contact handle and PGP fingerprint to the records that
//! showed it, across sites. [`search`] is the Tantivy index over them (Spanish and English
//! analysis, exact identifier fields, filters, fuzzy vendor lookup), rebuilt from the store
//! whenever it is lost: the store is the source of truth. The crawl side never writes here directly: it sends
//! self-contained results, and the keeper applies them (DESIGN.md, "Data flow").

pub mod search;
pub mod store;
pub mod time;

pub use store::{Store, StoreError};
