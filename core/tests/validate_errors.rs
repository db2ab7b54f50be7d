//! Every error class of validation: SQLSTATE, path, message and hint.

mod validate_support;

use serde_json::json;
use smart_groups_core::ast::{Node, Op};
use smart_groups_core::limits::MAX_DEPTH;
use smart_groups_core::report::Report;
use smart_groups_core::validate::{validate, Options};
use validate_support::*;

#[test]
fn unknown_field_suggests_the_close_one() {
    let hint = expect_error(
        json!({"field": "departmnet", "op": "eq", "value": "Sales"}),
        "42703",
        "field",
        r#"unknown field "departmnet" (did you mean "department"?)"#,
    );
    assert_eq!(hint.as_deref(), Some("smart_groups.fields lists the fields a rule may name"));
    expect_error(json!({"field": "zzzzzz", "op": "eq", "value": "x"}), "42703", "field", r#"unknown field "zzzzzz""#);
    expect_error(
        json!({"all": [{"field": "age", "op": "eq", "value": 1}, {"field": "shirtsize", "op": "is_empty"}]}),
        "42703",
        "all[1].field",
        r#"unknown field "shirtsize" (did you mean "shirt_size"?)"#,
    );
}

#[test]
fn unknown_fields_behind_references() {
    let hint = expect_error(
        json!({"field": "boss.name", "op": "eq", "value": "x"}),
        "42703",
        "field",
        r#"unknown field "boss.name": there is no reference "boss""#,
    );
    assert!(hint.unwrap().ends_with("references: manager"));
    expect_error(
        json!({"field": "manger.name", "op": "eq", "value": "x"}),
        "42703",
        "field",
        r#"unknown field "manger.name": there is no reference "manger" (did you mean "manager"?)"#,
    );
    expect_error(
        json!({"field": "manager.manager.nme", "op": "eq", "value": "x"}),
        "42703",
        "field",
        r#"unknown field "manager.manager.nme" (did you mean "manager.manager.name"?)"#,
    );
    expect_error(
        json!({"field": "e.mail", "op": "is_empty"}),
        "42703",
        "field",
        r#"unknown field "e.mail" (did you mean "email"?)"#,
    );
    // References go from users to users, never into relations.
    expect_error(
        json!({"field": "enrollments.status", "op": "is_empty"}),
        "42703",
        "field",
        r#"unknown field "enrollments.status": there is no reference "enrollments""#,
    );
}

#[test]
fn reference_chains_are_bounded() {
    let long = vec!["manager"; MAX_DEPTH + 1].join(".") + ".name";
    let v = check(json!({"field": long, "op": "is_empty"}));
    let p = sole_error(&v);
    assert_eq!((p.error.sqlstate(), p.path.as_str()), ("54001", "field"));
    let ok = vec!["manager"; MAX_DEPTH].join(".") + ".name";
    assert!(check(json!({"field": ok, "op": "is_empty"})).pred.is_some());
}

#[test]
fn unknown_relation_and_column() {
    let hint = expect_error(
        json!({"has": "enrolments"}),
        "42P01",
        "has",
        r#"unknown relation "enrolments" (did you mean "enrollments"?)"#,
    );
    assert_eq!(hint.as_deref(), Some("attached relations: enrollments, clicks"));
    let hint = expect_error(
        json!({"not": {"has": "enrollments", "where": {"field": "staus", "op": "eq", "value": "done"}}}),
        "42703",
        "not.where.field",
        r#"unknown column "staus" of relation "enrollments" (did you mean "status"?)"#,
    );
    assert_eq!(hint.as_deref(), Some("columns of enrollments: course, status, completed_at"));
    // User fields are out of scope inside a where.
    expect_error(
        json!({"has": "clicks", "where": {"field": "age", "op": "gt", "value": 3}}),
        "42703",
        "where.field",
        r#"unknown column "age" of relation "clicks""#,
    );
}

#[test]
fn member_of_and_has_are_not_allowed_inside_where() {
    let hint = expect_error(
        json!({"all": [{"has": "enrollments", "where": {"any": [{"member_of": "Sales"}]}}]}),
        "0A000",
        "all[0].where.any[0].member_of",
        r#"member_of is not allowed inside the where of has "enrollments""#,
    );
    assert!(hint.unwrap().contains("put the member_of rule next to the has"));
    let hint = expect_error(
        json!({"has": "enrollments", "where": {"not": {"has": "clicks"}}}),
        "0A000",
        "where.not.has",
        r#"has is not allowed inside the where of has "enrollments""#,
    );
    assert!(hint.unwrap().contains("has cannot be nested"));
}

#[test]
fn groups() {
    let hint = expect_error(
        json!({"any": [{"member_of": "Salse"}]}),
        "42704",
        "any[0].member_of",
        r#"unknown group "Salse" (did you mean "Sales"?)"#,
    );
    assert_eq!(hint.as_deref(), Some("smart_groups.groups lists the groups"));
    let hint = expect_error(
        json!({"member_of": "Old"}),
        "55000",
        "member_of",
        r#"group "Old" is archived; member_of can only name an active smart group or a static group"#,
    );
    assert!(hint.unwrap().contains("restore_group"));
    let hint = expect_error(
        json!({"member_of": "Paused"}),
        "55000",
        "member_of",
        r#"group "Paused" is inactive; member_of can only name an active smart group or a static group"#,
    );
    assert!(hint.unwrap().contains("activate_group"));
}

#[test]
fn cycles_are_spelled_out() {
    let cases = [
        ("A", "B", "A → B → A"),
        ("A", "C", "A → C → B → A"),
        ("Sales", "C", "Sales → C → Sales"),
        ("Sales", "Sales", "Sales → Sales"),
    ];
    for (own, named, cycle) in cases {
        let v = check_as(own, json!({"all": [{"member_of": named}]}));
        let p = sole_error(&v);
        assert_eq!(p.error.sqlstate(), "42P17");
        assert_eq!(p.path, "all[0].member_of");
        assert_eq!(p.error.to_string(), format!("member_of \"{named}\" makes a cycle of groups: {cycle}"));
        assert!(p.error.hint().unwrap().contains("cannot depend on its own membership"));
    }
    // Without a group being defined, or when nothing leads back, there is no cycle.
    assert!(check(json!({"member_of": "C"})).pred.is_some());
    assert!(check_as("B", json!({"member_of": "Sales"})).pred.is_some());
    assert!(check_as("New", json!({"member_of": "C"})).pred.is_some());
}

#[test]
fn operator_must_apply_to_the_type() {
    let hint = expect_error(
        json!({"field": "hire_date", "op": "contains", "value": "2024"}),
        "42804",
        "op",
        r#"operator "contains" does not apply to date field "hire_date""#,
    );
    assert_eq!(
        hint.as_deref(),
        Some("operators for date fields: eq, neq, before, after, between, within_last, not_within_last, is_empty, is_not_empty")
    );
    expect_error(
        json!({"field": "tags", "op": "eq", "value": "x"}),
        "42804",
        "op",
        r#"operator "eq" does not apply to list field "tags""#,
    );
    expect_error(
        json!({"has": "clicks", "where": {"field": "clicked_at", "op": "gt", "value": 1}}),
        "42804",
        "where.op",
        r#"operator "gt" does not apply to timestamp field "clicked_at""#,
    );
}

#[test]
fn values_must_have_the_field_type() {
    let hint = expect_error(
        json!({"field": "age", "op": "gt", "value": "abc"}),
        "42804",
        "value",
        r#"value of number field "age" must be a number, found the string "abc""#,
    );
    assert_eq!(hint.as_deref(), Some("write a JSON number, without quotes"));
    expect_error(
        json!({"field": "name", "op": "eq", "value": 5}),
        "42804",
        "value",
        r#"value of text field "name" must be a string, found the number 5"#,
    );
    expect_error(
        json!({"field": "active", "op": "eq", "value": "true"}),
        "42804",
        "value",
        r#"value of boolean field "active" must be true or false, found the string "true""#,
    );
    expect_error(
        json!({"field": "location", "op": "in", "value": "NL"}),
        "42804",
        "value",
        r#"value of text field "location" must be a list of strings, found the string "NL""#,
    );
    expect_error(
        json!({"field": "location", "op": "in", "value": ["NL", 3]}),
        "42804",
        "value[1]",
        r#"value of text field "location" must be a string, found the number 3"#,
    );
    expect_error(
        json!({"field": "hire_date", "op": "before", "value": 20240101}),
        "42804",
        "value",
        r#"value of date field "hire_date" must be a date string, found the number 20240101"#,
    );
    expect_error(
        json!({"field": "created_at", "op": "within_last", "value": 30}),
        "42804",
        "value",
        r#"value of timestamp field "created_at" must be a duration string such as "30 days", found the number 30"#,
    );
    expect_error(
        json!({"field": "tags", "op": "includes", "value": ["a"]}),
        "42804",
        "value",
        r#"value of list field "tags" must be a string, found a list of 1 value"#,
    );
    expect_error(
        json!({"field": "manager.age", "op": "in", "value": [1, true]}),
        "42804",
        "value[1]",
        r#"value of number field "manager.age" must be a number, found the boolean true"#,
    );
}

#[test]
fn enum_values_must_be_labels() {
    let hint = expect_error(
        json!({"field": "role", "op": "eq", "value": "admn"}),
        "22023",
        "value",
        r#""admn" is not one of role's values: admin, manager, creator, learner"#,
    );
    assert_eq!(hint.as_deref(), Some(r#"did you mean "admin"?"#));
    let hint = expect_error(
        json!({"field": "shirt_size", "op": "in", "value": ["S", "XXXL"]}),
        "22023",
        "value[1]",
        r#""XXXL" is not one of shirt_size's values: S, M, L, XL"#,
    );
    assert_eq!(hint.as_deref(), Some(r#"did you mean "XL"?"#));
    let hint = expect_error(
        json!({"field": "shirt_size", "op": "eq", "value": "Medium"}),
        "22023",
        "value",
        r#""Medium" is not one of shirt_size's values: S, M, L, XL"#,
    );
    assert_eq!(hint, None);
    // Labels are exact: case matters.
    expect_error(
        json!({"field": "role", "op": "neq", "value": "Admin"}),
        "22023",
        "value",
        r#""Admin" is not one of role's values: admin, manager, creator, learner"#,
    );
}

#[test]
fn lists_and_bounds() {
    for (field, op) in [("location", "in"), ("age", "not_in"), ("tags", "includes_any"), ("tags", "includes_all"), ("role", "in")] {
        let v = check(json!({"field": field, "op": op, "value": []}));
        let p = sole_error(&v);
        assert_eq!((p.error.sqlstate(), p.path.as_str()), ("22023", "value"));
        assert_eq!(p.error.to_string(), format!("\"{op}\" on field \"{field}\" needs at least one value"));
    }
    let hint = expect_error(
        json!({"field": "age", "op": "between", "value": [1, 2, 3]}),
        "22023",
        "value",
        r#"between on field "age" needs a list of two bounds [low, high], found a list of 3 values"#,
    );
    assert_eq!(hint.as_deref(), Some("write [low, high], e.g. [1, 10]"));
    expect_error(
        json!({"field": "hire_date", "op": "between", "value": "2024-01-01"}),
        "22023",
        "value",
        r#"between on field "hire_date" needs a list of two bounds [low, high], found the string "2024-01-01""#,
    );
    let hint = expect_error(
        json!({"field": "age", "op": "between", "value": [10, 5]}),
        "22023",
        "value",
        r#"between bounds of "age" are reversed: 10 > 5"#,
    );
    assert_eq!(hint.as_deref(), Some("write the lower bound first"));
    expect_error(
        json!({"field": "hire_date", "op": "between", "value": ["03/31/2024", "2024-01-01"]}),
        "22023",
        "value",
        r#"between bounds of "hire_date" are reversed: 03/31/2024 > 2024-01-01"#,
    );
    // A day bound starts at 00:00 UTC, so an instant later that day is above it.
    expect_error(
        json!({"field": "created_at", "op": "between", "value": ["2024-01-01T10:00:00Z", "2024-01-01"]}),
        "22023",
        "value",
        r#"between bounds of "created_at" are reversed: 2024-01-01T10:00:00Z > 2024-01-01"#,
    );
    let v = check(json!({"field": "salary", "op": "between", "value": [num_json("12345678901234567890.2"), num_json("12345678901234567890.1")]}));
    assert_eq!(sole_error(&v).error.sqlstate(), "22023");
}

/// A number with more digits than serde_json keeps exactly, as an AST value.
fn num_json(text: &str) -> serde_json::Value {
    serde_json::Value::String(format!("#num:{text}"))
}

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
    assert!(hint.unwrap().contains("minutes, hours, days, weeks, months, years"));
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
    for too_long in ["120001 months", "521776 weeks", "3652426 days", "87658201 hours", "4294967296 minutes", "99999999999999999999999 days"] {
        let v = check(json!({"field": "hire_date", "op": "within_last", "value": too_long}));
        assert_eq!(sole_error(&v).error.sqlstate(), "22008", "{too_long}");
    }
    for fine in ["10000 years", "120000 months", "521775 weeks", "3652425 days", "87658200 hours", "4294967295 minutes"] {
        assert!(check(json!({"field": "hire_date", "op": "within_last", "value": fine})).pred.is_some(), "{fine}");
    }
}

#[test]
fn numbers_out_of_range_and_nul_characters() {
    for (text, path) in [("1e400", "value"), ("-1e309", "value")] {
        let n = validate(&cond("age", Op::Eq, Some(num(text))), &catalog(), &Options::default());
        let p = sole_error(&n);
        assert_eq!((p.error.sqlstate(), p.path.as_str()), ("22003", path));
        assert_eq!(p.error.to_string(), format!("number {text} for field \"age\" is out of range"));
    }
    let tiny = smart_groups_core::ast::Value::List(vec![num("1"), num("1e-1001")]);
    let v = validate(&cond("score", Op::In, Some(tiny)), &catalog(), &Options::default());
    assert_eq!((sole_error(&v).error.sqlstate(), sole_error(&v).path.as_str()), ("22003", "value[1]"));

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
    assert_eq!((p.error.sqlstate(), p.path.as_str(), p.error.to_string().as_str()), ("22023", "value", r#"operator "eq" needs a value"#));
    let v = validate(&cond("age", Op::IsEmpty, Some(num("1"))), &catalog(), &Options::default());
    let p = sole_error(&v);
    assert_eq!((p.error.sqlstate(), p.error.to_string().as_str()), ("22023", r#"operator "is_empty" takes no value"#));
}

#[test]
fn count_must_fit_in_bigint() {
    let has = |value: u64| {
        Node::Has(smart_groups_core::ast::Has {
            relation: "clicks".into(),
            filter: None,
            count: Some(smart_groups_core::ast::Count { op: smart_groups_core::ast::CmpOp::Gte, value }),
        })
    };
    let v = validate(&has(u64::MAX), &catalog(), &Options::default());
    let p = sole_error(&v);
    assert_eq!((p.error.sqlstate(), p.path.as_str()), ("22003", "count.value"));
    assert_eq!(p.error.to_string(), format!("count {} of has \"clicks\" is out of range", u64::MAX));
    assert!(validate(&has(i64::MAX as u64), &catalog(), &Options::default()).pred.is_some());
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
    assert_eq!(p.error.to_string(), format!("ruleset is nested more than {MAX_DEPTH} levels deep"));
    // One level less is within the limit, so its own problems are reported instead.
    let Node::Not(inner) = deep else { unreachable!() };
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
