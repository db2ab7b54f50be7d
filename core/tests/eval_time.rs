//! Timestamp fields: a date on a timestamp field is the whole UTC day, instants are exact,
//! `within_last` counts back from now (calendar months and years, clamped to the month's
//! end). Evaluated at 2024-03-15T12:00:00Z unless a test says otherwise.

mod eval_support;

use eval_support::*;
use smart_groups_core::eval::{Dataset, Datum};

/// created_at, by user key: 1 03-14 23:59:59.999, 2 03-15 00:00, 3 03-15 23:59:59.999999,
/// 4 03-16 00:00, 5 NULL, 6 now, 7 now + 1µs, 8 now − 1 month, 9 just before that,
/// 10 now − 7 days (all 2024, UTC).
fn created() -> Dataset {
    let values = [
        Some(ts("2024-03-14T23:59:59.999Z")),
        Some(ts("2024-03-15T00:00:00Z")),
        Some(ts("2024-03-15T23:59:59.999999Z")),
        Some(ts("2024-03-16T00:00:00Z")),
        Some(Datum::Null),
        Some(ts("2024-03-15T12:00:00Z")),
        Some(ts("2024-03-15T12:00:00.000001Z")),
        Some(ts("2024-02-15T12:00:00Z")),
        Some(ts("2024-02-15T11:59:59.999999Z")),
        Some(ts("2024-03-08T12:00:00Z")),
    ];
    users_with("created_at", values.into_iter().collect())
}

#[test]
fn a_date_on_a_timestamp_is_the_whole_utc_day() {
    let d = created();
    expect(&d, "created_at on 2024-03-15", &["2", "3", "6", "7"]);
    expect(&d, "created_at on 03/15/2024", &["2", "3", "6", "7"]);
    expect(
        &d,
        "created_at != 2024-03-15",
        &["1", "4", "5", "8", "9", "10"],
    );
    expect(&d, "created_at before 2024-03-15", &["1", "8", "9", "10"]);
    expect(&d, "created_at after 2024-03-15", &["4"]);
    expect(
        &d,
        "created_at between 2024-03-14 and 2024-03-15",
        &["1", "2", "3", "6", "7"],
    );
    expect(&d, "created_at between 2024-03-16 and 2024-03-16", &["4"]);
    expect(&d, "created_at is empty", &["5"]);
}

#[test]
fn instants_compare_exactly() {
    let d = created();
    expect(&d, "created_at on 2024-03-15T00:00:00Z", &["2"]);
    expect(&d, "created_at on 2024-03-15T14:00:00+02:00", &["6"]);
    expect(
        &d,
        "created_at before 2024-03-15T12:00:00Z",
        &["1", "2", "8", "9", "10"],
    );
    expect(
        &d,
        "created_at after 2024-03-15T12:00:00Z",
        &["3", "4", "7"],
    );
    expect(
        &d,
        "created_at != 2024-03-15T12:00:00Z",
        &all_but(&d, &["6"]),
    );
}

#[test]
fn mixed_bounds_of_between() {
    let d = created();
    // Instant low: from that instant; day high: to the end of that day.
    expect(
        &d,
        "created_at between 2024-03-15T00:00:00Z and 2024-03-15",
        &["2", "3", "6", "7"],
    );
    // Day low: from its midnight; instant high: up to and including that instant.
    expect(
        &d,
        "created_at between 2024-03-14 and 2024-03-15T12:00:00Z",
        &["1", "2", "6"],
    );
    expect(
        &d,
        "created_at between 2024-03-14T23:59:59.999Z and 2024-03-15T00:00:00Z",
        &["1", "2"],
    );
}

#[test]
fn within_last_on_timestamps() {
    let d = created();
    expect(&d, "created_at within last 1 day", &["1", "2", "6"]);
    expect(&d, "created_at within last 12 hours", &["2", "6"]);
    expect(&d, "created_at within last 720 minutes", &["2", "6"]);
    expect(&d, "created_at within last 7 days", &["1", "2", "6", "10"]);
    expect(&d, "created_at within last 1 week", &["1", "2", "6", "10"]);
    expect(
        &d,
        "created_at within last 1 month",
        &["1", "2", "6", "8", "10"],
    );
    expect(
        &d,
        "created_at within last 1 year",
        &["1", "2", "6", "8", "9", "10"],
    );
    expect(
        &d,
        "created_at not within last 1 day",
        &["3", "4", "5", "7", "8", "9", "10"],
    );
    expect(
        &d,
        "created_at within last 10000 years",
        &["1", "2", "6", "8", "9", "10"],
    );
}

#[test]
fn within_last_months_clamps_to_the_end_of_the_month() {
    let d = users_with(
        "created_at",
        vec![
            Some(ts("2024-02-29T10:00:00Z")),
            Some(ts("2024-02-29T09:59:59.999999Z")),
            Some(ts("2023-02-28T10:00:00Z")),
            Some(ts("2023-02-28T09:59:59Z")),
        ],
    );
    let now = at("2024-03-31T10:00:00Z");
    expect_at(&d, now, "created_at within last 1 month", &["1"]);
    // 2024-02-29 − 1 year clamps to 2023-02-28.
    expect_at(
        &d,
        at("2024-02-29T10:00:00Z"),
        "created_at within last 1 year",
        &["1", "2", "3"],
    );
}

#[test]
fn timestamp_without_time_zone_is_taken_as_utc() {
    let d = users_with(
        "seen_at",
        vec![
            Some(ts("2024-03-15T23:59:59.999Z")),
            Some(ts("2024-03-16T00:00:00Z")),
        ],
    );
    expect(&d, "seen_at on 2024-03-15", &["1"]);
    expect(&d, "seen_at after 2024-03-15", &["2"]);
}

#[test]
fn custom_timestamps() {
    let d = custom_values(
        "badge_at",
        &[
            Some(Some("2024-03-15 23:59:59.999")),
            Some(Some("2024-03-16T01:00:00+02:00")),
            Some(Some("2024-03-15")),
            Some(Some("2024-03-16T00:00:00Z")),
            Some(Some("garbage")),
            Some(Some("2024-03-14T23:59:59.9999999Z")),
            None,
        ],
    );
    // 6 rounds up to the microsecond, which is 03-15 00:00:00.
    expect(&d, "badge_at on 2024-03-15", &["1", "2", "3", "6"]);
    expect(&d, "badge_at after 2024-03-15", &["4"]);
    expect(&d, "badge_at within last 12 hours", &["3", "6"]);
    expect(&d, "badge_at is empty", &["5", "7"]);
}
