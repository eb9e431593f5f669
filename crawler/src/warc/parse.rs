//! Strict parsing of the records this module writes, for reading captures back and for
//! recognising a genuine record during repair.

/// A WARC record split into its parts.
pub(super) struct Record<'a> {
    pub(super) headers: Vec<(String, String)>,
    pub(super) block: &'a [u8],
}

impl Record<'_> {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }
}

pub(super) fn find<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A parsed WARC header block.
pub(super) struct Head {
    /// Bytes through the blank line that ends the header block.
    pub(super) len: usize,
    pub(super) headers: Vec<(String, String)>,
    /// The declared length of the block that follows.
    pub(super) content_length: u64,
}

/// Parses the WARC header block at the start of `data`. Needs only the head, so repair can
/// call it on the first bytes of a large record.
pub(super) fn warc_head(data: &[u8]) -> Result<Head, String> {
    if !(data.starts_with(b"WARC/1.1\r\n") || data.starts_with(b"WARC/1.0\r\n")) {
        return Err("record does not start with WARC/1.1 or WARC/1.0".to_string());
    }
    let (head_len, headers) = header_lines(data, "WARC")?;
    let length = find(&headers, "Content-Length")
        .ok_or("WARC record without Content-Length")?
        .trim()
        .parse::<u64>()
        .map_err(|e| format!("bad WARC Content-Length: {e}"))?;
    Ok(Head {
        len: head_len,
        headers,
        content_length: length,
    })
}

/// Parses a whole decompressed record and insists that nothing is missing or left over.
pub(super) fn record(data: &[u8]) -> Result<Record<'_>, String> {
    let Head {
        len: head_len,
        headers,
        content_length: length,
    } = warc_head(data)?;
    let length = usize::try_from(length).map_err(|_| "Content-Length too large")?;
    let rest = data.get(head_len..).unwrap_or_default();
    let block = rest.get(..length).ok_or_else(|| {
        format!(
            "block shorter ({}) than Content-Length {length}",
            rest.len()
        )
    })?;
    match rest.get(length..) {
        Some(b"\r\n\r\n") => Ok(Record { headers, block }),
        Some(tail) => Err(format!(
            "record block not followed by exactly CRLFCRLF ({} trailing bytes)",
            tail.len()
        )),
        None => Err("record block truncated".to_string()),
    }
}

/// A stored HTTP response split into status, headers and body.
pub(super) struct HttpResponse<'a> {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: &'a [u8],
}

pub(super) fn http_response(block: &[u8]) -> Result<HttpResponse<'_>, String> {
    let line_end = find_crlf(block, 0).ok_or("HTTP status line not terminated")?;
    let line = std::str::from_utf8(block.get(..line_end).unwrap_or_default())
        .map_err(|_| "HTTP status line is not UTF-8")?;
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/") {
        return Err(format!("bad HTTP status line {line:?}"));
    }
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("bad HTTP status in {line:?}"))?;
    let (head_len, headers) = header_lines(block, "HTTP")?;
    Ok(HttpResponse {
        status,
        headers,
        body: block.get(head_len..).unwrap_or_default(),
    })
}

/// Parses `Name: value` lines after a first line up to the blank line; returns the length of
/// everything through the blank line.
fn header_lines(data: &[u8], what: &str) -> Result<(usize, Vec<(String, String)>), String> {
    let mut pos =
        find_crlf(data, 0).ok_or_else(|| format!("{what} first line not terminated"))? + 2;
    let mut headers = Vec::new();
    loop {
        let end =
            find_crlf(data, pos).ok_or_else(|| format!("{what} header block not terminated"))?;
        if end == pos {
            return Ok((end + 2, headers));
        }
        let line = data.get(pos..end).unwrap_or_default();
        let line = String::from_utf8_lossy(line);
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("{what} header line without colon: {line:?}"))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
        pos = end + 2;
    }
}

fn find_crlf(data: &[u8], from: usize) -> Option<usize> {
    data.get(from..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|p| p + from)
}
