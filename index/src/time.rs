//! Timestamps as the store keeps them (Unix seconds, UTC) and as people read them
//! (RFC 3339). One representation inside, one outside, so comparisons never parse text.

use serde::{Deserialize, Serialize};

/// A moment, in whole seconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp(time::OffsetDateTime::now_utc().unix_timestamp())
    }

    /// `2026-11-28T18:22:32Z`.
    pub fn rfc3339(self) -> String {
        match time::OffsetDateTime::from_unix_timestamp(self.0) {
            Ok(t) => t
                .format(&time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
                ))
                .unwrap_or_else(|_| self.0.to_string()),
            Err(_) => self.0.to_string(),
        }
    }
}

impl Timestamp {
    /// Reads `2026-11-28T18:22:32Z` (what [`rfc3339`](Self::rfc3339) writes; a `+00:00`
    /// offset is accepted too) or a bare date `2026-11-28` (its midnight, UTC).
    pub fn parse(s: &str) -> Option<Timestamp> {
        let s = s.trim();
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = s.get(r)?;
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hh, mm, ss) = match &s[10..] {
            "" => (0, 0, 0),
            rest => {
                let t = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
                let t = t
                    .strip_suffix('Z')
                    .or_else(|| t.strip_suffix("+00:00"))
                    .unwrap_or(t);
                let tb = t.as_bytes();
                if tb.len() != 8 || tb[2] != b':' || tb[5] != b':' {
                    return None;
                }
                let n = |r: std::ops::Range<usize>| -> Option<i64> {
                    let part = t.get(r)?;
                    if part.bytes().all(|c| c.is_ascii_digit()) {
                        part.parse().ok()
                    } else {
                        None
                    }
                };
                (n(0..2)?, n(3..5)?, n(6..8)?)
            }
        };
        let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
        let date =
            time::Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?)
                .ok()?;
        let t = time::Time::from_hms(
            u8::try_from(hh).ok()?,
            u8::try_from(mm).ok()?,
            u8::try_from(ss).ok()?,
        )
        .ok()?;
        Some(Timestamp(
            time::PrimitiveDateTime::new(date, t)
                .assume_utc()
                .unix_timestamp(),
        ))
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn formats_utc() {
        assert_eq!(Timestamp(0).rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(1_795_890_152).rfc3339(), "2026-11-28T18:22:32Z");
    }

    #[test]
    fn parses_what_it_writes_and_dates() {
        let t = Timestamp(1_795_890_152);
        assert_eq!(Timestamp::parse(&t.rfc3339()), Some(t));
        assert_eq!(Timestamp::parse("2026-11-28T18:22:32+00:00"), Some(t));
        assert_eq!(
            Timestamp::parse("2026-11-28"),
            Some(Timestamp(1_795_890_152 - (18 * 3600 + 22 * 60 + 32)))
        );
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "28/11/2026",
            "2026-11-28T25:00:00Z",
            "",
            "2026-11-2x",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
    }
}
