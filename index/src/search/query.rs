//! From what an investigator typed to a Tantivy query.
//!
//! The text is parsed with Tantivy's own grammar (so its documentation applies: `AND`,
//! `OR`, `-word`, `"phrases"`, `field:value`, `price:[10 TO 100]`), then the parsed tree —
//! never the raw text — is rewritten: Spanish and English field names become schema fields
//! (a word inside quotes is a value, so it is never touched), `title:` searches both
//! analysed copies of the title, and a bare identifier (a wallet, fingerprint, `@handle`,
//! phone number or onion name) also searches its exact field.

use tantivy::query_grammar::{
    self, Delimiter, Occur, UserInputAst, UserInputLeaf, UserInputLiteral,
};

use super::doc::RecordType;
use super::normalize::{self, Identifier};
use super::SearchError;

/// What a field name in a query resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// One or more schema fields, searched together (OR).
    Fields(&'static [&'static str]),
    /// `telegram:@x`: a contact on that platform, as the store writes contacts.
    Platform(&'static str),
    /// `bitcoincash:q…`: an address written with its scheme.
    AddressScheme(&'static str),
    /// `http://…`: a record URL that the grammar split at its colon.
    UrlScheme(&'static str),
}

/// The query fields: canonical name, the other names accepted (Spanish first), the
/// schema fields searched. The error for an unknown field lists this table.
const QUERY_FIELDS: &[(&str, &[&str], &[&str])] = &[
    ("title", &["titulo"], &["title_es", "title_en"]),
    (
        "text",
        &["texto", "body", "cuerpo", "descripcion", "description"],
        &["body_es", "body_en"],
    ),
    (
        "vendor",
        &["vendedor", "author", "autor", "handle"],
        &["vendor"],
    ),
    ("ships_to", &["envia_a", "envio_a"], &["ships_to"]),
    (
        "ships_from",
        &["envia_desde", "envio_desde"],
        &["ships_from"],
    ),
    ("coin", &["moneda", "cripto"], &["coin"]),
    ("site", &["sitio", "mercado", "market"], &["site"]),
    ("category", &["categoria"], &["category"]),
    (
        "address",
        &["direccion", "wallet", "billetera"],
        &["address"],
    ),
    ("contact", &["contacto"], &["contact"]),
    ("pgp", &["fingerprint", "huella"], &["pgp"]),
    ("type", &["tipo"], &["type"]),
    ("onion", &["cebolla"], &["onion"]),
    ("url", &[], &["url"]),
    ("price", &["precio"], &["price_usd"]),
    ("peru", &[], &["peru"]),
];

/// Contact platforms accepted as a field name (`telegram:@pepe_lima`), as the extractor
/// names them in `platform:value` contacts.
const PLATFORMS: &[&str] = &[
    "telegram",
    "whatsapp",
    "signal",
    "wickr",
    "session",
    "threema",
    "zangi",
    "armadillo",
    "xmpp",
    "jabber",
    "matrix",
    "element",
    "tox",
    "email",
    "phone",
];

fn resolve(name: &str) -> Option<Target> {
    let n = normalize::fold(name).replace('-', "_");
    for (canonical, aliases, fields) in QUERY_FIELDS {
        if n == *canonical || aliases.contains(&n.as_str()) {
            return Some(Target::Fields(fields));
        }
    }
    if let Some(p) = PLATFORMS.iter().find(|p| **p == n) {
        return Some(Target::Platform(p));
    }
    match n.as_str() {
        "bitcoincash" => Some(Target::AddressScheme("bitcoincash")),
        "bchtest" => Some(Target::AddressScheme("bchtest")),
        "http" => Some(Target::UrlScheme("http")),
        "https" => Some(Target::UrlScheme("https")),
        _ => None,
    }
}

/// The field names an investigator can use, for error messages and help:
/// `title (titulo), text (texto, …), …`.
pub fn valid_field_names() -> String {
    let mut out: Vec<String> = QUERY_FIELDS
        .iter()
        .map(|(c, aliases, _)| {
            if aliases.is_empty() {
                (*c).to_string()
            } else {
                format!("{c} ({})", aliases.join(", "))
            }
        })
        .collect();
    out.push(format!("or a contact platform ({})", PLATFORMS.join(", ")));
    out.join(", ")
}

/// Parses and rewrites a query. A syntax error reports a 1-based column in characters,
/// counted in the text as the investigator typed it.
pub(crate) fn parse(text: &str) -> Result<UserInputAst, SearchError> {
    let (ast, errors) = query_grammar::parse_query_lenient(text);
    if let Some(e) = errors.into_iter().min_by_key(|e| e.pos) {
        return Err(SearchError::Syntax {
            column: column_of(text, e.pos),
            message: e.message,
        });
    }
    rewrite(ast)
}

fn column_of(text: &str, byte_pos: usize) -> usize {
    let mut pos = byte_pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    text[..pos].chars().count() + 1
}

fn rewrite(ast: UserInputAst) -> Result<UserInputAst, SearchError> {
    Ok(match ast {
        UserInputAst::Clause(clauses) => {
            let mut out: Vec<(Option<Occur>, UserInputAst)> = Vec::with_capacity(clauses.len());
            for (occur, sub) in clauses {
                // Tantivy parses `lima AND NOT heroina` as `+lima +(-heroina)`, and a
                // group of exclusions alone matches nothing, so the whole query would
                // too. A required group of exclusions becomes exclusions of its parent:
                // `+lima -heroina`.
                let required = matches!(occur, None | Some(Occur::Must));
                match sub {
                    UserInputAst::Clause(inner) if required && only_exclusions(&inner) => {
                        for (o, s) in inner {
                            out.push((o, rewrite(s)?));
                        }
                    }
                    other => out.push((occur, rewrite(other)?)),
                }
            }
            // Exclusions with nothing to exclude from (`NOT heroina`, or `a OR NOT b`'s
            // right side) exclude from everything.
            if only_exclusions(&out) {
                out.push((Some(Occur::Must), leaf(UserInputLeaf::All)));
            }
            UserInputAst::Clause(out)
        }
        UserInputAst::Boost(sub, boost) => UserInputAst::Boost(Box::new(rewrite(*sub)?), boost),
        UserInputAst::Leaf(leaf) => rewrite_leaf(*leaf)?,
    })
}

fn only_exclusions(clauses: &[(Option<Occur>, UserInputAst)]) -> bool {
    !clauses.is_empty()
        && clauses
            .iter()
            .all(|(occur, _)| *occur == Some(Occur::MustNot))
}

fn unknown(field: &str) -> SearchError {
    SearchError::UnknownField {
        field: field.to_string(),
        valid: valid_field_names(),
    }
}

fn leaf(l: UserInputLeaf) -> UserInputAst {
    UserInputAst::Leaf(Box::new(l))
}

fn any_of(asts: Vec<UserInputAst>) -> UserInputAst {
    if asts.len() == 1 {
        if let Some(only) = asts.into_iter().next() {
            return only;
        }
        return UserInputAst::empty_query();
    }
    UserInputAst::Clause(asts.into_iter().map(|a| (Some(Occur::Should), a)).collect())
}

fn exact(field: &str, value: String) -> UserInputAst {
    leaf(UserInputLeaf::Literal(UserInputLiteral {
        field_name: Some(field.to_string()),
        phrase: value,
        delimiter: Delimiter::DoubleQuotes,
        slop: 0,
        prefix: false,
    }))
}

fn rewrite_leaf(l: UserInputLeaf) -> Result<UserInputAst, SearchError> {
    match l {
        UserInputLeaf::Literal(lit) => rewrite_literal(lit),
        UserInputLeaf::All => Ok(leaf(UserInputLeaf::All)),
        UserInputLeaf::Range {
            field,
            lower,
            upper,
        } => {
            let Some(name) = field else {
                return Err(SearchError::Query(
                    "a range needs a field, e.g. precio:[100 TO 500] or peru:[0.5 TO *]"
                        .to_string(),
                ));
            };
            let Some(Target::Fields(fields)) = resolve(&name) else {
                return Err(unknown(&name));
            };
            Ok(any_of(
                fields
                    .iter()
                    .map(|f| {
                        leaf(UserInputLeaf::Range {
                            field: Some((*f).to_string()),
                            lower: lower.clone(),
                            upper: upper.clone(),
                        })
                    })
                    .collect(),
            ))
        }
        UserInputLeaf::Set { field, elements } => {
            let Some(name) = field else {
                return Err(SearchError::Query(
                    "a set needs a field, e.g. sitio: IN [mercado-andino silk-lane]".to_string(),
                ));
            };
            let Some(Target::Fields(fields)) = resolve(&name) else {
                return Err(unknown(&name));
            };
            let elements = if fields == ["type"] {
                elements
                    .iter()
                    .map(|e| type_value(e))
                    .collect::<Result<Vec<_>, _>>()?
            } else {
                elements
            };
            Ok(any_of(
                fields
                    .iter()
                    .map(|f| {
                        leaf(UserInputLeaf::Set {
                            field: Some((*f).to_string()),
                            elements: elements.clone(),
                        })
                    })
                    .collect(),
            ))
        }
        UserInputLeaf::Exists { field } => {
            let Some(Target::Fields(fields)) = resolve(&field) else {
                return Err(unknown(&field));
            };
            Ok(any_of(
                fields
                    .iter()
                    .map(|f| {
                        leaf(UserInputLeaf::Exists {
                            field: (*f).to_string(),
                        })
                    })
                    .collect(),
            ))
        }
    }
}

fn type_value(v: &str) -> Result<String, SearchError> {
    RecordType::parse(v)
        .map(|t| t.as_str().to_string())
        .ok_or_else(|| {
            SearchError::Query(format!(
                "unknown record type `{v}`: use listing (anuncio), vendor (vendedor) or post (mensaje)"
            ))
        })
}

fn rewrite_literal(mut lit: UserInputLiteral) -> Result<UserInputAst, SearchError> {
    let Some(name) = lit.field_name.take() else {
        return Ok(bare_literal(lit));
    };
    let Some(target) = resolve(&name) else {
        return Err(unknown(&name));
    };
    match target {
        Target::Fields(fields) => {
            if fields == ["type"] {
                lit.phrase = type_value(&lit.phrase)?;
            }
            if fields == ["onion"] {
                let lower = lit.phrase.trim().to_ascii_lowercase();
                lit.phrase = if lower.ends_with(".onion") {
                    lower
                } else {
                    format!("{lower}.onion")
                };
            }
            if fields == ["pgp"] {
                lit.phrase = lit.phrase.replace(' ', "");
            }
            Ok(any_of(
                fields
                    .iter()
                    .map(|f| {
                        let mut l = lit.clone();
                        l.field_name = Some((*f).to_string());
                        leaf(UserInputLeaf::Literal(l))
                    })
                    .collect(),
            ))
        }
        Target::Platform(p) => Ok(exact("contact", format!("{p}:{}", lit.phrase.trim()))),
        Target::AddressScheme(s) => Ok(exact("address", format!("{s}:{}", lit.phrase.trim()))),
        Target::UrlScheme(s) => Ok(exact("url", format!("{s}:{}", lit.phrase.trim()))),
    }
}

/// A literal without a field: searched in the text; an identifier also in its field.
fn bare_literal(lit: UserInputLiteral) -> UserInputAst {
    let text = leaf(UserInputLeaf::Literal(lit.clone()));
    if lit.prefix || lit.slop > 0 {
        return text;
    }
    let extra = match normalize::identifier(&lit.phrase) {
        Some(Identifier::Address(a)) => exact("address", a),
        Some(Identifier::Pgp(p)) => exact("pgp", p),
        Some(Identifier::Contact(c)) => exact("contact", c),
        Some(Identifier::Onion(o)) => exact("onion", o),
        None => return text,
    };
    any_of(vec![text, extra])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn aliases_are_rewritten_but_quoted_text_is_not() {
        let ast = parse(r#"vendedor:condor "vendedor:x" envia_a:peru"#).unwrap();
        let s = format!("{ast:?}");
        assert!(s.contains(r#""vendor":condor"#), "{s}");
        assert!(s.contains(r#""vendedor:x""#), "quoted text untouched: {s}");
        assert!(s.contains(r#""ships_to":peru"#), "{s}");
    }

    #[test]
    fn title_searches_both_languages() {
        let s = format!("{:?}", parse("titulo:envio").unwrap());
        assert!(s.contains("title_es") && s.contains("title_en"), "{s}");
    }

    #[test]
    fn syntax_errors_have_a_column() {
        match parse("cocaina AND (lima") {
            Err(SearchError::Syntax { column, message }) => {
                assert_eq!(column, 18, "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_fields_list_the_valid_ones() {
        match parse("color:rojo") {
            Err(e @ SearchError::UnknownField { .. }) => {
                let m = e.to_string();
                assert!(m.contains("color") && m.contains("vendedor"), "{m}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn identifiers_search_their_field() {
        let s = format!("{:?}", parse("185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk").unwrap());
        assert!(
            s.contains(r#""address":"185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk""#),
            "{s}"
        );
        let s = format!("{:?}", parse("telegram:@pepe_lima").unwrap());
        assert!(s.contains(r#""contact":"telegram:@pepe_lima""#), "{s}");
    }

    #[test]
    fn exclusions_alone_exclude_from_everything() {
        let s = format!("{:?}", parse("cocaina AND NOT heroina").unwrap());
        assert_eq!(s, "(+cocaina -heroina)");
        let s = format!("{:?}", parse("cocaina OR NOT heroina").unwrap());
        assert_eq!(s, "(?cocaina ?(-heroina +*))");
        let s = format!("{:?}", parse("NOT heroina").unwrap());
        assert_eq!(s, "(-heroina +*)");
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(column_of("ñandú (", 8), 7);
        assert_eq!(column_of("ñandú (", 99), 8);
        assert_eq!(column_of("abc", 0), 1);
    }
}
