//! Duration strings as miband-dc users write them (it used pytimeparse): `"3600"`, `"60m"`,
//! `"1h30m"`, `"1h 30m"`, `"90s"`, `"2 hours"`, `"1.5h"`, `"1 day, 2 hours and 5 minutes"`.
//!
//! Accepted: a bare number (seconds), or terms `<number><unit>` separated by nothing, spaces,
//! commas or `and`. A number is digits with an optional `.fraction`. Units, any case:
//! `s sec secs second seconds`, `m min mins minute minutes`, `h hr hrs hour hours`,
//! `d day days`, `w wk wks week weeks`. The total is rounded to whole seconds.
//! Not accepted (unlike pytimeparse): clock forms such as `"1:30:00"`, months, years.

use std::time::Duration;

/// Why a string is not a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not in the accepted grammar.
    #[error("not a duration")]
    Format,
    /// More than a century: certainly a typo.
    #[error("too large")]
    TooLarge,
}

/// The longest duration accepted (100 years), far beyond any sensible interval.
const MAX_SECONDS: f64 = 100.0 * 365.0 * 86_400.0;

/// A number of seconds as a duration, refusing what no interval can sensibly be (and what adding
/// to a clock reading could overflow).
pub fn from_seconds(seconds: u64) -> Result<Duration, DurationError> {
    if seconds as f64 > MAX_SECONDS {
        return Err(DurationError::TooLarge);
    }
    Ok(Duration::from_secs(seconds))
}

/// Parses a duration string (see the module documentation for the grammar).
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let lower = text.to_ascii_lowercase();
    let mut rest = lower.as_str();
    let mut total = 0.0f64;
    let mut terms = 0;
    loop {
        rest = skip_separators(rest, terms > 0);
        if rest.is_empty() {
            break;
        }
        let (number, after) = take_number(rest).ok_or(DurationError::Format)?;
        let after = after.trim_start();
        let unit_len = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let scale = match unit {
            "" if terms == 0 && skip_separators(after, true).is_empty() => 1.0,
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3_600.0,
            "d" | "day" | "days" => 86_400.0,
            "w" | "wk" | "wks" | "week" | "weeks" => 604_800.0,
            _ => return Err(DurationError::Format),
        };
        total += number * scale;
        if total > MAX_SECONDS {
            return Err(DurationError::TooLarge);
        }
        terms += 1;
        rest = after;
    }
    if terms == 0 {
        return Err(DurationError::Format);
    }
    Ok(Duration::from_secs(total.round() as u64))
}

/// Whitespace, and between terms also commas and the word `and`.
fn skip_separators(mut text: &str, between_terms: bool) -> &str {
    loop {
        let trimmed = text.trim_start();
        let next = if between_terms {
            trimmed
                .strip_prefix(',')
                .or_else(|| trimmed.strip_prefix("and").filter(|r| !starts_alpha(r)))
        } else {
            None
        };
        match next {
            Some(r) => text = r,
            None => return trimmed,
        }
    }
}

fn starts_alpha(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
}

/// `digits[.digits]` at the start of `text`.
fn take_number(text: &str) -> Option<(f64, &str)> {
    let int_len = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let mut len = int_len;
    if let Some(frac) = text[int_len..].strip_prefix('.') {
        let frac_len = frac
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(frac.len());
        if frac_len > 0 {
            len += 1 + frac_len;
        }
    }
    if int_len == 0 && len == 0 {
        return None;
    }
    let number = text[..len].parse().ok()?;
    Some((number, &text[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_of_seconds_are_bounded_like_strings() {
        assert_eq!(from_seconds(3600), Ok(Duration::from_secs(3600)));
        assert_eq!(from_seconds(u64::MAX), Err(DurationError::TooLarge));
        assert_eq!(
            from_seconds(101 * 365 * 86_400),
            Err(DurationError::TooLarge)
        );
    }

    fn secs(text: &str) -> Result<u64, DurationError> {
        parse_duration(text).map(|d| d.as_secs())
    }

    #[test]
    fn accepts_the_documented_forms() {
        for (text, expected) in [
            ("3600", 3600),
            (" 600 ", 600),
            ("60m", 3600),
            ("1h", 3600),
            ("1h30m", 5400),
            ("1h 30m", 5400),
            ("90s", 90),
            ("2 hours", 7200),
            ("1.5h", 5400),
            (".5h", 1800),
            ("1 day, 2 hours and 5 minutes", 86400 + 7200 + 300),
            ("1W", 604_800),
            ("5 MIN", 300),
            ("10 secs", 10),
            ("1d12h", 129_600),
        ] {
            assert_eq!(secs(text), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn rejects_everything_else() {
        for text in [
            "",
            " ",
            "h",
            "one hour",
            "60 parsecs",
            "1:30:00",
            "-5m",
            "5m-",
            "and 5m",
            "1 month",
            "60 m x",
            "1..5h",
            "5 5",
            "1e3",
        ] {
            assert_eq!(secs(text), Err(DurationError::Format), "{text:?}");
        }
        assert_eq!(secs("99999999999w"), Err(DurationError::TooLarge));
    }
}
