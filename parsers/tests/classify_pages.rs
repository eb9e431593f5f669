//! The classifier and the generic parser on small hand-written pages, one per page
//! kind, in the languages of the markets we watch.

use centinela_parsers::classify::classify;
use centinela_parsers::generic;
use centinela_parsers::page::Page;
use centinela_parsers::records::PageType;
use centinela_parsers::Extractor;

fn kind(html: &str) -> PageType {
    classify(&Page::parse("http://m.onion/p", html.as_bytes())).page_type
}

#[test]
fn login_forms_in_any_language() {
    let en = "<title>Market</title><form action=/login><input name=username>\
              <input type=password name=password><button>Sign in</button></form>";
    let es = "<h2>Iniciar sesión</h2><form><label>Usuario</label><input name=u>\
              <label>Contraseña</label><input type=password name=p><input type=submit value=Entrar></form>";
    let ru = "<title>Вход</title><form><input name=login><input type=password name=pass>\
              <input type=submit value='Войти'></form>";
    for page in [en, es, ru] {
        assert_eq!(kind(page), PageType::Login, "{page}");
        assert!(kind(page).needs_human());
    }
}

#[test]
fn captchas_and_anti_phishing_checks() {
    let image =
        "<form><img src=/captcha.php?id=9><input name=captcha><button>Submit</button></form>";
    let ru = "<h3>Введите код с картинки</h3><form><img src=/c.png><input name=code></form>";
    let phishing = "<title>Anti-Phishing</title><form><p>Enter the 6 missing * characters</p>\
                    <input name=chars><button>Check</button></form>";
    for page in [image, ru, phishing] {
        assert_eq!(kind(page), PageType::Captcha, "{page}");
    }
}

#[test]
fn queues_and_ddos_gates() {
    let endgame =
        "<title>EndGame</title><p>You are in the queue. Please wait, this page refreshes.</p>\
                   <meta http-equiv=refresh content=5>";
    let de = "<h1>DDoS-Schutz</h1><p>Bitte warten, Sie sind in der Warteschlange.</p>";
    let puzzle = "<title>DDoS Protection</title><form>".to_string()
        + &"<input name=c maxlength=1>".repeat(6)
        + "<button>Submit</button></form>";
    for page in [endgame, de, puzzle.as_str()] {
        assert_eq!(kind(page), PageType::DdosQueue, "{page}");
    }
}

#[test]
fn redirects_and_errors() {
    assert_eq!(
        kind("<meta http-equiv=refresh content=\"0; URL=/login\">"),
        PageType::Redirect
    );
    assert_eq!(
        kind("<title>Error 404</title><h1>Not found</h1>"),
        PageType::Error
    );
}

const GRID: &str = r#"<title>Resultados de búsqueda</title><h1>Search results for "coca"</h1>
<div class="row">
 <div class="col card"><a href="/listing/1">Peruvian flake 1g</a> <b>$1,250.00</b>
   <p>Vendor: <a href="/vendor/ana">ana (120)</a></p><p>Ships from: Peru</p><p>Ships to: Worldwide</p></div>
 <div class="col card"><a href="/listing/2">Lima rocks 3.5g</a> <b>S/ 1.250,00</b>
   <p>Vendor: <a href="/vendor/beto">@beto</a></p><p>Ships from: Peru</p><p>Ships to: PE, CL</p></div>
 <div class="col card"><a href="/listing/3">Bolivian base 10g</a> <b>0.0042 BTC</b>
   <p>Vendor: <a href="/vendor/cami">cami</a></p><p>BO → WW</p></div>
</div>"#;

#[test]
fn a_grid_of_cards_is_a_search_page_with_its_listings() {
    let page = Page::parse("http://m.onion/search?q=coca", GRID.as_bytes());
    let parsed = generic::parse(&page, &Extractor::with_default_lexicon());
    assert_eq!(parsed.page_type, PageType::SearchResults);
    assert_eq!(parsed.parser, "generic");
    type Row<'a> = (&'a str, Option<f64>, Option<&'a str>, Option<&'a str>);
    let got: Vec<Row> = parsed
        .listings
        .iter()
        .map(|l| {
            let p = l.price.as_ref();
            (
                l.title.as_str(),
                p.and_then(|p| p.amount),
                p.and_then(|p| p.currency.as_deref()),
                l.vendor.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Peruvian flake 1g", Some(1250.0), Some("USD"), Some("ana")),
            ("Lima rocks 3.5g", Some(1250.0), Some("PEN"), Some("beto")),
            ("Bolivian base 10g", Some(0.0042), Some("BTC"), Some("cami")),
        ]
    );
    assert_eq!(parsed.listings[1].ships_to, ["PE", "CL"]);
    assert_eq!(parsed.listings[2].ships_from.as_deref(), Some("BO"));
    assert_eq!(parsed.listings[0].url, "http://m.onion/listing/1");
    assert!(parsed
        .links
        .contains(&"http://m.onion/vendor/beto".to_string()));
}

#[test]
fn a_product_page_with_a_buy_form_is_a_listing() {
    let html = r#"<title>Cocaína 90% - Mercado Sur</title><h1>Cocaína 90%</h1>
        <p>Sold by: <a href="/user/chalaco">chalaco</a></p><p>Price: USD 45</p>
        <p>Ships from: Peru</p><p>Ships to: Chile, Bolivia</p>
        <form action="/cart"><input type=number name=qty value=1><button>Add to cart</button></form>"#;
    let page = Page::parse("http://m.onion/item/9", html.as_bytes());
    let parsed = generic::parse(&page, &Extractor::with_default_lexicon());
    assert_eq!(parsed.page_type, PageType::Listing);
    let l = &parsed.listings[0];
    assert_eq!(l.title, "Cocaína 90%");
    assert_eq!(l.price.as_ref().map(|p| p.shown.as_str()), Some("USD 45"));
    assert_eq!(l.vendor.as_deref(), Some("chalaco"));
    assert_eq!(l.ships_to, ["Chile", "Bolivia"]);
}

#[test]
fn a_forum_thread_yields_its_posts() {
    let post = |n: u32, who: &str| {
        format!(
            r#"<article class="message"><div class="user"><a class="username" href="/members/{who}.1/">{who}</a></div>
            <div class="message-content"><time datetime="2024-01-0{n}T10:00:00+0000">Jan {n}, 2024</time>
            <div class="bbWrapper">Envío a Lima y Cusco, contacto por Telegram. Respuesta número {n} del hilo con bastante texto para ser un mensaje.</div></div></article>"#
        )
    };
    let html = format!(
        "<title>Proveedor Perú | Foro</title><h1>Proveedor Perú</h1><div class=thread>{}{}{}</div><a>Reply</a>",
        post(1, "inca"),
        post(2, "puma"),
        post(3, "inca")
    );
    let page = Page::parse("http://f.onion/threads/1", html.as_bytes());
    let parsed = generic::parse(&page, &Extractor::with_default_lexicon());
    assert_eq!(parsed.page_type, PageType::ForumThread);
    assert_eq!(parsed.posts.len(), 3);
    assert_eq!(parsed.posts[1].author.as_deref(), Some("puma"));
    assert_eq!(
        parsed.posts[2].posted_at.as_deref(),
        Some("2024-01-03T10:00:00+0000")
    );
    assert!(parsed.posts[0].body.starts_with("Envío a Lima"));
    assert_eq!(
        parsed.posts[0].thread_title.as_deref(),
        Some("Proveedor Perú")
    );
}

#[test]
fn a_list_of_onion_mirrors_is_a_link_directory() {
    let mut html = String::from("<title>Verified links</title><ul>");
    for i in 0..12 {
        let host: String = std::iter::repeat_n((b'a' + i) as char, 56).collect();
        html.push_str(&format!(
            "<li><a href=\"http://{host}.onion/\">Market {i}</a></li>"
        ));
    }
    html.push_str("</ul>");
    assert_eq!(kind(&html), PageType::LinkDirectory);
}

#[test]
fn a_spanish_product_page() {
    let html = r#"<title>Mercado Andino - Cristal 5g</title><nav><a href="/">Inicio</a></nav>
        <h2>Cristal 5g pureza 90%</h2><p>Vendedor: <a href="/perfil/limeño">limeño</a></p>
        <p>Precio: S/. 350,00</p><p>Envío desde: Perú</p><p>Envío a: Perú, Chile</p>
        <form><select name="cantidad"><option>1</option><option>2</option></select>
        <button>Comprar ahora</button></form>"#;
    let page = Page::parse("http://m.onion/producto/5", html.as_bytes());
    let parsed = generic::parse(&page, &Extractor::with_default_lexicon());
    assert_eq!(parsed.page_type, PageType::Listing);
    let l = &parsed.listings[0];
    assert_eq!(l.title, "Cristal 5g pureza 90%");
    let price = l.price.as_ref();
    assert_eq!(price.and_then(|p| p.amount), Some(350.0));
    assert_eq!(price.and_then(|p| p.currency.as_deref()), Some("PEN"));
    assert_eq!(l.vendor.as_deref(), Some("limeño"));
    assert_eq!(l.ships_from.as_deref(), Some("Perú"));
    assert_eq!(l.ships_to, ["Perú", "Chile"]);
}
