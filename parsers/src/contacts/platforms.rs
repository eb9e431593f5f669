//! The messaging platforms we recognise, and what a handle looks like on
//! each of them.
//!
//! A handle is only ever taken after a context word ("wickr", "tg") or from
//! a platform link, because a bare word or `@mention` could belong to any
//! site. How strongly the context announces it decides how strict the
//! check is ([`Via`]): after `@` any well-formed handle goes; after a
//! label (`:`), a copula ("es", "is") or a possessive ("mi wickr", "our
//! wickr") it must not be a common word; after the context word alone
//! ("telegram pepe_peru") it must also look like a username (a digit, `_`,
//! `.` or `-`), since "telegram channel" is prose.

use super::keywords;

/// A messaging platform a contact belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    Telegram,
    Whatsapp,
    Signal,
    Wickr,
    Session,
    Threema,
    Zangi,
    Armadillo,
    Xmpp,
    Matrix,
    Tox,
    Element,
    Briar,
    Simplex,
    Wire,
    Jami,
}

impl Platform {
    /// Lower-case name, as used in the extractor's JSON (`"telegram"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Telegram => "telegram",
            Platform::Whatsapp => "whatsapp",
            Platform::Signal => "signal",
            Platform::Wickr => "wickr",
            Platform::Session => "session",
            Platform::Threema => "threema",
            Platform::Zangi => "zangi",
            Platform::Armadillo => "armadillo",
            Platform::Xmpp => "xmpp",
            Platform::Matrix => "matrix",
            Platform::Tox => "tox",
            Platform::Element => "element",
            Platform::Briar => "briar",
            Platform::Simplex => "simplex",
            Platform::Wire => "wire",
            Platform::Jami => "jami",
        }
    }
}

/// How a candidate handle was introduced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Via {
    /// Written as `@handle` after a context word.
    At,
    /// Bare, introduced: "Wickr: x", "mi telegram es x", "OUR WICKR X".
    Strong,
    /// Bare, after the context word and weak fillers only: "wickr me x".
    Weak,
}

/// Telegram usernames: 5–32 of `[A-Za-z0-9_]`, starting with a letter and
/// not ending with `_`.
pub(super) fn is_telegram(tok: &[u8]) -> bool {
    (5..=32).contains(&tok.len())
        && tok[0].is_ascii_alphabetic()
        && tok.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
        && tok.last() != Some(&b'_')
}

/// Generic usernames (Wickr, Armadillo, Zangi, Jami, Wire): 3–32 of
/// `[A-Za-z0-9_.-]`, starting with a letter and ending with a letter or
/// digit.
fn is_generic(tok: &[u8]) -> bool {
    (3..=32).contains(&tok.len())
        && tok[0].is_ascii_alphabetic()
        && tok.last().is_some_and(|b| b.is_ascii_alphanumeric())
        && tok
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Signal usernames: a 3–32 character nickname, a dot and a numeric
/// discriminator of at least two digits (`pepe.01`).
pub(super) fn is_signal_username(tok: &[u8]) -> bool {
    let Some(dot) = tok.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    let (name, disc) = (&tok[..dot], &tok[dot + 1..]);
    (3..=32).contains(&name.len())
        && (name[0].is_ascii_alphabetic() || name[0] == b'_')
        && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
        && (2..=10).contains(&disc.len())
        && disc.iter().all(u8::is_ascii_digit)
}

/// Threema IDs: exactly eight of `[A-Z0-9*]`, written in upper case.
fn is_threema(tok: &[u8]) -> bool {
    tok.len() == 8
        && tok
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'*')
}

/// Whether a token looks like a username rather than a word.
pub(super) fn username_like(tok: &[u8]) -> bool {
    tok.iter()
        .any(|&b| b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-'))
}

fn is_common(tok: &[u8]) -> bool {
    keywords::fold(tok).is_some_and(|w| {
        keywords::is_common(w.bytes())
            || keywords::filler(w.bytes()).is_some()
            || keywords::context(w.bytes()).is_some()
    })
}

/// Whether the evidence suffices for a well-formed, non-dictionary handle.
fn enough(tok: &[u8], via: Via) -> bool {
    match via {
        Via::At => true,
        Via::Strong => !is_common(tok),
        Via::Weak => username_like(tok) && !is_common(tok),
    }
}

/// The searchable value of `tok` as a handle on `p`, or `None` if it is not
/// one. `tok` excludes the `@`.
pub(super) fn handle_value(p: Platform, tok: &[u8], via: Via) -> Option<String> {
    let ok = |valid: bool| valid && enough(tok, via);
    match p {
        Platform::Telegram if ok(is_telegram(tok)) => Some(format!("@{}", super::text::lower(tok))),
        Platform::Wire if via == Via::At && is_generic(tok) => {
            Some(format!("@{}", super::text::lower(tok)))
        }
        Platform::Signal if is_signal_username(tok) => Some(super::text::lower(tok)),
        Platform::Zangi if tok.len() == 10 && tok.iter().all(u8::is_ascii_digit) => {
            Some(super::text::ascii(tok))
        }
        Platform::Threema
            if via != Via::At
                && is_threema(tok)
                && (via == Via::Strong || tok.iter().any(|&b| b.is_ascii_digit() || b == b'*'))
                && !is_common(tok) =>
        {
            Some(super::text::ascii(tok))
        }
        // A 40-hex Jami ID is reported by the hex scanner, with its URI span.
        Platform::Jami if tok.len() == 40 && tok.iter().all(u8::is_ascii_hexdigit) => None,
        Platform::Wickr | Platform::Armadillo | Platform::Zangi | Platform::Jami
            if ok(is_generic(tok)) =>
        {
            Some(super::text::lower(tok))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lower_case() {
        assert_eq!(Platform::Whatsapp.as_str(), "whatsapp");
        assert_eq!(Platform::Xmpp.as_str(), "xmpp");
        assert_eq!(Platform::Simplex.as_str(), "simplex");
    }

    #[test]
    fn telegram_rules() {
        assert!(is_telegram(b"pepe_peru"));
        assert!(!is_telegram(b"pepe"));
        assert!(!is_telegram(b"1pepe"));
        assert!(!is_telegram(b"pepe_"));
        assert!(!is_telegram(b"pepe.peru"));
        assert!(!is_telegram(&[b'a'; 33]));
    }

    #[test]
    fn evidence_grows_with_weaker_context() {
        let t = Platform::Telegram;
        assert_eq!(
            handle_value(t, b"PepePeru", Via::At).as_deref(),
            Some("@pepeperu")
        );
        assert_eq!(
            handle_value(t, b"pepeperu", Via::Strong).as_deref(),
            Some("@pepeperu")
        );
        assert_eq!(handle_value(t, b"pepeperu", Via::Weak), None);
        assert_eq!(
            handle_value(t, b"pepe_peru", Via::Weak).as_deref(),
            Some("@pepe_peru")
        );
        assert_eq!(handle_value(t, b"disponible", Via::Strong), None);
        assert_eq!(handle_value(Platform::Wire, b"pepe", Via::Strong), None);
    }

    #[test]
    fn other_platform_shapes() {
        assert_eq!(
            handle_value(Platform::Signal, b"Pepe.01", Via::Weak).as_deref(),
            Some("pepe.01")
        );
        assert_eq!(handle_value(Platform::Signal, b"pepe.1", Via::Strong), None);
        assert_eq!(
            handle_value(Platform::Zangi, b"1234567890", Via::Weak).as_deref(),
            Some("1234567890")
        );
        assert_eq!(
            handle_value(Platform::Threema, b"ABCD1234", Via::Weak).as_deref(),
            Some("ABCD1234")
        );
        assert_eq!(
            handle_value(Platform::Threema, b"ECHOECHO", Via::Strong).as_deref(),
            Some("ECHOECHO")
        );
        assert_eq!(
            handle_value(Platform::Threema, b"ECHOECHO", Via::Weak),
            None
        );
        assert_eq!(
            handle_value(Platform::Threema, b"abcd1234", Via::Strong),
            None
        );
        assert_eq!(
            handle_value(Platform::Wickr, b"xyz", Via::Strong).as_deref(),
            Some("xyz")
        );
        assert_eq!(
            handle_value(Platform::Wickr, b"Narco.Lima", Via::Weak).as_deref(),
            Some("narco.lima")
        );
        assert_eq!(handle_value(Platform::Matrix, b"pepe", Via::At), None);
    }
}
