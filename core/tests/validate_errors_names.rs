//! Errors about names: fields, references, relations, columns, groups, cycles, scope.

mod validate_support;

use serde_json::json;
use smart_groups_core::limits::MAX_DEPTH;
use smart_groups_core::report::Report;
use validate_support::*;

#[test]
fn unknown_field_suggests_the_close_one() {
    let hint = expect_error(
        json!({"field": "departmnet", "op": "eq", "value": "Sales"}),
        "42703",
        "field",
        r#"unknown field "departmnet" (did you mean "department"?)"#,
    );
    assert_eq!(
        hint.as_deref(),
        Some("smart_groups.fields lists the fields a rule may name")
    );
    expect_error(
        json!({"field": "zzzzzz", "op": "eq", "value": "x"}),
        "42703",
        "field",
        r#"unknown field "zzzzzz""#,
    );
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
        r#"unknown field "boss.name": there is no reference or lookup "boss""#,
    );
    assert!(hint.unwrap().ends_with("references and lookups: manager"));
    expect_error(
        json!({"field": "manger.name", "op": "eq", "value": "x"}),
        "42703",
        "field",
        r#"unknown field "manger.name": there is no reference or lookup "manger" (did you mean "manager"?)"#,
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
        r#"unknown field "enrollments.status": there is no reference or lookup "enrollments""#,
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
    assert_eq!(
        hint.as_deref(),
        Some("attached relations: enrollments, clicks")
    );
    let hint = expect_error(
        json!({"not": {"has": "enrollments", "where": {"field": "staus", "op": "eq", "value": "done"}}}),
        "42703",
        "not.where.field",
        r#"unknown column "staus" of relation "enrollments" (did you mean "status"?)"#,
    );
    assert_eq!(
        hint.as_deref(),
        Some("columns of enrollments: course, status, completed_at")
    );
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
    assert!(hint
        .unwrap()
        .contains("put the member_of rule next to the has"));
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
    assert_eq!(
        hint.as_deref(),
        Some("smart_groups.groups lists the groups")
    );
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
        assert_eq!(
            p.error.to_string(),
            format!("member_of \"{named}\" makes a cycle of groups: {cycle}")
        );
        assert!(p
            .error
            .hint()
            .unwrap()
            .contains("cannot depend on its own membership"));
    }
    // Without a group being defined, or when nothing leads back, there is no cycle.
    assert!(check(json!({"member_of": "C"})).pred.is_some());
    assert!(check_as("B", json!({"member_of": "Sales"})).pred.is_some());
    assert!(check_as("New", json!({"member_of": "C"})).pred.is_some());
}
