//! Golden files for the sample sites: each `samples/<site>/<page>.html` has a
//! `<page>.expected.json` beside it holding the `ParsedPage` its parser yields.
//!
//! `samples/manifest.toml` says, per site folder, which onion host it is served as (the
//! page URL is `http://<host>/<path>`, `index.html` at the root being `/`) and which
//! built-in template or site config parses it. The `golden` binary rewrites the files
//! and `golden --check` compares; a layout or parser change then shows as a JSON diff
//! that someone reviews against the page before accepting it.

use super::{builtin, by_name};
use crate::records::ParsedPage;
use crate::registry::{ParserChoice, Registry};
use crate::selector::SelectorConfig;
use crate::Extractor;
use serde::Deserialize;
use std::fs;
use std::path::{Path, PathBuf};

/// `samples/manifest.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub site: Vec<SampleSite>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleSite {
    /// Folder under `samples/`.
    pub dir: String,
    pub host: String,
    #[serde(default)]
    pub mirrors: Vec<String>,
    /// A built-in template name...
    pub template: Option<String>,
    /// ...or a site TOML with a `[parser]` section, relative to `samples/`.
    pub config: Option<String>,
    #[serde(default = "root")]
    pub start: String,
    /// Whether `centinela demo` serves and crawls it (a lone saved page is not a site).
    #[serde(default = "yes")]
    pub demo: bool,
}

fn yes() -> bool {
    true
}

fn root() -> String {
    "/".to_string()
}

/// One sample page and what its parser yields now.
pub struct Golden {
    pub html: PathBuf,
    pub expected: PathBuf,
    pub actual: String,
}

/// Reads the manifest and parses every sample page with its site's parser.
pub fn render_all(samples: &Path) -> Result<Vec<Golden>, String> {
    let text = read(&samples.join("manifest.toml"))?;
    let manifest: Manifest = toml::from_str(&text).map_err(|e| format!("manifest.toml: {e}"))?;
    let templates = builtin();
    // Through the registry, as `centinela parse` and the crawler run it: gates from the
    // classifier and Peru scores are part of what the golden file fixes.
    let registry = Registry::new(Extractor::with_default_lexicon());
    let mut out = Vec::new();
    for site in &manifest.site {
        let choice = match &site.template {
            Some(name) => ParserChoice::Template(name.clone()),
            None => ParserChoice::Site(Box::new(site_config(samples, site, templates)?)),
        };
        let dir = samples.join(&site.dir);
        for html in html_files(&dir)? {
            let rel = html
                .strip_prefix(&dir)
                .map_err(|e| e.to_string())?
                .to_string_lossy()
                .replace('\\', "/");
            let url = page_url(&site.host, &rel);
            let bytes = fs::read(&html).map_err(|e| format!("{}: {e}", html.display()))?;
            let page = registry.parse(&choice, &url, &bytes);
            out.push(Golden {
                expected: html.with_extension("expected.json"),
                actual: to_json(&page)?,
                html,
            });
        }
    }
    Ok(out)
}

fn site_config(
    samples: &Path,
    site: &SampleSite,
    templates: &[super::Template],
) -> Result<SelectorConfig, String> {
    match (&site.template, &site.config) {
        (Some(name), None) => by_name(templates, name)
            .map(|t| t.config.clone())
            .ok_or_else(|| format!("{}: no built-in template `{name}`", site.dir)),
        (None, Some(file)) => {
            let text = read(&samples.join(file))?;
            SelectorConfig::from_toml(&text).map_err(|errors| {
                let shown: Vec<String> = errors.iter().map(|e| e.render(file, &text)).collect();
                shown.join("\n")
            })
        }
        _ => Err(format!(
            "{}: give exactly one of `template` and `config`",
            site.dir
        )),
    }
}

/// `http://<host>/<rel>`, with a folder's `index.html` served as the folder itself.
pub fn page_url(host: &str, rel: &str) -> String {
    let path = rel.strip_suffix("index.html").unwrap_or(rel);
    format!("http://{host}/{path}")
}

/// Pretty JSON with a final newline, the golden files' format.
pub fn to_json(page: &ParsedPage) -> Result<String, String> {
    serde_json::to_string_pretty(page)
        .map(|s| s + "\n")
        .map_err(|e| e.to_string())
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every `*.html` under `dir`, sorted, so runs are reproducible.
fn html_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "html") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The golden files that differ from what the parsers yield now (missing ones included).
pub fn mismatches(goldens: &[Golden]) -> Vec<&Golden> {
    goldens
        .iter()
        .filter(|g| fs::read_to_string(&g.expected).ok().as_deref() != Some(g.actual.as_str()))
        .collect()
}
