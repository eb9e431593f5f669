//! `centinela extract`: every extractor over one file or standard input.

use crate::cli::{ExtractArgs, Global};
use crate::config;
use anyhow::Context;
use centinela_parsers::{peru::Lexicon, Entity, Extractor};
use std::io::{Read, Write};
use std::process::ExitCode;

pub fn run(global: &Global, args: &ExtractArgs) -> anyhow::Result<ExitCode> {
    let lexicon = match lexicon(global) {
        Ok(l) => l,
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    let extractor = Extractor::new(lexicon);
    let (name, bytes) = match args.file.as_deref() {
        None => ("standard input".to_string(), read_stdin()?),
        Some(p) if p.as_os_str() == "-" => ("standard input".to_string(), read_stdin()?),
        Some(p) => (
            p.display().to_string(),
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
        ),
    };
    let is_html = args.html
        || (!args.text
            && args.file.as_deref().is_some_and(|p| {
                p.extension().is_some_and(|x| {
                    x.eq_ignore_ascii_case("html") || x.eq_ignore_ascii_case("htm")
                })
            }));
    let found = if is_html {
        extractor.extract_html(&bytes)
    } else {
        extractor.extract_text_bytes(&bytes)
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        for e in &found {
            serde_json::to_writer(&mut out, e)?;
            out.write_all(b"\n")?;
        }
    } else {
        write_table(&mut out, &found, &name)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The configured lexicon when there is a configuration; the built-in one otherwise,
/// so `extract` works on a fresh checkout with no configuration at all.
fn lexicon(global: &Global) -> Result<Lexicon, Vec<config::Diagnostic>> {
    if !global.config.exists() && std::env::var_os("CENTINELA_CONFIG").is_none() {
        return Ok(Lexicon::builtin());
    }
    config::load(&global.config).map(|c| c.lexicon)
}

fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .context("cannot read standard input")?;
    Ok(buf)
}

/// A readable listing for a person at a terminal.
fn write_table(out: &mut impl Write, found: &[Entity], name: &str) -> std::io::Result<()> {
    if found.is_empty() {
        return writeln!(out, "nothing found in {name}");
    }
    for e in found {
        let (start, end) = e.span();
        let what = match e {
            Entity::CryptoAddress { coin, network, .. } if network == "mainnet" => coin.clone(),
            Entity::CryptoAddress { coin, network, .. } => format!("{coin} ({network})"),
            Entity::Contact { platform, .. } => platform.clone(),
            Entity::PeruSignal { signal, weight, .. } => format!("peru: {signal} ({weight})"),
            other => other.kind().replace('_', " "),
        };
        writeln!(out, "{what:<28} {:<66} bytes {start}..{end}", e.value())?;
    }
    writeln!(out, "{} found in {name}", found.len())
}
