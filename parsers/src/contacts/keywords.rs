//! Word lists: the context words that announce a contact, the filler words
//! that may stand between a context word and its value, and the words that
//! must never be taken for a handle or sit next to a phone number.
//!
//! Vendors write Spanish and English, with or without accents, in any case,
//! so every lookup goes through [`fold`], which lower-cases ASCII and strips
//! Spanish accents (`Teléfono` → `telefono`, `LLÁMAME` → `llamame`). The
//! lists below hold folded forms only. They are `match` arms rather than
//! sets: the compiler turns them into length-then-byte comparisons, and
//! they are only consulted on the few words around a prefilter hit.

use super::platforms::Platform;

/// What a context word announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ctx {
    /// A messaging platform ("wickr", "wsp", "jabber"…).
    On(Platform),
    /// A phone number of no particular platform ("cel", "llámame"…).
    Phone,
    /// An email address ("correo", "email"…).
    Email,
}

impl Ctx {
    /// Whether this context makes a bare 9-digit number a phone number.
    /// Platforms whose accounts are not phone numbers (Matrix, Tox…) do not.
    pub(super) fn is_phone(self) -> bool {
        use Platform::*;
        matches!(
            self,
            Ctx::Phone | Ctx::On(Telegram | Whatsapp | Signal | Zangi | Wickr | Armadillo)
        )
    }
}

/// Longest word [`fold`] accepts; no list entry is longer.
const FOLD_MAX: usize = 24;

/// A folded word, kept on the stack.
pub(super) struct Folded {
    buf: [u8; FOLD_MAX],
    len: usize,
}

impl Folded {
    pub(super) fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Lower-cases ASCII and strips Spanish accents. Returns `None` for words
/// too long or with other non-ASCII letters: those are in no list.
pub(super) fn fold(word: &[u8]) -> Option<Folded> {
    let mut out = Folded {
        buf: [0; FOLD_MAX],
        len: 0,
    };
    let mut i = 0;
    while i < word.len() {
        let b = word[i];
        let c = if b < 0x80 {
            i += 1;
            b.to_ascii_lowercase()
        } else if b == 0xC3 && i + 1 < word.len() {
            let c = match word[i + 1] {
                0x80 | 0x81 | 0xA0 | 0xA1 => b'a',
                0x88 | 0x89 | 0xA8 | 0xA9 => b'e',
                0x8D | 0xAD => b'i',
                0x93 | 0xB3 => b'o',
                0x9A | 0x9C | 0xBA | 0xBC => b'u',
                0x91 | 0xB1 => b'n',
                _ => return None,
            };
            i += 2;
            c
        } else {
            return None;
        };
        if out.len == FOLD_MAX {
            return None;
        }
        out.buf[out.len] = c;
        out.len += 1;
    }
    Some(out)
}

/// The context a folded word announces, if any.
pub(super) fn context(w: &[u8]) -> Option<Ctx> {
    use Platform::*;
    let p = match w {
        b"telegram" | b"telegrama" | b"telegran" | b"tg" | b"tele" | b"tlgrm" => Telegram,
        b"whatsapp" | b"whatsap" | b"whatssap" | b"watsap" | b"watsapp" | b"wasap" | b"wassap"
        | b"wasapp" | b"wsp" | b"wpp" | b"whats" | b"wapp" | b"guasap" => Whatsapp,
        b"signal" => Signal,
        b"wickr" | b"wickrme" => Wickr,
        b"threema" => Threema,
        b"zangi" => Zangi,
        b"armadillo" => Armadillo,
        b"jabber" | b"xmpp" | b"jid" | b"jabb" | b"omemo" => Xmpp,
        b"matrix" => Matrix,
        b"element" => Element,
        b"tox" | b"toxid" => Tox,
        b"briar" => Briar,
        b"simplex" => Simplex,
        b"wire" => Wire,
        b"jami" => Jami,
        b"cel" | b"celular" | b"cell" | b"cellphone" | b"movil" | b"mobile" | b"tel" | b"telf"
        | b"telef" | b"telefono" | b"telephone" | b"phone" | b"fono" | b"llama" | b"llamar"
        | b"llamame" | b"llamanos" | b"llamada" | b"llamadas" | b"escribeme" | b"escribenos"
        | b"contacto" | b"contactame" | b"contactanos" | b"contact" | b"call" | b"text"
        | b"sms" | b"yape" | b"plin" => return Some(Ctx::Phone),
        b"email" | b"mail" | b"correo" | b"emails" | b"correos" => return Some(Ctx::Email),
        _ => return None,
    };
    Some(Ctx::On(p))
}

/// What a filler word tells about what follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Filler {
    /// Introduces a name: "my wickr **is** x", "mi telegram **es** x".
    Copula,
    /// "wickr me **at** x": introduces a name only right after the context.
    At,
    /// Anything else that may stand there: "me", "mi", "al", "id", "usuario"…
    Weak,
}

/// Words that may stand between a context word and its value.
pub(super) fn filler(w: &[u8]) -> Option<Filler> {
    match w {
        b"is" | b"es" | b"as" | b"como" | b"son" | b"are" => Some(Filler::Copula),
        b"at" => Some(Filler::At),
        b"id" | b"user" | b"username" | b"usuario" | b"handle" | b"nick" | b"nickname"
        | b"alias" | b"name" | b"nombre" | b"usr" | b"me" | b"my" | b"mi" | b"mis" | b"el"
        | b"la" | b"al" | b"a" | b"en" | b"on" | b"in" | b"de" | b"del" | b"the" | b"por"
        | b"via" | b"to" | b"para" | b"number" | b"numero" | b"num" | b"nro" | b"no" | b"chat"
        | b"messenger" | b"app" | b"account" | b"cuenta" | b"only" | b"solo" | b"unico"
        | b"private" | b"privado" | b"direct" | b"directo" | b"dm" | b"pm" | b"add" | b"agrega"
        | b"agregame" | b"anademe" | b"our" | b"nuestro" | b"official" | b"oficial" | b"new"
        | b"nuevo" | b"contact" | b"contacto" | b"msg" => Some(Filler::Weak),
        _ => None,
    }
}

/// Words that, a little before a context word, make the next bare word
/// its owner's name: "**mi** wickr: x", "ADD **OUR** NEW WICKR X".
pub(super) fn is_possessive(w: &[u8]) -> bool {
    matches!(
        w,
        b"my"
            | b"mi"
            | b"mis"
            | b"our"
            | b"nuestro"
            | b"nuestra"
            | b"add"
            | b"agrega"
            | b"agregame"
            | b"agreganos"
            | b"anademe"
            | b"escribeme"
            | b"escribenos"
            | b"contactame"
            | b"contactanos"
            | b"hablame"
    )
}

/// Words that may follow a bare handle and end its phrase ("wickr: x
/// **para** pedidos", "tg: x **pls**").
pub(super) fn is_phrase_tail(w: &[u8]) -> bool {
    matches!(
        w,
        b"para"
            | b"for"
            | b"por"
            | b"pls"
            | b"plz"
            | b"please"
            | b"porfavor"
            | b"thanks"
            | b"gracias"
    )
}

/// Whether `w` is one of the space-separated words of `list`. The lists
/// are only consulted around a prefilter hit, so a substring search over a
/// few hundred bytes is cheap enough, and keeps them readable.
fn in_list(list: &str, w: &[u8]) -> bool {
    if w.is_empty() || w.len() > FOLD_MAX || w.contains(&b' ') {
        return false;
    }
    let mut pat = [b' '; FOLD_MAX + 2];
    pat[1..=w.len()].copy_from_slice(w);
    memchr::memmem::find(list.as_bytes(), &pat[..w.len() + 2]).is_some()
}

/// Words that join two contacts or two context words ("tg y wickr").
pub(super) fn is_conjunction(w: &[u8]) -> bool {
    matches!(w, b"y" | b"and" | b"o" | b"or" | b"u" | b"e")
}

/// Words that, just before a number, make it a price, an amount or a
/// reference rather than a phone ("pedido 912345678", "S/ 950").
const BEFORE_NON_PHONE: &str = " \
    s soles sol usd us pen eur euro euros btc xmr eth ltc usdt precio price total monto pedido \
    order orden ref referencia id tracking track txid tx factura invoice ticket codigo code \
    lote batch serial dni ruc bloque block hash guia sku item op operacion transaccion \
    transaction isbn cuenta account cci iban tarjeta card pin otp nonce ";

pub(super) fn is_before_non_phone(w: &[u8]) -> bool {
    in_list(BEFORE_NON_PHONE, w)
}

/// Words that, just after a number, make it an amount or a quantity.
const AFTER_NON_PHONE: &str = " \
    soles sol usd dolares dollars eur euros btc xmr eth ltc usdt sats satoshis pen g gr grs \
    gramos grams kg kilos mg ml mcg ug lb oz pcs unidades units tabs pills pastillas veces \
    times views vistas visitas km m cm mm votos votes likes users usuarios bytes mb gb pts \
    puntos cc ";

pub(super) fn is_after_non_phone(w: &[u8]) -> bool {
    in_list(AFTER_NON_PHONE, w)
}

/// Top-level domains an obfuscated email may end with. Obfuscated forms
/// ("pepe arroba gmail punto com") come from prose, so an unknown last word
/// is far more likely a sentence than a new gTLD.
const KNOWN_TLDS: &str = " \
    com net org edu gov info biz io me co cc tv ws to ch de at nl be fr es it pt pe mx ar cl \
    ec bo ve uy py br us uk ca au ru su ua pl cz sk se no fi dk is ie li lu eu jp in im nu pw \
    tk xyz top online site email onion pro app dev ai la sh ly gg fm chat city cloud one lol \
    ninja rocks space tech ";

pub(super) fn is_known_tld(w: &[u8]) -> bool {
    in_list(KNOWN_TLDS, w)
}

/// Common words that are never taken as a bare handle: "Telegram:
/// disponible", "mi wickr es privado", "Threema AVAILABLE". Handles that
/// carry a digit, `_` or `.` are never common words, so this list only
/// guards the all-letter case.
const COMMON: &str = " \
    available disponible disponibles only solo soon pronto channel canal group grupo link \
    enlace abajo below above arriba here aqui there alli please favor porfavor private privado \
    message mensaje mensajes messages contact contacto contactame support soporte vendor \
    vendedor shop tienda store market mercado offline online activo active inactive down caido \
    official oficial username usuario user handle account cuenta none ninguno same mismo igual \
    key clave number numero phone email correo the and for with this that from your you our \
    are was will can not now new all any just also have has get send write text call ask more \
    info price prices orders order details questions inquiries business fast faster response \
    reply replies hours daily today los las una uno por para con sin que del como mas pero sus \
    este esta esto aca todo todos cualquier consultas pedidos pedido precio precios ventas \
    venta compras info24 informes escribeme escribir escribenos llamame nuevo nueva actual \
    current backup respaldo principal main ahora siempre always directo direct rapido rapida \
    respuesta horas dias days semana week gracias thanks thank hola hello buenas envios envio \
    shipping delivery stealth calidad quality producto productos product products cocaina \
    cocaine coca marihuana weed mdma ketamina ketamine pills pastillas tusi crack pasta \
    heroina heroin meth narcotics drogas drugs escrow bitcoin monero crypto lima peru callao \
    grupos canales channels groups bot bots admin admins moderator moderador staff team equipo \
    secure seguro encrypted cifrado verified verificado unavailable closed cerrado open \
    abierto required requerido optional opcional preferred preferido night noche anytime personal pls plz ";

pub(super) fn is_common(w: &[u8]) -> bool {
    in_list(COMMON, w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Vec<u8> {
        fold(s.as_bytes())
            .map(|w| w.bytes().to_vec())
            .unwrap_or_default()
    }

    #[test]
    fn fold_strips_accents_and_case() {
        assert_eq!(f("Teléfono"), b"telefono");
        assert_eq!(f("LLÁMAME"), b"llamame");
        assert_eq!(f("Móvil"), b"movil");
        assert_eq!(f("AÑÁDEME"), b"anademe");
        assert!(fold("привет".as_bytes()).is_none());
        assert!(fold(&[b'a'; 30]).is_none());
    }

    #[test]
    fn contexts_are_accent_and_case_insensitive() {
        let ctx = |s: &str| fold(s.as_bytes()).and_then(|w| context(w.bytes()));
        assert_eq!(ctx("ESCRÍBEME"), Some(Ctx::Phone));
        assert_eq!(ctx("Wasap"), Some(Ctx::On(Platform::Whatsapp)));
        assert_eq!(ctx("Jabber"), Some(Ctx::On(Platform::Xmpp)));
        assert_eq!(ctx("Correo"), Some(Ctx::Email));
        assert_eq!(ctx("television"), None);
        assert!(Ctx::On(Platform::Zangi).is_phone());
        assert!(!Ctx::On(Platform::Matrix).is_phone());
    }

    #[test]
    fn fillers_and_lists() {
        assert_eq!(filler(b"es"), Some(Filler::Copula));
        assert_eq!(filler(b"at"), Some(Filler::At));
        assert!(is_possessive(b"mi") && is_phrase_tail(b"para"));
        assert_eq!(filler(b"al"), Some(Filler::Weak));
        assert_eq!(filler(b"pepe"), None);
        assert!(is_common(b"disponible"));
        assert!(is_known_tld(b"pe"));
        assert!(!is_known_tld(b"thing"));
        assert!(is_before_non_phone(b"pedido"));
        assert!(is_after_non_phone(b"soles"));
        assert!(is_conjunction(b"y"));
        assert!(!is_common(b"dispon"));
        for list in [COMMON, KNOWN_TLDS, BEFORE_NON_PHONE, AFTER_NON_PHONE] {
            assert!(list.starts_with(' ') && list.ends_with(' ') && !list.contains("  "));
            assert_eq!(list.to_ascii_lowercase(), list);
        }
    }
}
