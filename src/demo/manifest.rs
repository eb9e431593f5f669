//! `samples/manifest.toml`: which folder is served as which onion host, and its parser.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct File {
    site: Vec<SampleSite>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleSite {
    pub dir: String,
    pub host: String,
    #[serde(default)]
    pub mirrors: Vec<String>,
    pub template: Option<String>,
    pub config: Option<String>,
    pub start: Option<String>,
    #[serde(default = "yes")]
    pub demo: bool,
}

fn yes() -> bool {
    true
}

/// The sample sites folder: `--samples`, else `samples/` in the current folder, else the
/// one in the source tree this binary was built from (`cargo run` from anywhere).
pub fn locate(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    let candidates: Vec<PathBuf> = match given {
        Some(p) => vec![p.to_path_buf()],
        None => vec![
            PathBuf::from("samples"),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("samples"),
        ],
    };
    candidates
        .iter()
        .find(|p| p.join("manifest.toml").is_file())
        .cloned()
        .with_context(|| {
            format!(
                "no sample sites found (looked for manifest.toml in {})",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// The sites of the manifest that make up the demo (not single saved pages).
pub fn load(samples: &Path) -> anyhow::Result<Vec<SampleSite>> {
    let path = samples.join("manifest.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let file: File = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid manifest", path.display()))?;
    Ok(file.site.into_iter().filter(|s| s.demo).collect())
}

/// Writes a configuration that crawls the sample sites served on `port`: the direct
/// transport, each onion host mapped to the loopback server.
pub fn write_config(
    dir: &Path,
    samples: &Path,
    sites: &[SampleSite],
    port: u16,
    delay_ms: u32,
) -> anyhow::Result<PathBuf> {
    // The example watchlist; its mails go to the mailbox folder (no SMTP server).
    let watchlists = dir.join("watchlists");
    std::fs::create_dir_all(&watchlists)
        .with_context(|| format!("cannot create {}", watchlists.display()))?;
    let examples = samples.join("watchlists");
    if let Ok(entries) = std::fs::read_dir(&examples) {
        for e in entries.filter_map(Result::ok) {
            if e.path().extension().is_some_and(|x| x == "toml") {
                std::fs::copy(e.path(), watchlists.join(e.file_name()))
                    .with_context(|| format!("cannot copy {}", e.path().display()))?;
            }
        }
    }
    let sites_dir = dir.join("sites");
    std::fs::create_dir_all(&sites_dir)
        .with_context(|| format!("cannot create {}", sites_dir.display()))?;
    // The lexicon shipped with this build (config/peru.toml, embedded).
    std::fs::write(
        dir.join("peru.toml"),
        centinela_parsers::peru::DEFAULT_LEXICON,
    )?;
    let mut hosts = String::new();
    for s in sites {
        for h in std::iter::once(&s.host).chain(&s.mirrors) {
            hosts.push_str(&format!("\"{h}\" = {port}\n"));
        }
    }
    let main = format!(
        "# Written by `centinela demo`: the sample sites, served on this machine.\n\
         [storage]\ndata_dir = \"data\"\n\n[sites]\ndir = \"sites\"\nperu_lexicon = \"peru.toml\"\n\n\
         # The example watchlist; without [smtp] its mails are written to data/mailbox/.\n\
         [alerts]\nwatchlists = \"watchlists\"\n\n\
         # The direct transport reaches loopback only; each sample onion host is mapped to the\n\
         # demo's local server (test-only: `config check` says so).\n\
         [transport]\nkind = \"direct\"\n\n[transport.loopback_hosts]\n{hosts}"
    );
    let main_path = dir.join("centinela.toml");
    std::fs::write(&main_path, main)?;
    for s in sites {
        let parser = match (&s.template, &s.config) {
            (Some(t), _) => format!("\"template:{t}\""),
            _ => "\"auto\"".to_string(),
        };
        let mirrors: Vec<String> = s.mirrors.iter().map(|m| format!("\"{m}\"")).collect();
        let start = s.start.as_deref().unwrap_or("/");
        let text = format!(
            "name = \"{name}\"\ndescription = \"Sample site from samples/{name}\"\n\
             onion_hosts = [\"{host}\"]\nmirrors = [{mirrors}]\nstart_urls = [\"http://{host}{start}\"]\n\
             parser = {parser}\n\n[limits]\nmax_pages = 1000\nmax_depth = 10\nconcurrency = 2\ndelay_ms = {delay_ms}\n",
            name = s.dir,
            host = s.host,
            mirrors = mirrors.join(", "),
        );
        std::fs::write(sites_dir.join(format!("{}.toml", s.dir)), text)?;
    }
    Ok(main_path)
}
