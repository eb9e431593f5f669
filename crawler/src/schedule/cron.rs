//! Five-field cron expressions (`minute hour day-of-month month day-of-week`), the form
//! operators know from crontab(5): `*`, lists, ranges, steps, month and day names, and
//! the `@hourly`/`@daily`/`@weekly`/`@monthly` shorthands. Evaluated in a time zone the
//! caller gives (the daemon uses the server's local time, as cron does).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike};

/// Why an expression was refused, and where (1-based character column).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct CronError {
    pub column: usize,
    pub message: String,
}

/// A parsed cron expression. Each field is a bit set of the values it allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    /// crontab(5): when both day fields are restricted, a day matching either runs.
    days_any: bool,
    weekdays_any: bool,
    text: String,
}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &[
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ],
    },
    Field {
        name: "day of week",
        min: 0,
        max: 7,
        names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    },
];

impl Cron {
    pub fn parse(text: &str) -> Result<Cron, CronError> {
        let expanded = match text.trim() {
            "@hourly" => "0 * * * *",
            "@daily" | "@midnight" => "0 0 * * *",
            "@weekly" => "0 0 * * 0",
            "@monthly" => "0 0 1 * *",
            "@yearly" | "@annually" => "0 0 1 1 *",
            t if t.starts_with('@') => {
                return Err(CronError {
                    column: text.find('@').map_or(1, |i| i + 1),
                    message: format!(
                    "unknown shorthand {t:?} (known: @hourly, @daily, @weekly, @monthly, @yearly)"
                ),
                })
            }
            _ => text,
        };
        let shorthand = expanded != text;
        let mut parts = Vec::new();
        let mut col = 0;
        for piece in expanded.split(' ') {
            if !piece.is_empty() {
                parts.push((col, piece));
            }
            col += piece.chars().count() + 1;
        }
        if parts.len() != 5 {
            return Err(CronError {
                column: 1,
                message: format!(
                    "a cron expression has 5 fields (minute hour day-of-month month \
                     day-of-week), this one has {}",
                    parts.len()
                ),
            });
        }
        let mut sets = [0u64; 5];
        for (i, (col, piece)) in parts.iter().enumerate() {
            let column = if shorthand { 1 } else { col + 1 };
            sets[i] = parse_field(piece, &FIELDS[i], column)?;
        }
        // Sunday is 0 or 7.
        let weekdays = ((sets[4] | (sets[4] >> 7)) & 0x7f) as u8;
        let cron = Cron {
            minutes: sets[0],
            hours: sets[1] as u32,
            days: sets[2] as u32,
            months: sets[3] as u16,
            weekdays,
            days_any: parts[2].1 == "*" || parts[2].1 == "?",
            weekdays_any: parts[4].1 == "*" || parts[4].1 == "?",
            text: text.trim().to_string(),
        };
        // "0 0 31 2 *" parses but never fires: say so now rather than never crawl.
        let probe = chrono::Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single();
        if let Some(t) = probe {
            if cron.next_after(&t).is_none() {
                return Err(CronError {
                    column: 1,
                    message: "this expression never matches a real date".into(),
                });
            }
        }
        Ok(cron)
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn day_matches(&self, date: NaiveDate) -> bool {
        let dom = self.days & (1 << date.day()) != 0;
        let dow = self.weekdays & (1 << date.weekday().num_days_from_sunday()) != 0;
        match (self.days_any, self.weekdays_any) {
            (true, true) => true,
            (false, true) => dom,
            (true, false) => dow,
            (false, false) => dom || dow,
        }
    }

    /// The first time strictly after `after` (to the minute) the expression matches, in
    /// `after`'s time zone. A local time skipped by a daylight-saving jump does not
    /// occur; a repeated one runs the first time. `None` if nothing matches within five
    /// years.
    pub fn next_after<Tz: TimeZone>(&self, after: &DateTime<Tz>) -> Option<DateTime<Tz>> {
        let tz = after.timezone();
        let local = after.naive_local();
        let mut t: NaiveDateTime =
            local.date().and_hms_opt(local.hour(), local.minute(), 0)? + Duration::minutes(1);
        let limit = local + Duration::days(366 * 5);
        while t <= limit {
            if self.months & (1 << t.month()) == 0 {
                let (y, m) = if t.month() == 12 {
                    (t.year() + 1, 1)
                } else {
                    (t.year(), t.month() + 1)
                };
                t = NaiveDate::from_ymd_opt(y, m, 1)?.and_hms_opt(0, 0, 0)?;
                continue;
            }
            if !self.day_matches(t.date()) {
                t = (t.date() + Duration::days(1)).and_hms_opt(0, 0, 0)?;
                continue;
            }
            if self.hours & (1 << t.hour()) == 0 {
                t = t.date().and_hms_opt(t.hour(), 0, 0)? + Duration::hours(1);
                continue;
            }
            if self.minutes & (1 << t.minute()) == 0 {
                t += Duration::minutes(1);
                continue;
            }
            match tz.from_local_datetime(&t) {
                chrono::LocalResult::Single(at) => return Some(at),
                chrono::LocalResult::Ambiguous(first, _) => return Some(first),
                chrono::LocalResult::None => t += Duration::minutes(1),
            }
        }
        None
    }
}

impl std::fmt::Display for Cron {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// One field (`*/15`, `1-5`, `mon-fri`, `0,30`) as a bit set.
fn parse_field(text: &str, field: &Field, column: usize) -> Result<u64, CronError> {
    let mut set = 0u64;
    let mut offset = 0;
    for item in text.split(',') {
        let at = column + offset;
        offset += item.chars().count() + 1;
        let err = |message: String| CronError {
            column: at,
            message: format!("{}: {message}", field.name),
        };
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| err(format!("step {s:?} is not a positive number")))?;
                (r, step)
            }
            None => (item, 1),
        };
        let (lo, hi) = if range == "*" || range == "?" {
            (field.min, field.max)
        } else if let Some((a, b)) = range.split_once('-') {
            (
                value(a, field).map_err(&err)?,
                value(b, field).map_err(&err)?,
            )
        } else {
            let v = value(range, field).map_err(&err)?;
            // "5/15": from 5 to the end, every 15.
            (v, if step > 1 { field.max } else { v })
        };
        if lo > hi {
            return Err(err(format!("range {range:?} runs backwards")));
        }
        let mut v = lo;
        while v <= hi {
            set |= 1 << v;
            v += step;
        }
    }
    Ok(set)
}

fn value(text: &str, field: &Field) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = field.names.iter().position(|n| *n == lower) {
        // Months count from 1 (jan), weekdays from 0 (sun).
        return Ok(i as u32 + field.min);
    }
    let v: u32 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if v < field.min || v > field.max {
        return Err(format!("{v} is outside {}–{}", field.min, field.max));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, Utc};

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().unwrap()
    }

    fn next(expr: &str, after: DateTime<Utc>) -> DateTime<Utc> {
        Cron::parse(expr).unwrap().next_after(&after).unwrap()
    }

    #[test]
    fn every_fifteen_minutes() {
        assert_eq!(
            next("*/15 * * * *", utc(2026, 3, 1, 10, 7)),
            utc(2026, 3, 1, 10, 15)
        );
        // Strictly after: a time that matches gives the next one.
        assert_eq!(
            next("*/15 * * * *", utc(2026, 3, 1, 10, 15)),
            utc(2026, 3, 1, 10, 30)
        );
        assert_eq!(
            next("*/15 * * * *", utc(2026, 3, 1, 23, 59)),
            utc(2026, 3, 2, 0, 0)
        );
    }

    #[test]
    fn weekdays_at_night_by_name() {
        // 2026-03-06 is a Friday: the next weekday 02:30 is Monday the 9th.
        assert_eq!(
            next("30 2 * * mon-fri", utc(2026, 3, 6, 3, 0)),
            utc(2026, 3, 9, 2, 30)
        );
        assert_eq!(
            next("0 0 * * 7", utc(2026, 3, 6, 3, 0)),
            utc(2026, 3, 8, 0, 0)
        );
    }

    #[test]
    fn month_and_day_rollover_and_leap_years() {
        assert_eq!(
            next("0 12 1 * *", utc(2026, 12, 15, 0, 0)),
            utc(2027, 1, 1, 12, 0)
        );
        assert_eq!(
            next("0 0 29 feb *", utc(2026, 3, 1, 0, 0)),
            utc(2028, 2, 29, 0, 0)
        );
        assert_eq!(
            next("@monthly", utc(2026, 1, 31, 0, 0)),
            utc(2026, 2, 1, 0, 0)
        );
    }

    #[test]
    fn both_day_fields_restricted_means_either() {
        // The 13th, or any Friday: 2026-03-06 is a Friday, after it comes the 13th
        // (also a Friday), then Friday the 20th.
        let c = Cron::parse("0 0 13 * fri").unwrap();
        let a = c.next_after(&utc(2026, 3, 1, 0, 0)).unwrap();
        assert_eq!(a, utc(2026, 3, 6, 0, 0));
        let b = c.next_after(&utc(2026, 3, 14, 0, 0)).unwrap();
        assert_eq!(b, utc(2026, 3, 20, 0, 0));
    }

    #[test]
    fn evaluated_in_the_callers_time_zone() {
        // 06:00 in Lima (UTC-5) is 11:00 UTC.
        let lima = FixedOffset::west_opt(5 * 3600).unwrap();
        let after = lima.with_ymd_and_hms(2026, 3, 1, 7, 0, 0).single().unwrap();
        let at = Cron::parse("0 6 * * *")
            .unwrap()
            .next_after(&after)
            .unwrap();
        assert_eq!(at.with_timezone(&Utc), utc(2026, 3, 2, 11, 0));
    }

    #[test]
    fn errors_name_the_field_and_column() {
        let e = Cron::parse("0 25 * * *").unwrap_err();
        assert_eq!(e.column, 3);
        assert!(
            e.message.contains("hour") && e.message.contains("25"),
            "{e}"
        );
        let e = Cron::parse("0 0 * * mon-xyz").unwrap_err();
        assert_eq!(e.column, 9);
        assert!(e.message.contains("day of week"), "{e}");
        let e = Cron::parse("*/0 * * * *").unwrap_err();
        assert!(e.message.contains("step"), "{e}");
        assert!(Cron::parse("0 0 * *")
            .unwrap_err()
            .message
            .contains("5 fields"));
        assert!(Cron::parse("0 0 31 2 *")
            .unwrap_err()
            .message
            .contains("never"));
        assert!(Cron::parse("@often").is_err());
        assert!(Cron::parse("5-1 * * * *")
            .unwrap_err()
            .message
            .contains("backwards"));
    }

    #[test]
    fn steps_from_a_start_value() {
        let c = Cron::parse("5/20 * * * *").unwrap();
        assert_eq!(c.minutes, (1 << 5) | (1 << 25) | (1 << 45));
        let c = Cron::parse("0 8-18/5 * * *").unwrap();
        assert_eq!(c.hours, (1 << 8) | (1 << 13) | (1 << 18));
    }
}
