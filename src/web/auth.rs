//! Sessions, CSRF tokens, login rate limiting, and the extractors that make a handler
//! unreachable without them: a handler that takes [`Session`] cannot run for a visitor
//! who has not logged in, one that takes [`ApiUser`] cannot run without a token.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::i18n::Lang;
use super::users::{new_token, token_digest, Role};
use super::Shared;

pub const SESSION_COOKIE: &str = "centinela_session";
pub const LOGIN_COOKIE: &str = "centinela_login";
pub const LANG_COOKIE: &str = "lang";

/// A session ends after this long without a request, and after [`MAX_AGE`] in any case.
const IDLE: Duration = Duration::from_secs(2 * 3600);
const MAX_AGE: Duration = Duration::from_secs(12 * 3600);
/// Failed logins allowed per user name in [`WINDOW`], and per client address (higher:
/// on a shared workstation or behind a proxy, one person's typos must not lock out the
/// whole unit; guessing many names from one place is still stopped).
const MAX_FAILURES: usize = 5;
const MAX_FAILURES_PER_ADDRESS: usize = 20;
const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Debug)]
struct Live {
    user: String,
    role: Role,
    csrf: String,
    created: Instant,
    seen: Instant,
}

/// The open sessions, in memory: a restart logs everybody out, which is what an officer
/// expects of a sensitive tool. Keys are SHA-256 of the cookie value.
#[derive(Default)]
pub struct Sessions {
    live: Mutex<HashMap<String, Live>>,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

/// Why a login was refused before the password was even checked.
#[derive(Debug, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after: Duration,
}

impl Sessions {
    /// Opens a session; returns the cookie value.
    pub fn open(&self, user: &str, role: Role) -> anyhow::Result<String> {
        let token = new_token()?;
        let now = Instant::now();
        let live = Live {
            user: user.to_string(),
            role,
            csrf: new_token()?,
            created: now,
            seen: now,
        };
        let mut map = self.live.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        map.retain(|_, s| fresh(s, now));
        map.insert(token_digest(&token), live);
        Ok(token)
    }

    pub fn close(&self, token: &str) {
        if let Ok(mut map) = self.live.lock() {
            map.remove(&token_digest(token));
        }
    }

    fn get(&self, token: &str) -> Option<Live> {
        let mut map = self.live.lock().ok()?;
        let key = token_digest(token);
        let now = Instant::now();
        let s = map.get_mut(&key)?;
        if !fresh(s, now) {
            map.remove(&key);
            return None;
        }
        s.seen = now;
        Some(s.clone())
    }

    /// Whether another login attempt from this address for this name may be checked now.
    pub fn may_try(&self, ip: IpAddr, user: &str) -> Result<(), Throttled> {
        let Ok(mut f) = self.failures.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        let mut wait = Duration::ZERO;
        for (key, max) in [
            (format!("ip:{ip}"), MAX_FAILURES_PER_ADDRESS),
            (format!("user:{user}"), MAX_FAILURES),
        ] {
            if let Some(times) = f.get_mut(&key) {
                times.retain(|t| now.duration_since(*t) < WINDOW);
                if times.len() >= max {
                    let oldest = times[times.len() - max];
                    wait = wait.max(WINDOW.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(Throttled { retry_after: wait })
        }
    }

    pub fn failed(&self, ip: IpAddr, user: &str) {
        if let Ok(mut f) = self.failures.lock() {
            let now = Instant::now();
            for key in [format!("ip:{ip}"), format!("user:{user}")] {
                f.entry(key).or_default().push(now);
            }
        }
    }

    pub fn succeeded(&self, user: &str) {
        if let Ok(mut f) = self.failures.lock() {
            f.remove(&format!("user:{user}"));
        }
    }
}

fn fresh(s: &Live, now: Instant) -> bool {
    now.duration_since(s.seen) < IDLE && now.duration_since(s.created) < MAX_AGE
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: never readable by script, never sent cross-site.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<u64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(s) = max_age {
        c.push_str(&format!("; Max-Age={s}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// Constant-time comparison of two secrets.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip())
}

/// A `lang=en|es` in the query string: any page can be linked in either language.
pub fn lang_in_query(query: Option<&str>) -> Option<Lang> {
    form_urlencoded::parse(query?.as_bytes()).find_map(|(k, v)| match (&*k, &*v) {
        ("lang", "en") => Some(Lang::En),
        ("lang", "es") => Some(Lang::Es),
        _ => None,
    })
}

/// The language of the request: `?lang=`, else the `lang` cookie, Spanish unless one of
/// them says English.
pub fn lang_of(query: Option<&str>, headers: &HeaderMap) -> Lang {
    if let Some(l) = lang_in_query(query) {
        return l;
    }
    match cookie(headers, LANG_COOKIE) {
        Some("en") => Lang::En,
        _ => Lang::Es,
    }
}

/// A logged-in person, for HTML pages. Without a session the request is redirected to
/// the login page (and comes back to where it was going after logging in).
#[derive(Clone, Debug)]
pub struct Session {
    pub user: String,
    pub role: Role,
    pub csrf: String,
    pub lang: Lang,
    /// The path and query asked for, for the language switch.
    pub here: String,
    pub token: String,
    /// The client's address, for the audit log.
    pub ip: String,
}

impl Session {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

impl FromRequestParts<Shared> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Shared) -> Result<Self, Self::Rejection> {
        let here = parts
            .uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.as_str().to_string());
        let found = cookie(&parts.headers, SESSION_COOKIE)
            .and_then(|t| web.sessions.get(t).map(|s| (t.to_string(), s)));
        match found {
            Some((token, s)) => Ok(Session {
                user: s.user,
                role: s.role,
                csrf: s.csrf,
                lang: lang_of(parts.uri.query(), &parts.headers),
                here,
                token,
                ip: client_ip(parts).to_string(),
            }),
            None if parts.method == Method::GET => {
                let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
            None => Err((StatusCode::UNAUTHORIZED, "log in first").into_response()),
        }
    }
}

/// A caller of the JSON API: a bearer token (`centinela user token NAME`), or the
/// browser session of a logged-in person — then a request that changes anything must
/// carry the session's CSRF token in `X-CSRF-Token`.
#[derive(Clone, Debug)]
pub struct ApiUser {
    pub user: String,
    pub role: Role,
}

pub fn api_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

impl FromRequestParts<Shared> for ApiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Shared) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if let Some(token) = bearer {
            return match web.users.token_user(token.trim()) {
                Some(u) => Ok(ApiUser {
                    user: u.name,
                    role: u.role,
                }),
                None => Err(api_error(
                    StatusCode::UNAUTHORIZED,
                    "unknown or revoked token",
                )),
            };
        }
        let Some(s) = cookie(&parts.headers, SESSION_COOKIE).and_then(|t| web.sessions.get(t))
        else {
            return Err(api_error(
                StatusCode::UNAUTHORIZED,
                "authentication required: send `Authorization: Bearer TOKEN`",
            ));
        };
        let safe = matches!(parts.method, Method::GET | Method::HEAD);
        let csrf_ok = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| same_secret(t, &s.csrf));
        if !safe && !csrf_ok {
            return Err(api_error(
                StatusCode::FORBIDDEN,
                "missing or wrong X-CSRF-Token for a session-authenticated change",
            ));
        }
        Ok(ApiUser {
            user: s.user,
            role: s.role,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn failures_lock_the_name_and_then_the_address_for_a_while() {
        let s = Sessions::default();
        let ip = IpAddr::from([127, 0, 0, 1]);
        for _ in 0..MAX_FAILURES {
            assert!(s.may_try(ip, "ana").is_ok());
            s.failed(ip, "ana");
        }
        let t = s.may_try(ip, "ana").unwrap_err();
        assert!(t.retry_after > Duration::from_secs(14 * 60));
        // The same name from elsewhere as well (a distributed guess)...
        assert!(s.may_try(IpAddr::from([127, 0, 0, 2]), "ana").is_err());
        // ...but a colleague at the same address may still log in,
        assert!(s.may_try(ip, "luis").is_ok());
        // until that address has guessed too much (password spraying).
        for n in MAX_FAILURES..MAX_FAILURES_PER_ADDRESS {
            s.failed(ip, &format!("name{n}"));
        }
        assert!(s.may_try(ip, "luis").is_err());
    }

    #[test]
    fn sessions_are_found_by_their_cookie_only() {
        let s = Sessions::default();
        let token = s.open("ana", Role::Admin).unwrap();
        assert_eq!(s.get(&token).unwrap().user, "ana");
        assert!(s.get("forged").is_none());
        s.close(&token);
        assert!(s.get(&token).is_none());
    }

    #[test]
    fn cookies_are_read_among_others_and_secrets_compared_whole() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; centinela_session=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        let c = set_cookie(SESSION_COOKIE, "v", true, None);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
    }
}
