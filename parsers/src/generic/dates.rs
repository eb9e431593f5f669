//! Finding dates and times in page text: the timestamp is what tells a post, a feedback
//! entry or a news item apart from a product card, on any forum software and in the
//! languages our markets use (English, Spanish, Russian, German).

use regex::Regex;
use std::ops::Range;
use std::sync::OnceLock;

fn regex() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        let month = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|ene|abr|ago|dic|mär|mai|okt|dez|янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек)[\p{L}]*\.?";
        let time = r"(?:,?\s*(?:at|a\x20las|в|um)?\s*\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]m)?)?";
        // ASCII word boundaries (a Unicode `\b` forces the slow regex engine on
        // non-ASCII pages); before a word that may be Cyrillic, any non-letter will do.
        let start = r"(?:^|[^\p{L}\d])";
        let pattern = format!(
            r"(?ix)
            (?-u:\b)\d{{4}}-\d{{2}}-\d{{2}}(?:[\x20T]\d{{2}}:\d{{2}}(?::\d{{2}})?)?
            |(?-u:\b)\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}(?-u:\b){time}
            |(?-u:\b)\d{{1,2}}(?:st|nd|rd|th)?\s+(?:de\s+)?{month},?\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?(?:de\s+)?\d{{4}}(?-u:\b){time}
            |{start}{month},?\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?(?:de\s+)?\d{{4}}(?-u:\b){time}
            |{start}{month}\s+\d{{1,2}}(?:st|nd|rd|th)?(?-u:\b){time}
            |(?-u:\b)\d+\s+(?:seconds?|minutes?|mins?|hours?|days?|weeks?|months?|years?)\s+ago(?-u:\b)
            |{start}hace\s+\d+\s+\p{{L}}+
            |(?-u:\b)\d+\s+(?:секунд|минут|час|дн|день|недел|месяц|год|лет)\p{{L}}*\s+назад
            |{start}(?:yesterday|today|ayer|hoy|вчера|сегодня|gestern|heute){time}
            |{start}vor\s+\d+\s+(?:sekunden?|minuten?|stunden?|tagen?|wochen?|monaten?|jahren?)(?-u:\b)"
        );
        regex::RegexBuilder::new(&pattern)
            .dfa_size_limit(32 << 20)
            .build()
            .ok()
    })
    .as_ref()
}

/// Byte ranges of the dates and times in `text`, in order.
pub fn find_dates(text: &str) -> Vec<Range<usize>> {
    let Some(re) = regex() else {
        return Vec::new();
    };
    re.find_iter(text)
        .map(|m| {
            // Drop the non-letter a match may start with (see `start` above).
            let lead = m.as_str().len()
                - m.as_str()
                    .trim_start_matches(|c: char| !c.is_alphanumeric())
                    .len();
            m.start() + lead..m.end()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(s: &str) -> Vec<&str> {
        find_dates(s).into_iter().map(|r| &s[r]).collect()
    }

    #[test]
    fn formats_from_markets_and_forums() {
        assert_eq!(
            dates("Member since: 2019-04-22 10:20:33"),
            ["2019-04-22 10:20:33"]
        );
        assert_eq!(dates("on Feb 03, 2020 02:59 x"), ["Feb 03, 2020 02:59"]);
        assert_eq!(dates("18 Июль 2013"), ["18 Июль 2013"]);
        assert_eq!(dates("06/02/2018"), ["06/02/2018"]);
        assert_eq!(
            dates("on 05-10-2015, 03:06 AM #1"),
            ["05-10-2015, 03:06 AM"]
        );
        assert_eq!(dates("posted 3 days ago"), ["3 days ago"]);
        assert_eq!(dates("Yesterday at 10:15 PM"), ["Yesterday at 10:15 PM"]);
        assert_eq!(dates("3 de marzo de 2020"), ["3 de marzo de 2020"]);
        assert!(dates("Sales: 478, Level 3").is_empty());
    }
}
