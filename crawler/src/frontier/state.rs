//! What the frontier keeps per URL, per fetched page and per site.

use serde::{Deserialize, Serialize};

/// Fetch order within a site: lower first. Listings and vendor profiles are what
/// investigators need; pagination leads to more of them; the rest comes last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum LinkPriority {
    Start = 0,
    Record = 1,
    NextPage = 2,
    Other = 3,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UrlState {
    Queued { seq: u64 },
    InFlight { seq: u64 },
    Done { status: u16 },
    Failed { kind: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlEntry {
    pub site: String,
    /// The pass this URL was last queued in.
    pub pass: u32,
    pub depth: u32,
    pub priority: LinkPriority,
    pub state: UrlState,
}

/// What a recrawl needs to know of a page fetched before: validators for a conditional
/// request, the content hash, and the links, so an unchanged page is not parsed again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageMemo {
    pub status: u16,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// SHA-256 (hex) of the body last fetched.
    pub sha256: Option<String>,
    pub page_type: Option<String>,
    pub links: Vec<(String, LinkPriority)>,
    pub fetched_at: i64,
}

/// A URL handed to a worker.
#[derive(Clone, Debug)]
pub struct Job {
    pub url: String,
    pub depth: u32,
    pub priority: LinkPriority,
    pub pass: u32,
    /// What we know of the page from an earlier fetch.
    pub memo: Option<PageMemo>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SiteStatus {
    #[default]
    Active,
    /// A login wall, captcha or DDoS queue stopped the crawl; a person must look.
    NeedsHuman {
        url: String,
        page_type: String,
        at: i64,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteState {
    pub pass: u32,
    pub started: i64,
    /// When the pass ended; `None` while it runs (or was interrupted).
    pub finished: Option<i64>,
    /// Whether the pass ended with an empty queue rather than a page budget.
    pub complete: bool,
    /// Pages finished in this pass.
    pub fetched: u32,
    pub status: SiteStatus,
}

/// The pass a crawl works on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassInfo {
    pub pass: u32,
    pub started: i64,
    /// A pass a previous process left unfinished.
    pub resumed: bool,
    pub status: SiteStatus,
}
