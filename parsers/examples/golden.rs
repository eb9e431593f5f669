//! Regenerates the sample sites' golden files, or checks them.
//!
//! ```text
//! golden [--check] [SAMPLES_DIR]     # SAMPLES_DIR defaults to ./samples
//! ```
//! Without `--check` every `<page>.expected.json` is rewritten from what the parsers
//! yield now; review the diff against the pages before committing it. With `--check`
//! nothing is written and the exit code is 1 when any file differs, with a line diff.

use centinela_parsers::templates::golden::{mismatches, render_all};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut check = false;
    let mut dir = PathBuf::from("samples");
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--check" => check = true,
            "-h" | "--help" => {
                println!("usage: golden [--check] [SAMPLES_DIR]");
                return ExitCode::SUCCESS;
            }
            _ => dir = PathBuf::from(arg),
        }
    }
    let goldens = match render_all(&dir) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("golden: {e}");
            return ExitCode::from(2);
        }
    };
    let differ = mismatches(&goldens);
    if check {
        for g in &differ {
            let old = std::fs::read_to_string(&g.expected).unwrap_or_default();
            println!("--- {}", g.expected.display());
            print_diff(&old, &g.actual);
        }
        println!(
            "{} pages, {} differ from their golden files",
            goldens.len(),
            differ.len()
        );
        return if differ.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    for g in &differ {
        if let Err(e) = std::fs::write(&g.expected, &g.actual) {
            eprintln!("golden: {}: {e}", g.expected.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", g.expected.display());
    }
    println!(
        "{} pages, {} golden files rewritten",
        goldens.len(),
        differ.len()
    );
    ExitCode::SUCCESS
}

/// A plain line diff: lines only in the golden file (`-`) and only in the output (`+`),
/// by position after the common prefix and suffix. Enough to see what moved.
fn print_diff(old: &str, new: &str) {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    for l in &a[prefix..a.len() - suffix] {
        println!("-{l}");
    }
    for l in &b[prefix..b.len() - suffix] {
        println!("+{l}");
    }
}
