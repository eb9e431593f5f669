//! Watchlist rules: everybody reads them, admins create, edit and delete them. The rules
//! live in the watchlist folder (the same files `centinela watch` edits); the daemon
//! applies a change at its next reload (SIGHUP), a crawl at its start.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use centinela_index::watch::{add_rule, load_dir, remove_rule, Language, Rule, RuleKind, Severity};
use maud::{html, Markup};
use serde::Deserialize;

use crate::web::auth::Session;
use crate::web::i18n::Lang;
use crate::web::layout;
use crate::web::Shared;

pub const KINDS: [&str; 6] = ["vendor", "address", "contact", "pgp", "query", "peru_score"];

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    edit: String,
}

/// A rule as typed in the form or sent to the API.
#[derive(Deserialize, Default, Clone, Debug)]
pub struct RuleInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub severity: String,
    /// Comma-separated in the form.
    #[serde(default)]
    pub recipients: String,
    #[serde(default)]
    pub sites: String,
    #[serde(default)]
    pub language: String,
}

fn split(list: &str) -> Vec<String> {
    list.split([',', ' ', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl RuleInput {
    /// The rule, or what is wrong in words (the folder's own validation runs on add).
    pub fn rule(&self) -> Result<Rule, String> {
        let v = self.value.trim().to_string();
        let kind = match self.kind.as_str() {
            "vendor" => RuleKind::Vendor(v),
            "address" => RuleKind::Address(v),
            "contact" => RuleKind::Contact(v),
            "pgp" => RuleKind::Pgp(v),
            "query" => RuleKind::Query(v),
            "peru_score" => RuleKind::PeruScore(
                v.replace(',', ".")
                    .parse()
                    .map_err(|_| format!("peru_score {v:?} is not a number from 0 to 1"))?,
            ),
            k => {
                return Err(format!(
                    "unknown rule kind {k:?}; use one of {}",
                    KINDS.join(", ")
                ))
            }
        };
        Ok(Rule {
            name: self.name.trim().to_string(),
            kind,
            sites: split(&self.sites),
            recipients: split(&self.recipients),
            language: if self.language == "en" {
                Language::En
            } else {
                Language::Es
            },
            severity: match self.severity.as_str() {
                "info" => Severity::Info,
                "critical" => Severity::Critical,
                _ => Severity::Warning,
            },
            source: None,
        })
    }

    fn of(r: &Rule) -> RuleInput {
        RuleInput {
            name: r.name.clone(),
            kind: r.kind.name().into(),
            value: r.kind.value(),
            severity: r.severity.as_str().into(),
            recipients: r.recipients.join(", "),
            sites: r.sites.join(", "),
            language: match r.language {
                Language::En => "en".into(),
                Language::Es => "es".into(),
            },
        }
    }
}

/// Adds the rule; with `replace`, swaps it for the named one (put back if the new one is
/// refused, so an edit never loses a rule).
pub fn save(
    dir: &std::path::Path,
    input: &RuleInput,
    replace: Option<&str>,
) -> Result<Rule, String> {
    let rule = input.rule()?;
    let old = match replace.filter(|r| !r.is_empty()) {
        Some(name) => Some(remove_rule(dir, name).map_err(|e| e.to_string())?),
        None => None,
    };
    match add_rule(dir, &rule) {
        Ok(()) => Ok(rule),
        Err(e) => {
            if let Some(old) = old {
                let _ = add_rule(dir, &old);
            }
            Err(e.to_string())
        }
    }
}

pub async fn list(State(web): State<Shared>, s: Session, Query(q): Query<ListQuery>) -> Response {
    render(&web, &s, None, StatusCode::OK, &q.edit, None)
}

fn render(
    web: &Shared,
    s: &Session,
    error: Option<String>,
    status: StatusCode,
    edit: &str,
    typed: Option<&RuleInput>,
) -> Response {
    let l = s.lang;
    let (rules, load_error) = match load_dir(&web.watchlists_dir) {
        Ok(r) => (r, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let editing = rules.iter().find(|r| r.name == edit).map(RuleInput::of);
    let form_values = typed.cloned().or(editing.clone()).unwrap_or_default();
    let body = html! {
        h1 { (l.t("Listas de vigilancia", "Watchlists")) }
        p.note { (l.t("Cada regla avisa por correo a sus destinatarios cuando un registro nuevo o cambiado coincide. Los cambios se aplican en la próxima recarga del servicio o el próximo rastreo.",
                      "Each rule mails its recipients when a new or changed record matches. Changes apply at the daemon's next reload or the next crawl.")) }
        @if let Some(e) = &load_error { p.error { (e) } }
        @if let Some(e) = &error { p.error id="rule-error" { (e) } }
        table id="rules" {
            tr {
                th { (l.t("Nombre", "Name")) } th { (l.t("Vigila", "Watches")) } th { (l.t("Valor", "Value")) }
                th { (l.t("Gravedad", "Severity")) } th { (l.t("Destinatarios", "Recipients")) } th { (l.t("Sitios", "Sites")) } th {}
            }
            @for r in &rules {
                tr.rule data-name=(r.name) {
                    td { (r.name) }
                    td { (r.kind.name()) }
                    td { code { (r.kind.value()) } }
                    td { (r.severity.as_str()) }
                    td { (r.recipients.join(", ")) }
                    td { @if r.sites.is_empty() { (l.t("todos", "all")) } @else { (r.sites.join(", ")) } }
                    td {
                        @if s.is_admin() {
                            a href=(format!("/watchlists?edit={}", layout::enc(&r.name))) { (l.t("editar", "edit")) }
                            " "
                            form.inline method="post" action="/watchlists/delete" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                input type="hidden" name="name" value=(r.name);
                                button type="submit" { (l.t("borrar", "delete")) }
                            }
                        }
                    }
                }
            }
        }
        @if s.is_admin() {
            h2 { @if editing.is_some() { (l.t("Editar regla", "Edit rule")) } @else { (l.t("Nueva regla", "New rule")) } }
            (rule_form(l, &s.csrf, &form_values, editing.as_ref().map(|e| e.name.as_str())))
        }
    };
    layout::page_with_status(s, status, l.t("Vigilancia", "Watchlists"), body)
}

fn rule_form(l: Lang, csrf: &str, v: &RuleInput, replace: Option<&str>) -> Markup {
    html! {
        form.rule id="new-rule" method="post" action="/watchlists" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="replace" value=(replace.unwrap_or(""));
            label for="r-name" { (l.t("Nombre (identificador único)", "Name (unique id)")) }
            input id="r-name" name="name" value=(v.name) required pattern="[A-Za-z0-9._\\-]+";
            label for="r-kind" { (l.t("Vigila", "Watches")) }
            select id="r-kind" name="kind" {
                @for k in KINDS { option value=(k) selected[v.kind == k] { (k) } }
            }
            label for="r-value" { (l.t("Valor", "Value")) }
            input id="r-value" name="value" value=(v.value) required;
            label for="r-severity" { (l.t("Gravedad", "Severity")) }
            select id="r-severity" name="severity" {
                @for k in ["warning", "info", "critical"] { option value=(k) selected[v.severity == k] { (k) } }
            }
            label for="r-recipients" { (l.t("Destinatarios (separados por comas)", "Recipients (comma separated)")) }
            input id="r-recipients" name="recipients" value=(v.recipients) required;
            label for="r-sites" { (l.t("Solo estos sitios (vacío: todos)", "Only these sites (empty: all)")) }
            input id="r-sites" name="sites" value=(v.sites);
            label for="r-language" { (l.t("Idioma del correo", "Mail language")) }
            select id="r-language" name="language" {
                option value="es" { "español" }
                option value="en" selected[v.language == "en"] { "English" }
            }
            span {}
            button.primary type="submit" { (l.t("Guardar", "Save")) }
        }
    }
}

#[derive(Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    replace: String,
    #[serde(flatten)]
    rule: RuleInput,
}

pub async fn create(State(web): State<Shared>, s: Session, Form(f): Form<RuleForm>) -> Response {
    if let Some(r) = super::csrf_refusal(&s, Some(&f.csrf)) {
        return r;
    }
    if !s.is_admin() {
        return layout::forbidden(&s);
    }
    let replace = (!f.replace.is_empty()).then_some(f.replace.as_str());
    match save(&web.watchlists_dir, &f.rule, replace) {
        Ok(rule) => {
            web.rules_changed();
            let action = if replace.is_some() {
                "watchlist_edit"
            } else {
                "watchlist_add"
            };
            if let Some(r) = super::audit_refusal(
                &web,
                &s,
                action,
                &format!("{} {} {}", rule.name, rule.kind.name(), rule.kind.value()),
            ) {
                return r;
            }
            Redirect::to("/watchlists").into_response()
        }
        Err(e) => render(
            &web,
            &s,
            Some(e),
            StatusCode::BAD_REQUEST,
            "",
            Some(&f.rule),
        ),
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
    name: String,
}

pub async fn delete(State(web): State<Shared>, s: Session, Form(f): Form<DeleteForm>) -> Response {
    if let Some(r) = super::csrf_refusal(&s, Some(&f.csrf)) {
        return r;
    }
    if !s.is_admin() {
        return layout::forbidden(&s);
    }
    match remove_rule(&web.watchlists_dir, &f.name) {
        Ok(_) => {
            web.rules_changed();
            if let Some(r) = super::audit_refusal(&web, &s, "watchlist_remove", &f.name) {
                return r;
            }
            Redirect::to("/watchlists").into_response()
        }
        Err(e) => render(
            &web,
            &s,
            Some(e.to_string()),
            StatusCode::BAD_REQUEST,
            "",
            None,
        ),
    }
}
