//! Durations of `within_last` / `not_within_last`: `"N unit"`.

use crate::checked::TimeUnit;

/// `"N unit"`: N a positive integer that fits in u32, one or more spaces, and a unit as
/// `TimeUnit::parse` reads it (plural or singular, any case). Leading or trailing spaces are
/// refused so that a stored rule has one spelling.
pub fn parse_interval(s: &str) -> Option<(u32, TimeUnit)> {
    let (n, unit) = parse_interval_wide(s)?;
    let n = u32::try_from(n).ok().filter(|n| *n > 0)?;
    Some((n, unit))
}

/// The grammar of `parse_interval` with N unbounded (saturating at u64::MAX, possibly 0), so
/// that the validator can tell a malformed duration from one that is merely too long.
pub(crate) fn parse_interval_wide(s: &str) -> Option<(u64, TimeUnit)> {
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, rest) = s.split_at(digits_end);
    if digits.is_empty() {
        return None;
    }
    let word = rest.trim_start_matches(' ');
    if word.len() == rest.len() {
        return None;
    }
    let unit = TimeUnit::parse(word)?;
    let n = digits.bytes().fold(0u64, |acc, d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    Some((n, unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_count_and_unit() {
        assert_eq!(parse_interval("30 days"), Some((30, TimeUnit::Days)));
        assert_eq!(parse_interval("1 Day"), Some((1, TimeUnit::Days)));
        assert_eq!(parse_interval("2   WEEKS"), Some((2, TimeUnit::Weeks)));
        assert_eq!(parse_interval("5 minute"), Some((5, TimeUnit::Minutes)));
        assert_eq!(parse_interval("12 months"), Some((12, TimeUnit::Months)));
        assert_eq!(parse_interval("1 year"), Some((1, TimeUnit::Years)));
        assert_eq!(parse_interval("3 hours"), Some((3, TimeUnit::Hours)));
        assert_eq!(
            parse_interval("4294967295 minutes"),
            Some((u32::MAX, TimeUnit::Minutes))
        );
    }

    #[test]
    fn refuses_anything_else() {
        for bad in [
            "",
            "days",
            "30",
            "30days",
            " 30 days",
            "30 days ",
            "0 days",
            "-1 days",
            "+1 days",
            "1.5 days",
            "30\tdays",
            "30 dayss",
            "30 fortnights",
            "4294967296 minutes",
            "३ days",
            "30 d",
            "30 s",
        ] {
            assert_eq!(parse_interval(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn wide_form_saturates_instead_of_failing() {
        assert_eq!(parse_interval_wide("0 days"), Some((0, TimeUnit::Days)));
        assert_eq!(
            parse_interval_wide("99999999999999999999999 years"),
            Some((u64::MAX, TimeUnit::Years))
        );
    }
}
