//! `centinela parse`: run a site's parser on a saved page and show what it found. This
//! is the tool an investigator develops a new site's `[parser]` section with.

use crate::cli::{Global, ParseArgs};
use crate::config;
use anyhow::Context;
use centinela_parsers::peru::Lexicon;
use centinela_parsers::records::ParsedPage;
use centinela_parsers::registry::{ParserChoice, Registry};
use centinela_parsers::Extractor;
use std::io::Write;
use std::process::ExitCode;

pub fn run(global: &Global, args: &ParseArgs) -> anyhow::Result<ExitCode> {
    let (choice, lexicon) = match choose(global, args) {
        Ok(c) => c,
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    let html = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let url = args.url.clone().unwrap_or_else(|| {
        format!(
            "file://{}",
            std::fs::canonicalize(&args.file)
                .unwrap_or(args.file.clone())
                .display()
        )
    });
    let registry = Registry::new(Extractor::new(lexicon));
    let parsed = registry.parse(&choice, &url, &html);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer(&mut out, &parsed)?;
        writeln!(out)?;
    } else {
        write_summary(&mut out, &parsed)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The parser (and lexicon) to use: the named site's, or `auto` with no `--site`.
fn choose(
    global: &Global,
    args: &ParseArgs,
) -> Result<(ParserChoice, Lexicon), Vec<config::Diagnostic>> {
    let Some(name) = &args.site else {
        let lexicon = if global.config.exists() {
            config::load(&global.config)?.lexicon
        } else {
            Lexicon::builtin()
        };
        return Ok((ParserChoice::Auto, lexicon));
    };
    let cfg = config::load(&global.config)?;
    match cfg.sites.iter().find(|s| s.name() == name) {
        Some(site) => Ok((site.parser.clone(), cfg.lexicon)),
        None => Err(vec![config::Diagnostic::whole_file(
            &global.config,
            format!(
                "no site named {name:?} (configured: {})",
                cfg.sites
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )]),
    }
}

fn write_summary(out: &mut impl Write, p: &ParsedPage) -> std::io::Result<()> {
    writeln!(out, "{}", p.url)?;
    writeln!(
        out,
        "  page type: {}    parser: {}",
        p.page_type.as_str(),
        p.parser
    )?;
    if p.page_type.needs_human() {
        writeln!(out, "  a person must pass this page (log in, solve the captcha or wait) before crawling goes on")?;
    }
    for l in &p.listings {
        let price = l.price.as_ref().map_or("-".to_string(), |p| {
            format!("{} ({})", p.shown, p.currency.as_deref().unwrap_or("?"))
        });
        writeln!(out, "  listing  {}", l.title)?;
        writeln!(
            out,
            "           price {price} | vendor {} | from {} | to {}{}",
            l.vendor.as_deref().unwrap_or("-"),
            l.ships_from.as_deref().unwrap_or("-"),
            if l.ships_to.is_empty() {
                "-".to_string()
            } else {
                l.ships_to.join(", ")
            },
            if l.peru.targets_peru {
                format!(" | PERU {:.2}", l.peru.score)
            } else {
                String::new()
            }
        )?;
    }
    for v in &p.vendors {
        writeln!(
            out,
            "  vendor   {} | {} PGP key(s) | contacts {} | addresses {}{}",
            v.handle,
            v.pgp_fingerprints.len(),
            if v.contacts.is_empty() {
                "-".to_string()
            } else {
                v.contacts.join(", ")
            },
            if v.addresses.is_empty() {
                "-".to_string()
            } else {
                v.addresses.join(", ")
            },
            if v.peru.targets_peru {
                format!(" | PERU {:.2}", v.peru.score)
            } else {
                String::new()
            }
        )?;
    }
    for post in &p.posts {
        let body: String = post.body.chars().take(80).collect();
        writeln!(
            out,
            "  post     {} ({}): {body}",
            post.author.as_deref().unwrap_or("?"),
            post.posted_at.as_deref().unwrap_or("?")
        )?;
    }
    writeln!(
        out,
        "  {} listing(s), {} vendor(s), {} post(s), {} entities, {} links",
        p.listings.len(),
        p.vendors.len(),
        p.posts.len(),
        p.entities.len(),
        p.links.len()
    )
}
