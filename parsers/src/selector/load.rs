//! Reading a site TOML into a [`SelectorConfig`], reporting every mistake at once.
//!
//! Serde stops at the first error, but an operator fixing a site file wants the whole
//! list. So the `[parser]` table is deserialized repeatedly: each time serde rejects it,
//! the error is kept and the smallest entry that contains the error's span is cut out of
//! the (spanned) TOML tree before trying again. When the shape finally deserializes,
//! every selector and regex is compiled and their errors are added at their own spans.

use super::config::{Compiler, ConfigError, SelectorConfig};
use super::raw::{OneOrMany, RawParser};
use crate::price::NumberFormat;
use crate::records::PageType;
use serde::Deserialize;
use std::ops::Range;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

/// More than this many shape errors in one section means the file is not a parser
/// config at all; stop instead of cutting it to pieces.
const MAX_SHAPE_ERRORS: usize = 64;

impl SelectorConfig {
    /// Reads the `[parser]` section of a site TOML (other top-level keys belong to the
    /// site's crawl settings and are left to their own reader); the top-level `name`
    /// names the parser `site:<name>`.
    pub fn from_toml(text: &str) -> Result<SelectorConfig, Vec<ConfigError>> {
        let doc = DeTable::parse(text).map_err(|e| vec![toml_error(&e, 0..0)])?;
        let doc_span = doc.span();
        let doc = doc.into_inner();
        let mut errors = Vec::new();
        let name = match doc.get("name") {
            Some(v) => match v.get_ref().as_str() {
                Some(s) => s.to_string(),
                None => {
                    errors.push(at(v.span(), "`name` must be a string"));
                    String::new()
                }
            },
            None => {
                errors.push(at(
                    doc_span.start..doc_span.start,
                    "missing top-level `name`",
                ));
                String::new()
            }
        };
        let Some(parser) = doc.get("parser") else {
            errors.push(at(
                doc_span.start..doc_span.start,
                "missing `[parser]` section",
            ));
            return Err(errors);
        };
        if !parser.get_ref().is_table() {
            let msg = "`parser` must be a table here; `parser = \"auto\"` or \
                       `parser = \"template:NAME\"` are read by the site config, not by this reader";
            errors.push(at(parser.span(), msg));
            return Err(errors);
        }
        let raw = deserialize_pruning(parser.clone(), &mut errors);
        let config = raw.and_then(|raw| compile(&name, &raw, &mut errors));
        match config {
            Some(c) if errors.is_empty() => Ok(c),
            _ => Err(errors),
        }
    }
}

fn at(span: Range<usize>, message: &str) -> ConfigError {
    ConfigError {
        span,
        message: message.to_string(),
    }
}

fn toml_error(e: &toml::de::Error, fallback: Range<usize>) -> ConfigError {
    let message = e.message().trim().to_string();
    ConfigError {
        span: e.span().unwrap_or(fallback),
        message: match did_you_mean(&message) {
            Some(key) => format!("{message} (did you mean `{key}`?)"),
            None => message,
        },
    }
}

/// For serde's "unknown field `contianer`, expected one of `on`, `container`...", the
/// expected key within two edits of the typo.
fn did_you_mean(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    let (typo, expected) = rest.split_once('`')?;
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|k| (edit_distance(typo, k), k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Deserializes the parser table, cutting out each rejected entry until serde accepts
/// what is left (or nothing can be cut).
fn deserialize_pruning(
    mut value: Spanned<DeValue<'_>>,
    errors: &mut Vec<ConfigError>,
) -> Option<RawParser> {
    for _ in 0..MAX_SHAPE_ERRORS {
        match RawParser::deserialize(ValueDeserializer::from(value.clone())) {
            Ok(raw) => return Some(raw),
            Err(e) => {
                let err = toml_error(&e, value.span());
                let span = err.span.clone();
                errors.push(err);
                if !prune(&mut value, &span) {
                    return None;
                }
            }
        }
    }
    None
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// Removes the innermost table entry or array item whose key or value contains `span`.
/// Returns whether anything was removed. Children are searched even when their own span
/// does not cover the error: an array of tables (`[[parser.listing]]`) is spread over the
/// file, so only its items' spans are meaningful.
fn prune(value: &mut Spanned<DeValue<'_>>, span: &Range<usize>) -> bool {
    match value.get_mut() {
        DeValue::Table(table) => {
            let mut hit = None;
            for (k, v) in table.iter_mut() {
                if contains(&k.span(), span) {
                    hit = Some(k.get_ref().to_string());
                    break;
                }
                if v.span() != *span && prune(v, span) {
                    return true;
                }
                if contains(&v.span(), span) {
                    hit = Some(k.get_ref().to_string());
                    break;
                }
            }
            match hit {
                Some(key) => table.remove(key.as_str()).is_some(),
                None => false,
            }
        }
        DeValue::Array(array) => {
            let mut items: Vec<Spanned<DeValue<'_>>> = array.iter().cloned().collect();
            let mut removed = false;
            for i in 0..items.len() {
                if items[i].span() != *span && prune(&mut items[i], span) {
                    removed = true;
                    break;
                }
                if contains(&items[i].span(), span) {
                    items.remove(i);
                    removed = true;
                    break;
                }
            }
            if removed {
                let mut rebuilt = toml::de::DeArray::new();
                items.into_iter().for_each(|v| rebuilt.push(v));
                *array = rebuilt;
            }
            removed
        }
        _ => false,
    }
}

/// Each `[[parser.<kind>]]` table with the span to report a missing key at.
fn sections<T>(v: &Option<Spanned<OneOrMany<T>>>) -> impl Iterator<Item = (Range<usize>, &T)> {
    v.iter().flat_map(|s| {
        let outer = s.span();
        s.get_ref()
            .0
            .iter()
            .map(move |(span, t)| (span.clone().unwrap_or(outer.clone()), t))
    })
}

fn compile(name: &str, raw: &RawParser, errors: &mut Vec<ConfigError>) -> Option<SelectorConfig> {
    let mut c = Compiler::default();
    let number_format = c.number_format(raw.number_format.as_ref(), NumberFormat::Auto);
    let default_page_type = raw
        .default_page_type
        .as_ref()
        .and_then(|t| c.page_type(t))
        .unwrap_or(PageType::Other);
    let page_rules: Vec<_> = raw
        .page_type
        .iter()
        .filter_map(|r| c.page_rule(r))
        .collect();
    let listings: Vec<_> = sections(&raw.listing)
        .filter_map(|(span, r)| c.listing(r, &span, number_format))
        .collect();
    let vendors: Vec<_> = sections(&raw.vendor)
        .filter_map(|(span, r)| c.vendor(r, &span))
        .collect();
    let posts: Vec<_> = sections(&raw.post)
        .filter_map(|(span, r)| c.post(r, &span))
        .collect();
    let links = c.links(raw.links.as_ref());
    errors.append(&mut c.errors);
    Some(SelectorConfig {
        name: name.to_string(),
        label: format!("site:{name}"),
        default_page_type,
        page_rules,
        listings,
        vendors,
        posts,
        links,
    })
}
