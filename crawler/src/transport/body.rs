//! Reading a response body under two caps, decoding it as it streams.
//!
//! The body is counted twice while it arrives: the bytes on the wire against
//! `max_body_bytes`, and the bytes after `Content-Encoding` decoding (gzip, deflate, br)
//! against `max_decoded_bytes`. Reading stops as soon as either is passed, so an endless body
//! or a decompression bomb costs at most the cap (plus one buffer), never the whole thing.
//!
//! We decode here rather than letting reqwest do it: reqwest's decoder hides the wire size
//! (so only one cap could be enforced) and strips `Content-Encoding` and `Content-Length`
//! from the headers, which the evidence record needs as the server sent them. The decoders
//! are async-compression's, the same ones reqwest uses through tower-http.

use std::pin::Pin;

use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZlibDecoder};
use futures::TryStreamExt;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_util::io::StreamReader;

use super::error::Limit;

/// A `Content-Encoding` we decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentEncoding {
    Identity,
    Gzip,
    Deflate,
    Brotli,
}

impl ContentEncoding {
    /// From the header value; `Err` with the value for encodings we cannot decode
    /// (including stacked ones such as `gzip, br`).
    pub fn from_header(value: Option<&str>) -> Result<ContentEncoding, String> {
        let Some(value) = value else {
            return Ok(ContentEncoding::Identity);
        };
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "identity" => Ok(ContentEncoding::Identity),
            "gzip" | "x-gzip" => Ok(ContentEncoding::Gzip),
            "deflate" => Ok(ContentEncoding::Deflate),
            "br" => Ok(ContentEncoding::Brotli),
            other => Err(other.chars().take(40).collect()),
        }
    }
}

/// Why reading stopped early.
#[derive(Debug)]
pub(crate) enum BodyError {
    TooLarge(Limit),
    /// The connection failed mid-body (reset, truncated, circuit gone).
    Transport(reqwest::Error),
    /// The compressed data was invalid.
    Decode(String),
}

/// A body read to the end.
#[derive(Debug)]
pub(crate) struct Body {
    pub bytes: Vec<u8>,
    pub wire_bytes: u64,
}

#[derive(Debug)]
struct LimitHit(Limit);

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} limit", self.0)
    }
}

impl std::error::Error for LimitHit {}

/// Read `response`'s body, decoding `encoding`, within both caps.
pub(crate) async fn read_body(
    response: reqwest::Response,
    encoding: ContentEncoding,
    max_body: u64,
    max_decoded: u64,
) -> Result<Body, BodyError> {
    let mut wire: u64 = 0;
    let wire_counter = &mut wire;
    let stream = response
        .bytes_stream()
        .map_err(std::io::Error::other)
        .and_then(move |chunk| {
            *wire_counter += chunk.len() as u64;
            let over = *wire_counter > max_body;
            async move {
                if over {
                    Err(std::io::Error::other(LimitHit(Limit::Body)))
                } else {
                    Ok(chunk)
                }
            }
        });
    let raw = StreamReader::new(stream);
    let mut reader: Pin<Box<dyn AsyncRead + Send + '_>> = match encoding {
        ContentEncoding::Identity => Box::pin(raw),
        ContentEncoding::Gzip => {
            let mut d = GzipDecoder::new(raw);
            d.multiple_members(true);
            Box::pin(d)
        }
        ContentEncoding::Deflate => Box::pin(ZlibDecoder::new(raw)),
        ContentEncoding::Brotli => Box::pin(BrotliDecoder::new(raw)),
    };
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return Err(io_to_body_error(e)),
        };
        if (bytes.len() + n) as u64 > max_decoded {
            return Err(BodyError::TooLarge(Limit::Decoded));
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    drop(reader);
    Ok(Body {
        bytes,
        wire_bytes: wire,
    })
}

fn io_to_body_error(e: std::io::Error) -> BodyError {
    if e.get_ref().is_some_and(|inner| inner.is::<LimitHit>()) {
        let limit = e
            .into_inner()
            .and_then(|inner| inner.downcast::<LimitHit>().ok())
            .map_or(Limit::Body, |hit| hit.0);
        return BodyError::TooLarge(limit);
    }
    if e.get_ref()
        .is_some_and(|inner| inner.is::<reqwest::Error>())
    {
        if let Some(Ok(err)) = e
            .into_inner()
            .map(|inner| inner.downcast::<reqwest::Error>())
        {
            return BodyError::Transport(*err);
        }
        return BodyError::Decode("connection failed mid-body".into());
    }
    BodyError::Decode(format!("invalid compressed body: {}", e.kind()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(
            ContentEncoding::from_header(None),
            Ok(ContentEncoding::Identity)
        );
        assert_eq!(
            ContentEncoding::from_header(Some(" GZip ")),
            Ok(ContentEncoding::Gzip)
        );
        assert_eq!(
            ContentEncoding::from_header(Some("br")),
            Ok(ContentEncoding::Brotli)
        );
        assert_eq!(
            ContentEncoding::from_header(Some("deflate")),
            Ok(ContentEncoding::Deflate)
        );
        assert!(ContentEncoding::from_header(Some("gzip, br")).is_err());
        assert!(ContentEncoding::from_header(Some("zstd")).is_err());
    }
}
