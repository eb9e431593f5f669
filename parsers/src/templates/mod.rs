//! Built-in site templates: selector configurations shipped with Centinela for the site
//! families it knows, so a new mirror or clone of a known market parses with no setup.
//!
//! Each template is a TOML file in this folder, in the same `[parser]` format operators
//! write for their own sites ([`crate::selector`]), plus a top-level `detect` selector
//! that recognises the family's markup. Keeping templates as data rather than code means
//! an operator can copy one into a site file and adjust it when a market changes its
//! layout.
//!
//! | name | family |
//! |---|---|
//! | `mercado-andino` | Spanish card-layout markets (`samples/mercado-andino`) |
//! | `silk-lane` | English table-layout markets (`samples/silk-lane`) |
//! | `forum` | phpBB (prosilver) and MyBB forums (`samples/foro-sur`) |
//! | `dread` | Dread/Reddit-style boards with comment trees (`samples/dread-board`) |
//!
//! ```
//! use centinela_parsers::{templates, Extractor};
//! let html = br#"<body id="phpbb" class="section-viewtopic"><h2 class="topic-title">Hola</h2>
//!   <div class="post" id="p1"><dl class="postprofile"><a class="username">ana</a></dl>
//!   <div class="postbody"><div class="content">Buenas</div></div></div></body>"#;
//! let all = templates::builtin();
//! let t = templates::detect(all, html).expect("a phpBB page");
//! let page = t.parse("http://example.onion/t.html", html, &Extractor::with_default_lexicon());
//! assert_eq!(page.parser, "template:forum");
//! assert_eq!(page.posts[0].author.as_deref(), Some("ana"));
//! ```

pub mod golden;

use crate::records::ParsedPage;
use crate::selector::{self, ConfigError, SelectorConfig};
use crate::Extractor;
use scraper::{Html, Selector};
use std::sync::OnceLock;

/// The embedded template files, in detection order (most specific first).
const SOURCES: &[(&str, &str)] = &[
    ("mercado_andino.toml", include_str!("mercado_andino.toml")),
    ("silk_lane.toml", include_str!("silk_lane.toml")),
    ("dread.toml", include_str!("dread.toml")),
    ("forum.toml", include_str!("forum.toml")),
];

/// A built-in parser for one site family.
#[derive(Clone, Debug)]
pub struct Template {
    pub name: String,
    /// Matches somewhere on every content page of the family.
    pub detect: Selector,
    pub config: SelectorConfig,
}

impl Template {
    /// Reads a template file: a site-style `[parser]` section plus `detect`.
    pub fn from_toml(text: &str) -> Result<Template, Vec<ConfigError>> {
        let config = SelectorConfig::from_toml(text)?;
        let detect = detect_selector(text)?;
        let name = config.name.clone();
        Ok(Template {
            config: config.with_label(format!("template:{name}")),
            name,
            detect,
        })
    }

    /// Whether an already parsed page looks like this family.
    pub fn matches(&self, doc: &Html) -> bool {
        doc.select(&self.detect).next().is_some()
    }

    /// Parses a page with this template (`parser` = `template:<name>`).
    pub fn parse(&self, url: &str, html: &[u8], extractor: &Extractor) -> ParsedPage {
        selector::parse(&self.config, url, html, extractor)
    }
}

fn detect_selector(text: &str) -> Result<Selector, Vec<ConfigError>> {
    let doc = toml::de::DeTable::parse(text).map_err(|e| {
        vec![ConfigError {
            span: e.span().unwrap_or(0..0),
            message: e.message().to_string(),
        }]
    })?;
    let Some(value) = doc.get_ref().get("detect") else {
        return Err(vec![ConfigError {
            span: 0..0,
            message: "a template needs `detect`".into(),
        }]);
    };
    let source = value.get_ref().as_str().unwrap_or("");
    Selector::parse(source).map_err(|e| {
        vec![ConfigError {
            span: value.span(),
            message: format!("invalid `detect` selector: {e}"),
        }]
    })
}

/// Every built-in template, compiled once per process. A template that fails to load is
/// left out (the `builtin_templates_load` test makes sure none does).
pub fn builtin() -> &'static [Template] {
    static BUILTIN: OnceLock<Vec<Template>> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        SOURCES
            .iter()
            .filter_map(|(_, text)| Template::from_toml(text).ok())
            .collect()
    })
}

/// The built-in template source files, by file name (for `centinela parse` to show,
/// and for operators to copy).
pub fn sources() -> &'static [(&'static str, &'static str)] {
    SOURCES
}

/// The first template whose `detect` selector matches the page's bytes.
pub fn detect<'a>(templates: &'a [Template], html: &[u8]) -> Option<&'a Template> {
    detect_in(
        templates,
        &Html::parse_document(&String::from_utf8_lossy(html)),
    )
}

/// The first template whose `detect` selector matches an already parsed page: the page is
/// parsed once, not once per template.
pub fn detect_in<'a>(templates: &'a [Template], doc: &Html) -> Option<&'a Template> {
    templates.iter().find(|t| t.matches(doc))
}

/// The template with this name.
pub fn by_name<'a>(templates: &'a [Template], name: &str) -> Option<&'a Template> {
    templates.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_templates_load() {
        for (file, text) in SOURCES {
            if let Err(errors) = Template::from_toml(text) {
                let shown: Vec<String> = errors.iter().map(|e| e.render(file, text)).collect();
                panic!("{}", shown.join("\n"));
            }
        }
        let names: Vec<String> = builtin().iter().map(|t| t.name.clone()).collect();
        assert_eq!(names, ["mercado-andino", "silk-lane", "dread", "forum"]);
    }
}
