//! Date fields: compared as dates; `within_last` counts back from the current UTC date, by
//! calendar months and years (clamped to the month's end) or by a duration taken from
//! today's midnight. Evaluated at 2024-03-15T12:00:00Z unless a test says otherwise.

mod eval_support;

use eval_support::*;
use smart_groups_core::eval::{Dataset, Datum};

/// hire_date, by user key: 1 03-15 (today), 2 03-14, 3 03-16 (future), 4 02-15, 5 02-14,
/// 6 NULL, 7 2023-03-15, 8 2023-03-14, 9 03-08, 10 03-07 (2024 unless said).
fn hired() -> Dataset {
    let values = [
        Some(date("2024-03-15")),
        Some(date("2024-03-14")),
        Some(date("2024-03-16")),
        Some(date("2024-02-15")),
        Some(date("2024-02-14")),
        Some(Datum::Null),
        Some(date("2023-03-15")),
        Some(date("2023-03-14")),
        Some(date("2024-03-08")),
        Some(date("2024-03-07")),
    ];
    users_with("hire_date", values.into_iter().collect())
}

#[test]
fn dates_compare_as_dates() {
    let d = hired();
    expect(&d, "hire_date on 2024-03-15", &["1"]);
    expect(&d, r#"hire_date = "3/15/2024""#, &["1"]);
    expect(&d, "hire_date != 2024-03-15", &all_but(&d, &["1"]));
    expect(
        &d,
        "hire_date before 2024-03-15",
        &["2", "4", "5", "7", "8", "9", "10"],
    );
    expect(&d, "hire_date after 2024-03-15", &["3"]);
    expect(
        &d,
        "hire_date between 2024-02-15 and 2024-03-14",
        &["2", "4", "9", "10"],
    );
    expect(&d, "hire_date is empty", &["6"]);
}

#[test]
fn within_last_on_dates() {
    let d = hired();
    expect(
        &d,
        "hire_date within last 1 month",
        &["1", "2", "4", "9", "10"],
    );
    expect(
        &d,
        "hire_date within last 1 year",
        &["1", "2", "4", "5", "7", "9", "10"],
    );
    expect(&d, "hire_date within last 7 days", &["1", "2", "9"]);
    expect(&d, "hire_date within last 1 week", &["1", "2", "9"]);
    expect(&d, "hire_date within last 1 day", &["1", "2"]);
    // Durations go back from today's midnight: 1 hour reaches yesterday 23:00, so only today.
    expect(&d, "hire_date within last 1 hour", &["1"]);
    expect(&d, "hire_date within last 1440 minutes", &["1", "2"]);
    expect(&d, "hire_date within last 25 hours", &["1", "2"]);
    expect(&d, "hire_date within last 48 hours", &["1", "2"]);
    expect(&d, "hire_date within last 49 hours", &["1", "2"]);
    expect(
        &d,
        "hire_date not within last 1 day",
        &["3", "4", "5", "6", "7", "8", "9", "10"],
    );
}

#[test]
fn within_last_on_dates_at_month_ends() {
    let d = users_with(
        "hire_date",
        vec![
            Some(date("2024-02-29")),
            Some(date("2024-02-28")),
            Some(date("2024-03-31")),
        ],
    );
    expect_at(
        &d,
        at("2024-03-31T00:00:00Z"),
        "hire_date within last 1 month",
        &["1", "3"],
    );
    expect_at(
        &d,
        at("2024-05-31T23:59:59Z"),
        "hire_date within last 3 months",
        &["1", "3"],
    );
    // "Today" is the UTC date of now, whatever its time: 03-30, and 03-30 − 1 month clamps
    // to 02-29.
    expect_at(
        &d,
        at("2024-03-30T23:59:59Z"),
        "hire_date within last 1 month",
        &["1"],
    );
    expect_at(
        &d,
        at("2024-03-28T23:59:59Z"),
        "hire_date within last 1 month",
        &["1", "2"],
    );
}

#[test]
fn custom_dates_are_iso_only() {
    let d = custom_values(
        "start_date",
        &[
            Some(Some("2024-03-15")),
            Some(Some(" 2024-03-15 ")),
            Some(Some("03/15/2024")),
            Some(Some("2024-02-30")),
            Some(Some("")),
            None,
            Some(Some("2024-03-15T10:00:00Z")),
            Some(Some("2024-3-15")),
        ],
    );
    expect(&d, "start_date on 2024-03-15", &["1", "2"]);
    expect(&d, "start_date within last 1 day", &["1", "2"]);
    expect(&d, "start_date is empty", &["3", "4", "5", "6", "7", "8"]);
}
