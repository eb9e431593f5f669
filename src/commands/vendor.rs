//! `centinela vendor NAME`: one vendor across markets, and who else shares its keys.

use std::io::Write;
use std::process::ExitCode;

use centinela_index::search::{LinkedVendor, VendorProfile};

use crate::cli::{Global, VendorArgs};
use crate::commands::search::open_for_reading;
use crate::commands::text::{cell, clean};
use crate::config;
use crate::pipeline::DataDir;

pub fn run(global: &Global, args: &VendorArgs) -> anyhow::Result<ExitCode> {
    let cfg = match config::load_or_report(&global.config) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let data = DataDir::of(global, &cfg);
    let index = match open_for_reading(&data) {
        Ok(i) => i,
        Err(msg) => {
            eprintln!("centinela: {msg}");
            return Ok(ExitCode::from(1));
        }
    };
    let Some(profile) = index.vendor_profile(&args.name)? else {
        eprintln!(
            "centinela: no vendor handle like {:?} in the index (tried case, separators, \
             look-alike digits and small typos); `centinela search {:?}` looks in all text",
            clean(&args.name),
            clean(&args.name)
        );
        return Ok(ExitCode::from(1));
    };
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        writeln!(out, "{}", serde_json::to_string(&profile)?)
    } else {
        write_profile(&mut out, &profile)
    };
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

use crate::commands::text::{field as s, field_list as list};

fn day(t: Option<&str>) -> String {
    t.and_then(|t| t.get(..10)).unwrap_or("-").to_string()
}

fn write_profile(out: &mut impl Write, p: &VendorProfile) -> std::io::Result<()> {
    let handles: Vec<String> = p
        .appearances
        .iter()
        .map(|a| clean(s(a, "handle")))
        .collect();
    let mut names = handles.clone();
    names.sort_by_key(|h| h.to_lowercase());
    names.dedup_by_key(|h| h.to_lowercase());
    writeln!(
        out,
        "{} — on {} site{}",
        names.join(" / "),
        p.appearances.len(),
        if p.appearances.len() == 1 { "" } else { "s" }
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "  {} {} {:>8}  {:<10}  {:<10}  {:>4}",
        cell("site", 18),
        cell("handle", 20),
        "listings",
        "first seen",
        "last seen",
        "peru"
    )?;
    for a in &p.appearances {
        writeln!(
            out,
            "  {} {} {:>8}  {:<10}  {:<10}  {:>4}",
            cell(s(a, "site"), 18),
            cell(s(a, "handle"), 20),
            a["listings_count"].as_u64().unwrap_or(0),
            day(Some(s(a, "first_seen"))),
            day(Some(s(a, "last_seen"))),
            a["peru"]["score"]
                .as_f64()
                .map_or("-".to_string(), |x| format!("{x:.2}")),
        )?;
    }
    writeln!(out)?;
    for (label, key) in [
        ("PGP keys", "pgp_fingerprints"),
        ("contacts", "contacts"),
        ("wallets", "addresses"),
    ] {
        let mut all: Vec<String> = p.appearances.iter().flat_map(|a| list(a, key)).collect();
        all.sort();
        all.dedup();
        if !all.is_empty() {
            writeln!(out, "  {label:<9} {}", all.join(", "))?;
        }
    }

    writeln!(out)?;
    if p.linked.is_empty() {
        writeln!(
            out,
            "No other persona shares a PGP key, wallet or contact with this vendor."
        )?;
    } else {
        writeln!(
            out,
            "Linked personas (share a PGP key, wallet or contact): {}",
            p.linked.len()
        )?;
        writeln!(
            out,
            "  {} {} {:>8} {:>8}  {:<10}  {:<10}  via",
            cell("site", 18),
            cell("handle", 20),
            "records",
            "listings",
            "first seen",
            "last seen",
        )?;
        for l in &p.linked {
            write_linked(out, l)?;
        }
    }
    if !p.similar.is_empty() {
        let similar: Vec<String> = p
            .similar
            .iter()
            .map(|m| {
                format!(
                    "{} ({}, {} edit{})",
                    clean(&m.handle),
                    clean(&m.site),
                    m.distance,
                    if m.distance == 1 { "" } else { "s" }
                )
            })
            .collect();
        writeln!(out, "\nSimilar handles: {}", similar.join(", "))?;
    }
    Ok(())
}

fn write_linked(out: &mut impl Write, l: &LinkedVendor) -> std::io::Result<()> {
    let via: Vec<String> = l
        .via
        .iter()
        .map(|v| {
            let kind = match v.kind.as_str() {
                "pgp" => "PGP key",
                "address" => "wallet",
                other => other,
            };
            format!("{kind} {}", clean(&v.value))
        })
        .collect();
    writeln!(
        out,
        "  {} {} {:>8} {:>8}  {:<10}  {:<10}  {}",
        cell(&l.site, 18),
        cell(&l.handle, 20),
        l.records,
        l.listings_count.map_or("-".to_string(), |n| n.to_string()),
        day(l.first_seen.as_deref()),
        day(l.last_seen.as_deref()),
        via.join("; ")
    )
}
