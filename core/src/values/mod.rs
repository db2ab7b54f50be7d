//! Typed reads of values written as text. Two callers share these functions so that a rule's
//! value and a stored value mean the same thing: the validator (dates, instants and durations
//! written in rules) and the database's custom-field readers (the app stores every custom
//! value as text). None of them ever fails with an error: text that cannot be read is `None`,
//! and each caller decides what that means (a rule error, or "empty" for a stored value).

mod calendar;
mod interval;
mod number;
mod scan;

pub use calendar::{parse_rule_date, parse_rule_moment, read_date, read_timestamp};
pub use interval::parse_interval;
pub(crate) use interval::parse_interval_wide;
pub use number::{compare_numbers, read_number, MAX_NUMBER_DIGITS, MAX_NUMBER_EXPONENT};

/// `true` or `false` in any case, surrounded by optional ASCII whitespace. Nothing else
/// (`t`, `yes`, `1`) is read: the spec names exactly these two spellings, and accepting more
/// would make a typo silently count as a value.
pub fn read_boolean(s: &str) -> Option<bool> {
    let s = s.trim_ascii();
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::read_boolean;

    #[test]
    fn booleans_are_true_or_false_only() {
        assert_eq!(read_boolean("true"), Some(true));
        assert_eq!(read_boolean("TRUE"), Some(true));
        assert_eq!(read_boolean(" False\t"), Some(false));
        assert_eq!(read_boolean("fAlSe"), Some(false));
        for bad in [
            "",
            " ",
            "yes",
            "no",
            "t",
            "f",
            "1",
            "0",
            "truee",
            "tru e",
            "on",
            "\u{a0}true",
        ] {
            assert_eq!(read_boolean(bad), None, "{bad:?}");
        }
    }
}
