//! The `[parser]` section exactly as written: serde structs that keep the source span of
//! every selector and regex so that [`super::load`] can report a mistake at its place.
//! Nothing here is validated beyond its TOML shape; [`super::config`] holds the checked,
//! compiled form.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use toml::Spanned;

pub(super) type Text = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParser {
    pub number_format: Option<Text>,
    pub default_page_type: Option<Text>,
    #[serde(default)]
    pub page_type: Vec<RawPageRule>,
    pub listing: Option<Spanned<OneOrMany<RawListing>>>,
    pub vendor: Option<Spanned<OneOrMany<RawVendor>>>,
    pub post: Option<Spanned<OneOrMany<RawPost>>>,
    pub links: Option<RawLinks>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPageRule {
    #[serde(rename = "type")]
    pub page_type: Text,
    pub url: Option<Text>,
    pub selector: Option<Text>,
    pub title: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawListing {
    pub on: Option<Vec<Text>>,
    pub container: Option<Text>,
    pub number_format: Option<Text>,
    pub url: Option<Spanned<RawField>>,
    pub title: Option<Spanned<RawField>>,
    pub price: Option<Spanned<RawField>>,
    pub vendor: Option<Spanned<RawField>>,
    pub ships_from: Option<Spanned<RawField>>,
    pub ships_to: Option<Spanned<RawField>>,
    pub category: Option<Spanned<RawField>>,
    pub description: Option<Spanned<RawField>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVendor {
    pub on: Option<Vec<Text>>,
    pub container: Option<Text>,
    pub url: Option<Spanned<RawField>>,
    pub handle: Option<Spanned<RawField>>,
    pub pgp: Option<Spanned<RawField>>,
    pub listings_count: Option<Spanned<RawField>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPost {
    pub on: Option<Vec<Text>>,
    pub container: Option<Text>,
    pub url: Option<Spanned<RawField>>,
    pub thread_title: Option<Spanned<RawField>>,
    pub author: Option<Spanned<RawField>>,
    pub date: Option<Spanned<RawField>>,
    pub body: Option<Spanned<RawField>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLinks {
    pub listing: Option<Text>,
    pub vendor: Option<Text>,
    pub next_page: Option<Text>,
    pub ignore: Option<Text>,
}

/// One way to read a field, in table form.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFieldSpec {
    pub selector: Option<Text>,
    pub attr: Option<String>,
    pub regex: Option<Text>,
    pub exclude: Option<Text>,
    pub split: Option<Text>,
    pub prefix: Option<String>,
    pub scope: Option<Text>,
}

/// A field: a selector string, a table, or an array of either (tried in order). The
/// span of a string item is filled in from the enclosing value when serde cannot give it.
#[derive(Debug, Default)]
pub(super) struct RawField(pub Vec<(Option<Range<usize>>, RawFieldSpec)>);

enum Item {
    Short(String),
    Full(Box<RawFieldSpec>),
}

impl Item {
    fn into_spec(self, span: Option<Range<usize>>) -> (Option<Range<usize>>, RawFieldSpec) {
        match self {
            Item::Short(s) => {
                let selector = span.clone().map(|r| Spanned::new(r, s.clone()));
                let spec = RawFieldSpec {
                    selector: selector.or_else(|| Some(Spanned::new(0..0, s))),
                    ..RawFieldSpec::default()
                };
                (span, spec)
            }
            Item::Full(spec) => (span, *spec),
        }
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Item;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CSS selector string or a table with `selector`, `attr`, `regex`...")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Item, E> {
        Ok(Item::Short(v.to_string()))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Item, A::Error> {
        RawFieldSpec::deserialize(de::value::MapAccessDeserializer::new(map))
            .map(|s| Item::Full(Box::new(s)))
    }
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Item, D::Error> {
        d.deserialize_any(ItemVisitor)
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = RawField;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CSS selector string, a field table, or an array of them")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawField, E> {
        Ok(RawField(vec![Item::Short(v.to_string()).into_spec(None)]))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawField, A::Error> {
        ItemVisitor
            .visit_map(map)
            .map(|i| RawField(vec![i.into_spec(None)]))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawField, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Item>>()? {
            let span = item.span();
            items.push(item.into_inner().into_spec(Some(span)));
        }
        Ok(RawField(items))
    }
}

impl<'de> Deserialize<'de> for RawField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RawField, D::Error> {
        d.deserialize_any(FieldVisitor)
    }
}

/// `[parser.listing]` (one table) or `[[parser.listing]]` (several, e.g. one per page
/// type). Items of an array keep their span; a lone table takes the enclosing one.
#[derive(Debug)]
pub(super) struct OneOrMany<T>(pub Vec<(Option<Range<usize>>, T)>);

struct OneOrManyVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
    type Value = OneOrMany<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a table or an array of tables")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map))
            .map(|t| OneOrMany(vec![(None, t)]))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(t) = seq.next_element::<Spanned<T>>()? {
            let span = t.span();
            out.push((Some(span), t.into_inner()));
        }
        Ok(OneOrMany(out))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OneOrManyVisitor(PhantomData))
    }
}
