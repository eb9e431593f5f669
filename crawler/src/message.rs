//! What the crawl side sends to the keeping side: self-contained, serde-serializable
//! results, so the channel between them can later be a message broker between machines.

use centinela_parsers::records::{PageType, ParsedPage};
use serde::{Deserialize, Serialize};

use crate::warc::CaptureRef;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "message", rename_all = "snake_case")]
pub enum CrawlMessage {
    Page(Box<PageMessage>),
    /// A pass over a site ended. When `complete` (the queue ran dry, no budget cut it
    /// short), listings not seen since `started` have disappeared.
    PassFinished {
        site: String,
        pass: u32,
        started: i64,
        complete: bool,
        at: i64,
    },
}

/// One fetched page.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PageMessage {
    pub site: String,
    /// The canonical URL the frontier knows the page by.
    pub url: String,
    /// Where the page was finally served from, after redirects.
    pub final_url: String,
    /// Unix seconds of the fetch.
    pub at: i64,
    pub status: u16,
    /// The WARC record of the response.
    pub capture: CaptureRef,
    pub outcome: PageOutcome,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PageOutcome {
    /// New or changed content, parsed.
    Parsed { page: ParsedPage },
    /// Same content as last time (304, or the same bytes): not parsed again.
    Unchanged,
    /// 404 or 410: whatever was here is gone.
    Gone,
    /// A login wall, captcha or DDoS queue: the site waits for a person.
    Gate { page_type: PageType },
    /// Another status (403, 5xx…): kept as evidence, not parsed.
    NotParsed,
}

/// A message and the way to tell the crawl it has been kept.
#[derive(Debug)]
pub struct Envelope {
    pub message: CrawlMessage,
    /// Answered once the message is durably kept (or with why it could not be).
    pub kept: tokio::sync::oneshot::Sender<Result<(), String>>,
}
