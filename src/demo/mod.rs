//! The sample sites of `samples/`, served on loopback under their onion host names, and
//! the configuration that crawls them with the direct transport. Used by `centinela demo`
//! and by the tests; never by a real crawl.

pub mod manifest;
pub mod server;
