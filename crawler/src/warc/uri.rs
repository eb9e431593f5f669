//! Turning the target the crawler was given into the ASCII URI a WARC record must carry.
//!
//! WARC-Target-URI is a URI (RFC 3986), and replay tools key their indexes on it: an IRI with
//! raw UTF-8 or spaces would be indexed under a form no browser asks for, and a CR/LF in it
//! would break the record header. So non-ASCII host labels become Punycode (`xn--`) and every
//! other byte that can never appear in a URI is percent-encoded (RFC 3987 §3.1). Nothing that is
//! already legal is touched, so a URL from the `url` crate passes through unchanged.

/// Converts an IRI (or a URI, unchanged) to a URI.
pub(super) fn to_uri(iri: &str) -> String {
    let Some((scheme, rest)) = split_scheme(iri) else {
        return percent_encode_illegal(iri);
    };
    let Some(after_slashes) = rest.strip_prefix("//") else {
        return format!("{scheme}:{}", percent_encode_illegal(rest));
    };
    let auth_end = after_slashes
        .find(['/', '?', '#'])
        .unwrap_or(after_slashes.len());
    let (authority, tail) = after_slashes.split_at(auth_end);
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(at) => authority.split_at(at + 1),
        None => ("", authority),
    };
    let (host, port) = split_host_port(hostport);
    format!(
        "{scheme}://{}{}{}{}",
        percent_encode_illegal(userinfo),
        ascii_host(host),
        percent_encode_illegal(port),
        percent_encode_illegal(tail)
    )
}

/// The Host header value and the request-target for the request line of a URI made by
/// [`to_uri`]. The fragment never goes on the wire, so it is left out.
pub(super) fn request_parts(uri: &str) -> (Option<&str>, String) {
    let Some((_, rest)) = split_scheme(uri) else {
        return (None, uri.to_string());
    };
    let Some(after_slashes) = rest.strip_prefix("//") else {
        return (None, uri.to_string());
    };
    let auth_end = after_slashes
        .find(['/', '?', '#'])
        .unwrap_or(after_slashes.len());
    let (authority, tail) = after_slashes.split_at(auth_end);
    let hostport = match authority.rfind('@') {
        Some(at) => authority.get(at + 1..).unwrap_or(""),
        None => authority,
    };
    let without_fragment = tail.split('#').next().unwrap_or("");
    let target = if without_fragment.starts_with('/') {
        without_fragment.to_string()
    } else {
        format!("/{without_fragment}")
    };
    let host = (!hostport.is_empty()).then_some(hostport);
    (host, target)
}

fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let colon = s.find(':')?;
    let scheme = s.get(..colon)?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if first_ok && rest_ok {
        Some((scheme, s.get(colon + 1..)?))
    } else {
        None
    }
}

/// Splits `host:port` without mistaking the colons of an IPv6 literal for a port.
fn split_host_port(hostport: &str) -> (&str, &str) {
    if hostport.starts_with('[') {
        if let Some(close) = hostport.find(']') {
            return hostport.split_at(close + 1);
        }
        return (hostport, "");
    }
    match hostport.rfind(':') {
        Some(colon) => hostport.split_at(colon),
        None => (hostport, ""),
    }
}

fn ascii_host(host: &str) -> String {
    if host.is_ascii() {
        return percent_encode_illegal(host);
    }
    // IDNA separators (ideographic and full-width full stops) act as dots.
    let normalised: String = host
        .chars()
        .map(|c| match c {
            '\u{3002}' | '\u{ff0e}' | '\u{ff61}' => '.',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    normalised
        .split('.')
        .map(|label| {
            if label.is_ascii() {
                percent_encode_illegal(label)
            } else {
                match punycode(label) {
                    Some(encoded) => format!("xn--{encoded}"),
                    None => percent_encode_illegal(label),
                }
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Percent-encodes the bytes no URI may contain: non-ASCII, controls, space and DEL.
fn percent_encode_illegal(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b <= 0x20 || b >= 0x7f {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

/// RFC 3492 Punycode encoding of one label (without the `xn--` prefix).
fn punycode(label: &str) -> Option<String> {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;

    fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
        delta /= if first { DAMP } else { 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + (BASE - TMIN + 1) * delta / (delta + SKEW)
    }
    fn digit(d: u32) -> Option<char> {
        match d {
            0..=25 => char::from_u32(u32::from(b'a') + d),
            26..=35 => char::from_u32(u32::from(b'0') + d - 26),
            _ => None,
        }
    }

    let input: Vec<u32> = label.chars().map(u32::from).collect();
    let mut out: String = label.chars().filter(char::is_ascii).collect();
    let basic = u32::try_from(out.len()).ok()?;
    if basic > 0 {
        out.push('-');
    }
    let total = u32::try_from(input.len()).ok()?;
    let (mut n, mut delta, mut bias, mut handled) = (128u32, 0u32, 72u32, basic);
    while handled < total {
        let m = input.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &input {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        TMIN
                    } else if k >= bias + TMAX {
                        TMAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t))?);
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q)?);
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn punycode_vectors() {
        // Expected values from Python's str.encode("idna").
        for (label, want) in [
            ("bücher", "bcher-kva"),
            ("münchen", "mnchen-3ya"),
            ("español", "espaol-zwa"),
            ("日本語", "wgv71a119e"),
            ("пример", "e1afmkfd"),
        ] {
            assert_eq!(punycode(label).as_deref(), Some(want), "{label}");
        }
    }

    #[test]
    fn uris_pass_through() {
        for uri in [
            "http://example.com/",
            "https://user:pw@example.com:8443/a/b?c=d&e=%20f#frag",
            "http://[::1]:8080/x",
            "http://abcdefghij234567.onion/path?q",
        ] {
            assert_eq!(to_uri(uri), uri);
        }
    }

    #[test]
    fn iris_become_uris() {
        assert_eq!(
            to_uri("http://Bücher.example/straße?q=ñ#größe"),
            "http://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%B1#gr%C3%B6%C3%9Fe"
        );
        assert_eq!(
            to_uri("https://例え。テスト/パス"),
            "https://xn--r8jz45g.xn--zckzah/%E3%83%91%E3%82%B9"
        );
        assert_eq!(
            to_uri("http://example.com/a b\r\nX-Evil: 1"),
            "http://example.com/a%20b%0D%0AX-Evil:%201"
        );
    }

    #[test]
    fn request_line_parts() {
        assert_eq!(
            request_parts("http://u@example.com:81/p?q=1#f"),
            (Some("example.com:81"), "/p?q=1".to_string())
        );
        assert_eq!(
            request_parts("http://example.com"),
            (Some("example.com"), "/".to_string())
        );
        assert_eq!(
            request_parts("http://example.com?x"),
            (Some("example.com"), "/?x".to_string())
        );
    }
}
