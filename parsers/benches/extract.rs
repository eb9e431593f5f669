//! Throughput of `extract` on a large generated corpus of market and forum prose.
//!
//! Run: `cargo bench -p centinela-parsers --bench extract`. Criterion prints MiB/s per
//! case; all cases run on one core. Two corpora of 32 MiB are generated here,
//! deterministically: `prose` (forum-style words, an identifier every ~15 KB) and
//! `listings` (listing text dense with prices, dates and quantities, an address or a
//! contact every ~1.2 KB: the worst realistic case, since every number is tried as the
//! start of a split address), the latter also as HTML.

use centinela_parsers::extract::find_identifiers;
use centinela_parsers::text::{html, normalize::normalize};
use centinela_parsers::Extractor;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const WORDS: &[&str] = &[
    "producto",
    "calidad",
    "envío",
    "rápido",
    "discreto",
    "stealth",
    "gramos",
    "pureza",
    "vendedor",
    "confiable",
    "feedback",
    "escrow",
    "pedido",
    "paquete",
    "tracking",
    "days",
    "quality",
    "shipping",
    "worldwide",
    "vacuum",
    "sealed",
    "order",
    "the",
    "and",
    "with",
    "para",
    "por",
    "los",
    "las",
    "una",
    "del",
    "que",
    "con",
    "sin",
    "muy",
    "buen",
    "precio",
    "price",
    "USD",
    "listing",
    "stock",
    "available",
    "disponible",
    "reship",
    "refund",
    "100%",
    "2024-03-11",
    "12:45",
    "x10",
    "5g",
    "1kg",
    "#4521",
    "3.5",
    "S/",
    "Lima",
    "garantía",
];

const ADDRESSES: &[&str] = &[
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "47ewoP19TN7JEEnFKUJHAYhGxkeTRH82sf36giEp9AcNfDBfkAtRLX7A6rZz18bbNHPNV7ex6WYbMN3aKisFRJZ8Ebsmgef",
    "LT2KVaAy1ppRuxRgrS5RNU3vBsy7RibPeA",
    "TJRyWwFs9wTFGZg3JbrVriFbNfCug5tDeC",
];

const EXTRAS: &[&str] = &[
    "mirror 2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion",
    "escríbeme al tele @pepe_lima",
    "wickr: narcolima",
    "wasap 987 654 321",
    "envío a todo el Perú",
    "pago con Yape o Plin",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "contacto vendor@protonmail.com",
];

/// A small deterministic generator (xorshift), so every run measures the same bytes.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.next() % from.len()]
    }
}

/// Paragraphs of about 600 bytes from `words`; one in `every` carries an address and one
/// in `every` an extra (a contact, an onion name, a Peru phrase, a hash).
fn paragraphs(target_bytes: usize, words: &[&str], every: usize) -> Vec<String> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::new();
    let mut total = 0;
    while total < target_bytes {
        let mut p = String::with_capacity(700);
        while p.len() < 600 {
            p.push_str(rng.pick(words));
            p.push(if rng.next() % 12 == 0 { '.' } else { ' ' });
            if p.ends_with('.') {
                p.push(' ');
            }
        }
        match rng.next() % every {
            0 => {
                p.push_str(" BTC: ");
                p.push_str(rng.pick(ADDRESSES));
            }
            1 => {
                p.push(' ');
                p.push_str(rng.pick(EXTRAS));
            }
            _ => {}
        }
        total += p.len() + 1;
        out.push(p);
    }
    out
}

fn corpus_text(paras: &[String]) -> String {
    paras.join("\n")
}

fn corpus_html(paras: &[String]) -> String {
    let mut h = String::from("<!DOCTYPE html><html><head><title>Mercado</title><style>.a{color:red}</style></head><body>");
    for (i, p) in paras.iter().enumerate() {
        if i % 20 == 0 {
            h.push_str("<script>var x = '<p>not text</p>';</script>");
        }
        h.push_str("<div class=\"listing\"><p>");
        h.push_str(&p.replace('&', "&amp;").replace('<', "&lt;"));
        h.push_str("</p><span class=\"price\">&#36;45 &nbsp;USD</span></div>\n");
    }
    h.push_str("</body></html>");
    h
}

/// Forum-style prose: words only, few numbers, an identifier every few kilobytes.
const PROSE: &[&str] = &[
    "el",
    "la",
    "de",
    "que",
    "y",
    "en",
    "los",
    "se",
    "del",
    "las",
    "por",
    "un",
    "para",
    "con",
    "no",
    "una",
    "su",
    "al",
    "lo",
    "como",
    "más",
    "pero",
    "sus",
    "le",
    "ya",
    "o",
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "vendor",
    "market",
    "escrow",
    "shipping",
    "review",
    "quality",
    "stealth",
    "package",
    "mercado",
    "vendedor",
    "envío",
    "calidad",
    "paquete",
    "reseña",
    "confiable",
    "rápido",
];

fn bench(c: &mut Criterion) {
    let prose = corpus_text(&paragraphs(32 << 20, PROSE, 24));
    let mut g = c.benchmark_group("prose");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(prose.len() as u64));
    g.bench_function("identifiers (address+onion+pgp+contact scan)", |b| {
        b.iter(|| find_identifiers(black_box(&prose)).len())
    });
    g.finish();

    let paras = paragraphs(32 << 20, WORDS, 4);
    let text = corpus_text(&paras);
    let page = corpus_html(&paras);
    let extractor = Extractor::with_default_lexicon();
    // A sanity check that the corpus exercises the extractors at all.
    assert!(find_identifiers(&text).len() > 10_000);

    let mut g = c.benchmark_group("listings");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function(
        "identifiers (address+onion+pgp+contact scan), plain text",
        |b| b.iter(|| find_identifiers(black_box(&text)).len()),
    );
    g.bench_function("crypto addresses only", |b| {
        b.iter(|| centinela_parsers::crypto::find_addresses(black_box(&text)).len())
    });
    g.bench_function("contacts only", |b| {
        b.iter(|| centinela_parsers::contacts::find_contacts(black_box(&text)).len())
    });
    g.bench_function("onion only", |b| {
        b.iter(|| centinela_parsers::onion::find_onions(black_box(&text)).len())
    });
    g.bench_function("pgp only", |b| {
        b.iter(|| centinela_parsers::pgp::find_pgp_keys(black_box(&text)).len())
    });
    g.bench_function("normalize + identifiers, plain text", |b| {
        b.iter(|| find_identifiers(&normalize(black_box(&text)).0).len())
    });
    g.bench_function("extract_text (all, with Peru lexicon)", |b| {
        b.iter(|| extractor.extract_text(black_box(&text)).len())
    });
    g.throughput(Throughput::Bytes(page.len() as u64));
    g.bench_function("html to visible text only", |b| {
        b.iter(|| html::visible_text(black_box(&page)).0.len())
    });
    g.bench_function("extract_html (all)", |b| {
        b.iter(|| extractor.extract_html(black_box(page.as_bytes())).len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
