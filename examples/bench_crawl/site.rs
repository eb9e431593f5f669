//! A synthetic Spanish-language onion market, large enough to measure a crawl end to end.
//!
//! Why synthetic: the saved pages of real markets are evidence, few, and cannot be
//! re-served as a 20,000-page site; a benchmark also needs the very same site on every run
//! and on every machine. So the market is a pure function of the requested path: every
//! page is rendered on the fly from a seeded generator (splitmix64, written here so the
//! output never changes with a dependency's version), nothing but the 400 vendor handles is
//! kept in memory, and two `SyntheticMarket::new(n)` serve byte-identical pages.
//!
//! Why it looks like this: pages carry what Centinela's parsers and extractors work on in
//! real markets — listing cards with prices in soles, dollars and BTC, vendor links,
//! "Envío desde / Envío a", product pages with ~1,200 characters of description, wallets
//! with valid checksums in about one listing in seven, contact handles in one in five —
//! wrapped in the header, sidebar and footer that make up most of a real page's bytes
//! (product pages ≈ 9 KB, category pages ≈ 19 KB, 9.3 KB on average).
//!
//! Why links are a mix of relative (`../vendedor/x.html`, `pagina/2.html`, `../`) and
//! root-relative (`/categoria/x/`) ones: the same pages are crawled as
//! `http://127.0.0.1:PORT/` by the Scrapy baseline and as `http://<onion>/` by Centinela,
//! and a crawler that resolves relative links wrongly must lose pages, not invent them.
//! There are no query strings, fragments, images, stylesheets or off-site links, so the
//! reachable set is exactly `page_count()` pages and a correct crawler fetches each once.
//! The two forms (search, `GET /buscar`; buy, `POST /carrito/agregar`) are there because
//! real pages have them — the page classifier needs the buy form to call a page a listing —
//! and lead to no page: a crawler that submits forms gets 404s, which the server counts.

use std::collections::HashMap;
use std::fmt::{self, Write};

/// The onion name the benchmark serves this market under (valid v3 checksum); the
/// footer shows it as the "official address", as real markets do.
pub const BENCH_ONION: &str = "kdzap6a2aelincprp5g4otdgtdpz3546kr67bgowxjlv3fukxylvddqd.onion";

const MARKET: &str = "Mercado Pacífico Sur";
const LISTINGS_PER_PAGE: usize = 40;
const MAX_VENDORS: usize = 400;
const LISTINGS_PER_VENDOR: usize = 50;
const FEATURED: usize = 20;
const BESTSELLERS: usize = 5;
const RELATED: usize = 6;

/// Stream numbers keep the generators of different page kinds independent.
const STREAM_LISTING: u64 = 0x4c49_5354;
const STREAM_VENDOR: u64 = 0x5645_4e44;
const STREAM_OWNER: u64 = 0x4f57_4e52;
const STREAM_REVIEW: u64 = 0x5245_5649;

/// Checksum-valid wallets (BTC P2PKH, P2SH, bech32, bech32m; XMR standard), so that an
/// extractor which verifies checksums reports them and the benchmark exercises that path.
const WALLETS: &[(&str, &str)] = &[
    ("BTC", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
    ("BTC", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
    ("BTC", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
    ("BTC", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
    (
        "BTC",
        "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
    ),
    (
        "XMR",
        "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A",
    ),
];

struct Category {
    slug: &'static str,
    name: &'static str,
    products: &'static [&'static str],
    unit: &'static str,
    quantities: &'static [u32],
    /// US dollars per unit for the smallest quantity.
    usd_per_unit: u32,
    /// Whether titles and descriptions quote a purity percentage.
    purity: bool,
}

const GRAMS: &[u32] = &[1, 2, 3, 5, 7, 10, 25, 50, 100, 250, 500, 1000];
const PILLS: &[u32] = &[10, 20, 50, 100, 250, 500];
const DOSES: &[u32] = &[5, 10, 25, 50, 100];
const UNITS: &[u32] = &[1, 2, 5, 10];

const CATEGORIES: [Category; 12] = [
    Category {
        slug: "cocaina",
        name: "Cocaína",
        products: &[
            "Cocaína peruana",
            "Cocaína colombiana",
            "Cocaína boliviana",
            "Escama de pescado",
            "Cocaína flake",
        ],
        unit: "g",
        quantities: GRAMS,
        usd_per_unit: 60,
        purity: true,
    },
    Category {
        slug: "pasta-basica",
        name: "Pasta básica (PBC)",
        products: &[
            "Pasta básica de cocaína",
            "PBC lavada",
            "Pasta base del VRAEM",
        ],
        unit: "g",
        quantities: GRAMS,
        usd_per_unit: 8,
        purity: true,
    },
    Category {
        slug: "marihuana",
        name: "Marihuana",
        products: &[
            "Cripy",
            "Marihuana Haze",
            "Cogollos OG Kush",
            "Marihuana prensada",
            "White Widow",
        ],
        unit: "g",
        quantities: GRAMS,
        usd_per_unit: 6,
        purity: false,
    },
    Category {
        slug: "hachis",
        name: "Hachís y extractos",
        products: &[
            "Hachís marroquí",
            "Wax",
            "Aceite de THC",
            "Resina de cannabis",
        ],
        unit: "g",
        quantities: GRAMS,
        usd_per_unit: 12,
        purity: false,
    },
    Category {
        slug: "extasis-mdma",
        name: "Éxtasis y MDMA",
        products: &[
            "Pastillas Tesla",
            "Pastillas Philipp Plein",
            "Pastillas Red Bull",
            "Molly",
        ],
        unit: "pastillas",
        quantities: PILLS,
        usd_per_unit: 9,
        purity: false,
    },
    Category {
        slug: "tusi",
        name: "Tusi (2C-B)",
        products: &["Tusi rosado", "2C-B en polvo", "Tusi premium"],
        unit: "g",
        quantities: GRAMS,
        usd_per_unit: 40,
        purity: true,
    },
    Category {
        slug: "psicodelicos",
        name: "Psicodélicos",
        products: &[
            "Secantes LSD 200µg",
            "Hongos psilocibios",
            "DMT cristal",
            "Mescalina",
        ],
        unit: "dosis",
        quantities: DOSES,
        usd_per_unit: 10,
        purity: false,
    },
    Category {
        slug: "ketamina",
        name: "Ketamina",
        products: &[
            "Ketamina en cristal",
            "Ketamina líquida",
            "Ketamina en polvo",
        ],
        unit: "g",
        quantities: GRAMS,
        usd_per_unit: 30,
        purity: true,
    },
    Category {
        slug: "opioides",
        name: "Opioides",
        products: &["Tramadol 100 mg", "Oxicodona 80 mg", "Parches de fentanilo"],
        unit: "pastillas",
        quantities: PILLS,
        usd_per_unit: 7,
        purity: false,
    },
    Category {
        slug: "benzodiacepinas",
        name: "Benzodiacepinas",
        products: &["Clonazepam 2 mg", "Alprazolam 1 mg", "Diazepam 10 mg"],
        unit: "pastillas",
        quantities: PILLS,
        usd_per_unit: 2,
        purity: false,
    },
    Category {
        slug: "estimulantes",
        name: "Estimulantes",
        products: &[
            "Anfetamina (speed)",
            "Metanfetamina cristal",
            "Modafinilo 200 mg",
        ],
        unit: "g",
        quantities: GRAMS,
        usd_per_unit: 25,
        purity: true,
    },
    Category {
        slug: "accesorios",
        name: "Accesorios y servicios",
        products: &[
            "Balanza digital 0,01 g",
            "Bolsas zip para envío",
            "Selladora al vacío",
            "Guía de envío discreto",
        ],
        unit: "unidades",
        quantities: UNITS,
        usd_per_unit: 15,
        purity: false,
    },
];

const QUALIFIERS: &[&str] = &[
    "",
    "alta pureza",
    "sin cortar",
    "premium",
    "calidad exportación",
    "directo del productor",
    "oferta",
    "lote nuevo",
];

const SHIPS_FROM: &[&str] = &[
    "Lima, Perú",
    "Lima, Perú",
    "Callao, Perú",
    "Cusco, Perú",
    "Tumbes, Perú",
    "Puno, Perú",
    "Santa Cruz, Bolivia",
    "Medellín, Colombia",
    "Arica, Chile",
    "Guayaquil, Ecuador",
    "Países Bajos",
];

const SHIPS_TO: &[&str] = &[
    "Perú, Chile",
    "Perú",
    "Perú, Bolivia, Ecuador",
    "Todo el mundo",
    "Chile, Argentina",
    "Lima y Callao",
    "Sudamérica",
    "Perú, Colombia",
];

const CITIES: &[&str] = &[
    "Lima", "Callao", "Arequipa", "Trujillo", "Cusco", "Chiclayo", "Piura", "Iquitos", "Tacna",
    "Puno", "Huancayo", "Ayacucho",
];

const DISTRICTS: &[&str] = &[
    "Miraflores",
    "San Isidro",
    "Surco",
    "Los Olivos",
    "San Juan de Lurigancho",
    "Callao Cercado",
    "La Victoria",
    "Barranco",
    "Chorrillos",
    "Comas",
];

/// Description sentences. Slots: {P} product, {Q} quantity with unit, {U} purity,
/// {C} city, {S} district, {D}/{E} days, {H} vendor handle.
const SENTENCES: &[&str] = &[
    "Producto de primera, {P} traído directamente desde el VRAEM y probado antes de cada envío.",
    "Pureza comprobada del {U} con reactivo; no cortamos con levamisol ni con fenacetina.",
    "Envío discreto a todo el Perú: empaque al vacío, doble bolsa y sobre de documentos.",
    "Hacemos entregas en {C} en {D} días hábiles; para {S} el envío es el mismo día.",
    "Usamos stealth profesional: el paquete va dentro de un producto comercial sellado, sin olor.",
    "Pesamos cada pedido en balanza calibrada; si falta un gramo lo reponemos en el siguiente envío.",
    "Envíos por agencia (Olva, Shalom) o entrega en mano en Lima y Callao, previa coordinación.",
    "No enviamos a casillas ni a oficinas públicas; usa un nombre de fantasía en el destinatario.",
    "Pedidos de {Q} o más tienen un 10% de descuento y envío gratis dentro de Lima metropolitana.",
    "Pago solo con BTC o XMR a través del escrow del mercado; nada de finalizar antes sin historial.",
    "Reenvío sin costo si el paquete es incautado, siempre que haya número de seguimiento.",
    "Cada lote se prueba en laboratorio propio; el último análisis dio {U} de pureza.",
    "Somos {H}, más de mil ventas en tres mercados sin una sola disputa perdida.",
    "Si eres nuevo, empieza con un pedido chico de prueba; después coordinamos volumen.",
    "Mandamos foto del producto con tu nombre de usuario y la fecha antes de despachar.",
    "El despacho sale de 24 a 48 horas después de la confirmación del pago en el escrow.",
    "Para pedidos al Callao o Ventanilla usamos motorizado de confianza; no hay contra entrega.",
    "Cuidado con los estafadores que copian nuestro nombre en otros mercados; solo vendemos aquí.",
    "Empaque con papel carbón y bolsa antiestática para pasar los escáneres de la aduana.",
    "Enviamos también a Chile y Bolivia vía Tacna y Desaguadero, demora de {D} a {E} días.",
    "Precio por mayor para revendedores de {C}: escríbenos por mensaje privado del mercado.",
    "Es la misma mercancía que movemos en las discotecas de {S}, calidad garantizada.",
    "Encripta tu dirección con nuestra llave PGP; los mensajes sin cifrar se borran sin leer.",
    "No respondemos los domingos; los pedidos del fin de semana salen el lunes temprano.",
    "Ofrecemos {P} desde {Q}, al mejor precio del mercado y sin intermediarios.",
    "Stealth nivel 4: sellado al calor, capa de café molido y caja de regalo con boleta.",
    "Si el tracking no se mueve en {D} días, abre un ticket y lo resolvemos sin discutir.",
    "Aceptamos pedidos personalizados de gramaje, desde 0,5 g hasta 1 kg.",
    "Las entregas en provincia ({C}) salen por bus interprovincial como encomienda.",
    "Producto estable, sin humedad, cristales grandes y brillo natural; olor fuerte a solvente.",
];

const REVIEWS: &[&str] = &[
    "Llegó en 3 días a Miraflores, todo perfecto, el peso exacto.",
    "Stealth impecable, ni el portero sospechó. Volveré a comprar.",
    "Buena calidad pero demoró una semana a Arequipa.",
    "El vendedor respondió rápido y reenvió sin problemas.",
    "Pureza como la anunciada, la probé con reactivo.",
    "Paquete bien sellado, sin olor. Recomendado.",
    "Faltó medio gramo pero lo repuso en el siguiente pedido.",
    "Entrega en mano en el Callao, puntual y discreto.",
    "Segunda compra, misma calidad. 10/10.",
    "Tardó pero llegó; el tracking de Olva no se actualizaba.",
];

const VENDOR_NOUNS: [&str; 20] = [
    "Condor", "Puma", "Vicuna", "Nevado", "Huaco", "Inti", "Quipu", "Amaru", "Cusi", "Llama",
    "Colibri", "Jaguar", "Cafetal", "Rio", "Pacifico", "Andes", "Selva", "Costa", "Nazca", "Moche",
];
const VENDOR_ADJECTIVES: [&str; 20] = [
    "Blanco", "Sur", "Norte", "Real", "Andino", "Express", "Verde", "Dorado", "Limeno", "Chalaco",
    "Rapido", "Secreto", "Fino", "Negro", "Azul", "Premium", "Calidad", "Oscuro", "Fuerte",
    "Seguro",
];

const MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// Info pages linked from every footer: (path, title, body).
const STATIC_PAGES: [(&str, &str, &str); 2] = [
    ("/reglas.html", "Reglas del mercado", RULES_TEXT),
    ("/faq.html", "Preguntas frecuentes", FAQ_TEXT),
];

const RULES_TEXT: &str = "<ol>\
<li>Todo pago pasa por el escrow del mercado. Finalizar antes (FE) solo para vendedores de nivel 4 o más.</li>\
<li>Prohibido publicar datos personales de compradores o vendedores (doxeo): baneo inmediato.</li>\
<li>Las disputas se abren desde el pedido, nunca por mensaje privado. El staff responde en 48 horas.</li>\
<li>Los vendedores deben indicar país de envío y países de destino reales en cada publicación.</li>\
<li>Prohibido vender armas, explosivos, datos de tarjetas o servicios de sicariato.</li>\
<li>Cifra tu dirección con la llave PGP del vendedor. El mercado borra las direcciones a los 7 días.</li>\
<li>Los retiros de BTC y XMR se procesan cada 6 horas; la comisión del mercado es del 4%.</li>\
<li>Verifica siempre la dirección onion firmada con la llave PGP del staff; hay muchos sitios de phishing.</li>\
</ol><p>Quien incumpla las reglas pierde su depósito de vendedor y su cuenta queda suspendida.</p>";

const FAQ_TEXT: &str = "<dl>\
<dt>¿Cómo compro?</dt><dd>Deposita BTC o XMR en tu billetera del mercado, elige un producto, cifra tu dirección con la llave PGP del vendedor y confirma el pedido.</dd>\
<dt>¿Cuánto demora un envío dentro del Perú?</dt><dd>Lima y Callao de 1 a 3 días; provincias de 3 a 7 días por agencia o bus interprovincial.</dd>\
<dt>¿Qué pasa si mi paquete no llega?</dt><dd>Abre una disputa desde el pedido. Si el vendedor ofrece reenvío, lo verás en su perfil.</dd>\
<dt>¿Es seguro usar mi dirección real?</dt><dd>Usa una dirección donde puedas recibir sin dar tu nombre real y cífrala siempre.</dd>\
<dt>¿Por qué mi depósito no aparece?</dt><dd>Los depósitos necesitan 2 confirmaciones en BTC y 10 en XMR.</dd>\
<dt>¿Cómo me hago vendedor?</dt><dd>Paga el depósito de vendedor y envía al staff pruebas de ventas en otros mercados.</dd>\
</dl>";

/// The market's stylesheet, inline like on most onion markets (no external requests),
/// and a realistic part of every page's weight.
const STYLE: &str = "body{margin:0;background:#14161a;color:#d8d8d8;font:14px/1.45 Verdana,Arial,sans-serif}\
a{color:#e0b04a;text-decoration:none}a:hover{text-decoration:underline}\
#wrap{max-width:1180px;margin:0 auto}\
header.top{display:flex;align-items:center;justify-content:space-between;padding:10px 14px;background:#1e2127;border-bottom:2px solid #e0b04a}\
header.top .logo a{font-size:22px;font-weight:bold;color:#fff}\
header.top .util{font-size:12px;color:#9aa}\
form.search input{width:260px;padding:4px;background:#0f1114;border:1px solid #444;color:#ddd}\
nav.cats ul{list-style:none;margin:0;padding:6px 10px;background:#23262d;display:flex;flex-wrap:wrap;gap:12px}\
.cols{display:flex;gap:14px;padding:14px}aside.side{width:230px;flex:none;font-size:13px}\
aside.side h3{margin:12px 0 4px;font-size:13px;text-transform:uppercase;color:#9aa;border-bottom:1px solid #333}\
aside.side ul{list-style:none;margin:0;padding:0}aside.side li{padding:2px 0}\
main{flex:1;min-width:0}.crumbs{font-size:12px;color:#888;margin-bottom:8px}\
.grid{display:grid;grid-template-columns:repeat(4,1fr);gap:10px}\
.card{background:#1e2127;border:1px solid #2c3038;padding:8px;border-radius:3px}\
.card h4{margin:0 0 4px;font-size:13px;min-height:36px}.card .p{color:#7fd17f;font-weight:bold}\
.card .s{color:#999;font-size:11px}form.buy{margin:10px 0}\
.pager{margin:14px 0;text-align:center}.pager a,.pager b{padding:3px 8px;border:1px solid #333;margin:0 2px}\
table.data{width:100%;border-collapse:collapse}table.data td,table.data th{border-bottom:1px solid #2c3038;padding:4px;text-align:left}\
.product .price{font-size:20px;color:#7fd17f}.product .desc{background:#1a1c21;padding:10px;border-left:3px solid #e0b04a}\
.badge{display:inline-block;padding:1px 6px;border-radius:8px;background:#333;font-size:11px}\
pre.pgp{font-size:11px;background:#0f1114;padding:8px;overflow:auto}\
footer{padding:16px;border-top:1px solid #333;font-size:12px;color:#888;text-align:center}";

/// splitmix64's finaliser: a fixed, well-mixed 64-bit hash.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// splitmix64 seeded by (stream, id): each page draws from its own sequence, so a page
/// never depends on the order in which pages are requested.
struct Rng(u64);

impl Rng {
    fn new(stream: u64, id: u64) -> Rng {
        Rng(mix(stream.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ mix(id)))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    fn below(&mut self, n: usize) -> usize {
        // n is small (at most a few thousand): the modulo bias is irrelevant here.
        (self.next() % n.max(1) as u64) as usize
    }

    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below((hi - lo + 1) as usize) as u32
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// How a listing's price is written: the three conventions seen on Peruvian markets.
#[derive(Clone, Copy)]
enum Price {
    /// Cents of soles, written `S/ 1.250,00`.
    Soles(u64),
    /// Cents of dollars, written `$1,250.00`.
    Dollars(u64),
    /// Satoshis, written `0.0042 BTC`.
    Btc(u64),
}

/// Everything about one listing, derived from its id alone.
struct Listing {
    id: usize,
    cat: usize,
    vendor: usize,
    product: &'static str,
    qualifier: &'static str,
    quantity: u32,
    purity: Option<u32>,
    price: Price,
    ships_from: &'static str,
    ships_to: &'static str,
    wallet: Option<(&'static str, &'static str)>,
    contact: Option<bool>,
    seed: u64,
}

/// Which page a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Home,
    Static(usize),
    /// `page` is 1-based; page 1 is `/categoria/<slug>/`.
    Category {
        cat: usize,
        page: usize,
    },
    /// 1-based listing id.
    Listing(usize),
    Vendor(usize),
}

/// The generated market. Cheap to share (`Arc`) between server tasks: rendering takes
/// `&self` and allocates only the page string.
pub struct SyntheticMarket {
    listings: usize,
    handles: Vec<String>,
    by_handle: HashMap<String, usize>,
    /// First page index of each category, then the index of the first listing page.
    category_start: [usize; CATEGORIES.len() + 1],
}

impl SyntheticMarket {
    /// A market with `listings` listings (at least 1) and one vendor per 50 listings
    /// (1 to 400 vendors); 20,000 listings give 20,907 pages.
    pub fn new(listings: usize) -> SyntheticMarket {
        let listings = listings.max(1);
        let vendors = (listings / LISTINGS_PER_VENDOR).clamp(1, MAX_VENDORS);
        let handles: Vec<String> = (0..vendors).map(vendor_handle).collect();
        let by_handle = handles
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        let mut category_start = [0; CATEGORIES.len() + 1];
        let mut next = 1 + STATIC_PAGES.len();
        for (cat, start) in category_start.iter_mut().enumerate() {
            *start = next;
            if cat < CATEGORIES.len() {
                next += category_pages(listings, cat);
            }
        }
        SyntheticMarket {
            listings,
            handles,
            by_handle,
            category_start,
        }
    }

    /// The number of distinct pages reachable from `/`: home, info pages, category
    /// pages, listings and vendors. A crawler that fetches every page once makes exactly
    /// this many successful requests.
    pub fn page_count(&self) -> usize {
        self.category_start[CATEGORIES.len()] + self.listings + self.handles.len()
    }

    /// The HTML of the page at `path` (query and fragment already removed), or `None` for
    /// a path that is not a page of the market (the server answers 404).
    pub fn page(&self, path: &str) -> Option<String> {
        self.page_indexed(path).map(|(_, html)| html)
    }

    /// The page and its dense index: the server counts fetches per page with the index.
    pub fn page_indexed(&self, path: &str) -> Option<(usize, String)> {
        let route = self.route(path)?;
        let mut out = String::with_capacity(16 * 1024);
        self.render(route, &mut out)
            .expect("formatting into a String cannot fail");
        Some((self.index_of(route), out))
    }

    /// The canonical path of the page with this index (for reports of missed pages).
    pub fn path_of(&self, index: usize) -> Option<String> {
        let route = self.route_of(index)?;
        let mut out = String::new();
        self.write_path(route, &mut out)
            .expect("formatting into a String cannot fail");
        Some(out)
    }

    fn route(&self, path: &str) -> Option<Route> {
        if path == "/" {
            return Some(Route::Home);
        }
        if let Some(i) = STATIC_PAGES.iter().position(|(p, _, _)| *p == path) {
            return Some(Route::Static(i));
        }
        if let Some(rest) = path.strip_prefix("/categoria/") {
            let (slug, tail) = rest.split_once('/')?;
            let cat = CATEGORIES.iter().position(|c| c.slug == slug)?;
            let page = if tail.is_empty() {
                1
            } else {
                let n = parse_canonical(tail.strip_prefix("pagina/")?.strip_suffix(".html")?)?;
                // Page 1 has one address only, `/categoria/<slug>/`.
                if n < 2 {
                    return None;
                }
                n
            };
            return (page <= category_pages(self.listings, cat))
                .then_some(Route::Category { cat, page });
        }
        if let Some(rest) = path.strip_prefix("/producto/") {
            let id = parse_canonical(rest.strip_suffix(".html")?)?;
            return (1..=self.listings)
                .contains(&id)
                .then_some(Route::Listing(id));
        }
        if let Some(rest) = path.strip_prefix("/vendedor/") {
            let handle = rest.strip_suffix(".html")?;
            return self.by_handle.get(handle).map(|&v| Route::Vendor(v));
        }
        None
    }

    fn index_of(&self, route: Route) -> usize {
        let listings_start = self.category_start[CATEGORIES.len()];
        match route {
            Route::Home => 0,
            Route::Static(i) => 1 + i,
            Route::Category { cat, page } => self.category_start[cat] + page - 1,
            Route::Listing(id) => listings_start + id - 1,
            Route::Vendor(v) => listings_start + self.listings + v,
        }
    }

    fn route_of(&self, index: usize) -> Option<Route> {
        let listings_start = self.category_start[CATEGORIES.len()];
        if index == 0 {
            Some(Route::Home)
        } else if index < 1 + STATIC_PAGES.len() {
            Some(Route::Static(index - 1))
        } else if index < listings_start {
            let cat = (0..CATEGORIES.len())
                .rev()
                .find(|&c| self.category_start[c] <= index)?;
            Some(Route::Category {
                cat,
                page: index - self.category_start[cat] + 1,
            })
        } else if index < listings_start + self.listings {
            Some(Route::Listing(index - listings_start + 1))
        } else if index < self.page_count() {
            Some(Route::Vendor(index - listings_start - self.listings))
        } else {
            None
        }
    }

    fn write_path(&self, route: Route, out: &mut String) -> fmt::Result {
        match route {
            Route::Home => out.push('/'),
            Route::Static(i) => out.push_str(STATIC_PAGES[i].0),
            Route::Category { cat, page: 1 } => {
                write!(out, "/categoria/{}/", CATEGORIES[cat].slug)?
            }
            Route::Category { cat, page } => write!(
                out,
                "/categoria/{}/pagina/{page}.html",
                CATEGORIES[cat].slug
            )?,
            Route::Listing(id) => write!(out, "/producto/{id}.html")?,
            Route::Vendor(v) => write!(out, "/vendedor/{}.html", self.handles[v])?,
        }
        Ok(())
    }

    /// The vendor of a listing: listings 1..=V go to vendors 0..V-1 in order (so every
    /// vendor has at least one listing and is reachable), the rest are spread by hash.
    fn vendor_of(&self, id: usize) -> usize {
        let vendors = self.handles.len();
        if id <= vendors {
            id - 1
        } else {
            (mix(STREAM_OWNER ^ id as u64) % vendors as u64) as usize
        }
    }

    fn listing(&self, id: usize) -> Listing {
        let mut rng = Rng::new(STREAM_LISTING, id as u64);
        let cat = (id - 1) % CATEGORIES.len();
        let c = &CATEGORIES[cat];
        let product = rng.pick(c.products);
        let qualifier = rng.pick(QUALIFIERS);
        let qi = rng.below(c.quantities.len());
        let quantity = c.quantities[qi];
        let purity = c.purity.then(|| rng.range(68, 98));
        // Bulk is cheaper per unit: about 4% off per step up the quantity ladder.
        let usd_cents =
            u64::from(c.usd_per_unit) * u64::from(quantity) * 100 * (100 - 4 * qi as u64) / 100
                * u64::from(rng.range(80, 125))
                / 100;
        let price = match rng.below(10) {
            0..=3 => Price::Soles(usd_cents * 375 / 100),
            4..=7 => Price::Dollars(usd_cents),
            // At 65,000 USD per BTC: satoshis = cents * 1e8 / (65,000 * 100).
            _ => Price::Btc((usd_cents * 100_000_000 / 6_500_000).max(1)),
        };
        let ships_from = rng.pick(SHIPS_FROM);
        let ships_to = rng.pick(SHIPS_TO);
        let wallet = (rng.below(7) == 0).then(|| rng.pick(WALLETS));
        let contact = (rng.below(5) == 0).then(|| rng.below(2) == 0);
        Listing {
            id,
            cat,
            vendor: self.vendor_of(id),
            product,
            qualifier,
            quantity,
            purity,
            price,
            ships_from,
            ships_to,
            wallet,
            contact,
            seed: rng.next(),
        }
    }

    fn render(&self, route: Route, out: &mut String) -> fmt::Result {
        match route {
            Route::Home => self.render_home(out),
            Route::Static(i) => self.render_static(i, out),
            Route::Category { cat, page } => self.render_category(cat, page, out),
            Route::Listing(id) => self.render_listing(id, out),
            Route::Vendor(v) => self.render_vendor(v, out),
        }
    }

    fn category_count(&self, cat: usize) -> usize {
        category_count(self.listings, cat)
    }

    /// Everything before the page's own content: head, header, category bar, sidebar.
    fn open_page(&self, out: &mut String, title: fmt::Arguments<'_>) -> fmt::Result {
        write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"es\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\">\
             <title>{title} | {MARKET}</title><style>{STYLE}</style></head>\n<body><div id=\"wrap\">\n"
        )?;
        write!(
            out,
            "<header class=\"top\"><div class=\"logo\"><a href=\"/\">{MARKET}</a></div>\
             <div class=\"util\">BTC/PEN 243.512,40 · XMR/PEN 612,08 · Usuarios en línea: 1.284 · \
             Escrow activo</div><form class=\"search\" action=\"/buscar\" method=\"get\">\
             <input type=\"text\" name=\"q\" placeholder=\"Buscar productos o vendedores\">\
             <button type=\"submit\">Buscar</button></form></header>\n<nav class=\"cats\"><ul>\
             <li><a href=\"/\">Inicio</a></li>"
        )?;
        for c in &CATEGORIES {
            write!(
                out,
                "<li><a href=\"/categoria/{}/\">{}</a></li>",
                c.slug, c.name
            )?;
        }
        out.push_str(
            "</ul></nav>\n<div class=\"cols\"><aside class=\"side\"><h3>Categorías</h3><ul>",
        );
        for (i, c) in CATEGORIES.iter().enumerate() {
            write!(
                out,
                "<li><a href=\"/categoria/{}/\">{}</a> <span class=\"badge\">{}</span></li>",
                c.slug,
                c.name,
                self.category_count(i)
            )?;
        }
        out.push_str("</ul><h3>Lo más vendido</h3><ul>");
        for k in 0..BESTSELLERS.min(self.listings) {
            let id = 1 + (k * 7919 + 3) % self.listings;
            let l = self.listing(id);
            write!(out, "<li><a href=\"/producto/{id}.html\">")?;
            write_title(out, &l)?;
            out.push_str("</a></li>");
        }
        out.push_str(
            "</ul><h3>Avisos del staff</h3><p>El escrow libera los fondos 48 horas después de \
             la confirmación de entrega. Nunca pagues fuera del mercado: los vendedores que piden \
             pago directo por Telegram o WhatsApp pueden ser estafadores.</p>\
             <h3>Estado</h3><p>Bloque BTC 842.117 · Retiros cada 6 h · Comisión 4%</p>\
             </aside>\n<main>",
        );
        Ok(())
    }

    fn close_page(&self, out: &mut String) -> fmt::Result {
        write!(
            out,
            "</main></div>\n<footer><p><a href=\"/reglas.html\">Reglas</a> · \
             <a href=\"/faq.html\">Preguntas frecuentes</a> · Soporte por ticket interno</p>\
             <p>Dirección oficial: {BENCH_ONION} — verifica siempre la firma PGP del staff \
             antes de iniciar sesión. Desconfía de enlaces publicados en foros.</p>\
             <p>© 2024 {MARKET}. Escrow multifirma · Sin JavaScript.</p></footer>\n\
             </div></body></html>\n"
        )
    }

    fn render_home(&self, out: &mut String) -> fmt::Result {
        self.open_page(out, format_args!("Inicio"))?;
        write!(
            out,
            "<h1>Bienvenido a {MARKET}</h1><p>El mercado en español con más vendedores \
             verificados de la región: {} productos, {} vendedores, envíos a todo el Perú.</p>\
             <h2>Categorías</h2><ul class=\"catlist\">",
            self.listings,
            self.handles.len()
        )?;
        for (i, c) in CATEGORIES.iter().enumerate() {
            write!(
                out,
                "<li><a href=\"categoria/{}/\">{}</a> ({} productos)</li>",
                c.slug,
                c.name,
                self.category_count(i)
            )?;
        }
        out.push_str("</ul><h2>Destacados</h2><div class=\"grid\">");
        let featured = FEATURED.min(self.listings);
        for k in 0..featured {
            let id = 1 + k * self.listings / featured;
            // Relative to `/`.
            self.write_card(out, &self.listing(id), "producto/", "vendedor/")?;
        }
        out.push_str("</div>");
        self.close_page(out)
    }

    fn render_static(&self, i: usize, out: &mut String) -> fmt::Result {
        let (_, title, body) = STATIC_PAGES[i];
        self.open_page(out, format_args!("{title}"))?;
        write!(
            out,
            "<div class=\"crumbs\"><a href=\"/\">Inicio</a> › {title}</div><h1>{title}</h1>{body}"
        )?;
        self.close_page(out)
    }

    fn render_category(&self, cat: usize, page: usize, out: &mut String) -> fmt::Result {
        let c = &CATEGORIES[cat];
        let count = self.category_count(cat);
        let pages = category_pages(self.listings, cat);
        self.open_page(out, format_args!("{} — página {page}", c.name))?;
        write!(
            out,
            "<div class=\"crumbs\"><a href=\"/\">Inicio</a> › {}</div><h1>{}</h1>\
             <p>{count} productos · página {page} de {pages}</p><div class=\"grid\">",
            c.name, c.name
        )?;
        // Page 1 (`/categoria/x/`) links with `../../`, later pages root-relative.
        let (product_prefix, vendor_prefix) = if page == 1 {
            ("../../producto/", "/vendedor/")
        } else {
            ("/producto/", "../../../vendedor/")
        };
        let first = (page - 1) * LISTINGS_PER_PAGE;
        for pos in first..(first + LISTINGS_PER_PAGE).min(count) {
            let id = pos * CATEGORIES.len() + cat + 1;
            self.write_card(out, &self.listing(id), product_prefix, vendor_prefix)?;
        }
        out.push_str("</div>");
        self.write_pager(out, page, pages)?;
        self.close_page(out)
    }

    /// Pagination as markets write it: first, previous, a window of five, next (`rel=next`),
    /// last. Links are relative to the current page.
    fn write_pager(&self, out: &mut String, page: usize, pages: usize) -> fmt::Result {
        if pages < 2 {
            return Ok(());
        }
        let href = |out: &mut String, target: usize| -> fmt::Result {
            match (page, target) {
                (1, t) => write!(out, "pagina/{t}.html")?,
                (_, 1) => out.push_str("../"),
                (_, t) => write!(out, "{t}.html")?,
            }
            Ok(())
        };
        out.push_str("<div class=\"pager\">");
        if page > 1 {
            out.push_str("<a href=\"");
            href(out, 1)?;
            out.push_str("\">« Primera</a><a rel=\"prev\" href=\"");
            href(out, page - 1)?;
            out.push_str("\">‹ Anterior</a>");
        }
        let lo = page.saturating_sub(2).max(1);
        let hi = (lo + 4).min(pages);
        for n in lo..=hi {
            if n == page {
                write!(out, "<b>{n}</b>")?;
            } else {
                out.push_str("<a href=\"");
                href(out, n)?;
                write!(out, "\">{n}</a>")?;
            }
        }
        if page < pages {
            out.push_str("<a rel=\"next\" href=\"");
            href(out, page + 1)?;
            out.push_str("\">Siguiente ›</a><a href=\"");
            href(out, pages)?;
            out.push_str("\">Última »</a>");
        }
        out.push_str("</div>");
        Ok(())
    }

    /// A listing card. Title, price, vendor and each shipping line sit in their own
    /// elements, labelled as Spanish markets label them: Centinela's generic parser reads
    /// every field of this layout (it does not split a one-line
    /// "Envío desde: X / Envío a: Y", nor find a vendor written as "por <a>X</a>").
    fn write_card(
        &self,
        out: &mut String,
        l: &Listing,
        product_prefix: &str,
        vendor_prefix: &str,
    ) -> fmt::Result {
        write!(
            out,
            "<div class=\"card\"><h4><a href=\"{product_prefix}{}.html\">",
            l.id
        )?;
        write_title(out, l)?;
        out.push_str("</a></h4><div class=\"p\">");
        write_price(out, l.price)?;
        let handle = &self.handles[l.vendor];
        write!(
            out,
            "</div><div class=\"v\">Vendedor: <a href=\"{vendor_prefix}{handle}.html\">{handle}</a></div>\
             <div class=\"s\">Envío desde: {}</div><div class=\"s\">Envío a: {}</div></div>",
            l.ships_from, l.ships_to
        )
    }

    fn render_listing(&self, id: usize, out: &mut String) -> fmt::Result {
        let l = self.listing(id);
        let c = &CATEGORIES[l.cat];
        let handle = &self.handles[l.vendor];
        let vendor = VendorInfo::new(l.vendor);
        self.open_page(out, format_args!("{}", TitleFmt(&l)))?;
        write!(
            out,
            "<div class=\"crumbs\"><a href=\"/\">Inicio</a> › <a href=\"/categoria/{}/\">{}</a> › \
             Producto #{id}</div><div class=\"product\"><h1>",
            c.slug, c.name
        )?;
        write_title(out, &l)?;
        out.push_str("</h1><table class=\"data\"><tr><th>Precio</th><td class=\"price\">");
        write_price(out, l.price)?;
        write!(
            out,
            "</td></tr><tr><th>Vendedor</th><td><a href=\"../vendedor/{handle}.html\">{handle}</a> \
             <span class=\"badge\">Nivel {}</span> {}.{}★ ({} ventas)</td></tr>\
             <tr><th>Categoría</th><td><a href=\"../categoria/{}/\">{}</a></td></tr>\
             <tr><th>Envío desde</th><td>{}</td></tr><tr><th>Envío a</th><td>{}</td></tr>\
             <tr><th>Cantidad</th><td>{} {}</td></tr>",
            vendor.level,
            vendor.rating / 10,
            vendor.rating % 10,
            vendor.sales,
            c.slug,
            c.name,
            l.ships_from,
            l.ships_to,
            l.quantity,
            c.unit
        )?;
        if let Some(p) = l.purity {
            write!(out, "<tr><th>Pureza</th><td>{p}%</td></tr>")?;
        }
        write!(
            out,
            "<tr><th>Stock</th><td>{} disponibles</td></tr><tr><th>Opciones de envío</th><td>\
             Estándar (S/ 15,00) · Express Lima (S/ 35,00) · Stealth premium (S/ 60,00)</td></tr>\
             </table><form class=\"buy\" method=\"post\" action=\"/carrito/agregar\">\
             <input type=\"hidden\" name=\"id\" value=\"{id}\"><label>Cantidad \
             <input type=\"number\" name=\"cantidad\" value=\"1\" min=\"1\"></label> \
             <button type=\"submit\">Comprar</button></form>\
             <h2>Descripción</h2><div class=\"desc\"><p>",
            1 + l.seed % 97
        )?;
        self.write_description(out, &l)?;
        out.push_str("</p>");
        if let Some((coin, address)) = l.wallet {
            write!(
                out,
                "<p>Clientes de confianza pueden pagar directo a mi billetera {coin}: \
                 <code>{address}</code> (mandar comprobante por mensaje).</p>"
            )?;
        }
        match l.contact {
            Some(true) => write!(
                out,
                "<p>Pedidos por mayor, escríbeme al Telegram: @vendedor_{:02}</p>",
                l.vendor
            )?,
            Some(false) => write!(
                out,
                "<p>Contacto directo para clientes antiguos — Wickr: lima_{:02}</p>",
                l.vendor
            )?,
            None => {}
        }
        out.push_str("</div></div><h2>Opiniones</h2><table class=\"data\"><tr><th>Fecha</th><th>Cliente</th><th>Calificación</th><th>Comentario</th></tr>");
        let mut rng = Rng::new(STREAM_REVIEW, id as u64);
        for _ in 0..(3 + rng.below(3)) {
            write_review_row(out, &mut rng)?;
        }
        write!(
            out,
            "</table><h2>Más en {}</h2><ul class=\"related\">",
            c.name
        )?;
        // Neighbours in the same category, linked relative to `/producto/`.
        let step = CATEGORIES.len();
        let mut shown = 0;
        for k in 1..=RELATED {
            let other = if k % 2 == 1 {
                id + step * k.div_ceil(2)
            } else {
                id.wrapping_sub(step * (k / 2))
            };
            if (1..=self.listings).contains(&other) && other != id {
                write!(out, "<li><a href=\"{other}.html\">")?;
                write_title(out, &self.listing(other))?;
                out.push_str("</a></li>");
                shown += 1;
            }
        }
        if shown == 0 {
            out.push_str("<li>No hay otros productos en esta categoría.</li>");
        }
        out.push_str("</ul>");
        self.close_page(out)
    }

    fn write_description(&self, out: &mut String, l: &Listing) -> fmt::Result {
        let mut rng = Rng::new(l.seed, 1);
        let start = out.len();
        let mut first = rng.below(SENTENCES.len());
        // Consecutive distinct sentences from a random start, with a random stride, until
        // about 1,200 characters.
        let stride = 1 + 2 * rng.below(SENTENCES.len() / 2);
        let mut used = 0;
        while out.len() - start < 1180 && used < SENTENCES.len() {
            if used > 0 {
                out.push(' ');
            }
            self.expand(out, SENTENCES[first], l, &mut rng)?;
            first = (first + stride) % SENTENCES.len();
            used += 1;
        }
        Ok(())
    }

    /// Writes a sentence with its slots filled.
    fn expand(&self, out: &mut String, template: &str, l: &Listing, rng: &mut Rng) -> fmt::Result {
        let c = &CATEGORIES[l.cat];
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let slot = rest.as_bytes().get(open + 1).copied().unwrap_or(b'?');
            match slot {
                b'P' => l
                    .product
                    .chars()
                    .flat_map(char::to_lowercase)
                    .for_each(|ch| out.push(ch)),
                b'Q' => write!(out, "{} {}", c.quantities[c.quantities.len() / 2], c.unit)?,
                b'U' => write!(out, "{}%", l.purity.unwrap_or_else(|| rng.range(80, 96)))?,
                b'C' => out.push_str(rng.pick(CITIES)),
                b'S' => out.push_str(rng.pick(DISTRICTS)),
                b'D' => write!(out, "{}", rng.range(2, 4))?,
                b'E' => write!(out, "{}", rng.range(5, 9))?,
                b'H' => out.push_str(&self.handles[l.vendor]),
                _ => {}
            }
            rest = rest.get(open + 3..).unwrap_or("");
        }
        out.push_str(rest);
        Ok(())
    }

    fn render_vendor(&self, v: usize, out: &mut String) -> fmt::Result {
        let handle = &self.handles[v];
        let info = VendorInfo::new(v);
        let mut rng = Rng::new(STREAM_VENDOR, v as u64 ^ 0xfeed);
        self.open_page(out, format_args!("Perfil de {handle}"))?;
        write!(
            out,
            "<div class=\"crumbs\"><a href=\"/\">Inicio</a> › Vendedores › {handle}</div>\
             <div class=\"vendor\"><h1>{handle}</h1><p><span class=\"badge\">Nivel {}</span> \
             Miembro desde {} de {} · {} ventas · {}.{}★ ({}% positivas) · Última conexión: hace {} horas</p>\
             <h2>Acerca de</h2><p>Vendedor con base en {}. Envíos desde {} a {}. Trabajamos con \
             stealth profesional y pesamos todo en balanza calibrada. Respondemos mensajes de \
             lunes a sábado. Pedidos por mayor con descuento; reenvío si hay incautación con \
             tracking.</p>",
            info.level,
            MONTHS[info.since_month],
            info.since_year,
            info.sales,
            info.rating / 10,
            info.rating % 10,
            info.positive,
            rng.range(1, 72),
            rng.pick(CITIES),
            rng.pick(SHIPS_FROM),
            rng.pick(SHIPS_TO),
        )?;
        match v % 5 {
            0 => write!(
                out,
                "<p>Contacto fuera del mercado: Telegram: @vendedor_{v:02}</p>"
            )?,
            1 => write!(out, "<p>Clientes antiguos — Wickr: lima_{v:02}</p>")?,
            _ => {}
        }
        out.push_str(
            "<h2>Llave PGP</h2><pre class=\"pgp\">-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n",
        );
        // PGP-looking armour (not a real key): the weight and shape of a real profile.
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        out.push_str("mQINBGX");
        for line in 0..14 {
            for _ in 0..(if line == 0 { 57 } else { 64 }) {
                out.push(char::from(B64[rng.below(64)]));
            }
            out.push('\n');
        }
        out.push('=');
        for _ in 0..4 {
            out.push(char::from(B64[rng.below(64)]));
        }
        out.push_str("\n-----END PGP PUBLIC KEY BLOCK-----</pre>");
        out.push_str("<h2>Opiniones recientes</h2><table class=\"data\"><tr><th>Fecha</th><th>Cliente</th><th>Calificación</th><th>Comentario</th></tr>");
        for _ in 0..8 {
            write_review_row(out, &mut rng)?;
        }
        out.push_str("</table><h2>Productos</h2><table class=\"data\"><tr><th>Producto</th><th>Precio</th><th>Categoría</th></tr>");
        for id in 1..=self.listings {
            if self.vendor_of(id) != v {
                continue;
            }
            let l = self.listing(id);
            write!(out, "<tr><td><a href=\"../producto/{id}.html\">")?;
            write_title(out, &l)?;
            out.push_str("</a></td><td>");
            write_price(out, l.price)?;
            write!(out, "</td><td>{}</td></tr>", CATEGORIES[l.cat].name)?;
        }
        out.push_str("</table></div>");
        self.close_page(out)
    }
}

/// A vendor's profile numbers, derived from the vendor index.
struct VendorInfo {
    level: u32,
    /// Tenths of a star, 40..=50.
    rating: u32,
    positive: u32,
    sales: u32,
    since_month: usize,
    since_year: u32,
}

impl VendorInfo {
    fn new(v: usize) -> VendorInfo {
        let mut rng = Rng::new(STREAM_VENDOR, v as u64);
        VendorInfo {
            level: rng.range(1, 6),
            rating: rng.range(40, 50),
            positive: rng.range(88, 100),
            sales: rng.range(12, 4800),
            since_month: rng.below(12),
            since_year: rng.range(2019, 2024),
        }
    }
}

/// A vendor handle: noun and adjective in three spellings, some with a number.
fn vendor_handle(v: usize) -> String {
    let noun = VENDOR_NOUNS[v % 20];
    let adj = VENDOR_ADJECTIVES[(v / 20) % 20];
    let mut h = match v % 3 {
        0 => format!("{noun}{adj}"),
        1 => format!("{}_{}", noun.to_lowercase(), adj.to_lowercase()),
        _ => format!("{noun}_{adj}"),
    };
    if v % 7 == 3 {
        h.push_str(&((v * 37) % 90 + 10).to_string());
    }
    if v >= VENDOR_NOUNS.len() * VENDOR_ADJECTIVES.len() {
        h.push_str(&format!("_{}", v / 400));
    }
    h
}

fn category_count(listings: usize, cat: usize) -> usize {
    (listings + CATEGORIES.len() - 1 - cat) / CATEGORIES.len()
}

/// Pages of a category; an empty category still has its first page.
fn category_pages(listings: usize, cat: usize) -> usize {
    category_count(listings, cat)
        .div_ceil(LISTINGS_PER_PAGE)
        .max(1)
}

/// A decimal number as the market writes it: digits only, no leading zero.
fn parse_canonical(s: &str) -> Option<usize> {
    if s.is_empty() || s.len() > 9 || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

struct TitleFmt<'a>(&'a Listing);

impl fmt::Display for TitleFmt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = self.0;
        f.write_str(l.product)?;
        if !l.qualifier.is_empty() {
            write!(f, " {}", l.qualifier)?;
        }
        if let Some(p) = l.purity {
            write!(f, " {p}%")?;
        }
        write!(f, " – {} {}", l.quantity, CATEGORIES[l.cat].unit)
    }
}

fn write_title(out: &mut String, l: &Listing) -> fmt::Result {
    write!(out, "{}", TitleFmt(l))
}

fn write_price(out: &mut String, price: Price) -> fmt::Result {
    match price {
        Price::Soles(cents) => {
            out.push_str("S/ ");
            write_grouped(out, cents / 100, '.')?;
            write!(out, ",{:02}", cents % 100)
        }
        Price::Dollars(cents) => {
            out.push('$');
            write_grouped(out, cents / 100, ',')?;
            write!(out, ".{:02}", cents % 100)
        }
        Price::Btc(sats) => {
            // Four significant decimals for small amounts, as vendors round them.
            if sats >= 10_000 {
                write!(
                    out,
                    "{}.{:04} BTC",
                    sats / 100_000_000,
                    (sats % 100_000_000) / 10_000
                )
            } else {
                write!(out, "0.{:08} BTC", sats)
            }
        }
    }
}

/// `n` with a thousands separator: 1250 → `1.250` or `1,250`.
fn write_grouped(out: &mut String, n: u64, sep: char) -> fmt::Result {
    if n >= 1000 {
        write_grouped(out, n / 1000, sep)?;
        write!(out, "{sep}{:03}", n % 1000)
    } else {
        write!(out, "{n}")
    }
}

fn write_review_row(out: &mut String, rng: &mut Rng) -> fmt::Result {
    let stars = rng.range(3, 5) as usize;
    write!(
        out,
        "<tr><td>2024-{:02}-{:02}</td><td>c***{}</td><td>{}</td><td>{}</td></tr>",
        rng.range(1, 12),
        rng.range(1, 28),
        rng.range(1, 99),
        &"★★★★★"[..stars * '★'.len_utf8()],
        rng.pick(REVIEWS)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashSet, VecDeque};

    /// Resolves `href` against the page at `base` (a path), as a browser would, or `None`
    /// for anything that is not a same-site path.
    fn resolve(base: &str, href: &str) -> Option<String> {
        assert!(
            !href.contains("://") && !href.contains('?') && !href.contains('#'),
            "unexpected link {href:?} on {base}"
        );
        let joined = if href.starts_with('/') {
            href.to_string()
        } else {
            let dir = &base[..=base.rfind('/')?];
            format!("{dir}{href}")
        };
        let trailing = joined.ends_with('/');
        let mut parts: Vec<&str> = Vec::new();
        for seg in joined.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                s => parts.push(s),
            }
        }
        let mut path = format!("/{}", parts.join("/"));
        if trailing && path != "/" {
            path.push('/');
        }
        Some(path)
    }

    fn hrefs(html: &str) -> impl Iterator<Item = &str> {
        html.split("href=\"")
            .skip(1)
            .map(|s| &s[..s.find('"').expect("closing quote")])
    }

    /// Walks the site from `/` like a crawler (breadth first); returns (pages, total
    /// bytes, the deepest page's link depth).
    fn crawl(market: &SyntheticMarket) -> (usize, usize, usize) {
        let mut seen = HashSet::from(["/".to_string()]);
        let mut queue = VecDeque::from([("/".to_string(), 0)]);
        let mut bytes = 0;
        let mut deepest = 0;
        let mut indices = HashSet::new();
        while let Some((path, depth)) = queue.pop_front() {
            let (index, html) = market
                .page_indexed(&path)
                .unwrap_or_else(|| panic!("a link leads to {path:?}, which is not a page"));
            assert!(indices.insert(index), "two paths share index {index}");
            assert_eq!(market.path_of(index).as_deref(), Some(path.as_str()));
            bytes += html.len();
            deepest = deepest.max(depth);
            for href in hrefs(&html) {
                let next = resolve(&path, href).expect("resolvable link");
                if seen.insert(next.clone()) {
                    queue.push_back((next, depth + 1));
                }
            }
        }
        assert!(indices.iter().all(|&i| i < market.page_count()));
        (seen.len(), bytes, deepest)
    }

    #[test]
    fn every_link_resolves_and_the_walk_finds_page_count_pages() {
        for n in [1, 7, 13, 479, 1234] {
            let market = SyntheticMarket::new(n);
            let (pages, _, _) = crawl(&market);
            assert_eq!(pages, market.page_count(), "listings = {n}");
        }
    }

    #[test]
    fn the_benchmark_site_has_over_20000_pages_of_8_to_14_kb() {
        let market = SyntheticMarket::new(20_000);
        assert_eq!(market.page_count(), 20_907);
        let (pages, bytes, deepest) = crawl(&market);
        assert_eq!(pages, market.page_count());
        let mean = bytes / pages;
        println!("{pages} pages, {bytes} bytes, mean {mean} bytes, deepest at depth {deepest}");
        // The driver's site file says max_depth = 50.
        assert!(deepest <= 20, "{deepest}");
        assert!(
            (8_000..=14_000).contains(&mean),
            "mean page size {mean} bytes"
        );
    }

    #[test]
    fn pages_are_deterministic_and_independent_of_request_order() {
        let a = SyntheticMarket::new(2_000);
        let b = SyntheticMarket::new(2_000);
        let paths: Vec<String> = (0..a.page_count())
            .rev()
            .step_by(37)
            .filter_map(|i| a.path_of(i))
            .collect();
        for p in &paths {
            assert_eq!(a.page(p), b.page(p), "{p}");
        }
        for p in paths.iter().rev() {
            assert_eq!(a.page(p), b.page(p), "{p}");
        }
        let home = a.page("/").expect("home");
        assert_eq!(
            mix(home.len() as u64),
            mix(b.page("/").expect("home").len() as u64)
        );
    }

    #[test]
    fn only_canonical_paths_are_pages() {
        let m = SyntheticMarket::new(20_000);
        for p in [
            "/producto/1.html",
            "/producto/20000.html",
            "/categoria/cocaina/",
            "/categoria/cocaina/pagina/2.html",
            "/categoria/cocaina/pagina/42.html",
            "/reglas.html",
        ] {
            assert!(m.page(p).is_some(), "{p}");
        }
        for p in [
            "",
            "/index.html",
            "/producto/0.html",
            "/producto/01.html",
            "/producto/20001.html",
            "/producto/1",
            "/categoria/cocaina",
            "/categoria/cocaina/pagina/1.html",
            "/categoria/cocaina/pagina/43.html",
            "/categoria/nada/",
            "/vendedor/nadie.html",
            "/buscar",
        ] {
            assert!(m.page(p).is_none(), "{p}");
        }
    }

    #[test]
    fn listings_carry_prices_wallets_and_contacts_at_the_intended_rates() {
        let m = SyntheticMarket::new(20_000);
        let (mut wallets, mut contacts, mut soles, mut btc) = (0, 0, 0, 0);
        for id in 1..=7_000 {
            let html = m.page(&format!("/producto/{id}.html")).expect("listing");
            wallets += usize::from(WALLETS.iter().any(|(_, a)| html.contains(a)));
            contacts +=
                usize::from(html.contains("Telegram: @vendedor_") || html.contains("Wickr: lima_"));
            soles += usize::from(html.contains("class=\"price\">S/ "));
            btc += usize::from(html.contains(" BTC</td>"));
            assert!(html.contains("Envío desde") && html.contains("Envío a"));
        }
        // Expected 1,000 wallets (1 in 7) and 1,400 contacts (1 in 5).
        assert!((850..1150).contains(&wallets), "{wallets}");
        assert!((1250..1550).contains(&contacts), "{contacts}");
        assert!(soles > 2_400 && btc > 1_100, "{soles} {btc}");
    }

    #[test]
    fn descriptions_are_about_1200_characters() {
        let m = SyntheticMarket::new(500);
        for id in [1, 2, 250, 500] {
            let l = m.listing(id);
            let mut s = String::new();
            m.write_description(&mut s, &l).expect("write");
            let n = s.chars().count();
            assert!((1100..1500).contains(&n), "{id}: {n}");
        }
    }

    #[test]
    fn prices_are_written_in_each_convention() {
        let mut s = String::new();
        write_price(&mut s, Price::Soles(125_000)).expect("write");
        s.push('|');
        write_price(&mut s, Price::Dollars(8_500)).expect("write");
        s.push('|');
        write_price(&mut s, Price::Btc(420_000)).expect("write");
        s.push('|');
        write_price(&mut s, Price::Dollars(123_456_789)).expect("write");
        assert_eq!(s, "S/ 1.250,00|$85.00|0.0042 BTC|$1,234,567.89");
    }

    #[test]
    fn vendor_handles_are_unique_and_path_safe() {
        let m = SyntheticMarket::new(20_000);
        assert_eq!(m.handles.len(), 400);
        assert_eq!(m.by_handle.len(), 400);
        assert!(m
            .handles
            .iter()
            .all(|h| h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')));
    }
}
