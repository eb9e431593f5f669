//! Prints the classifier's decision and reasons for saved pages:
//! `cargo run -p centinela-parsers --example classify -- FILE...`

fn main() {
    for path in std::env::args().skip(1) {
        match std::fs::read(&path) {
            Ok(bytes) => {
                let page = centinela_parsers::page::Page::parse("http://site.invalid/page", &bytes);
                let c = centinela_parsers::classify::classify(&page);
                println!("{path}: {} ({:.2})", c.page_type.as_str(), c.confidence);
                for r in &c.reasons {
                    println!("    {r}");
                }
            }
            Err(e) => eprintln!("{path}: {e}"),
        }
    }
}
