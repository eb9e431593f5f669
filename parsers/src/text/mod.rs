//! Turning what a page says into text the extractors can scan, without losing track of
//! where each character came from.
//!
//! Both steps here rewrite text: [`html`] drops markup and decodes entities, [`normalize`]
//! undoes the tricks vendors use against scrapers (zero-width characters, full-width
//! digits). Each returns an [`OffsetMap`] so a match found in the rewritten text can be
//! reported at its byte offsets in the original input, which is what evidence needs.

mod entities;
pub mod html;
pub mod normalize;
mod offsets;

pub use offsets::OffsetMap;
