//! Watchlist rules: what supervisors want to be told about, read from
//! `config/watchlists/*.toml`.
//!
//! One file holds any number of `[[rule]]` tables. Each rule watches exactly one thing
//! (a vendor, a wallet, a contact, a PGP key, a saved search, or a Peru score) and says
//! who is told, in which language and how loudly:
//!
//! ```toml
//! [[rule]]
//! name = "condor-blanco"                 # stable id: the outbox and the state use it
//! vendor = "CondorBlanco"                # or: address, contact, pgp, query, peru_score
//! sites = ["mercado-andino"]             # optional: only these sites
//! recipients = ["jefe@unidad.example"]
//! language = "es"                        # es (default) | en
//! severity = "critical"                  # info | warning (default) | critical
//! ```
//!
//! Rules added by `centinela watch add` go to one file Centinela owns, [`CLI_FILE`], in
//! the same folder, and `watch remove` removes only from that file: the folder stays the
//! one place where all rules are, reviewable and versionable, and a hand-written file is
//! never rewritten (its comments would be lost). Names are unique across all files.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::search::normalize::{fold, handle_norm};

/// The file in the watchlist folder that `watch add` and `watch remove` edit.
pub const CLI_FILE: &str = "added-by-cli.toml";

/// Language of an alert's mail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Es,
    En,
}

/// How urgent a rule's alerts are; shown first in the subject.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    #[default]
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// What a rule watches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum RuleKind {
    /// A vendor by handle, matched after [`handle_norm`] (case, accents, separators,
    /// leetspeak) and, for normalised handles of 6 or more characters, at edit distance 1.
    Vendor(String),
    /// A crypto address (must pass its coin's checksum).
    Address(String),
    /// A contact: `platform:value` (`telegram:@pepe_lima`) or the bare value (`@pepe_lima`,
    /// `+51987654321`), which matches it on any platform.
    Contact(String),
    /// An OpenPGP v4 fingerprint, 40 hex digits (spaces allowed, case ignored).
    Pgp(String),
    /// A saved search: every word must occur in the record's text, after accent folding
    /// and lower-casing. No phrases, no stemming, no operators: `cocaína lima` finds
    /// "Cocaina pura, envíos a LIMA" but not "Lime". Honest and predictable; the Tantivy
    /// query language is for investigators at the search box.
    Query(String),
    /// New or changed vendors and listings whose Peru score is at least this (0..1).
    PeruScore(f64),
}

impl RuleKind {
    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::Vendor(_) => "vendor",
            RuleKind::Address(_) => "address",
            RuleKind::Contact(_) => "contact",
            RuleKind::Pgp(_) => "pgp",
            RuleKind::Query(_) => "query",
            RuleKind::PeruScore(_) => "peru_score",
        }
    }

    /// The watched value as people read it.
    pub fn value(&self) -> String {
        match self {
            RuleKind::Vendor(v)
            | RuleKind::Address(v)
            | RuleKind::Contact(v)
            | RuleKind::Pgp(v)
            | RuleKind::Query(v) => v.clone(),
            RuleKind::PeruScore(s) => format!("{s:.2}"),
        }
    }

    /// Rules that identify a vendor, and so follow it (see [`super::matcher`]).
    pub fn is_identity(&self) -> bool {
        matches!(
            self,
            RuleKind::Vendor(_) | RuleKind::Address(_) | RuleKind::Contact(_) | RuleKind::Pgp(_)
        )
    }
}

/// One watchlist rule, validated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Stable id, unique across the folder: alerts and the rule's state are kept under it.
    pub name: String,
    pub kind: RuleKind,
    /// Only records of these sites; empty: every site.
    pub sites: Vec<String>,
    pub recipients: Vec<String>,
    pub language: Language,
    pub severity: Severity,
    /// The file the rule came from, for messages (not kept in alerts).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

impl Rule {
    pub fn applies_to_site(&self, site: &str) -> bool {
        self.sites.is_empty() || self.sites.iter().any(|s| s == site)
    }
}

/// A problem in a watchlist file, located.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", file.display())]
pub struct RuleError {
    pub file: PathBuf,
    /// 1-based; the column counts characters.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl RuleError {
    fn at(file: &Path, text: &str, span: Range<usize>, message: impl Into<String>) -> RuleError {
        let (line, column) = line_column(text, span.start);
        RuleError {
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    fn whole(file: &Path, message: impl Into<String>) -> RuleError {
        RuleError {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
            message: message.into(),
        }
    }
}

/// Every problem found in a watchlist folder, in file order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct RuleErrors(pub Vec<RuleError>);

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// 1-based line and character column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, column)
}

/// A rule as written; every value that a check may reject keeps its span.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    vendor: Option<Spanned<String>>,
    address: Option<Spanned<String>>,
    contact: Option<Spanned<String>>,
    pgp: Option<Spanned<String>>,
    query: Option<Spanned<String>>,
    peru_score: Option<Spanned<f64>>,
    #[serde(default)]
    sites: Vec<Spanned<String>>,
    recipients: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    language: Language,
    #[serde(default)]
    severity: Severity,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

/// Parses one watchlist file. Every check failure is reported with its location; a TOML
/// syntax or type error stops at that error (serde cannot go on after it).
pub fn parse_rules(file: &Path, text: &str) -> Result<Vec<Rule>, RuleErrors> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        RuleErrors(vec![RuleError::at(
            file,
            text,
            e.span().unwrap_or(0..0),
            e.message().trim(),
        )])
    })?;
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for spanned in raw.rule {
        let span = spanned.span();
        match validate(file, text, span, spanned.into_inner()) {
            Ok(rule) => rules.push(rule),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(RuleErrors(errors))
    }
}

fn validate(
    file: &Path,
    text: &str,
    table: Range<usize>,
    raw: RawRule,
) -> Result<Rule, Vec<RuleError>> {
    let mut errors = Vec::new();
    let mut err = |span: Range<usize>, m: String| errors.push(RuleError::at(file, text, span, m));
    let name = raw.name.get_ref().trim().to_string();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        err(
            raw.name.span(),
            format!("rule name {name:?} must be letters, digits, '-', '_' or '.'"),
        );
    }
    let mut kinds: Vec<(Range<usize>, Result<RuleKind, String>)> = Vec::new();
    if let Some(v) = &raw.vendor {
        let h = v.get_ref().trim();
        kinds.push((
            v.span(),
            if handle_norm(h).is_empty() {
                Err("vendor handle is empty".into())
            } else {
                Ok(RuleKind::Vendor(h.to_string()))
            },
        ));
    }
    if let Some(v) = &raw.address {
        let a = v.get_ref().trim();
        kinds.push((
            v.span(),
            if centinela_parsers::crypto::interpretations(a).is_empty() {
                Err(format!(
                    "{a:?} is not a valid crypto address (no coin's checksum accepts it)"
                ))
            } else {
                Ok(RuleKind::Address(a.to_string()))
            },
        ));
    }
    if let Some(v) = &raw.contact {
        let c = v.get_ref().trim();
        kinds.push((
            v.span(),
            if c.trim_start_matches('@').is_empty() {
                Err("contact is empty".into())
            } else {
                Ok(RuleKind::Contact(c.to_string()))
            },
        ));
    }
    if let Some(v) = &raw.pgp {
        let fp: String = v.get_ref().split_whitespace().collect();
        kinds.push((
            v.span(),
            if fp.len() == 40 && fp.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(RuleKind::Pgp(fp.to_ascii_uppercase()))
            } else {
                Err("a PGP fingerprint is 40 hexadecimal digits".into())
            },
        ));
    }
    if let Some(v) = &raw.query {
        let q = v.get_ref().trim();
        kinds.push((
            v.span(),
            if query_words(q).is_empty() {
                Err("the query has no words".into())
            } else {
                Ok(RuleKind::Query(q.to_string()))
            },
        ));
    }
    if let Some(v) = &raw.peru_score {
        let s = *v.get_ref();
        kinds.push((
            v.span(),
            if (0.0..=1.0).contains(&s) {
                Ok(RuleKind::PeruScore(s))
            } else {
                Err("peru_score is between 0 and 1".into())
            },
        ));
    }
    let kind = match kinds.len() {
        0 => {
            err(
                table.clone(),
                format!(
                    "rule {name:?} watches nothing: give one of vendor, address, contact, pgp, query, peru_score"
                ),
            );
            None
        }
        1 => match kinds.pop() {
            Some((span, Err(m))) => {
                err(span, m);
                None
            }
            Some((_, Ok(k))) => Some(k),
            None => None,
        },
        _ => {
            err(
                kinds[1].0.clone(),
                format!("rule {name:?} watches more than one thing: one rule per watched value"),
            );
            None
        }
    };
    let mut recipients = Vec::new();
    for r in raw.recipients.get_ref() {
        let addr = r.get_ref().trim();
        match lettre::Address::from_str(addr) {
            Ok(_) => recipients.push(addr.to_string()),
            Err(e) => err(
                r.span(),
                format!("recipient {addr:?} is not an e-mail address: {e}"),
            ),
        }
    }
    if raw.recipients.get_ref().is_empty() {
        err(
            raw.recipients.span(),
            "a rule needs at least one recipient".into(),
        );
    }
    let sites: Vec<String> = raw
        .sites
        .iter()
        .map(|s| s.get_ref().trim().to_string())
        .collect();
    for s in &raw.sites {
        if s.get_ref().trim().is_empty() {
            err(s.span(), "site name is empty".into());
        }
    }
    match (kind, errors.is_empty()) {
        (Some(kind), true) => Ok(Rule {
            name,
            kind,
            sites,
            recipients,
            language: raw.language,
            severity: raw.severity,
            source: Some(file.to_path_buf()),
        }),
        _ => Err(errors),
    }
}

/// The words of a saved query, folded; what [`RuleKind::Query`] requires in a record.
pub fn query_words(q: &str) -> Vec<String> {
    words(q).into_iter().collect()
}

/// The folded words of a text (letters and digits; everything else separates).
pub(crate) fn words(text: &str) -> std::collections::BTreeSet<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Every rule of every `*.toml` file in `dir` (in file-name order). A missing folder has
/// no rules. Reports every problem of every file, and rule names used twice.
pub fn load_dir(dir: &Path) -> Result<Vec<Rule>, RuleErrors> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(RuleErrors(vec![RuleError::whole(
                dir,
                format!("cannot read the watchlist folder: {e}"),
            )]))
        }
    };
    files.sort();
    let mut rules: Vec<Rule> = Vec::new();
    let mut errors = Vec::new();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                errors.push(RuleError::whole(&file, format!("cannot read: {e}")));
                continue;
            }
        };
        match parse_rules(&file, &text) {
            Ok(found) => {
                for r in found {
                    if let Some(first) = seen.get(&r.name) {
                        let at = text.find(&format!("\"{}\"", r.name)).unwrap_or(0);
                        errors.push(RuleError::at(
                            &file,
                            &text,
                            at..at,
                            format!(
                                "rule name {:?} is already used in {}",
                                r.name,
                                first.display()
                            ),
                        ));
                        continue;
                    }
                    seen.insert(r.name.clone(), file.clone());
                    rules.push(r);
                }
            }
            Err(mut e) => errors.append(&mut e.0),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(RuleErrors(errors))
    }
}

/// Why `watch add` or `watch remove` could not do it.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(transparent)]
    Invalid(#[from] RuleErrors),
    #[error("a rule named {name:?} already exists in {}", file.display())]
    Exists { name: String, file: PathBuf },
    #[error("no rule named {0:?}")]
    NotFound(String),
    #[error("rule {name:?} is written in {} by hand; edit that file to remove it", file.display())]
    NotOwned { name: String, file: PathBuf },
    #[error("cannot write {}: {source}", file.display())]
    Write {
        file: PathBuf,
        source: std::io::Error,
    },
}

/// A rule in the shape it is written to a file.
#[derive(Serialize)]
struct WrittenRule<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pgp: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    peru_score: Option<f64>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    sites: &'a [String],
    recipients: &'a [String],
    language: Language,
    severity: Severity,
}

impl<'a> From<&'a Rule> for WrittenRule<'a> {
    fn from(r: &'a Rule) -> Self {
        let s = |k: &'a RuleKind, want: &str| match k {
            RuleKind::Vendor(v)
            | RuleKind::Address(v)
            | RuleKind::Contact(v)
            | RuleKind::Pgp(v)
            | RuleKind::Query(v)
                if k.name() == want =>
            {
                Some(v.as_str())
            }
            _ => None,
        };
        WrittenRule {
            name: &r.name,
            vendor: s(&r.kind, "vendor"),
            address: s(&r.kind, "address"),
            contact: s(&r.kind, "contact"),
            pgp: s(&r.kind, "pgp"),
            query: s(&r.kind, "query"),
            peru_score: match r.kind {
                RuleKind::PeruScore(x) => Some(x),
                _ => None,
            },
            sites: &r.sites,
            recipients: &r.recipients,
            language: r.language,
            severity: r.severity,
        }
    }
}

#[derive(Serialize)]
struct WrittenFile<'a> {
    rule: Vec<WrittenRule<'a>>,
}

fn write_cli_file(dir: &Path, rules: &[Rule]) -> Result<(), EditError> {
    let file = dir.join(CLI_FILE);
    let body = toml::to_string(&WrittenFile {
        rule: rules.iter().map(WrittenRule::from).collect(),
    })
    .map_err(|e| EditError::Write {
        file: file.clone(),
        source: std::io::Error::other(e),
    })?;
    let text = format!(
        "# Written by `centinela watch add|remove`; edit with care, or move rules to a file of your own.\n\n{body}"
    );
    let io = |source| EditError::Write {
        file: file.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = dir.join(format!(".{CLI_FILE}.tmp"));
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, &file).map_err(io)
}

/// `centinela watch add`: checks `rule` like a rule read from a file (the folder must read
/// cleanly, and the name be free), then appends it to [`CLI_FILE`].
pub fn add_rule(dir: &Path, rule: &Rule) -> Result<(), EditError> {
    let existing = load_dir(dir)?;
    if let Some(r) = existing.iter().find(|r| r.name == rule.name) {
        return Err(EditError::Exists {
            name: rule.name.clone(),
            file: r.source.clone().unwrap_or_default(),
        });
    }
    let cli_path = dir.join(CLI_FILE);
    let mut mine: Vec<Rule> = existing
        .into_iter()
        .filter(|r| r.source.as_deref() == Some(cli_path.as_path()))
        .collect();
    mine.push(rule.clone());
    // Round-trip through the text, so what is written is exactly what loading accepts.
    let text = toml::to_string(&WrittenFile {
        rule: mine.iter().map(WrittenRule::from).collect(),
    })
    .map_err(|e| EditError::Write {
        file: cli_path.clone(),
        source: std::io::Error::other(e),
    })?;
    parse_rules(&cli_path, &text)?;
    write_cli_file(dir, &mine)
}

/// `centinela watch remove`: removes the rule named `name` from [`CLI_FILE`]. Rules of
/// hand-written files are refused, naming the file. The rule's state and its alerts in
/// the outbox are kept (they are history).
pub fn remove_rule(dir: &Path, name: &str) -> Result<Rule, EditError> {
    let existing = load_dir(dir)?;
    let cli_path = dir.join(CLI_FILE);
    let Some(found) = existing.iter().find(|r| r.name == name).cloned() else {
        return Err(EditError::NotFound(name.to_string()));
    };
    if found.source.as_deref() != Some(cli_path.as_path()) {
        return Err(EditError::NotOwned {
            name: name.to_string(),
            file: found.source.clone().unwrap_or_default(),
        });
    }
    let rest: Vec<Rule> = existing
        .into_iter()
        .filter(|r| r.source.as_deref() == Some(cli_path.as_path()) && r.name != name)
        .collect();
    write_cli_file(dir, &rest)?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Rule>, RuleErrors> {
        parse_rules(Path::new("w.toml"), text)
    }

    #[test]
    fn reads_every_kind() {
        let rules = parse(
            r#"
[[rule]]
name = "condor"
vendor = "CondorBlanco"
sites = ["mercado-andino"]
recipients = ["jefe@unidad.example"]
severity = "critical"

[[rule]]
name = "wallet"
address = "185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk"
recipients = ["a@b.example"]
language = "en"

[[rule]]
name = "tg"
contact = "telegram:@pepe_lima"
recipients = ["a@b.example"]

[[rule]]
name = "key"
pgp = "0123 4567 89ab cdef 0123 4567 89AB CDEF 0123 4567"
recipients = ["a@b.example"]

[[rule]]
name = "q"
query = "cocaína  Lima"
recipients = ["a@b.example"]

[[rule]]
name = "peru"
peru_score = 0.7
recipients = ["a@b.example"]
"#,
        )
        .expect("valid");
        assert_eq!(rules.len(), 6);
        assert_eq!(rules[0].kind, RuleKind::Vendor("CondorBlanco".into()));
        assert_eq!(rules[0].severity, Severity::Critical);
        assert_eq!(rules[0].language, Language::Es);
        assert_eq!(rules[1].language, Language::En);
        assert_eq!(
            rules[3].kind,
            RuleKind::Pgp("0123456789ABCDEF0123456789ABCDEF01234567".into())
        );
        assert_eq!(query_words("cocaína  Lima"), ["cocaina", "lima"]);
        assert_eq!(rules[5].kind, RuleKind::PeruScore(0.7));
    }

    #[test]
    fn errors_name_line_and_column() {
        let text = "[[rule]]\nname = \"w\"\naddress = \"185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNK\"\nrecipients = [\"a@b.example\", \"not an address\"]\n";
        let e = parse(text).expect_err("invalid").0;
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!((e[0].line, e[0].column), (3, 11));
        assert!(e[0].message.contains("checksum"), "{}", e[0].message);
        assert_eq!((e[1].line, e[1].column), (4, 30));
        assert!(e[1].to_string().starts_with("w.toml:4:30: recipient"));

        let e = parse("[[rule]]\nname = \"x\"\nvendr = \"a\"\nrecipients = [\"a@b.example\"]\n")
            .expect_err("unknown field")
            .0;
        assert_eq!(e[0].line, 3);
        assert!(e[0].message.contains("vendr"), "{}", e[0].message);

        let e = parse("[[rule]]\nname = \"x\"\nlanguage = \"fr\"\nvendor = \"abc\"\nrecipients = [\"a@b.example\"]\n")
            .expect_err("bad language")
            .0;
        assert_eq!((e[0].line, e[0].column), (3, 12));

        let e = parse("[[rule]]\nname = \"x\"\nvendor = \"abc\"\npgp = \"12\"\nrecipients = [\"a@b.example\"]\n")
            .expect_err("two kinds")
            .0;
        assert_eq!(e[0].line, 4);
        assert!(e[0].message.contains("more than one"));

        let e = parse("\n[[rule]]\nname = \"x\"\nrecipients = [\"a@b.example\"]\n")
            .expect_err("no kind")
            .0;
        assert_eq!(e[0].line, 2);
        assert!(e[0].message.contains("watches nothing"));
    }

    #[test]
    fn duplicate_names_across_files_and_cli_edits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let rule = "[[rule]]\nname = \"dup\"\nvendor = \"abc\"\nrecipients = [\"a@b.example\"]\n";
        std::fs::write(dir.path().join("a.toml"), rule).expect("write");
        std::fs::write(dir.path().join("b.toml"), format!("\n{rule}")).expect("write");
        let e = load_dir(dir.path()).expect_err("duplicate").0;
        assert_eq!(e.len(), 1);
        assert!(e[0].file.ends_with("b.toml"));
        assert_eq!(e[0].line, 3);
        std::fs::remove_file(dir.path().join("b.toml")).expect("rm");

        let added = Rule {
            name: "wallet-1".into(),
            kind: RuleKind::Address("185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk".into()),
            sites: vec![],
            recipients: vec!["a@b.example".into()],
            language: Language::En,
            severity: Severity::Info,
            source: None,
        };
        add_rule(dir.path(), &added).expect("add");
        assert!(matches!(
            add_rule(dir.path(), &added),
            Err(EditError::Exists { .. })
        ));
        let all = load_dir(dir.path()).expect("load");
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].kind, added.kind);
        assert_eq!(all[1].language, Language::En);
        assert!(matches!(
            remove_rule(dir.path(), "dup"),
            Err(EditError::NotOwned { .. })
        ));
        remove_rule(dir.path(), "wallet-1").expect("remove");
        assert_eq!(load_dir(dir.path()).expect("load").len(), 1);
        assert!(matches!(
            remove_rule(dir.path(), "wallet-1"),
            Err(EditError::NotFound(_))
        ));
    }
}
