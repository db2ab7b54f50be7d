//! Date, timestamp and interval literals. Formatted here rather than with chrono's `%Y` so that
//! every date chrono can hold is one Postgres reads back identically: years before 1 AD as
//! `BC`, years past 9999 without chrono's `+` sign.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc};

use crate::checked::TimeUnit;

/// `'2024-01-31'::date`
pub(super) fn date(d: NaiveDate) -> String {
    let (ymd, bc) = ymd(d);
    format!("'{ymd}{bc}'::date")
}

/// A timestamp literal for the start of day `d` in UTC, with or without time zone.
pub(super) fn day_start(d: NaiveDate, tz: bool) -> String {
    stamp(d, NaiveTime::MIN, tz)
}

/// The start of the day after `d`: the exclusive end of "the whole UTC day d". Past the last
/// day chrono can represent, every timestamp is before it.
pub(super) fn day_end(d: NaiveDate, tz: bool) -> String {
    match d.succ_opt() {
        Some(next) => day_start(next, tz),
        None => format!(
            "'infinity'::{}",
            if tz { "timestamptz" } else { "timestamp" }
        ),
    }
}

/// An exact instant, full precision. Without time zone it is written as UTC wall-clock time,
/// since naive timestamp columns hold UTC.
pub(super) fn instant(i: DateTime<Utc>, tz: bool) -> String {
    let n = i.naive_utc();
    stamp(n.date(), n.time(), tz)
}

/// `'30 days'::interval`
pub(super) fn interval(n: u32, unit: TimeUnit) -> String {
    format!("'{n} {}'::interval", unit.plural())
}

fn stamp(d: NaiveDate, t: NaiveTime, tz: bool) -> String {
    let (ymd, bc) = ymd(d);
    let mut sec = t.second();
    let mut nanos = t.nanosecond();
    // chrono keeps a leap second as nanoseconds past 10^9; Postgres reads second 60 instead.
    if nanos >= 1_000_000_000 {
        sec += 1;
        nanos -= 1_000_000_000;
    }
    let frac = match nanos {
        0 => String::new(),
        n if n % 1000 == 0 => format!(".{:06}", n / 1000),
        n => format!(".{n:09}"),
    };
    let (zone, ty) = if tz {
        ("+00", "timestamptz")
    } else {
        ("", "timestamp")
    };
    format!(
        "'{ymd} {:02}:{:02}:{sec:02}{frac}{zone}{bc}'::{ty}",
        t.hour(),
        t.minute()
    )
}

/// `YYYY-MM-DD` and the era suffix (chrono's year 0 is 1 BC).
fn ymd(d: NaiveDate) -> (String, &'static str) {
    let y = d.year();
    let (year, bc) = if y >= 1 { (y, "") } else { (1 - y, " BC") };
    (format!("{year:04}-{:02}-{:02}", d.month(), d.day()), bc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn dates() {
        assert_eq!(date(d(2024, 1, 31)), "'2024-01-31'::date");
        assert_eq!(date(d(0, 1, 1)), "'0001-01-01 BC'::date");
        assert_eq!(date(d(12345, 6, 7)), "'12345-06-07'::date");
        assert_eq!(date(d(7, 6, 5)), "'0007-06-05'::date");
    }

    #[test]
    fn stamps() {
        assert_eq!(
            day_start(d(2024, 1, 31), true),
            "'2024-01-31 00:00:00+00'::timestamptz"
        );
        assert_eq!(
            day_end(d(2024, 12, 31), false),
            "'2025-01-01 00:00:00'::timestamp"
        );
        assert_eq!(day_end(NaiveDate::MAX, true), "'infinity'::timestamptz");
        assert_eq!(
            day_start(d(-1, 3, 1), true),
            "'0002-03-01 00:00:00+00 BC'::timestamptz"
        );
        let i = |s: &str| DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc));
        let t = i("2024-01-31T10:00:00.123Z").map(|t| instant(t, true));
        assert_eq!(
            t.as_deref(),
            Ok("'2024-01-31 10:00:00.123000+00'::timestamptz")
        );
        let t = i("2024-01-31T12:30:05.000000001+02:00").map(|t| instant(t, false));
        assert_eq!(
            t.as_deref(),
            Ok("'2024-01-31 10:30:05.000000001'::timestamp")
        );
        assert_eq!(interval(3, TimeUnit::Weeks), "'3 weeks'::interval");
    }
}
