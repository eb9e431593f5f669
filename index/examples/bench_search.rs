//! Search index benchmark: bulk indexing rate, size on disk, and query latency.
//!
//! ```sh
//! cargo run --release --example bench_search                 # 1,000,000 documents
//! cargo run --release --example bench_search -- --docs 50000  # a quick run
//! ```
//!
//! Options: `--docs N` (default 1,000,000), `--queries N` per type (default 300),
//! `--threads N` (default 2) and `--mem-mb N` (default 512) for the index writer,
//! `--search-threads N` (default 1) for reading segments in parallel,
//! `--dir PATH` (default a fresh folder under the system temp dir, removed at the end),
//! `--keep` to leave the index on disk.
//!
//! The documents are synthetic and deterministic (a fixed-seed generator): about 85%
//! listings, 10% vendors and 5% forum posts across 12 markets, with Spanish and English
//! drug-market vocabulary, prices in PEN/USD/EUR/BTC, checksum-valid BTC/LTC/DOGE
//! wallets shared between a vendor's records, and handles with leetspeak variants.
//! Indexing goes through the same path as `SearchIndex::rebuild_from`: `clear`, then
//! `add_new` for each record, then one `commit`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use centinela_index::search::{
    Doc, IndexOptions, Rates, RecordType, SearchIndex, SearchRequest, Sort,
};
use centinela_index::store::{Availability, Capture, StoredListing, StoredPost, StoredVendor};
use centinela_index::time::Timestamp;
use centinela_parsers::crypto::base58;
use centinela_parsers::records::{Listing, PeruEvidence, PeruScore, Post, Price};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// SplitMix64: tiny, fast and deterministic; no dependency for a benchmark.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T: ?Sized>(&mut self, items: &'a [&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const SITES: &[&str] = &[
    "mercado-andino",
    "silk-lane",
    "abacus-next",
    "torrez-resurrected",
    "archetyp-mirror",
    "nemesis-sur",
    "cartel-del-pacifico",
    "bohemia-market",
    "incognito-sa",
    "kingdom-latam",
    "dread",
    "foro-dread-es",
];

const PRODUCTS_ES: &[&str] = &[
    "Cocaína",
    "Cocaína rosada",
    "Pasta básica de cocaína",
    "Marihuana",
    "Cripy",
    "Éxtasis",
    "MDMA cristal",
    "Ketamina",
    "LSD",
    "Tusi",
    "Heroína",
    "Anfetamina",
    "Hachís",
    "Metanfetamina",
    "Hongos mágicos",
];
const PRODUCTS_EN: &[&str] = &[
    "Cocaine",
    "Pure cocaine",
    "Colombian coke",
    "Weed",
    "Cannabis",
    "Ecstasy pills",
    "MDMA crystals",
    "Ketamine",
    "LSD tabs",
    "Heroin",
    "Speed",
    "Hash",
    "Crystal meth",
    "Magic mushrooms",
    "Pink cocaine",
];
const QUALITIES_ES: &[&str] = &[
    "pureza 90%",
    "alta calidad",
    "sin cortar",
    "directo de fábrica",
    "calidad premium",
    "escama de pescado",
];
const QUALITIES_EN: &[&str] = &[
    "90% purity",
    "uncut",
    "top quality",
    "lab tested",
    "fishscale",
    "premium grade",
];
const AMOUNTS: &[&str] = &[
    "1g",
    "3.5g",
    "5g",
    "10g",
    "28g",
    "50g",
    "100g",
    "1kg",
    "250 pills",
];
const PLACES: &[&str] = &[
    "Lima",
    "Callao",
    "Arequipa",
    "Cusco",
    "Trujillo",
    "Miraflores",
    "Santiago",
    "Bogotá",
    "Medellín",
    "La Paz",
    "Madrid",
    "Europa",
    "USA",
    "todo el Perú",
];
const COUNTRIES: &[&str] = &[
    "Perú",
    "Peru",
    "Chile",
    "Bolivia",
    "Colombia",
    "Ecuador",
    "Argentina",
    "Brasil",
    "España",
    "USA",
    "Worldwide",
    "Europe",
];
const CATEGORIES: &[&str] = &[
    "Cocaína",
    "Cannabis",
    "Estimulantes",
    "Psicodélicos",
    "Opioides",
    "Disociativos",
    "Éxtasis",
    "Benzos",
];
/// Sentence templates; slots: {P} product, {Q} quality, {L} place, {C} courier, {Y}
/// payment, {N} a number, {W} a filler word, {S} a strain or pill brand, {K} a lot code.
const SENTENCES_ES: &[&str] = &[
    "Envíos discretos a todo el Perú por {C}",
    "Pago con {Y} para clientes de {L}",
    "{P} traído directamente desde el VRAEM",
    "Empaque al vacío, doble sellado, sin olor",
    "Escríbeme al tele para pedidos de más de {N} gramos",
    "No hago reembolsos sin foto del paquete",
    "Envío en {N} horas dentro de {L}",
    "Precio especial por mayor, consulta por privado",
    "Calidad garantizada, más de {N} ventas",
    "Acepto {Y}, escrow obligatorio",
    "Entregas en mano en {L} y alrededores",
    "Stock limitado esta semana, lote {K}",
    "{S} de {Q}, {W} y {W}",
    "Despacho por {C} con código de seguimiento",
    "Si el paquete no llega en {N} días se reenvía",
    "Trabajo con {C} y {C}, nunca con correo nacional",
    "Muestras gratis de {S} para compradores frecuentes",
    "El {P} viene {W}, {Q}, probado en laboratorio",
    "Descuento de {N}% pagando con {Y}",
    "Atiendo de lunes a sábado, respuesta en {N} horas",
    "Producto {W} y {W}, ideal para {W}",
    "Referencias en el foro, busca {S}",
    "Los pedidos a {L} salen el mismo día",
    "Nuevo lote {K} de {P}, {Q}",
];
const SENTENCES_EN: &[&str] = &[
    "Stealth shipping worldwide with tracking via {C}",
    "Ships from {L} within {N} hours",
    "Vacuum sealed, mylar bag, no smell",
    "Reship or refund if lost in customs",
    "Contact me on Wickr for orders over {N} grams",
    "Finalize early only for trusted buyers",
    "Best prices on the market, {Q}",
    "Fast delivery to {L} and {L}",
    "Escrow accepted, PGP required for addresses",
    "Over {N} successful orders",
    "Free sample of {S} with every order over {N} USD",
    "Restocked this week, batch {K}",
    "{S} is {W} and {W}, {Q}",
    "We pay with {Y} only, no exceptions",
    "Tracking number sent within {N} days",
    "Bulk discounts on {P}, message for pricing",
    "Our {P} is {W}, {Q}, lab tested by {W}",
    "{N}% off when paying with {Y}",
    "Customer service {W} every day, replies in {N} hours",
    "Dead drops available in {L}",
    "New batch {K} of {P}, {Q}",
    "Packed {W} and {W}, shipped by {C}",
    "Read our reviews on the forum under {S}",
    "Orders to {L} leave the same day",
];
const COURIERS: &[&str] = &[
    "Olva Courier",
    "Shalom",
    "Serpost",
    "DHL",
    "FedEx",
    "UPS",
    "Cruz del Sur",
    "Marvisur",
    "Correos",
    "USPS",
    "Royal Mail",
    "PostNL",
    "Chilexpress",
    "Servientrega",
];
const PAYMENTS: &[&str] = &[
    "Yape",
    "Plin",
    "BTC",
    "XMR",
    "Monero",
    "Bitcoin",
    "LTC",
    "USDT",
    "transferencia BCP",
    "Western Union",
    "efectivo",
    "Binance Pay",
];
const STRAINS: &[&str] = &[
    "Amnesia Haze",
    "Blue Dream",
    "OG Kush",
    "White Widow",
    "Gorilla Glue",
    "Gelato",
    "Tesla azul",
    "Philipp Plein",
    "Red Bull",
    "Donald Trump",
    "Punisher",
    "Skittles",
    "Lemon Haze",
    "Girl Scout Cookies",
    "Bolivian Flake",
    "Peruvian Flake",
    "Tusi rosa",
    "Mango Kush",
    "Northern Lights",
    "Sour Diesel",
    "Moon Rocks",
    "Ice Cream Cake",
];
const FILLER: &[&str] = &[
    "puro",
    "potente",
    "limpio",
    "brillante",
    "fresco",
    "seco",
    "compacto",
    "aromático",
    "suave",
    "fuerte",
    "original",
    "importado",
    "nacional",
    "escamado",
    "cristalino",
    "molido",
    "prensado",
    "natural",
    "orgánico",
    "selecto",
    "exclusivo",
    "garantizado",
    "discreto",
    "rápido",
    "seguro",
    "confiable",
    "barato",
    "económico",
    "premium",
    "élite",
    "strong",
    "clean",
    "shiny",
    "fresh",
    "dry",
    "sticky",
    "smooth",
    "potent",
    "pure",
    "imported",
    "pressed",
    "flaky",
    "crystalline",
    "organic",
    "exclusive",
    "guaranteed",
    "discreet",
    "fast",
    "safe",
    "reliable",
    "cheap",
    "premium",
    "elite",
    "legendary",
    "fluffy",
    "dense",
    "frosty",
    "pungent",
    "sweet",
    "sour",
    "earthy",
    "citrus",
    "fruity",
    "fiesta",
    "rave",
    "weekend",
    "festival",
    "party",
    "relax",
    "trabajo",
    "estudio",
];

const NAME_A: &[&str] = &[
    "Condor", "Kondor", "Inca", "Andes", "Puma", "Llama", "Nevado", "Selva", "Pacifico", "Narco",
    "Snow", "White", "Green", "Blue", "Dragon", "Lobo", "Tigre", "Cali", "Royal", "Golden", "Dark",
    "Happy", "Magic", "Crystal", "Pure",
];
const NAME_B: &[&str] = &[
    "Blanco", "Lima", "Sur", "Norte", "King", "Queen", "Labs", "Store", "Plug", "Express", "Peru",
    "Connect", "Dealer", "Shop", "Trader", "Boss", "Family", "Cartel", "Direct", "Farm",
];

fn handle_of(rng: &mut Rng, i: usize) -> String {
    let a = NAME_A[i % NAME_A.len()];
    let b = NAME_B[(i / NAME_A.len()) % NAME_B.len()];
    let n = i / (NAME_A.len() * NAME_B.len());
    let sep = ["", "_", "", "-", "."][rng.below(5)];
    if n == 0 {
        format!("{a}{sep}{b}")
    } else {
        format!("{a}{sep}{b}{n}")
    }
}

fn address(rng: &mut Rng) -> String {
    let version = [0x00u8, 0x05, 0x30, 0x1e][rng.below(4)];
    let mut payload = vec![version];
    for _ in 0..20 {
        payload.push(rng.next() as u8);
    }
    base58::encode_check(&payload)
}

fn fingerprint(rng: &mut Rng) -> String {
    (0..5)
        .map(|_| format!("{:08X}", rng.next() as u32))
        .collect()
}

struct VendorSeed {
    site: usize,
    handle: String,
    addresses: Vec<String>,
    contacts: Vec<String>,
    pgp: String,
}

fn capture(rng: &mut Rng, at: i64) -> Capture {
    Capture {
        file: format!("crawl-{:05}.warc.gz", rng.below(5000)),
        offset: rng.next() % 1_000_000_000,
        length: 20_000 + rng.next() % 80_000,
        record_id: format!("<urn:uuid:{:016x}{:016x}>", rng.next(), rng.next()),
        sha256: format!(
            "{:016x}{:016x}{:016x}{:016x}",
            rng.next(),
            rng.next(),
            rng.next(),
            rng.next()
        ),
        warc_date: String::new(),
        at: Timestamp(at),
    }
}

fn peru_score(rng: &mut Rng, spanish: bool) -> PeruScore {
    let score = if spanish {
        rng.unit()
    } else {
        rng.unit() * 0.6
    };
    let signals = if score >= 0.5 {
        vec![PeruEvidence {
            signal: "ships_to_peru".into(),
            weight: 0.6,
            matched: "envío a todo el Perú".into(),
            field: "description".into(),
            start: Some(120),
            end: Some(142),
        }]
    } else {
        vec![]
    };
    PeruScore {
        score: (score * 100.0).round() / 100.0,
        targets_peru: score >= 0.5,
        signals,
    }
}

const T0: i64 = 1_780_000_000;

fn sentences(rng: &mut Rng, spanish: bool, n: usize) -> String {
    let pool = if spanish { SENTENCES_ES } else { SENTENCES_EN };
    let products = if spanish { PRODUCTS_ES } else { PRODUCTS_EN };
    let qualities = if spanish { QUALITIES_ES } else { QUALITIES_EN };
    let mut out = String::new();
    for _ in 0..n {
        let template = rng.pick(pool);
        let mut rest = template;
        while let Some(at) = rest.find('{') {
            out.push_str(&rest[..at]);
            let slot = rest.as_bytes().get(at + 1).copied().unwrap_or(b'W');
            match slot {
                b'P' => out.push_str(&rng.pick(products).to_lowercase()),
                b'Q' => out.push_str(rng.pick(qualities)),
                b'L' => out.push_str(rng.pick(PLACES)),
                b'C' => out.push_str(rng.pick(COURIERS)),
                b'Y' => out.push_str(rng.pick(PAYMENTS)),
                b'N' => out.push_str(&(1 + rng.below(500)).to_string()),
                b'S' => out.push_str(rng.pick(STRAINS)),
                b'K' => out.push_str(&format!("{:04X}-{}", rng.below(65536), rng.below(100))),
                _ => out.push_str(rng.pick(FILLER)),
            }
            rest = rest.get(at + 3..).unwrap_or("");
        }
        out.push_str(rest);
        out.push_str(". ");
    }
    out
}

fn gen_listing(rng: &mut Rng, i: usize, v: &VendorSeed) -> StoredListing {
    let spanish = rng.chance(60);
    let site = SITES[v.site];
    let (product, quality) = if spanish {
        (rng.pick(PRODUCTS_ES), rng.pick(QUALITIES_ES))
    } else {
        (rng.pick(PRODUCTS_EN), rng.pick(QUALITIES_EN))
    };
    let amount = rng.pick(AMOUNTS);
    let place = rng.pick(PLACES);
    let title = if spanish {
        format!("{product} {amount} {quality} — envío a {place}")
    } else {
        format!("{product} {amount} {quality}, ships to {place}")
    };
    let n = 3 + rng.below(5);
    let mut description = sentences(rng, spanish, n);
    let mut addresses = Vec::new();
    if rng.chance(30) {
        let a = v.addresses[rng.below(v.addresses.len())].clone();
        description.push_str(if spanish { "Pago a " } else { "Pay to " });
        description.push_str(&a);
        description.push_str(". ");
        addresses.push(a);
    }
    let mut contacts = Vec::new();
    if rng.chance(25) {
        let c = v.contacts[0].clone();
        description.push_str(&c);
        contacts.push(c);
    }
    let (currency, value) = match rng.below(10) {
        0..=3 => ("PEN", 20.0 + rng.unit() * 8000.0),
        4..=6 => ("USD", 5.0 + rng.unit() * 3000.0),
        7..=8 => ("EUR", 5.0 + rng.unit() * 3000.0),
        _ => ("BTC", 0.0005 + rng.unit() * 0.05),
    };
    let value = (value * 100.0).round() / 100.0;
    let first = T0 + rng.below(180 * 86_400) as i64;
    let last = first + rng.below(60 * 86_400) as i64;
    let ships_to: Vec<String> = (0..1 + rng.below(3))
        .map(|_| rng.pick(COUNTRIES).to_string())
        .collect();
    let at = last;
    StoredListing {
        site: site.to_string(),
        listing: Listing {
            url: format!("http://{site}.onion/listing/{i}"),
            title,
            price: Some(Price {
                amount: Some(value),
                currency: Some(currency.into()),
                shown: format!("{value} {currency}"),
            }),
            vendor: Some(v.handle.clone()),
            ships_from: Some(rng.pick(COUNTRIES).to_string()),
            ships_to,
            category: Some(rng.pick(CATEGORIES).to_string()),
            description: Some(description),
            addresses,
            contacts,
            peru: peru_score(rng, spanish),
        },
        first_seen: Timestamp(first),
        last_seen: Timestamp(last),
        availability: Availability::Active,
        capture: capture(rng, at),
        capture_page: format!("http://{site}.onion/listing/{i}"),
    }
}

fn gen_vendor(rng: &mut Rng, v: &VendorSeed) -> StoredVendor {
    let site = SITES[v.site];
    let first = T0 + rng.below(180 * 86_400) as i64;
    let last = first + rng.below(60 * 86_400) as i64;
    StoredVendor {
        site: site.to_string(),
        handle: v.handle.clone(),
        url: Some(format!("http://{site}.onion/vendor/{}", v.handle)),
        pgp_fingerprints: vec![v.pgp.clone()],
        contacts: v.contacts.clone(),
        addresses: v.addresses.clone(),
        listings_seen: 0,
        listings_shown: rng.below(400),
        peru: peru_score(rng, true),
        first_seen: Timestamp(first),
        last_seen: Timestamp(last),
        capture: Some(capture(rng, last)),
    }
}

fn gen_post(
    rng: &mut Rng,
    i: usize,
    v: &VendorSeed,
    vendors: &[VendorSeed],
) -> (StoredPost, String) {
    let spanish = rng.chance(70);
    let site = SITES[10 + rng.below(2)];
    let other = &vendors[rng.below(vendors.len())];
    let thread_title = if spanish {
        format!(
            "¿Alguien probó a {}? {}",
            other.handle,
            rng.pick(PRODUCTS_ES)
        )
    } else {
        format!("Review: {} {}", other.handle, rng.pick(PRODUCTS_EN))
    };
    let n = 2 + rng.below(6);
    let mut body = sentences(rng, spanish, n);
    let mut addresses = Vec::new();
    if rng.chance(20) {
        let a = other.addresses[0].clone();
        body.push_str(&format!("Wallet: {a}. "));
        addresses.push(a);
    }
    let first = T0 + rng.below(240 * 86_400) as i64;
    let post = Post {
        url: format!("http://{site}.onion/thread/{}", i / 7),
        thread_title: Some(thread_title),
        author: Some(v.handle.clone()),
        posted_at: Some("2026-10-01T12:00:00Z".into()),
        body,
        addresses,
        contacts: vec![],
        peru: peru_score(rng, spanish),
    };
    let id = format!("{:016x}", rng.next());
    (
        StoredPost {
            site: site.to_string(),
            post,
            first_seen: Timestamp(first),
            last_seen: Timestamp(first + rng.below(10 * 86_400) as i64),
            capture: capture(rng, first),
        },
        id,
    )
}

struct Args {
    docs: usize,
    queries: usize,
    threads: usize,
    mem_mb: usize,
    search_threads: usize,
    dir: Option<PathBuf>,
    keep: bool,
}

fn args() -> BenchResult<Args> {
    let mut a = Args {
        docs: 1_000_000,
        queries: 300,
        threads: 2,
        mem_mb: 512,
        search_threads: 1,
        dir: None,
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--docs" => a.docs = value()?.replace('_', "").parse()?,
            "--queries" => a.queries = value()?.parse()?,
            "--threads" => a.threads = value()?.parse()?,
            "--mem-mb" => a.mem_mb = value()?.parse()?,
            "--search-threads" => a.search_threads = value()?.parse()?,
            "--dir" => a.dir = Some(PathBuf::from(value()?)),
            "--keep" => a.keep = true,
            // `cargo bench`/`cargo test` pass their own flags to examples built as tests.
            "--bench" | "--nocapture" => {}
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(a)
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// User + system CPU time of this process so far (Linux `/proc/self/stat`, 100 Hz ticks):
/// wall-clock rates on a shared 2-core machine move with whatever else runs; CPU time
/// shows what the indexing itself costs.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are 14th and 15th.
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(name: &str, mut times: Vec<(Duration, String)>, hits: usize) {
    times.sort_by_key(|t| t.0);
    let slowest = times.last().map(|t| t.1.clone()).unwrap_or_default();
    let times: Vec<Duration> = times.into_iter().map(|t| t.0).collect();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  {name:<28} n={:<4} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   (hits/query {:.1}; slowest: {slowest})",
        times.len(),
        ms(percentile(&times, 50.0)),
        ms(percentile(&times, 99.0)),
        ms(times.last().copied().unwrap_or_default()),
        hits as f64 / times.len().max(1) as f64
    );
}

fn main() -> BenchResult<()> {
    let a = args()?;
    let dir = a.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("centinela-bench-search-{}", std::process::id()))
    });
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    println!(
        "bench_search: {} documents, writer {} threads / {} MB, index in {}",
        a.docs,
        a.threads,
        a.mem_mb,
        dir.display()
    );

    // --- generate ---------------------------------------------------------------------
    let started = Instant::now();
    let mut rng = Rng(0x00C0_FFEE_2026);
    let n_vendors = (a.docs / 10).max(10);
    let vendors: Vec<VendorSeed> = (0..n_vendors)
        .map(|i| {
            let mut r = Rng(i as u64 ^ 0xABCD);
            VendorSeed {
                site: i % 10,
                handle: handle_of(&mut r, i),
                addresses: (0..1 + r.below(3)).map(|_| address(&mut r)).collect(),
                contacts: vec![format!("telegram:@{}", handle_of(&mut r, i).to_lowercase())],
                pgp: fingerprint(&mut r),
            }
        })
        .collect();
    let mut docs: Vec<Doc> = Vec::with_capacity(a.docs);
    let mut vendors_done = 0;
    for i in 0..a.docs {
        let roll = rng.below(100);
        let doc = if roll < 10 && vendors_done < vendors.len() {
            vendors_done += 1;
            Doc::vendor(&gen_vendor(&mut rng, &vendors[vendors_done - 1]))
        } else if roll < 15 {
            let v = &vendors[rng.below(vendors.len())];
            let (p, id) = gen_post(&mut rng, i, v, &vendors);
            Doc::post(&p, &id)
        } else {
            let v = &vendors[rng.below(vendors.len())];
            Doc::listing(&gen_listing(&mut rng, i, v))
        };
        docs.push(doc);
    }
    let gen_time = started.elapsed();
    let count = |t: RecordType| docs.iter().filter(|d| d.record_type() == t).count();
    println!(
        "generated   {} listings, {} vendors, {} posts in {:.1} s (record → Doc: {:.0} docs/s)",
        count(RecordType::Listing),
        count(RecordType::Vendor),
        count(RecordType::Post),
        gen_time.as_secs_f64(),
        a.docs as f64 / gen_time.as_secs_f64()
    );
    let json_bytes: usize = docs.iter().map(|d| d.record().to_string().len()).sum();
    println!(
        "            average record {} bytes of JSON",
        json_bytes / a.docs.max(1)
    );

    // --- index ------------------------------------------------------------------------
    let options = IndexOptions {
        writer_threads: a.threads,
        writer_memory_bytes: a.mem_mb * 1024 * 1024,
        search_threads: a.search_threads,
        rates: Rates::builtin().with_rate("BTC", 90_000.0),
    };
    let mut index = SearchIndex::open_with(&dir, options)?;
    let load_before = load_average();
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    index.clear()?;
    for d in &docs {
        index.add_new(d)?;
    }
    let added = started.elapsed();
    let cpu_added = cpu_seconds() - cpu_before;
    index.commit()?;
    let committed = started.elapsed();
    let cpu_committed = cpu_seconds() - cpu_before;
    index.finish_merges()?;
    let merged = started.elapsed();
    let cpu = cpu_seconds() - cpu_before;
    println!(
        "indexed     {} docs: added in {:.1} s, committed at {:.1} s → {:.0} docs/s \
         (to a committed, searchable index)",
        a.docs,
        added.as_secs_f64(),
        committed.as_secs_f64(),
        a.docs as f64 / committed.as_secs_f64()
    );
    println!(
        "            background merges finished at {:.1} s ({:.0} docs/s including merges)",
        merged.as_secs_f64(),
        a.docs as f64 / merged.as_secs_f64()
    );
    println!(
        "            CPU while adding {:.1} s, by commit {:.1} s",
        cpu_added, cpu_committed
    );
    println!(
        "            CPU {:.1} s ({:.0} µs/doc, {:.0} docs per CPU-second); load average {} before, {} after",
        cpu,
        cpu * 1e6 / a.docs as f64,
        a.docs as f64 / cpu.max(1e-9),
        load_before,
        load_average()
    );
    let size = dir_size(&dir);
    println!(
        "index size  {:.1} MiB on disk ({:.0} bytes/doc), {} docs searchable",
        size as f64 / (1024.0 * 1024.0),
        size as f64 / a.docs.max(1) as f64,
        index.num_docs()
    );

    // --- queries ----------------------------------------------------------------------
    let q = a.queries;
    let mut rng = Rng(42);
    let terms: Vec<&str> = [
        "cocaina",
        "cocaine",
        "envio",
        "shipping",
        "stealth",
        "lima",
        "mdma",
        "ketamina",
        "olva",
        "yape",
        "vraem",
        "wickr",
        "escrow",
        "cripy",
        "heroin",
        "tusi",
        "pureza",
        "miraflores",
        "vacuum",
        "reembolsos",
    ]
    .to_vec();
    let phrases: Vec<&str> = [
        "\"envío a Lima\"",
        "\"ships to Europa\"",
        "\"alta calidad\"",
        "\"Olva Courier\"",
        "\"pasta básica\"",
        "\"stealth shipping\"",
        "\"lab tested\"",
        "\"todo el Perú\"",
        "\"escrow obligatorio\"",
        "\"vacuum sealed\"",
        "\"Blue Dream\"",
        "\"same day\"",
        "\"Olva Courier\" lima",
        "\"lab tested\" cocaine",
    ]
    .to_vec();
    let run = |req: &SearchRequest,
               times: &mut Vec<(Duration, String)>,
               hits: &mut usize|
     -> BenchResult<()> {
        let t = Instant::now();
        let r = index.search(req)?;
        times.push((t.elapsed(), req.query.clone()));
        *hits += r.hits.len();
        Ok(())
    };
    // Warm the page cache and the reader once, as a running service would be.
    index.search(&SearchRequest::new("cocaina lima"))?;

    println!("queries     (limit 20, snippets on; {q} of each type)");
    let (mut times, mut hits) = (Vec::new(), 0);
    for i in 0..q {
        run(
            &SearchRequest::new(terms[i % terms.len()]),
            &mut times,
            &mut hits,
        )?;
    }
    report("term", times, hits);

    let (mut times, mut hits) = (Vec::new(), 0);
    for i in 0..q {
        run(
            &SearchRequest::new(phrases[i % phrases.len()]),
            &mut times,
            &mut hits,
        )?;
    }
    report("phrase", times, hits);

    let (mut times, mut hits) = (Vec::new(), 0);
    for i in 0..q {
        let lo = 20.0 * (1 + rng.below(20)) as f64;
        let req = SearchRequest {
            site: Some(SITES[i % 10].to_string()),
            peru: true,
            min_price_usd: Some(lo),
            max_price_usd: Some(lo * 5.0),
            ..SearchRequest::new(format!(
                "({} OR {}) AND NOT heroina",
                terms[rng.below(terms.len())],
                terms[rng.below(terms.len())]
            ))
        };
        run(&req, &mut times, &mut hits)?;
    }
    report("boolean + site/peru/price", times, hits);

    let (mut times, mut hits) = (Vec::new(), 0);
    for _ in 0..q {
        let req = SearchRequest {
            sort: Sort::Recency,
            ..SearchRequest::new(terms[rng.below(terms.len())])
        };
        run(&req, &mut times, &mut hits)?;
    }
    report("term, sorted by recency", times, hits);

    // What the web UI's search page asks: facets too.
    let (mut times, mut hits) = (Vec::new(), 0);
    for i in 0..q {
        let req = SearchRequest {
            facets: true,
            facet_names: vec!["site".into(), "type".into(), "ships_to".into()],
            ..SearchRequest::new(terms[i % terms.len()])
        };
        run(&req, &mut times, &mut hits)?;
    }
    report("term + facets (web page)", times, hits);

    let (mut times, mut hits) = (Vec::new(), 0);
    let mut found = 0;
    for _ in 0..q {
        let v = &vendors[rng.below(vendors.len())];
        // Disguise the handle: leetspeak, a dropped letter, or a separator.
        let name = match rng.below(3) {
            0 => v.handle.replace('o', "0").replace('e', "3"),
            1 => {
                let mut s: Vec<char> = v.handle.chars().collect();
                if s.len() > 8 {
                    s.remove(s.len() / 2);
                }
                s.into_iter().collect()
            }
            _ => format!("{}_", v.handle.to_uppercase()),
        };
        let t = Instant::now();
        let m = index.find_vendors(&name, 10)?;
        times.push((t.elapsed(), name.clone()));
        hits += m.len();
        if m.iter().any(|x| x.handle == v.handle) {
            found += 1;
        }
    }
    report("fuzzy vendor handle", times, hits);
    println!(
        "  {:<28} {found}/{q} disguised handles found their vendor",
        ""
    );

    let (mut times, mut hits) = (Vec::new(), 0);
    for _ in 0..q {
        let v = &vendors[rng.below(vendors.len())];
        let addr = &v.addresses[rng.below(v.addresses.len())];
        run(&SearchRequest::new(addr.clone()), &mut times, &mut hits)?;
    }
    report("address look-up", times, hits);

    drop(index);
    if a.keep {
        println!("kept the index in {}", dir.display());
    } else {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}
