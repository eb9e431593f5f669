//! Contact extraction: emails, phone numbers and messaging accounts in the
//! Spanish and English that vendors write on markets and forums.
//!
//! [`find_contacts`] returns every [`ContactMatch`] in a text, with byte
//! offsets into it and a clean, searchable value: `pepe@proton.me`,
//! `+51987654321`, `@pepe_peru` for Telegram, a 66-hex Session ID…
//!
//! Investigators act on what this reports, so precision comes first: a
//! value is reported only with enough evidence (its own shape, a link, or a
//! context word such as "wsp", "tg", "jabber" close before it), and prices,
//! dates, order numbers, hashes and forum mentions are not contacts.
//!
//! The input is expected to be normalised already: zero-width characters
//! and soft hyphens removed, NBSP mapped to a space and full-width forms to
//! ASCII. Accents and other letters are fine.
//!
//! ```ignore
//! // (`ignore`: the path depends on the crate this folder is dropped in;
//! // the same example runs as a unit test below.)
//! use contacts::contacts::{find_contacts, ContactKind, Platform};
//! let found = find_contacts("Pedidos al wasap 987 654 321 o tg: @pepe_peru");
//! let kinds: Vec<_> = found.iter().map(|m| (m.kind.clone(), m.value.as_str())).collect();
//! assert_eq!(kinds, [
//!     (ContactKind::Phone, "+51987654321"),
//!     (ContactKind::Contact(Platform::Whatsapp), "+51987654321"),
//!     (ContactKind::Contact(Platform::Telegram), "@pepe_peru"),
//! ]);
//! ```
//!
//! Layout: `scan` finds candidate places cheaply and dispatches to the
//! extractors (`email`, `phone`, `handles`, `links`, `hexids`), which share
//! `context`, `keywords` and `text`; `platforms` holds [`Platform`].

mod context;
mod email;
mod handles;
mod hexids;
mod keywords;
mod links;
mod phone;
mod platforms;
mod scan;
mod text;

pub use self::platforms::Platform;

/// What a match is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContactKind {
    Email,
    Phone,
    Contact(Platform),
}

/// One contact found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactMatch {
    pub kind: ContactKind,
    /// The clean, searchable form: lower-cased email, E.164 phone,
    /// `@handle` for Telegram and Wire, the account as written (lower-cased)
    /// elsewhere.
    pub value: String,
    /// Byte offsets into the text; the span covers the raw (possibly
    /// obfuscated) text, and a link from its scheme.
    pub start: usize,
    pub end: usize,
}

/// Where the extractors put what they find.
#[derive(Debug, Default)]
struct Sink(Vec<ContactMatch>);

impl Sink {
    fn push(&mut self, kind: ContactKind, value: String, start: usize, end: usize) {
        self.0.push(ContactMatch {
            kind,
            value,
            start,
            end,
        });
    }
}

/// Finds the contacts in `text`, sorted by start offset (then end, kind
/// and value).
pub fn find_contacts(text: &str) -> Vec<ContactMatch> {
    let mut sink = Sink::default();
    scan::run(text, &mut sink);
    finish(sink.0)
}

/// Sort order among matches of the same span: emails, phones, platforms.
fn rank(kind: &ContactKind) -> usize {
    match kind {
        ContactKind::Email => 0,
        ContactKind::Phone => 1,
        ContactKind::Contact(p) => 2 + *p as usize,
    }
}

/// Whether a match carries a phone number as its value, so that the
/// `Phone` match inside it is kept.
fn carries_phone(m: &ContactMatch) -> bool {
    matches!(
        m.kind,
        ContactKind::Contact(Platform::Whatsapp | Platform::Signal)
    ) && m.value.starts_with('+')
}

/// Sorts, removes duplicates (several scanners may see the same value) and
/// drops a match lying strictly inside another one (an email inside a
/// SimpleX link), except a phone inside the WhatsApp/Signal link that
/// carries it.
fn finish(mut v: Vec<ContactMatch>) -> Vec<ContactMatch> {
    v.sort_by(|a, b| {
        (a.start, std::cmp::Reverse(a.end), rank(&a.kind), &a.value).cmp(&(
            b.start,
            std::cmp::Reverse(b.end),
            rank(&b.kind),
            &b.value,
        ))
    });
    v.dedup();
    let mut keep = Vec::with_capacity(v.len());
    let (mut max_end, mut max_end_no_phone) = (0, 0);
    let mut i = 0;
    while i < v.len() {
        let span = (v[i].start, v[i].end);
        let j = v[i..]
            .iter()
            .position(|m| (m.start, m.end) != span)
            .map_or(v.len(), |k| i + k);
        for m in &v[i..j] {
            let cover = if m.kind == ContactKind::Phone {
                max_end_no_phone
            } else {
                max_end
            };
            if cover < m.end {
                keep.push(m.clone());
            }
        }
        for m in &v[i..j] {
            max_end = max_end.max(m.end);
            if !carries_phone(m) {
                max_end_no_phone = max_end_no_phone.max(m.end);
            }
        }
        i = j;
    }
    keep.sort_by(|a, b| {
        (a.start, a.end, rank(&a.kind), &a.value).cmp(&(b.start, b.end, rank(&b.kind), &b.value))
    });
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_example() {
        let found = find_contacts("Pedidos al wasap 987 654 321 o tg: @pepe_peru");
        let kinds: Vec<_> = found
            .iter()
            .map(|m| (m.kind.clone(), m.value.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (ContactKind::Phone, "+51987654321"),
                (ContactKind::Contact(Platform::Whatsapp), "+51987654321"),
                (ContactKind::Contact(Platform::Telegram), "@pepe_peru"),
            ]
        );
    }

    #[test]
    fn contained_matches_are_dropped_except_carried_phones() {
        let m = |kind, start, end| ContactMatch {
            kind,
            value: "+51987654321".into(),
            start,
            end,
        };
        let link = m(ContactKind::Contact(Platform::Whatsapp), 0, 17);
        let phone = m(ContactKind::Phone, 6, 17);
        let inner = m(ContactKind::Email, 8, 12);
        let out = finish(vec![inner, phone.clone(), link.clone(), phone.clone()]);
        assert_eq!(out, vec![link, phone]);
    }
}
