//! Number and boolean fields: exact decimal order (never through f64), in/between, NULL and
//! unreadable custom values, duplicate custom rows.

mod eval_support;

use eval_support::*;
use smart_groups_core::eval::{CustomRow, Dataset, Datum, UserRow};

/// age, by user key: 1 30, 2 30.0, 3 -1, 4 0, 5 NULL, 6 absent, 7 12345678901234567890.1,
/// 8 12345678901234567890.2, 9 1e2, 10 29.999999999999999999 (30 as an f64), 11 NaN (a value).
fn ages() -> Dataset {
    let values = [
        Some(num("30")),
        Some(num("30.0")),
        Some(num("-1")),
        Some(num("0")),
        Some(Datum::Null),
        None,
        Some(num("12345678901234567890.1")),
        Some(num("12345678901234567890.2")),
        Some(num("1e2")),
        Some(num("29.999999999999999999")),
        Some(num("NaN")),
    ];
    users_with("age", values.into_iter().collect())
}

#[test]
fn eq_and_neq_are_exact() {
    let d = ages();
    expect(&d, "age = 30", &["1", "2"]);
    expect(&d, "age = 30.00", &["1", "2"]);
    // Rules keep numbers a stored ruleset can hold exactly (validate refuses the others); the
    // users' values are compared exactly: 29.999999999999999999 is not 30.
    expect(&d, "age = 29.99999999999999", &[]);
    expect(&d, "age = 100", &["9"]);
    expect(&d, "age = -0", &["4"]);
    expect(&d, "age != 30", &all_but(&d, &["1", "2"]));
}

#[test]
fn order_is_exact() {
    let d = ages();
    expect(&d, "age < 30", &["3", "4", "10"]);
    expect(&d, "age <= 30", &["1", "2", "3", "4", "10"]);
    // NaN (user 11) is a value, above every number, as Postgres orders it.
    expect(&d, "age > 30", &["7", "8", "9", "11"]);
    expect(&d, "age >= 30", &["1", "2", "7", "8", "9", "11"]);
    expect(&d, "age > 12345678901234567890", &["7", "8", "11"]);
    expect(&d, "age < 0", &["3"]);
    expect(&d, "age >= -1e0", &all_but(&d, &["5", "6"]));
}

#[test]
fn between_includes_both_bounds() {
    let d = ages();
    expect(&d, "age between 0 and 30", &["1", "2", "4", "10"]);
    expect(
        &d,
        "age between 12345678901234567890 and 12345678901234567891",
        &["7", "8"],
    );
    expect(&d, "age between 30 and 30", &["1", "2"]);
    expect(
        &d,
        "age between -1 and 1e2",
        &all_but(&d, &["5", "6", "7", "8", "11"]),
    );
}

#[test]
fn in_and_not_in() {
    let d = ages();
    expect(&d, "age in (30, 100)", &["1", "2", "9"]);
    expect(&d, "age not in (30, 100)", &all_but(&d, &["1", "2", "9"]));
}

#[test]
fn empty_is_null_or_absent_and_nan_is_a_value() {
    let d = ages();
    expect(&d, "age is empty", &["5", "6"]);
    expect(&d, "age is not empty", &all_but(&d, &["5", "6"]));
}

#[test]
fn custom_numbers_are_read_or_count_as_empty() {
    let d = custom_values(
        "score",
        &[
            Some(Some("42")),
            Some(Some(" 42 ")),
            Some(Some("forty-two")),
            Some(Some("")),
            Some(None),
            None,
            Some(Some("+4.2e1")),
            Some(Some("4.20E1")),
            Some(Some("42abc")),
            Some(Some("0042")),
        ],
    );
    expect(&d, "score = 42", &["1", "2", "7", "8", "10"]);
    expect(&d, "score != 42", &["3", "4", "5", "6", "9"]);
    expect(&d, "score > 41.9", &["1", "2", "7", "8", "10"]);
    expect(&d, "score is empty", &["3", "4", "5", "6", "9"]);
}

#[test]
fn custom_values_of_other_users_and_fields_do_not_leak() {
    let d = Dataset {
        users: vec![UserRow::new("1"), UserRow::new("2")],
        custom: vec![
            CustomRow::new("2", "score", Some("7")),
            CustomRow::new("1", "motto", Some("7")),
            CustomRow::new("3", "score", Some("7")),
        ],
        ..Dataset::default()
    };
    expect(&d, "score = 7", &["2"]);
    expect(&d, "score is empty", &["1"]);
}

#[test]
fn duplicate_custom_rows_match_when_any_value_does() {
    let d = Dataset {
        users: vec![UserRow::new("1"), UserRow::new("2")],
        custom: vec![
            CustomRow::new("1", "score", Some("1")),
            CustomRow::new("1", "score", Some("5")),
            CustomRow::new("2", "score", Some("oops")),
            CustomRow::new("2", "score", Some("5")),
        ],
        ..Dataset::default()
    };
    expect(&d, "score = 1", &["1"]);
    expect(&d, "score = 5", &["1", "2"]);
    expect(&d, "score != 1", &["2"]);
    expect(&d, "score is empty", &[]);
}

#[test]
fn booleans() {
    let d = users_with(
        "active",
        vec![
            Some(Datum::Bool(true)),
            Some(Datum::Bool(false)),
            Some(Datum::Null),
            None,
        ],
    );
    expect(&d, "active = true", &["1"]);
    expect(&d, "active = false", &["2"]);
    expect(&d, "active != true", &["2", "3", "4"]);
    expect(&d, "active != false", &["1", "3", "4"]);
    expect(&d, "active is empty", &["3", "4"]);
    expect(&d, "active is not empty", &["1", "2"]);
}

#[test]
fn custom_booleans_are_true_or_false_in_any_case() {
    let d = custom_values(
        "vip",
        &[
            Some(Some("true")),
            Some(Some("FALSE")),
            Some(Some("yes")),
            Some(Some(" True ")),
            Some(Some("t")),
            None,
        ],
    );
    expect(&d, "vip = true", &["1", "4"]);
    expect(&d, "vip = false", &["2"]);
    expect(&d, "vip != true", &["2", "3", "5", "6"]);
    expect(&d, "vip is empty", &["3", "5", "6"]);
}
