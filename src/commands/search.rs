//! `centinela search QUERY`: the investigator's question to the index, answered as a
//! table (on a terminal), JSON records (for other tools) or CSV (for spreadsheets).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use centinela_index::search::{
    IndexOptions, RecordType, SearchError, SearchHit, SearchIndex, SearchRequest, SearchResults,
    Snippet, Sort,
};
use centinela_index::time::Timestamp;
use serde_json::{json, Value};

use crate::cli::{Global, SearchArgs, SortArg};
use crate::commands::text::{cell, clean, csv_field, flatten, truncate};
use crate::config;
use crate::pipeline::DataDir;

pub fn run(global: &Global, args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let cfg = match config::load_or_report(&global.config) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let data = DataDir::of(global, &cfg);
    let req = match request(args, Timestamp::now()) {
        Ok(r) => r,
        Err(msg) => {
            eprintln!("centinela: {msg}");
            return Ok(ExitCode::from(2));
        }
    };
    let index = match open_for_reading(&data) {
        Ok(i) => i,
        Err(msg) => {
            eprintln!("centinela: {msg}");
            return Ok(ExitCode::from(1));
        }
    };
    let results = match index.search(&req) {
        Ok(r) => r,
        Err(e) => return Ok(report_error(&e, &args.query)),
    };
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        write_json(&mut out, &results)
    } else if args.csv {
        write_csv(&mut out, &results)
    } else {
        let bold = std::io::stdout().is_terminal();
        write_table(&mut out, &req, &results, bold)
    };
    match written {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e.into()),
    }
}

/// The index of a data folder, for searching only (no writer lock: a crawl or the daemon
/// may be indexing at the same time).
pub fn open_for_reading(data: &DataDir) -> Result<SearchIndex, String> {
    let path = data.index();
    if !path.join("meta.json").exists() {
        return Err(format!(
            "there is no search index in {} yet: crawl first (`centinela crawl`), or run \
             `centinela index rebuild` if the store already holds records",
            path.display()
        ));
    }
    // Two threads read the segments of a search in parallel: on the reference 2-core
    // machine that keeps the slowest phrase queries at 1,000,000 documents under 50 ms
    // (BENCHMARKS.md); a person waiting for an answer is worth the second core.
    let options = IndexOptions {
        search_threads: 2,
        ..IndexOptions::default()
    };
    SearchIndex::open_with(&path, options).map_err(|e| match e {
        SearchError::Corrupt { .. } => format!("{e}: run `centinela index rebuild`"),
        e => format!("cannot open the search index in {}: {e}", path.display()),
    })
}

/// The request the arguments describe; `now` anchors relative dates such as `7d`.
fn request(args: &SearchArgs, now: Timestamp) -> Result<SearchRequest, String> {
    let record_type = match &args.record_type {
        None => None,
        Some(t) => Some(RecordType::parse(t).ok_or_else(|| {
            format!("--type {t:?} is not a record type; use listing, vendor or post")
        })?),
    };
    let when = |flag: &str, v: &Option<String>| -> Result<Option<Timestamp>, String> {
        v.as_deref()
            .map(|s| {
                parse_when(s, now).ok_or_else(|| {
                    format!(
                        "{flag} {s:?} is not a date; use 2026-11-01, 2026-11-01T08:00:00Z, \
                         or a span back from now such as 24h, 7d or 4w"
                    )
                })
            })
            .transpose()
    };
    for (flag, v) in [
        ("--min-price", args.min_price),
        ("--max-price", args.max_price),
    ] {
        if v.is_some_and(|p| !p.is_finite() || p < 0.0) {
            return Err(format!("{flag} must be a price in US dollars, 0 or more"));
        }
    }
    Ok(SearchRequest {
        query: args.query.clone(),
        site: args.site.clone(),
        record_type,
        peru: args.peru,
        since: when("--since", &args.since)?,
        until: when("--until", &args.until)?,
        min_price_usd: args.min_price,
        max_price_usd: args.max_price,
        sort: match args.sort {
            SortArg::Relevance => Sort::Relevance,
            SortArg::Recent => Sort::Recency,
        },
        limit: args.limit,
        offset: args.offset,
        snippets: !args.csv,
        facets: args.facets,
        facet_names: Vec::new(),
    })
}

/// A date, a moment, or a span back from `now` (`90m`, `24h`, `7d`, `4w`).
pub(crate) fn parse_when(s: &str, now: Timestamp) -> Option<Timestamp> {
    if let Some(t) = Timestamp::parse(s) {
        return Some(t);
    }
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    let seconds = match unit {
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    (n >= 0).then(|| Timestamp(now.0 - n * seconds))
}

/// Explains a failed search on stderr; returns the exit code (2 for the query's fault).
fn report_error(e: &SearchError, query: &str) -> ExitCode {
    match e {
        SearchError::Syntax { column, .. } => {
            eprintln!("centinela: {e}");
            eprintln!("  {}", clean(query));
            eprintln!("  {}^", " ".repeat(column.saturating_sub(1)));
            ExitCode::from(2)
        }
        SearchError::UnknownField { .. } | SearchError::Query(_) | SearchError::Request(_) => {
            eprintln!("centinela: {e}");
            ExitCode::from(2)
        }
        SearchError::Corrupt { .. } => {
            eprintln!("centinela: {e}: run `centinela index rebuild`");
            ExitCode::from(1)
        }
        e => {
            eprintln!("centinela: search failed: {e}");
            ExitCode::from(1)
        }
    }
}

fn snippet_json(s: &Option<Snippet>) -> Value {
    match s {
        Some(s) => json!(s),
        None => Value::Null,
    }
}

/// One record per line: the DESIGN.md record, plus its `id`, `score` and snippets.
fn write_json(out: &mut impl Write, results: &SearchResults) -> std::io::Result<()> {
    for hit in &results.hits {
        let mut record = hit.record.clone();
        if let Some(obj) = record.as_object_mut() {
            obj.insert("id".into(), json!(hit.id));
            obj.insert("score".into(), json!(hit.score));
            if hit.title.is_some() || hit.body.is_some() {
                obj.insert(
                    "snippets".into(),
                    json!({"title": snippet_json(&hit.title), "body": snippet_json(&hit.body)}),
                );
            }
        }
        writeln!(out, "{record}")?;
    }
    if !results.facets.is_empty() {
        writeln!(
            out,
            "{}",
            json!({"type": "facets", "total": results.total, "facets": results.facets})
        )?;
    }
    Ok(())
}

use crate::commands::text::{field as s, field_list as list};

/// Listing title, vendor handle or thread title.
fn title(r: &Value) -> &str {
    match s(r, "type") {
        "vendor" => s(r, "handle"),
        "post" => s(r, "thread_title"),
        _ => s(r, "title"),
    }
}

/// The listing's vendor or the post's author.
fn who(r: &Value) -> &str {
    match s(r, "type") {
        "post" => s(r, "author"),
        "vendor" => "",
        _ => s(r, "vendor"),
    }
}

fn price(r: &Value) -> (String, String, String) {
    let p = &r["price"];
    let amount = p["amount"]
        .as_f64()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let currency = p["currency"].as_str().unwrap_or("").to_string();
    let shown = p["shown"].as_str().unwrap_or("").to_string();
    (amount, currency, shown)
}

fn peru_score(r: &Value) -> Option<f64> {
    r["peru"]["score"].as_f64()
}

const CSV_COLUMNS: [&str; 18] = [
    "type",
    "site",
    "url",
    "title",
    "vendor",
    "price_amount",
    "price_currency",
    "price_shown",
    "ships_from",
    "ships_to",
    "category",
    "peru_score",
    "addresses",
    "contacts",
    "pgp_fingerprints",
    "first_seen",
    "last_seen",
    "capture_sha256",
];

/// A header row, then one row per hit; lists are joined with `; `.
fn write_csv(out: &mut impl Write, results: &SearchResults) -> std::io::Result<()> {
    writeln!(out, "{}", CSV_COLUMNS.join(","))?;
    for hit in &results.hits {
        let r = &hit.record;
        let (amount, currency, shown) = price(r);
        let row = [
            s(r, "type").to_string(),
            s(r, "site").to_string(),
            s(r, "url").to_string(),
            title(r).to_string(),
            who(r).to_string(),
            amount,
            currency,
            shown,
            s(r, "ships_from").to_string(),
            list(r, "ships_to").join("; "),
            s(r, "category").to_string(),
            peru_score(r).map(|p| format!("{p:.2}")).unwrap_or_default(),
            list(r, "addresses").join("; "),
            list(r, "contacts").join("; "),
            list(r, "pgp_fingerprints").join("; "),
            s(r, "first_seen").to_string(),
            s(r, "last_seen").to_string(),
            s(r, "capture_sha256").to_string(),
        ];
        let fields: Vec<String> = row.iter().map(|f| csv_field(&clean(f))).collect();
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

/// A snippet on one line, matches in bold (on a terminal) or left plain.
fn snippet_line(s: &Snippet, bold: bool, max: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for (text, marked) in s.segments() {
        let text = flatten(text);
        let room = max.saturating_sub(used);
        if room == 0 {
            break;
        }
        let piece = truncate(&text, room);
        used += piece.chars().count();
        if marked && bold {
            out.push_str("\x1b[1m");
            out.push_str(&piece);
            out.push_str("\x1b[0m");
        } else {
            out.push_str(&piece);
        }
    }
    out
}

fn write_table(
    out: &mut impl Write,
    req: &SearchRequest,
    results: &SearchResults,
    bold: bool,
) -> std::io::Result<()> {
    let shown = results.hits.len();
    let query = if req.query.trim().is_empty() {
        "everything".to_string()
    } else {
        format!("\"{}\"", clean(&req.query))
    };
    if shown == 0 {
        writeln!(out, "No results for {query} (with these filters).")?;
        return Ok(());
    }
    writeln!(
        out,
        "{} result{} for {query}; showing {}–{}",
        results.total,
        if results.total == 1 { "" } else { "s" },
        req.offset + 1,
        req.offset + shown
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "  #  {} {} {} {} {} peru  last seen",
        cell("type", 7),
        cell("site", 16),
        cell("title / handle", 40),
        cell("price", 14),
        cell("vendor / author", 16),
    )?;
    for (i, hit) in results.hits.iter().enumerate() {
        write_hit(out, req.offset + i + 1, hit, bold)?;
    }
    if !results.facets.is_empty() {
        writeln!(out)?;
        let mut by: Vec<(String, Vec<String>)> = Vec::new();
        for f in &results.facets {
            let entry = format!("{} {}", clean(&f.value), f.count);
            match by.iter_mut().find(|(name, _)| *name == f.facet) {
                Some((_, v)) => v.push(entry),
                None => by.push((f.facet.clone(), vec![entry])),
            }
        }
        for (facet, values) in by {
            writeln!(out, "by {facet}: {}", values.join(", "))?;
        }
    }
    if results.total > req.offset + shown {
        writeln!(
            out,
            "\nMore: --offset {} (or --limit N); --json or --csv for all the fields.",
            req.offset + shown
        )?;
    }
    Ok(())
}

fn write_hit(out: &mut impl Write, n: usize, hit: &SearchHit, bold: bool) -> std::io::Result<()> {
    let r = &hit.record;
    let (_, _, shown) = price(r);
    let last_seen = s(r, "last_seen").get(..10).unwrap_or("");
    writeln!(
        out,
        "{n:>3}  {} {} {} {} {} {:>4}  {}",
        cell(s(r, "type"), 7),
        cell(s(r, "site"), 16),
        cell(title(r), 40),
        cell(&shown, 14),
        cell(who(r), 16),
        peru_score(r).map_or("-".to_string(), |p| format!("{p:.2}")),
        last_seen
    )?;
    if let Some(body) = hit.body.as_ref().filter(|b| !b.fragment.trim().is_empty()) {
        writeln!(out, "     {}", snippet_line(body, bold, 110).trim())?;
    }
    let url = s(r, "url");
    if !url.is_empty() {
        writeln!(out, "     {}", clean(url))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_spans() {
        let now = Timestamp(1_795_890_152);
        assert_eq!(parse_when("7d", now), Some(Timestamp(now.0 - 7 * 86_400)));
        assert_eq!(parse_when("24h", now), Some(Timestamp(now.0 - 86_400)));
        assert_eq!(
            parse_when("2026-11-28", now),
            Some(Timestamp(1_795_890_152 - 66_152))
        );
        for bad in ["", "7", "d", "7x", "-3d", "ayer"] {
            assert_eq!(parse_when(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn a_bad_type_or_date_is_a_usage_error_naming_the_flag() {
        let args = |t: Option<&str>, since: Option<&str>| SearchArgs {
            query: "x".into(),
            limit: 20,
            offset: 0,
            json: false,
            csv: false,
            site: None,
            record_type: t.map(str::to_string),
            peru: false,
            since: since.map(str::to_string),
            until: None,
            min_price: None,
            max_price: None,
            sort: SortArg::Relevance,
            facets: false,
        };
        let now = Timestamp(0);
        let e = request(&args(Some("tiendas"), None), now).unwrap_err();
        assert!(e.contains("--type \"tiendas\""), "{e}");
        let e = request(&args(None, Some("ayer")), now).unwrap_err();
        assert!(e.starts_with("--since \"ayer\""), "{e}");
        let ok = request(&args(Some("anuncio"), Some("2026-11-01")), now).unwrap();
        assert_eq!(ok.record_type, Some(RecordType::Listing));
    }
}
