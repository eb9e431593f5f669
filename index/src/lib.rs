//! Centinela's keeping side: what the crawl found, kept.
//!
//! [`store`] holds vendors, listings and posts in sled, with their history and reverse
//! maps from every crypto address, contact handle and PGP fingerprint to the records that
//! showed it, across sites. [`search`] is the Tantivy index over them (Spanish and English
//! analysis, exact identifier fields, filters, fuzzy vendor lookup), rebuilt from the store
//! whenever it is lost: the store is the source of truth. The crawl side never writes here directly: it sends
//! self-contained results, and the keeper applies them (DESIGN.md, "Data flow").
//!
//! [`watch`] matches every new or changed record against the watchlists and writes each
//! hit to the durable [`outbox`] before anything is sent; [`mail`] renders the alerts
//! (Spanish or English, text and HTML) and delivers them over SMTP or to a mailbox folder.

pub mod mail;
pub mod outbox;
pub mod search;
pub mod store;
pub mod time;
pub mod watch;

pub use store::{Store, StoreError};
