//! The vendor (or user) a profile page is about: the handle, and the keys, contacts and
//! addresses the extractors found on the page.
//!
//! The handle is read first from the page `<title>` ("dutch-skills - User Profile -
//! Apollon Market", "Contact Antonio777"): the title segment that is neither the site's
//! name nor a profile word. Failing that, from a "Username:"/"Vendor:" label, then from
//! the first heading that looks like a handle.

use super::fields::{clean_handle, labeled};
use crate::entity::Entity;
use crate::page::Page;
use crate::records::{PeruScore, Vendor};

/// Words that name the page, not the person.
const PROFILE_WORDS: &[&str] = &[
    "profile",
    "user",
    "users",
    "contact",
    "vendor",
    "seller",
    "store",
    "shop",
    "page",
    "of",
    "perfil",
    "usuario",
    "vendedor",
    "tienda",
    "профиль",
    "пользователь",
    "продавец",
    "info",
    "about",
    "feedback",
    "pgp",
    "key",
    "details",
    "view",
    "public",
];

/// Words that name a site, not a person.
const SITE_WORDS: &[&str] = &[
    "market",
    "marketplace",
    "forum",
    "shop",
    "store",
    "bazaar",
    "mercado",
    "форум",
    "маркет",
];

const TITLE_SEPARATORS: &[&str] = &[" - ", " | ", " – ", " — ", " :: ", " » ", " · ", ": "];

/// The vendor of a profile page, with the page's extracted identifiers.
pub fn from_profile(page: &Page, entities: &[Entity], listings: usize) -> Option<Vendor> {
    let handle = handle(page)?;
    let mut v = Vendor {
        url: page.url().to_string(),
        handle,
        listings_count: listings,
        peru: PeruScore::default(),
        ..Vendor::default()
    };
    for e in entities {
        match e {
            Entity::PgpKey { fingerprint, .. } if !v.pgp_fingerprints.contains(fingerprint) => {
                v.pgp_fingerprints.push(fingerprint.clone())
            }
            Entity::Contact {
                platform, value, ..
            } => push(&mut v.contacts, format!("{platform}:{value}")),
            Entity::Email { value, .. } => push(&mut v.contacts, format!("email:{value}")),
            Entity::Phone { value, .. } => push(&mut v.contacts, format!("phone:{value}")),
            Entity::CryptoAddress { value, .. } => push(&mut v.addresses, value.clone()),
            _ => {}
        }
    }
    Some(v)
}

fn push(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// The handle a profile page is about.
pub fn handle(page: &Page) -> Option<String> {
    from_title(page)
        .or_else(|| {
            labeled(
                page.visible_text(),
                &[
                    "username",
                    "user name",
                    "user",
                    "vendor",
                    "seller",
                    "store of",
                    "profile of",
                    "usuario",
                ],
            )
            .and_then(|v| clean_handle(&v))
        })
        .or_else(|| {
            page.elements("h1")
                .chain(page.elements("h2"))
                .find_map(|h| clean_handle(page.text_of(h)))
        })
}

fn from_title(page: &Page) -> Option<String> {
    let title = page.title()?;
    let mut parts = vec![title];
    for sep in TITLE_SEPARATORS {
        parts = parts
            .iter()
            .flat_map(|p| p.split(sep).map(str::to_string))
            .collect();
    }
    let text = page.visible_text();
    parts
        .iter()
        .filter_map(|part| {
            let words: Vec<&str> = part
                .split_whitespace()
                .filter(|w| {
                    let lw = w.to_lowercase();
                    !PROFILE_WORDS.contains(&lw.trim_end_matches("'s"))
                })
                .collect();
            if words.len() != 1 {
                return None;
            }
            let lower = part.to_lowercase();
            if SITE_WORDS.iter().any(|s| lower.contains(s)) {
                return None;
            }
            clean_handle(words[0])
        })
        .max_by_key(|h| text.matches(h.as_str()).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle_of(title: &str) -> Option<String> {
        handle(&Page::parse(
            "",
            format!("<title>{title}</title><p>x</p>").as_bytes(),
        ))
    }

    #[test]
    fn handles_from_titles() {
        assert_eq!(
            handle_of("dutch-skills - User Profile - Apollon Market").as_deref(),
            Some("dutch-skills")
        );
        assert_eq!(
            handle_of("Cryptonia Market - GreenSupreme Profile").as_deref(),
            Some("GreenSupreme")
        );
        assert_eq!(
            handle_of("Contact Antonio777").as_deref(),
            Some("Antonio777")
        );
        assert_eq!(
            handle_of("fredthebaker | Drugmarket").as_deref(),
            Some("fredthebaker")
        );
        assert_eq!(
            handle_of("Empire Market - Thedutchconnect").as_deref(),
            Some("Thedutchconnect")
        );
    }
}
