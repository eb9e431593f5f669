//! Loading and validating Centinela's configuration.
//!
//! The operator's files are read into the raw shapes of [`model`], then checked as a
//! whole; every problem in every file is reported at once as `file:line:column: message`
//! (`centinela config check`), and nothing runs on a configuration with problems.

mod diagnostic;
pub mod model;
mod toml_file;
mod validate;

pub use diagnostic::{line_column, Diagnostic};
pub use validate::table_span;

use centinela_parsers::peru::Lexicon;
use centinela_parsers::registry::ParserChoice;
use centinela_parsers::selector::SelectorConfig;
use centinela_parsers::templates;
use std::path::{Path, PathBuf};

/// A configuration that passed every check.
#[derive(Debug)]
pub struct Config {
    /// The main file, as given.
    pub path: PathBuf,
    pub main: model::MainFile,
    pub sites: Vec<Site>,
    pub lexicon: Lexicon,
    /// `storage.data_dir` resolved against the config file's folder (or `--data-dir`).
    pub data_dir: PathBuf,
    /// `alerts.watchlists` resolved against the config file's folder.
    pub watchlists_dir: PathBuf,
    /// The watchlist rules in that folder.
    pub rules: Vec<centinela_index::watch::Rule>,
}

#[derive(Debug)]
pub struct Site {
    pub file: PathBuf,
    /// The file's text, for locating later problems.
    pub text: String,
    pub def: model::SiteFile,
    /// The parser the site asked for, read once when the configuration was loaded.
    pub parser: ParserChoice,
    /// When the daemon crawls it.
    pub schedule: centinela_crawler::schedule::Schedule,
}

impl Site {
    pub fn name(&self) -> &str {
        self.def.name.get_ref()
    }
}

/// Reads a site's `parser` value: a name, or a `[parser]` table (read from the whole
/// file text so that its problems are located in the file).
pub fn parser_choice(
    site_text: &str,
    value: &toml::Spanned<toml::Value>,
) -> Result<ParserChoice, Vec<(std::ops::Range<usize>, String)>> {
    match value.get_ref() {
        toml::Value::String(name) => {
            ParserChoice::from_name(name, templates::builtin()).map_err(|e| vec![(value.span(), e)])
        }
        toml::Value::Table(_) => SelectorConfig::from_toml(site_text)
            .map(|c| ParserChoice::Site(Box::new(c)))
            .map_err(|errors| errors.into_iter().map(|e| (e.span, e.message)).collect()),
        _ => Err(vec![(
            value.span(),
            "parser must be \"auto\", \"generic\", \"template:NAME\" or a [parser] table"
                .to_string(),
        )]),
    }
}

/// Reads `path` and everything it refers to (site files, the lexicon).
pub fn load(path: &Path) -> Result<Config, Vec<Diagnostic>> {
    let text = read(path).map_err(|d| vec![d])?;
    let (main, mut problems) = toml_file::parse_lenient::<model::MainFile>(path, &text);
    // With a broken main file, the site files and lexicon are still checked (at the
    // places the file names, or the defaults), so one run reports everything.
    let main = main.unwrap_or_default();
    let base = path.parent().unwrap_or(Path::new("."));
    problems.extend(validate::main_file(path, &text, &main));

    let lexicon_path = base.join(&main.sites.peru_lexicon);
    let lexicon = match read(&lexicon_path) {
        Ok(lex_text) => match Lexicon::from_toml(&lex_text) {
            Ok(l) => Some(l),
            Err(errors) => {
                problems.extend(
                    errors
                        .into_iter()
                        .map(|e| Diagnostic::at(&lexicon_path, &lex_text, e.span, e.message)),
                );
                None
            }
        },
        Err(d) => {
            problems.push(d);
            None
        }
    };

    let sites_dir = base.join(&main.sites.dir);
    let mut sites = Vec::new();
    for file in site_files(&sites_dir, &mut problems) {
        let site_text = match read(&file) {
            Ok(t) => t,
            Err(d) => {
                problems.push(d);
                continue;
            }
        };
        let (def, site_problems) = toml_file::parse_lenient::<model::SiteFile>(&file, &site_text);
        problems.extend(site_problems);
        if let Some(def) = def {
            problems.extend(validate::site_file(&file, &site_text, &def));
            let (schedule, schedule_problems) = validate::schedule(&file, &site_text, &def);
            problems.extend(schedule_problems);
            let parser = match parser_choice(&site_text, &def.parser) {
                Ok(p) => p,
                Err(found) => {
                    problems.extend(
                        found
                            .into_iter()
                            .map(|(span, msg)| Diagnostic::at(&file, &site_text, span, msg)),
                    );
                    ParserChoice::Auto
                }
            };
            sites.push(Site {
                file,
                text: site_text,
                def,
                parser,
                schedule,
            });
        }
    }
    problems.extend(validate::across_sites(&sites));

    let watchlists_dir = base.join(&main.alerts.watchlists);
    let rules = match centinela_index::watch::load_dir(&watchlists_dir) {
        Ok(rules) => {
            for r in &rules {
                for s in &r.sites {
                    if !sites.iter().any(|site| site.name() == s) {
                        let file = r.source.clone().unwrap_or(watchlists_dir.clone());
                        problems.push(Diagnostic::whole_file(
                            &file,
                            format!(
                                "rule {:?} names the site {s:?}, which is not configured",
                                r.name
                            ),
                        ));
                    }
                }
            }
            rules
        }
        Err(errors) => {
            problems.extend(errors.0.into_iter().map(|e| Diagnostic {
                file: e.file,
                line: e.line,
                column: e.column,
                message: e.message,
            }));
            Vec::new()
        }
    };
    problems.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));

    match lexicon {
        Some(lexicon) if problems.is_empty() => Ok(Config {
            path: path.to_path_buf(),
            data_dir: base.join(main.storage.data_dir.get_ref()),
            main,
            sites,
            lexicon,
            watchlists_dir,
            rules,
        }),
        _ => Err(problems),
    }
}

/// [`load`] for commands: on problems, prints each (`file:line:column: message`) to
/// stderr and gives the exit code for bad configuration (2).
pub fn load_or_report(path: &Path) -> Result<Config, std::process::ExitCode> {
    load(path).map_err(|problems| {
        for p in &problems {
            eprintln!("{p}");
        }
        std::process::ExitCode::from(2)
    })
}

/// The data dir a main file names, read leniently (for `centinela status` while the
/// configuration has problems): `storage.data_dir` if it can be read, else the default.
pub fn data_dir_hint(path: &Path) -> PathBuf {
    let base = path.parent().unwrap_or(Path::new("."));
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let named = match text.parse::<toml::Table>() {
        Ok(t) => t
            .get("storage")
            .and_then(|s| s.get("data_dir"))
            .and_then(|d| d.as_str())
            .map(str::to_string),
        // A file that is not even TOML: its `data_dir = "..."` line, if it has one.
        Err(_) => text.lines().find_map(|l| {
            let value = l
                .trim()
                .strip_prefix("data_dir")?
                .trim()
                .strip_prefix('=')?;
            Some(value.trim().trim_matches('"').to_string())
        }),
    };
    base.join(named.unwrap_or_else(|| "../data".to_string()))
}

fn read(path: &Path) -> Result<String, Diagnostic> {
    std::fs::read_to_string(path)
        .map_err(|e| Diagnostic::whole_file(path, format!("cannot read this file: {e}")))
}

/// The `*.toml` files of the sites folder, in name order.
fn site_files(dir: &Path, problems: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(Diagnostic::whole_file(
                dir,
                format!("cannot read the sites folder: {e}"),
            ));
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}
