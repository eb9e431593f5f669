use super::{parse, SelectorConfig};
use crate::records::PageType;
use crate::Extractor;

const URL: &str = "http://shop.onion/cat/drugs.html";

fn config(parser: &str) -> SelectorConfig {
    let text = format!("name = \"t\"\n{parser}");
    match SelectorConfig::from_toml(&text) {
        Ok(c) => c,
        Err(errors) => panic!("{errors:?}"),
    }
}

fn errors(text: &str) -> Vec<(usize, usize, String)> {
    match SelectorConfig::from_toml(text) {
        Ok(_) => panic!("config should be rejected"),
        Err(errors) => errors
            .iter()
            .map(|e| {
                let (l, c) = e.line_col(text);
                (l, c, e.message.clone())
            })
            .collect(),
    }
}

const CARDS: &str = r#"<html><head><title>Drugs</title></head><body>
<h1 class="cat">Estimulantes</h1>
<div class="card" id="c1"><a class="t" href="../item/1.html">Coca <b>pura</b></a>
  <span class="p">S/ 1.250,00</span><span class="v">@Andes (12) ★4.9</span>
  <span class="to">Perú, Chile</span><span class="to">Bolivia</span>
  <p class="d">Escríbeme. <script>var x = 1;</script><i class="ad">PROMO</i></p></div>
<div class="card" id="c2"><span class="p">USD 5</span></div>
<div class="card" id="c3"><h3><a class="t" href="/item/3.html">Cripy</a></h3>
  <div class="meta"><span class="v">Sur</span></div></div>
</body></html>"#;

#[test]
fn fields_read_text_attributes_regexes_and_lists() {
    let c = config(
        r#"[parser]
number_format = "1.234,56"
[[parser.page_type]]
url = '^/cat/'
type = "listing_index"
[[parser.listing]]
on = ["listing_index"]
container = "div.card"
url = { selector = "a.t", attr = "href" }
title = "a.t"
price = ".p"
vendor = { selector = ".v", regex = '^@?(\w+)' }
ships_to = ".to"
category = { selector = "h1.cat", scope = "page" }
description = { selector = ".d", exclude = ".ad" }
"#,
    );
    let page = parse(
        &c,
        URL,
        CARDS.as_bytes(),
        &Extractor::with_default_lexicon(),
    );
    assert_eq!(page.page_type, PageType::ListingIndex);
    assert_eq!(page.parser, "site:t");
    // The second card has no title: it is noise, not a listing.
    assert_eq!(page.listings.len(), 2);
    let l = &page.listings[0];
    assert_eq!(l.title, "Coca pura");
    assert_eq!(l.url, "http://shop.onion/item/1.html");
    assert_eq!(l.vendor.as_deref(), Some("Andes"));
    assert_eq!(l.ships_to, ["Perú", "Chile", "Bolivia"]);
    assert_eq!(l.category.as_deref(), Some("Estimulantes"));
    assert_eq!(l.description.as_deref(), Some("Escríbeme."));
    let price = l.price.as_ref().map(|p| (p.amount, p.currency.as_deref()));
    assert_eq!(price, Some((Some(1250.0), Some("PEN"))));
    assert_eq!(page.listings[1].vendor.as_deref(), Some("Sur"));
    assert_eq!(page.listings[1].url, "http://shop.onion/item/3.html");
}

#[test]
fn fallbacks_scope_and_prefix() {
    let html = br#"<body><h2 class="topic">Hilo</h2>
<div class="c" id="c-1"><div class="head"><a class="u">/u/ana</a></div><div class="body">uno</div>
  <div class="c" id="c-2"><div class="head"><a class="u">/u/beto</a><span class="time" title="2024-05-04 19:30:02 UTC">ayer</span></div><div class="body">dos</div></div>
</div></body>"#;
    let c = config(
        r##"[parser]
default_page_type = "forum_thread"
[[parser.post]]
container = ".c"
url = { attr = "id", prefix = "#" }
thread_title = { selector = "h2.topic", scope = "page" }
author = [{ selector = ":scope > .head .missing" }, { selector = ":scope > .head .u", regex = '^/u/(.+)$' }]
date = { selector = ":scope > .head .time", attr = "title" }
body = ":scope > .body"
"##,
    );
    let page = parse(
        &c,
        "http://b.onion/post/1",
        html,
        &Extractor::with_default_lexicon(),
    );
    let got: Vec<_> = page
        .posts
        .iter()
        .map(|p| {
            (
                p.url.as_str(),
                p.author.as_deref(),
                p.posted_at.as_deref(),
                p.body.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("http://b.onion/post/1#c-1", Some("ana"), None, "uno"),
            (
                "http://b.onion/post/1#c-2",
                Some("beto"),
                Some("2024-05-04T19:30:02Z"),
                "dos"
            ),
        ]
    );
    assert_eq!(page.posts[1].thread_title.as_deref(), Some("Hilo"));
}

#[test]
fn links_are_absolute_http_only_and_skip_ignored() {
    let html =
        br##"<a href="a.html#x">a</a><a href="javascript:alert(1)">j</a><a href="/salir">s</a>
<a href="#top">t</a><a href="a.html">a again</a><a rel="next" href="?p=2">next</a>"##;
    let c = config(
        "[parser]\n[parser.links]\nignore = \"a[href*=salir]\"\nnext_page = \"a[rel=next]\"\n",
    );
    let page = parse(&c, URL, html, &Extractor::with_default_lexicon());
    assert_eq!(
        page.links,
        [
            "http://shop.onion/cat/a.html",
            "http://shop.onion/cat/drugs.html?p=2"
        ]
    );
    let doc = scraper::Html::parse_document(std::str::from_utf8(html).unwrap_or(""));
    let kinds: Vec<_> = super::links(&c, URL, &doc)
        .into_iter()
        .map(|l| l.kind)
        .collect();
    assert_eq!(kinds, [super::LinkKind::Other, super::LinkKind::NextPage]);
}

#[test]
fn page_type_rules_need_every_condition() {
    let c = config(
        r#"[parser]
[[parser.page_type]]
url = '^/cat/'
selector = "form#login"
type = "login"
[[parser.page_type]]
title = '(?i)drugs'
type = "listing_index"
"#,
    );
    assert_eq!(c.page_type(URL, CARDS.as_bytes()), PageType::ListingIndex);
    assert_eq!(c.page_type(URL, b"<form id=login></form>"), PageType::Login);
    assert_eq!(
        c.page_type("http://shop.onion/x", b"<form id=login></form>"),
        PageType::Other
    );
}

#[test]
fn every_config_error_is_reported_at_its_place() {
    let text = r##"name = "roto"

[parser]
number_format = "1 234,56"
colour = "red"

[[parser.page_type]]
url = '^/item/('
type = "listing"

[[parser.listing]]
container = "div..card"
title = "h2"
prize = ".price"

[[parser.vendor]]
container = "#vendor"
handle = { selector = "h1", regexp = "x" }

[[parser.post]]
container = "div.post"
body = ["ok", "p:nth-child(x)"]
"##;
    let got = errors(text);
    let at = |line: usize, needle: &str| {
        assert!(
            got.iter().any(|(l, _, m)| *l == line && m.contains(needle)),
            "no error with {needle:?} on line {line}: {got:#?}"
        )
    };
    at(5, "unknown field `colour`");
    at(14, "unknown field `prize`");
    at(18, "unknown field `regexp`");
    at(4, "number_format");
    at(8, "invalid regex");
    at(12, "invalid CSS selector `div..card`");
    at(22, "invalid CSS selector `p:nth-child(x)`");
    assert_eq!(got.len(), 7, "{got:#?}");
    // Columns point at the value, not the line start.
    assert!(got.iter().any(|(l, c, _)| *l == 12 && *c == 13), "{got:#?}");
}

#[test]
fn structural_errors_are_located() {
    let got = errors("name = \"x\"\nparser = \"auto\"\n");
    assert_eq!(got[0].0, 2);
    assert!(got[0].2.contains("must be a table"));
    let got =
        errors("name = \"x\"\n[parser]\n[[parser.page_type]]\ntype = \"listado\"\nurl = \"x\"\n");
    assert_eq!(
        (got[0].0, got[0].2.contains("unknown page type `listado`")),
        (4, true)
    );
    let got = errors("name = \"x\"\n[parser]\n[[parser.listing]]\ntitle = \"h2\"\n");
    assert!(got[0].2.contains("missing field `container`"), "{got:?}");
    let got = errors("name = [\n");
    assert_eq!(got.len(), 1);
}

#[test]
fn a_missing_required_key_does_not_hide_other_errors() {
    let text =
        "name = \"x\"\n[parser]\n[[parser.listing]]\ncontianer = \"li\"\ntitle = \"h2..t\"\n";
    let got = errors(text);
    assert!(
        got.iter()
            .any(|(l, _, m)| *l == 4 && m.contains("did you mean `container`?")),
        "{got:#?}"
    );
    assert!(
        got.iter()
            .any(|(l, _, m)| *l == 3 && m.contains("missing field `container`")),
        "{got:#?}"
    );
    assert!(
        got.iter()
            .any(|(l, c, m)| (*l, *c) == (5, 9) && m.contains("invalid CSS selector")),
        "{got:#?}"
    );
}
