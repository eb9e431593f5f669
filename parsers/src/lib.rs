//! Everything Centinela learns from a page without touching the network.
//!
//! The extractors answer an investigator's first questions about any text: which wallets
//! ([`crypto`]), which onion mirrors ([`onion`]), which PGP keys ([`pgp`]), which phone,
//! e-mail or messaging handles ([`contacts`]) and whether it points at Peru ([`peru`]).
//! [`Extractor`] runs them all over plain text or HTML and returns [`Entity`] values whose
//! byte offsets always refer to the input as it was given, even after the de-obfuscation
//! ([`text::normalize`]) and HTML reduction ([`text::html`]) steps rewrote it.
//!
//! ```
//! use centinela_parsers::{Extractor, Entity};
//! let extractor = Extractor::with_default_lexicon();
//! let found = extractor.extract_text("Pago en BTC: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2");
//! assert!(matches!(&found[0], Entity::CryptoAddress { coin, .. } if coin == "BTC"));
//! ```

pub mod classify;
pub mod contacts;
pub mod crypto;
pub mod entity;
pub mod eval;
pub mod extract;
pub mod generic;
pub mod onion;
pub mod page;
pub mod peru;
pub mod pgp;
pub mod price;
pub mod records;
pub mod registry;
pub mod selector;
pub mod templates;
pub mod text;

pub use entity::Entity;
pub use extract::Extractor;
