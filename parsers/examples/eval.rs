//! `eval [DIR] [--json] [--pages]`: page-type and listing-field accuracy of the classifier
//! and the generic parser over the real-pages corpus (default: see `eval::default_dir`).

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let pages = args.iter().any(|a| a == "--pages");
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(centinela_parsers::eval::default_dir);
    let report = match centinela_parsers::eval::run(&dir) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("eval: {e}");
            return ExitCode::from(1);
        }
    };
    let out = if json {
        serde_json::to_string_pretty(&report).map_err(std::io::Error::other)
    } else {
        let mut s = report.to_string();
        if pages {
            for p in &report.pages {
                let l = &p.listings;
                s.push_str(&format!(
                    "{:48} {:>15} {:>15}  listings {}/{}\n",
                    p.file,
                    p.truth.as_str(),
                    p.got.as_str(),
                    l.complete,
                    l.expected
                ));
            }
        }
        Ok(s)
    };
    // A closed pipe (`eval | head`) is not a failure of the evaluation.
    match out.and_then(|s| writeln!(std::io::stdout().lock(), "{}", s.trim_end())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eval: {e}");
            ExitCode::from(1)
        }
    }
}
