//! The words that give a page's purpose away, in the languages of the markets and forums
//! investigators watch (English, Spanish, Russian, German, some French and Portuguese).
//!
//! Words are weak evidence on their own (every market page says "vendor" somewhere); the
//! classifier weighs where they occur (title, headings, buttons, the whole text) and
//! combines them with the page's structure. Matching is on lower-cased text, from the
//! start of a word, so `отзыв` also finds `отзывы`.

use aho_corasick::{AhoCorasick, MatchKind};
use std::sync::OnceLock;

/// A kind of evidence a word carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cue {
    Login,
    Captcha,
    Ddos,
    Phishing,
    Block,
    Error,
    Vendor,
    Buyer,
    Feedback,
    Profile,
    Forum,
    Thread,
    Buy,
    Shipping,
    Search,
    Category,
    Info,
    Pgp,
    Welcome,
    Home,
    Product,
    NoResults,
    Sort,
    BoardColumns,
    IndexColumns,
    // Profile labels: each kind counts once towards a profile's strength.
    Joined,
    LastSeen,
    Level,
    Sales,
    Terms,
    ContactVendor,
    AboutMe,
    // Product labels.
    PriceLabel,
    ShipsFrom,
    ShipsTo,
    SoldBy,
    Stock,
}

/// Every cue, in declaration order.
pub const ALL_CUES: [Cue; 37] = [
    Cue::Login,
    Cue::Captcha,
    Cue::Ddos,
    Cue::Phishing,
    Cue::Block,
    Cue::Error,
    Cue::Vendor,
    Cue::Buyer,
    Cue::Feedback,
    Cue::Profile,
    Cue::Forum,
    Cue::Thread,
    Cue::Buy,
    Cue::Shipping,
    Cue::Search,
    Cue::Category,
    Cue::Info,
    Cue::Pgp,
    Cue::Welcome,
    Cue::Home,
    Cue::Product,
    Cue::NoResults,
    Cue::Sort,
    Cue::BoardColumns,
    Cue::IndexColumns,
    Cue::Joined,
    Cue::LastSeen,
    Cue::Level,
    Cue::Sales,
    Cue::Terms,
    Cue::ContactVendor,
    Cue::AboutMe,
    Cue::PriceLabel,
    Cue::ShipsFrom,
    Cue::ShipsTo,
    Cue::SoldBy,
    Cue::Stock,
];

/// How many cue kinds there are (the length of [`Cues`]'s table).
pub const CUE_COUNT: usize = ALL_CUES.len();

/// The labels of a profile page; how many kinds occur is the profile's strength.
pub const PROFILE_LABELS: [Cue; 7] = [
    Cue::Joined,
    Cue::LastSeen,
    Cue::Level,
    Cue::Sales,
    Cue::Terms,
    Cue::ContactVendor,
    Cue::AboutMe,
];

/// The labels of a product page.
pub const PRODUCT_LABELS: [Cue; 5] = [
    Cue::PriceLabel,
    Cue::ShipsFrom,
    Cue::ShipsTo,
    Cue::SoldBy,
    Cue::Stock,
];

#[rustfmt::skip]
const WORDS: &[(Cue, &[&str])] = &[
    (Cue::Login, &[
        "login", "log in", "log-in", "sign in", "signin", "sign-in", "username", "password",
        "iniciar sesión", "iniciar sesion", "contraseña", "ingresar", "вход", "войти",
        "пароль", "логин", "авторизац", "anmelden", "anmeldung", "passwort", "einloggen",
        "connexion", "mot de passe", "entrar", "senha", "remember me",
    ]),
    (Cue::Captcha, &[
        "captcha", "capcha", "not a robot", "not a bot", "prove you are", "are you human",
        "human verification", "verify you are human", "type the text", "type the characters",
        "enter the characters", "enter the code", "enter the text", "missing characters",
        "characters you see", "letter or number you see", "solve the", "no soy un robot",
        "código de verificación", "introduce los caracteres", "капча", "каптч", "не робот",
        "код с картинки", "введите код", "введите символы", "sicherheitscode", "kein roboter",
        "je ne suis pas un robot",
    ]),
    (Cue::Ddos, &[
        "ddos", "d-dos", "queue", "please wait", "waiting room", "you are in line", "endgame",
        "checking your browser", "anti-ddos", "antiddos", "flood protection", "too many requests",
        "por favor espere", "espere por favor", "cola de espera", "подождите", "очеред",
        "ddos-защит", "bitte warten", "warteschlange", "veuillez patienter",
    ]),
    (Cue::Phishing, &[
        "anti-phishing", "anti phishing", "antiphishing", "phishing protection", "phishing",
        "check your url", "verify the url", "fishing",
    ]),
    (Cue::Block, &[
        "security breach", "illegal action", "access denied", "you have been blocked",
        "temporarily suspended", "strike", "acceso denegado", "доступ запрещ", "zugriff verweigert",
    ]),
    (Cue::Error, &[
        "error", "404", "not found", "oops", "does not exist", "no longer exist", "no longer available",
        "something went wrong", "problem", "упс", "ошибка", "не найден", "проблем", "не существует",
        "no encontrado", "no existe", "nicht gefunden", "fehler", "existiert nicht",
    ]),
    (Cue::Vendor, &[
        "vendor", "seller", "store of", "shop of", "vendedor", "tienda de", "продавец", "магазин",
        "verkäufer", "händler", "store", "vendor profile", "seller profile",
    ]),
    (Cue::Buyer, &["buyer", "comprador", "покупател", "käufer", "member level"]),
    (Cue::Feedback, &[
        "feedback", "positive", "neutral", "negative", "rating", "review", "reseña",
        "calificaci", "opiniones", "отзыв", "рейтинг", "bewertung", "avis",
    ]),
    (Cue::Profile, &[
        "profile", "user profile", "perfil", "профиль", "profil", "contact", "about",
    ]),
    (Cue::Forum, &[
        "forum", "board index", "subforum", "sub-forum", "threads", "topics", "last post",
        "posts", "messages", "members online", "foro", "temas", "mensajes", "форум", "темы",
        "тем", "сообщени", "beiträge", "themen",
    ]),
    (Cue::Thread, &[
        "reply", "replies", "quote", "posted", "wrote", "permalink", "thread starter",
        "responder", "respuestas", "citar", "escribió", "ответить", "ответ", "цитат",
        "написал", "antworten", "zitieren", "schrieb",
    ]),
    (Cue::Buy, &[
        "add to cart", "add to basket", "buy now", "buy", "order now", "order", "purchase",
        "checkout", "añadir al carrito", "agregar al carrito", "comprar", "купить",
        "в корзину", "заказать", "kaufen", "in den warenkorb", "bestellen", "ajouter au panier",
        "acheter",
    ]),
    (Cue::Shipping, &[
        "shipping", "delivery", "escrow", "postage", "envío", "envio", "доставк", "отправк",
        "versand", "lieferung", "livraison",
    ]),
    (Cue::Search, &[
        "search results", "search result", "results for", "you searched", "listings found",
        "results found", "resultados de búsqueda", "resultados para", "результаты поиска",
        "suchergebnisse", "ergebnisse für",
    ]),
    (Cue::Category, &["category", "categoría", "категория", "kategorie", "catégorie"]),
    (Cue::Info, &[
        "faq", "frequently asked", "rules", "terms of service", "about us", "how to", "guide",
        "mirrors", "canary", "preguntas frecuentes", "reglas", "normas", "правила", "regeln",
        "häufige fragen", "general info", "information", "help",
    ]),
    (Cue::Pgp, &["pgp", "public key", "gpg", "clave pública", "ключ", "schlüssel"]),
    (Cue::Welcome, &["welcome", "news", "bienvenid", "noticias", "добро пожаловать", "новости", "willkommen"]),
    (Cue::Home, &["home", "inicio", "главная", "startseite", "accueil", "front page"]),
    (Cue::Product, &[
        "product details", "item details", "listing details", "product", "listing", "item",
        "offer", "producto", "artículo", "товар", "artikel", "angebot", "report this listing",
    ]),
    (Cue::NoResults, &[
        "no products", "no listings", "no items", "no results", "nothing to show", "nothing found",
        "no matches", "sin resultados", "no se encontraron", "no hay productos", "ничего не найдено",
        "нет товаров", "keine ergebnisse", "keine produkte",
    ]),
    (Cue::Sort, &[
        "sort by", "order by", "price range", "min price", "max price", "filter", "ordenar por",
        "filtrar", "сортировать", "сортировка", "фильтр", "sortieren",
    ]),
    (Cue::BoardColumns, &["replies", "views", "thread starter", "respuestas", "vistas", "ответов", "просмотр", "antworten", "zugriffe"]),
    (Cue::IndexColumns, &["threads", "topics", "last post", "sub-forums", "subforums", "temas", "темы", "тем", "themen", "forums"]),
    (Cue::Joined, &[
        "member since", "joined", "join date", "registered", "vendor since", "seller since",
        "miembro desde", "registrado", "регистрац", "mitglied seit", "dabei seit",
    ]),
    (Cue::LastSeen, &[
        "last seen", "last login", "last online", "last active", "last visit", "último acceso",
        "última conexión", "был в сети", "последн", "zuletzt",
    ]),
    (Cue::Level, &["trust level", "seller level", "vendor level", "level", "nivel", "уровень", "stufe"]),
    (Cue::Sales, &["sales", "total sales", "orders", "deals", "ventas", "продаж", "сделок", "verkäufe"]),
    (Cue::Terms, &["terms & conditions", "terms and conditions", "refund policy", "términos", "условия", "agb"]),
    (Cue::ContactVendor, &[
        "contact vendor", "contact seller", "send message", "send a message", "message vendor",
        "report vendor", "add to favourites", "add to favorites", "contactar", "написать",
    ]),
    (Cue::AboutMe, &["about me", "about the vendor", "sobre mí", "обо мне", "über mich"]),
    (Cue::PriceLabel, &["price:", "price :", "purchase price", "sale price", "precio", "цена", "preis"]),
    (Cue::ShipsFrom, &["ships from", "ship from", "shipping from", "origin country", "origin", "enviado desde", "envío desde", "отправка из", "versand aus", "source"]),
    (Cue::ShipsTo, &["ships to", "ship to", "shipping to", "destination", "envío a", "доставка в", "versand nach"]),
    (Cue::SoldBy, &["sold by", "vendor:", "seller:", "vendedor:", "продавец:", "verkäufer:"]),
    (Cue::Stock, &["in stock", "stock", "available", "en stock", "disponible", "в наличии", "auf lager"]),
];

/// How often each cue's words occur in a text.
#[derive(Clone, Copy, PartialEq)]
pub struct Cues([u32; CUE_COUNT]);

impl Default for Cues {
    fn default() -> Self {
        Cues([0; CUE_COUNT])
    }
}

impl std::fmt::Debug for Cues {
    /// Only the cues that occur, by name: `{Login: 2, Captcha: 1}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for cue in ALL_CUES {
            if self.has(cue) {
                m.entry(&cue, &self.get(cue));
            }
        }
        m.finish()
    }
}

impl Cues {
    pub fn get(&self, cue: Cue) -> u32 {
        self.0[cue as usize]
    }

    /// Whether any word of `cue` occurs.
    pub fn has(&self, cue: Cue) -> bool {
        self.get(cue) > 0
    }
}

struct Matcher {
    ac: AhoCorasick,
    cues: Vec<Cue>,
}

fn matcher() -> Option<&'static Matcher> {
    static M: OnceLock<Option<Matcher>> = OnceLock::new();
    M.get_or_init(|| {
        let mut patterns = Vec::new();
        let mut cues = Vec::new();
        for (cue, words) in WORDS {
            for w in *words {
                patterns.push(*w);
                cues.push(*cue);
            }
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok()?;
        Some(Matcher { ac, cues })
    })
    .as_ref()
}

/// Counts cue words in `lower` (already lower case). A match must start a word.
pub fn count(lower: &str) -> Cues {
    let mut out = Cues::default();
    let Some(m) = matcher() else {
        return out;
    };
    for hit in m.ac.find_iter(lower) {
        let starts_word = lower[..hit.start()]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        if starts_word {
            if let Some(cue) = m.cues.get(hit.pattern().as_usize()) {
                out.0[*cue as usize] += 1;
            }
        }
    }
    out
}

/// [`count`] over text that is not lower case yet.
pub fn count_text(text: &str) -> Cues {
    count(&lowercase(text))
}

/// Lower case with every byte offset kept: a character whose lower case has another
/// UTF-8 length (rare: `İ`, `ẞ`) stays as it is, so offsets into the result are offsets
/// into `text`.
pub fn lowercase(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) if l.len_utf8() == c.len_utf8() => out.push(l),
            _ => out.push(c),
        }
    }
    out
}

/// Cue counts over all of `lower`, and over `lower` outside the `cut` byte ranges
/// (sorted, not overlapping), in one pass.
pub fn count_split(lower: &str, cut: &[std::ops::Range<usize>]) -> (Cues, Cues) {
    let mut all = Cues::default();
    let mut outside = Cues::default();
    let Some(m) = matcher() else {
        return (all, outside);
    };
    for hit in m.ac.find_iter(lower) {
        let starts_word = lower[..hit.start()]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let Some(cue) = m.cues.get(hit.pattern().as_usize()) else {
            continue;
        };
        if !starts_word {
            continue;
        }
        all.0[*cue as usize] += 1;
        let k = cut.partition_point(|r| r.start <= hit.start());
        if k == 0 || hit.start() >= cut[k - 1].end {
            outside.0[*cue as usize] += 1;
        }
    }
    (all, outside)
}
