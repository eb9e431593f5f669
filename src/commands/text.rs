//! Showing crawled text on a terminal and in files people open.
//!
//! Crawled text is hostile: a listing title can carry terminal escape sequences (which
//! could rewrite what an investigator sees, or worse), right-to-left overrides that make
//! a wallet read differently from what it is, or a spreadsheet formula. Every piece of
//! crawled text the CLI prints goes through [`clean`] or [`csv_field`].

/// `s` made safe to print on one line: control characters (escape sequences, newlines,
/// tabs) become spaces and bidirectional overrides and zero-width characters are
/// dropped; runs of spaces collapse and the ends are trimmed.
pub fn clean(s: &str) -> String {
    flatten(s).trim().to_string()
}

/// [`clean`] without trimming, for pieces of a line (a snippet's words and the spaces
/// between its highlights).
pub fn flatten(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if is_invisible(c) {
            continue;
        }
        if c.is_control() || c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
            continue;
        }
        space = false;
        out.push(c);
    }
    out
}

/// Bidirectional embeddings, overrides and isolates, and zero-width characters.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// A string field of a JSON record (`""` when absent), as stored: clean it to print.
pub fn field<'a>(record: &'a serde_json::Value, key: &str) -> &'a str {
    record
        .get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
}

/// A list-of-strings field of a JSON record, each item cleaned for printing.
pub fn field_list(record: &serde_json::Value, key: &str) -> Vec<String> {
    record
        .get(key)
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(serde_json::Value::as_str)
                .map(clean)
                .collect()
        })
        .unwrap_or_default()
}

/// At most `n` characters of `s`, with `…` when cut.
pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let cut: String = s.chars().take(n.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// `s` cleaned, cut to `n` characters and padded to exactly `n` (for table columns).
pub fn cell(s: &str, n: usize) -> String {
    let t = truncate(&clean(s), n);
    let pad = n.saturating_sub(t.chars().count());
    format!("{t}{}", " ".repeat(pad))
}

/// One CSV field (RFC 4180): quoted when needed, and never read as a formula by a
/// spreadsheet (a leading `=`, `+`, `-`, `@` gets a `'` in front, as OWASP advises).
pub fn csv_field(s: &str) -> String {
    let mut v = s.to_string();
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        v.insert(0, '\'');
    }
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_overrides_do_not_reach_the_terminal() {
        assert_eq!(
            clean("Coca\x1b[2J\x1b]0;pwned\x07 pura"),
            "Coca [2J ]0;pwned pura"
        );
        assert_eq!(clean("bc1q\u{202E}abc\u{200B}def"), "bc1qabcdef");
        assert_eq!(clean("  una\n\tdos  "), "una dos");
        assert_eq!(flatten(" a\n"), " a ");
    }

    #[test]
    fn cells_are_cut_and_padded_by_characters() {
        assert_eq!(cell("Cocaína", 9), "Cocaína  ");
        assert_eq!(cell("Cocaína pura de Lima", 8), "Cocaína…");
    }

    #[test]
    fn csv_fields_are_quoted_and_not_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("@pepe"), "'@pepe");
    }
}
