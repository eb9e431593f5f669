//! Records for tests of the store and the index: a capture and an empty parsed page.

use centinela_parsers::records::{PageType, ParsedPage};

use super::Capture;
use crate::time::Timestamp;

/// A capture reference with only the hash and time that tests look at.
pub fn capture(sha: &str, at: i64) -> Capture {
    Capture {
        file: "f.warc.gz".into(),
        offset: 0,
        length: 1,
        record_id: "<urn:uuid:x>".into(),
        sha256: sha.into(),
        warc_date: String::new(),
        at: Timestamp(at),
    }
}

/// A parsed page with no records yet.
pub fn page(url: &str, page_type: PageType) -> ParsedPage {
    ParsedPage {
        url: url.into(),
        page_type,
        parser: "test".into(),
        listings: vec![],
        vendors: vec![],
        posts: vec![],
        entities: vec![],
        links: vec![],
        link_kinds: vec![],
    }
}
