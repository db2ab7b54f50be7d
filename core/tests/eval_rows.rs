//! What live maintenance decides from a changed row in Rust: `eval::row_test` on float
//! values (binary, as Postgres compares float columns), with the caller's case folding, and
//! `eval::crossed_since` (whether an old value crossed a relative-time rule's boundary).

mod eval_support;

use chrono::TimeDelta;
use eval_support::*;
use smart_groups_core::checked::{Pred, Test};
use smart_groups_core::eval::{crossed_since, row_test, Datum, UserRow};

fn test_of(rule: &str) -> Test {
    match pred(rule) {
        Pred::Test(t) => t,
        Pred::All(mut items) | Pred::Any(mut items) if items.len() == 1 => match items.remove(0) {
            Pred::Test(t) => t,
            other => panic!("not one rule: {other:?}"),
        },
        other => panic!("not one rule: {other:?}"),
    }
}

fn user(column: &str, datum: Datum) -> UserRow {
    UserRow::new("1").with(column, datum)
}

fn rust_lower(s: &str) -> String {
    s.to_lowercase()
}

fn holds(rule: &str, column: &str, datum: Datum) -> bool {
    row_test(&test_of(rule), &user(column, datum), now(), &rust_lower)
}

#[test]
fn floats_compare_as_doubles() {
    // 0.1 stored as a real is 0.100000001490116..., above the double nearest 0.1.
    let real = Datum::Float(f64::from(0.1_f32));
    assert!(!holds("age = 0.1", "age", real.clone()));
    assert!(holds("age > 0.1", "age", real.clone()));
    assert!(!holds("age < 0.1", "age", real));
    let double = Datum::Float(0.1);
    assert!(holds("age = 0.1", "age", double.clone()));
    assert!(holds("age between 0.1 and 0.1", "age", double));
    assert!(holds("age > 0.3", "age", Datum::Float(0.1 + 0.2)));
    // -0 equals 0; NaN equals only itself and sorts above every number; NULL is no value.
    assert!(holds("age = 0", "age", Datum::Float(-0.0)));
    assert!(holds("age > 1000000", "age", Datum::Float(f64::NAN)));
    assert!(!holds("age = 1000000", "age", Datum::Float(f64::NAN)));
    assert!(holds("age != 1000000", "age", Datum::Float(f64::NAN)));
    assert!(holds("age > 1000000", "age", Datum::Float(f64::INFINITY)));
    assert!(holds(
        "age < -1000000",
        "age",
        Datum::Float(f64::NEG_INFINITY)
    ));
    assert!(holds("age in (1, 2.5)", "age", Datum::Float(2.5)));
    assert!(!holds("age >= 0", "age", Datum::Null));
    assert!(holds("age != 0", "age", Datum::Null));
}

#[test]
fn case_folding_is_the_callers() {
    let t = test_of("name contains ignoring case \"Straße\"");
    let u = user("name", Datum::Text("GROSSE STRASSE".into()));
    assert!(!row_test(&t, &u, now(), &rust_lower));
    // A folding that maps ß to ss (as some would) decides otherwise: row_test uses the one given.
    let folded = |s: &str| s.to_lowercase().replace('ß', "ss");
    assert!(row_test(&t, &u, now(), &folded));
}

#[test]
fn rules_on_other_rows_are_not_decided_from_the_row() {
    let t = test_of("manager.name = \"Ann\"");
    assert!(!row_test(
        &t,
        &user("name", Datum::Text("Ann".into())),
        now(),
        &rust_lower
    ));
}

#[test]
fn crossings_of_timestamps() {
    let t = test_of("created_at within last 7 days");
    let (from, to) = (now() - TimeDelta::hours(2), now());
    let old = |at: chrono::DateTime<chrono::Utc>| user("created_at", Datum::Timestamp(at));
    // Left the window since `from`: it was inside then, is outside now.
    assert!(crossed_since(
        &t,
        &old(now() - TimeDelta::days(7) - TimeDelta::hours(1)),
        from,
        to
    ));
    // Entered it (a future value reached now).
    assert!(crossed_since(
        &t,
        &old(now() - TimeDelta::hours(1)),
        from,
        to
    ));
    // Inside all along, and outside all along.
    assert!(!crossed_since(
        &t,
        &old(now() - TimeDelta::days(3)),
        from,
        to
    ));
    assert!(!crossed_since(
        &t,
        &old(now() - TimeDelta::days(9)),
        from,
        to
    ));
    assert!(!crossed_since(
        &t,
        &old(now() + TimeDelta::days(1)),
        from,
        to
    ));
    // The negated rule crosses where the rule does; NULL and other rules never.
    let not = test_of("created_at not within last 7 days");
    assert!(crossed_since(
        &not,
        &old(now() - TimeDelta::hours(1)),
        from,
        to
    ));
    assert!(!crossed_since(
        &t,
        &user("created_at", Datum::Null),
        from,
        to
    ));
    let absolute = test_of("created_at after 2020-01-01");
    assert!(!crossed_since(
        &absolute,
        &old(now() - TimeDelta::hours(1)),
        from,
        to
    ));
}

#[test]
fn crossings_of_dates_and_calendar_units() {
    let t = test_of("hire_date within last 1 months");
    let (from, to) = (at("2026-03-31T10:00:00Z"), at("2026-03-31T12:00:00Z"));
    let old = |d: &str| user("hire_date", date(d));
    // The window starts at 2026-02-28 (a month back, clamped), with a day of slack each side.
    assert!(crossed_since(&t, &old("2026-02-27"), from, to));
    assert!(crossed_since(&t, &old("2026-03-01"), from, to));
    assert!(!crossed_since(&t, &old("2026-02-26"), from, to));
    assert!(!crossed_since(&t, &old("2026-03-15"), from, to));
    // Today and tomorrow are at the present end.
    assert!(crossed_since(&t, &old("2026-04-01"), from, to));
    assert!(!crossed_since(&t, &old("2026-04-02"), from, to));
    // infinity is nowhere near a boundary.
    assert!(!crossed_since(
        &t,
        &user("hire_date", Datum::Date(chrono::NaiveDate::MAX)),
        from,
        to
    ));
}

#[test]
fn case_folding_rules_are_found_anywhere_in_a_ruleset() {
    // Live maintenance leaves these to SQL on a server without the ICU collation.
    assert!(pred(r#"name equals ignoring case "ann""#).folds_case());
    assert!(pred(r#"age > 3 and not (name starts with ignoring case "a")"#).folds_case());
    assert!(pred(r#"has enrollments where course contains ignoring case "safety""#).folds_case());
    assert!(!pred(r#"name = "Ann" or name contains "nn""#).folds_case());
    assert!(!pred(r#"has enrollments where course = "Driver Safety""#).folds_case());
}
