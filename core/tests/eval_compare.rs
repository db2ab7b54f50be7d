//! Field-to-field rules in the independent evaluator (docs/reference/rules.md, "Comparing two
//! fields"): a NULL side makes the comparison false and `neq` true, dates with timestamps by
//! the timestamp's UTC day, integers and decimals exactly, floats as float8, NaN above
//! everything, duplicate custom rows by any pair, through a reference.

mod eval_support;

use eval_support::*;
use smart_groups_core::eval::{CustomRow, Dataset, Datum, UserRow};

fn user(key: &str, values: &[(&str, Datum)]) -> UserRow {
    values
        .iter()
        .fold(UserRow::new(key.to_string()), |u, (c, d)| {
            u.with(*c, d.clone())
        })
}

fn data(users: Vec<UserRow>) -> Dataset {
    Dataset {
        users,
        ..Dataset::default()
    }
}

#[test]
fn a_null_side_is_false_and_neq_true() {
    let d = data(vec![
        user("1", &[("name", text("Ann")), ("nick", text("Ann"))]),
        user("2", &[("name", text("Ann")), ("nick", text("ann"))]),
        user("3", &[("name", text("Ann"))]),
        user("4", &[("nick", Datum::Null)]),
        user("5", &[("name", text("")), ("nick", text(""))]),
    ]);
    expect(&d, "name = nick", &["1", "5"]);
    expect(&d, "name != nick", &["2", "3", "4"]);
    expect(&d, "name equals ignoring case nick", &["1", "2", "5"]);
    expect(&d, "nick = name", &["1", "5"]);
}

#[test]
fn dates_with_timestamps_compare_by_utc_day() {
    let d = data(vec![
        user(
            "1",
            &[
                ("hire_date", date("2024-01-31")),
                ("created_at", ts("2024-01-31T23:59:59.999Z")),
            ],
        ),
        user(
            "2",
            &[
                ("hire_date", date("2024-02-01")),
                ("created_at", ts("2024-01-31T23:00:00-02:00")),
            ],
        ),
        user(
            "3",
            &[
                ("hire_date", date("2024-01-31")),
                ("created_at", ts("2024-02-01T00:00:00Z")),
            ],
        ),
        user("4", &[("hire_date", date("2024-01-31"))]),
    ]);
    // User 2's instant is 2024-02-01 01:00 UTC.
    expect(&d, "hire_date = created_at", &["1", "2"]);
    expect(&d, "hire_date on created_at", &["1", "2"]);
    expect(&d, "hire_date before created_at", &["3"]);
    expect(&d, "created_at after hire_date", &["3"]);
    expect(&d, "hire_date after created_at", &[]);
    expect(&d, "hire_date != created_at", &["3", "4"]);
}

#[test]
fn timestamps_compare_as_instants() {
    let d = data(vec![
        user(
            "1",
            &[
                ("created_at", ts("2024-01-31T10:00:00Z")),
                ("seen_at", ts("2024-01-31T10:00:00Z")),
            ],
        ),
        user(
            "2",
            &[
                ("created_at", ts("2024-01-31T12:00:00+02:00")),
                ("seen_at", ts("2024-01-31T10:00:00Z")),
            ],
        ),
        user(
            "3",
            &[
                ("created_at", ts("2024-01-31T10:00:00.000001Z")),
                ("seen_at", ts("2024-01-31T10:00:00Z")),
            ],
        ),
    ]);
    expect(&d, "created_at = seen_at", &["1", "2"]);
    expect(&d, "created_at after seen_at", &["3"]);
    expect(&d, "seen_at before created_at", &["3"]);
}

#[test]
fn numbers_compare_exactly_and_floats_as_float8() {
    let d = data(vec![
        user("1", &[("age", num("30")), ("manager_id", num("30.0"))]),
        user(
            "2",
            &[
                ("age", num("12345678901234567890.1")),
                ("manager_id", num("12345678901234567890.2")),
            ],
        ),
        user("3", &[("age", num("NaN")), ("manager_id", num("1e300"))]),
        user("4", &[("age", num("NaN")), ("manager_id", num("NaN"))]),
        user(
            "5",
            &[("age", num("-Infinity")), ("manager_id", num("-1e300"))],
        ),
        // A float column: 0.1 as a double equals the numeric 0.1 once rounded to a double.
        user(
            "6",
            &[("age", Datum::Float(0.1)), ("manager_id", num("0.1"))],
        ),
        user(
            "7",
            &[("age", Datum::Float(f64::NAN)), ("manager_id", num("NaN"))],
        ),
        user(
            "8",
            &[
                ("age", Datum::Float(9007199254740992.0)),
                ("manager_id", num("9007199254740993")),
            ],
        ),
    ]);
    expect(&d, "age = manager_id", &["1", "4", "6", "7", "8"]);
    expect(&d, "age < manager_id", &["2", "5"]);
    expect(&d, "age > manager_id", &["3"]);
    expect(&d, "age >= manager_id", &["1", "3", "4", "6", "7", "8"]);
    expect(&d, "age != manager_id", &["2", "3", "5"]);
}

#[test]
fn custom_fields_duplicates_and_references() {
    let mut d = data(vec![
        user("1", &[("age", num("30")), ("active", Datum::Bool(true))]),
        user(
            "2",
            &[
                ("age", num("20")),
                ("manager_id", num("1")),
                ("active", Datum::Bool(true)),
            ],
        ),
        user(
            "3",
            &[
                ("age", num("40")),
                ("manager_id", num("1")),
                ("active", Datum::Bool(false)),
            ],
        ),
        user("4", &[("age", num("10")), ("manager_id", num("9"))]),
    ]);
    d.custom = vec![
        CustomRow::new("1", "score", Some("10")),
        CustomRow::new("1", "score", Some("50")),
        CustomRow::new("2", "score", Some("not a number")),
        CustomRow::new("3", "score", Some("40")),
        CustomRow::new("1", "vip", Some("TRUE")),
        CustomRow::new("3", "vip", Some("false")),
    ];
    // User 1 has two scores: 30 > 10 holds for one of them, 30 < 50 for the other.
    expect(&d, "age > score", &["1"]);
    expect(&d, "age < score", &["1"]);
    expect(&d, "age = score", &["3"]);
    expect(&d, "age != score", &["1", "2", "4"]);
    expect(&d, "active = vip", &["1", "3"]);
    expect(&d, "age < manager.age", &["2"]);
    expect(&d, "manager.age < age", &["3"]);
    expect(&d, "active = manager.active", &["2"]);
    expect(&d, "manager.active != active", &["1", "3", "4"]);
}

#[test]
fn columns_of_a_related_row() {
    let mut d = data(vec![user("1", &[]), user("2", &[]), user("3", &[])]);
    let row = |key: &str, course: Option<&str>, status: &str| smart_groups_core::eval::RelRow {
        user_key: key.into(),
        values: [
            ("course".to_string(), course.map_or(Datum::Null, text)),
            ("status".to_string(), text(status)),
        ]
        .into_iter()
        .collect(),
    };
    d.relations.insert(
        "enrollments".into(),
        vec![
            row("1", Some("done"), "done"),
            row("2", Some("a"), "b"),
            row("3", None, "x"),
        ],
    );
    expect(&d, "has enrollments where course = status", &["1"]);
    expect(&d, "has enrollments where course != status", &["2", "3"]);
}
