//! When each site is crawled: every so often (with jitter, so that visits do not come at
//! a recognisable rhythm), or on a cron expression. Pure functions of the last pass and
//! the clock, so the daemon's choices can be recomputed after any restart.

mod cron;

use std::time::Duration;

use chrono::{DateTime, TimeZone};
use sha2::{Digest, Sha256};

pub use cron::{Cron, CronError};

/// A site's schedule (`[schedule]` in its configuration file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// A pass `every` after the previous one ended, plus up to `jitter`.
    Every { every: Duration, jitter: Duration },
    /// A pass at each time the expression matches (local time).
    Cron(Cron),
}

/// The site's last pass, as the frontier keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LastPass {
    pub pass: u32,
    /// When it ended (Unix seconds).
    pub finished: i64,
}

impl Schedule {
    /// The default: once a day, within an hour.
    pub fn daily() -> Schedule {
        Schedule::Every {
            every: Duration::from_secs(24 * 3600),
            jitter: Duration::from_secs(3600),
        }
    }

    /// When (Unix seconds) the next pass should start, given the site's last ended pass
    /// and the time now, in `tz` for cron expressions. A site never crawled runs at once
    /// on an interval, at the next matching time on cron. A cron time missed while the
    /// daemon was down runs at once (once, however many were missed).
    pub fn next_run<Tz: TimeZone>(
        &self,
        site: &str,
        last: Option<LastPass>,
        now: &DateTime<Tz>,
    ) -> i64 {
        let now_s = now.timestamp();
        match (self, last) {
            (Schedule::Every { .. }, None) => now_s,
            (Schedule::Every { every, jitter }, Some(l)) => {
                let spread = jitter_secs(site, l.pass, *jitter);
                l.finished
                    .saturating_add(every.as_secs() as i64)
                    .saturating_add(spread)
            }
            (Schedule::Cron(c), last) => {
                let from = match last {
                    Some(l) => now
                        .timezone()
                        .timestamp_opt(l.finished, 0)
                        .single()
                        .unwrap_or_else(|| now.clone()),
                    None => now.clone(),
                };
                c.next_after(&from).map_or(i64::MAX, |t| t.timestamp())
            }
        }
    }

    /// How an operator reads it: `every 6h (± 30m)`, `cron "0 3 * * *"`.
    pub fn describe(&self) -> String {
        match self {
            Schedule::Every { every, jitter } if jitter.is_zero() => {
                format!("every {}", format_duration(*every))
            }
            Schedule::Every { every, jitter } => format!(
                "every {} (+ up to {})",
                format_duration(*every),
                format_duration(*jitter)
            ),
            Schedule::Cron(c) => format!("cron \"{c}\""),
        }
    }
}

/// A stable share of `jitter` for this site's pass: the same after a restart, different
/// from one pass to the next and from one site to another.
fn jitter_secs(site: &str, pass: u32, jitter: Duration) -> i64 {
    let secs = jitter.as_secs();
    if secs == 0 {
        return 0;
    }
    let mut h = Sha256::new();
    h.update(site.as_bytes());
    h.update(pass.to_be_bytes());
    let d = h.finalize();
    let mut n = [0u8; 8];
    n.copy_from_slice(&d[..8]);
    (u64::from_be_bytes(n) % (secs + 1)) as i64
}

/// Why a duration was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a duration (write e.g. 90s, 15m, 6h, 1d or 1h30m)")]
pub struct DurationError(pub String);

/// Parses `90s`, `15m`, `6h`, `1d`, `1h30m` (units s, m, h, d; at least one).
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let bad = || DurationError(text.to_string());
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// The inverse of [`parse_duration`], largest units first: `1h30m`, `45s`.
pub fn format_duration(d: Duration) -> String {
    let mut s = d.as_secs();
    if s == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, n) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if s >= n {
            out.push_str(&format!("{}{unit}", s / n));
            s %= n;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().unwrap()
    }

    #[test]
    fn durations_read_and_print_alike() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(86_400 + 5)), "1d5s");
        for bad in ["", "10", "m", "5x", "1.5h", "-3m"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn an_interval_runs_a_new_site_at_once_and_then_after_the_interval_plus_jitter() {
        let s = Schedule::Every {
            every: Duration::from_secs(3600),
            jitter: Duration::from_secs(600),
        };
        let now = at(1_000_000);
        assert_eq!(s.next_run("market", None, &now), 1_000_000);
        let last = LastPass {
            pass: 3,
            finished: 999_000,
        };
        let next = s.next_run("market", Some(last), &now);
        assert!((999_000 + 3600..=999_000 + 4200).contains(&next), "{next}");
        // Stable across restarts; different for another pass or site (with these inputs).
        assert_eq!(next, s.next_run("market", Some(last), &at(1_000_500)));
        let spread: std::collections::BTreeSet<i64> = (1..20)
            .map(|pass| s.next_run("market", Some(LastPass { pass, ..last }), &now))
            .collect();
        assert!(spread.len() > 10, "jitter barely varies: {spread:?}");
    }

    #[test]
    fn cron_waits_for_its_time_but_catches_up_a_missed_one() {
        let s = Schedule::Cron(Cron::parse("0 3 * * *").unwrap());
        // 2026-03-01 12:00 UTC.
        let now = at(1_772_366_400);
        let next = s.next_run("forum", None, &now);
        assert_eq!(next, 1_772_366_400 + 15 * 3600, "03:00 the next day");
        // The last pass ended two days ago: a 03:00 was missed, so it is due now (the
        // time returned is in the past).
        let last = LastPass {
            pass: 1,
            finished: 1_772_366_400 - 2 * 86_400,
        };
        assert!(s.next_run("forum", Some(last), &now) <= now.timestamp());
    }

    #[test]
    fn descriptions() {
        assert_eq!(Schedule::daily().describe(), "every 1d (+ up to 1h)");
        assert_eq!(
            Schedule::Cron(Cron::parse("@hourly").unwrap()).describe(),
            "cron \"@hourly\""
        );
    }
}
