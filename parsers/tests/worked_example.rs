//! The README's worked example: a site config for a layout no template knows.

#![allow(clippy::unwrap_used)] // test helpers: a missing sample file is a test failure

use centinela_parsers::selector::SelectorConfig;
use centinela_parsers::Extractor;

#[test]
fn worked_example_yields_the_listings_in_the_readme() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/worked-example");
    let toml = std::fs::read_to_string(format!("{dir}/mercado-pacifico.toml")).unwrap();
    let html = std::fs::read(format!("{dir}/tienda/cocaina.html")).unwrap();
    let config = SelectorConfig::from_toml(&toml).unwrap();
    let url =
        "http://yu3jf6obdagopgqshta7oszvws2b7bwcpliojeli7thwj4hqmo6q3zid.onion/tienda/cocaina.html";
    let page =
        centinela_parsers::selector::parse(&config, url, &html, &Extractor::with_default_lexicon());
    let got: Vec<_> = page
        .listings
        .iter()
        .map(|l| {
            let p = l.price.as_ref().unwrap();
            (
                l.title.as_str(),
                p.amount.unwrap(),
                p.currency.as_deref().unwrap(),
                l.vendor.as_deref().unwrap(),
                l.ships_from.as_deref().unwrap(),
                l.ships_to.join(", "),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "Perica boliviana 10 g",
                650.0,
                "PEN",
                "NevadoSur",
                "Bolivia",
                "Perú, Chile".to_string()
            ),
            (
                "Cocaína rosada 5 g",
                310.0,
                "USD",
                "TumbesNorte",
                "Perú",
                "Perú, Ecuador".to_string()
            ),
            (
                "Base de coca 25 g",
                1100.0,
                "PEN",
                "NevadoSur",
                "Perú",
                "Perú".to_string()
            ),
        ]
    );
    assert_eq!(page.parser, "site:mercado-pacifico");
}
