//! Checks that need more than types: hosts that must be onion v3 names, secrets that
//! must be readable, addresses that must be loopback.

use super::model::{MainFile, SiteFile, SmtpSecurity};
use super::{Diagnostic, Site};
use centinela_crawler::schedule::{parse_duration, Cron, Schedule};
use centinela_crawler::transport::tsa::{tsa_route, TsaRoute};
use centinela_crawler::transport::{TransportKind, Url};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

pub fn main_file(file: &Path, text: &str, main: &MainFile) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at = |span: std::ops::Range<usize>, msg: String| Diagnostic::at(file, text, span, msg);
    let base = file.parent().unwrap_or(Path::new("."));

    if main.storage.data_dir.get_ref().trim().is_empty() {
        out.push(at(
            main.storage.data_dir.span(),
            "storage.data_dir is empty".into(),
        ));
    }
    let transport_at = table_span(text, "transport");
    if let Err(e) = main.transport.validate() {
        out.push(at(transport_at.clone(), format!("[transport]: {e}")));
    } else if main.transport.kind == TransportKind::Socks5 {
        if let Err(e) = main.transport.socks5_socket_addr() {
            out.push(at(transport_at, format!("[transport]: {e}")));
        }
    }
    if main.web.bind.get_ref().parse::<SocketAddr>().is_err() {
        out.push(at(
            main.web.bind.span(),
            format!(
                "web.bind {:?} is not an address:port",
                main.web.bind.get_ref()
            ),
        ));
    }
    match main.daemon.listen.get_ref().parse::<SocketAddr>() {
        Ok(a) if a.ip().is_loopback() => {}
        Ok(a) => out.push(at(
            main.daemon.listen.span(),
            format!("daemon.listen {a} is not a loopback address: health and metrics tell which sites are watched, so they stay on this machine (127.0.0.1 or [::1])"),
        )),
        Err(_) => out.push(at(
            main.daemon.listen.span(),
            format!(
                "daemon.listen {:?} is not an address:port",
                main.daemon.listen.get_ref()
            ),
        )),
    }
    let cap = *main.daemon.max_connections.get_ref();
    if !(1..=256).contains(&cap) {
        out.push(at(
            main.daemon.max_connections.span(),
            format!("daemon.max_connections {cap} is outside 1..256"),
        ));
    }
    out.extend(evidence(main, &at));
    if let Some(smtp) = &main.smtp {
        let host = smtp.host.get_ref();
        if host.trim().is_empty() {
            out.push(at(smtp.host.span(), "smtp.host is empty".into()));
        }
        if smtp.security == SmtpSecurity::Plain && !is_loopback_host(host) {
            out.push(at(smtp.host.span(), format!("smtp.security = \"plain\" sends the password and alerts unencrypted; it is only allowed to a relay on this machine, not {host:?}")));
        }
        if !smtp.from.get_ref().contains('@') {
            out.push(at(
                smtp.from.span(),
                format!(
                    "smtp.from {:?} is not an e-mail address",
                    smtp.from.get_ref()
                ),
            ));
        }
        match (&smtp.password_file, &smtp.password_env) {
            (Some(f), Some(_)) => out.push(at(
                f.span(),
                "give smtp.password_file or smtp.password_env, not both".into(),
            )),
            (Some(f), None) => out.extend(secret_file(file, text, base, f)),
            (None, Some(var)) => {
                if std::env::var_os(var.get_ref()).is_none() {
                    out.push(at(
                        var.span(),
                        format!(
                            "environment variable {} (smtp.password_env) is not set",
                            var.get_ref()
                        ),
                    ));
                }
            }
            (None, None) => {
                if smtp.username.is_some() {
                    out.push(at(smtp.host.span(), "smtp.username is set but no password: add smtp.password_file or smtp.password_env".into()));
                }
            }
        }
    }
    out
}

/// `[evidence]`: the TSA must be an http(s) URL that this configuration can reach without
/// breaking the Tor rule (a TSA off this machine needs a Tor transport).
fn evidence(
    main: &MainFile,
    at: &impl Fn(std::ops::Range<usize>, String) -> Diagnostic,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let e = &main.evidence;
    let secs = *e.tsa_timeout_secs.get_ref();
    if !(1..=600).contains(&secs) {
        out.push(at(
            e.tsa_timeout_secs.span(),
            format!("evidence.tsa_timeout_secs {secs} is outside 1..600"),
        ));
    }
    let Some(url) = &e.tsa_url else {
        return out;
    };
    let text = url.get_ref();
    let parsed = match Url::parse(text) {
        Ok(u) => u,
        Err(err) => {
            out.push(at(
                url.span(),
                format!("evidence.tsa_url {text:?} is not a URL: {err}"),
            ));
            return out;
        }
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        out.push(at(
            url.span(),
            "evidence.tsa_url must not carry a user name or password".into(),
        ));
    }
    match tsa_route(&parsed) {
        Err(_) => out.push(at(
            url.span(),
            format!("evidence.tsa_url {text:?} is not an http:// or https:// URL with a host"),
        )),
        Ok(TsaRoute::Tor) if !main.transport.kind.is_tor() => out.push(at(
            url.span(),
            format!("evidence.tsa_url {text:?} is not on this machine: a TSA elsewhere is reached only through Tor, and [transport] kind is \"direct\" (loopback only); set kind = \"arti\" or \"socks5\", or use a TSA on 127.0.0.1"),
        )),
        Ok(_) => {}
    }
    out
}

pub fn site_file(file: &Path, text: &str, site: &SiteFile) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at = |span: std::ops::Range<usize>, msg: String| Diagnostic::at(file, text, span, msg);
    let name = site.name.get_ref();
    if name.is_empty()
        || !name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_')
    {
        out.push(at(
            site.name.span(),
            format!("site name {name:?} must be lower-case letters, digits, '-' or '_'"),
        ));
    } else if file.file_stem().and_then(|s| s.to_str()) != Some(name.as_str()) {
        out.push(at(
            site.name.span(),
            format!("site name {name:?} differs from its file name; name the file {name}.toml"),
        ));
    }
    if site.onion_hosts.is_empty() {
        out.push(at(
            0..0,
            "onion_hosts is empty: give the site's onion address".into(),
        ));
    }
    for host in site.onion_hosts.iter().chain(&site.mirrors) {
        if let Err(msg) = check_onion_host(host.get_ref()) {
            out.push(at(host.span(), msg));
        }
    }
    for url in &site.start_urls {
        let u = url.get_ref();
        let host = u
            .strip_prefix("http://")
            .or_else(|| u.strip_prefix("https://"))
            .map(|rest| {
                rest.split(['/', '?', '#'])
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase()
            });
        let known = host.as_deref().is_some_and(|h| {
            site.onion_hosts
                .iter()
                .chain(&site.mirrors)
                .any(|x| x.get_ref().eq_ignore_ascii_case(h))
        });
        if !known {
            out.push(at(url.span(), format!("start URL {u:?} is not an http(s) URL on one of the site's onion hosts or mirrors")));
        }
    }
    let c = *site.limits.concurrency.get_ref();
    if !(1..=16).contains(&c) {
        out.push(at(
            site.limits.concurrency.span(),
            format!(
                "limits.concurrency {c} is outside 1..16 (onion services fall over under load)"
            ),
        ));
    }
    if let Some(f) = &site.cookies_file {
        out.extend(secret_file(
            file,
            text,
            file.parent().unwrap_or(Path::new(".")),
            f,
        ));
    }
    out
}

/// The site's schedule, or where its `[schedule]` is wrong.
pub fn schedule(file: &Path, text: &str, site: &SiteFile) -> (Schedule, Vec<Diagnostic>) {
    let at = |span: std::ops::Range<usize>, msg: String| Diagnostic::at(file, text, span, msg);
    let Some(s) = &site.schedule else {
        return (Schedule::daily(), Vec::new());
    };
    let mut out = Vec::new();
    let duration = |v: &Spanned<String>, what: &str, out: &mut Vec<Diagnostic>| match parse_duration(
        v.get_ref(),
    ) {
        Ok(d) => Some(d),
        Err(e) => {
            out.push(at(v.span(), format!("schedule.{what}: {e}")));
            None
        }
    };
    let schedule = match (&s.every, &s.cron) {
        (Some(every), None) => {
            let e = duration(every, "every", &mut out);
            let j = match &s.jitter {
                Some(j) => duration(j, "jitter", &mut out),
                None => Some(Duration::ZERO),
            };
            match (e, j) {
                (Some(e), _) if e < Duration::from_secs(1) => {
                    out.push(at(
                        every.span(),
                        "schedule.every must be at least 1s".into(),
                    ));
                    None
                }
                (Some(every), Some(jitter)) => Some(Schedule::Every { every, jitter }),
                _ => None,
            }
        }
        (None, Some(cron)) => {
            if let Some(j) = &s.jitter {
                out.push(at(
                    j.span(),
                    "schedule.jitter goes with `every`, not `cron`".into(),
                ));
            }
            match Cron::parse(cron.get_ref()) {
                Ok(c) => Some(Schedule::Cron(c)),
                Err(e) => {
                    // Point at the column inside the quoted expression.
                    let span = cron.span();
                    let col = span.start + 1 + e.column.saturating_sub(1);
                    let start = col.min(span.end);
                    out.push(at(
                        start..start + 1,
                        format!("schedule.cron: {}", e.message),
                    ));
                    None
                }
            }
        }
        (Some(every), Some(_)) => {
            out.push(at(
                every.span(),
                "[schedule] takes `every` or `cron`, not both".into(),
            ));
            None
        }
        (None, None) => {
            out.push(at(
                table_span(text, "schedule"),
                "[schedule] needs `every = \"6h\"` (with optional `jitter`) or `cron = \"0 3 * * *\"`"
                    .into(),
            ));
            None
        }
    };
    (schedule.unwrap_or_else(Schedule::daily), out)
}

pub fn across_sites(sites: &[Site]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, a) in sites.iter().enumerate() {
        for b in &sites[..i] {
            for host in &a.def.onion_hosts {
                if b.def
                    .onion_hosts
                    .iter()
                    .chain(&b.def.mirrors)
                    .any(|h| h.get_ref() == host.get_ref())
                {
                    out.push(Diagnostic::at(
                        &a.file,
                        &a.text,
                        host.span(),
                        format!(
                            "host {} is also configured for site {}",
                            host.get_ref(),
                            b.def.name.get_ref()
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// The span of a `[name]` table header in `text` (or the file start when absent), to
/// locate problems found in a section as a whole.
pub fn table_span(text: &str, name: &str) -> std::ops::Range<usize> {
    let header = format!("[{name}]");
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with(&header) {
            let start = at + (line.len() - line.trim_start().len());
            return start..start + header.len();
        }
        at += line.len();
    }
    0..0
}

/// Why `host` is not a usable onion v3 host name, if it is not.
pub fn check_onion_host(host: &str) -> Result<(), String> {
    if host.contains("://") || host.contains('/') {
        return Err(format!(
            "{host:?} is a URL; write the host name only (e.g. \"<56 characters>.onion\")"
        ));
    }
    let lower = host.to_ascii_lowercase();
    let Some(rest) = lower.strip_suffix(".onion") else {
        return Err(format!("{host:?} is a clearnet host where an onion is required: Centinela only crawls onion services through Tor"));
    };
    let label = rest.rsplit('.').next().unwrap_or(rest);
    match label.len() {
        56 if centinela_parsers::onion::valid_v3(label) => Ok(()),
        56 => Err(format!("{host:?} is not a valid v3 onion name (its checksum or version byte is wrong: check for a typo)")),
        16 => Err(format!("{host:?} is a v2 onion name; v2 services no longer exist, use the site's v3 address")),
        n => Err(format!("{host:?} is not a v3 onion name (56 characters before .onion, found {n})")),
    }
}

/// A secret file must exist and be readable; it should not be readable by others.
fn secret_file(file: &Path, text: &str, base: &Path, path: &Spanned<String>) -> Vec<Diagnostic> {
    let full = base.join(path.get_ref());
    match std::fs::File::open(&full) {
        Ok(f) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if let Ok(meta) = f.metadata() {
                    if meta.permissions().mode() & 0o077 != 0 {
                        return vec![Diagnostic::at(
                            file,
                            text,
                            path.span(),
                            format!(
                                "secret file {} is readable by other users; run chmod 600 on it",
                                full.display()
                            ),
                        )];
                    }
                }
            }
            #[cfg(not(unix))]
            drop(f);
            Vec::new()
        }
        Err(e) => vec![Diagnostic::at(
            file,
            text,
            path.span(),
            format!("secret file {} cannot be read: {e}", full.display()),
        )],
    }
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onion_host_rules() {
        let good = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion";
        assert!(check_onion_host(good).is_ok());
        assert!(check_onion_host(&format!("www.{good}")).is_ok());
        assert!(check_onion_host("example.com")
            .unwrap_err()
            .contains("clearnet"));
        assert!(check_onion_host("dreadditevelidot.onion")
            .unwrap_err()
            .contains("v2"));
        let typo = good.replacen('g', "h", 1);
        assert!(check_onion_host(&typo).unwrap_err().contains("checksum"));
        assert!(check_onion_host(&format!("http://{good}/"))
            .unwrap_err()
            .contains("URL"));
    }
}
