//! Dates and instants: the forms a rule may write (`YYYY-MM-DD`, `MM/DD/YYYY`, RFC 3339) and
//! the ISO 8601 forms a stored custom-field value may take. Years are kept within 1..=9999 so
//! that every value read here prints back as four digits and parses again.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Utc};

use super::scan::Scan;
use crate::checked::Moment;

/// A rule date: `YYYY-MM-DD` or `MM/DD/YYYY` (month and day may have one digit in the US
/// form, as people write them), and a real calendar date (no 2023-02-29, no 13/01/2024).
pub fn parse_rule_date(s: &str) -> Option<NaiveDate> {
    whole(s, iso_date).or_else(|| whole(s, us_date))
}

/// A rule date (`Moment::Day`) or a full RFC 3339 instant with seconds and an offset
/// (`Moment::Instant`, converted to UTC). Rules must say which instant they mean, so unlike
/// stored values an instant without offset is refused rather than taken as UTC.
pub fn parse_rule_moment(s: &str) -> Option<Moment> {
    if let Some(day) = parse_rule_date(s) {
        return Some(Moment::Day(day));
    }
    whole(s, |scan| instant(scan, Strictness::Rfc3339)).map(Moment::Instant)
}

/// A stored date: ISO 8601 `YYYY-MM-DD` only, surrounding ASCII whitespace ignored.
pub fn read_date(s: &str) -> Option<NaiveDate> {
    whole(s.trim_ascii(), iso_date)
}

/// A stored timestamp, surrounding ASCII whitespace ignored: RFC 3339 (`T`, `t` or space
/// between date and time; `Z` or `±hh:mm`), the same without offset (taken as UTC, with
/// optional seconds and fraction), or a bare ISO date (midnight UTC). Fractions are rounded to
/// microseconds, Postgres' precision, so the value read is the value stored.
pub fn read_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim_ascii();
    if let Some(day) = whole(s, iso_date) {
        return day.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    whole(s, |scan| instant(scan, Strictness::Lenient))
}

fn whole<T>(s: &str, read: impl FnOnce(&mut Scan) -> Option<T>) -> Option<T> {
    let mut scan = Scan::new(s);
    let value = read(&mut scan)?;
    scan.at_end().then_some(value)
}

fn ymd(year: u32, month: u32, day: u32) -> Option<NaiveDate> {
    let year = i32::try_from(year)
        .ok()
        .filter(|y| (1..=9999).contains(y))?;
    NaiveDate::from_ymd_opt(year, month, day)
}

fn iso_date(scan: &mut Scan) -> Option<NaiveDate> {
    let year = scan.digits(4, 4)?;
    scan.eat(b'-').then_some(())?;
    let month = scan.digits(2, 2)?;
    scan.eat(b'-').then_some(())?;
    let day = scan.digits(2, 2)?;
    ymd(year, month, day)
}

fn us_date(scan: &mut Scan) -> Option<NaiveDate> {
    let month = scan.digits(1, 2)?;
    scan.eat(b'/').then_some(())?;
    let day = scan.digits(1, 2)?;
    scan.eat(b'/').then_some(())?;
    let year = scan.digits(4, 4)?;
    ymd(year, month, day)
}

#[derive(Clone, Copy, PartialEq)]
enum Strictness {
    /// Seconds and offset required, as RFC 3339 says.
    Rfc3339,
    /// Seconds and offset optional; no offset means UTC.
    Lenient,
}

fn instant(scan: &mut Scan, strictness: Strictness) -> Option<DateTime<Utc>> {
    let date = iso_date(scan)?;
    scan.eat_if(|b| matches!(b, b'T' | b't' | b' '))?;
    let local = clock(scan, date, strictness)?;
    let offset_minutes = if scan.at_end() && strictness == Strictness::Lenient {
        0
    } else {
        offset(scan)?
    };
    let utc = local.checked_sub_signed(TimeDelta::minutes(offset_minutes))?;
    (1..=9999).contains(&utc.year()).then(|| utc.and_utc())
}

/// `HH:MM[:SS[.fraction]]` on `date`. Second 60 (a leap second) is accepted, as RFC 3339 and
/// Postgres do, and lands on the next minute.
fn clock(scan: &mut Scan, date: NaiveDate, strictness: Strictness) -> Option<NaiveDateTime> {
    let hour = scan.digits(2, 2).filter(|h| *h <= 23)?;
    scan.eat(b':').then_some(())?;
    let minute = scan.digits(2, 2).filter(|m| *m <= 59)?;
    let (second, micros) = if scan.eat(b':') {
        let second = scan.digits(2, 2).filter(|s| *s <= 60)?;
        let micros = if scan.eat(b'.') {
            round_to_micros(scan.digit_run())?
        } else {
            0
        };
        if second == 60 && micros > 0 {
            return None;
        }
        (second, micros)
    } else if strictness == Strictness::Rfc3339 {
        return None;
    } else {
        (0, 0)
    };
    let delta = TimeDelta::seconds(i64::from(second)) + TimeDelta::microseconds(i64::from(micros));
    date.and_hms_opt(hour, minute, 0)?.checked_add_signed(delta)
}

/// Half-up rounding of a decimal fraction to microseconds (1_000_000 when it rounds up to a
/// whole second). `None` for an empty fraction (`10:00:00.`).
fn round_to_micros(fraction: &str) -> Option<u32> {
    if fraction.is_empty() {
        return None;
    }
    let digits = fraction.as_bytes();
    let micros = (0..6).fold(0u32, |acc, i| {
        acc * 10 + digits.get(i).map_or(0, |d| u32::from(d - b'0'))
    });
    let round_up = digits.get(6).is_some_and(|d| *d >= b'5');
    Some(micros + u32::from(round_up))
}

/// `Z`, `z` or `±hh:mm`, in minutes east of UTC.
fn offset(scan: &mut Scan) -> Option<i64> {
    if scan.eat_if(|b| matches!(b, b'Z' | b'z')).is_some() {
        return Some(0);
    }
    let sign = match scan.eat_if(|b| matches!(b, b'+' | b'-'))? {
        b'-' => -1,
        _ => 1,
    };
    let hours = scan.digits(2, 2).filter(|h| *h <= 23)?;
    scan.eat(b':').then_some(())?;
    let minutes = scan.digits(2, 2).filter(|m| *m <= 59)?;
    Some(sign * i64::from(hours * 60 + minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_round_half_up_to_microseconds() {
        assert_eq!(round_to_micros("5"), Some(500_000));
        assert_eq!(round_to_micros("1234564"), Some(123_456));
        assert_eq!(round_to_micros("1234565"), Some(123_457));
        assert_eq!(round_to_micros("9999995"), Some(1_000_000));
        assert_eq!(round_to_micros(""), None);
    }
}
