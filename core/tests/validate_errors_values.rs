//! Errors about operators and value types: operator/type mismatch, wrong JSON types, enum
//! labels, empty lists and between bounds.

mod validate_support;

use serde_json::json;
use smart_groups_core::report::Report;
use validate_support::*;

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
    for (field, op) in [
        ("location", "in"),
        ("age", "not_in"),
        ("tags", "includes_any"),
        ("tags", "includes_all"),
        ("role", "in"),
    ] {
        let v = check(json!({"field": field, "op": op, "value": []}));
        let p = sole_error(&v);
        assert_eq!((p.error.sqlstate(), p.path.as_str()), ("22023", "value"));
        assert_eq!(
            p.error.to_string(),
            format!("\"{op}\" on field \"{field}\" needs at least one value")
        );
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
    // Reversed bounds are compared exactly, beyond what an f64 tells apart.
    let v = check(
        json!({"field": "salary", "op": "between", "value": [num_json("12345678901234567891"), num_json("12345678901234567890")]}),
    );
    assert_eq!(sole_error(&v).error.sqlstate(), "22023");
    // A number a stored ruleset could not hold exactly is refused rather than changed.
    let v =
        check(json!({"field": "salary", "op": "eq", "value": num_json("12345678901234567890.1")}));
    assert_eq!(
        (
            sole_error(&v).error.sqlstate(),
            sole_error(&v).path.as_str()
        ),
        ("22003", "value")
    );
}

/// A number with more digits than serde_json keeps exactly, as an AST value.
fn num_json(text: &str) -> serde_json::Value {
    serde_json::Value::String(format!("#num:{text}"))
}
