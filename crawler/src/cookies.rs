//! Netscape `cookies.txt` import.
//!
//! Investigators log in to a site by hand in Tor Browser and export its cookies with an
//! extension such as "cookies.txt"; the crawler then continues with that session. The file
//! holds live session secrets, so nothing here ever puts a cookie value in an error message
//! or a `Debug` output, and [`parse_file`] refuses a file other users could read.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use url::Url;

/// The number of tab-separated fields in a cookie line.
const FIELD_COUNT: usize = 7;
const FIELD_NAMES: [&str; FIELD_COUNT] = [
    "domain",
    "include-subdomains flag",
    "path",
    "secure flag",
    "expiry",
    "name",
    "value",
];
/// curl's prefix for cookies invisible to scripts; it turns a line that would be a comment
/// into a cookie line.
const HTTP_ONLY_PREFIX: &str = "#HttpOnly_";
/// `Expires` cannot be written past year 9999 in an IMF-fixdate.
const MAX_EXPIRES: u64 = 253_402_300_799;

/// One cookie of a `cookies.txt` file.
#[derive(Clone, PartialEq, Eq)]
pub struct Cookie {
    /// As written in the file; a leading dot is kept (it is ignored when sending).
    pub domain: String,
    /// When false the cookie is host-only: sent to `domain` itself, not its subdomains.
    pub include_subdomains: bool,
    pub path: String,
    /// Recorded for fidelity only; see [`Cookie::set_cookie_header`].
    pub secure: bool,
    /// Unix seconds; `None` for a session cookie (written as 0 in the file).
    pub expires: Option<u64>,
    pub name: String,
    /// The secret; redacted from `Debug`.
    pub value: String,
    pub http_only: bool,
}

impl fmt::Debug for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cookie")
            .field("domain", &self.domain)
            .field("include_subdomains", &self.include_subdomains)
            .field("path", &self.path)
            .field("secure", &self.secure)
            .field("expires", &self.expires)
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .field("http_only", &self.http_only)
            .finish()
    }
}

impl Cookie {
    /// The cookie as a `Set-Cookie` header value, for loading into an HTTP client's cookie
    /// jar together with [`Cookie::url`].
    ///
    /// The `Secure` attribute is never written. Onion services are reached over plain
    /// `http://` — Tor already encrypts and authenticates the connection end to end — and
    /// Tor Browser treats `.onion` as a secure context, so it sends Secure cookies there. An
    /// HTTP client's jar only knows that `http` is insecure and would withhold a Secure
    /// cookie, silently logging the crawler out.
    ///
    /// `Domain` is written only for cookies that include subdomains: a `Domain` attribute
    /// makes a cookie apply to subdomains, so omitting it keeps host-only cookies host-only.
    pub fn set_cookie_header(&self) -> String {
        let mut header = format!("{}={}", self.name, self.value);
        if self.include_subdomains {
            header.push_str("; Domain=");
            header.push_str(self.host());
        }
        header.push_str("; Path=");
        header.push_str(&self.path);
        if let Some(expires) = self.expires.filter(|&t| t != 0) {
            header.push_str("; Expires=");
            header.push_str(&imf_fixdate(expires));
        }
        if self.http_only {
            header.push_str("; HttpOnly");
        }
        header
    }

    /// The URL a cookie jar needs to accept [`Cookie::set_cookie_header`] as if the site
    /// had sent it.
    pub fn url(&self) -> Option<Url> {
        let host = self.host();
        if host.is_empty() {
            return None;
        }
        Url::parse(&format!("http://{host}{}", self.path)).ok()
    }

    /// Whether the cookie's expiry has passed; session cookies never expire here, since the
    /// crawl is the session.
    pub fn is_expired(&self, now_unix: u64) -> bool {
        self.expires.is_some_and(|t| t != 0 && t < now_unix)
    }

    fn host(&self) -> &str {
        self.domain.trim_start_matches('.')
    }
}

/// A problem with one line of a `cookies.txt` text. Never carries the cookie's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct CookieError {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters, of the field at fault in the line as written.
    pub column: usize,
    pub message: String,
}

/// Why a cookies file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CookiesFileError {
    #[error("cannot read cookies file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cookies file {} can be read or written by other users (mode {mode:03o}); \
         it holds session secrets: run chmod 600 {}",
        path.display(),
        path.display()
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("cookies file {} has {} problem(s): {}", path.display(), errors.len(), join(errors))]
    Parse {
        path: PathBuf,
        errors: Vec<CookieError>,
    },
}

fn join(errors: &[CookieError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Reads a `cookies.txt` file, refusing one that other users could read on unix.
pub fn parse_file(path: &Path) -> Result<Vec<Cookie>, CookiesFileError> {
    let io_error = |source| CookiesFileError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(io_error)?;
    // Checked on the open handle, so the file read is the file checked.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().map_err(io_error)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(CookiesFileError::TooOpen {
                path: path.to_owned(),
                mode: mode & 0o777,
            });
        }
    }
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(io_error)?;
    parse(&text).map_err(|errors| CookiesFileError::Parse {
        path: path.to_owned(),
        errors,
    })
}

/// Parses the text of a `cookies.txt` file, reporting every bad line rather than the first,
/// so an investigator can fix an export in one pass.
///
/// Expired cookies are returned like the others; filter with [`Cookie::is_expired`].
pub fn parse(text: &str) -> Result<Vec<Cookie>, Vec<CookieError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut cookies = Vec::new();
    let mut errors = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        match parse_line(line, index + 1) {
            Ok(Some(cookie)) => cookies.push(cookie),
            Ok(None) => {}
            Err(mut line_errors) => errors.append(&mut line_errors),
        }
    }
    if errors.is_empty() {
        Ok(cookies)
    } else {
        Err(errors)
    }
}

fn parse_line(line: &str, line_no: usize) -> Result<Option<Cookie>, Vec<CookieError>> {
    let (http_only, body, prefix_chars) = match strip_prefix_ignore_case(line, HTTP_ONLY_PREFIX) {
        Some(rest) => (true, rest, HTTP_ONLY_PREFIX.len()),
        None => (false, line, 0),
    };
    let trimmed = body.trim_start();
    if trimmed.is_empty() || (!http_only && trimmed.starts_with('#')) {
        return Ok(None);
    }

    // Field start columns (1-based, in characters) in the line as written.
    let mut fields: Vec<(&str, usize)> = Vec::with_capacity(FIELD_COUNT);
    let mut column = prefix_chars + 1;
    for field in body.split('\t') {
        fields.push((field, column));
        column += field.chars().count() + 1;
    }
    let end_column = column - 1;
    let error = |column: usize, message: String| CookieError {
        line: line_no,
        column,
        message,
    };

    // curl drops the trailing tab of an empty value, so six fields mean an empty value.
    if fields.len() == FIELD_COUNT - 1 {
        fields.push(("", end_column));
    }
    if fields.len() != FIELD_COUNT {
        let column = fields.get(FIELD_COUNT).map_or(end_column, |(_, c)| *c);
        let hint = if fields.len() == 1 && body.contains(' ') {
            " (the line has spaces but no tabs: was the file re-saved by an editor that \
             replaces tabs?)"
        } else {
            ""
        };
        return Err(vec![error(
            column,
            format!(
                "expected {FIELD_COUNT} tab-separated fields ({}), found {}{hint}",
                FIELD_NAMES.join(", "),
                fields.len()
            ),
        )]);
    }

    let field = |i: usize| fields.get(i).copied().unwrap_or(("", end_column));
    let (domain, domain_col) = field(0);
    let (flag, flag_col) = field(1);
    let (path, path_col) = field(2);
    let (secure, secure_col) = field(3);
    let (expiry, expiry_col) = field(4);
    let (name, name_col) = field(5);
    let (value, value_col) = field(6);

    let mut errors = Vec::new();
    // Messages name the cookie when its name is sane, and never quote any other field:
    // in a garbled line the value may sit in any column.
    let name_ok = !name.is_empty() && name.chars().all(is_name_char);
    let about = if name_ok {
        format!("cookie \"{name}\": ")
    } else {
        String::new()
    };

    let domain = domain.trim();
    let host = domain.trim_start_matches('.');
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        errors.push(error(
            domain_col,
            format!("{about}the domain must be a host name such as .example.onion"),
        ));
    }
    let include_subdomains = parse_bool(flag).unwrap_or_else(|| {
        errors.push(error(
            flag_col,
            format!("{about}the {} must be TRUE or FALSE", FIELD_NAMES[1]),
        ));
        false
    });
    let path = path.trim();
    if !path.starts_with('/') || path.contains(|c: char| c.is_whitespace() || c == ';') {
        errors.push(error(
            path_col,
            format!("{about}the path must start with / and contain no spaces or ';'"),
        ));
    }
    let secure = parse_bool(secure).unwrap_or_else(|| {
        errors.push(error(
            secure_col,
            format!("{about}the {} must be TRUE or FALSE", FIELD_NAMES[3]),
        ));
        false
    });
    let expires = match parse_expiry(expiry) {
        Ok(0) => None,
        Ok(t) => Some(t),
        Err(problem) => {
            errors.push(error(expiry_col, format!("{about}the expiry {problem}")));
            None
        }
    };
    if !name_ok {
        errors.push(error(
            name_col,
            "the name must be non-empty, without spaces, control characters, '=', ';' or ','"
                .to_owned(),
        ));
    }
    if value.chars().any(|c| c == ';' || c.is_control()) {
        errors.push(error(
            value_col,
            format!("{about}the value contains ';' or a control character"),
        ));
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Some(Cookie {
        domain: domain.to_owned(),
        include_subdomains,
        path: path.to_owned(),
        secure,
        expires,
        name: name.to_owned(),
        value: value.to_owned(),
        http_only,
    }))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn is_name_char(c: char) -> bool {
    !c.is_whitespace() && !c.is_control() && !matches!(c, '=' | ';' | ',')
}

fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("TRUE") {
        Some(true)
    } else if s.eq_ignore_ascii_case("FALSE") {
        Some(false)
    } else {
        None
    }
}

/// Whole seconds; some exporters write fractional seconds, which are dropped.
fn parse_expiry(s: &str) -> Result<u64, &'static str> {
    let s = s.trim();
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) {
        return Err("must be unix seconds (digits, optionally with a fraction)");
    }
    whole.parse().map_err(|_| "is too large")
}

/// RFC 7231 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
fn imf_fixdate(unix: u64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let unix = unix.min(MAX_EXPIRES);
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{}, {day:02} {} {year:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to (year, month 1–12, day 1–31): Howard Hinnant's algorithm, which
/// avoids pulling in a date crate for one header.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKET: &str = "fmy3lmrog4mkokadnrmidlpzz72tg5xgmlly2ruvlrgv25jsnqbwbkqd.onion";
    const FORUM: &str = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion";
    const SECRET: &str = "s3cr3tS3ss10nV4lu3DoNotLeak0123456789";

    fn export() -> String {
        [
            "# Netscape HTTP Cookie File".to_owned(),
            "# http://curl.haxx.se/rfc/cookie_spec.html".to_owned(),
            "# This is a generated file!  Do not edit.".to_owned(),
            String::new(),
            format!("#HttpOnly_{MARKET}\tFALSE\t/\tFALSE\t0\tPHPSESSID\t{SECRET}"),
            format!("{MARKET}\tFALSE\t/\tFALSE\t1924992000\tlang\tes"),
            format!(".{FORUM}\tTRUE\t/\tTRUE\t1924992000.5\tphpbb3_abc_sid\t0123456789abcdef"),
            format!("#HttpOnly_.{FORUM}\ttrue\t/forum\tfalse\t1924992000\tphpbb3_abc_k\t"),
            format!(".{FORUM}\tTRUE\t/\tFALSE\t1000\told\tstale"),
            "   ".to_owned(),
        ]
        .join("\r\n")
    }

    #[test]
    fn parses_a_realistic_export() {
        let cookies = parse(&export()).expect("export parses");
        assert_eq!(cookies.len(), 5);

        let session = &cookies[0];
        assert_eq!(session.domain, MARKET);
        assert!(!session.include_subdomains);
        assert_eq!(session.path, "/");
        assert!(!session.secure);
        assert_eq!(session.expires, None);
        assert_eq!(session.name, "PHPSESSID");
        assert_eq!(session.value, SECRET);
        assert!(session.http_only);

        assert!(!cookies[1].http_only);
        assert_eq!(cookies[1].value, "es");

        let sid = &cookies[2];
        assert_eq!(sid.domain, format!(".{FORUM}"));
        assert!(sid.include_subdomains);
        assert!(sid.secure);
        assert_eq!(sid.expires, Some(1_924_992_000));

        let key = &cookies[3];
        assert!(key.http_only && key.include_subdomains && !key.secure);
        assert_eq!(key.path, "/forum");
        assert_eq!(key.value, "");
    }

    #[test]
    fn six_fields_mean_an_empty_value() {
        let cookies = parse(&format!("{MARKET}\tFALSE\t/\tFALSE\t0\tempty")).expect("parses");
        assert_eq!(cookies[0].name, "empty");
        assert_eq!(cookies[0].value, "");
    }

    #[test]
    fn expiry_and_expired() {
        let cookies = parse(&export()).expect("export parses");
        let now = 1_700_000_000;
        let expired: Vec<&str> = cookies
            .iter()
            .filter(|c| c.is_expired(now))
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(expired, ["old"]);
        assert!(
            !cookies[0].is_expired(u64::MAX),
            "session cookies do not expire"
        );
    }

    #[test]
    fn set_cookie_header_and_url() {
        let cookies = parse(&export()).expect("export parses");
        assert_eq!(
            cookies[0].set_cookie_header(),
            format!("PHPSESSID={SECRET}; Path=/; HttpOnly")
        );
        assert_eq!(
            cookies[0].url().map(String::from),
            Some(format!("http://{MARKET}/"))
        );
        // Secure is dropped on purpose; Domain is written without the leading dot.
        assert_eq!(
            cookies[2].set_cookie_header(),
            format!(
                "phpbb3_abc_sid=0123456789abcdef; Domain={FORUM}; Path=/; \
                 Expires=Wed, 01 Jan 2031 00:00:00 GMT"
            )
        );
        assert_eq!(
            cookies[3].url().map(String::from),
            Some(format!("http://{FORUM}/forum"))
        );
    }

    #[test]
    fn imf_fixdate_formats() {
        assert_eq!(imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(imf_fixdate(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(imf_fixdate(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(imf_fixdate(u64::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
    }

    #[test]
    fn reports_every_bad_line_without_values() {
        let text = [
            "# comment".to_owned(),
            // Too many fields: column of the eighth.
            format!("{MARKET}\tFALSE\t/\tFALSE\t0\tsid\t{SECRET}\textra"),
            // Bad flag and bad expiry in one line.
            format!("{MARKET}\tYES\t/\tFALSE\tnever\tsid\t{SECRET}"),
            // A value with ';' cannot be sent in a header.
            format!("{MARKET}\tFALSE\t/\tFALSE\t0\tsid\t{SECRET};x"),
            // Spaces instead of tabs.
            format!("{MARKET} FALSE / FALSE 0 sid {SECRET}"),
            // Too few fields.
            format!("{MARKET}\tFALSE\t/\t{SECRET}"),
            format!("{MARKET}\tFALSE\t/\tFALSE\t0\tgood\tvalue"),
        ]
        .join("\n");
        let errors = parse(&text).expect_err("malformed lines are reported");
        let summary: Vec<(usize, usize)> = errors.iter().map(|e| (e.line, e.column)).collect();
        let market_len = MARKET.len();
        let seven = market_len + "\tFALSE\t/\tFALSE\t0\tsid\t".len() + 1;
        assert_eq!(
            summary,
            [
                (2, seven + SECRET.len() + 1),
                (3, market_len + 2),
                (3, market_len + "\tYES\t/\tFALSE\t".len() + 1),
                (4, seven),
                (
                    5,
                    format!("{MARKET} FALSE / FALSE 0 sid {SECRET}").len() + 1
                ),
                (6, format!("{MARKET}\tFALSE\t/\t{SECRET}").len() + 1),
            ]
        );
        assert!(errors[1].to_string().starts_with(&format!(
            "line 3, column {}: cookie \"sid\": ",
            market_len + 2
        )));
        assert!(errors[4].message.contains("spaces but no tabs"));
        for error in &errors {
            for shown in [error.to_string(), format!("{error:?}")] {
                assert!(!shown.contains(SECRET), "value leaked: {shown}");
                assert!(!shown.contains("s3cr3t"), "value leaked: {shown}");
            }
        }
    }

    #[test]
    fn debug_redacts_the_value() {
        let cookies = parse(&export()).expect("export parses");
        let shown = format!("{:?}", cookies[0]);
        assert!(shown.contains("PHPSESSID"));
        assert!(!shown.contains(SECRET));
    }

    #[test]
    fn bad_domain_path_and_name() {
        let text = [
            format!("\tFALSE\t/\tFALSE\t0\tsid\t{SECRET}"),
            format!("{MARKET}/x\tFALSE\t/\tFALSE\t0\tsid\t{SECRET}"),
            format!("{MARKET}\tFALSE\tnoslash\tFALSE\t0\tsid\t{SECRET}"),
            format!("{MARKET}\tFALSE\t/\tFALSE\t0\tbad name\t{SECRET}"),
            format!("{MARKET}\tFALSE\t/\tFALSE\t-1\tsid\t{SECRET}"),
        ]
        .join("\n");
        let errors = parse(&text).expect_err("reported");
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 2, 3, 4, 5]);
        assert!(errors.iter().all(|e| !e.to_string().contains(SECRET)));
        // A bad name is not echoed either: it may be the value in a shifted line.
        assert!(!errors[3].to_string().contains("bad name"));
    }

    #[test]
    fn empty_text_and_bom() {
        assert_eq!(parse(""), Ok(Vec::new()));
        let cookies =
            parse(&format!("\u{feff}{MARKET}\tFALSE\t/\tFALSE\t0\ta\tb\n")).expect("parses");
        assert_eq!(cookies[0].domain, MARKET);
    }

    #[cfg(unix)]
    #[test]
    fn parse_file_refuses_a_file_others_can_read() {
        use std::io::Write;
        use std::os::unix::fs::PermissionsExt;

        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(export().as_bytes()).expect("written");
        let path = file.path();

        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let error = parse_file(path).expect_err("world-readable file refused");
        assert!(matches!(
            error,
            CookiesFileError::TooOpen { mode: 0o644, .. }
        ));
        let message = error.to_string();
        assert!(
            message.contains(&format!("chmod 600 {}", path.display())),
            "{message}"
        );
        assert!(!message.contains(SECRET));

        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        assert!(matches!(
            parse_file(path),
            Err(CookiesFileError::TooOpen { mode: 0o640, .. })
        ));

        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_eq!(parse_file(path).expect("private file is read").len(), 5);
    }

    #[cfg(unix)]
    #[test]
    fn parse_file_errors_name_the_path() {
        use std::io::Write;
        use std::os::unix::fs::PermissionsExt;

        let missing = Path::new("/nonexistent/centinela/cookies.txt");
        let error = parse_file(missing).expect_err("missing file");
        assert!(error
            .to_string()
            .contains("/nonexistent/centinela/cookies.txt"));

        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        writeln!(file, "{MARKET}\tMAYBE\t/\tFALSE\t0\tsid\t{SECRET}").expect("written");
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
        let error = parse_file(file.path()).expect_err("bad line");
        let message = error.to_string();
        assert!(message.contains(&file.path().display().to_string()));
        assert!(message.contains("line 1, column"));
        assert!(!message.contains(SECRET));
    }
}
