//! UTC timestamps for WARC-Date and file names.
//!
//! Written by hand (days-from-civil arithmetic) so that the archive format does not depend on a
//! date crate's formatting choices: WARC-Date must be exactly `YYYY-MM-DDThh:mm:ssZ`.

use std::time::{SystemTime, UNIX_EPOCH};

/// A broken-down UTC time, second precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Utc {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl Utc {
    /// Sub-second parts are dropped (floored), times before 1970 included, so any clock value
    /// yields a date rather than an error in the middle of a crawl.
    pub(super) fn from_system_time(t: SystemTime) -> Utc {
        let secs = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => {
                let d = e.duration();
                let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                -whole - i64::from(d.subsec_nanos() > 0)
            }
        };
        Utc::from_unix(secs)
    }

    pub(super) fn from_unix(secs: i64) -> Utc {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // rem is in 0..86_400, so these conversions cannot fail.
        let rem = u32::try_from(rem).unwrap_or(0);
        Utc {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem / 60 % 60,
            second: rem % 60,
        }
    }

    /// `2026-11-28T18:22:32Z`: the W3C-DTF form WARC-Date requires.
    pub(super) fn warc_date(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `20261128T182232Z`: sorts like the time and contains no characters awkward in file names.
    pub(super) fn compact(&self) -> String {
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Howard Hinnant's `civil_from_days`: proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = if m <= 2 { y + 1 } else { y };
    (
        year,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn known_timestamps() {
        // Expected values from Python's datetime.fromtimestamp(s, timezone.utc).
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_234_567_890, "2009-02-13T23:31:30Z"),
            (1_709_251_199, "2024-02-29T23:59:59Z"),
            (1_795_890_152, "2026-11-28T18:22:32Z"),
            (4_102_444_800, "2100-01-01T00:00:00Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
            (-1, "1969-12-31T23:59:59Z"),
            (-86_400 * 365, "1969-01-01T00:00:00Z"),
        ];
        for (secs, want) in cases {
            assert_eq!(Utc::from_unix(secs).warc_date(), want, "{secs}");
        }
        assert_eq!(Utc::from_unix(1_795_890_152).compact(), "20261128T182232Z");
    }

    #[test]
    fn system_time_floors_subseconds() {
        let t = UNIX_EPOCH + Duration::new(1_795_890_152, 999_999_999);
        assert_eq!(Utc::from_system_time(t).warc_date(), "2026-11-28T18:22:32Z");
        let before = UNIX_EPOCH - Duration::from_millis(1);
        assert_eq!(
            Utc::from_system_time(before).warc_date(),
            "1969-12-31T23:59:59Z"
        );
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        // Consecutive days must give consecutive, valid dates (catches leap-year slips).
        let (mut y, mut m, mut d) = civil_from_days(-719_468); // 0000-03-01
        assert_eq!((y, m, d), (0, 3, 1));
        for z in -719_467..(-719_468 + 146_097 * 2) {
            let next = civil_from_days(z);
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let len = match m {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            let expect = if d < len {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            assert_eq!(next, expect, "day {z}");
            (y, m, d) = next;
        }
    }
}
