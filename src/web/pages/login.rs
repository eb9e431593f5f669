//! Logging in and out, and the language switch.
//!
//! The login form is protected against CSRF before any session exists by a double
//! submit: a random value in a `SameSite=Strict` cookie and the same in the form.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;

use crate::web::auth::{
    cookie, lang_of, same_secret, set_cookie, Session, LANG_COOKIE, LOGIN_COOKIE, SESSION_COOKIE,
};
use crate::web::i18n::Lang;
use crate::web::layout::{bare_page, enc};
use crate::web::users::new_token;
use crate::web::Shared;

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Only a path of our own: `next=//evil.example` or `https://…` would turn the login
/// page into an open redirect.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

pub async fn form(
    State(web): State<Shared>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    login_page(
        &web,
        lang_of(uri.query(), &headers),
        safe_next(&q.next),
        None,
        StatusCode::OK,
    )
}

fn login_page(
    web: &Shared,
    l: Lang,
    next: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let Ok(csrf) = new_token() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "no randomness").into_response();
    };
    let other = match l {
        Lang::Es => ("en", "English", "lang-en"),
        Lang::En => ("es", "Español", "lang-es"),
    };
    let back = format!("/login?next={}", enc(next));
    let body = html! {
        h1 { "Centinela" }
        p.note { (l.t("Acceso solo para personal autorizado. Cada ingreso queda registrado.",
                      "Authorised staff only. Every login is recorded.")) }
        @if let Some(e) = &error {
            p.error id="login-error" { (e) }
        }
        form id="login" method="post" action="/login" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="next" value=(next);
            p {
                label for="user" { (l.t("Usuario", "User name")) }
                br;
                input id="user" name="user" autocomplete="username" required autofocus;
            }
            p {
                label for="password" { (l.t("Contraseña", "Password")) }
                br;
                input id="password" name="password" type="password" autocomplete="current-password" required;
            }
            button.primary type="submit" { (l.t("Ingresar", "Log in")) }
        }
        p.note { a id=(other.2) href=(format!("/lang?to={}&back={}", other.0, enc(&back))) { (other.1) } }
    };
    let mut res = bare_page(l, status, l.t("Ingresar", "Log in"), body);
    if let Ok(v) = set_cookie(LOGIN_COOKIE, &csrf, web.secure_cookies, Some(3600)).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
pub struct LoginForm {
    user: String,
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    State(web): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let l = lang_of(None, &headers);
    let next = safe_next(&f.next).to_string();
    let ip = peer.ip();
    let from = ip.to_string();
    let form_ok = cookie(&headers, LOGIN_COOKIE).is_some_and(|c| same_secret(c, &f.csrf));
    if !form_ok {
        return login_page(
            &web,
            l,
            &next,
            Some(
                l.t(
                    "El formulario caducó. Vuelva a intentarlo.",
                    "The form expired. Please try again.",
                )
                .into(),
            ),
            StatusCode::FORBIDDEN,
        );
    }
    let name = f.user.trim().to_string();
    if let Err(t) = web.sessions.may_try(ip, &name) {
        let _ = web.audit.record(&name, "login_throttled", "", &from);
        let minutes = t.retry_after.as_secs().div_ceil(60);
        let msg = match l {
            Lang::Es => format!(
                "Demasiados intentos fallidos. Espere {minutes} min antes de volver a intentarlo."
            ),
            Lang::En => format!("Too many failed attempts. Wait {minutes} min and try again."),
        };
        return login_page(&web, l, &next, Some(msg), StatusCode::TOO_MANY_REQUESTS);
    }
    // Argon2 takes tens of milliseconds of one core: off the async workers.
    let password = f.password;
    let check = {
        let web = web.clone();
        let name = name.clone();
        tokio::task::spawn_blocking(move || web.users.check_password(&name, &password)).await
    };
    let Ok(Some(user)) = check else {
        web.sessions.failed(ip, &name);
        let _ = web.audit.record(&name, "login_failed", "", &from);
        return login_page(
            &web,
            l,
            &next,
            Some(
                l.t(
                    "Usuario o contraseña incorrectos.",
                    "Wrong user name or password.",
                )
                .into(),
            ),
            StatusCode::UNAUTHORIZED,
        );
    };
    web.sessions.succeeded(&name);
    let token = match web.sessions.open(&user.name, user.role) {
        Ok(t) => t,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    if let Err(e) = web.audit.record(&user.name, "login", "", &from) {
        web.sessions.close(&token);
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write the audit log: {e}"),
        )
            .into_response();
    }
    let mut res = Redirect::to(&next).into_response();
    let h = res.headers_mut();
    if let Ok(v) = set_cookie(SESSION_COOKIE, &token, web.secure_cookies, None).parse() {
        h.append(header::SET_COOKIE, v);
    }
    if let Ok(v) = set_cookie(LOGIN_COOKIE, "", web.secure_cookies, Some(0)).parse() {
        h.append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(State(web): State<Shared>, s: Session, Form(f): Form<CsrfForm>) -> Response {
    if let Some(r) = super::csrf_refusal(&s, Some(&f.csrf)) {
        return r;
    }
    web.sessions.close(&s.token);
    let _ = web.audit.record(&s.user, "logout", "", &s.ip);
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = set_cookie(SESSION_COOKIE, "", web.secure_cookies, Some(0)).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
pub struct LangQuery {
    to: String,
    #[serde(default)]
    back: String,
}

/// Sets the language cookie and goes back. Open to everybody (the login page has the
/// switch too); it changes nothing but how pages read.
pub async fn language(State(web): State<Shared>, Query(q): Query<LangQuery>) -> Response {
    let code = if q.to == "en" { "en" } else { "es" };
    let mut res = Redirect::to(safe_next(&q.back)).into_response();
    if let Ok(v) = set_cookie(LANG_COOKIE, code, web.secure_cookies, Some(365 * 86400)).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn the_login_page_sends_people_only_to_our_own_pages() {
        assert_eq!(safe_next("/search?q=x"), "/search?q=x");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next(""), "/");
    }
}
