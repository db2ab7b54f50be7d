//! Errors about value formats and ranges (dates, durations, numbers, NUL), value presence,
//! and the structural limits (counts, depth).

mod validate_support;

use serde_json::json;
use smart_groups_core::ast::{Node, Op};
use smart_groups_core::limits::MAX_DEPTH;
use smart_groups_core::report::Report;
use smart_groups_core::validate::{validate, Options};
use validate_support::*;

#[test]
fn dates_and_durations() {
    let hint = expect_error(
        json!({"field": "hire_date", "op": "eq", "value": "2023-02-29"}),
        "22007",
        "value",
        r#""2023-02-29" is not a valid date for field "hire_date""#,
    );
    assert_eq!(hint.as_deref(), Some("write YYYY-MM-DD or MM/DD/YYYY"));
    let hint = expect_error(
        json!({"field": "created_at", "op": "between", "value": ["2024-01-01", "13/01/2024"]}),
        "22007",
        "value[1]",
        r#""13/01/2024" is not a valid date or timestamp for field "created_at""#,
    );
    assert!(hint.unwrap().contains("RFC 3339"));
    // Instants are for timestamps only.
    expect_error(
        json!({"field": "start_date", "op": "after", "value": "2024-01-01T00:00:00Z"}),
        "22007",
        "value",
        r#""2024-01-01T00:00:00Z" is not a valid date for field "start_date""#,
    );
    let hint = expect_error(
        json!({"field": "hire_date", "op": "within_last", "value": "30 dayz"}),
        "22007",
        "value",
        r#""30 dayz" is not a valid duration for field "hire_date""#,
    );
    assert!(hint
        .unwrap()
        .contains("minutes, hours, days, weeks, months, years"));
    for bad in ["0 days", "-3 days", " 3 days", "3", "days"] {
        let v = check(json!({"field": "created_at", "op": "not_within_last", "value": bad}));
        assert_eq!(sole_error(&v).error.sqlstate(), "22007", "{bad}");
    }
    let hint = expect_error(
        json!({"field": "created_at", "op": "within_last", "value": "10001 years"}),
        "22008",
        "value",
        r#"duration "10001 years" for field "created_at" is longer than 10,000 years"#,
    );
    assert!(hint.is_some());
    for too_long in [
        "120001 months",
        "521776 weeks",
        "3652426 days",
        "87658201 hours",
        "4294967296 minutes",
        "99999999999999999999999 days",
    ] {
        let v = check(json!({"field": "hire_date", "op": "within_last", "value": too_long}));
        assert_eq!(sole_error(&v).error.sqlstate(), "22008", "{too_long}");
    }
    for fine in [
        "10000 years",
        "120000 months",
        "521775 weeks",
        "3652425 days",
        "87658200 hours",
        "4294967295 minutes",
    ] {
        assert!(
            check(json!({"field": "hire_date", "op": "within_last", "value": fine}))
                .pred
                .is_some(),
            "{fine}"
        );
    }
}

#[test]
fn numbers_out_of_range_and_nul_characters() {
    for (text, path) in [("1e400", "value"), ("-1e309", "value")] {
        let n = validate(
            &cond("age", Op::Eq, Some(num(text))),
            &catalog(),
            &Options::default(),
        );
        let p = sole_error(&n);
        assert_eq!((p.error.sqlstate(), p.path.as_str()), ("22003", path));
        assert_eq!(
            p.error.to_string(),
            format!("number {text} for field \"age\" is out of range")
        );
    }
    let tiny = smart_groups_core::ast::Value::List(vec![num("1"), num("1e-1001")]);
    let v = validate(
        &cond("score", Op::In, Some(tiny)),
        &catalog(),
        &Options::default(),
    );
    assert_eq!(
        (
            sole_error(&v).error.sqlstate(),
            sole_error(&v).path.as_str()
        ),
        ("22003", "value[1]")
    );

    let hint = expect_error(
        json!({"field": "name", "op": "contains", "value": "a\u{0}b"}),
        "22021",
        "value",
        r#"value for field "name" contains a NUL character, which Postgres text cannot hold"#,
    );
    assert!(hint.is_some());
    expect_error(
        json!({"field": "tags", "op": "includes_all", "value": ["ok", "\u{0}"]}),
        "22021",
        "value[1]",
        r#"value for field "tags" contains a NUL character, which Postgres text cannot hold"#,
    );
    expect_error(
        json!({"field": "hire_date", "op": "eq", "value": "2024-01-01\u{0}"}),
        "22021",
        "value",
        r#"value for field "hire_date" contains a NUL character, which Postgres text cannot hold"#,
    );
}

#[test]
fn value_presence_follows_the_operator() {
    let v = validate(&cond("age", Op::Eq, None), &catalog(), &Options::default());
    let p = sole_error(&v);
    assert_eq!(
        (
            p.error.sqlstate(),
            p.path.as_str(),
            p.error.to_string().as_str()
        ),
        ("22023", "value", r#"operator "eq" needs a value"#)
    );
    let v = validate(
        &cond("age", Op::IsEmpty, Some(num("1"))),
        &catalog(),
        &Options::default(),
    );
    let p = sole_error(&v);
    assert_eq!(
        (p.error.sqlstate(), p.error.to_string().as_str()),
        ("22023", r#"operator "is_empty" takes no value"#)
    );
}

#[test]
fn count_must_fit_in_bigint() {
    let has = |value: u64| {
        Node::Has(smart_groups_core::ast::Has {
            relation: "clicks".into(),
            filter: None,
            count: Some(smart_groups_core::ast::Count {
                op: smart_groups_core::ast::CmpOp::Gte,
                value,
            }),
        })
    };
    let v = validate(&has(u64::MAX), &catalog(), &Options::default());
    let p = sole_error(&v);
    assert_eq!(
        (p.error.sqlstate(), p.path.as_str()),
        ("22003", "count.value")
    );
    assert_eq!(
        p.error.to_string(),
        format!("count {} of has \"clicks\" is out of range", u64::MAX)
    );
    assert!(
        validate(&has(i64::MAX as u64), &catalog(), &Options::default())
            .pred
            .is_some()
    );
}

#[test]
fn depth_is_checked_first() {
    let mut deep = cond("nope", Op::Eq, None);
    for _ in 0..MAX_DEPTH {
        deep = Node::Not(Box::new(deep));
    }
    let v = validate(&deep, &catalog(), &Options::default());
    let p = sole_error(&v);
    assert_eq!((p.error.sqlstate(), p.path.as_str()), ("54001", ""));
    assert_eq!(
        p.error.to_string(),
        format!("ruleset is nested more than {MAX_DEPTH} levels deep")
    );
    // One level less is within the limit, so its own problems are reported instead.
    let Node::Not(inner) = deep else {
        unreachable!()
    };
    let v = validate(&inner, &catalog(), &Options::default());
    assert_eq!(sole_error(&v).error.sqlstate(), "42703");
}

#[test]
fn very_deep_input_does_not_overflow_the_stack() {
    let mut deep = Node::All(vec![]);
    for _ in 0..200_000 {
        deep = Node::Any(vec![deep]);
    }
    let v = validate(&deep, &catalog(), &Options::default());
    assert_eq!(sole_error(&v).error.sqlstate(), "54001");
    // Drop iteratively: the AST's own recursive Drop is not what this test is about.
    let mut cur = deep;
    while let Node::Any(mut items) = cur {
        cur = items.pop().unwrap_or(Node::All(vec![]));
    }
}
