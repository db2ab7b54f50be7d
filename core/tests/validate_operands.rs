//! Every valid (field type, operator) pair yields the right typed operand.

mod validate_support;

use std::collections::HashSet;

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{json, Value as J};
use smart_groups_core::ast::{Number, Op};
use smart_groups_core::catalog::FieldType;
use smart_groups_core::checked::{Moment, Operand, Pred, TimeUnit};
use smart_groups_core::validate::applicable_ops;
use validate_support::*;

fn n(text: &str) -> Number {
    Number::parse(text).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> Moment {
    Moment::Day(NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

fn texts(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The operand of a single valid rule.
fn operand(field: &str, op: &str, value: Option<J>) -> Operand {
    let mut rule = json!({"field": field, "op": op});
    if let Some(v) = value {
        rule["value"] = v;
    }
    let v = check(rule);
    assert!(v.problems.is_empty(), "{field} {op}: {:#?}", v.problems);
    match v.pred {
        Some(Pred::Test(t)) => {
            assert_eq!(t.op.name(), op);
            assert_eq!(t.path, "");
            t.operand
        }
        other => panic!("{field} {op}: {other:?}"),
    }
}

fn type_of(field: &str) -> FieldType {
    catalog().user_field(field).unwrap().ty()
}

#[test]
fn every_applicable_pair_types_its_operand() {
    use Operand as O;
    let instant = Moment::Instant(Utc.with_ymd_and_hms(2024, 1, 31, 8, 0, 0).unwrap());
    let cases: Vec<(&str, &str, Option<J>, Operand)> = vec![
        // text
        ("name", "eq", Some(json!("Ann")), O::Text("Ann".into())),
        ("name", "neq", Some(json!("Ann")), O::Text("Ann".into())),
        (
            "name",
            "contains",
            Some(json!("50%_\\")),
            O::Text("50%_\\".into()),
        ),
        (
            "name",
            "not_contains",
            Some(json!("x")),
            O::Text("x".into()),
        ),
        ("name", "starts_with", Some(json!("A")), O::Text("A".into())),
        ("name", "ends_with", Some(json!("n")), O::Text("n".into())),
        (
            "location",
            "in",
            Some(json!(["Netherlands", "Belgium"])),
            O::TextList(texts(&["Netherlands", "Belgium"])),
        ),
        (
            "location",
            "not_in",
            Some(json!([""])),
            O::TextList(texts(&[""])),
        ),
        ("email", "is_empty", None, O::None),
        ("email", "is_not_empty", None, O::None),
        ("name", "eq_ci", Some(json!("ÅSA")), O::Text("ÅSA".into())),
        ("name", "contains_ci", Some(json!("a")), O::Text("a".into())),
        (
            "name",
            "starts_with_ci",
            Some(json!("a")),
            O::Text("a".into()),
        ),
        (
            "name",
            "ends_with_ci",
            Some(json!("a")),
            O::Text("a".into()),
        ),
        // number
        ("age", "eq", Some(json!(30)), O::Number(n("30"))),
        ("age", "neq", Some(json!(-1)), O::Number(n("-1"))),
        ("age", "lt", Some(json!(2.5)), O::Number(n("2.5"))),
        ("age", "lte", Some(json!(0)), O::Number(n("0"))),
        ("salary", "gt", Some(json!(1000)), O::Number(n("1000"))),
        ("salary", "gte", Some(json!(1000)), O::Number(n("1000"))),
        (
            "age",
            "between",
            Some(json!([18, 65])),
            O::NumberRange(n("18"), n("65")),
        ),
        (
            "age",
            "in",
            Some(json!([1, 2])),
            O::NumberList(vec![n("1"), n("2")]),
        ),
        (
            "age",
            "not_in",
            Some(json!([3])),
            O::NumberList(vec![n("3")]),
        ),
        ("age", "is_empty", None, O::None),
        ("age", "is_not_empty", None, O::None),
        // date
        (
            "hire_date",
            "eq",
            Some(json!("2021-04-08")),
            O::Time(day(2021, 4, 8)),
        ),
        (
            "hire_date",
            "neq",
            Some(json!("04/08/2021")),
            O::Time(day(2021, 4, 8)),
        ),
        (
            "hire_date",
            "before",
            Some(json!("2024-02-29")),
            O::Time(day(2024, 2, 29)),
        ),
        (
            "hire_date",
            "after",
            Some(json!("1/2/2024")),
            O::Time(day(2024, 1, 2)),
        ),
        (
            "hire_date",
            "between",
            Some(json!(["2024-01-01", "03/31/2024"])),
            O::TimeRange(day(2024, 1, 1), day(2024, 3, 31)),
        ),
        (
            "hire_date",
            "within_last",
            Some(json!("30 days")),
            O::Interval {
                n: 30,
                unit: TimeUnit::Days,
            },
        ),
        (
            "hire_date",
            "not_within_last",
            Some(json!("1 year")),
            O::Interval {
                n: 1,
                unit: TimeUnit::Years,
            },
        ),
        ("hire_date", "is_empty", None, O::None),
        ("hire_date", "is_not_empty", None, O::None),
        // timestamp
        (
            "created_at",
            "eq",
            Some(json!("2021-04-08")),
            O::Time(day(2021, 4, 8)),
        ),
        (
            "created_at",
            "neq",
            Some(json!("2024-01-31T10:00:00+02:00")),
            O::Time(instant),
        ),
        (
            "created_at",
            "before",
            Some(json!("2024-01-31T08:00:00Z")),
            O::Time(instant),
        ),
        (
            "created_at",
            "after",
            Some(json!("01/31/2024")),
            O::Time(day(2024, 1, 31)),
        ),
        (
            "created_at",
            "between",
            Some(json!(["2024-01-31", "2024-01-31T08:00:00Z"])),
            O::TimeRange(day(2024, 1, 31), instant),
        ),
        (
            "created_at",
            "within_last",
            Some(json!("20 MINUTES")),
            O::Interval {
                n: 20,
                unit: TimeUnit::Minutes,
            },
        ),
        (
            "created_at",
            "not_within_last",
            Some(json!("2 weeks")),
            O::Interval {
                n: 2,
                unit: TimeUnit::Weeks,
            },
        ),
        ("created_at", "is_empty", None, O::None),
        ("created_at", "is_not_empty", None, O::None),
        // boolean
        ("active", "eq", Some(json!(true)), O::Bool(true)),
        ("active", "neq", Some(json!(false)), O::Bool(false)),
        ("active", "is_empty", None, O::None),
        ("active", "is_not_empty", None, O::None),
        // enum
        (
            "role",
            "eq",
            Some(json!("manager")),
            O::Text("manager".into()),
        ),
        ("role", "neq", Some(json!("admin")), O::Text("admin".into())),
        (
            "role",
            "in",
            Some(json!(["admin", "learner"])),
            O::TextList(texts(&["admin", "learner"])),
        ),
        (
            "role",
            "not_in",
            Some(json!(["creator"])),
            O::TextList(texts(&["creator"])),
        ),
        ("role", "is_empty", None, O::None),
        ("role", "is_not_empty", None, O::None),
        // list
        (
            "tags",
            "includes",
            Some(json!("vip")),
            O::Text("vip".into()),
        ),
        (
            "tags",
            "not_includes",
            Some(json!("vip")),
            O::Text("vip".into()),
        ),
        (
            "tags",
            "includes_any",
            Some(json!(["a", "b"])),
            O::TextList(texts(&["a", "b"])),
        ),
        (
            "tags",
            "includes_all",
            Some(json!(["a"])),
            O::TextList(texts(&["a"])),
        ),
        ("tags", "is_empty", None, O::None),
        ("tags", "is_not_empty", None, O::None),
    ];
    let mut covered = HashSet::new();
    for (field, op, value, want) in cases {
        assert_eq!(operand(field, op, value), want, "{field} {op}");
        covered.insert((type_of(field), Op::from_name(op).unwrap()));
    }
    for ty in FieldType::ALL {
        for op in applicable_ops(ty) {
            assert!(
                covered.contains(&(ty, *op)),
                "untested: {} {}",
                ty.name(),
                op
            );
        }
    }
}

#[test]
fn equal_between_bounds_are_fine() {
    assert_eq!(
        operand("age", "between", Some(json!([5, 5]))),
        Operand::NumberRange(n("5"), n("5"))
    );
    assert!(check(
        json!({"field": "hire_date", "op": "between", "value": ["2024-01-01", "01/01/2024"]})
    )
    .pred
    .is_some());
    assert!(check(json!({"field": "created_at", "op": "between", "value": ["2024-01-01T00:00:00Z", "2024-01-01"]})).pred.is_some());
}
