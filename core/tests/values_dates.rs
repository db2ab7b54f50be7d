//! Dates, instants and durations read by `values`: rule forms and stored custom-field forms.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use smart_groups_core::checked::{Moment, TimeUnit};
use smart_groups_core::values::{
    parse_interval, parse_rule_date, parse_rule_moment, read_date, read_timestamp,
};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

#[test]
fn rule_dates_in_both_spellings() {
    assert_eq!(parse_rule_date("2024-01-31"), Some(day(2024, 1, 31)));
    assert_eq!(parse_rule_date("03/31/2024"), Some(day(2024, 3, 31)));
    assert_eq!(parse_rule_date("3/1/2024"), Some(day(2024, 3, 1)));
    assert_eq!(parse_rule_date("2024-02-29"), Some(day(2024, 2, 29)));
    assert_eq!(parse_rule_date("02/29/2000"), Some(day(2000, 2, 29)));
    assert_eq!(parse_rule_date("0001-01-01"), Some(day(1, 1, 1)));
    assert_eq!(parse_rule_date("9999-12-31"), Some(day(9999, 12, 31)));
}

#[test]
fn rule_dates_must_be_real_and_exact() {
    for bad in [
        "2023-02-29",
        "1900-02-29",
        "13/01/2024",
        "00/10/2024",
        "01/32/2024",
        "2024-13-01",
        "2024-00-10",
        "2024-04-31",
        "0000-01-01",
        "24-01-01",
        "2024-1-5",
        "20240105",
        "2024/01/05",
        "01-05-2024",
        "01/05/24",
        "001/05/2024",
        " 2024-01-05",
        "2024-01-05 ",
        "",
        "2024-01-05T00:00:00Z",
        "10000-01-01",
        "2024-01-0５",
    ] {
        assert_eq!(parse_rule_date(bad), None, "{bad:?}");
    }
}

#[test]
fn rule_moments_are_days_or_exact_instants() {
    assert_eq!(
        parse_rule_moment("2024-01-31"),
        Some(Moment::Day(day(2024, 1, 31)))
    );
    assert_eq!(
        parse_rule_moment("01/31/2024"),
        Some(Moment::Day(day(2024, 1, 31)))
    );
    assert_eq!(
        parse_rule_moment("2024-01-31T10:00:00Z"),
        Some(Moment::Instant(utc(2024, 1, 31, 10, 0, 0)))
    );
    assert_eq!(
        parse_rule_moment("2024-01-31T10:00:00+02:00"),
        Some(Moment::Instant(utc(2024, 1, 31, 8, 0, 0)))
    );
    assert_eq!(
        parse_rule_moment("2024-01-01T01:30:00+05:30"),
        Some(Moment::Instant(utc(2023, 12, 31, 20, 0, 0)))
    );
    assert_eq!(
        parse_rule_moment("2024-01-31 23:00:00-01:00"),
        Some(Moment::Instant(utc(2024, 2, 1, 0, 0, 0)))
    );
    let Some(Moment::Instant(frac)) = parse_rule_moment("2024-01-31T10:00:00.123456789z") else {
        panic!("fraction refused")
    };
    assert_eq!(frac.timestamp_subsec_micros(), 123_457);
    for bad in [
        "2024-01-31T10:00Z",
        "2024-01-31T10:00:00",
        "2024-01-31T25:00:00Z",
        "2024-01-31T10:60:00Z",
        "2024-01-31T10:00:00+2:00",
        "2024-01-31T10:00:00+0200",
        "2024-01-31T10:00:00+24:00",
        "2024-02-30T10:00:00Z",
        "2024-01-31T10:00:00.Z",
        "01/31/2024T10:00:00Z",
        "2024-01-31T10:00:00Z ",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:00:00-02:00",
    ] {
        assert_eq!(parse_rule_moment(bad), None, "{bad:?}");
    }
}

#[test]
fn leap_second_lands_on_the_next_minute() {
    assert_eq!(
        parse_rule_moment("2016-12-31T23:59:60Z"),
        Some(Moment::Instant(utc(2017, 1, 1, 0, 0, 0)))
    );
    assert_eq!(parse_rule_moment("2016-12-31T23:59:60.5Z"), None);
    assert_eq!(parse_rule_moment("2016-12-31T23:59:61Z"), None);
}

#[test]
fn intervals() {
    assert_eq!(parse_interval("30 days"), Some((30, TimeUnit::Days)));
    assert_eq!(parse_interval("1 MONTH"), Some((1, TimeUnit::Months)));
    assert_eq!(parse_interval("30  days"), Some((30, TimeUnit::Days)));
    for bad in ["30 days ", " 30 days", "0 days", "thirty days", "30"] {
        assert_eq!(parse_interval(bad), None, "{bad:?}");
    }
}

#[test]
fn stored_dates_are_iso_only() {
    assert_eq!(read_date("2024-02-29"), Some(day(2024, 2, 29)));
    assert_eq!(read_date("  2024-02-29\n"), Some(day(2024, 2, 29)));
    assert_eq!(read_date("9999-12-31"), Some(day(9999, 12, 31)));
    for bad in [
        "",
        "   ",
        "2023-02-29",
        "02/29/2024",
        "13/01/2024",
        "0000-01-01",
        "2024-02-29T00:00:00Z",
        "2024-2-29",
        "+2024-02-29",
        "2024-02-29x",
        "\u{a0}2024-02-29",
    ] {
        assert_eq!(read_date(bad), None, "{bad:?}");
    }
}

#[test]
fn stored_timestamps_accept_the_iso_family() {
    let ten = utc(2024, 1, 31, 10, 0, 0);
    for ok in [
        "2024-01-31T10:00:00Z",
        "2024-01-31 10:00:00Z",
        "2024-01-31t10:00:00z",
        "2024-01-31T12:00:00+02:00",
        "2024-01-31T07:30:00-02:30",
        "2024-01-31 10:00",
        "2024-01-31T10:00",
        "2024-01-31 10:00:00",
        "  2024-01-31T10:00:00Z\t",
        "2024-01-31T10:00Z",
        "2024-01-31 11:00+01:00",
    ] {
        assert_eq!(read_timestamp(ok), Some(ten), "{ok:?}");
    }
    assert_eq!(
        read_timestamp("2024-01-31"),
        Some(utc(2024, 1, 31, 0, 0, 0))
    );
    let frac = read_timestamp("2024-01-31 10:00:00.5").unwrap();
    assert_eq!(frac.timestamp_subsec_micros(), 500_000);
    let rounded = read_timestamp("2024-01-31T23:59:59.9999996Z").unwrap();
    assert_eq!(rounded, utc(2024, 2, 1, 0, 0, 0));
}

#[test]
fn stored_timestamps_refuse_the_rest() {
    for bad in [
        "",
        " ",
        "yesterday",
        "2024-01-31T",
        "2024-01-31T10",
        "2024-01-31T10:00:00 Z",
        "2024-01-31T10:00:00 +02:00",
        "2024-01-31T10:00:00+02",
        "2024-01-31T10:00:00+0200",
        "2024-01-31T24:00:00Z",
        "2024-01-31T10:00:00.",
        "2024-02-30 10:00",
        "01/31/2024 10:00",
        "2024-01-31T10:00:00Z+01:00",
        "2024-01-31  10:00",
        "2024-01-31_10:00",
        "0000-12-31T23:00:00Z",
        "9999-12-31T23:30:00-01:00",
        "2024-01-31T1:00:00Z",
    ] {
        assert_eq!(read_timestamp(bad), None, "{bad:?}");
    }
}
