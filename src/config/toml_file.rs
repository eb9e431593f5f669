//! Reading one TOML file into a typed value while reporting *every* problem in it.
//!
//! serde stops at the first error. An operator fixing a file one error per run is slow and
//! error-prone, so after each error the offending lines are blanked (keeping line numbers)
//! and the file is read again, until it reads cleanly or an error repeats. Errors that
//! follow only from a blanked line ("missing field" for a key whose value was wrong) are
//! not reported twice.

use super::diagnostic::Diagnostic;
use serde::de::DeserializeOwned;
use std::path::Path;

/// At most this many problems are collected from one file.
const MAX_ERRORS: usize = 50;

/// Parses `text` (the contents of `file`) as `T`, reporting every problem found. The
/// value is the one read once the faulty lines were blanked, so that checks depending on
/// the rest of the file (the sites folder, say) can go on; it is `None` only when the
/// file could not be read at all.
pub fn parse_lenient<T: DeserializeOwned>(file: &Path, text: &str) -> (Option<T>, Vec<Diagnostic>) {
    let mut working = text.to_string();
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut blanked_keys: Vec<String> = Vec::new();
    loop {
        let err = match toml::from_str::<T>(&working) {
            Ok(value) => return (Some(value), in_file_order(problems)),
            Err(e) => e,
        };
        let message = err.message().trim().to_string();
        let span = err.span().unwrap_or(0..0);
        let consequence = missing_field(&message).is_some_and(|k| blanked_keys.contains(&k));
        let repeated = problems.iter().any(|p| {
            p.message == message
                && (p.line, p.column) == super::diagnostic::line_column(text, span.start)
        });
        if !consequence && !repeated {
            problems.push(Diagnostic::at(file, text, span.clone(), message));
        }
        if consequence || repeated || problems.len() >= MAX_ERRORS || span.is_empty() {
            return (None, in_file_order(problems));
        }
        match blank_lines(&mut working, span) {
            Some(key) => blanked_keys.push(key),
            None => return (None, in_file_order(problems)),
        }
    }
}

fn in_file_order(mut problems: Vec<Diagnostic>) -> Vec<Diagnostic> {
    problems.sort_by_key(|p| (p.line, p.column));
    problems
}

/// `missing field `x`` → `x`.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// Replaces the lines covering `span` with spaces and returns the key that was written
/// on the first of them. A span on a table header blanks the whole table.
fn blank_lines(text: &mut String, span: std::ops::Range<usize>) -> Option<String> {
    let start = text[..span.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |p| p + 1);
    let first_line_end = text[start..].find('\n').map_or(text.len(), |p| start + p);
    let first_line = text[start..first_line_end].trim().to_string();
    let mut end = text[span.end.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |p| span.end + p);
    if first_line.starts_with('[') {
        // The whole table, up to the next header.
        end = next_header(text, first_line_end).unwrap_or(text.len());
    }
    if start >= end {
        return None;
    }
    let blanked: String = text[start..end]
        .chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect();
    text.replace_range(start..end, &blanked);
    let key = first_line
        .trim_start_matches('[')
        .split(['=', ']'])
        .next()
        .map(|k| {
            k.trim()
                .trim_matches('"')
                .rsplit('.')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default();
    Some(key)
}

fn next_header(text: &str, from: usize) -> Option<usize> {
    let mut at = from;
    while at < text.len() {
        let line_end = text[at..].find('\n').map_or(text.len(), |p| at + p + 1);
        if text[at..line_end].trim_start().starts_with('[') {
            return Some(at);
        }
        at = line_end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // `table` exists to be mistyped in the tests
    struct Conf {
        name: String,
        port: u16,
        #[serde(default)]
        table: Option<Inner>,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        depth: u32,
    }

    fn problems(text: &str) -> Vec<String> {
        let (_, found) = parse_lenient::<Conf>(Path::new("c.toml"), text);
        found.into_iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn every_mistake_is_reported_with_its_place() {
        let text = "name = \"x\"\nport = \"eighty\"\ncolour = 3\n[table]\ndepth = -1\n";
        let found = problems(text);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(
            found[0].starts_with("c.toml:2:8: invalid type"),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|p| p.starts_with("c.toml:3:1: unknown field `colour`")),
            "{found:#?}"
        );
        assert!(
            found.iter().any(|p| p.starts_with("c.toml:5:9: ")),
            "{found:#?}"
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        let found = problems("name = \"x\nport = 1\n");
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with("c.toml:1:"), "{found:#?}");
    }

    #[test]
    fn a_clean_file_parses() {
        let (conf, problems) =
            parse_lenient::<Conf>(Path::new("c.toml"), "name = \"x\"\nport = 80\n");
        assert!(problems.is_empty());
        let conf = conf.unwrap();
        assert_eq!((conf.name.as_str(), conf.port), ("x", 80));
    }
}
