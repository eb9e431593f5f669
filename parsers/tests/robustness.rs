//! Hostile and broken input: every page must parse, classify and yield its text without
//! a panic, whatever its markup or encoding.

use centinela_parsers::classify::classify;
use centinela_parsers::generic;
use centinela_parsers::page::Page;
use centinela_parsers::records::PageType;
use centinela_parsers::Extractor;

fn parse_all(bytes: &[u8]) -> Page {
    let page = Page::parse("http://m.onion/x", bytes);
    let _ = classify(&page);
    let _ = generic::parse(&page, &Extractor::with_default_lexicon());
    page
}

#[test]
fn malformed_markup_keeps_its_text() {
    let html = b"<div><p>Uno <b>dos <i>tres</b> cuatro</i></p></span></div></div>\
        <table><p>fuera<tr><td>celda<td>otra</table><a href=/x?a=1&b=2>enlace<li>item\
        <script>alert(1)</script><style>p{}</style><!-- sin cerrar";
    let page = parse_all(html);
    let text = page.visible_text();
    for word in [
        "Uno", "dos", "tres", "cuatro", "fuera", "celda", "otra", "enlace", "item",
    ] {
        assert!(text.contains(word), "{word} missing from {text:?}");
    }
    assert!(!text.contains("alert(1)"));
}

#[test]
fn a_page_without_body_or_head() {
    let page = parse_all(b"<title>Tienda</title>Hola <b>mundo</b> desde Lima");
    assert_eq!(page.title().as_deref(), Some("Tienda"));
    assert!(page.visible_text().contains("Hola mundo desde Lima"));
    let empty = parse_all(b"");
    assert_eq!(empty.visible_text(), "");
    assert_eq!(classify(&empty).page_type, PageType::Other);
}

#[test]
fn garbage_bytes_and_nul_do_not_panic() {
    let mut bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    bytes.extend_from_slice(b"<p>\0fin</p>");
    let page = parse_all(&bytes);
    assert!(page.visible_text().contains("fin"));
}

#[test]
fn windows_1252_and_latin1_are_decoded() {
    let cp1252 = b"<p>Env\xedo a Per\xfa: \x8020 o S/ 75,50 \x96 se\xf1or</p>";
    let page = parse_all(cp1252);
    let text = page.visible_text();
    assert!(
        text.contains("Envío a Perú: €20 o S/ 75,50 – señor"),
        "{text:?}"
    );
    let latin1 = b"<meta charset=\"iso-8859-1\"><p>Cusco, Per\xfa \xa9 2024</p>";
    assert!(parse_all(latin1)
        .visible_text()
        .contains("Cusco, Perú © 2024"));
}

#[test]
fn a_lying_meta_charset_loses_to_valid_utf8() {
    let html = "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\">\
        <h1>Вход на форум</h1><p>Пароль · contraseña</p>";
    let page = parse_all(html.as_bytes());
    assert!(page.visible_text().contains("Вход на форум"));
    assert!(page.visible_text().contains("Пароль · contraseña"));
    assert_eq!(page.encoding(), "UTF-8");
}

#[test]
fn a_20_mb_grid_parses_and_yields_its_listings() {
    let mut html = String::from("<html><head><title>Search results</title></head><body><h1>Search results</h1><div class=grid>");
    let mut n = 0;
    while html.len() < 20 * 1024 * 1024 {
        html.push_str(&format!(
            "<div class=card><a href=\"/item/{n}\">Cocaína peruana lote {n}</a>\
             <span class=price>S/ {},50</span> vendido por <a href=\"/vendor/v{}\">v{}</a>\
             <p>Ships from: Peru</p><p>{}</p></div>",
            100 + n % 900,
            n % 97,
            n % 97,
            "relleno ".repeat(40)
        ));
        n += 1;
    }
    html.push_str("</div></body></html>");
    let page = Page::parse("http://m.onion/search?q=coca", html.as_bytes());
    let parsed = generic::parse(&page, &Extractor::with_default_lexicon());
    assert_eq!(parsed.page_type, PageType::SearchResults);
    assert_eq!(parsed.listings.len(), n);
    let last = &parsed.listings[n - 1];
    assert_eq!(last.title, format!("Cocaína peruana lote {}", n - 1));
    assert_eq!(
        last.price.as_ref().and_then(|p| p.currency.as_deref()),
        Some("PEN")
    );
    assert_eq!(last.ships_from.as_deref(), Some("Peru"));
}
